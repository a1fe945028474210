concurrent: 4
rbac:
  rules:
    - apiGroups: [""]
      resources: ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"]
      verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
runners:
  config: |
    [[runners]]
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "${namespace}"
        image = "alpine:3.20"
        service_account = "gitlab-runner"
        privileged = false
      [runners.cache]
        Type = "s3"
        Path = "gitlab"
        Shared = true
        [runners.cache.s3]
          BucketName = "${bucket}"
          BucketLocation = "eu-central-1"
          AuthenticationType = "iam"
