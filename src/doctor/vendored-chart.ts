import type { Evidence } from './evidence.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import { formatPosition, originAt } from './source.js';
import { normalPath } from './hcl/eval.js';
import { MergedValues, ReleaseSource } from './helm-release.js';
import { chartYamlOf } from './chart-yaml.js';

/**
 * The gitlab-runner chart vendored into a repository (a folder with its Chart.yaml, `name:
 * gitlab-runner`, and its templates/) keeps its own values.yaml: the chart's defaults. Helm takes
 * them as the bottom layer of every release of that folder and puts the values given with `-f` and
 * `--set` over them (Helm docs, "Values Files": the chart's values.yaml, then a parent chart's, then
 * `-f` files, then `--set`). As shipped, that file sets neither `gitlabUrl` nor a runner token (both
 * commented out: a release of the defaults alone registers nothing), so it says nothing of a
 * deployment by itself: it is not read as one, and RF902 (info) says why. A values.yaml of such a
 * folder that sets `gitlabUrl` or a token has been edited in place to be the release's values, and is
 * read as such, as any values file is. The same holds for a chart in a `charts/` folder (read.ts:
 * `<parent>/charts/<name>/values.yaml`), a dependency of the chart above it where that folder has a
 * Chart.yaml.
 *
 * Runs once every file is read (the Chart.yaml may be read after the values.yaml): it takes such
 * values out of `ev.helmValues`, says RF902 at each, and keeps them in `ev.chartDefaults` by folder,
 * for layerChartDefaults to put under the values of a release that installs that folder.
 */
export function vendoredChartDefaults(ev: Evidence): void {
  const charts = new Map<string, Record<string, unknown> | undefined>();
  const chartOf = (folder: string): Record<string, unknown> | undefined => {
    if (!charts.has(folder)) charts.set(folder, chartYamlOf(ev, folder));
    return charts.get(folder);
  };
  const runnerChart = (folder: string): boolean => chartOf(folder)?.name === 'gitlab-runner';
  const versionOf = (folder: string): { chartVersion?: string } => {
    const v = chartOf(folder)?.version;
    return typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v) ? { chartVersion: v } : {};
  };
  const defaults = (ev.chartDefaults ??= new Map());
  const kept: Evidence['helmValues'] = [];
  for (const v of ev.helmValues) {
    const path = normalPath(v.origin.source.path);
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    // Values of a whole document only: an umbrella chart's `gitlab-runner:` section, a release's values, a GitOps object's, are a deployment's.
    const own = /^values\.ya?ml$/.test(path.slice(folder.length)) && v.origin.path.length === 0 && v.release === undefined && v.address === undefined;
    if (!own || !runnerChart(folder) || setsDeployment(v.value)) {
      kept.push(v);
      continue;
    }
    const said = notADeployment(formatPosition(originAt(v.origin)), path, folder);
    ev.findings.push(said);
    defaults.set(folder, { value: v.value, origin: v.origin, said, ...versionOf(folder) });
  }
  ev.helmValues = kept;
  // Charts in a charts/ folder: a dependency of the chart above where that folder has a Chart.yaml.
  for (const d of ev.dependencyChartValues ?? []) {
    const path = normalPath(d.origin.source.path);
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    const parent = folder.slice(0, folder.length - `charts/${d.name}/`.length);
    const said = dependencyDefaults(d.at, path, d.name, parent, chartOf(parent) !== undefined);
    ev.findings.push(said);
    defaults.set(folder, { value: d.value, origin: d.origin, said, ...versionOf(folder) });
  }
}

/** Whether chart values set what a deployment of the chart must: the GitLab URL or a runner token (any value, a placeholder included). */
function setsDeployment(values: Record<string, unknown>): boolean {
  return ['gitlabUrl', 'runnerToken', 'runnerRegistrationToken'].some((k) => values[k] !== undefined && values[k] !== null && values[k] !== '');
}

function notADeployment(at: string, path: string, folder: string): Finding {
  const chart = `${folder}Chart.yaml`;
  return {
    code: 'RF902',
    severity: CODES.RF902.severity,
    path: at,
    message: `${safeText(path, 200)} holds the default values of the gitlab-runner chart vendored in ${safeText(folder === '' ? './' : folder, 200)} (${safeText(chart, 200)}): it sets no gitlabUrl and no runner token, so it is not the values a release is installed with, and is not read as a deployment's values; Helm puts the values given with \`helm install -f\` and \`--set\` over these defaults, and those are not among the files given`,
    fix: 'give the values file the release is installed with (`helm install <release> <chart folder> -f <values>`); or, if the release is installed from this folder with no other values, set gitlabUrl and the runner token\'s Secret in this values.yaml so it is read as the deployment',
  };
}

