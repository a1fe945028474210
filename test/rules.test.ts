import { AWS_DOCTOR_TESTED } from './helpers/aws-fake.js';
import { describe, expect, it } from 'vitest';
import { ROTATOR_AKS_TESTED, ROTATOR_KUBE_TESTED, ROTATOR_TESTED } from './helpers/rotator.js';
import { KEY_VAULT_TESTED } from './helpers/keyvault.js';
import { DOCTOR_CASES } from './helpers/doctor.js';
import type { PlanResult } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { EmittedFleet } from '../src/emit/types.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { CODES } from '../src/spec/codes.js';
import { overChartDefaults, restrictedClears, restrictedViolations } from '../src/verify/pod-security.js';
import { showValue } from '../src/spec/findings.js';
import { AZURE_OTHER_TESTED, azureDocCases, azureSpecCases } from './helpers/azure.js';
import { VM_DOC_CASES, VM_SPEC_CASES } from './helpers/vm.js';
import { CLUSTER_TESTED_CODES } from './helpers/cluster.js';
import { REACH_TESTED } from './helpers/reach.js';
import { azureCorpusCodes } from './helpers/doctor-azure.js';
import { doctorCorpusCodes } from './helpers/doctor-corpus.js';
import { CREDENTIAL_NOTE_TESTED, HOST_STATIC_KEY_TESTED, MACHINE_KEY_TESTED } from './helpers/machine-keys.js';
import { REGISTER_VERSION_TESTED } from './helpers/register-version.js';
import { REVIEW_66D_TESTED } from './helpers/review-66d.js';
import { CREDENTIAL_MOUNT_TESTED, KUSTOMIZE_BUILD_TESTED, KUSTOMIZE_PATCH_TESTED, NAMESPACE_NAME_TESTED, POD_SPEC_TESTED } from './helpers/kustomize-patch.js';
import { MODULE_TESTED } from './helpers/doctor-modules.js';

const codes = (plan: PlanResult) => plan.findings.map((f) => f.code);
const find = (plan: PlanResult, code: string) => plan.findings.find((f) => f.code === code);

/** Rules a spec can trigger: [code, example, mutation that triggers it, expected severity]. */
type SpecCase = [code: string, example: string, mutate: (s: Record<string, any>) => void, severity: 'error' | 'warning' | 'info'];

