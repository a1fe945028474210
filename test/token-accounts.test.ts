import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * The token proofs of VM runners of two roots in two accounts: each role is asked as a role of its
 * own account (a runner's identities by their ARN, another role by the account of the runners whose
 * parameters its provider makes), and reads the token parameters of that account only (a parameter
 * of another account is read only where it is shared through AWS RAM); each parameter is encrypted
 * with its own key_id's key (none: aws/ssm), not the key of the cluster's first runner.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const READER = join(CORPUS, 'two-roots-different-accounts-ec2-docker-staging-key-policy-reader');
const MANAGED = join(CORPUS, 'two-roots-different-accounts-ec2-docker-staging-aws-managed-key');
const readers = (r: DoctorResult, runner: string) => r.proofs.find((p) => p.runner === runner && p.claim.startsWith('only the manager can read'));
const codes = (r: DoctorResult) => r.findings.map((f) => `${f.code} ${f.path}`);

/** The doctor over a corpus case with one of its files edited (each replacement must apply). */
function edited(dir: string, path: string, ...edits: [string, string][]): DoctorResult {
  return doctor(corpusFiles(dir).map((f) => {
    if (f.path !== path) return f;
    let text = f.bytes.toString();
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`${dir}/${path} has no ${JSON.stringify(from)} to replace`);
      text = text.replace(from, to);
    }
    return { ...f, bytes: Buffer.from(text) };
  }));
}

describe('doctor: token readers of two roots in two accounts', () => {
  it('staging\'s key policy grants staging\'s ID-token role by its ARN in staging\'s account: RF721 (before: proven, the role asked in prod\'s account)', () => {
    const r = doctor(corpusFiles(READER));
    expect(codes(r)).toEqual(['RF721 staging/main.tf:88:24']);
    expect(r.findings[0]!.message).toContain('the ID-token role gitlab-deploy-staging (staging/aws_iam_role.deploy) can read the token of runner docker-stg');
    expect(readers(r, 'docker-stg')?.holds).toBe(false);
    expect(readers(r, 'docker-ci')?.holds).toBe(true);
  });

  it('the key policy\'s grant names a role of that name in prod\'s account, another role: no reader, proven (before: a false RF721, the staging role asked as prod\'s)', () => {
    const r = edited(READER, 'staging/main.tf', ['"arn:aws:iam::222222222222:role/gitlab-deploy-staging" }', '"arn:aws:iam::111111111111:role/gitlab-deploy-staging" }']);
    expect(r.findings).toEqual([]);
    expect(readers(r, 'docker-stg')?.holds).toBe(true);
  });

  it('staging\'s parameter names no key (aws/ssm), prod\'s ID-token role reads "*": sound, no RF106 with prod\'s key and no reader across accounts (before: RF106)', () => {
    const r = doctor(corpusFiles(MANAGED));
    expect(r.findings).toEqual([]);
    expect(r.proofs.filter((p) => p.runner === 'docker-stg').every((p) => p.holds)).toBe(true);
    expect(r.proofs.find((p) => p.runner === 'docker-stg' && p.claim.startsWith('the manager reads'))?.claim).toBe('the manager reads its token parameter /ci/docker-stg/token and no other runner\'s');
  });

  it('staging\'s own ID-token role reads "*" on its aws/ssm parameter: RF721 (before: missed, the parameter taken to use prod\'s key)', () => {
    const r = edited(MANAGED, 'staging/main.tf', ['Statement = [{ Effect = "Allow", Action = "ecs:UpdateService", Resource = "*" }]', 'Statement = [{ Effect = "Allow", Action = ["ecs:UpdateService", "ssm:GetParameter"], Resource = "*" }]']);
    expect(r.findings.map((f) => `${f.code} ${f.path} ${f.message.slice(0, 80)}`)).toEqual(['RF721 staging/main.tf:83:24 the ID-token role gitlab-deploy-staging (staging/aws_iam_role.deploy) can read t']);
    expect(readers(r, 'docker-stg')?.holds).toBe(false);
    expect(readers(r, 'docker-ci')?.holds).toBe(true);
  });
});

describe('doctor: deploy targets of runners of two roots in two accounts', () => {
  const SAME = join(CORPUS, 'two-roots-different-accounts-fargate-staging-deploy-same-account');
  const PROD = join(CORPUS, 'two-roots-different-accounts-fargate-staging-jobs-deploy-prod');
  const TARGET = /^only job role gitlab-ci-stg-job-task can assume deploy target /;

  it('a staging role trusted by staging\'s job role (one account): no deploy target, no cross-account finding (before: RF110, RF111, RF116, RF909)', () => {
    const r = doctor(corpusFiles(SAME));
    expect(r.findings).toEqual([]);
    expect(r.proofs.some((p) => TARGET.test(p.claim))).toBe(false);
  });

  it('a prod role trusted by staging\'s job role: a deploy target of staging\'s runner, RF111 and RF116 (before: no target, only RF909)', () => {
    const r = doctor(corpusFiles(PROD));
    expect(codes(r).filter((c) => c.startsWith('RF11'))).toEqual(['RF111 prod/main.tf:319:24', 'RF116 prod/main.tf:319:24']);
    expect(r.proofs.find((p) => TARGET.test(p.claim))?.holds).toBe(false);
  });

  it('the same with an External ID in the trust and the grant in staging\'s job role: the target proof holds (before: not made)', () => {
    const files = corpusFiles(PROD).map((f) => {
      if (f.path === 'prod/main.tf') return { ...f, bytes: Buffer.from(f.bytes.toString().replace('Action = "sts:AssumeRole" }]\n  })\n}\n', 'Action = "sts:AssumeRole", Condition = { StringEquals = { "sts:ExternalId" = "acme-staging-deploy" } } }]\n  })\n}\n')) };
      if (f.path === 'staging/main.tf') return { ...f, bytes: Buffer.from(f.bytes.toString().replace('      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },\n', '      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },\n      { Effect = "Allow", Action = "sts:AssumeRole", Resource = "arn:aws:iam::111111111111:role/prod-deploy-from-staging" },\n')) };
      return f;
    });
    const r = doctor(files);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.find((p) => TARGET.test(p.claim))?.holds).toBe(true);
    expect(r.proofs.find((p) => p.claim.startsWith('job role gitlab-ci-stg-job-task may assume its 1 deploy target'))?.holds).toBe(true);
  });
});
