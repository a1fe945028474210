import type { DiagramGraph } from './diagram/graph.js';

/**
 * What emitters return: plain data, one entry per output file. Serialisation to bytes
 * happens later (emit/serialize.ts) with real JSON, YAML and TOML libraries.
 */
export type Artifact =
  | { path: string; format: 'json'; content: unknown }
  | { path: string; format: 'yaml'; content: unknown[]; comment?: string }
  | { path: string; format: 'toml'; content: Record<string, unknown> }
  | { path: string; format: 'text'; content: string; mode?: 'markdown' | 'mermaid' | 'svg' | 'shell' }
  /** A diagram kept as a graph until serialisation, so `plan` does not pay for drawing it. */
  | { path: string; format: 'diagram'; content: DiagramGraph; render: 'svg' | 'mermaid' };

/** A Terraform JSON-syntax root (`main.tf.json`). */
export interface TerraformRoot {
  '//'?: string;
  terraform: Record<string, unknown>;
  provider?: Record<string, unknown>;
  variable?: Record<string, unknown>;
  locals?: Record<string, string>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, unknown>;
  /**
   * Only in a root the doctor read: inline policies (`aws_iam_role_policy`) whose document it could
   * not read (not statically known, not a valid policy), left out of `resource` and reported where
   * written. What their role may do is then not proven (never taken for "cannot"). Never serialized.
   */
  unreadPolicies?: { role: unknown; via: string }[];
  /**
   * Only in a root the doctor read from several Terraform roots given together: the `provider "aws"`
   * configurations of each resource's own root (`type.name` → that root's aws provider blocks), so a
   * resource never takes another root's default_tags. Absent for one root (`provider.aws` is its own).
   * Never serialized.
   */
  awsProvidersOf?: Map<string, readonly Record<string, unknown>[]>;
}

export type TerraformResources = Record<string, Record<string, Record<string, unknown>>>;

/**
 * A plain object from entries, each set as an own property (a key such as `__proto__` or
 * `constructor` is data, never the prototype). Emitted documents are plain JSON objects; names
 * are looked up in them only with Object.hasOwn.
 */
export function ownEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries) setOwn(out, k, v);
  return out;
}

/**
 * Sets an own, enumerable, writable data property. Plain assignment does exactly that for every
 * key but `__proto__` (the one accessor Object.prototype has; `constructor` and the like are data
 * properties there, which assignment shadows), and is much faster than defineProperty.
 */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * The object under own key `k` of `o`, made (an own `{}`) when there is none. `(o[k] ??= {})[name] = v`
 * with `k` = `__proto__` would write `name` into Object.prototype, for every object of the process.
 */
export function ownChild<T extends object>(o: Record<string, T>, k: string): T {
  if (Object.hasOwn(o, k)) return o[k]!;
  const child = {} as T;
  setOwn(o, k, child);
  return child;
}

/** Adds resources of one contribution into a root, refusing to overwrite (a name collision is a bug). */
export function mergeResources(into: TerraformResources, add: TerraformResources): void {
  // Keys, not entries: no pair arrays for the ~20 resources of every runner.
  for (const type of Object.keys(add)) {
    const byName = add[type]!;
    let target = Object.hasOwn(into, type) ? into[type]! : undefined;
    if (target === undefined) {
      target = {};
      setOwn(into, type, target);
    }
    for (const name of Object.keys(byName)) {
      if (Object.hasOwn(target, name)) throw new Error(`internal: terraform resource ${type}.${name} emitted twice`);
      setOwn(target, name, byName[name]!);
    }
  }
}

/**
 * One resource type's resources of a contribution, by name: `{ [name]: body }` for mergeResources
 * (which copies the bodies into the root and drops this object). A null prototype makes V8 keep
 * the object as a dictionary, so a name unique to one runner adds no hidden class: an object
 * literal with a computed key adds a map transition per new name to one shared map, thousands in
 * a large fleet, and inserting into that transition array was ~8 % of emit's instructions. The
 * key is data even if it is `__proto__` (nothing on the prototype chain to shadow).
 */
export function named<T>(name: string, body: T): Record<string, T> {
  const o = byName<T>();
  o[name] = body;
  return o;
}

/** An empty contribution object for resources by name: see named. */
export function byName<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Adds the resources of fragment `add` into fragment `into`, both fresh contributions of one
 * runner that nothing else holds (mergeResources later copies the bodies into the root): a type
 * `into` lacks takes `add`'s object for it as is, so no new object is built name by name.
 * Refuses to overwrite, as mergeResources does.
 */
export function mergeFragments(into: TerraformResources, add: TerraformResources): TerraformResources {
  for (const type of Object.keys(add)) {
    const byName = add[type]!;
    if (!Object.hasOwn(into, type)) {
      setOwn(into, type, byName);
      continue;
    }
    const target = into[type]!;
    for (const name of Object.keys(byName)) {
      if (Object.hasOwn(target, name)) throw new Error(`internal: terraform resource ${type}.${name} emitted twice`);
      setOwn(target, name, byName[name]!);
    }
  }
  return into;
}

