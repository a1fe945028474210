import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { textDoctorReport } from '../src/doctor/format.js';
import { callFunction } from '../src/doctor/hcl/functions.js';
import { otherRunnersParameterArn } from '../src/platforms/aws-vm/common.js';

/**
 * A Docker runner on EC2 as a platform engineer writes it by hand: HCL, the user data a heredoc
 * inside base64encode(), a config.toml heredoc in it, names of their own. The doctor must find the
 * manager, prove what the files show, say what they do not, and name resources as written.
 */

const CONFIG = `concurrent = 4
[[runners]]
  name = "docker"
  url = URL
  executor = "docker"
  TOKEN
  [runners.docker]
    image = "alpine:3.20"
    privileged = false
  [runners.cache]
    Type = "s3"
    Path = "runner"
    Shared = true
    [runners.cache.s3]
      BucketName = BUCKET
      BucketLocation = "eu-west-1"
      AuthenticationType = "iam"`;

interface Variant {
  url?: string;
  bucket?: string;
  token?: string;
  /** Terraform added at the end (variables, a token parameter, policies). */
  extra?: string;
  /** The user_data expression; USERDATA stands for the heredoc. */
  userData?: string;
  /** The role's policy attachments: SSM core by default. */
  ssmCore?: boolean;
  /** The provider block's body: a region and allowed_account_ids 111122223333 by default. */
  provider?: string;
}

function deployment(v: Variant = {}): string {
  const config = CONFIG.replace('URL', v.url ?? '"https://gitlab.example.com"')
    .replace('BUCKET', v.bucket ?? '"acme-docker-runner-cache"')
    .replace('TOKEN', v.token !== undefined ? `token = ${v.token}` : '');
  const script = ['#!/bin/bash', 'set -euo pipefail', "cat > /etc/gitlab-runner/config.toml <<'TOML'", ...config.split('\n'), 'TOML', 'systemctl restart gitlab-runner']
    .map((l) => `    ${l}`)
    .join('\n');
  const heredoc = `<<-EOT\n${script}\n  EOT\n`;
  const userData = (v.userData ?? 'base64encode(USERDATA)').replace('USERDATA', heredoc);
  return `provider "aws" {
${v.provider ?? '  region              = "eu-west-1"\n  allowed_account_ids = ["111122223333"]'}
}

resource "aws_iam_role" "runner" {
  name = "gitlab-runner-docker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_instance_profile" "runner" {
  name = "gitlab-runner-docker"
  role = aws_iam_role.runner.name
}
${
  v.ssmCore === false
    ? ''
    : `
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.runner.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
`
}
resource "aws_iam_role_policy" "cache" {
  name = "cache"
  role = aws_iam_role.runner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::acme-docker-runner-cache/runner/*" },
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::acme-docker-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*"] } } }
    ]
  })
}

resource "aws_launch_template" "runner" {
  name          = "gitlab-runner"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.large"
  iam_instance_profile {
    name = aws_iam_instance_profile.runner.name
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = ${userData}
}
${v.extra ?? ''}
`;
}

const run = (tf: string): DoctorResult => doctor([{ path: 'runner/main.tf', bytes: new TextEncoder().encode(tf) }]);
const codes = (r: DoctorResult) => r.findings.map((f) => f.code);
const TOKEN_READERS = 'only the manager and the token rotator can read the runner token';

