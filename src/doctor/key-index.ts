import { rootChanged } from '../verify/root-index.js';

/**
 * The resources of a Terraform root's map by name (`root.resource[type]`) whose attribute holds a
 * value: the lookups the doctor makes per runner (a role by its name, a task definition by its
 * family, a launch template by its name, the bucket policies of a bucket). A scan per lookup made
 * many deployments given together quadratic (400 folders: a scan of 400 task definitions per runner).
 *
 * One index per map and attribute (each value and the keys holding it, in the map's order), built
 * on first use. The doctor renames and rewrites resources while it reads runners, and this module is
 * the one place told of it, so every index follows each change as it is made:
 * - rekey (vm.ts) moves a resource to a new key at the end of the map: keyMoved;
 * - a body's strings rewritten, in place or by a changed copy (root-strings.ts mapBodyStrings: a
 *   renamed resource's references, the account settled), or a body replaced or given a stand-in
 *   name (infer-vm.ts): changeBody, which compares the indexed attributes before and after.
 * Updating in step, rather than dropping an index at each change, keeps the rekeys and lookups of
 * one runner after another linear; each change is counted for the tables of verify/root-index.ts.
 * As a guard against a change made elsewhere, firstKeyWhere uses a hit only while its key still
 * holds the value, and rebuilds once on a miss.
 */
type ByName = Record<string, Record<string, unknown>>;

/** A map's indexes: each key's place in the map's order, and per attribute each value's keys in that order. */
interface MapIndexes {
  at: Map<string, number>;
  next: number;
  byAttr: Map<string, Map<unknown, string[]>>;
}

const indexes = new WeakMap<ByName, MapIndexes>();

function build(byName: ByName, attr: string): Map<unknown, string[]> {
  let state = indexes.get(byName);
  if (!state) indexes.set(byName, (state = { at: new Map(), next: 0, byAttr: new Map() }));
  // The places anew: a key added since the last build gets its own (the map's order is unchanged for the others).
  const keys = Object.keys(byName);
  state.at = new Map(keys.map((k, i) => [k, i]));
  state.next = keys.length;
  const index = new Map<unknown, string[]>();
  for (const key of keys) {
    const v = byName[key]?.[attr];
    if (v === undefined) continue;
    const list = index.get(v);
    if (list) list.push(key);
    else index.set(v, [key]);
  }
  state.byAttr.set(attr, index);
  return index;
}

const holds = (byName: ByName, key: string | undefined, attr: string, value: unknown): key is string => key !== undefined && Object.hasOwn(byName, key) && byName[key]?.[attr] === value;

export function firstKeyWhere(byName: ByName | undefined, attr: string, value: unknown): string | undefined {
  if (byName === undefined || value === undefined) return undefined;
  const hit = indexes.get(byName)?.byAttr.get(attr)?.get(value)?.[0];
  if (holds(byName, hit, attr, value)) return hit;
  const fresh = build(byName, attr).get(value)?.[0];
  return holds(byName, fresh, attr, value) ? fresh : undefined;
}

/**
 * Every resource of the map whose attribute holds one of `values`, in the map's order (the bucket
 * policies of a bucket, written with its name or a reference to it). Believed as indexed: every
 * change to the map comes through changeBody and keyMoved.
 */
export function keysWhere(byName: ByName | undefined, attr: string, values: readonly unknown[]): string[] {
  if (byName === undefined) return [];
  const index = indexes.get(byName)?.byAttr.get(attr) ?? build(byName, attr);
  const found = [...new Set(values.flatMap((v) => index.get(v) ?? []))];
  const at = indexes.get(byName)!.at;
  const place = (k: string) => at.get(k) ?? Number.MAX_SAFE_INTEGER;
  return found.length > 1 ? found.sort((a, b) => place(a) - place(b)) : found;
}

/** Which of two keys of the map comes first in its order (the map indexed by firstKeyWhere or keysWhere). */
export function firstOfKeys(byName: ByName, a: string, b: string): string {
  const at = indexes.get(byName)?.at;
  const i = at?.get(a);
  const j = at?.get(b);
  if (i !== undefined && j !== undefined) return i <= j ? a : b;
  return Object.keys(byName).find((k) => k === a || k === b) ?? a;
}

/** Takes `key` out of the list of `value`. */
function drop(index: Map<unknown, string[]>, value: unknown, key: string): void {
  const list = value === undefined ? undefined : index.get(value);
  const i = list?.indexOf(key) ?? -1;
  if (i < 0) return;
  if (list!.length === 1) index.delete(value);
  else list!.splice(i, 1);
}

