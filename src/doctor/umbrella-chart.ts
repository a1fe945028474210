import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { SourceFile, formatPosition, type Position } from './source.js';
import { normalPath } from './hcl/eval.js';
import { chartYamlOf } from './chart-yaml.js';
import { ReleaseSource, type MergedValues } from './helm-release.js';

/**
 * Umbrella charts: a chart of a team's own with the gitlab-runner chart as a dependency. Helm gives
 * the dependency the parent's values under its alias, else its name (Helm docs, "Charts": "Alias
 * field in dependencies"), and renders it only where its `condition`, else its `tags`, leave it
 * enabled ("Tags and Condition fields in dependencies"). Shared by an Argo CD Application of such a
 * chart (gitops.ts) and by the parent's values.yaml read alone (readUmbrellaValues).
 */

type Path = (string | number)[];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A dependency `gitlab-runner` of a parent chart (Chart.yaml `dependencies`, or Helm 2's requirements.yaml). */
export interface RunnerDependency {
  /** The key of the parent's values its values sit under: `alias`, else `name` (Helm docs, "Charts": "Alias field in dependencies"). */
  key: string;
  condition?: string;
  tags: string[];
  /** Where it is written (file:line:column). */
  at: string;
}

/**
 * The gitlab-runner dependencies of the chart in `folder`: Chart.yaml's `dependencies` (apiVersion v2),
 * else those of the folder's requirements.yaml (apiVersion v1, Helm 2; Helm 3 reads it too).
 */
export function runnerDependencies(ev: Evidence, folder: string, chart: Record<string, unknown>): RunnerDependency[] {
  let list: unknown = chart.dependencies;
  let file = `${folder}Chart.yaml`;
  if (!Array.isArray(list)) {
    file = `${folder}requirements.yaml`;
    const artifact = (ev.givenPaths ?? new Set<string>()).has(file) ? ev.artifacts.find((a) => a.format === 'yaml' && normalPath(a.path) === file) : undefined;
    const doc: unknown = artifact && Array.isArray(artifact.content) ? (artifact.content as unknown[])[0] : undefined;
    list = isObject(doc) ? doc.dependencies : undefined;
  }
  if (!Array.isArray(list)) return [];
  const text = ev.texts?.get(file);
  const place = (i: number): string => (text !== undefined ? formatPosition(new SourceFile(file, text, 'yaml').locate(0, ['dependencies', i])) : file);
  const out: RunnerDependency[] = [];
  list.forEach((d, i) => {
    if (!isObject(d) || d.name !== 'gitlab-runner') return;
    const tags = Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : [];
    out.push({ key: str(d.alias) ?? 'gitlab-runner', ...(str(d.condition) !== undefined ? { condition: d.condition as string } : {}), tags, at: place(i) });
  });
  return out;
}

/**
 * Whether Helm renders a dependency with the top parent's values (Helm, "Charts": "Tags and Condition
 * fields in dependencies"; pkg/chartutil dependencies.go): the first path of `condition` (paths
 * separated by commas) that resolves to a boolean decides; with none, its `tags` do: disabled where
 * one of them is set false in `tags:` and none true. Anything else (a path not there, not a boolean,
 * an `enabled: false` no condition names) leaves it enabled. Returns where and why it is disabled.
 */
export function dependencyDisabled(values: Record<string, unknown>, dep: RunnerDependency, where: (path: Path) => Position): string | undefined {
  for (const raw of (dep.condition ?? '').split(',')) {
    const path = raw.trim();
    if (path === '') continue;
    let cur: unknown = values;
    const keys = path.split('.');
    for (const k of keys) cur = isObject(cur) && Object.hasOwn(cur, k) ? cur[k] : undefined;
    if (typeof cur !== 'boolean') continue;
    return cur ? undefined : `its condition ${safeText(path, 100)} is false (${formatPosition(where(keys))})`;
  }
  const tags = isObject(values.tags) ? values.tags : {};
  const set = dep.tags.filter((t) => Object.hasOwn(tags, t) && typeof tags[t] === 'boolean');
  if (set.length > 0 && !set.some((t) => tags[t] === true)) return `its tag ${safeText(set[0]!, 60)} is false in tags: (${formatPosition(where(['tags', set[0]!]))}), and none of its tags is true`;
  return undefined;
}

/**
 * A parent chart's values.yaml read alone (no release of the files installs it): each of its sections
 * read as the runner chart's values (read.ts) that is the values of a gitlab-runner dependency of the
 * folder's Chart.yaml (or requirements.yaml) is read as Helm renders it: a dependency its condition or
 * tags disable is not rendered, so its section is no runner's values (RF902 says so, nothing else is
 * said of it); an aliased dependency's chart is named after the alias (its fullname), and its
 * vendored chart is charts/gitlab-runner/. A section no dependency names is left as it was read.
 * The section a dependency names is its values by Helm's rule whatever keys it has (stop 62d): one
 * with only `rbac:` or only `runners:`, which read.ts does not take alone, is read too.
 */
export function readUmbrellaValues(ev: Evidence): void {
  const given = ev.givenPaths ?? new Set<string>();
  const parents = new Map<string, { chart: string; dependencies: RunnerDependency[]; top: Record<string, unknown> } | null>();
  const parentOf = (folder: string, file: string, doc: number): { chart: string; dependencies: RunnerDependency[]; top: Record<string, unknown> } | null => {
    const key = `${file}\u0000${doc}`;
    let known = parents.get(key);
    if (known !== undefined) return known;
    known = null;
    const chart = given.has(`${folder}Chart.yaml`) ? chartYamlOf(ev, folder) : undefined;
    const dependencies = chart ? runnerDependencies(ev, folder, chart) : [];
    if (dependencies.length > 0) {
      const artifact = ev.artifacts.find((a) => a.format === 'yaml' && normalPath(a.path) === file);
      const top: unknown = artifact && Array.isArray(artifact.content) ? (artifact.content as unknown[])[doc] : undefined;
      if (isObject(top)) known = { chart: safeText(typeof chart!.name === 'string' ? chart!.name : '?', 80), dependencies, top };
    }
    parents.set(key, known);
    return known;
  };
  const kept: Evidence['helmValues'] = [];
  // The sections read.ts kept aside (too few of the chart's keys to be taken alone): a dependency's values where a dependency names them, else nothing.
  const aside = new Set<object>(ev.valuesSections ?? []);
  for (const v of [...ev.helmValues, ...(ev.valuesSections ?? [])] as Evidence['helmValues']) {
    const file = normalPath(v.origin.source.path);
    const folder = file.slice(0, file.lastIndexOf('/') + 1);
    const section = v.origin.path.length === 1 && typeof v.origin.path[0] === 'string' ? v.origin.path[0] : undefined;
    const alone = section !== undefined && v.release === undefined && v.address === undefined && v.chartFolder === undefined && /^values\.ya?ml$/.test(file.slice(folder.length));
    const parent = alone ? parentOf(folder, file, v.origin.doc) : null;
    const dep = parent?.dependencies.find((d) => d.key === section);
    if (!parent || !dep) {
      if (!aside.has(v)) kept.push(v);
      continue;
    }
    const disabled = dependencyDisabled(parent.top, dep, (p) => v.origin.source.locate(v.origin.doc, p));
    if (disabled !== undefined) {
      const at = formatPosition(v.origin.source.locate(v.origin.doc, v.origin.path));
      ev.findings.push({ code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${safeText(file, 200)}: the section ${safeText(dep.key, 60)}: is the values of the dependency gitlab-runner (${dep.at}) of chart ${parent.chart}, which Helm does not render: ${disabled}, so it deploys no runner manager and nothing of the section is read`, fix: `if the runner is meant to be deployed, set the condition true in the values the chart is installed with (or take the condition off the dependency in ${parent.chart}'s Chart.yaml)` });
      ev.notDeployed = (ev.notDeployed ?? 0) + 1;
      continue;
    }
    // An alias renames the dependency's chart (Helm chartutil getAliasDependency: its Metadata.Name becomes the alias).
    kept.push(dep.key === 'gitlab-runner' ? v : { ...v, chartName: dep.key, chartFolder: `${folder}charts/gitlab-runner/` });
  }
  ev.helmValues = kept;
}

/** A parent chart of the files given (its folder, ending in `/`, or empty) with gitlab-runner dependencies. */
export interface Umbrella {
  folder: string;
  chart: string;
  dependencies: RunnerDependency[];
}

/** Where a release of an umbrella chart is written and what it installs with, for pushUmbrellaReleases. */
export interface UmbrellaRelease {
  /** The place the release names the chart (a finding about a dependency not rendered is said there). */
  at: Position;
  /** The file of the release (its values are placed through the layers). */
  source: SourceFile;
  installedBy: string;
  placed: Partial<Pick<Evidence['helmValues'][number], 'namespace' | 'namespaceNote' | 'namespaceUnknown' | 'release' | 'chartVersion'>>;
  notRendered: (dep: RunnerDependency, disabled: string) => Finding;
  note: (dep: RunnerDependency) => string;
}

/**
 * The runner releases of a release of an umbrella chart with `merged` its values (the parent's
 * values.yaml, then the release's): Helm renders the parent with these values and gives each
 * gitlab-runner dependency the section under its alias (or name); the gitlab-runner chart's templates
 * read no `.Values.global` (checked in its 0.73.1 templates), so the parent's `global:` is not one of
 * its values. A dependency Helm does not render is said (`notRendered`) and not read.
 */
export function pushUmbrellaReleases(ev: Evidence, merged: MergedValues, umbrella: Umbrella, r: UmbrellaRelease): void {
  for (const dep of umbrella.dependencies) {
    const disabled = dependencyDisabled(merged.value, dep, (p) => merged.locate(p, () => r.at));
    if (disabled !== undefined) {
      ev.findings.push(r.notRendered(dep, disabled));
      ev.notDeployed = (ev.notDeployed ?? 0) + 1;
      continue;
    }
    // An alias renames the dependency's chart (Helm chartutil getAliasDependency: the chart's Metadata.Name
    // becomes the alias), so what the chart names after .Chart.Name (its fullname) is named after the alias.
    const sub = merged.under(dep.key);
    ev.helmValues.push({ value: sub.value, origin: { source: new ReleaseSource(r.source, sub, () => merged.locate([dep.key], () => r.at)), doc: 0, path: [] }, ...r.placed, ...(dep.key !== 'gitlab-runner' ? { chartName: dep.key } : {}), chartFolder: `${umbrella.folder}charts/gitlab-runner/`, installedBy: r.installedBy, chartNote: r.note(dep) });
  }
}
