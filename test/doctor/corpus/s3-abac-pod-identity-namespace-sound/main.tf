# An EKS Pod Identity runner whose cache bucket is locked down with the session tags EKS Pod
# Identity adds when it assumes a role for a pod (EKS User Guide, "Grant Pods access to AWS resources
# based on tags"): the bucket policy denies every principal whose aws:PrincipalTag/kubernetes-namespace
# is not the runner's namespace, or whose aws:PrincipalTag/eks-cluster-name is not the cluster. The
# roles themselves carry no such tags: the association's namespace and cluster give them.
provider "aws" {
  region = "eu-west-1"
}

locals {
  cluster = "ci"
}

data "aws_caller_identity" "current" {}

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

resource "aws_iam_role" "manager" {
  name               = "gitlab-runner-manager"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "manager_cache" {
  name = "cache"
  role = aws_iam_role.manager.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::example-runner-cache/runner/*"
      },
      {
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = "arn:aws:s3:::example-runner-cache"
        Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } }
      },
    ]
  })
}

resource "aws_iam_role" "jobs" {
  name               = "gitlab-runner-jobs"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "jobs_ecr" {
  name   = "ecr"
  role   = aws_iam_role.jobs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }] })
}

resource "aws_eks_pod_identity_association" "manager" {
  cluster_name    = local.cluster
  namespace       = "gitlab"
  service_account = "gitlab-runner"
  role_arn        = aws_iam_role.manager.arn
}

resource "aws_eks_pod_identity_association" "jobs" {
  cluster_name    = local.cluster
  namespace       = "gitlab"
  service_account = "gitlab-runner-jobs"
  role_arn        = aws_iam_role.jobs.arn
}

resource "kubernetes_service_account_v1" "manager" {
  metadata {
    name      = "gitlab-runner"
    namespace = "gitlab"
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "gitlab-runner-jobs"
    namespace = "gitlab"
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

resource "aws_s3_bucket" "cache" {
  bucket = "example-runner-cache"
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
    Statement = [
      {
        Sid       = "OnlyTheRunnerNamespace"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"]
        Condition = { StringNotEquals = { "aws:PrincipalTag/kubernetes-namespace" = "gitlab" } }
      },
      {
        Sid       = "OnlyTheCiCluster"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"]
        Condition = { StringNotEquals = { "aws:PrincipalTag/eks-cluster-name" = "ci" } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}
