terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.0" }
    helm    = { source = "hashicorp/helm", version = "~> 2.15" }
  }
}

provider "azurerm" {
  features {}
  subscription_id = "5f0c6c4e-1b7a-4c8e-9a8b-2f1d3e4a5b6c"
}

resource "azurerm_resource_group" "ci" {
  name     = "rg-gitlab-ci"
  location = "westeurope"
}

resource "azurerm_kubernetes_cluster" "ci" {
  name                      = "aks-gitlab-ci"
  location                  = azurerm_resource_group.ci.location
  resource_group_name       = azurerm_resource_group.ci.name
  dns_prefix                = "gitlabci"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true

  default_node_pool {
    name       = "system"
    node_count = 2
    vm_size    = "Standard_D4s_v5"
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_user_assigned_identity" "manager" {
  name                = "id-gitlab-runner-manager"
  resource_group_name = azurerm_resource_group.ci.name
  location            = azurerm_resource_group.ci.location
}

resource "azurerm_federated_identity_credential" "manager" {
  name                = "gitlab-runner-manager"
  resource_group_name = azurerm_resource_group.ci.name
  parent_id           = azurerm_user_assigned_identity.manager.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.ci.oidc_issuer_url
  subject             = "system:serviceaccount:gitlab-runner:gitlab-runner"
}

resource "azurerm_user_assigned_identity" "jobs" {
  name                = "id-gitlab-ci-jobs"
  resource_group_name = azurerm_resource_group.ci.name
  location            = azurerm_resource_group.ci.location
}

resource "azurerm_federated_identity_credential" "jobs" {
  name                = "gitlab-ci-jobs"
  resource_group_name = azurerm_resource_group.ci.name
  parent_id           = azurerm_user_assigned_identity.jobs.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.ci.oidc_issuer_url
  subject             = "system:serviceaccount:gitlab-runner:ci-jobs"
}

resource "azurerm_storage_account" "cache" {
  name                            = "acmegitlabcicache"
  resource_group_name             = azurerm_resource_group.ci.name
  location                        = azurerm_resource_group.ci.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  public_network_access_enabled   = false
}

resource "azurerm_storage_container" "cache" {
  name                  = "runner-cache"
  storage_account_id    = azurerm_storage_account.cache.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "manager_cache" {
  scope                = azurerm_storage_container.cache.resource_manager_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.manager.principal_id
}

resource "azurerm_role_assignment" "manager_delegator" {
  scope                = azurerm_storage_account.cache.id
  role_definition_name = "Storage Blob Delegator"
  principal_id         = azurerm_user_assigned_identity.manager.principal_id
}

resource "kubernetes_namespace_v1" "runner" {
  metadata {
    name = "gitlab-runner"
  }
}

resource "kubernetes_service_account_v1" "jobs" {
  metadata {
    name      = "ci-jobs"
    namespace = kubernetes_namespace_v1.runner.metadata[0].name
    annotations = {
      "azure.workload.identity/client-id" = azurerm_user_assigned_identity.jobs.client_id
    }
  }
}

resource "helm_release" "runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = kubernetes_namespace_v1.runner.metadata[0].name
  values = [yamlencode({
    gitlabUrl = "https://gitlab.com/"
    rbac      = { create = true }
    serviceAccount = {
      create = true
      name   = "gitlab-runner"
      annotations = {
        "azure.workload.identity/client-id" = azurerm_user_assigned_identity.manager.client_id
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
            service_account = "ci-jobs"
            [runners.kubernetes.pod_labels]
              "azure.workload.identity/use" = "true"
          [runners.cache]
            Type = "azure"
            Path = "runner"
            Shared = true
            [runners.cache.azure]
              AccountName = "acmegitlabcicache"
              ContainerName = "runner-cache"
      TOML
    }
  })]
}
