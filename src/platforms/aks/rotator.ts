import type { RotatorKubernetesAccess } from '../types.js';
import type { ResolvedCluster, ResolvedFleet } from '../../model/types.js';
import { CODES } from '../../spec/codes.js';
import { tfName } from '../../emit/artifacts.js';
import { aksSpec, isCreatedAks } from './names.js';

/**
 * The token rotator on AKS (issue 12d). The rotator is a user-assigned managed identity that the
 * GitLab ID token of the rotation schedule signs in as (federated credential, one sub, aud pinned).
 * On the cluster it is a Kubernetes RBAC user: with AKS-managed Microsoft Entra ID integration the
 * API server authenticates an Entra token of a service principal (a managed identity is one) as
 * the user named by its object id (`oid`), so the per-namespace RoleBindings name the identity's
 * principal id. Azure RBAC for Kubernetes Authorization is not used for it: its role assignments
 * are scoped to a cluster or a namespace, never to one Secret or one Deployment, and every built-in
 * role that may patch a Deployment (AKS RBAC Writer and above) also reads every Secret of the
 * namespace. Kubernetes RBAC bindings still apply on clusters with Azure RBAC enabled.
 * To find the endpoint and CA it holds Azure Kubernetes Service Cluster User Role on the cluster
 * resource (listClusterUserCredential: a kubeconfig without credentials on Entra clusters).
 */

/** The AKS Microsoft Entra server application (the same for every AKS-managed Entra cluster): audience of tokens for the API server. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

export function aksClusterName(cluster: ResolvedCluster): string {
  return aksSpec(cluster).clusterName ?? cluster.name;
}

export function aksResourceGroup(fleet: ResolvedFleet, cluster: ResolvedCluster): string {
  return aksSpec(cluster).resourceGroup ?? fleet.azure!.resourceGroup;
}

/** The cluster's resource id: a literal for an existing cluster, the cluster resource's id for one created here (so the assignment waits for it). */
export function aksClusterId(fleet: ResolvedFleet, cluster: ResolvedCluster): string {
  if (isCreatedAks(cluster)) return `\${azurerm_kubernetes_cluster.${tfName(cluster.name)}.id}`;
  return `/subscriptions/${fleet.azure!.subscriptionId}/resourceGroups/${aksResourceGroup(fleet, cluster)}/providers/Microsoft.ContainerService/managedClusters/${aksClusterName(cluster)}`;
}

export const aksRotatorAccess: RotatorKubernetesAccess = {
  identityCloud: 'azure',
  refusal(_fleet, cluster, clusterPath) {
    const spec = aksSpec(cluster);
    if (isCreatedAks(cluster) || spec.entraId === true) return undefined;
    return {
      code: 'RF128',
      severity: CODES.RF128.severity,
      path: spec.entraId === false ? `${clusterPath}.entraId` : clusterPath,
      message: `the token rotator signs in to cluster ${cluster.name} with a Microsoft Entra token and is bound by Kubernetes RBAC as its managed identity's object id, which needs AKS-managed Entra ID integration; the spec ${spec.entraId === false ? 'says the cluster has none' : 'does not say the cluster has it'}`,
      received: spec.entraId === false ? 'false' : 'entraId not set',
      allowed: 'entraId: true (a cluster with AKS-managed Microsoft Entra ID integration), or a cluster created here',
      fix: `check with az aks show --query aadProfile.managed (enable it with az aks update --enable-aad --aad-admin-group-object-ids <group>) and set ${clusterPath}.entraId: true, or register the cluster's runners with registration: terraform`,
    };
  },
  azureClusterId(fleet, cluster) {
    return aksClusterId(fleet, cluster);
  },
  kubeApiOption(fleet, cluster) {
    return `aks:${aksClusterName(cluster)}@${aksResourceGroup(fleet, cluster)}`;
  },
};
