import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, fluxHelmRelease, plainManager } from './helpers/doctor.js';

/**
 * Issue 34e. A kustomization's `namespace:` is applied to the objects of the files it lists, as
 * kustomize's namespace transformer does (every namespaced object, a namespace written replaced; a
 * RoleBinding subject named `default`), and its name-reference transformer (a ServiceAccount subject
 * follows the ServiceAccount of its name in the kustomization): the chain names the namespace the
 * objects are deployed in, not the one written in the files.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);

// The manager's ServiceAccount with no namespace written (its role annotated), the ConfigMap and Deployment written in default.
const SA = plainManager({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/ci-gitlab-runner' } }).serviceAccounts;
const { configMap: CONFIG, deployment: DEPLOY } = plainManager({ namespace: 'default' });
// The manager's Role and RoleBinding (subjects: its account, one named default, one of another namespace), and a ClusterRole.
const RBAC = `${plainManager({ role: true, moreSubjects: '  - kind: ServiceAccount\n    name: default\n  - kind: ServiceAccount\n    name: other\n    namespace: tools\n' }).rbac}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: runner-read
rules: []
`;
const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ci
resources:
  - sa.yaml
  - config.yaml
  - deploy.yaml
  - rbac.yaml
`;
const files = (k: string = KUSTOMIZATION): Record<string, string> => ({ 'runner/kustomization.yaml': k, 'runner/sa.yaml': SA, 'runner/config.yaml': CONFIG, 'runner/deploy.yaml': DEPLOY, 'runner/rbac.yaml': RBAC });
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));

describe("a kustomization's namespace", () => {
  it('the chain names the kustomization\'s namespace, not the one the manifests write (default)', () => {
    const r = doctorTexts(files());
    const lines = [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);
    expect(lines).toEqual(['manager ci/gitlab-runner']);
  });

  it('every namespaced object gets it (replacing one written); a cluster-scoped one does not', () => {
    const ev = evidence(files());
    const ns = Object.fromEntries(ev.kubernetes.map((o) => [`${o.value.kind}/${o.value.metadata.name}`, o.value.metadata.namespace]));
    expect(ns).toEqual({ 'ServiceAccount/gitlab-runner': 'ci', 'ConfigMap/runner-config': 'ci', 'Deployment/gitlab-runner': 'ci', 'Role/gitlab-runner': 'ci', 'RoleBinding/gitlab-runner': 'ci', 'ClusterRole/runner-read': undefined });
  });

  it('RoleBinding subjects: the kustomization\'s ServiceAccount follows it, one named default gets it, another keeps its own', () => {
    const ev = evidence(files());
    const rb = ev.kubernetes.find((o) => o.value.kind === 'RoleBinding')!;
    expect((rb.value as unknown as { subjects: unknown[] }).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'gitlab-runner', namespace: 'ci' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'ci' },
      { kind: 'ServiceAccount', name: 'other', namespace: 'tools' },
    ]);
  });

  it('an outer kustomization listing the folder of an inner one: the outer\'s namespace wins', () => {
    const inner = KUSTOMIZATION.replace('namespace: ci', 'namespace: staging');
    const outer = 'namespace: ci\nresources:\n  - ../runner\n';
    const ev = evidence({ ...files(inner), 'overlay/kustomization.yaml': outer });
    expect(new Set(ev.kubernetes.filter((o) => o.value.kind !== 'ClusterRole').map((o) => o.value.metadata.namespace))).toEqual(new Set(['ci']));
    const alone = evidence(files(inner));
    expect(new Set(alone.kubernetes.filter((o) => o.value.kind !== 'ClusterRole').map((o) => o.value.metadata.namespace))).toEqual(new Set(['staging']));
  });

  it('a Flux HelmRelease listed with no namespace of its own: its namespace is the kustomization\'s (no RF903 that it is not known)', () => {
    const release = fluxHelmRelease({ interval: false, values: '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n      name: gitlab-runner\n' });
    const withK = doctorTexts({ 'flux/kustomization.yaml': 'namespace: ci\nresources:\n  - release.yaml\n', 'flux/release.yaml': release });
    expect(codes(withK, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'))).toEqual([]);
    expect([...withK.chains.values()].map((l) => l[0]!.split(' (')[0])).toEqual(['manager ci/gitlab-runner']);
    const without = doctorTexts({ 'flux/release.yaml': release });
    expect(codes(without, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'))).toHaveLength(1);
  });

  it('guard: files no kustomization lists, or a kustomization with no namespace, keep the namespace written', () => {
    const ev = evidence({ ...files('resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n  - rbac.yaml\n') });
    expect(ev.kubernetes.find((o) => o.value.kind === 'Deployment')!.value.metadata.namespace).toBe('default');
    const unlisted = evidence({ ...files('namespace: ci\nresources:\n  - sa.yaml\n') });
    expect(unlisted.kubernetes.find((o) => o.value.kind === 'Deployment')!.value.metadata.namespace).toBe('default');
    expect(unlisted.kubernetes.find((o) => o.value.kind === 'ServiceAccount')!.value.metadata.namespace).toBe('ci');
  });
});
