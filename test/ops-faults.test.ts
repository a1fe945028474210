import { describe, expect, it } from 'vitest';
import { loadAndPlan } from '../src/cli/load.js';
import { markerText } from '../src/ops/marker.js';
import { count, duplicatesNow, harness, opsSpec, writeSpec, type Counts, type MemoryStore } from './helpers/ops-world.js';
import { seeded } from './helpers/gitlab-double.js';

/**
 * Randomized fault schedules across register, rotate, drain/resume and prune against the GitLab
 * double: 429 with Retry-After or RateLimit-Reset, 500/502/503, timeouts, connection resets, slow
 * answers, and answers lost after GitLab acted. Sleeps run on a virtual clock. After every
 * command there is never a duplicate runner; after the faulty sequence and one fault-free
 * `register` + `prune`, no runner is orphaned, no token is lost, and no token was ever printed.
 */

const SCHEDULES = Number(process.env.RUNNER_FLEET_FAULT_SCHEDULES ?? 1000);

describe('operations under API faults', () => {
  it(`${SCHEDULES} seeded fault schedules end with 0 duplicates, 0 orphans, 0 lost tokens, 0 tokens in output`, async () => {
    const file = writeSpec(opsSpec());
    const plan = await loadAndPlan(file);
    const totals: Counts = { duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 };
    let faults = 0;
    let failedCommands = 0;
    let duplicatesSeenMidway = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= SCHEDULES; seed++) {
      const rnd = seeded(seed * 7919);
      const h = harness(file, { seed, faultRate: 0.1 + rnd() * 0.25 });
      // Pre-existing state: a phantom of this fleet, a runner of nobody's, and sometimes a runner
      // created by a run that crashed before storing its token.
      const phantom = h.double.seedRunner({ runner_type: 'group_type', groupId: h.double.groups.get('acme/platform')!, description: `old ${markerText('acme', 'retired')}` });
      const foreign = h.double.seedRunner({ runner_type: 'group_type', groupId: h.double.groups.get('acme/platform')!, description: 'hand-made runner' });
      if (rnd() < 0.3) h.double.seedRunner({ runner_type: 'instance_type', description: `acme/autoscale (runner-fleet) ${markerText('acme', 'autoscale')}` });
      const steps: [Parameters<typeof h.run>[0], Parameters<typeof h.run>[1]][] = [
        ['register', { approve: true }],
        ['rotate', { approve: true, wait: '2m' }],
        ['drain', { approve: true, runner: 'k8s', timeout: '1h' }],
        ['resume', { approve: true, runner: 'k8s' }],
        ['prune', { approve: true }],
      ];
      for (const [command, opts] of steps) {
        if (command === 'drain') {
          const k8s = [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', 'k8s')));
          if (k8s) Object.assign(k8s, { runningJobs: 2, jobsEndAt: h.clock.now() + rnd() * 120_000 });
        }
        // Stores fail too, sometimes, right after GitLab acted.
        if (command === 'register' && rnd() < 0.2) (h.world.store!({ name: 'docker' } as never, {}) as MemoryStore).failWrites++;
        const r = await h.run(command, opts);
        if (r.code !== 0 && command !== 'status') failedCommands++;
        duplicatesSeenMidway += duplicatesNow(h, 'acme');
      }
      faults += h.double.faultLog.length;
      // Converge without faults: what an operator does after a failed run.
      h.double.opts.faultRate = 0;
      for (const st of h.stores.values()) st.failWrites = 0;
      await h.run('register', { approve: true });
      await h.run('prune', { approve: true });
      const c = count(h, plan);
      if (!h.double.runners.has(foreign.id)) failures.push(`seed ${seed}: the foreign runner was deleted`);
      if (h.double.runners.has(phantom.id)) failures.push(`seed ${seed}: the phantom survived`);
      for (const k of Object.keys(totals) as (keyof Counts)[]) totals[k] += c[k];
      if (c.duplicates + c.orphans + c.lostTokens + c.tokensInOutput > 0) failures.push(`seed ${seed}: ${JSON.stringify(c)}`);
    }
    console.log(`fault schedules: ${SCHEDULES}, faults injected: ${faults}, commands that failed and were converged: ${failedCommands}; duplicates ${totals.duplicates + duplicatesSeenMidway}, orphaned runners ${totals.orphans}, lost tokens ${totals.lostTokens}, tokens in output ${totals.tokensInOutput}`);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(duplicatesSeenMidway).toBe(0);
    expect(totals).toEqual({ duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 });
    expect(faults).toBeGreaterThan(SCHEDULES);
  }, 120_000);
});
