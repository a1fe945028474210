import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { stringify as toToml } from 'smol-toml';
import { doctor } from '../src/doctor/index.js';
import type { PlanResult } from '../src/core.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { baseDeployment, deploymentFiles, irsaTrust, placeOf } from './helpers/doctor.js';
import { overwriteMatches } from '../src/verify/shared-namespace.js';

/**
 * Runners whose job pods share a namespace share their job identities (RF310): a pod may name any
 * service account of its namespace, so a manager that may create pods there may run them as the
 * other runner's job service account, and hold its IRSA role, Pod Identity role or AKS identity.
 */
const rf310 = (plan: Pick<PlanResult, 'findings'>) => plan.findings.filter((f) => f.code === 'RF310');
const proofOf = (plan: PlanResult, runner: string) => plan.proofs.find((p) => p.runner === runner && /^only .* can assume the jobs /.test(p.claim));

/** eks-irsa with the protected deploy runner moved into the build runner's namespace. */
const irsaShared = (more: (s: Record<string, any>) => void = () => {}) =>
  planMutated('eks-irsa', (s) => {
    s.runners[1].placement.namespace = 'ci-build';
    more(s);
  });

describe('RF310: a manager that may create pods in a namespace holds the job identities of its service accounts', () => {
  it('EKS IRSA: the unprotected build manager can run pods as deploy-jobs; the claim about deploy-jobs no longer holds', () => {
    const plan = irsaShared();
    const found = rf310(plan);
    // Only the protected runner's identity is at stake: build's own jobs (any branch) already hold build's role.
    expect(found.map((f) => [f.path, f.severity])).toEqual([['runners[1].placement.namespace', 'warning']]);
    const m = found[0]!.message;
    for (const part of ['runner deploy shares namespace ci-build with build', 'RoleBinding ci-build/build-executor → Role build-executor', 'whoever controls the manager of runner build', 'build: unprotected refs too', 'its own jobs hold role acme-build-jobs', 'ci-build/deploy-jobs', 'role acme-deploy-jobs', 'runner deploy (locked, protected refs only)', 'through IRSA']) expect(m).toContain(part);
    expect(found[0]!.fix).toContain('runners[0].placement.namespace');
    expect(proofOf(plan, 'deploy')?.holds).toBe(false);
    expect(proofOf(plan, 'build')?.holds).toBe(true);
    expect(plan.exitCode).toBe(0);
  });

  it('EKS Pod Identity: a second runner in the first one’s namespace can take its association’s role', () => {
    const plan = planMutated('eks-pod-identity', (s) => {
      const other = structuredClone(s.runners[0]);
      other.name = 'deploy';
      other.placement.namespace = 'gitlab-runner-ci';
      other.gitlab = { ...other.gitlab, tags: ['deploy'], locked: true, protectedOnly: true };
      other.jobs.permissions = { aws: [{ actions: ['ec2:*'], resources: ['*'] }] };
      s.runners.push(other);
    });
    const found = rf310(plan);
    expect(found.map((f) => f.path)).toEqual(['runners[1].placement.namespace']);
    expect(found[0]!.message).toContain('through EKS Pod Identity');
    expect(found[0]!.message).toContain('gitlab-runner-ci/deploy-jobs');
    expect(proofOf(plan, 'deploy')?.holds).toBe(false);
  });

  it('AKS: the build manager can run pods as the terraform runner’s federated service account', () => {
    const plan = planMutated('aks-workload-identity', (s) => (s.runners[1].placement.namespace = 'ci-build'));
    const found = rf310(plan);
    expect(found.map((f) => f.path)).toEqual(['runners[1].placement.namespace']);
    expect(found[0]!.message).toContain('managed identity contoso-terraform-jobs');
    expect(found[0]!.message).toContain('AKS workload identity');
    expect(proofOf(plan, 'terraform')?.holds).toBe(false);
  });

  it('an overwrite pattern of the other runner that matches the service account lets its jobs take it: an error', () => {
    const plan = irsaShared((s) => (s.runners[0].jobs.serviceAccountOverwriteAllowed = '-jobs$'));
    const found = rf310(plan);
    expect(found.map((f) => f.severity)).toEqual(['error']);
    expect(found[0]!.message).toContain('any job of runner build');
    expect(found[0]!.message).toContain('KUBERNETES_SERVICE_ACCOUNT_OVERWRITE=deploy-jobs');
    expect(found[0]!.fix).toContain('^build-jobs$');
    expect(plan.exitCode).toBe(1);
  });

  it('an overwrite narrowed to the runner’s own service account leaves the manager path only: a warning', () => {
    const plan = irsaShared((s) => (s.runners[0].jobs.serviceAccountOverwriteAllowed = '^build-jobs$'));
    expect(rf310(plan).map((f) => f.severity)).toEqual(['warning']);
    expect(rf310(plan)[0]!.message).not.toContain('any job of');
  });

  it('passing: the examples (runners in namespaces of their own) say nothing and their claims hold', () => {
    for (const name of ['eks-irsa', 'eks-pod-identity', 'aks-workload-identity']) {
      const plan = planExample(name);
      expect(rf310(plan)).toEqual([]);
    }
    expect(proofOf(planExample('eks-irsa'), 'deploy')?.holds).toBe(true);
  });

  it('passing: two runners of the same protection whose job roles hold the same permissions have nothing to take', () => {
    const plan = irsaShared((s) => {
      s.runners[1].gitlab = { ...s.runners[1].gitlab, protectedOnly: false };
      s.runners[1].jobs.permissions = structuredClone(s.runners[0].jobs.permissions);
      s.runners[1].acceptRisks = [];
    });
    expect(rf310(plan)).toEqual([]);
    expect(proofOf(plan, 'deploy')?.holds).toBe(true);
  });

  it('both runners protected with different roles: each manager can take the other’s', () => {
    const plan = irsaShared((s) => (s.runners[0].gitlab = { ...s.runners[0].gitlab, protectedOnly: true }));
    expect(rf310(plan).map((f) => f.path).sort()).toEqual(['runners[0].placement.namespace', 'runners[1].placement.namespace']);
  });

  it('many runners in one namespace: one finding per runner, naming five and counting the rest (not one per pair)', () => {
    const plan = irsaShared((s) => {
      for (let i = 0; i < 10; i++) {
        const r = structuredClone(s.runners[1]);
        r.name = `deploy${i}`;
        r.gitlab = { ...r.gitlab, tags: [`d${i}`] };
        r.jobs.permissions = { aws: [{ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::inputs-${i}/*`] }] };
        s.runners.push(r);
      }
    });
    const found = rf310(plan);
    // Twelve runners, eleven of them protected: each protected one hears of the other eleven once.
    expect(found).toHaveLength(11);
    expect(new Set(found.map((f) => f.path)).size).toBe(11);
    expect(found.find((f) => f.path === 'runners[1].placement.namespace')!.message).toContain('or more');
  });

  it('reads the pattern as gitlab-runner does (Go regexp.MatchString: unanchored; a leading (?i) is a flag)', () => {
    expect(overwriteMatches('jobs', 'deploy-jobs')).toBe(true);
    expect(overwriteMatches('^build-jobs$', 'deploy-jobs')).toBe(false);
    expect(overwriteMatches('(?i)^DEPLOY', 'deploy-jobs')).toBe(true);
  });
});

describe('RF310 in the doctor: two gitlab-runner releases in one namespace', () => {
  /** The hand-wired IRSA deployment, plus a second release (values-deployer.yaml) in namespace gitlab with a powerful job role. */
  function twoReleases() {
    const d = baseDeployment();
    const sa = (name: string, role: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'gitlab', annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::111122223333:role/${role}` } } });
    d.objects.push(
      sa('deployer', 'deployer-manager'),
      sa('deployer-jobs', 'deployer-jobs'),
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'deployer', namespace: 'gitlab' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec', 'pods/attach', 'pods/log', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'deployer', namespace: 'gitlab' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'gitlab' }] },
    );
    d.policies['deployer-manager.trust.json'] = irsaTrust('system:serviceaccount:gitlab:deployer');
    d.policies['deployer-manager.policy.json'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::example-runner-cache/deployer/*' }] };
    d.policies['deployer-jobs.trust.json'] = irsaTrust('system:serviceaccount:gitlab:deployer-jobs');
    d.policies['deployer-jobs.policy.json'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] };
    const toml = { runners: [{ executor: 'kubernetes', kubernetes: { namespace: 'gitlab', image: 'alpine:3.22', service_account: 'deployer-jobs' } }] };
    d.extra['deploy/values-deployer.yaml'] = stringify({ ...d.values, serviceAccount: { create: false, name: 'deployer' }, runners: { secret: 'deployer-token', config: toToml(toml) } });
    return d;
  }

  it('says it for each job identity, at the shared Namespace object, and the claims do not hold', () => {
    const files = deploymentFiles(twoReleases());
    const r = doctor(files);
    const found = rf310(r);
    const k8s = new TextDecoder().decode(files.find((f) => f.path === 'deploy/k8s.yaml')!.bytes);
    const at = placeOf('deploy/k8s.yaml', k8s, 'apiVersion: v1\nkind: Namespace');
    expect(found.map((f) => f.path)).toEqual([at, at]);
    // Neither registration is shown: neither runner is known to be the more protected one.
    expect(found.map((f) => f.message.match(/can run pods as (\S+)/)?.[1]).sort()).toEqual(['gitlab/deployer-jobs', 'gitlab/gitlab-runner-jobs']);
    expect(found[0]!.message).toContain('whose registration is not shown');
    expect(found.every((f) => f.fix?.includes('namespace of its own'))).toBe(true);
    expect(r.proofs.filter((p) => /can assume the jobs role/.test(p.claim)).map((p) => p.holds)).toEqual([false, false]);
  });

  it('passing: the one-release deployment says nothing', () => {
    expect(rf310(doctor(deploymentFiles(baseDeployment())))).toEqual([]);
  });
});
