# The staging AKS runner: prod's main.tf copied with the same addresses, its own resource group, identities, cluster issuer and storage account.
resource "azurerm_resource_group" "runners" {
  name     = "rg-gitlab-runners-stg"
  location = "westeurope"
}

resource "azurerm_user_assigned_identity" "runner" {
  name                = "id-gitlab-runner-stg"
  resource_group_name = azurerm_resource_group.runners.name
  location            = azurerm_resource_group.runners.location
}

resource "azurerm_federated_identity_credential" "runner" {
  name                = "gitlab-runner"
  resource_group_name = azurerm_resource_group.runners.name
  parent_id           = azurerm_user_assigned_identity.runner.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/22222222-2222-2222-2222-222222222222/"
  subject             = "system:serviceaccount:gitlab-runner:gitlab-runner"
}

resource "azurerm_storage_account" "cache" {
  name                     = "acmerunnercachestg"
  resource_group_name      = azurerm_resource_group.runners.name
  location                 = azurerm_resource_group.runners.location
  account_tier             = "Standard"
  account_replication_type = "LRS"
  min_tls_version          = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled = false
}

resource "azurerm_storage_container" "cache" {
  name                  = "runner-cache"
  storage_account_id    = azurerm_storage_account.cache.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "cache" {
  scope                = azurerm_storage_account.cache.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.runner.principal_id
}

resource "helm_release" "runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  namespace  = "gitlab-runner"
  values = [yamlencode({
    gitlabUrl = "https://gitlab.example.com/"
    rbac      = { create = true }
    serviceAccount = {
      create = true
      name   = "gitlab-runner"
      annotations = {
        "azure.workload.identity/client-id" = azurerm_user_assigned_identity.runner.client_id
      }
    }
    podLabels = { "azure.workload.identity/use" = "true" }
    runners = {
      secret = "gitlab-runner-token"
      config = <<-TOML
        [[runners]]
          [runners.kubernetes]
            namespace = "gitlab-runner"
            image = "alpine:3.20"
            service_account = "gitlab-runner-jobs"
          [runners.cache]
            Type = "azure"
            Path = "runner"
            Shared = true
            [runners.cache.azure]
              AccountName = "acmerunnercachestg"
              ContainerName = "runner-cache"
      TOML
    }
  })]
}

resource "azurerm_user_assigned_identity" "jobs" {
  name                = "id-gitlab-runner-jobs-stg"
  resource_group_name = azurerm_resource_group.runners.name
  location            = azurerm_resource_group.runners.location
}

resource "azurerm_federated_identity_credential" "jobs" {
  name                = "gitlab-runner-jobs"
  resource_group_name = azurerm_resource_group.runners.name
  parent_id           = azurerm_user_assigned_identity.jobs.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/22222222-2222-2222-2222-222222222222/"
  subject             = "system:serviceaccount:gitlab-runner:gitlab-runner-jobs"
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "gitlab-runner-jobs"
    namespace = "gitlab-runner"
    annotations = {
      "azure.workload.identity/client-id" = azurerm_user_assigned_identity.jobs.client_id
    }
  }
}
