import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, fluxHelmRelease, fluxKustomization, irsaChartValues, irsaRoleTf, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 49c. A kustomization's `helmCharts` under a namePrefix / nameSuffix: kustomize's prefix and
 * suffix transformers rename the objects the chart inflation generator makes as any others (only the
 * namespace transformer passes over helm-generated objects), so the chart's ServiceAccount is renamed
 * and the manager's serviceAccountName follows it. A Flux HelmRelease with no namespace: helm-controller
 * installs it in its own namespace, which is the one it was applied in; a Flux Kustomization with no
 * targetNamespace applies it as built and its apply fails ("namespace not specified").
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const iam = irsaRoleTf;
const chart = (head: string) => `${head}helmCharts:
  - name: gitlab-runner
    repo: https://charts.gitlab.io
    version: 0.70.0
    releaseName: ci
    namespace: ci
    valuesFile: values.yaml
`;

describe('1. helmCharts under a namePrefix: the chart\'s ServiceAccount is renamed', () => {
  const K = chart('namespace: ci\nnamePrefix: prod-\n');

  it('a trust naming the prefixed account is right: the chain proves ci/prod-gitlab-runner and says which field renamed it', () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': K, 'runner/values.yaml': irsaChartValues(), 'iam/main.tf': iam('system:serviceaccount:ci:prod-gitlab-runner') });
    expect(codes(r, 'RF104')).toEqual([]);
    const m = managers(r);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^manager ci\/prod-gitlab-runner /);
    expect(m[0]).toContain(`service account prod-gitlab-runner: gitlab-runner as the chart's values name it, renamed by namePrefix prod- of runner/kustomization.yaml (${placeOf('runner/kustomization.yaml', K, 'prod-')})`);
  });

  it('twin: a trust naming the account as the values write it is the drift (RF104), its fix the built name', () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': K, 'runner/values.yaml': irsaChartValues(), 'iam/main.tf': iam('system:serviceaccount:ci:gitlab-runner') });
    const rf104 = codes(r, 'RF104');
    expect(rf104).toHaveLength(1);
    expect(rf104[0]!.fix).toContain('system:serviceaccount:ci:prod-gitlab-runner');
    // With no prefix the written name is the built one: no drift.
    expect(codes(doctorTexts({ 'runner/kustomization.yaml': chart('namespace: ci\n'), 'runner/values.yaml': irsaChartValues(), 'iam/main.tf': iam('system:serviceaccount:ci:gitlab-runner') }), 'RF104')).toEqual([]);
  });

  it("an overlay's prefix over the chart kustomization's suffix: b- … -x, outermost prefix first", () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': chart('nameSuffix: -x\n'), 'runner/values.yaml': irsaChartValues(), 'prod/kustomization.yaml': 'namespace: ci\nnamePrefix: b-\nresources:\n  - ../runner\n', 'iam/main.tf': iam('system:serviceaccount:ci:b-gitlab-runner-x') });
    expect(managers(r)[0]).toMatch(/^manager ci\/b-gitlab-runner-x /);
    expect(codes(r, 'RF104')).toEqual([]);
  });

  it('an account the chart does not create and the build does not hold keeps its name (the reference is not renamed)', () => {
    const values = irsaChartValues().replace('create: true', 'create: false');
    const r = doctorTexts({ 'runner/kustomization.yaml': K, 'runner/values.yaml': values, 'iam/main.tf': iam('system:serviceaccount:ci:gitlab-runner') });
    expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
    expect(r.findings.filter((f) => f.message.includes(ROLE) && f.code === 'RF104')).toEqual([]);
  });

  it('an account the chart does not create but the build holds is renamed with it, and the manager follows', () => {
    const values = irsaChartValues().replace('create: true', 'create: false');
    const k = `${K}resources:\n  - sa.yaml\n`;
    const sa = `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;
    const r = doctorTexts({ 'runner/kustomization.yaml': k, 'runner/values.yaml': values, 'runner/sa.yaml': sa, 'iam/main.tf': iam('system:serviceaccount:ci:prod-gitlab-runner') });
    expect(managers(r)[0]).toMatch(/^manager ci\/prod-gitlab-runner /);
    expect(codes(r, 'RF104')).toEqual([]);
  });
});

describe('2. a Flux HelmRelease with neither spec.targetNamespace nor metadata.namespace', () => {
  const release = (meta: string) => fluxHelmRelease({ meta, values: '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n      name: gitlab-runner\n' });
  const neither = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'));

  it('applied by a Flux Kustomization with no targetNamespace: RF903 at its spec.path (the apply fails, "HelmRelease/gitlab-runner namespace not specified"), the release not read, no RF910', () => {
    const k = fluxKustomization('./apps/runner', '');
    const r = doctorTexts({ 'clusters/prod/runner.yaml': k, 'apps/runner/release.yaml': release('') });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('namespace not specified'));
    expect(said.map((f) => f.path)).toEqual([placeOf('clusters/prod/runner.yaml', k, './apps/runner')]);
    expect(said[0]!.message).toContain('names no namespace for HelmRelease/gitlab-runner (apps/runner/release.yaml:');
    expect(said[0]!.message).toContain('("HelmRelease/gitlab-runner namespace not specified")');
    expect(neither(r)).toEqual([]);
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('twins: its metadata.namespace, or the Flux Kustomization\'s targetNamespace, places it (no RF903)', () => {
    const own = doctorTexts({ 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner', ''), 'apps/runner/release.yaml': release('  namespace: ci\n') });
    expect(codes(own, 'RF903').filter((f) => f.message.includes('namespace not specified'))).toEqual([]);
    expect(managers(own)[0]).toMatch(/^manager ci\/gitlab-runner /);
    const target = doctorTexts({ 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner', 'runners'), 'apps/runner/release.yaml': release('') });
    expect(managers(target)[0]).toMatch(/^manager runners\/gitlab-runner /);
  });

  it('given alone: RF903 at its name says what each way of applying it does, and names metadata.namespace in its fix', () => {
    const text = release('');
    const r = doctorTexts({ 'release.yaml': text });
    const said = neither(r);
    expect(said.map((f) => f.path)).toEqual([placeOf('release.yaml', text, 'gitlab-runner')]);
    expect(said[0]!.message).toContain("kubectl puts it in its context's namespace");
    expect(said[0]!.message).toContain('a Flux Kustomization with no targetNamespace applies it as built and fails ("HelmRelease/gitlab-runner namespace not specified")');
    expect(said[0]!.fix).toBe('write metadata.namespace (the namespace the HelmRelease is applied in) or spec.targetNamespace (the namespace the chart is installed in)');
    expect(managers(r)).toEqual([]);
  });
});

describe("3. kustomize's tie-break when a renamed reference has several candidates", () => {
  const M = plainManager({ role: true });
  const overlay = 'namespace: ci\nresources:\n  - ../a\n  - ../b\n';
  const names = (r: DoctorResult) => managers(r).map((m) => m.split(' (')[0]).sort();

  it('two bases with their own prefixes: each workload takes the account whose prefixes end like its own (a- and b-)', () => {
    const r = doctorTexts({ 'a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - m.yaml\n', 'a/m.yaml': M.text, 'b/kustomization.yaml': 'namePrefix: b-\nresources:\n  - m.yaml\n', 'b/m.yaml': M.text, 'prod/kustomization.yaml': overlay });
    expect(names(r)).toEqual(['manager ci/a-gitlab-runner', 'manager ci/b-gitlab-runner']);
  });

  it('twin: one base with a prefix, one with none: the unprefixed workload keeps its unprefixed account, the other takes a-', () => {
    const r = doctorTexts({ 'a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - m.yaml\n', 'a/m.yaml': M.text, 'b/kustomization.yaml': 'resources:\n  - m.yaml\n', 'b/m.yaml': M.text, 'prod/kustomization.yaml': overlay });
    expect(names(r)).toEqual(['manager ci/a-gitlab-runner', 'manager ci/gitlab-runner']);
  });
});
