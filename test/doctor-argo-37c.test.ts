import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { argoPathApplication, doctorTexts, irsaChartValues, plainManager } from './helpers/doctor.js';

/**
 * Issue 37c. The GitOps objects of an Argo CD directory source (an ApplicationSet, a Flux
 * HelmRelease or Kustomization, a k3s HelmChart) are namespaced objects of the source like any
 * other: the Application's destination.namespace is given to the object itself where it names none
 * (argo-cd controller/state.go NormalizeTargetObjects, by kind alone), and what follows is only what
 * its own controller does with its namespace.
 */

const enc = (t: string) => new TextEncoder().encode(t);
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managerLine = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);
const rf903 = (r: DoctorResult, text: string) => r.findings.filter((f) => f.code === 'RF903' && f.message.includes(text));
const app = { 'apps/runner.yaml': argoPathApplication({ path: 'deploy/runner' }) };

/** A Flux HelmRelease of the gitlab-runner chart; `meta` and `spec` lines added as written. */
const helmRelease = (meta = '', spec = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gitlab-runner
${meta}spec:
${spec}  chart:
    spec:
      chart: gitlab-runner
      sourceRef:
        kind: HelmRepository
        name: gitlab
  values:
${irsaChartValues(4)}`;

describe("a Flux HelmRelease in an Argo CD directory source: its own namespace is the destination's, where it names none", () => {
  it('no metadata.namespace, no targetNamespace: the release is installed in destination.namespace (ci), said with the chain; no RF903 for a namespace not known', () => {
    const r = doctorTexts({ ...app, 'deploy/runner/release.yaml': helmRelease() });
    expect(managerLine(r).map((l) => l.split(' (')[0])).toEqual(['manager ci/gitlab-runner']);
    expect(managerLine(r)[0]).toContain("namespace ci: Application runner's destination.namespace (apps/runner.yaml:");
    expect(rf903(r, 'neither spec.targetNamespace nor metadata.namespace is written')).toEqual([]);
  });

  it('twin: outside the source it is not known (RF903); its own metadata.namespace, or a targetNamespace, wins over the destination', () => {
    const alone = doctorTexts({ 'deploy/runner/release.yaml': helmRelease() });
    expect(rf903(alone, 'neither spec.targetNamespace nor metadata.namespace is written').length).toBe(1);
    expect(managerLine(doctorTexts({ ...app, 'deploy/runner/release.yaml': helmRelease('  namespace: tools\n') })).map((l) => l.split(' (')[0])).toEqual(['manager tools/gitlab-runner']);
    const target = managerLine(doctorTexts({ ...app, 'deploy/runner/release.yaml': helmRelease('', '  targetNamespace: runners\n') }));
    expect(target.map((l) => l.split(' (')[0])).toEqual(['manager runners/gitlab-runner']);
    expect(target[0]).not.toContain('destination.namespace');
  });

  it('a k3s HelmChart with neither targetNamespace nor metadata.namespace: installed in the destination namespace the same way', () => {
    const chart = `apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: gitlab-runner\nspec:\n  repo: https://charts.gitlab.io\n  chart: gitlab-runner\n  valuesContent: |-\n${irsaChartValues(4)}`;
    const r = doctorTexts({ ...app, 'deploy/runner/chart.yaml': chart });
    expect(managerLine(r).map((l) => l.split(' (')[0])).toEqual(['manager ci/gitlab-runner']);
    expect(rf903(r, 'neither spec.targetNamespace nor metadata.namespace is written')).toEqual([]);
  });
});

describe('no more than the object itself: an ApplicationSet and a Flux Kustomization keep what they render', () => {
  /** An ApplicationSet whose template installs the chart with no destination namespace. */
  const set = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: runners
spec:
  generators:
    - list:
        elements:
          - cluster: a
  template:
    metadata:
      name: 'runner-{{cluster}}'
    spec:
      project: default
      destination:
        server: https://kubernetes.default.svc
      source:
        repoURL: https://charts.gitlab.io
        chart: gitlab-runner
        targetRevision: 0.70.0
        helm:
          valuesObject:
            gitlabUrl: https://gitlab.example.com/
            serviceAccount:
              create: true
              name: gitlab-runner
            rbac:
              create: true
            runners:
              config: |
                [[runners]]
                  executor = "kubernetes"
                  [runners.kubernetes]
                    namespace = "jobs"
`;

  it("an ApplicationSet gets the destination namespace itself; its template's missing destination.namespace stays not known (RF903), not the outer Application's", () => {
    const f = { ...app, 'deploy/runner/set.yaml': set };
    const g = evidence(f).gitOps!.find((o) => o.kind === 'ApplicationSet')!;
    expect((g.value.metadata as { namespace?: string }).namespace).toBe('ci');
    const r = doctorTexts(f);
    expect(rf903(r, 'spec.destination.namespace is not written').length).toBe(1);
    expect(managerLine(r).some((l) => l.startsWith('manager ci/'))).toBe(false);
  });

  it("a Flux Kustomization gets the destination namespace itself; the objects of its spec.path (not in the Argo CD source) keep none", () => {
    const { serviceAccounts: SA, configMap: CONFIG, deployment: DEPLOY } = plainManager();
    const ks = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: runner\nspec:\n  interval: 10m\n  path: ./clusters/runner\n  sourceRef:\n    kind: GitRepository\n    name: ops\n';
    const ev = evidence({ ...app, 'deploy/runner/ks.yaml': ks, 'clusters/runner/sa.yaml': SA, 'clusters/runner/config.yaml': CONFIG, 'clusters/runner/deploy.yaml': DEPLOY });
    expect(Object.fromEntries(ev.kubernetes.map((o) => [o.value.kind, o.value.metadata.namespace]))).toEqual({ Kustomization: 'ci', ServiceAccount: undefined, ConfigMap: undefined, Deployment: undefined });
    // Issue 48c: kept with none, Flux's apply fails for them ("namespace not specified"), so they are not read as deployed at all.
    expect(ev.kubernetes.map((o) => o.value.kind)).toEqual(['Kustomization']);
    expect(ev.findings.filter((f) => f.code === 'RF903' && f.message.includes('namespace not specified')).map((f) => f.path)).toEqual(['deploy/runner/ks.yaml:7:9']);
  });
});
