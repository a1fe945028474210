locals {
  account_id  = "210987654321"
  oidc        = "oidc.eks.us-west-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
  namespace   = "gitlab-runner"
  cache       = "platform-runner-cache"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::${local.account_id}:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:${local.namespace}:gitlab-runner-manager"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "manager_cache" {
  name = "runner-cache"
  role = aws_iam_role.manager.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::${local.cache}/cache/*" },
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::${local.cache}", Condition = { StringLike = { "s3:prefix" = ["cache/*", "cache"] } } },
    ]
  })
}
