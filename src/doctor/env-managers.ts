import type { Evidence } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';
import { normalPath } from './hcl/eval.js';
import { isObject } from '../model/is-object.js';
import { RUNNER_IMAGE } from './infer.js';
import { REGISTERS } from './register-env.js';

/**
 * Containers that look like a GitLab runner manager configured by environment: `gitlab-runner
 * register` reads each of its flags from an environment variable too (the `env:"…"` tags of
 * gitlab-runner's commands/register.go and common/config.go: CI_SERVER_URL and CI_SERVER_TOKEN of
 * RunnerCredentials, REGISTRATION_TOKEN, RUNNER_TAG_LIST and REGISTER_* of the register command,
 * RUNNER_EXECUTOR and RUNNER_NAME of RunnerSettings, CACHE_* of the cache settings, DOCKER_* of the
 * Docker executor's). An image whose entrypoint registers from them makes its config.toml inside
 * the container at start-up: the doctor cannot read it, and says so by name in RF910 rather than
 * only "no runner manager" (or, where another manager was found, in an RF903 of its own). Services
 * of a docker-compose file that run gitlab-runner are named the same way: compose is no platform
 * the doctor proves. Pure: over the evidence read.
 */
const REGISTER_ENV = /^(?:CI_SERVER_URL|CI_SERVER_TOKEN|CI_SERVER_TLS_CA_FILE|REGISTRATION_TOKEN|RUNNER_TAG_LIST|RUNNER_EXECUTOR|RUNNER_NAME|RUNNER_LIMIT|REGISTER_[A-Z_]+|CACHE_[A-Z0-9_]+|DOCKER_(?:IMAGE|PRIVILEGED|VOLUMES))$/;

export interface EnvManager {
  /** `task definition gitlab-runner-manager`, `Deployment ci/runner`, `compose service runner`. */
  what: string;
  /** file:line:col of the container's definition. */
  at: string;
  /** The register settings it passes, in the order written. */
  names: string[];
  image: string;
  /** A compose service: where its config.toml comes from (the volume mounted on gitlab-runner's configuration folder), and whether that config.toml is among the files given. */
  compose?: { config?: string; given?: string };
}

/**
 * docker-compose files by name (the Compose specification's compose.yaml, compose.yml and the older
 * docker-compose.yaml / .yml, with their overrides and variants: compose.override.yaml,
 * docker-compose.prod.yml, docker-compose-ci.yml).
 */
export function isComposeFileName(path: string): boolean {
  return /(?:^|[\\/])(?:docker-)?compose(?:[.-][^\\/]+)?\.ya?ml$/i.test(path);
}

/** gitlab-runner's configuration folder in its images: /etc/gitlab-runner as root, ~/.gitlab-runner otherwise (the install docs' `-v …:/etc/gitlab-runner`). */
const CONFIG_DIR = /^(?:\/etc\/gitlab-runner|\/home\/gitlab-runner\/\.gitlab-runner)\/?$/;

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

/** A compose service's environment names (map form, or `KEY=value` / `KEY` list form) that are register settings, in the order written. */
function composeEnvNames(env: unknown): string[] {
  const keys = Array.isArray(env) ? env.filter((e): e is string => typeof e === 'string').map((e) => e.split('=')[0]!.trim()) : isObject(env) ? Object.keys(env) : [];
  return [...new Set(keys.filter((k) => REGISTER_ENV.test(k)))];
}

/** The register settings the env files of a compose service's `env_file:` (a path, a list of paths or of `{ path }`) set, of those among the files given (`envFiles`). */
function envFileNames(envFile: unknown, folder: string, envFiles: ReadonlyMap<string, string[]> | undefined): string[] {
  if (!envFiles) return [];
  const paths = (Array.isArray(envFile) ? envFile : [envFile]).map((e) => (typeof e === 'string' ? e : isObject(e) && typeof e.path === 'string' ? e.path : undefined)).filter((e): e is string => e !== undefined);
  return paths.flatMap((p) => envFiles.get(normalPath(p.startsWith('/') ? p : `${folder}${p}`)) ?? []).filter((k) => REGISTER_ENV.test(k));
}

