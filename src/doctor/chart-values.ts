import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import { get } from '../verify/get.js';
import { isObject } from '../model/is-object.js';
import { envRegisteredEntry } from './register-env.js';
import { formatPosition, originAt } from './source.js';
import type { Evidence } from './evidence.js';
import { runnerTokenShape } from './helm-release.js';
import { REGISTRATION_TOKEN_FLOW } from './register-command.js';

/**
 * Checks of the gitlab-runner chart's values that need no runner chain: what `runnerRegistrationToken`
 * and `runnerToken` hold (RF940 for a token written in clear in a file, RF912 for the registration flow), the legacy
 * `runners.privileged` (RF301, or RF932 where the chart installed no longer reads it), the other
 * legacy `runners.*` fields (RF932 where the chart installed, or may install, no longer reads them), and runner
 * settings written at the top level of the values where the chart reads them only under `runners:`
 * (RF932). Each finding at the key.
 */

type HelmValues = Evidence['helmValues'][number];

function finding(code: Code, path: string, message: string, fix: string, received?: string): Finding {
  return { code, severity: CODES[code].severity, path, message, fix, ...(received !== undefined ? { received } : {}) };
}

/** The chart's version where it is one exact version (`0.71.0`, `v0.52.1`); a range, a branch or nothing: undefined. */
export function exactChartVersion(v: unknown): [number, number, number] | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

const before = (a: readonly number[], b: readonly number[]): boolean => a[0]! - b[0]! < 0 || (a[0] === b[0] && (a[1]! - b[1]! < 0 || (a[1] === b[1] && a[2]! < b[2]!)));

/**
 * What the gitlab-runner chart a release installs does with the legacy `runners.namespace`, by its
 * version (`version` as written). Templates read: 0.41.0 gives it to register as KUBERNETES_NAMESPACE
 * (`default .Release.Namespace .Values.runners.namespace`, templates/_env_vars.tpl: the namespace of
 * the job pods) and places the Role and RoleBinding there (since 0.28.0, chart !256), while its
 * Deployment names no namespace (the release's); 0.44.0 and 0.52.0 also place the Deployment,
 * ConfigMap, Secrets and ServiceAccount there (CHANGELOG 0.42.0: "Update namespaces to be consistent
 * across manifests", !343); 0.53.0 removed it (!397): 0.58.1 and 0.86.0 read no
 * `.Values.runners.namespace`, the manager runs in the release's namespace (or the chart's
 * `namespace` value) and the jobs in runners.config's `[runners.kubernetes] namespace`, else the
 * release's. A version that is not one exact version: read as 0.42.0 to 0.52.x read it (the only
 * hint values alone give of where the manager runs; the key itself is RF932 there, chartKeyFindings).
 */
export function legacyNamespaceReach(version: unknown): { manager: boolean; jobs: boolean; role: boolean } {
  const exact = exactChartVersion(version);
  if (!exact) return { manager: true, jobs: true, role: true };
  if (!before(exact, PRIVILEGED_DROPPED)) return { manager: false, jobs: false, role: false };
  return { manager: !before(exact, [0, 42, 0]), jobs: true, role: !before(exact, [0, 28, 0]) };
}

/**
 * Whether the gitlab-runner chart a release installs places its objects by the top-level `namespace`
 * value (`version` as written). Read in the chart's templates: 0.79.0 (CHANGELOG: "Restore namespace
 * separation capability for GitLab Runner", !519) writes `namespace: {{ default .Release.Namespace
 * .Values.namespace }}` on the Deployment, ConfigMap, Secrets, ServiceAccount, Role and RoleBinding,
 * as 0.86.0 does; 0.77.2, 0.58.1 and 0.52.0 have no `.Values.namespace` in any template (their objects
 * go to the release's namespace, or runners.namespace's, legacyNamespaceReach). A version that is
 * not one exact version: read (the chart installed may be any; values that write `namespace` are the
 * only hint values alone give of where the manager runs).
 */
export function chartNamespaceRead(version: unknown): boolean {
  const exact = exactChartVersion(version);
  return !exact || !before(exact, NAMESPACE_FROM);
}
const NAMESPACE_FROM: readonly number[] = [0, 79, 0];

