import type { Severity } from '../spec/findings.js';
import { isObject } from '../model/is-object.js';
import { capabilityLets, capabilityName } from '../verify/docker-escape.js';
import { hostPathReach, kubernetesHostPathMounts, NODE_WORDS } from '../verify/kubernetes-host-path.js';
import { yamlData } from './yaml-data.js';
import type { PatchFileReader } from './pod-spec-patch-path.js';

/**
 * What a `[runners.kubernetes]` table lets the jobs of a Kubernetes executor do beyond their pod's
 * containers, each at the key that says it. A job chooses its image and its script, so whatever the
 * configuration lets a container of the job pod do, every job may.
 *
 * Keys and meanings are gitlab-runner's (docs/executors/kubernetes/_index.md):
 * - `[[runners.kubernetes.volumes.host_path]]`: a node path mounted into every job pod
 *   (kubernetesHostPathMounts).
 * - `cap_add` / `cap_drop` ("Specify container capabilities"): capabilities added to the job's
 *   containers; the runner drops a default list, and one listed in both is dropped ("user-defined
 *   `cap_drop` has priority over user-defined `cap_add`"); names without the `CAP_` prefix. The
 *   container security contexts (`build_container_security_context`,
 *   `service_container_security_context`: `capabilities.add` / `capabilities.drop`, `privileged`) set
 *   the same per container: the build container runs the job's image and script, a service the image
 *   the job names. A capability is judged as the Docker executor's `cap_add` is (docker-escape.ts
 *   CAPABILITIES), in the node's words; a job pod runs with no seccomp profile unless the pod's
 *   security context or the kubelet's seccompDefault gives one, so the line drawn with Docker's
 *   default profile on holds at least as much here.
 * - `[[runners.kubernetes.pod_spec]]` ("Overwrite generated pod specifications"): `name`, `patch`
 *   (a JSON or YAML string) or `patch_path` (a file), `patch_type` (`merge`, `json`, `strategic`): a
 *   patch of the job pod's PodSpec. It applies when the feature flag
 *   FF_USE_ADVANCED_POD_SPEC_CONFIGURATION is on, and a flag not set in `[runners.feature_flags]` is
 *   read from the job's variables (gitlab-runner common/build.go `IsFeatureFlagOn`: the runner's
 *   `feature_flags` when defined, else the build's variables; docs/configuration/feature-flags.md,
 *   "Enable feature flag in pipeline configuration"): a job turns it on itself unless
 *   `[runners.feature_flags]` sets it false. A patch that sets `hostNetwork`, `hostPID`, `hostIPC`, a
 *   `hostPath` volume, a privileged container or added capabilities gives every job pod that (Pod
 *   Security `baseline` forbids each). A merge or strategic patch is a PodSpec fragment; a json patch
 *   a list of RFC 6902 operations, whose `add`/`replace` values are read at their paths.
 * - `hostPID: true` together with SYS_PTRACE (or ALL) in a job container, from `cap_add`, a container
 *   security context or a patch's container: ptrace(2) "Ptrace access mode checking" lets a caller
 *   with CAP_SYS_PTRACE in the target's user namespace past the uid check, and capabilities(7) gives
 *   CAP_SYS_PTRACE "trace arbitrary processes using ptrace(2)" and "transfer data to or from the memory
 *   of arbitrary processes using process_vm_readv(2) and process_vm_writev(2)". Pods share the node's
 *   user namespace, so in the node's PID namespace a job attaches to every process there: the kubelet,
 *   the runtime, other jobs' containers, the runner manager (its token in memory and environment).
 *   Each half alone is no such escape (SYS_PTRACE traces only the pod's own processes), so the
 *   combination is said at the hostPID patch, naming both halves. Pod Security `baseline` forbids
 *   both (Host Namespaces: spec.hostPID; Capabilities: SYS_PTRACE is not in the allowed list). An
 *   AppArmor profile, where the node has one, limits ptrace to peers under the same profile: other
 *   pods' containers still, the node's unconfined daemons not.
 * - `allow_privilege_escalation = true` is not flagged: left unset, Kubernetes runs containers with
 *   allowPrivilegeEscalation true already (the runner leaves the field out of the security context,
 *   "Other config.toml settings"), and what it allows (a process of the job's image gaining privileges
 *   through a setuid binary or file capabilities, no_new_privs unset) stays inside the job's container,
 *   where the job runs as root unless its image or the security context says otherwise.
 */
