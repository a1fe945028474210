provider "aws" {
  region = "eu-central-1"
}

data "aws_caller_identity" "current" {}

locals {
  runner_name = "docker-ci"
  token_param = "/gitlab/runners/docker-ci/token"
}

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
  name               = "gitlab-${local.runner_name}"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "Token"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.token.arn]
  }
  statement {
    sid       = "Cache"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.cache.arn}/*"]
  }
  statement {
    sid       = "CacheList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.cache.arn]
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "runner"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner.json
}

resource "aws_iam_instance_profile" "runner" {
  name = "gitlab-${local.runner_name}"
  role = aws_iam_role.runner.name
}

resource "aws_ssm_parameter" "token" {
  name  = local.token_param
  type  = "SecureString"
  value = "replace-me"
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_s3_bucket" "cache" {
  bucket = "acme-gitlab-docker-ci-cache"
}

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_security_group" "runner" {
  name   = "gitlab-${local.runner_name}"
  vpc_id = "vpc-0123456789abcdef0"
  egress {
    description = "HTTPS to GitLab, registries and AWS APIs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "runner" {
  name_prefix            = "gitlab-${local.runner_name}-"
  image_id               = "ami-0123456789abcdef0"
  instance_type          = "m6i.large"
  vpc_security_group_ids = [aws_security_group.runner.id]
  iam_instance_profile {
    arn = aws_iam_instance_profile.runner.arn
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 50
      encrypted   = true
    }
  }
  user_data = base64encode(templatefile("${path.module}/user-data.sh.tpl", {
    token_param = local.token_param
    region      = "eu-central-1"
    bucket      = aws_s3_bucket.cache.bucket
    runner_name = local.runner_name
    setup       = join("\n", ["mkdir -p /opt/ci", "chmod 0755 /opt/ci", "echo setup done"])
  }))
}

resource "aws_autoscaling_group" "runner" {
  name                = "gitlab-${local.runner_name}"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = ["subnet-0123456789abcdef0"]
  launch_template {
    id      = aws_launch_template.runner.id
    version = "$Latest"
  }
}
