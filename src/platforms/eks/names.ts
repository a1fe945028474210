import type { FleetIntent } from '../../verify/intent.js';
import { clusterAws } from '../../verify/runner-aws.js';
import type { ResolvedCluster } from '../../model/types.js';
import { tfName } from '../../emit/artifacts.js';
import type { EksClusterSpec } from './schema.js';

export function eksSpec(cluster: ResolvedCluster): EksClusterSpec {
  return cluster.spec as unknown as EksClusterSpec;
}

/** The issuer without its scheme: the prefix of the `:sub` and `:aud` condition keys. */
export function issuerHostPath(issuer: string): string {
  return issuer.replace(/^https:\/\//, '');
}

/** Whether runner-fleet creates this cluster (`create`), rather than using an existing one. */
export function isCreated(cluster: ResolvedCluster): boolean {
  return eksSpec(cluster).create !== undefined;
}

/** Terraform resource name of everything that exists once per cluster (cluster, OIDC provider, roles). */
export function clusterKey(cluster: ResolvedCluster): string {
  return tfName(cluster.name);
}

/** The Terraform local that holds a created cluster's issuer host path: the one symbol both trust ends use. */
export function issuerLocal(cluster: ResolvedCluster): string {
  return tfName('eks_oidc', cluster.name);
}

/**
 * The issuer URL as the documents spell it. Existing clusters: the URL from the spec. Created
 * clusters: `https://${local.eks_oidc_<cluster>}`, a symbol Terraform replaces with the host path
 * of the cluster's issuer everywhere at once (see emitCluster), so both ends are the same token.
 */
export function issuerOf(cluster: ResolvedCluster): string {
  return isCreated(cluster) ? `https://\${local.${issuerLocal(cluster)}}` : eksSpec(cluster).oidcIssuer!;
}

/**
 * The ARN prefix of the IAM OIDC providers of `cluster`'s account: the fleet's, or (the doctor,
 * deployments of several roots in several accounts) that of the cluster's runners (clusterAws).
 */
export function oidcProviderArnPrefix(fleet: Pick<FleetIntent, 'aws'> | FleetIntent, cluster?: ResolvedCluster): string {
  const aws = cluster && 'runners' in fleet ? clusterAws(fleet, cluster.name) : fleet.aws!;
  return `arn:${aws.partition}:iam::${aws.accountId}:oidc-provider/`;
}

export function oidcProviderArn(fleet: Pick<FleetIntent, 'aws'> | FleetIntent, cluster: ResolvedCluster): string {
  return `${oidcProviderArnPrefix(fleet, cluster)}${issuerHostPath(issuerOf(cluster))}`;
}

/** The authentication mode in effect (see the schema for the defaults). */
export function authenticationMode(spec: EksClusterSpec): 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP' {
  if (spec.authenticationMode) return spec.authenticationMode;
  if (!spec.create) return 'API_AND_CONFIG_MAP';
  return spec.access.some((a) => a.via === 'aws-auth') ? 'API_AND_CONFIG_MAP' : 'API';
}

/** Whether the IAM OIDC provider is created here (always for created clusters). */
export function createsOidcProvider(spec: EksClusterSpec): boolean {
  return spec.create !== undefined || spec.oidcProvider === 'create';
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
/**
 * The audience of the projected token the EKS pod identity webhook mounts for an annotated service
 * account; without the annotation it is IRSA_AUDIENCE (/work/shared/reference/gitlab-runner.md,
 * "Service-account annotations": `eks.amazonaws.com/audience`, default `sts.amazonaws.com`).
 */
export const AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
