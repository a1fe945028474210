import { safeText, type Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';
import { yamlData } from './yaml-data.js';
import { MergedValues, ReleaseSource, autoTyped, helmSetPath, isRunnerChart, localChartFolder, setWithTokenStandIn, withTokenStandIns, yamlInJsonString } from './helm-release.js';
import { normalPath } from './hcl/eval.js';
import { chartYamlOf } from './chart-yaml.js';
import { pushUmbrellaReleases, runnerDependencies, type RunnerDependency, type Umbrella } from './umbrella-chart.js';
import { trimEnd } from '../model/trim.js';

/**
 * The gitlab-runner chart deployed by a GitOps controller: an Argo CD `Application` (argoproj.io),
 * a Flux `HelmRelease` (helm.toolkit.fluxcd.io), a kustomization's `helmCharts` or a k3s / RKE2
 * `HelmChart` (helm.cattle.io; see readK3sHelmChart) whose chart is gitlab-runner. Each is read as
 * the chart values it installs, layer over layer as its controller merges them, into
 * `ev.helmValues` with its release name and namespace; every key keeps the place of the layer that
 * wrote it last, inside a `values: |` string too. A layer the files do not hold (a values file of
 * the chart's own archive, a Secret, a ConfigMap not given) is RF903: what it sets is not proven. A
 * layer that does not parse is RF901 and the release is not read (`ev.chartsUnread`).
 *
 * - Argo CD (user guide, "Helm"): `parameters` > `valuesObject` > `values` > `valueFiles` > the
 *   chart's values.yaml; the release is `helm.releaseName`, else the Application's name; the
 *   namespace is `helm.namespace`, else `destination.namespace` (neither written: RF903, not known,
 *   never guessed). A `$<ref>/<path>` value file is read from the source
 *   whose `ref` is `<ref>` (a repository of the files given): the one file given whose path ends in
 *   `<path>`.
 * - Flux (HelmRelease API, "Values overrides"): `valuesFrom` in order, each over the ones before,
 *   then `values` over them all, over the chart's values (its HelmChart's `valuesFiles`, see
 *   fluxValuesFiles); the release is `releaseName`, else `[targetNamespace-]name`; the
 *   namespace is `targetNamespace`, else the HelmRelease's own (neither written: RF903, not known).
 */

type Path = (string | number)[];
type Locate = (path: Path) => Position;

/**
 * An Application, HelmRelease, Kustomization or k3s HelmChart, kept until every file is read (the
 * ConfigMaps and value files it names may come later); a k3s HelmChartConfig is kept for the
 * HelmChart it configures, and is not read on its own.
 */
export interface GitOpsObject {
  kind: 'Application' | 'ApplicationSet' | 'HelmRelease' | 'Kustomization' | 'HelmChart' | 'HelmChartConfig' | 'OCIRepository' | 'FluxHelmChart';
  value: Record<string, unknown>;
  origin: Origin;
  /** Where its own namespace was given by an Argo CD Application whose source holds it (argo-destination.ts): which, and why. */
  namespaceNote?: string;
}

/**
 * Whether a document is an Argo CD Application, a Flux HelmRelease, or a kustomization with
 * `helmCharts` (its file is named kustomization.yaml, .yml or Kustomization; apiVersion and kind
 * are optional in it).
 */
export function gitOpsKind(doc: Record<string, unknown>, path: string): GitOpsObject['kind'] | undefined {
  const api = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
  if ((doc.kind === 'Application' || doc.kind === 'ApplicationSet') && api.startsWith('argoproj.io/')) return doc.kind;
  if (doc.kind === 'HelmRelease' && api.startsWith('helm.toolkit.fluxcd.io/')) return 'HelmRelease';
  if ((doc.kind === 'HelmChart' || doc.kind === 'HelmChartConfig') && api.startsWith('helm.cattle.io/')) return doc.kind;
  // Flux sources a HelmRelease's chartRef names (kept for it, not read on their own).
  if (api.startsWith('source.toolkit.fluxcd.io/')) {
    if (doc.kind === 'OCIRepository') return 'OCIRepository';
    if (doc.kind === 'HelmChart') return 'FluxHelmChart';
  }
  if (Array.isArray(doc.helmCharts) && KUSTOMIZATION.test(path) && (doc.kind === undefined || doc.kind === 'Kustomization')) return 'Kustomization';
  return undefined;
}
const KUSTOMIZATION = /(^|[\\/])(kustomization\.ya?ml|Kustomization)$/;

function finding(code: Code, at: Position, message: string, fix: string): Finding {
  return { code, severity: CODES[code].severity, path: formatPosition(at), message, fix };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** The chart version a release names, kept with its values (the checks of chart-values.ts read it). */
const versionOf = (v: unknown): { chartVersion?: string } => (typeof v === 'string' && v !== '' ? { chartVersion: v } : {});

/**
 * The places of a YAML document written in a string of `file` whose value starts at `at`: a literal
 * block (`|`) whose lines, less their indentation, are the string; a JSON string by its escapes.
 * Undefined when the string is written otherwise (folded, quoted over lines): its keys are then
 * placed at the string.
 */
export function stringPlaces(file: SourceFile, at: Position, text: string): Locate | undefined {
  if (file.syntax === 'json') {
    const l = yamlInJsonString(file, at, text);
    return l ? (p) => l(p) : undefined;
  }
  const src = file.text;
  const open = file.offsetOf(at);
  if (src[open] !== '|') return undefined;
  const lines = src.split('\n');
  const header = at.line; // 1-based line of `|`: the block's first line is lines[header]
  let first = header;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  if (first >= lines.length) return undefined;
  const indent = lines[first]!.length - lines[first]!.trimStart().length;
  if (indent === 0) return undefined;
  let end = first;
  while (end < lines.length && (lines[end]!.trim() === '' || lines[end]!.length - lines[end]!.trimStart().length >= indent)) end++;
  const body = lines.slice(header, end).map((l) => l.slice(indent).replace(/\r$/, ''));
  if (body.join('\n').replace(/\n+$/, '') !== text.replace(/\n+$/, '')) return undefined;
  const inner = new SourceFile(file.path, text, 'yaml');
  return (p) => {
    const q = inner.locate(0, p);
    return { file: file.path, line: header + q.line, column: q.column + indent };
  };
}

/**
 * One layer of values written as YAML text: parsed, merged, each key placed in the text (else at the
 * string). False when it does not parse (RF901 at it): the release is then not read at all, since
 * what the chart would deploy without that layer is not what the controller deploys (it fails the
 * sync instead).
 */
function mergeText(merged: MergedValues, text: string, file: SourceFile, at: Position, what: string, findings: Finding[]): boolean {
  let doc: unknown;
  try {
    doc = yamlData(text, '1.2', 100);
  } catch (err) {
    findings.push(finding('RF901', at, `${what} is not valid YAML: ${safeText((err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:$/, ''), 160)}; ${NOT_READ}`, 'fix the YAML of the values'));
    return false;
  }
  if (doc === null || doc === undefined) return true;
  if (!isObject(doc)) {
    findings.push(finding('RF901', at, `${what} is not a map of chart values; ${NOT_READ}`, 'write the chart values as a map'));
    return false;
  }
  withTokenStandIns(doc);
  const places = stringPlaces(file, at, text);
  merged.merge(doc, places ?? (() => at));
  return true;
}

/** What a values layer that does not parse leaves: said with it, never as a release of empty values. */
const NOT_READ = "the release's values are not read, so its runner's chain is not proven";

/** A release found whose values did not parse, or whose chart is not known (RF903): not read, but not "no runner manager" either (RF910). */
function unread(ev: Evidence): void {
  ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
}

/** A layer of values written as an object of the file: its keys placed where they are written. */
function mergeObject(merged: MergedValues, value: Record<string, unknown>, origin: Origin, path: Path): void {
  mergeObjectAt(merged, value, (p) => origin.source.locate(origin.doc, [...origin.path, ...path, ...p]));
}

/** A layer of values written as an object, its keys placed by `locate`. */
function mergeObjectAt(merged: MergedValues, value: Record<string, unknown>, locate: Locate): void {
  const copy = structuredClone(value);
  withTokenStandIns(copy);
  merged.merge(copy, locate);
}

/** Reads the Applications and HelmReleases of the gitlab-runner chart kept while reading (`ev.gitOps`). */
export function readGitOpsReleases(ev: Evidence): void {
  for (const o of ev.gitOps ?? []) {
    if (o.kind === 'Application') readApplication(ev, o);
    else if (o.kind === 'ApplicationSet') readApplicationSet(ev, o);
    else if (o.kind === 'HelmRelease') readHelmRelease(ev, o);
    else if (o.kind === 'HelmChart') readK3sHelmChart(ev, o);
    else if (o.kind === 'Kustomization') readKustomization(ev, o);
  }
}

/** A file given whose path ends in `rel` (a path of a repository the files are of), when exactly one does. */
function givenFile(ev: Evidence, rel: string): string | undefined {
  const want = normalPath(rel.replace(/^\.?\/+/, ''));
  if (want === '' || want.startsWith('../')) return undefined;
  const found = [...(ev.texts?.keys() ?? [])].filter((p) => {
    const n = normalPath(p);
    return n === want || n.endsWith(`/${want}`);
  });
  return found.length === 1 ? found[0] : undefined;
}

/**
 * A values file given as a layer of a release: its keys placed in it. It is not a deployment's values
 * of its own any more: the reading of it alone (`ev.helmValues`, made while the file was read) is taken out.
 */
export function mergeGivenFile(ev: Evidence, merged: MergedValues, path: string, at: Position, what: string, findings: Finding[]): boolean {
  const alone = ev.helmValues.findIndex((v) => v.origin.source.path === path && v.origin.path.length === 0 && v.release === undefined && v.address === undefined);
  if (alone >= 0) {
    const [v] = ev.helmValues.splice(alone, 1);
    const copy = structuredClone(v!.value);
    withTokenStandIns(copy);
    merged.merge(copy, (p) => v!.origin.source.locate(v!.origin.doc, p));
    return true;
  }
  const text = ev.texts?.get(path) ?? '';
  let doc: unknown;
  try {
    doc = yamlData(text, '1.2', 100);
  } catch {
    findings.push(finding('RF903', at, `${what} is ${path}, which is not valid YAML (RF901 at it); ${NOT_READ}`, `fix the YAML of ${path}`));
    return false;
  }
  if (doc === null || doc === undefined) return true;
  if (!isObject(doc)) {
    findings.push(finding('RF901', at, `${what} is ${path}, which is not a map of chart values; ${NOT_READ}`, `write ${path} as a YAML map of the chart's values`));
    return false;
  }
  withTokenStandIns(doc);
  const file = new SourceFile(path, text, 'yaml');
  merged.merge(doc, (p) => file.locate(0, p));
  return true;
}

/** The first place under `value` (its path) whose string holds an ApplicationSet generator parameter (`{{…}}`). */
function parameterAt(value: unknown, path: Path = []): Path | undefined {
  if (typeof value === 'string') return value.includes('{{') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = parameterAt(value[i], [...path, i]);
      if (p) return p;
    }
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = parameterAt(v, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

/** How an ApplicationSet's template is read: the set's name, which template, its templatePatch, and where a key of the template is written. */
interface Generated {
  set: string;
  which: string;
  patch: Position | undefined;
  place?: Locate;
}

/**
 * An Argo CD `ApplicationSet` (its docs, "Templates"): `spec.template` (`metadata`, `spec`) is the
 * Application each generated one is made from, with generator parameters (`{{name}}`, `{{ .name }}`
 * with goTemplate) filled in per generated Application. A generator's own `template` (docs,
 * "Generator templates": it takes precedence over `spec.template`'s fields) is merged over it for
 * the Applications of that generator (see generatorTemplate); each template that differs in its
 * name or spec is read. A template is read as that Application where its chart's helm part is
 * literal; where a parameter decides the helm part it is RF903 (known only per generated
 * Application) and not read; a parameter in the name or namespace leaves the release name or the
 * namespace not known (RF903 for the namespace). A `templatePatch` is not applied: with one the
 * template is RF903 and not read.
 */
function readApplicationSet(ev: Evidence, o: GitOpsObject): void {
  const spec = isObject(o.value.spec) ? o.value.spec : {};
  const name = isObject(o.value.metadata) ? str(o.value.metadata.name) : undefined;
  const set = safeText(name ?? '(no name)', 80);
  const patch = spec.templatePatch !== undefined ? o.origin.source.locate(o.origin.doc, [...o.origin.path, 'spec', 'templatePatch']) : undefined;
  const base = isObject(spec.template) ? spec.template : undefined;
  const baseAt = (p: Path): Position => o.origin.source.locate(o.origin.doc, [...o.origin.path, 'spec', 'template', ...p]);
  // The top-level generators' own templates (a matrix's or merge's child generators' are not processed: Generators-Matrix.md).
  const generators = Array.isArray(spec.generators) ? spec.generators : [];
  const own: { i: number; kind: string; template: Record<string, unknown> }[] = [];
  let plain = generators.length === 0;
  generators.forEach((g, i) => {
    const kind = isObject(g) ? Object.keys(g).find((k) => k !== 'selector' && isObject(g[k])) : undefined;
    const template = kind !== undefined && isObject(g) && isObject(g[kind]) ? (g[kind]).template : undefined;
    if (kind !== undefined && isObject(template)) own.push({ i, kind, template });
    else plain = true;
  });
  const read = new Set<string>();
  const once = (value: Record<string, unknown>): boolean => {
    const key = JSON.stringify([isObject(value.metadata) ? value.metadata.name : undefined, value.spec]);
    if (read.has(key)) return false;
    read.add(key);
    return true;
  };
  if (plain && base && once(base)) readApplication(ev, { kind: 'Application', value: base, origin: { ...o.origin, path: [...o.origin.path, 'spec', 'template'] } }, { set, which: 'its template', patch });
  for (const g of own) {
    const value = generatorTemplate(g.template, base ?? {});
    if (!isObject(value) || !once(value)) continue;
    const genAt = (p: Path): Position => o.origin.source.locate(o.origin.doc, [...o.origin.path, 'spec', 'generators', g.i, g.kind, 'template', ...p]);
    readApplication(ev, { kind: 'Application', value, origin: o.origin }, { set, which: `generators[${g.i}].${safeText(g.kind, 40)}.template over spec.template`, patch, place: (p) => (fromGenerator(g.template, p) ? genAt(p) : baseAt(p)) });
  }
}

/**
 * A value mergo takes as not set (its isEmptyValue): absent, null, "", false, 0, an empty list or map.
 * The generator's template is merged with `mergo.Merge(generator's, spec.template)` without
 * override (argo-cd applicationset/generators/generator_spec_processor.go, mergeGeneratorTemplate):
 * only the fields the generator's template leaves empty are filled from spec.template.
 */
function emptyToMergo(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/**
 * A field of the template taken whole from the generator's template when set there: a list or a
 * string (mergo keeps a non-empty slice or string of the destination), and `valuesObject`, a
 * runtime.RawExtension whose bytes are kept whole.
 */
const whole = (v: unknown, key: string | number | undefined): boolean => !isObject(v) || key === 'valuesObject';

/** The generator's template merged over `spec.template` as mergo merges them (emptyToMergo). */
function generatorTemplate(gen: unknown, base: unknown, key?: string | number): unknown {
  if (emptyToMergo(gen) && !isObject(gen)) return structuredClone(base);
  if (whole(gen, key) || !isObject(base)) return structuredClone(gen);
  const out: Record<string, unknown> = structuredClone(gen as Record<string, unknown>);
  for (const [k, v] of Object.entries(base)) out[k] = k in out ? generatorTemplate(out[k], v, k) : structuredClone(v);
  return out;
}

/** Whether the merged template's value at `path` is the generator template's (else spec.template's). */
function fromGenerator(gen: unknown, path: Path): boolean {
  let cur = gen;
  let key: string | number | undefined;
  for (const seg of path) {
    if (emptyToMergo(cur) && !isObject(cur)) return false;
    if (whole(cur, key)) return true;
    cur = (cur as Record<string, unknown>)[seg];
    key = seg;
  }
  return !(emptyToMergo(cur) && !isObject(cur));
}

function readApplication(ev: Evidence, o: GitOpsObject, generated?: Generated): void {
  const app = o.value;
  const locate: Locate = generated?.place ?? ((p) => o.origin.source.locate(o.origin.doc, [...o.origin.path, ...p]));
  const spec = isObject(app.spec) ? app.spec : {};
  const written = isObject(app.metadata) ? str(app.metadata.name) : undefined;
  const name = generated && written?.includes('{{') ? undefined : written;
  const sources: [Record<string, unknown>, Path][] = isObject(spec.source)
    ? [[spec.source, ['spec', 'source']]]
    : Array.isArray(spec.sources)
      ? spec.sources.flatMap((s, i): [Record<string, unknown>, Path][] => (isObject(s) ? [[s, ['spec', 'sources', i]]] : []))
      : [];
  for (const [source, path] of sources) {
    const git = gitChart(ev, source);
    if (!git && !isRunnerChart(source.chart, source.repoURL)) continue;
    const at = (...rest: Path): Position => locate([...path, ...rest]);
    const about = generated ? `ApplicationSet ${generated.set} (${generated.which})` : `Application ${safeText(name ?? '(no name)', 80)}`;
    const helm = isObject(source.helm) ? source.helm : {};
    if (generated) {
      // A parameter in releaseName leaves the release name not known only (below).
      const param = parameterAt({ ...helm, releaseName: undefined });
      if (generated.patch || param) {
        const where = generated.patch ?? at('helm', ...param!);
        const what = generated.patch ? 'spec.templatePatch changes the template per generated Application, and the doctor does not apply it' : `a generator parameter decides ${param!.length > 0 ? `helm.${param!.join('.')}` : 'helm'}, whose value is known only per generated Application`;
        ev.findings.push(finding('RF903', where, `${about}: ${what}, so the chart values it deploys are not read and its runner's chain is not proven`, 'write the helm part of the template literally (generator parameters in the name and destination only), or give the generated Applications (kubectl get applications -o yaml)'));
        unread(ev);
        continue;
      }
    }
    const merged = new MergedValues();
    let read = true;
    const repoURL = safeText(str(source.repoURL) ?? '?', 100);
    if (git?.folder !== undefined && !ev.chartDefaults?.has(git.folder)) {
      // 0. The chart folder's own values.yaml edited to be the deployment's (read alone as values): the bottom layer.
      const own = [...(ev.texts?.keys() ?? [])].find((p) => /^values\.ya?ml$/.test(normalPath(p).slice(git.folder!.length)) && normalPath(p).startsWith(git.folder!) && !normalPath(p).slice(git.folder!.length).includes('/'));
      // An umbrella chart's values.yaml: its sections for the runner chart are this release's, not deployments of their own (read.ts read them so).
      if (own !== undefined && git.umbrella) ev.helmValues = ev.helmValues.filter((v) => !(v.origin.source.path === own && v.origin.path.length === 1 && v.release === undefined && v.address === undefined));
      if (own !== undefined) read = mergeGivenFile(ev, merged, own, at('path'), `${about}: ${git.umbrella ? "the parent chart's" : "the chart's"} values.yaml`, ev.findings) && read;
    } else if (git && git.folder === undefined) {
      const which = git.folders !== undefined ? `${git.folders} folders of the files given end in ${safeText(git.path === '' ? 'Chart.yaml' : `${git.path}/Chart.yaml`, 100)} and which is the chart is not guessed` : `no ${safeText(git.path === '' ? 'Chart.yaml' : `${git.path}/Chart.yaml`, 100)} of the gitlab-runner chart is among the files given`;
      ev.findings.push(finding('RF903', at('path'), `${about}: its chart is the folder ${safeText(git.path, 100)} of the git repository ${repoURL}, and ${which}, so the chart's own values.yaml (its defaults, under the values the Application gives: rbac, the service account, runners.config, the security contexts) is not read, and what the release keeps of it is not proven`, `run the doctor on a checkout of ${repoURL} (the folder with ${safeText(git.path === '' ? 'Chart.yaml' : git.path, 100)}) with this Application, or write the values the release relies on in helm.valuesObject`));
    }
    // 1. valueFiles: of the chart's archive (not given), `$<ref>/<path>` of another source's repository, or
    // (a chart of a git repository) a path from the chart's folder, or from the repository's root with a
    // leading `/`, never outside it (argo-cd util/io/path resolveFileOrDirectory, used by
    // ResolveValueFilePathOrUrl: a relative value file is joined to the app path, an absolute one to the
    // repository root, and one that resolves outside the repository root is refused).
    const files = Array.isArray(helm.valueFiles) ? helm.valueFiles : [];
    files.forEach((f, i) => {
      if (typeof f !== 'string') return;
      const ref = /^\$([A-Za-z0-9_-]+)\/(.+)$/.exec(f);
      if (git && !ref) {
        read = gitValueFile(ev, merged, git, f, at('helm', 'valueFiles', i), `${about}: helm.valueFiles[${i}]`, repoURL) && read;
        return;
      }
      const refSource = ref ? sources.find(([s]) => s.ref === ref[1]) : undefined;
      const given = ref && refSource ? givenFile(ev, ref[2]!) : undefined;
      if (given !== undefined) {
        read = mergeGivenFile(ev, merged, given, at('helm', 'valueFiles', i), `${about}: helm.valueFiles[${i}]`, ev.findings) && read;
        return;
      }
      const whence = ref
        ? refSource
          ? `from the repository of its source ${JSON.stringify(ref[1])} (${safeText(str(refSource[0].repoURL) ?? '?', 100)}), and no file given ends in ${safeText(ref[2]!, 100)} (or more than one does)`
          : `from a source with ref ${JSON.stringify(ref[1])}, which the Application does not have`
        : 'from the chart itself (a path inside the chart archive Argo CD pulls), which is not among the files given';
      ev.findings.push(finding('RF903', at('helm', 'valueFiles', i), `${about}: the values file ${safeText(f, 100)} is read ${whence}, so what it sets is not proven`, ref ? `give the values file (a folder of the repository with ${safeText(ref[2]!, 100)})` : 'write those values in helm.valuesObject, or give them from a source of the files given ($<ref>/<path>)'));
    });
    // 2. values (a YAML string), 3. valuesObject, 4. parameters.
    if (typeof helm.values === 'string') read = mergeText(merged, helm.values, o.origin.source, at('helm', 'values'), `${about}: helm.values`, ev.findings) && read;
    else if (isObject(helm.values)) mergeObjectAt(merged, helm.values, (p) => at('helm', 'values', ...p));
    if (isObject(helm.valuesObject)) mergeObjectAt(merged, helm.valuesObject, (p) => at('helm', 'valuesObject', ...p));
    const parameters = Array.isArray(helm.parameters) ? helm.parameters : [];
    parameters.forEach((raw, n) => {
      if (!isObject(raw)) return;
      const p = setWithTokenStandIn(raw);
      const setPath = typeof p.name === 'string' ? helmSetPath(p.name) : undefined;
      if (!setPath) {
        ev.findings.push(finding('RF901', at('helm', 'parameters', n, 'name'), `${about}: helm.parameters[${n}].name ${JSON.stringify(safeText(String(p.name), 80))} is not a Helm value path`, 'write keys separated by dots, `\\.` for a dot inside a key, [n] for a list index'));
        return;
      }
      const s = p.value === null || p.value === undefined ? '' : typeof p.value === 'string' ? p.value : JSON.stringify(p.value);
      merged.set(setPath, p.forceString === true || p.type === 'string' ? s : autoTyped(s), () => at('helm', 'parameters', n, 'value'));
    });
    if (!read) {
      unread(ev);
      continue;
    }
    const destination = isObject(spec.destination) ? str(spec.destination.namespace) : undefined;
    // helm.namespace is the namespace Argo CD templates the chart with (ApplicationSource.
    // GetNamespaceOrDefault: helm.namespace, else destination.namespace; reposerver/repository
    // helmTemplate passes it as --namespace), so it is .Release.Namespace. Every namespaced object of
    // the gitlab-runner chart writes its namespace from it (templates: `default .Release.Namespace
    // .Values.namespace`, `.Release.Namespace` before 0.79; the Role and RoleBinding `coalesce
    // .Values.runners.jobNamespace .Values.namespace .Release.Namespace`), and Argo CD sets
    // destination.namespace only on objects rendered without one (controller/state.go): the
    // manager's objects land in helm.namespace. Where both are written and differ, the chain says so.
    const templated = str(helm.namespace);
    let namespace = templated ?? destination;
    const parameterNamespace = generated !== undefined && namespace?.includes('{{') === true;
    // No destination.namespace: Argo CD sets a namespace only on the namespaced objects rendered
    // without one, and only to destination.namespace (argo-cd pkg/apis/application/v1alpha1/types.go,
    // ApplicationDestination.Namespace); the chart is templated with helm.namespace, else
    // destination.namespace (ApplicationSource.GetNamespaceOrDefault, reposerver/repository), and
    // with neither `helm template` runs without --namespace (util/helm/cmd.go), so .Release.Namespace
    // is the repo-server's own default. The Application's own namespace is not used (it is where the
    // Application lives). Neither place is in the files: the namespace is not known, never guessed.
    const namespaceMissing = !parameterNamespace && namespace === undefined;
    const namespaceUnknown = parameterNamespace || namespaceMissing;
    if (parameterNamespace) {
      namespace = undefined;
      ev.findings.push(finding('RF903', locate(['spec', 'destination', 'namespace']), `${about}: a generator parameter decides destination.namespace, which is known only per generated Application, so the namespace the manager runs in is not known and its identity chain is not proven`, 'write the destination namespace literally, or give the generated Applications (kubectl get applications -o yaml)'));
    } else if (namespaceMissing) {
      ev.findings.push(finding('RF903', locate(isObject(spec.destination) ? ['spec', 'destination'] : ['spec']), `${about}: spec.destination.namespace is not written; Argo CD puts the chart's objects that name no namespace in destination.namespace only, never in the Application's own namespace, and with no helm.namespace either templates the chart without --namespace, so {{ .Release.Namespace }} is the repo-server's own default; the namespace the manager runs in is not known (never guessed as default) and its identity chain is not proven`, 'write spec.destination.namespace (the namespace the chart is installed in)'));
    }
    const releaseName = str(helm.releaseName);
    const release = generated && releaseName?.includes('{{') ? undefined : (releaseName ?? name);
    const namespaceNote = namespace !== undefined && templated !== undefined && destination !== undefined && templated !== destination
      ? `namespace ${safeText(templated, 63)}: ${about}'s helm.namespace (${formatPosition(at('helm', 'namespace'))}), which the chart's objects are templated into; its destination.namespace ${safeText(destination, 63)} (${formatPosition(locate(['spec', 'destination', 'namespace']))}) takes only objects rendered with no namespace`
      : undefined;
    // A chart of a git repository: targetRevision is a git revision, not the chart's version (its Chart.yaml's, layerChartDefaults).
    const chartOf = git
      ? git.folder !== undefined
        ? { chartFolder: git.folder, installedBy: about, chartNote: `chart ${safeText(git.folder === '' ? './' : git.folder, 100)} of the files given, taken to be ${repoURL}'s folder ${safeText(git.path === '' ? '.' : git.path, 100)} (${about}'s source.path, ${formatPosition(at('path'))}): its values.yaml is the bottom layer of the release's values` }
        : {}
      : versionOf(source.targetRevision);
    const placed = { ...(namespace !== undefined ? { namespace } : {}), ...(namespaceNote !== undefined ? { namespaceNote } : {}), ...(namespaceUnknown ? { namespaceUnknown: true as const } : {}), ...(release !== undefined ? { release } : {}) };
    if (git?.umbrella && git.folder !== undefined) {
      // Helm renders the parent with these values and gives each gitlab-runner dependency the section
      // under its alias (or name); the gitlab-runner chart's templates read no `.Values.global`
      // (checked in its 0.73.1 templates), so the parent's `global:` is not one of its values.
      const folder = git.folder;
      pushUmbrellaReleases(ev, merged, { folder, ...git.umbrella }, {
        at: at('path'),
        source: o.origin.source,
        installedBy: about,
        placed,
        notRendered: (dep, disabled) => finding('RF902', at('path'), `${about}: its chart ${git.umbrella!.chart} (${safeText(folder === '' ? './' : folder, 100)}, source.path) has gitlab-runner as a dependency (${dep.at}) that Helm does not render: ${disabled}, so the Application deploys no runner manager of it and nothing of its values is read`, `if the runner is meant to be deployed, set the condition true in the values the Application gives (or take the condition off the dependency in ${git.umbrella!.chart}'s Chart.yaml)`),
        note: (dep) => `chart ${git.umbrella!.chart} of the files given (${safeText(folder === '' ? './' : folder, 100)}), taken to be ${repoURL}'s folder ${safeText(git.path === '' ? '.' : git.path, 100)} (${about}'s source.path, ${formatPosition(at('path'))}); the runner chart is its dependency gitlab-runner (${dep.at}), whose values are the parent's under ${safeText(dep.key, 60)}: (its values.yaml, then the Application's)`,
      });
      continue;
    }
    ev.helmValues.push({ value: merged.value, origin: { source: new ReleaseSource(o.origin.source, merged, () => at(git ? 'path' : 'chart')), doc: 0, path: [] }, ...placed, ...chartOf });
  }
}

/** A chart folder of a git repository an Argo CD source names (gitChart). */
interface GitChart {
  /** The source's path, normal, from the repository's root (empty: the root). */
  path: string;
  /** Its folder in the files given (ending in `/`, or empty), where exactly one is the gitlab-runner chart. */
  folder?: string;
  /** The repository's root in the files given. */
  root: string;
  /** How many folders of the files given end in the path, where more than one does (none is taken). */
  folders?: number;
  /** The folder's chart is not gitlab-runner but has it as a dependency (an umbrella chart): its name, and each such dependency. */
  umbrella?: { chart: string; dependencies: RunnerDependency[] };
}

/**
 * An Argo CD source of a chart kept in a git repository: `path` (the chart's folder from the root of
 * the repository) and no `chart`. Argo CD renders the folder as Helm where it has a Chart.yaml, or
 * where the source has a `helm` section (util/app/discovery; ApplicationSource.ExplicitType). The
 * doctor is given a folder, not a repository: the chart is taken to be of the files given where
 * exactly one Chart.yaml of them naming gitlab-runner is at `<path>/Chart.yaml` (from the folder
 * given, or a folder in it, as argo-destination.ts matches a source's path): `folder` is that
 * folder, `root` the repository's root in the files given. A source with a `helm` section whose path
 * ends in gitlab-runner, with no Chart.yaml there given, is a runner chart of a repository not given
 * (`folder` undefined); so is one where more than one folder of the files given ends in the path and
 * one of them is the gitlab-runner chart (which one is not guessed). A path outside the repository (`..`) is neither: Argo CD refuses it.
 */
function gitChart(ev: Evidence, source: Record<string, unknown>): GitChart | undefined {
  if (source.chart !== undefined || typeof source.path !== 'string') return undefined;
  const path = trimEnd(normalPath(source.path.replace(/^\.?\/+/, '')), '/');
  const want = path === '.' ? '' : path;
  if (want === '..' || want.startsWith('../') || want.startsWith('/')) return undefined;
  const chartYaml = want === '' ? 'Chart.yaml' : `${want}/Chart.yaml`;
  const found = chartYamls(ev).filter((p) => p === chartYaml || p.endsWith(`/${chartYaml}`));
  // One folder of the files given is that path: the chart is its Chart.yaml's (another chart's is not read here).
  if (found.length === 1) {
    const folder = found[0]!.slice(0, -'Chart.yaml'.length);
    const chart = chartYamlOf(ev, folder);
    const root = folder.slice(0, folder.length - (want === '' ? 0 : want.length + 1));
    if (chart?.name === 'gitlab-runner') return { path: want, folder, root };
    // An umbrella chart: gitlab-runner as its dependency, the runner's values under its key in the parent's.
    const dependencies = chart ? runnerDependencies(ev, folder, chart) : [];
    return dependencies.length > 0 ? { path: want, folder, root, umbrella: { chart: safeText(typeof chart!.name === 'string' ? chart!.name : '?', 80), dependencies } } : undefined;
  }
  // More than one: which is the chart is not guessed (as a chart not given), where one of them is the runner chart.
  if (found.length > 1 && found.some((p) => chartYamlOf(ev, p.slice(0, -'Chart.yaml'.length))?.name === 'gitlab-runner')) return { path: want, root: '', folders: found.length };
  if (found.length === 0 && isObject(source.helm) && /(^|\/)gitlab-runner$/.test(want)) return { path: want, root: '' };
  return undefined;
}

/** The Chart.yaml files given (normal paths), listed once per evidence: every path source of every Application looks among them. */
const chartYamlsOf = new WeakMap<Evidence, { from: ReadonlySet<string>; size: number; list: string[] }>();
function chartYamls(ev: Evidence): string[] {
  const given = ev.givenPaths ?? new Set<string>();
  let known = chartYamlsOf.get(ev);
  if (known?.from !== given || known.size !== given.size) chartYamlsOf.set(ev, (known = { from: given, size: given.size, list: [...given].filter((p) => p === 'Chart.yaml' || p.endsWith('/Chart.yaml')) }));
  return known.list;
}

/**
 * A `helm.valueFiles` entry of a chart of a git repository (gitChart), read as Argo CD resolves it:
 * relative to the chart's folder, from the repository's root with a leading `/`, a URL fetched
 * when the Application is rendered. One outside the repository is refused by Argo CD (RF903: the
 * Application does not render, and nothing of it is read); one of a repository not given, or not
 * among the files given, is RF903 and what it sets is not proven. False when the release is not read.
 */
function gitValueFile(ev: Evidence, merged: MergedValues, git: GitChart, f: string, at: Position, what: string, repoURL: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) {
    ev.findings.push(finding('RF903', at, `${what}: the values file ${safeText(f, 100)} is fetched from a URL when Argo CD renders the Application, and is not among the files given, so what it sets is not proven`, 'write those values in helm.valuesObject, or keep the values file in the repository beside the chart'));
    return true;
  }
  const rel = normalPath(f.startsWith('/') ? f.slice(1) : `${git.path === '' ? '' : `${git.path}/`}${f}`);
  if (rel === '..' || rel.startsWith('../') || rel.startsWith('/')) {
    ev.findings.push(finding('RF903', at, `${what}: the values file ${safeText(f, 100)} resolves outside the repository ${repoURL} (from the chart's folder ${safeText(git.path === '' ? '.' : git.path, 100)}), and Argo CD refuses to render an Application with such a file, so it deploys nothing; ${NOT_READ}`, "name a values file inside the repository (relative to the chart's folder, or from the repository's root with a leading /), or use a second source with ref and $<ref>/<path>"));
    return false;
  }
  if (git.folder === undefined) {
    ev.findings.push(finding('RF903', at, `${what}: the values file ${safeText(f, 100)} is ${safeText(rel, 100)} of the git repository ${repoURL}, which is not among the files given, so what it sets is not proven`, `run the doctor on a checkout of ${repoURL} with this Application, or write those values in helm.valuesObject`));
    return true;
  }
  const want = `${git.root}${rel}`;
  const file = [...(ev.texts?.keys() ?? [])].find((p) => normalPath(p) === want);
  if (file === undefined) {
    ev.findings.push(finding('RF903', at, `${what}: the values file ${safeText(f, 100)} is ${safeText(want, 100)} of the files given (relative to the chart's folder ${safeText(git.folder === '' ? './' : git.folder, 100)}), which is not among them, so what it sets is not proven (Argo CD refuses to render the Application without it, unless ignoreMissingValueFiles is set)`, `give ${safeText(want, 100)}, or write those values in helm.valuesObject`));
    return true;
  }
  return mergeGivenFile(ev, merged, file, at, what, ev.findings);
}

/**
 * Whether chart values say they are the gitlab-runner chart's without a chart name: the GitLab URL,
 * or the runner configuration or its Secret (`runners.config`, `runners.secret`), keys of that
 * chart's values.yaml other charts do not have.
 */
function runnerValues(values: unknown): boolean {
  return isObject(values) && (typeof values.gitlabUrl === 'string' || (isObject(values.runners) && (values.runners.config !== undefined || values.runners.secret !== undefined)));
}

/**
 * The chart a Flux HelmRelease's `spec.chartRef` names (HelmRelease API, "Chart reference": an
 * `OCIRepository` or a source `HelmChart` by `name`, in `namespace`, else the HelmRelease's own;
 * one written without a namespace is taken to be in it, as a ConfigMap of valuesFrom is):
 * 'runner' when that object is given and is of the gitlab-runner chart (an OCIRepository whose
 * `url` ends in gitlab-runner, a HelmChart whose `chart` is it), 'other' when it is given and is
 * not, 'unknown' when it is not given (or more than one of its name is).
 */
function chartRefChart(ev: Evidence, ref: Record<string, unknown>, own: string | undefined): { chart: 'runner' | 'other' | 'unknown'; source?: GitOpsObject } {
  const kind = ref.kind === 'OCIRepository' ? 'OCIRepository' : ref.kind === 'HelmChart' ? 'FluxHelmChart' : undefined;
  if (!kind) return { chart: 'unknown' };
  const ns = str(ref.namespace) ?? own;
  const found = (ev.gitOps ?? []).filter((g) => g.kind === kind && isObject(g.value.metadata) && g.value.metadata.name === ref.name && (str(g.value.metadata.namespace) ?? ns) === ns);
  if (found.length !== 1) return { chart: 'unknown' };
  const source = found[0]!;
  const spec = isObject(source.value.spec) ? source.value.spec : {};
  const runner = kind === 'OCIRepository' ? typeof spec.url === 'string' && /^oci:\/\/.+\/gitlab-runner\/*$/.test(spec.url) && !spec.url.includes('${') : isRunnerChart(spec.chart, undefined);
  return { chart: runner ? 'runner' : 'other', source };
}

/**
 * The values files of a Flux chart (source-controller's HelmChart API, "Values files"; a HelmRelease's
 * `spec.chart.spec` is such a HelmChart's template): `valuesFiles`, merged in order, each over the
 * ones before, are the chart's values in place of its values.yaml (the older API's `valuesFile`,
 * v2beta1 and v2beta2 only, before them). Where a file is looked up is source-controller's
 * (internal/helm/chart): from a `HelmRepository` it is a file of the chart archive
 * (builder_remote.go, mergeChartValues; `values.yaml` is the chart's own), never among the files
 * given, so RF903; from a `GitRepository` or `Bucket` a path from the root of the source's artifact
 * (builder_local.go, mergeFileValues), read from the one file given whose path ends in it (as
 * Argo CD's `$<ref>/<path>`), else RF903. A list of `values.yaml` alone is the chart's values.yaml
 * (the API's GetValuesFiles). False when a file given does not parse (RF901): the release is not read.
 */
function fluxValuesFiles(ev: Evidence, merged: MergedValues, chart: Record<string, unknown>, at: (...rest: Path) => Position, about: string, out: { replaced?: { at: string; what: string } } = {}): boolean {
  const spec = isObject(chart.spec) ? chart.spec : {};
  const api = typeof chart.apiVersion === 'string' ? chart.apiVersion : '';
  const files: [string, Path][] = [];
  if (/\/v2beta[12]$/.test(api) && str(spec.valuesFile) !== undefined) files.push([spec.valuesFile as string, ['valuesFile']]);
  if (Array.isArray(spec.valuesFiles)) spec.valuesFiles.forEach((f, i) => (str(f) !== undefined ? files.push([f as string, ['valuesFiles', i]]) : undefined));
  const own = (f: string): boolean => normalPath(f.replace(/^\.?\/+/, '')) === 'values.yaml';
  if (files.length === 1 && own(files[0]![0])) return true;
  const kind = isObject(spec.sourceRef) ? spec.sourceRef.kind : undefined;
  const sourceName = safeText(isObject(spec.sourceRef) ? (str(spec.sourceRef.name) ?? '?') : '?', 80);
  const fromRepository = kind === 'GitRepository' || kind === 'Bucket';
  // The files listed are the chart's values in place of its values.yaml, which is merged only where
  // it is listed itself (source-controller internal/helm/chart: mergeChartValues takes the entry
  // "values.yaml" as the chart's own values, builder_remote.go; mergeFileValues reads paths of the
  // source, builder_local.go, where the chart's own is <chart>/values.yaml; OverwriteChartDefaultValues,
  // metadata.go, then replaces the chart's values.yaml with the merge, empty too when
  // ignoreMissingValuesFiles left every file out). So since valuesFiles were added (v0.12) the
  // chart's defaults are not deployed unless listed: where the doctor would take one, it says so.
  const chartOwn = fromRepository && str(spec.chart) !== undefined ? normalPath(`${trimEnd((spec.chart as string).replace(/^\.?\/+/, ''), '/')}/values.yaml`) : undefined;
  const listsOwn = files.some(([f]) => (fromRepository ? chartOwn !== undefined && normalPath(f.replace(/^\.?\/+/, '')) === chartOwn : own(f)));
  if (files.length > 0 && !listsOwn) out.replaced = { at: formatPosition(at(...(files[0]![1].length > 1 ? ['valuesFiles'] : ['valuesFile']))), what: `${about} ${files[0]![1].length > 1 ? 'valuesFiles' : 'valuesFile'}` };
  const optional = spec.ignoreMissingValuesFiles === true ? ' (ignoreMissingValuesFiles: a file that is not there is left out, so whether it is there is not known either)' : '';
  let read = true;
  for (const [f, path] of files) {
    const what = `${about} ${path.length > 1 ? `valuesFiles[${String(path[1])}]` : 'valuesFile'}`;
    if (!fromRepository) {
      if (own(f)) continue; // the chart's own values.yaml: the chart's defaults, as with no valuesFiles
      ev.findings.push(finding('RF903', at(...path), `${what}: ${safeText(f, 100)} is a file of the chart archive ${kind === 'HelmRepository' ? `of HelmRepository ${sourceName}` : 'its source holds'}, merged in place of the chart's values.yaml, and it is not among the files given, so what it sets is not proven${optional}`, "write those values in the HelmRelease's spec.values"));
      continue;
    }
    const given = givenFile(ev, f);
    if (given !== undefined) {
      read = mergeGivenFile(ev, merged, given, at(...path), what, ev.findings) && read;
      continue;
    }
    ev.findings.push(finding('RF903', at(...path), `${what}: ${safeText(f, 100)} is a path of ${String(kind)} ${sourceName} (from the root of its files), merged in place of the chart's values.yaml, and no file given ends in it (or more than one does), so what it sets is not proven${optional}`, `give the values file (a folder of the repository with ${safeText(f, 100)})`));
  }
  return read;
}

/**
 * The chart folder of a HelmRelease whose chart is a path of a GitRepository or Bucket source (from
 * the root of its files, as fluxValuesFiles reads valuesFiles), for its chart's defaults where that
 * folder is given (vendored-chart.ts). None where valuesFiles replace the chart's values.yaml.
 */
function fluxChartFolder(chartSpec: Record<string, unknown> | undefined, about: string): { chartFolder?: string; installedBy?: string } {
  const kind = chartSpec && isObject(chartSpec.sourceRef) ? chartSpec.sourceRef.kind : undefined;
  const chart = chartSpec ? str(chartSpec.chart) : undefined;
  if ((kind !== 'GitRepository' && kind !== 'Bucket') || chart === undefined) return {};
  return { chartFolder: localChartFolder('', chart.replace(/^\.?\/+/, '')), installedBy: about };
}

/**
 * A HelmRelease chart that is a path of a GitRepository or Bucket source (`spec.chart.spec.chart:
 * ./charts/ci`, source-controller builds it from that folder) whose folder among the files given
 * (from the folder given, or the one folder that ends in it) is an umbrella chart: a Chart.yaml with
 * gitlab-runner as a dependency.
 */
function fluxUmbrella(ev: Evidence, chartSpec: Record<string, unknown>): Umbrella | undefined {
  const kind = isObject(chartSpec.sourceRef) ? chartSpec.sourceRef.kind : undefined;
  const chart = str(chartSpec.chart);
  if ((kind !== 'GitRepository' && kind !== 'Bucket') || chart === undefined) return undefined;
  const want = localChartFolder('', chart.replace(/^\.?\/+/, ''));
  if (want.startsWith('../')) return undefined;
  const given = ev.givenPaths ?? new Set<string>();
  const found = given.has(`${want}Chart.yaml`) ? [`${want}Chart.yaml`] : want === '' ? [] : chartYamls(ev).filter((p) => p.endsWith(`/${want}Chart.yaml`));
  if (found.length !== 1) return undefined;
  const folder = found[0]!.slice(0, -'Chart.yaml'.length);
  const parent = chartYamlOf(ev, folder);
  const dependencies = parent && parent.name !== 'gitlab-runner' ? runnerDependencies(ev, folder, parent) : [];
  return dependencies.length > 0 ? { folder, chart: safeText(typeof parent!.name === 'string' ? parent!.name : '?', 80), dependencies } : undefined;
}

/** kustomize's chart folder (helmGlobals.chartHome, default `charts`), where a helmCharts entry without `repo` is read from. */
function kustomizeChartHome(kustomization: Record<string, unknown>): string {
  const home = isObject(kustomization.helmGlobals) ? str(kustomization.helmGlobals.chartHome) : undefined;
  return trimEnd(home ?? 'charts', '/');
}

function readHelmRelease(ev: Evidence, o: GitOpsObject): void {
  const hr = o.value;
  const spec = isObject(hr.spec) ? hr.spec : {};
  const meta = isObject(hr.metadata) ? hr.metadata : {};
  const name = str(meta.name);
  const own = str(meta.namespace);
  const at = (...rest: Path): Position => o.origin.source.locate(o.origin.doc, [...o.origin.path, ...rest]);
  const about = `HelmRelease ${safeText(own !== undefined ? `${own}/${name ?? ''}` : (name ?? '(no name)'), 100)}`;
  const chartSpec = isObject(spec.chart) && isObject(spec.chart.spec) ? spec.chart.spec : undefined;
  const chartRef = !chartSpec && isObject(spec.chartRef) ? spec.chartRef : undefined;
  let chartAt: Path = ['spec', 'chart', 'spec', 'chart'];
  let chartSource: GitOpsObject | undefined;
  if (chartRef) {
    const ref = chartRefChart(ev, chartRef, own);
    if (ref.chart === 'other') return;
    if (ref.chart === 'unknown') {
      // Not given: said only where the values, or the source's name, say it is the runner chart.
      const refName = safeText(str(chartRef.name) ?? '?', 80);
      const refKind = safeText(str(chartRef.kind) ?? 'source', 40);
      const refNs = str(chartRef.namespace);
      const signal = runnerValues(spec.values) ? 'its values are the gitlab-runner chart\'s (gitlabUrl, runners.config or runners.secret)' : /gitlab-runner/.test(str(chartRef.name) ?? '') ? `the source is named ${refName}` : undefined;
      if (signal === undefined) return;
      ev.findings.push(finding('RF903', at('spec', 'chartRef'), `${about}: spec.chartRef names ${refKind} ${refName}${refNs !== undefined ? ` in ${safeText(refNs, 60)}` : ''}, which is not among the files given (or more than one of that name is), so its chart is not known; ${signal}, but what it deploys is not proven`, `give the ${refKind} ${refName} with the HelmRelease`));
      unread(ev);
      return;
    }
    chartAt = ['spec', 'chartRef'];
    chartSource = ref.source!;
  } else if (!chartSpec) return;
  // A chart of a GitRepository (or Bucket) that is an umbrella chart of the files given: the runner chart is its dependency.
  const umbrella = chartSpec && !isRunnerChart(chartSpec.chart, undefined) ? fluxUmbrella(ev, chartSpec) : undefined;
  if (chartSpec && !isRunnerChart(chartSpec.chart, undefined) && !umbrella) return;
  const merged = new MergedValues();
  // Its values.yaml's sections are this release's, not deployments of their own (read.ts read them so).
  const parentValues = umbrella ? [...(ev.texts?.keys() ?? [])].find((p) => normalPath(p) === `${umbrella.folder}values.yaml` || normalPath(p) === `${umbrella.folder}values.yml`) : undefined;
  if (parentValues !== undefined) ev.helmValues = ev.helmValues.filter((v) => !(v.origin.source.path === parentValues && v.origin.path.length === 1 && v.release === undefined && v.address === undefined));
  // The chart's values: its values.yaml, or its HelmChart's valuesFiles in place of it (the bottom layer).
  const chartValues: { replaced?: { at: string; what: string } } = {};
  let read = chartSource
    ? chartSource.kind !== 'FluxHelmChart' || fluxValuesFiles(ev, merged, chartSource.value, (...rest) => chartSource.origin.source.locate(chartSource.origin.doc, [...chartSource.origin.path, 'spec', ...rest]), `${about}: its chart's HelmChart ${safeText(str(chartRef!.name) ?? '?', 80)}`, chartValues)
    : fluxValuesFiles(ev, merged, { apiVersion: hr.apiVersion, spec: chartSpec }, (...rest) => at('spec', 'chart', 'spec', ...rest), `${about}: spec.chart.spec`, chartValues);
  // The parent's values.yaml, the bottom layer where no valuesFiles replace it (fluxValuesFiles).
  if (parentValues !== undefined && !chartValues.replaced) read = mergeGivenFile(ev, merged, parentValues, at('spec', 'chart', 'spec', 'chart'), `${about}: the parent chart's values.yaml`, ev.findings) && read;
  const from = Array.isArray(spec.valuesFrom) ? spec.valuesFrom : [];
  from.forEach((ref, i) => {
    if (!isObject(ref)) return;
    const kind = ref.kind;
    const refName = str(ref.name);
    const key = str(ref.valuesKey) ?? 'values.yaml';
    const here = at('spec', 'valuesFrom', i);
    if (kind !== 'ConfigMap') {
      ev.findings.push(finding('RF903', here, `${about}: spec.valuesFrom[${i}] takes values from ${kind === 'Secret' ? 'Secret' : safeText(String(kind), 40)} ${safeText(refName ?? '?', 80)}, whose data the doctor does not read, so what it sets is not proven`, 'keep the settings the proofs read (service account, runners.config) in spec.values or a ConfigMap given with the HelmRelease'));
      return;
    }
    const cms = ev.kubernetes.filter((k) => k.value.kind === 'ConfigMap' && k.value.metadata.name === refName && (own === undefined || (k.value.metadata.namespace ?? own) === own));
    const cm = cms.length === 1 ? cms[0]! : undefined;
    const data = cm && isObject((cm.value as unknown as Record<string, unknown>).data) ? ((cm.value as unknown as Record<string, unknown>).data as Record<string, unknown>) : undefined;
    const text = data ? data[key] : undefined;
    if (!cm || typeof text !== 'string') {
      if (ref.optional === true && cms.length === 0) return;
      const why = cms.length > 1 ? `${cms.length} ConfigMaps of that name are given (${cms.map((c) => formatPosition(c.origin.source.locate(c.origin.doc, c.origin.path))).join(', ')})` : cm ? `it has no key ${JSON.stringify(key)}` : 'it is not among the files given';
      ev.findings.push(finding('RF903', here, `${about}: spec.valuesFrom[${i}] takes values from ConfigMap ${safeText(refName ?? '?', 80)} key ${safeText(key, 80)}, but ${why}, so what it sets is not proven`, `give the ConfigMap ${safeText(refName ?? '?', 80)} with the HelmRelease`));
      return;
    }
    const keyAt = cm.origin.source.locate(cm.origin.doc, [...cm.origin.path, 'data', key]);
    const target = str(ref.targetPath);
    if (target !== undefined) {
      const setPath = helmSetPath(target);
      if (setPath) merged.set(setPath, autoTyped(text), () => keyAt);
      return;
    }
    read = mergeText(merged, text, cm.origin.source, keyAt, `ConfigMap ${safeText(refName ?? '?', 80)} key ${safeText(key, 80)} (${about}, spec.valuesFrom[${i}])`, ev.findings) && read;
  });
  if (isObject(spec.values)) mergeObject(merged, spec.values, o.origin, ['spec', 'values']);
  if (!read) {
    unread(ev);
    return;
  }
  const target = str(spec.targetNamespace);
  // helm-controller installs the release in spec.targetNamespace, else the HelmRelease's own
  // namespace (api/v2 HelmRelease.GetReleaseNamespace: `in.Namespace`). A HelmRelease is a namespaced
  // object, so in the cluster it always has one: the namespace it was applied in. Written without
  // metadata.namespace, that is kubectl's context namespace, or what a kustomization.yaml or a Flux
  // Kustomization's targetNamespace given sets (kustomize-namespace.ts has set it already); a Flux
  // Kustomization given with no targetNamespace fails to apply it (kustomize-namespace.ts
  // fluxUnapplied, which takes it out). Else the files do not say: not known, never guessed.
  const namespace = target ?? own;
  if (namespace === undefined) ev.findings.push(finding('RF903', at('metadata', 'name'), `${about}: neither spec.targetNamespace nor metadata.namespace is written; helm-controller installs the release in spec.targetNamespace, else the HelmRelease's own namespace, and a HelmRelease (a namespaced object) gets its own from whatever applies it: kubectl puts it in its context's namespace, a kustomization.yaml's namespace or a Flux Kustomization's targetNamespace sets it (none among the files given sets one for it), and a Flux Kustomization with no targetNamespace applies it as built and fails ("HelmRelease/${safeText(name ?? '?', 80)} namespace not specified"); so the namespace the manager runs in is not known and its identity chain is not proven`, 'write metadata.namespace (the namespace the HelmRelease is applied in) or spec.targetNamespace (the namespace the chart is installed in)'));
  const release = str(spec.releaseName) ?? (name !== undefined ? (target !== undefined ? `${target}-${name}` : name) : undefined);
  // Its own namespace given by an Argo CD Application whose source holds it (argo-destination.ts): said with the chain.
  const ownNote = target === undefined ? o.namespaceNote : undefined;
  if (umbrella) {
    const chartAtPos = at('spec', 'chart', 'spec', 'chart');
    const folder = safeText(umbrella.folder === '' ? './' : umbrella.folder, 100);
    pushUmbrellaReleases(ev, merged, umbrella, {
      at: chartAtPos,
      source: o.origin.source,
      installedBy: about,
      placed: { ...(namespace !== undefined ? { namespace } : { namespaceUnknown: true as const }), ...(ownNote !== undefined ? { namespaceNote: ownNote } : {}), ...(release !== undefined ? { release } : {}) },
      notRendered: (dep, disabled) => finding('RF902', chartAtPos, `${about}: its chart ${umbrella.chart} (${folder}, spec.chart.spec.chart) has gitlab-runner as a dependency (${dep.at}) that Helm does not render: ${disabled}, so the HelmRelease deploys no runner manager of it and nothing of its values is read`, `if the runner is meant to be deployed, set the condition true in the HelmRelease's spec.values (or take the condition off the dependency in ${umbrella.chart}'s Chart.yaml)`),
      note: (dep) => `chart ${umbrella.chart} of the files given (${folder}, ${about}'s spec.chart.spec.chart, ${formatPosition(chartAtPos)}); the runner chart is its dependency gitlab-runner (${dep.at}), whose values are the parent's under ${safeText(dep.key, 60)}: (its values.yaml, then the HelmRelease's)`,
    });
    return;
  }
  ev.helmValues.push({ value: merged.value, origin: { source: new ReleaseSource(o.origin.source, merged, () => at(...chartAt)), doc: 0, path: [] }, ...(namespace !== undefined ? { namespace } : { namespaceUnknown: true as const }), ...(ownNote !== undefined ? { namespaceNote: ownNote } : {}), ...(release !== undefined ? { release } : {}), ...versionOf(chartSpec?.version), ...(chartValues.replaced ? { chartDefaultsReplaced: chartValues.replaced } : fluxChartFolder(chartSpec, about)) });
}

/**
 * The `helmCharts` of a kustomization (kustomize's helm chart inflation generator, `kustomize build
 * --enable-helm`): `valuesFile` (a path beside the kustomization, used instead of the chart's
 * defaults) with `valuesInline` merged as `valuesMerge` says (kustomize's HelmChart type:
 * `override`, the default, puts the inline values over the file's; `merge` keeps the file's where
 * both set a key; `replace` uses the inline values alone), then each of `additionalValuesFiles`
 * over them, in order; the release is `releaseName`, the namespace `namespace`.
 */
function readKustomization(ev: Evidence, o: GitOpsObject): void {
  const charts = Array.isArray(o.value.helmCharts) ? o.value.helmCharts : [];
  // kustomize build refuses it, or a kustomization listing it (RF901 / RF946 there): its charts are not rendered.
  if (ev.kustomizeFailed?.has(o.value)) {
    if (charts.some((c) => isObject(c) && isRunnerChart(c.name, c.repo))) ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
    return;
  }
  const folder = o.origin.source.path.replace(/[^\\/]*$/, '');
  charts.forEach((chart, n) => {
    if (!isObject(chart) || !isRunnerChart(chart.name, chart.repo)) return;
    const at = (...rest: Path): Position => o.origin.source.locate(o.origin.doc, [...o.origin.path, 'helmCharts', n, ...rest]);
    const about = `${o.origin.source.path} helmCharts[${n}]`;
    const merged = new MergedValues();
    let read = true;
    const fileLayer = (key: 'valuesFile' | 'additionalValuesFiles', rel: unknown, i?: number): void => {
      if (typeof rel !== 'string' || rel === '') return;
      const place = i === undefined ? at(key) : at(key, i);
      const path = normalPath(`${folder}${rel}`);
      const given = [...(ev.texts?.keys() ?? [])].find((p) => normalPath(p) === path);
      if (given === undefined) {
        ev.findings.push(finding('RF903', place, `${about}: the values file ${safeText(rel, 100)} is not among the files given, so what it sets is not proven`, `give ${safeText(rel, 100)} with the kustomization`));
        return;
      }
      read = mergeGivenFile(ev, merged, given, place, `${about}: ${key}`, ev.findings) && read;
    };
    const mode = chart.valuesMerge === 'merge' || chart.valuesMerge === 'replace' ? chart.valuesMerge : 'override';
    const inline = isObject(chart.valuesInline) ? chart.valuesInline : undefined;
    if (mode === 'merge' && inline) {
      // The file's keys win: the inline values first, the file's over them.
      mergeObject(merged, inline, o.origin, ['helmCharts', n, 'valuesInline']);
      fileLayer('valuesFile', chart.valuesFile);
    } else {
      if (mode === 'override' || !inline) fileLayer('valuesFile', chart.valuesFile);
      else if (typeof chart.valuesFile === 'string' && chart.valuesFile !== '') {
        // replace: kustomize renders the inline values alone. The file is this chart's, not a deployment of its own.
        const path = normalPath(`${folder}${chart.valuesFile}`);
        const alone = ev.helmValues.findIndex((v) => normalPath(v.origin.source.path) === path && v.origin.path.length === 0 && v.release === undefined && v.address === undefined);
        if (alone >= 0) ev.helmValues.splice(alone, 1);
        ev.findings.push(finding('RF902', at('valuesMerge'), `${about}: valuesMerge: replace renders valuesInline alone, so ${safeText(chart.valuesFile, 100)} is not deployed by it and is not read`, 'remove valuesFile, or use valuesMerge: override to put valuesInline over it'));
      }
      if (inline) mergeObject(merged, inline, o.origin, ['helmCharts', n, 'valuesInline']);
    }
    const more = Array.isArray(chart.additionalValuesFiles) ? chart.additionalValuesFiles : [];
    more.forEach((rel, i) => fileLayer('additionalValuesFiles', rel, i));
    if (!read) {
      unread(ev);
      return;
    }
    const placed = chartNamespace(ev, o, chart, at, about);
    const namespace = placed.namespace;
    const release = str(chart.releaseName);
    // A namePrefix / nameSuffix of the kustomization or of one listing it renames the chart's objects too (infer.ts).
    const affix = ev.kustomizeScopes?.get(o.value)?.affix;
    ev.helmValues.push({ value: merged.value, origin: { source: new ReleaseSource(o.origin.source, merged, () => at('name')), doc: 0, path: [] }, ...(namespace !== undefined ? { namespace } : {}), ...(placed.note !== undefined ? { namespaceNote: placed.note } : {}), ...(placed.unknown ? { namespaceUnknown: true as const } : {}), ...(release !== undefined ? { release } : {}), ...versionOf(chart.version), ...(affix !== undefined ? { renamedBy: affix } : {}), ...(str(chart.repo) === undefined && str(chart.name) !== undefined ? { chartFolder: localChartFolder(`${folder}${kustomizeChartHome(o.value)}/`, chart.name as string), installedBy: about } : {}) });
  });
}

/**
 * The namespace of the objects of a kustomization's chart, which depends on the kustomize version:
 *
 * - before v5.8.0 the chart is templated with `--namespace` only where `helmCharts[].namespace` is
 *   written (else in helm's own default namespace), and the namespace transformer of the
 *   kustomization's `namespace:` (and of its NamespaceTransformers, and of every kustomization that
 *   lists it) then rewrites the inflated objects as any others, the outermost last;
 * - from v5.8.0 `helmCharts[].namespace` defaults to the kustomization's namespace, else the nearest
 *   enclosing kustomization's (api/internal/target/kusttarget_configplugin.go, "Pass kustomize
 *   namespace to helm", kustomize issue 5566; kusttarget.go helmRootNamespace), and the namespace
 *   transformer leaves objects the chart generated alone (plugin/builtin/namespacetransformer: the
 *   `config.kubernetes.io/helm-generated` annotation HelmChartInflationGenerator sets).
 *
 * The gitlab-runner chart writes every object's namespace itself (34e), so an `unsetOnly` transformer
 * changes none. Where the two agree that is the namespace; where they differ the files do not say
 * which kustomize builds them (Argo CD and Flux bundle their own): RF903 at it, not known.
 */
function chartNamespace(ev: Evidence, o: GitOpsObject, chart: Record<string, unknown>, at: (...rest: Path) => Position, about: string): { namespace?: string; note?: string; unknown?: true } {
  const written = str(chart.namespace);
  const scope = ev.kustomizeScopes?.get(o.value);
  if (!scope) return written !== undefined ? { namespace: written } : {};
  const rewrites = scope.ops.filter((op) => !op.unsetOnly);
  const before = rewrites.length > 0 ? rewrites[rewrites.length - 1]!.namespace : written;
  const set = written === undefined ? (scope.own ?? scope.ancestor) : undefined;
  const after = written ?? set?.namespace;
  if (before === after) {
    if (after === undefined) return {};
    const given = "kustomize gives the chart's objects (before v5.8.0 its namespace transformer rewrites them, from v5.8.0 the chart is templated in it); before v5.8.0 the chart is templated with no --namespace, so a value taken from .Release.Namespace (the jobs' namespace where runners.config names none) is helm's default namespace there";
    const note = set === undefined ? scope.destinationNote : scope.destinationNote !== undefined ? `${scope.destinationNote}; ${given.replace('gives the', 'gives it to the')}` : `namespace ${safeText(after, 63)}: ${set.what}, which ${given}`;
    return { namespace: after, ...(note !== undefined ? { note } : {}) };
  }
  const rewriter = rewrites.length > 0 ? rewrites[rewrites.length - 1]!.what : undefined;
  const place = written !== undefined ? at('namespace') : at();
  const whyAfter = written !== undefined ? `its helmCharts[].namespace` : set !== undefined ? set.what : 'no kustomization that builds it has a namespace field';
  ev.findings.push(finding('RF903', place, `${about}: kustomize before v5.8.0 puts the chart's objects in ${safeText(before ?? "helm's default namespace", 63)}${rewriter !== undefined ? ` (${rewriter} rewrites them)` : ''}, from v5.8.0 in ${safeText(after ?? "helm's default namespace", 63)} (${whyAfter}; the namespace transformer leaves a chart's objects alone), and the files do not say which kustomize builds it, so the namespace the manager runs in is not known and its identity chain is not proven`, 'write the same namespace in helmCharts[].namespace and the kustomization\'s namespace'));
  return { unknown: true };
}

/**
 * A k3s / RKE2 `HelmChart` (helm.cattle.io/v1, installed by k3s-io/helm-controller). The controller
 * (pkg/controllers/chart/chart.go) mounts the values as files the klipper-helm job passes in glob
 * order (`for VALUES_FILE in /config/*.yaml`, its `entry` script), each `--values` over the ones
 * before: `values-0-000` the HelmChart's `valuesContent` (a YAML string), `values-0-001` its `values`
 * (structured), `values-0-002…` the keys of each of its `valuesSecrets`, then `values-1-…` the same
 * three of the HelmChartConfig of the same name and namespace. `set` comes last, as `--set` for an
 * integer or "true"/"false"/"null" and `--set-string` for any other string (its `typedVal`), in the
 * order of its sorted keys. The release is the HelmChart's `metadata.name` (the job's NAME), the
 * namespace `targetNamespace`, else the HelmChart's own (the job's TARGET_NAMESPACE, chart.go's
 * job()). With neither written the HelmChart's namespace is the one it is applied in (kubectl's
 * context, k3s's deploy controller for its manifests folder), not in the files: RF903, the
 * namespace not known (never guessed).
 */
function readK3sHelmChart(ev: Evidence, o: GitOpsObject): void {
  const hc = o.value;
  const spec = isObject(hc.spec) ? hc.spec : {};
  const meta = isObject(hc.metadata) ? hc.metadata : {};
  const name = str(meta.name);
  const own = str(meta.namespace);
  const at = (...rest: Path): Position => o.origin.source.locate(o.origin.doc, [...o.origin.path, ...rest]);
  const about = `HelmChart ${safeText(own !== undefined ? `${own}/${name ?? ''}` : (name ?? '(no name)'), 100)}`;
  if (str(spec.chartContent) !== undefined) {
    chartContent(ev, spec, meta, at, about);
    return;
  }
  if (!isRunnerChart(spec.chart, spec.repo)) return;
  const merged = new MergedValues();
  let read = true;
  const layers = (obj: GitOpsObject, what: string): void => {
    const s = isObject(obj.value.spec) ? obj.value.spec : {};
    const here = (...rest: Path): Position => obj.origin.source.locate(obj.origin.doc, [...obj.origin.path, 'spec', ...rest]);
    if (typeof s.valuesContent === 'string') read = mergeText(merged, s.valuesContent, obj.origin.source, here('valuesContent'), `${what}: spec.valuesContent`, ev.findings) && read;
    if (isObject(s.values)) mergeObject(merged, s.values, obj.origin, ['spec', 'values']);
    const secrets = Array.isArray(s.valuesSecrets) ? s.valuesSecrets : [];
    secrets.forEach((ref, i) => {
      // A secret of no keys is not used; chart-values-<name> is the controller's own (valuesContent and values).
      if (!isObject(ref) || !Array.isArray(ref.keys) || ref.keys.length === 0 || ref.name === `chart-values-${name ?? ''}`) return;
      ev.findings.push(finding('RF903', here('valuesSecrets', i), `${what}: spec.valuesSecrets[${i}] takes values from Secret ${safeText(str(ref.name) ?? '?', 80)}, whose data the doctor does not read, so what it sets is not proven`, 'keep the settings the proofs read (service account, runners.config) in spec.valuesContent or spec.values'));
    });
  };
  layers(o, about);
  const configs = (ev.gitOps ?? []).filter((c) => c.kind === 'HelmChartConfig' && isObject(c.value.metadata) && c.value.metadata.name === name && str(c.value.metadata.namespace) === own);
  if (configs.length === 1) layers(configs[0]!, `HelmChartConfig ${safeText(own !== undefined ? `${own}/${name ?? ''}` : (name ?? ''), 100)}`);
  else if (configs.length > 1) ev.findings.push(finding('RF903', at('metadata', 'name'), `${about}: ${configs.length} HelmChartConfigs of its name are given (${configs.map((c) => formatPosition(c.origin.source.locate(c.origin.doc, c.origin.path))).join(', ')}); the cluster holds one, so which values it adds is not known and none is read`, 'give the one HelmChartConfig the cluster holds'));
  const set = isObject(spec.set) ? spec.set : {};
  for (const key of Object.keys(set).sort()) {
    const setPath = helmSetPath(key);
    const raw = set[key];
    if (!setPath) {
      ev.findings.push(finding('RF901', at('spec', 'set', key), `${about}: spec.set key ${JSON.stringify(safeText(key, 80))} is not a Helm value path`, 'write keys separated by dots, `\\.` for a dot inside a key, [n] for a list index'));
      continue;
    }
    const p = setWithTokenStandIn({ name: key, value: raw });
    const v = p.value;
    const value = typeof v === 'number' || typeof v === 'boolean' ? v : typeof v === 'string' && ['true', 'false', 'null'].includes(v.toLowerCase()) ? autoTyped(v.toLowerCase()) : typeof v === 'string' ? v : JSON.stringify(v ?? null);
    merged.set(setPath, value, () => at('spec', 'set', key));
  }
  if (!read) {
    unread(ev);
    return;
  }
  const namespace = str(spec.targetNamespace) ?? own;
  // Its own namespace given by an Argo CD Application whose source holds it (argo-destination.ts): said with the chain.
  const ownNote = str(spec.targetNamespace) === undefined ? o.namespaceNote : undefined;
  // Neither written: the HelmChart's own namespace is the one it is applied in, which the files do not say.
  if (namespace === undefined) ev.findings.push(finding('RF903', at('metadata', 'name'), `${about}: neither spec.targetNamespace nor metadata.namespace is written; helm-controller installs the release in spec.targetNamespace, else the HelmChart's own namespace, and a HelmChart written without one is in the namespace it is applied in (kubectl's context namespace, or the one k3s's deploy controller gives a file of /var/lib/rancher/k3s/server/manifests), so the namespace the manager runs in is not known and its identity chain is not proven`, 'write spec.targetNamespace (the namespace the chart is installed in)'));
  ev.helmValues.push({ value: merged.value, origin: { source: new ReleaseSource(o.origin.source, merged, () => at('spec', 'chart')), doc: 0, path: [] }, ...(namespace !== undefined ? { namespace } : { namespaceUnknown: true as const }), ...(ownNote !== undefined ? { namespaceNote: ownNote } : {}), ...(name !== undefined ? { release: name } : {}), ...versionOf(spec.version) });
}

/**
 * A k3s HelmChart whose chart is `spec.chartContent`: a base64-encoded chart archive (.tgz) that
 * overrides `spec.chart` and `spec.version` (helm-controller doc/helmchart.md; the controller hands it
 * to the job in the ConfigMap chart-content-<name>, pkg/controllers/chart/chart.go). The doctor does
 * not unpack archives, so the chart is known only by its content: where something says it is the
 * runner chart (its values are, `spec.chart` or the name says gitlab-runner, or the
 * helm.cattle.io/chart-url annotation the controller reports it by names a gitlab-runner archive),
 * RF903 at it, not read and no RF910; nothing is said otherwise.
 */
function chartContent(ev: Evidence, spec: Record<string, unknown>, meta: Record<string, unknown>, at: (...rest: Path) => Position, about: string): void {
  let content: unknown;
  try {
    content = typeof spec.valuesContent === 'string' ? yamlData(spec.valuesContent, '1.2', 100) : undefined;
  } catch {
    content = undefined;
  }
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  const url = str(annotations['helm.cattle.io/chart-url']);
  const urlPath = url?.replace(/[?#].*$/, '');
  const signal = runnerValues(spec.values) || runnerValues(content)
    ? "its values are the gitlab-runner chart's (gitlabUrl, runners.config or runners.secret)"
    : isRunnerChart(spec.chart, spec.repo)
      ? 'spec.chart names gitlab-runner (which chartContent overrides)'
      : urlPath !== undefined && isRunnerChart(urlPath, undefined)
        ? `its helm.cattle.io/chart-url annotation names ${safeText(urlPath.replace(/^.*\//, ''), 80)}`
        : /gitlab-runner/.test(str(meta.name) ?? '')
          ? `it is named ${safeText(str(meta.name)!, 80)}`
          : undefined;
  if (signal === undefined) return;
  ev.findings.push(finding('RF903', at('spec', 'chartContent'), `${about}: spec.chartContent, a base64-encoded chart archive that overrides spec.chart, is the chart it installs, and the doctor does not unpack archives, so the chart is known only by its content; ${signal}, but what it deploys is not proven`, 'install the chart by spec.repo and spec.chart (with spec.version) so it is named, or give the chart values with a HelmChart that names its chart'));
  unread(ev);
}
