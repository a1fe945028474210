import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { codeMessages as messages, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { assignedOnce, inForce } from '../src/doctor/shell-vars.js';

/**
 * Stop 60d: the shell readers' gaps stop 59 left: a `.sh` script's helm and kubectl commands read
 * the names in force at their line (inForce), single quotes said as written, make's `'$$X'`,
 * `$(eval …)` and `define` bodies, `source`/`eval` in set-once mode, a stray `\` of a folded CI line.
 */

const SCRIPT = { makefile: false };
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\nserviceAccount:\n  create: true\n  name: runner\n';
const helm = (release: string) => `helm upgrade --install ${release} gitlab/gitlab-runner -n $NS -f values.yaml`;
const namespaceUnknown = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('its namespace'));
const script = (text: string) => run({ 'deploy.sh': text, 'values.yaml': VALUES });
/** The value of `$NS` where the first `helm` of the script runs (order-aware), or undefined. */
const nsAt = (text: string, needle = 'helm') => inForce(text).at(text.indexOf(needle)).get('NS');

describe('1. a .sh script: each command reads the names in force at its line', () => {
  it('NS=a, a release, NS=b, another release: two releases in two namespaces', () => {
    const r = script(`NS=a\n${helm('one')}\nNS=b\n${helm('two')}\n`);
    expect(managers(r)).toEqual(['manager a/runner (deploy.sh:2:1)', 'manager b/runner (deploy.sh:4:1)']);
    expect(namespaceUnknown(r)).toBe(false);
  });
  it('twin: NS set once before both commands: both in it', () => {
    expect(managers(script(`NS=a\n${helm('one')}\n${helm('two')}\n`))).toEqual(['manager a/runner (deploy.sh:2:1)', 'manager a/runner (deploy.sh:3:1)']);
  });
  it('a name set after the command is not in force at it (the shell has not run the assignment yet)', () => {
    const r = script(`${helm('one')}\nNS=a\n`);
    expect(namespaceUnknown(r)).toBe(true);
    expect(managers(r)).toEqual([]);
  });
  it('chains of one line: `NS=a; helm …` and `NS=a && helm …` read a; an assignment after `&&`/`||` may not run', () => {
    expect(nsAt(`NS=a; ${helm('one')}\n`)).toBe('a');
    expect(nsAt(`export NS="a" && ${helm('one')}\n`)).toBe('a');
    expect(nsAt(`NS=b\nNS=a; ${helm('one')}; NS=c\n`)).toBe('a');
    expect(nsAt(`NS=b\ntrue && NS=a; ${helm('one')}\n`)).toBeUndefined();
    expect(nsAt(`NS=b\nfalse || NS=a\n${helm('one')}\n`)).toBeUndefined();
    expect(managers(script(`NS=a; ${helm('one')}; NS=b; ${helm('two')}\n`))).toEqual(['manager a/runner (deploy.sh:1:7)', 'manager b/runner (deploy.sh:1:84)']);
  });
  it('a name set inside an if branch is known in that branch and not after it; one set before it stays known', () => {
    const text = (inner: string) => `NS=a\nif [ -n "$CI" ]; then\n  ${inner}\n  echo in\nfi\n${helm('one')}\n`;
    expect(nsAt(text('NS=b'))).toBeUndefined();
    expect(nsAt(text('X=b'))).toBe('a');
    expect(nsAt(`NS=a\nif true; then\n  NS=b\n  ${helm('one')}\nfi\n`)).toBe('b');
    expect(nsAt(`if true; then\n  NS=b\nelse\n  ${helm('one')}\nfi\n`)).toBeUndefined();
  });
  it('a function body: a name it sets is not known after it; a command in it reads the names set once in the file', () => {
    expect(nsAt(`NS=a\nsetup() {\n  NS=b\n}\n${helm('one')}\n`)).toBeUndefined();
    expect(nsAt(`NS=a\nfunction setup {\n  NS=b\n}\n${helm('one')}\n`)).toBeUndefined();
    expect(nsAt(`NS=a\nsetup() {\n  X=b\n}\n${helm('one')}\n`)).toBe('a');
    // `f(){` as one word (sempernow/gitlab-runner's make.gitlab-runner.sh writes `template(){`): a body too.
    expect(nsAt(`NS=a\nsetup(){\n  NS=b\n}\n${helm('one')}\n`)).toBeUndefined();
    expect(nsAt(`NS=a\nNS=b\nsetup(){\n  ${helm('one')}\n}\n`)).toBeNull();
    // The function runs where it is called, after NS=a: read as set once in the file.
    expect(managers(script(`deploy() {\n  ${helm('one')}\n}\nNS=a\ndeploy\n`))).toEqual(['manager a/runner (deploy.sh:2:3)']);
    expect(namespaceUnknown(script(`deploy() {\n  ${helm('one')}\n}\nNS=a\ndeploy\nNS=b\ndeploy\n`))).toBe(true);
  });
  it('a value naming another is expanded where it is assigned, with the value in force there', () => {
    expect(nsAt(`BASE=a\nNS="$BASE-ci"\nBASE=b\n${helm('one')}\n`)).toBe('a-ci');
    expect(nsAt(`NS=a\nNS=$NS-ci\n${helm('one')}\n`)).toBe('a-ci');
    expect(nsAt(`NS="$BASE"\nBASE=b\n${helm('one')}\n`)).toBeUndefined();
    expect(nsAt(`B=a\nNS='$B'\n${helm('one')}\n`)).toBe('\\$B');
    expect(nsAt(`NS=$(cat ns)\n${helm('one')}\n`)).toBeUndefined();
  });
  it('source, . and eval before the command leave every name not known; after it, set again, known', () => {
    for (const s of ['source env.sh', '. ./env.sh', 'eval "$(cat env)"']) {
      expect(nsAt(`NS=a\n${s}\n${helm('one')}\n`)).toBeUndefined();
      expect(nsAt(`${s}\nNS=a\n${helm('one')}\n`)).toBe('a');
    }
  });
  it('kubectl create serviceaccount in a script reads the name in force at it', () => {
    const binding = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ci-runner\n    namespace: ci\n';
    const made = (text: string) => messages(run({ 'setup.sh': text, 'rbac.yaml': binding }), 'RF904')[0];
    expect(made('SA=ci-runner\nkubectl create sa "$SA" -n ci\nSA=other\n')).toMatch(/`kubectl create serviceaccount` at setup\.sh:2 makes it/);
    expect(made('SA=other\nkubectl create sa "$SA" -n ci\nSA=ci-runner\n')).toMatch(/which does not exist among the objects given$/);
  });
  it('a Makefile keeps the set-once reading (make reads the whole file first); a CI job reads its script in order (stop 66c)', () => {
    expect(assignedOnce('NS=a\nNS=b\n', SCRIPT).get('NS')).toBeNull();
    // Stop 66c: a job's script items run in one shell in order (ci-job-vars.ts), so NS=a after the helm command is not in force at it (it was read, set once).
    const ci = run({ '.gitlab-ci.yml': `deploy:\n  script:\n    - |\n      ${helm('one')}\n      NS=a\n`, 'values.yaml': VALUES });
    expect(managers(ci)).not.toEqual(['manager a/runner (.gitlab-ci.yml:4:7)']);
    const make = run({ Makefile: `deploy:\n\t${helm('one').replace('$NS', '$(NS)')}\nNS = a\n`, 'values.yaml': VALUES });
    expect(managers(make)).toEqual(['manager a/runner (Makefile:2:2)']);
  });
});