/** Puts `key` into the list of `value`, at its place in the map's order. */
function put(index: Map<unknown, string[]>, value: unknown, key: string, at: Map<string, number>): void {
  if (value === undefined) return;
  const list = index.get(value);
  if (!list) {
    index.set(value, [key]);
    return;
  }
  const mine = at.get(key) ?? Infinity;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((at.get(list[mid]!) ?? Infinity) <= mine) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, key);
}

/**
 * A resource of the map moved from key `from` to `to` (vm.ts rekey: the body is now the map's last
 * entry): its place in the indexes follows, so the lookups after a rename need no rebuild.
 */
export function keyMoved(byName: ByName, from: string, to: string): void {
  rootChanged();
  const state = indexes.get(byName);
  if (!state) return;
  state.at.delete(from);
  state.at.set(to, state.next++);
  const body = byName[to];
  for (const [attr, index] of state.byAttr) {
    const v = body?.[attr];
    drop(index, v, from);
    put(index, v, to, state.at);
  }
}

/**
 * Runs `change`, which rewrites the body `byName[key]` in place or replaces it (a changed copy, a
 * stand-in name), and brings the map's indexes along: each indexed attribute whose value changed
 * moves the key from the old value's keys to the new one's, at its place.
 */
export function changeBody(byName: ByName, key: string, change: () => void): void {
  rootChanged();
  const state = indexes.get(byName);
  if (!state) {
    change();
    return;
  }
  const attrs = [...state.byAttr.keys()];
  const before = attrs.map((a) => byName[key]?.[a]);
  change();
  // A key this map did not have when indexed (set by code that does not tell): a place after every other.
  if (!state.at.has(key)) state.at.set(key, state.next++);
  attrs.forEach((attr, i) => {
    const after = Object.hasOwn(byName, key) ? byName[key]?.[attr] : undefined;
    if (after === before[i]) return;
    const index = state.byAttr.get(attr)!;
    drop(index, before[i], key);
    put(index, after, key, state.at);
  });
}

/**
 * The first resource of a map, in its order, whose attribute is a string written somewhere in a
 * text: the token parameter a manager's user data names, among every parameter of the roots given.
 * A substring test of every resource per text made many deployments given together quadratic (400
 * folders: 400 parameters tried against each manager's user data). Built once for the texts that
 * follow: each literal value's first holder, found by a lookup per place of the text and value
 * length; values holding `${` (which rekey's reference rewrites change) are read again per text.
 * Between building and lookups no resource of the map may be added, removed or moved (inferVmRunners
 * rekeys no parameter); a literal holder that no longer holds its value sends the lookup to a scan.
 */
export function firstKeyWrittenIn(byName: ByName | undefined, attr: string): (text: string) => string | undefined {
  const keys = Object.keys(byName ?? {});
  const scan = (text: string) => keys.find((k) => {
    const v = byName?.[k]?.[attr];
    return typeof v === 'string' && text.includes(v);
  });
  // Each literal value at its first holder's place in the map; per first character, the lengths of the values and the last code units at each length.
  const firstAt = new Map<string, number>();
  const literal: (string | undefined)[] = [];
  const lengths = new Map<string, { n: number; last: Set<number> }[]>();
  const references: number[] = [];
  keys.forEach((k, i) => {
    const v = byName![k]?.[attr];
    if (typeof v !== 'string') return;
    if (v.includes('${')) references.push(i);
    else if (!firstAt.has(v)) {
      firstAt.set(v, i);
      literal[i] = v;
      let ns = lengths.get(v.slice(0, 1));
      if (!ns) lengths.set(v.slice(0, 1), (ns = []));
      let at = ns.find((x) => x.n === v.length);
      if (!at) ns.push((at = { n: v.length, last: new Set() }));
      at.last.add(v.charCodeAt(v.length - 1));
    }
  });
  // Which code units begin a value: most places of a text begin none, and are passed over at the cost of a read.
  const begins = new Uint8Array(0x10000);
  for (const first of lengths.keys()) if (first !== '') begins[first.charCodeAt(0)] = 1;
  return (text) => {
    let best = firstAt.get('') ?? keys.length;
    for (let at = 0; at < text.length; at++) {
      if (begins[text.charCodeAt(at)] === 0) continue;
      for (const { n, last } of lengths.get(text[at]!)!) {
        // The last code unit first: a string is cut and looked up only where both ends agree.
        const i = at + n <= text.length && last.has(text.charCodeAt(at + n - 1)) ? firstAt.get(text.slice(at, at + n)) : undefined;
        if (i !== undefined && i < best) best = i;
      }
    }
    if (best < keys.length && !(Object.hasOwn(byName!, keys[best]!) && byName![keys[best]!]?.[attr] === literal[best])) return scan(text);
    for (const i of references) {
      if (i >= best) break;
      const v = byName![keys[i]!]?.[attr];
      if (typeof v === 'string' && text.includes(v)) best = i;
    }
    return best < keys.length ? keys[best] : undefined;
  };
}
