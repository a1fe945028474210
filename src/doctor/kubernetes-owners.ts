import type { K8sObject } from '../emit/artifacts.js';
import type { Located } from './evidence.js';

/** What ownership reads of a runner chain: its namespaces, its manager's service account, the file it starts at. */
export interface OwnerChain {
  namespace: string;
  jobNamespace: string;
  managerSa: string;
  origin: { source: { path: string } };
}

/** Which runner chains the Kubernetes objects of the files belong to (see kubernetesOwners). */
export interface KubernetesOwners<C extends OwnerChain> {
  /** Whether the object belongs to the chain. */
  has(chain: C, o: Located<K8sObject>): boolean;
  /** An object `a` has a copy of and `b` another (so the two are of two deployments), preferring a's manager's ServiceAccount. */
  ownCopy(a: C, b: C): Located<K8sObject> | undefined;
  /** Whether copies of an object tell the two chains apart (two deployments). */
  apart(a: C, b: C): boolean;
  /** Whether two objects are of one deployment: a chain they both belong to (with no chain, yes). */
  together(a: Located<K8sObject>, b: Located<K8sObject>): boolean;
  /** The objects of a list that belong to the chain, in the list's order (found through the index, not by asking of each). */
  of<T extends Located<K8sObject>>(list: readonly T[], chain: C): T[];
  /**
   * The chain's cells in the splits of every chain and of its namespace's chains, as a key: of two
   * chains of one namespace where one also runs its jobs, `apart` holds exactly where their keys
   * differ (so a chain's match among many of its namespace is a lookup, not a question to each).
   */
  cellKey(c: C): string;
  /** The objects of a list `o` is together with, in the list's order: `list.filter((x) => together(o, x))`, through an index of the list. */
  togetherIn<T extends Located<K8sObject>>(list: readonly T[], o: Located<K8sObject>): T[];
}

/** The namespace of a namespaced object as written, a Namespace's own name; undefined for other cluster-wide objects and a namespaced one that names none. */
export function namespaceOf(o: K8sObject): string | undefined {
  return o.metadata.namespace ?? (o.kind === 'Namespace' ? o.metadata.name : undefined);
}

export const CLUSTER_WIDE = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** A file's folders, split once per path. */
const foldersOf = new Map<string, readonly string[]>();

/** The folders of a file's path, from the top. */
export function folders(p: string): readonly string[] {
  let f = foldersOf.get(p);
  if (f === undefined) {
    if (foldersOf.size > 100_000) foldersOf.clear();
    f = p.split(/[\\/]/).slice(0, -1);
    foldersOf.set(p, f);
  }
  return f;
}

/** The first `n` folders of a path, as a key (the count first: an empty folder name is still told from none). */
const prefixKey = (f: readonly string[], n: number): string => `${n}:${f.slice(0, n).join('\u0000')}`;

/** The chains of one candidate set whose files lie under one folder path: the owners of the objects nearest to it. */
interface Group<C> {
  id: number;
  /** The candidate set: '' every chain, `=ns` the chains of a namespace. */
  set: string;
  prefix: string;
  chains: Set<C>;
  /** The telling copies this group owns, with their places in the objects. */
  telling: [number, Located<K8sObject>][];
}

/**
 * Two deployments given together (a prod and a staging cluster, each in its own folder) often reuse
 * names: namespace gitlab-runner, service account gitlab-runner, Role gitlab-runner. An object whose
 * kind, namespace and name another object of the files repeats belongs to the chains nearest to it:
 * those whose file shares the longest folder path with its file (of its namespace for a namespaced
 * object, any chain for a cluster-wide one). Two chains such copies (other than of a Namespace) tell
 * apart are of two deployments, and every other object they could both read belongs to the nearer
 * too (so a RoleBinding only one of them gives is not the other's). Objects of chains no copy tells
 * apart belong to every chain, as one deployment's do.
 *
 * Decided through an index, not pair by pair (many deployments given together reuse one namespace):
 * each candidate set's chains by every folder path their files lie under, so an object's nearest
 * chains are the first such path found walking its own folders from the deepest up; each object's
 * owners are one shared group of them. The copies that tell chains apart split a candidate set into
 * the chains under a folder path and the rest; two chains are apart where some split has one inside
 * and the other not, that is where the deepest split path over each differs (its cell).
 */