export interface KubernetesEscape {
  /** The TOML path of the key it is about. */
  at: (string | number)[];
  /** The setting as a person finds it in config.toml. */
  said: string;
  /** RF301 for a privileged container, RF309 for any other way out; RF903 for a patch_path file not read; RF947 for a pod_spec the runner refuses. */
  code: 'RF301' | 'RF309' | 'RF903' | 'RF947';
  lets: string;
  /** The job stays in its pod's containers by it (a read-only mount of secrets, a host settings file). */
  contained: boolean;
  severity?: Severity;
  fix: string;
  received: string;
}

const FLAG = 'FF_USE_ADVANCED_POD_SPEC_CONFIGURATION';
/** Capabilities that let a job ptrace any process its PID namespace shows. */
const PTRACE = new Set(['SYS_PTRACE', 'ALL']);
const PTRACE_LETS = "puts every job pod in the node's PID namespace while its containers hold SYS_PTRACE: a job attaches with ptrace to every process on the node whatever user it runs as (ptrace(2); capabilities(7) CAP_SYS_PTRACE), reads and writes the memory and environment of the kubelet, the container runtime, other jobs' containers and the runner manager (its runner token), and injects code into a root process: it is root on the node (an AppArmor profile, where the node has one, leaves it the other pods' containers)";
const CAP_FIX = 'remove the capability (and drop what jobs do not need with cap_drop); for image builds use a daemonless builder (BuildKit rootless, kaniko, buildah)';
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** The job containers a security context table is about: the build container runs the job's script, a service the image the job names. */
const CONTEXTS: readonly [string, string][] = [
  ['build_container_security_context', "every job's build container"],
  ['service_container_security_context', "every job's service containers"],
];

/**
 * Every way out of its pod's containers that `[[runners]]` entry `i`'s `[runners.kubernetes]` hands a
 * job. `patchFile`: where the files given show the file a pod_spec `patch_path` names
 * (pod-spec-patch-path.ts); without it, or where it finds none, RF903 says the patch is not read.
 */
