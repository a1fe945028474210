import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * The doctor on a hand-written ECS Fargate runner (test/doctor/corpus/ecs-fargate-hand-written,
 * written from GitLab's Fargate driver docs): one EC2 manager running the driver, a task definition
 * with a task role, policies that name data.aws_caller_identity and the cluster's ARN. Each case is
 * one thing the doctor got wrong there: a false finding, or one worded in plan's terms.
 */
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'ecs-fargate-hand-written');
const MAIN = readFileSync(join(DIR, 'main.tf'), 'utf8');

function run(edit: (text: string) => string = (t) => t) {
  const text = edit(MAIN);
  return doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(text) }]);
}
const replace = (from: string, to: string) => (t: string) => {
  expect(t).toContain(from);
  return t.replace(from, to);
};
const proof = (r: ReturnType<typeof doctor>, start: string) => r.proofs.find((p) => p.claim.startsWith(start))?.holds;
const allText = (r: ReturnType<typeof doctor>) => [...r.findings.flatMap((f) => [f.message, f.fix ?? '', f.allowed ?? '']), ...r.proofs.map((p) => p.claim)].join('\n');

/** The manager policy with the job roles and the token parameter named literally (in this account): every policy of the manager is then readable. */
const literalPassRole = (t: string) =>
  replace('Resource = aws_ssm_parameter.token.arn', 'Resource = "arn:aws:ssm:eu-west-1:${local.account_id}:parameter/gitlab-runner/fargate/token"')(
    replace('Resource = [aws_iam_role.job_task.arn, aws_iam_role.task_execution.arn]', 'Resource = ["arn:aws:iam::${local.account_id}:role/gitlab-ci-job-task", "arn:aws:iam::${local.account_id}:role/gitlab-ci-task-execution"]')(t),
  );

