import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

const run = doctorTexts;
const corpus = (name: string, file: string) => readFileSync(join(__dirname, 'doctor', 'corpus', name, file), 'utf8');

/**
 * An Auto Scaling launch configuration (aws_launch_configuration) that starts the runner manager,
 * as older hand-written runner modules do (cmdlabs, bspeagle, robpearce-flux): read as the launch
 * template the VM proofs look up, and RF929 says AWS no longer develops launch configurations.
 */
describe('a runner manager launched from a launch configuration', () => {
  const tf = JSON.parse(corpus('ec2-docker-hand-written', 'main.tf.json')) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const userData = corpus('ec2-docker-hand-written', 'user-data.sh');
  const asLaunchConfiguration = () => {
    const copy = structuredClone(tf);
    const lt = copy.resource.aws_launch_template!.ci!;
    delete copy.resource.aws_launch_template;
    // A launch configuration's user data is plain text; its profile a name; its groups `security_groups`.
    copy.resource.aws_launch_configuration = { ci: { name: lt.name, image_id: lt.image_id, instance_type: lt.instance_type, security_groups: lt.vpc_security_group_ids, iam_instance_profile: '${aws_iam_instance_profile.ci.name}', metadata_options: lt.metadata_options, user_data: '${file("${path.module}/user-data.sh")}' } };
    const group = copy.resource.aws_autoscaling_group!.ci!;
    delete group.launch_template;
    group.launch_configuration = '${aws_launch_configuration.ci.name}';
    return JSON.stringify(copy, null, 1);
  };
  const claim = (p: { claim: string; holds: boolean }) => `${p.claim.replace('launch configuration', 'launch template')}|${String(p.holds)}`;

  it('gives the proofs of the same manager written as a launch template, and RF929 at the launch configuration', () => {
    const template = run({ 'main.tf.json': JSON.stringify(tf), 'user-data.sh': userData });
    const configuration = run({ 'main.tf.json': asLaunchConfiguration(), 'user-data.sh': userData });
    expect(template.proofs.length).toBeGreaterThan(2);
    expect(configuration.proofs.map(claim)).toEqual(template.proofs.map(claim));
    expect(configuration.proofs.some((p) => p.claim.includes('launch configuration'))).toBe(true);
    const rf929 = configuration.findings.filter((f) => f.code === 'RF929');
    expect(rf929.map((f) => f.path)).toEqual([expect.stringMatching(/^main\.tf\.json:\d+:\d+$/)]);
    expect(rf929[0]!.message).toContain('aws_launch_configuration.ci, a launch configuration');
    expect(rf929[0]!.severity).toBe('warning');
    // The rest is the same (in another order: positions differ), with the resource named as written.
    const rest = (r: DoctorResult) => r.findings.filter((f) => f.code !== 'RF929').map((f) => `${f.code}|${f.message.replace(/launch configuration aws_launch_configuration/g, 'launch template aws_launch_template')}`).sort();
    expect(rest(configuration)).toEqual(rest(template));
    expect(template.findings.filter((f) => f.code === 'RF929')).toEqual([]);
  });

  it('in a module: every finding names the launch configuration by its module address, none the launch template it is read as', () => {
    // Without its token parameter: the finding that says where the token is kept names the manager's resource too.
    const copy = JSON.parse(asLaunchConfiguration()) as typeof tf;
    delete copy.resource.aws_ssm_parameter;
    const module = JSON.stringify(copy, null, 1);
    const r = run({ 'main.tf': 'module "runner" {\n  source = "./runner"\n}\n', 'runner/main.tf.json': module, 'runner/user-data.sh': userData });
    expect(r.findings.filter((f) => f.code === 'RF929')).toHaveLength(1);
    const named = r.findings.filter((f) => f.message.includes('gitlab_runner') || f.message.includes('.ci'));
    expect(named.length).toBeGreaterThan(1);
    for (const f of r.findings) expect(f.message).not.toContain('aws_launch_template.');
    expect(r.findings.some((f) => f.message.includes('module.runner.aws_launch_configuration.ci'))).toBe(true);
  });

  it('with no instance profile (RF911, chain not built): RF929 still said (issue 50e; before, nothing past RF911)', () => {
    const copy = JSON.parse(asLaunchConfiguration()) as typeof tf;
    delete copy.resource.aws_launch_configuration!.ci!.iam_instance_profile;
    const r = run({ 'main.tf.json': JSON.stringify(copy, null, 1), 'user-data.sh': userData });
    expect(r.findings.some((f) => f.code === 'RF911')).toBe(true);
    expect(r.findings.filter((f) => f.code === 'RF929').map((f) => f.message)).toEqual([expect.stringContaining('aws_launch_configuration.ci, a launch configuration')]);
  });

  it('a launch configuration without user data is no manager: nothing is said of it', () => {
    const copy = JSON.parse(asLaunchConfiguration()) as typeof tf;
    delete copy.resource.aws_launch_configuration!.ci!.user_data;
    const r = run({ 'main.tf.json': JSON.stringify(copy), 'user-data.sh': userData });
    expect(r.findings.filter((f) => f.code === 'RF929')).toEqual([]);
    expect(r.chains.size).toBe(0);
  });
});

