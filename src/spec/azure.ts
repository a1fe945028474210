import { z } from 'zod';
import { azureTagsSchema } from './tags.js';
import { trimEnd } from '../model/trim.js';

/**
 * Azure pieces of the spec that do not belong to one platform: the `azure` section, the
 * built-in roles runner-fleet knows, and role-assignment scopes. Cloud vocabulary, like the
 * `aws` section in schema.ts; the AKS platform and the Azure Blob cache build on it.
 */

export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const uuidSchema = (what: string) => z.string().regex(UUID, { message: `${what}: a UUID such as 00000000-0000-0000-0000-000000000000, quoted` });

/** Resource group names: 1-90 letters, digits, '-', '_', '.', '(' and ')', not ending with '.'. */
export const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
export const resourceGroupSchema = z.string().regex(RESOURCE_GROUP, { message: 'a resource group name: up to 90 letters, digits, - _ . ( ), not ending with .' });

export const azureLocationSchema = z.string().regex(/^[a-z][a-z0-9]{2,39}$/, { message: 'an Azure region name such as westeurope or eastus2' });

export const azureSchema = z
  .strictObject({
    tenantId: uuidSchema('the Microsoft Entra tenant id').describe('Tenant (directory) id the identities live in.'),
    subscriptionId: uuidSchema('the subscription id').describe('Subscription where identities and cache storage are created.'),
    location: azureLocationSchema.describe('Region of the identities and, by default, of cache storage accounts.'),
    resourceGroup: resourceGroupSchema.describe('Existing resource group where managed identities and cache storage live.'),
    tags: azureTagsSchema.default({}).describe('Tags on every Azure resource: at most 48 (runner-fleet adds managed-by and runner-fleet-fleet, which the spec cannot set); names of 1-128 characters without < > % & \\ ? / that differ in more than case, values of up to 256. Default none.'),
  })
  .describe('The Azure subscription the fleet lives in.');

export type AzureSpec = z.output<typeof azureSchema>;

/**
 * Built-in Azure roles runner-fleet knows by name (`role_definition_name`), with what the
 * verifier needs to know about each. Names are Azure's own (Azure built-in roles reference).
 * The powers are read from each role's documented Actions and DataActions, as listed on
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles (its General,
 * Identity, Storage, Containers and Security pages):
 * - Owner: Actions `*`. Contributor: Actions `*` except the writes and deletes of
 *   `Microsoft.Authorization` (so every action of other providers: federated credentials,
 *   storage account keys). Reader: reads only (listKeys is an action, not a read).
 * - User Access Administrator, Role Based Access Control Administrator:
 *   `Microsoft.Authorization/roleAssignments/write`, so they can grant themselves any role.
 * - Managed Identity Contributor: `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write`
 *   (and identity write/delete). Managed Identity Operator: the `assign/action`
 *   of `Microsoft.ManagedIdentity/userAssignedIdentities` (attach an identity to a resource the holder may write) and reads.
 * - Storage Account Contributor: `Microsoft.Storage/storageAccounts/*`, which includes
 *   `listKeys/action`, `regeneratekey/action` and the account write that turns shared keys back on.
 * - Storage Blob Data Owner/Contributor/Reader: blob DataActions (read and write / read).
 *   Storage Blob Delegator: `…/blobServices/generateUserDelegationKey/action` only, no data.
 * - AcrPush/AcrPull, Key Vault, AKS and Monitoring roles: nothing on managed identities or
 *   storage accounts.
 * - Azure Kubernetes Service RBAC Writer, RBAC Admin and RBAC Cluster Admin (AKS clusters that
 *   authorize Kubernetes calls with Azure RBAC): DataActions `Microsoft.ContainerService/managedClusters/*`
 *   writes of pods, deployments, jobs and more in the namespaces within scope; the documented
 *   consequence is that the holder may run pods as any service account of such a namespace and so
 *   get its access. RBAC Reader reads only (no secrets); Cluster User Role lists a kubeconfig only.
 */
