import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { doctor } from '../src/doctor/index.js';
import { damagedFiles, exampleFiles, planExample, planMutated, replicatedExample } from './helpers/fleet.js';

/**
 * Only a VM runner's manager and the token rotator may read its token parameter (RF721): an
 * ID-token role, a job role or another role of the fleet that may ssm:GetParameter* it (and, with
 * a customer key, kms:Decrypt with it) reads the runner's glrt- token in clear.
 */
const TOKEN = '/runner-fleet/acme/docker/runner-token';
const claimOf = (proofs: { runner: string; claim: string; holds: boolean }[], runner: string) => proofs.find((p) => p.runner === runner && /^only the manager .*can read the token parameter /.test(p.claim));
const rf721 = (findings: { code: string }[]) => findings.filter((f) => f.code === 'RF721') as { code: string; path: string; message: string }[];

describe('plan: who may read a runner token parameter', () => {
  it('examples/id-tokens-vm (the ID-token role scoped to the parameters it needs): the proof holds', () => {
    const r = planExample('id-tokens-vm');
    expect(rf721(r.findings)).toEqual([]);
    expect(claimOf(r.proofs, 'docker')).toMatchObject({ holds: true, claim: expect.stringContaining(`only the manager and the token rotator can read the token parameter ${TOKEN}`) as unknown });
    expect(r.exitCode).toBe(0);
  });

  it.each([
    ['ssm:GetParameter* on *', ['ssm:GetParameter*'], ['*'], /ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:GetParametersByPath on \//],
    ['GetParameter and GetParametersByPath on parameter/runner-fleet/*', ['ssm:GetParameter', 'ssm:GetParametersByPath'], ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/*'], /ssm:GetParameter, ssm:GetParametersByPath on \/runner-fleet\/acme\b/],
    ['GetParametersByPath on /runner-fleet alone (recursive reads below it)', ['ssm:GetParametersByPath'], ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet'], /ssm:GetParametersByPath on \/runner-fleet;/],
  ])('an ID-token role with %s: RF721 naming the role, its spec path and the action; the proof fails', (_name, actions, resources, what) => {
    const r = planMutated('id-tokens-vm', (s) => (s.idTokens.roles[0].permissions.aws = [{ actions, resources }]));
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('idTokens.roles[0].permissions.aws');
    expect(found[0]!.message).toContain('the ID-token role infra acme-idt-infra');
    expect(found[0]!.message).toMatch(what);
    expect(found[0]!.message).toContain('aws/ssm');
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('a customer-managed token key: reading is not enough without kms:Decrypt through SSM, and is with it', () => {
    const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const withKey = (decrypt: boolean) =>
      planMutated('id-tokens-vm', (s) => {
        s.clusters[0].tokenKmsKeyArn = KEY;
        s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'] }, ...(decrypt ? [{ actions: ['kms:Decrypt'], resources: [KEY] }] : [])];
      });
    const without = withKey(false);
    expect(rf721(without.findings)).toEqual([]);
    expect(claimOf(without.proofs, 'docker')?.holds).toBe(true);
    const decrypts = withKey(true);
    expect(rf721(decrypts.findings).map((f) => f.message)).toEqual([expect.stringContaining(`kms:Decrypt with ${KEY}`)]);
    expect(claimOf(decrypts.proofs, 'docker')?.holds).toBe(false);
  });

  it("a job role granted exactly another runner's token parameter: RF721 for that runner only, at the granting runner's permissions", () => {
    const spec = replicatedExample('ecs-fargate', 3, (runner, i) => {
      if (i === 0) runner.jobs.permissions.aws.push({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate-2/runner-token'] });
    });
    const r = planValue(spec);
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('runners[0].jobs.permissions.aws');
    expect(found[0]!.message).toMatch(/^the job role of runner fargate-0 acme-fargate-0-jobs \(aws_iam_role\.[^)]+\) can read the token of runner fargate-2 \(its token parameter \/runner-fleet\/acme\/fargate-2\/runner-token\): ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'fargate-2')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'fargate-0')?.holds).toBe(true);
    expect(claimOf(r.proofs, 'fargate-1')?.holds).toBe(true);
  });

  it("a job role that may read its own runner's token parameter (a grant under the runner's path): RF721", () => {
    const spec = replicatedExample('ecs-fargate', 2, (runner, i) => {
      if (i === 1) runner.jobs.permissions.aws.push({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate-1/*'] });
    });
    const r = planValue(spec);
    expect(rf721(r.findings).map((f) => [f.path, /can read the token of runner fargate-1 /.test(f.message)])).toEqual([['runners[1].jobs.permissions.aws', true]]);
    expect(claimOf(r.proofs, 'fargate-1')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'fargate-0')?.holds).toBe(true);
  });
});

describe('doctor: the same proof on synth output', () => {
  const TASK_TOKEN = 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate/runner-token';
  const sound = (example: string) => doctor(exampleFiles(example).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
  /** The example's doctor result holds for `runner`; then the same files with role `key` granted ssm:GetParameter on `resource`. */
  const grantedRead = (example: string, runner: string, key: string, resource: string) => {
    const ok = sound(example);
    expect(rf721(ok.findings)).toEqual([]);
    expect(claimOf(ok.proofs, runner)?.holds).toBe(true);
    return doctor(damagedFiles(example, 'terraform/aws/main.tf.json', (root) => {
      const p = root.resource.aws_iam_role_policy![key]!;
      const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
      doc.Statement.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: resource });
      p.policy = JSON.stringify(doc);
    }));
  };

  it('ecs-fargate undamaged: holds; the jobs role granted ssm:GetParameter on the token parameter: RF721 names aws_iam_role.fargate-jobs', () => {
    const r = grantedRead('ecs-fargate', 'fargate', 'fargate-jobs', TASK_TOKEN);
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/acme-fargate-jobs \(aws_iam_role\.fargate-jobs\) can read the token of runner fargate .*: ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'fargate')?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('id-tokens-vm: the ID-token role granted ssm:GetParameter on parameter/runner-fleet/*: RF721 names aws_iam_role.idt-infra', () => {
    const r = grantedRead('id-tokens-vm', 'docker', 'idt-infra', 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/*');
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/acme-idt-infra \(aws_iam_role\.idt-infra\) can read the token of every runner under \/runner-fleet\/acme\/ .*: ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
  });
});
