import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import { ownChild, setOwn, tfName } from '../emit/artifacts.js';
import { UUID } from '../spec/azure.js';
import { containerScope, storageAccountId } from '../verify/azure-docs.js';
import { formatPosition, originAt, type Origin } from './source.js';
import type { Evidence } from './evidence.js';
import { isObject } from '../model/is-object.js';

/**
 * The Azure half of the Terraform evidence (azurerm resources and data sources from `.tf.json`,
 * HCL read into the same model, or `terraform show -json`) in the shapes the AKS and Azure Blob
 * proofs read: identities by name, federated credentials whose `parent_id` and role assignments
 * whose `principal_id` reference an identity of the root, literal scopes and role names. What
 * cannot be resolved statically is left out with a finding, never guessed.
 */
export interface AzureEvidence {
  /** Normalized azurerm resources (the `terraformAzure` document of the doctor). */
  root: TerraformRoot;
  /** Identity names in the evidence (resources, data sources, parents named by literal ids). */
  identities: Set<string>;
  /** Where each identity, credential and assignment of the normalized root is written, by `type.key`. */
  origins: Map<string, Origin>;
  /** Identity name by client id (lower case), where the evidence states client ids (state, plan). */
  clientIds: Map<string, string>;
  /** Identity name by `${[data.]azurerm_user_assigned_identity.<key>.client_id}` reference. */
  clientIdRefs: Map<string, string>;
  subscriptionId?: string;
  tenantId?: string;
  location?: string;
  resourceGroup?: string;
  /** Literal OIDC issuers of AKS clusters in the evidence (`oidc_issuer_url` of a state or a data source). */
  clusterIssuers: Map<string, string>;
  findings: Finding[];
}

/** Subscription used when the evidence names none: resource ids still compare consistently. */
export const UNKNOWN_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const UNKNOWN_TENANT = '00000000-0000-0000-0000-000000000000';

/** Built-in role definition ids (the last segment of `role_definition_id`), Azure built-in roles reference. */
export const BUILTIN_ROLE_IDS: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'db58b8e5-c6ad-4a2a-8342-4190687cbf4a': 'Storage Blob Delegator',
  '8311e382-0749-4cb8-b61a-304f252e45ec': 'AcrPush',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59': 'Managed Identity Contributor',
  'f1a07417-d97a-45cb-824c-7a7467783830': 'Managed Identity Operator',
};

