import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * The manager's and the jobs' roles named in the chart's service accounts by reference
 * (`eks.amazonaws.com/role-arn = aws_iam_role.manager.arn`): the job powers are probed at the ARN
 * the manager role gets, so a job policy naming that role by reference or by its literal ARN is
 * caught as it is with Resource "*". Before, the probes used the reference text as the ARN and
 * found nothing.
 */
const SOUND = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-irsa-sound'));

function withTakeover(resource: string) {
  const policy = `resource "aws_iam_role_policy" "jobs_takeover" {
  name   = "takeover"
  role   = aws_iam_role.jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:UpdateAssumeRolePolicy", Resource = ${resource} }] })
}

`;
  return corpusFiles(SOUND).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(readFileSync(join(SOUND, 'main.tf'), 'utf8').replace('resource "kubernetes_service_account_v1" "manager" {', `${policy}resource "kubernetes_service_account_v1" "manager" {`)) } : f));
}

describe('doctor: job powers over a manager role named by reference', () => {
  it.each([
    ['by reference', 'aws_iam_role.manager.arn'],
    ['by its literal ARN', '"arn:aws:iam::111122223333:role/gitlab-runner-manager"'],
    ['on every resource', '"*"'],
  ])('a job policy that may rewrite the manager trust, %s, is RF105 at that policy', (_, resource) => {
    const r = doctor(withTakeover(resource));
    const takeover = r.findings.filter((f) => f.code === 'RF105');
    expect(takeover.map((f) => f.path)).toEqual(['main.tf:61:1']);
    expect(takeover[0]!.message).toContain('job role gitlab-runner-jobs may rewrite the trust of manager role gitlab-runner-manager (iam:UpdateAssumeRolePolicy)');
    expect(r.findings.filter((f) => f.code === 'RF306').map((f) => f.message)).toHaveLength(1);
  });

  it('the sound deployment has no such finding (guard)', () => {
    const r = doctor(corpusFiles(SOUND));
    expect(r.findings.filter((f) => f.code === 'RF105' || f.code === 'RF306')).toEqual([]);
  });
});
