import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * A config.toml without [runners.cache] Path keeps its cache keys anywhere in the bucket (GitLab
 * Runner joins Path and the key). Its manager then owns the bucket's keys: reaching all of them is
 * what it needs, unless another runner keeps its cache under a path of the same bucket.
 * The deployment is the corpus case ec2-docker-templatefile (one runner, no Path).
 */
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile');
const MAIN = readFileSync(join(DIR, 'main.tf'), 'utf8');
const TEMPLATE = readFileSync(join(DIR, 'user-data.sh.tpl'), 'utf8');

/** A second runner on the same bucket, under Path "second", with a role of its own. */
const SECOND = `
resource "aws_iam_role" "second" {
  name               = "gitlab-second"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_role_policy" "second" {
  name = "runner"
  role = aws_iam_role.second.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::acme-gitlab-docker-ci-cache/second/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::acme-gitlab-docker-ci-cache", Condition = { StringLike = { "s3:prefix" = ["second/*", "second"] } } },
    ]
  })
}

resource "aws_iam_instance_profile" "second" {
  name = "gitlab-second"
  role = aws_iam_role.second.name
}

resource "aws_launch_template" "second" {
  name                   = "gitlab-second"
  image_id               = "ami-0123456789abcdef0"
  instance_type          = "m6i.large"
  vpc_security_group_ids = [aws_security_group.runner.id]
  iam_instance_profile {
    name = aws_iam_instance_profile.second.name
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      encrypted = true
    }
  }
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    cat > /etc/gitlab-runner/config.toml <<'TOML'
    [[runners]]
      name = "second"
      url = "https://gitlab.com"
      executor = "docker"
      [runners.docker]
        image = "alpine:3.20"
      [runners.cache]
        Type = "s3"
        Path = "second"
        Shared = true
        [runners.cache.s3]
          BucketName = "acme-gitlab-docker-ci-cache"
          BucketLocation = "eu-central-1"
          AuthenticationType = "iam"
    TOML
    EOT
  )
}
`;

const run = (main: string): DoctorResult =>
  doctor([
    { path: 'ec2/main.tf', bytes: new TextEncoder().encode(main) },
    { path: 'ec2/user-data.sh.tpl', bytes: new TextEncoder().encode(TEMPLATE) },
  ]);
const cacheProof = (r: DoctorResult, runner: string) => r.proofs.find((p) => p.runner === runner && /^the manager reads and writes /.test(p.claim));

describe('doctor: a runner whose cache has no Path', () => {
  it('alone on its bucket: its manager reaching every key is what it needs (no RF202), and the proof says so', () => {
    const r = run(MAIN);
    expect(r.findings.filter((f) => f.code === 'RF202' || f.code === 'RF201')).toEqual([]);
    expect(cacheProof(r, 'docker-ci')).toEqual({ runner: 'docker-ci', claim: 'the manager reads and writes every key (its cache has no Path) in cache acme-gitlab-docker-ci-cache and nothing else there', holds: true });
  });
  it('beside a runner with a Path in the same bucket: RF202, its grant on the whole bucket reaches that runner\'s cache', () => {
    const r = run(MAIN + SECOND);
    const f = r.findings.find((x) => x.code === 'RF202');
    // At the line of its BucketName in the template (before 27b: at the launch template, no line; before 30b: line 27 of the rendered user data).
    expect(f?.message).toMatch(/^line 27 of ec2\/user-data\.sh\.tpl: role gitlab-docker-ci reaches other runners' cache paths in bucket acme-gitlab-docker-ci-cache \(second\): s3:GetObject on second\/probe, /);
    expect(f?.fix).toBe('give every runner of the bucket its own [runners.cache] Path, and grant each manager only its own prefix');
    expect(cacheProof(r, 'docker-ci')?.holds).toBe(false);
    // The runner with a Path and a grant on it alone is proven as before.
    expect(cacheProof(r, 'second')).toEqual({ runner: 'second', claim: 'the manager reads and writes second/ in cache acme-gitlab-docker-ci-cache and nothing else there', holds: true });
  });
});
