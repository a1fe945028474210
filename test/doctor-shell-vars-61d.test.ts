import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { codeMessages as messages, codesIn, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { foldedView } from '../src/doctor/helm-command.js';
import { assignedInForce, assignedOnce, expandWord, inForce, recipeWord } from '../src/doctor/shell-vars.js';

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
  // Stop 62c: the namespace `$NS` as written is one Kubernetes refuses: RF948 at it, and no manager read in it.
  it("-n '$$NS' gives helm the namespace `$NS` as written, which Kubernetes refuses (RF948); -n \"$$NS\" is not known; -n '$(NS)' is make's NS", () => {
    const mk = (ns: string) => makefile(`NS = ci\ndeploy:\n\thelm upgrade --install runner gitlab/gitlab-runner -n ${ns} -f values.yaml\n`);
    expect(managers(mk("'$$NS'"))).toEqual([]);
    expect(mk("'$$NS'").findings.filter((f) => f.code === 'RF948').map((f) => f.received)).toEqual(['$NS']);
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

describe('2. make: $(eval X = …) is a change of X; a define body is a value, not lines of the Makefile; override', () => {
  const ns = (text: string) => assignedOnce(text, MAKE).get('NS');
  it('$(eval NS = b) in a recipe or at top level, and $(eval NS += b), $(eval NS := $(shell …)): NS not known', () => {
    for (const e of ['deploy:\n\t$(eval NS = b)\n', '$(eval NS := b)\n', '${eval NS ?= b}\n', '$(eval NS += b)\n', 'x:\n\t$(eval NS := $(shell cat ns))\n', '$(eval export NS = b)\n']) {
      expect(ns(`NS = ci\n${e}`)).toBeNull();
    }
  });
  it('twin: an eval that sets NS to the same literal, or sets another name: NS stays ci', () => {
    expect(ns('NS = ci\ndeploy:\n\t$(eval NS := ci)\n')).toBe('ci');
    expect(ns('NS = ci\ndeploy:\n\t$(eval TAG = b)\n')).toBe('ci');
    expect(assignedOnce('$(eval NS := ci)\n', MAKE).get('NS')).toBe('ci');
  });
  it('a helm command after $(eval NS = b) in its recipe: its namespace is said not known', () => {
    const mk = (extra: string) => makefile(`NS = ci\ndeploy:\n${extra}\thelm upgrade --install runner gitlab/gitlab-runner -n $(NS) -f values.yaml\n`);
    expect(namespaceUnknown(mk('\t$(eval NS = other)\n'))).toBe(true);
    expect(managers(mk(''))).toEqual(['manager ci/runner (Makefile:3:2)']);
  });
  it('an assignment inside define … endef is not the Makefile\'s; nested defines close at their own endef', () => {
    expect(ns('NS = ci\ndefine SETUP\nNS = b\nendef\n')).toBe('ci');
    expect(ns('define SETUP\nNS = b\nendef\n')).toBeUndefined();
    expect(ns('NS = ci\ndefine A\ndefine B\nNS = c\nendef\nNS = b\nendef\n')).toBe('ci');
    // After the body's endef the Makefile's lines count again.
    expect(ns('define SETUP\nX = b\nendef\nNS = b\nNS = c\n')).toBeNull();
  });
  it('twin: a define body handed to $(eval …) is read as Makefile lines: NS not known', () => {
    expect(ns('NS = ci\ndefine SETUP\nNS = b\nendef\n$(eval $(SETUP))\n')).toBeNull();
    expect(ns('NS = ci\ndefine SETUP\nNS = $(1)\nendef\n$(eval $(call SETUP,b))\n')).toBeNull();
    expect(ns('NS = ci\ndefine SETUP\nNS = b\nendef\n$(eval $(call OTHER,b))\n')).toBe('ci');
  });
  it('override and export: `override NS = ci` wins over a later plain assignment; `export NS = ci` is an assignment', () => {
    expect(ns('override NS = ci\nNS = b\n')).toBe('ci');
    // Stop 59d read `NS = ci` with `override NS = b` as not known: the override's b holds, before or after.
    expect(ns('NS = ci\noverride NS = b\n')).toBe('b');
    expect(ns('override NS = ci\n$(eval NS = b)\n')).toBe('ci');
    expect(ns('override NS = ci\noverride NS = b\n')).toBeNull();
    expect(ns('override NS = ci\noverride NS += b\n')).toBeNull();
    expect(ns('NS = ci\nNS = b\n')).toBeNull();
    expect(ns('export NS = ci\n')).toBe('ci');
    expect(ns('export NS = ci\nexport NS := b\n')).toBeNull();
  });
  it('hostile: 200,000 blank lines, a 200,000-character word in a define and an eval, an unclosed define', () => {
    const word = 'a'.repeat(200_000);
    expect(ns(`NS = ci\n${'\n'.repeat(200_000)}$(eval NS = b)\n`)).toBeNull();
    expect(ns(`NS = ci\ndefine ${word}\nNS = b\n${word}\nendef\n$(eval ${word} = b)\n$(eval $(call X${word}\n`)).toBe('ci');
    expect(ns(`NS = ci\n${'$(eval '.repeat(40_000)}\n`)).toBe('ci');
    expect(ns(`NS = ci\ndefine X\n${'NS = b\n'.repeat(1000)}`)).toBe('ci');
  });
  it('a 20,000-line Makefile of define bodies and $(eval …): the answer of a 2,000-line one, its work counted by lines', () => {
    const body = (n: number) => Array.from({ length: n / 5 }, (_, i) => `define D${i}\nNS = d${i}\nendef\nT${i} = x\n\t$(eval T${i} := y)\n`).join('');
    const work = (n: number): number => {
      const count = { steps: 0 };
      const vars = assignedOnce(`NS = ci\n${body(n)}`, MAKE, count);
      expect(vars.get('NS')).toBe('ci');
      expect(vars.get('T7')).toBeNull();
      // Each define's name and each T: D0…, T0….
      expect(vars.size).toBe(1 + (2 * n) / 5);
      return count.steps;
    };
    const [small, large] = [work(2_000), work(20_000)];
    expect(large / small).toBeLessThan(11);
    expect(large).toBeLessThan(20_000 * 20);
  });
});

describe("3. a plain CI script line ending in `\\`: YAML folds it, and helm gets `\\ ` and the next word as one", () => {
  const ci = (script: string) => run({ '.gitlab-ci.yml': `deploy:\n  script:\n${script}`, 'values.yaml': VALUES });
  const strayNote = (r: DoctorResult) => messages(r, 'RF903').find((m) => m.includes('ends in `\\`'));
  it('a plain scalar `- helm … \\` then `-n ci`: RF903 at the command names the line, the word ` -n` and the fix', () => {
    const r = ci('    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml \\\n      -n ci\n');
    const note = strayNote(r);
    expect(note).toMatch(/^helm upgrade runner: the plain YAML scalar's line 3 ends in `\\`/);
    expect(note).toContain('helm is given the word ` -n`');
    expect(codesIn(r, 'RF903').find((f) => f.message === note)!.fix).toMatch(/remove the `\\` at the line ends/);
    // Read as the lines mean it, as before.
    expect(managers(r)).toEqual(['manager ci/runner (.gitlab-ci.yml:3:7)']);
  });
  it('twins: a literal block `|` keeps the break (the shell joins the lines), and a plain scalar without `\\` folds cleanly: no note', () => {
    const block = ci('    - |\n      helm upgrade --install runner gitlab/gitlab-runner -f values.yaml \\\n        -n ci\n');
    expect(strayNote(block)).toBeUndefined();
    expect(managers(block)).toEqual(['manager ci/runner (.gitlab-ci.yml:4:7)']);
    const plain = ci('    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n      -n ci\n');
    expect(strayNote(plain)).toBeUndefined();
    expect(managers(plain)).toEqual(['manager ci/runner (.gitlab-ci.yml:3:7)']);
    // An empty line after the `\\` is a line break YAML keeps: the shell joins the lines.
    expect(strayNote(ci('    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml \\\n\n      -n ci\n'))).toBeUndefined();
  });
  it('foldedView gives the offset of each stray `\\` and keeps the text; none in a block or after a comment', () => {
    const text = 'script:\n  - helm upgrade r c \\\n    -n ci \\\n    -f v.yaml\n  - |\n    helm upgrade r c \\\n      -n ci\n';
    const strays: number[] = [];
    expect(foldedView(text, strays)).toBe(text);
    expect(strays.map((at) => text[at])).toEqual(['\\', '\\']);
    expect(strays).toEqual([text.indexOf('\\'), text.indexOf('\\', text.indexOf('\\') + 1)]);
    const commented: number[] = [];
    foldedView('- helm upgrade a b\n  -n ci # x \\\n  -f v\n', commented);
    expect(commented).toEqual([]);
  });
  it('hostile: 200,000 blank lines and a 200,000-character word in a plain scalar after a `\\`', () => {
    const word = 'a'.repeat(200_000);
    const strays: number[] = [];
    const text = `script:\n  - helm upgrade r c \\\n${'\n'.repeat(200_000)}    -n ci\n  - helm upgrade r c \\\n    ${word} \\\n    -n ci\n`;
    expect(foldedView(text, strays)).toBe(text);
    expect(strays).toHaveLength(2);
    expect(strayNote(ci(`    - helm upgrade --install runner gitlab/gitlab-runner -f values.yaml \\\n      ${word}\n`))).toContain('` a');
  });
});

describe('4. `f() ( … )`: a function whose body is a subshell; what it assigns is never the caller\'s', () => {
  const helm = 'helm upgrade --install one gitlab/gitlab-runner -n $NS -f values.yaml';
  const nsAt = (text: string) => inForce(text).at(text.lastIndexOf('helm')).get('NS');
  const registerAt = (text: string) => assignedInForce(text, text.lastIndexOf('helm')).get('NS');
  it('NS=a, then `f() (` … NS=b … `)` (called or not): NS is a after it, order-aware and for a register command', () => {
    for (const def of ['f() (\n  NS=b\n)\n', 'function f (\n  NS=b\n)\n', 'function f() (\n  NS=b\n)\n', 'f() (\n  NS=b\n)\nf\n', 'f() (\n  source ./env.sh\n  NS=b\n)\nf\n']) {
      expect(nsAt(`NS=a\n${def}${helm}\n`)).toBe('a');
      expect(registerAt(`NS=a\n${def}${helm}\n`)).toBe('a');
    }
    expect(managers(run({ 'deploy.sh': `NS=a\nf() (\n  NS=b\n)\nf\n${helm}\n`, 'values.yaml': VALUES }))).toEqual(['manager a/runner (deploy.sh:6:1)']);
  });
  it('twins: `f() { … }` (the caller\'s shell) leaves NS not known after it; a plain subshell `( … )` is its own process too (stop 62d: a after it)', () => {
    expect(nsAt(`NS=a\nf() {\n  NS=b\n}\nf\n${helm}\n`)).toBeUndefined();
    expect(nsAt(`NS=a\n(\n  NS=b\n)\n${helm}\n`)).toBe('a');
    expect(nsAt(`NS=a\nf() (\n  X=b\n)\n${helm}\n`)).toBe('a');
  });
  it('a command inside the subshell body reads the names set once in the file, as in a `{ … }` body', () => {
    const two = `NS=a\nf() (\n  ${helm}\n)\nNS=c\nf\n`;
    expect(inForce(two).at(two.indexOf('helm')).get('NS')).toBeNull();
    const text = `f() (\n  ${helm}\n)\nNS=a\nf\n`;
    expect(inForce(text).at(text.indexOf('helm')).get('NS')).toBe('a');
  });
  it('hostile: 200,000 blank lines in the body and a 200,000-character word before it', () => {
    const word = 'a'.repeat(200_000);
    expect(nsAt(`NS=a\n${word}\nf() (\n${'\n'.repeat(200_000)}  NS=b\n)\n${helm}\n`)).toBe('a');
    expect(nsAt(`NS=a\nf() (\n  NS=${word}\n)\n${helm}\n`)).toBe('a');
  });
});

describe("5. RF903's words say what each mode reads", () => {
  const cmd = 'helm upgrade --install one gitlab/gitlab-runner -n $NS -f values.yaml --version $V';
  const ns = (r: DoctorResult) => codesIn(r, 'RF903').find((f) => f.message.includes('its namespace'))!;
  it('a .sh script (read in order): "not set to a literal before this command", and the fix says before the command', () => {
    const f = ns(run({ 'deploy.sh': `${cmd}\nNS=a\n`, 'values.yaml': VALUES }));
    expect(f.message).toContain('a variable the script does not set to a literal before this command (it runs top to bottom once)');
    expect(f.fix).toBe('write the namespace literally, or set the variable to a literal before the command');
  });
  it('twins: a Makefile and a CI file (set once): "does not set once to a literal", the fix in the same file', () => {
    const mk = ns(makefile(`deploy:\n\t${cmd.replace('$NS', '$(NS)')}\n`));
    expect(mk.message).toContain('a variable the Makefile does not set once to a literal (make reads the whole file before a recipe runs)');
    expect(mk.fix).toBe('write the namespace literally, or set the variable once to a literal in the same file');
    const ci = ns(run({ '.gitlab-ci.yml': `deploy:\n  script:\n    - ${cmd}\n`, 'values.yaml': VALUES }));
    expect(ci.message).toContain('a variable the file does not set once to a literal (its jobs are not one run of its lines in order)');
  });
  it('the chart version\'s clause at a script\'s command says the same, and its fix', () => {
    const f = codesIn(run({ 'deploy.sh': `NS=a\n${cmd}\n`, 'values.yaml': VALUES }), 'RF903').find((x) => x.message.includes('the chart version'))!;
    expect(f.message).toContain('is known only when the command runs');
    expect(f.fix).toContain('set the variables to literals before the command');
  });
});
