import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Issue 37c. helm-unittest suites (a chart's tests/*_test.yaml, helm-unittest DOCUMENT.md "Test
 * Suite") are a chart's test inputs: RF902 once per chart folder, naming how many and the first few;
 * where no manager is found and the only runner configuration is in such suites, RF910 says so.
 */

const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const unittest = (r: DoctorResult) => of(r, 'RF902').filter((f) => f.message.includes('helm-unittest'));
/** A suite of `name` whose job sets `set` (dotted chart value paths). */
const suite = (name: string, set: string) => `suite: test ${name}
templates:
  - ${name}.yaml
tests:
  - it: renders ${name}
    set:
${set}    asserts:
      - isKind:
          of: ConfigMap
`;
const RUNNER_SET = '      gitlabUrl: https://gitlab.example.com/\n      runners.config: |\n        [[runners]]\n          executor = "kubernetes"\n';
const OTHER_SET = '      image.tag: latest\n';
const CHART = 'apiVersion: v2\nname: gitlab-runner\nversion: 0.70.0\n';

describe('helm-unittest suites: RF902 once per chart folder', () => {
  const names = ['configmap', 'deployment', 'ingress-session', 'rbac', 'service-account'];
  const seven = { 'chart/Chart.yaml': CHART, ...Object.fromEntries(names.map((n) => [`chart/tests/${n}_test.yaml`, suite(n, OTHER_SET)])), 'chart/unittests/netpol_test.yaml': suite('netpol', OTHER_SET), 'chart/unittests/authz_test.yaml': suite('authz', OTHER_SET) };

  it('seven suites of one chart (tests/ and unittests/ beside its Chart.yaml): one RF902 at the first, the count and the first three named', () => {
    const r = doctorTexts(seven);
    expect(unittest(r).map((f) => f.path)).toEqual(['chart/tests/configmap_test.yaml:1:1']);
    expect(unittest(r)[0]!.message).toContain('7 helm-unittest suites (suite, templates, tests with set/values and asserts) of the chart in chart: chart/tests/configmap_test.yaml, chart/tests/deployment_test.yaml, chart/tests/ingress-session_test.yaml, and 4 more; the inputs of a chart\'s unit tests');
  });

  it('twin: two charts are two findings; one suite alone is said as before', () => {
    const r = doctorTexts({ ...seven, 'other/Chart.yaml': CHART.replace('gitlab-runner', 'other'), 'other/tests/a_test.yaml': suite('a', OTHER_SET) });
    expect(unittest(r).map((f) => f.path)).toEqual(['chart/tests/configmap_test.yaml:1:1', 'other/tests/a_test.yaml:1:1']);
    expect(unittest(r)[1]!.message.split(':')[0]).toBe('other/tests/a_test.yaml is a helm-unittest suite (suite, templates, tests with set/values and asserts)');
  });
});

describe('RF910 where the only runner configuration is in helm-unittest suites', () => {
  it("suites that set the gitlab-runner chart's values, and nothing else: RF910 says the only runner configuration found is in them, test inputs", () => {
    const r = doctorTexts({ 'chart/tests/configmap_test.yaml': suite('configmap', RUNNER_SET), 'chart/tests/rbac_test.yaml': suite('rbac', OTHER_SET) });
    expect(of(r, 'RF910').length).toBe(1);
    expect(of(r, 'RF910')[0]!.message).toContain('; the only runner configuration found is in helm-unittest suites (chart/tests/configmap_test.yaml), which set the gitlab-runner chart\'s values as the inputs of the chart\'s unit tests: test inputs, not a deployment');
  });

  it('twin: suites that set no runner value leave RF910 as it was', () => {
    const r = doctorTexts({ 'chart/tests/rbac_test.yaml': suite('rbac', OTHER_SET) });
    expect(of(r, 'RF910').length).toBe(1);
    expect(of(r, 'RF910')[0]!.message).not.toContain('helm-unittest');
  });
});
