import type { BlockSchema, ProviderSchema } from './types.js';

const DOCS = 'hashicorp/terraform-provider-kubernetes docs';

const metadata: BlockSchema = { attributes: ['name', 'namespace', 'labels', 'annotations', 'generate_name'] };

/** hashicorp/kubernetes 2.x (checked against the provider's docs/resources pages). */
export const KUBERNETES: ProviderSchema = {
  source: 'hashicorp/kubernetes',
  docs: `${DOCS}/index.md`,
  provider: {
    attributes: ['config_path', 'config_paths', 'config_context', 'config_context_cluster', 'config_context_auth_info', 'host', 'alias'],
  },
  resources: {
    // Custom resources (the Secrets Store CSI driver's SecretProviderClass): the whole object in `manifest`.
    kubernetes_manifest: {
      docs: `${DOCS}/resources/manifest.md`,
      attributes: ['manifest', 'computed_fields', 'object'],
      required: ['manifest'],
      blocks: { wait: { attributes: ['rollout', 'fields', 'condition'] }, field_manager: { attributes: ['name', 'force_conflicts'] }, timeouts: { attributes: ['create', 'update', 'delete'] } },
      exports: ['id', 'object'],
    },
    kubernetes_namespace_v1: {
      docs: `${DOCS}/resources/namespace_v1.md`,
      attributes: ['wait_for_default_service_account'],
      required: ['metadata'],
      blocks: { metadata },
      exports: ['id'],
    },
    kubernetes_service_account_v1: {
      docs: `${DOCS}/resources/service_account_v1.md`,
      attributes: ['automount_service_account_token'],
      required: ['metadata'],
      blocks: { metadata, image_pull_secret: { attributes: ['name'] }, secret: { attributes: ['name'] } },
      exports: ['id'],
    },
    kubernetes_role_v1: {
      docs: `${DOCS}/resources/role_v1.md`,
      attributes: [],
      required: ['metadata'],
      blocks: { metadata, rule: { attributes: ['api_groups', 'resources', 'resource_names', 'verbs'], required: ['api_groups', 'resources', 'verbs'] } },
      exports: ['id'],
    },
    kubernetes_role_binding_v1: {
      docs: `${DOCS}/resources/role_binding_v1.md`,
      attributes: [],
      required: ['metadata', 'role_ref', 'subject'],
      blocks: {
        metadata,
        role_ref: { attributes: ['api_group', 'kind', 'name'], required: ['api_group', 'kind', 'name'] },
        subject: { attributes: ['api_group', 'kind', 'name', 'namespace'], required: ['kind', 'name'] },
      },
      exports: ['id'],
    },
    kubernetes_secret_v1: {
      docs: `${DOCS}/resources/secret_v1.md`,
      attributes: ['data', 'binary_data', 'type', 'immutable', 'wait_for_service_account_token'],
      required: ['metadata'],
      blocks: { metadata },
      exports: ['id'],
    },
  },
  dataSources: {},
};
