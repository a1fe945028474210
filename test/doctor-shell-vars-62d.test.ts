import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { codeMessages as messages, doctorTexts as run, managerLines as managers } from './helpers/doctor.js';
import { assignedOnce, inForce, makeVarsAt } from '../src/doctor/shell-vars.js';

/**
 * Stop 62d: stop 61d's leftovers in the shell and Makefile readers: a recipe's `NS=b ./x` (the shell's
 * environment prefix, not make's assignment), a plain subshell `( NS=b; … )`, `$(eval $(X))` where X
 * holds an assignment, and target-specific variables (`deploy: NS = b`). Where make is on the machine,
 * each Makefile's answer is checked against what make 4.3 itself prints.
 */

const MAKE = { makefile: true };
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\n';
const ns = (text: string) => assignedOnce(text, MAKE).get('NS');
const namespaceUnknown = (r: DoctorResult) => messages(r, 'RF903').some((m) => m.includes('its namespace'));
const HELM = 'helm upgrade --install runner gitlab/gitlab-runner -n $(NS) -f values.yaml';
const makefile = (text: string) => run({ Makefile: text, 'values.yaml': VALUES });

/** What make prints for `$(NS)` when it builds `goal` of the Makefile `text` (a `show` recipe is added per target by the caller); undefined without make. */
const makeSays = (text: string, goal: string): string | undefined => {
  let dir: string;
  try {
    execFileSync('make', ['--version'], { stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'rf-62d-'));
  } catch {
    return undefined;
  }
  writeFileSync(join(dir, 'Makefile'), text);
  return execFileSync('make', ['-s', '-C', dir, goal], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
};

describe("1. a recipe's line is the shell's: `\\tNS=b ./x` sets no make variable", () => {
  it('NS=b ./x, NS=b alone, and NS = b in a recipe: NS stays ci (make says so too)', () => {
    for (const line of ['NS=b ./x', 'NS=b', 'NS = b', 'export NS=b', 'override NS = b']) {
      const text = `NS = ci\ndeploy:\n\t${line}\n\n# a comment\n\t@echo $(NS)\n`;
      expect(ns(text)).toBe('ci');
      const said = makeSays(text.replace(`\t${line}\n`, `\t@true ${line.replace(/\$/g, '$$$$')}\n`), 'deploy');
      if (said !== undefined) expect(said).toBe('ci');
    }
  });
  it('the helm command of the recipe reads ci', () => {
    expect(managers(makefile(`NS = ci\ndeploy:\n\tNS=b ./prepare.sh\n\t${HELM}\n`))).toEqual(['manager ci/default (Makefile:4:2)']);
  });
  it('twins: a tab line before any rule, or after a variable\'s line ends the rule, is the Makefile\'s (make 4.3 reads it so): NS not known', () => {
    const before = '\tNS = b\nNS ?= ci\nshow:\n\t@echo $(NS)\n';
    expect(ns(before)).toBeNull();
    const after = 'NS = ci\nall:\n\t@echo x\nX = 1\n\tNS = z\nshow:\n\t@echo $(NS)\n';
    expect(ns(after)).toBeNull();
    for (const [text, want] of [[before, 'b'], [after, 'z']] as const) {
      const said = makeSays(text, 'show');
      if (said !== undefined) expect(said).toBe(want);
    }
  });
  it("a recipe line ending in `\\` goes on: the next line is the recipe's too", () => {
    expect(ns('NS = ci\ndeploy:\n\techo \\\nNS = b\n')).toBe('ci');
    expect(ns('NS = ci\ndeploy:\n\techo\nNS = b\n')).toBeNull();
  });
  it('hostile: 100,000 recipe lines of NS=b and a 200,000-character recipe line: linear, NS stays ci', () => {
    const work = (n: number) => {
      const count = { steps: 0 };
      expect(assignedOnce(`NS = ci\ndeploy:\n${'\tNS=b ./x\n'.repeat(n)}\t${'a'.repeat(200_000)}\n`, MAKE, count).get('NS')).toBe('ci');
      return count.steps;
    };
    expect(work(100_000) / work(10_000)).toBeLessThan(12);
  });
});

describe('3. $(eval $(X)) where X holds an assignment: the name it sets is not known', () => {
  it('SET = NS = b, then $(eval $(SET)): NS not known (make prints b), and the helm command\'s namespace is said not known', () => {
    const text = 'NS = ci\nSET = NS = b\n$(eval $(SET))\nshow:\n\t@echo $(NS)\n';
    expect(ns(text)).toBeNull();
    const said = makeSays(text, 'show');
    if (said !== undefined) expect(said).toBe('b');
    expect(namespaceUnknown(makefile(`NS = ci\nSET := NS := b\ndeploy:\n\t$(eval $(SET))\n\t${HELM}\n`))).toBe(true);
  });
  it('through another name: A = $(B), B = NS := c, $(eval $(A)): NS not known (make prints c); $(eval $(value A)) too', () => {
    const text = 'NS = ci\nA = $(B)\nB = NS := c\n$(eval $(A))\nshow:\n\t@echo $(NS)\n';
    expect(ns(text)).toBeNull();
    const said = makeSays(text, 'show');
    if (said !== undefined) expect(said).toBe('c');
    expect(ns('NS = ci\nA = NS = b\n$(eval $(value A))\n')).toBeNull();
  });
  it('twins: X that sets another name, or X never handed to eval: NS stays ci', () => {
    expect(ns('NS = ci\nSET = TAG = b\n$(eval $(SET))\n')).toBe('ci');
    expect(ns('NS = ci\nSET = NS = b\nshow:\n\t@echo $(SET)\n')).toBe('ci');
    expect(managers(makefile(`NS = ci\nSET := TAG := b\ndeploy:\n\t$(eval $(SET))\n\t${HELM}\n`))).toEqual(['manager ci/default (Makefile:5:2)']);
  });
  it('hostile: a cycle (A = $(B), B = $(A)) and a chain of 10,000 names end; linear', () => {
    expect(ns('NS = ci\nA = $(B)\nB = $(A)\n$(eval $(A))\n')).toBe('ci');
    const chain = (n: number) => `NS = ci\n${Array.from({ length: n }, (_, i) => `V${i} = $(V${i + 1})\n`).join('')}V${n} = NS = z\n$(eval $(V0))\n`;
    const count = { steps: 0 };
    expect(assignedOnce(chain(10_000), MAKE, count).get('NS')).toBeNull();
    expect(count.steps).toBeLessThan(10_000 * 20);
  });
});

describe('2. a plain subshell `( … )`: what it sets is in force inside it only (bash runs it in its own process)', () => {
  const script = (text: string) => run({ 'deploy.sh': `#!/bin/bash\n${text}`, 'values.yaml': VALUES });
  const H = (release: string) => `helm upgrade --install ${release} gitlab/gitlab-runner -n "$NS" -f values.yaml`;
  /** NS where each `helm` of the script runs (inForce), in order. */
  const nsAt = (text: string) => {
    const vars = inForce(text);
    return [...text.matchAll(/helm /g)].map((m) => vars.at(m.index).get('NS'));
  };
  /** What bash prints with each helm command replaced by `echo "$NS"`; undefined without bash. */
  const bashSays = (text: string): (string | undefined)[] | undefined => {
    try {
      return execFileSync('bash', ['-c', text.replace(/helm [^\n)]*values\.yaml/g, 'echo "$NS"')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').slice(0, -1);
    } catch {
      return undefined;
    }
  };
  const agree = (text: string, want: (string | undefined)[]) => {
    expect(nsAt(text)).toEqual(want);
    const said = bashSays(text);
    if (said !== undefined) expect(said).toEqual(want);
  };
  it('( NS=b; helm … -n "$NS" ), then helm … -n "$NS": b inside, a after (bash prints b, a); the doctor places the managers so', () => {
    const text = `NS=a\n( NS=b; ${H('r1')} )\n${H('r2')}\n`;
    agree(text, ['b', 'a']);
    expect(managers(script(text))).toEqual(['manager b/default (deploy.sh:3:9)', 'manager a/default (deploy.sh:4:1)']);
  });
  it('written tight, over lines, nested: the same', () => {
    agree(`NS=a\n(NS=b; ${H('r1')})\n${H('r2')}\n`, ['b', 'a']);
    agree(`NS=a\n(\n  NS=b\n  ${H('r1')}\n)\n${H('r2')}\n`, ['b', 'a']);
    agree(`NS=a\n( NS=b; ( NS=c ); ${H('r1')} )\n${H('r2')}\n`, ['b', 'a']);
    agree(`NS=a\n( NS=b )\n( ${H('r1')} )\n`, ['a']);
  });
  it('a source inside a subshell: not known inside, a after', () => {
    expect(nsAt(`NS=a\n( source ./env.sh; ${H('r1')} )\n${H('r2')}\n`)).toEqual([undefined, 'a']);
  });
  it("twins: a group `{ NS=b; }` runs in the shell's own process (b after it: stop 63e, bash prints b); a case pattern `x)` inside a subshell closes nothing", () => {
    agree(`NS=a\n{ NS=b; }\n${H('r1')}\n`, ['b']);
    expect(nsAt(`NS=a\n( case "$1" in x)\n  NS=b;; esac; ${H('r1')} )\n${H('r2')}\n`)).toEqual([undefined, 'a']);
  });
  it('hostile: 20,000 closed subshells before 2,000 commands: each command reads a, the work counted', () => {
    const text = (n: number) => `NS=a\n${'( NS=b )\n'.repeat(n)}${`${H('r')}\n`.repeat(n / 10)}`;
    const work = (n: number) => {
      const count = { steps: 0 };
      const t = text(n);
      const vars = inForce(t, count);
      for (const m of t.matchAll(/helm /g)) expect(vars.at(m.index).get('NS')).toBe('a');
      return count.steps;
    };
    expect(work(20_000) / work(2_000)).toBeLessThan(14);
  });
});

describe("4. a target's own value `deploy: NS = b`: in force in deploy's recipe and its prerequisites' when deploy is built", () => {
  const TEXT = (setting: string) => `NS = ci\n${setting}\ndeploy: prepare\n\t${HELM}\nprepare:\n\t@echo prepare $(NS)\nother:\n\thelm upgrade --install other gitlab/gitlab-runner -n $(NS) -f values.yaml\n`;
  const nsAt = (text: string) => {
    const vars = makeVarsAt(text);
    return [...text.matchAll(/helm |echo /g)].map((m) => vars.at(m.index).get('NS'));
  };
  it('deploy: NS = b (and override, export, :=): b in deploy, not known in prepare (b when deploy builds it, ci alone), ci in other; make agrees', () => {
    for (const setting of ['deploy: NS = b', 'deploy: override NS = b', 'deploy: export NS := b', 'deploy: private NS = b']) {
      expect(nsAt(TEXT(setting))).toEqual(['b', null, 'ci']);
    }
    const text = `NS = ci\ndeploy: NS = b\ndeploy: prepare\n\t@echo deploy $(NS)\nprepare:\n\t@echo prepare $(NS)\nother:\n\t@echo other $(NS)\n`;
    const [deploy, prepare, other] = ['deploy', 'prepare', 'other'].map((goal) => makeSays(text, goal));
    if (deploy !== undefined) {
      expect(deploy.split('\n')).toEqual(['prepare b', 'deploy b']);
      expect([prepare, other]).toEqual(['prepare ci', 'other ci']);
    }
  });
  it('the doctor places deploy\'s manager in b and other\'s in ci (before: both not known)', () => {
    const r = makefile(TEXT('deploy: NS = b'));
    expect(managers(r)).toEqual(['manager b/default (Makefile:4:2)', 'manager ci/default (Makefile:8:2)']);
  });
  it('twins: deploy: NS += b, two values, a pattern %-deploy: NS = b, a command outside any recipe', () => {
    expect(nsAt(TEXT('deploy: NS += b'))).toEqual([null, null, 'ci']);
    expect(nsAt(TEXT('deploy: NS = b\ndeploy: NS = c'))).toEqual([null, null, 'ci']);
    const pattern = `NS = ci\n%-deploy: NS = b\nrun-deploy:\n\t${HELM}\nother:\n\t${HELM}\n`;
    expect(nsAt(pattern)).toEqual(['b', 'ci']);
    expect(makeVarsAt(`NS = ci\ndeploy: NS = b\nX := $(shell helm list -n $(NS))\n`).at(40).get('NS')).toBeNull();
    // assignedOnce (the whole file at once) still says not known.
    expect(ns(TEXT('deploy: NS = b'))).toBeNull();
  });
  it('a prerequisite written with a variable (deploy: $(TARGETS)): NS not known in the other recipes, b in deploy\'s (make builds install with b)', () => {
    const text = `NS = ci\nTARGETS = install\ndeploy: NS = b\ndeploy: $(TARGETS)\n\t@echo deploy $(NS)\ninstall:\n\t@echo install $(NS)\nother:\n\t@echo other $(NS)\n`;
    // Before (stop 62d): install read ci, the file's value, where `make deploy` prints `install b`.
    expect(nsAt(text)).toEqual(['b', null, null]);
    const said = makeSays(text, 'deploy');
    if (said !== undefined) expect(said.split('\n')).toEqual(['install b', 'deploy b']);
    // Its twin: a literal prerequisite keeps other's ci.
    expect(nsAt(text.replace('deploy: $(TARGETS)', 'deploy: install'))).toEqual(['b', null, 'ci']);
  });
  it('hostile: 5,000 targets in a chain of prerequisites, each with its own value: the work counted, linear', () => {
    const chain = (n: number) => `NS = ci\n${Array.from({ length: n }, (_, i) => `t${i}: NS = v${i}\nt${i}: t${i + 1}\n\t@echo $(NS)\n`).join('')}`;
    const work = (n: number) => {
      const count = { steps: 0 };
      const text = chain(n);
      const vars = makeVarsAt(text, count);
      expect(vars.at(text.indexOf('@echo')).get('NS')).toBe('v0');
      return count.steps;
    };
    expect(work(5_000) / work(500)).toBeLessThan(14);
  });
});