export function kubernetesOwners<C extends OwnerChain>(objects: readonly Located<K8sObject>[], chains: readonly C[]): KubernetesOwners<C> {
  const key = (o: K8sObject): string => `${o.kind}\u0000${CLUSTER_WIDE.has(o.kind) ? '' : (o.metadata.namespace ?? 'default')}\u0000${o.metadata.name}`;
  const count = new Map<string, number>();
  for (const o of objects) count.set(key(o.value), (count.get(key(o.value)) ?? 0) + 1);
  /** The candidate set of an object: '' for every chain, `=ns` for its namespace's. */
  const setOf = (o: K8sObject): string => {
    const ns = CLUSTER_WIDE.has(o.kind) ? namespaceOf(o) : (o.metadata.namespace ?? 'default');
    return ns === undefined ? '' : `=${ns}`;
  };
  /** The candidate sets a chain is in. */
  const setsOfChain = (c: C): string[] => (c.jobNamespace === c.namespace ? ['', `=${c.namespace}`] : ['', `=${c.namespace}`, `=${c.jobNamespace}`]);
  const members = new Map<string, C[]>([['', [...chains]]]);
  for (const c of chains) for (const s of setsOfChain(c).slice(1)) {
    const list = members.get(s);
    if (list) list.push(c);
    else members.set(s, [c]);
  }
  // Each candidate set's chains under each folder path (built when an object first asks of the set).
  const tries = new Map<string, Map<string, C[]>>();
  const trieOf = (s: string): Map<string, C[]> => {
    let trie = tries.get(s);
    if (trie === undefined) {
      trie = new Map();
      for (const c of members.get(s) ?? []) {
        const f = folders(c.origin.source.path);
        for (let n = 0; n <= f.length; n++) {
          const k = prefixKey(f, n);
          const list = trie.get(k);
          if (list) list.push(c);
          else trie.set(k, [c]);
        }
      }
      tries.set(s, trie);
    }
    return trie;
  };
  const groups = new Map<string, Group<C>>();
  const none: Group<C> = { id: 0, set: '', prefix: '', chains: new Set(), telling: [] };
  let ids = 1;
  /** The nearest chains of the set to the object's file (none where the set has no chain). */
  const nearest = (o: Located<K8sObject>, s: string): Group<C> => {
    const trie = trieOf(s);
    const f = folders(o.origin.source.path);
    for (let n = f.length; n >= 0; n--) {
      const prefix = prefixKey(f, n);
      const found = trie.get(prefix);
      if (found === undefined) continue;
      const id = `${s}\u0001${prefix}`;
      let g = groups.get(id);
      if (g === undefined) {
        g = { id: ids++, set: s, prefix, chains: new Set(found), telling: [] };
        groups.set(id, g);
      }
      return g;
    }
    return none;
  };
  const owners = new Map<Located<K8sObject>, Group<C>>();
  // A Namespace declared in two folders may be one cluster's (each runner's folder declaring the
  // namespace both run in); two copies of a ServiceAccount or a Role of one name are not.
  const splits = new Map<string, Set<string>>();
  objects.forEach((o, i) => {
    if (count.get(key(o.value))! < 2) return;
    const s = setOf(o.value);
    const g = nearest(o, s);
    owners.set(o, g);
    if (o.value.kind === 'Namespace') return;
    g.telling.push([i, o]);
    if (g.chains.size === 0 || g.chains.size === (members.get(s)?.length ?? 0)) return;
    const set = splits.get(s);
    if (set) set.add(g.prefix);
    else splits.set(s, new Set([g.prefix]));
  });
  // A chain's cell in a set's splits: the deepest split path its file lies under ('' for none).
  const cells = new Map<string, Map<C, string>>();
  const cellOf = (s: string, c: C): string | undefined => {
    const split = splits.get(s);
    if (split === undefined) return undefined;
    let memo = cells.get(s);
    if (memo === undefined) cells.set(s, (memo = new Map<C, string>()));
    let cell = memo.get(c);
    if (cell === undefined) {
      cell = '';
      const f = folders(c.origin.source.path);
      for (let n = f.length; n >= 0; n--) {
        const k = prefixKey(f, n);
        if (split.has(k)) {
          cell = k;
          break;
        }
      }
      memo.set(c, cell);
    }
    return cell;
  };
  const inSet = (c: C, s: string): boolean => s === '' || c.namespace === s.slice(1) || c.jobNamespace === s.slice(1);
  const apart = (a: C, b: C): boolean => setsOfChain(a).some((s) => inSet(b, s) && splits.has(s) && cellOf(s, a) !== cellOf(s, b));
  if (splits.size > 0) {
    // Whether two chains of a candidate set are apart (in two cells of some split), once per set.
    const anyApart = new Map<string, boolean>();
    const splitIn = (t: string): boolean => {
      const first = new Map<string, string>();
      for (const c of members.get(t) ?? []) for (const s of setsOfChain(c)) {
        const cell = cellOf(s, c);
        if (cell === undefined) continue;
        const seen = first.get(s);
        if (seen === undefined) first.set(s, cell);
        else if (seen !== cell) return true;
      }
      return false;
    };
    for (const o of objects) {
      if (owners.has(o)) continue;
      const s = setOf(o.value);
      let split = anyApart.get(s);
      if (split === undefined) anyApart.set(s, (split = splitIn(s)));
      if (split) owners.set(o, nearest(o, s));
    }
  }
  /** The groups a chain is in: of each set it is in, each folder path over its file that has a group. */
  const groupsOfChain = (c: C, sets = setsOfChain(c)): Group<C>[] => {
    const f = folders(c.origin.source.path);
    const out: Group<C>[] = [];
    for (const s of sets) for (let n = 0; n <= f.length; n++) {
      const g = groups.get(`${s}\u0001${prefixKey(f, n)}`);
      if (g !== undefined) out.push(g);
    }
    return out;
  };
  const meets = new Map<string, boolean>();
  // Each list's objects by group, and those of no group (every chain's), by their places in it.
  const indexes = new WeakMap<readonly Located<K8sObject>[], { free: number[]; byGroup: Map<Group<C>, number[]> }>();
  const indexOf = (list: readonly Located<K8sObject>[]): { free: number[]; byGroup: Map<Group<C>, number[]> } => {
    let index = indexes.get(list);
    if (index === undefined) {
      index = { free: [], byGroup: new Map() };
      for (let i = 0; i < list.length; i++) {
        const g = owners.get(list[i]!);
        if (g === undefined) index.free.push(i);
        else {
          const at = index.byGroup.get(g);
          if (at) at.push(i);
          else index.byGroup.set(g, [i]);
        }
      }
      indexes.set(list, index);
    }
    return index;
  };
  // The groups that share a chain with a group (every group a chain of it is in), once per group.
  const meeting = new Map<Group<C>, Set<Group<C>>>();
  const meetingOf = (g: Group<C>): Set<Group<C>> => {
    let out = meeting.get(g);
    if (out === undefined) {
      out = new Set(g.chains.size > 0 ? [g] : []);
      for (const c of g.chains) for (const h of groupsOfChain(c)) if (h.chains.size > 0) out.add(h);
      meeting.set(g, out);
    }
    return out;
  };
  return {
    has: (chain, o) => owners.get(o)?.chains.has(chain) ?? true,
    apart,
    together: (a, b) => {
      if (chains.length === 0) return true;
      const ga = owners.get(a);
      const gb = owners.get(b);
      if (ga === undefined || gb === undefined) return (ga ?? gb ?? { chains: { size: 1 } }).chains.size > 0;
      if (ga === gb) return ga.chains.size > 0;
      const k = ga.id < gb.id ? `${ga.id},${gb.id}` : `${gb.id},${ga.id}`;
      let met = meets.get(k);
      if (met === undefined) {
        const [small, large] = ga.chains.size <= gb.chains.size ? [ga, gb] : [gb, ga];
        met = false;
        for (const c of small.chains) if (large.chains.has(c)) {
          met = true;
          break;
        }
        meets.set(k, met);
      }
      return met;
    },
    ownCopy: (a, b) => {
      const own: [number, Located<K8sObject>][] = [];
      for (const g of groupsOfChain(a, setsOfChain(a).filter((s) => inSet(b, s)))) if (!g.chains.has(b)) own.push(...g.telling);
      own.sort((x, y) => x[0] - y[0]);
      return (own.find(([, o]) => o.value.kind === 'ServiceAccount' && o.value.metadata.name === a.managerSa) ?? own[0])?.[1];
    },
    of: <T extends Located<K8sObject>>(list: readonly T[], chain: C): T[] => {
      const index = indexOf(list);
      const at = [...index.free];
      for (const g of groupsOfChain(chain)) at.push(...(index.byGroup.get(g) ?? []));
      if (at.length === index.free.length) return at.map((i) => list[i]!);
      at.sort((x, y) => x - y);
      return at.map((i) => list[i]!);
    },
    cellKey: (c) => ['', `=${c.namespace}`].map((s) => (splits.has(s) ? cellOf(s, c)! : '\u0002')).join('\u0001'),
    togetherIn: <T extends Located<K8sObject>>(list: readonly T[], o: Located<K8sObject>): T[] => {
      if (chains.length === 0) return [...list];
      const index = indexOf(list);
      const g = owners.get(o);
      let at: number[];
      if (g === undefined) {
        // Of no group, it is with every object of no group and of a group with chains.
        at = [...index.free];
        for (const [h, places] of index.byGroup) if (h.chains.size > 0) at.push(...places);
      } else if (g.chains.size === 0) return [];
      else {
        at = [...index.free];
        for (const h of meetingOf(g)) at.push(...(index.byGroup.get(h) ?? []));
      }
      at.sort((x, y) => x - y);
      return at.map((i) => list[i]!);
    },
  };
}
