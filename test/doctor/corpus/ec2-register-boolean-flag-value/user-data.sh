#!/bin/bash
set -euo pipefail
dnf install -y docker gitlab-runner
BUCKET=example-ci-cache
token="$(aws ssm get-parameter --name /ci/docker-ci/token --with-decryption --query Parameter.Value --output text)"
gitlab-runner register --non-interactive \
  --url "https://gitlab.example.com" \
  --token "$token" \
  --name docker-ci \
  --executor docker \
  --docker-image alpine:3.22 \
  --docker-privileged false \
  --cache-type s3 \
  --cache-path docker \
  --cache-s3-bucket-name "$BUCKET" \
  --cache-s3-bucket-location=eu-west-1 \
  --cache-s3-authentication_type iam
