import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 36b. A kustomization's patches (`patches`, `patchesStrategicMerge`, `patchesJson6902`):
 * the simple ones (annotations, namespace, a pod's serviceAccountName, container env by name; JSON
 * 6902 add / replace of those) are applied in kustomize's order and a value they set is placed at
 * the patch; any other patch that can reach an object of a runner chain is RF903 at its entry. A
 * base two overlays render differently is RF903 naming both.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managerLine = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);
const patched = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('the doctor reads the objects unpatched'));

const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const { serviceAccounts: SA, configMap: CONFIG, deployment: DEPLOY } = plainManager();
const files = (kustomization: string, more: Record<string, string> = {}): Record<string, string> => ({ 'runner/kustomization.yaml': kustomization, 'runner/sa.yaml': SA, 'runner/config.yaml': CONFIG, 'runner/deploy.yaml': DEPLOY, ...more });
const RESOURCES = 'namespace: ci\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n';
const SA_PATCH = `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;
const roleNotGiven = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('role ci-gitlab-runner is not in the evidence given'));

describe('kustomize strategic-merge patches that are applied', () => {
  it('a patch file annotating the ServiceAccount: the chain takes the role, the finding on it points at the patch, and the patch is not read as a second ServiceAccount', () => {
    const r = doctorTexts(files(`${RESOURCES}patches:\n  - path: sa-patch.yaml\n`, { 'runner/sa-patch.yaml': SA_PATCH }));
    const role = roleNotGiven(r);
    expect(role.map((f) => f.path)).toEqual([placeOf('runner/sa-patch.yaml', SA_PATCH, ROLE)]);
    expect(patched(r)).toEqual([]);
    expect(managerLine(r)).toEqual(['manager ci/gitlab-runner']);
    const ev = evidence(files(`${RESOURCES}patches:\n  - path: sa-patch.yaml\n`, { 'runner/sa-patch.yaml': SA_PATCH }));
    expect(ev.kubernetes.filter((o) => o.value.kind === 'ServiceAccount').map((o) => [o.origin.source.path, o.value.metadata.namespace])).toEqual([['runner/sa.yaml', 'ci']]);
    // Without the patch: no role at all.
    expect(roleNotGiven(doctorTexts(files(RESOURCES)))).toEqual([]);
  });

  it("a patch with no namespace names an object of namespace default: one an inner kustomization moved still matches (its previous id), one written in another namespace does not", () => {
    const moved = doctorTexts({ ...files(RESOURCES), 'overlay/kustomization.yaml': 'resources:\n  - ../runner\npatches:\n  - path: sa-patch.yaml\n', 'overlay/sa-patch.yaml': SA_PATCH });
    expect(roleNotGiven(moved).map((f) => f.path)).toEqual([placeOf('overlay/sa-patch.yaml', SA_PATCH, ROLE)]);
    const elsewhere = doctorTexts(files(`${RESOURCES}patches:\n  - path: sa-patch.yaml\n`, { 'runner/sa-patch.yaml': SA_PATCH, 'runner/sa.yaml': plainManager({ namespace: 'tools' }).serviceAccounts }));
    expect(roleNotGiven(elsewhere)).toEqual([]);
  });

  it('patchesStrategicMerge (deprecated form) is applied as patches is', () => {
    const r = doctorTexts(files(`${RESOURCES}patchesStrategicMerge:\n  - sa-patch.yaml\n`, { 'runner/sa-patch.yaml': SA_PATCH }));
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('runner/sa-patch.yaml', SA_PATCH, ROLE)]);
  });

  it("an inline patch of the Deployment's serviceAccountName and an env entry: applied, the env value placed in the inline patch", () => {
    const k = `${RESOURCES}patches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: gitlab-runner\n      spec:\n        template:\n          spec:\n            serviceAccountName: runner-b\n            containers:\n              - name: gitlab-runner\n                env:\n                  - name: RUNNER_TAG_LIST\n                    value: patched\n`;
    const ev = evidence(files(k));
    const d = ev.kubernetes.find((o) => o.value.kind === 'Deployment')!;
    const pod = (d.value as unknown as { spec: { template: { spec: { serviceAccountName: string; containers: { env?: { name: string; value: string }[] }[] } } } }).spec.template.spec;
    expect(pod.serviceAccountName).toBe('runner-b');
    expect(pod.containers[0]!.env).toEqual([{ name: 'RUNNER_TAG_LIST', value: 'patched' }]);
    const at = d.origin.source.locate(d.origin.doc, [...d.origin.path, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value']);
    expect(`${at.file}:${at.line}:${at.column}`).toBe(placeOf('runner/kustomization.yaml', k, 'patched'));
    const sa = d.origin.source.locate(d.origin.doc, [...d.origin.path, 'spec', 'template', 'spec', 'serviceAccountName']);
    expect(`${sa.file}:${sa.line}:${sa.column}`).toBe(placeOf('runner/kustomization.yaml', k, 'runner-b'));
    // A value no patch wrote is still placed in its own file.
    const image = d.origin.source.locate(d.origin.doc, [...d.origin.path, 'spec', 'template', 'spec', 'containers', 0, 'image']);
    expect(image.file).toBe('runner/deploy.yaml');
    expect(patched(doctorTexts(files(k)))).toEqual([]);
  });

  it("metadata.namespace: a patch runs before the kustomization's namespace (which wins), a JSON 6902 patch after it (which wins)", () => {
    const target = '    target:\n      kind: ConfigMap\n      name: runner-config\n';
    const smp = evidence(files(`${RESOURCES}patches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: runner-config\n        namespace: other\n${target}`));
    expect(smp.kubernetes.find((o) => o.value.kind === 'ConfigMap')!.value.metadata.namespace).toBe('ci');
    const json = evidence(files(`${RESOURCES}patchesJson6902:\n  - patch: |-\n      - op: replace\n        path: /metadata/namespace\n        value: other\n${target}`));
    expect(json.kubernetes.find((o) => o.value.kind === 'ConfigMap')!.value.metadata.namespace).toBe('other');
  });
});

describe('kustomize JSON 6902 patches that are applied', () => {
  it('add of an annotation (a ~1 in its key) on the ServiceAccount: the role is taken, placed at the operation', () => {
    const k = `${RESOURCES}patchesJson6902:\n  - target:\n      version: v1\n      kind: ServiceAccount\n      name: gitlab-runner\n    path: sa.json.yaml\n`;
    const patch = `- op: add\n  path: /metadata/annotations\n  value: {}\n- op: add\n  path: /metadata/annotations/eks.amazonaws.com~1role-arn\n  value: ${ROLE}\n`;
    const r = doctorTexts(files(k, { 'runner/sa.json.yaml': patch }));
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('runner/sa.json.yaml', patch, ROLE)]);
    expect(patched(r)).toEqual([]);
  });

  it('a JSON 6902 patch that adds to an annotations map the object does not have fails the build: said, not applied', () => {
    const k = `${RESOURCES}patches:\n  - target:\n      kind: ServiceAccount\n      name: gitlab-runner\n    patch: |-\n      - op: add\n        path: /metadata/annotations/eks.amazonaws.com~1role-arn\n        value: ${ROLE}\n`;
    const r = doctorTexts(files(k));
    expect(roleNotGiven(r)).toEqual([]);
    expect(patched(r).map((f) => f.path)).toEqual([placeOf('runner/kustomization.yaml', k, 'target:')]);
  });
});

describe('kustomize patches that are said (RF903), not applied', () => {
  it("a patch of the manager's Deployment beyond the simple fields: RF903 at its entry naming the object; a patch of an object no chain reads: nothing", () => {
    const k = `${RESOURCES}  - web.yaml\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: gitlab-runner\n      spec:\n        replicas: 2\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        replicas: 2\n`;
    const web = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n';
    const r = doctorTexts(files(k, { 'runner/web.yaml': web }));
    const said = patched(r);
    expect(said.map((f) => f.path)).toEqual([placeOf('runner/kustomization.yaml', k, 'patch: |-')]);
    expect(said[0]!.message).toContain('kustomize patches Deployment/gitlab-runner with an inline patch (patches[0])');
  });

  it('a patch file not given, a label selector, a remove operation: each said at its entry', () => {
    const k = `${RESOURCES}patchesStrategicMerge:\n  - missing.yaml\npatches:\n  - target:\n      kind: ServiceAccount\n      labelSelector: app=r\n    patch: |-\n      - op: add\n        path: /metadata/annotations\n        value: {}\npatchesJson6902:\n  - target:\n      kind: Deployment\n      name: gitlab-runner\n    patch: |-\n      - op: remove\n        path: /spec/template/spec/serviceAccountName\n`;
    const said = patched(doctorTexts(files(k)));
    const at = (f: DoctorResult['findings'][number]) => f.path;
    const missing = placeOf('runner/kustomization.yaml', k, 'missing.yaml');
    const labels = placeOf('runner/kustomization.yaml', k, 'target:');
    expect(said.map(at).sort()).toEqual([missing, labels, placeOf('runner/kustomization.yaml', k, 'target:', k.indexOf('patchesJson6902'))].sort());
    expect(said.find((f) => f.path === missing)!.message).toContain('missing.yaml is not among the files given');
    expect(said.find((f) => f.path === labels)!.message).toContain('selects by labels or annotations');
  });
});

describe('a base two overlays list', () => {
  const base = 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n';
  const withBase = (a: string, b: string): Record<string, string> => ({ 'base/kustomization.yaml': base, 'base/sa.yaml': SA, 'base/config.yaml': CONFIG, 'base/deploy.yaml': DEPLOY, 'prod/kustomization.yaml': `namespace: ${a}\nresources:\n  - ../base\n`, 'staging/kustomization.yaml': `namespace: ${b}\nresources:\n  - ../base\n` });

  it('rendered in two namespaces: RF903 at the base naming both overlays', () => {
    const r = doctorTexts(withBase('prod', 'staging'));
    const said = codes(r, 'RF903').filter((f) => f.message.includes('is built by two overlays'));
    expect(said.map((f) => f.path)).toEqual(['base/kustomization.yaml:1:1']);
    expect(said[0]!.message).toContain('prod/kustomization.yaml (namespace prod) and staging/kustomization.yaml (namespace staging)');
  });

  it('guard: two overlays that render it alike: nothing said', () => {
    const r = doctorTexts(withBase('ci', 'ci'));
    expect(codes(r, 'RF903').filter((f) => f.message.includes('is built by two overlays'))).toEqual([]);
  });
});
