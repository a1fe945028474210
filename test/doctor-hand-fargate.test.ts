import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence } from '../src/doctor/index.js';
import { normalizeTerraform } from '../src/doctor/terraform.js';
import { OWN_ACCOUNT } from '../src/doctor/hcl/eval.js';
import { caseDir, corpusRoot } from './helpers/corpus-case.js';

/**
 * The doctor on a hand-written ECS Fargate runner (test/doctor/corpus/ecs-fargate-hand-written,
 * written from GitLab's Fargate driver docs): one EC2 manager running the driver, a task definition
 * with a task role, policies that name data.aws_caller_identity and the cluster's ARN. Each case is
 * one thing the doctor got wrong there: a false finding, or one worded in plan's terms.
 */
const DIR = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'ecs-fargate-hand-written'));
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

  it('ARNs derived from literal names (the job roles, the token parameter) are read: the manager policy is proven, no RF906/RF903 for it', () => {
    const r = run();
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF106').map((f) => f.message)).toEqual([]);
    // Before: the policy was unread, so the cache grant was "not shown" and this proof did not hold.
    expect(proof(r, 'the manager reads and writes fargate/')).toBe(true);
    // What the policy really allows beyond the runner's needs is now said (RF714), where it is granted.
    const leak = r.findings.find((f) => f.code === 'RF714');
    expect(leak?.path).toBe('main.tf:126:1');
    expect(leak?.message).toMatch(/ecs:RunTask of task definitions other than family gitlab-ci-coordinator in cluster gitlab-ci .*\(granted by aws_iam_role_policy\.manager_ecs\)$/);
    expect(proof(r, 'the manager runs tasks only of family')).toBe(false);
    // The same documents with the ARNs written literally give the same findings and proofs.
    const literal = run(literalPassRole);
    expect(literal.findings.map((f) => `${f.code} ${f.path}`)).toEqual(r.findings.map((f) => `${f.code} ${f.path}`));
    expect(literal.proofs.map((p) => p.holds)).toEqual(r.proofs.map((p) => p.holds));
  });

  it('a role named by name_prefix, or not named: its ARN is known only after apply (RF906), the policy naming it is not shown (RF903), never "cannot" (RF106)', () => {
    // The execution role the manager also passes: AWS (name_prefix) or Terraform (no name) picks its name at apply.
    for (const edit of [replace('name               = "gitlab-ci-task-execution"', 'name_prefix        = "gitlab-ci-task-execution-"'), replace('  name               = "gitlab-ci-task-execution"\n', '')]) {
      const r = run(edit);
      expect(r.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
      expect(r.findings.some((f) => f.code === 'RF906' && /aws_iam_role\.task_execution\.arn is known only after apply/.test(f.message))).toBe(true);
      expect(r.findings.find((f) => f.code === 'RF903' && /ecs:RunTask/.test(f.message))?.message).toMatch(/is not shown: the inline policy aws_iam_role_policy\.manager_ecs is not in the documents as a readable policy/);
      expect(proof(r, 'the manager runs tasks only of family')).toBe(false);
      expect(proof(r, 'the manager reads and writes fargate/')).toBe(false);
    }
    // Without AmazonSSMManagedInstanceCore the token grant is only in that policy: not shown either.
    const noSsm = run((t) => replace('resource "aws_iam_role_policy_attachment" "manager_ssm" {\n  role       = aws_iam_role.manager.name\n  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"\n}\n', '')(replace('name               = "gitlab-ci-task-execution"', 'name_prefix        = "gitlab-ci-task-execution-"')(t)));
    expect(noSsm.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(noSsm.findings.some((f) => f.code === 'RF903' && /can read its token parameter \/gitlab-runner\/fargate\/token is not shown/.test(f.message))).toBe(true);
    expect(proof(noSsm, 'the manager reads its token parameter')).toBe(false);
  });

  it('the task role named by name_prefix (or not named): RF903 at the role (its name only apply knows), never RF106; what it may do is still proven', () => {
    const prefixed = replace('name               = "gitlab-ci-job-task"', 'name_prefix        = "gitlab-ci-job-task-"');
    for (const [edit, why] of [
      [prefixed, /the name of aws_iam_role\.job_task is not shown: it comes from name_prefix "gitlab-ci-job-task-" and Terraform appends a unique suffix only at apply/],
      [replace('  name               = "gitlab-ci-job-task"\n', ''), /the name of aws_iam_role\.job_task is not shown: the role has no name, so Terraform picks one \(terraform-…\) only at apply/],
    ] as const) {
      const r = run(edit);
      // Before: RF106 "names no task role that the documents define" (a false claim), and RF906 "no literal name".
      expect(r.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
      const f = r.findings.find((x) => x.code === 'RF903' && x.path === 'main.tf:38:1');
      expect(f?.message).toMatch(why);
      expect(f?.fix).toMatch(/^set name = "<role name>" on aws_iam_role\.job_task.*, or give `terraform show -json` of the applied state/);
      expect(f?.deploymentFix).toBe(f?.fix);
      expect(r.findings.some((x) => x.code === 'RF906' && /aws_iam_role\.job_task has no literal name/.test(x.message))).toBe(false);
      // The manager's iam:PassRole names the role's ARN, which only apply knows: not shown, and the proof does not hold.
      expect(r.findings.some((x) => x.code === 'RF906' && /aws_iam_role\.job_task\.arn is known only after apply/.test(x.message))).toBe(true);
      expect(proof(r, 'the manager runs tasks only of family')).toBe(false);
      expect(allText(r)).not.toMatch(/regenerate|000000000000/);
    }
    // Negative twin: the prefixed task role may read every token parameter. Before, the role was left out, and
    // "only the manager can read the token parameter" held; now its policy is read (RF721) and the proof fails.
    const wide = (t: string) => replace('{ Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },', '{ Effect = "Allow", Action = ["ecr:GetAuthorizationToken", "ssm:GetParameter"], Resource = "*" },')(prefixed(t));
    const r = run(wide);
    expect(r.findings.find((f) => f.code === 'RF721')?.message).toMatch(/the job role of runner fargate gitlab-ci-job-task-<suffix-picked-at-apply:aws_iam_role\.job_task> \(aws_iam_role\.job_task\) can read the token of every runner/);
    expect(proof(r, 'only the manager can read the token parameter')).toBe(false);
  });

  it('the token proof fails rightly: AmazonSSMManagedInstanceCore allows ssm:GetParameter(s) on every parameter (RF712 at its attachment); a Deny outside the own parameter makes it hold', () => {
    const r = run();
    const f = r.findings.find((x) => x.code === 'RF712');
    expect(f?.path).toBe('main.tf:121:1');
    expect(f?.message).toMatch(/can ssm:GetParameter, ssm:GetParameters on parameters other than its own token parameter, .*\(granted by aws_iam_role_policy_attachment\.manager_ssm\)$/);
    expect(proof(r, 'the manager reads its token parameter /gitlab-runner/fargate/token and no other runner')).toBe(false);
    const denied = run(replace('      { Effect = "Allow", Action = ["ssm:GetParameter"], Resource = aws_ssm_parameter.token.arn }', '      { Effect = "Allow", Action = ["ssm:GetParameter"], Resource = aws_ssm_parameter.token.arn },\n      { Effect = "Deny", Action = ["ssm:GetParameter*"], NotResource = aws_ssm_parameter.token.arn }'));
    expect(denied.findings.filter((x) => x.code === 'RF712' || x.code === 'RF106' || x.code === 'RF903')).toEqual([]);
    expect(proof(denied, 'the manager reads its token parameter /gitlab-runner/fargate/token and no other runner')).toBe(true);
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
    expect(literal.findings.find((f) => f.code === 'RF714')?.message).toMatch(/ecs:RunTask of task definitions other than family gitlab-ci-coordinator in cluster gitlab-ci .*iam:PassRole of the job role gitlab-ci-job-task to services other than ecs-tasks\.amazonaws\.com, ec2\.amazonaws\.com among them/);
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

  /** The manager policy as a heredoc, its ARNs interpolated: the job roles, the cluster, the token parameter built from its name. */
  const heredocPolicy = (t: string) => {
    const from = t.indexOf('  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [\n      {\n        Effect   = "Allow"\n        Action   = ["ecs:RunTask"');
    const to = t.indexOf('resource "aws_s3_bucket" "cache"');
    expect(from).toBeGreaterThan(0);
    const policy = `  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*", "Condition": { "ArnEquals": { "ecs:cluster": "\${aws_ecs_cluster.ci.arn}" } } },
    { "Effect": "Allow", "Action": ["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"], "Resource": "*" },
    { "Effect": "Allow", "Action": "iam:PassRole", "Resource": ["\${aws_iam_role.job_task.arn}", "\${aws_iam_role.task_execution.arn}"] },
    { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::\${local.cache}/fargate/*" },
    { "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::\${local.cache}", "Condition": { "StringLike": { "s3:prefix": ["fargate/*"] } } },
    { "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "arn:aws:ssm:eu-west-1:\${local.account_id}:parameter\${aws_ssm_parameter.token.name}" }
  ]
}
EOF
}

`;
    return t.slice(0, from) + policy + t.slice(to);
  };
  const summary = (r: ReturnType<typeof doctor>) => ({ findings: r.findings.map((f) => f.code).sort(), proofs: r.proofs.map((p) => `${p.holds} ${p.claim}`) });

  it('a heredoc policy interpolating ARNs (${aws_iam_role.x.arn}, ${aws_ssm_parameter.x.name}) is read as its jsonencode() twin: no RF906/RF903, the same findings and proofs', () => {
    const r = run(heredocPolicy);
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(summary(r)).toEqual(summary(run()));
    expect(r.findings.find((f) => f.code === 'RF714')?.message).toMatch(/iam:PassRole of the job role gitlab-ci-job-task to services other than ecs-tasks\.amazonaws\.com, ec2\.amazonaws\.com among them/);
    // Negative twin: the job role named by name_prefix; its ARN only apply knows, the heredoc is not read (not shown, never proven).
    const prefixed = run((t) => heredocPolicy(replace('name               = "gitlab-ci-job-task"', 'name_prefix        = "gitlab-ci-job-task-"')(t)));
    expect(prefixed.findings.some((f) => f.code === 'RF906' && /aws_iam_role\.job_task\.arn is known only after apply/.test(f.message))).toBe(true);
    expect(proof(prefixed, 'the manager runs tasks only of family')).toBe(false);
  });

  it("the job role made by a local module, its ARN read through the module's output (module.x.arn): the same findings and proofs as the role written in the root", () => {
    const MODULE_TF = 'variable "name" {\n  type = string\n}\nvariable "trust" {\n  type = string\n}\nresource "aws_iam_role" "this" {\n  name               = var.name\n  assume_role_policy = var.trust\n}\noutput "arn" {\n  value = aws_iam_role.this.arn\n}\noutput "name" {\n  value = aws_iam_role.this.name\n}\n';
    const viaModule = (t: string) =>
      replace('resource "aws_iam_role" "job_task" {\n  name               = "gitlab-ci-job-task"\n  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json\n}\n', 'module "job_task" {\n  source = "./modules/role"\n  name   = "gitlab-ci-job-task"\n  trust  = data.aws_iam_policy_document.ecs_tasks_trust.json\n}\n')(t)
        .replace('role = aws_iam_role.job_task.id', 'role = module.job_task.name')
        .replaceAll('aws_iam_role.job_task.arn', 'module.job_task.arn');
    const text = viaModule(MAIN);
    expect(text).toContain('task_role_arn            = module.job_task.arn');
    const r = doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(text) }, { path: 'modules/role/main.tf', bytes: new TextEncoder().encode(MODULE_TF) }]);
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF106' || f.code === 'RF104').map((f) => f.message)).toEqual([]);
    expect(summary(r)).toEqual(summary(run()));
  });

  it("an unverified download in a hand-written script: RF720's fix says what to do, not which of runner-fleet's functions to call", () => {
    const f = run().findings.find((x) => x.code === 'RF720');
    // Line 4 of the heredoc is line 200 of main.tf, where the finding points (before: "line 4", at the launch template).
    expect(f?.message).toMatch(/downloads without checking a pinned SHA-256 \(line 200 of main\.tf: curl -fsSL/);
    expect(f?.path).toBe('main.tf:200:5');
    expect(f?.fix).not.toMatch(/fetch_verified|import_key_verified|regenerate/);
    expect(f?.fix).toMatch(/set -euo pipefail/);
    expect(f?.fix).toMatch(/sha256sum -c/);
  });

  it("RF722 is reported at the role's trust, where the condition is written (the data document it renders), not at the manager's launch template", () => {
    const f = run().findings.find((x) => x.code === 'RF722');
    // The statement that names ecs-tasks.amazonaws.com, where the conditions go (before: main.tf:28:1, the data block).
    expect(f?.path).toBe('main.tf:29:3');
    // A trust written in the role itself: that statement in the role's assume_role_policy (before: main.tf:40:24, jsonencode).
    const inline = run(replace('  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json\n}\n\nresource "aws_iam_role_policy" "job_task"', '  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }] })\n}\n\nresource "aws_iam_role_policy" "job_task"'));
    expect(inline.findings.find((x) => x.code === 'RF722')?.path).toBe('main.tf:40:74');
  });

  it("an account a binding names is the one the VM runners' identities and the derived ARNs are settled to, before the VM runners are read", () => {
    // The Fargate runner beside an EKS runner whose service accounts name their roles by ARN in account 111122223333.
    const eks = readFileSync(join(corpusRoot(), 'helm-release-irsa-sound', 'main.tf'), 'utf8')
      .replace('"aws_iam_role" "manager"', '"aws_iam_role" "k8s_manager"')
      .replace('role = aws_iam_role.manager.id', 'role = aws_iam_role.k8s_manager.id')
      .replace('"aws_iam_role_policy" "manager_cache"', '"aws_iam_role_policy" "k8s_manager_cache"')
      .replace('= aws_iam_role.manager.arn', '= "arn:aws:iam::111122223333:role/gitlab-runner-manager"')
      .replace('= aws_iam_role.jobs.arn', '= "arn:aws:iam::111122223333:role/gitlab-runner-jobs"');
    const r = doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(MAIN) }, { path: 'eks.tf', bytes: new TextEncoder().encode(eks) }]);
    // Before: the VM identities kept the stand-in while the policies named 111122223333: false RF104s and a false "cannot iam:PassRole".
    expect(r.findings.filter((f) => f.code === 'RF104' || (f.code === 'RF106' && /PassRole/.test(f.message))).map((f) => f.message)).toEqual([]);
    expect(proof(r, 'only vm:instance-profile gitlab-runner-fargate-manager (ec2.amazonaws.com, account 111122223333)')).toBe(true);
    expect(proof(r, 'the manager reads and writes fargate/')).toBe(true);
    expect(allText(r)).not.toContain('000000000000');
  });
});

