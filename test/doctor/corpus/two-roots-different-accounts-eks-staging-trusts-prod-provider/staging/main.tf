# The staging cluster's runner in account 222222222222 (its provider's allowed_account_ids), with the same resource addresses as the
# other root (aws_iam_role.manager …): IRSA roles in Terraform, the gitlab-runner chart through helm_release.
# The manager role's trust names the OIDC provider of prod's account (111111111111), a copy from prod/.

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["222222222222"]
}

locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0STAG4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager-staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/${local.oidc}" }
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
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-staging-runner-cache/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-staging-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } },
    ]
  })
}

resource "aws_iam_role" "jobs" {
  name = "gitlab-runner-jobs-staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::222222222222:oidc-provider/${local.oidc}" }
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

resource "helm_release" "gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = "gitlab-runner"

  values = [yamlencode({
    gitlabUrl  = "https://gitlab.example.com/"
    concurrent = 10
    rbac       = { create = false }
    serviceAccount = { create = false, name = "gitlab-runner" }
    runners = {
      secret = "gitlab-runner-token"
      config = <<-TOML
        [[runners]]
          executor = "kubernetes"
          [runners.kubernetes]
            namespace = "gitlab-runner"
            image = "alpine:3.22"
            service_account = "gitlab-runner-jobs"
            privileged = false
          [runners.cache]
            Type = "s3"
            Path = "runner"
            Shared = true
            [runners.cache.s3]
              BucketName = "example-staging-runner-cache"
              BucketLocation = "eu-west-1"
              AuthenticationType = "iam"
      TOML
    }
    securityContext = {
      allowPrivilegeEscalation = false
      runAsNonRoot             = true
      privileged               = false
      capabilities             = { drop = ["ALL"] }
      seccompProfile           = { type = "RuntimeDefault" }
    }
    podSecurityContext = {
      runAsUser      = 100
      fsGroup        = 65533
      runAsNonRoot   = true
      seccompProfile = { type = "RuntimeDefault" }
    }
  })]
}
