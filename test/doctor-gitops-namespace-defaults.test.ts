import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { argoApplication, doctorTexts, fluxHelmRelease, placeOf } from './helpers/doctor.js';

/**
 * A GitOps release whose namespace no file writes (a Flux HelmRelease with neither
 * spec.targetNamespace nor metadata.namespace, an Argo CD Application with no
 * spec.destination.namespace) is RF903, its namespace not known and never guessed, as a k3s
 * HelmChart's is; and a Flux chart whose valuesFiles replace its values.yaml does not get the chart's
 * defaults: where a proof would rest on one, RF903 says so and the proof is not made.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const managers = (r: DoctorResult) => [...r.chains.values()].flat().join('\n').match(/manager \S+/g) ?? [];

const VALUES = '    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            namespace = "gitlab"\n';

const fluxRelease = (meta: string, spec = '') => fluxHelmRelease({ meta, spec, values: VALUES });

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

  // Issue 34e: helm.namespace is .Release.Namespace, and every namespaced object of the gitlab-runner
  // chart writes its namespace from it (templates read at 0.73.1, 0.77.2, 0.79.1 to 0.86.0), so the
  // manager's namespace is known from it alone (test/doctor-argo-helm-namespace.test.ts).
  it('helm.namespace alone decides it: the manager in runners, no RF903 that the namespace is not known', () => {
    const text = withNamespace.replace('    namespace: gitlab\n', '').replace('    helm:\n', '    helm:\n      namespace: runners\n');
    const r = doctorTexts({ 'app.yaml': text });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('spec.destination.namespace is not written'))).toEqual([]);
    expect(managers(r)).toEqual(['manager runners/sa']);
  });

  it('guard: destination.namespace written decides it (no RF903)', () => {
    const r = doctorTexts({ 'app.yaml': withNamespace });
    expect(managers(r)).toEqual(['manager gitlab/sa']);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('destination.namespace'))).toEqual([]);
  });
});

/** The sound IRSA case's Kubernetes objects and roles: with them, the chart values make a proven chain. */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'irsa-guide-sound');
const soundFiles = (): Record<string, string> => {
  const out: Record<string, string> = { 'k8s.yaml': readFileSync(join(CASE, 'k8s.yaml'), 'utf8') };
  for (const f of readdirSync(join(CASE, 'iam'))) out[`iam/${f}`] = readFileSync(join(CASE, 'iam', f), 'utf8');
  return out;
};
const soundValues = readFileSync(join(CASE, 'values.yaml'), 'utf8');
/** The sound values with only seccompProfile of the manager's security contexts: the chart's own securityContext gives the rest. */
const seccompOnly = soundValues.replace(/^securityContext:[\s\S]*$/m, 'securityContext:\n  seccompProfile:\n    type: RuntimeDefault\npodSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n');

const gitRelease = (files: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gitlab-runner
  namespace: gitlab
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/gitlab-runner
      sourceRef:
        kind: GitRepository
        name: platform
${files}  values:
    replicas: 1
`;
const restricted = (r: DoctorResult) => r.proofs.filter((p) => p.claim === 'the manager pod meets Pod Security restricted');

describe('Flux valuesFiles replace the chart\'s values.yaml: its defaults are not taken', () => {
  it('values that leave the security contexts to the chart\'s defaults: RF903 at valuesFiles, no Pod Security proof, no RF308', () => {
    const text = gitRelease('      valuesFiles:\n        - deploy/runner/values-prod.yaml\n');
    const r = doctorTexts({ ...soundFiles(), 'release.yaml': text, 'deploy/runner/values-prod.yaml': seccompOnly });
    expect(managers(r)).toEqual(['manager gitlab/gitlab-runner']);
    const said = codes(r, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"));
    expect(said.map((f) => f.path)).toEqual([placeOf('release.yaml', text, '- deploy/runner')]);
    expect(said[0]!.message).toContain('securityContext and podSecurityContext');
    expect(restricted(r)).toEqual([]);
    expect(codes(r, 'RF308')).toEqual([]);
  });

  it('guard: the same values as spec.values (the chart\'s values.yaml deployed under them) are proven over its defaults; listing the chart\'s own values.yaml keeps them too', () => {
    const asValues = seccompOnly.replace(/^#.*\n/, '').replace(/^(?=.)/gm, '    ');
    const plain = doctorTexts({ ...soundFiles(), 'release.yaml': gitRelease('').replace('    replicas: 1\n', asValues) });
    expect(restricted(plain).map((p) => p.holds)).toEqual([true]);
    expect(codes(plain, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"))).toEqual([]);
    const listed = doctorTexts({ ...soundFiles(), 'release.yaml': gitRelease('      valuesFiles:\n        - charts/gitlab-runner/values.yaml\n        - deploy/runner/values-prod.yaml\n'), 'deploy/runner/values-prod.yaml': seccompOnly });
    expect(codes(listed, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"))).toEqual([]);
    expect(restricted(listed).map((p) => p.holds)).toEqual([true]);
  });

  it('a runners.config with no executor and no runners.executor leaves the executor to the chart\'s default: RF903 names it', () => {
    const noExecutor = soundValues.replace('      executor = "kubernetes"\n', '');
    const r = doctorTexts({ ...soundFiles(), 'release.yaml': gitRelease('      valuesFiles:\n        - deploy/runner/values-prod.yaml\n'), 'deploy/runner/values-prod.yaml': noExecutor });
    const said = codes(r, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('runners.executor');
    expect(said[0]!.message).not.toContain('securityContext');
    // With runners.executor written, nothing is left to the defaults.
    const written = doctorTexts({ ...soundFiles(), 'release.yaml': gitRelease('      valuesFiles:\n        - deploy/runner/values-prod.yaml\n'), 'deploy/runner/values-prod.yaml': noExecutor.replace('runners:\n', 'runners:\n  executor: kubernetes\n') });
    expect(codes(written, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"))).toEqual([]);
  });

  it('guard: values that write every setting the profile asks are judged as written (no RF903, the proof holds)', () => {
    const r = doctorTexts({ ...soundFiles(), 'release.yaml': gitRelease('      valuesFiles:\n        - deploy/runner/values-prod.yaml\n'), 'deploy/runner/values-prod.yaml': soundValues });
    expect(codes(r, 'RF903').filter((f) => f.message.includes("replaces the chart's values.yaml"))).toEqual([]);
    expect(restricted(r).map((p) => p.holds)).toEqual([true]);
  });
});
