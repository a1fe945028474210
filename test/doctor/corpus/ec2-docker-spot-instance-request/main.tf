provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "runner" {
  name               = "gitlab-docker-ci"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "Token"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:aws:ssm:eu-west-1:${data.aws_caller_identity.current.account_id}:parameter/ci/docker-ci/token"]
  }
  statement {
    sid       = "Cache"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::example-ci-cache/docker-ci/*"]
  }
  statement {
    sid       = "CacheList"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::example-ci-cache"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["docker-ci/*", "docker-ci"]
    }
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "runner"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner.json
}

resource "aws_iam_instance_profile" "runner" {
  name = "gitlab-docker-ci"
  role = aws_iam_role.runner.name
}

resource "aws_ssm_parameter" "token" {
  name  = "/ci/docker-ci/token"
  type  = "SecureString"
  value = "set-by-registration"
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_security_group" "runner" {
  name   = "gitlab-docker-ci"
  vpc_id = "vpc-0123456789abcdef0"
  egress {
    description = "HTTPS to GitLab, registries and AWS APIs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# One manager on a spot instance, requested with the legacy spot request API; jobs run in Docker on it.
resource "aws_spot_instance_request" "runner" {
  spot_price             = "0.04"
  wait_for_fulfillment   = true
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.large"
  subnet_id              = "subnet-0123456789abcdef0"
  vpc_security_group_ids = [aws_security_group.runner.id]
  iam_instance_profile   = aws_iam_instance_profile.runner.name
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted = true
  }
  user_data = file("${path.module}/user-data.sh")
}
