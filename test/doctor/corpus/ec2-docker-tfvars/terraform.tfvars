region       = "eu-west-1"
runner_name  = "docker-ci"
cache_bucket = "acme-gitlab-docker-ci-cache"
