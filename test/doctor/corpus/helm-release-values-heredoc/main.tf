# The IRSA guide pattern deployed with Terraform, the chart values written as a heredoc (a YAML
# document in <<-YAML … YAML, one line interpolated) as many hand-written roots do.
locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager"
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

resource "aws_iam_role_policy" "manager_cache" {
  name = "cache"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-runner-cache/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } },
    ]
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

resource "kubernetes_service_account_v1" "manager" {
  metadata {
    name      = "gitlab-runner"
    namespace = "gitlab"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.manager.arn
    }
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "gitlab-runner-jobs"
    namespace = "gitlab"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.jobs.arn
    }
  }
}

variable "gitlab_url" {
  type    = string
  default = "https://gitlab.example.com/"
}

resource "helm_release" "gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = "gitlab"

  values = [<<-YAML
    gitlabUrl: ${var.gitlab_url}
    concurrent: 10
    runnerToken: glrt-EXAMPLEexampleEXAMPLE12
    rbac:
      create: true
    serviceAccount:
      create: false
      name: gitlab-runner
    runners:
      config: |
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
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      privileged: false
      capabilities:
        drop: ["ALL"]
      seccompProfile:
        type: RuntimeDefault
    podSecurityContext:
      runAsUser: 100
      fsGroup: 65533
      runAsNonRoot: true
      seccompProfile:
        type: RuntimeDefault
    YAML
  ]
}
