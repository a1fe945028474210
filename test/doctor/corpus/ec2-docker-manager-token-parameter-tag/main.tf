# A hand-written EC2 Docker runner whose manager reads its token parameter through a grant keyed on
# the parameter's own tag (attribute-based access): ssm:GetParameter on its parameter where
# ssm:resourceTag/runner = docker-ci, the tag the aws_ssm_parameter carries. AWS evaluates the read
# with the parameter's tags, so the manager can read its token; the proof holds.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_ssm_parameter" "token" {
  name  = "/ci/docker-ci/token"
  type  = "SecureString"
  value = "placeholder"
  tags = {
    runner = "docker-ci"
  }
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
      {
        Sid       = "ReadOwnTokenByTag"
        Effect    = "Allow"
        Action    = "ssm:GetParameter"
        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token"
        Condition = { StringEquals = { "ssm:resourceTag/runner" = "docker-ci" } }
      },
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
