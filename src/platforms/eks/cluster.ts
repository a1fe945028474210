import type { ResolvedCluster, ResolvedFleet } from '../../model/types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { iamRoleName } from '../../spec/names.js';
import { tfName, type TerraformResources, type TerraformRoot } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent } from '../../verify/intent.js';
import type { PolicyDocument } from '../../verify/iam/types.js';
import type { NodePool, Taint, TaintEffect } from '../../verify/scheduling.js';
import type { SpecCheckContext } from '../types.js';
import { POD_IDENTITY_AGENT, type EksAddon, type EksClusterSpec, type EksCreateSpec, type EksNodeGroupSpec } from './schema.js';
import { IRSA_AUDIENCE, authenticationMode, clusterKey, eksClusterName, eksSpec, issuerHostPath, issuerLocal, issuerOf, oidcProviderArn, oidcProviderArnPrefix } from './names.js';

/**
 * Clusters runner-fleet creates (`clusters[].create` on EKS): the cluster, its service role, the
 * node role, managed node groups behind launch templates that keep pods away from the node role,
 * the add-ons, the IAM OIDC provider and the issuer symbol every IRSA trust uses.
 *
 * Decisions:
 * - The CNI policy sits on an IRSA role of the vpc-cni add-on (kube-system/aws-node), not on the
 *   node role: the node role then holds only what the kubelet needs (worker + ECR read-only), so
 *   a pod that reached it could not rewrite the network interfaces of the node.
 * - `bootstrap_cluster_creator_admin_permissions = false`: access never depends on who ran
 *   Terraform; operators get access entries from `access` (authentication mode API by default).
 * - Launch templates require IMDSv2 with hop limit 1, so a pod (one hop further) gets no answer
 *   from the instance metadata service and never the node's credentials instead of its own.
 */

export const ISSUER_ATTRIBUTE = (cluster: ResolvedCluster) => `\${aws_eks_cluster.${clusterKey(cluster)}.identity[0].oidc[0].issuer}`;
/** The definition of the issuer symbol: the OIDC provider's ARN without its fixed prefix, which is the issuer host path. */
export const issuerLocalDefinition = (fleet: Pick<FleetIntent, 'aws'>, cluster: ResolvedCluster) =>
  `\${trimprefix(aws_iam_openid_connect_provider.${clusterKey(cluster)}.arn, "${oidcProviderArnPrefix(fleet)}")}`;

export function createSpec(cluster: ResolvedCluster): EksCreateSpec | undefined {
  return eksSpec(cluster).create;
}

/** Add-ons installed on a created cluster (the spec's list, or the defaults for its identity). */
export function addonsOf(spec: EksClusterSpec): EksAddon[] {
  if (!spec.create) return [];
  return spec.create.addons ?? ['vpc-cni', 'coredns', 'kube-proxy', ...(spec.identity === 'pod-identity' ? [POD_IDENTITY_AGENT] : [])];
}

export const clusterRoleName = (fleet: ResolvedFleet, cluster: ResolvedCluster) => iamRoleName(`${fleet.name}-eks-${cluster.name}-cluster`);
export const nodeRoleName = (fleet: ResolvedFleet, cluster: ResolvedCluster) => iamRoleName(`${fleet.name}-eks-${cluster.name}-node`);
export const vpcCniRoleName = (fleet: ResolvedFleet, cluster: ResolvedCluster) => iamRoleName(`${fleet.name}-eks-${cluster.name}-vpc-cni`);

const VPC_CNI_SERVICE_ACCOUNT = { namespace: 'kube-system', serviceAccount: 'aws-node' };

