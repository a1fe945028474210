#!/bin/bash
set -euo pipefail
${setup}
dnf install -y docker
echo "vm.max_map_count=262144" | sudo sh -c 'cat >> /etc/sysctl.conf'
printf 'sysctl --system\n' | sudo bash
systemctl enable --now docker
curl -fsSL -o /tmp/gitlab-runner.rpm "https://s3.dualstack.us-east-1.amazonaws.com/gitlab-runner-downloads/v17.11.0/rpm/gitlab-runner_amd64.rpm"
echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  /tmp/gitlab-runner.rpm" | sha256sum -c -
dnf install -y /tmp/gitlab-runner.rpm
TOKEN=$(aws ssm get-parameter --region ${region} --name "${token_param}" --with-decryption --query Parameter.Value --output text)
cat > /etc/gitlab-runner/config.toml <<TOML
concurrent = 4
check_interval = 0

[[runners]]
  name = "${runner_name}"
  url = "https://gitlab.com"
  token = "$TOKEN"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = true
    volumes = ["/var/run/docker.sock:/var/run/docker.sock", "/cache"]
  [runners.cache]
    Type = "s3"
    Shared = true
    [runners.cache.s3]
      ServerAddress = "s3.amazonaws.com"
      BucketName = "${bucket}"
      BucketLocation = "${region}"
      AuthenticationType = "iam"
TOML
curl -fsSL https://get.example.com/node-exporter/install.sh | sudo bash
systemctl restart gitlab-runner
