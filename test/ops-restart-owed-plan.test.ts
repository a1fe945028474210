import { describe, expect, it } from 'vitest';
import { opsReportSchema } from '../src/ops/report.js';
import { CANARY, restartOwedHarness, runnerIdOf, type Harness } from './helpers/ops-world.js';

/**
 * Stop 57 (57e item 1): the plan of `register` (and `rotate`) says what its apply does with a
 * `restart-owed` store. Stop 56 made the apply clear the mark of a manager that is not deployed
 * (its restart finds no Deployment), but the plan still listed `restart-manager`, a restart that
 * would not happen. Now the plan reads whether the manager is deployed (TokenStore.managerDeployed,
 * the GET status makes) and lists `clear-restart-owed` for one that is not; a read that fails keeps
 * `restart-manager` and says the restart depends on it; a store that cannot tell (undefined) and a
 * deployed manager keep `restart-manager` as before.
 */

const idOf = runnerIdOf;
const owed = restartOwedHarness;

const planned = async (h: Harness, command: 'register' | 'rotate', extra: Record<string, unknown> = {}) => {
  const r = await h.run(command, { json: true, runner: 'k8s', ...extra });
  expect(r.code, r.out).toBe(0);
  return opsReportSchema.parse(JSON.parse(r.out)).plan!;
};

describe('register plan: restart-owed of a manager not deployed', () => {
  it('not deployed: the plan lists clear-restart-owed, not restart-manager, and the apply does just that', async () => {
    const h = await owed(false);
    const id = idOf(h, 'k8s');
    const token = h.stores.get('k8s')!.value!.token;
    const restarts = h.stores.get('k8s')!.restarts;
    // Before: [restart-manager] ("… restart it"), while the apply cleared the mark.
    expect(await planned(h, 'register')).toEqual([{ runner: 'k8s', action: 'clear-restart-owed', id, detail: expect.stringContaining('its manager is not deployed: clear restart-owed (no restart: the manager takes this token at its first start') }]);
    const text = await h.run('register', { runner: 'k8s' });
    expect(text.out).toMatch(new RegExp(`clear-restart-owed k8s #${id}: `));
    expect(text.out).not.toContain('restart-manager');
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`done +clear-restart-owed k8s #${id}: .*; manager not deployed yet: it takes this token at its first start, so no restart is owed`));
    expect(h.stores.get('k8s')!.value).toMatchObject({ token, state: 'valid' });
    expect(h.stores.get('k8s')!.restarts).toBe(restarts);
    expect((await h.run('register', { runner: 'k8s' })).out).toContain('plan: nothing to do');
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('planned clear, deployed by the apply: the apply restarts it (the same call as restart-manager)', async () => {
    const h = await owed(true);
    const store = h.stores.get('k8s')!;
    // The plan's read says not deployed; the apply's restart finds it there.
    store.managerDeployed = () => Promise.resolve(false);
    const restarts = store.restarts;
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/done +clear-restart-owed k8s #\d+: .*; manager restarted/);
    expect(store.restarts).toBe(restarts + 1);
    expect(store.value!.state).toBe('valid');
  });

  it('a read of the manager that fails: restart-manager, saying the restart depends on it (never assumed)', async () => {
    const h = await owed(true);
    h.stores.get('k8s')!.managerDeployed = () => Promise.reject(new Error('cannot read Deployment ci-k8s/k8s-gitlab-runner: HTTP 403'));
    const plan = await planned(h, 'register');
    // Before: restart-manager, with nothing of the failed read.
    expect(plan.map((s) => s.action)).toEqual(['restart-manager']);
    expect(plan[0]!.detail).toContain('restart it — if it is deployed: whether it is could not be read (cannot read Deployment ci-k8s/k8s-gitlab-runner: HTTP 403), and a manager the restart finds not deployed is not restarted: the mark is cleared instead');
  });

  it('deployed, or a store that cannot tell: restart-manager, as before', async () => {
    for (const deployed of [true, undefined]) {
      const plan = await planned(await owed(deployed), 'register');
      expect(plan.map((s) => s.action)).toEqual(['restart-manager']);
      expect(plan[0]!.detail).not.toContain('could not be read');
    }
  });
});

describe('rotate --if-expiring-within plan: restart-owed of a manager not deployed', () => {
  it('not due and not deployed: clear-restart-owed, applied without a new token or a restart', async () => {
    const h = await owed(false);
    const id = idOf(h, 'k8s');
    const token = h.stores.get('k8s')!.value!.token;
    const restarts = h.stores.get('k8s')!.restarts;
    // Before: [restart-manager].
    expect((await planned(h, 'rotate', { ifExpiringWithin: '1d' })).map((s) => [s.action, s.id])).toEqual([['clear-restart-owed', id]]);
    const r = await h.run('rotate', { approve: true, runner: 'k8s', ifExpiringWithin: '1d', wait: '5m' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`done +clear-restart-owed k8s #${id}: token stored by an earlier run; manager not deployed yet`));
    expect(h.stores.get('k8s')!.value).toMatchObject({ token, state: 'valid' });
    expect(h.double.runners.get(id)!.token).toBe(token);
    expect(h.stores.get('k8s')!.restarts).toBe(restarts);
  });

  it('deployed: restart-manager, as before', async () => {
    const plan = await planned(await owed(true), 'rotate', { ifExpiringWithin: '1d' });
    expect(plan.map((s) => s.action)).toEqual(['restart-manager']);
  });
});
