import { identityOf } from '../../model/types.js';
import type { CacheBackend } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { ResolvedCache } from '../../model/types.js';
import { tfName, type TerraformResources } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { azureTags } from '../../emit/terraform/azure.js';
import { MANAGEMENT_GROUP_SCOPE, azureRoleInfo, isTokenSecretRead, scopeCovers, type AzureRoleInfo } from '../../spec/azure.js';
import { idTokenAssignmentPath, jobAssignmentPath } from '../../verify/azure-rbac.js';
import { assignmentsOf, azureFacts, containerScope, parseAzureRef, storageAccountId } from '../../verify/azure-docs.js';
import { azureBlobCacheSchema, type AzureBlobCacheSpec } from './schema.js';
import { findBy } from '../../model/lookup.js';

function specOf(cache: ResolvedCache): AzureBlobCacheSpec {
  return cache.spec as unknown as AzureBlobCacheSpec;
}

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const key = (cache: ResolvedCache) => tfName('cache', cache.name);

/** Resource ids are derived from inputs, so the proofs read literal scopes. */
export function cacheScopes(fleet: FleetIntent, cache: ResolvedCache): { account: string; container: string } {
  const spec = specOf(cache);
  const az = fleet.azure!;
  const account = storageAccountId(az.subscriptionId, spec.resourceGroup ?? az.resourceGroup, spec.storageAccount);
  return { account, container: containerScope(account, spec.container) };
}

/** Roles the manager needs: data access on the container, and a user delegation key (an account-level action) to sign SAS URLs. */
export const MANAGER_DATA_ROLE = 'Storage Blob Data Contributor';
/** Diagnostic log categories of the blob service (Azure Monitor "Storage" resource logs). */
export const BLOB_LOG_CATEGORIES = ['StorageRead', 'StorageWrite', 'StorageDelete'] as const;
export const MANAGER_DELEGATION_ROLE = 'Storage Blob Delegator';

