import { describe, expect, it } from 'vitest';
import { randomInt } from './helpers/rng.js';
import { changeBody, firstKeyWhere, keyMoved, keysWhere } from '../src/doctor/key-index.js';
import { mapBodyStrings } from '../src/doctor/root-strings.js';

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

  it('after changeBody, finds a body before the indexed first holder that came to hold the value', () => {
    const profiles: Record<string, Record<string, unknown>> = { a: {}, b: { name: 'p' } };
    expect(firstKeyWhere(profiles, 'name', 'p')).toBe('b');
    changeBody(profiles, 'a', () => (profiles.a!.name = 'p'));
    expect(firstKeyWhere(profiles, 'name', 'p')).toBe('a');
  });

  it('sees a reference rewritten by mapBodyStrings (a copy on write, as rekey does) under its new text', () => {
    const sgs: Record<string, Record<string, unknown>> = { a: { name: '${aws_x.old.name}' }, b: { name: '${aws_x.new.name}' } };
    expect(firstKeyWhere(sgs, 'name', '${aws_x.new.name}')).toBe('b');
    mapBodyStrings(sgs, 'a', (v) => v.replace('aws_x.old', 'aws_x.new'), { copyOnWrite: true });
    expect(firstKeyWhere(sgs, 'name', '${aws_x.new.name}')).toBe('a');
    expect(firstKeyWhere(sgs, 'name', '${aws_x.old.name}')).toBeUndefined();
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
        const k = keys[rnd(keys.length)]!;
        changeBody(byName, k, () => (byName[k] = { name: `n${rnd(12)}` }));
      }
      const value = `n${rnd(14)}`;
      expect(firstKeyWhere(byName, 'name', value)).toBe(scan(byName, 'name', value));
    }
  });
});

/** Every key whose attribute holds one of the values, in the map's order: the scan keysWhere must agree with. */
const scanAll = (byName: Record<string, Record<string, unknown>>, attr: string, values: readonly unknown[]) => Object.keys(byName).filter((k) => values.includes(byName[k]![attr]));

describe('keysWhere: the bucket policies of a bucket, through the index the rewrites keep in step', () => {
  it('answers every holder of any of the values, in the map order', () => {
    const policies = { p1: { bucket: 'b' }, p2: { bucket: '${aws_s3_bucket.c.id}' }, p3: { bucket: 'other' }, p4: { bucket: 'b' } };
    expect(keysWhere(policies, 'bucket', ['${aws_s3_bucket.c.id}', 'b'])).toEqual(['p1', 'p2', 'p4']);
    expect(keysWhere(policies, 'bucket', ['none'])).toEqual([]);
    expect(keysWhere(undefined, 'bucket', ['b'])).toEqual([]);
  });

  it('sees a policy whose bucket reference a rename rewrote after the index was built (a stale index would not)', () => {
    const policies: Record<string, Record<string, unknown>> = { cache: { bucket: '${aws_s3_bucket.cache.id}' }, logs: { bucket: '${aws_s3_bucket.logs.id}' } };
    expect(keysWhere(policies, 'bucket', ['${aws_s3_bucket.runner_cache.id}'])).toEqual([]);
    // rekey renames aws_s3_bucket.cache to runner_cache and rewrites the references to it (vm.ts rewriteReferences).
    mapBodyStrings(policies, 'cache', (v) => v.replace('aws_s3_bucket.cache.', 'aws_s3_bucket.runner_cache.'), { copyOnWrite: true });
    expect(keysWhere(policies, 'bucket', ['${aws_s3_bucket.runner_cache.id}'])).toEqual(['cache']);
    expect(keysWhere(policies, 'bucket', ['${aws_s3_bucket.cache.id}'])).toEqual([]);
    // In place too (the account settled into a root's strings).
    mapBodyStrings(policies, 'logs', (v) => v.replace('logs', 'runner_cache'), { copyOnWrite: false });
    expect(keysWhere(policies, 'bucket', ['${aws_s3_bucket.runner_cache.id}'])).toEqual(['cache', 'logs']);
  });

  it('agrees with a scan over a random run of lookups, additions, renames and rewrites', () => {
    const rnd = randomInt(20261206);
    const byName: Record<string, Record<string, unknown>> = {};
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const keys = Object.keys(byName);
      const op = rnd(5);
      if (op === 0 || keys.length === 0) {
        const k = `k${next++}`;
        changeBody(byName, k, () => (byName[k] = { bucket: `\${aws_s3_bucket.b${rnd(8)}.id}` }));
      } else if (op === 1) move(byName, keys[rnd(keys.length)]!, `k${next++}`);
      else if (op === 2 || op === 3) {
        // A reference renamed, by a copy (rekey) or in place.
        const to = `b${rnd(8)}`;
        mapBodyStrings(byName, keys[rnd(keys.length)]!, (v) => v.replace(/b\d+/, to), { copyOnWrite: op === 2 });
      }
      const values = [`\${aws_s3_bucket.b${rnd(9)}.id}`, `\${aws_s3_bucket.b${rnd(9)}.id}`];
      expect(keysWhere(byName, 'bucket', values)).toEqual(scanAll(byName, 'bucket', values));
    }
  });
});
