import { describe, expect, it } from 'vitest';
import { planText, type PlanResult } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { planMutated } from './helpers/fleet.js';

/**
 * Job roles that can escalate: the well-known IAM privilege-escalation actions on `*`, and powers
 * over the fleet's own sensitive resources (the runner's manager role, the roles under the fleet's
 * role path, the cache bucket's access control) must raise RF306 (and RF303 on a runner that takes
 * unprotected jobs); a job role that can take over its manager refutes "the job identity is not the
 * manager identity" (RF105), and one that can rewrite the cache bucket's policy refutes "jobs
 * cannot reach cache" (RF203).
 */

// Two runners on one EKS cluster sharing an S3 cache; the build runner (unprotected branches) may
// rewrite its manager role's trust and the cache bucket's policy.
const SPEC = `
apiVersion: runner-fleet/v1alpha1
kind: Fleet
metadata:
  name: acme
gitlab:
  url: https://gitlab.com
aws:
  accountId: "123456789012"
  region: eu-central-1
clusters:
  - name: devops
    type: eks
    oidcIssuer: https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE
    identity: irsa
caches:
  - name: shared
    type: s3
    bucket: acme-runner-cache
    expireAfterDays: 14
runners:
  - name: build
    placement: { cluster: devops, namespace: ci-build }
    gitlab:
      group: acme/platform
      tags: [k8s, build]
      locked: true
      protectedOnly: false
    cache: { name: shared, shared: true }
    jobs:
      image: ubuntu:24.04
      permissions:
        aws:
          - actions: ["ecr:GetAuthorizationToken"]
            resources: ["*"]
          - actions: ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]
            resources: ["arn:aws:s3:::acme-runner-cache"]
          - actions: ["iam:UpdateAssumeRolePolicy"]
            resources: ["arn:aws:iam::123456789012:role/runner-fleet/acme-build-manager"]
  - name: deploy
    placement: { cluster: devops, namespace: ci-deploy }
    gitlab:
      group: acme/infrastructure
      tags: [k8s, deploy]
      locked: true
      protectedOnly: true
    cache: { name: shared, shared: false }
    jobs:
      image: hashicorp/terraform:1.11
      permissions:
        aws:
          - actions: ["ec2:*", "iam:PassRole", "iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy"]
            resources: ["*"]
    acceptRisks:
      - code: RF306
        reason: deploy jobs create roles for the services they ship; only protected refs reach this runner
`;

const of = (plan: PlanResult, code: string, runner = 0) => plan.findings.filter((f) => f.code === code && f.path.startsWith(`runners[${runner}]`));
const proof = (plan: PlanResult, runner: string, claim: string) => plan.proofs.find((p) => p.runner === runner && p.claim.startsWith(claim));

describe('job roles with powers over the fleet\'s own manager role and cache', () => {
  const plan = planText(SPEC, 'inline.yaml');

  it('jobs that may rewrite the manager trust become the manager: RF105, RF306, RF303, the identity proof fails', () => {
    expect(plan.exitCode).toBe(1);
    expect(of(plan, 'RF306')[0]?.message).toContain('iam:UpdateAssumeRolePolicy on manager role acme-build-manager');
    expect(of(plan, 'RF303')[0]?.severity).toBe('error');
    expect(of(plan, 'RF105')[0]?.message).toMatch(/rewrite the trust of manager role acme-build-manager/);
    expect(proof(plan, 'build', 'the job identity is not the manager identity')?.holds).toBe(false);
    // iam:PassRole on * does not make the deploy jobs their manager: its IRSA trust admits no service.
    expect(of(plan, 'RF105', 1)).toEqual([]);
    expect(proof(plan, 'deploy', 'the job identity is not the manager identity')?.holds).toBe(true);
    expect(proof(plan, 'deploy', 'jobs cannot reach cache shared')?.holds).toBe(true);
    // Actions already allowed on * are named once.
    expect(of(plan, 'RF306', 1)[0]?.message).toBe("job role acme-deploy-jobs can iam:CreateRole, iam:PutRolePolicy, iam:PassRole, ec2:ModifyInstanceAttribute on every instance (its user data runs with the instance's role), ec2:ModifyInstanceMetadataOptions on every instance (IMDSv1 or a higher hop limit lets its containers reach the instance's role): whoever can run a job here can escalate in the account and act as the roles of the instances of the account");
  });

  it('jobs that may rewrite the cache bucket policy can reach the cache: RF306 and RF203, the cache proof fails', () => {
    expect(of(plan, 'RF306')[0]?.message).toMatch(/s3:PutBucketPolicy on cache shared.*s3:DeleteBucketPolicy on cache shared/);
    expect(of(plan, 'RF203')[0]?.message).toContain('s3:PutBucketPolicy');
    expect(proof(plan, 'build', 'jobs cannot reach cache shared')?.holds).toBe(false);
  });
});

