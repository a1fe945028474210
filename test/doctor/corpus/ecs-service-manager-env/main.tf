# A GitLab runner manager run as an ECS service: a custom image whose entrypoint registers the
# runner from gitlab-runner register's environment settings (CI_SERVER_URL, REGISTRATION_TOKEN,
# RUNNER_EXECUTOR, RUNNER_TAG_LIST, CACHE_*) and then runs it. The config.toml is made inside the
# container at start-up: nothing in these files shows it. The registration token is written here
# literally (a made-up value of the old, unprefixed form).
provider "aws" {
  region = "eu-west-1"
}

resource "aws_ecs_cluster" "ci" {
  name = "gitlab-ci"
}

resource "aws_s3_bucket" "cache" {
  bucket = "acme-gitlab-ecs-cache"
}

resource "aws_ssm_parameter" "runner_token" {
  name  = "/gitlab/runner/token"
  type  = "SecureString"
  value = "placeholder"

  lifecycle {
    ignore_changes = [value]
  }
}

data "aws_iam_policy_document" "ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "gitlab-runner-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_ecs_task_definition" "runner" {
  family                   = "gitlab-runner-manager"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([
    {
      name      = "runner"
      image     = "registry.example.com/platform/gitlab-runner-ecs:2.3.1"
      essential = true
      environment = [
        { name = "CI_SERVER_URL", value = "https://gitlab.example.com" },
        { name = "RUNNER_EXECUTOR", value = "docker" },
        { name = "RUNNER_TAG_LIST", value = "ecs,docker" },
        { name = "CACHE_TYPE", value = "s3" },
        { name = "CACHE_S3_BUCKET_NAME", value = aws_s3_bucket.cache.bucket },
        { name = "REGISTRATION_TOKEN", value = "Xq7pLm2vRt9wKs4nBz8c" },
      ]
    }
  ])
}

resource "aws_ecs_service" "runner" {
  name            = "gitlab-runner"
  cluster         = aws_ecs_cluster.ci.id
  task_definition = aws_ecs_task_definition.runner.arn
  desired_count   = 1
  launch_type     = "FARGATE"

  network_configuration {
    subnets = ["subnet-0a1b2c3d4e5f60718"]
  }
}
