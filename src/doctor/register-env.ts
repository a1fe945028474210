import { SourceFile, originAt, type Origin, type Position } from './source.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Located } from './evidence.js';
import { isObject } from '../model/is-object.js';
import { RUNNER_IMAGE } from './runner-image.js';

/**
 * A Kubernetes manager that registers its runner from environment variables: `gitlab-runner
 * register` takes each setting from an `env:"…"` variable when no flag gives it (gitlab-runner
 * common/config.go: RunnerSettings.Executor `env:"RUNNER_EXECUTOR"`, KubernetesConfig's Image,
 * Namespace, NamespaceOverwriteAllowed, Privileged, ServiceAccount and
 * ServiceAccountOverwriteAllowed as `KUBERNETES_<NAME>`; cache/cacheconfig/cacheconfig.go: Type,
 * Path, Shared as `CACHE_<NAME>`, CacheS3Config as `CACHE_S3_<NAME>`). The gitlab-runner chart
 * before 0.53.0 deployed its runners so (its Deployment's env: RUNNER_EXECUTOR, KUBERNETES_PRIVILEGED,
 * KUBERNETES_NAMESPACE, …; a `helm template` of such a chart committed for GitOps is a workload
 * the doctor reads), and hand-written Deployments do too. Register appends the `[[runners]]`
 * entry it builds to the config.toml it finds (the chart copies a global-only config.toml there
 * first): that entry is what the jobs run with.
 *
 * Only literal `value`s are read (a `valueFrom` is known when the pod starts); an empty value is a
 * setting left unset. Credentials (CACHE_S3_ACCESS_KEY, …) are not taken into the entry: the
 * credential scan reads them where they are written.
 */
const ENV_KEYS: ReadonlyMap<string, { path: readonly string[]; bool?: true }> = new Map([
  ['RUNNER_EXECUTOR', { path: ['executor'] }],
  ['KUBERNETES_IMAGE', { path: ['kubernetes', 'image'] }],
  ['KUBERNETES_NAMESPACE', { path: ['kubernetes', 'namespace'] }],
  ['KUBERNETES_NAMESPACE_OVERWRITE_ALLOWED', { path: ['kubernetes', 'namespace_overwrite_allowed'] }],
  ['KUBERNETES_PRIVILEGED', { path: ['kubernetes', 'privileged'], bool: true }],
  ['KUBERNETES_SERVICE_ACCOUNT', { path: ['kubernetes', 'service_account'] }],
  ['KUBERNETES_SERVICE_ACCOUNT_OVERWRITE_ALLOWED', { path: ['kubernetes', 'service_account_overwrite_allowed'] }],
  ['CACHE_TYPE', { path: ['cache', 'Type'] }],
  ['CACHE_PATH', { path: ['cache', 'Path'] }],
  ['CACHE_SHARED', { path: ['cache', 'Shared'], bool: true }],
  ['CACHE_S3_SERVER_ADDRESS', { path: ['cache', 's3', 'ServerAddress'] }],
  ['CACHE_S3_BUCKET_NAME', { path: ['cache', 's3', 'BucketName'] }],
  ['CACHE_S3_BUCKET_LOCATION', { path: ['cache', 's3', 'BucketLocation'] }],
  ['CACHE_S3_INSECURE', { path: ['cache', 's3', 'Insecure'], bool: true }],
  ['CACHE_S3_AUTHENTICATION_TYPE', { path: ['cache', 's3', 'AuthenticationType'] }],
]);
/**
 * A setting only registration has: a container given one registers. CI_SERVER_URL is also what GitLab
 * gives every CI job, so it alone says nothing (env-managers.ts asks for it beside one of these).
 */
export const REGISTERS = /^(?:CI_SERVER_TOKEN|REGISTRATION_TOKEN|RUNNER_EXECUTOR|REGISTER_NON_INTERACTIVE)$/;