/**
 * `runners.jobNamespace` is no legacy key: the chart added it and reads it still (0.86.0). Its
 * templates read it in two places, from different versions: templates/role.yaml and
 * role-binding.yaml place the Role by `coalesce .Values.runners.jobNamespace .Values.namespace
 * .Release.Namespace` from 0.84.0 on (CHANGELOG 0.84.0: "Create Role in correct namespace when using
 * the runners.jobNamespace feature", !522; read in 0.86.0's templates), and the chart's default
 * runners.config (values.yaml) writes `namespace = "{{ default .Release.Namespace
 * .Values.runners.jobNamespace }}"` from 0.79.0 on (0.73.1's values.yaml and templates name no
 * jobNamespace: its default writes `{{.Release.Namespace}}`). A runners.config of the user's that
 * names it is filled by tpl at any version (configmap.yaml renders runners.config with `tpl`, 0.33.0
 * and 0.73.1 alike). Whether the chart version installed places its Role by it (a version not given as
 * one exact version: read, as the newest chart does).
 */
export function jobNamespaceRoleRead(version: unknown): boolean {
  const exact = exactChartVersion(version);
  return !exact || !before(exact, JOB_NAMESPACE_ROLE_FROM);
}
const JOB_NAMESPACE_ROLE_FROM: readonly number[] = [0, 84, 0];
const JOB_NAMESPACE_DEFAULT_CONFIG_FROM: readonly number[] = [0, 79, 0];
/** `.Values.runners.jobNamespace` named in a template (a runners.config the chart renders with tpl). */
const NAMES_JOB_NAMESPACE = /\{\{[^}]*\.Values\.runners\.jobNamespace\b[^}]*\}\}/;

/**
 * `runnerRegistrationToken`. The chart (0.86.0 templates/secrets.yaml, configmap.yaml) puts it into
 * its Secret as `runner-registration-token`, and its entrypoint exports that as REGISTRATION_TOKEN,
 * the environment name of `gitlab-runner register --registration-token`. A token written in clear in
 * the file is a leak whatever flow it is for: RF940 (error) at the key, one finding that also says
 * the rest of the fact — for a registration token (GR1348941), the deprecated flow; for a runner
 * authentication token (glrt-) in the registration token's key, what register does with it (since
 * runner 16.0, gitlab-runner!3910: it verifies the glrt- token, POST /runners/verify, instead of
 * registering a runner, the legacy-compatible flow, and ignores the registration-only settings with a
 * warning, gitlab-runner#32804). A value of no known shape written in clear (no reference, no
 * placeholder: an older registration token has no prefix) is RF940 too. One given from elsewhere (a
 * reference, a placeholder: `changeme`, `<token>`, `${VAR}`, `{{ .Values.x }}`) is RF912: the
 * deprecated flow is configured.
 * `address`: a release read from `terraform show -json`, which holds any token in clear: the same
 * finding, said of that document (`writtenIn`); the user's evidence, not runner-fleet's output.
 */
