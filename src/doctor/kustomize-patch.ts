import { parseAllDocuments } from 'yaml';
import { isObject } from '../model/is-object.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Evidence, Located } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { RUNNER_IMAGE } from './runner-image.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';

/**
 * A kustomization's patches (kustomize api/types/kustomization.go: `patches`, and the deprecated
 * `patchesStrategicMerge` and `patchesJson6902`), over the objects of the files it builds.
 *
 * - Order (api/internal/target/kusttarget_configplugin.go, the builtin transformers in order):
 *   `patchesStrategicMerge`, then `patches`, then the kustomization's namespace, then
 *   `patchesJson6902`. An inner kustomization is built whole (its patches and namespace) before
 *   the one that lists it.
 * - A `patches` entry (api/types/patch.go: `path` or `patch`, `target`, `options`) is a JSON 6902
 *   patch when its text is a list of operations, else a strategic-merge patch
 *   (plugin/builtin/patchtransformer): with a `target` it is applied to every object the selector
 *   picks (kind, name and namespace are anchored regular expressions, types/selector.go; the
 *   namespace matched against the object's original and current namespaces, see selects); a
 *   strategic-merge patch without one to the object of its id (apiVersion, kind, name, namespace),
 *   and where no object has that id the build fails (RF939, see matchesNothing).
 *
 * Applied where it is sound: a strategic-merge patch that sets `metadata.annotations`,
 * `metadata.labels`, `metadata.namespace` (with a target), a pod template's `metadata.labels` (AKS
 * workload identity's `azure.workload.identity/use`) or `serviceAccountName`, or container `env`
 * entries by name (maps merged key by key, env merged by name, an entry not written appended); a
 * JSON 6902 patch of `add` or `replace` operations on those paths (a whole label or annotation map,
 * or one key of it). A value it sets is placed at the patch (the file and line
 * that wrote it). Any other patch that can reach an object a runner chain reads (the manager's
 * workload, a ServiceAccount, a ConfigMap holding config.toml, RBAC, a Namespace) is RF903 at its
 * entry: the doctor reads the objects unpatched there. Patches of other objects are not said,
 * except a strategic-merge patch with no target that matches no object (RF939: the build fails).
 */

type Path = (string | number)[];

/** Kinds Kubernetes serves cluster-wide (kustomize's built-in list of cluster-scoped kinds): no namespace is set on them. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume', 'PriorityClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService', 'CSIDriver', 'CSINode', 'RuntimeClass', 'Node', 'ComponentStatus', 'CertificateSigningRequest', 'PodSecurityPolicy', 'VolumeAttachment', 'IngressClass', 'ClusterIssuer', 'SecurityContextConstraints', 'Infrastructure']);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod']);
const RBAC = new Set(['ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole', 'Namespace']);

/** Whether an object is one a runner chain reads: a workload running gitlab-runner, RBAC, a ServiceAccount, a Namespace, a ConfigMap holding a TOML file. */
export function chainObject(o: K8sObject): boolean {
  if (RBAC.has(o.kind)) return true;
  const v = o as unknown as Record<string, unknown>;
  if (o.kind === 'ConfigMap') return isObject(v.data) && Object.keys(v.data).some((k) => k.endsWith('.toml'));
  if (!WORKLOADS.has(o.kind)) return false;
  const pod = podSpec(v);
  const containers = pod && Array.isArray(pod.containers) ? pod.containers : [];
  return containers.some((c) => isObject(c) && typeof c.image === 'string' && RUNNER_IMAGE.test(c.image));
}

/** The pod spec of a workload (a Pod's spec, else its template's). */
function podSpec(v: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = isObject(v.spec) ? v.spec : undefined;
  if (!spec) return undefined;
  if (v.kind === 'Pod') return spec;
  return isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
}
const podPath = (kind: string): Path => (kind === 'Pod' ? ['spec'] : ['spec', 'template', 'spec']);

/**
 * An object's source with the places of values a patch wrote: a path at or under one of them is
 * located in the patch, any other where the object is written.
 */
