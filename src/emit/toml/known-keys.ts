/**
 * The config.toml keys gitlab-runner knows (from its `common/config.go` TOML tags and the cache
 * config, as listed in the project reference). Emitted files are checked against these, so a
 * misspelt key that gitlab-runner would silently ignore fails our tests instead.
 */
const GLOBAL = ['listen_address', 'session_server', 'labels', 'concurrent', 'check_interval', 'log_level', 'log_format', 'user', 'runners', 'sentry_dsn', 'connection_max_age', 'machine', 'experimental', 'shutdown_timeout'];

const RUNNER = [
  'name', 'limit', 'output_limit', 'request_concurrency', 'strict_check_interval', 'unhealthy_requests_limit', 'unhealthy_interval',
  'job_status_final_update_retry_limit', 'experimental', 'url', 'id', 'token', 'token_obtained_at', 'token_expires_at', 'tls-ca-file',
  'tls-cert-file', 'tls-key-file', 'labels', 'executor', 'builds_dir', 'cache_dir', 'clone_url', 'environment', 'proxy_exec',
  'pre_get_sources_script', 'post_get_sources_script', 'pre_build_script', 'post_build_script', 'prepare_timeout', 'get_sources_timeout',
  'debug_trace_disabled', 'safe_directory_checkout', 'clean_git_config', 'shell', 'custom_build_dir', 'referees', 'cache', 'artifact',
  'feature_flags', 'monitoring', 'use_slot_cgroups', 'slot_cgroup_template', 'instance', 'ssh', 'docker', 'parallels', 'virtualbox',
  'machine', 'kubernetes', 'custom', 'autoscaler', 'step_runner_image',
];

const KUBERNETES = [
  'host', 'context', 'cert_file', 'key_file', 'ca_file', 'bearer_token', 'bearer_token_overwrite_allowed', 'namespace',
  'namespace_overwrite_allowed', 'namespace_per_job', 'service_account', 'service_account_overwrite_allowed',
  'automount_service_account_token', 'use_service_account_image_pull_secrets', 'image_pull_secrets', 'image', 'allowed_images',
  'allowed_services', 'allowed_pull_policies', 'allowed_users', 'allowed_groups', 'pull_policy', 'helper_image', 'helper_image_flavor',
  'helper_image_autoset_arch_and_os', 'privileged', 'allow_privilege_escalation', 'cap_add', 'cap_drop', 'runtime_class_name',
  'pod_security_context', 'build_container_security_context', 'helper_container_security_context', 'service_container_security_context',
  'init_permissions_container_security_context',
  ...['cpu', 'memory', 'ephemeral_storage'].flatMap((r) =>
    ['', 'helper_', 'service_'].flatMap((p) => ['limit', 'request'].flatMap((k) => [`${p}${r}_${k}`, `${p}${r}_${k}_overwrite_max_allowed`])),
  ),
  'pod_cpu_limit', 'pod_cpu_request', 'pod_memory_limit', 'pod_memory_request',
  'node_selector', 'node_selector_overwrite_allowed', 'node_tolerations', 'node_tolerations_overwrite_allowed', 'affinity',
  'priority_class_name', 'scheduler_name', 'host_aliases', 'dns_policy', 'dns_config', 'pod_labels', 'pod_labels_overwrite_allowed',
  'pod_annotations', 'pod_annotations_overwrite_allowed', 'poll_interval', 'poll_timeout', 'pod_termination_grace_period_seconds',
  'cleanup_grace_period_seconds', 'cleanup_resources_timeout', 'resource_availability_check_max_attempts', 'retry_limit',
  'retry_backoff_max', 'retry_limits', 'volumes', 'services', 'container_lifecycle', 'pod_spec', 'logs_base_dir', 'scripts_base_dir',
  'print_pod_warning_events', 'pod_disruption_budget', 'suspend_pvc_size', 'suspend_pvc_storage_class', 'autoscaler',
];

