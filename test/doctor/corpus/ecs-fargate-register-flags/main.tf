terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "subnet_id" {
  type    = string
  default = "subnet-0123456789abcdef0"
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  cache      = "acme-fargate-runner-cache"
}

resource "aws_ecs_cluster" "ci" {
  name = "gitlab-ci"
}

# --- jobs: the task role (what jobs can do) and the execution role (pull + logs)
data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "job_task" {
  name               = "gitlab-ci-job-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "job_task" {
  name = "ecr-push"
  role = aws_iam_role.job_task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },
      { Effect = "Allow", Action = ["ecr:BatchCheckLayerAvailability", "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"], Resource = "arn:aws:ecr:eu-west-1:${local.account_id}:repository/acme/*" }
    ]
  })
}

resource "aws_iam_role" "task_execution" {
  name               = "gitlab-ci-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_security_group" "tasks" {
  name   = "gitlab-ci-tasks"
  vpc_id = "vpc-0123456789abcdef0"
  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.manager.id]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_task_definition" "ci" {
  family                   = "gitlab-ci-coordinator"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1024"
  memory                   = "2048"
  task_role_arn            = aws_iam_role.job_task.arn
  execution_role_arn       = aws_iam_role.task_execution.arn
  container_definitions = jsonencode([
    {
      name         = "ci-coordinator"
      image        = "registry.gitlab.com/acme/ci-images/fargate-coordinator:1.4"
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
  name               = "gitlab-runner-fargate-manager"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_instance_profile" "manager" {
  name = "gitlab-runner-fargate-manager"
  role = aws_iam_role.manager.name
}

resource "aws_iam_role_policy_attachment" "manager_ssm" {
  role       = aws_iam_role.manager.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "manager_ecs" {
  name = "fargate-driver"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"]
        Resource = "*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.ci.arn } }
      },
      { Effect = "Allow", Action = ["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"], Resource = "*" },
      {
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = [aws_iam_role.job_task.arn, aws_iam_role.task_execution.arn]
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

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_ssm_parameter" "token" {
  name  = "/gitlab-runner/fargate/token"
  type  = "SecureString"
  value = "replace-me"
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_security_group" "manager" {
  name   = "gitlab-runner-fargate-manager"
  vpc_id = "vpc-0123456789abcdef0"
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "manager" {
  name_prefix            = "gitlab-runner-fargate-"
  image_id               = "ami-0123456789abcdef0"
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
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y gitlab-runner
    curl -fsSL -o /opt/gitlab-runner/fargate https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com/latest/fargate-linux-amd64
    chmod +x /opt/gitlab-runner/fargate
    TOKEN=$(aws ssm get-parameter --with-decryption --name /gitlab-runner/fargate/token --query Parameter.Value --output text)
    cat > /etc/gitlab-runner/fargate.toml <<'TOML'
    LogLevel = "info"
    LogFormat = "text"
    [Fargate]
      Cluster = "gitlab-ci"
      Region = "eu-west-1"
      Subnet = "${var.subnet_id}"
      SecurityGroup = "${aws_security_group.tasks.id}"
      TaskDefinition = "gitlab-ci-coordinator"
      EnablePublicIP = false
      UsePublicIP = false
    [TaskMetadata]
      Directory = "/opt/gitlab-runner/metadata"
    [SSH]
      Username = "root"
      Port = 22
    TOML
    gitlab-runner register --non-interactive \
      --url https://gitlab.com \
      --token "$TOKEN" \
      --name fargate \
      --executor custom \
      --builds-dir /opt/gitlab-runner/builds \
      --cache-dir /opt/gitlab-runner/cache \
      --custom-config-exec /opt/gitlab-runner/fargate \
      --custom-config-args=--config --custom-config-args /etc/gitlab-runner/fargate.toml --custom-config-args custom --custom-config-args config \
      --custom-prepare-exec /opt/gitlab-runner/fargate \
      --custom-prepare-args=--config --custom-prepare-args /etc/gitlab-runner/fargate.toml --custom-prepare-args custom --custom-prepare-args prepare \
      --custom-run-exec /opt/gitlab-runner/fargate \
      --custom-run-args=--config --custom-run-args /etc/gitlab-runner/fargate.toml --custom-run-args custom --custom-run-args run \
      --custom-cleanup-exec /opt/gitlab-runner/fargate \
      --custom-cleanup-args=--config --custom-cleanup-args /etc/gitlab-runner/fargate.toml --custom-cleanup-args custom --custom-cleanup-args cleanup \
      --cache-type s3 \
      --cache-path fargate \
      --cache-s3-bucket-name acme-fargate-runner-cache \
      --cache-s3-bucket-location eu-west-1 \
      --cache-s3-authentication_type iam
    systemctl restart gitlab-runner
  EOT
  )
}

resource "aws_autoscaling_group" "manager" {
  name                = "gitlab-runner-fargate"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = [var.subnet_id]
  launch_template {
    id      = aws_launch_template.manager.id
    version = "$Latest"
  }
}
