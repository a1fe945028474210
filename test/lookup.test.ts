import { describe, expect, it } from 'vitest';
import { allBy, allWith, findBy, findWith } from '../src/model/lookup.js';
import { randomInt } from './helpers/rng.js';

/**
 * The model's list lookups (src/model/lookup.ts) answer as `find` and `filter` do: the first element
 * with a value, and every element with it in the list's order, also after the list grew.
 */
describe('findBy and allBy: find and filter by one field, by an index per list', () => {
  it('agree with find and filter on random lists, and follow a list that grew', () => {
    const rnd = randomInt(20261260);
    for (let round = 0; round < 300; round++) {
      const list = Array.from({ length: rnd(15) }, (_, i) => ({ id: i, name: `n${rnd(5)}`, cluster: `c${rnd(3)}` }));
      for (const v of ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']) {
        expect(findBy(list, 'name', v)).toBe(list.find((x) => x.name === v));
        expect(allBy(list, 'name', v)).toEqual(list.filter((x) => x.name === v));
      }
      for (const v of ['c0', 'c1', 'c2']) expect(allBy(list, 'cluster', v)).toEqual(list.filter((x) => x.cluster === v));
      list.push({ id: list.length, name: 'late', cluster: 'c0' });
      expect(findBy(list, 'name', 'late')).toBe(list[list.length - 1]);
      expect(allBy(list, 'cluster', 'c0')).toEqual(list.filter((x) => x.cluster === 'c0'));
    }
  });

  it('a value no element has: undefined and an empty list', () => {
    const list = [{ name: 'a' }, { name: 'b' }];
    expect(findBy(list, 'name', 'z')).toBeUndefined();
    expect(allBy(list, 'name', 'z')).toEqual([]);
  });
});

describe('findWith and allWith: find and filter by a key function, by the index findBy and allBy share', () => {
  // Constants, as the index is per list and key function.
  const nsName = (x: { ns: string; name: string }) => `${x.ns}/${x.name}`;
  const entryName = ([, b]: [string, { name?: string }]) => b.name;
  it('agree with find and filter on random lists, beside findBy and allBy of the same list, and follow a list that grew', () => {
    const rnd = randomInt(20261206);
    let found = 0;
    for (let round = 0; round < 300; round++) {
      const list = Array.from({ length: rnd(15) }, (_, i) => ({ id: i, ns: `s${rnd(2)}`, name: `n${rnd(4)}` }));
      for (const v of ['s0/n0', 's0/n1', 's1/n2', 's1/n3', 's2/n0']) {
        expect(findWith(list, nsName, v)).toBe(list.find((x) => nsName(x) === v));
        expect(allWith(list, nsName, v)).toEqual(list.filter((x) => nsName(x) === v));
        expect(findBy(list, 'name', v.slice(3))).toBe(list.find((x) => x.name === v.slice(3)));
        if (findWith(list, nsName, v) !== undefined) found++;
      }
      list.push({ id: list.length, ns: 's0', name: 'n0' });
      expect(allWith(list, nsName, 's0/n0')).toEqual(list.filter((x) => nsName(x) === 's0/n0'));
      expect(allBy(list, 'ns', 's0')).toEqual(list.filter((x) => x.ns === 's0'));
      // Entries of a record, the first of a name (a body without one is keyed undefined, as find would compare it).
      const entries = Object.entries(Object.fromEntries(list.map((x) => [`k${x.id}`, rnd(5) === 0 ? {} : { name: x.name }])));
      for (const v of ['n0', 'n1', 'n2', 'n3', undefined]) expect(findWith(entries, entryName, v)).toBe(entries.find((e) => entryName(e) === v));
    }
    expect(found).toBeGreaterThan(500);
  });
});
