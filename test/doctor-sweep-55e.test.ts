import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, irsaChartValues } from './helpers/doctor.js';

/**
 * Gaps the stop-54 sweep of public deployments left (README, "Stop 54 … added"), each written here as
 * a deployment of the same shape, none copied from the repositories.
 */

// The gitlab-runner chart vendored into a repository: its Chart.yaml, its templates (not walked: Go
// templates), and its own values.yaml as the chart ships it (a few of its keys; gitlabUrl and the
// token commented out).
const chartYaml = 'apiVersion: v1\nname: gitlab-runner\nversion: 0.71.0\nappVersion: 17.6.0\ndescription: GitLab Runner\n';
const shippedDefaults = `image:
  registry: registry.gitlab.com
  image: gitlab-org/gitlab-runner
replicas: 1
# gitlabUrl: http://gitlab.your-domain.com/
# runnerToken: ""
concurrent: 10
checkInterval: 30
rbac:
  create: false
serviceAccount:
  create: false
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "{{.Release.Namespace}}"
        image = "alpine"
`;
const template = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "gitlab-runner.fullname" . }}\n';

describe("a vendored gitlab-runner chart's own values.yaml", () => {
  it('as shipped (no gitlabUrl, no token) is the chart\'s defaults: one RF902 at it, not read as values (was RF903 of its service account)', () => {
    const r = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': shippedDefaults, 'helm/gitlab-runner/templates/deployment.yaml': template });
    const rf902 = codesIn(r, 'RF902');
    expect(rf902.map((f) => f.path)).toEqual(['helm/gitlab-runner/values.yaml:1:1']);
    expect(rf902[0]!.severity).toBe('info');
    expect(rf902[0]!.message).toContain('holds the default values of the gitlab-runner chart vendored in helm/gitlab-runner/ (helm/gitlab-runner/Chart.yaml)');
    expect(rf902[0]!.fix).toContain('helm install <release> <chart folder> -f <values>');
    expect(codesIn(r, 'RF903')).toEqual([]);
    // Nothing else names a manager: RF910 says so.
    expect(codesIn(r, 'RF910')).toHaveLength(1);
  });

  it('the same at the top of the repository (Chart.yaml beside values.yaml)', () => {
    const r = doctorWalked({ 'Chart.yaml': chartYaml, 'values.yaml': shippedDefaults });
    expect(codesIn(r, 'RF902').map((f) => f.path)).toEqual(['values.yaml:1:1']);
    expect(codesIn(r, 'RF902')[0]!.message).toContain('vendored in ./ (Chart.yaml)');
    expect(codesIn(r, 'RF903')).toEqual([]);
  });

  it('the values the release is installed with, given beside the vendored chart, are read alone: the same chain and findings as without the chart', () => {
    const alone = doctorWalked({ 'deploy/values-prod.yaml': irsaChartValues() });
    const beside = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': shippedDefaults, 'deploy/values-prod.yaml': irsaChartValues() });
    expect([...beside.chains.keys()]).toEqual([...alone.chains.keys()]);
    expect(beside.proofs.map((p) => `${p.claim} ${String(p.holds)}`)).toEqual(alone.proofs.map((p) => `${p.claim} ${String(p.holds)}`));
    expect(beside.findings.filter((f) => f.code !== 'RF902').map((f) => `${f.code} ${f.path}`)).toEqual(alone.findings.map((f) => `${f.code} ${f.path}`));
  });

  it('edited in place (gitlabUrl set) it is the release\'s values, read as any values file: no RF902', () => {
    const edited = shippedDefaults.replace('# gitlabUrl: http://gitlab.your-domain.com/', 'gitlabUrl: https://gitlab.example.com/');
    const r = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': edited });
    expect(codesIn(r, 'RF902')).toEqual([]);
    expect(codesIn(r, 'RF903').map((f) => f.path.replace(/:\d+:\d+$/, ''))).toEqual(['helm/gitlab-runner/values.yaml']);
  });

  it("another chart's folder (Chart.yaml name is not gitlab-runner) keeps its values read as values", () => {
    const r = doctorWalked({ 'deploy/Chart.yaml': chartYaml.replace('name: gitlab-runner', 'name: ci-runner'), 'deploy/values.yaml': shippedDefaults });
    expect(codesIn(r, 'RF902')).toEqual([]);
    expect(codesIn(r, 'RF903')).toHaveLength(1);
  });
});
