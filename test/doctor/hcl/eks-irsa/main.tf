# The IAM side of the eks-irsa example written by hand in HCL, the way the EKS IRSA user guide and
# the terraform-aws-modules IRSA examples write it: the OIDC provider from locals, one trust
# document per service account, inline policies built with jsonencode. The doctor must prove
# from this exactly what it proves from the generated main.tf.json.

locals {
  account_id = "123456789012"
  region     = "eu-central-1"
  issuer     = "oidc.eks.${local.region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
  oidc_arn   = "arn:aws:iam::${local.account_id}:oidc-provider/${local.issuer}"
  bucket     = "acme-runner-cache"

  # One entry per runner party: namespace, service account, what it may do.
  parties = {
    "build-manager"  = { namespace = "ci-build", sa = "build-manager", kind = "manager", prefix = "build" }
    "build-jobs"     = { namespace = "ci-build", sa = "build-jobs", kind = "jobs", prefix = "build" }
    "deploy-manager" = { namespace = "ci-deploy", sa = "deploy-manager", kind = "manager", prefix = "deploy" }
    "deploy-jobs"    = { namespace = "ci-deploy", sa = "deploy-jobs", kind = "jobs", prefix = "deploy" }
  }
  managers = { for k, p in local.parties : k => p if p.kind == "manager" }
}

variable "fleet" {
  type    = string
  default = "acme"
}

data "aws_iam_policy_document" "trust" {
  for_each = local.parties

  statement {
    sid     = "IrsaServiceAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.sa}"]
    }
  }
}

resource "aws_iam_role" "party" {
  for_each = local.parties

  name                 = format("%s-%s", var.fleet, each.key)
  path                 = "/runner-fleet/"
  description          = "GitLab runner ${each.value.kind} of ${var.fleet}/${each.value.prefix} (hand-written)"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
}

# The manager signs the presigned cache URLs, so the cache permissions sit on it.
resource "aws_iam_role_policy" "cache" {
  for_each = local.managers

  name = "runner-manager"
  role = aws_iam_role.party[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "CacheObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::${local.bucket}/${each.value.prefix}/*"
      },
      {
        Sid       = "CacheList"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = "arn:aws:s3:::${local.bucket}"
        Condition = { StringLike = { "s3:prefix" = ["${each.value.prefix}/*", each.value.prefix] } }
      },
    ]
  })
}

resource "aws_iam_role_policy" "build_jobs" {
  name = "runner-jobs"
  role = aws_iam_role.party["build-jobs"].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = ["*"] },
      {
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        ]
        Resource = ["arn:aws:ecr:${local.region}:${local.account_id}:repository/acme/*"]
      },
    ]
  })
}

resource "aws_iam_role_policy" "deploy_jobs" {
  name   = "runner-jobs"
  role   = aws_iam_role.party["deploy-jobs"].id
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ManageInfrastructure",
          "Effect": "Allow",
          "Action": ["ec2:*", "elasticloadbalancing:*", "rds:*", "iam:PassRole", "iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy"],
          "Resource": ["*"]
        }
      ]
    }
  EOT
}

resource "aws_s3_bucket" "cache_shared" {
  bucket        = local.bucket
  force_destroy = false
}

resource "aws_s3_bucket_public_access_block" "cache_shared" {
  bucket                  = aws_s3_bucket.cache_shared.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "cache_shared" {
  bucket = aws_s3_bucket.cache_shared.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "cache_shared" {
  bucket = aws_s3_bucket.cache_shared.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = false
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "cache_shared" {
  bucket = aws_s3_bucket.cache_shared.id
  rule {
    id     = "expire-cache"
    status = "Enabled"
    filter {
      prefix = ""
    }
    expiration {
      days = 14
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "cache_shared" {
  bucket = aws_s3_bucket.cache_shared.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::${local.bucket}", "arn:aws:s3:::${local.bucket}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.cache_shared]
}