export const azureBlobCache: CacheBackend = {
  type: 'azure-blob',
  cloud: 'azure',
  title: 'Azure Blob Storage',
  schema: azureBlobCacheSchema,

  checkSpec(fleet, raw, cachePath) {
    const spec = raw as unknown as AzureBlobCacheSpec;
    if (spec.accessLogs && spec.accessLogs.logAnalyticsWorkspaceId === undefined && spec.accessLogs.storageAccountId === undefined) {
      return [{ code: 'RF004', severity: 'error', path: `${cachePath}.accessLogs`, message: 'access logs need a destination', fix: 'add logAnalyticsWorkspaceId: /subscriptions/…/workspaces/<name> or storageAccountId: /subscriptions/…/storageAccounts/<name>' }];
    }
    if (spec.network && !spec.publicNetworkAccess) {
      return [{ code: 'RF010', severity: 'error', path: `${cachePath}.network`, message: 'network rules apply to the public endpoint, which publicNetworkAccess: false turns off', fix: 'keep one: network (subnets over the public endpoint) or publicNetworkAccess: false (a private endpoint)' }];
    }
    if (fleet.azure) return [];
    return [{ code: 'RF004', severity: 'error', path: 'azure', message: `an Azure Blob cache needs the azure section (${cachePath} is type azure-blob)`, fix: 'add azure: { tenantId: "<uuid>", subscriptionId: "<uuid>", location: <region>, resourceGroup: <name> }' }];
  },

  managerStatements() {
    return [];
  },

  emitTerraformAws() {
    return {};
  },

  emitTerraformAzure(fleet, cache) {
    const spec = specOf(cache);
    const az = fleet.azure!;
    const k = key(cache);
    const out: TerraformResources = {};
    if (spec.create) {
      out.azurerm_storage_account = {
        [k]: {
          name: spec.storageAccount,
          resource_group_name: spec.resourceGroup ?? az.resourceGroup,
          location: spec.location ?? az.location,
          account_kind: 'StorageV2',
          account_tier: 'Standard',
          account_replication_type: spec.replication,
          https_traffic_only_enabled: true,
          min_tls_version: 'TLS1_2',
          allow_nested_items_to_be_public: false,
          // No account keys: the runner signs user delegation SAS URLs with its Entra identity.
          shared_access_key_enabled: false,
          default_to_oauth_authentication: true,
          public_network_access_enabled: spec.publicNetworkAccess,
          cross_tenant_replication_enabled: false,
          ...(spec.network ? { network_rules: { default_action: 'Deny', bypass: ['None'], virtual_network_subnet_ids: [...spec.network.subnetIds] } } : {}),
          tags: azureTags(fleet),
        },
      };
      const logs = spec.accessLogs;
      if (logs && (logs.logAnalyticsWorkspaceId !== undefined || logs.storageAccountId !== undefined)) {
        out.azurerm_monitor_diagnostic_setting = {
          [k]: {
            name: 'runner-fleet-cache-access',
            // Blob reads and writes are logged by the blob service, a child of the account.
            target_resource_id: `\${azurerm_storage_account.${k}.id}/blobServices/default`,
            ...(logs.logAnalyticsWorkspaceId !== undefined ? { log_analytics_workspace_id: logs.logAnalyticsWorkspaceId } : {}),
            ...(logs.storageAccountId !== undefined ? { storage_account_id: logs.storageAccountId } : {}),
            enabled_log: BLOB_LOG_CATEGORIES.map((category) => ({ category })),
          },
        };
      }
      out.azurerm_storage_container = {
        [k]: { name: spec.container, storage_account_id: `\${azurerm_storage_account.${k}.id}`, container_access_type: 'private' },
      };
      if (spec.expireAfterDays > 0) {
        out.azurerm_storage_management_policy = {
          [k]: {
            storage_account_id: `\${azurerm_storage_account.${k}.id}`,
            rule: [
              {
                name: 'expire-runner-cache',
                enabled: true,
                filters: { prefix_match: [`${spec.container}/`], blob_types: ['blockBlob'] },
                actions: { base_blob: { delete_after_days_since_modification_greater_than: spec.expireAfterDays } },
              },
            ],
          },
        };
      }
    }
    const scopes = cacheScopes(fleet, cache);
    const assignments: Record<string, Record<string, unknown>> = {};
    for (const r of fleet.runners) {
      if (r.cache?.cache !== cache.name) continue;
      const manager = findBy(fleet.identities, 'key', r.managerIdentity);
      if (manager?.cloud !== 'azure') continue;
      const principal = `\${azurerm_user_assigned_identity.${tfName(manager.key)}.principal_id}`;
      const dependsOn = spec.create ? { depends_on: [`azurerm_storage_container.${k}`] } : {};
      assignments[tfName(k, r.name, 'data')] = {
        scope: scopes.container,
        role_definition_name: MANAGER_DATA_ROLE,
        principal_id: principal,
        principal_type: 'ServicePrincipal',
        description: `cache container for the manager of ${fleet.name}/${r.name} (runner-fleet)`,
        ...dependsOn,
      };
      // Get User Delegation Key acts on the account: a container-scoped data role cannot call it.
      assignments[tfName(k, r.name, 'delegator')] = {
        scope: scopes.account,
        role_definition_name: MANAGER_DELEGATION_ROLE,
        principal_id: principal,
        principal_type: 'ServicePrincipal',
        description: `user delegation keys (SAS signing, no data access) for the manager of ${fleet.name}/${r.name} (runner-fleet)`,
        ...dependsOn,
      };
    }
    if (Object.keys(assignments).length > 0) out.azurerm_role_assignment = assignments;
    return out;
  },

  toml(_fleet, cache, ref) {
    const spec = specOf(cache);
    // No AccountKey: the manager uses its workload identity (gitlab-runner 17.5+).
    return { Type: 'azure', Path: ref.path, Shared: ref.shared, azure: { AccountName: spec.storageAccount, ContainerName: spec.container, StorageDomain: spec.storageDomain } };
  },

  diagramLabel(cache) {
    const spec = specOf(cache);
    return `${spec.storageAccount}/${spec.container}`;
  },

  verifyCache(docs, fleet, cache, cachePath) {
    const spec = specOf(cache);
    // Pipelines reach the account whoever created it: GitLab ID-token identities with roles over it.
    const byIdTokens = idTokensOverCache(docs, fleet, cache);
    if (!spec.create) {
      return [...byIdTokens, finding('RF208', cachePath, `storage account ${spec.storageAccount} is not created by this fleet; public access, TLS, shared keys and expiry are yours to keep`, { fix: 'set create: true to let runner-fleet own and verify the account', deploymentFix: `give the Terraform of storage account ${spec.storageAccount} (azurerm_storage_account, its container and management policy) so they are checked too` })];
    }
    const root = docs.terraformAzure;
    if (!root) return byIdTokens;
    const out: Finding[] = [...byIdTokens];
    const k = Object.entries(root.resource.azurerm_storage_account ?? {}).find(([, b]) => b.name === spec.storageAccount);
    if (!k) return [...out, finding('RF106', cachePath, `storage account ${spec.storageAccount} is not in terraform/azure/main.tf.json`, { fix: 'regenerate', deploymentFix: `give the Terraform of storage account ${spec.storageAccount}` })];
    const [acctKey, acct] = k;
    // [attribute, wanted value, what another value allows, its spelling in azurerm 3.x, whether unset is the wanted value].
    // HTTPS only is the provider's default when unset: azurerm 4.x `https_traffic_only_enabled`, 3.x
    // `enable_https_traffic_only`, both "Defaults to `true`" (registry.terraform.io/providers/hashicorp/azurerm/
    // latest/docs/resources/storage_account; ARM's supportsHttpsTrafficOnly defaults to true since API 2019-04-01).
    // `min_tls_version`: "Defaults to `TLS1_2` for new storage accounts" (the same page, azurerm 3.x and 4.x; ARM's
    // own default, for an account made without the provider, is TLS 1.0).
    const want: [string, unknown, string, string?, boolean?][] = [
      ['allow_nested_items_to_be_public', false, 'anonymous reads of public blobs'],
      ['https_traffic_only_enabled', true, 'plain HTTP', 'enable_https_traffic_only', true],
      ['min_tls_version', 'TLS1_2', 'TLS older than 1.2', undefined, true],
      ['shared_access_key_enabled', false, 'account keys (static credentials that bypass Entra ID)'],
    ];
    const written = (attr: string, legacy?: string): [string, unknown] => (acct[attr] === undefined && legacy !== undefined && acct[legacy] !== undefined ? [legacy, acct[legacy]] : [attr, acct[attr]]);
    const bad = want.filter(([attr, v, , legacy, byDefault]) => {
      const [, x] = written(attr, legacy);
      return x !== v && !(x === undefined && byDefault === true);
    });
    if (bad.length > 0) {
      out.push(finding('RF611', cachePath, `storage account ${spec.storageAccount} allows ${bad.map(([, , why]) => why).join(', ')}`, { subject: { kind: 'resource', address: `azurerm_storage_account.${acctKey}` }, received: JSON.stringify(Object.fromEntries(bad.map(([a, , , legacy]) => written(a, legacy)))), allowed: JSON.stringify(Object.fromEntries(bad.map(([a, v, , legacy]) => [written(a, legacy)[0], v]))), fix: 'regenerate; runner-fleet sets these for every account it creates', deploymentFix: `set ${bad.map(([a, v, , legacy]) => `${written(a, legacy)[0]} = ${JSON.stringify(v)}`).join(', ')} on storage account ${spec.storageAccount}` }));
    }
    const onAccountKeyed = (type: string) =>
      Object.entries(root.resource[type] ?? {}).filter(([, b]) => {
        const ref = parseAzureRef(b.storage_account_id);
        return ref?.type === 'azurerm_storage_account' && ref.name === acctKey;
      });
    const onAccount = (type: string) => onAccountKeyed(type).map(([, b]) => b);
    const containerKey = onAccountKeyed('azurerm_storage_container').find(([, b]) => b.name === spec.container)?.[0];
    const container = containerKey !== undefined ? root.resource.azurerm_storage_container![containerKey] : undefined;
    if (!container || (container.container_access_type !== undefined && container.container_access_type !== 'private')) {
      out.push(finding('RF611', cachePath, `container ${spec.container} is ${container ? `public (${String(container.container_access_type)})` : 'missing'}`, { subject: { kind: 'resource', address: containerKey !== undefined ? `azurerm_storage_container.${containerKey}` : `azurerm_storage_account.${acctKey}` }, allowed: 'private', fix: 'regenerate', deploymentFix: container ? `set container_access_type = "private" on container ${spec.container}` : `give the Terraform of container ${spec.container} (azurerm_storage_container, private)` }));
    }
    const expires = onAccount('azurerm_storage_management_policy').some((p) =>
      (Array.isArray(p.rule) ? (p.rule as unknown[]) : [p.rule]).some((x) => {
        // A rule block the doctor read from a user's Terraform may be empty or not a block at all.
        if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
        const r = x as Record<string, unknown>;
        const prefixes = (r.filters as { prefix_match?: string[] } | undefined)?.prefix_match ?? [''];
        const days = (r.actions as { base_blob?: { delete_after_days_since_modification_greater_than?: unknown } } | undefined)?.base_blob?.delete_after_days_since_modification_greater_than;
        return r.enabled === true && typeof days === 'number' && prefixes.some((p) => `${spec.container}/`.startsWith(p));
      }),
    );
    // RF614: reachable from every network unless the public endpoint is off or network rules deny by default.
    const rules = (Array.isArray(acct.network_rules) ? acct.network_rules[0] : acct.network_rules) as { default_action?: unknown; virtual_network_subnet_ids?: unknown } | undefined;
    const closed = acct.public_network_access_enabled === false || rules?.default_action === 'Deny';
    if (!closed) {
      out.push(finding('RF614', `${cachePath}.network`, `storage account ${spec.storageAccount} accepts connections from every network (public_network_access_enabled ${JSON.stringify(acct.public_network_access_enabled ?? true)}, ${rules ? `network_rules.default_action ${JSON.stringify(rules.default_action)}` : 'no network_rules'}); Entra ID still guards the data, but a leaked SAS URL works from anywhere`, { subject: { kind: 'resource', address: `azurerm_storage_account.${acctKey}` }, received: JSON.stringify({ public_network_access_enabled: acct.public_network_access_enabled ?? true, network_rules: rules ?? null }), allowed: 'network_rules.default_action "Deny", or public_network_access_enabled false', fix: `set ${cachePath}.network: { subnetIds: [<AKS node subnet id>] } (enable the Microsoft.Storage service endpoint on that subnet), or publicNetworkAccess: false with a private endpoint you create`, deploymentFix: `give the storage account ${spec.storageAccount} a network_rules block with default_action = "Deny" and virtual_network_subnet_ids = [<AKS node subnet id>] (enable the Microsoft.Storage service endpoint on that subnet), or set public_network_access_enabled = false and reach it through a private endpoint` }));
    }
    if (!expires) {
      // For a deployment: the management policy the account lacks (azurerm_storage_management_policy: rule
      // { filters { prefix_match, blob_types }, actions { base_blob { delete_after_days_since_modification_greater_than } } }).
      out.push(finding('RF612', `${cachePath}.expireAfterDays`, `blobs in ${spec.storageAccount}/${spec.container} never expire, so old caches (and whatever leaked into them) stay forever`, {
        received: String(spec.expireAfterDays),
        allowed: '1 to 3650',
        fix: 'set expireAfterDays: 14 (or another number of days)',
        deploymentReceived: `no enabled azurerm_storage_management_policy rule of storage account ${spec.storageAccount} deletes blobs under ${spec.container}/`,
        deploymentAllowed: 'delete_after_days_since_modification_greater_than of 1 to 3650 days',
        deploymentFix: `add an azurerm_storage_management_policy for storage account ${spec.storageAccount} (storage_account_id = its id) with a rule: enabled = true, filters { prefix_match = ["${spec.container}/"], blob_types = ["blockBlob"] }, actions { base_blob { delete_after_days_since_modification_greater_than = 14 } }`,
      }));
    }
    return out;
  },

  verifyRunner(docs, fleet, cache, runner, runnerPath) {
    return proveRunnerCache(docs, fleet, cache, runner, runnerPath);
  },
};