export function registrationTokenFinding(v: HelmValues): Finding | undefined {
  const raw = get(v.value, 'runnerRegistrationToken');
  if (typeof raw !== 'string' || raw === '') return undefined;
  const place = originAt(v.origin, 'runnerRegistrationToken');
  const at = formatPosition(place);
  const file = writtenIn(v, place.file);
  const token = runnerTokenShape(raw);
  if (token.shape !== undefined) {
    if (/authentication/.test(token.shape)) {
      return finding('RF940', at, `runnerRegistrationToken holds ${token.shape} (glrt-), written in clear in ${file} (value not shown): whoever reads the file can take this runner's jobs and the secrets they are given. The key is the registration token's: the chart passes it to gitlab-runner register as REGISTRATION_TOKEN, which (runner 16.0 and later) takes a glrt- token there in the legacy-compatible flow: it verifies the token instead of registering a new runner, and ignores the registration settings (runners.tags, locked, runUntagged, protected, maximumTimeout), which a glrt- runner keeps in GitLab`, 'reset the runner\'s token in GitLab (POST /runners/:id/reset_authentication_token), put the new one into a Secret under key runner-token (runner-registration-token empty) and name it in runners.secret; remove runnerRegistrationToken from the values', '(a token, not shown)');
    }
    return finding('RF940', at, `runnerRegistrationToken holds ${token.shape} (GR1348941), written in clear in ${file} (value not shown): whoever reads the file can register runners in its project, group or instance and take their jobs; the registration-token flow is also ${REGISTRATION_TOKEN_FLOW}`, 'reset the registration token in GitLab; create the runner in GitLab (POST /user/runners), put its glrt- token into a Secret under key runner-token and name it in runners.secret', '(a token, not shown)');
  }
  if (token.inClear) {
    // No known prefix, but written in clear, no reference and no placeholder (`runnerTokenShape`:
    // `placeholderValue`): the key makes it a runner token whatever its shape, as the credential
    // module judges a literal given to REGISTRATION_TOKEN (RUNNER_TOKEN_KEY_NAMES): registration
    // tokens issued before GitLab prefixed them with GR1348941 carry no prefix.
    return finding('RF940', at, `runnerRegistrationToken holds a value written in clear in ${file} (value not shown), no reference and no placeholder: the chart passes it to gitlab-runner register as REGISTRATION_TOKEN, so it is a runner token whatever its shape (registration tokens issued before GitLab prefixed them with GR1348941 have no prefix). Whoever reads the file can register runners with it and take their jobs; the registration-token flow is also ${REGISTRATION_TOKEN_FLOW}`, 'reset the registration token in GitLab; create the runner in GitLab (POST /user/runners), put its glrt- token into a Secret under key runner-token and name it in runners.secret', '(a token, not shown)');
  }
  return finding('RF912', at, 'runnerRegistrationToken is set: registration tokens are deprecated by GitLab (off by default since GitLab 17.0, removal scheduled for 20.0)', 'create the runner in GitLab (POST /user/runners), put its glrt- token into a Secret and name it in runners.secret', '(a token, not shown)');
}

/**
 * The file a chart value is written in, as a finding names it: a values file a helm_release reads is
 * not the release's file; a `terraform show -json` document (a release with an `address`) is the
 * user's plan or state, which prints a token in clear whatever it was given from (set_sensitive,
 * a variable): it is a file the user keeps and hands on, not runner-fleet's generated output (RF304).
 */
function writtenIn(v: HelmValues, file: string): string {
  return v.address !== undefined ? `${file}, a terraform show -json document, which prints sensitive values in clear too` : file;
}

/**
 * `runnerToken`, the runner authentication token's key, written in clear in a file (a values file,
 * an Argo CD or Flux object, a `helm_release` of the Terraform configuration, or a `terraform show
 * -json` document of one, the user's plan or state: `writtenIn`): a GitLab token written in a file
 * is RF940 (src/spec/codes.ts: "a static cloud credential or a GitLab token is written in a file"),
 * as it is at `runnerRegistrationToken` (registrationTokenFinding); RF304 is runner-fleet's own
 * generated output's ("a static credential appears in generated output"). Value never shown.
 * The chart (0.86.0 templates/secrets.yaml, configmap.yaml) puts runnerToken into its Secret as
 * `runner-token`, which the entrypoint exports as CI_SERVER_TOKEN, the environment name of
 * `gitlab-runner register --token`.
 * - A glrt- token: the right token in the right key, and a secret in a file.
 * - A registration token (GR1348941): also in the wrong key, said in the one finding. Register
 *   (commands/register.go, askRunner) takes a token there without the glrt- prefix as an existing
 *   runner's token and only verifies it (POST /runners/verify), which GitLab refuses for a
 *   registration token (403: no runner has it), so register fails ("Failed to verify the runner")
 *   on every one of the chart's attempts.
 * - A value of no known prefix, written in clear (no reference, no placeholder: `runnerTokenShape`):
 *   the key makes it a runner token whatever its shape (runner tokens issued before GitLab prefixed
 *   them with glrt- have none), as at runnerRegistrationToken.
 * Undefined for a value that is not in clear (a placeholder, a reference: filled in at install).
 */
