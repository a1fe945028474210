# GitLab ID tokens for AWS, as the GitLab "OpenID Connect in AWS" guide sets them up by hand.
provider "aws" {
  region = "eu-central-1"
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.example.com"
  client_id_list = ["https://gitlab.example.com"]
}

resource "aws_iam_role" "deploy" {
  name = "gitlab-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "gitlab.example.com:sub" = "project_path:acme/app:ref_type:branch:ref:main" }
      }
    }]
  })
}

resource "aws_iam_role_policy" "deploy" {
  name = "deploy"
  role = aws_iam_role.deploy.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["ecs:UpdateService"], Resource = "*" }]
  })
}
