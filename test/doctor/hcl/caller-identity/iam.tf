# The account id read from the credentials at apply time (data.aws_caller_identity) of the default
# aws provider: the deployment's own account, the one its roles are in, so the trust is proven.

data "aws_caller_identity" "current" {}

locals {
  oidc_issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
}

resource "aws_iam_role" "manager" {
  name = "gitlab-runner-manager"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.oidc_issuer}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = { StringEquals = { "${local.oidc_issuer}:sub" = "system:serviceaccount:gitlab:gitlab-runner", "${local.oidc_issuer}:aud" = "sts.amazonaws.com" } }
    }]
  })
}
