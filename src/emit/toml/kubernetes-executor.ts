import type { KubernetesNames, ResolvedRunner } from '../../model/types.js';

/** `[[runners]]` executor part for the Kubernetes executor. Keys are gitlab-runner's own. */
export function kubernetesExecutor(runner: ResolvedRunner, names: KubernetesNames, podLabels: Record<string, string>): Record<string, unknown> {
  const jobs = runner.spec.jobs;
  const k8s: Record<string, unknown> = {
    namespace: names.namespace,
    image: jobs.image,
    service_account: names.jobServiceAccount,
    // Empty string: jobs cannot pick another service account (and with it another identity).
    service_account_overwrite_allowed: jobs.serviceAccountOverwriteAllowed ?? '',
    automount_service_account_token: false,
    privileged: jobs.privileged,
    allow_privilege_escalation: false,
    poll_timeout: runner.spec.pollTimeoutSeconds,
    cpu_request: jobs.resources.cpu,
    cpu_limit: jobs.resources.cpuLimit ?? jobs.resources.cpu,
    memory_request: jobs.resources.memory,
    memory_limit: jobs.resources.memory,
    helper_cpu_request: jobs.helperResources.cpu,
    helper_cpu_limit: jobs.helperResources.cpuLimit ?? jobs.helperResources.cpu,
    helper_memory_request: jobs.helperResources.memory,
    helper_memory_limit: jobs.helperResources.memory,
    service_cpu_request: jobs.serviceResources.cpu,
    service_cpu_limit: jobs.serviceResources.cpuLimit ?? jobs.serviceResources.cpu,
    service_memory_request: jobs.serviceResources.memory,
    service_memory_limit: jobs.serviceResources.memory,
  };
  if (jobs.resources.ephemeralStorage) {
    k8s.ephemeral_storage_request = jobs.resources.ephemeralStorage;
    k8s.ephemeral_storage_limit = jobs.resources.ephemeralStorage;
  }
  if (Object.keys(jobs.nodeSelector).length > 0) k8s.node_selector = sortObject(jobs.nodeSelector);
  if (jobs.tolerations.length > 0) {
    const tolerations: Record<string, string> = {};
    for (const t of jobs.tolerations) {
      tolerations[t.operator === 'Exists' || t.value === undefined ? t.key : `${t.key}=${t.value}`] = t.effect;
    }
    k8s.node_tolerations = tolerations;
  }
  k8s.pod_labels = sortObject(podLabels);
  // Node consolidation must not evict a running job: Karpenter and cluster-autoscaler read these.
  k8s.pod_annotations = { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'karpenter.sh/do-not-disrupt': 'true' };
  return { executor: 'kubernetes', kubernetes: k8s };
}

export function sortObject<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
