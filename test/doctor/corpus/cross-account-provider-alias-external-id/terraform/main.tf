# The same two-account root done as the AWS guidance on third-party access says: the deploy role
# (provider = aws.staging) demands an External ID, given when Terraform runs (never written in a
# file), and its policy grants what the deploy needs and nothing that deletes.

provider "aws" {
  alias               = "staging"
  region              = "eu-west-1"
  allowed_account_ids = ["444455556666"]
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

variable "deploy_external_id" {
  type      = string
  sensitive = true
}

resource "aws_iam_role" "ci_deploy" {
  provider           = aws.staging
  name               = "ci-deploy"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Allow",
        "Principal": { "AWS": "arn:aws:iam::111122223333:role/gitlab-runner-jobs" },
        "Action": "sts:AssumeRole",
        "Condition": { "StringEquals": { "sts:ExternalId": "${var.deploy_external_id}" } }
      }]
    }
  EOT
}

resource "aws_iam_role_policy" "ci_deploy" {
  provider = aws.staging
  name     = "deploy"
  role     = aws_iam_role.ci_deploy.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["ecs:UpdateService", "ecs:DescribeServices"], Resource = "*" }]
  })
}
