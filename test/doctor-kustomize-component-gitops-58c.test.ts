import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { fluxHelmRelease, chainManagers as managers, codesIn as codes, doctorWalked as walked } from './helpers/doctor.js';

/**
 * Stop 58c: a component holding a Flux HelmRelease (or a k3s HelmChart) that two overlays list. Each
 * build loads the component anew (kusttarget.go accumulateDirectory), so each deploys its own
 * release, placed by its own namespace; before, only the first overlay's copy was read (the copies
 * issue 53c made were of Kubernetes objects only).
 */

const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
const values = '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n      name: gitlab-runner\n';
const release = fluxHelmRelease({ interval: false, values });
const k3s = `apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: gitlab-runner
spec:
  repo: https://charts.gitlab.io
  chart: gitlab-runner
  targetNamespace: PLACE
  valuesContent: |-
    gitlabUrl: https://gitlab.example.com/
    serviceAccount:
      create: true
      name: gitlab-runner
`;
const overlay = (ns: string) => `namespace: ${ns}\ncomponents:\n  - ../rel\n`;
const unknown = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'));

describe("a component's Flux HelmRelease in two overlays", () => {
  it("each overlay's build deploys its own release, in its own namespace", () => {
    const r = walked({ 'rel/kustomization.yaml': `${COMPONENT}resources:\n  - release.yaml\n`, 'rel/release.yaml': release, 'a/kustomization.yaml': overlay('alpha'), 'b/kustomization.yaml': overlay('beta') });
    expect(managers(r).sort()).toEqual(['manager alpha/gitlab-runner', 'manager beta/gitlab-runner']);
    expect(unknown(r)).toEqual([]);
  });

  it('three overlays, three releases; one overlay, one (twin)', () => {
    const three = walked({ 'rel/kustomization.yaml': `${COMPONENT}resources:\n  - release.yaml\n`, 'rel/release.yaml': release, 'a/kustomization.yaml': overlay('alpha'), 'b/kustomization.yaml': overlay('beta'), 'c/kustomization.yaml': overlay('gamma') });
    expect(managers(three).sort()).toEqual(['manager alpha/gitlab-runner', 'manager beta/gitlab-runner', 'manager gamma/gitlab-runner']);
    const one = walked({ 'rel/kustomization.yaml': `${COMPONENT}resources:\n  - release.yaml\n`, 'rel/release.yaml': release, 'a/kustomization.yaml': overlay('alpha') });
    expect(managers(one)).toEqual(['manager alpha/gitlab-runner']);
  });

  it("a k3s HelmChart's targetNamespace decides in each copy (kustomize's namespace sets metadata.namespace only): each build's copy takes its own namePrefix: one release per build", () => {
    const chart = k3s.replace('PLACE', 'runners');
    const r = walked({ 'rel/kustomization.yaml': `${COMPONENT}resources:\n  - chart.yaml\n`, 'rel/chart.yaml': chart, 'a/kustomization.yaml': `${overlay('alpha')}namePrefix: a-\n`, 'b/kustomization.yaml': `${overlay('beta')}namePrefix: b-\n` });
    expect([...r.chains.keys()].sort()).toEqual(['a-gitlab-runner', 'b-gitlab-runner']);
    expect(managers(r)).toEqual(['manager runners/gitlab-runner', 'manager runners/gitlab-runner']);
  });
});
