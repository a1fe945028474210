/**
 * `list.find((x) => x[field] === value)` in constant time: an index per list and field, built on
 * first use and rebuilt when the list's length changes (the model's lists are built, then read).
 * The first element with a value wins, as with `find`. For the fleet's long lists (runners,
 * identities), where a scan per runner made the pipeline quadratic.
 */
interface FieldIndex {
  length: number;
  map: Map<unknown, object>;
}
const indexes = new WeakMap<readonly object[], Map<PropertyKey, FieldIndex>>();
/** The same, every element by value (allBy). */
interface GroupIndex {
  length: number;
  map: Map<unknown, object[]>;
}
const groupIndexes = new WeakMap<readonly object[], Map<PropertyKey, GroupIndex>>();

export function findBy<T extends object, K extends keyof T>(list: readonly T[], field: K, value: T[K] | undefined): T | undefined {
  let byField = indexes.get(list);
  if (!byField) {
    byField = new Map();
    indexes.set(list, byField);
  }
  let index = byField.get(field);
  if (!index || index.length !== list.length) {
    const map = new Map<unknown, object>();
    for (const x of list) if (!map.has(x[field])) map.set(x[field], x);
    index = { length: list.length, map };
    byField.set(field, index);
  }
  return index.map.get(value) as T | undefined;
}

/**
 * `list.filter((x) => x[field] === value)`, in the list's order, by the same kind of index as findBy
 * (per list and field, rebuilt when the list's length changes). The array returned is the index's
 * own: read it, never change it.
 */
export function allBy<T extends object, K extends keyof T>(list: readonly T[], field: K, value: T[K] | undefined): readonly T[] {
  let byField = groupIndexes.get(list);
  if (!byField) {
    byField = new Map();
    groupIndexes.set(list, byField);
  }
  let index = byField.get(field);
  if (!index || index.length !== list.length) {
    const map = new Map<unknown, object[]>();
    for (const x of list) {
      const group = map.get(x[field]);
      if (group) group.push(x);
      else map.set(x[field], [x]);
    }
    index = { length: list.length, map };
    byField.set(field, index);
  }
  return (index.map.get(value) ?? []) as unknown as readonly T[];
}
