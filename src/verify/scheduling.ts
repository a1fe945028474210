import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { get } from './get.js';

/**
 * The scheduling proof: every runner's manager pod and job pods fit on some node pool of their
 * cluster — the pool's labels satisfy the pod's nodeSelector and every NoSchedule/NoExecute
 * taint of the pool is tolerated. Inputs are explicit: node pools read from the emitted cluster
 * Terraform (with the labels and taints the cloud adds by itself) and pods read from the emitted
 * `config.toml` and Helm values. Known only for clusters runner-fleet creates; for an existing
 * cluster the node pools are not in any document, so nothing is claimed.
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** A Kubernetes toleration; an absent key with Exists tolerates every taint, an absent effect every effect. */
export interface Toleration {
  key?: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: TaintEffect;
}

export interface NodePool {
  /** Node group or node pool name. */
  name: string;
  /** Labels every node of the pool carries, including the ones the cloud adds. */
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
  /** Spot capacity: nodes can be reclaimed under a running pod. */
  spot: boolean;
}

export interface PodIntent {
  runner: string;
  /** Spec path of the runner, e.g. `runners[0]`. */
  runnerPath: string;
  purpose: 'manager' | 'jobs';
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly Toleration[];
}

export interface SchedulingInput {
  cluster: string;
  /** Spec path of the node pools, for the fix. */
  poolsPath: string;
  pools: readonly NodePool[];
  pods: readonly PodIntent[];
}

export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.key === undefined) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why a pod does not fit a pool, or undefined when it fits. */
export function misfit(pod: PodIntent, pool: NodePool): string | undefined {
  const missing = Object.entries(pod.nodeSelector).filter(([k, v]) => pool.labels[k] !== v);
  if (missing.length > 0) return `its nodes lack ${missing.map(([k, v]) => `${k}=${v}`).join(', ')}`;
  const untolerated = pool.taints.filter((t) => t.effect !== 'PreferNoSchedule' && !tolerates(pod.tolerations, t));
  if (untolerated.length > 0) return `its taint ${untolerated.map(taintText).join(', ')} is not tolerated`;
  return undefined;
}

export function taintText(t: Taint): string {
  return `${t.key}${t.value !== undefined ? `=${t.value}` : ''}:${t.effect}`;
}

export function proveScheduling(inputs: readonly SchedulingInput[]): { findings: Finding[]; proofs: { runner: string; claim: string; holds: boolean }[] } {
  const findings: Finding[] = [];
  const proofs: { runner: string; claim: string; holds: boolean }[] = [];
  for (const input of inputs) {
    for (const pod of input.pods) {
      const fits = input.pools.filter((p) => misfit(pod, p) === undefined);
      const who = pod.purpose === 'manager' ? 'the manager pod' : 'job pods';
      proofs.push({ runner: pod.runner, claim: `${who} ${pod.purpose === 'manager' ? 'fits' : 'fit'} node group ${fits.length > 0 ? fits.map((p) => p.name).join(', ') : '(none)'} of cluster ${input.cluster} (nodeSelector and taints)`, holds: fits.length > 0 });
      const setting = pod.purpose === 'manager' ? 'manager' : 'jobs';
      if (fits.length === 0) {
        const code = pod.purpose === 'manager' ? 'RF802' : 'RF801';
        const reasons = input.pools.map((p) => `${p.name}: ${misfit(pod, p)!}`).join('; ');
        findings.push({
          code,
          severity: CODES[code].severity,
          path: `${pod.runnerPath}.${setting}.nodeSelector`,
          message: `${who} of runner ${pod.runner} fit no node group of cluster ${input.cluster}, so they stay Pending (${reasons})`,
          received: JSON.stringify({ nodeSelector: pod.nodeSelector, tolerations: pod.tolerations }),
          allowed: input.pools.map((p) => `${p.name} {${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(', ')}}${p.taints.length ? ` taints ${p.taints.map(taintText).join(', ')}` : ''}`).join('; '),
          fix: `give a node group in ${input.poolsPath} the labels of ${pod.runnerPath}.${setting}.nodeSelector, or tolerate its taints in ${pod.runnerPath}.${setting}.tolerations`,
          // A deployment states them where the chart and the executor read them.
          deploymentFix: pod.purpose === 'manager'
            ? `give a node group in ${input.poolsPath} the labels of nodeSelector in the chart values, or tolerate its taints in tolerations there`
            : `give a node group in ${input.poolsPath} the labels of [runners.kubernetes.node_selector] of the runner's config.toml, or tolerate its taints in [runners.kubernetes.node_tolerations]`,
        });
      } else if (pod.purpose === 'manager' && fits.every((p) => p.spot)) {
        findings.push({
          code: 'RF803',
          severity: CODES.RF803.severity,
          path: `${pod.runnerPath}.manager.nodeSelector`,
          message: `the manager of runner ${pod.runner} fits only spot node groups (${fits.map((p) => p.name).join(', ')}): a reclaimed node stops the manager and every job it was running`,
          fix: `add an on-demand node group the manager fits in ${input.poolsPath}, or select one with ${pod.runnerPath}.manager.nodeSelector`,
          deploymentFix: `add an on-demand node group the manager fits in ${input.poolsPath}, or select one with nodeSelector in the chart values`,
        });
      }
    }
  }
  return { findings, proofs };
}

