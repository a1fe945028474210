import type { ResolvedFleet, ResolvedRunner } from '../model/types.js';
import { fitName } from './names.js';

/**
 * The Key Vault token store of an AKS runner (runners[].gitlab.tokenStore.keyVault), every name
 * derived once here: the operations (src/ops/desired.ts) and the generated AKS output (the
 * SecretProviderClass, the role assignment) read the same values.
 */
export interface KeyVaultStore {
  vaultName: string;
  resourceGroup: string;
  secretName: string;
  /** https://<vault>.vault.azure.net (Azure public cloud). */
  vaultUrl: string;
  /** /subscriptions/…/providers/Microsoft.KeyVault/vaults/<vault> */
  vaultId: string;
  /** The one secret, as an Azure RBAC scope: <vaultId>/secrets/<name>. */
  secretScope: string;
}

export function keyVaultStoreOf(fleet: Pick<ResolvedFleet, 'name' | 'azure'>, r: Pick<ResolvedRunner, 'name' | 'spec'>): KeyVaultStore | undefined {
  const kv = r.spec.gitlab.tokenStore?.keyVault;
  if (!kv || !fleet.azure) return undefined;
  const resourceGroup = kv.resourceGroup ?? fleet.azure.resourceGroup;
  // Secret names: letters, digits and hyphens; fleet and runner names are DNS-like already.
  const secretName = kv.secretName ?? fitName(`${fleet.name}-${r.name}-runner-token`.replace(/[^0-9A-Za-z-]/g, '-'), 127);
  const vaultId = `/subscriptions/${fleet.azure.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${kv.name}`;
  return { vaultName: kv.name, resourceGroup, secretName, vaultUrl: `https://${kv.name.toLowerCase()}.vault.azure.net`, vaultId, secretScope: `${vaultId}/secrets/${secretName}` };
}
