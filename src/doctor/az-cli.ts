import type { Evidence } from './evidence.js';
import type { Origin } from './source.js';
import { isObject } from '../model/is-object.js';

/**
 * Azure CLI output read as the azurerm resources it describes, so a deployment made with `az`
 * (as the AKS workload identity guides do) is proven like one made with Terraform:
 *
 * - `az identity show` → azurerm_user_assigned_identity (name, client and principal id, its id);
 * - `az identity federated-credential show|list` → azurerm_federated_identity_credential (issuer,
 *   subject, audiences; the parent identity from the credential's id);
 * - `az role assignment list|create` → azurerm_role_assignment (principal id, role name, scope);
 * - `az aks show` → azurerm_kubernetes_cluster (its OIDC issuer URL and whether workload identity
 *   and the issuer are enabled).
 *
 * A file holding one of these objects, or a JSON list of them, is read; anything else is left to
 * the other readers. Field names as the CLI prints them (camelCase; Azure REST API shapes).
 */
export function readAzCliInto(ev: Evidence, doc: unknown, origin: Origin): boolean {
  const items = Array.isArray(doc) ? doc : [doc];
  if (items.length === 0 || !items.every((x) => kindOf(x) !== undefined)) return false;
  items.forEach((x, i) => add(ev, x as Record<string, unknown>, Array.isArray(doc) ? { ...origin, path: [...origin.path, i] } : origin));
  return true;
}

type Kind = 'identity' | 'credential' | 'assignment' | 'cluster';

const IDENTITY_TYPE = /^Microsoft\.ManagedIdentity\/userAssignedIdentities$/i;
const CREDENTIAL_TYPE = /^Microsoft\.ManagedIdentity\/userAssignedIdentities\/federatedIdentityCredentials$/i;
const ASSIGNMENT_TYPE = /^Microsoft\.Authorization\/roleAssignments$/i;
const CLUSTER_TYPE = /^Microsoft\.ContainerService\/ManagedClusters$/i;

function kindOf(x: unknown): Kind | undefined {
  if (!isObject(x)) return undefined;
  const type = typeof x.type === 'string' ? x.type : '';
  if (IDENTITY_TYPE.test(type) && typeof x.name === 'string') return 'identity';
  if (CREDENTIAL_TYPE.test(type) && typeof x.id === 'string' && typeof x.issuer === 'string' && typeof x.subject === 'string') return 'credential';
  if (ASSIGNMENT_TYPE.test(type) && typeof x.principalId === 'string' && typeof x.scope === 'string') return 'assignment';
  if (CLUSTER_TYPE.test(type) && typeof x.name === 'string') return 'cluster';
  return undefined;
}

/** Bodies read from Azure CLI output, with how messages name them (`AKS cluster ci (az aks show)`). */
const fromCli = new WeakMap<object, string>();
export function azCliLabel(body: object): string | undefined {
  return fromCli.get(body);
}

/** The next `az_<n>` of each type's bodies (see add). */
const nextKey = new WeakMap<object, number>();

function add(ev: Evidence, x: Record<string, unknown>, origin: Origin): void {
  const kind = kindOf(x)!;
  const put = (type: string, body: Record<string, unknown>) => {
    if (kind === 'cluster') fromCli.set(body, `AKS cluster ${String(x.name)} (az aks show)`);
    const bodies = (ev.terraform.resource[type] ??= {});
    // The next key: the count of the type's bodies when the first CLI body is added to them, then one
    // on from the last key given (listing the keys per body grew with the square of the files); a key
    // a Terraform file took meanwhile is skipped. Keys name no body in any message (origins do).
    let n = nextKey.get(bodies) ?? Object.keys(bodies).length;
    while (Object.hasOwn(bodies, `az_${n}`)) n++;
    const key = `az_${n}`;
    nextKey.set(bodies, n + 1);
    bodies[key] = body;
    ev.terraform.origins.set(`${type}.${key}`, origin);
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  if (kind === 'identity') {
    put('azurerm_user_assigned_identity', {
      name: x.name,
      ...(str(x.resourceGroup) ? { resource_group_name: x.resourceGroup } : {}),
      ...(str(x.location) ? { location: x.location } : {}),
      ...(str(x.clientId) ? { client_id: x.clientId } : {}),
      ...(str(x.principalId) ? { principal_id: x.principalId } : {}),
      ...(str(x.tenantId) ? { tenant_id: x.tenantId } : {}),
      ...(str(x.id) ? { id: x.id } : {}),
    });
  } else if (kind === 'credential') {
    // .../userAssignedIdentities/<identity>/federatedIdentityCredentials/<name>: the parent is the id before it.
    const parent = String(x.id).replace(/\/federatedIdentityCredentials\/[^/]+$/i, '');
    put('azurerm_federated_identity_credential', {
      name: str(x.name) ?? String(x.id).split('/').pop(),
      parent_id: parent,
      issuer: x.issuer,
      subject: x.subject,
      audience: Array.isArray(x.audiences) ? x.audiences.filter((a) => typeof a === 'string') : [],
      ...(str(x.resourceGroup) ? { resource_group_name: x.resourceGroup } : {}),
    });
  } else if (kind === 'assignment') {
    put('azurerm_role_assignment', {
      principal_id: x.principalId,
      scope: x.scope,
      ...(str(x.roleDefinitionName) ? { role_definition_name: x.roleDefinitionName } : {}),
      ...(str(x.roleDefinitionId) ? { role_definition_id: x.roleDefinitionId } : {}),
    });
  } else {
    const issuerProfile = isObject(x.oidcIssuerProfile) ? x.oidcIssuerProfile : {};
    const security = isObject(x.securityProfile) ? x.securityProfile : {};
    const workload = isObject(security.workloadIdentity) ? security.workloadIdentity : {};
    put('azurerm_kubernetes_cluster', {
      name: x.name,
      ...(str(x.resourceGroup) ? { resource_group_name: x.resourceGroup } : {}),
      ...(str(x.location) ? { location: x.location } : {}),
      oidc_issuer_enabled: issuerProfile.enabled === true,
      workload_identity_enabled: workload.enabled === true,
      ...(str(issuerProfile.issuerUrl) ? { oidc_issuer_url: issuerProfile.issuerUrl } : {}),
    });
  }
}

