import { isObject } from '../model/is-object.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Located } from './evidence.js';
import { CLUSTER_SCOPED } from './kustomize-patch.js';

/**
 * A kustomization's `namePrefix` and `nameSuffix`, and kustomize's name references, as `kustomize
 * build` renders them:
 *
 * - The prefix and suffix transformers (api/internal/builtins PrefixTransformer, SuffixTransformer;
 *   the `metadata/name` field spec of builtinpluginconsts nameprefix/namesuffix) run after the
 *   kustomization's patches and namespace and before its JSON 6902 patches (kusttarget_configplugin.go),
 *   over every object it builds, those of its bases included (already renamed there, so an inner
 *   `a-` under an outer `b-` is `b-a-name`), except a CustomResourceDefinition, an APIService of
 *   apiregistration.k8s.io and a Namespace (their skip lists). Each records the id the object had
 *   (resource.StorePreviousId), as the namespace transformer does.
 * - Patches select by the original or the current name and namespace (resmap reswrangler.go Select);
 *   a strategic-merge patch with no target finds its object by any id it has had or has
 *   (GetMatchingResourcesByAnyId): kustomize-patch.ts reads those ids from here.
 * - The name-reference transformer (api/filters/nameref, run once after the whole build) rewrites a
 *   reference to an object renamed in the build (a previous name of it is the one written): a
 *   RoleBinding or ClusterRoleBinding subject of kind ServiceAccount, a workload's
 *   serviceAccountName, a binding's roleRef, a pod's ConfigMap and Secret references
 *   (builtinpluginconsts/namereference.go). A referral in another namespace than the referrer's is
 *   not taken, except a ServiceAccount (sameCurrentNamespaceAsReferrer); a subject that writes a
 *   namespace takes the account of that original namespace, else of that current one
 *   (filterMapCandidatesByNamespace). The candidates are every object of the kind whose earlier
 *   names include the one written (one only moved to another namespace too). Where more than one is
 *   left, kustomize's tie-break (selectReferral) keeps those whose prefixes and suffixes — the lists
 *   of affixes each prefix and suffix transformer added, innermost first — end alike with the
 *   referrer's (an empty list matching any), then, if still more than one, those whose lists are
 *   the same (resource.PrefixesSuffixesEquals, utils.SameEndingSubSlice); more than one then that
 *   share a name (and, for a subject, a namespace) gives the first; else the reference is left as
 *   written (kustomize fails the build: "found multiple possible referrals").
 */

/** An id an object had: its name and namespace then. */
export interface PastId {
  name: string;
  namespace?: string;
}

/** Kinds the prefix and suffix transformers leave alone (kind, and group where one is named). */
const NOT_RENAMED: readonly [string, string | undefined][] = [['CustomResourceDefinition', undefined], ['APIService', 'apiregistration.k8s.io'], ['Namespace', undefined]];
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** Whether kustomize's prefix and suffix transformers rename an object of this kind. */
export function renamed(o: { kind: string; apiVersion: string }): boolean {
  return !NOT_RENAMED.some(([kind, group]) => o.kind === kind && (group === undefined || groupOf(o.apiVersion) === group));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const effective = (kind: string, ns: string | undefined): string => (CLUSTER_SCOPED.has(kind) ? '' : (ns ?? 'default'));

/** The ids each object of a build has had, oldest first (the current one not among them). */
export class IdHistory {
  readonly #past = new Map<object, PastId[]>();
  readonly #affixes = new Map<object, { prefixes: string[]; suffixes: string[] }>();
  /** Records a prefix or suffix a transformer added to an object's name (resource.AddNamePrefix / AddNameSuffix). */
  addAffix(o: K8sObject, kind: 'prefixes' | 'suffixes', affix: string): void {
    const a = this.#affixes.get(o) ?? { prefixes: [], suffixes: [] };
    a[kind].push(affix);
    this.#affixes.set(o, a);
  }
  affixes(o: K8sObject): { prefixes: readonly string[]; suffixes: readonly string[] } {
    return this.#affixes.get(o) ?? { prefixes: [], suffixes: [] };
  }
  /** Records an object's current id before a transformer changes it. */
  record(o: K8sObject): void {
    const list = this.#past.get(o) ?? [];
    list.push({ name: o.metadata.name, ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}) });
    this.#past.set(o, list);
  }
  past(o: K8sObject): readonly PastId[] {
    return this.#past.get(o) ?? [];
  }
  /** Its original id (resource.OrgId: the first previous one, else the current). */
  original(o: K8sObject): PastId {
    return this.past(o)[0] ?? { name: o.metadata.name, ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}) };
  }
}

