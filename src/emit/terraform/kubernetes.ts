import type { K8sObject } from '../artifacts.js';

/** hashicorp/kubernetes 2.x: the `_v1` resources are the stable names. */
export const KUBERNETES_PROVIDER_CONSTRAINT = '>= 2.30, < 3';

const TYPES: Record<string, string> = {
  Namespace: 'kubernetes_namespace_v1',
  ServiceAccount: 'kubernetes_service_account_v1',
  Role: 'kubernetes_role_v1',
  RoleBinding: 'kubernetes_role_binding_v1',
  Secret: 'kubernetes_secret_v1',
};

function metadata(m: K8sObject['metadata']): Record<string, unknown> {
  const out: Record<string, unknown> = { name: m.name };
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.labels && Object.keys(m.labels).length > 0) out.labels = m.labels;
  if (m.annotations && Object.keys(m.annotations).length > 0) out.annotations = m.annotations;
  return out;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The same object as a kubernetes provider resource, so one set of objects can be applied
 * with kubectl or with Terraform. Only the kinds runner-fleet emits are supported.
 */
export function k8sObjectToTerraform(obj: K8sObject): { type: string; body: Record<string, unknown> } {
  const type = TYPES[obj.kind];
  if (!type) throw new Error(`internal: no kubernetes provider resource for kind ${obj.kind}`);
  const body: Record<string, unknown> = { metadata: metadata(obj.metadata) };
  switch (obj.kind) {
    case 'ServiceAccount':
      if (typeof obj.automountServiceAccountToken === 'boolean') body.automount_service_account_token = obj.automountServiceAccountToken;
      break;
    case 'Role':
      body.rule = (obj.rules as Rule[]).map((r) => ({ api_groups: r.apiGroups, resources: r.resources, verbs: r.verbs, ...(r.resourceNames ? { resource_names: r.resourceNames } : {}) }));
      break;
    case 'RoleBinding': {
      const ref = obj.roleRef as { apiGroup: string; kind: string; name: string };
      body.role_ref = { api_group: ref.apiGroup, kind: ref.kind, name: ref.name };
      body.subject = (obj.subjects as { kind: string; name: string; namespace?: string; apiGroup?: string }[]).map((s) => ({ kind: s.kind, name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}), ...(s.apiGroup ? { api_group: s.apiGroup } : {}) }));
      break;
    }
    case 'Secret':
      if (obj.type !== undefined) body.type = obj.type;
      if (obj.data !== undefined) body.data = obj.data;
      break;
    default:
      break;
  }
  return { type, body };
}

/** Provider settings: kubeconfig path and context come from variables, never from a file we write. */
export function kubernetesProviderVariables(contextVar: string, what: string): Record<string, unknown> {
  return {
    kubeconfig_path: { type: 'string', sensitive: true, description: 'Path of the kubeconfig file Terraform uses to reach the cluster(s).' },
    [contextVar]: { type: 'string', sensitive: true, description: `kubeconfig context of ${what}.` },
  };
}
