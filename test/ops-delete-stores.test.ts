import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../src/live/gitlab.js';
import { markerText } from '../src/ops/marker.js';
import { opsReportSchema } from '../src/ops/report.js';
import { CANARY, harness, opsSpec, runOps, signals, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * Stop 55 (55c items 3 and 4): prune and unregister leave no store holding a token of a runner
 * they deleted, and hold Ctrl-C / SIGTERM between deleting a runner and emptying its store.
 * Before, prune deleted a phantom whose token was in a spec entry's store (the entry moved to
 * another scope in the spec) and left that dead token there; neither command had a signal
 * handler, so a signal between the delete and the store write ended the process with nothing said.
 */

/** The spec with runner k8s moved from group acme to its subgroup acme/platform: its runner in acme becomes a phantom. */
function movedSpec(): string {
  const s = opsSpec();
  s.runners[0].gitlab.group = 'acme/platform';
  return writeSpec(s);
}

const run = runOps;

const k8sRunners = (h: Harness) => [...h.double.runners.values()].filter((r) => r.description.endsWith(markerText('acme', 'k8s')));


/** Calls `before` once, right before the first DELETE of a runner reaches GitLab. */
function atDelete(h: Harness, before: () => void) {
  const fetch = h.double.fetch;
  let done = false;
  const wrapped: FetchLike = (url, init) => {
    if (!done && init.method === 'DELETE' && /\/api\/v4\/runners\/\d+$/.test(new URL(url).pathname)) {
      done = true;
      before();
    }
    return fetch(url, init);
  };
  h.world.fetch = wrapped;
}

describe('prune empties the store that holds a deleted phantom\'s token', () => {
  it('an entry moved to another scope: prune deletes its old runner and empties the entry\'s store, which held that runner\'s token', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [old] = k8sRunners(h);
    const moved = movedSpec();
    const plan = await run(h, 'prune', moved);
    expect(plan.out).toContain(`delete k8s #${old!.id}: phantom in group:acme or above`);
    expect(plan.out).toContain(`clear-token k8s #${old!.id}: empty memory store of k8s: it holds the token of phantom #${old!.id}, which the delete makes a token of no runner`);
    const r = await run(h, 'prune', moved, { approve: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`done +delete k8s #${old!.id}: deleted`));
    expect(r.out).toMatch(new RegExp(`done +clear-token k8s #${old!.id}: token removed`));
    expect(h.double.runners.has(old!.id)).toBe(false);
    expect(h.stores.get('k8s')!.value).toBeUndefined();
    // register then creates the runner in its new scope and stores its token.
    expect((await run(h, 'register', moved, { approve: true, runner: 'k8s' })).code).toBe(0);
    expect(h.stores.get('k8s')!.value?.runnerId).toBe(k8sRunners(h)[0]!.id);
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('a store that holds another runner\'s token (register ran after the move) is left alone', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [old] = k8sRunners(h);
    const moved = movedSpec();
    expect((await run(h, 'register', moved, { approve: true, runner: 'k8s' })).code).toBe(0);
    const now = h.stores.get('k8s')!.value;
    expect(now?.runnerId).not.toBe(old!.id);
    const r = await run(h, 'prune', moved, { approve: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain('clear-token');
    expect(h.stores.get('k8s')!.value).toEqual(now);
  });
});

describe('a signal between deleting a runner and emptying its store', () => {
  it('unregister, SIGINT at the DELETE: held until the store is emptied, then exit 130 saying so; --json has one valid report', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [runner] = k8sRunners(h);
    const sig = signals(h);
    atDelete(h, () => sig.send('SIGINT'));
    const r = await h.run('unregister', { approve: true, runner: 'k8s', json: true });
    expect(sig.answers).toEqual(['hold']);
    expect(sig.exits).toEqual([130]);
    expect(h.double.runners.has(runner!.id)).toBe(false);
    expect(h.stores.get('k8s')!.value).toBeUndefined();
    expect(r.err).toContain(`runner-fleet unregister: Ctrl-C, SIGINT received while runner k8s (#${runner!.id}) is being deleted and its token store not yet emptied: emptying it first, then stopping`);
    expect(r.err).toContain(`runner-fleet unregister: interrupted (Ctrl-C, SIGINT): the signal was held until the token store was emptied, and the run stopped there: runner #${runner!.id} (k8s) was deleted in GitLab and its token removed from memory store of k8s`);
    const report = opsReportSchema.parse(JSON.parse(r.out.slice(0, r.out.indexOf('\n}\n') + 2)));
    expect(report.interrupted).toMatchObject({ signal: 'SIGINT', runner: 'k8s', ids: [runner!.id] });
    expect(report.interrupted!.stored).toBeUndefined();
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('prune, SIGTERM at the DELETE of a phantom whose token the entry\'s store holds: held until the store is emptied, then exit 143', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [old] = k8sRunners(h);
    const sig = signals(h);
    atDelete(h, () => sig.send('SIGTERM'));
    const r = await run(h, 'prune', movedSpec(), { approve: true });
    expect(sig.answers).toEqual(['hold']);
    expect(sig.exits).toEqual([143]);
    expect(h.stores.get('k8s')!.value).toBeUndefined();
    expect(r.err).toContain(`runner-fleet prune: interrupted (SIGTERM): the signal was held until the token store was emptied, and the run stopped there: runner #${old!.id} (k8s) was deleted in GitLab and its token removed from memory store of k8s`);
  });

  it('prune, SIGINT at the DELETE of a phantom no store holds a token of: not held, said at once', async () => {
    const h = harness(writeSpec(opsSpec()));
    const phantom = h.double.seedRunner({ description: `old ${markerText('acme', 'gone')}`, runner_type: 'instance_type' });
    const sig = signals(h);
    atDelete(h, () => sig.send('SIGINT'));
    const r = await h.run('prune', { approve: true });
    expect(sig.answers).toEqual([undefined]);
    expect(r.err).toContain('runner-fleet prune: interrupted (Ctrl-C, SIGINT) while no deleted runner\'s token was left in a store: what was applied stays applied, the rest of the plan was not');
    expect(r.err).toContain(`a runner already deleted is not deleted again`);
    expect(h.double.runners.has(phantom.id)).toBe(false);
  });
});