export function kubernetesEscapes(toml: unknown, i: number, patchFile?: PatchFileReader): KubernetesEscape[] {
  const runners: unknown[] = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  const entry = runners[i];
  const k8s = isObject(entry) ? entry.kubernetes : undefined;
  const out: KubernetesEscape[] = kubernetesHostPathMounts(toml, i).map((m) => ({
    at: m.at,
    said: `[[runners.kubernetes.volumes.host_path]] ${m.at.at(-1) as string} = ${JSON.stringify(m.host)}${m.readOnly ? ' (read_only = true)' : ''}`,
    code: 'RF309',
    lets: m.lets,
    contained: m.contained,
    ...(m.severity !== undefined ? { severity: m.severity } : {}),
    fix: m.fix,
    received: m.host,
  }));
  if (!isObject(k8s)) return out;
  const base = ['runners', i, 'kubernetes'];
  // Where SYS_PTRACE (or ALL) reaches a job container: half of the hostPID escape (PTRACE_LETS).
  const ptrace: string[] = [];
  // cap_add less cap_drop (the runner drops what both list).
  const capabilities = (add: unknown, drop: unknown, at: (string | number)[], said: string, to: string) => {
    const dropped = new Set(list(drop).filter((d): d is string => typeof d === 'string').map(capabilityName));
    list(add).forEach((cap, n) => {
      if (typeof cap !== 'string' || dropped.has(capabilityName(cap))) return;
      if (PTRACE.has(capabilityName(cap))) ptrace.push(`${said} ${JSON.stringify(capabilityName(cap))}`);
      const c = capabilityLets(cap, NODE_WORDS);
      if (c) out.push({ at: [...at, ...(Array.isArray(add) ? [n] : [])], said: `${said} ${JSON.stringify(cap)}`, code: 'RF309', lets: `adds ${c.name} to ${to}: ${c.lets}`, contained: false, fix: CAP_FIX, received: cap });
    });
  };
  capabilities(k8s.cap_add, k8s.cap_drop, [...base, 'cap_add'], '[runners.kubernetes] cap_add', "every job pod's containers");
  for (const [key, to] of CONTEXTS) {
    const ctx = k8s[key];
    if (!isObject(ctx)) continue;
    if (ctx.privileged === true) out.push({ at: [...base, key, 'privileged'], said: `[runners.kubernetes.${key}] privileged = true`, code: 'RF301', lets: `runs ${to} privileged: a job can take over the node it runs on and every credential on it`, contained: false, fix: `set privileged = false in [runners.kubernetes.${key}]; for image builds use a daemonless builder (BuildKit rootless, kaniko, buildah)`, received: 'true' });
    const caps = isObject(ctx.capabilities) ? ctx.capabilities : {};
    capabilities(caps.add, caps.drop, [...base, key, 'capabilities', 'add'], `[runners.kubernetes.${key}.capabilities] add`, to);
  }
  // pod_spec patches: one table or an array of them.
  const specs: [unknown, number | undefined][] = Array.isArray(k8s.pod_spec) ? k8s.pod_spec.map((t, n) => [t, n]) : isObject(k8s.pod_spec) ? [[k8s.pod_spec, undefined]] : [];
  if (specs.length === 0) return out;
  const flag = featureFlag(entry);
  if (flag === false) return out;
  const read: { at: (string | number)[]; said: string; escapes: PodSpecEscape[] }[] = [];
  const tableOf = (t: Record<string, unknown>, n: number | undefined) => `[[runners.kubernetes.pod_spec]]${typeof t.name === 'string' ? ` ${JSON.stringify(t.name.slice(0, 60))}` : ''}${n !== undefined && n > 0 ? ` (entry ${n})` : ''}`;
  // A table with both patch and patch_path: gitlab-runner common/config.go KubernetesPodSpec.PodSpecPatch
  // returns "ambiguous patch: both patch path and patch provided (<name>)" (a non-empty string each), and
  // executors/kubernetes/kubernetes.go applyPodSpecMerge, called by setupBuildPod for each job with the
  // flag on, returns that error before the pod is made: the config loads and the manager runs, but every
  // such job fails before its pod exists, and no table of the entry patches any pod (the loop stops at the
  // error). So none of the entry's patches is judged as applied: the fix comes first.
  const ambiguous = specs.filter(([t]) => isObject(t) && typeof t.patch === 'string' && t.patch !== '' && typeof t.patch_path === 'string' && t.patch_path !== '');
  if (ambiguous.length > 0) {
    for (const [t, n] of ambiguous) {
      const table = tableOf(t as Record<string, unknown>, n);
      const path = show((t as Record<string, unknown>).patch_path);
      out.push({
        at: [...base, 'pod_spec', ...(n !== undefined ? [n] : []), 'patch_path'],
        said: `${table} with both patch and patch_path = ${path}`,
        code: 'RF947',
        lets: `is refused by gitlab-runner when it builds a job pod ("ambiguous patch: both patch path and patch provided"; common/config.go PodSpecPatch), so ${flag === true ? `every job of this entry fails before its pod is created (${FLAG} is on in this [[runners]] entry)` : `every job that turns ${FLAG} on with a variable fails before its pod is created (the config.toml does not set it in [runners.feature_flags]); jobs without it run unpatched`}, and no pod_spec patch of the entry is applied`,
        contained: true,
        ...(flag === true ? {} : { severity: 'warning' as const }),
        fix: 'keep one of the two in the table: the inline patch, or patch_path with the patch in that file',
        received: 'patch and patch_path',
      });
    }
    return out;
  }
  for (const [t, n] of specs) {
    if (!isObject(t)) continue;
    const table = tableOf(t, n);
    let text: string;
    let at: (string | number)[];
    let said: string;
    if (typeof t.patch === 'string') {
      text = t.patch;
      at = [...base, 'pod_spec', ...(n !== undefined ? [n] : []), 'patch'];
      said = `${table} patch`;
    } else if (typeof t.patch_path === 'string' && t.patch_path.trim() !== '') {
      // The manager reads the file itself (pod-spec-patch-path.ts); read here only where the files show it.
      at = [...base, 'pod_spec', ...(n !== undefined ? [n] : []), 'patch_path'];
      const path = show(t.patch_path);
      const file = patchFile?.(t.patch_path);
      if (file === undefined) {
        out.push({ at, said: `${table} patch_path = ${path}`, code: 'RF903', lets: `names a file the runner manager reads from its own filesystem and applies to every job pod's PodSpec, and no file given shows it (a ConfigMap or Secret mounted at that path by a workload or by the chart's volumes/volumeMounts or configMaps values, or the file beside the config.toml): whether the patch sets host namespaces, hostPath volumes, privileged containers or capabilities is not read`, contained: true, severity: 'info', fix: 'give the doctor the file (or the ConfigMap or Secret mounted at that path and the workload mounting it), or write the patch inline with patch', received: t.patch_path.slice(0, 200) });
        continue;
      }
      if (file.text === undefined) {
        // A Secret's key: the doctor drops Secret values when it reads them, so the patch is known to be there and not read.
        out.push({ at, said: `${table} patch_path = ${path}`, code: 'RF903', lets: `names ${file.from}: the runner manager applies it to every job pod's PodSpec, and the doctor keeps no Secret's values, so whether the patch sets host namespaces, hostPath volumes, privileged containers or capabilities is not read`, contained: true, severity: 'info', fix: 'keep the patch in a ConfigMap (a pod patch holds no secret) or inline with patch, so it can be reviewed', received: t.patch_path.slice(0, 200) });
        continue;
      }
      text = file.text;
      said = `${table} patch_path = ${path} (read from ${file.from})`;
    } else continue;
    const fragment = patchFragment(text);
    if (fragment === undefined) continue;
    const { escapes, ptrace: traced } = podSpecEscapes(fragment);
    for (const p of traced) ptrace.push(`${said} ${p}`);
    read.push({ at, said, escapes });
  }
  const when = flag === true ? `(${FLAG} is on in this [[runners]] entry)` : `(it applies once ${FLAG} is on, and the config.toml does not set it in [runners.feature_flags], so any job turns it on with a variable of that name)`;
  const unflag = flag === true ? '' : `, or set ${FLAG} = false in [runners.feature_flags] so no job applies it`;
  for (const { at, said, escapes } of read) {
    for (const e of escapes) {
      if (e.sets === 'hostPID: true' && ptrace.length > 0) {
        // The escape the two halves make, said at the hostPID that completes it (SYS_PTRACE alone is none).
        const halves = `${ptrace.slice(0, 3).join(', ')}${ptrace.length > 3 ? ` and ${ptrace.length - 3} more` : ''}`;
        out.push({ at, said: `${said} sets hostPID: true, and ${halves} adds SYS_PTRACE,`, code: 'RF309', lets: `${PTRACE_LETS} ${when}`, contained: false, fix: `drop one of the two: remove hostPID: true from the patch, or SYS_PTRACE (ALL) from ${halves}${unflag}`, received: 'true' });
        continue;
      }
      out.push({ at, said: `${said} sets ${e.sets}`, code: e.code, lets: `${e.lets} ${when}`, contained: e.contained, ...(e.severity !== undefined ? { severity: e.severity } : {}), fix: `remove ${e.sets} from the patch${unflag}`, received: e.received });
    }
  }
  return out;
}

