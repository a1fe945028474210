import type { ResolvedCluster, ResolvedFleet } from '../../model/types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { tfName, type TerraformResources, type TerraformRoot } from '../../emit/artifacts.js';
import { azureTags } from '../../emit/terraform/azure.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { NodePool, Taint, TaintEffect } from '../../verify/scheduling.js';
import type { SpecCheckContext } from '../types.js';
import type { AksClusterSpec } from './schema.js';
import { aksSpec } from './names.js';

/**
 * AKS clusters runner-fleet creates: OIDC issuer and workload identity on, Entra ID
 * authentication with Azure RBAC and local accounts off (no static kubeconfig credential
 * exists), a system pool that keeps to critical add-ons when user pools exist, and user pools
 * (labels, taints, spot) for managers and jobs. The federated credentials read the issuer from
 * the cluster resource (`oidc_issuer_url`), never a copy.
 */

/** What AKS itself puts on spot nodes (labels and taint), which the scheduling proof must know. */
export const AKS_SPOT_TAINT: Taint = { key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' };
export const CRITICAL_ADDONS_TAINT: Taint = { key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' };
export const SYSTEM_POOL = 'system';

export function checkCreateAks(ctx: SpecCheckContext): Finding[] {
  const spec = ctx.cluster as unknown as AksClusterSpec;
  const p = ctx.clusterPath;
  const out: Finding[] = [];
  if (!spec.create) {
    if (spec.oidcIssuer === undefined) {
      out.push({ code: 'RF004', severity: 'error', path: `${p}.oidcIssuer`, message: 'an existing AKS cluster needs its OIDC issuer URL', fix: `copy it from az aks show --query oidcIssuerProfile.issuerUrl, or add ${p}.create to create the cluster here` });
    }
    return out;
  }
  if (spec.oidcIssuer !== undefined) {
    out.push({ code: 'RF010', severity: 'error', path: `${p}.oidcIssuer`, message: 'a cluster created here gets its issuer from the cluster resource; a copied issuer would be a second truth', received: spec.oidcIssuer, allowed: 'no oidcIssuer with create', fix: `remove ${p}.oidcIssuer` });
  }
  const seen = new Map<string, number>([[SYSTEM_POOL, -1]]);
  spec.create.nodePools.forEach((pool, i) => {
    const pp = `${p}.create.nodePools[${i}]`;
    const prev = seen.get(pool.name);
    if (prev !== undefined) out.push({ code: 'RF005', severity: 'error', path: `${pp}.name`, message: prev < 0 ? `${SYSTEM_POOL} is the system pool's name` : `node pool name is already used by ${p}.create.nodePools[${prev}]`, received: pool.name, fix: 'name each node pool once' });
    seen.set(pool.name, i);
    if (pool.scaling.min > pool.scaling.max) out.push({ code: 'RF010', severity: 'error', path: `${pp}.scaling`, message: 'min is above max', received: JSON.stringify(pool.scaling), fix: 'set min <= max' });
    for (const t of pool.taints) {
      if (t.key.startsWith('kubernetes.azure.com/') || t.key.startsWith('kubernetes.io/')) out.push({ code: 'RF010', severity: 'error', path: `${pp}.taints`, message: `taint keys with the prefix ${t.key.split('/')[0]}/ are reserved`, received: t.key, fix: 'use a key of your own, e.g. dedicated' });
    }
  });
  if (spec.create.systemPool.scaling.min > spec.create.systemPool.scaling.max) out.push({ code: 'RF010', severity: 'error', path: `${p}.create.systemPool.scaling`, message: 'min is above max', received: JSON.stringify(spec.create.systemPool.scaling), fix: 'set min <= max' });
  return out;
}

const taintText = (t: { key: string; value?: string; effect: string }) => `${t.key}${t.value !== undefined ? `=${t.value}` : ''}:${t.effect}`;

export function aksClusterResources(fleet: ResolvedFleet, cluster: ResolvedCluster): TerraformResources {
  const spec = aksSpec(cluster);
  const c = spec.create!;
  const az = fleet.azure!;
  const k = tfName(cluster.name);
  const name = spec.clusterName ?? cluster.name;
  const userPools = c.nodePools.length > 0;
  const subnet = c.subnetId !== undefined ? { vnet_subnet_id: c.subnetId } : {};
  const clusterBody: Record<string, unknown> = {
    name,
    location: az.location,
    resource_group_name: spec.resourceGroup ?? az.resourceGroup,
    dns_prefix: c.dnsPrefix ?? name.replace(/_/g, '-').slice(0, 54),
    ...(c.kubernetesVersion !== undefined ? { kubernetes_version: c.kubernetesVersion } : {}),
    oidc_issuer_enabled: true,
    workload_identity_enabled: true,
    local_account_disabled: true,
    role_based_access_control_enabled: true,
    azure_active_directory_role_based_access_control: { tenant_id: az.tenantId, admin_group_object_ids: [...c.adminGroupObjectIds], azure_rbac_enabled: true },
    identity: { type: 'SystemAssigned' },
    network_profile: { network_plugin: 'azure', network_plugin_mode: 'overlay', network_policy: 'azure' },
    default_node_pool: {
      name: SYSTEM_POOL,
      vm_size: c.systemPool.vmSize,
      auto_scaling_enabled: true,
      min_count: c.systemPool.scaling.min,
      max_count: c.systemPool.scaling.max,
      // Runners go to user pools when there are some; the system pool keeps CoreDNS and friends.
      only_critical_addons_enabled: userPools,
      temporary_name_for_rotation: 'systemtmp',
      ...subnet,
    },
    // Runners keeping their token in Key Vault: the Secrets Store CSI driver add-on, polling for new versions.
    ...(fleet.runners.some((r) => r.cluster === cluster.name && r.spec.gitlab.tokenStore?.keyVault) ? { key_vault_secrets_provider: { secret_rotation_enabled: true, secret_rotation_interval: '2m' } } : {}),
    tags: azureTags(fleet),
    // The autoscaler moves node_count; Terraform must not reset it.
    lifecycle: { ignore_changes: ['default_node_pool[0].node_count'] },
  };
  const out: TerraformResources = { azurerm_kubernetes_cluster: { [k]: clusterBody } };
  if (userPools) {
    const pools: Record<string, Record<string, unknown>> = {};
    for (const pool of c.nodePools) {
      pools[tfName(cluster.name, pool.name)] = {
        name: pool.name,
        kubernetes_cluster_id: `\${azurerm_kubernetes_cluster.${k}.id}`,
        mode: 'User',
        vm_size: pool.vmSize,
        auto_scaling_enabled: true,
        min_count: pool.scaling.min,
        max_count: pool.scaling.max,
        os_disk_size_gb: pool.osDiskSizeGiB,
        ...(Object.keys(pool.labels).length > 0 ? { node_labels: { ...pool.labels } } : {}),
        ...(pool.taints.length > 0 ? { node_taints: pool.taints.map(taintText) } : {}),
        ...(pool.spot ? { priority: 'Spot', eviction_policy: 'Delete', spot_max_price: -1 } : {}),
        ...subnet,
        tags: azureTags(fleet),
        lifecycle: { ignore_changes: ['node_count'] },
      };
    }
    out.azurerm_kubernetes_cluster_node_pool = pools;
  }
  return out;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

function parseTaint(s: string): Taint | undefined {
  const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(s);
  if (!m || !EFFECTS.has(m[3]!)) return undefined;
  return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as TaintEffect };
}

/** Node pools of a created AKS cluster, read back from the Azure root, with what AKS adds (agentpool labels, spot and critical-add-on taints). */
export function aksNodePools(root: TerraformRoot | undefined, cluster: ResolvedCluster): NodePool[] {
  const k = tfName(cluster.name);
  const body = root?.resource.azurerm_kubernetes_cluster?.[k];
  if (!body) return [];
  const out: NodePool[] = [];
  const pool = (name: string, labels: unknown, taints: Taint[], spot: boolean): NodePool => ({
    name,
    labels: { ...((labels as Record<string, string> | undefined) ?? {}), 'kubernetes.azure.com/agentpool': name, agentpool: name, 'kubernetes.io/os': 'linux', ...(spot ? { 'kubernetes.azure.com/scalesetpriority': 'spot' } : {}) },
    taints,
    spot,
  });
  const dnp = body.default_node_pool as Record<string, unknown> | undefined;
  if (dnp && typeof dnp.name === 'string') out.push(pool(dnp.name, dnp.node_labels, dnp.only_critical_addons_enabled === true ? [CRITICAL_ADDONS_TAINT] : [], false));
  for (const p of Object.values(root?.resource.azurerm_kubernetes_cluster_node_pool ?? {})) {
    if (p.kubernetes_cluster_id !== `\${azurerm_kubernetes_cluster.${k}.id}` || typeof p.name !== 'string') continue;
    const spot = p.priority === 'Spot';
    const taints = (Array.isArray(p.node_taints) ? (p.node_taints as unknown[]) : []).map((t) => parseTaint(String(t))).filter((t): t is Taint => t !== undefined);
    out.push(pool(p.name, p.node_labels, spot ? [...taints, AKS_SPOT_TAINT] : taints, spot));
  }
  return out;
}

/** Proofs over a created AKS cluster: workload identity on, Entra ID with Azure RBAC, no local accounts. */
export function verifyCreatedAks(docs: FleetDocuments, cluster: ResolvedCluster, clusterPath: string): Finding[] {
  const k = tfName(cluster.name);
  const body = docs.terraformAzure?.resource.azurerm_kubernetes_cluster?.[k];
  const f = (code: 'RF106' | 'RF806', message: string, fix: string, deploymentFix?: string): Finding => ({ code, severity: CODES[code].severity, path: clusterPath, message, fix, ...(deploymentFix !== undefined ? { deploymentFix } : {}) });
  if (!body) return [f('RF106', `azurerm_kubernetes_cluster.${k} is not in terraform/azure/main.tf.json`, 'regenerate; report a bug if it persists', `give the Terraform of azurerm_kubernetes_cluster.${k}`)];
  const out: Finding[] = [];
  if (body.oidc_issuer_enabled !== true || body.workload_identity_enabled !== true) out.push(f('RF106', `azurerm_kubernetes_cluster.${k} does not enable the OIDC issuer and workload identity, so no federated credential can match`, 'set oidc_issuer_enabled and workload_identity_enabled to true'));
  if (body.local_account_disabled !== true) out.push(f('RF806', `azurerm_kubernetes_cluster.${k} keeps local accounts: a static admin kubeconfig exists beside Entra ID`, 'set local_account_disabled = true'));
  const aad = body.azure_active_directory_role_based_access_control as Record<string, unknown> | undefined;
  if (aad?.azure_rbac_enabled !== true) out.push(f('RF806', `azurerm_kubernetes_cluster.${k} does not authorize Entra ID users with Azure RBAC`, 'set azure_active_directory_role_based_access_control { azure_rbac_enabled = true }'));
  return out;
}
