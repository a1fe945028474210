/**
 * The first resource of a Terraform root's map by name (`root.resource[type]`) whose attribute
 * holds a literal value: the lookup the doctor makes per runner (a role by its name, a task
 * definition by its family, a launch template by its name). A scan per lookup made many
 * deployments given together quadratic (400 folders: a scan of 400 task definitions per runner).
 *
 * One index per map and attribute (each value and the keys holding it, in the map's order), built
 * on first use. The doctor renames and rewrites resources while it reads runners, so:
 * - rekey (vm.ts) moves a resource to a new key at the end of the map and tells the index
 *   (keyMoved), which moves the key to the end of its value's list;
 * - a hit is used only while that key still holds the value, and a miss rebuilds the index once
 *   before it is believed (a resource added since);
 * - code that changes a literal attribute of a body in place (an instance profile given its
 *   stand-in name, the account settled into a root's strings) calls forgetKeyIndexes, since a body
 *   before the indexed first holder could come to hold the value;
 * - values holding `${` are looked up by a scan: the reference rewrites of rekey change only such
 *   strings, without telling the index.
 */
type ByName = Record<string, Record<string, unknown>>;

/** Per map and attribute: each value and the keys holding it, in the map's order. */
const indexes = new WeakMap<ByName, Map<string, Map<unknown, string[]>>>();

function build(byName: ByName, attr: string): Map<unknown, string[]> {
  const index = new Map<unknown, string[]>();
  for (const key of Object.keys(byName)) {
    const v = byName[key]?.[attr];
    if (v === undefined) continue;
    const keys = index.get(v);
    if (keys) keys.push(key);
    else index.set(v, [key]);
  }
  let byAttr = indexes.get(byName);
  if (!byAttr) indexes.set(byName, (byAttr = new Map<string, Map<unknown, string[]>>()));
  byAttr.set(attr, index);
  return index;
}

const holds = (byName: ByName, key: string | undefined, attr: string, value: unknown): key is string => key !== undefined && Object.hasOwn(byName, key) && byName[key]?.[attr] === value;

export function firstKeyWhere(byName: ByName | undefined, attr: string, value: unknown): string | undefined {
  if (byName === undefined || value === undefined) return undefined;
  if (typeof value === 'string' && value.includes('${')) return Object.keys(byName).find((k) => byName[k]?.[attr] === value);
  const hit = indexes.get(byName)?.get(attr)?.get(value)?.[0];
  if (holds(byName, hit, attr, value)) return hit;
  const fresh = build(byName, attr).get(value)?.[0];
  return holds(byName, fresh, attr, value) ? fresh : undefined;
}

/**
 * A resource of the map moved from key `from` to `to` (vm.ts rekey: the body is now the map's last
 * entry): its place in the indexes follows, so the lookups after a rename need no rebuild.
 */
export function keyMoved(byName: ByName, from: string, to: string): void {
  const byAttr = indexes.get(byName);
  if (!byAttr) return;
  const body = byName[to];
  for (const [attr, index] of byAttr) {
    const v = body?.[attr];
    const keys = v === undefined ? undefined : index.get(v);
    const at = keys?.indexOf(from) ?? -1;
    if (at < 0) continue;
    keys!.splice(at, 1);
    keys!.push(to);
  }
}

/** Drops the indexes of a map whose bodies' literal attributes were changed in place. */
export function forgetKeyIndexes(byName: ByName): void {
  indexes.delete(byName);
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