describe('derived ARNs in the Terraform evaluation', () => {
  /** A local module making one role, named by `name`, or by name_prefix when `prefix` is set. */
  const MODULE = 'variable "name" {\n  type = string\n}\nvariable "prefix" {\n  type    = bool\n  default = false\n}\nresource "aws_iam_role" "this" {\n  name        = var.prefix ? null : var.name\n  name_prefix = var.prefix ? var.name : null\n  assume_role_policy = "{}"\n}\noutput "arn" {\n  value = aws_iam_role.this.arn\n}\n';
  const policyOf = (hcl: string, module?: string) => {
    const ev = readEvidence([{ path: 'main.tf', bytes: new TextEncoder().encode(hcl) }, ...(module !== undefined ? [{ path: 'modules/role/main.tf', bytes: new TextEncoder().encode(module) }] : [])]);
    const { root, findings } = normalizeTerraform(ev);
    const text = root.resource.aws_iam_role_policy?.p?.policy;
    return { doc: typeof text === 'string' ? (JSON.parse(text) as { Statement: { Resource: unknown }[] }) : undefined, findings, ownAccountRead: ev.terraform.ownAccountRead === true };
  };
  const ACCOUNT = 'provider "aws" {\n  region = "eu-west-1"\n  allowed_account_ids = ["123456789012"]\n}\n';
  /** A role `r` with the inline policy `p` written as `policy` (any expression). */
  const withPolicy = (resources: string, policy: string, provider = ACCOUNT) =>
    `${provider}resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n${resources}\nresource "aws_iam_role_policy" "p" {\n  role = aws_iam_role.r.id\n  policy = ${policy}\n}\n`;
  const tf = (resources: string, resource: string, provider = ACCOUNT) => withPolicy(resources, `jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = ${resource} }] })`, provider);
  const heredoc = (resource: string) => `<<EOF\n{\n  "Version": "2012-10-17",\n  "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "${resource}" }]\n}\nEOF`;
  const ROLE = 'resource "aws_iam_role" "x" {\n  name = "jobs"\n  assume_role_policy = "{}"\n}';
  const PARAMETER = 'resource "aws_ssm_parameter" "x" {\n  name = "/ci/runner/token"\n  type = "SecureString"\n  value = "x"\n}';

  it.each([
    ['a heredoc naming a role ARN', ROLE, heredoc('${aws_iam_role.x.arn}'), 'arn:aws:iam::123456789012:role/jobs'],
    ['a heredoc naming a parameter ARN', PARAMETER, heredoc('${aws_ssm_parameter.x.arn}'), 'arn:aws:ssm:eu-west-1:123456789012:parameter/ci/runner/token'],
    ['a heredoc building the parameter ARN from its name', PARAMETER, heredoc('arn:aws:ssm:eu-west-1:123456789012:parameter${aws_ssm_parameter.x.name}'), 'arn:aws:ssm:eu-west-1:123456789012:parameter/ci/runner/token'],
    ['a quoted JSON string', ROLE, '"{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"*\\", \\"Resource\\": \\"${aws_iam_role.x.arn}\\"}]}"', 'arn:aws:iam::123456789012:role/jobs'],
    ['a local holding the heredoc', `${ROLE}\nlocals {\n  p = ${heredoc('${aws_iam_role.x.arn}')}\n}`, 'local.p', 'arn:aws:iam::123456789012:role/jobs'],
    [
      "a local module's output (aws_iam_role.this.arn of a role the module names)",
      'module "jobs" {\n  source = "./modules/role"\n  name   = "jobs"\n}',
      'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = module.jobs.arn }] })',
      'arn:aws:iam::123456789012:role/jobs',
    ],
    ["a local module's output in a heredoc", 'module "jobs" {\n  source = "./modules/role"\n  name   = "jobs"\n}', heredoc('${module.jobs.arn}'), 'arn:aws:iam::123456789012:role/jobs'],
  ])('%s: the ARN is derived inside the policy as inside jsonencode()', (_what, resources, policy, arn) => {
    const r = policyOf(withPolicy(resources, policy), resources.includes('module "') ? MODULE : undefined);
    expect(r.findings.filter((f) => f.code === 'RF906')).toEqual([]);
    expect(r.doc?.Statement[0]?.Resource).toBe(arn);
  });

  it.each([
    ['a heredoc naming a role by name_prefix', 'resource "aws_iam_role" "x" {\n  name_prefix = "jobs-"\n  assume_role_policy = "{}"\n}', heredoc('${aws_iam_role.x.arn}')],
    ["a local module's role by name_prefix", 'module "jobs" {\n  source = "./modules/role"\n  name   = "jobs"\n  prefix = true\n}', heredoc('${module.jobs.arn}')],
  ])('%s: known only after apply (RF906), the policy is not read', (_what, resources, policy) => {
    const r = policyOf(withPolicy(resources, policy), resources.includes('module "') ? MODULE : undefined);
    expect(r.doc).toBeUndefined();
    expect(r.findings.some((f) => f.code === 'RF906' && /known only after apply/.test(f.message))).toBe(true);
  });

  it.each([
    ['a role (path "/")', 'resource "aws_iam_role" "x" {\n  name = "jobs"\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn', 'arn:aws:iam::123456789012:role/jobs'],
    ['a role with a path', 'resource "aws_iam_role" "x" {\n  name = "jobs"\n  path = "/ci/"\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn', 'arn:aws:iam::123456789012:role/ci/jobs'],
    ['a customer managed policy', 'resource "aws_iam_policy" "x" {\n  name = "boundary"\n  policy = "{}"\n}', 'aws_iam_policy.x.arn', 'arn:aws:iam::123456789012:policy/boundary'],
    ['a hierarchical parameter (its leading slash is not repeated)', 'resource "aws_ssm_parameter" "x" {\n  name = "/ci/runner/token"\n  type = "SecureString"\n  value = "x"\n}', 'aws_ssm_parameter.x.arn', 'arn:aws:ssm:eu-west-1:123456789012:parameter/ci/runner/token'],
    ['a parameter without hierarchy', 'resource "aws_ssm_parameter" "x" {\n  name = "token"\n  type = "SecureString"\n  value = "x"\n}', 'aws_ssm_parameter.x.arn', 'arn:aws:ssm:eu-west-1:123456789012:parameter/token'],
    ['a task definition family (arn_without_revision)', 'resource "aws_ecs_task_definition" "x" {\n  family = "ci"\n  container_definitions = "[]"\n}', 'aws_ecs_task_definition.x.arn_without_revision', 'arn:aws:ecs:eu-west-1:123456789012:task-definition/ci'],
    ['a bucket (no account in its ARN)', 'resource "aws_s3_bucket" "x" {\n  bucket = "cache"\n}', '"${aws_s3_bucket.x.arn}/*"', 'arn:aws:s3:::cache/*'],
  ])('%s: its ARN is derived from the literal name inside a policy', (_what, resources, ref, arn) => {
    const r = policyOf(tf(resources, ref));
    expect(r.findings.filter((f) => f.code === 'RF906')).toEqual([]);
    expect(r.doc?.Statement[0]?.Resource).toBe(arn);
  });

  it.each([
    ['a role by name_prefix', 'resource "aws_iam_role" "x" {\n  name_prefix = "jobs-"\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn'],
    ['a role without a name', 'resource "aws_iam_role" "x" {\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn'],
    ['a policy by name_prefix', 'resource "aws_iam_policy" "x" {\n  name_prefix = "b-"\n  policy = "{}"\n}', 'aws_iam_policy.x.arn'],
    ['a parameter whose name has a slash but does not begin with one (invalid)', 'resource "aws_ssm_parameter" "x" {\n  name = "ci/token"\n  type = "SecureString"\n  value = "x"\n}', 'aws_ssm_parameter.x.arn'],
    ['a task definition revision (arn)', 'resource "aws_ecs_task_definition" "x" {\n  family = "ci"\n  container_definitions = "[]"\n}', 'aws_ecs_task_definition.x.arn'],
    ['a role whose name only apply knows', 'resource "random_id" "s" {\n  byte_length = 4\n}\nresource "aws_iam_role" "x" {\n  name = "jobs-${random_id.s.hex}"\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn'],
  ])('%s: known only after apply (RF906), the policy is not read', (_what, resources, ref) => {
    const r = policyOf(tf(resources, ref));
    expect(r.doc).toBeUndefined();
    expect(r.findings.some((f) => f.code === 'RF906' && /known only after apply/.test(f.message))).toBe(true);
  });

  it("without an account stated, the deployment's own account stand-in (the one settleOwnAccount settles), noted as read", () => {
    const r = policyOf(tf('resource "aws_iam_role" "x" {\n  name = "jobs"\n  assume_role_policy = "{}"\n}', 'aws_iam_role.x.arn', 'provider "aws" {\n  region = "eu-west-1"\n}\n'));
    expect(r.doc?.Statement[0]?.Resource).toBe(`arn:aws:iam::${OWN_ACCOUNT}:role/jobs`);
    expect(r.ownAccountRead).toBe(true);
  });

  it('guard: outside a policy document a role ARN stays the reference the readers follow (a task definition\'s task_role_arn)', () => {
    const ev = readEvidence([{ path: 'main.tf', bytes: new TextEncoder().encode(MAIN) }]);
    const { root } = normalizeTerraform(ev);
    expect(root.resource.aws_ecs_task_definition?.ci?.task_role_arn).toBe('${aws_iam_role.job_task.arn}');
  });
});
