provider "aws" {
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}

resource "aws_kms_key" "token" {
  description = "runner token (staging)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "Account", Effect = "Allow", Principal = { AWS = "arn:aws:iam::222222222222:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_ssm_parameter" "token" {
  name   = "/ci/docker-stg/token"
  type   = "SecureString"
  key_id = "arn:aws:kms:eu-west-1:222222222222:key/7b5e9d40-2222-4c3f-8e2a-bbbbbbbbbbbb"
  value  = "placeholder"
  lifecycle { ignore_changes = [value] }
}

resource "aws_iam_role" "ci" {
  name = "ci-docker-runner-staging"
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
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:222222222222:parameter/ci/docker-stg/token" },
      {
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = "arn:aws:kms:eu-west-1:222222222222:key/7b5e9d40-2222-4c3f-8e2a-bbbbbbbbbbbb"
        Condition = {
          StringEquals = {
            "kms:ViaService"                     = "ssm.eu-west-1.amazonaws.com"
            "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:222222222222:parameter/ci/docker-stg/token"
          }
        }
      },
    ]
  })
}

resource "aws_iam_instance_profile" "ci" {
  name = "ci-docker-runner-staging"
  role = aws_iam_role.ci.name
}

resource "aws_launch_template" "ci" {
  name                 = "ci-docker-runner-staging"
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
  name = "gitlab-deploy-staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::222222222222:oidc-provider/gitlab.example.com" }
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