// Docker executor, for the VM platforms: every TOML tag of gitlab-runner's `DockerConfig` (and the
// `host` / `tls_*` of its embedded docker.Credentials) at the version the reference reads
// (common/config.go at d79f3e7b8, after v19.3.0). `pid_mode` is 19.1 and later; `ipcmode` is
// gitlab-runner's spelling (not ipc_mode).
const DOCKER = [
  'host', 'tls_cert_path', 'tls_verify', 'hostname', 'image', 'runtime', 'memory', 'memory_swap', 'memory_reservation', 'cgroup_parent',
  'cpuset_cpus', 'cpuset_mems', 'cpus', 'cpu_shares', 'dns', 'dns_search', 'privileged', 'services_privileged',
  'disable_entrypoint_overwrite', 'user', 'allowed_users', 'group_add', 'userns_mode', 'cap_add', 'cap_drop', 'oom_kill_disable',
  'oom_score_adjust', 'security_opt', 'services_security_opt', 'devices', 'device_cgroup_rules', 'gpus', 'services_devices',
  'disable_cache', 'volumes', 'volume_keep', 'volume_driver', 'volume_driver_ops', 'cache_dir', 'extra_hosts', 'volumes_from',
  'network_mode', 'pid_mode', 'ipcmode', 'mac_address', 'links', 'services', 'services_limit', 'service_memory', 'service_memory_swap',
  'service_memory_reservation', 'service_cgroup_parent', 'service_slot_cgroup_template', 'service_cpuset_cpus', 'service_cpus',
  'service_cpu_shares', 'service_gpus', 'wait_for_services_timeout', 'allowed_images', 'allowed_privileged_images',
  'allowed_privileged_services', 'allowed_pull_policies', 'allowed_services', 'pull_policy', 'isolation', 'shm_size', 'tmpfs',
  'services_tmpfs', 'sysctls', 'helper_image', 'helper_image_flavor', 'container_labels', 'enable_ipv6', 'ulimit', 'network_mtu',
  'log_options',
];
const CUSTOM = [
  'config_exec', 'config_args', 'config_exec_timeout', 'prepare_exec', 'prepare_args', 'prepare_exec_timeout', 'run_exec', 'run_args',
  'cleanup_exec', 'cleanup_args', 'cleanup_exec_timeout', 'graceful_kill_timeout', 'force_kill_timeout',
];
const AUTOSCALER = [
  'plugin', 'capacity_per_instance', 'max_use_count', 'max_instances', 'delete_instances_on_shutdown', 'instance_ready_command',
  'instance_acquire_timeout', 'update_interval', 'update_interval_when_expecting', 'deletion_retry_interval', 'shutdown_deletion_interval',
  'shutdown_deletion_retries', 'failure_threshold', 'log_internal_ip', 'log_external_ip', 'scale_throttle', 'state_storage', 'plugin_config',
  'connector_config', 'policy',
];
const CONNECTOR = ['os', 'arch', 'protocol', 'protocol_port', 'username', 'password', 'key_path', 'use_static_credentials', 'keepalive', 'timeout', 'use_external_addr'];
const POLICY = ['periods', 'timezone', 'idle_count', 'idle_time', 'scale_factor', 'scale_factor_limit', 'preemptive_mode'];

const CACHE = ['Type', 'Path', 'Shared', 'MaxUploadedArchiveSize', 's3', 'gcs', 'azure'];
const CACHE_S3 = [
  'ServerAddress', 'AccessKey', 'SecretKey', 'SessionToken', 'BucketName', 'BucketLocation', 'Insecure', 'AuthenticationType',
  'ServerSideEncryption', 'ServerSideEncryptionKeyID', 'DualStack', 'Accelerate', 'PathStyle', 'RoleARN', 'UploadRoleARN',
  'AssumeRoleMaxConcurrency', 'DisableAssumeRoleCredentialsCaching',
];
const CACHE_AZURE = ['AccountName', 'AccountKey', 'ContainerName', 'StorageDomain'];
const CACHE_GCS = ['CredentialsFile', 'AccessID', 'PrivateKey', 'BucketName', 'UniverseDomain'];

/** Known keys by dotted section path; `*` marks free-form tables (labels, selectors). */
export const KNOWN_TOML_KEYS: Record<string, ReadonlySet<string> | '*'> = {
  '': new Set(GLOBAL),
  runners: new Set(RUNNER),
  'runners.kubernetes': new Set(KUBERNETES),
  'runners.kubernetes.node_selector': '*',
  'runners.kubernetes.node_tolerations': '*',
  'runners.kubernetes.pod_labels': '*',
  'runners.kubernetes.pod_annotations': '*',
  'runners.docker': new Set(DOCKER),
  'runners.docker.services': new Set(['name', 'alias', 'command', 'entrypoint', 'environment', 'suspend_data_path']),
  // Tables of names gitlab-runner passes on (image globs, sysctls, paths, labels, limits, options).
  ...Object.fromEntries(['services_devices', 'sysctls', 'tmpfs', 'services_tmpfs', 'container_labels', 'ulimit', 'log_options', 'volume_driver_ops'].map((k) => [`runners.docker.${k}`, '*' as const])),
  'runners.custom': new Set(CUSTOM),
  'runners.autoscaler': new Set(AUTOSCALER),
  'runners.autoscaler.plugin_config': '*',
  'runners.autoscaler.connector_config': new Set(CONNECTOR),
  'runners.autoscaler.policy': new Set(POLICY),
  // Only the flags runner-fleet sets (gitlab-runner docs/configuration/feature-flags.md).
  'runners.feature_flags': new Set(['FF_DISABLE_AUTOMATIC_TOKEN_ROTATION', 'FF_USE_ADVANCED_POD_SPEC_CONFIGURATION']),
  // KubernetesPodSpec in common/config.go (v18.10.1).
  'runners.kubernetes.pod_spec': new Set(['name', 'patch_path', 'patch', 'patch_type']),
  'runners.cache': new Set(CACHE),
  'runners.cache.s3': new Set(CACHE_S3),
  'runners.cache.azure': new Set(CACHE_AZURE),
  'runners.cache.gcs': new Set(CACHE_GCS),
};

/** Keys of `doc` that gitlab-runner does not know, as dotted paths. Tables not listed are reported whole. */
export function unknownTomlKeys(doc: Record<string, unknown>, known: Record<string, ReadonlySet<string> | '*'> = KNOWN_TOML_KEYS): string[] {
  const out: string[] = [];
  const walk = (section: string, value: Record<string, unknown>) => {
    const allowed = known[section];
    if (allowed === '*') return;
    if (!allowed) {
      out.push(section);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const path = section === '' ? k : `${section}.${k}`;
      if (!allowed.has(k)) {
        out.push(path);
        continue;
      }
      if (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
        for (const item of v as Record<string, unknown>[]) walk(path, item);
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
        walk(path, v as Record<string, unknown>);
      }
    }
  };
  walk('', doc);
  return out;
}