describe('doctor on a hand-written ECS Fargate runner', () => {
  it('an account no document names is never shown as the stand-in 000000000000, in claims, messages or fixes', () => {
    for (const r of [run(), run(literalPassRole)]) {
      expect(allText(r)).not.toContain('000000000000');
      expect(allText(r)).toMatch(/an account the documents do not show|<account id>/);
    }
  });

  it('a manager policy the doctor cannot read: whether it grants RunTask, StopTask, PassRole or the token is not shown (RF903), never "cannot" (RF106)', () => {
    const r = run();
    expect(r.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    const notShown = r.findings.find((f) => f.code === 'RF903' && /ecs:RunTask/.test(f.message));
    expect(notShown?.message).toMatch(/whether the manager role gitlab-runner-fargate-manager can ecs:RunTask .* is not shown: the inline policy aws_iam_role_policy\.manager_ecs is not in the documents as a readable policy/);
    expect(proof(r, 'the manager runs tasks only of family')).toBe(false);
    // Without AmazonSSMManagedInstanceCore the token grant is only in that policy: not shown either.
    const noSsm = run(replace('resource "aws_iam_role_policy_attachment" "manager_ssm" {\n  role       = aws_iam_role.manager.name\n  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"\n}\n', ''));
    expect(noSsm.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(noSsm.findings.some((f) => f.code === 'RF903' && /can read its token parameter \/gitlab-runner\/fargate\/token is not shown/.test(f.message))).toBe(true);
    expect(proof(noSsm, 'the manager reads its token parameter')).toBe(false);
  });

  it("data.aws_caller_identity and an ECS cluster's ARN are this deployment's own account; a policy naming another account keeps it another", () => {
    const r = run();
    expect(r.findings.filter((f) => f.code === 'RF906' && /aws_caller_identity|aws_ecs_cluster/.test(f.message))).toEqual([]);
    // The task role's policy (ECR push to acme/*) is read: no role can read the token parameter but the manager.
    expect(proof(r, 'only the manager can read the token parameter')).toBe(true);
    // Every policy readable: RunTask scoped by the resolved cluster ARN, StopTask by ecs:cluster, PassRole to this account's roles.
    const literal = run(literalPassRole);
    expect(literal.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(proof(literal, 'the manager reads and writes fargate/')).toBe(true);
    // What is left is true: any task family in the cluster (jobs may set FARGATE_TASK_DEFINITION), PassRole to any service.
    expect(literal.findings.find((f) => f.code === 'RF714')?.message).toMatch(/ecs:RunTask on arn:aws:ecs:eu-west-1:<account id>:task-definition\/another-family:1 .*iam:PassRole on arn:aws:iam::<account id>:role\/gitlab-ci-job-task \{"iam:PassedToService":"ec2\.amazonaws\.com"\}/);
    // An explicit other account named first in a policy does not become this deployment's account.
    const other = run((t) => literalPassRole(t).replace('Statement = [\n      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"]', 'Statement = [\n      { Effect = "Allow", Action = ["ecr:BatchGetImage"], Resource = "arn:aws:ecr:eu-west-1:111111111111:repository/shared/base" },\n      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"]'));
    expect(other.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(other.proofs.some((p) => /account 111111111111/.test(p.claim))).toBe(false);
    expect(proof(other, 'only vm:instance-profile gitlab-runner-fargate-manager (ec2.amazonaws.com, an account the documents do not show)')).toBe(true);
  });

  it('a task role trusting ecs-tasks.amazonaws.com of any account: RF722 (a warning) in ECS terms, not RF103 with a namespace fix', () => {
    const r = run();
    expect(r.findings.filter((f) => f.code === 'RF103')).toEqual([]);
    const f = r.findings.find((x) => x.code === 'RF722');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toMatch(/jobs role gitlab-ci-job-task trusts ecs-tasks\.amazonaws\.com with no aws:SourceAccount or aws:SourceArn condition/);
    expect(f?.fix).toMatch(/"aws:SourceAccount" = .*"aws:SourceArn" = "arn:aws:ecs:eu-west-1:/);
    expect(f?.fix).not.toMatch(/namespace|service account/);
    // Pinned to the account, as AWS recommends: no finding, and the proof holds.
    const pinned = run(replace('      identifiers = ["ecs-tasks.amazonaws.com"]\n    }\n', '      identifiers = ["ecs-tasks.amazonaws.com"]\n    }\n    condition {\n      test     = "StringEquals"\n      variable = "aws:SourceAccount"\n      values   = [data.aws_caller_identity.current.account_id]\n    }\n'));
    expect(pinned.findings.filter((x) => x.code === 'RF722' || x.code === 'RF103')).toEqual([]);
    expect(proof(pinned, 'only vm:task-definition gitlab-ci-coordinator')).toBe(true);
  });

  it('the job image of another registry is checked as written: a mutable tag there, fixed by a digest; no invented ECR repository or spec key', () => {
    const r = run();
    const text = allText(r);
    expect(text).not.toMatch(/doctor\/fargate-jobs|fargate\.image|terraform\/aws\/main\.tf\.json/);
    const f = r.findings.filter((x) => x.code === 'RF719');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/runs registry\.gitlab\.com\/acme\/ci-images\/fargate-coordinator:1\.4, a tag of a registry the documents do not show: whoever can push to registry\.gitlab\.com\/acme\/ci-images\/fargate-coordinator changes what every job/);
    expect(f[0]!.fix).toMatch(/registry\.gitlab\.com\/acme\/ci-images\/fargate-coordinator@sha256:/);
    expect(proof(r, 'the job image registry.gitlab.com/acme/ci-images/fargate-coordinator:1.4 is pinned by digest')).toBe(false);
    const digest = `@sha256:${'ab'.repeat(32)}`;
    const pinned = run(replace('fargate-coordinator:1.4"', `fargate-coordinator${digest}"`));
    expect(pinned.findings.filter((x) => x.code === 'RF719' || x.code === 'RF717')).toEqual([]);
    expect(proof(pinned, 'the job image registry.gitlab.com/acme/ci-images/fargate-coordinator@sha256:')).toBe(true);
  });

  it("an unverified download in a hand-written script: RF720's fix says what to do, not which of runner-fleet's functions to call", () => {
    const f = run().findings.find((x) => x.code === 'RF720');
    expect(f?.message).toMatch(/downloads without checking a pinned SHA-256 \(line 4: curl -fsSL/);
    expect(f?.fix).not.toMatch(/fetch_verified|import_key_verified|regenerate/);
    expect(f?.fix).toMatch(/set -euo pipefail/);
    expect(f?.fix).toMatch(/sha256sum -c/);
  });
});
