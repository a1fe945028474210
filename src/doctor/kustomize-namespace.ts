import { parseAllDocuments } from 'yaml';
import { isObject } from '../model/is-object.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { Evidence, Located } from './evidence.js';
import type { K8sObject } from '../emit/artifacts.js';
import { normalPath } from './hcl/eval.js';
import { trimEnd } from '../model/trim.js';
import { formatPosition, type Origin } from './source.js';
import { stringPlaces, type GitOpsObject } from './gitops.js';
import { CLUSTER_SCOPED, applyKustomizePatches, chainObject, patchFiles } from './kustomize-patch.js';
import { IdHistory, accountOf, type AmbiguousReferral, applyNamePrefixSuffix, fixNameReferences, renamed } from './kustomize-names.js';
import { isComponent, kustomizeBuildErrors, kustomizeBuildWork, remoteBaseFindings, throughLinks } from './kustomize-build.js';
import { applyReplacements } from './kustomize-replacements.js';
import { kustomizeRemote } from '../io/kustomize-resources.js';
import { generatesObjects } from './kustomize-generate.js';

/**
 * A kustomization's `namespace:` applied to the objects of the files it lists, as `kustomize build`
 * (and `kubectl apply -k`, Argo CD, Flux) deploys them:
 *
 * - the namespace transformer (kustomize api/filters/namespace) sets `metadata.namespace` of every
 *   namespaced object of its `resources` (and the deprecated `bases`), replacing one written, and of
 *   the kustomizations those name (folders), the innermost first and the outermost kustomization's
 *   last, so it wins;
 * - RoleBinding and ClusterRoleBinding subjects: that transformer (its default `defaultOnly` mode)
 *   sets the namespace of a subject named `default` only; the name-reference transformer (api/filters/
 *   nameref, setMapping; run once over the whole build, kusttarget.go FixBackReferences) then gives a
 *   ServiceAccount subject the new namespace of the ServiceAccount of its name among the
 *   kustomization's objects (one whose original or new namespace is the subject's, or any where the
 *   subject writes none). Other subjects keep theirs.
 * - `transformers:` (each a file, or inline YAML, of transformer configs) run after the
 *   kustomization's own fields (kusttarget.go runTransformers: the builtins of its fields, then
 *   these, in order). A builtin `NamespaceTransformer` (plugin/builtin/namespacetransformer:
 *   `metadata.namespace` the namespace, `unsetOnly` to set only a namespace not written,
 *   `setRoleBindingSubjects` `defaultOnly` (the default), `allServiceAccounts` (every subject of kind
 *   ServiceAccount) or `none`) is applied so; a builtin that sets no namespace (labels, annotations,
 *   images, replicas, hashes) is passed over; any other transformer, and a `replacements:` entry with a
 *   target field named `namespace`, may move the manager or a subject, and is not evaluated: RF903
 *   at it says so (never a guess). Other replacements are applied (kustomize-replacements.ts), after
 *   the kustomization's patches, namespace and prefixes and before its `transformers:`.
 * - `components:` (folders of a `kind: Component` kustomization) transform what the kustomization
 *   listing them built, after its resources, each in order, before its own transformers.
 * - Flux and Argo CD set the namespace of the kustomization they build: a Flux Kustomization's
 *   `spec.targetNamespace` (fluxcd/pkg kustomize/kustomize_generator.go: `kus.Namespace = tg` on the
 *   kustomization of `spec.path`, one it generates listing every YAML file under the path where there
 *   is none, a sub-folder with a kustomization listed as a folder), an Argo CD Application's
 *   `spec.source.kustomize.namespace` (argo-cd util/kustomize/kustomize.go: `kustomize edit set
 *   namespace` in the source's path). The folder of `spec.path` / `source.path` is the one folder of
 *   the files given whose path ends in it.
 *
 * - namePrefix / nameSuffix, and the name references that follow them: kustomize-names.ts. Each
 *   object's earlier ids (name, namespace) are kept so patches match as kustomize's do.
 * - A Flux Kustomization with no targetNamespace applies what it builds as built; a namespaced
 *   object of the runner's with no namespace fails its apply (fluxUnapplied).
 *
 * A resource that is a URL (a remote base) or a path no file given holds is not followed. Objects
 * of files no kustomization lists are left as written.
 */


/** Kinds chainObject counts that run no manager. */
const RBAC_KINDS = new Set(['ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole', 'Namespace']);

/** Builtin transformers that set no namespace (kustomize plugin/builtin): passed over. */
const NAMESPACE_NEUTRAL = new Set(['LabelTransformer', 'AnnotationsTransformer', 'ImageTagTransformer', 'ReplicaCountTransformer', 'HashTransformer']);

/** Kustomization fields that make objects or may rename them: a build with one is not closed (closedBuild). */
const OPEN_BUILD = ['configMapGenerator', 'secretGenerator', 'helmCharts', 'helmChartInflationGenerator', 'generators', 'components', 'transformers', 'replacements'];

/** Whether a file named so is a kustomization (kustomize reads kustomization.yaml, kustomization.yml or Kustomization in a folder). */
export const KUSTOMIZATION_FILE = /(^|[\\/])(kustomization\.ya?ml|Kustomization)$/;

