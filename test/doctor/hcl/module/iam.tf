# A role made by a registry module (terraform-aws-modules' IRSA submodule): the doctor reads this
# one module as what it documents it creates; pointed at a module it has no reading of, the role
# is not in the evidence (RF903).

module "runner_manager_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.0"

  role_name = "gitlab-runner-manager"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
      namespace_service_accounts = ["gitlab:gitlab-runner"]
    }
  }
}

output "manager_role_arn" {
  value = module.runner_manager_irsa.iam_role_arn
}
