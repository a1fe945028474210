# The prod cluster's IRSA, as eks-oidc-provider-resource-sound writes it (issuer known only at apply).
data "aws_eks_cluster" "this" {
  name = "platform"
}

data "tls_certificate" "eks" {
  url = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
}

resource "aws_iam_openid_connect_provider" "eks" {
  url             = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [data.tls_certificate.eks.certificates[0].sha1_fingerprint]
}

data "aws_iam_policy_document" "runner_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:gitlab-runner:gitlab-runner"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.eks.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "gitlab_runner" {
  name               = "gitlab-runner"
  assume_role_policy = data.aws_iam_policy_document.runner_assume.json
}

resource "aws_s3_bucket" "runner_cache" {
  bucket = "acme-gitlab-runner-cache"
}

resource "aws_s3_bucket_public_access_block" "runner_cache" {
  bucket                  = aws_s3_bucket.runner_cache.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "runner_cache" {
  bucket = aws_s3_bucket.runner_cache.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
  }
}

data "aws_iam_policy_document" "runner_cache_tls" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.runner_cache.arn,
      "${aws_s3_bucket.runner_cache.arn}/*",
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

resource "aws_s3_bucket_policy" "runner_cache" {
  bucket = aws_s3_bucket.runner_cache.id
  policy = data.aws_iam_policy_document.runner_cache_tls.json
}

data "aws_iam_policy_document" "runner_cache" {
  statement {
    sid       = "CacheObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.runner_cache.arn}/gitlab-runner/*"]
  }
  statement {
    sid       = "CacheList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.runner_cache.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["gitlab-runner/*", "gitlab-runner"]
    }
  }
}

resource "aws_iam_policy" "runner_cache" {
  name   = "gitlab-runner-cache"
  policy = data.aws_iam_policy_document.runner_cache.json
}

resource "aws_iam_role_policy_attachment" "runner_cache" {
  role       = aws_iam_role.gitlab_runner.name
  policy_arn = aws_iam_policy.runner_cache.arn
}
