import { get, getText } from './get.js';
import { isObject } from '../model/is-object.js';
import { machineKey } from './credentials.js';

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
  const executor = getText(toml, 'runners', index, 'executor');
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

/** RF925's words wherever the executor is written (a config.toml, `gitlab-runner register --executor`): what GitLab decided, and the way off it. */
export const DOCKER_MACHINE_DEPRECATED = 'GitLab deprecated the Docker Machine executor in GitLab 17.5 and ends its support in GitLab 20.0 (May 2027); its docker-machine fork takes security fixes only';
/** RF925 at `gitlab-runner register --executor docker+machine`: the same way off it, in register's words (its autoscaler table comes only from a template). */
export const DOCKER_MACHINE_FLAG_FIX = `register the runner with --executor docker-autoscaler and a --template-config whose [runners.autoscaler] names the fleeting plugin of its cloud (fleeting-plugin-aws on an Auto Scaling group); runner-fleet's ec2-autoscaler platform writes such a runner with its identities`;
export const DOCKER_MACHINE_FIX = `move the runner to executor = "docker-autoscaler" with the fleeting plugin of its cloud ([runners.autoscaler], fleeting-plugin-aws on an Auto Scaling group); runner-fleet's ec2-autoscaler platform writes such a runner with its identities`;

export interface MachineCredential {
  /** `['runners', i, 'machine', 'MachineOptions', n]`. */
  at: (string | number)[];
  option: string;
  cloud: 'aws' | 'azure';
  what: string;
  /** A placeholder or a variable (`placeholderValue`, or not the form the cloud issues its keys in): the option is set, no key is written. */
  placeholder: boolean;
}

/**
 * Every MachineOptions entry of every `[[runners]]` entry that sets a docker-machine key option
 * (`MACHINE_KEY_OPTIONS`: a static cloud credential), written out or a placeholder (`machineKey`,
 * the one rule the credential scan reads such an entry with); values are never kept.
 */
export function machineOptionCredentials(toml: unknown): MachineCredential[] {
  const out: MachineCredential[] = [];
  const runners = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  runners.forEach((entry, i) => {
    const options = get(entry, 'machine', 'MachineOptions');
    if (!Array.isArray(options)) return;
    options.forEach((o, n) => {
      const k = typeof o === 'string' ? machineKey(o) : undefined;
      if (k) out.push({ at: ['runners', i, 'machine', 'MachineOptions', n], option: k.option, cloud: k.cloud, what: k.what.name, placeholder: k.placeholder });
    });
  });
  return out;
}

/** What replaces a docker-machine key option: the manager's own identity, which the driver takes when no key is given; a key written out is revoked too (not a placeholder's). */
export function machineKeyFix(option: string, cloud: 'aws' | 'azure', placeholder = false): string {
  const keyless = cloud === 'aws' ? 'give the runner manager an instance profile (without the key options docker-machine takes the AWS SDK default chain, the instance profile included); a role the job machines need is amazonec2-iam-instance-profile=<profile>' : 'run the manager with a managed identity instead of a service principal secret';
  return `remove the ${option} option${placeholder ? ' rather than fill it in' : ' and revoke the key'}; ${keyless}`;
}

/** RF301's message: what a job in a privileged container can take over (`takeOver`, in its platform's words). */
export function privilegedMessage(takeOver: string): string {
  return `job containers run privileged: a job can take over ${takeOver}`;
}

/** What a deployment changes for RF301 (privileged jobs), in its config.toml. */
export function privilegedDeploymentFix(job: JobSettings): string {
  return `set privileged = false in [runners.${job.section}] of the runner's config.toml and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`;
}

/** RF301 where register built privileged from a setting written elsewhere (an env variable such as KUBERNETES_PRIVILEGED, named as `written`): that setting to change. */
export function privilegedSettingFix(written: string): string {
  return `set ${written} to false (or remove it) and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`;
}

/** RF301 where `gitlab-runner register` set privileged from its flag (`docker-privileged`, `docker-services_privileged`): the flag to change, as the user wrote the command. */
export function privilegedFlagFix(flag: string): string {
  return `remove --${flag} from the gitlab-runner register command (or write --${flag}=false) and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`;
}

/** RF107: what a `service_account_overwrite_allowed` pattern lets jobs do. */
export function serviceAccountOverwriteMessage(pattern: string): string {
  return `jobs may pick any service account matching ${JSON.stringify(pattern)}, and with it that account's cloud identity`;
}
