import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assignedInForce, inForce } from '../src/doctor/shell-vars.js';
import { report } from './helpers/tools.js';

/**
 * Stop 64e: what the shell reader says of an assignment that shares its line with other words
 * (`{ NS=b; }`, `then NS=b; …`, a case arm `x | y) NS=b`). Each answer was checked against bash 5.2
 * on this machine (in each case's comment), and is checked again here where bash is on the machine.
 * assignedInForce reads a register command's user data (vm.ts): its value, or why a name is not
 * known, which the doctor prints with the finding. inForce reads a `.sh` script's helm commands.
 */

const CMD = 'helm upgrade r gitlab/gitlab-runner -n "$NS"';
/** NS where the last helm runs, as a register command's user data reads it, and why it is not known. */
const register = (text: string) => {
  const why = new Map<string, { by: string; line: number }>();
  const value = assignedInForce(text, text.lastIndexOf('helm'), why).get('NS');
  return { value, why: why.get('NS')?.by };
};
/** NS where each helm runs, as a `.sh` script's commands read it. */
const nsAt = (text: string) => {
  const vars = inForce(text);
  return [...text.matchAll(/helm /g)].map((m) => vars.at(m.index).get('NS'));
};
/** What bash prints with each helm command replaced by `echo "$NS"`, with `$1` = x; undefined without bash. */
const bashSays = (text: string): string[] | undefined => {
  try {
    return execFileSync('bash', ['-c', text.replaceAll(CMD, 'echo "$NS"'), 'bash', 'x'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').slice(0, -1);
  } catch {
    return undefined;
  }
};

describe('1. a group on one line: `{ NS=b; }` (a register command\'s user data)', () => {
  // bash 5.2: `NS=a; { NS=b; }; echo "$NS"` prints b: a group runs in the shell itself.
  it('after it NS is b, as bash prints (it was not known, "an assignment whose value only boot knows", which is not why)', () => {
    for (const g of ['{ NS=b; }', '{ NS="b"; }', "{ NS='b'; }", '{ export NS=b; }']) {
      const text = `NS=a\n${g}\n${CMD}\n`;
      expect(bashSays(text) ?? ['b']).toEqual(['b']);
      expect(register(text)).toEqual({ value: 'b', why: undefined });
      expect(nsAt(text)).toEqual(['b']);
    }
  });
  it('twins: a value that names a variable stays one only boot knows; a group piped runs in a subshell (bash prints a), not known here', () => {
    expect(register(`NS=a\n{ NS="$X"; }\n${CMD}\n`)).toEqual({ value: undefined, why: 'an assignment whose value only boot knows' });
    expect(register(`NS=a\n{ NS=$(cat f); }\n${CMD}\n`)).toEqual({ value: undefined, why: 'an assignment whose value only boot knows' });
    const piped = `NS=a\n{ NS=b; } | cat\n${CMD}\n`;
    expect(bashSays(piped) ?? ['a']).toEqual(['a']);
    expect(register(piped).value).toBeUndefined();
    // A line that is one assignment is read as before.
    expect(register(`NS=b\n${CMD}\n`)).toEqual({ value: 'b', why: undefined });
  });
});

describe('2. why a name is not known, where its assignment shares a line with other words', () => {
  it('in a block that may not run: said so (it was "an assignment whose value only boot knows")', () => {
    // bash 5.2: `NS=a; if test "$1" = y; then { NS=b; }; fi; echo "$NS"` prints a with $1 = x: the branch may not run.
    const text = `NS=a\nif test "$1" = y; then { NS=b; }; fi\n${CMD}\n`;
    expect(bashSays(text) ?? ['a']).toEqual(['a']);
    expect(register(text)).toEqual({ value: undefined, why: 'an assignment in a block that may not run before the command' });
    expect(register(`NS=a\nif test "$1" = y; then NS=b; fi\n${CMD}\n`)).toEqual({ value: undefined, why: 'an assignment in a block that may not run before the command' });
  });
  it('a case arm whose pattern has alternatives (`x | y)`): the arm may not run, not "an assignment after `|`" (no pipe there)', () => {
    // bash 5.2, $1 = x: prints b; with $1 = z, a: not known after it.
    const text = `NS=a\ncase $1 in x | y) NS=b;; esac\n${CMD}\n`;
    expect(bashSays(text) ?? ['b']).toEqual(['b']);
    expect(register(text)).toEqual({ value: undefined, why: 'an assignment in a block that may not run before the command' });
    // The twin: a real pipe is still said so.
    expect(register(`NS=a\necho x | NS=b\n${CMD}\n`)).toEqual({ value: undefined, why: 'an assignment after `|`, which may not run' });
  });
});

describe('3. a command in the same block as the assignment reads it (a `.sh` script)', () => {
  it('`then NS=b; helm …`, `do NS=b; helm …`, a case arm `x | y) NS=b; helm …`: b where helm runs, as bash prints (it was not known)', () => {
    // bash 5.2, $1 = x: each prints b, then a after the block (not known here: the block may not run).
    for (const block of [`if test "$1" = x; then NS=b; ${CMD}; fi`, `for i in 1; do NS=b; ${CMD}; done`, `case $1 in x | y) NS=b; ${CMD};; esac`, `case $1 in\n  x) NS=b; ${CMD};;\nesac`]) {
      const text = `NS=a\n${block}\n${CMD}\n`;
      expect(bashSays(text) ?? ['b', 'b']).toEqual(['b', 'b']);
      expect(nsAt(text)).toEqual(['b', undefined]);
    }
  });
  it('twins: a value set in another arm or before `else` is not the one in force', () => {
    // bash 5.2, $1 = x: prints a (the arm y) does not run).
    const text = `NS=a\ncase $1 in y) NS=b;; x) ${CMD};; esac\n`;
    expect(bashSays(text) ?? ['a']).toEqual(['a']);
    expect(nsAt(text)).toEqual([undefined]);
    expect(nsAt(`NS=a\nif test "$1" = x; then NS=b; else ${CMD}; fi\n`)).toEqual([undefined]);
  });
});

it('the bash comparisons ran, or say why not (each case above falls back to the answer bash 5.2 gave)', () => {
  const hello = bashSays(`NS=x\n${CMD}\n`);
  report(hello === undefined ? 'SKIPPED: bash comparisons (64e): bash did not run on this machine' : 'RAN: bash comparisons (64e)');
  // Where bash runs, the harness itself must hold: the helm command replaced by `echo "$NS"` prints x.
  if (hello !== undefined) expect(hello).toEqual(['x']);
});
