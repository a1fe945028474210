# The prod cluster's runner roles (names as in the other cluster's manifests): IRSA for the manager and the jobs; the manager is a plain Deployment (manager.yaml).
locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0PROD4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager-prod"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab-runner:gitlab-runner"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "manager_cache" {
  name = "cache"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-prod-runner-cache/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-prod-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } },
    ]
  })
}

resource "aws_iam_role" "jobs" {
  name = "gitlab-runner-jobs-prod"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab-runner:gitlab-runner-jobs"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "jobs_ecr" {
  name   = "ecr"
  role   = aws_iam_role.jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }] })
}
