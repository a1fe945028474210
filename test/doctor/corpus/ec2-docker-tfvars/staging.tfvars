# Read only by `terraform apply -var-file=staging.tfvars`; the same value as the default, so nothing depends on it.
privileged = false
