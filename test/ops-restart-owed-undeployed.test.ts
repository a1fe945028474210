import { describe, expect, it } from 'vitest';
import { opsReportSchema } from '../src/ops/report.js';
import { CANARY, harness, opsSpec, restartOwedHarness, runnerIdOf, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * Stop 56 (56d item 2): `restart-owed` on the store of a runner whose manager is not deployed yet
 * (a register that repaired a token before the chart was installed, or a rotate then). Before,
 * the restart failed (the Deployment answered 404), the mark stayed, and `status` exited 1 telling
 * to restart a manager that does not exist, until a register found it deployed. What is true: a
 * manager not deployed runs with no token, the replaced one least of all, and starts with the
 * stored one. Now a restart that finds no manager (ManagerNotDeployedError) clears the mark and
 * says so (exit 0), and `status` reads whether the manager is deployed (a Deployment GET, read
 * only): not deployed, the store is `ok`, saying it takes the token at its first start. A manager
 * that is deployed, or a store that cannot tell, keeps restart-owed as before.
 */

const idOf = runnerIdOf;
const owed = restartOwedHarness;

const k8sStatus = async (h: Harness) => {
  const r = await h.run('status', { json: true });
  return { code: r.code, store: opsReportSchema.parse(JSON.parse(r.out)).runners!.find((x) => x.name === 'k8s')!.store! };
};

describe('status: restart-owed of a manager not deployed', () => {
  it('not deployed: the store is ok, saying the manager takes the token at its first start (exit 0)', async () => {
    const h = await owed(false);
    const s = await k8sStatus(h);
    // Before: exit 1, state restart-owed, "runner-fleet register --runner k8s --approve restarts it".
    expect(s.code).toBe(0);
    expect(s.store.state).toBe('ok');
    expect(s.store.detail).toContain('its manager is not deployed yet: no manager runs with the token the reset replaced, and it takes this token at its first start, so no restart is owed');
    expect(h.stores.get('k8s')!.value!.state).toBe('restart-owed');
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('deployed: restart-owed, exit 1, as before', async () => {
    const s = await k8sStatus(await owed(true));
    expect(s.code).toBe(1);
    expect(s.store.state).toBe('restart-owed');
  });

  it('a store that cannot tell (undefined), or whose read of the manager fails: restart-owed, exit 1', async () => {
    const s = await k8sStatus(await owed(undefined));
    expect(s.code).toBe(1);
    expect(s.store.state).toBe('restart-owed');
    const h = await owed(true);
    h.stores.get('k8s')!.managerDeployed = () => Promise.reject(new Error('HTTP 403'));
    const t = await k8sStatus(h);
    expect(t.code).toBe(1);
    expect(t.store.state).toBe('restart-owed');
  });
});

describe('register and rotate: a restart that finds no manager deployed', () => {
  it('register: the restart-owed is cleared saying the manager is not deployed yet; nothing to do after', async () => {
    const h = await owed(false);
    const id = idOf(h, 'k8s');
    const token = h.stores.get('k8s')!.value!.token;
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    // Before: exit 1, `failed restart-manager … manager not restarted (…)`, the store still restart-owed.
    expect(r.code, r.out).toBe(0);
    // Since stop 57 the plan reads that the manager is not deployed and says clear-restart-owed (test/ops-restart-owed-plan.test.ts).
    expect(r.out).toMatch(new RegExp(`done +clear-restart-owed k8s #${id}: .*; manager not deployed yet: it takes this token at its first start, so no restart is owed`));
    expect(h.stores.get('k8s')!.value).toMatchObject({ token, state: 'valid' });
    expect(h.double.runners.get(id)!.token).toBe(token);
    expect((await h.run('register', { runner: 'k8s' })).out).toContain('plan: nothing to do');
    expect((await k8sStatus(h)).code).toBe(0);
  });

  it('rotate: the token rotated and stored valid, the manager not deployed said, no wait for it (exit 0)', async () => {
    const h = await owed(false);
    h.stores.get('k8s')!.value!.state = 'valid';
    const r = await h.run('rotate', { approve: true, runner: 'k8s', wait: '5m' });
    // Before: exit 1, `token rotated and stored, but the manager was not restarted`, the store restart-owed.
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/done +rotate k8s #\d+: token rotated and stored; manager not deployed yet: it takes this token at its first start/);
    expect(h.stores.get('k8s')!.value!.state).toBe('valid');
    expect(h.stores.get('k8s')!.value!.token).toBe(h.double.runners.get(idOf(h, 'k8s'))!.token);
  });

  it('register creating a runner whose manager is not deployed says so instead of a failed restart', async () => {
    const h = harness(writeSpec(opsSpec()));
    const r0 = await h.run('register', { runner: 'k8s' });
    expect(r0.code).toBe(0);
    h.stores.get('k8s')!.deployed = false;
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/done +create k8s: created #\d+, token stored; manager not deployed yet: it takes this token at its first start/);
    expect(r.out).not.toContain('manager not restarted');
  });

  it('a deployed manager whose restart fails still leaves restart-owed (exit 1)', async () => {
    const h = await owed(true);
    h.stores.get('k8s')!.restartManager = () => Promise.reject(new Error('Deployment ci-k8s/k8s-gitlab-runner: HTTP 503'));
    const r = await h.run('register', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(h.stores.get('k8s')!.value!.state).toBe('restart-owed');
  });
});
