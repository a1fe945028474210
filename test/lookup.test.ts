import { describe, expect, it } from 'vitest';
import { allBy, findBy } from '../src/model/lookup.js';
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
