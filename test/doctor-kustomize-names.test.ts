import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, fluxHelmRelease, irsaRoleTf, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 48c. kustomize's namePrefix / nameSuffix (the prefix and suffix transformers, and the name
 * references that follow them), overlays three deep (each kustomization's namespace over the ones it
 * lists, patches matching the ids an object had), and Flux's kustomize-controller, which applies a
 * namespaced object that names no namespace nowhere: its apply fails ("namespace not specified").
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';

// The manager (ServiceAccount with the role, ConfigMap, Deployment, Role and RoleBinding) written with no namespace.
const M = plainManager({ role: true, serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': ROLE }, moreSubjects: '  - kind: ServiceAccount\n    name: builder\n    namespace: tools\n' });
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n';
const CR = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: runner-read\nrules: []\n';
const base = (k: string, more: Record<string, string> = {}): Record<string, string> => ({ 'base/kustomization.yaml': `${k}resources:\n  - manager.yaml\n  - cluster.yaml\n`, 'base/manager.yaml': M.text, 'base/cluster.yaml': `${NS}---\n${CR}`, ...more });
const iam = irsaRoleTf;

describe('1. namePrefix / nameSuffix: the names kustomize builds, and the references that follow them', () => {
  const K = 'namespace: ci\nnamePrefix: prod-\n';

  it('a trust naming the prefixed account is right: the chain proves ci/prod-gitlab-runner and says which kustomization renamed it', () => {
    const r = doctorTexts({ ...base(K), 'iam/main.tf': iam('system:serviceaccount:ci:prod-gitlab-runner') });
    expect(codes(r, 'RF104')).toEqual([]);
    expect(codes(r, 'RF904')).toEqual([]);
    expect(managers(r)).toEqual([`manager ci/prod-gitlab-runner (base/manager.yaml:23:1; service account prod-gitlab-runner: gitlab-runner as written, renamed by namePrefix prod- of base/kustomization.yaml (${placeOf('base/kustomization.yaml', K, 'prod-')})) → role ci-gitlab-runner`]);
  });

  it('twin: a trust naming the name as written (un-prefixed) is the drift (RF104), its fix the built name', () => {
    const r = doctorTexts({ ...base(K), 'iam/main.tf': iam('system:serviceaccount:ci:gitlab-runner') });
    const rf104 = codes(r, 'RF104');
    expect(rf104.map((f) => f.path)).toEqual([placeOf('base/manager.yaml', M.text, ROLE)]);
    expect(rf104[0]!.message).toContain('ServiceAccount ci/prod-gitlab-runner');
    expect(rf104[0]!.message).toContain('admits only system:serviceaccount:ci:gitlab-runner');
    expect(rf104[0]!.fix).toContain('make the trust policy name system:serviceaccount:ci:prod-gitlab-runner');
    // With no prefix the written name is the built one: no drift.
    expect(codes(doctorTexts({ ...base('namespace: ci\n'), 'iam/main.tf': iam('system:serviceaccount:ci:gitlab-runner') }), 'RF104')).toEqual([]);
  });

  it('every object but a Namespace (and CRDs, APIServices) is renamed, a ClusterRole too; the prefix and suffix both', () => {
    const ev = evidence(base('namespace: ci\nnamePrefix: prod-\nnameSuffix: -v2\n'));
    expect(ev.kubernetes.map((o) => `${o.value.kind}/${o.value.metadata.name}`).sort()).toEqual(['ClusterRole/prod-runner-read-v2', 'ConfigMap/prod-runner-config-v2', 'Deployment/prod-gitlab-runner-v2', 'Namespace/ci', 'Role/prod-gitlab-runner-v2', 'RoleBinding/prod-gitlab-runner-v2', 'ServiceAccount/prod-gitlab-runner-v2']);
  });

  it("references follow: the Deployment's serviceAccountName and ConfigMap volume, the RoleBinding's roleRef and its subject; a subject naming an account not in the build keeps its name", () => {
    const ev = evidence(base(K));
    const get = (kind: string) => ev.kubernetes.find((o) => o.value.kind === kind)!.value as unknown as Record<string, any>;
    expect(get('Deployment').spec.template.spec.serviceAccountName).toBe('prod-gitlab-runner');
    expect(get('Deployment').spec.template.spec.volumes[0].configMap.name).toBe('prod-runner-config');
    expect(get('RoleBinding').roleRef.name).toBe('prod-gitlab-runner');
    expect(get('RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'prod-gitlab-runner', namespace: 'ci' }, { kind: 'ServiceAccount', name: 'builder', namespace: 'tools' }]);
    // The manager still reads its config.toml (the renamed ConfigMap): its jobs are in the chain.
    expect([...doctorTexts(base(K)).chains.values()][0]).toContain('jobs ci/default (base/manager.yaml:19:7)');
  });

  it('an overlay\'s prefix goes over its base\'s (b-a-name), and the chain names that', () => {
    const r = doctorTexts({ ...base('namespace: ci\nnamePrefix: a-\n'), 'overlay/kustomization.yaml': 'namePrefix: b-\nresources:\n  - ../base\n', 'iam/main.tf': iam('system:serviceaccount:ci:b-a-gitlab-runner') });
    expect(codes(r, 'RF104')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/b-a-gitlab-runner .*renamed by namePrefix a- of base\/kustomization\.yaml .* and namePrefix b- of overlay\/kustomization\.yaml/);
  });

  it("a Flux HelmRelease listed is renamed too, so its release (and the chart's account) is the prefixed name", () => {
    const release = fluxHelmRelease({ interval: false, meta: '  namespace: ci\n', values: '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n' });
    const ev = evidence({ 'flux/kustomization.yaml': 'namePrefix: prod-\nresources:\n  - release.yaml\n', 'flux/release.yaml': release });
    const g = ev.gitOps!.find((o) => o.kind === 'HelmRelease')!;
    expect((g.value.metadata as { name: string }).name).toBe(`prod-${(evidence({ 'flux/release.yaml': release }).gitOps![0]!.value.metadata as { name: string }).name}`);
  });

  it("patches select by the original name or the current one: an overlay's patch of gitlab-runner, or of prod-gitlab-runner, picks the base's prod-gitlab-runner (with or without a target)", () => {
    const patch = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/other\n`;
    const roleOther = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('role other is not in the evidence given'));
    for (const name of ['gitlab-runner', 'prod-gitlab-runner']) {
      for (const entry of ['patchesStrategicMerge:\n  - sa-patch.yaml\n', `patches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n      name: ${name}\n`]) {
        const r = doctorTexts({ ...base(K), 'overlay/kustomization.yaml': `resources:\n  - ../base\n${entry}`, 'overlay/sa-patch.yaml': patch(name) });
        expect(codes(r, 'RF939')).toEqual([]);
        expect(roleOther(r).map((f) => f.path)).toEqual([placeOf('overlay/sa-patch.yaml', patch(name), 'arn:aws:iam::111122223333:role/other')]);
      }
    }
    // A name it never had: picks nothing (the base's role stays).
    const none = doctorTexts({ ...base(K), 'overlay/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n      name: staging-gitlab-runner\n', 'overlay/sa-patch.yaml': patch('x') });
    expect(roleOther(none)).toEqual([]);
  });

  it("RF939: a kustomization's own patches run before its prefix, so a patch with no target naming the prefixed name matches nothing; the written name matches", () => {
    const patch = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  annotations:\n    a: b\n`;
    const k = `${K}patchesStrategicMerge:\n  - sa-patch.yaml\n`;
    const bad = doctorTexts(base(k, { 'base/sa-patch.yaml': patch('prod-gitlab-runner') }));
    expect(codes(bad, 'RF939').map((f) => f.path)).toEqual([placeOf('base/kustomization.yaml', k, 'sa-patch.yaml')]);
    expect(codes(bad, 'RF939')[0]!.message).toContain('no matches for Id ServiceAccount.v1.[noGrp]/prod-gitlab-runner.[noNs]');
    expect(codes(doctorTexts(base(k, { 'base/sa-patch.yaml': patch('gitlab-runner') })), 'RF939')).toEqual([]);
  });

  it('two overlays of one base with different prefixes render it differently: RF903 that only the first is read', () => {
    const r = doctorTexts({ ...base('namespace: ci\n'), 'a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - ../base\n', 'b/kustomization.yaml': 'namePrefix: b-\nresources:\n  - ../base\n' });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('is built by two overlays')).length).toBe(1);
    const same = doctorTexts({ ...base('namespace: ci\n'), 'a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - ../base\n', 'b/kustomization.yaml': 'namePrefix: a-\nresources:\n  - ../base\n' });
    expect(codes(same, 'RF903').filter((f) => f.message.includes('is built by two overlays'))).toEqual([]);
  });
});

describe('2. overlays three deep: base ← middle (namespace a) ← top', () => {
  const deep = (top: string, more: Record<string, string> = {}) => ({ ...base(''), 'middle/kustomization.yaml': 'namespace: a\nresources:\n  - ../base\n', 'top/kustomization.yaml': `${top}resources:\n  - ../middle\n`, ...more });
  const nsOf = (f: Record<string, string>) => new Set(evidence(f).kubernetes.filter((o) => o.value.kind !== 'Namespace' && o.value.kind !== 'ClusterRole').map((o) => o.value.metadata.namespace));

  it("the top's namespace wins; where the top sets none the middle's applies; the chain names it", () => {
    expect(nsOf(deep('namespace: b\n'))).toEqual(new Set(['b']));
    expect(nsOf(deep(''))).toEqual(new Set(['a']));
    expect(managers(doctorTexts(deep('namespace: b\n')))[0]).toMatch(/^manager b\/gitlab-runner /);
    expect(managers(doctorTexts(deep('')))[0]).toMatch(/^manager a\/gitlab-runner /);
    const rb = evidence(deep('namespace: b\n')).kubernetes.find((o) => o.value.kind === 'RoleBinding')!;
    expect((rb.value as unknown as { subjects: unknown[] }).subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitlab-runner', namespace: 'b' }, { kind: 'ServiceAccount', name: 'builder', namespace: 'tools' }]);
  });

  it("the top's patch targets: a `patches` entry sees the middle's namespace (a, current) and the written one (default), not its own (b); a JSON 6902 one sees b and default, not a", () => {
    const roleNotGiven = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('role ci-gitlab-runner is not in the evidence given'));
    const smp = (ns: string) => deep(`namespace: b\npatches:\n  - path: p.yaml\n    target:\n      kind: ServiceAccount\n      namespace: ${ns}\n`, { 'top/p.yaml': `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE.replace('ci-gitlab-runner', 'patched')}\n` });
    const patched = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('role patched is not in the evidence given')).length;
    expect([patched(doctorTexts(smp('a'))), patched(doctorTexts(smp('default'))), patched(doctorTexts(smp('b')))]).toEqual([1, 1, 0]);
    const json = (ns: string) => deep(`namespace: b\npatchesJson6902:\n  - path: p.yaml\n    target:\n      version: v1\n      kind: ServiceAccount\n      name: gitlab-runner\n      namespace: ${ns}\n`, { 'top/p.yaml': `- op: replace\n  path: /metadata/annotations/eks.amazonaws.com~1role-arn\n  value: ${ROLE.replace('ci-gitlab-runner', 'patched')}\n` });
    expect([patched(doctorTexts(json('b'))), patched(doctorTexts(json('default'))), patched(doctorTexts(json('a')))]).toEqual([1, 1, 0]);
    expect(roleNotGiven(doctorTexts(json('a'))).length).toBe(1);
  });

  it('four deep (a, then b, then the top): a strategic-merge patch with no target naming namespace a finds the object by that earlier id (no RF939); one naming c does not', () => {
    const four = (ns: string) => ({ ...deep('namespace: b\n'), 'outer/kustomization.yaml': 'resources:\n  - ../top\npatchesStrategicMerge:\n  - p.yaml\n', 'outer/p.yaml': `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: ${ns}\n  annotations:\n    a: b\n` });
    expect(codes(doctorTexts(four('a')), 'RF939')).toEqual([]);
    expect(codes(doctorTexts(four('b')), 'RF939')).toEqual([]);
    expect(codes(doctorTexts(four('c')), 'RF939').length).toBe(1);
  });
});

describe("3. Flux: a Kustomization with no spec.targetNamespace applies objects as built, and one with no namespace fails its apply", () => {
  const flux = (target = '') => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: runner\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./runner\n${target}  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n`;
  const notSpecified = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('namespace not specified'));

  it('a folder of manifests with no namespace: RF903 at spec.path, no chain proven in default (nor flux-system), and no RF910', () => {
    const r = doctorTexts({ 'clusters/runner.yaml': flux(), 'runner/manager.yaml': M.text });
    expect(notSpecified(r).map((f) => f.path)).toEqual([placeOf('clusters/runner.yaml', flux(), './runner')]);
    expect(notSpecified(r)[0]!.message).toContain('names no namespace for ServiceAccount/gitlab-runner (runner/manager.yaml:4:3), ConfigMap/runner-config (runner/manager.yaml:11:3), Deployment/gitlab-runner (runner/manager.yaml:26:3)');
    expect(notSpecified(r)[0]!.message).toContain('putting them neither in the Kustomization\'s own namespace nor in default');
    expect(notSpecified(r)[0]!.fix).toBe('set spec.targetNamespace on the Flux Kustomization, or write a kustomization.yaml in runner/ with namespace: and these files as resources, or metadata.namespace in each of these objects');
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it("a kustomization.yaml with no namespace in the folder: the same, its fix naming that kustomization", () => {
    const r = doctorTexts({ 'clusters/runner.yaml': flux(), 'runner/kustomization.yaml': 'resources:\n  - manager.yaml\n', 'runner/manager.yaml': M.text });
    expect(notSpecified(r).length).toBe(1);
    expect(notSpecified(r)[0]!.fix).toContain('or namespace: in the kustomization of runner/');
  });

  it('twin: targetNamespace, a kustomization namespace, or namespaces written: deployed there, nothing said', () => {
    const target = doctorTexts({ 'clusters/runner.yaml': flux('  targetNamespace: ci\n'), 'runner/manager.yaml': M.text });
    const kustomized = doctorTexts({ 'clusters/runner.yaml': flux(), 'runner/kustomization.yaml': 'namespace: ci\nresources:\n  - manager.yaml\n', 'runner/manager.yaml': M.text });
    const written = doctorTexts({ 'clusters/runner.yaml': flux(), 'runner/manager.yaml': plainManager({ namespace: 'ci', role: true }).text });
    for (const r of [target, kustomized, written]) {
      expect(notSpecified(r)).toEqual([]);
      expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
    }
    // Without the Flux Kustomization (kubectl apply): the context's namespace, read as default as before.
    expect(managers(doctorTexts({ 'runner/manager.yaml': M.text }))[0]).toMatch(/^manager default\/gitlab-runner /);
  });
});