/** Whether a document of a kustomization file is a kustomization (apiVersion and kind are optional in it): one that lists, generates or sets a namespace. */
export function isKustomization(doc: Record<string, unknown>, path: string): boolean {
  if (!KUSTOMIZATION_FILE.test(path)) return false;
  // A kustomize Component (api/types/kustomization.go ComponentKind, apiVersion v1alpha1): its kind says what it is, whatever it holds.
  if (isComponent(doc)) return true;
  if (doc.kind !== undefined && !(doc.kind === 'Kustomization' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kustomize.config.k8s.io/'))) return false;
  return typeof doc.namespace === 'string' || KUSTOMIZE_FIELDS.some((k) => Array.isArray(doc[k]));
}

/**
 * The list fields of kustomize's Kustomization type (api/types/kustomization.go) a kustomization may
 * hold alone: one with only patches or transformers builds (kusttarget.go Load refuses only an empty one).
 */
const KUSTOMIZE_FIELDS = ['resources', 'bases', 'components', 'helmCharts', 'configMapGenerator', 'secretGenerator', 'generators', 'patches', 'patchesStrategicMerge', 'patchesJson6902', 'transformers', 'replacements', 'validators'];

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One namespace change of a kustomization: its `namespace:` field, or a NamespaceTransformer of its `transformers:`. */
export interface NamespaceOp {
  namespace: string;
  unsetOnly: boolean;
  subjects: 'defaultOnly' | 'allServiceAccounts' | 'none';
  /** What it is and where, for messages. */
  what: string;
}

/**
 * What kustomize does to the namespace of a kustomization's `helmCharts` (gitops.ts readKustomization):
 * its own namespace (the field, after a Flux or Argo CD override) and its nearest ancestor's, and
 * every namespace change of it and its ancestors, innermost first.
 */
export interface HelmChartScope {
  own?: { namespace: string; what: string };
  ancestor?: { namespace: string; what: string };
  ops: NamespaceOp[];
  /** Where an Argo CD Application's kustomize.namespace set it and its destination.namespace differs: said with the chain. */
  destinationNote?: string;
  /**
   * The namePrefix and nameSuffix of it and of the kustomizations listing it (outermost prefix first,
   * innermost suffix first): kustomize's prefix and suffix transformers rename the chart's objects as
   * any others (only the namespace transformer passes over helm-generated ones), and the name
   * references follow; `by` says which fields did, for the chain.
   */
  affix?: { prefix: string; suffix: string; by: string };
}

interface Node {
  folder: string;
  value: Record<string, unknown>;
  origin: Origin;
  /** The namespace of its `namespace:` field, or of the Flux or Argo CD object that sets it. */
  namespace?: string;
  /** What set `namespace`, for messages. */
  what?: string;
  /** Argo CD: the note of a kustomize.namespace that differs from destination.namespace. */
  note?: { namespace: string; text: string };
  ops: NamespaceOp[];
}

/** A kustomization in a build and the link of the one listing it (none at the build's root); `list`, its chain once made. */
interface ChainLink {
  node: Node;
  up: ChainLink | undefined;
  list?: Node[];
}

/** The chain a link ends: its kustomization, then each listing it up to the build's root (made once a link). */
function chainList(link: ChainLink): Node[] {
  if (link.list) return link.list;
  const list: Node[] = [];
  for (let l: ChainLink | undefined = link; l; l = l.up) list.push(l.node);
  link.list = list;
  return list;
}

function finding(at: string, message: string, fix: string): Finding {
  return { code: 'RF903', severity: CODES.RF903.severity, path: at, message, fix };
}

/** A transformer config's NamespaceTransformer op (undefined: another kind). */
function namespaceOp(doc: Record<string, unknown>, what: string): NamespaceOp | 'neutral' | 'other' {
  const builtin = doc.apiVersion === 'builtin' || doc.apiVersion === undefined;
  if (builtin && doc.kind === 'NamespaceTransformer') {
    const ns = isObject(doc.metadata) ? str(doc.metadata.namespace) : undefined;
    const mode = doc.setRoleBindingSubjects;
    // An empty namespace changes nothing (its Transform returns); an unknown mode fails the build (its Config).
    if (ns === undefined) return 'neutral';
    if (mode !== undefined && mode !== '' && mode !== 'defaultOnly' && mode !== 'allServiceAccounts' && mode !== 'none') return 'other';
    return { namespace: ns, unsetOnly: doc.unsetOnly === true, subjects: mode === 'allServiceAccounts' || mode === 'none' ? mode : 'defaultOnly', what };
  }
  if (builtin && typeof doc.kind === 'string' && NAMESPACE_NEUTRAL.has(doc.kind)) return 'neutral';
  return 'other';
}

/** The YAML documents of a text (empty ones left out); undefined when it does not parse. */
function documents(text: string): unknown[] | undefined {
  try {
    const docs = parseAllDocuments(text, { version: '1.2', logLevel: 'error' });
    if (docs.some((d) => d.errors.length > 0)) return undefined;
    return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown).filter((d) => d !== null && d !== undefined);
  } catch {
    // Too many aliases, or a document plain data cannot hold: as one that does not parse.
    return undefined;
  }
}

/** A target field path of a replacement that names a namespace (`metadata.namespace`, `subjects.0.namespace`, `subjects.[name=x].namespace`). */
const namespacePath = (p: unknown): boolean => typeof p === 'string' && /(^|\.)namespace$/.test(p);

/** Applies the namespace of each kustomization given (`ev.kustomizations`) to the objects of the files it lists. */
export function applyKustomizeNamespaces(ev: Evidence): void {
  const given = new Set([...(ev.texts?.keys() ?? [])].map((p) => normalPath(p)));
  const textOf = (path: string): string | undefined => {
    for (const [p, t] of ev.texts ?? []) if (normalPath(p) === path) return t;
    return undefined;
  };
  const nodes: Node[] = (ev.kustomizations ?? []).map((k) => ({ folder: folderOf(normalPath(k.origin.source.path)), value: k.value, origin: k.origin, ...(str(k.value.namespace) !== undefined ? { namespace: str(k.value.namespace)!, what: `the namespace of ${k.origin.source.path} (${formatPosition(k.origin.source.locate(k.origin.doc, [...k.origin.path, 'namespace']))})` } : {}), ops: [] }));
  const byFolder = new Map<string, Node>();
  for (const n of nodes) byFolder.set(n.folder, n);
  const plain = overrides(ev, given, byFolder, nodes);
  if (nodes.length === 0) return;

  const at = (n: Node, ...p: (string | number)[]): string => formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, ...p]));
  // Kustomizations kustomize build refuses (kustomize-build.ts), and those listing one: their builds deploy nothing.
  const refused = kustomizeBuildErrors(ev, nodes);
  remoteBaseFindings(ev, nodes);
  const failed = new Set<Node>();
  // Each kustomization once, depth first with a stack of its own (a chain of any length; a
  // kustomization on the walk's path is not failed by it, kustomize-build.ts says a cycle).
  const fails = new Map<Node, boolean>();
  const open = new Set<Node>();
  const below = (k: Node): Node[] => {
    const { inner, components } = listed(k);
    return [...inner, ...components];
  };
  for (const root of nodes) {
    if (fails.has(root)) continue;
    const stack = [{ n: root, kids: refused.has(root) ? [] : below(root), next: 0 }];
    open.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const c = top.next < top.kids.length ? top.kids[top.next++]! : undefined;
      if (c !== undefined) {
        if (fails.has(c) || open.has(c)) continue;
        open.add(c);
        stack.push({ n: c, kids: refused.has(c) ? [] : below(c), next: 0 });
        continue;
      }
      fails.set(top.n, refused.has(top.n) || top.kids.some((k) => fails.get(k) === true));
      open.delete(top.n);
      stack.pop();
    }
  }
  for (const n of nodes) if (fails.get(n) === true) failed.add(n);
  for (const n of nodes) {
    if (failed.has(n)) continue;
    if (n.namespace !== undefined) n.ops.push({ namespace: n.namespace, unsetOnly: false, subjects: 'defaultOnly', what: n.what! });
    transformers(ev, n, textOf, at);
    replacements(ev, n, textOf, at);
  }

  /** The files a kustomization lists (its resources and bases, folders followed to their kustomization). */
  function listed(k: Node): { files: string[]; inner: Node[]; components: Node[] } {
    const files: string[] = [];
    const inner: Node[] = [];
    // Its local components (folders of a Component), in the order listed; a remote one is not followed (kustomize-build.ts says it).
    const components: Node[] = [];
    for (const entry of Array.isArray(k.value.components) ? (k.value.components as unknown[]) : []) {
      if (typeof entry !== 'string' || entry === '' || kustomizeRemote(entry)) continue;
      const child = byFolder.get(`${trimEnd(throughLinks(ev, normalPath(`${k.folder}${entry}`)), '/')}/`);
      if (child && isComponent(child.value)) components.push(child);
    }
    const entries: unknown[] = [...(Array.isArray(k.value.resources) ? (k.value.resources as unknown[]) : []), ...(Array.isArray(k.value.bases) ? (k.value.bases as unknown[]) : [])];
    // The ConfigMaps and Secrets its generators make are objects of its own file (kustomize-generate.ts), built after its resources.
    const own = generatesObjects(k) ? normalPath(k.origin.source.path) : undefined;
    for (const entry of entries) {
      if (typeof entry !== 'string' || entry === '' || kustomizeRemote(entry)) continue;
      const path = throughLinks(ev, normalPath(`${k.folder}${entry}`));
      if (given.has(path)) files.push(path);
      else {
        const child = byFolder.get(`${trimEnd(path, '/')}/`);
        if (child && !isComponent(child.value)) inner.push(child);
      }
    }
    if (own !== undefined) files.push(own);
    return { files, inner, components };
  }
  /**
   * The files a kustomization builds, where every one of its resources (and bases) is a file given or
   * a folder of a kustomization that is closed too, and neither it nor an inner one has a field that
   * makes objects (generators, helmCharts, components) or may rename them (transformers,
   * replacements, a patch whose options allow a name or kind change; namePrefix and nameSuffix are
   * modelled, kustomize-names.ts); else undefined, and in a cycle. Each kustomization's answer is
   * made once per run (frozen) and given to every one listing it: a chain of n is n builds, not n²/2;
   * in a diamond (k0 lists k1 and k2, both list k3) k1 and k2 each hold k3's files, k0 each file once.
   */
  const closedBuilds = new Map<Node, readonly string[] | undefined>();
  const closedBuilding = new Set<Node>();
  const closedBuild = (k: Node): readonly string[] | undefined => {
    if (closedBuilds.has(k)) return closedBuilds.get(k);
    if (closedBuilding.has(k)) return undefined;
    closedBuilding.add(k);
    const files = closedBuildOnce(k);
    closedBuilding.delete(k);
    closedBuilds.set(k, files);
    return files;
  };
  const closedBuildOnce = (k: Node): readonly string[] | undefined => {
    kustomizeBuildWork.closedBuild++;
    if (OPEN_BUILD.some((key) => k.value[key] !== undefined)) return undefined;
    const patches = [...(Array.isArray(k.value.patches) ? (k.value.patches as unknown[]) : []), ...(Array.isArray(k.value.patchesJson6902) ? (k.value.patchesJson6902 as unknown[]) : [])];
    if (patches.some((e) => isObject(e) && isObject(e.options) && Object.values(e.options).some((v) => v === true))) return undefined;
    const out = new Set<string>();
    for (const entry of [...(Array.isArray(k.value.resources) ? (k.value.resources as unknown[]) : []), ...(Array.isArray(k.value.bases) ? (k.value.bases as unknown[]) : [])]) {
      if (typeof entry !== 'string' || entry === '') return undefined;
      const path = throughLinks(ev, normalPath(`${k.folder}${entry}`));
      if (given.has(path)) {
        out.add(path);
        continue;
      }
      const child = byFolder.get(`${trimEnd(path, '/')}/`);
      const inner = child ? closedBuild(child) : undefined;
      if (!inner) return undefined;
      for (const f of inner) out.add(f);
    }
    return Object.freeze([...out]);
  };
  // Roots first (kustomizations no other lists): each file's namespace changes are its own
  // kustomization's, then each enclosing one's, the outermost last.
  const innerOf = new Set<Node>();
  for (const k of nodes) {
    const { inner, components } = listed(k);
    for (const c of [...inner, ...components]) innerOf.add(c);
  }
  const opsOf = new Map<string, NamespaceOp[]>();
  const rootOf = new Map<string, Node>();
  /** Each file's kustomizations, its own first, the root last (of the first root that builds it). */
  const chainOf = new Map<string, Node[]>();
  /**
   * Each root's kustomizations, each after those it lists (the order kustomize builds them in), with
   * the kustomization whose objects each transforms: its own, and for a component the one listing it
   * (a component listed by a component, the one listing that): kustomize adds a component's
   * directives to the accumulator of the kustomization listing it (kusttarget.go
   * accumulateDirectory, isComponent: no accumulator of its own), after that kustomization's
   * resources and generators and before its own transformers (accumulateTarget), each component in
   * the order listed; so its patches, namespace, prefix and suffix apply to every object built so
   * far. A component two kustomizations list is a step of each (each build loads it anew).
   */
  const orderOf = new Map<Node, { n: Node; over: Node }[]>();
  const fileOf = (o: { origin: { source: { path: string } } }): string => normalPath(o.origin.source.path);
  /** The copies of a component's objects for the builds after the first that list it (each build holds its own), with their build. */
  const copies = new Map<Located<K8sObject>, { root: Node; chain: Node[] }>();
  const copied = new Set<string>();
  const componentCopies = new Map<string, string[]>();
  const added: Located<K8sObject>[] = [];
  /** The same for a component's Flux HelmReleases and k3s HelmCharts (ev.gitOps). */
  const gitOpsCopies = new Map<GitOpsObject, { root: Node; chain: Node[] }>();
  const addedGitOps: GitOpsObject[] = [];
  const rootOfObject = (o: { origin: { source: { path: string } } }): Node | undefined => copies.get(o as Located<K8sObject>)?.root ?? gitOpsCopies.get(o as GitOpsObject)?.root ?? rootOf.get(fileOf(o));
  const chainOfObject = (o: Located<K8sObject>): Node[] | undefined => copies.get(o)?.chain ?? chainOf.get(fileOf(o));
  /** Files a second root builds too: the base, and the two roots. */
  const shared: { base: Node; file: string; first: Node; other: Node; chain: Node[] }[] = [];
  const scopes = new Map<Record<string, unknown>, HelmChartScope>();
  /**
   * The components a kustomization lists, each after the components it lists in turn (their
   * transformers run first), in the order kustomize applies them; from the one after `after` where
   * `after` is one of them (what came through it is not yet built when those before it run).
   */
  const componentSteps = (n: Node, after: Node | undefined, seen: Set<Node> = new Set([n])): Node[] => {
    const comps = listed(n).components;
    const from = after !== undefined && comps.includes(after) ? comps.indexOf(after) + 1 : 0;
    return comps.slice(from).flatMap((c) => {
      if (seen.has(c)) return [];
      seen.add(c);
      return [...componentSteps(c, undefined, seen), c];
    });
  };
  /**
   * A kustomization reached in a build (`enter`: its chart's scope, its files), with its chain (it,
   * then those listing it up to the root), and what it lists still to enter: its resources, then its
   * components. The chain is linked, one link a kustomization, and made a list only where one is kept
   * or read (a file's, a chart's, a component's): a chain of n kustomizations holding one file is n
   * links and one list of n, not n lists of up to n.
   */
  interface Visit {
    link: ChainLink;
    over: Node;
    inner: Node[];
    components: Node[];
    next: number;
  }
  const enter = (k: Node, outer: ChainLink | undefined, root: Node, seen: Set<Node>, over: Node): Visit => {
    seen.add(k);
    const link: ChainLink = { node: k, up: outer };
    if (Array.isArray(k.value.helmCharts) && !scopes.has(k.value)) {
      const chain = chainList(link);
      const ancestor = chain.slice(1).find((n) => n.namespace !== undefined);
      const note = chain.find((n) => n.note !== undefined)?.note;
      // The kustomizations whose transformers pass over the chart's objects, in order: each of the
      // chain's, after the components it lists (a component's directives join the accumulator of
      // the kustomization listing it, after that one's resources and generators — helmCharts among
      // them — and before its own transformers: kusttarget.go accumulateTarget, accumulateDirectory
      // isComponent), only those after the chain's own component where the chain comes through one.
      const steps = chain.flatMap((n, i) => [...componentSteps(n, i > 0 ? chain[i - 1] : undefined), n]);
      const by = steps.flatMap((n) => (['namePrefix', 'nameSuffix'] as const).flatMap((field) => {
        const v = str(n.value[field]);
        return v !== undefined ? [`${field} ${safeText(v, 63)} of ${n.origin.source.path} (${at(n, field)})`] : [];
      }));
      const prefix = steps.map((n) => str(n.value.namePrefix) ?? '').reverse().join('');
      const suffix = steps.map((n) => str(n.value.nameSuffix) ?? '').join('');
      scopes.set(k.value, {
        ...(by.length > 0 ? { affix: { prefix, suffix, by: by.join(' and ') } } : {}),
        ...(k.namespace !== undefined ? { own: { namespace: k.namespace, what: k.what! } } : {}),
        ...(ancestor ? { ancestor: { namespace: ancestor.namespace!, what: ancestor.what! } } : {}),
        ops: steps.flatMap((n) => n.ops),
        ...(note !== undefined ? { destinationNote: note.text } : {}),
      });
    }
    const { files, inner } = listed(k);
    let ops: NamespaceOp[] | undefined;
    for (const f of files) {
      const chain = chainList(link);
      if (opsOf.has(f)) {
        // A component's own resources join the build of each kustomization listing it (kusttarget.go
        // accumulateDirectory: each loads the component anew into its own accumulator), so a second
        // overlay's build holds its own copy of them, transformed as that build transforms it.
        if (isComponent(k.value) && !chainOf.get(f)!.includes(over)) {
          const key = `${f}\u0000${over.folder}\u0000${root.folder}`;
          if (!copied.has(key)) {
            copied.add(key);
            for (const o of ev.kubernetes.filter((x) => fileOf(x) === f && !copies.has(x))) {
              const copy = { ...o, value: structuredClone(o.value) };
              copies.set(copy, { root, chain });
              added.push(copy);
            }
            // Its Flux HelmReleases and k3s HelmCharts too: each build deploys its own release, named and placed by that build.
            for (const g of (ev.gitOps ?? []).filter((x) => fileOf(x) === f && (x.kind === 'HelmRelease' || x.kind === 'HelmChart') && !gitOpsCopies.has(x))) {
              const copy = { ...g, value: structuredClone(g.value) };
              gitOpsCopies.set(copy, { root, chain });
              addedGitOps.push(copy);
            }
            const first = chainOf.get(f)!.find((n) => !isComponent(n.value));
            const builds = componentCopies.get(f) ?? (first ? [first.origin.source.path] : []);
            if (!builds.includes(over.origin.source.path)) builds.push(over.origin.source.path);
            componentCopies.set(f, builds);
          }
          continue;
        }
        if (rootOf.get(f) !== root) shared.push({ base: k, file: f, first: rootOf.get(f)!, other: root, chain });
        continue;
      }
      ops ??= chain.flatMap((n) => n.ops);
      opsOf.set(f, ops);
      rootOf.set(f, root);
      chainOf.set(f, chain);
    }
    return { link, over, inner, components: listed(k).components, next: 0 };
  };
  /**
   * Each kustomization of a build once, depth first from its root, each after those it lists (orderOf):
   * its resources not yet entered, then its components (one listed by two kustomizations is applied
   * in each build; a cycle is not followed). A stack of its own, not the call stack: a chain of
   * thousands of kustomizations is as deep.
   */
  const visit = (root: Node): void => {
    const seen = new Set<Node>();
    const stack = [enter(root, undefined, root, seen, root)];
    const order = orderOf.get(root) ?? [];
    orderOf.set(root, order);
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      if (v.next < v.inner.length) {
        const c = v.inner[v.next++]!;
        if (!seen.has(c)) stack.push(enter(c, v.link, root, seen, c));
      } else if (v.next < v.inner.length + v.components.length) {
        const c = v.components[v.next++ - v.inner.length]!;
        if (!chainList(v.link).includes(c)) stack.push(enter(c, v.link, root, seen, v.over));
      } else {
        stack.pop();
        order.push({ n: v.link.node, over: v.over });
      }
    }
  };
  // Builds that succeed first, so a file a refused build lists too is read as the other deploys it.
  for (const k of nodes) if (!innerOf.has(k) && !failed.has(k)) visit(k);
  for (const k of nodes) if (!innerOf.has(k) && failed.has(k)) visit(k);
  if (added.length > 0) ev.kubernetes = [...ev.kubernetes, ...added];
  if (addedGitOps.length > 0) ev.gitOps = [...(ev.gitOps ?? []), ...addedGitOps];
  if (componentCopies.size > 0) ev.componentCopies = componentCopies;
  sharedBases(ev, shared, chainOf);
  // A file a kustomization names as a patch holds patches, not objects it deploys (unless a kustomization lists it as a resource too).
  const patchOnly = new Set(nodes.flatMap((n) => patchFiles(n.folder, n.value)).filter((f) => !rootOf.has(f)));
  if (patchOnly.size > 0) ev.kubernetes = ev.kubernetes.filter((o) => !patchOnly.has(normalPath(o.origin.source.path)));
  const builds = new Map<string, Set<string>>();
  for (const [f, chain] of chainOf) for (const n of chain) builds.set(n.folder, (builds.get(n.folder) ?? new Set()).add(f));
  ev.kustomizeBuilds = builds;
  if (scopes.size > 0) ev.kustomizeScopes = scopes;

  // Each file's chain as a set, made at the first look (a chain of n holding a file is asked n times whether it holds each).
  const chainSets = new Map<string, ReadonlySet<Node>>();
  const inChainOf = (f: string): ReadonlySet<Node> => {
    let set = chainSets.get(f);
    if (!set) chainSets.set(f, (set = new Set(chainOf.get(f) ?? [])));
    return set;
  };
  const notes = new Map<string, string>();
  for (const root of new Set([...rootOf.values(), ...[...copies.values(), ...gitOpsCopies.values()].map((c) => c.root)])) {
    if (failed.has(root)) continue;
    const objects = ev.kubernetes.filter((o) => rootOfObject(o) === root);
    const accounts: { name: string; original: string; meta: { namespace?: string } }[] = [];
    const bindings: { subject: Record<string, unknown>; written: string | undefined }[] = [];
    const subjectsOf = (o: (typeof objects)[number]): Record<string, unknown>[] => {
      const subjects = o.value.kind === 'RoleBinding' || o.value.kind === 'ClusterRoleBinding' ? (o.value as unknown as Record<string, unknown>).subjects : undefined;
      return Array.isArray(subjects) ? subjects.filter(isObject) : [];
    };
    const written = new Map(objects.map((o) => [o, o.value.metadata.namespace]));
    // The ids each object had before a namespace or name change (kustomize-names.ts).
    const history = new IdHistory();
    for (const o of objects) {
      const meta = o.value.metadata as { namespace?: string };
      if (o.value.kind === 'ServiceAccount') accounts.push({ name: o.value.metadata.name, original: meta.namespace ?? 'default', meta });
      for (const s of subjectsOf(o)) bindings.push({ subject: s, written: str(s.namespace) });
    }
    // The files a kustomization builds where nothing but they can hold a patch's object (kustomize-patch.ts matchesNothing).
    const closed = (n: Node): readonly string[] | undefined => {
      // A component transforms what the kustomization listing it built: never closed by itself.
      if (isComponent(n.value)) return undefined;
      const files = closedBuild(n);
      return files?.every((f) => inChainOf(f).has(n)) ? files : undefined;
    };
    let replaced = false;
    // Each kustomization in the order kustomize builds them (those it lists first): its patches,
    // its namespace, its JSON 6902 patches, its transformers (kustomize-patch.ts).
    for (const { n, over } of orderOf.get(root) ?? []) {
      // A component's: every object of the kustomization listing it (its own resources among them).
      const mine = objects.filter((o) => chainOfObject(o)?.includes(over));
      const closedFiles = closed(n);
      const context = { folder: n.folder, value: n.value, origin: n.origin, textOf, placesOf: stringPlaces, writtenNamespace: (o: (typeof objects)[number]) => written.get(o), pastIds: (o: (typeof objects)[number]) => history.past(o.value), ...(closedFiles ? { closedFiles } : {}) };
      const own = n.namespace !== undefined ? 1 : 0;
      const run = (ops: NamespaceOp[]): void => {
        for (const o of mine) {
          const meta = o.value.metadata as { namespace?: string };
          const list = subjectsOf(o);
          for (const op of ops) {
            const set = (target: { namespace?: unknown }): void => {
              if (!op.unsetOnly || str(target.namespace) === undefined) target.namespace = op.namespace;
            };
            if (!CLUSTER_SCOPED.has(o.value.kind)) {
              history.record(o.value);
              set(meta);
            }
            for (const s of list) {
              if (op.subjects === 'allServiceAccounts' ? s.kind === 'ServiceAccount' : op.subjects === 'defaultOnly' && s.name === 'default') set(s);
            }
          }
        }
      };
      applyKustomizePatches(ev, context, mine, 'before');
      run(n.ops.slice(0, own));
      applyNamePrefixSuffix(n.value, mine, history);
      applyKustomizePatches(ev, context, mine, 'after');
      // Its replacements, the last of its fields' transformers (kustomize-replacements.ts); one kustomize refuses, or the doctor cannot decide, is RF946 at it.
      if (Array.isArray(n.value.replacements)) {
        for (const p of applyReplacements({ ...context, pastIds: (o) => history.past(o.value), resolve: (p) => throughLinks(ev, p) }, mine, (...p) => at(n, ...p))) {
          ev.findings.push({ code: 'RF946', severity: CODES.RF946.severity, path: p.at, message: `${p.message}; so nothing this kustomization (or one listing it) builds is read as deployed`, fix: p.fix } satisfies Finding);
          replaced = true;
        }
      }
      run(n.ops.slice(own));
    }
    if (replaced) {
      failed.add(root);
      continue;
    }
    for (const o of objects) {
      const meta = o.value.metadata as { namespace?: string };
      const note = root.note;
      if (note !== undefined && meta.namespace === note.namespace) notes.set(originKey(o.origin), note.text);
    }
    // Name references: a ServiceAccount subject follows the ServiceAccount of its name the build moved.
    for (const { subject: s, written } of bindings) {
      if (s.kind !== 'ServiceAccount' || typeof s.name !== 'string') continue;
      const account = accounts.find((a) => a.name === s.name && a.meta.namespace !== undefined && a.meta.namespace !== a.original && (written === undefined || a.original === written || a.meta.namespace === written));
      if (account) s.namespace = account.meta.namespace;
    }
    // Name references: a subject, serviceAccountName, roleRef or ConfigMap / Secret reference follows its object's new name.
    const subjectWritten = new Map(bindings.map((b) => [b.subject, b.written]));
    const accountWritten = new Map(objects.map((o) => [o, accountOf(o.value)]));
    // A reference kustomize cannot decide between two renamed objects fails the build (RF946): nothing of it is deployed.
    const ambiguous = fixNameReferences(objects, history, (s) => subjectWritten.get(s));
    if (ambiguous.length > 0) {
      // Each such reference said (kustomize stops at the first it meets; the user has to mend them all).
      const said = new Set<string>();
      for (const a of ambiguous) {
        const key = `${originKey(a.referrer.origin)}\u0000${a.path.join('\u0000')}`;
        if (!said.has(key)) ambiguousReferral(ev, a, root);
        said.add(key);
      }
      failed.add(root);
      continue;
    }
    // A workload whose service account a prefix or suffix renamed: the chain says which kustomization did.
    for (const o of objects) {
      const was = accountWritten.get(o);
      const now = accountOf(o.value);
      if (was === undefined || now === undefined || was === now) continue;
      const account = objects.find((a) => a.value.kind === 'ServiceAccount' && a.value.metadata.name === now);
      const by = (account ? chainOfObject(account) ?? [] : []).flatMap((k) => (['namePrefix', 'nameSuffix'] as const).flatMap((field) => {
        const v = str(k.value[field]);
        return v !== undefined ? [`${field} ${safeText(v, 63)} of ${k.origin.source.path} (${at(k, field)})`] : [];
      }));
      const text = `service account ${safeText(now, 253)}: ${safeText(was, 253)} as written, renamed by ${by.length > 0 ? by.join(' and ') : 'the kustomizations building it'}`;
      const key = originKey(o.origin);
      notes.set(key, notes.has(key) ? `${notes.get(key)!}; ${text}` : text);
    }
    // A Flux HelmRelease or k3s HelmChart listed: its own namespace changes as an object's does.
    for (const g of ev.gitOps ?? []) {
      if (rootOfObject(g) !== root || (g.kind !== 'HelmRelease' && g.kind !== 'HelmChart')) continue;
      if (!isObject(g.value.metadata)) g.value.metadata = {};
      const meta = g.value.metadata as { namespace?: unknown };
      // The steps of the build that transform it, in order: its kustomizations' and their components'
      // (a component's namespace reaches it too). kustomize's namespace transformer sets only its
      // metadata.namespace (api/filters/namespace: the fieldspecs of builtinpluginconsts/namespace.go
      // name no spec.targetNamespace or storageNamespace), so a targetNamespace written still decides.
      const chain = gitOpsCopies.get(g)?.chain ?? chainOf.get(fileOf(g)) ?? [];
      const steps = (orderOf.get(root) ?? []).filter((s) => chain.includes(s.over)).map((s) => s.n);
      for (const op of steps.flatMap((n) => n.ops)) if (!op.unsetOnly || str(meta.namespace) === undefined) meta.namespace = op.namespace;
      // Its name takes each kustomization's prefix and suffix, the innermost first (its release name is [targetNamespace-]name).
      const name = (g.value.metadata as { name?: unknown }).name;
      if (typeof name === 'string' && renamed({ kind: g.kind, apiVersion: typeof g.value.apiVersion === 'string' ? g.value.apiVersion : '' })) {
        (g.value.metadata as { name?: unknown }).name = steps.reduce((acc, k) => `${str(k.value.namePrefix) ?? ''}${acc}${str(k.value.nameSuffix) ?? ''}`, name);
      }
    }
  }
  if (notes.size > 0) ev.namespaceNotes = notes;
  refusedBuilds(ev, failed, rootOfObject, orderOf);
  fluxUnapplied(ev, plain, builds);
}

