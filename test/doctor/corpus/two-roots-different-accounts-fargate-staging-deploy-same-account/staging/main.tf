terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = "us-east-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}

variable "subnet_id" {
  type    = string
  default = "subnet-0123456789abcdef0"
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  cache      = "acme-fargate-stg-runner-cache"
}

resource "aws_ecs_cluster" "ci" {
  name = "gitlab-ci-stg"
}

# --- jobs: the task role (what jobs can do) and the execution role (pull + logs)
data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:us-east-1:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "job_task" {
  name               = "gitlab-ci-stg-job-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "job_task" {
  name = "ecr-push"
  role = aws_iam_role.job_task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },
      { Effect = "Allow", Action = ["ecr:BatchCheckLayerAvailability", "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"], Resource = "arn:aws:ecr:us-east-1:${local.account_id}:repository/acme/*" }
    ]
  })
}

resource "aws_iam_role" "task_execution" {
  name               = "gitlab-ci-stg-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_security_group" "tasks" {
  name   = "gitlab-ci-stg-tasks"
  vpc_id = "vpc-0123456789abcdef0"
  ingress {
    description     = "SSH from the runner manager only"
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.manager.id]
  }
  egress {
    description = "GitLab, AWS APIs, image pulls"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_task_definition" "ci" {
  family                   = "gitlab-ci-stg-coordinator"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1024"
  memory                   = "2048"
  task_role_arn            = aws_iam_role.job_task.arn
  execution_role_arn       = aws_iam_role.task_execution.arn
  container_definitions = jsonencode([
    {
      name         = "ci-coordinator"
      image        = "registry.gitlab.com/acme/ci-images/fargate-coordinator@sha256:1111111111111111111111111111111111111111111111111111111111111111"
      essential    = true
      portMappings = [{ containerPort = 22, protocol = "tcp" }]
    }
  ])
}

# --- the manager: one EC2 instance running gitlab-runner with the Fargate driver
data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "manager" {
  name               = "gitlab-runner-stg-fargate-manager"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_instance_profile" "manager" {
  name = "gitlab-runner-stg-fargate-manager"
  role = aws_iam_role.manager.name
}

resource "aws_iam_role_policy" "manager_ecs" {
  name = "fargate-driver"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "ecs:RunTask"
        Resource = "${aws_ecs_task_definition.ci.arn_without_revision}:*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.ci.arn } }
      },
      {
        Effect   = "Allow"
        Action   = ["ecs:StopTask", "ecs:DescribeTasks"]
        Resource = "arn:aws:ecs:us-east-1:${local.account_id}:task/gitlab-ci-stg/*"
      },
      { Effect = "Allow", Action = ["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"], Resource = "*" },
      {
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = [aws_iam_role.job_task.arn, aws_iam_role.task_execution.arn]
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::${local.cache}/fargate/*" },
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::${local.cache}", Condition = { StringLike = { "s3:prefix" = ["fargate/*"] } } },
      { Effect = "Allow", Action = ["ssm:GetParameter"], Resource = aws_ssm_parameter.token.arn }
    ]
  })
}

resource "aws_s3_bucket" "cache" {
  bucket = local.cache
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

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_ssm_parameter" "token" {
  name  = "/gitlab-runner/fargate-stg/token"
  type  = "SecureString"
  value = "replace-me"
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_security_group" "manager" {
  name   = "gitlab-runner-stg-fargate-manager"
  vpc_id = "vpc-0123456789abcdef0"
  egress {
    description = "GitLab, AWS APIs, image pulls"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "manager" {
  name_prefix            = "gitlab-runner-stg-fargate-"
  image_id               = "ami-0123456789abcdef0"
  instance_type          = "t3.small"
  vpc_security_group_ids = [aws_security_group.manager.id]
  iam_instance_profile {
    name = aws_iam_instance_profile.manager.name
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      encrypted = true
    }
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y gitlab-runner
    curl -fsSL -o /opt/gitlab-runner/fargate https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com/latest/fargate-linux-amd64
    echo "0000000000000000000000000000000000000000000000000000000000000000  /opt/gitlab-runner/fargate" | sha256sum -c -
    chmod +x /opt/gitlab-runner/fargate
    TOKEN=$(aws ssm get-parameter --with-decryption --name /gitlab-runner/fargate-stg/token --query Parameter.Value --output text)
    cat > /etc/gitlab-runner/fargate.toml <<'TOML'
    LogLevel = "info"
    LogFormat = "text"
    [Fargate]
      Cluster = "gitlab-ci-stg"
      Region = "us-east-1"
      Subnet = "${var.subnet_id}"
      SecurityGroup = "${aws_security_group.tasks.id}"
      TaskDefinition = "gitlab-ci-stg-coordinator"
      EnablePublicIP = false
      UsePublicIP = false
    [TaskMetadata]
      Directory = "/opt/gitlab-runner/metadata"
    [SSH]
      Username = "root"
      Port = 22
    TOML
    cat > /etc/gitlab-runner/config.toml <<TOML
    concurrent = 10
    [[runners]]
      name = "fargate-stg"
      url = "https://gitlab.com"
      token = "$TOKEN"
      executor = "custom"
      builds_dir = "/opt/gitlab-runner/builds"
      cache_dir = "/opt/gitlab-runner/cache"
      [runners.custom]
        volumes = ["/cache"]
        config_exec = "/opt/gitlab-runner/fargate"
        config_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "config"]
        prepare_exec = "/opt/gitlab-runner/fargate"
        prepare_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "prepare"]
        run_exec = "/opt/gitlab-runner/fargate"
        run_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "run"]
        cleanup_exec = "/opt/gitlab-runner/fargate"
        cleanup_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "cleanup"]
      [runners.cache]
        Type = "s3"
        Path = "fargate"
        Shared = false
        [runners.cache.s3]
          BucketName = "acme-fargate-stg-runner-cache"
          BucketLocation = "us-east-1"
          AuthenticationType = "iam"
    TOML
    systemctl restart gitlab-runner
  EOT
  )
}

resource "aws_autoscaling_group" "manager" {
  name                = "gitlab-runner-stg-fargate"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = [var.subnet_id]
  launch_template {
    id      = aws_launch_template.manager.id
    version = "$Latest"
  }
}

# staging's jobs deploy with a role of their own account (222222222222): a same-account trust of the
# job role, no deploy target of another account, so no External ID is needed.
resource "aws_iam_role" "deploy" {
  name = "stg-deploy"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::222222222222:role/gitlab-ci-stg-job-task" }, Action = "sts:AssumeRole" }]
  })
}
