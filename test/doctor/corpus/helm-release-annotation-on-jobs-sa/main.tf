# The chart through helm_release creates the manager's service account (set blocks) but carries no role
# annotation; the role's ARN is written on the jobs' service account instead (jobs.yaml).
data "aws_caller_identity" "current" {}

locals {
  oidc_issuer = "oidc.eks.eu-central-1.amazonaws.com/id/5C9D3A1B7E2F4A6B8C0D2E4F6A8B0C2D"
  namespace   = "ci"
}

resource "aws_iam_role" "runner" {
  name = "ci-gitlab-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = {
        Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.oidc_issuer}"
      }
      Action = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc_issuer}:sub" = "system:serviceaccount:${local.namespace}:gitlab-runner"
          "${local.oidc_issuer}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "runner_cache" {
  name = "cache"
  role = aws_iam_role.runner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::ci-runner-cache/gitlab/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::ci-runner-cache", Condition = { StringLike = { "s3:prefix" = ["gitlab/*", "gitlab"] } } },
    ]
  })
}

resource "helm_release" "gitlab_runner" {
  name             = "gitlab-runner"
  repository       = "https://charts.gitlab.io"
  chart            = "gitlab-runner"
  version          = "0.70.3"
  namespace        = local.namespace
  create_namespace = true

  values = [templatefile("${path.module}/values.yaml.tpl", {
    bucket    = "ci-runner-cache"
    namespace = local.namespace
  })]

  set {
    name  = "gitlabUrl"
    value = "https://gitlab.example.org/"
  }

  set {
    name  = "rbac.create"
    value = "true"
  }

  set {
    name  = "serviceAccount.create"
    value = "true"
  }

  set {
    name  = "serviceAccount.name"
    value = "gitlab-runner"
  }


  set_sensitive {
    name  = "runnerToken"
    value = var.runner_token
  }
}

variable "runner_token" {
  type      = string
  sensitive = true
}
