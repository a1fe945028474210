# References that name nothing, each a finding where it is written (RF913), never a crash.

variable "namespace" {
  type    = string
  default = "gitlab"
}

locals {
  roles = toset(["gitlab-runner-manager", "gitlab-runner-jobs"])
}

resource "aws_iam_role" "party" {
  for_each           = local.roles
  name               = each.key
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}

resource "aws_iam_role_policy" "a" {
  role   = aws_iam_role.party["gitlab-runner-manger"].name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::${var.bucket}/*" }] })
}

resource "aws_iam_role_policy" "b" {
  role   = aws_iam_role.parties["gitlab-runner-jobs"].name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:GetCallerIdentity", Resource = "*", Sid = "n${count.index}" }] })
}

resource "aws_iam_role_policy" "c" {
  role   = aws_iam_role.party["gitlab-runner-jobs"].name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::${var.namespaces}" }] })
}
