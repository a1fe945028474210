# A hand-written EC2 Docker runner that reads its token from an SSM SecureString parameter encrypted
# with a customer key, and a role for GitLab ID tokens (the trust of GitLab's "OpenID Connect in
# AWS" guide) whose policy keeps the platform team's ABAC statement: roles tagged team = platform may
# read and decrypt every parameter. The deploy role's team tag comes from var.team, given only at
# apply, so whether every pipeline of acme/app can read the runner's token is not in the files.
variable "team" {
  type = string
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_kms_key" "token" {
  description = "runner tokens"
}

resource "aws_ssm_parameter" "token" {
  name   = "/ci/docker-ci/token"
  type   = "SecureString"
  value  = "placeholder"
  key_id = aws_kms_key.token.arn
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
      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.token.arn, Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" } } },
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

resource "aws_iam_role" "deploy" {
  name = "gitlab-deploy"
  tags = {
    team = var.team
  }
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com" }
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
  name = "deploy"
  role = aws_iam_role.deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "PlatformReadsCiParameters"
        Effect    = "Allow"
        Action    = ["ssm:GetParameter", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }
      },
    ]
  })
}