/** FF_USE_ADVANCED_POD_SPEC_CONFIGURATION for entry `entry`: its `[runners.feature_flags]` value when set, else true where its `environment` turns it on, else undefined (a job decides). */
function featureFlag(entry: unknown): boolean | undefined {
  const flags = isObject(entry) && isObject(entry.feature_flags) ? entry.feature_flags : {};
  if (typeof flags[FLAG] === 'boolean') return flags[FLAG];
  const env = isObject(entry) ? list(entry.environment) : [];
  // feature flags read booleans as strconv.ParseBool does.
  return env.some((e) => typeof e === 'string' && new RegExp(`^${FLAG}=(1|t|T|true|TRUE|True)$`).test(e.trim())) ? true : undefined;
}

/** A patch as a PodSpec fragment: a merge or strategic patch as written; a json patch's add/replace values placed at their paths. Undefined where it is neither. */
function patchFragment(text: string): Record<string, unknown> | undefined {
  let doc: unknown;
  try {
    doc = yamlData(text, '1.2', 100);
  } catch {
    return undefined;
  }
  if (isObject(doc)) return doc;
  if (!Array.isArray(doc)) return undefined;
  const out: Record<string, unknown> = {};
  for (const op of doc) {
    if (!isObject(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string' || !op.path.startsWith('/')) continue;
    // RFC 6901 pointer segments (~1 is '/', ~0 is '~'); an index or '-' is a list element.
    const segments = op.path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let value: unknown = op.value;
    for (let s = segments.length - 1; s >= 0; s--) value = /^(\d+|-)$/.test(segments[s]!) ? [value] : { [segments[s]!]: value };
    mergeInto(out, value);
  }
  return out;
}

/** Fragments of one patch together: maps merged, lists concatenated. */
function mergeInto(target: Record<string, unknown>, src: unknown): void {
  if (!isObject(src)) return;
  for (const [k, v] of Object.entries(src)) {
    const there = Object.hasOwn(target, k) ? target[k] : undefined;
    if (isObject(there) && isObject(v)) mergeInto(there, v);
    else if (Array.isArray(there) && Array.isArray(v)) there.push(...(v as unknown[]));
    else Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
}

const NAMESPACES: readonly [string, string][] = [
  ['hostNetwork', "puts every job pod in the node's network namespace: a job calls the cloud's instance metadata service as the node does and takes the node's cloud identity (an IMDS hop limit separates nothing there), and reaches every port the node listens on, those bound to localhost too"],
  ['hostPID', "puts every job pod in the node's PID namespace: a job sees every process on the node with its command line, and reads the environment and files (/proc/<pid>/environ, /proc/<pid>/root) of other pods' processes that run as its user with no more capabilities: their service account tokens and secrets"],
  ['hostIPC', "puts every job pod in the node's IPC namespace: a job reads and writes the shared memory and message queues of the node's processes"],
];

interface PodSpecEscape {
  sets: string;
  code: 'RF301' | 'RF309';
  lets: string;
  contained: boolean;
  severity?: Severity;
  received: string;
}

/** What a PodSpec fragment gives every job pod, and where it adds SYS_PTRACE (or ALL) to a container (`ptrace`, half of the hostPID escape). */
function podSpecEscapes(spec: Record<string, unknown>): { escapes: PodSpecEscape[]; ptrace: string[] } {
  const out: PodSpecEscape[] = [];
  const ptrace: string[] = [];
  for (const [key, lets] of NAMESPACES) if (spec[key] === true) out.push({ sets: `${key}: true`, code: 'RF309', lets, contained: false, received: 'true' });
  const containers = [...list(spec.containers), ...list(spec.initContainers)].filter(isObject);
  // A hostPath volume is mounted read-only where every mount of it the patch shows says so.
  const mounts = new Map<string, boolean[]>();
  for (const c of containers) for (const m of list(c.volumeMounts).filter(isObject)) if (typeof m.name === 'string') mounts.set(m.name, [...(mounts.get(m.name) ?? []), m.readOnly === true]);
  for (const v of list(spec.volumes).filter(isObject)) {
    const path = isObject(v.hostPath) ? v.hostPath.path : undefined;
    if (typeof path !== 'string') continue;
    const seen = typeof v.name === 'string' ? (mounts.get(v.name) ?? []) : [];
    const readOnly = seen.length > 0 && seen.every(Boolean);
    const reach = hostPathReach(path, readOnly);
    if (reach) out.push({ sets: `a hostPath volume ${show(path)}${readOnly ? ' (mounted readOnly)' : ''}`, code: 'RF309', lets: reach.lets, contained: reach.contained, ...(reach.severity !== undefined ? { severity: reach.severity } : {}), received: path });
  }
  for (const c of containers) {
    const ctx = isObject(c.securityContext) ? c.securityContext : {};
    const named = typeof c.name === 'string' ? ` ${show(c.name)}` : '';
    if (ctx.privileged === true) out.push({ sets: `securityContext.privileged: true on container${named}`, code: 'RF301', lets: `runs container${named} of every job pod privileged: a job can take over the node it runs on and every credential on it`, contained: false, received: 'true' });
    const caps = isObject(ctx.capabilities) ? ctx.capabilities : {};
    const dropped = new Set(list(caps.drop).filter((d): d is string => typeof d === 'string').map(capabilityName));
    for (const cap of list(caps.add)) {
      if (typeof cap !== 'string' || dropped.has(capabilityName(cap))) continue;
      const l = capabilityLets(cap, NODE_WORDS);
      if (PTRACE.has(capabilityName(cap))) ptrace.push(`capability ${JSON.stringify(capabilityName(cap))} on container${named}`);
      if (l) out.push({ sets: `capability ${l.name} on container${named}`, code: 'RF309', lets: `adds ${l.name} to container${named} of every job pod: ${l.lets}`, contained: false, received: cap });
    }
  }
  return { escapes: out, ptrace };
}
