# A third root with no runner, in its own account: an audit role that may read every parameter there.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["333333333333"]
}

resource "aws_iam_role" "audit" {
  name = "audit"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "audit" {
  name   = "audit"
  role   = aws_iam_role.audit.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["ssm:GetParameter", "kms:Decrypt"], Resource = "*" }] })
}