export interface AzureRoleInfo {
  /** Can assign roles (`Microsoft.Authorization/roleAssignments/write`), and so become anything in scope. */
  grants: boolean;
  /** Broad management of every resource in scope. */
  manages: boolean;
  blobData: 'none' | 'read' | 'read-write';
  /** Can request a user delegation key (sign SAS URLs). */
  delegates: boolean;
  /**
   * Can write federated credentials of user-assigned identities in scope
   * (`Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write`):
   * make an identity trust a token its holder has, and become that identity.
   */
  identityCredentials: boolean;
  /** Can attach user-assigned identities in scope to resources it may write (`…/userAssignedIdentities/assign/action`). */
  identityAssign: boolean;
  /** Can list or regenerate storage account keys, or turn shared-key access back on: every blob of the account. */
  storageKeys: boolean;
  /** With Azure RBAC for Kubernetes authorization: can create pods in the namespaces within scope, as any of their service accounts. */
  kubernetesPods: boolean;
}

const role = (r: Partial<AzureRoleInfo>): AzureRoleInfo => ({ grants: false, manages: false, blobData: 'none', delegates: false, identityCredentials: false, identityAssign: false, storageKeys: false, kubernetesPods: false, ...r });
const ADMIN = { manages: true, delegates: true, identityCredentials: true, identityAssign: true, storageKeys: true } as const;

/** The roles a spec may grant jobs (`jobs.permissions.azure[].role`). */
export const AZURE_BUILTIN_ROLES = {
  Owner: role({ grants: true, ...ADMIN }),
  Contributor: role(ADMIN),
  Reader: role({}),
  'User Access Administrator': role({ grants: true }),
  'Role Based Access Control Administrator': role({ grants: true }),
  AcrPush: role({}),
  AcrPull: role({}),
  'Storage Blob Data Owner': role({ blobData: 'read-write', delegates: true }),
  'Storage Blob Data Contributor': role({ blobData: 'read-write', delegates: true }),
  'Storage Blob Data Reader': role({ blobData: 'read', delegates: true }),
  'Storage Blob Delegator': role({ delegates: true }),
  'Storage Account Contributor': role({ delegates: true, storageKeys: true }),
  'Key Vault Secrets User': role({}),
  'Key Vault Secrets Officer': role({}),
  'Key Vault Reader': role({}),
  'Azure Kubernetes Service Cluster User Role': role({}),
  'Azure Kubernetes Service RBAC Writer': role({ kubernetesPods: true }),
  'Azure Kubernetes Service RBAC Reader': role({}),
  'Monitoring Reader': role({}),
} as const satisfies Record<string, AzureRoleInfo>;

/** Built-in roles the verifier knows in deployments it reads (the doctor), which a spec does not grant. */
const READ_ONLY_KNOWN_ROLES: Record<string, AzureRoleInfo> = {
  'Managed Identity Contributor': role({ identityCredentials: true }),
  'Managed Identity Operator': role({ identityAssign: true }),
  'Key Vault Administrator': role({}),
  'Azure Kubernetes Service RBAC Admin': role({ kubernetesPods: true }),
  'Azure Kubernetes Service RBAC Cluster Admin': role({ kubernetesPods: true }),
};

export type AzureRoleName = keyof typeof AZURE_BUILTIN_ROLES;
export const AZURE_ROLE_NAMES = Object.keys(AZURE_BUILTIN_ROLES) as [AzureRoleName, ...AzureRoleName[]];

/** What runner-fleet knows of a role; undefined for a custom or unknown role (what it allows is not proven). */
export function azureRoleInfo(name: string): AzureRoleInfo | undefined {
  if (Object.hasOwn(AZURE_BUILTIN_ROLES, name)) return (AZURE_BUILTIN_ROLES as Record<string, AzureRoleInfo>)[name];
  return Object.hasOwn(READ_ONLY_KNOWN_ROLES, name) ? READ_ONLY_KNOWN_ROLES[name] : undefined;
}

