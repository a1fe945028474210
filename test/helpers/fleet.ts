import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { planText, planValue, synthFiles, type PlanResult } from '../../src/core.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES_DIR = join(ROOT, 'examples');

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

export function exampleText(name: string): string {
  return readFileSync(join(EXAMPLES_DIR, `${name}.yaml`), 'utf8');
}

export function planExample(name: string): PlanResult {
  return planText(exampleText(name), `examples/${name}.yaml`);
}

export function exampleFiles(name: string) {
  return synthFiles(planExample(name));
}

/** A Terraform JSON root as the damage helpers see it. */
export type DamagedRoot = { resource: Record<string, Record<string, Record<string, unknown>>>; provider?: Record<string, unknown> };

/** What synth writes for an example, as the doctor's input files, with one JSON file changed by `change`. */
export function damagedFiles(example: string, path: string, change: (root: DamagedRoot) => void): { path: string; bytes: Uint8Array }[] {
  return exampleFiles(example).map((f) => {
    if (f.path !== path) return { path: f.path, bytes: new TextEncoder().encode(f.content) };
    const root = JSON.parse(f.content) as DamagedRoot;
    change(root);
    return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(root, null, 2)) };
  });
}

/** A fresh, mutable copy of an example spec as a plain value. */
export function exampleValue(name: string): Record<string, any> {
  return parseYaml(exampleText(name)) as Record<string, any>;
}

/**
 * An example spec whose runners are replicated to n: copy i is the example's runner i mod its
 * runner count, named `<name>-<i>`, in namespace `<namespace>-<i>` where it names one; `edit`
 * changes a copy further.
 */
export function replicatedExample(name: string, n: number, edit: (runner: Record<string, any>, i: number) => void = () => undefined): Record<string, any> {
  const spec = exampleValue(name);
  const base = spec.runners as Record<string, any>[];
  spec.runners = Array.from({ length: n }, (_, i) => {
    const r = structuredClone(base[i % base.length]!);
    r.name = `${String(r.name)}-${i}`;
    if (r.placement?.namespace) r.placement.namespace = `${String(r.placement.namespace)}-${i}`;
    edit(r, i);
    return r;
  });
  return spec;
}

/** Plans a mutated copy of an example. */
export function planMutated(name: string, mutate: (spec: Record<string, any>) => void): PlanResult {
  const spec = exampleValue(name);
  mutate(spec);
  return planValue(spec);
}

/** A small valid fleet (one EKS cluster, one S3 cache, one runner) that tests break one way at a time. */
export function minimalFleet(): Record<string, any> {
  return {
    apiVersion: 'runner-fleet/v1alpha1',
    kind: 'Fleet',
    metadata: { name: 'acme' },
    gitlab: { url: 'https://gitlab.com' },
    aws: { accountId: '123456789012', region: 'eu-central-1' },
    clusters: [{ name: 'devops', type: 'eks', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789' }],
    caches: [{ name: 'shared', type: 's3', bucket: 'acme-cache' }],
    runners: [{ name: 'dev', placement: { cluster: 'devops' }, gitlab: { group: 'acme', tags: ['k8s'] }, cache: { name: 'shared' } }],
  };
}

/**
 * Proofs an example fails by design, each explained by a risk its spec accepts (a finding with
 * `acceptedBecause` on the runner). aks-workload-identity: the terraform runner's jobs are Owner of
 * the subscription that holds its manager identity, so they can add a federated credential to it
 * and become it (RF602 says so, accepted for a protected landing-zone runner).
 */
export const FAILS_BY_DESIGN: Record<string, { runner: string; claim: string; accepted: string }[]> = {
  'aks-workload-identity': [{ runner: 'terraform', claim: 'the job identity is not the manager identity', accepted: 'RF602' }],
};

/** The failing proofs of a plan that no accepted risk of FAILS_BY_DESIGN explains (expected: none). */
export function unexplainedFailures(name: string, plan: PlanResult): { runner: string; claim: string }[] {
  const runnerIndex = new Map((plan.fleet?.runners ?? []).map((r, i) => [r.name, i]));
  const explained = (FAILS_BY_DESIGN[name] ?? []).filter((x) =>
    plan.findings.some((f) => f.code === x.accepted && f.acceptedBecause !== undefined && f.path.startsWith(`runners[${runnerIndex.get(x.runner) ?? -1}]`)),
  );
  return plan.proofs.filter((p) => !p.holds && !explained.some((x) => x.runner === p.runner && x.claim === p.claim)).map((p) => ({ runner: p.runner, claim: p.claim }));
}
