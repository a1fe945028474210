#!/bin/bash
set -euo pipefail
yum install -y docker gitlab-runner
systemctl enable --now docker
install -d -m 0700 /etc/gitlab-runner
cat > /etc/gitlab-runner/config.toml <<'TOML'
concurrent = 4

[[runners]]
  name = "builds"
  url = "https://gitlab.example.org"
  token = "$RUNNER_TOKEN"
  executor = "docker"
  [runners.docker]
    image = "debian:bookworm-slim"
    privileged = false
  [runners.cache]
    Type = "s3"
    Path = "builds"
    Shared = false
    [runners.cache.s3]
      BucketName = "build-runner-cache"
      BucketLocation = "eu-central-1"
      AuthenticationType = "iam"
TOML
RUNNER_TOKEN="$(aws ssm get-parameter --name /build-runner/builds/token --with-decryption --query Parameter.Value --output text)"
sed -i "s|\$RUNNER_TOKEN|${RUNNER_TOKEN}|" /etc/gitlab-runner/config.toml
systemctl restart gitlab-runner