/** Applies a kustomization's namePrefix, then its nameSuffix, to the objects it builds. */
export function applyNamePrefixSuffix(value: Record<string, unknown>, objects: readonly Located<K8sObject>[], history: IdHistory): void {
  const prefix = str(value.namePrefix);
  const suffix = str(value.nameSuffix);
  for (const [affix, put, kind] of [[prefix, (n: string, a: string) => `${a}${n}`, 'prefixes'], [suffix, (n: string, a: string) => `${n}${a}`, 'suffixes']] as const) {
    if (affix === undefined) continue;
    for (const o of objects) {
      if (!renamed(o.value) || typeof o.value.metadata.name !== 'string') continue;
      history.record(o.value);
      history.addAffix(o.value, kind, affix);
      o.value.metadata.name = put(o.value.metadata.name, affix);
    }
  }
}

type Rec = Record<string, unknown>;
const recs = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The pod spec of a referrer kind kustomize's name references know, with whether it may name a ServiceAccount (ReplicaSet's may not). */
function podSpecOf(v: Rec): { spec: Rec; account: boolean } | undefined {
  const get = (...path: string[]): Rec | undefined => {
    let at: unknown = v;
    for (const k of path) at = isObject(at) ? at[k] : undefined;
    return isObject(at) ? at : undefined;
  };
  switch (v.kind) {
    case 'Pod': {
      const spec = get('spec');
      return spec ? { spec, account: true } : undefined;
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'ReplicationController':
    case 'ReplicaSet': {
      const spec = get('spec', 'template', 'spec');
      return spec ? { spec, account: v.kind !== 'ReplicaSet' } : undefined;
    }
    case 'CronJob': {
      const spec = get('spec', 'jobTemplate', 'spec', 'template', 'spec');
      return spec ? { spec, account: true } : undefined;
    }
    default:
      return undefined;
  }
}

/** The service account a workload's pods run as, as kustomize's name references read it (undefined: none written, or a kind they do not follow). */
export function accountOf(o: K8sObject): string | undefined {
  const pod = podSpecOf(o);
  return pod?.account ? str(pod.spec.serviceAccountName) : undefined;
}

/** One name field that refers to an object: the kinds it may name, where to write the new name, the namespace a subject writes. */
interface Ref {
  kinds: readonly string[];
  holder: Rec;
  key: string;
  namespace?: string;
}

/** The references an object holds that kustomize's name-reference transformer follows. */
function referencesOf(v: Rec, written: (s: Rec) => string | undefined): Ref[] {
  const out: Ref[] = [];
  if (v.kind === 'RoleBinding' || v.kind === 'ClusterRoleBinding') {
    for (const s of recs(v.subjects)) if (s.kind === 'ServiceAccount' && str(s.name) !== undefined) out.push({ kinds: ['ServiceAccount'], holder: s, key: 'name', ...(written(s) !== undefined ? { namespace: written(s)! } : {}) });
    const ref = isObject(v.roleRef) ? v.roleRef : undefined;
    // A RoleBinding's roleRef names a Role or a ClusterRole, a ClusterRoleBinding's a ClusterRole (roleRefFilter: the kind it writes).
    if (ref && str(ref.name) !== undefined && (ref.kind === 'ClusterRole' || (ref.kind === 'Role' && v.kind === 'RoleBinding'))) out.push({ kinds: [ref.kind], holder: ref, key: 'name' });
  }
  const pod = podSpecOf(v);
  if (!pod) return out;
  if (pod.account && str(pod.spec.serviceAccountName) !== undefined) out.push({ kinds: ['ServiceAccount'], holder: pod.spec, key: 'serviceAccountName' });
  for (const vol of recs(pod.spec.volumes)) {
    if (isObject(vol.configMap)) out.push({ kinds: ['ConfigMap'], holder: vol.configMap, key: 'name' });
    if (isObject(vol.secret)) out.push({ kinds: ['Secret'], holder: vol.secret, key: 'secretName' });
    for (const src of recs(isObject(vol.projected) ? vol.projected.sources : undefined)) {
      if (isObject(src.configMap)) out.push({ kinds: ['ConfigMap'], holder: src.configMap, key: 'name' });
      if (isObject(src.secret)) out.push({ kinds: ['Secret'], holder: src.secret, key: 'name' });
    }
  }
  for (const c of [...recs(pod.spec.containers), ...recs(pod.spec.initContainers)]) {
    for (const e of recs(c.env)) {
      const from = isObject(e.valueFrom) ? e.valueFrom : {};
      if (isObject(from.configMapKeyRef)) out.push({ kinds: ['ConfigMap'], holder: from.configMapKeyRef, key: 'name' });
      if (isObject(from.secretKeyRef)) out.push({ kinds: ['Secret'], holder: from.secretKeyRef, key: 'name' });
    }
    for (const e of recs(c.envFrom)) {
      if (isObject(e.configMapRef)) out.push({ kinds: ['ConfigMap'], holder: e.configMapRef, key: 'name' });
      if (isObject(e.secretRef)) out.push({ kinds: ['Secret'], holder: e.secretRef, key: 'name' });
    }
  }
  for (const s of recs(pod.spec.imagePullSecrets)) out.push({ kinds: ['Secret'], holder: s, key: 'name' });
  return out.filter((r) => str(r.holder[r.key]) !== undefined);
}

/**
 * kustomize's name references over one build: each reference whose written name is a previous name
 * of exactly one object of the kind it names (in the referrer's namespace, a ServiceAccount
 * anywhere) takes that object's current name. `written` gives a binding subject's namespace as its
 * file writes it (the namespace step before may have moved it).
 */
export function fixNameReferences(objects: readonly Located<K8sObject>[], history: IdHistory, written: (s: Rec) => string | undefined): AmbiguousReferral[] {
  const out: AmbiguousReferral[] = [];
  if (!objects.some((o) => history.past(o.value).some((p) => p.name !== o.value.metadata.name))) return out;
  // Objects with an earlier id (kustomize's candidates are those whose previous names include the one written).
  const moved = objects.filter((o) => history.past(o.value).length > 0);
  for (const referrer of objects) {
    const v = referrer.value as unknown as Rec;
    for (const ref of referencesOf(v, written)) {
      const old = ref.holder[ref.key] as string;
      let candidates = moved.filter((o) => ref.kinds.includes(o.value.kind) && history.past(o.value).some((p) => p.name === old));
      if (ref.namespace !== undefined) {
        const byOriginal = candidates.filter((o) => (history.original(o.value).namespace ?? 'default') === ref.namespace);
        candidates = byOriginal.length > 0 ? byOriginal : candidates.filter((o) => (o.value.metadata.namespace ?? 'default') === ref.namespace);
      }
      if (!CLUSTER_SCOPED.has(referrer.value.kind)) {
        const ns = effective(referrer.value.kind, referrer.value.metadata.namespace);
        candidates = candidates.filter((o) => CLUSTER_SCOPED.has(o.value.kind) || o.value.kind === 'ServiceAccount' || effective(o.value.kind, o.value.metadata.namespace) === ns);
      }
      const { chosen, ambiguous } = tieBreak(candidates.map((o) => o.value), referrer.value, history, ref.kinds.includes('ServiceAccount') && ref.key === 'name');
      if (ambiguous) out.push({ referrer, path: [...pathTo(referrer.value, ref.holder), ref.key], written: old, candidates: candidates.filter((o) => ambiguous.includes(o.value)) });
      if (chosen === undefined) continue;
      ref.holder[ref.key] = chosen.metadata.name;
    }
  }
  return out;
}

/** A reference kustomize cannot decide: the referrer, where in it (from its value), the name written, the objects left. */
export interface AmbiguousReferral {
  referrer: Located<K8sObject>;
  path: (string | number)[];
  written: string;
  candidates: Located<K8sObject>[];
}

/** The path of a record inside a value (its keys and indexes), [] where it is not found. */
function pathTo(root: unknown, target: object): (string | number)[] {
  const walk = (v: unknown, at: (string | number)[]): (string | number)[] | undefined => {
    if (v === target) return at;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], [...at, i]);
        if (found) return found;
      }
    } else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        const found = walk(x, [...at, k]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(root, []) ?? [];
}

