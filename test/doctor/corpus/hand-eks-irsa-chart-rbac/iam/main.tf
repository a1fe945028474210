data "aws_iam_policy_document" "runner_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"]
    }
    condition {
      test     = "StringEquals"
      variable = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:sub"
      values   = ["system:serviceaccount:gitlab-runner:gitlab-runner"]
    }
    condition {
      test     = "StringEquals"
      variable = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "runner" {
  name               = "gitlab-runner-manager"
  assume_role_policy = data.aws_iam_policy_document.runner_trust.json
}

resource "aws_s3_bucket" "cache" {
  bucket = "acme-runner-cache"
}

data "aws_iam_policy_document" "cache" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.cache.arn}/runner/*"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.cache.arn]
  }
}

resource "aws_iam_role_policy" "cache" {
  name   = "cache"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.cache.json
}
