import { afterEach, describe, expect, it, vi } from 'vitest';
import { planValue } from '../src/core.js';
import { fleetSubjects, verifyFleet, type FleetSubjectIndex } from '../src/verify/index.js';
import { intentOf, type FleetIntent, type IntentRunner } from '../src/verify/intent.js';
import { platformFor } from '../src/platforms/registry.js';
import { aksPlatform } from '../src/platforms/aks/index.js';
import type { FleetDocuments } from '../src/emit/types.js';
import type { IdentitySubject } from '../src/model/types.js';
import { replicatedExample } from './helpers/fleet.js';

/**
 * verifyFleet makes the fleet's subject index once and passes it to each runner's chain proof
 * (PlatformPlugin.verifyChain's `subjects`): aks's chain proof reads the subjects from it, not from a
 * cache of an earlier call found again. Observed with spies on the platform plugins; never timed.
 */

function planned(example: string, copies: number) {
  const plan = planValue(replicatedExample(example, copies));
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).not.toBe(2);
  return { docs: plan.emitted!, intent: intentOf(plan.fleet!), plan };
}

/** The index as verifyFleet makes it, built here from the platforms' subjects (nothing of verify/index.ts asked). */
function indexOf(docs: FleetDocuments, intent: FleetIntent): FleetSubjectIndex {
  const all = intent.clusters.flatMap((c) => platformFor(c.type).subjects(docs, intent, c));
  const byCluster = new Map<string, IdentitySubject[]>();
  for (const s of all) byCluster.set(s.cluster, [...(byCluster.get(s.cluster) ?? []), s]);
  return { all, byCluster };
}

const rp = (r: IntentRunner) => `runners[${r.index}]`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('verifyFleet passes its subject index to every chain proof', () => {
  for (const [example, copies] of [['mixed-aws-azure', 4], ['aks-workload-identity', 5], ['eks-irsa', 3]] as const) {
    it(`${example} (${copies} runners): one index, the fleet's subjects, for every runner`, () => {
      const { docs, intent } = planned(example, copies);
      const types = [...new Set(intent.clusters.map((c) => c.type))];
      const spies = types.map((t) => vi.spyOn(platformFor(t), 'verifyChain'));
      verifyFleet(intent, docs);
      const passed = spies.flatMap((s) => s.mock.calls.map((call) => call[4]));
      expect(passed.length).toBe(intent.runners.length);
      expect(passed[0]).toBeDefined();
      for (const p of passed) expect(p).toBe(passed[0]);
      expect(passed[0]!.all).toEqual(fleetSubjects(docs, intent));
    });
  }
});

describe("aks's chain proof reads the subjects it is given", () => {
  it('given an index, asks no platform for subjects, and finds what it finds without one', () => {
    const { docs, intent } = planned('aks-workload-identity', 4);
    const index = indexOf(docs, intent);
    const subjects = vi.spyOn(aksPlatform, 'subjects');
    const given = intent.runners.map((r) => aksPlatform.verifyChain(docs, intent, r, rp(r), index));
    expect(subjects).not.toHaveBeenCalled();
    const made = intent.runners.map((r) => aksPlatform.verifyChain(docs, intent, r, rp(r)));
    expect(given).toEqual(made);
  });

  it("a credential is matched against the index's subjects: an index without the runner's service accounts refutes the chain (RF603)", () => {
    const { docs, intent } = planned('aks-workload-identity', 3);
    const index = indexOf(docs, intent);
    for (const r of intent.runners) {
      expect(aksPlatform.verifyChain(docs, intent, r, rp(r), index).filter((x) => x.code === 'RF603')).toEqual([]);
      // The same fleet's index with this runner's namespace left out: its credentials match no service account of it.
      const others = index.all.filter((s) => s.kind !== 'kubernetes' || s.namespace !== r.kubernetes!.namespace);
      expect(others.length).toBeLessThan(index.all.length);
      const without = aksPlatform.verifyChain(docs, intent, r, rp(r), { all: others, byCluster: new Map([[r.cluster, others]]) });
      expect(without.filter((x) => x.code === 'RF603').map((x) => x.message).join('\n')).toContain('matches no service account');
    }
  });
});

describe('managerPods: asked of the platforms that have it, and only for their runners', () => {
  it('an eks fleet looks up no runner for manager pods: each runner is looked up in the Azure roots once, for its own view', () => {
    const { docs, intent } = planned('eks-irsa', 4);
    expect(intent.runners.every((r) => r.jobIdentity !== undefined)).toBe(true);
    const asked: string[] = [];
    // A deployment of several Azure roots (the doctor's), none of them these runners': ownAzure looks each runner up in it.
    const runnerAzure = new Map() as NonNullable<FleetDocuments['runnerAzure']>;
    const get = runnerAzure.get.bind(runnerAzure);
    runnerAzure.get = (name: string) => (asked.push(name), get(name));
    const verification = verifyFleet(intent, { ...docs, runnerAzure });
    expect(verification.findings).toEqual(verifyFleet(intent, docs).findings);
    // The first runner of each cache reads the cache in its own deployment (once per cache).
    const cacheUsers = new Set(intent.caches.map((c) => intent.runners.find((r) => r.cache?.cache === c.name)?.name));
    for (const r of intent.runners) expect(asked.filter((n) => n === r.name).length, r.name).toBe(cacheUsers.has(r.name) ? 2 : 1);
  });
});
