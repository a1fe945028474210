import type { ProviderSchema } from './types.js';

const DOCS = 'hashicorp/terraform-provider-azurerm website/docs';

/** azurerm 4.x (checked against the provider's website/docs pages; see each entry). */
export const AZURERM: ProviderSchema = {
  source: 'hashicorp/azurerm',
  docs: 'https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs',
  provider: {
    attributes: ['subscription_id', 'tenant_id', 'storage_use_azuread', 'use_oidc', 'use_cli', 'environment', 'alias', 'resource_provider_registrations'],
    blocks: { features: { attributes: [] } },
    required: ['subscription_id'],
  },
  resources: {
    azurerm_user_assigned_identity: {
      docs: `${DOCS}/r/user_assigned_identity.html.markdown`,
      attributes: ['name', 'resource_group_name', 'location', 'tags'],
      required: ['name', 'resource_group_name', 'location'],
      exports: ['id', 'client_id', 'principal_id', 'tenant_id'],
    },
    azurerm_federated_identity_credential: {
      // 4.x: parent_id names the identity; resource_group_name is deprecated late in 4.x
      // (PR #30860) but still accepted, and required before that.
      docs: `${DOCS}/r/federated_identity_credential.html.markdown`,
      attributes: ['name', 'resource_group_name', 'parent_id', 'issuer', 'subject', 'audience'],
      required: ['name', 'parent_id', 'issuer', 'subject', 'audience'],
      exports: ['id'],
    },
    azurerm_role_assignment: {
      docs: `${DOCS}/r/role_assignment.html.markdown`,
      attributes: [
        'name', 'scope', 'role_definition_id', 'role_definition_name', 'principal_id', 'principal_type', 'description',
        'condition', 'condition_version', 'skip_service_principal_aad_check', 'delegated_managed_identity_resource_id',
      ],
      required: ['scope', 'principal_id'],
      exports: ['id'],
    },
    azurerm_storage_account: {
      docs: `${DOCS}/r/storage_account.html.markdown`,
      attributes: [
        'name', 'resource_group_name', 'location', 'account_kind', 'account_tier', 'account_replication_type', 'access_tier',
        'https_traffic_only_enabled', 'min_tls_version', 'allow_nested_items_to_be_public', 'shared_access_key_enabled',
        'public_network_access_enabled', 'default_to_oauth_authentication', 'infrastructure_encryption_enabled',
        'cross_tenant_replication_enabled', 'local_user_enabled', 'sftp_enabled', 'is_hns_enabled', 'nfsv3_enabled', 'tags',
      ],
      required: ['name', 'resource_group_name', 'location', 'account_tier', 'account_replication_type'],
      blocks: {
        network_rules: {
          attributes: ['default_action', 'bypass', 'ip_rules', 'virtual_network_subnet_ids'],
          required: ['default_action'],
          blocks: { private_link_access: { attributes: ['endpoint_resource_id', 'endpoint_tenant_id'], required: ['endpoint_resource_id'] } },
        },
        blob_properties: {
          attributes: ['versioning_enabled', 'change_feed_enabled', 'last_access_time_enabled'],
          blocks: { delete_retention_policy: { attributes: ['days', 'permanent_delete_enabled'] }, container_delete_retention_policy: { attributes: ['days'] } },
        },
      },
      exports: ['id', 'primary_blob_endpoint', 'primary_blob_host'],
    },
    azurerm_storage_container: {
      // storage_account_id (Resource Manager API) supersedes the deprecated storage_account_name.
      docs: `${DOCS}/r/storage_container.html.markdown`,
      attributes: ['name', 'storage_account_id', 'container_access_type', 'metadata', 'default_encryption_scope', 'encryption_scope_override_enabled'],
      required: ['name', 'storage_account_id'],
      exports: ['id', 'resource_manager_id'],
    },
    azurerm_storage_management_policy: {
      docs: `${DOCS}/r/storage_management_policy.html.markdown`,
      attributes: ['storage_account_id'],
      required: ['storage_account_id'],
      blocks: {
        rule: {
          attributes: ['name', 'enabled'],
          required: ['name', 'enabled'],
          blocks: {
            filters: { attributes: ['prefix_match', 'blob_types'] },
            actions: {
              attributes: [],
              blocks: {
                base_blob: { attributes: ['delete_after_days_since_modification_greater_than', 'tier_to_cool_after_days_since_modification_greater_than', 'tier_to_archive_after_days_since_modification_greater_than'] },
                snapshot: { attributes: ['delete_after_days_since_creation_greater_than'] },
                version: { attributes: ['delete_after_days_since_creation'] },
              },
            },
          },
        },
      },
      exports: ['id'],
    },
    azurerm_kubernetes_cluster: {
      // 4.x names (auto_scaling_enabled, automatic_upgrade_channel); Entra ID integration is always
      // managed in 4.x, so the block has no `managed` argument.
      docs: `${DOCS}/r/kubernetes_cluster.html.markdown`,
      attributes: [
        'name', 'location', 'resource_group_name', 'dns_prefix', 'kubernetes_version', 'sku_tier', 'oidc_issuer_enabled',
        'workload_identity_enabled', 'local_account_disabled', 'role_based_access_control_enabled', 'azure_policy_enabled',
        'automatic_upgrade_channel', 'node_os_upgrade_channel', 'private_cluster_enabled', 'node_resource_group', 'run_command_enabled', 'tags',
      ],
      required: ['name', 'location', 'resource_group_name', 'default_node_pool'],
      blocks: {
        default_node_pool: {
          attributes: [
            'name', 'vm_size', 'auto_scaling_enabled', 'min_count', 'max_count', 'node_count', 'node_labels', 'only_critical_addons_enabled',
            'os_disk_size_gb', 'os_sku', 'temporary_name_for_rotation', 'vnet_subnet_id', 'zones', 'max_pods', 'orchestrator_version', 'tags',
          ],
          required: ['name'],
          blocks: { upgrade_settings: { attributes: ['max_surge', 'drain_timeout_in_minutes', 'node_soak_duration_in_minutes'] } },
        },
        identity: { attributes: ['type', 'identity_ids'], required: ['type'] },
        azure_active_directory_role_based_access_control: { attributes: ['tenant_id', 'admin_group_object_ids', 'azure_rbac_enabled'] },
        network_profile: { attributes: ['network_plugin', 'network_plugin_mode', 'network_policy', 'pod_cidr', 'service_cidr', 'dns_service_ip', 'outbound_type', 'load_balancer_sku'], required: ['network_plugin'] },
        api_server_access_profile: { attributes: ['authorized_ip_ranges', 'subnet_id', 'virtual_network_integration_enabled'] },
      },
      exports: ['id', 'oidc_issuer_url', 'fqdn', 'node_resource_group', 'kube_config', 'kubelet_identity'],
    },
    azurerm_kubernetes_cluster_node_pool: {
      docs: `${DOCS}/r/kubernetes_cluster_node_pool.html.markdown`,
      attributes: [
        'name', 'kubernetes_cluster_id', 'vm_size', 'mode', 'auto_scaling_enabled', 'min_count', 'max_count', 'node_count', 'node_labels',
        'node_taints', 'priority', 'eviction_policy', 'spot_max_price', 'os_disk_size_gb', 'os_sku', 'vnet_subnet_id', 'zones', 'max_pods',
        'orchestrator_version', 'tags',
      ],
      required: ['name', 'kubernetes_cluster_id'],
      blocks: { upgrade_settings: { attributes: ['max_surge', 'drain_timeout_in_minutes', 'node_soak_duration_in_minutes'] } },
      exports: ['id'],
    },
    azurerm_monitor_diagnostic_setting: {
      // enabled_log replaces the deprecated log block in 4.x; enabled_metric replaces metric.
      docs: `${DOCS}/r/monitor_diagnostic_setting.html.markdown`,
      attributes: [
        'name', 'target_resource_id', 'log_analytics_workspace_id', 'log_analytics_destination_type', 'storage_account_id',
        'eventhub_name', 'eventhub_authorization_rule_id', 'partner_solution_id',
      ],
      required: ['name', 'target_resource_id'],
      blocks: { enabled_log: { attributes: ['category', 'category_group'] }, enabled_metric: { attributes: ['category'], required: ['category'] } },
      exports: ['id'],
    },
  },
  dataSources: {
    azurerm_user_assigned_identity: {
      docs: `${DOCS}/d/user_assigned_identity.html.markdown`,
      attributes: ['name', 'resource_group_name'],
      required: ['name', 'resource_group_name'],
      exports: ['id', 'client_id', 'principal_id', 'tenant_id', 'location', 'tags'],
    },
  },
};
