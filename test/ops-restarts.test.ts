import { describe, expect, it } from 'vitest';
import { opsReportSchema } from '../src/ops/report.js';
import type { DesiredRunner } from '../src/ops/desired.js';
import { EventClock } from './helpers/event-clock.js';
import { harness, opsSpec, writeSpec, type MemoryStore } from './helpers/ops-world.js';

/**
 * Manager restarts that take long (a Key Vault runner's waits up to 150 s for the CSI driver's
 * sync) run side by side, at most four at once, while the next runners' tokens are rotated: a
 * fleet costs rounds of one restart, not one restart per runner in a row. Each runner's outcome
 * is its own. On a clock where concurrent sleeps overlap (EventClock).
 */
const RESTART_MS = 150_000;

/** The operations spec with five more Kubernetes runners: nine in all. */
function nineRunners(): string {
  const s = opsSpec();
  for (let i = 0; i < 5; i++) s.runners.push({ ...JSON.parse(JSON.stringify(s.runners[0])), name: `extra${i}` });
  return writeSpec(s);
}

/** Makes every store's restart take RESTART_MS on `clock`, counting how many run at once; `failing`'s restart fails. */
function slowRestarts(clock: EventClock, failing: string) {
  const seen = { inFlight: 0, most: 0, started: [] as string[] };
  const slow = (name: string, s: MemoryStore) => {
    s.restartManager = async () => {
      seen.inFlight++;
      seen.most = Math.max(seen.most, seen.inFlight);
      seen.started.push(name);
      await clock.sleep(RESTART_MS);
      seen.inFlight--;
      s.restarts++;
      if (name === failing) throw new Error(`cannot restart Deployment ci-k8s/${name}-gitlab-runner: HTTP 404`);
    };
  };
  return { seen, slow };
}

describe('manager restarts run side by side, at most 4 at once, each runner reported', () => {
  it('rotate: nine restarts of 150 s take three rounds (450 s), not nine in a row (1,350 s); a failed restart fails only its runner', async () => {
    const h = harness(nineRunners());
    expect((await h.run('register', { approve: true })).code).toBe(0);
    expect(h.stores.size).toBe(9);
    const clock = new EventClock();
    h.world.timing = clock;
    const { seen, slow } = slowRestarts(clock, 'extra2');
    for (const [name, s] of h.stores) slow(name, s);
    const t0 = clock.now();
    const r = await h.run('rotate', { approve: true, wait: '0s', json: true });
    const took = clock.now() - t0;
    expect(seen.started).toHaveLength(9);
    expect(seen.most).toBe(4);
    expect(took).toBe(3 * RESTART_MS);
    expect(r.code).toBe(1);
    const report = opsReportSchema.parse(JSON.parse(r.out));
    expect(report.results).toHaveLength(9);
    for (const x of report.results!) {
      if (x.runner === 'extra2') {
        expect(x.outcome).toBe('failed');
        expect(x.detail).toBe('token rotated and stored, but the manager was not restarted: cannot restart Deployment ci-k8s/extra2-gitlab-runner: HTTP 404');
      } else {
        expect(x.outcome).toBe('done');
        expect(x.detail).toBe('token rotated and stored; manager restarted (not waiting for it to come online)');
      }
    }
    // Every token was rotated and stored, the one whose restart failed too.
    for (const [, s] of h.stores) expect(s.value!.token).toBe([...h.double.runners.values()].find((x) => x.id === s.value!.runnerId)!.token);
  });

  it('register: nine new runners whose restarts take 150 s each are registered in three rounds too; a failed restart is said in its step', async () => {
    const h = harness(nineRunners());
    const clock = new EventClock();
    h.world.timing = clock;
    const { seen, slow } = slowRestarts(clock, 'docker');
    const open = h.world.store!;
    h.world.store = (d: DesiredRunner, o) => {
      const known = h.stores.has(d.name);
      const s = open(d, o) as MemoryStore;
      if (!known) slow(d.name, s);
      return s;
    };
    const t0 = clock.now();
    const r = await h.run('register', { approve: true, json: true });
    const took = clock.now() - t0;
    expect(r.code).toBe(0);
    expect(seen.started).toHaveLength(9);
    expect(seen.most).toBe(4);
    expect(took).toBe(3 * RESTART_MS);
    const report = opsReportSchema.parse(JSON.parse(r.out));
    const creates = report.results!.filter((x) => x.action === 'create');
    expect(creates).toHaveLength(9);
    for (const x of creates) {
      expect(x.outcome).toBe('done');
      expect(x.detail).toMatch(x.runner === 'docker' ? /^created #\d+, token stored; manager not restarted \(cannot restart Deployment ci-k8s\/docker-gitlab-runner: HTTP 404\)$/ : /^created #\d+, token stored; manager restarted$/);
    }
  });
});