describe('doctor: a hand-written EC2 Docker runner (user data in base64encode over a heredoc)', () => {
  const IMDS = 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)';
  it.each([
    ['IMDSv1 allowed (http_tokens = "optional") with hop limit 1 (before: the proof held)', (tf: string) => tf.replace('http_tokens                 = "required"', 'http_tokens                 = "optional"'), /does not require IMDSv2 \(http_tokens = "optional"\): job containers, which run the code of every job, can read the instance role's credentials over IMDSv1 \(the instance's own exposure, to any process on it, is RF711\); that role is the manager's/],
    ['no metadata_options at all (before: "hop limit undefined")', (tf: string) => tf.replace(/ {2}metadata_options \{[^}]*\}\n/, ''), /does not require IMDSv2 \(http_tokens not set\)/],
    ['IMDSv2 required, no hop limit: the AMI decides (2 for ImdsSupport v2.0)', (tf: string) => tf.replace(/ {4}http_put_response_hop_limit = 1\n/, ''), /sets no IMDS hop limit, so the AMI \(2 for AMIs with ImdsSupport v2\.0\)/],
  ])('%s: RF713 and the proof does not hold', (_name, edit, message) => {
    const tf = edit(deployment());
    expect(tf).not.toBe(deployment());
    const r = run(tf);
    expect(r.proofs.find((p) => p.claim === IMDS)?.holds).toBe(false);
    const f = r.findings.find((x) => x.code === 'RF713');
    expect(f?.message).toMatch(message);
    expect(f?.fix).toContain('http_tokens = "required", http_put_response_hop_limit = 1');
  });

  // Stop 65f (cmdlabs+terraform-aws-gitlab-runner main.tf:53): one missing IMDSv2, two harms. Both kept,
  // each says its own and names the other.
  it('no metadata_options: RF711 (any process on the instance, SSRF) and RF713 (job containers) each say their own harm and name the other', () => {
    const r = run(deployment().replace(/ {2}metadata_options \{[^}]*\}\n/, ''));
    const rf711 = r.findings.filter((f) => f.code === 'RF711');
    const rf713 = r.findings.filter((f) => f.code === 'RF713');
    expect(rf711).toHaveLength(1);
    expect(rf713).toHaveLength(1);
    expect(rf711[0]!.message).toContain('any process on the instance, and any request it can be made to send (SSRF)');
    expect(rf711[0]!.message).toContain('is RF713');
    expect(rf713[0]!.message).toContain('job containers, which run the code of every job');
    expect(rf713[0]!.message).toContain('is RF711');
  });

  it('twin: IMDSv2 required with hop limit 2 is RF713 alone, without the IMDSv1 wording', () => {
    const r = run(deployment().replace('http_put_response_hop_limit = 1', 'http_put_response_hop_limit = 2'));
    expect(r.findings.filter((f) => f.code === 'RF711')).toEqual([]);
    const rf713 = r.findings.filter((f) => f.code === 'RF713');
    expect(rf713).toHaveLength(1);
    expect(rf713[0]!.message).not.toContain('RF711');
  });

  // One reader of a launch template's iam_instance_profile (instanceProfileOf): an empty name is no
  // profile, as the worker check reads it (the AWS provider sends neither an empty name nor an empty arn).
  it('an empty instance profile name is no profile: RF911 at iam_instance_profile (before: RF903 "the instance profile \\"\\" is not in the evidence")', () => {
    const tf = deployment().replace('    name = aws_iam_instance_profile.runner.name\n', '    name = ""\n');
    expect(tf).not.toBe(deployment());
    const r = run(tf);
    expect(codes(r)).not.toContain('RF903');
    const f = r.findings.find((x) => x.code === 'RF911');
    expect(f?.message).toContain('has no instance profile');
    expect(f?.path).toMatch(/^runner\/main\.tf:\d+:\d+$/);
  });

  it('finds the manager and proves what the files show (before: RF910 "no runner manager")', () => {
    const r = run(deployment());
    expect(codes(r)).not.toContain('RF910');
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.proofs.find((p) => p.claim === 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)')?.holds).toBe(true);
  });

  it('an account no document states: the trust claim says so and shows no made-up id (before: "account 000000000000")', () => {
    const r = run(deployment({ provider: '  region = "eu-west-1"' }));
    const trust = r.proofs.find((p) => p.claim.includes('can assume the manager role gitlab-runner-docker'));
    expect(trust?.claim).toContain('(ec2.amazonaws.com, an account the documents do not show)');
    // The stand-in is equal only to itself: the instance profile of the same (unknown) account still obtains the role.
    expect(trust?.holds).toBe(true);
    expect(JSON.stringify(r)).not.toContain('000000000000');
    // With the account stated, the claim names it.
    expect(run(deployment()).proofs.find((p) => p.claim.includes('can assume the manager role'))?.claim).toContain('account 111122223333');
  });

  it('names resources as the user wrote them, not by runner-fleet keys', () => {
    const r = run(deployment());
    const text = JSON.stringify(r.findings) + JSON.stringify(r.proofs);
    expect(text).not.toMatch(/docker_manager/);
    // RF715 (no block device mappings) is about the user's launch template.
    expect(r.findings.find((f) => f.code === 'RF715')?.message).toContain('aws_launch_template.runner ');
  });

  it('a token store the files do not show: RF903 and the token proof not made (never one against a parameter runner-fleet would name)', () => {
    const r = run(deployment());
    const unknown = r.findings.find((f) => f.code === 'RF903' && f.message.includes('keeps its runner token'));
    expect(unknown?.message).toContain('no aws_ssm_parameter among the files given is read by the user data of aws_launch_template.runner');
    expect(r.proofs.find((p) => p.claim === TOKEN_READERS)?.holds).toBe(false);
    expect(JSON.stringify(r)).not.toContain('/runner-fleet/');
  });

  it('url and token from variables without default: still proven; the token written into the user data is RF712', () => {
    const r = run(deployment({ url: '"${var.gitlab_url}"', token: '"${var.runner_token}"', extra: 'variable "gitlab_url" {}\nvariable "runner_token" {\n  sensitive = true\n}\n' }));
    expect([...r.chains.keys()]).toEqual(['docker']);
    const f = r.findings.find((x) => x.code === 'RF712');
    expect(f?.message).toContain('token = "${var.runner_token}"');
    expect(f?.message).toContain('Terraform writes the runner token into the user data');
    expect(f?.path).toMatch(/^runner\/main\.tf:\d+:\d+$/);
    expect(r.exitCode).toBe(1);
  });

  it('a setting the proofs read known only at apply: RF906 names the key, no proof is made from a guess, RF910 says which launch template', () => {
    const r = run(deployment({ bucket: '"${var.bucket}"', extra: 'variable "bucket" {}\n' }));
    const f = r.findings.find((x) => x.code === 'RF906' && x.message.includes('config.toml in the user data'));
    expect(f?.message).toContain('runners[0].cache.s3.BucketName = "${var.bucket}"');
    expect(r.proofs).toEqual([]);
    expect(r.findings.find((x) => x.code === 'RF910')?.message).toContain('aws_launch_template.runner');
  });

  it('user data the doctor cannot evaluate: RF910 names the launch template and why, not a bare "no launch template"', () => {
    const r = run(deployment({ userData: 'base64encode(templatefile("${path.module}/user-data.sh.tftpl", { url = "x" }))' }));
    const f = r.findings.find((x) => x.code === 'RF910');
    expect(f?.message).toMatch(/the user data of 1 launch template\(s\) could not be read: aws_launch_template\.runner \(runner\/main\.tf:\d+:\d+\)/);
  });

  it('text summary: a chain with no proof says so instead of a bare count line', () => {
    const r = run(deployment({ bucket: '"${var.bucket}"', extra: 'variable "bucket" {}\n' }));
    expect(textDoctorReport(r)).not.toContain('no proof made'); // no chain at all here
    const aks = doctor([
      {
        path: 'values.yaml',
        bytes: new TextEncoder().encode(
          'serviceAccount:\n  create: true\n  name: gitlab-runner\n  annotations:\n    azure.workload.identity/client-id: 22222222-2222-2222-2222-222222222222\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab-runner"\n',
        ),
      },
    ]);
    expect(aks.proofs).toEqual([]);
    const text = textDoctorReport(aks);
    expect(text).toContain('no proof made: the files given do not show enough of this chain');
    expect(text.trim().split('\n').pop()).toMatch(/, no proof made$/);
  });
});

