import { isObject } from '../model/is-object.js';
import type { Evidence, Located } from './evidence.js';
import { normalPath } from './hcl/eval.js';

/**
 * A kustomization's `namespace:` applied to the objects of the files it lists, as `kustomize build`
 * (and `kubectl apply -k`, Argo CD, Flux) deploys them:
 *
 * - the namespace transformer (kustomize api/filters/namespace) sets `metadata.namespace` of every
 *   namespaced object of its `resources` (and the deprecated `bases`), replacing one written, and of
 *   the kustomizations those name (folders), the outermost kustomization's namespace last, so it wins;
 * - RoleBinding and ClusterRoleBinding subjects: that transformer (its default `defaultOnly` mode)
 *   sets the namespace of a subject named `default` only; the name-reference transformer (api/filters/
 *   nameref, setMapping) then gives a ServiceAccount subject the new namespace of the ServiceAccount
 *   of its name among the kustomization's objects (one whose original or new namespace is the
 *   subject's, or any where the subject writes none). Other subjects keep theirs.
 *
 * A resource that is a URL (a remote base) or a path no file given holds is not followed. Objects
 * of files no kustomization lists are left as written.
 */

/** Kinds Kubernetes serves cluster-wide (kustomize's built-in list of cluster-scoped kinds): no namespace is set on them. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume', 'PriorityClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService', 'CSIDriver', 'CSINode', 'RuntimeClass', 'Node', 'ComponentStatus', 'CertificateSigningRequest', 'PodSecurityPolicy', 'VolumeAttachment', 'IngressClass', 'ClusterIssuer', 'SecurityContextConstraints', 'Infrastructure']);

/** Whether a file named so is a kustomization (kustomize reads kustomization.yaml, kustomization.yml or Kustomization in a folder). */
export const KUSTOMIZATION_FILE = /(^|[\\/])(kustomization\.ya?ml|Kustomization)$/;

/** Whether a document of a kustomization file is a kustomization (apiVersion and kind are optional in it). */
export function isKustomization(doc: Record<string, unknown>, path: string): boolean {
  if (!KUSTOMIZATION_FILE.test(path)) return false;
  if (doc.kind !== undefined && !(doc.kind === 'Kustomization' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kustomize.config.k8s.io/'))) return false;
  return typeof doc.namespace === 'string' || Array.isArray(doc.resources) || Array.isArray(doc.bases);
}

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Applies the namespace of each kustomization given (`ev.kustomizations`) to the objects of the files it lists. */
export function applyKustomizeNamespaces(ev: Evidence): void {
  const kustomizations = ev.kustomizations ?? [];
  if (kustomizations.length === 0) return;
  const byFolder = new Map<string, Located<Record<string, unknown>>>();
  for (const k of kustomizations) byFolder.set(folderOf(normalPath(k.origin.source.path)), k);
  const given = new Set([...(ev.texts?.keys() ?? [])].map((p) => normalPath(p)));
  /** The files a kustomization lists (its resources and bases, folders followed to their kustomization). */
  const listed = (k: Located<Record<string, unknown>>, seen: Set<unknown>): { files: string[]; inner: Located<Record<string, unknown>>[] } => {
    const folder = folderOf(normalPath(k.origin.source.path));
    const files: string[] = [];
    const inner: Located<Record<string, unknown>>[] = [];
    const entries: unknown[] = [...(Array.isArray(k.value.resources) ? (k.value.resources as unknown[]) : []), ...(Array.isArray(k.value.bases) ? (k.value.bases as unknown[]) : [])];
    for (const entry of entries) {
      if (typeof entry !== 'string' || entry === '' || /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(entry)) continue;
      const path = normalPath(`${folder}${entry}`);
      if (given.has(path)) files.push(path);
      else {
        const child = byFolder.get(`${path.replace(/\/+$/, '')}/`);
        if (child && !seen.has(child)) inner.push(child);
      }
    }
    return { files, inner };
  };
  // Roots first (kustomizations no other lists): each file's namespace is the outermost one set.
  const innerOf = new Set<unknown>();
  for (const k of kustomizations) for (const c of listed(k, new Set()).inner) innerOf.add(c);
  const namespaceOf = new Map<string, string>();
  /** Each kustomization's files (its own and its inner ones') with the namespace they get. */
  const groups: { namespace: string; files: Set<string> }[] = [];
  const visit = (k: Located<Record<string, unknown>>, inherited: string | undefined, seen: Set<unknown>, group: Set<string> | undefined): void => {
    seen.add(k);
    const own = typeof k.value.namespace === 'string' && k.value.namespace !== '' ? k.value.namespace : undefined;
    const namespace = inherited ?? own;
    let mine = group;
    if (namespace !== undefined && mine === undefined) {
      mine = new Set();
      groups.push({ namespace, files: mine });
    }
    const { files, inner } = listed(k, seen);
    for (const f of files) {
      if (namespace !== undefined && !namespaceOf.has(f)) namespaceOf.set(f, namespace);
      mine?.add(f);
    }
    for (const c of inner) visit(c, namespace, seen, mine);
  };
  for (const k of kustomizations) if (!innerOf.has(k)) visit(k, undefined, new Set(), undefined);
  if (namespaceOf.size === 0) return;

  const fileOf = (o: { origin: { source: { path: string } } }): string => normalPath(o.origin.source.path);
  for (const group of groups) {
    const objects = ev.kubernetes.filter((o) => group.files.has(fileOf(o)) && namespaceOf.get(fileOf(o)) === group.namespace);
    // The ServiceAccounts of the kustomization before and after: a subject naming one follows it (nameref).
    const accounts = objects.filter((o) => o.value.kind === 'ServiceAccount').map((o) => ({ name: o.value.metadata.name, original: o.value.metadata.namespace ?? 'default' }));
    for (const o of objects) {
      const meta = o.value.metadata as { namespace?: string };
      if (!CLUSTER_SCOPED.has(o.value.kind)) meta.namespace = group.namespace;
      if (o.value.kind !== 'RoleBinding' && o.value.kind !== 'ClusterRoleBinding') continue;
      const subjects = (o.value as unknown as Record<string, unknown>).subjects;
      if (!Array.isArray(subjects)) continue;
      for (const s of subjects) {
        if (!isObject(s)) continue;
        if (s.name === 'default') {
          s.namespace = group.namespace;
          continue;
        }
        if (s.kind !== 'ServiceAccount' || typeof s.name !== 'string') continue;
        const written = typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : undefined;
        if (accounts.some((a) => a.name === s.name && (written === undefined || a.original === written || group.namespace === written))) s.namespace = group.namespace;
      }
    }
    // A Flux HelmRelease or k3s HelmChart listed: its own namespace is the release's where it names no target.
    for (const g of ev.gitOps ?? []) {
      if (!group.files.has(fileOf(g)) || namespaceOf.get(fileOf(g)) !== group.namespace || (g.kind !== 'HelmRelease' && g.kind !== 'HelmChart')) continue;
      if (!isObject(g.value.metadata)) g.value.metadata = {};
      (g.value.metadata as Record<string, unknown>).namespace = group.namespace;
    }
  }
}
