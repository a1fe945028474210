# A runner registered with the GitLab provider, applied from a laptop with the local backend: the
# state was committed with the configuration.
terraform {
  required_providers {
    gitlab = {
      source  = "gitlabhq/gitlab"
      version = "~> 17.0"
    }
  }
}

resource "gitlab_user_runner" "this" {
  runner_type = "group_type"
  group_id    = 42
  description = "docker on ci-host-1"
  tag_list    = ["docker"]
  untagged    = false
  locked      = true
}

output "runner_token" {
  value     = gitlab_user_runner.this.token
  sensitive = true
}