/** ARM provider path of the resource types a role assignment commonly scopes to. */
const ARM_TYPES: Record<string, string> = {
  azurerm_storage_account: 'Microsoft.Storage/storageAccounts',
  azurerm_container_registry: 'Microsoft.ContainerRegistry/registries',
  azurerm_key_vault: 'Microsoft.KeyVault/vaults',
  azurerm_kubernetes_cluster: 'Microsoft.ContainerService/managedClusters',
  azurerm_user_assigned_identity: 'Microsoft.ManagedIdentity/userAssignedIdentities',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const TOKEN = /\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g;
const IDENTITY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i;

/** The provider settings of every Terraform JSON root given (`provider.azurerm`). */
function providerSettings(ev: Evidence): { subscriptionId?: string; tenantId?: string } {
  const out: { subscriptionId?: string; tenantId?: string } = {};
  for (const a of ev.artifacts) {
    const docs = Array.isArray(a.content) ? (a.content as unknown[]) : [a.content];
    for (const d of docs) {
      const p = isObject(d) && isObject(d.provider) ? d.provider.azurerm : undefined;
      for (const az of Array.isArray(p) ? p : [p]) {
        if (!isObject(az)) continue;
        const sub = str(az.subscription_id);
        const tenant = str(az.tenant_id);
        if (sub && UUID.test(sub)) out.subscriptionId ??= sub;
        if (tenant && UUID.test(tenant)) out.tenantId ??= tenant;
      }
    }
  }
  return out;
}

export function normalizeAzure(ev: Evidence): AzureEvidence {
  const tf = ev.terraform;
  const findings: Finding[] = [];
  const origins = new Map<string, Origin>();
  const where = (key: string, ...path: string[]) => {
    const o = tf.origins.get(key);
    return o ? formatPosition(originAt(o, ...path)) : '';
  };
  const res = (type: string) => Object.entries(tf.resource[type] ?? {});
  const dat = (type: string) => Object.entries(tf.data[type] ?? {});
  const settings = providerSettings(ev);

  // Identities: resources, then data sources of identities not created here.
  const identityBodies = new Map<string, Record<string, unknown>>();
  const identityKeyByName = new Map<string, string>();
  const refKey = new Map<string, string>();
  const clientIds = new Map<string, string>();
  const clientIdRefs = new Map<string, string>();
  const byLiteral = new Map<string, string>();
  const addIdentity = (origKey: string, body: Record<string, unknown>, data: boolean): void => {
    const name = str(body.name);
    if (!name || name.includes('${')) {
      if (!data) findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: where(`azurerm_user_assigned_identity.${origKey}`), message: `azurerm_user_assigned_identity.${origKey} has no literal name, so no service account or credential can be matched against it`, fix: 'give the identity a literal name, or give `terraform show -json`' });
      return;
    }
    const ref = `${data ? 'data.' : ''}azurerm_user_assigned_identity.${origKey}`;
    let key = identityKeyByName.get(name.toLowerCase());
    if (!key) {
      key = tfName(data ? `data_${origKey}` : origKey);
      identityKeyByName.set(name.toLowerCase(), key);
      identityBodies.set(key, { name, resource_group_name: str(body.resource_group_name) ?? '', ...(str(body.location) ? { location: body.location } : {}) });
      const o = tf.origins.get(ref);
      if (o) origins.set(`azurerm_user_assigned_identity.${key}`, o);
    }
    refKey.set(ref, key);
    clientIdRefs.set(`\${${ref}.client_id}`, name);
    for (const attr of ['client_id', 'principal_id', 'id']) {
      const v = str(body[attr]);
      if (v && !v.includes('${')) byLiteral.set(v.toLowerCase(), key);
    }
    const clientId = str(body.client_id);
    if (clientId && UUID.test(clientId)) clientIds.set(clientId.toLowerCase(), name);
  };
  for (const [k, b] of res('azurerm_user_assigned_identity')) addIdentity(k, b, false);
  for (const [k, b] of dat('azurerm_user_assigned_identity')) addIdentity(k, b, true);

  // Subscription, tenant, location and resource group, from the most specific evidence.
  let subscriptionId = settings.subscriptionId;
  let tenantId = settings.tenantId;
  for (const b of [...res('azurerm_user_assigned_identity').map(([, x]) => x), ...dat('azurerm_client_config').map(([, x]) => x), ...dat('azurerm_subscription').map(([, x]) => x)]) {
    const m = IDENTITY_ID.exec(str(b.id) ?? '');
    subscriptionId ??= m?.[1] ?? (UUID.test(str(b.subscription_id) ?? '') ? str(b.subscription_id) : undefined);
    tenantId ??= UUID.test(str(b.tenant_id) ?? '') ? str(b.tenant_id) : undefined;
  }
  for (const [, b] of res('azurerm_role_assignment')) subscriptionId ??= /^\/subscriptions\/([0-9a-fA-F-]{36})/.exec(str(b.scope) ?? '')?.[1];
  const sub = subscriptionId ?? UNKNOWN_SUBSCRIPTION;
  const firstIdentity = [...identityBodies.values()][0];

  // Resource ids of what role assignments scope to, from the blocks' literal names.
  const bodyOf = (data: boolean, type: string, key: string) => (data ? tf.data : tf.resource)[type]?.[key];
  /**
   * A block's attribute as a literal: written literally, or a reference to another block's literal
   * attribute (`resource_group_name = azurerm_resource_group.runners.name`), followed a few steps.
   */
  const plain = (v: unknown, depth = 0): string | undefined => {
    const s = str(v);
    if (s === undefined || !s.includes('${')) return s;
    const ref = depth < 5 ? /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(s) : null;
    return ref ? plain(bodyOf(ref[1] !== undefined, ref[2]!, ref[3]!)?.[ref[4]!], depth + 1) : undefined;
  };
  const accountIdOf = (data: boolean, key: string): string | undefined => {
    const b = bodyOf(data, 'azurerm_storage_account', key);
    const name = plain(b?.name);
    const group = b?.resource_group_name === undefined ? '' : plain(b.resource_group_name);
    return b && name && group !== undefined ? storageAccountId(sub, group, name) : undefined;
  };
  const accountOfContainer = (b: Record<string, unknown>): string | undefined => {
    const ref = /^\$\{(data\.)?azurerm_storage_account\.([A-Za-z0-9_-]+)\.id\}$/.exec(str(b.storage_account_id) ?? '');
    if (ref) return accountIdOf(ref[1] !== undefined, ref[2]!);
    const literal = str(b.storage_account_id);
    if (literal && literal.startsWith('/subscriptions/')) return literal;
    // azurerm 3.x: storage_account_name.
    const byName = str(b.storage_account_name);
    if (!byName) return undefined;
    const named = byName.startsWith('${') ? /^\$\{(data\.)?azurerm_storage_account\.([A-Za-z0-9_-]+)\.name\}$/.exec(byName) : null;
    if (named) return accountIdOf(named[1] !== undefined, named[2]!);
    const acct = res('azurerm_storage_account').find(([, x]) => x.name === byName)?.[1];
    return storageAccountId(sub, str(acct?.resource_group_name) ?? '', byName);
  };
  const idOf = (data: boolean, type: string, key: string, attr: string): string | undefined => {
    if (type === 'azurerm_client_config' || type === 'azurerm_subscription') {
      if (attr === 'subscription_id') return sub;
      if (attr === 'tenant_id') return tenantId;
      if (attr === 'id' && type === 'azurerm_subscription') return `/subscriptions/${sub}`;
      return undefined;
    }
    const b = bodyOf(data, type, key);
    if (!b) return undefined;
    const name = plain(b.name);
    if (!name) return undefined;
    if (type === 'azurerm_resource_group' && attr === 'id') return `/subscriptions/${sub}/resourceGroups/${name}`;
    if (type === 'azurerm_storage_container' && (attr === 'resource_manager_id' || attr === 'id')) {
      const acct = accountOfContainer(b);
      return acct ? containerScope(acct, name) : undefined;
    }
    if (type === 'azurerm_storage_account' && attr === 'id') return accountIdOf(data, key);
    const arm = ARM_TYPES[type];
    if (arm && attr === 'id') {
      const group = b.resource_group_name === undefined ? '' : plain(b.resource_group_name);
      return group !== undefined ? `/subscriptions/${sub}/resourceGroups/${group}/providers/${arm}/${name}` : undefined;
    }
    if (attr === 'name') return name;
    return undefined;
  };
  /** A string with `${type.key.attr}` references replaced by literal ids; undefined when one is not known. */
  const literal = (v: unknown): string | undefined => {
    if (typeof v !== 'string') return undefined;
    let unknown = false;
    const out = v.replace(TOKEN, (_m, data: string | undefined, type: string, key: string, attr: string) => {
      const x = idOf(data !== undefined, type, key, attr);
      if (x === undefined) unknown = true;
      return x ?? '';
    });
    return unknown || out.includes('${') ? undefined : out;
  };

  /** The identity key a `parent_id` or `principal_id` names: a reference, or a literal id, principal or client id. */
  const identityKey = (v: unknown, attr: 'id' | 'principal_id'): string | undefined => {
    const s = str(v);
    if (!s) return undefined;
    const ref = /^\$\{((?:data\.)?azurerm_user_assigned_identity\.[A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(s);
    if (ref) return ref[2] === attr ? refKey.get(ref[1]!) : undefined;
    const hit = byLiteral.get(s.toLowerCase());
    if (hit) return hit;
    const m = attr === 'id' ? IDENTITY_ID.exec(s) : null;
    if (!m) return undefined;
    // A credential names its parent by id: that identity exists, though its own block was not given.
    const name = m[3]!;
    let key = identityKeyByName.get(name.toLowerCase());
    if (!key) {
      key = tfName(`id_${name}`);
      identityKeyByName.set(name.toLowerCase(), key);
      identityBodies.set(key, { name, resource_group_name: m[2]! });
    }
    return key;
  };

  const resource: TerraformRoot['resource'] = {};
  const put = (type: string, key: string, body: Record<string, unknown>, origin: Origin | undefined) => {
    setOwn(ownChild(resource, type), key, body);
    if (origin) origins.set(`${type}.${key}`, origin);
  };

  for (const [k, b] of res('azurerm_federated_identity_credential')) {
    const key = identityKey(b.parent_id, 'id');
    const origin = tf.origins.get(`azurerm_federated_identity_credential.${k}`);
    if (!key) {
      if (typeof b.parent_id === 'string' && /azurerm_user_assigned_identity\./.test(b.parent_id)) {
        findings.push({ code: 'RF904', severity: CODES.RF904.severity, path: where(`azurerm_federated_identity_credential.${k}`, 'parent_id'), message: `azurerm_federated_identity_credential.${k} belongs to ${b.parent_id}, which is not in the Terraform given`, received: b.parent_id, fix: 'define the identity, or fix the reference' });
      }
      continue;
    }
    const audience = Array.isArray(b.audience) ? b.audience.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : typeof b.audience === 'string' ? [b.audience] : [];
    put('azurerm_federated_identity_credential', tfName(k), { name: str(b.name) ?? k, parent_id: `\${azurerm_user_assigned_identity.${key}.id}`, issuer: String(b.issuer), subject: String(b.subject), audience }, origin);
  }
  for (const [k, b] of res('azurerm_role_assignment')) {
    const key = identityKey(b.principal_id, 'principal_id');
    if (!key) continue; // A principal that is no identity of the evidence (a user, a group, the kubelet): not a runner's.
    const origin = tf.origins.get(`azurerm_role_assignment.${k}`);
    const scope = literal(b.scope);
    const role = roleName(b, tf);
    if (scope === undefined || role === undefined) {
      findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: where(`azurerm_role_assignment.${k}`, scope === undefined ? 'scope' : 'role_definition_id'), message: `azurerm_role_assignment.${k}: its ${scope === undefined ? 'scope' : 'role'} is not statically known, so what it grants is not proven`, received: String(scope === undefined ? b.scope : b.role_definition_id).slice(0, 160), fix: 'write the scope and role_definition_name literally or as references to blocks given, or give `terraform show -json`' });
      continue;
    }
    put('azurerm_role_assignment', tfName(k), { scope, role_definition_name: role, principal_id: `\${azurerm_user_assigned_identity.${key}.principal_id}` }, origin);
  }
  for (const [key, body] of identityBodies) put('azurerm_user_assigned_identity', key, body, origins.get(`azurerm_user_assigned_identity.${key}`));

  // Cache storage: accounts as written (the backend reads their settings), children pointing at them by reference.
  const accountKeyById = new Map<string, string>();
  for (const [k, b] of res('azurerm_storage_account')) {
    const key = tfName(k);
    // Its resource group as a literal where written as a reference (azurerm_resource_group.runners.name): the
    // cache's scopes are built from it, and two deployments given together may each have their own.
    const group = typeof b.resource_group_name === 'string' && b.resource_group_name.includes('${') ? plain(b.resource_group_name) : undefined;
    put('azurerm_storage_account', key, group !== undefined ? { ...b, resource_group_name: group } : b, tf.origins.get(`azurerm_storage_account.${k}`));
    const id = accountIdOf(false, k);
    if (id) accountKeyById.set(id.toLowerCase(), key);
  }
  for (const type of ['azurerm_storage_container', 'azurerm_storage_management_policy']) {
    for (const [k, b] of res(type)) {
      const acct = accountOfContainer(b);
      const accountKey = acct ? accountKeyById.get(acct.toLowerCase()) : undefined;
      put(type, tfName(k), { ...b, ...(accountKey ? { storage_account_id: `\${azurerm_storage_account.${accountKey}.id}` } : {}) }, tf.origins.get(`${type}.${k}`));
    }
  }
  // Clusters created in the evidence: the proofs of created clusters read them by key.
  for (const type of ['azurerm_kubernetes_cluster', 'azurerm_kubernetes_cluster_node_pool']) for (const [k, b] of res(type)) put(type, k, b, tf.origins.get(`${type}.${k}`));

  const clusterIssuers = new Map<string, string>();
  for (const [k, b] of [...res('azurerm_kubernetes_cluster'), ...dat('azurerm_kubernetes_cluster')]) {
    const issuer = str(b.oidc_issuer_url);
    if (issuer && !issuer.includes('${')) clusterIssuers.set(str(b.name) ?? k, issuer);
  }

  const out: AzureEvidence = { root: { terraform: {}, resource }, identities: new Set([...identityBodies.values()].map((b) => String(b.name))), origins, clientIds, clientIdRefs, clusterIssuers, findings };
  if (subscriptionId) out.subscriptionId = subscriptionId;
  if (tenantId) out.tenantId = tenantId;
  if (firstIdentity) {
    // Followed to the literal where written as a reference (azurerm_resource_group.runners.name): the
    // cache's scopes are built from it and must be those its role assignments resolve to.
    const location = plain(firstIdentity.location);
    const group = plain(firstIdentity.resource_group_name);
    if (location) out.location = location;
    if (group) out.resourceGroup = group;
  }
  return out;
}

