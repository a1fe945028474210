import type { Evidence } from './evidence.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import { formatPosition, originAt } from './source.js';
import { normalPath } from './hcl/eval.js';

/**
 * The gitlab-runner chart vendored into a repository (a folder with its Chart.yaml, `name:
 * gitlab-runner`, and its templates/) keeps its own values.yaml: the chart's defaults. Helm takes
 * them as the bottom layer of every release of that folder and puts the values given with `-f` and
 * `--set` over them (Helm docs, "Values Files": the chart's values.yaml, then a parent chart's, then
 * `-f` files, then `--set`). As shipped, that file sets neither `gitlabUrl` nor a runner token (both
 * commented out: a release of the defaults alone registers nothing), so it says nothing of a
 * deployment: it is not read as one, and RF902 (info) says why. A values.yaml of such a folder that
 * sets `gitlabUrl` or a token has been edited in place to be the release's values, and is read as
 * such, as any values file is.
 *
 * Runs once every file is read (the Chart.yaml may be read after the values.yaml): it takes such
 * values out of `ev.helmValues` and says RF902 at each.
 */
export function vendoredChartDefaults(ev: Evidence): void {
  const given = ev.givenPaths ?? new Set<string>();
  const charts = new Map<string, boolean>();
  /** Whether `<folder>Chart.yaml` is among the files read and names the gitlab-runner chart. */
  const runnerChart = (folder: string): boolean => {
    let is = charts.get(folder);
    if (is === undefined) {
      const path = `${folder}Chart.yaml`;
      const artifact = given.has(path) ? ev.artifacts.find((a) => a.format === 'yaml' && normalPath(a.path) === path) : undefined;
      const doc: unknown = artifact && Array.isArray(artifact.content) ? (artifact.content as unknown[])[0] : undefined;
      is = isObject(doc) && doc.name === 'gitlab-runner';
      charts.set(folder, is);
    }
    return is;
  };
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
    ev.findings.push(notADeployment(formatPosition(originAt(v.origin)), path, folder));
  }
  ev.helmValues = kept;
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