export function runnerTokenFinding(v: HelmValues, raw: string): Finding | undefined {
  const token = runnerTokenShape(raw);
  if (!token.inClear) return undefined;
  const place = originAt(v.origin, 'runnerToken');
  const at = formatPosition(place);
  const file = writtenIn(v, place.file);
  const fix = 'reset the runner\'s token in GitLab (POST /runners/:id/reset_authentication_token), put the new one into a Secret under key runner-token and name it in runners.secret; remove runnerToken from the values' + (v.address !== undefined ? '; keep plan and state documents where secrets are kept (terraform show -json prints them)' : '');
  if (token.shape !== undefined && /authentication/.test(token.shape)) {
    return finding('RF940', at, `runnerToken holds ${token.shape} (glrt-), written in clear in ${file} (value not shown): whoever reads the file can take this runner's jobs and the secrets they are given. The chart puts it into its Secret (runner-token) and hands it to gitlab-runner register as CI_SERVER_TOKEN; the token belongs in a Secret of the cluster, not in the values`, fix, '(a token, not shown)');
  }
  if (token.shape !== undefined) {
    return finding('RF940', at, `runnerToken holds ${token.shape} (GR1348941), written in clear in ${file} (value not shown): whoever reads the file can register runners in its project, group or instance and take their jobs. It is also in the wrong key: runnerToken is the runner authentication token's (glrt-); the chart hands it to gitlab-runner register as CI_SERVER_TOKEN (its --token), which takes a token without the glrt- prefix for an existing runner's token and only verifies it (POST /runners/verify); GitLab refuses a registration token there (403), so register fails on every attempt, the manager exits and restarts, and no runner is registered`, 'reset the registration token in GitLab; create the runner in GitLab (POST /user/runners), put its glrt- token into a Secret under key runner-token and name it in runners.secret; remove runnerToken from the values', '(a token, not shown)');
  }
  return finding('RF940', at, `runnerToken holds a value written in clear in ${file} (value not shown), no reference and no placeholder: the chart hands it to gitlab-runner register as CI_SERVER_TOKEN, so it is a runner token whatever its shape (runner tokens issued before GitLab prefixed them with glrt- have no prefix). Whoever reads the file can take this runner's jobs and the secrets they are given`, fix, '(a token, not shown)');
}

/**
 * Chart 0.53.0 removed the deprecated `runners.*` fields that `runners.config` can set (chart
 * CHANGELOG, !393); before it, `runners.privileged: true` made the chart set KUBERNETES_PRIVILEGED=true
 * for gitlab-runner register (templates/_env_vars.tpl), which writes privileged = true into
 * [runners.kubernetes]. 0.53.0 and later (0.86.0: no template reads it) ignore it.
 */
const PRIVILEGED_DROPPED: readonly number[] = [0, 53, 0];

/**
 * The other deprecated `runners.*` fields chart 0.53.0 removed (!393 and its siblings: !396
 * runners.imagePullPolicy, !397 runners.namespace and the cache fields; the fields listed by the
 * deprecation, gitlab-org/gitlab#379064), each with what the chart gave `gitlab-runner register` for
 * it before 0.53.0 (`env`: the environment variable of templates/_env_vars.tpl or _cache.tpl, or the
 * flag of configmap.yaml's register-the-runner) and the config.toml key of runners.config that takes
 * its place. 0.86.0's templates read none of them (its `.Values.runners.*` are config, configPath,
 * executor, jobNamespace, name, secret, cache.secretName, tags, locked, runUntagged, protected,
 * maximumTimeout, which are not listed here). `path` under `runners`.
 * The cache fields (chart 0.52.0 templates/_cache.tpl, values.yaml "DEPRECATED"): CACHE_TYPE and
 * CACHE_PATH (from cachePath, or the older s3CachePath), CACHE_SHARED, and for cacheType s3 or gcs
 * the bucket's; 0.58.1 and 0.86.0 read only runners.cache.secretName (the Secret of the cache's
 * credentials, mounted at /secrets: still read, so not listed; 0.53.2 restored it, !406).
 * runners.imagePullSecrets: 0.52.0 passed each to register as --kubernetes-image-pull-secrets
 * (configmap.yaml); 0.58.1 and 0.86.0 read only the top-level imagePullSecrets (the manager pod's).
 */