/** The volume a compose service mounts on gitlab-runner's configuration folder (short `src:target[:mode]` or long form): its source. */
function configVolume(volumes: unknown): string | undefined {
  if (!Array.isArray(volumes)) return undefined;
  for (const v of volumes) {
    if (typeof v === 'string') {
      const parts = v.split(':');
      if (parts.length >= 2 && CONFIG_DIR.test(parts[1]!)) return parts[0]!;
    } else if (isObject(v) && typeof v.target === 'string' && CONFIG_DIR.test(v.target) && typeof v.source === 'string') return v.source;
  }
  return undefined;
}

/**
 * The services of docker-compose files that are runner managers: those running gitlab-runner's image
 * (gitlab/gitlab-runner, registry.gitlab.com/gitlab-org/gitlab-runner), and those of another image
 * given register settings as environment (as containers above). The Docker socket a manager of the
 * docker executor mounts is how that executor works (GitLab's install docs run the image with
 * `-v /var/run/docker.sock:/var/run/docker.sock`), and is not named.
 */
function composeManagers(ev: Evidence): EnvManager[] {
  const out: EnvManager[] = [];
  const tomls = new Set(ev.configTomls.map((t) => normalPath(t.origin.source.path)));
  for (const { value, origin } of ev.composeFiles ?? []) {
    if (!isObject(value.services)) continue;
    const folder = origin.source.path.includes('/') ? origin.source.path.slice(0, origin.source.path.lastIndexOf('/') + 1) : '';
    for (const [name, svc] of Object.entries(value.services)) {
      if (!isObject(svc)) continue;
      const image = typeof svc.image === 'string' ? svc.image : undefined;
      // The env files it names (`env_file:`) that are among the files given set names too.
      const names = [...new Set([...composeEnvNames(svc.environment), ...envFileNames(svc.env_file, folder, ev.envFiles)])];
      const official = image !== undefined && RUNNER_IMAGE.test(image) && /(?:^|\/)(?:gitlab\/gitlab-runner|gitlab-org\/gitlab-runner)(?:[:@]|$)/.test(image);
      if (!official && !registers(names)) continue;
      const config = configVolume(svc.volumes);
      // A bind mount relative to the compose file: its config.toml may be among the files given.
      const candidate = config !== undefined && /^\.{1,2}\//.test(config) ? normalPath(`${folder}${config.replace(/\/$/, '')}/config.toml`) : undefined;
      const given = candidate !== undefined && tomls.has(candidate) ? candidate : undefined;
      out.push({ what: `compose service ${name}`, at: at(origin, 'services', name), names, image: image ?? 'an image it builds', compose: { ...(config !== undefined ? { config } : {}), ...(given !== undefined ? { given } : {}) } });
    }
  }
  return out;
}

/**
 * ECS task definitions (Terraform), Kubernetes workloads and docker-compose services whose
 * containers pass register settings as environment, or (compose) run gitlab-runner's image. A
 * Kubernetes workload running gitlab-runner's image is left out: the doctor reads it as a manager.
 */
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
      if (!isObject(c) || (typeof c.image === 'string' && RUNNER_IMAGE.test(c.image))) return;
      const names = envNames(c, ['env']);
      if (!registers(names)) return;
      const meta: Record<string, unknown> = isObject(o.metadata) ? o.metadata : {};
      const id = `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${typeof meta.name === 'string' ? meta.name : '(no name)'}`;
      out.push({ what: `${String(o.kind)} ${id}`, at: at(origin, ...base, 'containers', i), names, image: typeof c.image === 'string' ? c.image : 'an image not known statically' });
    });
  }
  out.push(...composeManagers(ev));
  return out;
}
