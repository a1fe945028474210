# The launch configuration of ec2-docker-launch-configuration with its user data rendered by a
# data "template_file" whose template is read with file(), as older runner modules write it (cmdlabs):
# the findings about its lines point at the template's lines.
provider "aws" {
  region              = "eu-central-1"
  allowed_account_ids = ["444455556666"]
}

resource "aws_iam_role" "manager" {
  name = "build-runner-manager"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "manager" {
  name = "cache-and-token"
  role = aws_iam_role.manager.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::build-runner-cache/builds/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::build-runner-cache", Condition = { StringLike = { "s3:prefix" = ["builds/*", "builds"] } } },
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-central-1:444455556666:parameter/build-runner/builds/token" },
    ]
  })
}

resource "aws_iam_instance_profile" "manager" {
  name = "build-runner-manager"
  role = aws_iam_role.manager.name
}

resource "aws_ssm_parameter" "token" {
  name  = "/build-runner/builds/token"
  type  = "SecureString"
  value = "set-by-runner-registration"
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_security_group" "manager" {
  name   = "build-runner-manager"
  vpc_id = "vpc-0fedcba9876543210"
}

data "template_file" "user_data" {
  template = file("${path.module}/template/user-data.sh.tpl")

  vars = {
    runner_name = "builds"
    bucket      = "build-runner-cache"
    token_param = aws_ssm_parameter.token.name
  }
}

resource "aws_launch_configuration" "manager" {
  name_prefix          = "build-runner-"
  image_id             = "ami-0fedcba9876543210"
  instance_type        = "t3.medium"
  security_groups      = [aws_security_group.manager.id]
  iam_instance_profile = aws_iam_instance_profile.manager.name
  user_data            = data.template_file.user_data.rendered

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted = true
  }
}

resource "aws_autoscaling_group" "manager" {
  name                 = "build-runner-manager"
  min_size             = 1
  max_size             = 1
  vpc_zone_identifier  = ["subnet-0fedcba9876543210"]
  launch_configuration = aws_launch_configuration.manager.name
}
