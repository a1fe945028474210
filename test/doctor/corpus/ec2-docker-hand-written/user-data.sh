#!/bin/bash
set -euo pipefail
dnf install -y docker gitlab-runner
cat > /etc/gitlab-runner/config.toml <<'EOF'
concurrent = 2

[[runners]]
  name = "docker-ci"
  url = "https://gitlab.example.com"
  token = "$CI_SERVER_TOKEN"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
    privileged = false
  [runners.cache]
    Type = "s3"
    Path = "docker"
    Shared = false
    [runners.cache.s3]
      BucketName = "example-ci-cache"
      BucketLocation = "eu-west-1"
      AuthenticationType = "iam"
EOF
token="$(aws ssm get-parameter --name /ci/docker-ci/token --with-decryption --query Parameter.Value --output text)"
