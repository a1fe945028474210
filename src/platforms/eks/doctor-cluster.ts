import type { K8sObject, TerraformRoot } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { NodePool, Taint, TaintEffect } from '../../verify/scheduling.js';
import { parseRef, resolveValue } from '../../verify/aws-docs.js';
import { eksClusterArn } from './rotator.js';
import { nodeGroupPool } from './cluster.js';
import { isObject } from '../../model/is-object.js';

/**
 * What EKS documents say about a cluster the doctor reads back (not one runner-fleet creates in
 * this run): its name, and its node groups for the scheduling proof.
 *
 * Where a cluster's name is written:
 * - Terraform: `aws_eks_cluster` (resource or data source) `name`, and the `cluster_name` of
 *   access entries, Pod Identity associations, managed node groups and add-ons (literals, or
 *   references to the cluster resource in the same root);
 * - eksctl: the ClusterConfig's `metadata.name`.
 * Node groups: `aws_eks_node_group` (labels, taint blocks, capacity_type) and eksctl's
 * `managedNodeGroups` / `nodeGroups` (labels, taints, spot).
 */

const CLUSTER_NAMED = ['aws_eks_access_entry', 'aws_eks_pod_identity_association', 'aws_eks_node_group', 'aws_eks_addon', 'aws_eks_access_policy_association'];
const EKSCTL_API = /^eksctl\.io\//;
const EFFECTS = new Set<string>(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

const literal = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && !v.includes('${') ? v : undefined);

export const isEksctlConfig = (o: { apiVersion?: unknown; kind?: unknown }): boolean => o.kind === 'ClusterConfig' && typeof o.apiVersion === 'string' && EKSCTL_API.test(o.apiVersion);

/** Every EKS cluster name the documents state (resolved), in the order found. */
export function eksClusterNames(root: TerraformRoot, objects: readonly { value: K8sObject }[]): string[] {
  const out = new Set<string>();
  for (const b of Object.values(root.resource.aws_eks_cluster ?? {})) {
    const n = literal(b.name);
    if (n) out.add(n);
  }
  for (const b of Object.values(root.data?.aws_eks_cluster ?? {})) {
    const n = literal(b.name);
    if (n) out.add(n);
  }
  for (const type of CLUSTER_NAMED) {
    for (const b of Object.values(root.resource[type] ?? {})) {
      const n = literal(resolveValue(root, b.cluster_name));
      if (n) out.add(n);
    }
  }
  for (const o of objects) if (isEksctlConfig(o.value)) out.add(o.value.metadata.name);
  return [...out];
}

/** eksctl taints: a list of {key, value, effect} (current) or a map key → "value:effect" (older configs). */
function eksctlTaints(v: unknown): Taint[] {
  const effectOf = (e: unknown): TaintEffect => (typeof e === 'string' && EFFECTS.has(e) ? (e as TaintEffect) : 'NoSchedule');
  if (Array.isArray(v)) {
    return v.filter(isObject).map((t) => ({ key: String(t.key), ...(typeof t.value === 'string' ? { value: t.value } : {}), effect: effectOf(t.effect) }));
  }
  if (isObject(v)) {
    return Object.entries(v).map(([key, raw]) => {
      const [value, effect] = String(raw).split(':', 2);
      return { key, ...(value ? { value } : {}), effect: effectOf(effect) };
    });
  }
  return [];
}

/** Node groups of an eksctl ClusterConfig, with the labels EKS and eksctl put on their nodes. */
export function eksctlNodePools(config: K8sObject): NodePool[] {
  const out: NodePool[] = [];
  for (const [field, managed] of [['managedNodeGroups', true], ['nodeGroups', false]] as const) {
    const groups = (config as Record<string, unknown>)[field];
    for (const g of Array.isArray(groups) ? groups.filter(isObject) : []) {
      const name = String(g.name);
      const spot = g.spot === true;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(isObject(g.labels) ? g.labels : {})) labels[k] = String(v);
      labels['kubernetes.io/os'] = 'linux';
      labels['alpha.eksctl.io/nodegroup-name'] = name;
      if (managed) {
        labels['eks.amazonaws.com/nodegroup'] = name;
        labels['eks.amazonaws.com/capacityType'] = spot ? 'SPOT' : 'ON_DEMAND';
      }
      out.push({ name, labels, taints: eksctlTaints(g.taints), spot });
    }
  }
  return out;
}