const LEGACY_RUNNERS: readonly { path: readonly string[]; env: string; key: string }[] = [
  { path: ['imagePullSecrets'], env: '--kubernetes-image-pull-secrets', key: '[runners.kubernetes] image_pull_secrets' },
  { path: ['cache', 'cacheType'], env: 'CACHE_TYPE', key: '[runners.cache] Type' },
  { path: ['cache', 'cachePath'], env: 'CACHE_PATH', key: '[runners.cache] Path' },
  { path: ['cache', 's3CachePath'], env: 'CACHE_PATH', key: '[runners.cache] Path' },
  { path: ['cache', 'cacheShared'], env: 'CACHE_SHARED', key: '[runners.cache] Shared' },
  { path: ['cache', 's3ServerAddress'], env: 'CACHE_S3_SERVER_ADDRESS', key: '[runners.cache.s3] ServerAddress' },
  { path: ['cache', 's3BucketName'], env: 'CACHE_S3_BUCKET_NAME', key: '[runners.cache.s3] BucketName' },
  { path: ['cache', 's3BucketLocation'], env: 'CACHE_S3_BUCKET_LOCATION', key: '[runners.cache.s3] BucketLocation' },
  { path: ['cache', 's3CacheInsecure'], env: 'CACHE_S3_INSECURE', key: '[runners.cache.s3] Insecure' },
  { path: ['cache', 'gcsBucketName'], env: 'CACHE_GCS_BUCKET_NAME', key: '[runners.cache.gcs] BucketName' },
  { path: ['image'], env: 'KUBERNETES_IMAGE', key: '[runners.kubernetes] image' },
  { path: ['imagePullPolicy'], env: 'KUBERNETES_PULL_POLICY', key: '[runners.kubernetes] pull_policy' },
  { path: ['namespace'], env: 'KUBERNETES_NAMESPACE', key: '[runners.kubernetes] namespace' },
  { path: ['serviceAccountName'], env: 'KUBERNETES_SERVICE_ACCOUNT', key: '[runners.kubernetes] service_account' },
  { path: ['pollTimeout'], env: 'KUBERNETES_POLL_TIMEOUT', key: '[runners.kubernetes] poll_timeout' },
  { path: ['outputLimit'], env: 'RUNNER_OUTPUT_LIMIT', key: '[[runners]] output_limit' },
  { path: ['requestConcurrency'], env: 'RUNNER_REQUEST_CONCURRENCY', key: '[[runners]] request_concurrency' },
  ...(['cpuLimit', 'cpuLimitOverwriteMaxAllowed', 'memoryLimit', 'memoryLimitOverwriteMaxAllowed', 'cpuRequests', 'cpuRequestsOverwriteMaxAllowed', 'memoryRequests', 'memoryRequestsOverwriteMaxAllowed'] as const).map((k) => ({ path: ['builds', k], env: `KUBERNETES_${snake(k).replace('REQUESTS', 'REQUEST')}`, key: `[runners.kubernetes] ${snake(k).replace('REQUESTS', 'REQUEST').toLowerCase()}` })),
  ...(['cpuLimit', 'memoryLimit', 'cpuRequests', 'memoryRequests'] as const).map((k) => ({ path: ['services', k], env: `KUBERNETES_SERVICE_${snake(k).replace('REQUESTS', 'REQUEST')}`, key: `[runners.kubernetes] service_${snake(k).replace('REQUESTS', 'REQUEST').toLowerCase()}` })),
  ...(['cpuLimit', 'memoryLimit', 'cpuRequests', 'memoryRequests', 'image'] as const).map((k) => ({ path: ['helpers', k], env: `KUBERNETES_HELPER_${snake(k).replace('REQUESTS', 'REQUEST')}`, key: `[runners.kubernetes] helper_${snake(k).replace('REQUESTS', 'REQUEST').toLowerCase()}` })),
  ...(['run_as_non_root', 'run_as_user', 'run_as_group', 'fs_group'] as const).map((k) => ({ path: ['pod_security_context', k], env: `KUBERNETES_POD_SECURITY_CONTEXT_${k.toUpperCase()}`, key: `[runners.kubernetes.pod_security_context] ${k}` })),
  // Chart 0.52.0 (values.yaml marks each DEPRECATED): CLONE_URL of templates/_env_vars.tpl, and the
  // flags configmap.yaml's register-the-runner built from the others; 0.58.1 and 0.86.0 read none of
  // them (CHANGELOG 0.53.0: "Remove all deprecated fields that can be resolved with template merging", !393).
  { path: ['pod_security_context', 'supplemental_groups'], env: '--kubernetes-pod-security-context-supplemental-groups', key: '[runners.kubernetes.pod_security_context] supplemental_groups' },
  { path: ['cloneUrl'], env: 'CLONE_URL', key: '[[runners]] clone_url' },
  { path: ['nodeSelector'], env: '--kubernetes-node-selector', key: '[runners.kubernetes.node_selector]' },
  { path: ['nodeTolerations'], env: '--kubernetes-node-tolerations', key: '[runners.kubernetes.node_tolerations]' },
  { path: ['podLabels'], env: '--kubernetes-pod-labels', key: '[runners.kubernetes.pod_labels]' },
  { path: ['podAnnotations'], env: '--kubernetes-pod-annotations', key: '[runners.kubernetes.pod_annotations]' },
  { path: ['env'], env: '--env', key: '[[runners]] environment' },
];