describe('task 30b: RF910 names each resource whose user data could not be read by its kind as written', () => {
  const main = corpus('ec2-docker-launch-configuration', 'main.tf');
  const rf910 = (files: Record<string, string>) => run(files).findings.find((f) => f.code === 'RF910')?.message ?? '';
  it('a launch configuration whose file is not given: "launch configuration(s)" (before: "launch template(s)")', () => {
    const message = rf910({ 'main.tf': main });
    expect(message).toContain('; the user data of 1 launch configuration(s) could not be read: aws_launch_configuration.manager (main.tf:');
    expect(message).not.toContain('launch template(s)');
  });
  it('beside a launch template and an instance whose user data is not read either: each counted as its kind', () => {
    const more = 'variable "script" {}\nresource "aws_launch_template" "w" {\n  name = "w"\n  user_data = base64encode(var.script)\n}\nresource "aws_instance" "i" {\n  ami = "ami-0fedcba9876543210"\n  instance_type = "t3.micro"\n  user_data = var.script\n}\n';
    const message = rf910({ 'main.tf': main, 'more.tf': more });
    // In the order the resources are listed.
    expect(message).toContain('; the user data of 1 launch template(s) and 1 instance(s) and 1 launch configuration(s) could not be read: aws_launch_template.w (more.tf:4:15)');
  });
  it('the same with boot.sh given: read, no RF910 (the passing twin)', () => {
    expect(rf910({ 'main.tf': main, 'boot.sh': corpus('ec2-docker-launch-configuration', 'boot.sh') })).toBe('');
  });
});

describe('RF712 names the API that reads the user data of what launches the manager', () => {
  // cmdlabs/terraform-aws-gitlab-runner: a launch configuration's RF712 said "anyone allowed
  // ec2:DescribeLaunchTemplateVersions", an API that reads launch templates only.
  const userData = ['#!/bin/bash', 'set -euo pipefail', "cat > /etc/gitlab-runner/config.toml <<'EOF'", '[[runners]]', '  name = "ci"', '  url = "https://gitlab.example.com"', '  token = "${var.runner_token}"', '  executor = "docker"', '  [runners.docker]', '    image = "alpine:3.22"', 'EOF'].map((l) => `    ${l}\n`).join('');
  const head = 'variable "runner_token" {\n  type      = string\n  sensitive = true\n}\nresource "aws_iam_role" "m" {\n  name               = "manager"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\nresource "aws_iam_instance_profile" "m" {\n  name = "manager"\n  role = aws_iam_role.m.name\n}\n';
  const manager = (type: string, profile: string, group: string) => `${head}resource "${type}" "m" {\n  ami = "ami-0123456789abcdef0"\n  image_id = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n  ${profile}\n  metadata_options {\n    http_tokens = "required"\n  }\n  user_data = ${type === 'aws_launch_template' ? 'base64encode(' : ''}<<-EOT\n${userData}  EOT${type === 'aws_launch_template' ? '\n  )' : ''}\n}\n${group}`;
  const group = (ref: string) => `resource "aws_autoscaling_group" "m" {\n  name = "manager"\n  min_size = 1\n  max_size = 1\n  ${ref}\n  vpc_zone_identifier = ["subnet-0123456789abcdef0"]\n}\n`;
  const said = (text: string) => run({ 'main.tf': text }).findings.filter((f) => f.code === 'RF712').map((f) => /where anyone allowed (.*?), and every process/.exec(f.message)?.[1]);
  it.each([
    ['a launch configuration', manager('aws_launch_configuration', 'iam_instance_profile = aws_iam_instance_profile.m.name', group('launch_configuration = aws_launch_configuration.m.name')), 'autoscaling:DescribeLaunchConfigurations (or ec2:DescribeInstanceAttribute on the instances it launches)'],
    ['an instance', manager('aws_instance', 'iam_instance_profile = aws_iam_instance_profile.m.name', ''), 'ec2:DescribeInstanceAttribute'],
    ['a launch template', manager('aws_launch_template', 'iam_instance_profile {\n    name = aws_iam_instance_profile.m.name\n  }', group('launch_template {\n    id = aws_launch_template.m.id\n  }')), 'ec2:DescribeLaunchTemplateVersions (or ec2:DescribeInstanceAttribute on the instances it launches)'],
  ])('%s', (_what, text, readers) => {
    expect(said(text)).toEqual([readers]);
  });
});
