import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';
import { readKustomizeResources } from '../src/io/kustomize-resources.js';
import { fluxHelmRelease, placeOf, plainManager, chainManagers as managers, codesIn as codes, doctorWalked as walked, folderInputs as inputs } from './helpers/doctor.js';

/**
 * Issue 53c. What 52a left of kustomize builds: a component under two overlays of one root, a
 * component's namespace over Flux HelmReleases, kustomizations holding only patches, replacement
 * sources the doctor can read (Secrets, generated ConfigMaps) and `*` in target paths, and patches
 * adding labels (AKS workload identity's pod label).
 */

const M = plainManager();
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const saPatch = (role: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n`;
const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
const CLUSTER = 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n';
/** A base with the plain manager (no role), on an EKS cluster. */
const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
const noIdentity = (r: DoctorResult) => codes(r, 'RF911').filter((f) => f.message.includes('has no cloud identity of its own'));
const roleNotGiven = (r: DoctorResult, role = 'ci-gitlab-runner') => codes(r, 'RF903').filter((f) => f.message.includes(`role ${role} is not in the evidence given`));
const unpatched = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('the doctor reads the objects unpatched'));

describe('3. a kustomization holding only patches (or transformers) is one', () => {
  /** A patch of ci/gitlab-runner: read as an object, it is a second copy of the base's account. */
  const patchText = saPatch(ROLE).replace('  name: gitlab-runner\n', '  name: gitlab-runner\n  namespace: ci\n');
  const extra = (k: string) => ({ ...BASE, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n  - ../extra\n', 'extra/kustomization.yaml': k, 'extra/sa-patch.yaml': patchText });
  const twice = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('ServiceAccount ci/gitlab-runner is given 2 times'));

  it('listed as a resource: its patch file is not read as an object (no second ServiceAccount), and its patches reach none of the base (kustomize builds it on its own)', () => {
    for (const k of ['patches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ntransformers:\n  - labels.yaml\npatches:\n  - path: sa-patch.yaml\n    target:\n      name: gitlab-runner\n']) {
      const r = walked({ ...extra(k), 'extra/labels.yaml': 'apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  team: ci\nfieldSpecs:\n  - path: metadata/labels\n    create: true\n' });
      expect([k, twice(r)]).toEqual([k, []]);
      expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
      expect(noIdentity(r)).toHaveLength(1);
      expect(roleNotGiven(r)).toEqual([]);
    }
  });

  it('twin: a file named kustomization.yaml that holds none of kustomize\'s fields is not one: its folder\'s files are read as written', () => {
    const r = walked(extra('description: nothing here\n'));
    expect(twice(r)).toHaveLength(1);
  });

  it('a Component holding only patches, listed under components, applies them; listed under resources it is RF946 (kustomize checks the kind)', () => {
    const comp = `${COMPONENT}patches:\n  - path: sa-patch.yaml\n`;
    const r = walked({ ...BASE, 'irsa/kustomization.yaml': comp, 'irsa/sa-patch.yaml': saPatch(ROLE), 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n' });
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('irsa/sa-patch.yaml', saPatch(ROLE), ROLE)]);
    const s = walked({ ...BASE, 'irsa/kustomization.yaml': comp, 'irsa/sa-patch.yaml': saPatch(ROLE), 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n  - ../irsa\n' });
    expect(codes(s, 'RF946').map((f) => f.message.includes("expected kind != 'Component'"))).toEqual([true]);
  });
});

describe('5. patches adding labels: the AKS workload identity pod label', () => {
  const CLIENT = '00000000-1111-2222-3333-444444444444';
  const aks = plainManager({ serviceAccountAnnotations: { 'azure.workload.identity/client-id': CLIENT } });
  const AKS_BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': aks.serviceAccounts, 'base/config.yaml': aks.configMap, 'base/deploy.yaml': aks.deployment };
  const noLabel = (r: DoctorResult) => codes(r, 'RF106').filter((f) => f.message.includes('is not labelled azure.workload.identity/use: "true"'));
  const smp = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gitlab-runner\n  labels:\n    team: ci\nspec:\n  template:\n    metadata:\n      labels:\n        azure.workload.identity/use: "true"\n';
  const json = '- op: add\n  path: /spec/template/metadata/labels/azure.workload.identity~1use\n  value: "true"\n- op: add\n  path: /metadata/labels\n  value:\n    team: ci\n';
  const deployment = (f: Record<string, string>) => readEvidence(inputs(f)).kubernetes.find((o) => o.value.kind === 'Deployment')!.value as unknown as { metadata: { labels?: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> } } } };

  it('twin: without a patch the manager is RF106 (its pod template is not labelled)', () => {
    expect(noLabel(walked({ ...AKS_BASE, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n' }))).toHaveLength(1);
  });

  it('a component\'s strategic-merge patch labelling the pod template: applied (no RF106, no RF903 "unpatched"), the label merged beside the written one', () => {
    const files = { ...AKS_BASE, 'wi/kustomization.yaml': `${COMPONENT}patches:\n  - path: label.yaml\n`, 'wi/label.yaml': smp, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../wi\n' };
    const r = walked(files);
    expect(noLabel(r)).toEqual([]);
    expect(unpatched(r)).toEqual([]);
    const d = deployment(files);
    expect(d.spec.template.metadata.labels).toEqual({ app: 'r', 'azure.workload.identity/use': 'true' });
    expect(d.metadata.labels).toEqual({ team: 'ci' });
  });

  it('an overlay\'s JSON 6902 patch (patches with a target, and patchesJson6902) adding the label: applied', () => {
    for (const k of [`namespace: ci\nresources:\n  - ../base\npatches:\n  - path: label.yaml\n    target:\n      kind: Deployment\n      name: gitlab-runner\n`, `namespace: ci\nresources:\n  - ../base\npatchesJson6902:\n  - path: label.yaml\n    target:\n      group: apps\n      version: v1\n      kind: Deployment\n      name: gitlab-runner\n`]) {
      const files = { ...AKS_BASE, 'overlay/label.yaml': json, 'overlay/kustomization.yaml': k };
      const r = walked(files);
      expect([k, noLabel(r), unpatched(r)]).toEqual([k, [], []]);
      expect(deployment(files).spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    }
  });

  it('twin: a label value that is not a string (true, unquoted), and a replace of a label the pod does not have, are RF903 (not applied), the RF106 kept', () => {
    const unquoted = smp.replace('"true"', 'true');
    const a = walked({ ...AKS_BASE, 'overlay/label.yaml': unquoted, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\npatches:\n  - path: label.yaml\n' });
    expect([unpatched(a).length, noLabel(a).length]).toEqual([1, 1]);
    const b = walked({ ...AKS_BASE, 'overlay/label.yaml': json.replace('- op: add\n  path: /spec', '- op: replace\n  path: /spec'), 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\npatches:\n  - path: label.yaml\n    target:\n      kind: Deployment\n' });
    expect([unpatched(b).length, noLabel(b).length]).toEqual([1, 1]);
  });
});

describe('1. a component two overlays of one root list is applied in each build', () => {
  const IRSA = { 'irsa/kustomization.yaml': `${COMPONENT}patches:\n  - path: sa-patch.yaml\n`, 'irsa/sa-patch.yaml': saPatch(ROLE) };
  const overlay = (p: string, components: boolean) => ({ [`${p}/sa.yaml`]: M.serviceAccounts, [`${p}/config.yaml`]: M.configMap, [`${p}/deploy.yaml`]: M.deployment, [`${p}/kustomization.yaml`]: `namespace: ${p}\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n${components ? 'components:\n  - ../irsa\n' : ''}` });
  const ROOT = { 'all/kustomization.yaml': 'resources:\n  - ../a\n  - ../b\n' };

  it('a root listing overlays a and b, each listing the IRSA component: both managers get the role (no RF911)', () => {
    const r = walked({ 'cluster.tf': CLUSTER, ...IRSA, ...ROOT, ...overlay('a', true), ...overlay('b', true) });
    expect(managers(r).sort()).toEqual(['manager a/gitlab-runner', 'manager b/gitlab-runner']);
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('irsa/sa-patch.yaml', saPatch(ROLE), ROLE)]);
    expect(codes(r, 'RF946')).toEqual([]);
  });

  it('twin: where only a lists it, b is RF911', () => {
    const r = walked({ 'cluster.tf': CLUSTER, ...IRSA, ...ROOT, ...overlay('a', true), ...overlay('b', false) });
    expect(noIdentity(r).map((f) => f.message.split(' has ')[0])).toEqual(['the manager b/gitlab-runner']);
  });

  it('a component listing a component, under two overlays: the inner one applied in each too', () => {
    const outer = { 'wrap/kustomization.yaml': `${COMPONENT}components:\n  - ../irsa\n` };
    const ov = (p: string) => ({ ...overlay(p, false), [`${p}/kustomization.yaml`]: `namespace: ${p}\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\ncomponents:\n  - ../wrap\n` });
    const r = walked({ 'cluster.tf': CLUSTER, ...IRSA, ...outer, ...ROOT, ...ov('a'), ...ov('b') });
    expect(managers(r).sort()).toEqual(['manager a/gitlab-runner', 'manager b/gitlab-runner']);
    expect(noIdentity(r)).toEqual([]);
  });
});

describe("2. a component's namespace over the Flux HelmReleases of the base", () => {
  const values = '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n      name: gitlab-runner\n';
  const release = (spec = '') => fluxHelmRelease({ interval: false, spec, values });
  const unknown = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'));
  const files = (rel: string, overlay: string) => ({ 'base/kustomization.yaml': 'resources:\n  - release.yaml\n', 'base/release.yaml': rel, 'ns/kustomization.yaml': `${COMPONENT}namespace: runners\n`, 'overlay/kustomization.yaml': overlay });

  it('the component sets metadata.namespace of the HelmRelease: the release is installed there (no RF903 "namespace not known")', () => {
    const r = walked(files(release(), 'resources:\n  - ../base\ncomponents:\n  - ../ns\n'));
    expect(unknown(r)).toEqual([]);
    expect(managers(r)).toEqual(['manager runners/gitlab-runner']);
  });

  it('the overlay\'s own namespace runs after its components and wins', () => {
    const r = walked(files(release(), 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../ns\n'));
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
  });

  it('spec.targetNamespace is not a field kustomize\'s namespace transformer sets: the release stays in it', () => {
    const r = walked(files(release('  targetNamespace: jobs\n'), 'resources:\n  - ../base\ncomponents:\n  - ../ns\n'));
    expect(managers(r)).toEqual(['manager jobs/gitlab-runner']);
  });

  it('twin: without the component the HelmRelease names no namespace: RF903, not known', () => {
    const r = walked(files(release(), 'resources:\n  - ../base\n'));
    expect(unknown(r)).toHaveLength(1);
  });
});

describe('4. replacements from Secrets and generated ConfigMaps, and * in target paths', () => {
  const toAnnotation = (source: string, gen = '') => `namespace: ci\nresources:\n  - ../base\n${gen}replacements:\n  - source:\n${source}    targets:\n      - select:\n          kind: ServiceAccount\n          name: gitlab-runner\n        fieldPaths:\n          - metadata.annotations.[eks.amazonaws.com/role-arn]\n        options:\n          create: true\n`;
  const rf946 = (r: DoctorResult) => codes(r, 'RF946');

  it('a configMapGenerator `files` entry (key=path) as the source: the role is read from the file, placed at the entry; no RF946', () => {
    const k = toAnnotation('      kind: ConfigMap\n      name: irsa\n      fieldPath: data.roleArn\n', 'configMapGenerator:\n  - name: irsa\n    files:\n      - roleArn=role.txt\n');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k, 'overlay/role.txt': ROLE });
    expect(rf946(r)).toEqual([]);
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('overlay/kustomization.yaml', k, 'roleArn=role.txt')]);
  });

  it('an `envs` file (comments and blank lines skipped) as the source: the role is read', () => {
    const k = toAnnotation('      kind: ConfigMap\n      name: irsa\n      fieldPath: data.ROLE_ARN\n', 'configMapGenerator:\n  - name: irsa\n    envs:\n      - irsa.env\n');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k, 'overlay/irsa.env': `# the runner's role\n\n  ROLE_ARN=${ROLE}\nOTHER=x\n` });
    expect(rf946(r)).toEqual([]);
    expect(roleNotGiven(r)).toHaveLength(1);
    expect(noIdentity(r)).toEqual([]);
  });

  it('twin: the generator\'s file not given: RF946 saying which file, nothing read as deployed', () => {
    const k = toAnnotation('      kind: ConfigMap\n      name: irsa\n      fieldPath: data.roleArn\n', 'configMapGenerator:\n  - name: irsa\n    files:\n      - roleArn=role.txt\n');
    const r = doctor(inputs({ ...BASE, 'overlay/kustomization.yaml': k }).map(({ path, bytes }) => ({ path, bytes })));
    const f = rf946(r).filter((x) => x.message.includes('replacements[0]'));
    expect(f.map((x) => x.message.includes('reads role.txt, which is not among the files given'))).toEqual([true]);
    expect(managers(r)).toEqual([]);
  });

  it("a Secret's data as the source: RF946 that the doctor keeps no Secret values (before: \"fieldPath is missing\", a false kustomize error); its metadata.name is read", () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: irsa\nstringData:\n  roleArn: not-shown\n';
    const files = { ...BASE, 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n  - secret.yaml\n', 'base/secret.yaml': secret };
    const r = walked({ ...files, 'overlay/kustomization.yaml': toAnnotation('      kind: Secret\n      name: irsa\n      fieldPath: stringData.roleArn\n') });
    const f = rf946(r);
    expect(f.map((x) => [x.message.includes('a Secret value, which the doctor does not keep'), x.message.includes('is missing')])).toEqual([[true, false]]);
    expect(JSON.stringify(r.findings)).not.toContain('not-shown');
    // Its name is no secret: copied into an annotation, read (no RF946).
    const named = toAnnotation('      kind: Secret\n      name: irsa\n').replace('[eks.amazonaws.com/role-arn]', '[example.com/token-secret]');
    expect(rf946(walked({ ...files, 'overlay/kustomization.yaml': named }))).toEqual([]);
    // A secretGenerator's value likewise is not kept; a key it does not make is kustomize's error.
    const gen = 'secretGenerator:\n  - name: irsa\n    literals:\n      - roleArn=not-shown\n';
    expect(rf946(walked({ ...BASE, 'overlay/kustomization.yaml': toAnnotation('      kind: Secret\n      name: irsa\n      fieldPath: data.roleArn\n', gen) })).map((x) => x.message.includes('a Secret value'))).toEqual([true]);
    expect(rf946(walked({ ...BASE, 'overlay/kustomization.yaml': toAnnotation('      kind: Secret\n      name: irsa\n      fieldPath: data.other\n', gen) })).map((x) => x.message.includes('is missing for replacement source'))).toEqual([true]);
  });

  it('* in a target path: every container\'s env entry is set; * over a map is RF946 ("wrong node kind")', () => {
    const m = plainManager({ env: [['RUNNER_TAG_LIST', 'small']] });
    const files = { ...BASE, 'base/deploy.yaml': m.deployment };
    const k = (path: string) => `namespace: ci\nresources:\n  - ../base\nreplacements:\n  - sourceValue: large\n    targets:\n      - select:\n          kind: Deployment\n        fieldPaths:\n          - ${path}\n`;
    const star = k('spec.template.spec.containers.*.env.[name=RUNNER_TAG_LIST].value');
    expect(rf946(walked({ ...files, 'overlay/kustomization.yaml': star }))).toEqual([]);
    const pod = readEvidence(inputs({ ...files, 'overlay/kustomization.yaml': star })).kubernetes.find((o) => o.value.kind === 'Deployment')!.value as unknown as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
    expect(pod.spec.template.spec.containers[0]!.env).toEqual([{ name: 'RUNNER_TAG_LIST', value: 'large' }]);
    const overMap = k('spec.template.metadata.labels.*');
    expect(rf946(walked({ ...files, 'overlay/kustomization.yaml': overMap })).map((x) => x.message.includes('wrong node kind'))).toEqual([true]);
  });
});

describe('4. the CLI reads the files a generator reads, whatever their names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-53c-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder walked whole: role.txt of a configMapGenerator is read as text, the replacement copies it (no RF946, no RF902)', async () => {
    const k = `namespace: ci\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\nconfigMapGenerator:\n  - name: irsa\n    files:\n      - roleArn=settings/role.txt\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: irsa\n      fieldPath: data.roleArn\n    targets:\n      - select:\n          kind: ServiceAccount\n        fieldPaths:\n          - metadata.annotations.[eks.amazonaws.com/role-arn]\n        options:\n          create: true\n`;
    mkdirSync(join(dir, 'settings'), { recursive: true });
    for (const [p, t] of Object.entries({ 'kustomization.yaml': k, 'sa.yaml': M.serviceAccounts, 'config.yaml': M.configMap, 'deploy.yaml': M.deployment, 'cluster.tf': CLUSTER, 'settings/role.txt': ROLE })) writeFileSync(join(dir, p), t);
    const { files } = await walkFiles([dir], 1 << 20);
    const r = doctor([...files, ...(await readKustomizeResources(files, 1 << 20))]);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(codes(r, 'RF902')).toEqual([]);
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r)).toHaveLength(1);
  });
});