/**
 * RF946 at a reference (a serviceAccountName, a subject, a Secret or ConfigMap reference) whose
 * written name is an earlier name of two or more objects the build renamed, that kustomize's
 * tie-break (kustomize-names.ts tieBreak) leaves apart: `kustomize build` fails (api/filters/nameref
 * selectReferral, "found multiple possible referrals").
 */
function ambiguousReferral(ev: Evidence, a: AmbiguousReferral, root: Node): void {
  const place = (o: Located<K8sObject>, ...p: (string | number)[]): string => formatPosition(o.origin.source.locate(o.origin.doc, [...o.origin.path, ...p]));
  const field = a.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  const them = a.candidates.map((o) => `${o.value.kind} ${o.value.metadata.namespace !== undefined ? `${safeText(o.value.metadata.namespace, 63)}/` : ''}${safeText(o.value.metadata.name, 253)} (${place(o, 'metadata', 'name')})`);
  ev.findings.push({
    code: 'RF946',
    severity: CODES.RF946.severity,
    path: place(a.referrer, ...a.path),
    message: `${a.referrer.value.kind} ${safeText(a.referrer.value.metadata.name, 253)} ${safeText(field, 120)} is ${safeText(a.written, 253)}, which the build of ${root.origin.source.path} renames in ${a.candidates.length} objects: ${them.join(' and ')}; their prefixes and suffixes do not tell kustomize which one the reference means, so \`kustomize build\` fails ("found multiple possible referrals"); so nothing this kustomization builds is deployed, and the doctor does not read its objects as deployed`,
    fix: `give all but one of ${them.length === 2 ? 'the two' : 'them'} another metadata.name in its file (and its own references), so ${safeText(a.written, 253)} names one object of the build`,
  } satisfies Finding);
}

