terraform {
  required_providers {
    aws  = { source = "hashicorp/aws", version = "~> 5.0" }
    helm = { source = "hashicorp/helm", version = "~> 2.12" }
  }
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["222222222222"]
}

variable "cluster_name" {
  type    = string
  default = "ci"
}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "cache" {
  bucket = "acme-ci-runner-cache-staging"
}

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "cache" {
  bucket = aws_s3_bucket.cache.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "runner_manager" {
  name               = "gitlab-runner-manager-staging"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

data "aws_iam_policy_document" "cache" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.cache.arn}/runner/*"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.cache.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runner/*"]
    }
  }
}

resource "aws_iam_role_policy" "cache" {
  name   = "cache"
  role   = aws_iam_role.runner_manager.id
  policy = data.aws_iam_policy_document.cache.json
}

# Jobs run as their own service account, with no AWS role: they reach the cache only through the
# URLs the manager signs.
resource "aws_eks_pod_identity_association" "manager" {
  cluster_name    = var.cluster_name
  namespace       = "gitlab-runner"
  service_account = "gitlab-runner"
  role_arn        = aws_iam_role.runner_manager.arn
}

resource "helm_release" "runner" {
  name             = "gitlab-runner"
  repository       = "https://charts.gitlab.io"
  chart            = "gitlab-runner"
  version          = "0.71.0"
  namespace        = "gitlab-runner"
  create_namespace = true

  values = [yamlencode({
    gitlabUrl = "https://gitlab.example.com"
    runners = {
      secret = "gitlab-runner-token"
      config = <<-EOT
        [[runners]]
          [runners.kubernetes]
            namespace = "gitlab-runner"
            image = "alpine:3.20"
            service_account = "ci-jobs"
          [runners.cache]
            Type = "s3"
            Path = "runner"
            Shared = true
            [runners.cache.s3]
              ServerAddress = "s3.amazonaws.com"
              BucketName = "acme-ci-runner-cache-staging"
              BucketLocation = "eu-west-1"
              AuthenticationType = "iam"
      EOT
    }
    rbac = {
      create = true
      rules = [
        { apiGroups = [""], resources = ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"], verbs = ["get", "list", "watch", "create", "patch", "update", "delete"] },
      ]
    }
    serviceAccount = {
      create = true
      name   = "gitlab-runner"
    }
  })]
}
