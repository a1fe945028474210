import type { KubernetesNames, ResolvedRunner } from '../../model/types.js';

/**
 * The pod_spec patch that gives job pods the RuntimeDefault seccomp profile. gitlab-runner's
 * Kubernetes executor has no seccomp key (its pod and container security contexts in
 * common/config.go at v18.10.1 carry users, groups, capabilities, SELinux and proc mount only), so
 * the profile is set on the pod through `[[runners.kubernetes.pod_spec]]`, which the executor
 * applies only with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on. A flag set in config.toml wins over
 * the same variable in a job (build.go: TOML-configured flags take precedence).
 */
export const SECCOMP_POD_SPEC = { name: 'seccomp-runtime-default', patch: '{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}', patch_type: 'strategic' } as const;
export const POD_SPEC_FLAG = 'FF_USE_ADVANCED_POD_SPEC_CONFIGURATION';

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
  // RuntimeDefault for every container of the pod (build, helper, services). Privileged jobs are
  // left as they are: the runtime does not confine a privileged container anyway. Capabilities stay
  // the executor's default (it drops NET_RAW): dropping ALL breaks root jobs that install packages
  // or change owners (apt-get, chown, useradd need CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID).
  if (jobs.privileged) return { executor: 'kubernetes', kubernetes: k8s };
  k8s.pod_spec = [{ ...SECCOMP_POD_SPEC }];
  return { executor: 'kubernetes', kubernetes: k8s, feature_flags: { [POD_SPEC_FLAG]: true } };
}

export function sortObject<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
