import { describe, expect, it } from 'vitest';
import { randomInt } from './helpers/rng.js';
import { firstKeyWhere, forgetKeyIndexes, keyMoved } from '../src/doctor/key-index.js';

/** What a scan of the map in its order answers: the oracle the index must agree with after every change. */
const scan = (byName: Record<string, Record<string, unknown>>, attr: string, value: unknown) => Object.keys(byName).find((k) => byName[k]![attr] === value);

/** rekey's move: the body under a new key, at the end of the map. */
function move(byName: Record<string, Record<string, unknown>>, from: string, to: string): void {
  byName[to] = byName[from]!;
  delete byName[from];
  keyMoved(byName, from, to);
}

describe('firstKeyWhere: the first resource holding a value, through an index kept in step', () => {
  it('answers the first key in the map order where several hold the value', () => {
    const roles = { a: { name: 'x' }, b: { name: 'y' }, c: { name: 'x' } };
    expect(firstKeyWhere(roles, 'name', 'x')).toBe('a');
    expect(firstKeyWhere(roles, 'name', 'y')).toBe('b');
    expect(firstKeyWhere(roles, 'name', 'z')).toBeUndefined();
    expect(firstKeyWhere(undefined, 'name', 'x')).toBeUndefined();
  });

  it('follows a rename: the moved key goes to the end, after another holder of its value', () => {
    const defs = { a: { family: 'f' }, b: { family: 'g' }, c: { family: 'f' } };
    expect(firstKeyWhere(defs, 'family', 'f')).toBe('a');
    move(defs, 'a', 'runner_jobs');
    expect(firstKeyWhere(defs, 'family', 'f')).toBe(scan(defs, 'family', 'f'));
    expect(firstKeyWhere(defs, 'family', 'f')).toBe('c');
    move(defs, 'b', 'other_jobs');
    expect(firstKeyWhere(defs, 'family', 'g')).toBe('other_jobs');
  });

  it('sees a resource added, and a body whose value changed, after the index was built', () => {
    const roles: Record<string, Record<string, unknown>> = { a: { name: 'x' } };
    expect(firstKeyWhere(roles, 'name', 'x')).toBe('a');
    roles.b = { name: 'new' };
    expect(firstKeyWhere(roles, 'name', 'new')).toBe('b');
    roles.a = { name: 'renamed' };
    expect(firstKeyWhere(roles, 'name', 'x')).toBeUndefined();
    expect(firstKeyWhere(roles, 'name', 'renamed')).toBe('a');
  });

  it('after forgetKeyIndexes, finds a body before the indexed first holder that came to hold the value', () => {
    const profiles: Record<string, Record<string, unknown>> = { a: {}, b: { name: 'p' } };
    expect(firstKeyWhere(profiles, 'name', 'p')).toBe('b');
    profiles.a!.name = 'p';
    forgetKeyIndexes(profiles);
    expect(firstKeyWhere(profiles, 'name', 'p')).toBe('a');
  });

  it('looks up a value holding a reference by a scan (a rewritten reference may come to equal it)', () => {
    const sgs: Record<string, Record<string, unknown>> = { a: { name: '${aws_x.old.name}' } };
    expect(firstKeyWhere(sgs, 'name', '${aws_x.new.name}')).toBeUndefined();
    sgs.a = { name: '${aws_x.new.name}' };
    expect(firstKeyWhere(sgs, 'name', '${aws_x.new.name}')).toBe('a');
  });

  it('agrees with a scan over a random run of lookups, additions, renames and body changes', () => {
    // mulberry32: every bit of it varies (a power-of-two LCG's low bits cycle, and would repeat one op sequence).
    const rnd = randomInt(20261204);
    const byName: Record<string, Record<string, unknown>> = {};
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const keys = Object.keys(byName);
      const op = rnd(4);
      if (op === 0 || keys.length === 0) byName[`k${next++}`] = { name: `n${rnd(12)}` };
      else if (op === 1) move(byName, keys[rnd(keys.length)]!, `k${next++}`);
      else if (op === 2) {
        // A literal changed in place: the caller tells the index, as root-strings and infer-vm do.
        byName[keys[rnd(keys.length)]!] = { name: `n${rnd(12)}` };
        forgetKeyIndexes(byName);
      }
      const value = `n${rnd(14)}`;
      expect(firstKeyWhere(byName, 'name', value)).toBe(scan(byName, 'name', value));
    }
  });
});