/** Go's strconv.ParseBool, which go-flags uses for a bool flag's environment value. */
function goBool(v: string): boolean | undefined {
  if (/^(1|t|T|TRUE|true|True)$/.test(v)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(v)) return false;
  return undefined;
}

/**
 * The `[[runners]]` entry register writes from the container's environment, and the index of the
 * env entry each setting came from (by its dotted path under `runners.0`); undefined when the
 * container does not register from its environment or sets none of the settings read here.
 */
export function envRegisteredEntry(container: Record<string, unknown>): { entry: Record<string, unknown>; places: Map<string, number> } | undefined {
  const env = Array.isArray(container.env) ? container.env : [];
  const entry: Record<string, unknown> = {};
  const places = new Map<string, number>();
  let registers = false;
  env.forEach((e: unknown, i) => {
    if (!isObject(e) || typeof e.name !== 'string') return;
    if (REGISTERS.test(e.name)) registers = true;
    const key = ENV_KEYS.get(e.name);
    if (!key || typeof e.value !== 'string' || e.value === '') return;
    const value = key.bool ? goBool(e.value) : e.value;
    if (value === undefined) return;
    let at = entry;
    for (const k of key.path.slice(0, -1)) {
      if (!isObject(at[k])) at[k] = {};
      at = at[k] as Record<string, unknown>;
    }
    at[key.path.at(-1)!] = value;
    places.set(key.path.join('.'), i);
  });
  return registers && places.size > 0 ? { entry, places } : undefined;
}

/** The names of the volumes a container mounts. */
function mountedVolumes(container: Record<string, unknown>): Set<string> {
  const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
  return new Set(mounts.flatMap((m: unknown) => (isObject(m) && typeof m.name === 'string' ? [m.name] : [])));
}

/**
 * The entry an init container of the pod registers from its environment (envRegisteredEntry), with
 * the init container's index: one running the gitlab-runner image that mounts a volume the runner
 * container mounts too, where register writes the config.toml the manager then reads (the config
 * volume an `emptyDir` both share). The last such init container, as the last register's entry is
 * the one appended last; undefined where none does.
 */
export function envRegisteredInit(pod: Record<string, unknown>, runner: Record<string, unknown>): (NonNullable<ReturnType<typeof envRegisteredEntry>> & { index: number }) | undefined {
  const inits = Array.isArray(pod.initContainers) ? pod.initContainers : [];
  const shared = mountedVolumes(runner);
  for (let i = inits.length - 1; i >= 0; i--) {
    const c: unknown = inits[i];
    if (!isObject(c) || typeof c.image !== 'string' || !RUNNER_IMAGE.test(c.image)) continue;
    if (![...mountedVolumes(c)].some((v) => shared.has(v))) continue;
    const read = envRegisteredEntry(c);
    if (read) return { ...read, index: i };
  }
  return undefined;
}

/** The env variable register reads each setting of the entry from, by its dotted key under `runners.0`. */
const ENV_OF_KEY: ReadonlyMap<string, string> = new Map([...ENV_KEYS].map(([name, { path }]) => [path.join('.'), name]));

/**
 * A config.toml whose `[[runners]]` entry register builds from settings written elsewhere (a
 * container's env, a chart's legacy runners.* values), located: a setting of the entry by
 * `entryAt` (its dotted key under `runners.0`), anything else by `elsewhere`; and named in a
 * finding's words by `named` (what the user wrote for that key), not as config.toml's.
 */
export class RegisteredEntrySource extends SourceFile {
  readonly #entryAt: (key: string, path: readonly (string | number)[]) => Position;
  readonly #elsewhere: (path: readonly (string | number)[]) => Position;
  readonly #named: (key: string) => string | undefined;
  constructor(of: SourceFile, entryAt: (key: string, path: readonly (string | number)[]) => Position, elsewhere: (path: readonly (string | number)[]) => Position, named: (key: string) => string | undefined) {
    super(of.path, of.text, of.syntax);
    this.#entryAt = entryAt;
    this.#elsewhere = elsewhere;
    this.#named = named;
  }
  override locate(_doc: number, path: readonly (string | number)[]): Position {
    return path[0] === 'runners' && path[1] === 0 ? this.#entryAt(path.slice(2).map(String).join('.'), path) : this.#elsewhere(path);
  }
  override writtenAs(_doc: number, path: readonly (string | number)[]): string | undefined {
    return path[0] === 'runners' && path[1] === 0 ? this.#named(path.slice(2).map(String).join('.')) : undefined;
  }
}

