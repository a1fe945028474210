import type { AzureManagedIdentity, KubernetesNames, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import type { AzureRoleAssignmentSpec } from '../../spec/azure.js';
import { merged, type K8sObject } from '../../emit/artifacts.js';
import { commonLabels } from '../../emit/kubernetes/objects.js';
import { keyVaultStoreOf, type KeyVaultStore } from '../../spec/key-vault.js';
import { stringify } from 'yaml';

/**
 * AKS runners whose token lives in Key Vault (runners[].gitlab.tokenStore.keyVault). The chart
 * still reads its Kubernetes Secret (`runners.secret`); the Secrets Store CSI driver (AKS add-on
 * azure-keyvault-secrets-provider) fills that Secret from the vault:
 * - a SecretProviderClass (provider azure, the manager's workload identity `clientID`, the vault,
 *   the one secret in `objects`, and `secretObjects` syncing it into the chart's Secret under both
 *   keys the chart mounts), https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/identity-access-modes/workload-identity-mode/
 *   and https://secrets-store-csi-driver.sigs.k8s.io/topics/sync-as-kubernetes-secret;
 * - a CSI volume on the manager pod (chart `volumes`/`volumeMounts`): the driver syncs only while
 *   a pod mounts the class, and refreshes the Secret on its rotation poll (2 min by default);
 * - the manager identity gets Key Vault Secrets User on that one secret (scope
 *   `<vault id>/secrets/<name>`), nothing on the vault.
 */

export const SECRET_PROVIDER_CLASS_API = 'secrets-store.csi.x-k8s.io/v1';
export const CSI_DRIVER = 'secrets-store.csi.k8s.io';
export const KV_VOLUME = 'runner-token-key-vault';
export const KV_MOUNT_PATH = '/mnt/runner-token-key-vault';
export const KV_SECRETS_USER = 'Key Vault Secrets User';

export function keyVaultOf(fleet: ResolvedFleet, runner: ResolvedRunner): KeyVaultStore | undefined {
  return runner.kubernetes ? keyVaultStoreOf(fleet, runner) : undefined;
}

/** What the manager identity may do with the vault: read its one secret. */
export function keyVaultAssignments(fleet: ResolvedFleet, runner: ResolvedRunner): AzureRoleAssignmentSpec[] {
  const kv = keyVaultOf(fleet, runner);
  return kv ? [{ role: KV_SECRETS_USER, scope: kv.secretScope }] : [];
}

export function secretProviderClassName(names: KubernetesNames): string {
  return names.tokenSecret;
}

export function secretProviderClass(fleet: ResolvedFleet, runner: ResolvedRunner & { kubernetes: KubernetesNames }, kv: KeyVaultStore, manager: AzureManagedIdentity, clientId: string): K8sObject {
  const names = runner.kubernetes;
  const objects = stringify({ array: [stringify({ objectName: kv.secretName, objectType: 'secret', objectAlias: 'runner-token' })] });
  return {
    apiVersion: SECRET_PROVIDER_CLASS_API,
    kind: 'SecretProviderClass',
    metadata: { name: secretProviderClassName(names), namespace: names.namespace, labels: merged(commonLabels(fleet, runner), { 'runner-fleet.dev/purpose': 'runner-token' }), annotations: { 'runner-fleet.dev/identity': manager.roleName } },
    spec: {
      provider: 'azure',
      parameters: { usePodIdentity: 'false', clientID: clientId, keyvaultName: kv.vaultName, tenantId: fleet.azure!.tenantId, objects },
      // The chart mounts both keys of its Secret; the registration key carries the same glrt- token.
      secretObjects: [{ secretName: names.tokenSecret, type: 'Opaque', labels: { 'app.kubernetes.io/managed-by': 'runner-fleet' }, data: [{ objectName: 'runner-token', key: 'runner-token' }, { objectName: 'runner-token', key: 'runner-registration-token' }] }],
    },
  };
}

/** Chart values that mount the class on the manager pod. */
export function keyVaultHelmValues(names: KubernetesNames): Record<string, unknown> {
  return {
    volumes: [{ name: KV_VOLUME, csi: { driver: CSI_DRIVER, readOnly: true, volumeAttributes: { secretProviderClass: secretProviderClassName(names) } } }],
    volumeMounts: [{ name: KV_VOLUME, mountPath: KV_MOUNT_PATH, readOnly: true }],
  };
}
