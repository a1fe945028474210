import { describe, expect, it } from 'vitest';
import { codeMessages as messages, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { assignedInForce, assignedOnce, expandWord } from '../src/doctor/shell-vars.js';

/**
 * Stop 58b: one reader of "a variable set to a literal" for the doctor's shell readers
 * (shell-vars.ts). kubectl create's names follow chains as helm's words do; make's operators and
 * `$(X)` are make's only; a comment after a value ends it for names as for paths; hostile input
 * (200,000 blank lines, a 200,000-character word, a cycle) is read in one pass.
 */

const SCRIPT = { makefile: false };
const MAKE = { makefile: true };

const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\nserviceAccount:\n  create: true\n  name: runner\n';
const BINDING = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ci-runner\n    namespace: ci\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: ci\nrules:\n  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get]\n';
const rf904 = (extra: Record<string, string>) => messages(run({ 'rbac.yaml': BINDING, ...extra }), 'RF904');

describe('assignedOnce and expandWord', () => {
  it("make's operators are read in a Makefile only: in a script `NS = ci` runs the command NS", () => {
    const text = 'A := x\nB ?= y\nC = z\nD=w\n';
    expect(Object.fromEntries(assignedOnce(text, MAKE))).toEqual({ A: 'x', B: 'y', C: 'z', D: 'w' });
    expect(Object.fromEntries(assignedOnce(text, SCRIPT))).toEqual({ D: 'w' });
  });

  it('a comment after a blank ends the value; two different values: not known', () => {
    expect(Object.fromEntries(assignedOnce('SA=ci-runner # the manager\nNS=a\nNS=b\nV=1\nV=1\n', SCRIPT))).toEqual({ SA: 'ci-runner', NS: null, V: '1' });
  });

  it('chains are followed; `$(X)` is a variable in a Makefile and a command in a script', () => {
    const vars = assignedOnce('BASE=ci\nSA=${BASE}-runner\nNS=$SA\n', SCRIPT);
    expect(expandWord('$NS', vars, SCRIPT)).toBe('ci-runner');
    expect(expandWord('$(NS)', vars, SCRIPT)).toBeUndefined();
    // make reads a value's `$SA` as `$(S)` then `A` (stop 59): the Makefile's chain is written `$(SA)`.
    expect(expandWord('$(NS)', assignedOnce('BASE=ci\nSA=${BASE}-runner\nNS=$(SA)\n', MAKE), MAKE)).toBe('ci-runner');
  });

  it('a cycle (`a=$b`, `b=$a`) and a self-reference are not known, and the words around them do not make them so', () => {
    const vars = assignedOnce('a=$b\nb=$a\nc=$c\nd=x-$a\n', SCRIPT);
    for (const w of ['$a', '$b', '${c}', '$d', 'pre-$a-$b']) expect(expandWord(w, vars, SCRIPT)).toBeUndefined();
  });

  it('a wide cycle (60 names each naming all the others) is read once per name', () => {
    const names = Array.from({ length: 60 }, (_, i) => `v${i}`);
    const text = names.map((n) => `${n}=${names.map((m) => `$${m}`).join('')}\n`).join('');
    expect(expandWord('$v0', assignedOnce(text, SCRIPT), SCRIPT)).toBeUndefined();
  });
});

describe('hostile input to the readers of shell-vars.ts', () => {
  const blanks = '\n'.repeat(200_000);
  const spaces = ' \t'.repeat(100_000);
  const word = 'a'.repeat(200_000);
  for (const forms of [SCRIPT, MAKE]) {
    it(`assignedOnce (${forms.makefile ? 'Makefile' : 'script'}): 200,000 blank lines, a line of 200,000 blanks, a 200,000-character word`, () => {
      expect(assignedOnce(`${blanks}NS=ci\n`, forms).get('NS')).toBe('ci');
      expect(assignedOnce(`${spaces}\nNS=ci\n`, forms).get('NS')).toBe('ci');
      expect(assignedOnce(`${word}\nNS=ci\n`, forms).get('NS')).toBe('ci');
      expect(assignedOnce(`${word} =${word}\n`, forms).get(word)).toBe(forms.makefile ? word : undefined);
      expect(assignedOnce(`NS=${word}${spaces}#\n`, forms).get('NS')).toBe(word);
      // Not a literal: absent before stop 59, null (set otherwise, not known) since.
      expect(assignedOnce(`NS=${word}"'\n`, forms).get('NS') ?? null).toBeNull();
    });
  }
  it('expandWord: a 200,000-character word and a chain over 200,000-character values', () => {
    const vars = assignedOnce(`A=${word}\nB=$A\n`, SCRIPT);
    expect(expandWord(`$${word}`, vars, SCRIPT)).toBeUndefined();
    // Longer than any word a command takes: not read.
    expect(expandWord('$B', vars, SCRIPT)).toBeUndefined();
    expect(expandWord('$'.repeat(200_000), vars, SCRIPT)).toBeUndefined();
  });
  it('assignedInForce: 200,000 blank lines and a 200,000-character word before the command', () => {
    const script = `NS=ci\n${blanks}X=${word}\n${word}\ngitlab-runner register`;
    const vars = assignedInForce(script, script.indexOf('gitlab-runner register'));
    expect(vars.get('NS')).toBe('ci');
    expect(vars.get('X')).toBe(word);
  });
});

describe('kubectl create serviceaccount: names read as helm reads its words', () => {
  it('a name set from another variable (a chain) is read', () => {
    const [m] = rf904({ 'setup.sh': 'BASE=ci\nSA="${BASE}-runner"\nkubectl create sa "$SA" -n "$BASE"\n' });
    expect(m).toMatch(/`kubectl create serviceaccount` at setup\.sh:3 makes it, a command the doctor does not run/);
  });
  it('a name whose assignment ends in a comment is read', () => {
    const [m] = rf904({ 'setup.sh': 'SA=ci-runner # the manager\nkubectl create serviceaccount $SA -n ci\n' });
    expect(m).toMatch(/`kubectl create serviceaccount` at setup\.sh:2 makes it, a command the doctor does not run/);
  });
  it('a cycle, or a name set in make\'s form in a script, is not read', () => {
    for (const script of ['a=$b\nb=$a\nkubectl create sa $a -n ci\n', 'SA := ci-runner\nkubectl create sa $SA -n ci\n', 'SA=ci-runner\nkubectl create sa $(SA) -n ci\n']) {
      const [m] = rf904({ 'setup.sh': script });
      expect(m).toMatch(/binds service account ci\/ci-runner, which does not exist among the objects given$/);
    }
  });
});

describe('helm commands: variables of a script are the shell\'s', () => {
  it('`NS = ci` in a script is not an assignment, nor `$(NS)` a variable: the namespace is not known', () => {
    for (const script of ['NS = ci\nhelm upgrade --install runner gitlab/gitlab-runner -n $NS -f values.yaml\n', 'NS=ci\nhelm upgrade --install runner gitlab/gitlab-runner -n $(NS) -f values.yaml\n']) {
      const r = run({ 'deploy.sh': script, 'values.yaml': VALUES });
      expect(messages(r, 'RF903').some((m) => m.includes('its namespace'))).toBe(true);
      expect(managers(r).some((l) => l.startsWith('manager ci/'))).toBe(false);
    }
  });
  it('the same in a Makefile is read', () => {
    const r = run({ Makefile: 'NS = ci\ndeploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n $(NS) -f values.yaml\n', 'values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
});
