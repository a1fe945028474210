import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { codeMessages as messages, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { foldedView } from '../src/doctor/helm-command.js';
import { assignedInForce, assignedOnce, expandWord, scriptWord } from '../src/doctor/shell-vars.js';

/**
 * Stop 59d: the gaps stop 58 left in shell-vars.ts's set-once reader (assignedOnce, expandWord) and
 * its callers: a name also set otherwise than to a literal is not known; make reads `$NAME` as `$N`
 * then `AME`; `'…'` is literal in a script; a plain YAML scalar over lines is one command.
 */

const SCRIPT = { makefile: false };
const MAKE = { makefile: true };
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\nserviceAccount:\n  create: true\n  name: runner\n';
const HELM = 'helm upgrade --install runner gitlab/gitlab-runner -n $NS -f values.yaml\n';
const BINDING = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ci-runner\n    namespace: ci\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: ci\nrules:\n  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get]\n';
const namespaceUnknown = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('its namespace'));

describe('1. a name also set otherwise than to a literal is not known', () => {
  const scriptChanges = [
    'NS="$(kubectl config view --minify -o jsonpath={..namespace})"',
    'NS=$(cat ns)',
    'NS=$OTHER_UNKNOWN',
    'read NS',
    'read -r NAME NS',
    'NS+=-b',
    'unset NS',
    'for NS in a b; do echo "$NS"; done',
    'export NS=',
    'local NS',
    'printf -v NS %s b',
    '[ -n "$CI" ] && NS=b',
    'NS="a b"',
  ];
  for (const change of scriptChanges) {
    it(`script: \`NS=ci\` and \`${change}\`: NS is not known; without it, ci`, () => {
      expect(assignedOnce(`NS=ci\n${change}\n`, SCRIPT).get('NS')).toBeNull();
      expect(assignedOnce(`NS=ci\n${change.replace(/NS/g, 'OTHER')}\n`, SCRIPT).get('NS')).toBe('ci');
    });
  }
  it('assignedInForce: `local NS` in a function before the command leaves NS empty there: not known', () => {
    const script = (decl: string) => `NS=ci\nsetup() {\n  ${decl}\n  gitlab-runner register --kubernetes-namespace "$NS"\n}\n`;
    const at = (s: string) => s.indexOf('gitlab-runner');
    expect(assignedInForce(script('local NS'), at(script('local NS'))).get('NS')).toBeUndefined();
    expect(assignedInForce(script('local OTHER'), at(script('local OTHER'))).get('NS')).toBe('ci');
  });
  it('script: an assignment that is a command\'s environment only (`NS=b cmd`) does not change NS', () => {
    expect(assignedOnce('NS=ci\nNS=b ./run.sh\n', SCRIPT).get('NS')).toBe('ci');
  });
  const makeChanges = ['NS += b', 'NS != cat ns', 'NS := $(shell cat ns)', 'override NS += b', 'define NS\nb\nendef', 'undefine NS', 'deploy: NS = b', 'deploy: export NS := b', 'NS = a b'];
  for (const change of makeChanges) {
    it(`Makefile: \`NS = ci\` and \`${change.replace(/\n/g, '⏎')}\`: NS is not known; without it, ci`, () => {
      expect(assignedOnce(`NS = ci\n${change}\n`, MAKE).get('NS')).toBeNull();
      expect(assignedOnce(`NS = ci\n${change.replace(/NS/g, 'OTHER')}\n`, MAKE).get('NS')).toBe('ci');
    });
  }
  it('Makefile: `override NS = ci` alone is a literal (it wins over the command line\'s)', () => {
    expect(assignedOnce('override NS = ci\n', MAKE).get('NS')).toBe('ci');
  });
  it('a helm command in a script after a reassignment from a command: its namespace is said unknown (RF903), not ci', () => {
    const changed = run({ 'deploy.sh': `NS=ci\nNS="$(kubectl config view --minify -o jsonpath='{..namespace}')"\n${HELM}`, 'values.yaml': VALUES });
    expect(namespaceUnknown(changed)).toBe(true);
    expect(managers(changed)).toEqual([]);
    const once = run({ 'deploy.sh': `NS=ci\n${HELM}`, 'values.yaml': VALUES });
    expect(managers(once)).toEqual(['manager ci/runner (deploy.sh:2:1)']);
  });
  it('a helm command in a Makefile after `NS += x`: its namespace is said unknown', () => {
    const mk = (extra: string) => run({ Makefile: `NS = ci\n${extra}deploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n $(NS) -f values.yaml\n`, 'values.yaml': VALUES });
    expect(namespaceUnknown(mk('NS += x\n'))).toBe(true);
    expect(managers(mk(''))).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
});

describe('2. make reads `$NAME` as the one-letter variable N, then `AME`', () => {
  const vars = assignedOnce('N = c\nNS = ci\n', MAKE);
  it('`$NS` in a Makefile is `$(N)` then `S`; in a script it is NS', () => {
    expect(expandWord('$NS', vars, MAKE)).toBe('cS');
    expect(expandWord('$NS', vars, SCRIPT)).toBe('ci');
    expect(expandWord('$(NS)', vars, MAKE)).toBe('ci');
    expect(expandWord('${NS}', vars, MAKE)).toBe('ci');
  });
  it('`$$NS` is the shell\'s NS when the recipe runs: not known, though make sets NS', () => {
    expect(expandWord('$$NS', vars, MAKE)).toBeUndefined();
    expect(expandWord('$$(NS)', vars, MAKE)).toBeUndefined();
  });
  it('a value naming another as `$B` in a Makefile is `$(B)`: the one-letter B', () => {
    expect(expandWord('$(A)', assignedOnce('A = $BASE\nBASE = ci\n', MAKE), MAKE)).toBeUndefined();
    expect(expandWord('$(A)', assignedOnce('A = $(BASE)\nBASE = ci\n', MAKE), MAKE)).toBe('ci');
  });
  it('a helm command in a Makefile with `-n $NS`: the namespace is not known (NS is set, N is not); `$(NS)` reads ci', () => {
    const mk = (ns: string) => run({ Makefile: `NS = ci\ndeploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n ${ns} -f values.yaml\n`, 'values.yaml': VALUES });
    for (const ns of ['$NS', '$$NS']) {
      const r = mk(ns);
      expect(namespaceUnknown(r)).toBe(true);
      expect(managers(r)).toEqual([]);
    }
    expect(managers(mk('$(NS)'))).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
  it('kubectl create serviceaccount $SA in a Makefile is not read as SA; $(SA) is', () => {
    const made = (sa: string) => messages(run({ Makefile: `SA = ci-runner\nsa:\n\tkubectl create sa ${sa} -n ci\n`, 'rbac.yaml': BINDING }), 'RF904');
    expect(made('$SA')[0]).toMatch(/which does not exist among the objects given$/);
    expect(made('$(SA)')[0]).toMatch(/`kubectl create serviceaccount` at Makefile:3 makes it/);
  });
});

describe("3. in a script `'…'` is literal: a `$` inside names the characters, not the variable", () => {
  it('expandWord takes `\\$` as a literal `$` in a script; scriptWord writes a `$` of `\'…\'` so', () => {
    const vars = assignedOnce('NS=ci\n', SCRIPT);
    expect(expandWord('\\$NS', vars, SCRIPT)).toBe('$NS');
    expect(expandWord('$NS', vars, SCRIPT)).toBe('ci');
    expect(scriptWord("'$NS'")).toBe('\\$NS');
    expect(scriptWord('"$NS"')).toBe('$NS');
    expect(scriptWord("a'$B'\"$C\"")).toBe('a\\$B$C');
  });
  it("a value set in single quotes (`X='$A'`) is the characters `$A`; in double quotes, A's value; in a Makefile, make expands it", () => {
    expect(expandWord('$X', assignedOnce("A=ci\nX='$A'\n", SCRIPT), SCRIPT)).toBe('$A');
    expect(expandWord('$X', assignedOnce('A=ci\nX="$A"\n', SCRIPT), SCRIPT)).toBe('ci');
    expect(expandWord('$(X)', assignedOnce("A = ci\nX = '$(A)'\n", MAKE), MAKE)).toBe('ci');
  });
  const helm = (file: string, text: string) => managers(run({ [file]: text, 'values.yaml': VALUES }));
  // Stop 62c: `$NS` as written is a namespace Kubernetes refuses (RF948, test/doctor-namespace-names-62c.test.ts): no manager is read in it.
  it("helm -n '$NS' in a script gives helm the namespace `$NS` as written, which Kubernetes refuses (no manager read); -n \"$NS\" installs into ci", () => {
    for (const ns of ["'$NS'", "--namespace='$NS'"]) {
      const r = run({ 'deploy.sh': `NS=ci\nhelm upgrade --install runner gitlab/gitlab-runner ${ns.startsWith('--') ? ns : `-n ${ns}`} -f values.yaml\n`, 'values.yaml': VALUES });
      expect(managers(r)).toEqual([]);
      expect(r.findings.filter((f) => f.code === 'RF948').map((f) => f.received)).toEqual(['$NS']);
    }
    expect(helm('deploy.sh', 'NS=ci\nhelm upgrade --install runner gitlab/gitlab-runner -n "$NS" -f values.yaml\n')).toEqual(['manager ci/runner (deploy.sh:2:1)']);
  });
  it("a chart named '$CHART' in a script is no runner chart (helm looks for a chart of that name); \"$CHART\" is", () => {
    const text = (chart: string) => `CHART=gitlab/gitlab-runner\nhelm upgrade --install runner ${chart} -n ci -f values.yaml\n`;
    expect(helm('deploy.sh', text("'$CHART'"))).toEqual([]);
    expect(helm('deploy.sh', text('"$CHART"'))).toEqual(['manager ci/runner (deploy.sh:2:1)']);
  });
  it("a Makefile's recipe -n '$(NS)' is make's NS: make expands it before the shell reads the quotes", () => {
    expect(helm('Makefile', "NS = ci\ndeploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n '$(NS)' -f values.yaml\n")).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
  it("kubectl create sa '$SA' in a script makes no ServiceAccount named SA's value; \"$SA\" does", () => {
    const made = (sa: string) => messages(run({ 'setup.sh': `SA=ci-runner\nkubectl create sa ${sa} -n ci\n`, 'rbac.yaml': BINDING }), 'RF904');
    expect(made("'$SA'")[0]).toMatch(/which does not exist among the objects given$/);
    expect(made('"$SA"')[0]).toMatch(/`kubectl create serviceaccount` at setup\.sh:2 makes it/);
  });
});

describe('4. a plain YAML scalar over lines in a CI script is one command', () => {
  const ci = (script: string) => run({ '.gitlab-ci.yml': `deploy:\n  script:\n${script}`, 'values.yaml': VALUES });
  const noNamespace = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.startsWith('helm upgrade runner: no -n/--namespace is given'));
  it('`- helm upgrade …` then `-n ci` more indented, no backslash: one command, namespace ci', () => {
    const r = ci('    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n      -n ci\n    - echo done\n');
    expect(managers(r)).toEqual(['manager ci/runner (.gitlab-ci.yml:3:7)']);
    expect(noNamespace(r)).toBe(false);
  });
  it('a GitHub workflow\'s `run:` plain value over lines, and `- key: value`, are read so', () => {
    const wf = 'on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: helm upgrade --install runner gitlab/gitlab-runner\n          -n ci -f values.yaml\n      - name: next\n        run: echo next\n';
    expect(managers(run({ '.github/workflows/deploy.yml': wf, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (.github/workflows/deploy.yml:6:14)']);
  });
  it('twins: the next item at the `-`\'s column, an empty line between, or a literal block keep the break: no -n', () => {
    for (const script of [
      '    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n    - -n ci\n',
      '    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n\n      -n ci\n',
      '    - |\n      helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n      -n ci\n',
    ]) expect(noNamespace(ci(script))).toBe(true);
  });
  it('a line ending in `\\` keeps its break (the shell joins it): read as before', () => {
    expect(managers(ci('    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml \\\n      -n ci\n'))).toEqual(['manager ci/runner (.gitlab-ci.yml:3:7)']);
  });
  it('foldedView keeps every offset and folds only between non-empty lines of one plain scalar', () => {
    const text = 'a:\n  - x\n    y\n\n    z\n  - w\nb: c\n  d\n# e\nf: |\n  - g\n    h\n';
    const view = foldedView(text);
    expect(view.length).toBe(text.length);
    expect(view).toBe('a:\n  - x     y\n\n    z\n  - w\nb: c   d\n# e\nf: |\n  - g\n    h\n');
  });
});

describe('hostile input to the readers changed at stop 59', () => {
  const blanks = '\n'.repeat(200_000);
  const word = 'a'.repeat(200_000);
  const spaces = ' \t'.repeat(100_000);
  it('assignedOnce, script: 200,000 blank lines and a 200,000-character word around a change', () => {
    expect(assignedOnce(`NS=ci\n${blanks}read NS\n`, SCRIPT).get('NS')).toBeNull();
    expect(assignedOnce(`NS=ci\n${word}\n${word}=$(x ${word})\n`, SCRIPT).get('NS')).toBe('ci');
    expect(assignedOnce(`NS=ci\n${spaces}\n${word}+=${word}\n`, SCRIPT).get(word)).toBeNull();
  });
  it('assignedOnce, Makefile: 200,000 blank lines, a 200,000-character target and word', () => {
    expect(assignedOnce(`NS = ci\n${blanks}NS += b\n`, MAKE).get('NS')).toBeNull();
    expect(assignedOnce(`NS = ci\n${word}:${spaces}\n${word}: ${word}\n${word}:${word}`, MAKE).get('NS')).toBe('ci');
    expect(assignedOnce(`NS = ci\n${word}: NS = b\n`, MAKE).get('NS')).toBeNull();
    expect(assignedOnce(`NS = ci\n${spaces}define${spaces}\n${word}${spaces}+\n`, MAKE).get('NS')).toBe('ci');
  });
  it("scriptWord and a helm command: a 200,000-character single-quoted word of dollars, and 200,000 blank lines before the command", () => {
    expect(scriptWord(`'${'$'.repeat(200_000)}'`)).toHaveLength(400_000);
    const r = run({ 'deploy.sh': `NS=ci\n${blanks}helm upgrade --install runner gitlab/gitlab-runner -n '${'$'.repeat(200_000)}' -f values.yaml\n`, 'values.yaml': VALUES });
    expect(managers(r)).toEqual([]);
  });
  it('foldedView: 200,000 blank lines and a 200,000-character word in a plain scalar, a 200,000-character line with no colon', () => {
    const text = `s:\n  - helm upgrade\n${blanks}    ${word}\n    ${word}\n${word}\n${'- '.repeat(100_000)}\n${word}:${spaces}\n`;
    const view = foldedView(text);
    expect(view.length).toBe(text.length);
    expect(view.includes(`    ${word}     ${word}\n`)).toBe(true);
  });
  it('expandWord: a 200,000-character word of dollars and names in either mode', () => {
    const vars = assignedOnce('N = x\n', MAKE);
    for (const forms of [SCRIPT, MAKE]) {
      expect(expandWord(`$${word}`, vars, forms)).toBeUndefined();
      expect(expandWord('$$'.repeat(100_000), vars, forms)).toBeUndefined();
    }
  });
});