/** Spec checks of a `create` block: impossible combinations are spec errors (exit 2). */
export function checkCreate(ctx: SpecCheckContext): Finding[] {
  const spec = ctx.cluster as unknown as EksClusterSpec;
  const p = ctx.clusterPath;
  const out: Finding[] = [];
  if (!spec.create) {
    if (spec.oidcIssuer === undefined) {
      out.push({ code: 'RF004', severity: 'error', path: `${p}.oidcIssuer`, message: 'an existing cluster needs its OIDC issuer URL', fix: `copy it from aws eks describe-cluster --name ${spec.clusterName ?? spec.name} --query cluster.identity.oidc.issuer, or add ${p}.create to create the cluster here` });
    }
    return out;
  }
  const c = spec.create;
  if (spec.oidcIssuer !== undefined) {
    out.push({ code: 'RF010', severity: 'error', path: `${p}.oidcIssuer`, message: 'a cluster created here gets its issuer from the cluster resource; a copied issuer would be a second truth', received: spec.oidcIssuer, allowed: 'no oidcIssuer with create', fix: `remove ${p}.oidcIssuer` });
  }
  if (spec.oidcProvider === 'existing') {
    out.push({ code: 'RF010', severity: 'error', path: `${p}.oidcProvider`, message: 'a new cluster has a new issuer, so no IAM OIDC provider for it can exist yet', received: 'existing', allowed: 'create (the default with create)', fix: `remove ${p}.oidcProvider` });
  }
  if (spec.authenticationMode === 'CONFIG_MAP') {
    out.push({ code: 'RF010', severity: 'error', path: `${p}.authenticationMode`, message: 'a cluster created here grants access through access entries; CONFIG_MAP alone would leave nobody able to reach it', received: 'CONFIG_MAP', allowed: 'API, API_AND_CONFIG_MAP', fix: `remove ${p}.authenticationMode (API by default)` });
  }
  const addons = addonsOf(spec);
  if (spec.identity === 'pod-identity' && !addons.includes(POD_IDENTITY_AGENT)) {
    out.push({ code: 'RF010', severity: 'error', path: `${p}.create.addons`, message: 'the cluster uses EKS Pod Identity but does not install its agent, so no pod would get credentials', received: JSON.stringify(addons), allowed: `a list that contains ${POD_IDENTITY_AGENT}`, fix: `add ${POD_IDENTITY_AGENT} to ${p}.create.addons, or remove the list to get the defaults` });
  }
  for (const required of ['vpc-cni', 'coredns', 'kube-proxy'] as const) {
    if (!addons.includes(required)) {
      out.push({ code: 'RF010', severity: 'error', path: `${p}.create.addons`, message: `without ${required} the nodes of a new cluster never become Ready (or pods cannot resolve names)`, received: JSON.stringify(addons), allowed: `a list that contains ${required}`, fix: `add ${required} to ${p}.create.addons` });
    }
  }
  const seen = new Map<string, number>();
  c.nodeGroups.forEach((g, i) => {
    const gp = `${p}.create.nodeGroups[${i}]`;
    const prev = seen.get(g.name);
    if (prev !== undefined) out.push({ code: 'RF005', severity: 'error', path: `${gp}.name`, message: `node group name is already used by ${p}.create.nodeGroups[${prev}]`, received: g.name, fix: 'name each node group once' });
    seen.set(g.name, i);
    if (g.scaling.min > g.scaling.max) out.push({ code: 'RF010', severity: 'error', path: `${gp}.scaling`, message: 'min is above max', received: JSON.stringify(g.scaling), fix: 'set min <= desired <= max' });
    const d = g.scaling.desired;
    if (d !== undefined && (d < g.scaling.min || d > g.scaling.max)) out.push({ code: 'RF010', severity: 'error', path: `${gp}.scaling.desired`, message: 'desired is outside min..max', received: String(d), allowed: `${g.scaling.min}..${g.scaling.max}`, fix: 'set min <= desired <= max' });
    for (const t of g.taints) {
      if (t.key.startsWith('eks.amazonaws.com/') || t.key.startsWith('kubernetes.io/')) {
        out.push({ code: 'RF010', severity: 'error', path: `${gp}.taints`, message: `taint keys with the prefix ${t.key.split('/')[0]}/ are reserved`, received: t.key, fix: 'use a key of your own, e.g. dedicated' });
      }
    }
  });
  return out;
}

const EFFECT_TF: Record<TaintEffect, string> = { NoSchedule: 'NO_SCHEDULE', PreferNoSchedule: 'PREFER_NO_SCHEDULE', NoExecute: 'NO_EXECUTE' };
const EFFECT_K8S = new Map(Object.entries(EFFECT_TF).map(([k, v]) => [v, k as TaintEffect]));

