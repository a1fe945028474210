import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 56b: a vendored gitlab-runner chart's own values.yaml is the bottom layer of the releases
 * that install it (Helm merges the release's values over the chart's: maps key by key, lists and
 * scalars replaced, null deletes a default). A finding that comes from a default the release keeps
 * is placed at the chart's values.yaml line and says so; a vendored chart no release reads stays one
 * RF902, worded for whether a chart sits above its charts/ folder.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const CHART = 'apiVersion: v1\nname: gitlab-runner\nversion: 0.60.0\nappVersion: 16.7.0\n';
const DEFAULTS = `imagePullPolicy: IfNotPresent
concurrent: 10
checkInterval: 30
rbac:
  create: true
  clusterWideAccess: false
serviceAccount:
  create: true
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
        image = "alpine"
`;
const PARENT_CHART = 'apiVersion: v2\nname: my-runner\nversion: 0.1.0\ndependencies:\n  - name: gitlab-runner\n    version: 0.60.0\n    repository: https://charts.gitlab.io\n';
const parentValues = (extra = '') => `gitlab-runner:
  gitlabUrl: https://gitlab.example.com
  runners:
    secret: runner-token
${extra}`;

describe('a parent chart over its charts/gitlab-runner', () => {
  it("the chart's rbac.create: true without rules, kept by the parent's values, is RF907 at the chart's values.yaml line, said as a default the release keeps", () => {
    const r = run({ 'deploy/Chart.yaml': PARENT_CHART, 'deploy/values.yaml': parentValues(), 'deploy/charts/gitlab-runner/Chart.yaml': CHART, 'deploy/charts/gitlab-runner/values.yaml': DEFAULTS });
    const rf907 = of(r, 'RF907');
    expect(rf907).toHaveLength(1);
    expect(rf907[0]!.path).toBe(`deploy/charts/gitlab-runner/values.yaml:${lineOf(DEFAULTS, 'create: true')}:11`);
    expect(rf907[0]!.message).toContain("the default of the vendored chart's values.yaml, which the parent chart's values (deploy/values.yaml, under gitlab-runner:) keeps");
    expect(rf907[0]!.fix).toContain('not in the vendored chart\'s values.yaml');
    // The chart's values are read, as the release's: no RF902 for them.
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('deploy/charts/'))).toEqual([]);
  });

  it('no RF907 (guards): the parent sets rbac.create: false, or rbac: null (null deletes the default)', () => {
    const base = { 'deploy/Chart.yaml': PARENT_CHART, 'deploy/charts/gitlab-runner/Chart.yaml': CHART, 'deploy/charts/gitlab-runner/values.yaml': DEFAULTS };
    expect(of(run({ ...base, 'deploy/values.yaml': parentValues('  rbac:\n    create: false\n') }), 'RF907')).toEqual([]);
    expect(of(run({ ...base, 'deploy/values.yaml': parentValues('  rbac: null\n') }), 'RF907')).toEqual([]);
  });

  it("a key the parent sets is placed in the parent's values, not the chart's", () => {
    const values = parentValues('  rbac:\n    create: true\n    clusterWideAccess: true\n');
    const r = run({ 'deploy/Chart.yaml': PARENT_CHART, 'deploy/values.yaml': values, 'deploy/charts/gitlab-runner/Chart.yaml': CHART, 'deploy/charts/gitlab-runner/values.yaml': DEFAULTS });
    const rf907 = of(r, 'RF907');
    expect(rf907.map((f) => f.path)).toEqual([`deploy/values.yaml:${lineOf(values, 'create: true')}:13`]);
    expect(rf907[0]!.message).not.toContain('vendored chart');
  });
});

describe('a helm_release of a vendored chart folder', () => {
  const tf = `resource "helm_release" "runner" {
  name      = "runner"
  namespace = "ci"
  chart     = "./charts/gitlab-runner"
  values = [yamlencode({
    gitlabUrl = "https://gitlab.example.com"
    runners   = { secret = "runner-token" }
  })]
}
`;
  it("keeps the chart's rbac default: RF907 at the chart's values.yaml, naming helm_release.runner", () => {
    const r = run({ 'main.tf': tf, 'charts/gitlab-runner/Chart.yaml': CHART, 'charts/gitlab-runner/values.yaml': DEFAULTS });
    const rf907 = of(r, 'RF907');
    expect(rf907.map((f) => f.path)).toEqual([`charts/gitlab-runner/values.yaml:${lineOf(DEFAULTS, 'create: true')}:11`]);
    expect(rf907[0]!.message).toContain('helm_release.runner');
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('charts/'))).toEqual([]);
  });

  it('a release of a chart from a repository does not take the vendored folder\'s defaults (guard)', () => {
    const remote = tf.replace('chart     = "./charts/gitlab-runner"', 'repository = "https://charts.gitlab.io"\n  chart     = "gitlab-runner"');
    const r = run({ 'main.tf': remote, 'charts/gitlab-runner/Chart.yaml': CHART, 'charts/gitlab-runner/values.yaml': DEFAULTS });
    expect(of(r, 'RF907')).toEqual([]);
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('charts/gitlab-runner/values.yaml'))).toHaveLength(1);
  });
});

describe('a vendored chart no release reads: one RF902, worded for what is above it', () => {
  it('in a charts/ folder with a Chart.yaml above: a dependency of the chart in that folder', () => {
    const r = run({ 'deploy/Chart.yaml': PARENT_CHART, 'deploy/charts/gitlab-runner/values.yaml': DEFAULTS });
    const said = of(r, 'RF902').filter((f) => f.path.startsWith('deploy/charts/gitlab-runner/values.yaml'));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('vendored as a dependency of the chart in deploy/ (deploy/Chart.yaml');
  });

  it('in a charts/ folder with no Chart.yaml above: a dependency of no chart given', () => {
    const r = run({ 'charts/gitlab-runner/values.yaml': DEFAULTS });
    const said = of(r, 'RF902').filter((f) => f.path.startsWith('charts/gitlab-runner/values.yaml'));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('no Chart.yaml is given in the folder above it');
    expect(said[0]!.message).not.toContain('the chart above it');
    expect(of(r, 'RF907')).toEqual([]);
  });
});
