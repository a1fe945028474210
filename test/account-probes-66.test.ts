import { describe, expect, it } from 'vitest';
import type { PlanResult } from '../src/core.js';
import { planMutated } from './helpers/fleet.js';

/**
 * The security review (66e) found job grants that take over the fleet through EC2, SSM or EKS and
 * raised nothing: a shell on any managed instance (ssm:StartSession), IMDSv1 or a higher hop limit
 * turned back on (ec2:ModifyInstanceMetadataOptions: a Docker runner's job then reaches its host's
 * role), an EKS access entry for the job's own role made cluster-admin (eks:CreateAccessEntry with
 * eks:AssociateAccessPolicy). RF306 now probes them (src/verify/powers.ts ACCOUNT_PROBES).
 */
type Stmt = { actions: string[]; resources: string[] };
const buildWith = (statements: Stmt[]): PlanResult =>
  planMutated('eks-irsa', (s) => {
    s.runners[0].jobs.permissions.aws = statements;
  });
const rf306 = (plan: PlanResult) => plan.findings.filter((f) => f.code === 'RF306' && f.path.startsWith('runners[0]'));

describe('RF306: take-over through EC2, SSM and EKS', () => {
  it.each([
    ['ssm:StartSession on *', ['ssm:StartSession'], 'ssm:StartSession on every instance', 'act as the roles of the instances of the account'],
    ['ec2:ModifyInstanceMetadataOptions on *', ['ec2:ModifyInstanceMetadataOptions'], 'ec2:ModifyInstanceMetadataOptions on every instance', 'act as the roles of the instances of the account'],
    ['an access entry made cluster-admin', ['eks:CreateAccessEntry', 'eks:AssociateAccessPolicy'], 'eks:CreateAccessEntry on every EKS cluster', 'administer the EKS clusters of the account'],
    ['eks:* on *', ['eks:*'], 'eks:CreateAccessEntry on every EKS cluster', 'administer the EKS clusters of the account'],
  ])('%s is RF306', (_, actions, probe, consequence) => {
    const found = rf306(buildWith([{ actions, resources: ['*'] }]));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(probe);
    expect(found[0]!.message).toContain(`whoever can run a job here can ${consequence}`);
  });
  it.each([
    ['an access entry without the policy association', ['eks:CreateAccessEntry']],
    ['the policy association without an entry', ['eks:AssociateAccessPolicy']],
    ['reading metadata options', ['ec2:DescribeInstances']],
    ['sessions on one instance', ['ssm:StartSession'], ['arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0']],
  ])('%s is no RF306', (_, actions, resources = ['*']) => {
    expect(rf306(buildWith([{ actions, resources }]))).toEqual([]);
  });
});
