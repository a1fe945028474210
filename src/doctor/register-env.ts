import { parse as parseToml } from 'smol-toml';
import { SourceFile, formatPosition, originAt, spanLine, type Origin, type Position } from './source.js';
import { heredocSpan } from '../platforms/aws-vm/script-files.js';
import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { REGISTRATION_TOKEN_FLOW } from './register-command.js';
import { runnerTokenShape } from './helm-release.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Located } from './evidence.js';
import { isObject } from '../model/is-object.js';
import { RUNNER_IMAGE } from './runner-image.js';
import { trimEnd } from '../model/trim.js';

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
 * anything else in the config.toml it mounts (else at the container); a key an init container appended
 * after register (`appended`, withAppends) at its line there.
 */
export function envRegisteredOrigin(workload: Located<K8sObject> & { address?: string }, containerIndex: number, places: ReadonlyMap<string, number>, mounted: Origin | undefined, field: 'containers' | 'initContainers' = 'containers', appended?: (path: readonly (string | number)[]) => Position | undefined): Origin {
  const kind = workload.value.kind;
  const podPath = kind === 'Pod' ? ['spec'] : kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  // The provider's blocks are lists of one (HCL, terraform show -json): their positions carry index 0.
  const container = workload.address !== undefined ? [...podPath.flatMap((k) => [k, 0]), field === 'containers' ? 'container' : 'init_container', containerIndex] : [...podPath, field, containerIndex];
  // Named as the env variable of the workload it is (or would be) written in: `env KUBERNETES_PRIVILEGED of Deployment ci/runner`.
  const of = workload.address ?? `${kind} ${workload.value.metadata.namespace ?? 'default'}/${workload.value.metadata.name}`;
  const source = new RegisteredEntrySource(
    workload.origin.source,
    (key, path) => {
      const i = places.get(key);
      // A key an init container appended after register (withAppends): at its line there.
      return (i === undefined ? appended?.(path) : undefined) ?? originAt(workload.origin, ...container, 'env', ...(i !== undefined ? [i, 'value'] : []));
    },
    (path) => appended?.(path) ?? (mounted ? originAt(mounted, ...path) : originAt(workload.origin, ...container)),
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

/** The pod spec of a workload, and its path from the object. */
function podOf(o: K8sObject): { pod: Record<string, unknown>; path: string[] } | undefined {
  const spec: unknown = o.spec;
  if (o.kind === 'Pod') return isObject(spec) ? { pod: spec, path: ['spec'] } : undefined;
  const template: unknown = o.kind === 'CronJob' ? (isObject(spec) && isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec) ? spec.jobTemplate.spec.template : undefined) : isObject(spec) ? spec.template : undefined;
  const path = o.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  return isObject(template) && isObject(template.spec) ? { pod: template.spec, path } : undefined;
}

/** A container's command and args, the strings of them. */
function commandWords(c: Record<string, unknown>): string[] {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  return [...list(c.command), ...list(c.args)].filter((w): w is string => typeof w === 'string');
}

/** `gitlab-runner register` (or the older gitlab-ci-multi-runner's) in a shell string, global options between. */
const REGISTER_IN_SHELL = /\b(?:gitlab-runner|gitlab-ci-multi-runner)(?:\s+--?[\w-]+(?:=\S+)?)*\s+register\b/;
/** A register flag that gives the registration token itself: register-command.ts says RF912 there. */
const TOKEN_FLAG = /(?:^|\s)(?:--registration-token|-r)(?:[=\s]|$)/;

/**
 * Whether a container runs `gitlab-runner register` ('runs'): gitlab-runner's image (its entrypoint runs
 * gitlab-runner with the args) given `register` as its first word, a command or args that run it
 * in a shell; or ('environment') an image of another kind given CI_SERVER_URL too, whose entrypoint
 * registers from the environment (env-managers.ts reads such containers as managers configured by register's
 * environment: nothing but register, or the registration API it calls, takes both).
 */
function runsRegister(c: Record<string, unknown>, names: ReadonlySet<string>): 'runs' | 'environment' | undefined {
  const words = commandWords(c);
  const official = typeof c.image === 'string' && RUNNER_IMAGE.test(c.image);
  if (official) {
    const first = (Array.isArray(c.command) && c.command.length > 0 ? c.command : Array.isArray(c.args) ? c.args : []).filter((w): w is string => typeof w === 'string');
    if (first[0] === 'register' || (first[0] !== undefined && /(?:^|\/)gitlab-runner$/.test(first[0]) && words.includes('register'))) return 'runs';
  }
  if (words.some((w) => REGISTER_IN_SHELL.test(w))) return 'runs';
  return !official && names.has('CI_SERVER_URL') ? 'environment' : undefined;
}

/**
 * RF912 of a Kubernetes workload whose container registers by the registration-token flow from its
 * environment: `gitlab-runner register` reads --registration-token from REGISTRATION_TOKEN
 * (commands/register.go: `env:"REGISTRATION_TOKEN"`; CI_SERVER_TOKEN is --token, the runner's own
 * authentication token, and not this flow). Said at the env entry for a literal value (not shown:
 * a placeholder is RF912, a token written in clear RF940 that says the flow too, as chart-values.ts
 * registrationTokenFinding does) or a Secret's key not among the files given (the name is the only evidence there); a Secret
 * given is judged by its value where it is written (secrets.ts scrubSecret), and a ConfigMap an
 * `envFrom` names gives the key at its own line. A container whose command passes the token with
 * --registration-token is left to the flag reader (register-command.ts), which says it at the flag.
 */
export function envRegistrationTokenFindings(objects: readonly (Located<K8sObject> & { address?: string })[]): Finding[] {
  const out: Finding[] = [];
  const given = (kind: string, ns: string, name: string) => objects.find((o) => o.value.kind === kind && (o.value.metadata.namespace ?? 'default') === ns && o.value.metadata.name === name);
  for (const { value: o, origin, address } of objects) {
    const at = podOf(o);
    if (!at) continue;
    // An env entry where it is written: in YAML by its path; in a Terraform kubernetes_* resource, whose blocks are lists of one (`spec.0.template.0.spec.0.container.0.env.0.value`), as envRegisteredOrigin places it.
    const envAt = (field: 'initContainers' | 'containers', i: number, j: number, key: string): string => {
      const path = address !== undefined ? [...at.path.flatMap((k) => [k, 0]), field === 'containers' ? 'container' : 'init_container', i, 'env', j, key] : [...at.path, field, i, 'env', j, key];
      try {
        return formatPosition(originAt(origin, ...path));
      } catch {
        return formatPosition(originAt(origin));
      }
    };
    const ns = o.metadata.namespace ?? 'default';
    const what = `${o.kind} ${ns}/${o.metadata.name}`;
    for (const field of ['initContainers', 'containers'] as const) {
      const list: unknown = at.pod[field];
      if (!Array.isArray(list)) continue;
      list.forEach((c: unknown, i) => {
        if (!isObject(c)) return;
        const env = Array.isArray(c.env) ? c.env : [];
        const names = new Set(env.flatMap((e: unknown) => (isObject(e) && typeof e.name === 'string' ? [e.name] : [])));
        const words = commandWords(c);
        if (words.some((w) => TOKEN_FLAG.test(` ${w}`) && REGISTER_IN_SHELL.test(w)) || (words[0] === 'register' && words.some((w) => /^(?:--registration-token|-r)(?:=|$)/.test(w)))) return;
        const container = `${what}, ${field === 'initContainers' ? 'init container' : 'container'} ${typeof c.name === 'string' ? c.name : i}`;
        const fix = `create the runner in GitLab (POST /user/runners) and give its glrt- authentication token as CI_SERVER_TOKEN (register's --token) instead of REGISTRATION_TOKEN in ${container}`;
        const flow = `the registration-token flow is ${REGISTRATION_TOKEN_FLOW}`;
        const image = typeof c.image === 'string' ? c.image : 'an image not known statically';
        const runs = (how: 'runs' | 'environment', token: string) => (how === 'runs' ? `${container} runs gitlab-runner register with ${token}, which register reads as --registration-token` : `${container} gives ${image} register's environment (CI_SERVER_URL and ${token}), which its entrypoint registers from: register reads REGISTRATION_TOKEN as --registration-token`);
        let said = false;
        env.forEach((e: unknown, j) => {
          if (said || !isObject(e) || e.name !== 'REGISTRATION_TOKEN') return;
          if (typeof e.value === 'string' && e.value.trim() !== '') {
            const how = runsRegister(c, names);
            if (!how) return;
            said = true;
            const place = envAt(field, i, j, 'value');
            // A token written in clear is a leak first (RF940, error), as chart-values.ts says of runnerRegistrationToken; the flow is said with it.
            const token = runnerTokenShape(e.value.trim());
            if (token.inClear) {
              const glrt = token.shape !== undefined && /authentication/.test(token.shape);
              const held = token.shape !== undefined ? `${token.shape}${glrt ? ' (glrt-)' : ''}` : 'a value written in clear, no reference and no placeholder (a registration token issued before GitLab prefixed them with GR1348941 has no prefix)';
              out.push({ code: 'RF940', severity: CODES.RF940.severity, path: place, message: `${runs(how, 'env REGISTRATION_TOKEN')}; it holds ${held}, written in clear in ${origin.source.path} (value not shown): whoever reads the file can ${glrt ? "take this runner's jobs and the secrets they are given; register takes a glrt- token there by the legacy-compatible flow and ignores the runner settings it passes (tags, locked, run-untagged)" : `register runners with it and take their jobs; the registration-token flow is also ${REGISTRATION_TOKEN_FLOW}`}`, fix: `reset the token in GitLab; create the runner in GitLab (POST /user/runners), keep its glrt- authentication token in a Secret and give it as CI_SERVER_TOKEN (valueFrom.secretKeyRef) instead of REGISTRATION_TOKEN in ${container}`, received: '(a token, not shown)' });
              return;
            }
            out.push({ code: 'RF912', severity: CODES.RF912.severity, path: place, message: `${runs(how, 'env REGISTRATION_TOKEN (value not shown)')}: ${flow}`, fix, received: '(a token, not shown)' });
          } else if (isObject(e.valueFrom) && isObject(e.valueFrom.secretKeyRef) && typeof e.valueFrom.secretKeyRef.name === 'string') {
            const ref = e.valueFrom.secretKeyRef;
            const how = given('Secret', ns, ref.name as string) ? undefined : runsRegister(c, names);
            if (!how) return;
            said = true;
            out.push({ code: 'RF912', severity: CODES.RF912.severity, path: envAt(field, i, j, 'valueFrom'), message: `${runs(how, `env REGISTRATION_TOKEN from key ${typeof ref.key === 'string' ? ref.key : '(no key)'} of Secret ${ns}/${ref.name as string} (not among the files given)`)}: ${flow}; where that key holds a runner authentication token (glrt-), register takes it by the legacy-compatible flow`, fix, received: '(a token, not shown)' });
          }
        });
        if (said || names.has('REGISTRATION_TOKEN')) return;
        // envFrom: a ConfigMap given, whose REGISTRATION_TOKEN key has a value (a Secret given is judged where it is written).
        const from = Array.isArray(c.envFrom) ? c.envFrom : [];
        for (const f of from) {
          if (!isObject(f) || !isObject(f.configMapRef) || typeof f.configMapRef.name !== 'string') continue;
          const prefix = typeof f.prefix === 'string' ? f.prefix : '';
          const cm = given('ConfigMap', ns, f.configMapRef.name);
          const data = cm && isObject(cm.value.data) ? cm.value.data : undefined;
          const key = data ? Object.keys(data).find((k) => `${prefix}${k}` === 'REGISTRATION_TOKEN' && typeof data[k] === 'string' && data[k].trim() !== '') : undefined;
          if (!cm || key === undefined) continue;
          const all = new Set([...names, ...Object.keys(data!).map((k) => `${prefix}${k}`)]);
          const how = runsRegister(c, all);
          if (!how) continue;
          out.push({ code: 'RF912', severity: CODES.RF912.severity, path: formatPosition(originAt(cm.origin, 'data', key)), message: `ConfigMap ${ns}/${f.configMapRef.name} gives REGISTRATION_TOKEN (value not shown) to ${container} (envFrom)${how === 'runs' ? ', which runs gitlab-runner register' : `, whose image ${image} registers from its environment`}: register reads it as --registration-token; ${flow}`, fix: `create the runner in GitLab (POST /user/runners) and give its glrt- authentication token as CI_SERVER_TOKEN from a Secret instead of REGISTRATION_TOKEN in ConfigMap ${ns}/${f.configMapRef.name}`, received: '(a token, not shown)' });
          break;
        }
      });
    }
  }
  return out;
}

/** A container's mounts: volume name to mount path. */
function mountPaths(container: Record<string, unknown>): Map<string, string> {
  const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
  return new Map(mounts.flatMap((m: unknown) => (isObject(m) && typeof m.name === 'string' && typeof m.mountPath === 'string' ? [[m.name, m.mountPath] as [string, string]] : [])));
}

/**
 * What an init container run after the one that registers appends to the config.toml (`cat <<EOF >>
 * /etc/gitlab-runner/config.toml` in its command or args, into the volume the runner container
 * mounts too): the TOML it appends, read as a continuation of the entry register wrote last.
 * `decided` where every table it opens is an array of tables (`[[runners]]`, `[[runners.kubernetes.volumes.host_path]]`)
 * or a table under one it opened: those extend the file whatever register wrote before. A plain table
 * header (`[runners.kubernetes]`, `[session_server]`) or keys before any header continue or redefine
 * tables register writes itself, whose exact form the files do not show: `undecided`.
 */
export type InitAppend =
  | { decided: true; index: number; name: string; fragment: Record<string, unknown>; locate: (path: readonly (string | number)[]) => Position }
  | { decided: false; index: number; name: string; at: Position; why: string };

export function initAppendsToConfig(pod: Record<string, unknown>, runner: Record<string, unknown>, after: number, origin: Origin, podPath: readonly (string | number)[]): InitAppend[] {
  const inits = Array.isArray(pod.initContainers) ? pod.initContainers : [];
  const runnerMounts = mountPaths(runner);
  const out: InitAppend[] = [];
  for (let i = after + 1; i < inits.length; i++) {
    const c: unknown = inits[i];
    if (!isObject(c)) continue;
    // The folders of volumes the runner container mounts too, as this container mounts them.
    const shared = [...mountPaths(c)].filter(([v]) => runnerMounts.has(v)).map(([, p]) => trimEnd(p, '/'));
    if (shared.length === 0) continue;
    for (const field of ['command', 'args'] as const) (Array.isArray(c[field]) ? (c[field] as unknown[]) : []).forEach((w, k) => {
      if (typeof w !== 'string') return;
      const scriptLines = w.split('\n');
      // The line that appends to the config.toml of a shared volume (`>>`, `tee -a`).
      const s = scriptLines.findIndex((l) => /(?:>>|\btee\s+(?:-a|--append)\b)/.test(l) && shared.some((p) => l.includes(`${p}/config.toml`)));
      if (s < 0) return;
      const name = typeof c.name === 'string' ? c.name : String(i);
      const scalar = originAt(origin, ...podPath, 'initContainers', i, field, k);
      // A line of the script, where the file writes it: the first line at or after the scalar's with the same text.
      const fileLines = origin.source.text.split('\n');
      const lineAt = (n: number): Position => {
        const want = (scriptLines[n] ?? '').trim();
        for (let l = scalar.line - 1; l < fileLines.length && want !== ''; l++) if (fileLines[l]!.trim() === want) return { file: scalar.file, line: l + 1, column: fileLines[l]!.indexOf(want) + 1 };
        return scalar;
      };
      const span = heredocSpan(w, 'config.toml');
      const undecided = (why: string) => out.push({ decided: false, index: i, name, at: lineAt(s), why });
      // A file or a command's output appended (`cat /extra/runners.toml >> …`): not in the files given.
      if (!/<</.test(scriptLines[s]!) && !/^\s*(?:sudo\s+)?(?:echo|printf)\b/.test(scriptLines[s]!)) return void undecided('what it appends is the output of a command (a file it copies, a template it renders), which the files given do not show');
      if (!span || span.append !== true) return void undecided('it appends keys before any table header, which continue whatever table the file register wrote ends in');
      if (scriptLines.slice(s + 1, span.from).some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) return void undecided('it appends keys before any table header, which continue whatever table the file register wrote ends in');
      const bodyLines = span.body.split('\n');
      const headers = bodyLines.map((l) => /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
      const arrays: string[] = [];
      let why: string | undefined;
      for (const h of headers) {
        const key = h[2]!.replace(/\s+/g, '');
        if (h[1] === '[[') arrays.push(key);
        else if (!arrays.some((a) => key.startsWith(`${a}.`))) {
          why = `it opens [${key}], a table register writes itself or whose place in what register wrote is not shown`;
          break;
        }
      }
      if (why === undefined && !/^\s*\[\[runners[.\]]/.test(bodyLines.find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '')) why = 'what it appends does not open with a [[runners…]] table';
      let fragment: Record<string, unknown> | undefined;
      if (why === undefined) {
        try {
          fragment = parseToml(`[[runners]]\n${span.body}`);
        } catch (e) {
          why = `what it appends is not TOML after a [[runners]] entry (${(e instanceof Error ? e.message : String(e)).split('\n')[0]!})`;
        }
      }
      if (why !== undefined || fragment === undefined) {
        undecided(why ?? 'not read');
        return;
      }
      const toml = new SourceFile(scalar.file, `[[runners]]\n${span.body}`, 'toml');
      out.push({ decided: true, index: i, name, fragment, locate: (path) => lineAt(spanLine(span, Math.max(0, toml.locate(0, path).line - 2))) });
    });
  }
  return out;
}

/** Tables merged key by key, arrays of tables joined: how TOML reads a continuation of a table. */
function mergeToml(into: Record<string, unknown>, more: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...into };
  for (const [k, v] of Object.entries(more)) {
    const had = out[k];
    out[k] = isObject(had) && isObject(v) ? mergeToml(had, v) : Array.isArray(had) && Array.isArray(v) ? [...(had as unknown[]), ...(v as unknown[])] : v;
  }
  return out;
}

/**
 * The `[[runners]]` entries of a config.toml register wrote with `entry`, once the decided appends
 * (initAppendsToConfig) have run in order: each continues the last entry (its `[[runners.…]]`
 * tables) and may add entries (`[[runners]]`). And where each key of theirs is written: a path under
 * `runners` the appends gave, at its line of the init container (undefined for the others).
 */
export function withAppends(entry: Record<string, unknown>, appends: readonly Extract<InitAppend, { decided: true }>[]): { runners: Record<string, unknown>[]; locate: (path: readonly (string | number)[]) => Position | undefined } {
  const runners: Record<string, unknown>[] = [entry];
  const from = new Map<number, { append: Extract<InitAppend, { decided: true }>; index: number }[]>();
  for (const a of appends) {
    const list = Array.isArray(a.fragment.runners) ? a.fragment.runners.filter(isObject) : [];
    list.forEach((r, j) => {
      const at = j === 0 ? runners.length - 1 : runners.length;
      if (j === 0) runners[at] = mergeToml(runners[at]!, r);
      else runners.push(r);
      from.set(at, [...(from.get(at) ?? []), { append: a, index: j }]);
    });
  }
  const has = (v: unknown, path: readonly (string | number)[]): boolean => {
    let at = v;
    for (const k of path) {
      if (Array.isArray(at) && typeof k === 'number') at = at[k];
      else if (isObject(at) && typeof k === 'string') at = at[k];
      else return false;
    }
    return at !== undefined;
  };
  const locate = (path: readonly (string | number)[]): Position | undefined => {
    if (path[0] !== 'runners' || typeof path[1] !== 'number' || path.length < 3) return undefined;
    for (const { append, index } of [...(from.get(path[1]) ?? [])].reverse()) {
      const own = (append.fragment.runners as unknown[])[index];
      if (has(own, path.slice(2))) return append.locate(['runners', index, ...path.slice(2)]);
    }
    return undefined;
  };
  return { runners, locate };
}