const specCases: SpecCase[] = [
  ['RF107', 'eks-irsa', (s) => (s.runners[0].jobs.serviceAccountOverwriteAllowed = '^build-.*$'), 'warning'],
  ['RF203', 'eks-irsa', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['s3:*'], resources: ['*'] }), 'error'],
  ['RF204', 'eks-irsa', (s) => (s.caches[0].encryption = { type: 'none' }), 'error'],
  ['RF205', 'eks-irsa', (s) => (s.caches[0].tlsOnly = false), 'error'],
  ['RF206', 'eks-irsa', (s) => (s.caches[0].expireAfterDays = 0), 'warning'],
  ['RF208', 'eks-irsa', (s) => (s.caches[0].create = false), 'info'],
  ['RF301', 'eks-irsa', (s) => (s.runners[0].jobs.privileged = true), 'error'],
  ['RF302', 'eks-irsa', (s) => (s.runners[0].jobs.permissions.aws = [{ actions: ['*'], resources: ['*'] }]), 'error'],
  ['RF303', 'eks-irsa', (s) => (s.runners[1].gitlab.protectedOnly = false), 'error'],
  ['RF316', 'eks-irsa', (s) => (s.runners[1].acceptRisks = s.runners[1].acceptRisks.filter((r: { code: string }) => r.code !== 'RF316')), 'warning'],
  ['RF304', 'eks-irsa', (s) => (s.runners[0].jobs.environment = { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5' }), 'error'],
  ['RF304', 'eks-irsa', (s) => (s.runners[0].jobs.environment = { DEPLOY_KEY_ID: 'AKIAIOSFODNN7QW3RT5Y' }), 'error'],
  ['RF305', 'eks-irsa', (s) => (s.runners[0].gitlab.tags = []), 'warning'],
  ['RF306', 'eks-irsa', (s) => (s.runners[0].jobs.permissions.aws = [{ actions: ['iam:PassRole'], resources: ['*'] }]), 'warning'],
  ['RF312', 'eks-irsa', (s) => (s.runners[0].jobs.permissions.aws = [{ actions: ['s3:GetObjcet'], resources: ['*'] }]), 'warning'],
  // The deploy runner's jobs role, in the build runner's namespace: build's manager may create pods as deploy-jobs (test/shared-namespace-66a.test.ts).
  ['RF310', 'eks-irsa', (s) => (s.runners[1].placement.namespace = 'ci-build'), 'warning'],
  // The eks-irsa build runner's `repository/acme/*` grant is the same shape: in a fleet that also holds a Fargate runner it would cover that runner's job-image repository.
  ['RF717', 'ecs-fargate', (s) => (s.runners[0].jobs.permissions.aws[1].resources = ['arn:aws:ecr:eu-central-1:123456789012:repository/acme/*']), 'error'],
  ['RF401', 'eks-cluster-access', (s) => (s.clusters[0].acceptRisks = []), 'warning'],
  // A cluster the user brings: the job pods' NetworkPolicy protects only where the cluster enforces NetworkPolicy (test/imds-network-policy-66f.test.ts).
  ['RF314', 'eks-create-eksctl', (s) => {
    delete s.clusters[0].create;
    s.clusters[0].oidcIssuer = 'https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
  }, 'info'],
  ['RF402', 'eks-irsa', (s) => (s.clusters[0].access = [{ principal: 'arn:aws:iam::123456789012:role/admins', policy: 'cluster-admin' }]), 'info'],
];

describe('rules a spec can trigger: a failing and a passing case each', () => {
  it.each(specCases)('%s fires on %s when the spec asks for it', (code, example, mutate, severity) => {
    const before = planExample(example);
    const after = planMutated(example, mutate);
    expect(after.exitCode).not.toBe(2);
    const hit = find(after, code);
    expect(hit, JSON.stringify(after.findings, null, 1)).toBeDefined();
    expect(hit!.severity).toBe(severity);
    expect(hit!.fix ?? '').not.toBe('');
    // The passing case: the unmodified example does not raise it (RF401/RF306 are accepted there).
    const beforeHit = find(before, code);
    if (beforeHit) expect(beforeHit.acceptedBecause).toBeDefined();
    if (severity === 'error') expect(after.exitCode).toBe(1);
  });

  it('RF203 is a warning when the spec grants the bucket to jobs explicitly', () => {
    const plan = planMutated('eks-irsa', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-runner-cache/*'] }));
    expect(find(plan, 'RF203')?.severity).toBe('warning');
    expect(plan.proofs.find((p) => p.runner === 'build' && p.claim.startsWith('jobs cannot reach'))?.holds).toBe(false);
  });

  it('an accepted risk turns its error into a warning that carries the reason', () => {
    const plan = planMutated('eks-irsa', (s) => {
      s.runners[0].jobs.privileged = true;
      s.runners[0].acceptRisks = [{ code: 'RF301', reason: 'docker-in-docker until the BuildKit migration lands' }];
    });
    expect(plan.exitCode).toBe(0);
    expect(find(plan, 'RF301')).toMatchObject({ severity: 'warning', acceptedBecause: 'docker-in-docker until the BuildKit migration lands' });
  });

  it('an accepted risk applies only to its own runner', () => {
    const plan = planMutated('eks-irsa', (s) => {
      s.runners[0].jobs.privileged = true;
      s.runners[1].acceptRisks.push({ code: 'RF301', reason: 'not the runner that is privileged' });
    });
    expect(find(plan, 'RF301')?.severity).toBe('error');
  });

  it('a powerful job role on a locked, protected-only runner is a warning, not RF303', () => {
    const plan = planMutated('eks-irsa', (s) => (s.runners[1].acceptRisks = []));
    expect(codes(plan)).toContain('RF306');
    expect(codes(plan)).not.toContain('RF303');
  });
});

/** Rules only broken documents can trigger: mutate what emit produced, then verify again. */
function reverify(plan: PlanResult, mutate: (docs: EmittedFleet) => void): string[] {
  const docs = structuredClone(plan.emitted!);
  mutate(docs);
  return verifyFleet(intentOf(plan.fleet!), docs).findings.map((f) => f.code);
}

function editPolicy(docs: EmittedFleet, type: 'aws_iam_role' | 'aws_iam_role_policy', key: string, attr: string, edit: (doc: PolicyDocument) => void): void {
  const body = docs.terraformAws!.resource[type]![key]!;
  const doc = JSON.parse(String(body[attr])) as PolicyDocument;
  edit(doc);
  body[attr] = JSON.stringify(doc);
}

const first = (doc: PolicyDocument): Statement => (Array.isArray(doc.Statement) ? doc.Statement[0]! : doc.Statement);
const subKey = (st: Statement) => Object.keys(st.Condition!.StringEquals!).find((k) => k.endsWith(':sub'))!;
const audKey = (st: Statement) => Object.keys(st.Condition!.StringEquals!).find((k) => k.endsWith(':aud'))!;

type DocCase = [code: string, example: string, mutate: (docs: EmittedFleet) => void];

const docCases: DocCase[] = [
  ['RF101', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role', 'build-manager', 'assume_role_policy', (p) => void delete first(p).Condition!.StringEquals![audKey(first(p))])],
  ['RF102', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role', 'build-jobs', 'assume_role_policy', (p) => {
    const st = first(p);
    const k = subKey(st);
    st.Condition = { StringEquals: { [audKey(st)]: 'sts.amazonaws.com' }, StringLike: { [k]: 'system:serviceaccount:ci-build:*' } };
  })],
  ['RF103', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role', 'deploy-jobs', 'assume_role_policy', (p) => {
    const st = first(p);
    st.Condition!.StringEquals![subKey(st)] = ['system:serviceaccount:ci-deploy:deploy-jobs', 'system:serviceaccount:ci-build:build-jobs'];
  })],
  ['RF104', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role', 'build-manager', 'assume_role_policy', (p) => void (first(p).Condition!.StringEquals![subKey(first(p))] = 'system:serviceaccount:ci-build:build-manger'))],
  ['RF104', 'eks-pod-identity', (d) => void delete d.terraformAws!.resource.aws_eks_pod_identity_association!['ci-jobs']],
  ['RF105', 'eks-irsa', (d) => {
    const sa = d.runners.get('build')!.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'build-jobs')!;
    sa.metadata.annotations!['eks.amazonaws.com/role-arn'] = 'arn:aws:iam::123456789012:role/runner-fleet/acme-build-manager';
  }],
  ['RF105', 'eks-pod-identity', (d) => void (d.terraformAws!.resource.aws_eks_pod_identity_association!['ci-jobs']!.role_arn = '${aws_iam_role.ci-manager.arn}')],
  ['RF106', 'eks-irsa', (d) => void ((d.runners.get('build')!.helmValues!.serviceAccount as Record<string, unknown>).name = 'default')],
  ['RF106', 'eks-irsa', (d) => void ((d.runners.get('deploy')!.configToml.runners as Record<string, any>[])[0]!.kubernetes.service_account = 'deploy-manager')],
  ['RF106', 'eks-irsa', (d) => void (d.terraformAws!.resource.aws_iam_role_policy!['build-manager']!.role = '${aws_iam_role.nope.name}')],
  ['RF201', 'eks-irsa', (d) => void delete d.terraformAws!.resource.aws_iam_role_policy!['build-manager']],
  ['RF202', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role_policy', 'build-manager', 'policy', (p) => void (first(p).Resource = 'arn:aws:s3:::acme-runner-cache/*'))],
  ['RF202', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role_policy', 'deploy-manager', 'policy', (p) => void (first(p).Resource = 'arn:aws:s3:::acme-runner-cache/deploy*'))],
  ['RF203', 'eks-irsa', (d) => editPolicy(d, 'aws_iam_role_policy', 'build-jobs', 'policy', (p) => (Array.isArray(p.Statement) ? p.Statement : [p.Statement]).push({ Effect: 'Allow', Action: 's3:*', Resource: '*' }))],
  ['RF204', 'eks-irsa', (d) => void delete d.terraformAws!.resource.aws_s3_bucket_server_side_encryption_configuration],
  ['RF205', 'eks-irsa', (d) => void delete d.terraformAws!.resource.aws_s3_bucket_policy],
  ['RF205', 'eks-irsa', (d) => editPolicy(d, 'aws_s3_bucket_policy' as 'aws_iam_role', 'cache_shared', 'policy', (p) => void (first(p).Condition = { Bool: { 'aws:SecureTransport': 'true' } }))],
  ['RF206', 'eks-irsa', (d) => void delete d.terraformAws!.resource.aws_s3_bucket_lifecycle_configuration],
  ['RF209', 'eks-pod-identity', (d) => editPolicy(d, 'aws_s3_bucket_policy' as 'aws_iam_role', 'cache_cache', 'policy', (p) => void (p.Statement = (p.Statement as Statement[]).filter((st) => st.Sid !== 'DenyOutsideVpcEndpoints')))],
  ['RF209', 'eks-pod-identity', (d) => editPolicy(d, 'aws_s3_bucket_policy' as 'aws_iam_role', 'cache_cache', 'policy', (p) => void ((p.Statement as Statement[]).find((st) => st.Sid === 'DenyOutsideVpcEndpoints')!.Action = 's3:GetObject'))],
  ['RF207', 'eks-irsa', (d) => void (d.terraformAws!.resource.aws_s3_bucket_public_access_block!.cache_shared!.restrict_public_buckets = false)],
  ['RF307', 'eks-irsa', (d) => void (d.runners.get('build')!.manifests.find((o) => o.kind === 'Namespace')!.metadata.labels!['pod-security.kubernetes.io/enforce'] = 'privileged')],
  ['RF307', 'aks-workload-identity', (d) => void delete [...d.runners.values()][0]!.manifests.find((o) => o.kind === 'Namespace')!.metadata.labels!['pod-security.kubernetes.io/enforce']],
  ['RF308', 'eks-irsa', (d) => {
    delete (d.runners.get('deploy')!.helmValues!.securityContext as Record<string, unknown>).seccompProfile;
    delete (d.runners.get('deploy')!.helmValues!.podSecurityContext as Record<string, unknown>).seccompProfile;
  }],
  ['RF308', 'eks-pod-identity', (d) => void (([...d.runners.values()][0]!.helmValues!.securityContext as Record<string, unknown>).allowPrivilegeEscalation = true)],
  ['RF304', 'eks-irsa', (d) => void ((d.runners.get('build')!.configToml.runners as Record<string, any>[])[0]!.cache.s3.SecretKey = 'cache-secret-1')],
];

describe('rules only broken documents can trigger: fail when broken, pass as emitted', () => {
  it.each(docCases)('%s fires on a broken %s', (code, example, mutate) => {
    const plan = planExample(example);
    expect(verifyFleet(intentOf(plan.fleet!), plan.emitted!).findings.filter((f) => f.code === code && !f.acceptedBecause)).toEqual([]);
    expect(reverify(plan, mutate)).toContain(code);
  });
});

describe('S3 cache: VPC endpoint and access logs (opt-in)', () => {
  it('the manager still reaches its prefix through the endpoint, and object access from outside is denied', () => {
    const plan = planExample('eks-pod-identity');
    expect(plan.proofs.filter((p) => p.claim.startsWith('the manager reads and writes')).every((p) => p.holds)).toBe(true);
    const policy = JSON.parse(String(plan.emitted!.terraformAws!.resource.aws_s3_bucket_policy!.cache_cache!.policy)) as PolicyDocument;
    expect((policy.Statement as Statement[]).map((st) => st.Sid)).toEqual(['DenyInsecureTransport', 'DenyOutsideVpcEndpoints']);
    expect(plan.emitted!.terraformAws!.resource.aws_s3_bucket_logging!.cache_cache).toMatchObject({ target_bucket: 'orbit-s3-access-logs', target_prefix: 'orbit-ci-cache/' });
    expect(codes(plan)).not.toContain('RF209');
  });

  it('without the option there is no endpoint condition and no logging', () => {
    const plan = planExample('eks-irsa');
    expect(plan.emitted!.terraformAws!.resource.aws_s3_bucket_policy!.cache_shared!.policy).not.toContain('aws:SourceVpce');
    expect(plan.emitted!.terraformAws!.resource.aws_s3_bucket_logging).toBeUndefined();
  });

  it('a bucket policy that denies even the endpoint breaks the manager proof (RF201): the proof carries the endpoint', () => {
    const plan = planExample('eks-pod-identity');
    const codesAfter = reverify(plan, (d) => editPolicy(d, 'aws_s3_bucket_policy' as 'aws_iam_role', 'cache_cache', 'policy', (p) => void ((p.Statement as Statement[]).find((st) => st.Sid === 'DenyOutsideVpcEndpoints')!.Condition = { StringNotEquals: { 'aws:SourceVpce': 'vpce-0deadbeefdeadbeef' } })));
    expect(codesAfter).toContain('RF201');
  });
});

describe('Pod Security', () => {
  it('job namespaces enforce baseline and audit restricted; the manager pod meets restricted (proven)', () => {
    const plan = planExample('eks-irsa');
    const ns = plan.emitted!.runners.get('build')!.manifests.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'restricted' });
    expect(plan.proofs.filter((p) => p.claim === 'the manager pod meets Pod Security restricted' && p.holds).length).toBe(2);
    expect(plan.proofs.find((p) => p.runner === 'build' && p.claim.startsWith('namespace ci-build enforces Pod Security baseline'))?.holds).toBe(true);
  });

  it('privileged jobs (risk accepted) get enforce privileged with warn/audit baseline, and RF301 says why', () => {
    const plan = planMutated('eks-irsa', (s) => {
      s.runners[0].jobs.privileged = true;
      s.runners[0].acceptRisks = [{ code: 'RF301', reason: 'docker-in-docker until the BuildKit migration lands' }];
    });
    expect(plan.exitCode).toBe(0);
    const ns = plan.emitted!.runners.get('build')!.manifests.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'baseline' });
    expect(find(plan, 'RF301')?.message).toContain('cannot enforce Pod Security baseline');
    expect(codes(plan)).not.toContain('RF307');
  });

  it.each([
    ['meets restricted', {}, {}, []],
    ['root user', { runAsUser: 0 }, {}, ['runAsUser is 0']],
    ['no seccomp profile', { seccompProfile: undefined }, { seccompProfile: undefined }, [`seccompProfile.type is ${showValue(undefined)}, not RuntimeDefault or Localhost`]],
    ['seccomp only on the pod', { seccompProfile: { type: 'RuntimeDefault' } }, { seccompProfile: undefined }, []],
    ['Unconfined seccomp', {}, { seccompProfile: { type: 'Unconfined' } }, ['seccompProfile.type is "Unconfined", not RuntimeDefault or Localhost']],
    ['escalation allowed', {}, { allowPrivilegeEscalation: true }, ['allowPrivilegeEscalation is not false']],
    ['capabilities kept', {}, { capabilities: { drop: ['NET_RAW'] } }, ['capabilities.drop does not include ALL']],
    ['a capability added', {}, { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }, ['capabilities.add holds ["SYS_ADMIN"]']],
    ['non-root not required', { runAsNonRoot: undefined }, { runAsNonRoot: false }, ['runAsNonRoot is not true']],
  ] as const)('restricted check: %s', (_name, pod, container, want) => {
    const base = planExample('eks-irsa').emitted!.runners.get('build')!.helmValues!;
    const p = { ...(base.podSecurityContext as object), ...pod };
    const c = { ...(base.securityContext as object), ...container };
    expect(restrictedViolations(p, c)).toEqual(want);
  });
});

describe('the chart\'s security context defaults (Helm merge) and what clears a violation', () => {
  it('maps merge, null removes, what is given replaces; only the defaults\' own keys are defaults', () => {
    expect(overChartDefaults({ a: 1, m: { x: 1, y: 2 } }, { m: { y: null, z: 3 }, b: 2 })).toEqual({ a: 1, m: { x: 1, z: 3 }, b: 2 });
    expect(overChartDefaults({ a: 1 }, { a: null })).toEqual({});
    expect(Object.keys(overChartDefaults({ a: 1 }, { constructor: undefined, toString: undefined }) as object)).toEqual(['a']);
  });
  it('one table spells the clearing settings for chart values, manifests and the kubernetes provider', () => {
    const v = restrictedViolations({}, { capabilities: { drop: [] } });
    expect(restrictedClears(v, 'chart')).toEqual(['securityContext.runAsNonRoot: true', 'securityContext.allowPrivilegeEscalation: false', 'securityContext.capabilities.drop: [ALL]', 'securityContext.seccompProfile.type: RuntimeDefault']);
    expect(restrictedClears(v, 'api')).toEqual(['runAsNonRoot: true', 'allowPrivilegeEscalation: false', 'capabilities.drop: [ALL]', 'seccompProfile.type: RuntimeDefault']);
    expect(restrictedClears(v, 'provider')).toEqual(['run_as_non_root = true', 'allow_privilege_escalation = false', 'capabilities { drop = ["ALL"] }', 'seccomp_profile { type = "RuntimeDefault" }']);
  });
});

describe('the catalogue', () => {
  it('every code has a test above', () => {
    // Azure and VM rules have their own tables (test/aks.test.ts, vm-verify.test.ts, vm-spec.test.ts).
    const tested = new Set([
      ...specCases.map((c) => c[0]),
      ...docCases.map((c) => c[0]),
      ...azureSpecCases.map((c) => c[0]),
      ...azureDocCases.map((c) => c[0]),
      ...AZURE_OTHER_TESTED,
      ...VM_DOC_CASES.map((c) => c.code),
      ...VM_SPEC_CASES.map((c) => c.code),
      ...DOCTOR_CASES.map((c) => c.code),
      ...CLUSTER_TESTED_CODES,
      ...REACH_TESTED,
      ...ROTATOR_TESTED,
      ...ROTATOR_KUBE_TESTED,
      ...ROTATOR_AKS_TESTED,
      ...KEY_VAULT_TESTED,
      ...AWS_DOCTOR_TESTED,
      ...MODULE_TESTED,
      ...MACHINE_KEY_TESTED,
      ...CREDENTIAL_NOTE_TESTED,
      ...HOST_STATIC_KEY_TESTED,
      ...REGISTER_VERSION_TESTED,
      ...REVIEW_66D_TESTED,
      ...KUSTOMIZE_PATCH_TESTED,
      ...KUSTOMIZE_BUILD_TESTED,
      ...CREDENTIAL_MOUNT_TESTED,
      ...POD_SPEC_TESTED,
      ...NAMESPACE_NAME_TESTED,
      ...azureCorpusCodes(),
      ...doctorCorpusCodes(),
    ]);
    const specErrors = Object.keys(CODES).filter((c) => c.startsWith('RF0'));
    const untested = Object.keys(CODES).filter((c) => !tested.has(c) && !specErrors.includes(c));
    expect(untested).toEqual([]);
  });
});
