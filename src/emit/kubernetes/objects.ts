import { merged, type K8sObject } from '../artifacts.js';
import type { KubernetesNames, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import { podSecurityLabels } from '../../verify/pod-security.js';

/** Labels on everything runner-fleet creates in a cluster, so it can be found and pruned. */
export function commonLabels(fleet: ResolvedFleet, runner: ResolvedRunner): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'runner-fleet',
    'app.kubernetes.io/part-of': fleet.name,
    'runner-fleet.dev/runner': runner.name,
  };
}

/**
 * The rules the Kubernetes executor needs in the job namespace (GitLab Runner docs,
 * "Configure runner API permissions"), instead of the chart's `*` on `*`.
 */
export const EXECUTOR_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/attach', 'pods/exec'], verbs: ['create', 'delete', 'get', 'patch'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'update'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] },
  { apiGroups: [''], resources: ['services'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] },
] as const;

const sharersByFleet = new WeakMap<ResolvedFleet, Map<string, ResolvedRunner[]>>();

/**
 * The runners of the fleet in the runner's namespace on its cluster, in spec order. A namespace
 * is one object with one Pod Security level per mode: runners sharing it share one Namespace,
 * written once, in the folder of the first of them (kubernetes/<first runner>/namespace.yaml:
 * the folder applied first in the README's order, and no folder of its own to invent), and it
 * enforces the most permissive level any of them needs, privileged when any runner's jobs are
 * privileged (verify then says so for the others: RF307).
 */
export function namespaceSharers(fleet: ResolvedFleet, runner: ResolvedRunner): readonly ResolvedRunner[] {
  const ns = runner.kubernetes?.namespace;
  if (ns === undefined) return [runner];
  // Grouped once per fleet: every runner asks.
  let groups = sharersByFleet.get(fleet);
  if (!groups) {
    groups = new Map();
    for (const r of fleet.runners) {
      if (r.kubernetes === undefined) continue;
      const k = `${r.cluster}\0${r.kubernetes.namespace}`;
      const group = groups.get(k);
      if (group) group.push(r);
      else groups.set(k, [r]);
    }
    sharersByFleet.set(fleet, groups);
  }
  return groups.get(`${runner.cluster}\0${ns}`) ?? [runner];
}

/** Whether the runner writes its namespace's Namespace object (it is the first runner in it). */
export function ownsNamespace(fleet: ResolvedFleet, runner: ResolvedRunner): boolean {
  return namespaceSharers(fleet, runner)[0] === runner;
}

export interface ServiceAccountIdentity {
  annotations: Record<string, string>;
  labels?: Record<string, string>;
}

/** The one Namespace of the runner's namespace: the first sharer's labels, the most permissive Pod Security level any sharer needs. */
function namespaceObject(fleet: ResolvedFleet, runner: ResolvedRunner, name: string): K8sObject {
  const sharers = namespaceSharers(fleet, runner);
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: merged(commonLabels(fleet, sharers[0]!), podSecurityLabels(sharers.some((r) => r.spec.jobs.privileged))) } };
}

export function runnerObjects(
  fleet: ResolvedFleet,
  runner: ResolvedRunner,
  names: KubernetesNames,
  manager: ServiceAccountIdentity,
  jobs: ServiceAccountIdentity,
): { namespace: K8sObject; serviceAccounts: K8sObject[]; rbac: K8sObject[] } {
  const labels = commonLabels(fleet, runner);
  const sa = (name: string, id: ServiceAccountIdentity, purpose: string, automount: boolean): K8sObject => {
    const metadata: K8sObject['metadata'] = {
      name,
      namespace: names.namespace,
      labels: merged(labels, { 'runner-fleet.dev/purpose': purpose }, id.labels),
    };
    if (Object.keys(id.annotations).length > 0) metadata.annotations = id.annotations;
    return { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: automount };
  };
  return {
    namespace: namespaceObject(fleet, runner, names.namespace),
    serviceAccounts: [
      // The manager talks to the Kubernetes API, so it keeps its API token; jobs do not need one.
      sa(names.managerServiceAccount, manager, 'manager', true),
      sa(names.jobServiceAccount, jobs, 'jobs', false),
    ],
    rbac: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: names.role, namespace: names.namespace, labels },
        rules: EXECUTOR_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: names.roleBinding, namespace: names.namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role },
        subjects: [{ kind: 'ServiceAccount', name: names.managerServiceAccount, namespace: names.namespace }],
      },
    ],
  };
}

/** The instance metadata service's IPv4 address on EC2 and on Azure VMs: a pod reaching it gets the node's identity. */
export const IMDS_IPV4 = '169.254.169.254/32';
/** EC2's IPv6 metadata endpoint (Nitro instances, where the node group enables it). */
export const IMDS_IPV6_EC2 = 'fd00:ec2::254/128';

/** The labels the executor puts on a runner's job pods (`pod_labels`), the ones the NetworkPolicy selects on. */
export function jobPodSelector(fleet: ResolvedFleet, runner: ResolvedRunner): Record<string, string> {
  return { 'runner-fleet.dev/purpose': 'job', 'runner-fleet.dev/runner': commonLabels(fleet, runner)['runner-fleet.dev/runner']! };
}

/**
 * A NetworkPolicy that lets the runner's job pods reach everything but the node's metadata service,
 * where the node's cloud identity is one request away (IRSA, Pod Identity and Workload Identity do
 * not take it away; they only come first in the SDKs' credential chains). Egress only: ingress is
 * left as it was. Pods in every namespace stay reachable by a rule of their own (cluster DNS among
 * them), since whether an ipBlock matches pod addresses is the network plugin's choice. `except`
 * lists the metadata addresses of the cloud (`ipv6Except`: EC2's IPv6 one; Azure's is IPv4 only); EKS
 * Pod Identity's agent (169.254.170.23, fd00:ec2::23) is not one, and stays open.
 */
export function imdsNetworkPolicy(fleet: ResolvedFleet, runner: ResolvedRunner, names: KubernetesNames, ipv6Except: readonly string[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${names.helmRelease}-jobs-no-imds`.slice(0, 63).replace(/-+$/, ''), namespace: names.jobNamespace ?? names.namespace, labels: commonLabels(fleet, runner) },
    spec: {
      podSelector: { matchLabels: jobPodSelector(fleet, runner) },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [IMDS_IPV4] } }, { ipBlock: ipv6Except.length > 0 ? { cidr: '::/0', except: [...ipv6Except] } : { cidr: '::/0' } }] },
        { to: [{ namespaceSelector: {} }] },
      ],
    },
  };
}