/**
 * Node groups of the EKS cluster named `apiName` in the documents: Terraform managed node groups
 * whose cluster_name resolves to it, and the node groups of an eksctl ClusterConfig of that name.
 * Undefined when no document names a node group of it (nothing is claimed then).
 */
export function documentedNodePools(docs: FleetDocuments, apiName: string): { where: string; pools: NodePool[] } | undefined {
  const pools: NodePool[] = [];
  const where: string[] = [];
  const root = docs.terraformAws;
  for (const [key, body] of Object.entries(root?.resource.aws_eks_node_group ?? {})) {
    if (literal(resolveValue(root!, body.cluster_name)) !== apiName) continue;
    pools.push(nodeGroupPool(body));
    where.push(`aws_eks_node_group.${key}`);
  }
  for (const a of docs.artifacts) {
    if (a.format !== 'yaml' || !Array.isArray(a.content)) continue;
    for (const doc of a.content) {
      if (!isObject(doc) || !isEksctlConfig(doc) || !isObject(doc.metadata) || doc.metadata.name !== apiName) continue;
      pools.push(...eksctlNodePools(doc as unknown as K8sObject));
      where.push(`${a.path} (eksctl managedNodeGroups/nodeGroups)`);
    }
  }
  return pools.length > 0 ? { where: where.join(', '), pools } : undefined;
}

/** A Kubernetes user the token rotator's RoleBindings name (runner-fleet labels them, or the username's shape says so). */
function rotatorUserOfBindings(objects: readonly { value: K8sObject }[]): string | undefined {
  for (const o of objects) {
    if (o.value.kind !== 'RoleBinding') continue;
    const subjects = (o.value as { subjects?: unknown }).subjects;
    const users = (Array.isArray(subjects) ? subjects.filter(isObject) : []).filter((s) => s.kind === 'User' && typeof s.name === 'string').map((s) => String(s.name));
    const labelled = o.value.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator';
    const user = users.find((u) => labelled || /:token-rotator$/.test(u));
    if (user !== undefined) return user;
  }
  return undefined;
}

/**
 * The token rotator on EKS clusters, read back: the access entries whose principal is the rotator
 * role map it to a user (their cluster_name names the clusters it reaches); the rotation job's
 * `--kube-api <cluster>=eks:<name>@<region>` names the clusters it should reach (an entry missing
 * there is then a refused proof, not a silent omission).
 */
export function eksRotatorKubernetes(root: TerraformRoot, objects: readonly { value: K8sObject }[], rotator: { roleName: string; kubeApi: ReadonlyMap<string, string> }, clusters: readonly { name: string; spec: Record<string, unknown> }[], aws: { partition: string; accountId: string; region: string }): { username?: string; clusters: { cluster: string; apiName: string; arn: string }[] } | undefined {
  const isRotator = (principal: unknown): boolean => {
    const ref = parseRef(principal);
    if (ref?.type === 'aws_iam_role') return root.resource.aws_iam_role?.[ref.name]?.name === rotator.roleName;
    return typeof principal === 'string' && principal.endsWith(`/${rotator.roleName}`);
  };
  const entries = Object.values(root.resource.aws_eks_access_entry ?? {}).filter((b) => isRotator(b.principal_arn));
  const entryClusters = new Set(entries.map((b) => literal(resolveValue(root, b.cluster_name))));
  const options = new Map<string, { apiName: string; region?: string }>();
  for (const [cluster, value] of rotator.kubeApi) {
    const m = /^eks:([^@]+)(?:@(.+))?$/.exec(value);
    if (m) options.set(cluster, { apiName: m[1]!, ...(m[2] !== undefined ? { region: m[2] } : {}) });
  }
  const out: { cluster: string; apiName: string; arn: string }[] = [];
  for (const c of clusters) {
    const apiName = typeof c.spec.clusterName === 'string' ? c.spec.clusterName : c.name;
    const option = options.get(c.name) ?? [...options.values()].find((o) => o.apiName === apiName);
    if (!entryClusters.has(apiName) && !option) continue;
    const region = option?.region ?? (typeof c.spec.region === 'string' ? c.spec.region : aws.region);
    out.push({ cluster: c.name, apiName, arn: eksClusterArn(aws.partition, aws.accountId, region, apiName) });
  }
  if (out.length === 0) return undefined;
  const username = entries.map((b) => b.user_name).find((u): u is string => typeof u === 'string' && u !== '') ?? rotatorUserOfBindings(objects);
  return { ...(username !== undefined ? { username } : {}), clusters: out };
}
