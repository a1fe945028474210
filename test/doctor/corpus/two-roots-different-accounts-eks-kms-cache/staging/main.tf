# The staging cluster's runner in account 222222222222 (its provider's allowed_account_ids), as s3-cache-kms-key-policy-account:
# its cache bucket encrypted with its own KMS key, whose key policy lets IAM policies of the account grant it.

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["222222222222"]
}
# a statement for the account root lets IAM policies grant the key, so the manager role's own grant
# counts: sound.
locals {
  oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0STAG4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager-staging"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::222222222222:oidc-provider/${local.oidc}" }
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
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-staging-runner-cache/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-staging-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } },
      { Effect = "Allow", Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = aws_kms_key.cache.arn, Condition = { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } } },
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

resource "aws_s3_bucket" "cache" {
  bucket = "example-staging-runner-cache"
}

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "cache" {
  bucket = aws_s3_bucket.cache.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 14
    }
  }
}

resource "aws_s3_bucket_policy" "cache" {
  bucket = aws_s3_bucket.cache.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheRunnerManager"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::example-staging-runner-cache", "arn:aws:s3:::example-staging-runner-cache/*"]
      Condition = { StringNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::222222222222:role/gitlab-runner-manager-staging" } }
    }]
  })
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "cache" {
  description         = "runner cache"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EnableIamPermissions"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }, {
      Sid       = "KeyAdministrators"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::222222222222:role/platform-admin" }
      Action    = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]
      Resource  = "*"
    }]
  })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "cache" {
  bucket = aws_s3_bucket.cache.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.cache.arn
    }
    bucket_key_enabled = true
  }
}