/**
 * `{ ...a, ...b }` of plain data objects (own enumerable string keys; an absent part adds
 * nothing), built by adding each key in turn: the same keys, order and values as the spread. In
 * unoptimized code a spread followed by more keys made a new hidden class on every call (the
 * clone's map records no transitions), one per runner and object in a large fleet.
 */
export function merged<T>(...parts: (Readonly<Record<string, T>> | undefined)[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const p of parts) {
    if (p === undefined) continue;
    for (const k of Object.keys(p)) setOwn(out, k, p[k]!);
  }
  return out;
}

/** A Kubernetes object as emitted. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/**
 * Terraform resource names: letters, digits, underscores and hyphens, not starting with a digit.
 * The parts are joined with `_`; every other character (each UTF-16 unit) becomes `_`, and a
 * leading digit gets a `_` before it. Names of different parts can be the same (`a.b` and
 * `a_b`, or `a`, `b` and `a_b`): callers that key resources by them resolve that.
 */
export function tfName(first: string, second?: string, third?: string, ...more: string[]): string {
  // Emit and verify ask for the same few names of every runner many times: remember them, by the
  // parts themselves (a name of one part in a Map of its own, of two in a Map per first part), so a
  // name asked again costs a lookup or two of strings already hashed: no joined string is made and
  // hashed to find it. Three parts or more (few) are remembered by their joined text.
  if (second === undefined) {
    const name = tfNames1.get(first);
    if (name !== undefined) return name;
    return remember(tfNames1, first, newName(first));
  }
  if (third === undefined) {
    let bySecond = tfNames2.get(first);
    if (bySecond === undefined) tfNames2.set(first, (bySecond = new Map<string, string>()));
    const name = bySecond.get(second);
    if (name !== undefined) return name;
    return remember(bySecond, second, newName(`${first}_${second}`));
  }
  // Joined with +, not Array#join: on V8 11 (Node 20) join gives a two-byte string when a part
  // has been a property key (a runner name has), and one two-byte name makes every JSON text
  // and template it reaches two-byte, twice the memory of the Terraform roots.
  let joined = `${first}_${second}_${third}`;
  for (let i = 0; i < more.length; i++) joined += `_${more[i]!}`;
  const name = tfNamesJoined.get(joined);
  if (name !== undefined) return name;
  return remember(tfNamesJoined, joined, newName(joined));
}
const tfNames1 = new Map<string, string>();
const tfNames2 = new Map<string, Map<string, string>>();
const tfNamesJoined = new Map<string, string>();
let tfNamesHeld = 0;

/** Remembers `name` under `key` in `names` (one of tfName's), forgetting them all past 100,000. */
function remember(names: Map<string, string>, key: string, name: string): string {
  if (++tfNamesHeld > 100_000) {
    tfNames1.clear();
    tfNames2.clear();
    tfNamesJoined.clear();
    tfNamesHeld = 1;
  }
  names.set(key, name);
  return name;
}

/**
 * tfName's name of the joined parts: the text itself when it is one already (one scan of its
 * character codes, the usual case), else each character outside [A-Za-z0-9_-] made `_` and a
 * `_` put before a leading digit. Returned as its property-key copy: references interpolate it,
 * and an optimised template literal on V8 11 makes a two-byte string of a name that became a
 * key afterwards.
 */
function newName(joined: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    // A-Z, a-z, 0-9, '_', '-'.
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) continue;
    out += `${joined.slice(from, i)}_`;
    from = i + 1;
  }
  let name = from === 0 ? joined : out + joined.slice(from);
  const c0 = name.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) name = `_${name}`;
  return keyString(name);
}

/**
 * The string V8 keeps for `s` as a property key (equal to `s`). Read back from an object without a
 * prototype, which V8 keeps as a dictionary: an object literal with the computed key `{ [s]: 0 }`
 * added a hidden class (and a transition to it) per distinct name, thousands in a large fleet.
 * One such object per new name: one kept for the purpose, the key deleted after, cost more
 * (measured at stop 60: the delete dearer than the small object it saves).
 *
 * Kept on the figures of stop 61 (Node 20.20, V8 11.3): without it, the plan and files of the
 * 1,000-runner ecs-fargate bench fleet hold 23.5 MB more heap (124.4 -> 147.9 MB, twice, after a
 * full collection: the 23.5 M characters of terraform/aws/main.tf.json become two-byte), while the
 * CPU of plan + synth over the nine bench fleets differed by nothing beyond the load's noise (two
 * alternated runs of bench/phases.js each, load 12-15, sums 15.9 and 16.5 s with it, 16.8 and
 * 14.4 s without). ec2-docker's files held the same either way.
 */
function keyString(s: string): string {
  const o = Object.create(null) as Record<string, number>;
  o[s] = 0;
  return Object.keys(o)[0] ?? s;
}

export const DO_NOT_EDIT = 'Generated by runner-fleet from the fleet spec. Do not edit: change the spec and run `runner-fleet synth` again.';