/** `/providers/Microsoft.Management/managementGroups/<id>` (case-insensitive, as Azure resource ids are). */
export const MANAGEMENT_GROUP_SCOPE = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/?$/i;

/** Roles at subscription scope that make a job identity an administrator of the subscription. */
export const POWERFUL_AZURE_ROLES: readonly AzureRoleName[] = ['Owner', 'Contributor', 'User Access Administrator', 'Role Based Access Control Administrator'];

const U = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const RG = '[-\\w.()]{0,89}[-\\w()]';
/**
 * `/subscriptions/<uuid>`, `…/resourceGroups/<name>`, or `…/providers/<Namespace>/<type>/<name>[/<type>/<name>…]`.
 * No braces: Azure names have none, and a scope is written into Terraform JSON, where `${…}` would be evaluated.
 */
export const AZURE_SCOPE = new RegExp(`^/subscriptions/${U}(/resourceGroups/${RG}(/providers/[A-Za-z]+(\\.[A-Za-z]+)+(/[A-Za-z]+/[^/\\s{}]+)+)?)?$`);

export type AzureScopeLevel = 'subscription' | 'resource-group' | 'resource';

export interface AzureScope {
  subscriptionId: string;
  resourceGroup?: string;
  level: AzureScopeLevel;
}

export function parseAzureScope(scope: string): AzureScope | undefined {
  if (!AZURE_SCOPE.test(scope)) return undefined;
  const parts = scope.split('/');
  const subscriptionId = parts[2]!;
  if (parts.length === 3) return { subscriptionId, level: 'subscription' };
  if (parts.length === 5) return { subscriptionId, resourceGroup: parts[4]!, level: 'resource-group' };
  return { subscriptionId, resourceGroup: parts[4]!, level: 'resource' };
}

/**
 * Azure resource ids are case-insensitive: does `outer` contain (or equal) `inner`? A role
 * assignment at a scope applies to every resource whose id starts with that scope and `/`.
 */
export function scopeCovers(outer: string, inner: string): boolean {
  const o = trimEnd(outer.toLowerCase(), '/');
  const i = trimEnd(inner.toLowerCase(), '/');
  return i === o || i.startsWith(`${o}/`);
}

export const azureRoleAssignmentSchema = z.strictObject({
  role: z.enum(AZURE_ROLE_NAMES).describe('A built-in role name, as in the Azure portal (role_definition_name).'),
  scope: z
    .string()
    .regex(AZURE_SCOPE, {
      message: 'an Azure scope: /subscriptions/<uuid>, /subscriptions/<uuid>/resourceGroups/<name>, or a resource id /subscriptions/<uuid>/resourceGroups/<name>/providers/<Namespace>/<type>/<name> (no spaces or braces)',
    })
    .describe('Where the role applies: a subscription, a resource group or one resource.'),
});

export type AzureRoleAssignmentSpec = z.output<typeof azureRoleAssignmentSchema>;

export const AZURE_WI_AUDIENCE = 'api://AzureADTokenExchange';
export const AZURE_CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
export const AZURE_TENANT_ID_ANNOTATION = 'azure.workload.identity/tenant-id';
export const AZURE_USE_LABEL = 'azure.workload.identity/use';

export function userAssignedIdentityId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/**
 * A runner manager's read of its own Key Vault token secret (runners[].gitlab.tokenStore.keyVault):
 * Key Vault Secrets User on exactly one secret, `…/providers/Microsoft.KeyVault/vaults/<vault>/secrets/<name>`.
 * The one role a manager holds besides its cache; on a vault or wider it reads every secret there.
 */
export const KEY_VAULT_SECRET_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/secrets\/[^/]+$/i;
export function isTokenSecretRead(a: { role: string; scope: string }): boolean {
  return a.role === 'Key Vault Secrets User' && KEY_VAULT_SECRET_SCOPE.test(a.scope);
}
