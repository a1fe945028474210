import type { ResolvedCluster, ResolvedFleet } from '../../model/types.js';
import { fitName } from '../../spec/names.js';
import { tfName } from '../../emit/artifacts.js';
import type { AksClusterSpec } from './schema.js';

export const MECHANISM = 'azure-workload-identity';

export function aksSpec(cluster: ResolvedCluster): AksClusterSpec {
  return cluster.spec as unknown as AksClusterSpec;
}

/** Whether runner-fleet creates this AKS cluster. */
export function isCreatedAks(cluster: ResolvedCluster): boolean {
  return aksSpec(cluster).create !== undefined;
}

/**
 * The issuer as the documents spell it: the spec's URL for an existing cluster, or the cluster
 * resource's `oidc_issuer_url` for a created one (a symbol both the federated credentials and the
 * proofs use, so nobody copies the issuer).
 */
export function aksIssuerOf(cluster: ResolvedCluster): string {
  return isCreatedAks(cluster) ? `\${azurerm_kubernetes_cluster.${tfName(cluster.name)}.oidc_issuer_url}` : aksSpec(cluster).oidcIssuer!;
}

/** User-assigned identity names: up to 128 letters, digits, '-' and '_'. */
export function identityName(fleet: ResolvedFleet, runner: string, purpose: string): string {
  return fitName(`${fleet.name}-${runner}-${purpose}`, 128);
}

/** Federated credential names: up to 120 letters, digits, '-' and '_'. */
export function credentialName(cluster: string, namespace: string, serviceAccount: string): string {
  return fitName(`${cluster}-${namespace}-${serviceAccount}`, 120);
}

export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** Where the Kubernetes objects of a cluster's runners go as a Terraform root. */
export function k8sRootPath(cluster: string): string {
  return `terraform/azure-k8s/${cluster}/main.tf.json`;
}

/** The data source the Kubernetes root reads an identity's client id from, by the identity's key. */
export function identityDataRef(key: string): string {
  return `\${data.azurerm_user_assigned_identity.${tfName(key)}.client_id}`;
}

export const AZURE_CLI_IMAGE = 'mcr.microsoft.com/azure-cli:2.67.0';
