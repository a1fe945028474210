import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanResult } from '../src/core.js';
import { doctor } from '../src/doctor/index.js';
import { planMutated } from './helpers/fleet.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * Stop 66 (helper b): grants that hand whoever runs a job the account's secrets or the roles of its
 * instances are RF306 like escalation is, probed with the IAM evaluator on stand-in resources (a
 * grant on `*`, on every secret's ARN pattern, through a wildcard action or a NotAction is as wide);
 * a deploy target role gets the same probes in its own account; an action that names nothing in a
 * service the catalogue covers is RF312, with the nearest name.
 */

type Stmt = { actions: string[]; resources: string[]; sid?: string };
const BUILD = 0;

/** eks-irsa's build runner (unprotected branches, no accepted risks) with its job permissions replaced. */
function buildWith(statements: Stmt[]): PlanResult {
  return planMutated('eks-irsa', (s) => {
    s.runners[BUILD].jobs.permissions.aws = statements;
  });
}

const at = (plan: PlanResult, code: string, prefix = `runners[${BUILD}]`) => plan.findings.filter((f) => f.code === code && f.path.startsWith(prefix));

describe('RF306: jobs that may read every secret, decrypt with every key, or act as any instance', () => {
  it.each([
    ['secretsmanager:GetSecretValue on *', { actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }, 'secretsmanager:GetSecretValue on every secret', 'read the secrets of the account'],
    ['secretsmanager:Get* on every secret ARN', { actions: ['secretsmanager:Get*'], resources: ['arn:aws:secretsmanager:*:*:secret:*'] }, 'secretsmanager:GetSecretValue on every secret', 'read the secrets of the account'],
    ['kms:Decrypt on *', { actions: ['kms:Decrypt'], resources: ['*'] }, 'kms:Decrypt on every KMS key', 'read the secrets of the account'],
    ['ssm:GetParameter on every parameter of the region', { actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/*'] }, 'ssm:GetParameter on every SSM parameter', 'read the secrets of the account'],
    ['ec2:* on *', { actions: ['ec2:*'], resources: ['*'] }, 'ec2:ModifyInstanceAttribute on every instance', "act as the roles of the instances of the account"],
    ['ssm:SendCommand on *', { actions: ['ssm:SendCommand'], resources: ['*'] }, 'ssm:SendCommand on every instance', "act as the roles of the instances of the account"],
  ])('%s is RF306 (and RF303: the runner takes unprotected jobs)', (_, statement, probe, consequence) => {
    const plan = buildWith([statement]);
    const rf306 = at(plan, 'RF306');
    expect(rf306).toHaveLength(1);
    expect(rf306[0]!.path).toBe('runners[0].jobs.permissions.aws');
    expect(rf306[0]!.message).toContain(probe);
    expect(rf306[0]!.message).toContain(`whoever can run a job here can ${consequence}`);
    expect(rf306[0]!.message).not.toContain('escalate');
    expect(at(plan, 'RF303')).toHaveLength(1);
  });

  it.each([
    ['the secrets the jobs read', { actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:eu-central-1:123456789012:secret:acme/build/*'] }],
    ['the key of one bucket', { actions: ['kms:Decrypt'], resources: ['arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'] }],
    ['parameters under a path', { actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/acme/build/*'] }],
    ['ec2:Describe* on *', { actions: ['ec2:Describe*'], resources: ['*'] }],
    ['the secrets of another region', { actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:us-west-2:123456789012:secret:*'] }],
  ])('%s is no RF306', (_, statement) => {
    expect(at(buildWith([statement]), 'RF306')).toEqual([]);
  });

  it('escalation and reach together say both', () => {
    const rf306 = at(buildWith([{ actions: ['iam:PassRole', 'secretsmanager:GetSecretValue'], resources: ['*'] }]), 'RF306');
    expect(rf306[0]!.message).toContain('job role acme-build-jobs can iam:PassRole, secretsmanager:GetSecretValue on every secret: whoever can run a job here can escalate in the account and read the secrets of the account');
  });
});

describe('RF306 for a deploy target role, in its own account', () => {
  const target = (permissions: Stmt[]) =>
    planMutated('cross-account-deploy', (s) => {
      s.runners[1].jobs.deployTargets[0].permissions = permissions;
    });

  it('iam:* in the target account is RF306 at the target, not only RF116', () => {
    const plan = target([{ actions: ['iam:*'], resources: ['*'] }]);
    const rf306 = at(plan, 'RF306', 'runners[1].jobs.deployTargets[0]');
    expect(rf306).toHaveLength(1);
    expect(rf306[0]!.message).toContain('deploy target role 222222222222:shop-deploy-staging-deploy can iam:CreateRole');
    expect(rf306[0]!.message).toContain('whoever can run a job of runner deploy can escalate in account 222222222222');
  });

  it('secretsmanager:GetSecretValue on every secret of the target account is RF306 there', () => {
    const rf306 = at(target([{ actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:*:222222222222:secret:*'] }]), 'RF306', 'runners[1].jobs.deployTargets[0]');
    expect(rf306.map((f) => f.message)).toEqual([expect.stringContaining('can secretsmanager:GetSecretValue on every secret: whoever can run a job of runner deploy can read the secrets of account 222222222222')]);
  });

  it('the example as written has none (its targets describe and update ECS services)', () => {
    expect(at(target([{ actions: ['ecs:Describe*', 'ecs:UpdateService'], resources: ['*'] }]), 'RF306', 'runners[1]')).toEqual([]);
  });

  it('a misspelled action of a target is RF312 at its permissions', () => {
    const plan = target([{ actions: ['ecs:UpdateSevrice'], resources: ['*'] }]);
    expect(at(plan, 'RF312', 'runners[1].jobs.deployTargets[0]').map((f) => [f.path, f.message])).toEqual([
      ['runners[1].jobs.deployTargets[0].permissions', expect.stringContaining('ecs:UpdateSevrice is no action of ecs')],
    ]);
  });
});

describe('RF312: actions that name nothing', () => {
  it('a misspelled action, at its spec path, with the nearest name', () => {
    const plan = buildWith([
      { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
      { actions: ['s3:PutObject', 's3:GetObjcet'], resources: ['arn:aws:s3:::acme-artifacts/*'] },
    ]);
    const rf310 = at(plan, 'RF312');
    expect(rf310.map((f) => f.path)).toEqual(['runners[0].jobs.permissions.aws[1].actions[1]']);
    expect(rf310[0]!.severity).toBe('warning');
    expect(rf310[0]!.message).toContain('s3:GetObjcet is no action of s3');
    expect(rf310[0]!.message).toContain('did you mean s3:GetObject?');
    expect(rf310[0]!.fix).toBe('write s3:GetObject');
    expect(plan.exitCode).toBe(0);
  });

  it('an action written in another case is the same action (IAM action names are case-insensitive)', () => {
    expect(at(buildWith([{ actions: ['s3:getobject', 'ecr:getauthorizationTOKEN'], resources: ['*'] }]), 'RF312')).toEqual([]);
  });

  it('a wildcard that matches no action, with the nearest prefix', () => {
    const rf310 = at(buildWith([{ actions: ['s3:Gte*'], resources: ['*'] }]), 'RF312');
    expect(rf310.map((f) => f.path)).toEqual(['runners[0].jobs.permissions.aws[0].actions[0]']);
    expect(rf310[0]!.message).toContain('the wildcard s3:Gte* matches no action of s3');
    expect(rf310[0]!.message).toContain('did you mean s3:Get*?');
  });

  it('a wildcard that matches actions is silent', () => {
    expect(at(buildWith([{ actions: ['s3:Get*', 'ec2:Describe*', 'sts:Get?allerIdentity'], resources: ['*'] }]), 'RF312')).toEqual([]);
  });

  it('a service the catalogue does not cover is silent, whatever the name', () => {
    expect(at(buildWith([{ actions: ['rds:DescribeDBInstancez', 'codebuild:StartBiuld'], resources: ['*'] }]), 'RF312')).toEqual([]);
  });

  it('every action of every example is in the catalogue where its service is covered (no RF312 on the examples)', () => {
    for (const name of ['eks-irsa', 'cross-account-deploy', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm', 'id-tokens-vm']) {
      expect(planMutated(name, () => {}).findings.filter((f) => f.code === 'RF312')).toEqual([]);
    }
  });

  it('can be accepted as a risk (a new action the catalogue does not list yet)', () => {
    const plan = planMutated('eks-irsa', (s) => {
      s.runners[BUILD].jobs.permissions.aws = [{ actions: ['s3:GetObjcet'], resources: ['*'] }];
      s.runners[BUILD].acceptRisks = [{ code: 'RF312', reason: 'a new action' }];
    });
    expect(at(plan, 'RF312')[0]!.acceptedBecause).toBe('a new action');
  });
});

describe('doctor: the same probes and catalogue on a Terraform deployment', () => {
  const SOUND = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-irsa-sound'));
  const withPolicy = (statement: string) => {
    const policy = `resource "aws_iam_role_policy" "jobs_extra" {
  name   = "extra"
  role   = aws_iam_role.jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [${statement}] })
}

`;
    return corpusFiles(SOUND).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(readFileSync(join(SOUND, 'main.tf'), 'utf8').replace('resource "kubernetes_service_account_v1" "manager" {', `${policy}resource "kubernetes_service_account_v1" "manager" {`)) } : f));
  };

  it('a misspelled action in a job policy is RF312 at that policy', () => {
    const r = doctor(withPolicy('{ Effect = "Allow", Action = ["s3:GetObjcet"], Resource = "arn:aws:s3:::artifacts/*" }'));
    const rf310 = r.findings.filter((f) => f.code === 'RF312');
    expect(rf310.map((f) => f.path)).toEqual(['main.tf:61:1']);
    expect(rf310[0]!.message).toContain('s3:GetObjcet is no action of s3');
    expect(rf310[0]!.message).toContain('did you mean s3:GetObject?');
  });

  it('a NotAction statement on * reaches every secret: RF306', () => {
    const r = doctor(withPolicy('{ Effect = "Allow", NotAction = ["iam:*", "sts:*", "organizations:*", "lambda:*", "glue:*"], Resource = "*" }'));
    const rf306 = r.findings.filter((f) => f.code === 'RF306');
    expect(rf306).toHaveLength(1);
    expect(rf306[0]!.message).toContain('secretsmanager:GetSecretValue on every secret');
    expect(rf306[0]!.message).not.toContain('iam:');
  });

  it('the sound deployment has neither (guard)', () => {
    const r = doctor(corpusFiles(SOUND));
    expect(r.findings.filter((f) => f.code === 'RF312' || f.code === 'RF306')).toEqual([]);
  });
});
