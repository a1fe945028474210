# runner/ of one deployment split by concern into two roots (runner/ and gitlab/), each applied
# with its own tfvars: the IRSA roles, the gitlab-runner chart (its token Secret named by this
# root's var.token_secret_name) and the cache.
variable "token_secret_name" {
  type        = string
  description = "The Secret holding the runner token (set in tfvars)."
}

locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0STAG4633E53DE1B716D3041E"
}

resource "aws_iam_role" "staging_manager" {
  name = "gitlab-runner-manager-staging"
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

resource "aws_iam_role_policy" "staging_manager_cache" {
  name = "cache"
  role = aws_iam_role.staging_manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-staging-runner-cache/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-staging-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } },
    ]
  })
}

resource "aws_iam_role" "staging_jobs" {
  name = "gitlab-runner-jobs-staging"
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

resource "aws_iam_role_policy" "staging_jobs_ecr" {
  name   = "ecr"
  role   = aws_iam_role.staging_jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }] })
}

resource "helm_release" "staging_gitlab_runner" {
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
      secret = var.token_secret_name
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

