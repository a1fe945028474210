resource "aws_iam_role" "runner" {
  name               = "gitlab-runner"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_instance_profile" "runner" {
  name = "gitlab-runner"
  role = aws_iam_role.runner.name
}

resource "aws_instance" "runner" {
  ami                  = "ami-0123456789abcdef0"
  instance_type        = "t3.medium"
  iam_instance_profile = aws_iam_instance_profile.runner.name
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted = true
  }
  user_data = <<-EOT
    #!/bin/bash
    TOKEN=$(aws ssm get-parameter --name /gitlab/runner-token --with-decryption --query Parameter.Value --output text)
    gitlab-runner register --non-interactive \
      --url https://gitlab.example.com \
      --token "$TOKEN" \
      --executor docker \
      --docker-image alpine:3.22 \
      --template-config /etc/gitlab-runner/template.toml
  EOT
}
