import type { AzureManagedIdentity, ResolvedFleet } from '../../model/types.js';
import { shortHash } from '../../spec/names.js';
import { tfLiteralMap } from './literal.js';
import { DO_NOT_EDIT, mergeResources, tfName, type TerraformResources, type TerraformRoot } from '../artifacts.js';

/** azurerm 4.x; storage_account_id on containers needs a recent 4.x release. */
export const AZURERM_PROVIDER_CONSTRAINT = '>= 4.20, < 5';

/** The output `synth --azure-outputs` reads back: identity name → client id. */
export const CLIENT_IDS_OUTPUT = 'workload_identity_client_ids';

/**
 * Tags of every Azure resource: ours, then the spec's azure.tags (user text, escaped). The same
 * object for every resource of a fleet (documents are not changed after they are made, and a
 * shared object serialises as copies would): every managed identity carries the tags, and
 * escaping them again per identity was two regex replaces per tag and an object per runner.
 */
export function azureTags(fleet: ResolvedFleet): Record<string, string> {
  const given = fleet.azure?.tags;
  const hit = given ? tagsByGiven.get(given) : undefined;
  if (hit?.fleet === fleet.name) return hit.tags;
  const tags = { 'managed-by': 'runner-fleet', 'runner-fleet-fleet': fleet.name, ...tfLiteralMap(given ?? {}) };
  if (given) tagsByGiven.set(given, { fleet: fleet.name, tags });
  return tags;
}
/** azureTags by the spec's tags object (and the fleet's name, the one other part). */
const tagsByGiven = new WeakMap<object, { fleet: string; tags: Record<string, string> }>();

export const identityRef = (id: AzureManagedIdentity, attr: 'id' | 'principal_id' | 'client_id') => `\${azurerm_user_assigned_identity.${tfName(id.key)}.${attr}}`;

/** The provider block every root that talks to Azure uses; credentials come from the environment (az login, OIDC). */
export function azurermProvider(fleet: ResolvedFleet): Record<string, unknown> {
  const az = fleet.azure!;
  // storage_use_azuread: shared keys are disabled on cache accounts, so data-plane calls use Entra ID.
  return { features: {}, subscription_id: az.subscriptionId, tenant_id: az.tenantId, storage_use_azuread: true };
}

/**
 * One user-assigned identity per runner purpose, outside any per-runner grouping so that a change
 * to a runner never replaces an identity (and its client id), plus the role assignments the spec
 * grants. Role assignments name built-in roles by `role_definition_name`.
 */
export function azureIdentityResources(fleet: ResolvedFleet): TerraformResources {
  const identities: Record<string, Record<string, unknown>> = {};
  const assignments: Record<string, Record<string, unknown>> = {};
  for (const id of fleet.identities) {
    if (id.cloud !== 'azure') continue;
    const k = tfName(id.key);
    identities[k] = { name: id.roleName, resource_group_name: id.resourceGroup, location: fleet.azure!.location, tags: azureTags(fleet) };
    for (const a of id.roleAssignments) {
      // Keyed by what is granted, so reordering the spec never replaces an assignment.
      assignments[tfName(id.key, shortHash(`${a.role}|${a.scope.toLowerCase()}`, 8))] = {
        scope: a.scope,
        role_definition_name: a.role,
        principal_id: identityRef(id, 'principal_id'),
        // Skips the directory lookup that fails right after the identity was created.
        principal_type: 'ServicePrincipal',
        description: `${a.role} for the ${id.purpose} of ${fleet.name}/${id.runner} (runner-fleet)`,
      };
    }
  }
  const out: TerraformResources = { azurerm_user_assigned_identity: identities };
  if (Object.keys(assignments).length > 0) out.azurerm_role_assignment = assignments;
  return out;
}

export function azureRoot(fleet: ResolvedFleet, contributions: TerraformResources[]): TerraformRoot {
  const resource: TerraformResources = {};
  for (const c of contributions) mergeResources(resource, c);
  const clientIds: Record<string, string> = {};
  for (const id of fleet.identities) if (id.cloud === 'azure') clientIds[id.roleName] = identityRef(id, 'client_id');
  if (fleet.rotation?.azure) clientIds[fleet.rotation.azure.identityName] = `\${azurerm_user_assigned_identity.${tfName(fleet.rotation.azure.key)}.client_id}`;
  const sorted: TerraformResources = {};
  for (const type of Object.keys(resource).sort()) sorted[type] = resource[type]!;
  // The token rotator's managed identity (operations.rotation on AKS): the pipeline's AZURE_CLIENT_ID.
  const rotator = fleet.rotation?.azure;
  const rotatorOutputs = rotator
    ? {
        rotator_client_id: { value: `\${azurerm_user_assigned_identity.${tfName(rotator.key)}.client_id}`, description: `token rotator of ${fleet.name}: the CI/CD variable RUNNER_FLEET_ROTATOR_CLIENT_ID of pipelines/rotate-tokens.gitlab-ci.yml` },
        rotator_principal_id: { value: `\${azurerm_user_assigned_identity.${tfName(rotator.key)}.principal_id}`, description: `token rotator of ${fleet.name}: its Kubernetes user name on AKS (the RoleBindings in terraform/azure-k8s)` },
      }
    : {};
  return {
    '//': DO_NOT_EDIT,
    terraform: { required_version: '>= 1.5.0', required_providers: { azurerm: { source: 'hashicorp/azurerm', version: AZURERM_PROVIDER_CONSTRAINT } } },
    provider: { azurerm: azurermProvider(fleet) },
    resource: sorted,
    output: {
      [CLIENT_IDS_OUTPUT]: {
        value: clientIds,
        description: 'Client id of each managed identity, by name. Not a secret; pass `terraform output -json` to runner-fleet synth --azure-outputs.',
      },
      ...rotatorOutputs,
    },
  };
}
