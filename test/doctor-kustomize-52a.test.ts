import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { kustomizeRemote } from '../src/io/kustomize-resources.js';
import { placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 52a. What stop 51 left of kustomize builds: components applied to the overlay listing them,
 * replacements copied into the fields the proofs read, generators with `behavior: merge` or
 * `replace` and nothing to merge into, and remote addresses without a scheme as kustomize decides them.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
/** The files as a walk of their folder gives them (the folder read whole). */
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);

const M = plainManager();
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const OTHER = 'arn:aws:iam::111122223333:role/other-runner';
const saPatch = (role: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n`;
const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
/** A base with the plain manager (no role), on an EKS cluster. */
const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n' };
const noIdentity = (r: DoctorResult) => codes(r, 'RF911').filter((f) => f.message.includes('has no cloud identity of its own'));
const roleNotGiven = (r: DoctorResult, role = 'ci-gitlab-runner') => codes(r, 'RF903').filter((f) => f.message.includes(`role ${role} is not in the evidence given`));

describe('1. components: applied to what the overlay listing them built', () => {
  const IRSA = { 'irsa/kustomization.yaml': `${COMPONENT}patches:\n  - path: sa-patch.yaml\n`, 'irsa/sa-patch.yaml': saPatch(ROLE) };

  it('a component patching the IRSA annotation onto the base ServiceAccount: the role is read (at the patch), no RF911 "no cloud identity"', () => {
    const r = walked({ ...BASE, ...IRSA, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n' });
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('irsa/sa-patch.yaml', saPatch(ROLE), ROLE)]);
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
    expect(codes(r, 'RF946')).toEqual([]);
  });

  it('twin: the same overlay without the component is RF911, no identity', () => {
    const r = walked({ ...BASE, ...IRSA, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n' });
    expect(noIdentity(r)).toHaveLength(1);
    expect(roleNotGiven(r)).toEqual([]);
  });

  it("a component's own resources join the overlay's build and take its namespace; its namespace field applies to the base's objects too", () => {
    const annotated = plainManager({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': ROLE } }).serviceAccounts;
    const base = { ...BASE, 'base/kustomization.yaml': 'resources:\n  - config.yaml\n  - deploy.yaml\n' };
    const r = walked({ ...base, 'identity/kustomization.yaml': `${COMPONENT}namespace: runners\nresources:\n  - sa.yaml\n`, 'identity/sa.yaml': annotated, 'overlay/kustomization.yaml': 'resources:\n  - ../base\ncomponents:\n  - ../identity\n' });
    expect(managers(r)).toEqual(['manager runners/gitlab-runner']);
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('identity/sa.yaml', annotated, ROLE)]);
  });

  it('components run in the order listed: the second one\'s annotation wins', () => {
    const files = { ...BASE, ...IRSA, 'other/kustomization.yaml': `${COMPONENT}patches:\n  - path: sa-patch.yaml\n`, 'other/sa-patch.yaml': saPatch(OTHER) };
    const r = walked({ ...files, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n  - ../other\n' });
    expect(roleNotGiven(r, 'other-runner')).toHaveLength(1);
    expect(roleNotGiven(r)).toEqual([]);
    const swapped = walked({ ...files, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../other\n  - ../irsa\n' });
    expect(roleNotGiven(swapped)).toHaveLength(1);
    expect(roleNotGiven(swapped, 'other-runner')).toEqual([]);
  });

  it('a component reached from two overlays (each with its own manager) is applied in each', () => {
    const m = (p: string) => ({ [`${p}/sa.yaml`]: M.serviceAccounts, [`${p}/config.yaml`]: M.configMap, [`${p}/deploy.yaml`]: M.deployment, [`${p}/kustomization.yaml`]: `namespace: ${p}\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\ncomponents:\n  - ../irsa\n` });
    const r = walked({ 'cluster.tf': BASE['cluster.tf'], ...IRSA, ...m('a'), ...m('b') });
    expect(managers(r).sort()).toEqual(['manager a/gitlab-runner', 'manager b/gitlab-runner']);
    expect(noIdentity(r)).toEqual([]);
    // One place (the component's patch) for both chains: said once.
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('irsa/sa-patch.yaml', saPatch(ROLE), ROLE)]);
    const one = walked({ 'cluster.tf': BASE['cluster.tf'], ...IRSA, ...m('a'), ...m('b'), 'b/kustomization.yaml': 'namespace: b\nresources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n' });
    expect(noIdentity(one).map((f) => f.message.split(' has ')[0])).toEqual(['the manager b/gitlab-runner']);
  });

  it('a component that is a kustomization, and a Component listed as a resource, are RF946 (kustomize checks the kind)', () => {
    const asComponent = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../plain\n';
    const r = walked({ ...BASE, 'plain/kustomization.yaml': 'resources: []\npatches:\n  - path: sa-patch.yaml\n', 'plain/sa-patch.yaml': saPatch(ROLE), 'overlay/kustomization.yaml': asComponent });
    expect(codes(r, 'RF946').map((f) => [f.path, f.message.includes("expected kind 'Component'")])).toEqual([[placeOf('overlay/kustomization.yaml', asComponent, '../plain'), true]]);
    const asResource = 'namespace: ci\nresources:\n  - ../base\n  - ../irsa\n';
    const s = walked({ ...BASE, ...IRSA, 'overlay/kustomization.yaml': asResource });
    expect(codes(s, 'RF946').map((f) => [f.path, f.message.includes("expected kind != 'Component'")])).toEqual([[placeOf('overlay/kustomization.yaml', asResource, '../irsa'), true]]);
  });

  it('a local component folder that is not there is RF946 at the entry; a remote one RF903', () => {
    const k = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../gone\n  - https://github.com/example/kust//irsa?ref=v2\n';
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k });
    expect(codes(r, 'RF946').map((f) => f.path)).toEqual([placeOf('overlay/kustomization.yaml', k, '../gone')]);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('remote component')).map((f) => f.path)).toEqual([placeOf('overlay/kustomization.yaml', k, 'https://github.com')]);
  });
});

describe('3. a generator with behavior merge or replace and nothing of its name in the build', () => {
  const base = { ...BASE };
  it('merge into the base ConfigMap: built, no RF946', () => {
    const r = walked({ ...base, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: runner-config\n    behavior: merge\n    literals:\n      - extra=1\n' });
    expect(codes(r, 'RF946')).toEqual([]);
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
  });

  it('merge (and replace) of a ConfigMap no resource holds: RF946 at its behavior, kustomize\'s error, nothing read as deployed', () => {
    for (const behavior of ['merge', 'replace']) {
      const k = `namespace: ci\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: runner-settings\n    behavior: ${behavior}\n    literals:\n      - extra=1\n`;
      const r = walked({ ...base, 'overlay/kustomization.yaml': k });
      const f = codes(r, 'RF946');
      expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', k, behavior)]);
      expect(f[0]!.message).toContain('does not exist; cannot merge or replace');
      expect(f[0]!.fix).toContain(`take behavior: ${behavior} out of configMapGenerator[0]`);
      expect(managers(r)).toEqual([]);
    }
  });

  it('a secretGenerator merging into a Secret an earlier create entry makes: built; one whose resources are remote is not said', () => {
    const k = 'namespace: ci\nresources:\n  - ../base\nsecretGenerator:\n  - name: token\n    literals:\n      - a=b\n  - name: token\n    behavior: merge\n    literals:\n      - c=d\n';
    expect(codes(walked({ ...base, 'overlay/kustomization.yaml': k }), 'RF946')).toEqual([]);
    const remote = 'namespace: ci\nresources:\n  - ../base\n  - https://github.com/example/kust//more?ref=v1\nconfigMapGenerator:\n  - name: runner-settings\n    behavior: merge\n';
    expect(codes(walked({ ...base, 'overlay/kustomization.yaml': remote }), 'RF946')).toEqual([]);
  });
});

describe('4. remote addresses as kustomize decides them (api/internal/git/repospec.go)', () => {
  it('kustomizeRemote: schemes, scp-style with a user, github.com; no other host without a scheme', () => {
    for (const e of ['https://gitlab.com/g/r//runner?ref=v1', 'git::https://gitlab.com/g/r//runner?ref=v1', 'ssh://git@gitlab.com/g/r//runner', 'git@gitlab.com:g/r//runner?ref=v1', 'org-1@bitbucket.org:team/repo.git//runner', 'github.com/o/r//runner', 'github.com:o/r//runner', 'https://example.com/kust.tar.gz', 'file:///srv/repo//runner']) expect([e, kustomizeRemote(e)]).toEqual([e, true]);
    for (const e of ['gitlab.com/g/r//runner?ref=v1', 'bitbucket.org/team/repo//runner', 'git://gitlab.com/g/r', 's3://bucket/runner', '../base', 'src/github.com/o/r', 'gh:o/r']) expect([e, kustomizeRemote(e)]).toEqual([e, false]);
  });

  it('git::https://, user@host: and github.com: addresses are RF903 remote bases (not RF946 "does not exist")', () => {
    const k = 'namespace: ci\nresources:\n  - ../base\n  - git::https://gitlab.com/group/kust//runner?ref=v1\n  - deploy@gitlab.example.com:group/kust.git//runner?ref=main\n  - github.com:example/kust//runner?ref=v3\n';
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k });
    expect(codes(r, 'RF946')).toEqual([]);
    const remote = codes(r, 'RF903').filter((f) => f.message.includes('a remote base kustomize fetches'));
    expect(remote.map((f) => f.path)).toEqual([placeOf('overlay/kustomization.yaml', k, 'git::https'), placeOf('overlay/kustomization.yaml', k, 'deploy@'), placeOf('overlay/kustomization.yaml', k, 'github.com:')]);
    expect(remote.map((f) => f.message.match(/\(at ([^)]+)\)/)?.[1])).toEqual(['v1', 'main', 'v3']);
  });

  it('gitlab.com/… and bitbucket.org/… with no scheme, and git://, are local paths to kustomize: RF946 saying why, the fix the https:// address', () => {
    for (const [entry, fix] of [['gitlab.com/group/kust//runner?ref=v1', 'https://gitlab.com/group/kust//runner?ref=v1'], ['bitbucket.org/team/kust//runner', 'https://bitbucket.org/team/kust//runner'], ['git://gitlab.com/group/kust//runner', 'https://gitlab.com/group/kust//runner']] as const) {
      const k = `namespace: ci\nresources:\n  - ../base\n  - ${entry}\n`;
      const r = walked({ ...BASE, 'overlay/kustomization.yaml': k });
      const f = codes(r, 'RF946');
      expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', k, entry)]);
      expect(f[0]!.message).toMatch(/no scheme|unsupported scheme/);
      expect(f[0]!.message).toContain('reads the entry as a local path');
      expect(f[0]!.fix).toContain(fix);
      expect(codes(r, 'RF903').filter((x) => x.message.includes('remote base'))).toEqual([]);
    }
  });
});

describe('2. replacements copied into the fields the proofs read', () => {
  const settings = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: irsa-settings\ndata:\n  roleArn: ${ROLE}\n`;
  const base = { ...BASE, 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n  - settings.yaml\n', 'base/settings.yaml': settings };
  const toAnnotation = (create: string) => `namespace: ci\nresources:\n  - ../base\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: irsa-settings\n      fieldPath: data.roleArn\n    targets:\n      - select:\n          kind: ServiceAccount\n          name: gitlab-runner\n        fieldPaths:\n          - metadata.annotations.[eks.amazonaws.com/role-arn]\n${create}`;
  const evidenceOf = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
  const deployment = (f: Record<string, string>) => evidenceOf(f).kubernetes.find((o) => o.value.kind === 'Deployment')!.value as unknown as { spec: { template: { spec: { serviceAccountName: string; containers: { env?: { name: string; value: string }[] }[] } } } };

  it('a role ARN copied from a ConfigMap into the ServiceAccount annotation (options.create): the role is read, placed at the ConfigMap value; no RF911', () => {
    const r = walked({ ...base, 'overlay/kustomization.yaml': toAnnotation('        options:\n          create: true\n') });
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('base/settings.yaml', settings, ROLE)]);
    expect(codes(r, 'RF946')).toEqual([]);
  });

  it('twin: without options.create the annotation is not there, and kustomize fails: RF946 at the replacement ("unable to find field"), nothing read as deployed', () => {
    const k = toAnnotation('');
    const r = walked({ ...base, 'overlay/kustomization.yaml': k });
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', k, 'source:')]);
    expect(f[0]!.message).toContain('unable to find field');
    expect(f[0]!.fix).toContain('options.create: true');
    expect(managers(r)).toEqual([]);
  });

  it('a sourceValue into serviceAccountName, and a value spliced into an env entry by delimiter and index', () => {
    const m = plainManager({ moreServiceAccounts: ['runner-b'], env: [['RUNNER_TAG_LIST', 'eks,small,spot']] });
    const files = { ...BASE, 'base/sa.yaml': m.serviceAccounts, 'base/deploy.yaml': m.deployment };
    const k = 'namespace: ci\nresources:\n  - ../base\nreplacements:\n  - sourceValue: runner-b\n    targets:\n      - select:\n          kind: Deployment\n        fieldPaths:\n          - spec.template.spec.serviceAccountName\n  - sourceValue: large\n    targets:\n      - select:\n          kind: Deployment\n          name: gitlab-.*\n        fieldPaths:\n          - spec.template.spec.containers.[name=gitlab-runner].env.[name=RUNNER_TAG_LIST].value\n        options:\n          delimiter: ","\n          index: 1\n';
    const pod = deployment({ ...files, 'overlay/kustomization.yaml': k }).spec.template.spec;
    expect(pod.serviceAccountName).toBe('runner-b');
    expect(pod.containers[0]!.env).toEqual([{ name: 'RUNNER_TAG_LIST', value: 'eks,large,spot' }]);
    // Twin: a reject of that Deployment leaves it as written.
    const rejected = k.replace('        fieldPaths:\n          - spec.template.spec.serviceAccountName', '        reject:\n          - name: gitlab-runner\n        fieldPaths:\n          - spec.template.spec.serviceAccountName');
    expect(deployment({ ...files, 'overlay/kustomization.yaml': rejected }).spec.template.spec.serviceAccountName).toBe('gitlab-runner');
  });

  it("a source made by the kustomization's own configMapGenerator literals: the value is read", () => {
    const k = `namespace: ci\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: identity\n    literals:\n      - roleArn=${ROLE}\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: identity\n      fieldPath: data.roleArn\n    targets:\n      - select:\n          kind: ServiceAccount\n        fieldPaths:\n          - metadata.annotations.[eks.amazonaws.com/role-arn]\n        options:\n          create: true\n`;
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k });
    expect(noIdentity(r)).toEqual([]);
    expect(roleNotGiven(r).map((f) => f.path)).toEqual([placeOf('overlay/kustomization.yaml', k, `roleArn=${ROLE}`)]);
  });

  it('undecidable: a source the doctor does not hold, and a set-based label selector reaching the runner, are RF946 naming the replacement; one reaching no runner object is not said', () => {
    const missing = toAnnotation('        options:\n          create: true\n').replace('name: irsa-settings', 'name: from-elsewhere');
    const r = walked({ ...base, 'overlay/kustomization.yaml': missing });
    expect(codes(r, 'RF946').map((f) => [f.path, f.message.includes('overlay/kustomization.yaml replacements[0] takes its value from ConfigMap/from-elsewhere')])).toEqual([[placeOf('overlay/kustomization.yaml', missing, 'source:'), true]]);
    const setBased = toAnnotation('        options:\n          create: true\n').replace('          name: gitlab-runner\n', '          labelSelector: app in (r)\n');
    expect(codes(walked({ ...base, 'overlay/kustomization.yaml': setBased }), 'RF946').map((f) => f.message.includes('set-based'))).toEqual([true]);
    const elsewhere = missing.replace('kind: ServiceAccount', 'kind: Ingress');
    const s = walked({ ...base, 'overlay/kustomization.yaml': elsewhere });
    expect(codes(s, 'RF946')).toEqual([]);
    expect(noIdentity(s)).toHaveLength(1);
  });
});