/** GitOps kinds that deploy a chart release: a source (OCIRepository, Flux's HelmChart) or HelmChartConfig deploys none. */
const DEPLOYS_RELEASE: ReadonlySet<string> = new Set(['HelmRelease', 'HelmChart', 'Application', 'ApplicationSet']);

/**
 * The builds `kustomize build` refuses (a refused kustomization, or one listing it: kustomize-build.ts
 * said why): nothing of them is deployed, so the objects of the files only they build, and the
 * GitOps objects among them, are not read (no chain proven as if the build succeeded); their
 * kustomizations' helmCharts are not read either (gitops.ts). Found, they are not "no runner manager".
 */
function refusedBuilds(ev: Evidence, failed: Set<Node>, rootOf: (o: { origin: { source: { path: string } } }) => Node | undefined, orderOf: Map<Node, { n: Node }[]>): void {
  if (failed.size === 0) return;
  const out = (o: { origin: { source: { path: string } } }): boolean => {
    const root = rootOf(o);
    return root !== undefined && failed.has(root);
  };
  const dropped = ev.kubernetes.filter(out);
  const releases = (ev.gitOps ?? []).filter((g) => out(g) && g.kind !== 'Kustomization');
  // Only what deploys a release counts as a manager not deployed (a source or a chart's settings deploy none).
  ev.notDeployed = (ev.notDeployed ?? 0) + dropped.filter((o) => chainObject(o.value) && !RBAC_KINDS.has(o.value.kind) && o.value.kind !== 'ConfigMap').length + releases.filter((g) => DEPLOYS_RELEASE.has(g.kind)).length;
  if (dropped.length > 0) ev.kubernetes = ev.kubernetes.filter((o) => !dropped.includes(o));
  if (releases.length > 0) ev.gitOps = ev.gitOps!.filter((g) => !releases.includes(g));
  const kustomizations = new Set<Record<string, unknown>>();
  for (const n of failed) kustomizations.add(n.value);
  const built = new Set([...orderOf].filter(([root]) => !failed.has(root)).flatMap(([, order]) => order.map((s) => s.n)));
  for (const root of failed) for (const { n } of orderOf.get(root) ?? []) if (!built.has(n)) kustomizations.add(n.value);
  ev.kustomizeFailed = kustomizations;
}