/**
 * The `[[runners]]` entry a chart before 0.53.0 has register build from its legacy `runners.*` values
 * (read at 0.41.0, templates/_env_vars.tpl and _cache.tpl: RUNNER_EXECUTOR is `runners.executor`, else
 * kubernetes; KUBERNETES_IMAGE, KUBERNETES_SERVICE_ACCOUNT and KUBERNETES_NAMESPACE where written; the
 * CACHE_* variables only with `runners.cache.cacheType`, CACHE_PATH `coalesce cachePath s3CachePath`,
 * the S3 ones only for type s3), read as register reads that environment (register-env.ts), with the
 * values key each setting came from. `runners.privileged` is left to its own RF301 (legacyPrivilegedFinding).
 * Undefined for 0.53.0 and later, or a version not given as one exact version.
 */
export function legacyRegisterEntry(values: Record<string, unknown>, version: unknown): { entry: Record<string, unknown>; places: Map<string, (string | number)[]> } | undefined {
  const exact = exactChartVersion(version);
  const runners = values.runners;
  if (!exact || !before(exact, PRIVILEGED_DROPPED) || !isObject(runners)) return undefined;
  const env: { name: string; value: string }[] = [];
  const from: (string | number)[][] = [];
  const put = (name: string, path: readonly string[], value: unknown) => {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return;
    env.push({ name, value: String(value) });
    from.push(['runners', ...path]);
  };
  put('RUNNER_EXECUTOR', ['executor'], typeof runners.executor === 'string' && runners.executor !== '' ? runners.executor : 'kubernetes');
  for (const key of ['image', 'serviceAccountName', 'namespace'] as const) {
    const legacy = LEGACY_RUNNERS.find((l) => l.path.length === 1 && l.path[0] === key)!;
    if (setsSomething(runners[key])) put(legacy.env, legacy.path, runners[key]);
  }
  const cache = isObject(runners.cache) ? runners.cache : {};
  if (setsSomething(cache.cacheType)) {
    put('CACHE_TYPE', ['cache', 'cacheType'], cache.cacheType);
    if (setsSomething(cache.cachePath)) put('CACHE_PATH', ['cache', 'cachePath'], cache.cachePath);
    else if (setsSomething(cache.s3CachePath)) put('CACHE_PATH', ['cache', 's3CachePath'], cache.s3CachePath);
    if (cache.cacheShared === true) put('CACHE_SHARED', ['cache', 'cacheShared'], true);
    if (cache.cacheType === 's3') {
      for (const [k, name] of [['s3ServerAddress', 'CACHE_S3_SERVER_ADDRESS'], ['s3BucketName', 'CACHE_S3_BUCKET_NAME'], ['s3BucketLocation', 'CACHE_S3_BUCKET_LOCATION']] as const) if (setsSomething(cache[k])) put(name, ['cache', k], cache[k]);
      if (cache.s3CacheInsecure === true) put('CACHE_S3_INSECURE', ['cache', 's3CacheInsecure'], true);
    }
  }
  const got = envRegisteredEntry({ env });
  if (!got) return undefined;
  return { entry: got.entry, places: new Map([...got.places].map(([k, i]) => [k, from[i]!])) };
}

/**
 * The `[[runners]]` entry a chart before 0.53.0 registers where its values have both `runners.config`
 * and legacy `runners.*` fields (a `runners.serviceAccountName` beside a `[runners.kubernetes]
 * service_account`, …): the chart gives register both the environment of templates/_env_vars.tpl
 * (KUBERNETES_SERVICE_ACCOUNT, KUBERNETES_IMAGE, KUBERNETES_NAMESPACE, CACHE_*: legacyRegisterEntry)
 * and `--template-config` (0.41.0 to 0.52.0 configmap.yaml). Register (gitlab-runner
 * commands/register.go, read at v13.0.0, v14.0.0, v15.11.0 and v16.0.0: Execute calls mergeTemplate
 * first, and configTemplate.MergeTo is `mergo.Merge(config, c.Runners[0])` with no WithOverride;
 * mergo v0.3.7 to v0.3.12 merge.go deepMerge sets a field of the destination only where it is the
 * zero value) keeps every setting its flags and environment gave, and takes from the template only
 * what they left empty: the environment wins. So each setting the legacy values give replaces the
 * template's (a false boolean is Go's zero value: the template's stands); the executor is left as
 * chartDeployedToml reads it. Undefined where there is nothing to merge (0.53.0 and later, no exact
 * version, not exactly one `[[runners]]` entry in the template, no legacy setting but the executor).
 * `places`: each setting taken from the values, at its values key.
 */
