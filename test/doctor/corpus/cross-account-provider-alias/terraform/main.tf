# One root, two accounts, as the AWS provider docs show it: the default provider works in the CI
# account, an aliased one in staging, and the deploy role names its provider. The deploy role
# trusts the runner's job role by ARN but demands no External ID and pins no organization (RF116);
# its policy denies only Delete* and Deregister* of ecs, the other delete-like actions stay open
# (RF113). The aliased block is written first: the CI account is still the default provider's.

provider "aws" {
  alias               = "staging"
  region              = "eu-west-1"
  allowed_account_ids = ["444455556666"]
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_iam_role" "ci_deploy" {
  provider = aws.staging
  name     = "ci-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/gitlab-runner-jobs" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "ci_deploy" {
  provider = aws.staging
  name     = "deploy"
  role     = aws_iam_role.ci_deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ecs:UpdateService", "ecs:DescribeServices"], Resource = "*" },
      { Effect = "Deny", Action = ["ecs:Delete*", "ecs:Deregister*"], Resource = "*" },
    ]
  })
}
