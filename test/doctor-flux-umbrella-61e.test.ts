import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { rf907, runnerIam as iam, umbrellaChart as chart, underKey as under } from './helpers/umbrella.js';

/**
 * Stop 61e: a Flux HelmRelease whose chart is a folder of a GitRepository (`spec.chart.spec.chart:
 * ./charts/platform`, `sourceRef.kind: GitRepository`) holding an umbrella chart (gitlab-runner as a
 * dependency). source-controller builds the chart from that folder, with its values.yaml as the
 * parent's values unless valuesFiles replace them; helm-controller puts valuesFrom, then spec.values,
 * over them; Helm gives the dependency the section under its alias, else its name, and renders it
 * only where its condition (else tags) leave it enabled (Helm docs, "Charts"). Before, a HelmRelease
 * whose chart was not the gitlab-runner chart was not read at all.
 */

const run = doctorTexts;
const helmRelease = (values: string, chartPath = './charts/platform', kind = 'GitRepository') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ci
  namespace: gitlab-runner
spec:
  interval: 10m
  chart:
    spec:
      chart: ${chartPath}
      sourceRef:
        kind: ${kind}
        name: platform
        namespace: flux-system
  values:
${values}
`;
const WIDE = '    runner:\n      rbac:\n        clusterWideAccess: true';
const files = (hr: string, dependency = '    alias: runner\n', parentValues = under('runner')) => ({ 'clusters/ci/release.yaml': hr, 'charts/platform/Chart.yaml': chart(dependency), 'charts/platform/values.yaml': parentValues, 'iam/main.tf': iam });
const trusted = (r: DoctorResult) => r.proofs.filter((p) => p.claim.startsWith('only cluster:gitlab-runner/gitlab-runner can assume'));
const notRendered = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF902' && f.message.includes('that Helm does not render'));

describe('a Flux HelmRelease of an umbrella chart in a GitRepository', () => {
  it("is read: the parent's values under the alias, spec.values over them, released as the HelmRelease", () => {
    const r = run(files(helmRelease(WIDE)));
    expect(new Set(r.proofs.map((p) => p.runner))).toEqual(new Set(['ci']));
    expect(trusted(r).map((p) => p.holds)).toEqual([true]);
    const f = rf907(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("the chart's ClusterRole then gives");
    // rbac.create is the parent's values.yaml's (line 5: runner:, then the values indented).
    expect(f[0]!.path).toBe('charts/platform/values.yaml:5:13');
  });

  it('twin: the parent alone (no HelmRelease): its section read as values of no release, a Role', () => {
    const alone: Record<string, string> = files(helmRelease(WIDE));
    delete alone['clusters/ci/release.yaml'];
    const r = run(alone);
    expect(rf907(r)[0]!.message).toContain("the chart's Role then gives");
    expect(r.proofs.some((p) => p.runner === 'ci')).toBe(false);
  });

  it('the condition false in the parent values and not set by the HelmRelease: not rendered (RF902 at the chart), no chain, no RF910', () => {
    const r = run(files(helmRelease('    other: {}'), '    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toHaveLength(1);
    expect(notRendered(r)[0]!.path).toBe('clusters/ci/release.yaml:10:14');
    expect(notRendered(r)[0]!.message).toContain('its condition runner.enabled is false (charts/platform/values.yaml:2:12)');
    expect(r.proofs).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF910')).toEqual([]);
  });

  it("twin: spec.values sets the condition true over the parent's false: rendered and read", () => {
    const r = run(files(helmRelease('    runner:\n      enabled: true'), '    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toEqual([]);
    expect(trusted(r).map((p) => `${p.runner} ${String(p.holds)}`)).toEqual(['ci true']);
  });

  it('twin: a HelmRepository chart of that name is not the folder: not read as the umbrella', () => {
    const r = run(files(helmRelease(WIDE, 'ci-platform', 'HelmRepository')));
    expect(r.proofs.some((p) => p.runner === 'ci')).toBe(false);
  });

  it('a path that only ends in the chart folder (the doctor given the repository\'s parent folder): the one folder found', () => {
    const nested = Object.fromEntries(Object.entries(files(helmRelease(WIDE))).map(([k, v]) => [k.startsWith('iam/') ? k : `repo/${k}`, v]));
    const r = run(nested);
    expect(trusted(r).map((p) => `${p.runner} ${String(p.holds)}`)).toEqual(['ci true']);
  });

  it('hostile text: 200,000 blank lines and a 200,000-character chart name are read to the same answer', () => {
    const blank = '\n'.repeat(200_000);
    const r = run(files(helmRelease('    other: {}'), '    alias: runner\n    condition: runner.enabled\n', `${blank}${under('runner', '  enabled: false\n')}${blank}`));
    expect(notRendered(r)).toHaveLength(1);
    const word = 'c'.repeat(200_000);
    const long = run({ ...files(helmRelease('    other: {}'), '    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')), 'charts/platform/Chart.yaml': chart('    alias: runner\n    condition: runner.enabled\n').replace('name: ci-platform', `name: ${word}`) });
    expect(notRendered(long)).toHaveLength(1);
    expect(notRendered(long)[0]!.message.length).toBeLessThan(2_000);
  });
});
