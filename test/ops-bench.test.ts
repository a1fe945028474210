import { describe, expect, it } from 'vitest';
import { loadAndPlan } from '../src/cli/load.js';
import { minimalFleet } from './helpers/fleet.js';
import { harness, writeSpec } from './helpers/ops-world.js';

/**
 * `status` of a 200-runner fleet against the GitLab double: the calls it makes, by endpoint. It
 * lists each scope once (100 per page) and then reads each registered runner's details and
 * managers; running jobs are listed only for runners whose list entry says a job is running.
 * BENCHMARKS.md records a run of this test (its console line).
 */
// The suite checks the call formula on 20 runners; `npm run bench:ops` runs the 200-runner benchmark.
const N = process.env.RUNNER_FLEET_BENCH ? 200 : 20;
const PAGES = Math.ceil(N / 100);

describe(`status of a ${N}-runner fleet`, () => {
  it('uses list endpoints: calls grow with runners, not runners × fields', async () => {
    const spec = minimalFleet();
    const base = spec.runners[0];
    spec.runners = Array.from({ length: N }, (_, i) => ({ ...structuredClone(base), name: `r${String(i).padStart(3, '0')}`, gitlab: { group: 'acme', tags: [`t${i}`], registration: 'api' } }));
    const file = writeSpec(spec);
    const t0 = performance.now();
    const plan = await loadAndPlan(file);
    const planMs = performance.now() - t0;
    expect(plan.exitCode).toBe(0);
    const h = harness(file);
    await h.run('register', { approve: true });
    const busy = [...h.double.runners.values()].slice(0, 10);
    for (const r of busy) r.runningJobs = 2;
    const before = h.double.requests;
    const t1 = performance.now();
    const r = await h.run('status', { json: true });
    const statusMs = performance.now() - t1;
    const report = JSON.parse(r.out) as { apiCalls: number; runners: { registered: boolean; runningJobs: number }[] };
    expect(report.runners.every((x) => x.registered)).toBe(true);
    expect(report.runners.filter((x) => x.runningJobs === 2)).toHaveLength(10);
    const calls = h.double.requests - before;
    expect(calls).toBe(report.apiCalls);
    // List pages + one details and one managers call per runner + job lists of the busy runners only.
    expect(calls).toBe(PAGES + N + N + 10);
    const noManagers = await h.run('status', { json: true, managers: false });
    expect((JSON.parse(noManagers.out) as { apiCalls: number }).apiCalls).toBe(PAGES + N + 10);
    console.log(`status of ${N} runners against the GitLab double: ${calls} API calls (${PAGES} list page(s), ${N} GET /runners/:id, ${N} GET /runners/:id/managers, 10 GET /runners/:id/jobs for busy runners; ${PAGES + N + 10} with --no-managers), ${statusMs.toFixed(0)} ms; yardstick in the same run: plan of the same spec ${planMs.toFixed(0)} ms`);
  }, 60_000);
});
