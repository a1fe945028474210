provider "aws" {
  region = "us-east-1"
  allowed_account_ids = ["111122223333"]
  default_tags {
    tags = { environment = "staging" }
  }
}

resource "aws_ssm_parameter" "token" {
  name  = "/ci/docker-ci/token"
  type  = "SecureString"
  value = "placeholder"
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
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = aws_ssm_parameter.token.arn },
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
  name   = "deploy"
  role   = aws_iam_role.deploy.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecs:UpdateService", Resource = "*" }] })
}
