# IRSA with the manager's cache policy as the role's own inline_policy block (rendered from a
# data "aws_iam_policy_document"), service accounts and the executor's RBAC as kubernetes_manifest
# resources, and the gitlab-runner chart through the helm provider.
locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager"

  inline_policy {
    name = "cache"
    policy = data.aws_iam_policy_document.cache.json
  }

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role" "jobs" {
  name = "gitlab-runner-jobs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-jobs"
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

resource "kubernetes_manifest" "manager_sa" {
  manifest = {
    apiVersion = "v1"
    kind       = "ServiceAccount"
    metadata = {
      name      = "gitlab-runner"
      namespace = "gitlab"
      annotations = {
        "eks.amazonaws.com/role-arn" = aws_iam_role.manager.arn
      }
    }
  }
}

resource "kubernetes_manifest" "runner_role" {
  manifest = {
    apiVersion = "rbac.authorization.k8s.io/v1"
    kind       = "Role"
    metadata   = { name = "gitlab-runner", namespace = "gitlab" }
    rules = [{
      apiGroups = [""]
      resources = ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"]
      verbs     = ["get", "list", "watch", "create", "patch", "delete"]
    }]
  }
}

resource "kubernetes_manifest" "runner_binding" {
  manifest = {
    apiVersion = "rbac.authorization.k8s.io/v1"
    kind       = "RoleBinding"
    metadata   = { name = "gitlab-runner", namespace = "gitlab" }
    roleRef    = { apiGroup = "rbac.authorization.k8s.io", kind = "Role", name = "gitlab-runner" }
    subjects   = [{ kind = "ServiceAccount", name = "gitlab-runner", namespace = "gitlab" }]
  }
}

resource "kubernetes_manifest" "jobs_sa" {
  manifest = {
    apiVersion = "v1"
    kind       = "ServiceAccount"
    metadata = {
      name      = "gitlab-runner-jobs"
      namespace = "gitlab"
      annotations = {
        "eks.amazonaws.com/role-arn" = aws_iam_role.jobs.arn
      }
    }
  }
}

resource "helm_release" "gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = "gitlab"

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
            namespace = "gitlab"
            image = "alpine:3.22"
            service_account = "gitlab-runner-jobs"
            privileged = false
          [runners.cache]
            Type = "s3"
            Path = "runner"
            Shared = true
            [runners.cache.s3]
              BucketName = "example-runner-cache"
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

data "aws_iam_policy_document" "cache" {
  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::example-runner-cache/runner/*"]
  }
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::example-runner-cache"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runner/*", "runner"]
    }
  }
}
