# A hand-made keyless token rotator: the rotation pipeline's role, trusted through GitLab's OIDC provider.
provider "aws" {
  region = "eu-central-1"
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "rotator" {
  name = "runner-token-rotator"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/gitlab.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "gitlab.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "gitlab.com:sub" = "project_path:acme/ops:ref_type:branch:ref:*" }
      }
    }]
  })
}

resource "aws_iam_role_policy" "rotator" {
  name = "rotate"
  role = aws_iam_role.rotator.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["ssm:GetCommandInvocation"], Resource = "*" }]
  })
}
