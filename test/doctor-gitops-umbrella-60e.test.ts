import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { argoApplication as application, rf907, runnerIam as iam, umbrellaChart as chart, underKey as under } from './helpers/umbrella.js';

/**
 * Stop 60e: an Argo CD Application whose `source.path` is an umbrella chart (a chart of the team's own
 * with gitlab-runner as a dependency, Chart.yaml `dependencies:` or Helm 2's requirements.yaml). Helm
 * renders the parent with the Application's values over the parent's values.yaml and gives the
 * dependency the section under its alias (or name) (Helm docs, "Charts": "Alias field in
 * dependencies"); a dependency whose `condition` resolves to false is not rendered ("Tags and
 * Condition fields in dependencies"). Before, only a Chart.yaml named gitlab-runner was taken as the
 * chart of such a source, and the Application was not read.
 */

const run = doctorTexts;
const WIDE = '        runner:\n          rbac:\n            clusterWideAccess: true';
const trusted = (r: DoctorResult) => r.proofs.filter((p) => p.claim.startsWith('only cluster:gitlab-runner/gitlab-runner can assume'));
const notRendered = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF902' && f.message.includes('that Helm does not render'));

describe('an Argo CD Application of an umbrella chart', () => {
  const parent = under('runner');
  const files = (app: string, dependency = '    alias: runner\n', parentValues = parent) => ({ 'argo/app.yaml': app, 'platform/Chart.yaml': chart(dependency), 'platform/values.yaml': parentValues, 'iam/main.tf': iam });

  it("is read: the parent's values under the alias, the Application's valuesObject over them, released as the Application in its destination namespace", () => {
    const r = run(files(application(WIDE)));
    expect(r.proofs.length).toBeGreaterThan(2);
    expect(new Set(r.proofs.map((p) => p.runner))).toEqual(new Set(['ci']));
    expect(trusted(r).map((p) => p.holds)).toEqual([true]);
    // The Application's layer (clusterWideAccess) over the parent's rbac.create.
    const f = rf907(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("the chart's ClusterRole then gives the manager every verb");
  });

  it('twin: the same folder with no Application is read as before, the parent values alone (a Role, not cluster-wide)', () => {
    const alone: Record<string, string> = files(application(WIDE));
    delete alone['argo/app.yaml'];
    const f = rf907(run(alone));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("the chart's Role then gives");
  });

  it("a dependency without an alias: its values under gitlab-runner:", () => {
    const r = run(files(application(WIDE.replace('runner:', 'gitlab-runner:')), '', under('gitlab-runner')));
    expect(trusted(r).map((p) => p.holds)).toEqual([true]);
    expect(rf907(r)[0]!.message).toContain('ClusterRole');
  });

  it("Helm 2's requirements.yaml names the dependency: read the same", () => {
    const r = run({ ...files(application(WIDE)), 'platform/Chart.yaml': 'apiVersion: v1\nname: ci-platform\nversion: 0.1.0\n', 'platform/requirements.yaml': 'dependencies:\n  - name: gitlab-runner\n    alias: runner\n    version: 0.71.0\n    repository: https://charts.gitlab.io\n' });
    expect(trusted(r).map((p) => p.holds)).toEqual([true]);
    expect(rf907(r)[0]!.message).toContain('ClusterRole');
  });

  it('a condition that resolves to false: not rendered, said (RF902), no chain and no RF910', () => {
    const r = run(files(application('        other: {}'), '    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toHaveLength(1);
    expect(notRendered(r)[0]!.message).toContain('its condition runner.enabled is false (platform/values.yaml:2:12)');
    expect(r.proofs).toEqual([]);
    expect(rf907(r)).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF910')).toEqual([]);
  });

  it('twin: the Application sets the condition true over the parent\'s false: rendered and read', () => {
    const r = run(files(application('        runner:\n          enabled: true'), '    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toEqual([]);
    expect(trusted(r).map((p) => `${p.runner} ${String(p.holds)}`)).toEqual(['ci true']);
  });

  it('twin: enabled: false that no condition names is not a switch Helm reads: rendered and read', () => {
    const r = run(files(application('        other: {}'), '    alias: runner\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toEqual([]);
    expect(trusted(r).map((p) => `${p.runner} ${String(p.holds)}`)).toEqual(['ci true']);
  });

  it('a tag set false (and none true), with no condition: not rendered', () => {
    const r = run(files(application('        tags:\n          ci: false'), '    alias: runner\n    tags:\n      - ci\n'));
    expect(notRendered(r)).toHaveLength(1);
    expect(notRendered(r)[0]!.message).toContain('its tag ci is false in tags: (argo/app.yaml:');
  });

  it("an alias renames the chart (Helm: the dependency's chart takes the alias as its name): a service account the chart creates unnamed is <release>-<alias>", () => {
    const unnamed = under('runner').replace(/^ {4}name: gitlab-runner\n/m, '');
    const subjects = (r: DoctorResult) => r.findings.map((f) => /gitlab-runner\/(ci-[a-z-]+)/.exec(f.message)?.[1]).filter((x) => x !== undefined);
    const aliased = run(files(application('        other: {}'), '    alias: runner\n', unnamed));
    expect(subjects(aliased).length).toBeGreaterThan(0);
    expect(new Set(subjects(aliased))).toEqual(new Set(['ci-runner']));
    // Twin: no alias, the chart keeps its name.
    const plain = run(files(application('        other: {}'), '', unnamed.replace(/^runner:/, 'gitlab-runner:')));
    expect(new Set(subjects(plain))).toEqual(new Set(['ci-gitlab-runner']));
  });

  it('twin: a chart with no gitlab-runner dependency is not read as the runner chart', () => {
    const r = run({ ...files(application(WIDE)), 'platform/Chart.yaml': 'apiVersion: v2\nname: ci-platform\nversion: 0.1.0\ndependencies:\n  - name: redis\n    alias: runner\n    version: 1.0.0\n' });
    // The parent's section alone, as before: a Role, no release named ci.
    expect(rf907(r)[0]!.message).toContain("the chart's Role then gives");
    expect(r.proofs.some((p) => p.runner === 'ci')).toBe(false);
  });
});
