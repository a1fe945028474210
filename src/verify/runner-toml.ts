import { get } from './get.js';
import { isObject } from '../model/is-object.js';

/**
 * Settings of one `[[runners]]` entry of a config.toml that say what its jobs may do, read the same
 * way by the chain rules (verify/index.ts jobRules, entry 0 of a runner's config.toml) and by the
 * doctor for a config.toml no manager in the evidence takes (doctor/config-toml-alone.ts, every entry).
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

/**
 * The Docker Machine executor. GitLab deprecated it in GitLab 17.5 and ends its support in 20.0
 * (May 2027): gitlab-org/gitlab#498268 ("Deprecate GitLab Runner Docker Machine Executor"), epic
 * gitlab-org&15396; its replacement is the docker-autoscaler executor with a fleeting plugin
 * (docs.gitlab.com/runner/runner_autoscale/). Since the announcement GitLab's docker-machine fork
 * takes security fixes only.
 */
export const DOCKER_MACHINE_EXECUTOR = 'docker+machine';

/**
 * `[runners.machine] MachineOptions` entries (`<driver option>=<value>`, the `docker-machine create`
 * flags without their dashes) that hand docker-machine a static cloud credential. Option names are
 * the drivers' own (docker/machine drivers/amazonec2 and drivers/azure, kept in GitLab's fork):
 * amazonec2-access-key, amazonec2-secret-key, amazonec2-session-token ("AWS Access Key", "AWS
 * Secret Key", "AWS Session Token"; without them the driver takes the AWS SDK's default chain, an
 * instance profile of the manager included) and azure-client-secret (the service principal's
 * password). The google driver has no credential option: it reads Application Default Credentials
 * (the manager's service account, or GOOGLE_APPLICATION_CREDENTIALS), so nothing of it is flagged.
 */
export const MACHINE_CREDENTIAL_OPTIONS: ReadonlyMap<string, { cloud: 'aws' | 'azure'; what: string }> = new Map([
  ['amazonec2-access-key', { cloud: 'aws', what: 'an AWS access key id' }],
  ['amazonec2-secret-key', { cloud: 'aws', what: 'an AWS secret access key' }],
  ['amazonec2-session-token', { cloud: 'aws', what: 'an AWS session token' }],
  ['azure-client-secret', { cloud: 'azure', what: 'an Azure client secret' }],
]);

export interface MachineCredential {
  /** `['runners', i, 'machine', 'MachineOptions', n]`. */
  at: (string | number)[];
  option: string;
  cloud: 'aws' | 'azure';
  what: string;
}

/** Whether an option's value is written out (not empty, not `$VAR` / `${…}` the manager's environment fills in, not a `<placeholder>`). */
const literal = (v: string): boolean => v.trim() !== '' && !/^\s*(\$|<)/.test(v) && !v.includes('${');

/** Every MachineOptions entry of every `[[runners]]` entry that writes a static cloud credential; values are never kept. */
export function machineOptionCredentials(toml: unknown): MachineCredential[] {
  const out: MachineCredential[] = [];
  const runners = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  runners.forEach((entry, i) => {
    const options = get(entry, 'machine', 'MachineOptions');
    if (!Array.isArray(options)) return;
    options.forEach((o, n) => {
      if (typeof o !== 'string') return;
      const eq = o.indexOf('=');
      if (eq < 0) return;
      const option = o.slice(0, eq).trim().replace(/^--?/, '').toLowerCase();
      const known = MACHINE_CREDENTIAL_OPTIONS.get(option);
      if (known && literal(o.slice(eq + 1))) out.push({ at: ['runners', i, 'machine', 'MachineOptions', n], option, ...known });
    });
  });
  return out;
}

/** What a deployment changes for RF301 (privileged jobs), in its config.toml. */
export function privilegedDeploymentFix(job: JobSettings): string {
  return `set privileged = false in [runners.${job.section}] of the runner's config.toml and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`;
}

/** RF107: what a `service_account_overwrite_allowed` pattern lets jobs do. */
export function serviceAccountOverwriteMessage(pattern: string): string {
  return `jobs may pick any service account matching ${JSON.stringify(pattern)}, and with it that account's cloud identity`;
}
