#!/bin/bash
set -euo pipefail
yum install -y docker
curl -sL https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.rpm.sh | bash
yum install -y gitlab-runner
systemctl enable --now docker
install -d -m 0700 /etc/gitlab-runner
cat > /etc/gitlab-runner/config.toml <<'TOML'
concurrent = 4

[[runners]]
  name = "${runner_name}"
  url = "https://gitlab.example.org"
  token = "$RUNNER_TOKEN"
  executor = "docker"
  [runners.docker]
    image = "debian:bookworm-slim"
    privileged = true
  [runners.cache]
    Type = "s3"
    Path = "builds"
    Shared = false
    [runners.cache.s3]
      BucketName = "${bucket}"
      BucketLocation = "eu-central-1"
      AuthenticationType = "iam"
TOML
RUNNER_TOKEN="$(aws ssm get-parameter --name ${token_param} --with-decryption --query Parameter.Value --output text)"
sed -i "s|\$RUNNER_TOKEN|$${RUNNER_TOKEN}|" /etc/gitlab-runner/config.toml
systemctl restart gitlab-runner
