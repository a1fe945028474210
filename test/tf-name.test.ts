import { describe, expect, it } from 'vitest';
import { tfName } from '../src/emit/artifacts.js';
import { seeded } from './helpers/rng.js';

/**
 * tfName's names, as the function wrote them up to stop 59 (parts joined by `_`, two regex
 * replaces): the specification the faster scan must keep, collisions included.
 */
function reference(...parts: string[]): string {
  return parts.join('_').replace(/[^A-Za-z0-9_-]/g, '_').replace(/^([0-9])/, '_$1');
}

/** Characters a part may hold: valid ones, the boundaries around each valid range, and what needs care (dots, spaces, unicode, a lone and a paired surrogate, control characters). */
const ALPHABET = ['a', 'z', 'A', 'Z', '0', '9', '_', '-', '.', ' ', '/', ':', '@', '`', '{', '[', '^', '\\', '\t', '\n', '\u0000', 'é', 'ß', 'ü', '\u00ff', 'Ж', '中', '\u202e', '\ud83d\ude00', '\ud800', '\u0660'];

function part(next: () => number): string {
  const length = Math.floor(next() * 9);
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return s;
}

describe('tfName', () => {
  it.each([
    [['fargate-0'], 'fargate-0'],
    [['fargate-0', 'manager'], 'fargate-0_manager'],
    [['fargate-0', 'manager', 'ssm'], 'fargate-0_manager_ssm'],
    [['0-runner'], '_0-runner'],
    [['9', 'x'], '_9_x'],
    [[''], ''],
    [['', 'x'], '_x'],
    [['x', ''], 'x_'],
    [['', '', ''], '__'],
    [['a.b'], 'a_b'],
    [['a b', 'c.d', 'e/f'], 'a_b_c_d_e_f'],
    [['.0'], '_0'],
    [['\u0660'], '_'],
    [['é-1'], '_-1'],
    [['\ud83d\ude00'], '__'],
    [['a', 'b', 'c', 'd', 'e'], 'a_b_c_d_e'],
  ])('%j -> %s', (parts, expected) => {
    const [first, ...rest] = parts as [string, ...string[]];
    expect(tfName(first, ...rest)).toBe(expected);
    expect(reference(...parts)).toBe(expected);
    // Asked again (now remembered): the same name.
    expect(tfName(first, ...rest)).toBe(expected);
  });

  it.each([20266001, 20266002, 20266003])('seed %i: 20,000 generated names of one to four parts equal the reference', (seed) => {
    const next = seeded(seed);
    const differ: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = 1 + Math.floor(next() * 4);
      const parts = Array.from({ length: n }, () => part(next));
      const [first, ...rest] = parts as [string, ...string[]];
      const got = tfName(first, ...rest);
      if (got !== reference(...parts)) differ.push(`${JSON.stringify(parts)}: ${got} != ${reference(...parts)}`);
      // Asked again, from what tfName remembered.
      if (tfName(first, ...rest) !== got) differ.push(`${JSON.stringify(parts)}: ${got} not remembered`);
    }
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it('1,000 near-duplicate runners collide exactly as before: the same names, the same groups', () => {
    // Runner names that differ only in characters a Terraform name cannot hold, each asked with
    // the parts emit asks for (one, two and three parts that join to the same text).
    const groups = new Map<string, Set<string>>();
    const expected = new Map<string, Set<string>>();
    const add = (m: Map<string, Set<string>>, name: string, by: string) => {
      if (!m.has(name)) m.set(name, new Set());
      m.get(name)!.add(by);
    };
    for (let i = 0; i < 1_000; i++) {
      const sep = ['-', '.', '_', ' ', 'é', '/'][i % 6]!;
      const base = `runner${sep}${Math.floor(i / 6)}`;
      for (const parts of [[base], [base, 'manager'], [`${base}_manager`], [base, 'manager', 'ssm'], [`${base}_manager`, 'ssm'], [`${base}_manager_ssm`], [`${i % 10}${base}`]]) {
        const [first, ...rest] = parts as [string, ...string[]];
        add(groups, tfName(first, ...rest), JSON.stringify(parts));
        add(expected, reference(...parts), JSON.stringify(parts));
      }
    }
    expect([...groups].map(([k, v]) => [k, [...v].sort()])).toEqual([...expected].map(([k, v]) => [k, [...v].sort()]));
    // Each separator but '-' and '_' collides with '_': five of the six spellings share a name.
    expect(groups.get('runner_0')?.size).toBe(5);
    expect(groups.get('runner_0_manager_ssm')?.size).toBe(5 * 3);
  });

  it('keeps its names right past the 100,000 it remembers (they are forgotten, then made again)', () => {
    const differ: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 60_000; i++) {
        const a = `r.${i}`;
        if (tfName(a, 'jobs') !== `r_${i}_jobs` || tfName(`${i}`) !== `_${i}`) differ.push(a);
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
  });
});
