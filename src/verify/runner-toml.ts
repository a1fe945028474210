import { get } from './get.js';

/**
 * Settings of one `[[runners]]` entry of a config.toml that say what its jobs may do, read the same
 * way wherever a config.toml is read (verify/index.ts jobRules reads entry 0 of a runner's config.toml).
 */
export interface JobSettings {
  executor: string;
  /** The table the executor reads its job settings from: `docker` for every Docker executor (docker, docker+machine, docker-autoscaler, docker-windows), else the executor's name. */
  section: string;
  /** `privileged = true` in that table. */
  privileged: boolean;
  /** A non-empty `service_account_overwrite_allowed` pattern (the Kubernetes executor). */
  serviceAccountOverwrite?: string;
}

export function jobSettings(toml: unknown, index: number): JobSettings {
  const executor = String(get(toml, 'runners', index, 'executor'));
  const section = executor.startsWith('docker') ? 'docker' : executor;
  const table = get(toml, 'runners', index, section);
  const overwrite = get(table, 'service_account_overwrite_allowed');
  return { executor, section, privileged: get(table, 'privileged') === true, ...(typeof overwrite === 'string' && overwrite !== '' ? { serviceAccountOverwrite: overwrite } : {}) };
}

/** What a deployment changes for RF301 (privileged jobs), in its config.toml. */
export function privilegedDeploymentFix(job: JobSettings): string {
  return `set privileged = false in [runners.${job.section}] of the runner's config.toml and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`;
}

/** RF107: what a `service_account_overwrite_allowed` pattern lets jobs do. */
export function serviceAccountOverwriteMessage(pattern: string): string {
  return `jobs may pick any service account matching ${JSON.stringify(pattern)}, and with it that account's cloud identity`;
}