export class PatchedSource extends SourceFile {
  readonly #of: SourceFile;
  readonly #doc: number;
  readonly #base: Path;
  readonly marks: { path: Path; at: (rest: Path) => Position }[] = [];
  constructor(of: SourceFile, doc: number, base: Path) {
    super(of.path, of.text, of.syntax);
    this.#of = of;
    this.#doc = doc;
    this.#base = base;
  }
  override locate(doc: number, path: readonly (string | number)[]): Position {
    if (doc === this.#doc && this.#base.every((k, i) => path[i] === k)) {
      const rel = path.slice(this.#base.length);
      let best: (typeof this.marks)[number] | undefined;
      for (const m of this.marks) if (m.path.length <= rel.length && m.path.every((k, i) => rel[i] === k) && (!best || m.path.length >= best.path.length)) best = m;
      if (best) return best.at(rel.slice(best.path.length));
    }
    return this.#of.locate(doc, path);
  }
  override writtenAs(doc: number, path: readonly (string | number)[]): string | undefined {
    return this.#of.writtenAs(doc, path);
  }
}

/** Marks a value of an object as written by a patch. Later marks at the same path win. */
function mark(o: Located<K8sObject>, path: Path, at: (rest: Path) => Position): void {
  if (!(o.origin.source instanceof PatchedSource)) o.origin = { ...o.origin, source: new PatchedSource(o.origin.source, o.origin.doc, o.origin.path) };
  const src = o.origin.source as PatchedSource;
  // A mark under the new one is overwritten by it.
  for (let i = src.marks.length - 1; i >= 0; i--) if (path.every((k, j) => src.marks[i]!.path[j] === k)) src.marks.splice(i, 1);
  src.marks.push({ path, at });
}

/** A value a kustomization's replacement set (kustomize-replacements.ts): placed where it came from, as a patch's value is. */
export const markPatched = (o: Located<K8sObject>, path: Path, at: (rest: Path) => Position): void => mark(o, path, at);

/** One patch of a kustomization: its entry, its text (and where that text is), its target. */
interface Patch {
  field: 'patches' | 'patchesStrategicMerge' | 'patchesJson6902';
  index: number;
  entryAt: string;
  /** `file` (the path written) or `inline`. */
  what: string;
  docs?: unknown[];
  /** Where a path of document `doc` of the patch text is. */
  locate?: (doc: number, path: Path) => Position;
  target?: Record<string, unknown>;
  /** Why its text is not read (a file not given, YAML that does not parse). */
  unread?: string;
  options: boolean;
}

export interface PatchContext {
  folder: string;
  value: Record<string, unknown>;
  origin: Origin;
  textOf: (path: string) => string | undefined;
  /** The namespace an object's file writes (before any kustomization changed it). */
  writtenNamespace: (o: Located<K8sObject>) => string | undefined;
  /** The ids (name, namespace) an object had before the namespace and name changes of the build so far, oldest first (kustomize-names.ts). */
  pastIds?: (o: Located<K8sObject>) => readonly { name: string; namespace?: string }[];
  /**
   * The files the kustomization builds, where its build is closed (every resource a file given, its
   * inner kustomizations closed too, nothing that makes or renames objects); undefined otherwise.
   */
  closedFiles?: readonly string[];
  /** Places of a literal block string of the kustomization (gitops.ts stringPlaces). */
  placesOf: (file: SourceFile, at: Position, text: string) => ((p: Path) => Position) | undefined;
}

/** The YAML documents of a text with their parsed form; undefined when it does not parse. */
function parse(text: string): unknown[] | undefined {
  try {
    const docs = parseAllDocuments(text, { version: '1.2', logLevel: 'error' });
    if (docs.some((d) => d.errors.length > 0)) return undefined;
    return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch {
    return undefined;
  }
}

/** The patch entries of a kustomization, read. */
function patchesOf(k: PatchContext): Patch[] {
  const out: Patch[] = [];
  const at = (...p: Path): Position => k.origin.source.locate(k.origin.doc, [...k.origin.path, ...p]);
  const fromFile = (rel: string): Pick<Patch, 'docs' | 'locate' | 'unread' | 'what'> => {
    const path = normalPath(`${k.folder}${rel}`);
    const text = k.textOf(path);
    const what = safeText(rel, 100);
    if (text === undefined) return { what, unread: `${what} is not among the files given` };
    const docs = parse(text);
    if (docs === undefined) return { what, unread: `${what} does not parse` };
    const file = new SourceFile(path, text, 'yaml');
    return { what, docs, locate: (doc, p) => file.locate(doc, p) };
  };
  const inline = (text: string, place: Path): Pick<Patch, 'docs' | 'locate' | 'unread' | 'what'> => {
    const docs = parse(text);
    if (docs === undefined) return { what: 'an inline patch', unread: 'its inline patch does not parse' };
    const where = at(...place);
    const places = k.placesOf(k.origin.source, where, text);
    return { what: 'an inline patch', docs, locate: (doc, p) => (places && doc === 0 && docs.length === 1 ? places(p) : where) };
  };
  const list = (key: Patch['field']): unknown[] => (Array.isArray(k.value[key]) ? (k.value[key] as unknown[]) : []);
  list('patchesStrategicMerge').forEach((e, index) => {
    if (typeof e !== 'string' || e === '') return;
    // A file path, or the patch itself written inline (kustomize reads a string that is not a file as a patch).
    const file = k.textOf(normalPath(`${k.folder}${e}`)) !== undefined || !/[\n:]/.test(e);
    out.push({ field: 'patchesStrategicMerge', index, entryAt: formatPosition(at('patchesStrategicMerge', index)), options: false, ...(file ? fromFile(e) : inline(e, ['patchesStrategicMerge', index])) });
  });
  for (const field of ['patches', 'patchesJson6902'] as const) {
    list(field).forEach((e, index) => {
      if (!isObject(e)) return;
      const body = str(e.path) !== undefined ? fromFile(e.path as string) : typeof e.patch === 'string' ? inline(e.patch, [field, index, 'patch']) : undefined;
      if (!body) return;
      out.push({ field, index, entryAt: formatPosition(at(field, index)), options: isObject(e.options) && Object.values(e.options).some((v) => v === true), ...(isObject(e.target) ? { target: e.target } : {}), ...body });
    });
  }
  return out;
}

/**
 * An object's effective namespace as kustomize compares ids (kyaml resid.ResId EffectiveNamespace):
 * `_non_namespaceable_` for a cluster-scoped kind, `default` for none written, else the namespace.
 */
const effectiveNamespace = (kind: string, ns: string | undefined): string => (CLUSTER_SCOPED.has(kind) ? '_non_namespaceable_' : (ns ?? '') === '' ? 'default' : ns!);

/**
 * Whether a selector (kind, name, namespace: anchored regular expressions) picks an object;
 * labelSelector / annotationSelector: undefined (not evaluated). The namespace is matched against the
 * object's original namespace (as its file writes it) and its current one (after the namespace
 * changes of the kustomizations built before this one), either picks it (kustomize api/resmap/
 * reswrangler.go Select: `sr.MatchNamespace(orgId.EffectiveNamespace())` or `curId`'s; the
 * kustomization's own `namespace:` runs after its patches, so it is not the current one yet).
 */
export function selects(target: Record<string, unknown>, o: K8sObject, written: string | undefined, originalName: string = o.metadata.name): boolean | undefined {
  const re = (pattern: unknown, value: string | undefined): boolean => {
    if (typeof pattern !== 'string' || pattern === '') return true;
    try {
      return new RegExp(`^(?:${pattern})$`).test(value ?? '');
    } catch {
      return pattern === value;
    }
  };
  const namespaces = [written, o.metadata.namespace].map((n) => effectiveNamespace(o.kind, n));
  // The name too: the original (before any prefix or suffix) or the current one.
  if (!re(target.kind, o.kind) || ![originalName, o.metadata.name].some((n) => re(target.name, n)) || !namespaces.some((n) => re(target.namespace, n))) return false;
  if (typeof target.group === 'string' && target.group !== '' && !(o.apiVersion.includes('/') ? re(target.group, o.apiVersion.split('/')[0]) : false)) return false;
  if (str(target.labelSelector) !== undefined || str(target.annotationSelector) !== undefined) return undefined;
  return true;
}

/** What a patch names as its target, for messages. */
function targetName(p: Patch, doc: unknown): string {
  if (p.target) return `${safeText(str(p.target.kind) ?? '*', 40)}/${safeText(str(p.target.name) ?? '*', 80)}`;
  const meta = isObject(doc) && isObject(doc.metadata) ? doc.metadata : {};
  return `${safeText(isObject(doc) ? (str(doc.kind) ?? '?') : '?', 40)}/${safeText(str(meta.name) ?? '?', 80)}`;
}

/** An edit a patch makes: the path of the value in the object, the value, and where the patch writes it. */
interface Edit {
  path: Path;
  /** Sets the value on the object (false: the object does not have the place, so the build would fail). */
  apply: (o: Record<string, unknown>) => boolean;
  at: (rest: Path) => Position;
}

/**
 * The edits of a map a strategic-merge patch merges into an object (`metadata.annotations`,
 * `metadata.labels`, a pod template's labels): each key set, the maps on the way made where the
 * object has none; undefined when a value is not a string (a label or annotation is one).
 */
function mapEdits(value: unknown, at: Path, locate: (p: Path) => Position): Edit[] | undefined {
  if (!isObject(value)) return undefined;
  const edits: Edit[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') return undefined;
    edits.push({ path: [...at, key], apply: (x) => {
      let node: Record<string, unknown> = x;
      for (const k of at) {
        if (!isObject(node[k])) node[k] = {};
        node = node[k] as Record<string, unknown>;
      }
      node[key] = v;
      return true;
    }, at: (r) => locate([...at, key, ...r]) });
  }
  return edits;
}

/** The edits of a strategic-merge patch document, or undefined when it changes anything else. */
function strategicEdits(doc: Record<string, unknown>, o: K8sObject, locate: (p: Path) => Position, targeted: boolean): Edit[] | undefined {
  const edits: Edit[] = [];
  for (const key of Object.keys(doc)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      if (!isObject(doc.metadata)) return undefined;
      for (const [mk, mv] of Object.entries(doc.metadata)) {
        if (mk === 'name') continue;
        if (mk === 'namespace') {
          // Without a target the patch's namespace names the object it patches (its id), with one it sets it.
          if (!targeted) continue;
          if (typeof mv !== 'string' || mv === '') return undefined;
          edits.push({ path: ['metadata', 'namespace'], apply: (x) => {
            (x.metadata as Record<string, unknown>).namespace = mv;
            return true;
          }, at: (r) => locate(['metadata', 'namespace', ...r]) });
        } else if (mk === 'annotations' || mk === 'labels') {
          // Merged key by key (a strategic merge of a map); a label or annotation value is a string.
          const added = mapEdits(mv, ['metadata', mk], locate);
          if (!added) return undefined;
          edits.push(...added);
        } else return undefined;
      }
      continue;
    }
    if (key !== 'spec' || !WORKLOADS.has(o.kind) || !isObject(doc.spec)) return undefined;
    // spec: only the pod template's labels, the pod spec's serviceAccountName and containers' env.
    let pod: unknown = doc.spec;
    if (o.kind !== 'Pod') {
      if (Object.keys(doc.spec).some((k) => k !== 'template') || !isObject(doc.spec.template) || Object.keys(doc.spec.template).some((k) => k !== 'spec' && k !== 'metadata')) return undefined;
      const template = doc.spec.template;
      if (template.metadata !== undefined) {
        // The pod's labels (AKS workload identity's azure.workload.identity/use), merged key by key.
        if (!isObject(template.metadata) || Object.keys(template.metadata).some((k) => k !== 'labels')) return undefined;
        const added = mapEdits(template.metadata.labels, ['spec', 'template', 'metadata', 'labels'], locate);
        if (!added) return undefined;
        edits.push(...added);
      }
      if (template.spec === undefined) continue;
      pod = template.spec;
    }
    if (!isObject(pod)) return undefined;
    const pp = podPath(o.kind);
    for (const [pk, pv] of Object.entries(pod)) {
      if (pk === 'serviceAccountName') {
        if (typeof pv !== 'string' || pv === '') return undefined;
        edits.push({ path: [...pp, 'serviceAccountName'], apply: (x) => {
          const spec = podSpec(x);
          if (!spec) return false;
          spec.serviceAccountName = pv;
          return true;
        }, at: (r) => locate([...pp, 'serviceAccountName', ...r]) });
      } else if (pk === 'containers') {
        if (!Array.isArray(pv)) return undefined;
        for (const [ci, c] of pv.entries()) {
          if (!isObject(c) || typeof c.name !== 'string' || Object.keys(c).some((k) => k !== 'name' && k !== 'env') || !Array.isArray(c.env)) return undefined;
          for (const [ei, e] of c.env.entries()) {
            if (!isObject(e) || typeof e.name !== 'string' || Object.keys(e).some((k) => k !== 'name' && k !== 'value') || typeof e.value !== 'string') return undefined;
            const container = (x: Record<string, unknown>): Record<string, unknown> | undefined => {
              const spec = podSpec(x);
              const list = spec && Array.isArray(spec.containers) ? spec.containers : [];
              return list.find((y): y is Record<string, unknown> => isObject(y) && y.name === c.name);
            };
            const envIndex = (x: Record<string, unknown>): number => {
              const cont = container(x);
              const env = cont && Array.isArray(cont.env) ? cont.env : [];
              const i = env.findIndex((y) => isObject(y) && y.name === e.name);
              return i >= 0 ? i : env.length;
            };
            let placed: Path = [];
            edits.push({
              get path() {
                return placed;
              },
              apply: (x) => {
                const cont = container(x);
                // A container the object does not have would be added with only a name: not simple.
                if (!cont) return false;
                if (!Array.isArray(cont.env)) cont.env = [];
                const env = cont.env as unknown[];
                const i = envIndex(x);
                const had = env[i];
                // An entry taking its value from a secret or field: merging a value into it is not simple.
                if (isObject(had) && had.valueFrom !== undefined) return false;
                env[i] = { name: e.name, value: e.value };
                const spec = podSpec(x)!;
                placed = [...pp, 'containers', (spec.containers as unknown[]).indexOf(cont), 'env', i];
                return true;
              },
              at: (r) => locate([...pp, 'containers', ci, 'env', ei, ...r]),
            });
          }
        }
      } else return undefined;
    }
  }
  return edits;
}

/** A JSON pointer's tokens (RFC 6901: ~1 is /, ~0 is ~); undefined when it is not one. */
function pointer(p: unknown): string[] | undefined {
  if (typeof p !== 'string' || !p.startsWith('/')) return undefined;
  return p.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The map a JSON pointer names, where a patch may write it: `metadata.annotations`, `metadata.labels`, and a workload's pod template labels. */
function mapPath(tokens: readonly string[], kind: string): Path | undefined {
  const joined = tokens.join('/');
  if (joined === 'metadata/annotations' || joined === 'metadata/labels') return [...tokens];
  if (WORKLOADS.has(kind) && kind !== 'Pod' && joined === 'spec/template/metadata/labels') return [...tokens];
  return undefined;
}
function getPath(root: unknown, path: Path): Record<string, unknown> | undefined {
  let n: unknown = root;
  for (const k of path) n = isObject(n) ? n[k as string] : undefined;
  return isObject(n) ? n : undefined;
}

/** The edits of a JSON 6902 patch (a list of operations), or undefined when one is not an add or replace of the paths applied. */
function jsonEdits(ops: unknown[], o: K8sObject, locate: (p: Path) => Position): Edit[] | undefined {
  const edits: Edit[] = [];
  const pp = podPath(o.kind);
  for (const [i, op] of ops.entries()) {
    if (!isObject(op) || (op.op !== 'add' && op.op !== 'replace')) return undefined;
    const tokens = pointer(op.path);
    if (!tokens) return undefined;
    const v = op.value;
    const replace = op.op === 'replace';
    const at = (r: Path): Position => locate([i, 'value', ...r]);
    const meta = (x: Record<string, unknown>): Record<string, unknown> => x.metadata as Record<string, unknown>;
    const joined = tokens.join('/');
    if (joined === 'metadata/namespace' && typeof v === 'string' && v !== '') {
      edits.push({ path: ['metadata', 'namespace'], apply: (x) => {
        if (replace && meta(x).namespace === undefined) return false;
        meta(x).namespace = v;
        return true;
      }, at });
    } else if (mapPath(tokens, o.kind) !== undefined && isObject(v) && Object.values(v).every((a) => typeof a === 'string')) {
      // The whole map: add sets it (replacing one there, RFC 6902 4.1), replace needs one there.
      const at2 = mapPath(tokens, o.kind)!;
      edits.push({ path: at2, apply: (x) => {
        const parent = getPath(x, at2.slice(0, -1));
        if (!isObject(parent) || (replace && !isObject(parent[at2[at2.length - 1]!]))) return false;
        parent[at2[at2.length - 1]!] = { ...v };
        return true;
      }, at });
    } else if (tokens.length > 1 && mapPath(tokens.slice(0, -1), o.kind) !== undefined && typeof v === 'string') {
      const map = mapPath(tokens.slice(0, -1), o.kind)!;
      const key = tokens[tokens.length - 1]!;
      // add needs the map, replace the key too (RFC 6902 4.1, 4.3).
      edits.push({ path: [...map, key], apply: (x) => {
        const a = getPath(x, map);
        if (!isObject(a) || (replace && a[key] === undefined)) return false;
        a[key] = v;
        return true;
      }, at });
    } else if (WORKLOADS.has(o.kind) && joined === [...pp, 'serviceAccountName'].join('/') && typeof v === 'string' && v !== '') {
      edits.push({ path: [...pp, 'serviceAccountName'], apply: (x) => {
        const spec = podSpec(x);
        if (!spec || (replace && spec.serviceAccountName === undefined)) return false;
        spec.serviceAccountName = v;
        return true;
      }, at });
    } else if (WORKLOADS.has(o.kind) && tokens.length >= pp.length + 3 && tokens.slice(0, pp.length + 1).join('/') === [...pp, 'containers'].join('/') && /^\d+$/.test(tokens[pp.length + 1]!) && tokens[pp.length + 2] === 'env' && tokens.length <= pp.length + 4) {
      const ci = Number(tokens[pp.length + 1]);
      const last = tokens[pp.length + 3];
      const entry = (e: unknown): boolean => isObject(e) && typeof e.name === 'string' && typeof e.value === 'string' && Object.keys(e).every((k) => k === 'name' || k === 'value');
      if (last === undefined ? !(Array.isArray(v) && v.every(entry)) : !(entry(v) && (last === '-' || /^\d+$/.test(last)))) return undefined;
      let placed: Path = [];
      edits.push({
        get path() {
          return placed;
        },
        apply: (x) => {
          const spec = podSpec(x);
          const cont: unknown = spec && Array.isArray(spec.containers) ? spec.containers[ci] : undefined;
          if (!isObject(cont)) return false;
          if (last === undefined) {
            if (replace && !Array.isArray(cont.env)) return false;
            cont.env = structuredClone(v);
            placed = [...pp, 'containers', ci, 'env'];
            return true;
          }
          if (!Array.isArray(cont.env)) return false;
          const env = cont.env as unknown[];
          const j = last === '-' ? env.length : Number(last);
          if (j > env.length || (replace && j >= env.length)) return false;
          if (replace) env[j] = structuredClone(v);
          else env.splice(j, 0, structuredClone(v));
          placed = [...pp, 'containers', ci, 'env', j];
          return true;
        },
        at,
      });
    } else return undefined;
  }
  return edits;
}

/** kustomize's text of a resource id (kyaml resid ResId.String: kind.version.group/name.namespace, `[noVer]`, `[noGrp]`, `[noName]`, `[noNs]` for one not written). */
function idText(doc: Record<string, unknown>): string {
  const api = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
  const [group, version] = api.includes('/') ? [api.slice(0, api.indexOf('/')), api.slice(api.indexOf('/') + 1)] : ['', api];
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const part = (v: unknown, none: string): string => safeText(str(v) ?? none, 80);
  return `${part(doc.kind, '[noKind]')}.${part(version, '[noVer]')}.${part(group, '[noGrp]')}/${part(meta.name, '[noName]')}.${part(meta.namespace, '[noNs]')}`;
}

/**
 * RF939 at a strategic-merge patch with no target (a `patchesStrategicMerge` entry, a `patches`
 * entry with no `target`) whose id no object of the build has: kustomize looks the object up by the
 * patch's id (apiVersion, kind, name, namespace; none is default) among every object's current and
 * previous ids and fails the build where none has it (api/internal/builtins/
 * PatchStrategicMergeTransformer.go and PatchTransformer.go transformStrategicMerge: `m.GetById(
 * patch.OrgId())`; api/resmap/reswrangler.go GetById, demandOneMatch "no matches for Id"). Said only
 * where the build is closed (`k.closedFiles`: every resource a file given, no generator, component,
 * transformer or replacement that could make or rename an object; a name prefix or suffix is
 * modelled, the ids it leaves in `k.pastIds`) and every
 * document of those files with the patch's kind and name is an object read: else the object may be
 * one the doctor does not see.
 */
function matchesNothing(p: Patch, doc: Record<string, unknown>, objects: readonly Located<K8sObject>[], k: PatchContext): Finding | undefined {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  // A patch with no kind or name, or a List, fails (or is inlined) before any lookup (kyaml RNode GetValidatedMetadata): not this.
  if (!k.closedFiles || str(doc.kind) === undefined || str(meta.name) === undefined || String(doc.kind).endsWith('List')) return undefined;
  const read = new Set(objects.filter((o) => o.origin.path.length === 0).map((o) => `${normalPath(o.origin.source.path)}#${o.origin.doc}`));
  for (const f of k.closedFiles) {
    const text = k.textOf(f);
    const docs = text === undefined ? undefined : parse(text);
    if (!docs) return undefined;
    for (const [i, d] of docs.entries()) {
      if (!isObject(d)) continue;
      if (Array.isArray(d.items)) return undefined;
      const m = isObject(d.metadata) ? d.metadata : {};
      if (d.kind === doc.kind && m.name === meta.name && !read.has(`${f}#${i}`)) return undefined;
    }
  }
  const id = idText(doc);
  const lookup = `no matches for Id ${id}; failed to find unique target for patch ${id}`;
  const error = p.field === 'patches' ? `no resource matches strategic merge patch "${id}": ${lookup}` : lookup;
  return {
    code: 'RF939',
    severity: CODES.RF939.severity,
    path: p.entryAt,
    message: `${p.field}[${p.index}] (${p.what}) is a strategic-merge patch of ${id} with no target, and no object the kustomization builds has that id (apiVersion, kind, name, and namespace as written or as an inner kustomization set it; none is default), so \`kustomize build\` fails: ${error}`,
    fix: 'make the patch name an object the kustomization lists (its apiVersion, kind, name and namespace), give it a target, or remove it',
  };
}

/** RF903 at a patch entry. */
function said(p: Patch, objects: readonly Located<K8sObject>[], doc: unknown, why: string): Finding {
  const names = [...new Set(objects.map((o) => `${o.value.kind}/${o.value.metadata.name}`))].slice(0, 3).join(', ');
  return {
    code: 'RF903',
    severity: CODES.RF903.severity,
    path: p.entryAt,
    message: `kustomize patches ${names !== '' ? safeText(names, 200) : targetName(p, doc)} with ${p.what} (${p.field}[${p.index}]); ${why}the doctor reads the objects unpatched, so what the patch changes is not proven`,
    fix: 'give the output of kustomize build, or write the change in the objects the kustomization lists',
  };
}

/**
 * Applies a kustomization's patches of one phase (`before`: patchesStrategicMerge and patches, which
 * run before its namespace; `after`: patchesJson6902) to the objects it builds. A target's namespace
 * is matched against each object's namespace as written (`k.writtenNamespace`) and as it is now
 * (after the inner kustomizations', and in the `after` phase this one's, namespace changes).
 */
export function applyKustomizePatches(ev: Evidence, k: PatchContext, objects: readonly Located<K8sObject>[], phase: 'before' | 'after'): void {
  const fields: Patch['field'][] = phase === 'before' ? ['patchesStrategicMerge', 'patches'] : ['patchesJson6902'];
  const originalName = (o: Located<K8sObject>): string => k.pastIds?.(o)[0]?.name ?? o.value.metadata.name;
  const patches = patchesOf(k).filter((p) => fields.includes(p.field));
  for (const p of patches) {
    const relevant = objects.filter((o) => chainObject(o.value));
    if (p.unread !== undefined || !p.docs || !p.locate) {
      // Its target alone says whether it can reach a chain's object.
      const reach = relevant.filter((o) => !p.target || selects(p.target, o.value, k.writtenNamespace(o), originalName(o)) !== false);
      if (reach.length > 0) ev.findings.push(said(p, reach, undefined, `${p.unread ?? 'its patch is not read'}, and `));
      continue;
    }
    const docs = p.docs.filter((d) => d !== null && d !== undefined);
    const json = docs.length === 1 && Array.isArray(docs[0]);
    for (const doc of docs) {
      const locate = (path: Path): Position => p.locate!(p.docs!.indexOf(doc), path);
      let picked: Located<K8sObject>[];
      let open = false;
      if (p.target) {
        const sel = objects.map((o) => selects(p.target!, o.value, k.writtenNamespace(o), originalName(o)));
        open = sel.some((s) => s === undefined);
        picked = objects.filter((_, i) => sel[i] !== false);
      } else if (json || !isObject(doc)) {
        // A JSON 6902 patch with no target fails the build (patchtransformer: "must specify a target").
        picked = [];
      } else {
        const meta = isObject(doc.metadata) ? doc.metadata : {};
        // Its id (kind, name, namespace; none is default) against each object's current id and the
        // ones it had before a namespace change (resmap GetById: GetMatchingResourcesByAnyId over
        // PrevIds and CurId; kyaml resid EffectiveNamespace). A cluster-scoped object has no namespace.
        const ns = str(meta.namespace) ?? 'default';
        const cluster = CLUSTER_SCOPED.has(String(doc.kind));
        // The id's apiVersion too (resid.ResId Equals: GvknEquals compares group, version, kind and name).
        // Every id it has had (a name before a prefix or suffix, a namespace before a kustomization's) and its current one.
        const ids = (o: Located<K8sObject>): { name: string; namespace?: string }[] => [...(k.pastIds?.(o) ?? []), { name: o.value.metadata.name, ...(o.value.metadata.namespace !== undefined ? { namespace: o.value.metadata.namespace } : {}) }, { name: o.value.metadata.name, ...(k.writtenNamespace(o) !== undefined ? { namespace: k.writtenNamespace(o)! } : {}) }];
        picked = objects.filter((o) => o.value.apiVersion === doc.apiVersion && o.value.kind === doc.kind && ids(o).some((id) => id.name === meta.name && (cluster || (id.namespace ?? 'default') === ns)));
        if (picked.length === 0) {
          const none = matchesNothing(p, doc, objects, k);
          if (none) ev.findings.push(none);
        }
      }
      const reach = picked.filter((o) => chainObject(o.value));
      if (reach.length === 0) continue;
      if (open || p.options) {
        ev.findings.push(said(p, reach, doc, open ? 'its target selects by labels or annotations, which the doctor does not evaluate, and ' : 'its options allow a name or kind change, and '));
        continue;
      }
      const planned = reach.map((o) => ({ o, edits: json ? jsonEdits(doc as unknown[], o.value, locate) : isObject(doc) ? strategicEdits(doc, o.value, locate, p.target !== undefined) : undefined }));
      // Tried on a copy first, the operations in order: one that fails (the build fails) leaves the objects as written.
      const applicable = planned.every(({ o, edits }) => {
        const copy = structuredClone(o.value) as unknown as Record<string, unknown>;
        return edits !== undefined && edits.every((e) => e.apply(copy));
      });
      if (!applicable) {
        ev.findings.push(said(p, reach, doc, ''));
        continue;
      }
      for (const { o, edits } of planned) {
        for (const e of edits!) {
          e.apply(o.value);
          mark(o, e.path, e.at);
        }
      }
    }
  }
}

/** The files a kustomization names as patches (their objects are patches, not objects it deploys). */
export function patchFiles(folder: string, value: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const e of Array.isArray(value.patchesStrategicMerge) ? value.patchesStrategicMerge : []) if (typeof e === 'string' && !/[\n:]/.test(e)) out.push(normalPath(`${folder}${e}`));
  for (const key of ['patches', 'patchesJson6902']) {
    for (const e of Array.isArray(value[key]) ? (value[key] as unknown[]) : []) if (isObject(e) && typeof e.path === 'string' && e.path !== '') out.push(normalPath(`${folder}${e.path}`));
  }
  return out;
}
