# A hand-written EC2 Docker runner that reads its token from an SSM SecureString parameter (the AWS
# managed key aws/ssm). The manager's instance role is tagged team = var.team, given only at apply,
# and its policy keeps the platform team's ABAC statement: roles tagged team = platform may read every
# parameter under /ci/. Whether the manager reads other runners' tokens turns on that value, so the
# proof "the manager reads its token parameter and no other runner's" is not in the files.
variable "team" {
  type = string
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_ssm_parameter" "token" {
  name  = "/ci/docker-ci/token"
  type  = "SecureString"
  value = "placeholder"
  lifecycle { ignore_changes = [value] }
}

resource "aws_iam_role" "ci" {
  name = "ci-docker-runner"
  tags = {
    team = var.team
  }
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
      {
        Sid       = "PlatformReadsCiParameters"
        Effect    = "Allow"
        Action    = "ssm:GetParameter"
        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/*"
        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }
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
