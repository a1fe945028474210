import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../src/live/gitlab.js';
import { markerText } from '../src/ops/marker.js';
import { CANARY, harness, opsSpec, runOps, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * Stop 56 (56d item 3): a failed step skips the later steps of the same runner, and "the same
 * runner" is the runner, not its name. Before, Engine.run skipped by name: two phantoms of one
 * name (a runner renamed twice, or an entry moved to another scope with a duplicate left behind)
 * were one runner to it, so the first's failed delete skipped the second's delete. Now prune keys
 * its steps by the phantom's GitLab id: the second is deleted, and the first's own clear-token is
 * still skipped (its store must keep the token of a runner GitLab still has).
 */

const run = runOps;

/** DELETE /runners/`id` answers 409 (GitLab refuses it); every other call goes to the double. */
function refuseDeleteOf(h: Harness, id: number) {
  const fetch = h.double.fetch;
  const wrapped: FetchLike = (url, init) => {
    if (init.method === 'DELETE' && new URL(url).pathname === `/api/v4/runners/${id}`) {
      return Promise.resolve(new Response(JSON.stringify({ message: '409 Conflict' }), { status: 409, headers: { 'content-type': 'application/json' } }));
    }
    return fetch(url, init);
  };
  h.world.fetch = wrapped;
}

const line = (out: string, outcome: string, action: string, name: string, id: number) => new RegExp(`${outcome} +${action} ${name} #${id}:`).test(out);

describe('prune: a failed step skips the later steps of that phantom only', () => {
  it('two phantoms of one name: the first one\'s delete fails, the second is still deleted', async () => {
    const h = harness(writeSpec(opsSpec()));
    const a = h.double.seedRunner({ description: `old ${markerText('acme', 'gone')}`, runner_type: 'instance_type' });
    const b = h.double.seedRunner({ description: `older ${markerText('acme', 'gone')}`, runner_type: 'instance_type' });
    refuseDeleteOf(h, a.id);
    const r = await h.run('prune', { approve: true });
    expect(r.code).toBe(1);
    expect(line(r.out, 'failed', 'delete', 'gone', a.id), r.out).toBe(true);
    // Before: `skipped delete gone #b: an earlier step of this runner failed`.
    expect(line(r.out, 'done', 'delete', 'gone', b.id), r.out).toBe(true);
    expect(h.double.runners.has(a.id)).toBe(true);
    expect(h.double.runners.has(b.id)).toBe(false);
  });

  it('the second of two phantoms of one name fails: the first was deleted all the same', async () => {
    const h = harness(writeSpec(opsSpec()));
    const a = h.double.seedRunner({ description: `old ${markerText('acme', 'gone')}`, runner_type: 'instance_type' });
    const b = h.double.seedRunner({ description: `older ${markerText('acme', 'gone')}`, runner_type: 'instance_type' });
    refuseDeleteOf(h, b.id);
    const r = await h.run('prune', { approve: true });
    expect(r.code).toBe(1);
    expect(line(r.out, 'done', 'delete', 'gone', a.id), r.out).toBe(true);
    expect(line(r.out, 'failed', 'delete', 'gone', b.id), r.out).toBe(true);
  });

  it('an entry moved to another scope with a duplicate left there: the delete of the runner whose token the store holds fails, so its clear-token is skipped; the other phantom of that name is deleted', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const kept = [...h.double.runners.values()].find((x) => x.description.endsWith(markerText('acme', 'k8s')))!;
    const dup = h.double.seedRunner({ description: kept.description, runner_type: kept.runner_type, groupId: kept.groupId });
    const s = opsSpec();
    s.runners[0].gitlab.group = 'acme/platform';
    const moved = writeSpec(s);
    const plan = await run(h, 'prune', moved);
    expect(line(plan.out, '', 'clear-token', 'k8s', kept.id), plan.out).toBe(true);
    expect(line(plan.out, '', 'delete', 'k8s', dup.id), plan.out).toBe(true);
    refuseDeleteOf(h, kept.id);
    const token = h.stores.get('k8s')!.value!.token;
    const r = await run(h, 'prune', moved, { approve: true });
    expect(r.code).toBe(1);
    expect(line(r.out, 'failed', 'delete', 'k8s', kept.id), r.out).toBe(true);
    expect(r.out).toMatch(new RegExp(`skipped +clear-token k8s #${kept.id}: an earlier step of this runner failed`));
    expect(line(r.out, 'done', 'delete', 'k8s', dup.id), r.out).toBe(true);
    // The store keeps the token of the runner GitLab still has.
    expect(h.stores.get('k8s')!.value!.token).toBe(token);
    expect(h.double.runners.has(dup.id)).toBe(false);
    expect(h.output.join('')).not.toContain(CANARY);
  });
});

describe('register, unregister: an entry\'s steps are still one runner\'s', () => {
  it('unregister: a failed delete of one of the entry\'s runners skips the clear-token of its store', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const kept = [...h.double.runners.values()].find((x) => x.description.endsWith(markerText('acme', 'k8s')))!;
    refuseDeleteOf(h, kept.id);
    const r = await h.run('unregister', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/skipped +clear-token k8s: an earlier step of this runner failed/);
    expect(h.stores.get('k8s')!.value?.token).toBe(kept.token);
  });
});