describe('the well-known IAM privilege-escalation actions on *', () => {
  const ACTIONS = [
    'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:PutUserPolicy', 'iam:AddUserToGroup', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
    'iam:DeleteRolePermissionsBoundary', 'iam:PutRolePermissionsBoundary', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy', 'iam:PutGroupPolicy', 'lambda:UpdateFunctionCode',
  ];
  it.each(ACTIONS)('%s on * raises RF306 and RF303 on a runner taking unprotected jobs', (action) => {
    const plan = planMutated('eks-irsa', (s) => (s.runners[0].jobs.permissions.aws = [{ actions: [action], resources: ['*'] }]));
    expect(of(plan, 'RF306')[0]?.message).toContain(action);
    expect(of(plan, 'RF303')[0]?.message).toContain(action);
    expect(plan.exitCode).toBe(1);
  });
});

describe('powers over the roles under the fleet\'s role path', () => {
  it('iam:AttachRolePolicy on role/runner-fleet/acme-* raises RF306 and RF303', () => {
    const plan = planMutated('eks-irsa', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['iam:AttachRolePolicy'], resources: ['arn:aws:iam::123456789012:role/runner-fleet/acme-*'] }));
    expect(of(plan, 'RF306')[0]?.message).toContain('iam:AttachRolePolicy on manager role acme-build-manager, iam:AttachRolePolicy on the roles under role/runner-fleet/');
    expect(of(plan, 'RF303')).toHaveLength(1);
  });

  it('iam:PutRolePolicy on the manager role alone grows the manager (RF306) but does not make the jobs the manager', () => {
    const plan = planMutated('eks-irsa', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['iam:PutRolePolicy'], resources: ['arn:aws:iam::123456789012:role/runner-fleet/acme-build-manager'] }));
    expect(of(plan, 'RF306')[0]?.message).toContain('iam:PutRolePolicy on manager role acme-build-manager');
    expect(of(plan, 'RF105')).toEqual([]);
  });
});

describe('assuming or passing the manager role', () => {
  it('sts:AssumeRole of the manager role counts only where the manager trust admits the job role', () => {
    const grant = (s: Record<string, any>) => s.runners[0].jobs.permissions.aws.push({ actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::123456789012:role/runner-fleet/acme-build-manager'] });
    const plan = planMutated('eks-irsa', grant);
    expect(of(plan, 'RF105')).toEqual([]);
    expect(of(plan, 'RF306')).toEqual([]);
    // The manager trust also admits the job role: the jobs can become the manager.
    const docs = structuredClone(plan.emitted!);
    const role = docs.terraformAws!.resource.aws_iam_role!['build-manager']!;
    const trust = JSON.parse(String(role.assume_role_policy)) as PolicyDocument;
    (trust.Statement as Statement[]).push({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/runner-fleet/acme-build-jobs' }, Action: 'sts:AssumeRole' });
    role.assume_role_policy = JSON.stringify(trust);
    const v = verifyFleet(intentOf(plan.fleet!), docs);
    expect(v.findings.find((f) => f.code === 'RF105' && f.path.startsWith('runners[0]'))?.message).toMatch(/admits job role acme-build-jobs|the manager trust names arn:aws:iam::123456789012:role\/runner-fleet\/acme-build-jobs/);
    expect(v.proofs.find((p) => p.runner === 'build' && p.claim === 'the job identity is not the manager identity')?.holds).toBe(false);
  });

  it('iam:PassRole of a VM manager role (its trust admits an AWS service) makes the jobs the manager', () => {
    const plan = planMutated('ecs-fargate', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['iam:PassRole'], resources: [`arn:aws:iam::123456789012:role/runner-fleet/*`] }));
    const rf105 = of(plan, 'RF105');
    expect(rf105[0]?.message, JSON.stringify(plan.findings)).toMatch(/may pass manager role acme-fargate-manager \(iam:PassRole\) to [a-z0-9-]+\.amazonaws\.com/);
    expect(plan.proofs.find((p) => p.claim === 'the job identity is not the manager identity')?.holds).toBe(false);
    expect(plan.exitCode).toBe(1);
  });
});
