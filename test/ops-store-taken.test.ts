import { describe, expect, it } from 'vitest';
import type { DesiredRunner } from '../src/ops/desired.js';
import type { StoredToken } from '../src/ops/ports.js';
import { parseMarker } from '../src/ops/marker.js';
import { CANARY, MemoryStore, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * The owner of a token store is judged when the plan is read, and again right before every write:
 * another fleet (or a person) may take the store between the two (the plan is printed, then
 * applied; --approve across a big fleet takes minutes). These stores change hands at a chosen
 * moment: after the n-th read, or after the n-th write.
 */
const OTHER: StoredToken = { token: `glrt-${CANARY}otherfleet`, runnerId: 4242, expiresAt: null, state: 'valid', owner: 'other/k8s' };

class TakenStore extends MemoryStore {
  reads = 0;
  writes = 0;
  /** The store is taken by `other/k8s` right before this read (1 = the plan's read). */
  takeBeforeRead?: number;
  /** The store is taken by `other/k8s` right after this write. */
  takeAfterWrite?: number;
  override read() {
    this.reads++;
    if (this.reads === this.takeBeforeRead) this.value = { ...OTHER };
    return super.read();
  }
  override async write(v: StoredToken) {
    await super.write(v);
    this.writes++;
    if (this.writes === this.takeAfterWrite) this.value = { ...OTHER };
  }
}

function world(): { h: Harness; store: TakenStore } {
  const h = harness(writeSpec(opsSpec()));
  const store = new TakenStore('memory store of k8s', (token) => token !== undefined && h.double.contact(token));
  const fallback = h.world.store!;
  h.world.store = (d: DesiredRunner, o) => (d.name === 'k8s' ? store : fallback(d, o));
  return { h, store };
}

const acmeRunners = (h: Harness) => [...h.double.runners.values()].filter((r) => parseMarker(r.description)?.fleet === 'acme' && parseMarker(r.description)?.runner === 'k8s');

interface Report {
  plan: { action: string }[];
  results: { runner: string; action: string; outcome: string; detail: string }[];
  exitCode: number;
}

describe('a store taken by another owner between the plan and the write is not written', () => {
  it('register: taken after the plan read, before creating: nothing is created, nothing written, a failed conflict, exit 1', async () => {
    const { h, store } = world();
    store.takeBeforeRead = 2;
    const r = await h.run('register', { runner: 'k8s', approve: true, json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as Report;
    expect(report.plan.map((s) => s.action)).toEqual(['create']);
    expect(report.results).toEqual([expect.objectContaining({ runner: 'k8s', action: 'conflict', outcome: 'failed' })]);
    expect(report.results[0]!.detail).toContain('create refused: memory store of k8s now holds the token of other/k8s (runner #4242), not acme/k8s (it changed after the plan was read): not written');
    expect(store.value).toEqual(OTHER);
    expect(acmeRunners(h)).toEqual([]);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('register: taken while GitLab created the runner: the token is not stored and the new runner is deleted again', async () => {
    const { h, store } = world();
    // 1: the plan; 2: right before POST /user/runners; 3: right before storing the new token.
    store.takeBeforeRead = 3;
    const r = await h.run('register', { runner: 'k8s', approve: true });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/failed {2}conflict k8s: create refused: memory store of k8s now holds the token of other\/k8s .* Runner #\d+, created for it, was deleted again\./);
    expect(store.value).toEqual(OTHER);
    expect(acmeRunners(h)).toEqual([]);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('rotate: taken after the plan: the token is not reset and the store keeps the other token', async () => {
    const { h, store } = world();
    expect((await h.run('register', { runner: 'k8s', approve: true })).code).toBe(0);
    const [mine] = acmeRunners(h);
    const tokenBefore = mine!.token;
    store.reads = 0;
    store.takeBeforeRead = 2;
    const r = await h.run('rotate', { runner: 'k8s', approve: true, json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as Report;
    expect(report.plan.map((s) => s.action)).toEqual(['rotate']);
    expect(report.results).toEqual([expect.objectContaining({ action: 'conflict', outcome: 'failed' })]);
    expect(report.results[0]!.detail).toContain('rotate refused: memory store of k8s now holds the token of other/k8s');
    expect(store.value).toEqual(OTHER);
    expect(acmeRunners(h)[0]!.token).toBe(tokenBefore);
    expect(store.restarts).toBe(1);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('rotate: taken between the pending mark and the new token: the second write is refused too', async () => {
    const { h, store } = world();
    expect((await h.run('register', { runner: 'k8s', approve: true })).code).toBe(0);
    store.writes = 0;
    store.takeAfterWrite = 1;
    const r = await h.run('rotate', { runner: 'k8s', approve: true });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/failed {2}conflict k8s #\d+: rotate refused: memory store of k8s now holds the token of other\/k8s .*not written; the token of #\d+ was reset in GitLab and is stored nowhere/);
    expect(store.value).toEqual(OTHER);
    expect(store.writes).toBe(1);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('unregister: taken after the plan: the store is not emptied', async () => {
    const { h, store } = world();
    expect((await h.run('register', { runner: 'k8s', approve: true })).code).toBe(0);
    store.reads = 0;
    store.takeBeforeRead = 2;
    const r = await h.run('unregister', { runner: 'k8s', approve: true, json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as Report;
    expect(report.results.map((x) => `${x.action} ${x.outcome}`)).toEqual(['delete done', 'conflict failed']);
    expect(store.value).toEqual(OTHER);
  });
});
