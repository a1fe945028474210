import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fleet.js';

/**
 * A token store in AWS read without AWS credentials (found by a black-box run of the built CLI:
 * `rotate` said only "CredentialsProviderError", or the SDK's "Could not load credentials from
 * any providers", after "plan: nothing to do"). Every AWS call runner-fleet makes says it with
 * one function (noAwsCredentialsError): what could not be done, and how to give credentials.
 */
describe('token stores without AWS credentials (the built CLI, no AWS_* variables, an empty HOME, no IMDS)', () => {
  const home = mkdtempSync(join(tmpdir(), 'rf-no-aws-home-'));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'bin', 'runner-fleet.cjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      // No credentials anywhere, and no instance metadata service to ask: nothing leaves this machine.
      env: { PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), NO_COLOR: '1' },
    });

  it.each([
    ['rotate of a VM runner (SSM parameter store)', ['rotate', 'examples/ec2-docker.yaml'], /no AWS credentials to read SSM parameter \/runner-fleet\/acme\/docker\/runner-token \(eu-central-1\) \(Could not load credentials from any providers\); set AWS_PROFILE/],
    ['rotate through an EKS cluster API (eks:DescribeCluster)', ['rotate', 'examples/eks-api-rotation.yaml', '--kube-api', 'devops=eks:devops@eu-west-1'], /no AWS credentials to find the Kubernetes API of EKS cluster devops \(eu-west-1\) with \(Could not load credentials from any providers\); set AWS_PROFILE/],
  ])('%s: says there are none and how to give them, with no plan', (_name, args, message) => {
    const r = cli(args);
    expect(r.stdout).toMatch(message);
    expect(r.stdout).toMatch(/AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).not.toMatch(/nothing to do/);
    expect(r.stderr).not.toMatch(/CredentialsProviderError|at .*\.js:\d+/);
    expect(r.status).toBe(1);
  }, 60_000);

  it('the doctor (--aws) says it the same way, with its own flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-no-aws-doctor-'));
    writeFileSync(join(dir, 'sa.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: gitlab\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/gitlab-runner-manager\n');
    const r = cli(['doctor', dir, '--aws', '--region', 'eu-west-1']);
    expect(r.stderr).toMatch(/no AWS credentials to read with \(Could not load credentials from any providers\); give --profile and --region, or the AWS_\* environment/);
    expect(r.status).toBe(2);
  }, 60_000);
});