function rootDevice(g: EksNodeGroupSpec): string {
  // Bottlerocket boots from /dev/xvda and keeps containers on /dev/xvdb; AL2023 has one volume.
  return g.amiType.startsWith('BOTTLEROCKET') ? '/dev/xvdb' : '/dev/xvda';
}

function trust(service: string): string {
  const doc: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] };
  return JSON.stringify(doc);
}

/** The IRSA trust of the vpc-cni add-on's role: kube-system/aws-node with the pinned audience, through the issuer symbol. */
export function vpcCniTrust(fleet: ResolvedFleet, cluster: ResolvedCluster): PolicyDocument {
  const hp = issuerHostPath(issuerOf(cluster));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'VpcCniServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(fleet, cluster) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${hp}:aud`]: IRSA_AUDIENCE, [`${hp}:sub`]: `system:serviceaccount:${VPC_CNI_SERVICE_ACCOUNT.namespace}:${VPC_CNI_SERVICE_ACCOUNT.serviceAccount}` } },
      },
    ],
  };
}

/** Terraform for a created cluster: resources and the issuer local. */
export function clusterResources(fleet: ResolvedFleet, cluster: ResolvedCluster, provider: Record<string, string>): { resources: TerraformResources; locals: Record<string, string> } {
  const spec = eksSpec(cluster);
  const c = spec.create!;
  const k = clusterKey(cluster);
  const partition = fleet.aws!.partition;
  const managed = (name: string) => `arn:${partition}:iam::aws:policy/${name}`;
  const roles: Record<string, Record<string, unknown>> = {
    [tfName(k, 'cluster')]: { name: clusterRoleName(fleet, cluster), description: `EKS cluster role of ${eksClusterName(cluster)} (runner-fleet)`, assume_role_policy: trust('eks.amazonaws.com') },
    [tfName(k, 'node')]: { name: nodeRoleName(fleet, cluster), description: `EKS node role of ${eksClusterName(cluster)} (runner-fleet)`, assume_role_policy: trust('ec2.amazonaws.com') },
  };
  const attachments: Record<string, Record<string, unknown>> = {
    [tfName(k, 'cluster')]: { role: `\${aws_iam_role.${tfName(k, 'cluster')}.name}`, policy_arn: managed('AmazonEKSClusterPolicy') },
    [tfName(k, 'node_worker')]: { role: `\${aws_iam_role.${tfName(k, 'node')}.name}`, policy_arn: managed('AmazonEKSWorkerNodePolicy') },
    [tfName(k, 'node_ecr')]: { role: `\${aws_iam_role.${tfName(k, 'node')}.name}`, policy_arn: managed('AmazonEC2ContainerRegistryReadOnly') },
  };
  const addons = addonsOf(spec);
  if (addons.includes('vpc-cni')) {
    roles[tfName(k, 'vpc_cni')] = { name: vpcCniRoleName(fleet, cluster), description: `vpc-cni add-on of ${eksClusterName(cluster)} (runner-fleet)`, assume_role_policy: JSON.stringify(vpcCniTrust(fleet, cluster)) };
    attachments[tfName(k, 'vpc_cni')] = { role: `\${aws_iam_role.${tfName(k, 'vpc_cni')}.name}`, policy_arn: managed('AmazonEKS_CNI_Policy') };
  }
  const resources: TerraformResources = { aws_iam_role: roles, aws_iam_role_policy_attachment: attachments };
  // The cluster role encrypts and decrypts Secrets with the key (and lists the grants EKS makes).
  const kmsActions = ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'];
  const clusterRoleArn = `arn:${partition}:iam::${fleet.aws!.accountId}:role/${clusterRoleName(fleet, cluster)}`;
  let keyArn = c.secretsKmsKeyArn;
  if (keyArn === undefined) {
    const keyPolicy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AccountAdministersTheKey', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${fleet.aws!.accountId}:root` }, Action: 'kms:*', Resource: '*' },
        { Sid: 'ClusterRoleUsesTheKey', Effect: 'Allow', Principal: { AWS: clusterRoleArn }, Action: kmsActions, Resource: '*' },
      ],
    };
    resources.aws_kms_key = {
      [tfName(k, 'secrets')]: {
        ...provider,
        description: `Kubernetes Secrets of EKS cluster ${eksClusterName(cluster)} (runner-fleet)`,
        enable_key_rotation: true,
        deletion_window_in_days: 30,
        policy: JSON.stringify(keyPolicy),
        // KMS refuses a key policy that names a role that does not exist yet.
        depends_on: [`aws_iam_role.${tfName(k, 'cluster')}`],
      },
    };
    keyArn = `\${aws_kms_key.${tfName(k, 'secrets')}.arn}`;
  } else {
    resources.aws_iam_role_policy = {
      [tfName(k, 'cluster_secrets')]: {
        name: 'eks-secrets-encryption',
        role: `\${aws_iam_role.${tfName(k, 'cluster')}.name}`,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'ClusterRoleUsesTheKey', Effect: 'Allow', Action: kmsActions, Resource: keyArn }] } satisfies PolicyDocument),
      },
    };
  }
  const publicCidrs = c.endpoint.publicAccess ? (c.endpoint.publicCidrs ?? ['0.0.0.0/0']) : undefined;
  resources.aws_eks_cluster = {
    [k]: {
      ...provider,
      name: eksClusterName(cluster),
      version: c.version,
      role_arn: `\${aws_iam_role.${tfName(k, 'cluster')}.arn}`,
      vpc_config: {
        subnet_ids: [...c.subnetIds],
        endpoint_private_access: c.endpoint.privateAccess,
        endpoint_public_access: c.endpoint.publicAccess,
        ...(publicCidrs ? { public_access_cidrs: publicCidrs } : {}),
      },
      encryption_config: { resources: ['secrets'], provider: { key_arn: keyArn } },
      enabled_cluster_log_types: [...c.logTypes],
      access_config: { authentication_mode: authenticationMode(spec), bootstrap_cluster_creator_admin_permissions: false },
      depends_on: [`aws_iam_role_policy_attachment.${tfName(k, 'cluster')}`],
    },
  };
  resources.aws_iam_openid_connect_provider = { [k]: { ...provider, url: ISSUER_ATTRIBUTE(cluster), client_id_list: [IRSA_AUDIENCE] } };
  const templates: Record<string, Record<string, unknown>> = {};
  const groups: Record<string, Record<string, unknown>> = {};
  for (const g of c.nodeGroups) {
    const gk = tfName(k, g.name);
    templates[gk] = {
      ...provider,
      name_prefix: `${eksClusterName(cluster)}-${g.name}-`.slice(0, 100),
      description: `Node group ${g.name} of ${eksClusterName(cluster)}: IMDSv2 with hop limit 1, so pods cannot reach the node role (runner-fleet)`,
      metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' },
      block_device_mappings: { device_name: rootDevice(g), ebs: { volume_size: g.diskSizeGiB, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } },
      update_default_version: true,
    };
    const taints = g.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: EFFECT_TF[t.effect] }));
    groups[gk] = {
      ...provider,
      cluster_name: `\${aws_eks_cluster.${k}.name}`,
      node_group_name: g.name,
      node_role_arn: `\${aws_iam_role.${tfName(k, 'node')}.arn}`,
      subnet_ids: [...(g.subnetIds ?? c.subnetIds)],
      instance_types: [...g.instanceTypes],
      capacity_type: g.capacityType,
      ami_type: g.amiType,
      scaling_config: { min_size: g.scaling.min, max_size: g.scaling.max, desired_size: g.scaling.desired ?? g.scaling.min },
      update_config: { max_unavailable: 1 },
      ...(Object.keys(g.labels).length > 0 ? { labels: { ...g.labels } } : {}),
      ...(taints.length > 0 ? { taint: taints } : {}),
      launch_template: { id: `\${aws_launch_template.${gk}.id}`, version: `\${aws_launch_template.${gk}.latest_version}` },
      // The cluster autoscaler (or a person) moves desired_size; Terraform must not reset it.
      lifecycle: { ignore_changes: ['scaling_config[0].desired_size'] },
      depends_on: [`aws_iam_role_policy_attachment.${tfName(k, 'node_worker')}`, `aws_iam_role_policy_attachment.${tfName(k, 'node_ecr')}`, ...(addons.includes('vpc-cni') ? [`aws_eks_addon.${tfName(k, 'vpc-cni')}`] : [])],
    };
  }
  resources.aws_launch_template = templates;
  resources.aws_eks_node_group = groups;
  const addonBodies: Record<string, Record<string, unknown>> = {};
  for (const a of addons) {
    addonBodies[tfName(k, a)] = {
      ...provider,
      cluster_name: `\${aws_eks_cluster.${k}.name}`,
      addon_name: a,
      resolve_conflicts_on_create: 'OVERWRITE',
      resolve_conflicts_on_update: 'PRESERVE',
      ...(a === 'vpc-cni' ? { service_account_role_arn: `\${aws_iam_role.${tfName(k, 'vpc_cni')}.arn}` } : {}),
      // coredns needs nodes to become ACTIVE; the others run before any node exists.
      ...(a === 'coredns' ? { depends_on: Object.keys(groups).map((g) => `aws_eks_node_group.${g}`) } : {}),
    };
  }
  resources.aws_eks_addon = addonBodies;
  return { resources, locals: { [issuerLocal(cluster)]: issuerLocalDefinition(fleet, cluster) } };
}

