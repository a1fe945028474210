import { isObject } from '../model/is-object.js';
import type { RegisterCommand } from './register-command.js';

/**
 * The config.toml entry that `gitlab-runner register --non-interactive` writes from its flags, as a
 * pure translation: flag → key, by gitlab-runner's own definitions (the `long:` tags of
 * common/config.go and cache/cacheconfig/cacheconfig.go under their `namespace:` prefixes,
 * commands/register.go for what register adds and how a `--template-config` file merges in).
 * The doctor then proves this entry as it proves a config.toml written in the user data.
 */

type Kind = 'string' | 'bool' | 'int' | 'list';
type Key = readonly string[];

/** Flag (without `--`) → where its value lands in the `[[runners]]` entry, and its type. */
const FLAGS: ReadonlyMap<string, { key: Key; kind: Kind }> = new Map<string, { key: Key; kind: Kind }>([
  ['url', { key: ['url'], kind: 'string' }],
  ['token', { key: ['token'], kind: 'string' }],
  // The deprecated flow: the glrt- token GitLab answers with is what config.toml holds; the flag's value is read as its source.
  ['registration-token', { key: ['token'], kind: 'string' }],
  // RunnerSettings.Name is `long:"description"` with the alias `name`.
  ['name', { key: ['name'], kind: 'string' }],
  ['description', { key: ['name'], kind: 'string' }],
  ['executor', { key: ['executor'], kind: 'string' }],
  ['limit', { key: ['limit'], kind: 'int' }],
  ['request-concurrency', { key: ['request_concurrency'], kind: 'int' }],
  ['clone-url', { key: ['clone_url'], kind: 'string' }],
  ['shell', { key: ['shell'], kind: 'string' }],
  // RunnerSettings: `long:"builds-dir"`, `long:"cache-dir"`, `long:"output-limit"` (toml builds_dir, cache_dir, output_limit).
  ['builds-dir', { key: ['builds_dir'], kind: 'string' }],
  ['cache-dir', { key: ['cache_dir'], kind: 'string' }],
  ['output-limit', { key: ['output_limit'], kind: 'int' }],
  ['env', { key: ['environment'], kind: 'list' }],
  // SshConfig `long:"host"` under the `ssh` namespace: the machine the ssh executor runs jobs on.
  ['ssh-host', { key: ['ssh', 'host'], kind: 'string' }],
  ['docker-image', { key: ['docker', 'image'], kind: 'string' }],
  ['docker-privileged', { key: ['docker', 'privileged'], kind: 'bool' }],
  // gitlab-runner spells this one with an underscore (`long:"services_privileged"`).
  ['docker-services_privileged', { key: ['docker', 'services_privileged'], kind: 'bool' }],
  ['docker-volumes', { key: ['docker', 'volumes'], kind: 'list' }],
  ['docker-cap-add', { key: ['docker', 'cap_add'], kind: 'list' }],
  ['docker-devices', { key: ['docker', 'devices'], kind: 'list' }],
  ['docker-pull-policy', { key: ['docker', 'pull_policy'], kind: 'list' }],
  ['docker-disable-cache', { key: ['docker', 'disable_cache'], kind: 'bool' }],
  // DockerConfig's settings the job-escape check reads (its `long:` tag → its toml name).
  ['docker-cache-dir', { key: ['docker', 'cache_dir'], kind: 'string' }],
  ['docker-network-mode', { key: ['docker', 'network_mode'], kind: 'string' }],
  ['docker-pid-mode', { key: ['docker', 'pid_mode'], kind: 'string' }],
  ['docker-ipcmode', { key: ['docker', 'ipcmode'], kind: 'string' }],
  ['docker-userns', { key: ['docker', 'userns_mode'], kind: 'string' }],
  ['docker-device-cgroup-rules', { key: ['docker', 'device_cgroup_rules'], kind: 'list' }],
  ['docker-volumes-from', { key: ['docker', 'volumes_from'], kind: 'list' }],
  ['docker-allowed-images', { key: ['docker', 'allowed_images'], kind: 'list' }],
  ['docker-allowed-privileged-images', { key: ['docker', 'allowed_privileged_images'], kind: 'list' }],
  ['docker-allowed-services', { key: ['docker', 'allowed_services'], kind: 'list' }],
  ...(['config', 'prepare', 'run', 'cleanup'] as const).flatMap((stage) => [
    [`custom-${stage}-exec`, { key: ['custom', `${stage}_exec`], kind: 'string' }],
    [`custom-${stage}-args`, { key: ['custom', `${stage}_args`], kind: 'list' }],
  ] as [string, { key: Key; kind: Kind }][]),
  ['cache-type', { key: ['cache', 'Type'], kind: 'string' }],
  ['cache-path', { key: ['cache', 'Path'], kind: 'string' }],
  ['cache-shared', { key: ['cache', 'Shared'], kind: 'bool' }],
  ['cache-s3-server-address', { key: ['cache', 's3', 'ServerAddress'], kind: 'string' }],
  ['cache-s3-access-key', { key: ['cache', 's3', 'AccessKey'], kind: 'string' }],
  ['cache-s3-secret-key', { key: ['cache', 's3', 'SecretKey'], kind: 'string' }],
  ['cache-s3-bucket-name', { key: ['cache', 's3', 'BucketName'], kind: 'string' }],
  ['cache-s3-bucket-location', { key: ['cache', 's3', 'BucketLocation'], kind: 'string' }],
  ['cache-s3-insecure', { key: ['cache', 's3', 'Insecure'], kind: 'bool' }],
  // gitlab-runner spells this one with an underscore (`long:"authentication_type"`).
  ['cache-s3-authentication_type', { key: ['cache', 's3', 'AuthenticationType'], kind: 'string' }],
  ['cache-s3-server-side-encryption', { key: ['cache', 's3', 'ServerSideEncryption'], kind: 'string' }],
  ['cache-s3-server-side-encryption-key-id', { key: ['cache', 's3', 'ServerSideEncryptionKeyID'], kind: 'string' }],
  ['cache-s3-role-arn', { key: ['cache', 's3', 'RoleARN'], kind: 'string' }],
  ['cache-s3-upload-role-arn', { key: ['cache', 's3', 'UploadRoleARN'], kind: 'string' }],
]);