/**
 * The origin of the config.toml of a manager that registers from its environment: a setting of the
 * entry at the env entry it came from in the workload (one not set, at the container's env),
 * anything else in the config.toml it mounts (else at the container).
 */
export function envRegisteredOrigin(workload: Located<K8sObject> & { address?: string }, containerIndex: number, places: ReadonlyMap<string, number>, mounted: Origin | undefined, field: 'containers' | 'initContainers' = 'containers'): Origin {
  const kind = workload.value.kind;
  const podPath = kind === 'Pod' ? ['spec'] : kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  // The provider's blocks are lists of one (HCL, terraform show -json): their positions carry index 0.
  const container = workload.address !== undefined ? [...podPath.flatMap((k) => [k, 0]), field === 'containers' ? 'container' : 'init_container', containerIndex] : [...podPath, field, containerIndex];
  // Named as the env variable of the workload it is (or would be) written in: `env KUBERNETES_PRIVILEGED of Deployment ci/runner`.
  const of = workload.address ?? `${kind} ${workload.value.metadata.namespace ?? 'default'}/${workload.value.metadata.name}`;
  const source = new RegisteredEntrySource(
    workload.origin.source,
    (key) => {
      const i = places.get(key);
      return originAt(workload.origin, ...container, 'env', ...(i !== undefined ? [i, 'value'] : []));
    },
    (path) => (mounted ? originAt(mounted, ...path) : originAt(workload.origin, ...container)),
    (key) => {
      const name = ENV_OF_KEY.get(key);
      return name !== undefined ? `env ${name} of ${of}` : undefined;
    },
  );
  return { source, doc: 0, path: [] };
}

/** The legacy values key that would give a setting of the entry where none does (chart-values.ts legacyRegisterEntry reads these). */
const LEGACY_UNSET: ReadonlyMap<string, readonly string[]> = new Map([
  ['executor', ['runners', 'executor']],
  ['kubernetes.image', ['runners', 'image']],
  ['kubernetes.service_account', ['runners', 'serviceAccountName']],
  ['kubernetes.namespace', ['runners', 'namespace']],
]);

/**
 * The origin of the config.toml a chart before 0.53.0 has register build from its legacy
 * `runners.*` values (chart-values.ts legacyRegisterEntry), in those values: a setting at the key
 * it came from, anything else at `runners` (`withConfig`: in the values' runners.config, which
 * those settings were merged over, legacyOverTemplate).
 */
export function legacyValuesOrigin(values: Origin, places: ReadonlyMap<string, (string | number)[]>, withConfig = false): Origin {
  // With a runners.config the legacy settings were merged into (chart-values.ts legacyOverTemplate): anything else in it.
  const config: Origin = { ...values, path: [...values.path, 'runners', 'config'] };
  const rest = (path: readonly (string | number)[]): Position => (withConfig ? originAt(config, ...path) : originAt(values, 'runners'));
  const source = new RegisteredEntrySource(
    values.source,
    (key, path) => {
      const at = places.get(key);
      return at ? originAt(values, ...at) : rest(path);
    },
    rest,
    // Named as the values key it came from (`values runners.serviceAccountName`); one not written, as the key that would give it.
    (key) => {
      const at = places.get(key) ?? LEGACY_UNSET.get(key);
      return at !== undefined ? `values ${at.join('.')}` : undefined;
    },
  );
  return { source, doc: 0, path: [] };
}