function list(x: unknown): unknown[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** The labels EKS puts on every node of a managed node group, besides the group's own. */
function eksNodeLabels(body: Record<string, unknown>): Record<string, string> {
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);
  const arch = str(body.ami_type, '').includes('ARM') ? 'arm64' : 'amd64';
  return {
    'eks.amazonaws.com/nodegroup': str(body.node_group_name, ''),
    'eks.amazonaws.com/capacityType': str(body.capacity_type, 'ON_DEMAND'),
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
  };
}

/** Node groups of a created cluster, read back from the AWS root. */
export function eksNodePools(root: TerraformRoot | undefined, cluster: ResolvedCluster): NodePool[] {
  const ref = `\${aws_eks_cluster.${clusterKey(cluster)}.name}`;
  const out: NodePool[] = [];
  for (const body of Object.values(root?.resource.aws_eks_node_group ?? {})) {
    if (body.cluster_name !== ref) continue;
    out.push(nodeGroupPool(body));
  }
  return out;
}

/** One `aws_eks_node_group` as the scheduler sees its nodes: its labels and taints, and those EKS adds. */
export function nodeGroupPool(body: Record<string, unknown>): NodePool {
  const taints: Taint[] = (list(body.taint) as Record<string, unknown>[]).map((t) => ({
    key: String(t.key),
    ...(typeof t.value === 'string' ? { value: t.value } : {}),
    effect: EFFECT_K8S.get(String(t.effect)) ?? 'NoSchedule',
  }));
  return { name: String(body.node_group_name), labels: { ...((body.labels as Record<string, string> | undefined) ?? {}), ...eksNodeLabels(body) }, taints, spot: body.capacity_type === 'SPOT' };
}

