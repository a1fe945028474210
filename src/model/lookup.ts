/**
 * `list.find((x) => x[field] === value)` in constant time: an index per list and field, built on
 * first use and rebuilt when the list's length changes (the model's lists are built, then read).
 * The first element with a value wins, as with `find`. For the fleet's long lists (runners,
 * identities), where a scan per runner made the pipeline quadratic. findWith and allWith do the same
 * by a key function (keep the function in a constant: the index is per list and function).
 */

/** A list's elements grouped by key, in the list's order, as of the list's length when built. */
interface Index {
  length: number;
  map: Map<unknown, object[]>;
}
const indexes = new WeakMap<readonly object[], Map<unknown, Index>>();

/** The index of `list` by `by` (a field, or a key function), built once and again when the list's length changed. */
function indexOf<T extends object>(list: readonly T[], by: PropertyKey | ((x: T) => unknown)): Map<unknown, object[]> {
  let byKey = indexes.get(list);
  if (!byKey) {
    byKey = new Map();
    indexes.set(list, byKey);
  }
  let index = byKey.get(by);
  if (!index || index.length !== list.length) {
    const map = new Map<unknown, object[]>();
    const keyOf = typeof by === 'function' ? by : (x: T) => x[by as keyof T];
    for (const x of list) {
      const k = keyOf(x);
      const group = map.get(k);
      if (group) group.push(x);
      else map.set(k, [x]);
    }
    index = { length: list.length, map };
    byKey.set(by, index);
  }
  return index.map;
}

export function findBy<T extends object, K extends keyof T>(list: readonly T[], field: K, value: T[K] | undefined): T | undefined {
  return indexOf(list, field).get(value)?.[0] as T | undefined;
}

/**
 * `list.filter((x) => x[field] === value)`, in the list's order, by the same index as findBy
 * (per list and field, rebuilt when the list's length changes). The array returned is the index's
 * own: read it, never change it.
 */
export function allBy<T extends object, K extends keyof T>(list: readonly T[], field: K, value: T[K] | undefined): readonly T[] {
  return (indexOf(list, field).get(value) ?? []) as unknown as readonly T[];
}

/** `list.find((x) => key(x) === value)` by the index of findBy, per list and key function. */
export function findWith<T extends object, V>(list: readonly T[], key: (x: T) => V, value: V): T | undefined {
  return indexOf(list, key).get(value)?.[0] as T | undefined;
}

/** `list.filter((x) => key(x) === value)`, in the list's order, by the index of allBy, per list and key function (the index's own array: read it only). */
export function allWith<T extends object, V>(list: readonly T[], key: (x: T) => V, value: V): readonly T[] {
  return (indexOf(list, key).get(value) ?? []) as unknown as readonly T[];
}