describe('doctor: the runner token parameter of a hand-written VM runner', () => {
  const param = (body: string) => `
resource "aws_ssm_parameter" "token" {
  name  = "/gitlab/token"
  type  = "SecureString"
${body}
}
resource "aws_iam_role_policy" "token" {
  name = "token"
  role = aws_iam_role.runner.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["ssm:GetParameter"], Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/gitlab/token" }]
  })
}
`;
  const readsToken = (v: Variant) => deployment({ ...v, userData: 'base64encode(replace(USERDATA, "systemctl restart gitlab-runner", "aws ssm get-parameter --with-decryption --name /gitlab/token\\nsystemctl restart gitlab-runner"))' });

  it('a stand-in value with lifecycle { ignore_changes = [value] } written in HCL: no RF712 (before: the lifecycle block was dropped)', () => {
    const r = run(readsToken({ ssmCore: false, extra: param('  value = "placeholder"\n  lifecycle {\n    ignore_changes = [value]\n  }') }));
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.findings.filter((f) => f.code === 'RF712')).toEqual([]);
  });

  it('without ignore_changes: RF712, Terraform overwrites the registered token', () => {
    const r = run(readsToken({ ssmCore: false, extra: param('  value = "placeholder"') }));
    expect(r.findings.find((f) => f.code === 'RF712')?.message).toContain('aws_ssm_parameter.token lets Terraform overwrite the registered token');
  });

  it('a value from a variable: RF712, the token passes through Terraform', () => {
    const r = run(readsToken({ ssmCore: false, extra: `${param('  value = var.token\n  lifecycle {\n    ignore_changes = [value]\n  }')}\nvariable "token" {}\n` }));
    expect(r.findings.find((f) => f.code === 'RF712')?.message).toContain('takes its value from Terraform');
  });

  it('a role that may read only its own parameter: the token proof holds (before: SSM core was assumed attached to every manager)', () => {
    const r = run(readsToken({ ssmCore: false, extra: param('  value = "placeholder"\n  lifecycle {\n    ignore_changes = [value]\n  }') }));
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads its token parameter /gitlab/token'))?.holds).toBe(true);
  });

  it('with AmazonSSMManagedInstanceCore attached: RF712, the manager reads every parameter', () => {
    const r = run(readsToken({ extra: param('  value = "placeholder"\n  lifecycle {\n    ignore_changes = [value]\n  }') }));
    expect(r.findings.find((f) => f.code === 'RF712')?.message).toMatch(/can ssm:GetParameter, ssm:GetParameters on parameters other than its own token parameter, such as another runner's \/another-runner\/token/);
  });

  it('a role that may not read its parameter, in an account no document states: the fix names <account id>, never a made-up id', () => {
    const standIn = 'resource "aws_ssm_parameter" "token" {\n  name  = "/gitlab/token"\n  type  = "SecureString"\n  value = "placeholder"\n  lifecycle {\n    ignore_changes = [value]\n  }\n}\n';
    const r = run(readsToken({ ssmCore: false, provider: '  region = "eu-west-1"', extra: standIn }));
    const f = r.findings.find((x) => x.code === 'RF106' && x.message.includes('cannot read its token parameter /gitlab/token'));
    expect(f?.fix).toBe('allow the manager role ssm:GetParameter on arn:aws:ssm:eu-west-1:<account id>:parameter/gitlab/token');
    expect(JSON.stringify(r)).not.toContain('000000000000');
  });

  it("another runner's parameter is never the runner's own", () => {
    const arn = (name: string) => `arn:aws:ssm:eu-west-1:111122223333:parameter${name}`;
    expect(otherRunnersParameterArn(arn('/runner-fleet/acme/docker/runner-token'))).toBe(arn('/runner-fleet/acme/another-runner/runner-token'));
    expect(otherRunnersParameterArn(arn('/gitlab/token'))).toBe(arn('/another-runner/token'));
    expect(otherRunnersParameterArn(arn('/a/another-runner/token'))).toBe(arn('/a/yet-another-runner/token'));
    expect(otherRunnersParameterArn('arn:aws:ssm:eu-west-1:111122223333:parametertoken')).toBe('arn:aws:ssm:eu-west-1:111122223333:parameteranother-runner-token');
  });
});