/**
 * Register's own flags that take a value (commands/register.go `long:` tags: string and int fields),
 * besides the config.toml ones above: the word after such a flag is its value whatever it looks like.
 */
const REGISTER_VALUE_FLAGS: ReadonlySet<string> = new Set(['config', 'template-config', 'tag-list', 'access-level', 'maximum-timeout', 'maintenance-note', 'registration-token']);

/**
 * Whether gitlab-runner takes the next word as this flag's value when it has no `=`: urfave/cli
 * parses with Go's `flag` package, which takes the next argument for a flag that is not boolean,
 * even one that starts with `--`. Known only for the flags this reader knows (false otherwise).
 */
export function takesValue(name: string): boolean {
  const def = FLAGS.get(name);
  return def !== undefined ? def.kind !== 'bool' : REGISTER_VALUE_FLAGS.has(name);
}

/** Flags whose value is a credential: a literal one is kept as a stand-in, never as written (the secret scan reports it where it is written). */
const SECRET_FLAGS: ReadonlySet<string> = new Set(['token', 'registration-token', 'cache-s3-access-key', 'cache-s3-secret-key']);
/** What a literal credential reads as in the rebuilt config.toml. */
export const SECRET_NOT_SHOWN = '(written in the register command, not shown)';
/** Keys that may be known only at boot without weakening a proof (where the runner connects, its name, its token): as for a config.toml heredoc. */
const MAY_BE_UNKNOWN: ReadonlySet<string> = new Set(['url', 'clone_url', 'name', 'token']);

/** The rebuilt entry, where each key came from, and what cannot be known before boot. */
export interface RegisterConfig {
  /** `{ concurrent, runners: [entry] }`, as gitlab-runner saves it into a config.toml that had none. */
  toml: Record<string, unknown>;
  /** Offset (in the command's text) of the flag that set a key of the entry (`['cache','s3','BucketName']`), else of the command. */
  at: (key: readonly (string | number)[]) => number;
  /** The flag that set a key of the entry (or the list it is an element of), as written without its dashes; undefined where no flag did. */
  flag: (key: readonly (string | number)[]) => string | undefined;
  /** Flags whose values are known only at boot and that a proof would read: nothing is proven of such a runner. */
  /** Flags whose value only boot knows: register's long name, the flag as written (`-name`), the value as written. */
  unknown: { flag: string; written: string; value: string; at: number }[];
  /** `--template-config FILE`: merged into the entry where `template` is given, else the entry is not all there is. */
  templateConfig?: { file: string; at: number };
}

/** `$NAME` and `${NAME}` replaced by what the script set them to; undefined where one is not known (`$(…)`, `${var.x}`, a name never set). */
function expand(value: string, vars: ReadonlyMap<string, string>): string | undefined {
  if (!value.includes('$')) return value;
  let known = true;
  const out = value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))|\$/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const v = vars.get(braced ?? bare ?? '');
    if (v === undefined) known = false;
    return v ?? whole;
  });
  return known ? out : undefined;
}

const TRUE = /^(true|t|1)$/i;
const FALSE = /^(false|f|0)$/i;

/**
 * The config.toml entry of one register command. `vars`: what the script set before the command
 * (shell-vars.ts assignedInForce), so `--cache-s3-bucket-name "$BUCKET"` after `BUCKET=ci-cache` is known.
 */
