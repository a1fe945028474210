# EKS Pod Identity for the runner through terraform-aws-modules/eks-pod-identity (v2), one call
# for the manager (its cache permissions as policy_statements) and one for the jobs (a managed
# policy through additional_policy_arns); the chart through helm_release, as the module's README
# and the chart docs show. Pod Identity needs no role-arn annotation on the service accounts.
terraform {
  required_providers {
    aws  = { source = "hashicorp/aws", version = "~> 6.0" }
    helm = { source = "hashicorp/helm", version = "~> 2.12" }
  }
}

provider "aws" {
  region = "eu-central-1"
}

# The cluster with the Pod Identity agent add-on, as the eks module's README shows it.
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 21.0"

  name               = "platform"
  kubernetes_version = "1.33"
  vpc_id             = "vpc-0a1b2c3d4e5f67890"
  subnet_ids         = ["subnet-0a1b2c3d4e5f67890", "subnet-0b1c2d3e4f5a67890"]

  addons = {
    eks-pod-identity-agent = {}
  }
}

resource "aws_s3_bucket" "cache" {
  bucket = "acme-gitlab-runner-cache"
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

resource "aws_s3_bucket_public_access_block" "cache" {
  bucket                  = aws_s3_bucket.cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "cache_tls" {
  bucket = aws_s3_bucket.cache.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.cache.arn, "${aws_s3_bucket.cache.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

module "runner_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "~> 2.0"

  name = "gitlab-runner-manager"

  attach_custom_policy = true
  policy_statements = [
    {
      sid       = "CacheObjects"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["${aws_s3_bucket.cache.arn}/runner/*"]
    },
    {
      sid       = "CacheList"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.cache.arn]
      condition = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["runner/*"]
      }]
    },
  ]

  associations = {
    manager = {
      cluster_name    = module.eks.cluster_name
      namespace       = "gitlab-runner"
      service_account = "gitlab-runner"
    }
  }
}

resource "aws_iam_policy" "jobs_ecr" {
  name = "gitlab-ci-jobs-ecr"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }]
  })
}

module "jobs_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "~> 2.0"

  name            = "gitlab-ci-jobs"
  use_name_prefix = false

  additional_policy_arns = {
    ecr = aws_iam_policy.jobs_ecr.arn
  }

  associations = {
    jobs = {
      cluster_name    = module.eks.cluster_name
      namespace       = "gitlab-runner"
      service_account = "ci-jobs"
    }
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "ci-jobs"
    namespace = "gitlab-runner"
  }
}

resource "helm_release" "gitlab_runner" {
  name             = "gitlab-runner"
  repository       = "https://charts.gitlab.io"
  chart            = "gitlab-runner"
  version          = "0.71.0"
  namespace        = "gitlab-runner"
  create_namespace = true

  values = [templatefile("${path.module}/values.yaml.tftpl", { bucket = aws_s3_bucket.cache.bucket })]
}
