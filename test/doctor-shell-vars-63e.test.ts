import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { assignedInForce, assignedOnce, inForce, makeVarsAt } from '../src/doctor/shell-vars.js';

/**
 * Stop 63e: shell and Makefile forms stop 62 left wrong or unread. Each answer was checked against
 * bash 5.2 and GNU make 4.3 on this machine (the output is in each case's comment), and is checked
 * again here where bash or make is on the machine. A wrong literal (the doctor compares the wrong
 * namespace) must become the right value or "not known" (undefined / null).
 */

const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\n';
const H = (release: string) => `helm upgrade --install ${release} gitlab/gitlab-runner -n "$NS" -f values.yaml`;
const script = (text: string) => run({ 'deploy.sh': `#!/bin/bash\n${text}`, 'values.yaml': VALUES });
/** NS where each `helm` of the script runs: inForce (a .sh script), in order. */
const nsAt = (text: string) => {
  const vars = inForce(text);
  return [...text.matchAll(/helm /g)].map((m) => vars.at(m.index).get('NS'));
};
/** NS where the last `helm` runs, for a register command (assignedInForce), and set once (a CI file's). */
const registerAt = (text: string) => assignedInForce(text, text.lastIndexOf('helm')).get('NS');
const once = (text: string) => assignedOnce(text, { makefile: false }).get('NS');
/** What bash prints with each helm command replaced by `echo "$NS"` (and `$1` x); undefined without bash. */
const bashSays = (text: string): string[] | undefined => {
  try {
    return execFileSync('bash', ['-c', text.replace(/helm [^\n)]*values\.yaml/g, 'echo "$NS"'), 'bash', 'x'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').slice(0, -1);
  } catch {
    return undefined;
  }
};
/** What make prints for `$(NS)` in the recipe of `all` (added here); undefined without make. */
const makeSays = (text: string): string | undefined => {
  let dir: string;
  try {
    execFileSync('make', ['--version'], { stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'rf-63e-'));
  } catch {
    return undefined;
  }
  writeFileSync(join(dir, 'Makefile'), `${text}all:\n\t@echo $(NS)\n`);
  return execFileSync('make', ['-s', '-C', dir, 'all'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
};

describe('1. a case written on one line: `case $1 in x) NS=b;; esac`', () => {
  // bash 5.2, $1 = x: `NS=a; case $1 in x) NS=b;; esac; echo "$NS"` prints b (with $1 = y, a): not known after it.
  it('after it NS is not known (it was read as a, a wrong literal: `NS=b` after `x)` was taken for an argument)', () => {
    const text = `NS=a\ncase $1 in x) NS=b;; esac\n${H('r1')}\n`;
    expect(bashSays(text) ?? ['b']).toEqual(['b']);
    expect(nsAt(text)).toEqual([undefined]);
    expect(registerAt(text)).toBeUndefined();
    expect(once(text)).toBeNull();
    expect(managers(script(text))).toEqual([]);
  });
  it('twins: the pattern written `(x)`, two arms, an empty arm and `y|x)` the same; an arm that sets nothing leaves a known (bash prints a)', () => {
    for (const c of ['case $1 in (x) NS=b;; esac', 'case $1 in y) X=1;; x) NS=b;; esac', 'case $1 in y) ;; x) NS=b ;; esac', 'case $1 in y|x) NS=b;; esac']) expect(nsAt(`NS=a\n${c}\n${H('r1')}\n`)).toEqual([undefined]);
    const text = `NS=a\ncase $1 in x) X=1;; esac\n${H('r1')}\n`;
    expect(bashSays(text) ?? ['a']).toEqual(['a']);
    expect(nsAt(text)).toEqual(['a']);
    expect(managers(script(text))).toEqual(['manager a/default (deploy.sh:4:1)']);
  });
});

describe('2. a brace group `{ NS=b; }` runs in the current shell', () => {
  // bash 5.2: `NS=a; { NS=b; }; echo "$NS"` prints b; `{ NS=b; } || true` b; `{ { NS=b; }; }` b;
  // `[ -n "$X" ] && { NS=b; }` a (X empty); `{ NS=b; } | cat` a (a pipeline's part is a subshell); `{ NS=b; } &` a.
  it('NS is b after it (was not known), over lines and nested too; the doctor places the manager in b', () => {
    for (const g of ['{ NS=b; }', '{ NS=b; } || true', '{ { NS=b; }; }', '{\n  NS=b\n}', '{ X=1; NS=b; }']) {
      const text = `NS=a\n${g}\n${H('r1')}\n`;
      expect(bashSays(text) ?? ['b']).toEqual(['b']);
      expect(nsAt(text)).toEqual(['b']);
    }
    expect(managers(script(`NS=a\n{ NS=b; }\n${H('r1')}\n`))).toEqual(['manager b/default (deploy.sh:4:1)']);
  });
  it('twins: after `&&`, piped, in the background, inside an `if`: not known (or a, where bash says a for sure)', () => {
    expect(nsAt(`NS=a\n[ -n "$X" ] && { NS=b; }\n${H('r1')}\n`)).toEqual([undefined]);
    expect(nsAt(`NS=a\n[ -n "$X" ] && { A=1; NS=b; }\n${H('r1')}\n`)).toEqual([undefined]);
    expect(nsAt(`NS=a\n{ NS=b; } | cat\n${H('r1')}\n`)).toEqual([undefined]);
    expect(nsAt(`NS=a\n{ NS=b; } &\n${H('r1')}\n`)).toEqual([undefined]);
    expect(nsAt(`NS=a\nif [ -n "$X" ]; then { NS=b; }; fi\n${H('r1')}\n`)).toEqual([undefined]);
    const sub = `NS=a\n{ ( NS=b ); }\n${H('r1')}\n`;
    expect(bashSays(sub) ?? ['a']).toEqual(['a']);
    expect(nsAt(sub)).toEqual(['a']);
  });
});

describe('3. arrays: `A=(1 2)`, `NS=(a b)`, `NS+=x`', () => {
  // bash 5.2: `NS=a; ( A=(1 2); NS=b ); echo "$NS"` prints a; `NS=(ci); echo "$NS"` ci; `NS=a; NS=(b c); echo "$NS"` b;
  // `NS=a; A=(x y) NS=b; echo "$NS"` b; `NS=a; NS+=x; echo "$NS"` ax; a subshell with an array over lines, then NS=b: a.
  it("an array's `)` in a subshell closed it (NS=b after it was read as the script's: b, a wrong literal); now a, as bash", () => {
    for (const text of [`NS=a\n( A=(1 2); NS=b )\n${H('r1')}\n`, `NS=a\n(\n  ARGS=(\n    --wait\n  )\n  NS=b\n)\n${H('r1')}\n`]) {
      expect(bashSays(text) ?? ['a']).toEqual(['a']);
      expect(nsAt(text)).toEqual(['a']);
      expect(registerAt(text)).toBe('a');
      expect(managers(script(text))).toEqual([`manager a/default (deploy.sh:${text.split('\n').length}:1)`]);
    }
  });
  it('an array over lines in an `if`: its `)` closed the `if`, so NS=b in it was read as always run (b); now not known', () => {
    const text = `NS=a\nif [ -n "$X" ]; then\n  ARGS=(\n    --wait\n  )\n  NS=b\nfi\n${H('r1')}\n`;
    expect(nsAt(text)).toEqual([undefined]);
    expect(registerAt(text)).toBeUndefined();
  });
  it('NS=(ci) was the literal "(ci)" (bash: ci); NS=(b c) after NS=a, and `A=(x y) NS=b`, were read as a (bash: b): now not known', () => {
    expect(bashSays(`NS=(ci)\n${H('r1')}\n`) ?? ['ci']).toEqual(['ci']);
    expect(registerAt(`NS=(ci)\n${H('r1')}\n`)).toBeUndefined();
    expect(once(`NS=(ci)\n${H('r1')}\n`)).toBeNull();
    for (const text of [`NS=a\nNS=(b c)\n${H('r1')}\n`, `NS=a\nA=(x y) NS=b\n${H('r1')}\n`]) {
      expect(bashSays(text) ?? ['b']).toEqual(['b']);
      expect(nsAt(text)).toEqual([undefined]);
      expect(registerAt(text)).toBeUndefined();
      expect(once(text)).toBeNull();
    }
  });
  it('twins: an array that closes and the subshell after it (`( A=(1 2)); NS=b`: b, bash b); `NS+=x` not known (bash ax)', () => {
    const text = `NS=a\n( A=(1 2)); NS=b\n${H('r1')}\n`;
    expect(bashSays(text) ?? ['b']).toEqual(['b']);
    expect(nsAt(text)).toEqual(['b']);
    expect(nsAt(`NS=a\nNS+=x\n${H('r1')}\n`)).toEqual([undefined]);
    expect(nsAt(`NS=a\n( A=(1 2); ${H('r1')} )\n`)).toEqual(['a']);
  });
});

describe('4. make: `$(eval $(shell …))` sets what only make knows', () => {
  // make 4.3: `NS = a` then `$(eval $(shell echo NS = b))`: `all: ; @echo $(NS)` prints b.
  it('NS = a and $(eval $(shell echo NS = b)): NS not known (it was a, a wrong literal)', () => {
    const text = 'NS = a\n$(eval $(shell echo NS = b))\n';
    expect(makeSays(text) ?? 'b').toBe('b');
    expect(assignedOnce(text, { makefile: true }).get('NS')).toBeNull();
    expect(makeVarsAt(`${text}all:\n\t${H('r')}\n`).at(text.length + 6).get('NS')).toBeNull();
  });
  it('twins: `$(eval $(call X))`, `$(eval $(X))` of a variable that sets nothing else, and `$(eval $(eval …))`: NS stays a (make prints a)', () => {
    for (const text of ['NS = a\nX = Y = 1\n$(eval $(X))\n', 'NS = a\ndefine X\nY = 1\nendef\n$(eval $(call X))\n', 'NS = a\n$(eval $(eval Y = 1))\n']) {
      expect(makeSays(text) ?? 'a').toBe('a');
      expect(assignedOnce(text, { makefile: true }).get('NS')).toBe('a');
    }
  });
});

describe("5. make: a tab line right after a target's own variable `t: X = v` is no recipe", () => {
  // make 4.3: `t: NS = v` then `\tNS = zz`: `all` prints zz (the line is read as the Makefile's); then
  // `\t@echo …` instead: "recipe commences before first target. Stop." (exit 2). It is never t's recipe.
  it('`\\tNS = zz` after `t: NS = v` is an assignment of the file (two values: not known) and no recipe of t', () => {
    const text = 'NS = a\nx:\n\t@echo x\nt: NS = v\n\tNS = zz\n';
    expect(makeSays(text) ?? 'zz').toBe('zz');
    expect(assignedOnce(text, { makefile: true }).get('NS')).toBeNull();
    const vars = makeVarsAt(`${text}all:\n\t${H('r')}\n`);
    expect(vars.at(text.indexOf('\tNS = zz')).get('NS')).toBeNull();
  });
});

describe('6. `{` and `}` are reserved words only where a command starts (stop 63, lead)', () => {
  // bash 5.2: `NS=a; if [ -n "$X" ]; then echo }; NS=b; fi; echo "$NS"` prints a ($X empty): the `}`
  // is echo's argument, so the `if` still holds `NS=b`; it was read as b (a wrong literal).
  it('`echo }` inside an if closes nothing: NS after the fi is not known', () => {
    const text = `NS=a\nif [ -n "$X" ]; then echo }; NS=b; fi\n${H('r1')}\n`;
    expect(bashSays(text) ?? ['a']).toEqual(['a']);
    expect(nsAt(text)).toEqual([undefined]);
  });
  it('twins: `echo {` opens nothing (NS=b after it is b, bash prints b); a group `{ NS=b; }` is still b', () => {
    const open = `NS=a\necho {\nNS=b\n${H('r1')}\n`;
    expect(bashSays(open) ?? ['{', 'b']).toEqual(['{', 'b']); // echo prints `{`, then b
    expect(nsAt(open)).toEqual(['b']);
    const group = `NS=a\n{ NS=b; }\n${H('r1')}\n`;
    expect(bashSays(group) ?? ['b']).toEqual(['b']);
    expect(nsAt(group)).toEqual(['b']);
  });
});