export function registerConfig(command: RegisterCommand, vars: ReadonlyMap<string, string> = new Map()): RegisterConfig {
  const runner: Record<string, unknown> = {};
  const setBy = new Map<string, number>();
  const flagBy = new Map<string, string>();
  const unknown: RegisterConfig['unknown'] = [];
  let templateConfig: RegisterConfig['templateConfig'];
  for (const f of command.flags) {
    if (f.name === 'template-config') {
      if (f.value !== undefined) templateConfig = { file: f.value, at: f.at };
      continue;
    }
    const def = FLAGS.get(f.name);
    if (!def) continue;
    const written = f.value;
    const expanded = written === undefined ? undefined : expand(written, vars);
    let value: unknown;
    if (written !== undefined && expanded === undefined) {
      // A value only boot knows: kept as written where a proof does not read it (url, name, token), else not proven.
      if (!MAY_BE_UNKNOWN.has(def.key[0]!)) unknown.push({ flag: f.name, written: f.written, value: written, at: f.at });
      value = written;
    } else if (def.kind === 'bool') {
      value = expanded === undefined || TRUE.test(expanded) ? true : FALSE.test(expanded) ? false : undefined;
      if (value === undefined) unknown.push({ flag: f.name, written: f.written, value: expanded!, at: f.at });
    } else if (def.kind === 'int') {
      value = expanded !== undefined && /^\d+$/.test(expanded) ? Number(expanded) : undefined;
      if (value === undefined) unknown.push({ flag: f.name, written: f.written, value: expanded ?? '', at: f.at });
    } else {
      if (expanded === undefined) continue;
      value = SECRET_FLAGS.has(f.name) && !written!.includes('$') ? SECRET_NOT_SHOWN : expanded;
    }
    if (value === undefined) continue;
    let parent = runner;
    for (const k of def.key.slice(0, -1)) {
      if (!isObject(parent[k])) parent[k] = {};
      parent = parent[k] as Record<string, unknown>;
    }
    const last = def.key[def.key.length - 1]!;
    if (def.kind === 'list') {
      const list = Array.isArray(parent[last]) ? (parent[last] as unknown[]) : [];
      setBy.set(`${def.key.join('.')}.${list.length}`, f.at);
      parent[last] = [...list, value];
    } else parent[last] = value;
    setBy.set(def.key.join('.'), f.at);
    flagBy.set(def.key.join('.'), f.name);
  }
  if (templateConfig === undefined) withRegisterDefaults(runner);
  const at = (key: readonly (string | number)[]): number => {
    for (let n = key.length; n > 0; n--) {
      const hit = setBy.get(key.slice(0, n).join('.'));
      if (hit !== undefined) return hit;
    }
    return command.at;
  };
  const flag = (key: readonly (string | number)[]): string | undefined => flagBy.get(key.join('.')) ?? (typeof key.at(-1) === 'number' ? flagBy.get(key.slice(0, -1).join('.')) : undefined);
  return { toml: { concurrent: 1, runners: [runner] }, at, flag, unknown, ...(templateConfig ? { templateConfig } : {}) };
}

/**
 * What register adds after the flags (and a template) are read: a Docker executor's jobs get the
 * `/cache` volume unless a volume already ends at /cache or the cache is disabled (askDocker).
 */
function withRegisterDefaults(runner: Record<string, unknown>): void {
  if (!['docker', 'docker+machine', 'docker-autoscaler'].includes(String(runner.executor))) return;
  const docker = isObject(runner.docker) ? (runner.docker) : (runner.docker = {});
  const volumes = Array.isArray(docker.volumes) ? (docker.volumes as unknown[]) : [];
  if (docker.disable_cache === true || volumes.some((v) => typeof v === 'string' && v.split(':').pop() === '/cache')) return;
  docker.volumes = [...volumes, '/cache'];
}

/** Whether a value is Go's zero value for its field (what mergo fills from the template). */
const isZero = (v: unknown): boolean => v === undefined || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);

/**
 * The entry with a template's `[[runners]]` merged in as register does it (mergo.Merge without
 * override): a key the flags set keeps the flags' value; a key they left empty, zero or false takes
 * the template's; tables merge key by key. The template's token is dropped (register clears it).
 * `--docker-privileged=false` is Go's zero value, so a template's `privileged = true` wins over it.
 */
export function mergeTemplate(config: RegisterConfig, template: Record<string, unknown>): RegisterConfig {
  const runner = structuredClone((config.toml.runners as Record<string, unknown>[])[0]!);
  const into = (dst: Record<string, unknown>, src: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(src)) {
      if (isObject(dst[k]) && isObject(v)) into(dst[k], v);
      else if (isZero(dst[k]) && !isZero(v)) dst[k] = structuredClone(v);
    }
  };
  into(runner, Object.fromEntries(Object.entries(template).filter(([k]) => k !== 'token')));
  withRegisterDefaults(runner);
  return { ...config, toml: { ...config.toml, runners: [runner] } };
}
