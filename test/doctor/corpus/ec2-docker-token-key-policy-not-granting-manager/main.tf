# A hand-written EC2 Docker runner whose token parameter is encrypted with a customer key. The
# manager role's own policy allows kms:Decrypt with the key, through SSM, for its parameter; but the
# key's policy (aws_kms_key_policy) gives the key to its administrators only: it neither allows the
# manager role nor lets the account's IAM policies grant the key (no kms:* to the account root). KMS
# then refuses the manager's decrypt, so the manager cannot read its token at boot.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_kms_key" "token" {
  description = "runner tokens"
}

resource "aws_kms_key_policy" "token" {
  key_id = aws_kms_key.token.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Admins", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/key-admin" }, Action = "kms:*", Resource = "*" },
    ]
  })
}

resource "aws_ssm_parameter" "token" {
  name   = "/ci/docker-ci/token"
  type   = "SecureString"
  value  = "placeholder"
  key_id = aws_kms_key.token.arn
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
      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" },
      {
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = aws_kms_key.token.arn
        Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" } }
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