/** From the role assignments in the Azure root: the manager reaches its container and nothing else; jobs do not reach it. */
function proveRunnerCache(docs: FleetDocuments, fleet: FleetIntent, cache: ResolvedCache, runner: IntentRunner, runnerPath: string): Finding[] {
  const facts = azureFacts(docs);
  if (!facts || !runner.cache) return [];
  const spec = specOf(cache);
  const scopes = cacheScopes(fleet, cache);
  const out: Finding[] = [];
  const cachePath = `${runnerPath}.cache`;
  const manager = identityOf(fleet, runner.managerIdentity);
  // The doctor may find a runner whose jobs have no identity of their own: nothing of theirs to check.
  const jobs = runner.jobIdentity !== undefined ? identityOf(fleet, runner.jobIdentity) : undefined;

  const mine = assignmentsOf(facts, manager.roleName);
  const canData = mine.some((a) => azureRoleInfo(a.role)?.blobData === 'read-write' && scopeCovers(a.scope, scopes.container));
  const canSign = mine.some((a) => azureRoleInfo(a.role)?.delegates === true && scopeCovers(a.scope, scopes.account));
  const missing = [...(canData ? [] : [`read and write blobs in ${spec.container}`]), ...(canSign ? [] : [`get a user delegation key on ${spec.storageAccount}`])];
  if (missing.length > 0) {
    out.push(finding('RF607', cachePath, `manager identity ${manager.roleName} cannot ${missing.join(' or ')}`, { fix: `the manager signs cache SAS URLs: it needs ${MANAGER_DATA_ROLE} on the container and ${MANAGER_DELEGATION_ROLE} on the account`, subject: { kind: 'identity', name: manager.roleName } }));
  }
  const leaks = mine.filter((a) => {
    // The manager's read of its own Key Vault token secret is not cache reach.
    if (isTokenSecretRead(a)) return false;
    const info = azureRoleInfo(a.role);
    if (!info) return true;
    if (info.grants || info.manages) return true;
    if (info.blobData !== 'none') return a.scope.toLowerCase() !== scopes.container.toLowerCase();
    // A delegation-only role grants no data; it is fine on the account.
    return !(a.role === MANAGER_DELEGATION_ROLE && a.scope.toLowerCase() === scopes.account.toLowerCase());
  });
  // More than the data role needs on the container itself: Data Owner (POSIX ACLs and ownership) or a custom role with *.
  const broad = mine.filter((a) => !leaks.includes(a) && (a.role === 'Storage Blob Data Owner') && scopeCovers(a.scope, scopes.container));
  if (broad.length > 0) {
    out.push(finding('RF615', cachePath, `manager identity ${manager.roleName} holds ${broad.map((a) => `${a.role} on ${a.scope}`).join(', ')}; ${MANAGER_DATA_ROLE} on the container is all the cache needs`, { received: broad.map((a) => a.role).join(', '), allowed: MANAGER_DATA_ROLE, fix: `assign ${MANAGER_DATA_ROLE} on the container instead`, subject: { kind: 'assignments', identity: manager.roleName, assignments: broad.map((a) => ({ role: a.role, scope: a.scope })) } }));
  }
  if (leaks.length > 0) {
    out.push(finding('RF606', cachePath, `manager identity ${manager.roleName} reaches beyond container ${spec.storageAccount}/${spec.container}: ${leaks.map((a) => `${a.role} on ${a.scope}`).join(', ')}`, { fix: `grant ${MANAGER_DATA_ROLE} on the container only`, subject: { kind: 'assignments', identity: manager.roleName, assignments: leaks.map((a) => ({ role: a.role, scope: a.scope })) } }));
  }

  if (jobs === undefined) return out;
  // Scope containment: a role at a scope reaches every resource whose id starts with it (a
  // management group: any subscription it may hold). One pass over the job identity's assignments.
  const reach = assignmentsOf(facts, jobs.roleName)
    .map((a) => ({ a, how: jobCacheReach(azureRoleInfo(a.role), spec.storageAccount, spec.container) }))
    .filter((x) => x.how !== undefined && (scopeCovers(x.a.scope, scopes.container) || MANAGEMENT_GROUP_SCOPE.test(x.a.scope)));
  if (reach.length > 0) {
    const named = reach.every(({ a }) => a.scope.toLowerCase() === scopes.container.toLowerCase() || a.scope.toLowerCase() === scopes.account.toLowerCase());
    const path = jobAssignmentPath(runner, runnerPath, reach[0]!.a);
    const fnd = finding('RF608', path, `job identity ${jobs.roleName} reaches cache container ${spec.storageAccount}/${spec.container} through ${reach.map(({ a, how }) => `${a.role} on ${a.scope} (${how!})`).join(', ')}; jobs only need the SAS URLs the manager gives them`, { received: reach.map(({ a }) => `${a.role} on ${a.scope}`).join(', '), fix: `narrow the job role assignments so they do not cover the cache account (${scopes.account})`, subject: { kind: 'assignments', identity: jobs.roleName, assignments: reach.map(({ a }) => ({ role: a.role, scope: a.scope })) } });
    if (named) {
      fnd.severity = 'warning';
      fnd.acceptedBecause = 'the spec grants the job identity this storage account explicitly';
    }
    out.push(fnd);
  }
  return out;
}

