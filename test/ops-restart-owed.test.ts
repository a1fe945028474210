import { describe, expect, it } from 'vitest';
import { markerText } from '../src/ops/marker.js';
import { opsReportSchema } from '../src/ops/report.js';
import type { StoredToken } from '../src/ops/ports.js';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * Stop 55 (55c item 2): a token reset's new token stored, its manager not restarted (a run
 * stopped by a held signal or SIGKILL in between, or a restart that failed). Before, the store
 * said `valid` like any other token: the next register said "nothing to do" and status "ok",
 * while the manager ran with the replaced token, which GitLab no longer accepts. Now the token is
 * stored `restart-owed` and written `valid` once the restart is done; status says restart-owed
 * (exit 1) with the command, and register (or rotate) restarts the manager without a new token.
 */

const idOf = (h: Harness, name: string) => [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', name)))!.id;

/** Every state the store of `runner` was written with, in order; `state valid` for markRestarted (the state alone, stop 56). */
function writes(h: Harness, runner: string): (NonNullable<StoredToken['state']> | 'state valid')[] {
  const store = h.stores.get(runner)!;
  const write = store.write.bind(store);
  const mark = store.markRestarted.bind(store);
  const states: (NonNullable<StoredToken['state']> | 'state valid')[] = [];
  store.write = (v) => {
    states.push(v.state ?? 'valid');
    return write(v);
  };
  store.markRestarted = (v) => {
    states.push('state valid');
    return mark(v);
  };
  return states;
}

async function registered(): Promise<Harness> {
  const h = harness(writeSpec(opsSpec()));
  expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
  return h;
}

describe('a manager restart owed after a token reset', () => {
  it('a rotate whose restart fails leaves the store restart-owed; status says so (exit 1) with the command; register restarts the manager, no new token, and marks the store valid', async () => {
    const h = await registered();
    const id = idOf(h, 'k8s');
    const store = h.stores.get('k8s')!;
    const restart = store.restartManager.bind(store);
    store.restartManager = () => Promise.reject(new Error('Deployment ci-k8s/k8s-gitlab-runner: HTTP 503'));
    const rotated = await h.run('rotate', { approve: true, runner: 'k8s', wait: '0s' });
    expect(rotated.code).toBe(1);
    expect(rotated.out).toMatch(/failed +rotate k8s #\d+: token rotated and stored, but the manager was not restarted/);
    const token = h.double.runners.get(id)!.token;
    expect(store.value).toMatchObject({ token, runnerId: id, state: 'restart-owed' });

    const status = await h.run('status', { json: true });
    expect(status.code).toBe(1);
    const k8s = opsReportSchema.parse(JSON.parse(status.out)).runners!.find((r) => r.name === 'k8s')!;
    expect(k8s.store).toMatchObject({ state: 'restart-owed', runnerId: id });
    expect(k8s.store!.detail).toContain('runner-fleet register --runner k8s --approve restarts it');

    store.restartManager = restart;
    const states = writes(h, 'k8s');
    const again = await h.run('register', { approve: true, runner: 'k8s' });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(new RegExp(`done +restart-manager k8s #${id}: .*; manager restarted`));
    expect(store.restarts).toBe(2);
    expect(h.double.runners.get(id)!.token).toBe(token);
    expect(store.value).toMatchObject({ token, state: 'valid' });
    expect(states).toEqual(['state valid']);
    expect(opsReportSchema.parse(JSON.parse((await h.run('status', { json: true })).out)).runners!.find((r) => r.name === 'k8s')!.store?.state).toBe('ok');
    expect((await h.run('register', { runner: 'k8s' })).out).toContain('plan: nothing to do');
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('a rotate that completes writes restart-owed with the new token, then valid once the manager restarted', async () => {
    const h = await registered();
    const states = writes(h, 'k8s');
    const r = await h.run('rotate', { approve: true, runner: 'k8s', wait: '0s' });
    expect(r.code, r.out).toBe(0);
    expect(states).toEqual(['pending', 'restart-owed', 'state valid']);
    expect(h.stores.get('k8s')!.value?.state).toBe('valid');
  });

  it('rotate --if-expiring-within with a token far from expiry still restarts a manager whose restart is owed (no new token)', async () => {
    const h = await registered();
    const id = idOf(h, 'k8s');
    const store = h.stores.get('k8s')!;
    store.value = { ...store.value!, state: 'restart-owed' };
    const token = store.value.token;
    const r = await h.run('rotate', { approve: true, runner: 'k8s', ifExpiringWithin: '1d', wait: '0s' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`done +restart-manager k8s #${id}: token stored by an earlier run; manager restarted`));
    expect(h.double.runners.get(id)!.token).toBe(token);
    expect(store.value).toMatchObject({ token, state: 'valid' });
  });

  it('a restart-manager step whose restart fails fails (exit 1) and the store stays restart-owed', async () => {
    const h = await registered();
    const store = h.stores.get('k8s')!;
    store.value = { ...store.value!, state: 'restart-owed' };
    store.restartManager = () => Promise.reject(new Error('Deployment ci-k8s/k8s-gitlab-runner: HTTP 503'));
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/failed +restart-manager k8s #\d+: .*; manager not restarted \(Deployment ci-k8s\/k8s-gitlab-runner: HTTP 503\)/);
    expect(store.value.state).toBe('restart-owed');
  });

  it('register creating a runner stores its token valid: a manager not deployed yet owes no restart', async () => {
    const h = harness(writeSpec(opsSpec()));
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.stores.get('k8s')!.value?.state).toBe('valid');
  });
});

describe('the stored form of the state', () => {
  it('reads restart-owed and pending back as written; anything else (an older runner-fleet wrote valid) is valid', async () => {
    const { parseTokenState } = await import('../src/ops/ports.js');
    expect(parseTokenState('restart-owed')).toBe('restart-owed');
    expect(parseTokenState('pending')).toBe('pending');
    expect(parseTokenState('valid')).toBe('valid');
    expect(parseTokenState(undefined)).toBe('valid');
  });
});
