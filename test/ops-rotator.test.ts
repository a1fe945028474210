import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { synthFiles } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { EmittedFleet } from '../src/emit/types.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { ROTATOR_TESTED } from './helpers/rotator.js';

/** The keyless identity of the scheduled token rotation (operations.rotation): emitted, wired, proven. */

const codes = (findings: { code: string }[]) => findings.map((f) => f.code);
type Root = { resource: Record<string, Record<string, Record<string, unknown>>>; output: Record<string, { value: string }> };
const awsRoot = (docs: EmittedFleet) => docs.terraformAws as unknown as Root;
const SUB = 'project_path:acme/platform/runner-fleet:ref_type:branch:ref:main';

function editRotator(docs: EmittedFleet, field: 'assume_role_policy' | 'policy', edit: (d: PolicyDocument) => void): void {
  const root = awsRoot(docs);
  const table = field === 'assume_role_policy' ? root.resource.aws_iam_role! : root.resource.aws_iam_role_policy!;
  const body = table['token-rotator']!;
  const doc = JSON.parse(body[field] as string) as PolicyDocument;
  edit(doc);
  body[field] = JSON.stringify(doc);
}
const stmts = (d: PolicyDocument) => d.Statement as Statement[];

describe('the token rotator identity', () => {
  it('is an IAM role trusted for one sub and audience, output by terraform/aws and named by the rotation pipeline', () => {
    const plan = planExample('ec2-docker');
    const root = awsRoot(plan.emitted!);
    const trust = JSON.parse(root.resource.aws_iam_role!['token-rotator']!.assume_role_policy as string) as PolicyDocument;
    expect(stmts(trust)).toHaveLength(1);
    expect(stmts(trust)[0]!.Condition).toEqual({ StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com', 'gitlab.com:sub': SUB } });
    expect(root.output.rotator_role_arn!.value).toBe('${aws_iam_role.token-rotator.arn}');
    const pipeline = parseYaml(synthFiles(plan).find((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')!.content) as Record<string, { variables: Record<string, string>; id_tokens: unknown; rules: { if: string }[] }>;
    const job = pipeline['rotate-runner-tokens']!;
    expect(job.variables.RUNNER_FLEET_ROTATOR_ROLE_ARN).toBe(plan.fleet!.rotation!.awsRoleArn);
    expect(job.variables.RUNNER_FLEET_ROTATOR_ROLE_ARN).toBe('arn:aws:iam::123456789012:role/runner-fleet/acme-token-rotator');
    expect(job.id_tokens).toEqual({ AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } });
    expect(job.rules[0]!.if).toContain('$CI_PROJECT_PATH == "acme/platform/runner-fleet" && $CI_COMMIT_REF_NAME == "main"');
    expect(plan.proofs.filter((p) => p.runner === 'id-token token-rotator').map((p) => p.holds)).toEqual([true, true]);
  });

  it('a custom audience reaches both the trust and the pipeline', () => {
    const plan = planMutated('ec2-docker', (s) => (s.operations.rotation.audience = 'https://gitlab.example.com/rotator'));
    const trust = JSON.parse(awsRoot(plan.emitted!).resource.aws_iam_role!['token-rotator']!.assume_role_policy as string) as PolicyDocument;
    expect(JSON.stringify(trust)).toContain('https://gitlab.example.com/rotator');
    const text = synthFiles(plan).find((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')!.content;
    expect(text).toContain('aud: https://gitlab.example.com/rotator');
    expect(plan.exitCode).toBe(0);
  });

  it('RF124: API-registered runners without operations.rotation get no pipeline and no rotator, with a warning', () => {
    expect(codes(planExample('ec2-docker').findings)).not.toContain('RF124');
    const plan = planMutated('ec2-docker', (s) => delete s.operations);
    const hit = plan.findings.find((f) => f.code === 'RF124');
    expect(hit?.severity).toBe('warning');
    expect(hit?.path).toBe('operations');
    expect(synthFiles(plan).some((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')).toBe(false);
    expect(awsRoot(plan.emitted!).resource.aws_iam_role!['token-rotator']).toBeUndefined();
    // Terraform-registered Kubernetes runners need no rotation.
    expect(codes(planExample('eks-irsa').findings)).not.toContain('RF124');
  });

  it('with a KMS key, it may use the key only through SSM and only for its token parameters', () => {
    const policy = JSON.parse(awsRoot(planExample('ec2-docker').emitted!).resource.aws_iam_role_policy!['token-rotator']!.policy as string) as PolicyDocument;
    const kms = stmts(policy).filter((s) => String(s.Action).includes('kms:'));
    expect(kms).toHaveLength(1);
    expect(kms[0]!.Condition!.StringEquals!['kms:ViaService']).toBe('ssm.eu-central-1.amazonaws.com');
  });

  const cases: [string, string, (d: EmittedFleet) => void][] = [
    ['RF125', 'a second project in the trust', (d) => editRotator(d, 'assume_role_policy', (t) => (stmts(t)[0]!.Condition!.StringEquals!['gitlab.com:sub'] = [SUB, 'project_path:acme/other:ref_type:branch:ref:main']))],
    ['RF125', 'a sub pattern in the trust', (d) => editRotator(d, 'assume_role_policy', (t) => {
      const c = stmts(t)[0]!.Condition!;
      delete c.StringEquals!['gitlab.com:sub'];
      c.StringLike = { 'gitlab.com:sub': 'project_path:acme/platform/runner-fleet:ref_type:branch:ref:*' };
    })],
    ['RF125', 'no sub in the trust', (d) => editRotator(d, 'assume_role_policy', (t) => delete stmts(t)[0]!.Condition!.StringEquals!['gitlab.com:sub'])],
    ['RF126', 'every parameter', (d) => editRotator(d, 'policy', (p) => (stmts(p)[0]!.Resource = '*'))],
    // Stop 58: ssm:LabelParameterVersion (the restart label, stop 57) had no look-alike probe; a grant of it alone on `*` or on the token's folder passed.
    ['RF126', 'labels on every parameter', (d) => editRotator(d, 'policy', (p) => stmts(p).push({ Sid: 'LabelAny', Effect: 'Allow', Action: 'ssm:LabelParameterVersion', Resource: '*' }))],
    ['RF126', 'labels on the token parameter\'s folder', (d) => editRotator(d, 'policy', (p) => stmts(p).push({ Sid: 'LabelFolder', Effect: 'Allow', Action: ['ssm:LabelParameterVersion'], Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/docker/*' }))],
    // Stop 58: PutParameter, GetParameter and AddTagsToResource were probed on another folder only; a grant of them on the token's folder passed.
    ['RF126', 'writes on the token parameter\'s folder', (d) => editRotator(d, 'policy', (p) => stmts(p).push({ Sid: 'PutFolder', Effect: 'Allow', Action: 'ssm:PutParameter', Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/docker/*' }))],
    ['RF126', 'reads on the token parameter\'s folder', (d) => editRotator(d, 'policy', (p) => stmts(p).push({ Sid: 'GetFolder', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/*' }))],
    ['RF126', 'tags on the token parameter\'s folder', (d) => editRotator(d, 'policy', (p) => stmts(p).push({ Sid: 'TagFolder', Effect: 'Allow', Action: 'ssm:AddTagsToResource', Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/docker/*' }))],
    ['RF126', 'commands on every instance', (d) => editRotator(d, 'policy', (p) => delete stmts(p).find((s) => s.Sid === 'RestartManagersInstances')!.Condition)],
    ['RF126', 'every document', (d) => editRotator(d, 'policy', (p) => (stmts(p).find((s) => s.Sid === 'RestartManagersDocument')!.Resource = 'arn:aws:ssm:eu-central-1::document/*'))],
    ['RF126', 'the key outside SSM', (d) => editRotator(d, 'policy', (p) => delete stmts(p).find((s) => String(s.Sid).startsWith('RunnerTokenKey'))!.Condition)],
    ['RF127', 'no PutParameter', (d) => editRotator(d, 'policy', (p) => (stmts(p)[0]!.Action = ['ssm:GetParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource']))],
    ['RF127', 'the wrong group', (d) => editRotator(d, 'policy', (p) => (stmts(p).find((s) => s.Sid === 'RestartManagersInstances')!.Condition = { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': 'other' } }))],
  ];
  it('the tables cover every rotator code', () => {
    expect(new Set(['RF124', ...cases.map((c) => c[0])])).toEqual(new Set(ROTATOR_TESTED));
  });

  it.each(cases)('%s: %s is refuted; the emitted documents pass', (code, _what, mutate) => {
    const plan = planExample('ec2-docker');
    expect(codes(verifyFleet(intentOf(plan.fleet!), plan.emitted!).findings)).not.toContain(code);
    const docs = structuredClone(plan.emitted!);
    mutate(docs);
    const v = verifyFleet(intentOf(plan.fleet!), docs);
    expect(codes(v.findings)).toContain(code);
    expect(v.proofs.find((p) => p.runner === 'id-token token-rotator' && p.claim.startsWith('token rotator'))!.holds).toBe(false);
  });
});
