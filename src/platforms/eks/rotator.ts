import type { RotatorKubernetesAccess } from '../types.js';
import { CODES } from '../../spec/codes.js';
import { tfName } from '../../emit/artifacts.js';
import { authenticationMode, clusterKey, clusterRegion, eksClusterName, eksSpec, isCreated } from './names.js';

/** Terraform key of the rotator's access entry on one cluster. */
export const rotatorEntryKey = (clusterName: string) => tfName(clusterName, 'token-rotator');

export function eksClusterArn(partition: string, accountId: string, region: string, name: string): string {
  return `arn:${partition}:eks:${region}:${accountId}:cluster/${name}`;
}

/**
 * EKS maps the rotator's IAM role to a Kubernetes user with an access entry (type STANDARD, a
 * fixed username, no access policy, no groups): the user holds nothing until the per-namespace
 * RoleBindings grant it rotate's requests on its runners' objects. The role may describe these
 * clusters (endpoint and CA for the client) and nothing else in EKS. Access entries exist only in
 * authentication modes API and API_AND_CONFIG_MAP; in CONFIG_MAP mode the mapping would be an
 * aws-auth edit this project does not make for a machine identity, so that is refused (RF128).
 */
export const eksRotatorAccess: RotatorKubernetesAccess = {
  identityCloud: 'aws',
  refusal(_fleet, cluster, clusterPath) {
    const mode = authenticationMode(eksSpec(cluster));
    if (mode !== 'CONFIG_MAP') return undefined;
    return {
      code: 'RF128',
      severity: CODES.RF128.severity,
      path: `${clusterPath}.authenticationMode`,
      message: `cluster ${cluster.name} authenticates through the aws-auth ConfigMap only, so the token rotator's role cannot get an access entry there`,
      received: mode,
      allowed: 'API or API_AND_CONFIG_MAP',
      fix: `move the cluster to API_AND_CONFIG_MAP (aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP) and set ${clusterPath}.authenticationMode, or register its runners with registration: terraform`,
    };
  },
  statements(fleet, cluster) {
    const aws = fleet.aws!;
    return [{ Sid: 'DescribeRunnerClusters', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: eksClusterArn(aws.partition, aws.accountId, clusterRegion(fleet, cluster), eksClusterName(cluster)) }];
  },
  terraformAws(fleet, cluster, roleArnRef, username) {
    const region = clusterRegion(fleet, cluster);
    const provider = region !== fleet.aws?.region ? { provider: `aws.${tfName(region)}` } : {};
    const clusterName = isCreated(cluster) ? `\${aws_eks_cluster.${clusterKey(cluster)}.name}` : eksClusterName(cluster);
    return {
      aws_eks_access_entry: {
        [rotatorEntryKey(cluster.name)]: { ...provider, cluster_name: clusterName, principal_arn: roleArnRef, type: 'STANDARD', user_name: username },
      },
    };
  },
  kubeApiOption(fleet, cluster) {
    return `eks:${eksClusterName(cluster)}@${clusterRegion(fleet, cluster)}`;
  },
};
