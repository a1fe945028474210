# The staging cluster's IRSA: prod's iam.tf copied, every address renamed with _stg (no address in common with prod), its own cluster, role and bucket names.
data "aws_eks_cluster" "this_stg" {
  name = "platform-staging"
}

data "tls_certificate" "eks_stg" {
  url = data.aws_eks_cluster.this_stg.identity[0].oidc[0].issuer
}

resource "aws_iam_openid_connect_provider" "eks_stg" {
  url             = data.aws_eks_cluster.this_stg.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [data.tls_certificate.eks_stg.certificates[0].sha1_fingerprint]
}

data "aws_iam_policy_document" "runner_assume_stg" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks_stg.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks_stg.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:gitlab-runner:gitlab-runner"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks_stg.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "gitlab_runner_stg" {
  name               = "gitlab-runner-staging"
  assume_role_policy = data.aws_iam_policy_document.runner_assume_stg.json
}

resource "aws_s3_bucket" "runner_cache_stg" {
  bucket = "acme-staging-runner-cache"
}

resource "aws_s3_bucket_public_access_block" "runner_cache_stg" {
  bucket                  = aws_s3_bucket.runner_cache_stg.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "runner_cache_stg" {
  bucket = aws_s3_bucket.runner_cache_stg.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
  }
}

data "aws_iam_policy_document" "runner_cache_tls_stg" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.runner_cache_stg.arn,
      "${aws_s3_bucket.runner_cache_stg.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "runner_cache_stg" {
  bucket = aws_s3_bucket.runner_cache_stg.id
  policy = data.aws_iam_policy_document.runner_cache_tls_stg.json
}

data "aws_iam_policy_document" "runner_cache_stg" {
  statement {
    sid       = "CacheObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.runner_cache_stg.arn}/gitlab-runner/*"]
  }
  statement {
    sid       = "CacheList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.runner_cache_stg.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["gitlab-runner/*", "gitlab-runner"]
    }
  }
}

resource "aws_iam_policy" "runner_cache_stg" {
  name   = "gitlab-runner-cache"
  policy = data.aws_iam_policy_document.runner_cache_stg.json
}

resource "aws_iam_role_policy_attachment" "runner_cache_stg" {
  role       = aws_iam_role.gitlab_runner_stg.name
  policy_arn = aws_iam_policy.runner_cache_stg.arn
}