describe('hostile input to inForce', () => {
  it('200,000 blank lines and a 200,000-character word before the command', () => {
    expect(nsAt(`NS=a\n${'\n'.repeat(200_000)}${helm('one')}\n`)).toBe('a');
    const word = 'a'.repeat(200_000);
    expect(nsAt(`NS=a\n${word}\nNS=${word}\n${helm('one')}\n`)).toBe(word);
    expect(nsAt(`NS=a\n${word}=$(${word}; ${word}\n${helm('one')}\n`, 'helm upgrade')).toBe('a');
  });
  it('20,000 assignments each before a command: the work counted grows linearly (n log n at most), never a pass per command', () => {
    const work = (n: number): number => {
      const text = Array.from({ length: n }, (_, i) => `NS=n${i}; X${i % 7}="$NS-$X${(i + 1) % 7}"\nhelm upgrade r gitlab/gitlab-runner -n $NS\n`).join('');
      const count = { steps: 0 };
      const reader = inForce(text, count);
      let from = 0;
      for (let i = 0; i < n; i++) {
        from = text.indexOf('helm', from + 1);
        expect(reader.at(from).get('NS')).toBe(`n${i}`);
      }
      return count.steps;
    };
    const [small, large] = [work(10_000), work(20_000)];
    expect(large / small).toBeLessThan(2.4);
    expect(large).toBeLessThan(20_000 * 100);
  });
});