/**
 * A base two overlays list: kustomize builds it once in each, each its own copy with that overlay's
 * namespace and patches. The doctor reads each object once, so it takes the copy of the first
 * overlay read; where the second renders it differently (another namespace, or patches), RF903 at
 * the base names both, once per base and pair of overlays.
 */
function sharedBases(ev: Evidence, shared: { base: Node; file: string; first: Node; other: Node; chain: Node[] }[], chainOf: Map<string, Node[]>): void {
  const PATCHES = ['patches', 'patchesStrategicMerge', 'patchesJson6902', 'namePrefix', 'nameSuffix'];
  const rendering = (chain: Node[]): string => JSON.stringify([chain.flatMap((n) => n.ops.map((op) => [op.namespace, op.unsetOnly, op.subjects])), chain.map((n) => PATCHES.map((k) => n.value[k] ?? null))]);
  const said = new Set<string>();
  for (const s of shared) {
    const first = chainOf.get(s.file);
    if (!first || rendering(first) === rendering(s.chain)) continue;
    const key = `${s.base.folder}\u0000${s.first.folder}\u0000${s.other.folder}`;
    if (said.has(key)) continue;
    said.add(key);
    const place = formatPosition(s.base.origin.source.locate(s.base.origin.doc, s.base.origin.path));
    const nsOf = (chain: Node[]): string => {
      const ops = chain.flatMap((n) => n.ops).filter((op) => !op.unsetOnly);
      return ops.length > 0 ? `namespace ${safeText(ops[ops.length - 1]!.namespace, 63)}` : 'the namespaces written';
    };
    ev.findings.push(finding(place, `${s.base.origin.source.path} is built by two overlays, ${s.first.origin.source.path} (${nsOf(first)}) and ${s.other.origin.source.path} (${nsOf(s.chain)}), and kustomize renders a copy of its objects in each with that overlay's namespace and patches; the doctor reads its objects once, as ${s.first.origin.source.path} renders them, so the copy ${s.other.origin.source.path} deploys is not proven`, `doctor each overlay on its own (give one overlay's folder with its bases), or give the output of kustomize build of each`));
  }
}

