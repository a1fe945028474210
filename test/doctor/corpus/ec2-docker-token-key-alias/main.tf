# A hand-written EC2 Docker runner whose token parameter is encrypted with a customer key named by
# its alias (key_id = aws_kms_alias.token.name, the way the key is usually referenced). The key's
# policy lets the account's IAM policies grant it, but the manager role's policy grants no
# kms:Decrypt: SSM cannot decrypt the token for the manager, which then cannot read it at boot.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_kms_key" "token" {
  description = "runner tokens"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Account", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" },
    ]
  })
}

resource "aws_kms_alias" "token" {
  name          = "alias/runner-tokens"
  target_key_id = aws_kms_key.token.key_id
}

resource "aws_ssm_parameter" "token" {
  name   = "/ci/docker-ci/token"
  type   = "SecureString"
  value  = "placeholder"
  key_id = aws_kms_alias.token.name
  lifecycle { ignore_changes = [value] }
}

resource "aws_iam_role" "ci" {
  name = "ci-docker-runner"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ci" {
  name = "runner"
  role = aws_iam_role.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" },
    ]
  })
}

resource "aws_iam_instance_profile" "ci" {
  name = "ci-docker-runner"
  role = aws_iam_role.ci.name
}

resource "aws_launch_template" "ci" {
  name          = "ci-docker-runner"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.large"
  iam_instance_profile { name = aws_iam_instance_profile.ci.name }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      encrypted = true
    }
  }
  user_data = filebase64("${path.module}/user-data.sh")
}
