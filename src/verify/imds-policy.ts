import type { K8sObject } from '../emit/artifacts.js';
import type { FleetDocuments } from '../emit/types.js';
import type { IntentRunner } from './intent.js';
import { CODES } from '../spec/codes.js';
import type { Finding } from '../spec/findings.js';
import { get } from './get.js';
import { isObject } from '../model/is-object.js';

/**
 * The node metadata service's addresses per cloud. A pod that reaches one gets the node's identity
 * (an EC2 instance profile; on AKS, tokens for the kubelet identity), whatever identity its own
 * service account binds.
 */
export const IMDS_ADDRESSES: Readonly<Record<'aws' | 'azure', readonly string[]>> = {
  aws: ['169.254.169.254', 'fd00:ec2::254'],
  azure: ['169.254.169.254'],
};

/** An address as a number and its width (32 or 128 bits); undefined when it is neither IPv4 nor IPv6. */
function parseAddress(text: string): { value: bigint; bits: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), bits: 32 };
  }
  if (!/^[0-9a-f:]+$/i.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

/** Whether `cidr` (a.b.c.d/n or an IPv6 prefix) holds `address`; false for text that is neither. */
export function cidrHolds(cidr: string, address: string): boolean {
  const [base, len] = cidr.split('/');
  const net = parseAddress(base ?? '');
  const addr = parseAddress(address);
  if (!net || !addr || net.bits !== addr.bits) return false;
  const prefix = len === undefined ? net.bits : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > net.bits) return false;
  const shift = BigInt(net.bits - prefix);
  return net.value >> shift === addr.value >> shift;
}

/** Whether one egress rule of a NetworkPolicy lets a selected pod reach `address` (on some port: ports are not read). */
function ruleAdmits(rule: unknown, address: string): boolean {
  const to = get(rule, 'to');
  // No `to` (or an empty one): every destination.
  if (!Array.isArray(to) || to.length === 0) return true;
  return to.some((peer) => {
    const block = get(peer, 'ipBlock');
    if (!isObject(block)) return false;
    const except = Array.isArray(block.except) ? block.except : [];
    return cidrHolds(String(block.cidr), address) && !except.some((e) => cidrHolds(String(e), address));
  });
}

/** Whether a NetworkPolicy's podSelector selects pods with these labels (matchLabels only; matchExpressions: not shown to). */
function selects(policy: K8sObject, labels: Record<string, unknown>): boolean {
  const selector = get(policy, 'spec', 'podSelector');
  if (!isObject(selector)) return false;
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) return false;
  const match = isObject(selector.matchLabels) ? selector.matchLabels : {};
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** Whether the policy restricts egress: `policyTypes` lists Egress, or is absent and the policy has egress rules. */
function restrictsEgress(policy: K8sObject): boolean {
  const types = get(policy, 'spec', 'policyTypes');
  return Array.isArray(types) ? types.includes('Egress') : Array.isArray(get(policy, 'spec', 'egress'));
}

/**
 * Whether the runner's documents keep its job pods from the node's metadata service: NetworkPolicies
 * in the jobs' namespace that select the job pods (by the `pod_labels` of config.toml) restrict egress,
 * and none of their egress rules admits an address of `addresses`. Kubernetes allows what any
 * selecting policy allows, so one rule that admits IMDS is enough to refute it.
 */
export function jobsKeptFromImds(docs: FleetDocuments, runner: Pick<IntentRunner, 'name' | 'kubernetes'>, addresses: readonly string[]): { holds: boolean; policies: string[] } {
  const emitted = docs.runners.get(runner.name);
  const namespace = runner.kubernetes?.jobNamespace ?? runner.kubernetes?.namespace;
  const labels = get(emitted?.configToml, 'runners', 0, 'kubernetes', 'pod_labels');
  if (!emitted || namespace === undefined || !isObject(labels)) return { holds: false, policies: [] };
  const policies = emitted.manifests.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === namespace && selects(o, labels) && restrictsEgress(o));
  const rules = policies.flatMap((p): unknown[] => {
    const egress: unknown = get(p, 'spec', 'egress');
    return Array.isArray(egress) ? (egress as unknown[]) : [];
  });
  return { holds: policies.length > 0 && !addresses.some((a) => rules.some((r) => ruleAdmits(r, a))), policies: policies.map((p) => p.metadata.name) };
}

/**
 * The IMDS proof of one Kubernetes runner, and on a cluster runner-fleet does not create (whose node
 * groups it cannot give a hop limit of 1, or a network policy engine) the finding that the policy
 * protects only where the network plugin enforces it (RF314).
 */
export function verifyImds(docs: FleetDocuments, runner: IntentRunner, rp: string, cloud: 'aws' | 'azure', clusterCreated: boolean): { findings: Finding[]; proofs: { claim: string; holds: boolean }[]; policies: string[] } {
  const kept = jobsKeptFromImds(docs, runner, IMDS_ADDRESSES[cloud]);
  const named = kept.policies.length > 0 ? `NetworkPolicy ${kept.policies.join(', ')}` : 'no NetworkPolicy selects them';
  const proofs = [{ claim: `the node's metadata service is closed to job pods of ${runner.name} (${named}; enforced only where the network plugin enforces NetworkPolicy)`, holds: kept.holds }];
  if (clusterCreated) return { findings: [], proofs, policies: kept.policies };
  // AWS's EKS guide (cni-network-policy, Considerations) has said the VPC CNI applies network policies only to
  // pods with metadata.ownerReferences, and gitlab-runner's job pods have none (the executor sets owner
  // references on the objects it makes for a pod, not on the pod: executors/kubernetes at v18.10.1).
  const enforce = cloud === 'aws' ? "an engine that applies NetworkPolicy to bare pods (the VPC CNI's network policy support, enableNetworkPolicy in 1.14 or later, has been documented to skip pods without metadata.ownerReferences, as gitlab-runner's job pods are; Calico or Cilium do not), or node groups that require IMDSv2 with a hop limit of 1" : 'a network policy engine (az aks create/update --network-policy azure, calico or cilium)';
  const node = cloud === 'aws' ? "the node's role, unless its node groups require IMDSv2 with a hop limit of 1" : 'tokens for the kubelet identity';
  const finding: Finding = {
    code: 'RF314',
    severity: CODES.RF314.severity,
    path: `${rp}.placement`,
    message: `job pods of ${runner.name} run on cluster ${runner.cluster}, which runner-fleet does not create: ${kept.holds ? `the NetworkPolicy ${kept.policies.join(', ')} keeps them from the node's metadata service only if the cluster enforces NetworkPolicy` : "no NetworkPolicy keeps them from the node's metadata service"}; otherwise a job gets ${node}`,
    fix: `make sure the cluster has ${enforce}, then run the smoke pipeline: its job-no-imds job fails while the metadata service is reachable`,
  };
  return { findings: [finding], proofs, policies: kept.policies };
}