const EFFECTS = new Set<string>(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** Job pod placement as gitlab-runner reads it from `[runners.kubernetes]` (node_selector, node_tolerations). */
export function jobPlacementFromToml(toml: unknown): { nodeSelector: Record<string, string>; tolerations: Toleration[] } {
  const runners = get(toml, 'runners');
  const first = Array.isArray(runners) ? (runners[0] as unknown) : undefined;
  const k8s = get(first, 'kubernetes');
  const nodeSelector: Record<string, string> = {};
  for (const [k, v] of Object.entries((get(k8s, 'node_selector') as Record<string, unknown> | undefined) ?? {})) nodeSelector[k] = String(v);
  const tolerations: Toleration[] = [];
  // `"key=value" = "effect"` is Equal, `"key" = "effect"` is Exists; an empty effect tolerates every effect.
  for (const [k, v] of Object.entries((get(k8s, 'node_tolerations') as Record<string, unknown> | undefined) ?? {})) {
    const [key, value] = k.split('=', 2);
    const effect = EFFECTS.has(String(v)) ? (String(v) as TaintEffect) : undefined;
    tolerations.push({ key: key === '' ? undefined : key, operator: value === undefined ? 'Exists' : 'Equal', ...(value !== undefined ? { value } : {}), ...(effect ? { effect } : {}) });
  }
  return { nodeSelector, tolerations };
}

/** Manager pod placement from the chart's values (nodeSelector, tolerations). */
export function managerPlacementFromValues(values: unknown): { nodeSelector: Record<string, string>; tolerations: Toleration[] } {
  const nodeSelector: Record<string, string> = {};
  for (const [k, v] of Object.entries((get(values, 'nodeSelector') as Record<string, unknown> | undefined) ?? {})) nodeSelector[k] = String(v);
  const raw = get(values, 'tolerations');
  const tolerations: Toleration[] = (Array.isArray(raw) ? raw : []).map((t: unknown) => {
    const key = get(t, 'key');
    const value = get(t, 'value');
    const effect = get(t, 'effect');
    return {
      ...(typeof key === 'string' && key !== '' ? { key } : {}),
      operator: get(t, 'operator') === 'Exists' ? 'Exists' : 'Equal',
      ...(typeof value === 'string' ? { value } : {}),
      ...(typeof effect === 'string' && EFFECTS.has(effect) ? { effect: effect as TaintEffect } : {}),
    };
  });
  return { nodeSelector, tolerations };
}

/**
 * The scheduling intent of a fleet: for each cluster whose node pools are known (created here),
 * the pods of its runners as the emitted `config.toml` and Helm values place them.
 */
export function schedulingInputs(
  docs: { runners: ReadonlyMap<string, { configToml: unknown; helmValues?: unknown }> },
  fleet: { clusters: readonly { name: string }[]; runners: readonly { name: string; index: number; cluster: string }[] },
  poolsOf: (clusterIndex: number) => { poolsPath: string; pools: NodePool[] } | undefined,
): SchedulingInput[] {
  const out: SchedulingInput[] = [];
  fleet.clusters.forEach((cluster, i) => {
    const known = poolsOf(i);
    if (!known) return;
    const pods: PodIntent[] = [];
    for (const r of fleet.runners.filter((x) => x.cluster === cluster.name)) {
      const emitted = docs.runners.get(r.name);
      if (!emitted) continue;
      const runnerPath = `runners[${r.index}]`;
      if (emitted.helmValues !== undefined) pods.push({ runner: r.name, runnerPath, purpose: 'manager', ...managerPlacementFromValues(emitted.helmValues) });
      pods.push({ runner: r.name, runnerPath, purpose: 'jobs', ...jobPlacementFromToml(emitted.configToml) });
    }
    out.push({ cluster: cluster.name, poolsPath: known.poolsPath, pools: known.pools, pods });
  });
  return out;
}
