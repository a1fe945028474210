# The same dynamic trust over a list instead of a set: over a list the iterator's key is the index,
# so statement.key is 0 and the trust admits system:serviceaccount:gitlab:0 (use .value).

locals {
  account_id  = "111122223333"
  oidc_issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
  oidc_arn    = "arn:aws:iam::${local.account_id}:oidc-provider/${local.oidc_issuer}"
  namespace   = "gitlab"
  cache       = { bucket = "example-runner-cache", prefix = "runner" }
}

data "aws_iam_policy_document" "manager_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${local.namespace}:gitlab-runner"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "manager" {
  name               = "gitlab-runner-manager"
  assume_role_policy = data.aws_iam_policy_document.manager_trust.json
}

data "aws_iam_policy_document" "cache" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::${local.cache.bucket}/${local.cache.prefix}/*"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.cache.bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.cache.prefix}/*", local.cache.prefix]
    }
  }
}

resource "aws_iam_role_policy" "manager_cache" {
  name   = "cache"
  role   = aws_iam_role.manager.id
  policy = data.aws_iam_policy_document.cache.json
}

# The jobs' trust admits each job service account of a list, one statement per element; the
# iterator's key over a list is the index, not the element.
data "aws_iam_policy_document" "jobs_trust" {
  dynamic "statement" {
    for_each = ["gitlab-runner-jobs"]
    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [local.oidc_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${local.namespace}:${statement.key}"]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "jobs" {
  name               = "gitlab-runner-jobs"
  assume_role_policy = data.aws_iam_policy_document.jobs_trust.json
}

resource "aws_iam_role_policy" "jobs_ecr" {
  name = "ecr-login"
  role = aws_iam_role.jobs.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }]
  })
}
