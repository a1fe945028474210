import type { FleetIntent } from '../../verify/intent.js';
import type { ResolvedCluster } from '../../model/types.js';
import type { EksClusterSpec } from './schema.js';

export function eksSpec(cluster: ResolvedCluster): EksClusterSpec {
  return cluster.spec as unknown as EksClusterSpec;
}

/** The issuer without its scheme: the prefix of the `:sub` and `:aud` condition keys. */
export function issuerHostPath(issuer: string): string {
  return issuer.replace(/^https:\/\//, '');
}

export function oidcProviderArn(fleet: FleetIntent, cluster: ResolvedCluster): string {
  const aws = fleet.aws!;
  return `arn:${aws.partition}:iam::${aws.accountId}:oidc-provider/${issuerHostPath(eksSpec(cluster).oidcIssuer)}`;
}

export function eksClusterName(cluster: ResolvedCluster): string {
  return eksSpec(cluster).clusterName ?? cluster.name;
}

export function clusterRegion(fleet: FleetIntent | { aws?: { region: string } | undefined }, cluster: ResolvedCluster | EksClusterSpec): string {
  const spec = 'spec' in cluster ? eksSpec(cluster) : cluster;
  return spec.region ?? fleet.aws?.region ?? '';
}

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';
export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
