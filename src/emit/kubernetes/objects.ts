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

export interface ServiceAccountIdentity {
  annotations: Record<string, string>;
  labels?: Record<string, string>;
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
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: names.namespace, labels: merged(labels, podSecurityLabels(runner.spec.jobs.privileged)) } },
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
