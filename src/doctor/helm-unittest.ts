import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import { normalPath } from './hcl/eval.js';

/**
 * helm-unittest suites (github:helm-unittest/helm-unittest, DOCUMENT.md "Test Suite": a chart's
 * `tests/*_test.yaml`, run by `helm unittest <chart>`): the inputs of a chart's unit tests, which
 * render the chart's templates with each job's `set` / `values`, not a deployment. read.ts keeps
 * each one found (`Evidence.helmUnittestSuites`); they are said once per chart, and where no runner
 * manager is found RF910 says that runner configuration was found only in them.
 */

/** A helm-unittest suite found: its file, where it starts, and whether it sets the gitlab-runner chart's values. */
export interface HelmUnittestSuite {
  path: string;
  at: string;
  runner: boolean;
}

/** Keys of the gitlab-runner chart's values.yaml no other chart has together (a job's `set:` writes them dotted). */
const RUNNER_KEY = /^(gitlabUrl|runnerToken|runnerRegistrationToken|runners\.(config|secret|executor|tags|privileged))$/;

/** Whether a suite sets the gitlab-runner chart's values: a key of `set` (dotted) or `values`-like maps at the suite or a job. */
export function runnerSuite(doc: Record<string, unknown>): boolean {
  const keys = (m: unknown, prefix = ''): string[] => (isObject(m) ? Object.entries(m).flatMap(([k, v]) => [`${prefix}${k}`, ...(isObject(v) && prefix === '' ? keys(v, `${k}.`) : [])]) : []);
  const jobs = Array.isArray(doc.tests) ? doc.tests.filter(isObject) : [];
  return [doc, ...jobs].some((j) => keys(j.set).some((k) => RUNNER_KEY.test(k)));
}

/** The chart folder of a suite: the nearest folder above it with a Chart.yaml among the files given, else the folder its own folder is in. */
function chartFolder(path: string, given: ReadonlySet<string>): string {
  const p = normalPath(path);
  const parts = p.split('/').slice(0, -1);
  for (let i = parts.length; i > 0; i--) if (given.has([...parts.slice(0, i), 'Chart.yaml'].join('/'))) return parts.slice(0, i).join('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : parts.join('/');
}

/** The suites grouped by chart folder, in the order they were read. */
function byChart(suites: readonly HelmUnittestSuite[], given: ReadonlySet<string>): Map<string, HelmUnittestSuite[]> {
  const out = new Map<string, HelmUnittestSuite[]>();
  for (const s of suites) {
    const folder = chartFolder(s.path, given);
    out.set(folder, [...(out.get(folder) ?? []), s]);
  }
  return out;
}

const listed = (suites: readonly HelmUnittestSuite[]): string => suites.slice(0, 3).map((s) => safeText(s.path, 200)).join(', ') + (suites.length > 3 ? `, and ${suites.length - 3} more` : '');

/** RF902 once per chart folder: what the suites are, how many, and the first few. */
export function helmUnittestFindings(suites: readonly HelmUnittestSuite[], givenPaths: Iterable<string>): Finding[] {
  const given = new Set([...givenPaths].map((p) => normalPath(p)));
  const what = "the inputs of a chart's unit tests, which `helm unittest` renders the chart's templates with, not a deployment";
  const fix = 'give the values a release of the chart is installed with, or the objects it renders, to prove a deployment';
  return [...byChart(suites, given)].map(([folder, list]) => ({
    code: 'RF902',
    severity: CODES.RF902.severity,
    path: list[0]!.at,
    message: list.length === 1
      ? `${safeText(list[0]!.path, 200)} is a helm-unittest suite (suite, templates, tests with set/values and asserts): ${what}; not read, and the credentials written in it are still looked for (RF940)`
      : `${list.length} helm-unittest suites (suite, templates, tests with set/values and asserts) of the chart in ${safeText(folder === '' ? '.' : folder, 200)}: ${listed(list)}; ${what}; not read, and the credentials written in them are still looked for (RF940)`,
    fix,
  }));
}

/** RF910's clause where the only runner configuration found is in helm-unittest suites (`only`: no other clause names something else). */
export function withHelmUnittestSuites(f: Finding, suites: readonly HelmUnittestSuite[], only: boolean): Finding {
  const runner = suites.filter((s) => s.runner);
  if (runner.length === 0) return f;
  return { ...f, message: `${f.message}; ${only ? 'the only' : 'other'} runner configuration found is in helm-unittest suites (${listed(runner)}), which set the gitlab-runner chart's values as the inputs of the chart's unit tests: test inputs, not a deployment, so no manager is read from them` };
}
