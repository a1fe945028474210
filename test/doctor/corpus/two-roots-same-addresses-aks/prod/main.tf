# The prod AKS runner, hand-written (test/fixtures/doctor-helm-release/aks): identities, federated credentials, storage and the chart through helm_release.
resource "azurerm_resource_group" "runners" {
  name     = "rg-gitlab-runners"
  location = "westeurope"
}

resource "azurerm_user_assigned_identity" "runner" {
  name                = "id-gitlab-runner"
  resource_group_name = azurerm_resource_group.runners.name
  location            = azurerm_resource_group.runners.location
}

resource "azurerm_federated_identity_credential" "runner" {
  name                = "gitlab-runner"
  resource_group_name = azurerm_resource_group.runners.name
  parent_id           = azurerm_user_assigned_identity.runner.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/"
  subject             = "system:serviceaccount:gitlab-runner:gitlab-runner"
}

resource "azurerm_storage_account" "cache" {
  name                     = "acmerunnercache"
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
              AccountName = "acmerunnercache"
              ContainerName = "runner-cache"
      TOML
    }
  })]
}

resource "azurerm_user_assigned_identity" "jobs" {
  name                = "id-gitlab-runner-jobs"
  resource_group_name = azurerm_resource_group.runners.name
  location            = azurerm_resource_group.runners.location
}

resource "azurerm_federated_identity_credential" "jobs" {
  name                = "gitlab-runner-jobs"
  resource_group_name = azurerm_resource_group.runners.name
  parent_id           = azurerm_user_assigned_identity.jobs.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/"
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
