# docker-autoscaler on EC2, written by hand from the GitLab docs (docker_autoscaler.md) and the
# fleeting-plugin-aws README: one manager instance in its own ASG of 1, a worker ASG of 0..10 the
# plugin scales, an S3 cache, the runner token in SSM.
provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  worker_asg = "gitlab-ci-workers"
  cache      = "acme-ci-autoscaler-cache"
}

resource "aws_security_group" "manager" {
  name   = "gitlab-runner-manager"
  vpc_id = "vpc-0123456789abcdef0"
  egress {
    description = "GitLab, AWS APIs, workers"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "workers" {
  name   = "gitlab-ci-workers"
  vpc_id = "vpc-0123456789abcdef0"
  ingress {
    description     = "SSH from the runner manager only"
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.manager.id]
  }
  egress {
    description = "image pulls, git clone"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# --- workers: no instance profile (jobs get no AWS identity), IMDSv2 only
resource "aws_launch_template" "workers" {
  name_prefix            = "gitlab-ci-worker-"
  image_id               = "ami-0123456789abcdef0"
  instance_type          = "m7i.large"
  vpc_security_group_ids = [aws_security_group.workers.id]
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 50
      volume_type = "gp3"
      encrypted   = true
    }
  }
}

resource "aws_autoscaling_group" "workers" {
  name                  = local.worker_asg
  min_size              = 0
  max_size              = 10
  desired_capacity      = 0
  vpc_zone_identifier   = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  protect_from_scale_in = true
  suspended_processes   = ["AZRebalance"]
  launch_template {
    id      = aws_launch_template.workers.id
    version = "$Latest"
  }
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

# --- manager identity
resource "aws_iam_role" "manager" {
  name = "gitlab-runner-autoscaler-manager"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "manager" {
  name = "gitlab-runner-autoscaler-manager"
  role = aws_iam_role.manager.name
}

resource "aws_iam_role_policy" "manager" {
  name = "fleeting-and-cache"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
        Resource = aws_autoscaling_group.workers.arn
      },
      {
        Effect   = "Allow"
        Action   = ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"]
        Resource = "*"
      },
      {
        Effect    = "Allow"
        Action    = ["ec2-instance-connect:SendSSHPublicKey"]
        Resource  = "arn:aws:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:instance/*"
        Condition = { StringEquals = { "ec2:ResourceTag/aws:autoscaling:groupName" = local.worker_asg } }
      },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::${local.cache}/runner/*" },
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::${local.cache}", Condition = { StringLike = { "s3:prefix" = ["runner/*"] } } },
      { Effect = "Allow", Action = ["ssm:GetParameter"], Resource = aws_ssm_parameter.runner_token.arn }
    ]
  })
}

resource "aws_ssm_parameter" "runner_token" {
  name  = "/gitlab-runner/autoscaler/token"
  type  = "SecureString"
  value = "placeholder"
  lifecycle {
    ignore_changes = [value]
  }
}

# --- manager instance
resource "aws_launch_template" "manager" {
  name                   = "gitlab-runner-autoscaler-manager"
  image_id               = "ami-0fedcba9876543210"
  instance_type          = "t3.small"
  vpc_security_group_ids = [aws_security_group.manager.id]
  iam_instance_profile {
    name = aws_iam_instance_profile.manager.name
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 20
      volume_type = "gp3"
      encrypted   = true
    }
  }
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    export AWS_ACCESS_KEY_ID=AKIAQ7W3E9R2T5Y8U1I4
    dnf install -y gitlab-runner
    TOKEN=$(aws ssm get-parameter --name /gitlab-runner/autoscaler/token --with-decryption --query Parameter.Value --output text)
    gitlab-runner fleeting install
    cat > /etc/gitlab-runner/config.toml <<TOML
    concurrent = 10
    check_interval = 3

    [[runners]]
      name = "autoscaler"
      url = "https://gitlab.com/"
      token = "$TOKEN"
      executor = "docker-autoscaler"
      [runners.docker]
        image = "alpine:3.22"
        privileged = false
      [runners.cache]
        Type = "s3"
        Path = "runner"
        Shared = true
        [runners.cache.s3]
          BucketName = "acme-ci-autoscaler-cache"
          BucketLocation = "eu-west-1"
      [runners.autoscaler]
        plugin = "aws:latest"
        capacity_per_instance = 1
        max_use_count = 1
        max_instances = 10
        [runners.autoscaler.plugin_config]
          name = "gitlab-ci-workers"
        [runners.autoscaler.connector_config]
          username = "ec2-user"
          use_external_addr = false
        [[runners.autoscaler.policy]]
          idle_count = 2
          idle_time = "20m0s"
    TOML
    systemctl restart gitlab-runner
  EOT
  )
}

resource "aws_autoscaling_group" "manager" {
  name                = "gitlab-runner-autoscaler-manager"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = ["subnet-0123456789abcdef0"]
  launch_template {
    id      = aws_launch_template.manager.id
    version = "$Latest"
  }
}

# --- cache
resource "aws_s3_bucket" "cache" {
  bucket = local.cache
}

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "cache" {
  bucket = aws_s3_bucket.cache.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 14
    }
  }
}

resource "aws_s3_bucket_policy" "cache" {
  bucket = aws_s3_bucket.cache.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TLSOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.cache.arn, "${aws_s3_bucket.cache.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
