import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * User data built with templatefile() whose variables name resources of the files: an argument as
 * written (or an `id` the provider documents as one: an S3 bucket's is its name) renders as written;
 * what only apply knows keeps the runner unproven (RF906, RF910). The deployment is the corpus case
 * ec2-docker-templatefile.
 */
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile');
const MAIN = readFileSync(join(DIR, 'main.tf'), 'utf8');
const TEMPLATE = readFileSync(join(DIR, 'user-data.sh.tpl'), 'utf8');
const BUCKET_VAR = '    bucket      = aws_s3_bucket.cache.bucket';

function edited(from: string, to: string): string {
  if (!MAIN.includes(from)) throw new Error(`test: ${from} not in the file`);
  return MAIN.replace(from, to);
}
const run = (main: string): DoctorResult =>
  doctor([
    { path: 'ec2/main.tf', bytes: new TextEncoder().encode(main) },
    { path: 'ec2/user-data.sh.tpl', bytes: new TextEncoder().encode(TEMPLATE) },
  ]);
const codes = (r: DoctorResult) => r.findings.map((f) => f.code).sort();

describe('doctor: templatefile() user data over resources of the files', () => {
  it('bucket = aws_s3_bucket.cache.bucket: the config.toml is read, the runner proven', () => {
    const r = run(MAIN);
    expect([...r.chains.keys()]).toEqual(['docker-ci']);
    expect(codes(r)).toEqual(['RF205', 'RF206', 'RF301', 'RF309']);
  });
  it('bucket = aws_s3_bucket.cache.id (the provider documents it as the bucket name): the same', () => {
    const r = run(edited(BUCKET_VAR, '    bucket      = aws_s3_bucket.cache.id'));
    expect([...r.chains.keys()]).toEqual(['docker-ci']);
    expect(codes(r)).toEqual(['RF205', 'RF206', 'RF301', 'RF309']);
  });
  const onInstance = (main: string) => main.replace(/resource "aws_launch_template" "runner" \{[\s\S]*?\n\}\n\nresource "aws_autoscaling_group" "runner" \{[\s\S]*?\n\}\n/, `resource "aws_instance" "runner" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "m6i.large"
  subnet_id              = "subnet-0123456789abcdef0"
  vpc_security_group_ids = [aws_security_group.runner.id]
  iam_instance_profile   = aws_iam_instance_profile.runner.name
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted = true
  }
  user_data = templatefile("\${path.module}/user-data.sh.tpl", {
    token_param = local.token_param
    region      = "eu-central-1"
    bucket      = aws_s3_bucket.cache.id
    runner_name = local.runner_name
  })
}
`);
  it('on an aws_instance with user_data = templatefile(...): the same runner and findings', () => {
    const instance = onInstance(MAIN);
    expect(instance).toContain('resource "aws_instance" "runner"');
    expect(instance).not.toContain('aws_launch_template');
    const r = run(instance);
    expect([...r.chains.keys()]).toEqual(['docker-ci']);
    expect(codes(r)).toEqual(['RF205', 'RF206', 'RF301', 'RF309']);
  });
  it('a value only apply knows (the bucket\'s region as a computed attribute): RF906 names it, the runner is not proven', () => {
    const r = run(edited('    region      = "eu-central-1"', '    region      = aws_s3_bucket.cache.region'));
    expect(r.chains.size).toBe(0);
    expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('${aws_s3_bucket.cache.region}');
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('; the user data of 1 launch template(s) could not be read: aws_launch_template.runner (ec2/main.tf:');
    const onOne = run(onInstance(MAIN).replace('    region      = "eu-central-1"', '    region      = aws_s3_bucket.cache.region'));
    expect(onOne.findings.find((f) => f.code === 'RF910')?.message).toContain('no EC2 launch template, launch configuration, instance or spot instance request whose user data writes a config.toml or runs gitlab-runner register, no Azure virtual machine or scale set whose custom data, user data, Custom Script extension or provisioners do; the user data of 1 instance(s) could not be read: aws_instance.runner (ec2/main.tf:');
  });
});
