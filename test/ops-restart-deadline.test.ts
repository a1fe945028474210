import { describe, expect, it } from 'vitest';
import { opsReportSchema } from '../src/ops/report.js';
import { KEY_VAULT_SYNC_WAIT_MS, waitForCsiSync } from '../src/ops/csi-sync.js';
import type { RestartLimit } from '../src/ops/ports.js';
import { EventClock } from './helpers/event-clock.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * A Key Vault runner's restart waits up to 150 s for the Secrets Store CSI driver to sync the new
 * token into the chart's Secret, four restarts at once. The restarts of one command share one
 * deadline (--restart-deadline, default 15m): a wait that reaches it ends, that runner is reported
 * as not finished in time (failed, exit 1), and a runner whose turn comes after it is not started.
 * On a clock where concurrent sleeps overlap (EventClock); the CSI driver here never syncs.
 */

/** The operations spec with five more Kubernetes runners: nine in all. */
function nineRunners(): string {
  const s = opsSpec();
  for (let i = 0; i < 5; i++) s.runners.push({ ...JSON.parse(JSON.stringify(s.runners[0])), name: `extra${i}` });
  return writeSpec(s);
}

describe('one deadline for the manager restarts of a command (Key Vault CSI sync waits)', () => {
  it('rotate --restart-deadline 4m, nine runners whose CSI sync never comes: 4 restarted after 150 s, 4 cut at 240 s (not finished in time), 1 not started; exit 1; 240 s in all', async () => {
    const h = harness(nineRunners());
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const clock = new EventClock();
    h.world.timing = clock;
    const limits: (RestartLimit | undefined)[] = [];
    const waits: string[] = [];
    for (const [name, s] of h.stores) {
      const restart = s.restartManager.bind(s);
      s.restartManager = async (limit?: RestartLimit) => {
        limits.push(limit);
        // The synced Secret keeps the old token: the driver never syncs.
        await waitForCsiSync(() => Promise.resolve('glrt-old'), 'glrt-new', { secretName: `acme-${name}-runner-token`, namespace: 'ci-k8s', secret: `${name}-runner-token`, deployment: `${name}-gitlab-runner` }, clock, (l) => waits.push(`${name}: ${l}`), limit);
        await restart();
      };
    }
    const before = new Map([...h.stores].map(([name, s]) => [name, s.restarts]));
    const restartsNow = (name: string) => h.stores.get(name)!.restarts - before.get(name)!;
    const t0 = clock.now();
    const r = await h.run('rotate', { approve: true, wait: '0s', json: true, restartDeadline: '4m' });
    const took = clock.now() - t0;
    expect(took).toBe(240_000);
    expect(r.code).toBe(1);
    const report = opsReportSchema.parse(JSON.parse(r.out));
    const byOutcome = (re: RegExp) => report.results!.filter((x) => re.test(x.detail)).map((x) => x.runner);
    const restarted = byOutcome(/^token rotated and stored; manager restarted \(not waiting/);
    const cut = byOutcome(/^token rotated and stored, but the manager was not restarted: the Secrets Store CSI driver had not synced acme-\S+-runner-token into Secret ci-k8s\/\S+-runner-token when the deadline of this command's manager restarts \(--restart-deadline 4m\) passed \(waited 90 s\): not finished in time, the manager was not restarted; the new token is stored in Key Vault: once the Secret holds it, restart the manager \(kubectl rollout restart deployment\/\S+-gitlab-runner -n ci-k8s\)$/);
    const notStarted = byOutcome(/^not started: the deadline of this command's manager restarts \(--restart-deadline 4m\) passed before the turn of \S+; nothing of it was changed: run the command again$/);
    expect([restarted.length, cut.length, notStarted.length]).toEqual([4, 4, 1]);
    for (const x of report.results!) expect(x.outcome).toBe(restarted.includes(x.runner) ? 'done' : 'failed');
    // Every restart was given the same deadline: 4 min after the apply began.
    expect(new Set(limits.map((l) => JSON.stringify(l)))).toEqual(new Set([JSON.stringify({ until: t0 + 240_000, name: '--restart-deadline 4m' })]));
    // The runner not started kept its token; the others' tokens are rotated and stored.
    const skipped = notStarted[0]!;
    const runnerOf = (name: string) => [...h.double.runners.values()].find((x) => x.id === h.stores.get(name)!.value!.runnerId)!;
    expect(restartsNow(skipped)).toBe(0);
    expect(h.stores.get(skipped)!.value!.token).toBe(runnerOf(skipped).token);
    for (const name of [...restarted, ...cut]) expect(h.stores.get(name)!.value!.token).toBe(runnerOf(name).token);
    // The waits were said, and the restarts cut were not restarted.
    expect(waits.some((l) => l.includes(`(0 s of ${KEY_VAULT_SYNC_WAIT_MS / 1000} s)`))).toBe(true);
    for (const name of cut) expect(restartsNow(name)).toBe(0);
    for (const name of restarted) expect(restartsNow(name)).toBe(1);
  });

  it('the default deadline is 15m: the same fleet finishes as before (three rounds of 150 s, every runner restarted)', async () => {
    const h = harness(nineRunners());
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const clock = new EventClock();
    h.world.timing = clock;
    for (const [name, s] of h.stores) {
      const restart = s.restartManager.bind(s);
      s.restartManager = async (limit?: RestartLimit) => {
        expect(limit?.name).toBe('--restart-deadline 15m');
        await waitForCsiSync(() => Promise.resolve('glrt-old'), 'glrt-new', { secretName: `acme-${name}-runner-token`, namespace: 'ci-k8s', secret: `${name}-runner-token`, deployment: `${name}-gitlab-runner` }, clock, () => undefined, limit);
        await restart();
      };
    }
    const t0 = clock.now();
    const r = await h.run('rotate', { approve: true, wait: '0s', json: true });
    expect(clock.now() - t0).toBe(3 * KEY_VAULT_SYNC_WAIT_MS);
    expect(r.code, r.out).toBe(0);
  });

  it.each([
    ['not a duration', '15 minutes', /--restart-deadline "15 minutes" is not a duration such as 3h, 30m or 90s/],
    ['zero', '0s', /--restart-deadline "0s" leaves no time for a restart/],
  ])('--restart-deadline %s: exit 2 before any call', async (_name, value, message) => {
    const h = harness(nineRunners());
    const r = await h.run('rotate', { approve: true, restartDeadline: value });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(h.double.requests).toBe(0);
  });
});
