import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * The gitlab-runner chart as a dependency of a chart of the team's own (an "umbrella" chart, found in
 * Mersock/poc-aws-eks-gitlab-runner): the parent's values.yaml holds the runner chart's values under
 * `gitlab-runner:`, and the runner chart itself sits in the parent's charts/ folder with its default
 * values.yaml. The parent's section is the deployment's values; the vendored defaults are not.
 */

const run = doctorTexts;
const corpus = (file: string) => readFileSync(join(__dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', file), 'utf8');
const values = corpus('helm/values.yaml');
const iam = corpus('iam/main.tf');
const nested = `gitlab-runner:\n${values.split('\n').map((l) => (l === '' ? l : `  ${l}`)).join('\n')}`;
const parentChart = 'apiVersion: v2\nname: ci-platform\nversion: 0.1.0\ndependencies:\n  - name: gitlab-runner\n    version: 0.71.0\n    repository: https://charts.gitlab.io\n';
// The runner chart's own defaults, as vendored (a few of its keys).
const defaults = 'gitlabUrl: ""\nrunnerToken: ""\nconcurrent: 10\nrbac:\n  create: false\nserviceAccount:\n  create: false\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "{{.Release.Namespace}}"\n        image = "alpine"\n';
const key = (p: { runner: string; claim: string; holds: boolean }) => `${p.claim}|${String(p.holds)}`;

describe('an umbrella chart', () => {
  it("reads the runner chart's values under gitlab-runner: as the flat values file gives them: the same proofs, findings one level in", () => {
    const flat = run({ 'helm/values.yaml': values, 'iam/main.tf': iam });
    const umbrella = run({ 'helm/Chart.yaml': parentChart, 'helm/values.yaml': nested, 'helm/charts/gitlab-runner/values.yaml': defaults, 'iam/main.tf': iam });
    expect(flat.proofs.length).toBeGreaterThan(2);
    expect(umbrella.proofs.map(key)).toEqual(flat.proofs.map(key));
    // The same findings, those in the values one line down and two columns in.
    const shifted = (r: DoctorResult) => r.findings.filter((f) => f.code !== 'RF902').map((f) => `${f.code} ${f.path.replace(/^helm\/values\.yaml:(\d+):(\d+)$/, (_, l: string, c: string) => `helm/values.yaml:${Number(l) + 1}:${Number(c) + 2}`)}`);
    expect(umbrella.findings.filter((f) => f.code !== 'RF902').map((f) => `${f.code} ${f.path}`)).toEqual(shifted(flat));
  });

  it('the vendored chart defaults are one RF902, not values: without the parent nothing else is said of them', () => {
    const r = run({ 'helm/charts/gitlab-runner/values.yaml': defaults });
    const rf902 = r.findings.filter((f) => f.code === 'RF902');
    expect(rf902).toHaveLength(1);
    expect(rf902[0]!.message).toContain('holds the default values of chart gitlab-runner in a charts/ folder, and no Chart.yaml is given in the folder above it');
    expect(r.findings.filter((f) => f.code === 'RF903' || f.code === 'RF907')).toEqual([]);
  });

  it('values.yaml outside a charts/ folder are read as before', () => {
    const r = run({ 'deploy/gitlab-runner/values.yaml': defaults });
    expect(r.findings.filter((f) => f.code === 'RF902')).toEqual([]);
    expect(r.findings.some((f) => f.code === 'RF903' && f.path.startsWith('deploy/gitlab-runner/values.yaml'))).toBe(true);
  });
});

describe('runnerToken in values', () => {
  const withToken = (token: string) => run({ 'helm/values.yaml': values.replace('runnerToken: ""', `runnerToken: ${JSON.stringify(token)}`), 'iam/main.tf': iam });
  it('a placeholder (<token>, changeme, ${RUNNER_TOKEN}) is filled in at install: no RF304, no RF940', () => {
    for (const placeholder of ['<token>', 'changeme', '${RUNNER_TOKEN}', '__RUNNER_TOKEN__']) expect(withToken(placeholder).findings.filter((f) => f.code === 'RF304' || f.code === 'RF940')).toEqual([]);
  });
  it('a token written in is RF940 (a GitLab token written in a file; RF304 before issue 35b), value not shown', () => {
    const leak = withToken('glrt-t1_AbCdEfGhIjKlMnOpQrStUv').findings.filter((f) => f.code === 'RF940' || f.code === 'RF304');
    expect(leak.map((f) => `${f.code} ${f.path}`)).toEqual(['RF940 helm/values.yaml:2:14']);
    expect(JSON.stringify(leak)).not.toContain('AbCdEfGh');
  });
});