/** Proofs over a created cluster's documents: the issuer symbol's chain, IMDS, encryption, creator admin, public endpoint. */
export function verifyCreatedCluster(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster, clusterPath: string): Finding[] {
  const out: Finding[] = [];
  const root = docs.terraformAws;
  const k = clusterKey(cluster);
  const f = (code: keyof typeof CODES, path: string, message: string, extra: Partial<Finding> = {}): Finding => ({ code, severity: CODES[code].severity, path, message, ...extra });
  const body = root?.resource.aws_eks_cluster?.[k];
  if (!root || !body) return [f('RF106', clusterPath, `aws_eks_cluster.${k} is not in terraform/aws/main.tf.json`, { fix: 'regenerate; report a bug if it persists', deploymentFix: `give the Terraform of aws_eks_cluster.${k}` })];
  // The issuer symbol: provider url = the cluster's issuer, local = the provider ARN minus its fixed prefix.
  const provider = root.resource.aws_iam_openid_connect_provider?.[k];
  if (provider?.url !== ISSUER_ATTRIBUTE(cluster) || root.locals?.[issuerLocal(cluster)] !== issuerLocalDefinition(fleet, cluster)) {
    out.push(f('RF108', clusterPath, `the issuer symbol local.${issuerLocal(cluster)} does not come from aws_eks_cluster.${k} through its IAM OIDC provider`, { received: JSON.stringify({ url: provider?.url, local: root.locals?.[issuerLocal(cluster)] }), allowed: JSON.stringify({ url: ISSUER_ATTRIBUTE(cluster), local: issuerLocalDefinition(fleet, cluster) }), fix: 'regenerate; the issuer must never be copied', deploymentFix: `give aws_iam_openid_connect_provider.${k} url = ${ISSUER_ATTRIBUTE(cluster)}, and take the issuer in trusts from that provider, never from a copy` }));
  }
  const access = list(body.access_config)[0] as Record<string, unknown> | undefined;
  if (access?.bootstrap_cluster_creator_admin_permissions !== false) {
    out.push(f('RF806', clusterPath, `aws_eks_cluster.${k} makes whoever runs Terraform a cluster admin`, { received: String(access?.bootstrap_cluster_creator_admin_permissions), allowed: 'false', fix: 'set bootstrap_cluster_creator_admin_permissions = false and grant operators through access' }));
  }
  const enc = list(body.encryption_config)[0] as Record<string, unknown> | undefined;
  if (!list(enc?.resources).includes('secrets')) {
    out.push(f('RF806', clusterPath, `aws_eks_cluster.${k} does not encrypt Kubernetes Secrets (the runner tokens) with a KMS key`, { fix: 'add encryption_config { resources = ["secrets"] }' }));
  }
  const vpc = list(body.vpc_config)[0] as Record<string, unknown> | undefined;
  if (vpc?.endpoint_public_access === true && list(vpc.public_access_cidrs).some((c) => c === '0.0.0.0/0')) {
    out.push(f('RF805', `${clusterPath}.create.endpoint`, `the API server of ${eksClusterName(cluster)} answers the whole internet (IAM still authenticates every call)`, { received: 'publicCidrs 0.0.0.0/0', fix: `set ${clusterPath}.create.endpoint.publicCidrs to your operators' networks, or publicAccess: false`, deploymentFix: `set public_access_cidrs in vpc_config of aws_eks_cluster.${k} to your operators' networks, or endpoint_public_access = false` }));
  }
  for (const [gk, g] of Object.entries(root.resource.aws_eks_node_group ?? {})) {
    if (g.cluster_name !== `\${aws_eks_cluster.${k}.name}`) continue;
    const lt = /^\$\{aws_launch_template\.([A-Za-z0-9_-]+)\.id\}$/.exec(String((list(g.launch_template)[0] as Record<string, unknown> | undefined)?.id))?.[1];
    const mo = list(lt !== undefined ? root.resource.aws_launch_template?.[lt]?.metadata_options : undefined)[0] as Record<string, unknown> | undefined;
    if (mo?.http_tokens !== 'required' || mo.http_put_response_hop_limit !== 1) {
      out.push(f('RF804', clusterPath, `node group ${String(g.node_group_name)} (aws_eks_node_group.${gk}) ${lt === undefined ? 'has no launch template' : `uses launch template ${lt} with http_tokens ${String(mo?.http_tokens)} and hop limit ${String(mo?.http_put_response_hop_limit)}`}: pods could take the node role's credentials instead of their own`, { allowed: 'http_tokens "required", http_put_response_hop_limit 1', fix: 'regenerate; runner-fleet always sets both', deploymentFix: lt === undefined ? `give node group ${String(g.node_group_name)} a launch template whose metadata_options set http_tokens = "required" and http_put_response_hop_limit = 1` : `set http_tokens = "required" and http_put_response_hop_limit = 1 in metadata_options of aws_launch_template.${lt}` }));
    }
  }
  return out;
}
