import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { argoApplication, doctorTexts, placeOf } from './helpers/doctor.js';

/**
 * A GitOps release whose namespace no file writes (a Flux HelmRelease with neither
 * spec.targetNamespace nor metadata.namespace, an Argo CD Application with no
 * spec.destination.namespace) is RF903, its namespace not known and never guessed, as a k3s
 * HelmChart's is.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const managers = (r: DoctorResult) => [...r.chains.values()].flat().join('\n').match(/manager \S+/g) ?? [];

const VALUES = '    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            namespace = "gitlab"\n';

const fluxRelease = (meta: string, spec = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gitlab-runner
${meta}spec:
  interval: 10m
${spec}  chart:
    spec:
      chart: gitlab-runner
      sourceRef:
        kind: HelmRepository
        name: gitlab
  values:
${VALUES}`;

describe('Flux HelmRelease with neither spec.targetNamespace nor metadata.namespace', () => {
  it('RF903 at its name: the namespace is the one it is applied in, not in the files; no chain from the jobs\' namespace, no RF910', () => {
    const text = fluxRelease('');
    const r = doctorTexts({ 'release.yaml': text });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'));
    expect(said.map((f) => f.path)).toEqual([placeOf('release.yaml', text, 'gitlab-runner')]);
    expect(said[0]!.message).toContain("the HelmRelease's own namespace");
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('guard: targetNamespace alone, or metadata.namespace alone, decides it (no RF903)', () => {
    const target = doctorTexts({ 'release.yaml': fluxRelease('', '  targetNamespace: runners\n') });
    expect(managers(target)).toEqual(['manager runners/sa']);
    expect(codes(target, 'RF903').filter((f) => f.message.includes('neither'))).toEqual([]);
    const own = doctorTexts({ 'release.yaml': fluxRelease('  namespace: flux-system\n') });
    expect(managers(own)).toEqual(['manager flux-system/sa']);
    expect(codes(own, 'RF903').filter((f) => f.message.includes('neither'))).toEqual([]);
  });
});

describe('Argo CD Application with no spec.destination.namespace', () => {
  const helm = `      valuesObject:\n${VALUES.replace(/^ {4}/gm, '        ')}`;
  const withNamespace = argoApplication({ helm, namespace: 'gitlab' });

  it('RF903 at the destination: Argo CD puts objects without a namespace in destination.namespace only, never the Application\'s own (argocd); no chain, no RF910', () => {
    const text = withNamespace.replace('    namespace: gitlab\n', '');
    const r = doctorTexts({ 'app.yaml': text });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('spec.destination.namespace is not written'));
    expect(said.map((f) => f.path)).toEqual([placeOf('app.yaml', text, 'server:')]);
    expect(said[0]!.message).toContain('without --namespace');
    // Not the Application's own namespace (argocd), nor the jobs' (gitlab), nor default.
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('helm.namespace alone is named, and the namespace is still not known', () => {
    const text = withNamespace.replace('    namespace: gitlab\n', '').replace('    helm:\n', '    helm:\n      namespace: runners\n');
    const r = doctorTexts({ 'app.yaml': text });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('spec.destination.namespace is not written'));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('helm.namespace "runners"');
    expect(managers(r)).toEqual([]);
  });

  it('guard: destination.namespace written decides it (no RF903)', () => {
    const r = doctorTexts({ 'app.yaml': withNamespace });
    expect(managers(r)).toEqual(['manager gitlab/sa']);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('destination.namespace'))).toEqual([]);
  });
});