/**
 * GitLab ID-token identities (cloud azure) with a role at a scope that contains the cache
 * container: any pipeline that gets the ID token reads (and with most such roles overwrites) the
 * cache of every runner that uses it, from any runner or none. Never needed: pipelines use the
 * cache through their runner, whose manager signs SAS URLs, and a pipeline that stores blobs gets
 * an account of its own. So an error at the assignment, which no acceptRisks entry covers. The
 * roles and their assignments are few, independent of the fleet's size.
 */
function idTokensOverCache(docs: FleetDocuments, fleet: FleetIntent, cache: ResolvedCache): Finding[] {
  const facts = azureFacts(docs);
  if (!facts || !fleet.azure || !fleet.idTokens) return [];
  const spec = specOf(cache);
  const scopes = cacheScopes(fleet, cache);
  const out: Finding[] = [];
  for (const role of fleet.idTokens.roles) {
    if (role.cloud !== 'azure') continue;
    for (const a of assignmentsOf(facts, role.roleName)) {
      const info = azureRoleInfo(a.role);
      const how = jobCacheReach(info, spec.storageAccount, spec.container);
      if (how === undefined || !(scopeCovers(a.scope, scopes.container) || MANAGEMENT_GROUP_SCOPE.test(a.scope))) continue;
      const readsOnly = info !== undefined && info.blobData === 'read' && !info.grants && !info.storageKeys;
      out.push(finding('RF608', idTokenAssignmentPath(role, a), `pipelines that get ID-token identity ${role.roleName} reach cache container ${spec.storageAccount}/${spec.container} through ${a.role} on ${a.scope} (${how}): any of them can read${readsOnly ? '' : ' and overwrite'} the cache of every runner that uses it; runner managers give jobs SAS URLs for the cache, so no pipeline needs a role on it`, { received: `${a.role} on ${a.scope}`, fix: `remove the assignment, or scope it to resources outside storage account ${spec.storageAccount} (${scopes.account}); pipelines use the cache through their runner (cache: in .gitlab-ci.yml), and a pipeline that stores blobs of its own needs an account of its own`, subject: { kind: 'assignments', identity: role.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
    }
  }
  return out;
}

/**
 * What a job role at a scope containing the cache container allows there (read from the role's
 * documented actions, spec/azure.ts); undefined if nothing. A role runner-fleet does not know may
 * allow anything: that it does not reach the cache is not proven.
 */
function jobCacheReach(info: AzureRoleInfo | undefined, account: string, container: string): string | undefined {
  if (!info) return 'a role runner-fleet does not know: that it gives no access to the cache is not proven';
  if (info.grants) return 'it may assign itself Storage Blob Data Owner there (Microsoft.Authorization/roleAssignments/write)';
  if (info.storageKeys) return `it may list the keys of ${account} (Microsoft.Storage/storageAccounts/listKeys/action) and turn shared-key access back on: every blob of the account`;
  if (info.blobData === 'read-write') return `it reads and writes every blob of ${container}`;
  if (info.blobData === 'read') return `it reads every blob of ${container}`;
  return undefined;
}
