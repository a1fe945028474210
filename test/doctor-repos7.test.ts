import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { writtenExpression } from '../src/doctor/hcl/eval.js';

/**
 * Shapes of public GitLab-runner deployments read in the stop-46 triage (repos7), as small
 * hand-written fixtures: what the doctor said of them that was wrong, and what it says now.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));

describe('a policy only apply knows, written in a module: received shows it as written', () => {
  // HarelSultan/gitlab_runner: `policy = jsonencode({…})` in ./modules/iam over a variable without
  // a value was received as "${module.iam.jsonencode({…", a call no one wrote.
  const tree = {
    'main.tf': 'variable "bucket" {\n  type = string\n}\n\nmodule "iam" {\n  source = "./modules/iam"\n  bucket = var.bucket\n}\n',
    'modules/iam/main.tf': 'variable "bucket" {\n  type = string\n}\n\nresource "aws_iam_policy" "state" {\n  name = "state"\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n      Action   = ["s3:GetObject"]\n      Resource = "arn:aws:s3:::${var.bucket}/*"\n    }]\n  })\n}\n',
  };
  it('RF906 about module.iam.aws_iam_policy.state.policy receives ${jsonencode({…', () => {
    const f = doctor(files(tree)).findings.find((x) => x.code === 'RF906' && x.message.startsWith('module.iam.aws_iam_policy.state.policy is not statically known'));
    expect(f?.received).toMatch(/^\$\{jsonencode\(\{\n {4}Version = "2012-10-17"/);
  });
  it('a reference keeps its module address; a root folder before a call goes with the address', () => {
    expect(writtenExpression('${module.iam.aws_s3_bucket.b.arn}')).toBe('${module.iam.aws_s3_bucket.b.arn}');
    expect(writtenExpression('${module.a["x"].module.b.jsonencode(1)}')).toBe('${jsonencode(1)}');
    expect(writtenExpression('${env/prod/module.r.templatefile("t", {})}')).toBe('${templatefile("t", {})}');
    expect(writtenExpression('{"Resource":"${module.m.aws_s3_bucket.b.arn}"}')).toBe('{"Resource":"${module.m.aws_s3_bucket.b.arn}"}');
  });
});

describe('instances of one aws_instance (count) that each start a manager of one runner', () => {
  // infraspecdev/terraform-aws-gitlab-docker-runner, ppawlowski/gitlab_runner_aws: `count = var.instance_count`
  // (2, 3) over one block was said "a second manager for runner docker", fix "give one deployment per folder".
  const INSTANCE = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
  const counted = (tf: string) => {
    expect(tf).toContain('resource "aws_instance" "runner" {\n');
    return tf.replace('resource "aws_instance" "runner" {\n', 'resource "aws_instance" "runner" {\n  count = 2\n');
  };
  const rf903 = (tf: string) => doctor(files({ 'runner/main.tf': tf })).findings.filter((f) => f.code === 'RF903' && f.message.includes('manager of runner'));
  it('the second instance is named, as another instance of the one resource with the same user data, and no other folder is asked for', () => {
    const found = rf903(counted(INSTANCE));
    expect(found.map((f) => f.message)).toEqual(['aws_instance.runner[1] is another instance of aws_instance.runner (its count or for_each makes several), so another manager of runner docker: the proofs read aws_instance.runner[0], and this one boots the same user data']);
    expect(found[0]!.fix).not.toContain('folder');
  });
  it('twin: user data that depends on the instance is said not proven', () => {
    const tf = counted(INSTANCE);
    expect(tf).toContain('name = "docker"');
    const found = rf903(tf.replace('name = "docker"', 'name = "docker"\n      environment = ["N=${count.index}"]'));
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/^aws_instance\.runner\[1\] is another instance of aws_instance\.runner .*boots other user data \(it depends on the instance\), which is not proven$/)]);
  });
});

describe('a runner name the shell expands at boot is not taken for the runner name', () => {
  // robertdebock/terraform-aws-gitlab_runner: `--name "$${my_instance_id}"` (the instance id from the
  // metadata service) named the runner "my-instance-id", the variable's letters.
  const INSTANCE = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
  const named = (line: string) => {
    expect(INSTANCE).toContain("<<'TOML'");
    expect(INSTANCE).toContain('      name = "docker"\n');
    const tf = INSTANCE.replace("<<'TOML'", '<<TOML').replace('      name = "docker"\n', line);
    return [...doctor(files({ 'runner/main.tf': tf })).chains.keys()];
  };
  it('name = "$INSTANCE_ID" (or "$(hostname)") names the runner as a runner without a name is named, not "instance-id"', () => {
    const unnamed = named('');
    expect(unnamed).toHaveLength(1);
    expect(unnamed[0]).not.toContain('instance-id');
    expect(named('      name = "$INSTANCE_ID"\n')).toEqual(unnamed);
    expect(named('      name = "ci-$(hostname)"\n')).toEqual(unnamed);
  });
  it('twin: a literal name still names the runner', () => {
    expect(named('      name = "ci-instance-id"\n')).toEqual(['ci-instance-id']);
  });
});

describe('RF910 names a manager-kind resource with user data that the values given make none of', () => {
  // ahmedasmar/terraform-aws-gitlab-docker-autoscaler-runner: `count = var.auth_token != null ? 1 : 0`
  // over `default = null`; RF910 said "no … instance … whose user data runs it", naming nothing.
  const tf = (count: string) => `variable "auth_token" {\n  type    = string\n  default = null\n}\n\nresource "aws_instance" "manager" {\n  count         = ${count}\n  ami           = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n  user_data     = "#!/bin/bash\\necho boot\\n"\n}\n`;
  const rf910 = (count: string) => doctor(files({ 'main.tf': tf(count) })).findings.filter((f) => f.code === 'RF910');
  it('count 0 with the default: the resource and where it is written are named, with a fix that asks for the values', () => {
    const [f] = rf910('var.auth_token != null ? 1 : 0');
    expect(f?.message).toContain('; this, with user data, makes no instance with the values the files give (its count is 0 or for_each empty: variable defaults, terraform.tfvars), so a manager it starts is made only where a run gives other values: aws_instance.manager at main.tf:6:1');
    expect(f?.fix).toContain('terraform.tfvars');
  });
  it('twin: an instance made (count 1) is not named so', () => {
    const found = rf910('1');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).not.toContain('makes no instance');
  });
});