/** The role an assignment grants, by name: `role_definition_name`, a built-in id, or a custom definition of the evidence. */
function roleName(b: Record<string, unknown>, tf: Evidence['terraform']): string | undefined {
  const name = str(b.role_definition_name);
  if (name && !name.includes('${')) return name;
  const id = str(b.role_definition_id);
  if (!id) return undefined;
  const ref = /^\$\{(data\.)?azurerm_role_definition\.([A-Za-z0-9_-]+)\.(role_definition_resource_id|id|role_definition_id)\}$/.exec(id);
  if (ref) {
    const def = (ref[1] ? tf.data : tf.resource).azurerm_role_definition?.[ref[2]!];
    return str(def?.name);
  }
  if (id.includes('${')) return undefined;
  const guid = id.split('/').pop()!.toLowerCase();
  if (Object.hasOwn(BUILTIN_ROLE_IDS, guid)) return BUILTIN_ROLE_IDS[guid];
  const custom = Object.values(tf.resource.azurerm_role_definition ?? {}).find((d) => (str(d.role_definition_id) ?? '').toLowerCase() === guid);
  return str(custom?.name) ?? `role definition ${guid}`;
}

/**
 * Several Azure deployments given together (staging/ and prod/, each a synth output or its own
 * Terraform, chart values and manifests): the azurerm evidence of each, so each runner reads its own
 * deployment's identities, federated credentials, role assignments, tenant, subscription and
 * resource group. Identities of one name are legitimate in two subscriptions or resource groups.
 * The folders holding azurerm blocks are grouped by their first folder below the one all share;
 * they are told apart only where the groups disagree (an identity of one name created in two, or a
 * tenant, subscription, location or resource group stated differently): otherwise the evidence is
 * one deployment's (its roots in folders of their own, infra/identity/ and infra/aks/), as before.
 * Undefined: one deployment. `of` gives the deployment of a file (a runner's values or manifests),
 * undefined for a file in none of them; `all` every deployment's.
 */
