import { isObject } from '../model/is-object.js';
import { safeText } from '../spec/findings.js';
import type { Evidence } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { originKey } from './kustomize-namespace.js';
import { CLUSTER_SCOPED } from './kustomize-patch.js';
import { formatPosition } from './source.js';
import { trimEnd } from '../model/trim.js';

/**
 * An Argo CD Application's `spec.destination.namespace` given to the objects of its source that
 * name no namespace: the controller sets it on every namespaced object rendered with none, and an
 * object that writes one keeps it (argo-cd controller/state.go NormalizeTargetObjects: "If the
 * object does not have a namespace specified, set it to the namespace of the application").
 *
 * The source is one of the files given: `source.path` (each of `sources`) names the one folder of
 * them whose path ends in it (as kustomize-namespace.ts overrides). Argo CD renders a folder with a
 * kustomization as kustomize (util/app/discovery: kustomization.yaml, .yml or Kustomization), and
 * its objects are those the kustomization builds, after its namespaces; a folder with Chart.yaml,
 * or a source with `chart` or `helm`, is a Helm source, whose release namespace gitops.ts takes
 * from it; any other folder is a directory source: its .yaml, .yml and .json files
 * (reposerver/repository/repository.go findManifests), under sub-folders too with
 * `directory.recurse`. A directory source with `directory.include` / `exclude` globs, or one with
 * a plugin, is left as written (which files it takes is not evaluated). ApplicationSet templates
 * are not applied (their namespace is per generated Application).
 *
 * The controller does so by the object's kind alone (IsNamespacedOrUnknown), so the GitOps objects
 * of the source (an Application, ApplicationSet, Flux HelmRelease, k3s HelmChart, kept in
 * `ev.gitOps`; a Flux Kustomization is among `ev.kubernetes`) that name no namespace are put in the
 * destination namespace too: their own namespace, and no more. What that changes is what their own
 * controller does with it: a HelmRelease with no `targetNamespace` installs its release in its own
 * namespace (gitops.ts readHelmRelease), as a k3s HelmChart does; an ApplicationSet's template and an
 * Application's own destination, and what a Flux Kustomization builds, are not touched.
 */
export function applyArgoDestinations(ev: Evidence): void {
  const apps = (ev.gitOps ?? []).filter((g) => g.kind === 'Application');
  if (apps.length === 0) return;
  const given = [...(ev.texts?.keys() ?? [])].map((p) => normalPath(p));
  const folders = new Set<string>();
  for (const p of given) for (let f = p.slice(0, p.lastIndexOf('/') + 1); f !== ''; f = f.slice(0, f.slice(0, -1).lastIndexOf('/') + 1)) folders.add(f);
  const notes = ev.namespaceNotes ?? new Map<string, string>();
  for (const g of apps) {
    const spec = isObject(g.value.spec) ? g.value.spec : {};
    const destination = isObject(spec.destination) && typeof spec.destination.namespace === 'string' && spec.destination.namespace !== '' ? spec.destination.namespace : undefined;
    if (destination === undefined) continue;
    const name = isObject(g.value.metadata) && typeof g.value.metadata.name === 'string' ? g.value.metadata.name : '(no name)';
    const sources: unknown[] = isObject(spec.source) ? [spec.source] : Array.isArray(spec.sources) ? spec.sources : [];
    for (const source of sources) {
      if (!isObject(source) || typeof source.path !== 'string' || source.chart !== undefined || source.helm !== undefined || source.plugin !== undefined) continue;
      const want = trimEnd(normalPath(source.path.replace(/^\.?\/+/, '')), '/');
      if (want === '' || want === '.' || want.startsWith('../')) continue;
      const found = [...folders].filter((f) => f === `${want}/` || f.endsWith(`/${want}/`));
      // No folder of the files given, or more than one (kustomize-namespace.ts says so for kustomize.namespace): left as written.
      if (found.length !== 1) continue;
      const folder = found[0]!;
      const inFolder = given.filter((p) => p.startsWith(folder));
      if (inFolder.some((p) => p === `${folder}Chart.yaml`)) continue;
      let files: Set<string>;
      const built = ev.kustomizeBuilds?.get(folder);
      if (built) files = built;
      else if (inFolder.some((p) => /^(kustomization\.ya?ml|Kustomization)$/.test(p.slice(folder.length)))) continue;
      else {
        const directory = isObject(source.directory) ? source.directory : {};
        if (directory.include !== undefined || directory.exclude !== undefined) continue;
        const recurse = directory.recurse === true;
        files = new Set(inFolder.filter((p) => /\.(ya?ml|json)$/i.test(p) && (recurse || !p.slice(folder.length).includes('/'))));
      }
      const at = formatPosition(g.origin.source.locate(g.origin.doc, [...g.origin.path, 'spec', 'destination', 'namespace']));
      const note = `namespace ${safeText(destination, 63)}: Application ${safeText(name, 80)}'s destination.namespace (${at}), which Argo CD gives the objects of its source that name none`;
      for (const o of ev.kubernetes) {
        if (!files.has(normalPath(o.origin.source.path)) || CLUSTER_SCOPED.has(o.value.kind)) continue;
        const meta = o.value.metadata as { namespace?: string };
        if (typeof meta.namespace === 'string' && meta.namespace !== '') continue;
        meta.namespace = destination;
        notes.set(originKey(o.origin), note);
      }
      // The GitOps objects of the source (not a kustomization's helmCharts, which is no object, nor the Application itself).
      for (const o of ev.gitOps ?? []) {
        if (o === g || o.kind === 'Kustomization' || !files.has(normalPath(o.origin.source.path))) continue;
        if (!isObject(o.value.metadata)) continue;
        const meta = o.value.metadata;
        if (typeof meta.namespace === 'string' && meta.namespace !== '') continue;
        meta.namespace = destination;
        o.namespaceNote = note;
      }
    }
  }
  if (notes.size > 0) ev.namespaceNotes = notes;
}