describe('doctor HCL functions: base64encode and base64decode', () => {
  it('encode the UTF-8 bytes and decode them back, as Terraform does', () => {
    expect(callFunction('base64encode', ['grüße'])).toBe(Buffer.from('grüße', 'utf8').toString('base64'));
    expect(callFunction('base64decode', [Buffer.from('grüße', 'utf8').toString('base64')])).toBe('grüße');
  });
  it('base64decode refuses text that is not base64 or not UTF-8', () => {
    expect(() => callFunction('base64decode', ['not base64!'])).toThrow(/base64/);
    expect(() => callFunction('base64decode', [Buffer.from([0xff, 0xfe]).toString('base64')])).toThrow();
  });
});

describe('doctor (AKS): a role assignment scoped to a storage account whose resource group is a reference', () => {
  it('resolves azurerm_storage_account.<x>.id through resource_group_name = azurerm_resource_group.<y>.name (before: RF906)', () => {
    // The hand-written AKS deployment of the helm_release tests: its cache role is scoped to the
    // storage account, whose resource group is azurerm_resource_group.runners.name.
    const tf = readFileSync(new URL('./fixtures/doctor-helm-release/aks/main.tf', import.meta.url), 'utf8');
    expect(tf).toMatch(/resource "azurerm_storage_account" "cache" \{\n {2}name += "acmerunnercache"\n {2}resource_group_name += azurerm_resource_group\.runners\.name\n/);
    expect(tf).toMatch(/resource "azurerm_role_assignment" "cache" \{\n {2}scope += azurerm_storage_account\.cache\.id\n/);
    const r = doctor([{ path: 'tf/main.tf', bytes: new TextEncoder().encode(tf) }]);
    expect(r.findings.filter((f) => f.code === 'RF906')).toEqual([]);
  });
});
