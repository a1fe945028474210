# The runner's two roles through a local IRSA module, one call per service account. The manager's
# call passes the namespace named after the Helm release (gitlab-runner), while the chart runs in
# the namespace gitlab: the role's trust admits a service account that does not exist.

locals {
  oidc_provider_arn = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
  namespace         = "gitlab"
  cache_bucket      = "example-runner-cache"
}

data "aws_iam_policy_document" "cache" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::${local.cache_bucket}/runner/*"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.cache_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runner/*", "runner"]
    }
  }
}

module "runner_manager_irsa" {
  source = "./modules/irsa"

  role_name         = "gitlab-runner-manager"
  oidc_provider_arn = local.oidc_provider_arn
  namespace         = "gitlab-runner"
  service_account   = "gitlab-runner"
  policy_json       = data.aws_iam_policy_document.cache.json
}

module "runner_jobs_irsa" {
  source = "./modules/irsa"

  role_name         = "gitlab-runner-jobs"
  oidc_provider_arn = local.oidc_provider_arn
  namespace         = local.namespace
  service_account   = "gitlab-runner-jobs"
  policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }]
  })
}

output "manager_role_arn" {
  value = module.runner_manager_irsa.role_arn
}
