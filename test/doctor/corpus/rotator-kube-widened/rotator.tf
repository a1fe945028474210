# A keyless token rotator for runners registered through the API: the rotation pipeline's role
# (GitLab ID token), mapped by an EKS access entry to a Kubernetes user without access policy or group.
provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.example.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "rotator" {
  name = "gitlab-token-rotator"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "gitlab.example.com:aud" = "sts.amazonaws.com"
          "gitlab.example.com:sub" = "project_path:platform/runners:ref_type:branch:ref:main"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "rotator" {
  name = "describe-cluster"
  role = aws_iam_role.rotator.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "eks:DescribeCluster", Resource = "arn:aws:eks:eu-west-1:111122223333:cluster/ci-cluster" }]
  })
}

resource "aws_eks_access_entry" "rotator" {
  cluster_name  = "ci-cluster"
  principal_arn = aws_iam_role.rotator.arn
  type              = "STANDARD"
  user_name         = "gitlab-token-rotator"
  kubernetes_groups = ["system:masters"]
}