/**
 * Findings at one line of a component's resource file that several builds hold (Evidence.componentCopies):
 * each build's copy of its objects is proven, and what is wrong at that line is said once, the first
 * build's finding naming the builds that hold the copy (the others, of the same code there, dropped).
 */
export function oneInComponents(findings: Finding[], copies: Map<string, string[]> | undefined): Finding[] {
  if (!copies || copies.size === 0) return findings;
  const builds = (f: Finding): string[] | undefined => copies.get(f.path.replace(/:\d+:\d+$/, ''));
  const key = (f: Finding): string => `${f.code}\u0000${f.path}`;
  const count = new Map<string, number>();
  for (const f of findings) if (builds(f)) count.set(key(f), (count.get(key(f)) ?? 0) + 1);
  const said = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const b = builds(f);
    const k = key(f);
    if (!b || (count.get(k) ?? 0) < 2) {
      out.push(f);
      continue;
    }
    if (said.has(k)) continue;
    said.add(k);
    out.push({ ...f, message: `${f.message} (said once for the ${count.get(k)!} copies of this component's resource that ${b.join(' and ')} build, each its own)` });
  }
  return out;
}

/** The key of an object's place, for Evidence.namespaceNotes. */
export const originKey = (o: Origin): string => `${normalPath(o.source.path)}#${o.doc}#${o.path.join('/')}`;

