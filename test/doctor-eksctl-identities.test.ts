import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * An eksctl ClusterConfig stands for the IAM roles, ServiceAccounts and Pod Identity associations
 * eksctl creates from `iam.serviceAccounts` and `iam.podIdentityAssociations` (the corpus cases
 * eksctl-cluster-config-irsa and eksctl-pod-identity-sound are whole deployments). Before, the
 * doctor read a ClusterConfig only for its node groups: a runner bound that way was "no cloud
 * identity of its own" (RF911) and no proof was made.
 */
const VALUES = {
  gitlabUrl: 'https://gitlab.example.com',
  runners: {
    secret: 'gitlab-runner-token',
    config: '[[runners]]\n  [runners.kubernetes]\n    namespace = "gitlab-runner"\n    image = "alpine:3.20"\n    service_account = "ci-jobs"\n  [runners.cache]\n    Type = "s3"\n    Path = "runner"\n    Shared = true\n    [runners.cache.s3]\n      BucketName = "acme-ci-runner-cache"\n      BucketLocation = "eu-west-1"\n',
  },
  rbac: { create: true, rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec', 'pods/attach', 'pods/log', 'secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] }] },
  serviceAccount: { create: false, name: 'gitlab-runner' },
};
const CACHE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-ci-runner-cache/runner/*' },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-ci-runner-cache', Condition: { StringLike: { 's3:prefix': ['runner/*', 'runner'] } } },
  ],
};
const JOBS_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] };

function files(iam: Record<string, unknown>): InputFile[] {
  const config = { apiVersion: 'eksctl.io/v1alpha5', kind: 'ClusterConfig', metadata: { name: 'ci', region: 'eu-west-1' }, iam };
  return [
    { path: 'cluster.yaml', bytes: Buffer.from(stringify(config)) },
    { path: 'values.yaml', bytes: Buffer.from(stringify(VALUES)) },
  ];
}
const irsa = (name: string, extra: Record<string, unknown>) => ({ metadata: { name, namespace: 'gitlab-runner' }, ...extra });

describe('doctor: identities an eksctl ClusterConfig creates', () => {
  it('iam.serviceAccounts for the manager and the jobs: the chain is proven, every proof holds, no finding; no stand-in account is shown', () => {
    const r = doctor(files({ withOIDC: true, serviceAccounts: [irsa('gitlab-runner', { roleName: 'ci-manager', attachPolicy: CACHE_POLICY }), irsa('ci-jobs', { roleName: 'ci-jobs', attachPolicy: JOBS_POLICY })] }));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(r.proofs.length).toBeGreaterThanOrEqual(4);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('000000000000');
  });

  it('roleOnly: eksctl makes the role but no ServiceAccount, so the jobs\' account is missing among the objects (RF904)', () => {
    const r = doctor(files({ withOIDC: true, serviceAccounts: [irsa('gitlab-runner', { roleName: 'ci-manager', attachPolicy: CACHE_POLICY }), irsa('ci-jobs', { roleName: 'ci-jobs', attachPolicy: JOBS_POLICY, roleOnly: true })] }));
    const missing = r.findings.filter((f) => f.code === 'RF904').map((f) => f.message);
    expect(missing).toContain('role ci-jobs trusts system:serviceaccount:gitlab-runner:ci-jobs, but namespace gitlab-runner has no service account ci-jobs among the objects given');
    expect(r.exitCode).toBe(1);
  });

  it('attachRoleARN binds an existing role: its trust is not in the files (RF903), nothing is taken as proven about it', () => {
    const r = doctor(files({ withOIDC: true, serviceAccounts: [irsa('gitlab-runner', { attachRoleARN: 'arn:aws:iam::111122223333:role/existing-manager' })] }));
    expect(r.findings.some((f) => f.code === 'RF903' && f.message.includes('existing-manager'))).toBe(true);
    expect(r.proofs.filter((p) => p.holds && p.claim.includes('existing-manager')).map((p) => p.claim)).toEqual([]);
  });

  it('iam.podIdentityAssociations with createServiceAccount: the role trusts EKS Pod Identity, the association binds it; the same deployment without the association is not proven', () => {
    const pia = (sa: string, role: string, policy: unknown) => ({ namespace: 'gitlab-runner', serviceAccountName: sa, roleName: role, createServiceAccount: true, permissionPolicy: policy });
    const r = doctor(files({ podIdentityAssociations: [pia('gitlab-runner', 'ci-manager', CACHE_POLICY), pia('ci-jobs', 'ci-jobs', JOBS_POLICY)] }));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([]);
    expect(r.proofs.some((p) => p.claim.includes('can assume the manager role ci-manager'))).toBe(true);
    // Another namespace in the association: values alone do not say where the chart is installed, and
    // the one ServiceAccount of the manager's name (eksctl creates it) is in gitlab, so the manager is
    // read there, its jobs in gitlab-runner (runners.config): the chart's Role is then in gitlab, where
    // the manager cannot create job pods in gitlab-runner (RF935).
    const other = doctor(files({ podIdentityAssociations: [{ ...pia('gitlab-runner', 'ci-manager', CACHE_POLICY), namespace: 'gitlab' }] }));
    expect(other.findings.find((f) => f.code === 'RF935')?.message).toContain("the manager's service account gitlab/gitlab-runner is given a Role only in namespace gitlab");
  });

  it('a permission policy keyed on the session tag EKS Pod Identity adds (aws:PrincipalTag/kubernetes-namespace): granted; with disableSessionTags the pods\' sessions carry none, RF201', () => {
    const keyed = { ...CACHE_POLICY, Statement: CACHE_POLICY.Statement.map((st) => ({ ...st, Condition: { ...st.Condition, StringEquals: { 'aws:PrincipalTag/kubernetes-namespace': 'gitlab-runner' } } })) };
    const pia = (extra: Record<string, unknown>) => ({ namespace: 'gitlab-runner', serviceAccountName: 'gitlab-runner', roleName: 'ci-manager', createServiceAccount: true, permissionPolicy: keyed, ...extra });
    const tagged = doctor(files({ podIdentityAssociations: [pia({})] }));
    expect(tagged.findings.filter((f) => f.code === 'RF201')).toEqual([]);
    expect(tagged.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(true);
    const untagged = doctor(files({ podIdentityAssociations: [pia({ disableSessionTags: true })] }));
    expect(untagged.findings.filter((f) => f.code === 'RF201').map((f) => f.message)).toEqual([expect.stringContaining('role ci-manager cannot s3:GetObject')]);
  });

  it('a policy ARN attached (AmazonS3FullAccess): the manager reaches every prefix (RF202)', () => {
    const r = doctor(files({ withOIDC: true, serviceAccounts: [irsa('gitlab-runner', { roleName: 'ci-manager', attachPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3FullAccess'] })] }));
    expect(r.findings.find((f) => f.code === 'RF202')?.message).toContain('role ci-manager reaches outside runner/');
  });
  it('the eksctl docs example alone (associations for workloads not given): no RF904, a ClusterConfig covers no namespace; an association for a service account missing from a namespace the objects cover is RF904, named as written in the ClusterConfig', () => {
    const config = { apiVersion: 'eksctl.io/v1alpha5', kind: 'ClusterConfig', metadata: { name: 'cluster-39', region: 'us-west-2' }, iam: { podIdentityAssociations: [{ namespace: 'default', serviceAccountName: 's3-reader', roleARN: 'arn:aws:iam::111122223333:role/role-1' }, { namespace: 'dev', serviceAccountName: 'app-cache-access', roleName: 'pod-identity-role-app-cache' }] } };
    const alone = doctor([{ path: 'cluster.yaml', bytes: Buffer.from(stringify(config)) }]);
    expect(alone.findings.filter((f) => f.code === 'RF904')).toEqual([]);
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other', namespace: 'dev' } };
    const r = doctor([{ path: 'cluster.yaml', bytes: Buffer.from(stringify(config)) }, { path: 'sa.yaml', bytes: Buffer.from(stringify(sa)) }]);
    expect(r.findings.filter((f) => f.code === 'RF904').map((f) => f.message)).toEqual(['Pod Identity association iam.podIdentityAssociations[1] of eksctl cluster cluster-39 binds service account dev/app-cache-access, which does not exist among the objects given (namespace dev has other): no pod gets its role through it']);
  });
});
