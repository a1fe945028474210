variable "runner_token" {
  type      = string
  sensitive = true
}

resource "kubernetes_namespace_v1" "runner" {
  metadata {
    name = local.namespace
  }
}

resource "kubernetes_service_account_v1" "manager" {
  metadata {
    name      = "gitlab-runner-manager"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.manager.arn
    }
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "gitlab-runner-jobs"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  automount_service_account_token = false
}

resource "kubernetes_secret_v1" "runner_token" {
  metadata {
    name      = "gitlab-runner-token"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  data = {
    "runner-token" = var.runner_token
  }
}

resource "kubernetes_role_v1" "manager" {
  metadata {
    name      = "gitlab-runner-manager"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  rule {
    api_groups = [""]
    resources  = ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"]
    verbs      = ["get", "list", "watch", "create", "patch", "update", "delete"]
  }
}

resource "kubernetes_role_binding_v1" "manager" {
  metadata {
    name      = "gitlab-runner-manager"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.manager.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.manager.metadata[0].name
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
}

resource "kubernetes_config_map_v1" "runner_config" {
  metadata {
    name      = "gitlab-runner-config"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  data = {
    "config.toml" = <<-TOML
      concurrent = 4
      check_interval = 3

      [[runners]]
        name = "eks"
        url = "https://gitlab.example.net/"
        executor = "kubernetes"
        [runners.kubernetes]
          namespace = "${local.namespace}"
          image = "alpine:3.20"
          service_account = "gitlab-runner-jobs"
          privileged = false
        [runners.cache]
          Type = "s3"
          Path = "cache"
          Shared = true
          [runners.cache.s3]
            BucketName = "${local.cache}"
            BucketLocation = "us-west-2"
            AuthenticationType = "iam"
    TOML
  }
}

resource "kubernetes_deployment_v1" "manager" {
  metadata {
    name      = "gitlab-runner"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
  }
  spec {
    replicas = 1
    selector {
      match_labels = { app = "gitlab-runner" }
    }
    template {
      metadata {
        labels = { app = "gitlab-runner" }
      }
      spec {
        service_account_name = kubernetes_service_account_v1.manager.metadata[0].name
        container {
          name  = "gitlab-runner"
          image = "registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0"
          args  = ["run", "--config", "/etc/gitlab-runner/config.toml"]
          env {
            name = "CI_SERVER_TOKEN"
            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.runner_token.metadata[0].name
                key  = "runner-token"
              }
            }
          }
          volume_mount {
            name       = "config"
            mount_path = "/etc/gitlab-runner"
          }
        }
        volume {
          name = "config"
          config_map {
            name = kubernetes_config_map_v1.runner_config.metadata[0].name
          }
        }
      }
    }
  }
}
