import { describe, expect, it } from 'vitest';
import { markerText } from '../src/ops/marker.js';
import { opsReportSchema } from '../src/ops/report.js';
import type { FetchLike } from '../src/live/gitlab.js';
import { CANARY, harness, opsSpec, signals, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * Stop 55 (55c item 1): what `register` and `rotate` say when a signal was held while a new token
 * existed only in memory, and the step then ended without storing it. Before, the CLI took "the
 * step settled" (Held.done) for "the token was stored": a register that lost a race of two for
 * one runner (it deletes its own runner again) and a store taken by another owner while the
 * signal was held (the write is refused) both said "the new token was stored first". In process:
 * the signal handler is called from the GitLab transport at the request that issues the token.
 */

const OTHER_TOKEN = `glrt-${CANARY}otherfleet0000`;


/** Runs `before` once, right before the first request to `path` reaches GitLab. */
function atRequest(h: Harness, method: string, path: string, before: (body: Record<string, unknown>) => void) {
  const fetch = h.double.fetch;
  let done = false;
  const wrapped: FetchLike = (url, init) => {
    if (!done && init.method === method && new URL(url).pathname === `/api/v4${path}`) {
      done = true;
      before(init.body ? (JSON.parse(init.body) as Record<string, unknown>) : {});
    }
    return fetch(url, init);
  };
  h.world.fetch = wrapped;
}

const k8sIds = (h: Harness) => [...h.double.runners.values()].filter((r) => r.description.endsWith(markerText('acme', 'k8s'))).map((r) => r.id);
const firstReport = (out: string) => opsReportSchema.parse(JSON.parse(out.slice(0, out.indexOf('\n}\n') + 2)));

describe('a held signal whose step ended without storing the token', () => {
  it('register that lost a race of two for one runner: says it stored no token and deleted its runner again, never "stored first"', async () => {
    const h = harness(writeSpec(opsSpec()));
    const sig = signals(h);
    let winner = 0;
    // Another register creates the runner first (a lower id) while this one's POST /user/runners is on its way.
    atRequest(h, 'POST', '/user/runners', (body) => {
      winner = h.double.seedRunner({ description: body.description as string, runner_type: 'group_type', groupId: body.group_id as number }).id;
      sig.send('SIGINT');
    });
    const r = await h.run('register', { approve: true, runner: 'k8s', json: true });
    expect(sig.answers).toEqual(['hold']);
    expect(sig.exits).toEqual([130]);
    expect(k8sIds(h)).toEqual([winner]);
    expect(r.err).not.toContain('the new token was stored first');
    expect(r.err).toContain(`runner-fleet register: interrupted (Ctrl-C, SIGINT): another run created #${winner} for k8s first, so this run stored no token: #${winner + 1}, created by this one, was deleted again; nothing of this runner is left to repair`);
    const report = firstReport(r.out);
    expect(report.interrupted).toMatchObject({ signal: 'SIGINT', runner: 'k8s', stored: false, rerun: expect.stringContaining('register') });
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('register whose store another owner took while the signal was held: says the write was refused and the runner deleted again, never "stored first"', async () => {
    const h = harness(writeSpec(opsSpec()));
    const sig = signals(h);
    atRequest(h, 'POST', '/user/runners', () => {
      sig.send('SIGTERM');
      h.stores.get('k8s')!.value = { token: OTHER_TOKEN, owner: 'other/k8s', runnerId: 999, state: 'valid' };
    });
    const r = await h.run('register', { approve: true, runner: 'k8s', json: true });
    expect(sig.answers).toEqual(['hold']);
    expect(sig.exits).toEqual([143]);
    expect(k8sIds(h)).toEqual([]);
    expect(h.stores.get('k8s')!.value?.owner).toBe('other/k8s');
    expect(r.err).not.toContain('the new token was stored first');
    expect(r.err).toContain('runner-fleet register: interrupted (SIGTERM): the step of runner k8s ended while the signal was held, and the run stopped there: memory store of k8s now holds the token of other/k8s (runner #999), not acme/k8s');
    expect(r.err).toMatch(/Runner #\d+, created for it, was deleted again\./);
    const report = firstReport(r.out);
    expect(report.interrupted).toMatchObject({ signal: 'SIGTERM', runner: 'k8s', stored: false });
    expect(report.interrupted!.left).toContain('now holds the token of other/k8s');
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('rotate whose store another owner took after the reset: says the new token is stored nowhere because of that owner, not that the store holds the earlier token marked pending', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [id] = k8sIds(h);
    const sig = signals(h);
    atRequest(h, 'POST', '/runners/reset_authentication_token', () => {
      sig.send('SIGINT');
      h.stores.get('k8s')!.value = { token: OTHER_TOKEN, owner: 'other/k8s', runnerId: 999, state: 'valid' };
    });
    const r = await h.run('rotate', { approve: true, runner: 'k8s', wait: '0s' });
    expect(sig.answers).toEqual(['hold']);
    expect(sig.exits).toEqual([130]);
    const said = r.err.slice(r.err.indexOf('runner-fleet rotate: interrupted'));
    expect(said).not.toContain('holds the earlier token marked pending');
    expect(said).not.toContain('..');
    expect(r.err).toContain(`runner-fleet rotate: interrupted (Ctrl-C, SIGINT): the step of runner k8s ended while the signal was held, and the run stopped there: memory store of k8s now holds the token of other/k8s (runner #999), not acme/k8s (it changed after the plan was read): not written; the token of #${id} was reset in GitLab and is stored nowhere`);
    expect(h.output.join('')).not.toContain(CANARY);
  });
});
