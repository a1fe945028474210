import type { K8sObject } from '../emit/artifacts.js';
import type { FleetDocuments } from '../emit/types.js';
import type { IntentRunner } from './intent.js';
import { CODES, type Code } from '../spec/codes.js';
import { showValue, type Finding, adviceThenRegenerate } from '../spec/findings.js';
import { get, getText } from './get.js';
import { isObject } from '../model/is-object.js';
import { parse as parseYaml } from 'yaml';

/**
 * Pod Security Admission (the `pod-security.kubernetes.io/<mode>` namespace labels) for the one
 * namespace a runner's manager and jobs share. A namespace has one level per mode, so it cannot
 * enforce `restricted` for the manager and `baseline` for the jobs at once:
 * - it **enforces `baseline`** (what job pods must meet; the executor may run them as root),
 * - it **audits `restricted`** (the API server records what would break it, without telling the
 *   manager about every job pod it creates, which `warn` would),
 * - and the manager pod is **proven** to meet `restricted` from its Helm values (RF308).
 * Privileged jobs cannot run under `baseline`, so a runner whose spec accepts them gets
 * `enforce: privileged` with `warn`/`audit: baseline`, and RF301 says so.
 */
export const PSA = 'pod-security.kubernetes.io';
export const PSA_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];

export function podSecurityLabels(jobsPrivileged: boolean): Record<string, string> {
  return jobsPrivileged
    ? { [`${PSA}/enforce`]: 'privileged', [`${PSA}/warn`]: 'baseline', [`${PSA}/audit`]: 'baseline' }
    : { [`${PSA}/enforce`]: 'baseline', [`${PSA}/warn`]: 'baseline', [`${PSA}/audit`]: 'restricted' };
}

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const rank = (level: unknown) => PSA_LEVELS.indexOf(level as PsaLevel);

/**
 * What the restricted profile asks of a pod and its containers (Kubernetes "Pod Security
 * Standards", restricted), checked on the chart's pod and container security contexts.
 */
export function restrictedViolations(pod: unknown, container: unknown): string[] {
  const out: string[] = [];
  const either = (...path: string[]) => get(container, ...path) ?? get(pod, ...path);
  if (either('runAsNonRoot') !== true) out.push('runAsNonRoot is not true');
  if (get(container, 'runAsUser') === 0 || get(pod, 'runAsUser') === 0) out.push('runAsUser is 0');
  if (get(container, 'allowPrivilegeEscalation') !== false) out.push('allowPrivilegeEscalation is not false');
  if (get(container, 'privileged') === true) out.push('privileged is true');
  const drop = get(container, 'capabilities', 'drop');
  if (!Array.isArray(drop) || !drop.includes('ALL')) out.push('capabilities.drop does not include ALL');
  const add = get(container, 'capabilities', 'add');
  if (Array.isArray(add) && add.some((c) => c !== 'NET_BIND_SERVICE')) out.push(`capabilities.add holds ${showValue(add)}`);
  const seccomp = either('seccompProfile', 'type');
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`seccompProfile.type is ${showValue(seccomp)}, not RuntimeDefault or Localhost`);
  return out;
}

/**
 * The gitlab-runner chart's own `securityContext` and `podSecurityContext` (its values.yaml: the
 * manager container does not escalate, runs as non-root and drops every capability; the pod runs as
 * user 100, group 65533; no seccomp profile). Helm merges the values given over these, key by key,
 * and a key given as null removes the chart's; so values that leave a key out keep the chart's.
 */
const CHART_SECURITY_CONTEXT: Readonly<Record<string, unknown>> = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, runAsNonRoot: true, privileged: false, capabilities: { drop: ['ALL'] } };
const CHART_POD_SECURITY_CONTEXT: Readonly<Record<string, unknown>> = { runAsUser: 100, fsGroup: 65533 };

/**
 * Whether the chart's own securityContext or podSecurityContext decides whether the manager pod meets
 * Pod Security restricted for these values: what it meets over the chart's defaults differs from what
 * the values alone set.
 */
export function chartDefaultsDecide(values: Record<string, unknown>): boolean {
  const over = restrictedViolations(overChartDefaults(CHART_POD_SECURITY_CONTEXT, values.podSecurityContext), overChartDefaults(CHART_SECURITY_CONTEXT, values.securityContext));
  const alone = restrictedViolations(values.podSecurityContext ?? {}, values.securityContext ?? {});
  return over.join('\n') !== alone.join('\n');
}