/** The NamespaceTransformers of a kustomization's `transformers:` as its ops; RF903 at any other that may move a namespace. */
function transformers(ev: Evidence, n: Node, textOf: (path: string) => string | undefined, at: (n: Node, ...p: (string | number)[]) => string): void {
  const list = Array.isArray(n.value.transformers) ? n.value.transformers : [];
  const about = `${n.origin.source.path} transformers`;
  list.forEach((entry, i) => {
    if (typeof entry !== 'string' || entry.trim() === '') return;
    // Inline YAML (kusttarget.go configureExternalTransformers: an entry that parses as objects), else a path.
    const inline = entry.includes('\n') || /^\s*(apiVersion|kind)\s*:/.test(entry);
    const path = inline ? undefined : normalPath(`${n.folder}${entry}`);
    const text = inline ? entry : textOf(path!);
    const docs = text === undefined ? undefined : documents(text);
    const shown = safeText(inline ? 'inline' : entry, 100);
    if (docs === undefined) {
      const why = text === undefined ? 'is not among the files given (or is a folder of them)' : 'does not parse';
      ev.findings.push(finding(at(n, 'transformers', i), `${about}[${i}] (${shown}) ${why}, so what its transformers do to the namespaces of the manager's objects and RoleBinding subjects is not evaluated and the namespaces read are as written`, `give ${shown} with the kustomization, or give the output of kustomize build`));
      return;
    }
    for (const doc of docs) {
      if (!isObject(doc)) continue;
      const op = namespaceOp(doc, `the NamespaceTransformer of ${about}[${i}] (${at(n, 'transformers', i)})`);
      if (op === 'neutral') continue;
      if (op !== 'other') {
        n.ops.push(op);
        continue;
      }
      const kind = safeText(typeof doc.kind === 'string' ? doc.kind : '(no kind)', 60);
      ev.findings.push(finding(at(n, 'transformers', i), `${about}[${i}] (${shown}) holds a ${kind} transformer, which may change the namespace of the manager's objects or of a RoleBinding subject and which the doctor does not evaluate (it applies builtin NamespaceTransformers only), so the namespaces read are as the files write them and not proven`, 'give the output of kustomize build, or set namespaces with the kustomization\'s namespace field or a builtin NamespaceTransformer'));
    }
  });
}

/** RF903 at each of a kustomization's `replacements:` that writes a field named namespace (or whose file is not given): not evaluated. */
function replacements(ev: Evidence, n: Node, textOf: (path: string) => string | undefined, at: (n: Node, ...p: (string | number)[]) => string): void {
  const list = Array.isArray(n.value.replacements) ? n.value.replacements : [];
  const about = `${n.origin.source.path} replacements`;
  const writesNamespace = (r: unknown): boolean => isObject(r) && Array.isArray(r.targets) && r.targets.some((t) => isObject(t) && Array.isArray(t.fieldPaths) && t.fieldPaths.some(namespacePath));
  list.forEach((entry, i) => {
    if (!isObject(entry)) return;
    let items: unknown[] = [entry];
    const file = str(entry.path);
    if (file !== undefined) {
      const text = textOf(normalPath(`${n.folder}${file}`));
      const docs = text === undefined ? undefined : documents(text);
      if (docs === undefined) {
        ev.findings.push(finding(at(n, 'replacements', i), `${about}[${i}] (${safeText(file, 100)}) ${text === undefined ? 'is not among the files given' : 'does not parse'}, so whether it changes the namespace of the manager's objects or of a RoleBinding subject is not evaluated and the namespaces read are as written`, `give ${safeText(file, 100)} with the kustomization, or give the output of kustomize build`));
        return;
      }
      items = docs.flatMap((d): unknown[] => (Array.isArray(d) ? (d as unknown[]) : [d]));
    }
    if (!items.some(writesNamespace)) return;
    ev.findings.push(finding(at(n, 'replacements', i), `${about}[${i}] writes a field named namespace (a target's fieldPaths), which may move the manager's objects or a RoleBinding subject, and the doctor does not evaluate replacements, so the namespaces read are as the files write them and not proven`, 'give the output of kustomize build, or set namespaces with the kustomization\'s namespace field'));
  });
}

/**
 * The namespace a Flux Kustomization's `spec.targetNamespace` or an Argo CD Application's
 * `spec.source.kustomize.namespace` sets on the kustomization of its path (see the module's note):
 * that kustomization's namespace replaced, or, for Flux where the folder has none, one generated
 * listing the folder's YAML files. A path that names no folder of the files given is left (its
 * objects are not given); one that ends more than one folder's path is RF903.
 */