function dependencyDefaults(at: string, path: string, name: string, parent: string, parentChart: boolean): Finding {
  const key = safeText(name, 60);
  if (parentChart) {
    return { code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${safeText(path, 200)} holds the default values of chart ${key}, vendored as a dependency of the chart in ${safeText(parent === '' ? './' : parent, 200)} (${safeText(`${parent}Chart.yaml`, 200)}; Helm's charts/ folder): not a deployment's values, so not read as one; the parent chart's values under \`${key}:\` are what a release of it sets, over these defaults`, fix: 'give the parent chart\'s values.yaml (its `gitlab-runner:` section is read as the runner chart\'s values, over these defaults), or the values a release is installed with' };
  }
  return { code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${safeText(path, 200)} holds the default values of chart ${key} in a charts/ folder, and no Chart.yaml is given in the folder above it (${safeText(parent === '' ? './' : parent, 200)}), so it is a dependency of no chart given: not a deployment's values, so not read as one`, fix: `give the values a release of ${safeText(`${parent}charts/${name}`, 200)} is installed with (\`helm install <release> <chart folder> -f <values>\`), or the parent chart with its Chart.yaml and values.yaml` };
}

/**
 * Each release whose chart is a vendored gitlab-runner chart of the files (its folder in
 * `ev.chartDefaults`: a release reader's `chartFolder`, or a parent chart's `<name>:` section over
 * `charts/<name>/`) gets that chart's values.yaml as the bottom layer, as Helm merges them (Helm docs,
 * "Values Files" and "Deleting a default key": maps merged key by key, a list or a scalar replaced
 * whole, `null` in the release's values deletes the chart's default of that key). Each key keeps the
 * place of the layer that set it last (MergedValues), so a finding about a default the release keeps
 * is placed at its line in the chart's values.yaml (chartDefaultKept says so). The chart's RF902 is
 * taken back: its values are read, as the release's. A vendored chart no release reads keeps it.
 * The chart's own version is the version installed, where its Chart.yaml gives one.
 */
export function layerChartDefaults(ev: Evidence): void {
  const defaults = ev.chartDefaults;
  if (!defaults || defaults.size === 0) return;
  const used = new Set<Finding>();
  ev.helmValues = ev.helmValues.map((v) => {
    const path = normalPath(v.origin.source.path);
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    // A parent chart's values: its `<name>:` section is the values of its charts/<name>/.
    const parentKey = v.chartFolder === undefined && v.origin.path.length === 1 && typeof v.origin.path[0] === 'string' && /^values\.ya?ml$/.test(path.slice(dir.length)) && v.release === undefined && v.address === undefined ? v.origin.path[0] : undefined;
    const folder = v.chartFolder ?? (parentKey !== undefined ? `${dir}charts/${parentKey}/` : undefined);
    const d = folder !== undefined ? defaults.get(folder) : undefined;
    if (!d) return v;
    const merged = new MergedValues();
    merged.merge(d.value, (p) => d.origin.source.locate(d.origin.doc, [...d.origin.path, ...p]));
    merged.merge(v.value, (p) => v.origin.source.locate(v.origin.doc, [...v.origin.path, ...p]));
    deleteNulls(merged.value, d.value, v.value);
    used.add(d.said);
    const by = v.installedBy ?? (parentKey !== undefined ? `the parent chart's values (${path}, under ${parentKey}:)` : `the values of ${path}`);
    const file = normalPath(d.origin.source.path);
    const kept = (ev.chartDefaultsKept ??= new Map<string, string[]>());
    kept.set(file, [...(kept.get(file) ?? []), by]);
    const fallback = () => v.origin.source.locate(v.origin.doc, v.origin.path);
    return { ...v, value: merged.value, origin: { source: new ReleaseSource(v.origin.source, merged, fallback), doc: 0, path: [] }, ...(v.chartVersion === undefined && d.chartVersion !== undefined ? { chartVersion: d.chartVersion } : {}) };
  });
  if (used.size > 0) ev.findings = ev.findings.filter((f) => !used.has(f));
  // Layered once: the evidence may be inferred again (doctor --aws evaluates first).
  ev.chartDefaults = undefined;
}

/**
 * The version of a vendored gitlab-runner chart is the version its values are installed with: a
 * release that installs the chart's folder (`chartFolder`: a helm command, a helm_release, a
 * kustomize helmCharts entry) or a values file beside the chart's Chart.yaml (its values.yaml edited
 * to be the release's, or a `values-<env>.yaml` given with `helm install <release> . -f`). Where a
 * release gives no version itself, the Chart.yaml's `version` is taken, so the questions "which chart
 * version" (RF932's legacy keys, the service account key) are answered for the chart vendored, not
 * for the newest. A Chart.yaml whose name is not gitlab-runner, or no exact version: nothing taken.
 * Nor one whose appVersion is not a GitLab Runner version: the chart's appVersion is the runner it
 * ships (15.7.0 for chart 0.48.0; 9.x for its first charts, or `bleeding`), and a chart of one's own
 * named gitlab-runner (`helm create`'s skeleton, appVersion 0.72.0 for the chart version it wraps:
 * frsab+k8S-gitlab-runner-tls-self-signed-setup) does not say which gitlab-runner chart is installed.
 */
export function vendoredChartVersions(ev: Evidence): void {
  const versions = new Map<string, string | undefined>();
  const versionAt = (folder: string): string | undefined => {
    if (!versions.has(folder)) {
      const chart = chartYamlOf(ev, folder);
      versions.set(folder, chart?.name === 'gitlab-runner' && typeof chart.version === 'string' && /^\d+\.\d+\.\d+/.test(chart.version) && runnerAppVersion(chart.appVersion) ? chart.version : undefined);
    }
    return versions.get(folder);
  };
  ev.helmValues = ev.helmValues.map((v) => {
    if (v.chartVersion !== undefined) return v;
    // A values file read as itself (not a release's merge): a whole document, installed by no reader that names its chart.
    const plain = !(v.origin.source instanceof ReleaseSource) && v.origin.path.length === 0 && v.release === undefined && v.address === undefined;
    const path = normalPath(v.origin.source.path);
    const folder = v.chartFolder ?? (plain ? path.slice(0, path.lastIndexOf('/') + 1) : undefined);
    const version = folder !== undefined ? versionAt(folder) : undefined;
    return version !== undefined ? { ...v, chartVersion: version } : v;
  });
}

/** A GitLab Runner version as the chart's appVersion gives it: `15.7.0`, `v17.7.0`, `bleeding`; a major below 9 is no runner the chart shipped. */
function runnerAppVersion(v: unknown): boolean {
  if (v === 'bleeding') return true;
  const m = typeof v === 'string' ? /^v?(\d+)\.\d+/.exec(v.trim()) : null;
  return m !== null && Number(m[1]) >= 9;
}

/** `null` in the release's values deletes the chart's default of that key (Helm, "Deleting a default key"); a null over no default stays. */
function deleteNulls(target: Record<string, unknown>, base: Record<string, unknown>, over: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(over)) {
    if (!Object.hasOwn(base, k)) continue;
    if (v === null) delete target[k];
    else if (isObject(v) && isObject(base[k]) && isObject(target[k])) deleteNulls(target[k], base[k], v);
  }
}

/**
 * A finding placed in a chart's values.yaml that a release keeps (layerChartDefaults): said as the
 * chart's default the release keeps, with the fix in the release's values, not the vendored chart's
 * file (which a chart update overwrites, and which every release of the folder shares).
 */
export function chartDefaultKept(ev: Evidence): (f: Finding) => Finding {
  const kept = ev.chartDefaultsKept;
  if (!kept || kept.size === 0) return (f) => f;
  return (f) => {
    const by = kept.get(f.path.replace(/:\d+:\d+$/, ''));
    if (by === undefined) return f;
    const who = [...new Set(by)].slice(0, 3).join(', ');
    return { ...f, message: `${f.message} (the default of the vendored chart's values.yaml, which ${who} keep${by.length > 1 ? '' : 's'}: its values do not set this key)`, ...(f.fix !== undefined ? { fix: `${f.fix}, in the values ${who} install${by.length > 1 ? '' : 's'} the chart with (they go over the chart's defaults), not in the vendored chart's values.yaml` } : {}) };
  };
}