export function legacyOverTemplate(values: Record<string, unknown>, version: unknown, template: Record<string, unknown>): { value: Record<string, unknown>; places: Map<string, (string | number)[]> } | undefined {
  const legacy = legacyRegisterEntry(values, version);
  const runners = template.runners;
  if (!legacy || !Array.isArray(runners) || runners.length !== 1 || !isObject(runners[0])) return undefined;
  const entry = structuredClone(runners[0]);
  const places = new Map<string, (string | number)[]>();
  const override = (from: Record<string, unknown>, into: Record<string, unknown>, prefix: string[]): void => {
    for (const [k, value] of Object.entries(from)) {
      const key = [...prefix, k];
      if (key.length === 1 && k === 'executor') continue;
      if (isObject(value)) {
        if (!isObject(into[k])) into[k] = {};
        override(value, into[k] as Record<string, unknown>, key);
      } else if (value !== false && value !== '') {
        into[k] = value;
        const at = legacy.places.get(key.join('.'));
        if (at) places.set(key.join('.'), at);
      }
    }
  };
  override(legacy.entry, entry, []);
  if (places.size === 0) return undefined;
  return { value: { ...template, runners: [entry] }, places };
}

/** `cpuLimitOverwriteMaxAllowed` → `CPU_LIMIT_OVERWRITE_MAX_ALLOWED`. */
function snake(k: string): string {
  return k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** A value that sets something (the chart's `if`): not null, empty, false, or an empty list or mapping. */
const setsSomething = (x: unknown): boolean => x !== undefined && x !== null && x !== '' && x !== false && !(Array.isArray(x) && x.length === 0) && !(isObject(x) && Object.keys(x).length === 0);

/**
 * Runner settings the chart reads only under `runners:` (0.86.0 values.yaml and templates:
 * `.Values.runners.config`, `.configPath`, `.executor`, `.jobNamespace`; no template reads these
 * names at the top level of the values), where it has no top-level value of that name.
 */
const RUNNERS_ONLY = ['config', 'configPath', 'executor', 'jobNamespace'] as const;

/**
 * RF301 for the legacy `runners.privileged: true` where the chart installed honours it (a version
 * before 0.53.0, or one not known), RF932 where it does not; RF932 for each of `RUNNERS_ONLY` written
 * at the top level. `version`: the chart version the release installs, as written.
 */
export function chartKeyFindings(v: HelmValues, version: unknown): Finding[] {
  const out: Finding[] = [];
  const values = v.value;
  const exact = exactChartVersion(version);
  if (get(values, 'runners', 'privileged') === true) {
    const at = formatPosition(originAt(v.origin, 'runners', 'privileged'));
    if (exact && !before(exact, PRIVILEGED_DROPPED)) {
      out.push(finding('RF932', at, `runners.privileged: true is not read by the gitlab-runner chart ${exact.join('.')} this release installs: the chart dropped its deprecated runners.* fields in 0.53.0, so it sets nothing; privileged jobs are set in runners.config ([runners.kubernetes] privileged)`, 'remove runners.privileged; if jobs must run privileged, say so in runners.config [runners.kubernetes] privileged (RF301)', 'true'));
    } else {
      const which = exact ? `the chart ${exact.join('.')} this release installs` : 'charts before 0.53.0 (the version installed is not given as one exact version; 0.53.0 and later ignore the key)';
      out.push(finding('RF301', at, `runners.privileged: true: ${which} pass${exact ? 'es' : ''} it to gitlab-runner register as KUBERNETES_PRIVILEGED, which writes privileged = true into [runners.kubernetes]: job pods run privileged, and a job can take over the node it runs on and every credential on it`, 'remove runners.privileged and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)', 'true'));
    }
  }
  const runners = isObject(values.runners) ? values.runners : undefined;
  // The other legacy runners.* fields: ignored from 0.53.0 on (RF932); before it (an exact version), read.
  if (runners && !(exact && before(exact, PRIVILEGED_DROPPED))) {
    for (const legacy of LEGACY_RUNNERS) {
      const value = get(runners, ...legacy.path);
      if (!setsSomething(value)) continue;
      const name = `runners.${legacy.path.join('.')}`;
      const which = exact ? `the gitlab-runner chart ${exact.join('.')} this release installs` : 'the gitlab-runner chart from 0.53.0 on (the version installed is not given as one exact version)';
      out.push(finding('RF932', formatPosition(originAt(v.origin, 'runners', ...legacy.path)), `${name} is not read by ${which}: the chart dropped its deprecated runners.* fields in 0.53.0 (before, it passed this one to gitlab-runner register as ${legacy.env}), so it sets nothing; its place is runners.config, ${legacy.key}`, `remove ${name}; set ${legacy.key} in runners.config`));
    }
  }
  // runners.jobNamespace where the chart version installed reads it nowhere (jobNamespaceRoleRead):
  // before 0.84.0 no Role is placed by it, and only a runners.config that names it (the chart's own
  // default from 0.79.0 on, or the user's) is filled with it.
  const jobNamespace = runners?.jobNamespace;
  if (exact && runners && typeof jobNamespace === 'string' && jobNamespace !== '' && !jobNamespaceRoleRead(version)) {
    const config = runners.config;
    const named = typeof config === 'string' ? NAMES_JOB_NAMESPACE.test(config) : config === undefined && !before(exact, JOB_NAMESPACE_DEFAULT_CONFIG_FROM);
    if (!named) {
      const why = before(exact, JOB_NAMESPACE_DEFAULT_CONFIG_FROM)
        ? 'the chart reads it only from 0.79.0 on (its default runners.config names it; its Role from 0.84.0 on, !522)'
        : 'before 0.84.0 the chart reads it only in its default runners.config, which the runners.config given replaces, and places no Role by it (from 0.84.0 on, !522)';
      out.push(finding('RF932', formatPosition(originAt(v.origin, 'runners', 'jobNamespace')), `runners.jobNamespace is not read by the gitlab-runner chart ${exact.join('.')} this release installs: ${why}; the runners.config given does not name it ({{ default .Release.Namespace .Values.runners.jobNamespace }}), so it sets nothing: the jobs run in the namespace runners.config writes, not in ${jobNamespace}`, `write the jobs' namespace in runners.config ([runners.kubernetes] namespace = "${jobNamespace}") and remove runners.jobNamespace, or install chart 0.84.0 or later and name it in runners.config`, jobNamespace));
    }
  }
  // The top-level namespace of a chart that places nothing by it (one exact version before 0.79.0): the manager runs in the release's namespace.
  const ns = values.namespace;
  if (exact && !chartNamespaceRead(version) && typeof ns === 'string' && ns !== '') {
    out.push(finding('RF932', formatPosition(originAt(v.origin, 'namespace')), `namespace is not read by the gitlab-runner chart ${exact.join('.')} this release installs: the chart places its Deployment, ServiceAccount and Role by a top-level namespace only from 0.79.0 on (!519), so the manager runs in the release's namespace, not in ${ns}`, `install the release into ${ns} (helm install --namespace, the Application's destination.namespace, the HelmRelease's targetNamespace), or install chart 0.79.0 or later; then remove namespace or keep it`, ns));
  }
  for (const key of RUNNERS_ONLY) {
    if (!Object.hasOwn(values, key) || values[key] === undefined || values[key] === null) continue;
    const also = runners && Object.hasOwn(runners, key) ? `; runners.${key} is also set, and is what the chart reads` : '';
    const what = key === 'config' && typeof values[key] === 'string' && /\[\[\s*runners\s*\]\]/.test(values[key]) ? ' holds a runner configuration ([[runners]]), but it' : '';
    out.push(finding('RF932', formatPosition(originAt(v.origin, key)), `the top-level ${key}${what} is not a value of the gitlab-runner chart: the chart reads ${key} only as runners.${key}, so it ignores this one and deploys without it${also}`, `move it under runners: as runners.${key}`));
  }
  return out;
}