/** utils.SameEndingSubSlice: the shorter list is the end of the longer one (two empty lists too; an empty and a non-empty one not). */
function sameEnding(a: readonly string[], b: readonly string[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length === 0) return long.length === 0;
  const diff = long.length - short.length;
  return short.every((x, i) => long[i + diff] === x);
}

/**
 * kustomize's selectReferral over the candidates left after the name and namespace sieves: one is
 * taken; more go through the prefix / suffix sieves; several still left that are alike (the same
 * name, and for a subject the same namespace) give the first; undefined where none is left or they
 * differ (the build fails there, api/filters/nameref/nameref.go selectReferral: "found multiple
 * possible referrals"; the reference is left as written and the ambiguity returned, the caller
 * saying it as RF946).
 */
function tieBreak(candidates: readonly K8sObject[], referrer: K8sObject, history: IdHistory, subject: boolean): { chosen?: K8sObject; ambiguous?: K8sObject[] } {
  if (candidates.length <= 1) return candidates[0] ? { chosen: candidates[0] } : {};
  const mine = history.affixes(referrer);
  const sieve = (list: readonly K8sObject[], allowEmpty: boolean): K8sObject[] =>
    list.filter((o) => {
      const theirs = history.affixes(o);
      const ok = (a: readonly string[], b: readonly string[]): boolean => (allowEmpty && (a.length === 0 || b.length === 0)) || sameEnding(a, b);
      return ok(theirs.prefixes, mine.prefixes) && ok(theirs.suffixes, mine.suffixes);
    });
  let left = sieve(candidates, true);
  if (left.length > 1) left = sieve(left, false);
  if (left.length <= 1) return left[0] ? { chosen: left[0] } : {};
  const key = (o: K8sObject): string => `${o.metadata.name}\u0000${subject ? (o.metadata.namespace ?? '') : ''}`;
  return left.every((o) => key(o) === key(left[0]!)) ? { chosen: left[0]! } : { ambiguous: left };
}
