#!/bin/bash
set -euo pipefail
dnf install -y docker
systemctl enable --now docker
curl -fsSL -o /tmp/gitlab-runner.rpm "https://s3.dualstack.us-east-1.amazonaws.com/gitlab-runner-downloads/v17.11.0/rpm/gitlab-runner_amd64.rpm"
echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  /tmp/gitlab-runner.rpm" | sha256sum -c -
dnf install -y /tmp/gitlab-runner.rpm
TOKEN=$(aws ssm get-parameter --region eu-west-1 --name /ci/docker-ci/token --with-decryption --query Parameter.Value --output text)
cat > /etc/gitlab-runner/config.toml <<TOML
concurrent = 4

[[runners]]
  name = "docker-ci"
  url = "https://gitlab.example.com"
  token = "$TOKEN"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
    privileged = false
    volumes = ["/cache"]
  [runners.cache]
    Type = "s3"
    Path = "docker-ci"
    Shared = false
    [runners.cache.s3]
      BucketName = "example-ci-cache"
      BucketLocation = "eu-west-1"
      AuthenticationType = "iam"
TOML
systemctl restart gitlab-runner