/** Helm's merge of given values over a chart's defaults: maps merge, anything else given replaces, null removes. */
export function overChartDefaults(defaults: Readonly<Record<string, unknown>>, given: unknown): unknown {
  if (given === undefined) return defaults;
  if (!isObject(given)) return given;
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(defaults), ...Object.keys(given)])) {
    const g = given[k];
    const d = Object.hasOwn(defaults, k) ? defaults[k] : undefined;
    if (g === null) continue;
    const v = g === undefined ? d : isObject(d) && isObject(g) ? overChartDefaults(d, g) : g;
    if (v !== undefined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * What clears each violation of restrictedViolations (matched by the violation's start), in each
 * place a manager's security context is written: the chart's values (`securityContext.…`), a
 * Kubernetes manifest (the API's keys) and the kubernetes provider's blocks.
 */
const CLEARS: { start: string; chart: string; api: string; provider: string }[] = [
  { start: 'runAsNonRoot', chart: 'securityContext.runAsNonRoot: true', api: 'runAsNonRoot: true', provider: 'run_as_non_root = true' },
  { start: 'runAsUser', chart: 'a runAsUser other than 0', api: 'a runAsUser other than 0', provider: 'a run_as_user other than 0' },
  { start: 'allowPrivilegeEscalation', chart: 'securityContext.allowPrivilegeEscalation: false', api: 'allowPrivilegeEscalation: false', provider: 'allow_privilege_escalation = false' },
  { start: 'privileged', chart: 'securityContext.privileged: false', api: 'privileged: false', provider: 'privileged = false' },
  { start: 'capabilities.drop', chart: 'securityContext.capabilities.drop: [ALL]', api: 'capabilities.drop: [ALL]', provider: 'capabilities { drop = ["ALL"] }' },
  { start: 'capabilities.add', chart: 'no securityContext.capabilities.add but NET_BIND_SERVICE', api: 'no capabilities.add but NET_BIND_SERVICE', provider: 'no capabilities add but NET_BIND_SERVICE' },
  { start: 'seccompProfile', chart: 'securityContext.seccompProfile.type: RuntimeDefault', api: 'seccompProfile.type: RuntimeDefault', provider: 'seccomp_profile { type = "RuntimeDefault" }' },
];

/** The settings that clear `violations` (restrictedViolations), spelt for where they are written. */
export function restrictedClears(violations: readonly string[], spelling: 'chart' | 'api' | 'provider'): string[] {
  return violations.map((v) => CLEARS.find((c) => v.startsWith(c.start))?.[spelling]).filter((x): x is string => x !== undefined);
}

/**
 * The Namespace object job pods run in, among the runner's documents. Where jobs run apart from the
 * manager (KubernetesNames.jobNamespace) it is the jobs' one or none: the manager's labels do not
 * govern job pods.
 */
export function jobsNamespaceObject(docs: FleetDocuments, runner: Pick<IntentRunner, 'name' | 'kubernetes'>): K8sObject | undefined {
  const manifests = docs.runners.get(runner.name)?.manifests ?? [];
  const apart = runner.kubernetes?.jobNamespace;
  return apart !== undefined ? manifests.find((o) => o.kind === 'Namespace' && o.metadata.name === apart) : manifests.find((o) => o.kind === 'Namespace');
}
const namespaceOf = jobsNamespaceObject;

/** Whether the runner's config.toml runs job containers privileged. */
function jobsPrivileged(docs: FleetDocuments, runner: string): boolean {
  const toml = docs.runners.get(runner)?.configToml;
  return get(get(toml, 'runners', 0, getText(toml, 'runners', 0, 'executor')), 'privileged') === true;
}

/**
 * Whether config.toml gives the job pods a seccomp profile (RuntimeDefault or Localhost): gitlab-runner
 * has no key for it, only a `[[runners.kubernetes.pod_spec]]` patch that sets the pod's
 * securityContext.seccompProfile, applied with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on. A patch
 * given by file (patch_path) or as a JSON patch is not read here: not shown, so not claimed.
 */
export function jobPodSeccomp(toml: unknown): boolean {
  const runner = get(toml, 'runners', 0);
  if (get(runner, 'feature_flags', 'FF_USE_ADVANCED_POD_SPEC_CONFIGURATION') !== true) return false;
  const specs = get(runner, 'kubernetes', 'pod_spec');
  return Array.isArray(specs) && specs.some((s) => {
    if (!isObject(s) || typeof s.patch !== 'string' || (s.patch_type !== undefined && s.patch_type !== 'strategic' && s.patch_type !== 'merge')) return false;
    let patch: unknown;
    try {
      // YAML or JSON text, as gitlab-runner reads it (yaml.YAMLToJSON). JSON (what runner-fleet writes) is
      // read by JSON.parse first: the YAML library took ~0.24 ms a runner, a tenth of 1,000 AKS runners' CPU.
      patch = jsonOrYaml(s.patch);
    } catch {
      return false;
    }
    const type = get(patch, 'securityContext', 'seccompProfile', 'type');
    return type === 'RuntimeDefault' || type === 'Localhost';
  });
}

/** Whether config.toml sets a pod_spec patch or turns on the flag that applies them. */
function triesPodSpec(toml: unknown): boolean {
  const runner = get(toml, 'runners', 0);
  return get(runner, 'feature_flags', 'FF_USE_ADVANCED_POD_SPEC_CONFIGURATION') !== undefined || get(runner, 'kubernetes', 'pod_spec') !== undefined;
}

/**
 * The namespace labels and the manager's security context of one Kubernetes runner, from its
 * documents. `runners` are all runners of the fleet: a namespace another runner on the cluster
 * shares enforces what the most permissive of them needs, and the finding names who forces it.
 */
export function verifyPodSecurity(docs: FleetDocuments, runner: IntentRunner, rp: string, runners: readonly IntentRunner[] = []): { findings: Finding[]; proofs: { claim: string; holds: boolean }[] } {
  const emitted = docs.runners.get(runner.name);
  const ns = namespaceOf(docs, runner);
  if (!emitted || !ns) return { findings: [], proofs: [] };
  const out: Finding[] = [];
  const privileged = jobsPrivileged(docs, runner.name);
  const labels = ns.metadata.labels ?? {};
  const enforce = labels[`${PSA}/enforce`];
  const needed: PsaLevel = privileged ? 'privileged' : 'baseline';
  const weaker = rank(enforce) < rank(needed) || enforce === undefined;
  // Runners on the same cluster in the same namespace whose jobs run privileged: they need the namespace to enforce privileged.
  const forcing = weaker && !privileged ? runners.filter((r) => r.name !== runner.name && r.cluster === runner.cluster && namespaceOf(docs, r)?.metadata.name === ns.metadata.name && jobsPrivileged(docs, r.name)) : [];
  if (forcing.length > 0 && enforce === 'privileged') {
    const who = forcing.map((r) => r.name).join(', ');
    out.push(f('RF307', `${rp}.placement.namespace`, `namespace ${ns.metadata.name} enforces Pod Security ${showValue(enforce)} because runner ${who}, whose jobs run privileged, shares it: job pods of ${runner.name} there could run privileged too, share the host's namespaces or mount its paths`, { received: showValue(enforce), allowed: 'baseline or restricted', fix: `give runner ${who} its own namespace (${forcing.map((r) => `runners[${r.index}].placement.namespace`).join(', ')}), so ${ns.metadata.name} can enforce baseline` }));
  } else if (weaker) {
    out.push(f('RF307', `${rp}.placement.namespace`, `namespace ${ns.metadata.name} enforces Pod Security ${showValue(enforce)}: job pods there could run privileged, share the host's namespaces or mount its paths`, { received: showValue(enforce), allowed: privileged ? 'privileged (jobs.privileged is accepted), baseline or restricted' : 'baseline or restricted', fix: `label the namespace ${PSA}/enforce=baseline; runner-fleet always does, regenerate`, ...(privileged ? { deploymentAllowed: 'privileged (the jobs run privileged), baseline or restricted' } : {}), deploymentFix: `${privileged ? 'stop running jobs privileged (RF301), then ' : ''}label namespace ${ns.metadata.name} ${PSA}/enforce=baseline` }));
  }
  const given = emitted.helmValues;
  // What the pod gets: the values given over the chart's own defaults. Where the chart's values.yaml
  // is replaced (helmDefaultsReplaced) and its defaults would decide, the doctor says so (RF903) and
  // nothing is judged here.
  const values = given && emitted.helmDefaultsReplaced && chartDefaultsDecide(given) ? undefined : given;
  const violations = values ? restrictedViolations(overChartDefaults(CHART_POD_SECURITY_CONTEXT, values.podSecurityContext), overChartDefaults(CHART_SECURITY_CONTEXT, values.securityContext)) : [];
  if (values && violations.length > 0) {
    const clears = restrictedClears(violations, 'chart');
    out.push(f('RF308', `${rp}.manager`, `the manager pod of ${runner.name} does not meet Pod Security restricted: ${violations.join('; ')}`, {
      ...adviceThenRegenerate('set runAsNonRoot, allowPrivilegeEscalation: false, capabilities.drop [ALL] and seccompProfile RuntimeDefault in the chart values', 'runner-fleet always does, regenerate'),
      deploymentFix: `set ${clears.join(', ')} in the chart values (the chart's own securityContext sets the rest)`,
    }));
  }
  const proofs = [
    { claim: `namespace ${ns.metadata.name} enforces Pod Security ${String(enforce ?? 'nothing')}${privileged ? ' (privileged jobs accepted)' : ''}`, holds: !out.some((x) => x.code === 'RF307') },
    ...(values ? [{ claim: 'the manager pod meets Pod Security restricted', holds: violations.length === 0 }] : []),
    // Jobs that run privileged are not confined by a profile anyway: no claim for them. Nor for a
    // config.toml that sets neither a pod_spec patch nor the flag (a deployment runner-fleet did not
    // write, which leaves the profile to the cluster: kubelet seccompDefault): nothing to prove there.
    ...(privileged || !triesPodSpec(emitted.configToml) ? [] : [{ claim: 'config.toml gives job pods the RuntimeDefault seccomp profile (a pod_spec patch, FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on)', holds: jobPodSeccomp(emitted.configToml) }]),
  ];
  return { findings: out, proofs };
}

/** A JSON text by JSON.parse, any other by the YAML reader (YAML 1.2 reads JSON the same). */
function jsonOrYaml(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all (a YAML flow mapping): the YAML reader decides.
    }
  }
  return parseYaml(text) as unknown;
}
