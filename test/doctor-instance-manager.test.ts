import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import type { Finding } from '../src/spec/findings.js';

/**
 * A runner manager on one `aws_instance` (no launch template), written in HCL with its user data
 * from a file: corpus ec2-docker-instance-reads-every-parameter. Findings about it name the
 * resource the user wrote, in words too, and its token grants are proven as a launch template's are.
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-instance-reads-every-parameter');
const MAIN = readFileSync(join(CASE, 'main.tf'), 'utf8');
const USER_DATA = readFileSync(join(CASE, 'user-data.sh'), 'utf8');

const run = (main: string) => doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(main) }, { path: 'user-data.sh', bytes: new TextEncoder().encode(USER_DATA) }]);
const one = (findings: readonly Finding[], code: string) => {
  const found = findings.filter((f) => f.code === code);
  expect(found.length, `${code}: ${found.map((f) => f.message).join(' | ')}`).toBe(1);
  return found[0]!;
};

describe('a runner manager on an aws_instance', () => {
  it('RF713 names the instance, not a launch template: in the message and in the fix', () => {
    const f = one(run(MAIN).findings, 'RF713');
    expect(f.message).toMatch(/^the manager of runner docker-ci, instance aws_instance\.runner, has IMDS hop limit 2/);
    expect(f.fix).toContain('on the manager instance aws_instance.runner;');
    expect(`${f.message} ${f.fix}`).not.toContain('launch template');
  });

  it('RF713 on a launch template still says launch template (the twin)', () => {
    const lt = MAIN.replace('resource "aws_instance" "runner" {\n  ami                    = "ami-0123456789abcdef0"', 'resource "aws_launch_template" "runner" {\n  image_id               = "ami-0123456789abcdef0"')
      .replace('  subnet_id              = "subnet-0123456789abcdef0"\n', '')
      .replace('iam_instance_profile   = aws_iam_instance_profile.runner.name', 'iam_instance_profile {\n    name = aws_iam_instance_profile.runner.name\n  }')
      .replace('  root_block_device {\n    encrypted = true\n  }', '  block_device_mappings {\n    device_name = "/dev/xvda"\n    ebs {\n      encrypted = true\n    }\n  }')
      .replace('user_data = file("${path.module}/user-data.sh")', 'user_data = filebase64("${path.module}/user-data.sh")');
    const f = one(run(lt).findings, 'RF713');
    expect(f.message).toMatch(/^the manager of runner docker-ci, launch template aws_launch_template\.runner, has IMDS hop limit 2/);
    expect(f.fix).toContain('on the manager launch template aws_launch_template.runner');
  });

  it('ssm:GetParameter on parameter/ci/* reads other runners\' tokens: RF712 at the policy that grants it (a guard: it held before 25c); its own parameter only: no RF712', () => {
    const f = one(run(MAIN).findings, 'RF712');
    expect(f.message).toContain('the manager role can ssm:GetParameter on parameters other than its own token parameter');
    expect(f.path).toBe(`main.tf:${MAIN.split('\n').indexOf('resource "aws_iam_role_policy" "runner" {') + 1}:1`);
    const own = run(MAIN.replace(':parameter/ci/*"', ':parameter/ci/docker-ci/token"'));
    expect(own.findings.filter((x) => x.code === 'RF712')).toEqual([]);
    expect(own.proofs.find((p) => p.claim.startsWith('the manager reads its token parameter'))?.holds).toBe(true);
  });

  it('the token parameter not among the files: RF903 says which parameter the user data reads, not that config.toml holds the token', () => {
    const main = MAIN.replace(/resource "aws_ssm_parameter" "token" \{[\s\S]*?\n\}\n/, '');
    const f = run(main).findings.find((x) => x.code === 'RF903' && x.message.includes('keeps its runner token'));
    expect(f?.message).toContain('takes the token from $TOKEN, which the user data sets at boot from parameter /ci/docker-ci/token, which no aws_ssm_parameter among the files given declares');
    expect(f?.message).not.toContain('holds the token itself');
  });
});