export function azureDeployments(ev: Evidence): { of(path: string): AzureEvidence | undefined; all: AzureEvidence[] } | undefined {
  const tf = ev.terraform;
  const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
  const blocks: { kind: 'resource' | 'data'; type: string; key: string; folder?: string }[] = [];
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byKey] of Object.entries(tf[kind])) {
      if (!type.startsWith('azurerm_')) continue;
      for (const key of Object.keys(byKey)) {
        const path = tf.origins.get(`${kind === 'data' ? 'data.' : ''}${type}.${key}`)?.source.path;
        blocks.push({ kind, type, key, ...(path !== undefined ? { folder: folderOf(path.replace(/\\/g, '/')) } : {}) });
      }
    }
  }
  const folders = [...new Set(blocks.map((b) => b.folder).filter((f): f is string => f !== undefined))];
  if (folders.length < 2) return undefined;
  const parts = folders.map((f) => (f === '' ? [] : f.split('/')));
  let common = 0;
  while (parts.every((p) => p.length > common && p[common] === parts[0]![common])) common++;
  // A folder at the level all share holds blocks of every deployment below it: nothing to tell apart.
  if (parts.some((p) => p.length === common)) return undefined;
  const groupOf = (folder: string) => folder.split('/').slice(0, common + 1).join('/');
  const groups = [...new Set(folders.map(groupOf))];
  if (groups.length < 2) return undefined;
  // Each group's blocks, once (many deployments given together: no scan of every block per group).
  const blocksOf = new Map<string | undefined, typeof blocks>();
  for (const b of blocks) {
    const g = b.folder === undefined ? undefined : groupOf(b.folder);
    const list = blocksOf.get(g);
    if (list) list.push(b);
    else blocksOf.set(g, [b]);
  }
  // The group of a file: its first common + 1 folders, where they are a group's (every group has that
  // many, so a path starts with at most one group and its folder): a lookup, not a test of every group.
  const groupSet = new Set(groups);
  const groupOfPath = (normal: string): string | undefined => {
    const segments = normal.split('/');
    if (segments.length <= common + 1) return undefined;
    const g = segments.slice(0, common + 1).join('/');
    return groupSet.has(g) ? g : undefined;
  };
  // Each group's artifacts, in their order, in one pass.
  const artifactsOf = new Map<string, Evidence['artifacts']>();
  for (const a of ev.artifacts) {
    const g = groupOfPath(a.path.replace(/\\/g, '/'));
    if (g === undefined) continue;
    const list = artifactsOf.get(g);
    if (list) list.push(a);
    else artifactsOf.set(g, [a]);
  }
  const evidenceOf = (group: string): AzureEvidence => {
    const pick = (kind: 'resource' | 'data') => {
      const out: Record<string, Record<string, Record<string, unknown>>> = {};
      for (const [type, byKey] of Object.entries(tf[kind])) if (!type.startsWith('azurerm_')) out[type] = byKey;
      // A block of no known file is every group's.
      for (const b of [...(blocksOf.get(group) ?? []), ...(blocksOf.get(undefined) ?? [])]) if (b.kind === kind) setOwn(ownChild(out, b.type), b.key, tf[kind][b.type]![b.key]!);
      return out;
    };
    const artifacts = artifactsOf.get(group) ?? [];
    return normalizeAzure({ ...ev, artifacts, terraform: { ...tf, resource: pick('resource'), data: pick('data') } });
  };
  const byGroup = new Map(groups.map((g) => [g, evidenceOf(g)]));
  // Told apart only where the deployments disagree.
  const created = (g: string) => (blocksOf.get(g) ?? []).filter((b) => b.kind === 'resource' && b.type === 'azurerm_user_assigned_identity').map((b) => str(tf.resource[b.type]![b.key]!.name)?.toLowerCase());
  const names = groups.flatMap((g) => [...new Set(created(g).filter((n) => n !== undefined))]);
  const stated = (field: 'subscriptionId' | 'tenantId' | 'location' | 'resourceGroup') => new Set([...byGroup.values()].map((e) => e[field]?.toLowerCase()).filter((x) => x !== undefined)).size > 1;
  const apart = new Set(names).size < names.length || stated('subscriptionId') || stated('tenantId') || stated('location') || stated('resourceGroup');
  if (!apart) return undefined;
  const ofPath = new Map<string, AzureEvidence | undefined>();
  return {
    all: [...byGroup.values()],
    of(path) {
      if (ofPath.has(path)) return ofPath.get(path);
      const normal = path.replace(/\\/g, '/');
      const g = groupOfPath(normal);
      const hit = g === undefined ? undefined : byGroup.get(g);
      ofPath.set(path, hit);
      return hit;
    },
  };
}
