# gitlab/ of the same deployment: the runner's registration and the token Secret, named by this
# root's own var.token_secret_name (set in gitlab/'s tfvars, which need not say what runner/'s say).
variable "token_secret_name" {
  type        = string
  description = "The Secret holding the runner token (set in tfvars)."
}

resource "gitlab_user_runner" "ci" {
  runner_type  = "instance_type"
  untagged     = false
  locked       = true
  access_level = "ref_protected"
}

resource "kubernetes_secret_v1" "runner_token" {
  metadata {
    name      = var.token_secret_name
    namespace = "gitlab-runner"
  }
  data = {
    "runner-token" = gitlab_user_runner.ci.token
  }
}