describe("2. --set 'k=$X' in a script: the characters as written, which helm is given as is", () => {
  const set = (arg: string) => script(`helm upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml --set ${arg}\n`);
  const unknownSet = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('--set runners.tags'));
  it("'runners.tags=$X' is read (a value, not a variable): no 'known only when the command runs'", () => {
    expect(unknownSet(set("'runners.tags=$X'"))).toBe(false);
  });
  it('twins: "runners.tags=$X" and runners.tags=$X with X not set are known only when the command runs', () => {
    expect(unknownSet(set('"runners.tags=$X"'))).toBe(true);
    expect(unknownSet(set('runners.tags=$X'))).toBe(true);
  });
  it("hostile: a 200,000-character single-quoted value of dollars, and 200,000 blank lines before the command", () => {
    // Longer than expandWord's 4,096 characters: not read, said so.
    expect(unknownSet(set(`'runners.tags=${'$'.repeat(200_000)}'`))).toBe(true);
    expect(unknownSet(script(`${'\n'.repeat(200_000)}helm upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml --set 'runners.tags=$X'\n`))).toBe(false);
  });
});

describe('5. source, . and eval in set-once mode: every name not known', () => {
  for (const s of ['source env.sh', '. ./env.sh', 'eval "$(cat env)"']) {
    it(`a CI file's script with \`${s}\`: NS not known; without it, known`, () => {
      const ci = (line: string) => run({ '.gitlab-ci.yml': `deploy:\n  script:\n    - |\n      NS=a\n      ${line}\n      ${helm('one')}\n`, 'values.yaml': VALUES });
      expect(namespaceUnknown(ci(s))).toBe(true);
      expect(managers(ci('echo ready'))).toEqual(['manager a/runner (.gitlab-ci.yml:6:7)']);
    });
  }
  it('assignedOnce: a script with `source` anywhere knows no name; a Makefile recipe\'s `. ./env` does not change make\'s', () => {
    expect(assignedOnce('NS=a\nsource env.sh\n', SCRIPT).get('NS')).toBeNull();
    expect(assignedOnce('NS=a\necho source\n', SCRIPT).get('NS')).toBe('a');
    expect(assignedOnce('NS = a\nd:\n\t. ./env\n', { makefile: true }).get('NS')).toBe('a');
  });
  it('hostile: 200,000 blank lines and a 200,000-character word before `source`', () => {
    expect(assignedOnce(`NS=a\n${'\n'.repeat(200_000)}${'a'.repeat(200_000)}\nsource x\n`, SCRIPT).get('NS')).toBeNull();
    expect(assignedOnce(`NS=a\n${'\n'.repeat(200_000)}${'a'.repeat(200_000)}\n`, SCRIPT).get('NS')).toBe('a');
  });
});
