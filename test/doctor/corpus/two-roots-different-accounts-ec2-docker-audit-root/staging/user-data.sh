#!/bin/bash
set -euo pipefail
cat > /etc/gitlab-runner/config.toml <<'EOF2'
concurrent = 2

[[runners]]
  name = "docker-stg"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
EOF2
token="$(aws ssm get-parameter --name /ci/docker-stg/token --with-decryption --query Parameter.Value --output text)"
