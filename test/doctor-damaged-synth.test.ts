import { describe, expect, it } from 'vitest';
import { damagedFiles, type DamagedRoot } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * The doctor on what `synth` writes, with one document damaged: findings, never an internal error.
 * Found by the doctor fuzzer once it also mutated the golden synth outputs (seed 20261223, cases
 * 2592, 10968, 14053, 19818, 25435 and others of the same kinds); each threw before.
 */
type Root = DamagedRoot;
const damaged = damagedFiles;

const codes = (files: InputFile[]) => doctor(files).findings.map((f) => f.code);

describe('a bucket policy the evaluator cannot read', () => {
  const policyOf = (root: Root) => root.resource.aws_s3_bucket_policy!.cache_shared!;
  it('as generated: proven TLS-only, no RF901', () => {
    const r = doctor(damaged('eks-irsa', 'terraform/aws/main.tf.json', () => undefined));
    expect(r.findings.map((f) => f.code)).not.toContain('RF901');
    expect(r.findings.map((f) => f.code)).not.toContain('RF205');
  });

  it.each([
    ['missing', (root: Root) => delete policyOf(root).policy, /the policy is missing/],
    ['a list instead of a JSON text', (root: Root) => (policyOf(root).policy = ['x']), /the policy is a list, not a JSON text/],
    ['not JSON', (root: Root) => (policyOf(root).policy = '{"Version": "2012-10-17", "Statement": [}'), /it is not JSON/],
    ['a principal type IAM does not have', (root: Root) => (policyOf(root).policy = String(policyOf(root).policy).replace('"Principal":"*"', '"Principal":{"Bool":"x"}')), /unsupported principal type "Bool"/],
    ['a resource that is no ARN', (root: Root) => (policyOf(root).policy = String(policyOf(root).policy).replace('"arn:aws:s3:::acme-runner-cache"', '"bucket"')), /is neither "\*" nor an ARN/],
  ])('%s: RF901 for the policy, and TLS-only is not proven (RF205)', (_name, change, problem) => {
    const files = damaged('eks-irsa', 'terraform/aws/main.tf.json', change);
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    const rf901 = r!.findings.find((f) => f.code === 'RF901' && /bucket policy of acme-runner-cache \(aws_s3_bucket_policy\.cache_shared\) cannot be evaluated/.test(f.message));
    expect(rf901?.message).toMatch(problem);
    // At the policy resource in the Terraform file, not at the cache section of config.toml.
    const at = /^terraform\/aws\/main\.tf\.json:(\d+):\d+$/.exec(rf901!.path);
    expect(at, rf901!.path).not.toBeNull();
    const text = new TextDecoder().decode(files.find((f) => f.path === 'terraform/aws/main.tf.json')!.bytes).split('\n');
    expect(text.slice(Number(at![1]) - 3, Number(at![1]) + 1).join('\n')).toMatch(/"aws_s3_bucket_policy"[\s\S]*"cache_shared"/);
    expect(r!.findings.map((f) => f.code)).toContain('RF205');
    expect(r!.exitCode).toBe(1);
  });
});

describe('a bucket policy without statements the VPC-endpoint reader can use', () => {
  // Doctor fuzz seed 20261230, case 1930067852: a policy whose Statement was gone threw
  // "Cannot read properties of undefined (reading 'Effect')" while the cache was read from config.toml.
  it.each([
    ['JSON null', 'null'],
    ['no Statement', '{"Version":"2012-10-17"}'],
    ['statements that are not objects', '{"Version":"2012-10-17","Statement":[null,3,"x",{"Effect":"Deny","Condition":null},{"Effect":"Deny","Condition":{"StringNotEquals":null}}]}'],
  ])('%s: findings, no internal error', (_name, text) => {
    const files = damaged('eks-irsa', 'terraform/aws/main.tf.json', (root) => {
      root.resource.aws_s3_bucket_policy!.cache_shared!.policy = text;
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    expect(r!.findings.map((f) => f.code)).toContain('RF205');
  });
});

describe('a Fargate task definition whose task role is not in the documents', () => {
  it('is RF106 and the task-passing proof does not hold (it threw reading the job identity)', () => {
    const sound = doctor(damaged('ecs-fargate', 'terraform/aws/main.tf.json', () => undefined));
    const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => /^the manager runs tasks only of family/.test(p.claim));
    expect(claim(sound)?.holds).toBe(true);
    // The role's name is no longer literal (as the fuzzer's damage did): the doctor cannot match the task role to it.
    const files = damaged('ecs-fargate', 'terraform/aws/main.tf.json', (root) => {
      const role = root.resource.aws_iam_role!['fargate-jobs']!;
      role.nameless = role.name;
      delete role.name;
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    expect(r!.findings.find((f) => f.code === 'RF106' && /names no task role that the documents define/.test(f.message))).toBeDefined();
    expect(claim(r!)?.holds).toBe(false);
  });
});

describe('GitLab settings outside what a spec allows', () => {
  it('a runner tag longer than 255 characters: the runner is still proven (it threw "doctor runner settings")', () => {
    const files = damaged('eks-irsa', 'terraform/gitlab/main.tf.json', (root) => {
      const runner = Object.values(root.resource.gitlab_user_runner!)[0]!;
      runner.tag_list = ['k8s', `build${'x'.repeat(400)}`];
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    expect(r!.proofs.length).toBeGreaterThan(0);
    expect(codes(files)).not.toContain('RF305');
  });
});
