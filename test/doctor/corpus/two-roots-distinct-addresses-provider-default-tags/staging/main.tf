# staging/ of two roots given together (split by environment, no address in common): staging's own aws provider
# tags every resource environment = "staging"; its roles' cache policy keys on
# aws:PrincipalTag/environment = "staging".
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = {
      environment = "staging"
    }
  }
}

locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
}

resource "aws_iam_role" "stg_manager" {
  name = "gitlab-runner-manager-staging"
  tags = {
    team = "ci"
  }
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab-staging:gitlab-runner"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "stg_manager_cache" {
  name = "cache"
  role = aws_iam_role.stg_manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = ["s3:GetObject", "s3:PutObject"]
        Resource  = "arn:aws:s3:::example-staging-runner-cache/runner/*"
        Condition = { StringEquals = { "aws:PrincipalTag/Environment" = "staging" } }
      },
      {
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = "arn:aws:s3:::example-staging-runner-cache"
        Condition = {
          StringLike   = { "s3:prefix" = ["runner/*", "runner"] }
          StringEquals = { "aws:PrincipalTag/environment" = "staging" }
        }
      },
    ]
  })
}

resource "aws_iam_role" "stg_jobs" {
  name = "gitlab-runner-jobs-staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc}:sub" = "system:serviceaccount:gitlab-staging:gitlab-runner-jobs"
          "${local.oidc}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "stg_jobs_ecr" {
  name   = "ecr"
  role   = aws_iam_role.stg_jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }] })
}

resource "kubernetes_service_account_v1" "stg_manager" {
  metadata {
    name      = "gitlab-runner"
    namespace = "gitlab-staging"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.stg_manager.arn
    }
  }
}

resource "kubernetes_service_account_v1" "stg_jobs" {
  metadata {
    name      = "gitlab-runner-jobs"
    namespace = "gitlab-staging"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.stg_jobs.arn
    }
  }
}

resource "helm_release" "stg_gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = "gitlab-staging"

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
            namespace = "gitlab-staging"
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

resource "aws_s3_bucket" "stg_cache" {
  bucket = "example-staging-runner-cache"
}

resource "aws_s3_bucket_public_access_block" "stg_cache" {
  bucket                  = aws_s3_bucket.stg_cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "stg_cache" {
  bucket = aws_s3_bucket.stg_cache.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 14
    }
  }
}

resource "aws_s3_bucket_policy" "stg_cache" {
  bucket = aws_s3_bucket.stg_cache.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTeamCi"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::example-staging-runner-cache", "arn:aws:s3:::example-staging-runner-cache/*"]
      Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }
    }]
  })
}
