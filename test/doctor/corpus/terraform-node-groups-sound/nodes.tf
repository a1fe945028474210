# Managed node groups of an existing cluster, written by hand in Terraform.
resource "aws_eks_node_group" "system" {
  cluster_name    = "ci-cluster"
  node_group_name = "system"
  node_role_arn   = "arn:aws:iam::111122223333:role/ci-cluster-node"
  subnet_ids      = ["subnet-0a1b2c3d4e5f60001"]
  instance_types  = ["m6i.large"]
  labels = {
    role = "system"
  }
  scaling_config {
    desired_size = 2
    max_size     = 3
    min_size     = 2
  }
}

resource "aws_eks_node_group" "jobs" {
  cluster_name    = "ci-cluster"
  node_group_name = "jobs"
  node_role_arn   = "arn:aws:iam::111122223333:role/ci-cluster-node"
  subnet_ids      = ["subnet-0a1b2c3d4e5f60001"]
  instance_types  = ["m6i.2xlarge"]
  capacity_type   = "SPOT"
  labels = {
    role = "ci"
  }
  taint {
    key    = "dedicated"
    value  = "ci"
    effect = "NO_SCHEDULE"
  }
  scaling_config {
    desired_size = 1
    max_size     = 20
    min_size     = 0
  }
}
