import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { planMutated } from './helpers/fleet.js';
import type { PlanResult } from '../src/core.js';
import { serializeArtifact } from '../src/emit/serialize.js';
import { doctor } from '../src/doctor/index.js';

/**
 * Runners that share a namespace share one Namespace object: a namespace has one Pod Security
 * level per mode. It is written once (in the first runner's folder) with the most permissive level
 * any of its runners needs, and a runner that did not ask for privileged jobs is told its
 * namespace enforces privileged because of the other one (RF307), and which change fixes it.
 */
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const key = (p: { runner: string; claim: string; holds: boolean }) => `${p.runner}|${p.claim}|${String(p.holds)}`;

function shared(example: string, privileged: boolean): PlanResult {
  return planMutated(example, (s) => {
    for (const r of s.runners) r.placement.namespace = 'ci-shared';
    if (privileged) {
      s.runners[0].jobs.privileged = true;
      s.runners[0].acceptRisks = [...(s.runners[0].acceptRisks ?? []), { code: 'RF301', reason: 'docker-in-docker builds' }];
    }
  });
}

/** The files synth writes (it refuses a plan with errors: the documents are serialized here as it would). */
const synthesized = (plan: PlanResult) => plan.emitted!.artifacts.map(serializeArtifact);

function namespaceFiles(plan: PlanResult) {
  return synthesized(plan)
    .filter((f) => f.path.startsWith('kubernetes/'))
    .flatMap((f) => parseAllDocuments(f.content).map((d) => ({ path: f.path, doc: d.toJS() as Record<string, any> | null })))
    .filter((d) => d.doc?.kind === 'Namespace');
}

const inputs = (plan: PlanResult) => synthesized(plan).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }));

describe.each(['eks-irsa'])('%s: two runners in one namespace', (example) => {
  it('one privileged runner: one Namespace, enforcing privileged, written in the first runner\'s folder', () => {
    const plan = shared(example, true);
    const [first] = plan.fleet!.runners;
    const ns = namespaceFiles(plan);
    expect(ns.map((n) => n.path)).toEqual([`kubernetes/${first!.name}/namespace.yaml`]);
    expect(ns[0]!.doc!.metadata.labels[ENFORCE]).toBe('privileged');
    // Every runner's documents carry the same object, so the proofs read what is applied.
    for (const r of plan.fleet!.runners) expect(plan.emitted!.runners.get(r.name)!.manifests.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.labels?.[ENFORCE])).toEqual(['privileged']);
  });

  it('one privileged runner: the other runner\'s proof says privileged and fails, RF307 names who forces it and the fix', () => {
    const plan = shared(example, true);
    const [first, second] = plan.fleet!.runners;
    const proofs = plan.proofs.map(key);
    expect(proofs).toContain(`${first!.name}|namespace ci-shared enforces Pod Security privileged (privileged jobs accepted)|true`);
    expect(proofs).toContain(`${second!.name}|namespace ci-shared enforces Pod Security privileged|false`);
    expect(proofs.filter((p) => p.includes('enforces Pod Security baseline'))).toEqual([]);
    const rf307 = plan.findings.filter((f) => f.code === 'RF307');
    expect(rf307).toHaveLength(1);
    expect(rf307[0]!.path).toBe('runners[1].placement.namespace');
    expect(rf307[0]!.message).toContain(`because runner ${first!.name}, whose jobs run privileged, shares it`);
    expect(rf307[0]!.fix).toContain(`give runner ${first!.name} its own namespace (runners[0].placement.namespace)`);
    expect(plan.exitCode).toBe(1);
  });

  it('one privileged runner: the doctor over the same files proves and finds the same', () => {
    const plan = shared(example, true);
    const result = doctor(inputs(plan));
    expect(result.proofs.map(key).sort()).toEqual(plan.proofs.map(key).sort());
    expect(result.findings.filter((f) => f.code === 'RF307').map((f) => f.message)).toEqual(plan.findings.filter((f) => f.code === 'RF307').map((f) => f.message));
  });

  it('no privileged runner: one Namespace enforcing baseline, every proof holds but the protected runner\'s job identity (RF310), the doctor agrees', () => {
    const plan = shared(example, false);
    const ns = namespaceFiles(plan);
    expect(ns).toHaveLength(1);
    expect(ns[0]!.doc!.metadata.labels[ENFORCE]).toBe('baseline');
    // build's manager may create pods in ci-shared, so it may run them as deploy-jobs (test/shared-namespace-66a.test.ts).
    expect(plan.proofs.filter((p) => !p.holds).map((p) => `${p.runner}|${p.claim}`)).toEqual(['deploy|only devops:ci-shared/deploy-jobs can assume the jobs role acme-deploy-jobs (6 service accounts tried)']);
    expect(plan.findings.filter((f) => f.code === 'RF310').map((f) => f.path)).toEqual(['runners[1].placement.namespace']);
    expect(plan.exitCode).toBe(0);
    const result = doctor(inputs(plan));
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(result.proofs.map(key).sort()).toEqual(plan.proofs.map(key).sort());
  });
});

describe('aks-workload-identity: two runners in one namespace', () => {
  it('the cluster\'s Terraform root creates one namespace, enforcing privileged; the other runner\'s proof fails with RF307', () => {
    const plan = shared('aks-workload-identity', true);
    const roots = synthesized(plan).filter((f) => /^terraform\/azure-k8s/.test(f.path));
    const namespaces = roots.flatMap((f) => Object.values((JSON.parse(f.content) as { resource: Record<string, Record<string, any>> }).resource.kubernetes_namespace_v1 ?? {}));
    expect(namespaces).toHaveLength(1);
    expect(namespaces[0].metadata.labels[ENFORCE]).toBe('privileged');
    const [first, second] = plan.fleet!.runners;
    expect(plan.proofs.map(key)).toContain(`${second!.name}|namespace ci-shared enforces Pod Security privileged|false`);
    expect(plan.findings.find((f) => f.code === 'RF307')?.message).toContain(`because runner ${first!.name}`);
  });
});
