import type { Evidence } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';
import { isObject } from '../model/is-object.js';

/**
 * Containers that look like a GitLab runner manager configured by environment: `gitlab-runner
 * register` reads each of its flags from an environment variable too (the `env:"…"` tags of
 * gitlab-runner's commands/register.go and common/config.go: CI_SERVER_URL and CI_SERVER_TOKEN of
 * RunnerCredentials, REGISTRATION_TOKEN, RUNNER_TAG_LIST and REGISTER_* of the register command,
 * RUNNER_EXECUTOR and RUNNER_NAME of RunnerSettings, CACHE_* of the cache settings, DOCKER_* of the
 * Docker executor's). An image whose entrypoint registers from them makes its config.toml inside
 * the container at start-up: the doctor cannot read it, and says so by name in RF910 rather than
 * only "no runner manager". Pure: over the evidence read.
 */
const REGISTER_ENV = /^(?:CI_SERVER_URL|CI_SERVER_TOKEN|CI_SERVER_TLS_CA_FILE|REGISTRATION_TOKEN|RUNNER_TAG_LIST|RUNNER_EXECUTOR|RUNNER_NAME|RUNNER_LIMIT|REGISTER_[A-Z_]+|CACHE_[A-Z0-9_]+|DOCKER_(?:IMAGE|PRIVILEGED|VOLUMES))$/;
/**
 * CI_SERVER_URL is also what GitLab gives every CI job: a container is a manager only with it and
 * a setting only registration has (a token, the executor, a register flag).
 */
const REGISTERS = /^(?:CI_SERVER_TOKEN|REGISTRATION_TOKEN|RUNNER_EXECUTOR|REGISTER_NON_INTERACTIVE)$/;

export interface EnvManager {
  /** `task definition gitlab-runner-manager`, `Deployment ci/runner`. */
  what: string;
  /** file:line:col of the container's definition. */
  at: string;
  /** The register settings it passes, in the order written. */
  names: string[];
  image: string;
}

function envNames(container: Record<string, unknown>, lists: readonly string[]): string[] {
  const out: string[] = [];
  for (const key of lists) {
    const list = container[key];
    if (!Array.isArray(list)) continue;
    for (const e of list) if (isObject(e) && typeof e.name === 'string' && REGISTER_ENV.test(e.name) && !out.includes(e.name)) out.push(e.name);
  }
  return out;
}

const registers = (names: readonly string[]) => names.includes('CI_SERVER_URL') && names.some((n) => REGISTERS.test(n));

function at(origin: Origin | undefined, ...path: (string | number)[]): string {
  if (!origin) return '';
  try {
    return formatPosition(originAt(origin, ...path));
  } catch {
    return formatPosition(originAt(origin));
  }
}

/** ECS task definitions (Terraform) and Kubernetes workloads whose containers pass register settings as environment. */
export function envRegisteredManagers(ev: Evidence): EnvManager[] {
  const out: EnvManager[] = [];
  for (const [name, r] of Object.entries(ev.terraform.resource.aws_ecs_task_definition ?? {})) {
    let defs: unknown = r.container_definitions;
    if (typeof defs === 'string') {
      try {
        defs = JSON.parse(defs);
      } catch {
        continue;
      }
    }
    if (!Array.isArray(defs)) continue;
    const origin = ev.terraform.origins.get(`aws_ecs_task_definition.${name}`);
    for (const c of defs) {
      if (!isObject(c)) continue;
      // ECS: plain values in `environment`, values from SSM or Secrets Manager in `secrets`.
      const names = envNames(c, ['environment', 'secrets']);
      if (!registers(names)) continue;
      const family = typeof r.family === 'string' && !r.family.includes('${') ? r.family : `aws_ecs_task_definition.${name}`;
      out.push({ what: `task definition ${family}`, at: at(origin, 'container_definitions'), names, image: typeof c.image === 'string' ? c.image : 'an image not known statically' });
    }
  }
  for (const { value: o, origin } of ev.kubernetes) {
    const pod = o.kind === 'Pod' ? o.spec : isObject(o.spec) && isObject(o.spec.template) ? o.spec.template.spec : undefined;
    if (!isObject(pod) || !Array.isArray(pod.containers)) continue;
    const base = o.kind === 'Pod' ? ['spec'] : ['spec', 'template', 'spec'];
    pod.containers.forEach((c, i) => {
      if (!isObject(c)) return;
      const names = envNames(c, ['env']);
      if (!registers(names)) return;
      const meta: Record<string, unknown> = isObject(o.metadata) ? o.metadata : {};
      const id = `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${typeof meta.name === 'string' ? meta.name : '(no name)'}`;
      out.push({ what: `${String(o.kind)} ${id}`, at: at(origin, ...base, 'containers', i), names, image: typeof c.image === 'string' ? c.image : 'an image not known statically' });
    });
  }
  return out;
}
