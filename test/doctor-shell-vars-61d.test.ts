import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { codeMessages as messages, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { assignedOnce, expandWord, recipeWord } from '../src/doctor/shell-vars.js';

/**
 * Stop 61d: the gaps stop 60d left in the shell readers: a Makefile recipe's `'$$X'`, make's
 * `$(eval …)` and `define` bodies, a plain CI line ending in `\` that YAML folds, `f() ( … )`
 * functions, and RF903's wording per mode.
 */

const MAKE = { makefile: true };
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\nserviceAccount:\n  create: true\n  name: runner\n';
const BINDING = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ci-runner\n    namespace: ci\n';
const namespaceUnknown = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('its namespace'));
const makefile = (text: string) => run({ Makefile: text, 'values.yaml': VALUES });

describe("1. a Makefile recipe's '$$X': make gives the shell '$X', the characters as written", () => {
  const set = (arg: string) => makefile(`deploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml --set ${arg}\n`);
  const unknownSet = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('--set runners.tags'));
  it("--set 'runners.tags=$$X' is read as written: no 'known only when the command runs'", () => {
    expect(unknownSet(set("'runners.tags=$$X'"))).toBe(false);
  });
  it('twins: "runners.tags=$$X" and runners.tags=$$X are the shell\'s X, which the recipe does not set: known only when it runs', () => {
    expect(unknownSet(set('"runners.tags=$$X"'))).toBe(true);
    expect(unknownSet(set('runners.tags=$$X'))).toBe(true);
  });
  it("-n '$$NS' installs into the namespace named `$NS` as written; -n \"$$NS\" is not known; -n '$(NS)' is make's NS", () => {
    const mk = (ns: string) => makefile(`NS = ci\ndeploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n ${ns} -f values.yaml\n`);
    expect(managers(mk("'$$NS'"))).toEqual(['manager $NS/runner (Makefile:3:2)']);
    expect(namespaceUnknown(mk('"$$NS"'))).toBe(true);
    expect(managers(mk("'$(NS)'"))).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
  it("kubectl create sa '$$SA' in a Makefile makes the ServiceAccount named `$SA`, not SA's value; $(SA) makes ci-runner", () => {
    const made = (sa: string) => messages(run({ Makefile: `SA = ci-runner\nsa:\n\tkubectl create sa ${sa} -n ci\n`, 'rbac.yaml': BINDING }), 'RF904');
    expect(made("'$$SA'")[0]).toMatch(/which does not exist among the objects given$/);
    expect(made("'$(SA)'")[0]).toMatch(/`kubectl create serviceaccount` at Makefile:3 makes it/);
  });
  it('recipeWord: quoted $$ a literal $, quoted $(X) make\'s, unquoted $$ the shell\'s; expandWord reads each so', () => {
    const vars = assignedOnce('NS = ci\n', MAKE);
    expect(recipeWord('$$NS', '\\$\\$NS')).toBe('\\$NS');
    expect(expandWord(recipeWord('$$NS', '\\$\\$NS'), vars, MAKE)).toBe('$NS');
    expect(expandWord(recipeWord('$(NS)', '\\$(NS)'), vars, MAKE)).toBe('ci');
    expect(expandWord(recipeWord('$$$(NS)', '\\$\\$\\$(NS)'), vars, MAKE)).toBe('$ci');
    expect(expandWord(recipeWord('$$NS'), vars, MAKE)).toBeUndefined();
    expect(expandWord(recipeWord('a\\b$(NS)'), vars, MAKE)).toBe('a\\bci');
  });
  it("hostile: a 200,000-character single-quoted value of $$, and 200,000 blank lines before the recipe", () => {
    expect(unknownSet(set(`'runners.tags=${'$$'.repeat(100_000)}'`))).toBe(true);
    expect(unknownSet(makefile(`${'\n'.repeat(200_000)}deploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml --set 'runners.tags=$$X'\n`))).toBe(false);
  });
});
