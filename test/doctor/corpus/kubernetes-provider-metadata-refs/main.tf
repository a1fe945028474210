# Service accounts, the token Secret and the executor's RBAC as kubernetes provider resources that name
# each other through metadata[0].name (namespace, role, service accounts), the chart through helm_release.
variable "runner_token" {
  type      = string
  sensitive = true
}

resource "kubernetes_namespace_v1" "runner" {
  metadata {
    name = local.namespace
    labels = {
      "pod-security.kubernetes.io/enforce" = "baseline"
    }
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

resource "helm_release" "gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.70.3"
  namespace  = kubernetes_namespace_v1.runner.metadata[0].name

  values = [
    yamlencode({
      gitlabUrl = "https://gitlab.example.net/"
      rbac      = { create = false }
      securityContext = {
        allowPrivilegeEscalation = false
        runAsNonRoot             = true
        privileged               = false
        capabilities             = { drop = ["ALL"] }
        seccompProfile           = { type = "RuntimeDefault" }
      }
      podSecurityContext = {
        runAsUser      = 100
        fsGroup        = 65533
        runAsNonRoot   = true
        seccompProfile = { type = "RuntimeDefault" }
      }
      serviceAccount = {
        create = false
        name   = kubernetes_service_account_v1.manager.metadata[0].name
      }
      runners = {
        secret = kubernetes_secret_v1.runner_token.metadata[0].name
        config = <<-TOML
          [[runners]]
            executor = "kubernetes"
            [runners.kubernetes]
              namespace = "${local.namespace}"
              image = "alpine:3.20"
              service_account = "${kubernetes_service_account_v1.jobs.metadata[0].name}"
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
    })
  ]
}
