import { describe, expect, it } from 'vitest';
import { loadAndPlan } from '../src/cli/load.js';
import { parseMarker } from '../src/ops/marker.js';
import type { StoredToken } from '../src/ops/ports.js';
import { count, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * A token store write whose answer does not come (a timeout): the write may have taken effect.
 * After GitLab issued a new token, runner-fleet reads the store back before saying where the
 * token is: stored, stored nowhere, or — when the store cannot be read either — unknown. In every
 * case the next `register` leaves the runner with its token in the store.
 */
const file = writeSpec(opsSpec());
const TIMEOUT = 'memory store: the write did not answer in 45 s (timed out)';

/**
 * Makes the store of `runner` fail its next new-token write (state valid, a token) with a
 * timeout, after applying it when `applied`; `readFails` reads after that failure fail too.
 */
function timeOutNextTokenWrite(h: Harness, runner: string, opts: { applied: boolean; readFails: number }) {
  const store = h.world.store!({ name: runner } as never, {}) as unknown as { value?: StoredToken; write: (v: StoredToken) => Promise<void>; read: () => Promise<StoredToken | undefined> };
  const write = store.write.bind(store);
  const read = store.read.bind(store);
  let armed = true;
  let readFails = 0;
  store.write = (v) => {
    if (!armed || v.state === 'pending' || v.token === '') return write(v);
    armed = false;
    readFails = opts.readFails;
    if (opts.applied) store.value = { ...v };
    return Promise.reject(new Error(TIMEOUT));
  };
  store.read = () => {
    if (readFails > 0) {
      readFails--;
      return Promise.reject(new Error('memory store: the read did not answer in 45 s (timed out)'));
    }
    return read();
  };
  return store;
}

const idOf = (h: Harness, runner: string) => [...h.double.runners.values()].find((r) => parseMarker(r.description)?.runner === runner)!.id;

describe('a token store write that timed out', () => {
  it('created, and the write took effect although its answer was lost: read back, the step is done and nothing is left to repair', async () => {
    const h = harness(file);
    timeOutNextTokenWrite(h, 'docker', { applied: true, readFails: 0 });
    const r = await h.run('register', { approve: true, runner: 'docker' });
    const id = idOf(h, 'docker');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`done +create docker: created #${id}, token stored`));
    expect(r.out).not.toContain('stored nowhere');
    expect(r.err).toContain(`memory store of docker: the write of the new token of #${id} failed (${TIMEOUT}), but reading it back shows it stored`);
    const st = JSON.parse((await h.run('status', { json: true })).out) as { runners: { name: string; ids: number[]; store?: { state: string } }[] };
    expect(st.runners.find((x) => x.name === 'docker')).toMatchObject({ ids: [id], store: { state: 'ok' } });
    expect((await h.run('register', { runner: 'docker' })).out).toContain('plan: nothing to do');
  });

  it.each([
    ['took effect', true],
    ['did not take effect', false],
  ])('created, the write %s and the store cannot be read back: the state is unknown (not "stored nowhere"), and register settles it', async (_, applied) => {
    const h = harness(file);
    timeOutNextTokenWrite(h, 'docker', { applied, readFails: 1 });
    const r = await h.run('register', { approve: true, runner: 'docker' });
    const id = idOf(h, 'docker');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`failed  create docker: ${TIMEOUT}; runner #${id} was created in GitLab, and whether memory store of docker holds its new token is unknown: the write failed (one that timed out may still have taken effect) and reading the store back failed too (memory store: the read did not answer in 45 s (timed out)). Once memory store of docker can be read, runner-fleet register reads it again: it keeps the token of #${id} if it is there, else resets it and stores a new one (no second runner is created)`);
    expect(r.out).not.toContain('stored nowhere');
    const again = await h.run('register', { approve: true, runner: 'docker' });
    expect(again.code).toBe(0);
    if (applied) expect(again.out).toContain('plan: nothing to do');
    else expect(again.out).toMatch(new RegExp(`done +repair-token docker #${id}`));
    expect(h.double.runners.size).toBe(1);
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(3); // the three runners never registered here
    expect(h.stores.get('docker')!.value).toMatchObject({ token: h.double.runners.get(id)!.token, runnerId: id, state: 'valid' });
  });

  it.each([
    ['took effect', true],
    ['did not take effect', false],
  ])('rotated, the write %s and the store cannot be read back: the state is unknown, and register settles it', async (_, applied) => {
    const h = harness(file);
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const id = idOf(h, 'k8s');
    timeOutNextTokenWrite(h, 'k8s', { applied, readFails: 1 });
    const r = await h.run('rotate', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`failed  rotate k8s #${id}: ${TIMEOUT}; the token of #${id} was reset in GitLab, and whether memory store of k8s holds its new token is unknown`);
    expect(r.out).not.toContain('stored nowhere');
    const again = await h.run('register', { approve: true, runner: 'k8s' });
    expect(again.code).toBe(0);
    // Stop 55 (55c item 2): the rotate stored the token but never restarted the manager; the store says so, and register restarts it (was: nothing to do).
    if (applied) expect(again.out).toMatch(new RegExp(`done +restart-manager k8s #${id}: .*; manager restarted`));
    else expect(again.out).toMatch(new RegExp(`done +repair-token k8s #${id}`));
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(0);
  });

  it('rotated, and only the token was written (a store written in two calls, the second lost): the same write is made again once', async () => {
    const h = harness(file);
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const store = h.stores.get('k8s')!;
    const write = store.write.bind(store);
    let first = true;
    store.write = (v) => {
      if (!first || v.state === 'pending') return write(v);
      first = false;
      // The token went in; the runner id, owner and state beside it did not (still `pending`).
      store.value = { ...store.value!, token: v.token };
      return Promise.reject(new Error(TIMEOUT));
    };
    const r = await h.run('rotate', { approve: true, runner: 'k8s', wait: '0s' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/done +rotate k8s/);
    expect(store.value).toMatchObject({ state: 'valid', runnerId: idOf(h, 'k8s'), owner: 'acme/k8s', token: h.double.runners.get(idOf(h, 'k8s'))!.token });
  });

  it('rotated, the write took effect although its answer was lost: read back, the rotation is done and the manager restarted', async () => {
    const h = harness(file);
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const store = timeOutNextTokenWrite(h, 'k8s', { applied: true, readFails: 0 });
    const r = await h.run('rotate', { approve: true, runner: 'k8s', wait: '0s' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/done +rotate k8s/);
    expect(h.stores.get('k8s')!.restarts).toBe(2);
    expect(store.value!.token).toBe(h.double.runners.get(idOf(h, 'k8s'))!.token);
  });
});
