provider "aws" {
  region = "eu-west-1"
  allowed_account_ids = ["111111111111"]
}

resource "aws_kms_key" "token" {
  description = "runner token (prod)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "Account", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_ssm_parameter" "token" {
  name   = "/ci/docker-ci/token"
  type   = "SecureString"
  key_id = "arn:aws:kms:eu-west-1:111111111111:key/0f3c2a1e-1111-4a6b-9c1d-aaaaaaaaaaaa"
  value  = "placeholder"
  lifecycle { ignore_changes = [value] }
}

resource "aws_iam_role" "ci" {
  name = "ci-docker-runner-prod"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ci" {
  name = "runner"
  role = aws_iam_role.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111111111111:parameter/ci/docker-ci/token" },
      {
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = "arn:aws:kms:eu-west-1:111111111111:key/0f3c2a1e-1111-4a6b-9c1d-aaaaaaaaaaaa"
        Condition = {
          StringEquals = {
            "kms:ViaService"                     = "ssm.eu-west-1.amazonaws.com"
            "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:111111111111:parameter/ci/docker-ci/token"
          }
        }
      },
    ]
  })
}

resource "aws_iam_instance_profile" "ci" {
  name = "ci-docker-runner-prod"
  role = aws_iam_role.ci.name
}

resource "aws_launch_template" "ci" {
  name                 = "ci-docker-runner-prod"
  image_id             = "ami-0123456789abcdef0"
  instance_type        = "t3.large"
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

resource "aws_iam_role" "deploy" {
  name = "gitlab-deploy-prod"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "gitlab.example.com:aud" = "https://gitlab.example.com"
          "gitlab.example.com:sub" = "project_path:acme/app:ref_type:branch:ref:main"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecs:UpdateService", Resource = "*" }] })
}