function overrides(ev: Evidence, given: Set<string>, byFolder: Map<string, Node>, nodes: Node[]): FluxPlain[] {
  const plain: FluxPlain[] = [];
  const folders = new Set<string>();
  for (const p of given) for (let f = folderOf(p); f !== ''; f = folderOf(f.slice(0, -1))) folders.add(f);
  const resolve = (path: string): string[] | undefined => {
    const want = trimEnd(normalPath(path.replace(/^\.?\/+/, '')), '/');
    if (want === '' || want === '.' || want.startsWith('../')) return undefined;
    return [...folders].filter((f) => f === `${want}/` || f.endsWith(`/${want}/`));
  };
  const apply = (origin: Origin, pathAt: (string | number)[], nsAt: (string | number)[], path: string, namespace: string | undefined, what: string, flux: boolean, note?: string): void => {
    const found = resolve(path);
    const place = formatPosition(origin.source.locate(origin.doc, [...origin.path, ...pathAt]));
    if (found === undefined || found.length === 0) return;
    if (found.length > 1) {
      if (namespace === undefined) return;
      ev.findings.push(finding(place, `${what} sets namespace ${safeText(namespace, 63)} on what it builds from ${safeText(path, 100)}, and more than one folder of the files given ends in that path (${found.slice(0, 4).join(', ')}), so it is not applied and the namespaces read are as written`, 'give the files of one repository, from its root'));
      return;
    }
    const folder = found[0]!;
    let node = byFolder.get(folder);
    const written = node !== undefined;
    if (!node && flux) {
      // kustomize-controller's generated kustomization: every YAML file under the folder, a sub-folder with a kustomization as a folder.
      const kustomized = [...byFolder.keys()].filter((f) => f !== folder && f.startsWith(folder));
      const resources = [...given].filter((p) => p.startsWith(folder) && /\.ya?ml$/i.test(p) && !kustomized.some((k) => p.startsWith(k))).map((p) => p.slice(folder.length));
      for (const k of kustomized) if (!kustomized.some((o) => o !== k && k.startsWith(o))) resources.push(k.slice(folder.length));
      node = { folder, value: { resources }, origin, ops: [] };
      byFolder.set(folder, node);
      nodes.push(node);
    }
    if (!node) return;
    if (namespace === undefined) {
      plain.push({ folder, what, place, written });
      return;
    }
    node.namespace = namespace;
    node.what = `${what} (${formatPosition(origin.source.locate(origin.doc, [...origin.path, ...nsAt]))})`;
    if (note !== undefined) node.note = { namespace, text: note };
  };
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'Kustomization' || typeof o.value.apiVersion !== 'string' || !o.value.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) continue;
    const spec = (o.value as unknown as Record<string, unknown>).spec;
    if (!isObject(spec)) continue;
    const target = str(spec.targetNamespace);
    const path = str(spec.path);
    if (path === undefined) continue;
    const name = `Flux Kustomization ${safeText(o.value.metadata.name, 80)}`;
    apply(o.origin, ['spec', 'path'], ['spec', 'targetNamespace'], path, target, target !== undefined ? `${name}'s spec.targetNamespace` : name, true);
  }
  for (const g of ev.gitOps ?? []) {
    if (g.kind !== 'Application') continue;
    const spec = isObject(g.value.spec) ? g.value.spec : {};
    const name = isObject(g.value.metadata) ? str(g.value.metadata.name) : undefined;
    const destination = isObject(spec.destination) ? str(spec.destination.namespace) : undefined;
    const sources: [unknown, (string | number)[]][] = isObject(spec.source) ? [[spec.source, ['spec', 'source']]] : Array.isArray(spec.sources) ? (spec.sources as unknown[]).map((s, i): [unknown, (string | number)[]] => [s, ['spec', 'sources', i]]) : [];
    for (const [source, sp] of sources) {
      if (!isObject(source) || !isObject(source.kustomize)) continue;
      const namespace = str(source.kustomize.namespace);
      const path = str(source.path);
      if (namespace === undefined || path === undefined) continue;
      const what = `Application ${safeText(name ?? '(no name)', 80)}'s ${sp.join('.').replace(/\.(\d+)/g, '[$1]').replace(/^spec\./, '')}.kustomize.namespace`;
      const at = (p: (string | number)[]): string => formatPosition(g.origin.source.locate(g.origin.doc, [...g.origin.path, ...p]));
      // Argo CD sets destination.namespace only on objects rendered with no namespace (controller/state.go); kustomize gives every namespaced one this.
      const note = destination !== undefined && destination !== namespace
        ? `namespace ${safeText(namespace, 63)}: ${what} (${at([...sp, 'kustomize', 'namespace'])}), which Argo CD sets as the kustomization's namespace (kustomize edit set namespace), so every namespaced object is rendered in it; its destination.namespace ${safeText(destination, 63)} (${at(['spec', 'destination', 'namespace'])}) takes only objects rendered with no namespace`
        : undefined;
      apply(g.origin, [...sp, 'path'], [...sp, 'kustomize', 'namespace'], path, namespace, what, false, note);
    }
  }
  return plain;
}

/** A Flux Kustomization with no spec.targetNamespace: the folder of its spec.path, what it is, where its path is written. */
interface FluxPlain {
  folder: string;
  what: string;
  place: string;
  /** Whether the folder has a kustomization of its own (else kustomize-controller generates one). */
  written: boolean;
}

/**
 * What a Flux Kustomization with no spec.targetNamespace builds is applied as built: kustomize-controller
 * puts an object that names no namespace neither in the Kustomization's own namespace nor in
 * `default` (it sets none: fluxcd/pkg kustomize_generator.go only with targetNamespace), and its
 * server-side apply dry-runs every object of a stage before applying any (fluxcd/pkg ssa
 * ResourceManager.ApplyAllStaged / ApplyAll), so one namespaced object with none fails the stage of
 * every object but CRDs, Namespaces and ClusterRoles ("<Kind>/<name> namespace not specified", ssa/
 * errors DryRunErr). RF903 at its spec.path names the runner's objects with none — a Flux HelmRelease
 * or k3s HelmChart it builds among them, namespaced objects as any other; the objects of that stage,
 * and its releases, are not read as deployed (no chain proven in `default`, no RF903 of the
 * HelmRelease's own).
 */
function fluxUnapplied(ev: Evidence, plain: readonly FluxPlain[], builds: Map<string, Set<string>>): void {
  const DEFINITIONS = new Set(['CustomResourceDefinition', 'Namespace', 'ClusterRole']);
  for (const f of plain) {
    const files = builds.get(f.folder);
    if (!files) continue;
    const built = ev.kubernetes.filter((o) => files.has(normalPath(o.origin.source.path)));
    // A Flux HelmRelease or k3s HelmChart it builds is a namespaced object as any other: with none it fails the apply too, and with the stage it is not applied.
    const releases = (ev.gitOps ?? []).filter((g) => (g.kind === 'HelmRelease' || g.kind === 'HelmChart') && files.has(normalPath(g.origin.source.path)));
    const nameOf = (v: Record<string, unknown>): string => (isObject(v.metadata) ? str(v.metadata.name) ?? '' : '');
    const noNamespace = (v: Record<string, unknown>): boolean => !isObject(v.metadata) || str(v.metadata.namespace) === undefined;
    const none = [
      ...built.filter((o) => chainObject(o.value) && !CLUSTER_SCOPED.has(o.value.kind) && str(o.value.metadata.namespace) === undefined).map((o) => ({ kind: o.value.kind, name: o.value.metadata.name, origin: o.origin })),
      ...releases.filter((g) => noNamespace(g.value)).map((g) => ({ kind: g.kind, name: nameOf(g.value), origin: g.origin })),
    ];
    if (none.length === 0) continue;
    const shown = none.slice(0, 4).map((o) => `${o.kind}/${safeText(o.name, 80)} (${formatPosition(o.origin.source.locate(o.origin.doc, [...o.origin.path, 'metadata']))})`).join(', ');
    const first = none[0]!;
    ev.findings.push(finding(f.place, `${f.what} has no spec.targetNamespace, and what it builds from ${safeText(f.folder, 100)} names no namespace for ${shown}${none.length > 4 ? ` and ${none.length - 4} more` : ''}: kustomize-controller applies objects as built, putting them neither in the Kustomization's own namespace nor in default, and its server-side apply fails for such an object ("${first.kind}/${safeText(first.name, 80)} namespace not specified"), before it applies any namespaced object of the build; so these are not deployed and the runner's chain is not proven`, `set spec.targetNamespace on the Flux Kustomization, ${f.written ? `or namespace: in the kustomization of ${safeText(f.folder, 100)}` : `or write a kustomization.yaml in ${safeText(f.folder, 100)} with namespace: and these files as resources`}, or metadata.namespace in each of these objects`));
    const dropped = new Set(built.filter((o) => !DEFINITIONS.has(o.value.kind)));
    ev.notDeployed = (ev.notDeployed ?? 0) + [...dropped].filter((o) => chainObject(o.value) && !RBAC_KINDS.has(o.value.kind) && o.value.kind !== 'ConfigMap').length + releases.length;
    ev.kubernetes = ev.kubernetes.filter((o) => !dropped.has(o));
    // Its releases are not installed: not read (no chain, no RF903 of their own).
    if (releases.length > 0) ev.gitOps = ev.gitOps!.filter((g) => !releases.includes(g));
  }
}
