import { afterEach, describe, expect, it, vi } from 'vitest';
import { planValue } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { platformFor } from '../src/platforms/registry.js';
import { replicatedExample } from './helpers/fleet.js';

/**
 * verifyFleet asks each platform for the subjects of each of its clusters once (the all-pairs proof
 * and aks's chain proof share that list), and aks for each runner's manager namespace once (the
 * runner's own check and the index of every runner's namespace share it). Counted with spies on the
 * platform plugins, never timed; the findings and proofs stay those of plan.
 */

function planOf(example: string, copies: number) {
  const plan = planValue(replicatedExample(example, copies));
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).not.toBe(2);
  return plan;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('verifyFleet: shared work done once per fleet and per runner', () => {
  for (const [example, copies] of [['aks-workload-identity', 7], ['mixed-aws-azure', 6], ['aks-key-vault', 5], ['eks-irsa', 5]] as const) {
    it(`${example} (${copies} runners): subjects once per cluster, managerPods once per runner, same findings and proofs`, () => {
      const plan = planOf(example, copies);
      const intent = intentOf(plan.fleet!);
      const types = [...new Set(intent.clusters.map((c) => c.type))];
      const subjects = new Map(types.map((t) => [t, vi.spyOn(platformFor(t), 'subjects')]));
      const pods = new Map(types.filter((t) => platformFor(t).managerPods !== undefined).map((t) => [t, vi.spyOn(platformFor(t), 'managerPods')]));
      const verification = verifyFleet(intent, plan.emitted!);
      for (const t of types) {
        const clusters = intent.clusters.filter((c) => c.type === t);
        // Each cluster asked once, in the clusters' order.
        expect.soft(subjects.get(t)!.mock.calls.map((call) => call[2].name), `${t}.subjects`).toEqual(clusters.map((c) => c.name));
      }
      for (const [t, spy] of pods) {
        const runners = intent.runners.filter((r) => intent.clusters.find((c) => c.name === r.cluster)?.type === t);
        expect(runners.length).toBeGreaterThan(1);
        // Asked for every runner of the platform (its jobs have Azure permissions), once each.
        expect.soft(spy.mock.calls.map((call) => call[2].name).sort(), `${t}.managerPods`).toEqual(runners.map((r) => r.name).sort());
      }
      expect(verification.proofs).toEqual(plan.proofs);
      expect(plan.findings).toEqual(expect.arrayContaining(verification.findings));
    });
  }
});
