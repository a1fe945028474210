import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSecretStore, ANNOTATIONS } from '../src/live/kubernetes.js';
import { makeFetch } from '../src/live/http.js';
import { parseMarker } from '../src/ops/marker.js';
import { KubeDouble } from './helpers/kube-double.js';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';
import { VirtualClock } from './helpers/gitlab-double.js';

/**
 * Two fleets whose runner `k8s` lives in the same namespace share one token Secret
 * (`k8s-runner-token`). The second fleet's register must not take the first fleet's token away
 * (and then each fleet "repair" the other's forever): the store carries its owner, and a store
 * owned by another fleet is a conflict in the plan, refused with --approve, exit 1.
 */
function twoFleets(): { acme: Harness; other: Harness } {
  const acme = harness(writeSpec(opsSpec()));
  const spec = opsSpec();
  spec.metadata.name = 'other';
  const other = harness(writeSpec(spec));
  // One GitLab, one set of stores (the same Secret for the same runner name).
  other.world.fetch = acme.world.fetch;
  other.world.store = acme.world.store;
  return { acme, other };
}

const fleetRunners = (h: Harness, fleet: string) => [...h.double.runners.values()].filter((r) => parseMarker(r.description)?.fleet === fleet);

describe('a token store that holds another fleet\'s token is never overwritten', () => {
  it('register of a second fleet plans a conflict, --approve refuses it and changes nothing; the first fleet stays settled', async () => {
    const { acme, other } = twoFleets();
    expect((await acme.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const secret = acme.stores.get('k8s')!;
    const acmeToken = secret.value!.token;
    expect(secret.value!.owner).toBe('acme/k8s');

    const plan = await other.run('register', { runner: 'k8s', json: true });
    expect(plan.code).toBe(1);
    const planned = JSON.parse(plan.out) as { plan: { action: string; detail: string }[] };
    expect(planned.plan.map((s) => s.action)).toEqual(['conflict']);
    expect(planned.plan[0]!.detail).toContain('acme/k8s');
    expect(planned.plan[0]!.detail).toContain('runners[].placement.namespace');

    const text = await other.run('register', { runner: 'k8s' });
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/conflict k8s: memory store of k8s holds the token of acme\/k8s \(runner #\d+\), not other\/k8s: not written/);

    const applied = await other.run('register', { runner: 'k8s', approve: true, json: true });
    expect(applied.code).toBe(1);
    const results = (JSON.parse(applied.out) as { results: { action: string; outcome: string }[] }).results;
    expect(results).toEqual([expect.objectContaining({ action: 'conflict', outcome: 'failed' })]);
    expect(secret.value!.token).toBe(acmeToken);
    expect(secret.value!.owner).toBe('acme/k8s');
    expect(fleetRunners(acme, 'other')).toEqual([]);

    // No ping-pong: acme has nothing to repair.
    const again = await acme.run('register', { runner: 'k8s', json: true });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.out) as { plan: unknown[] }).plan).toEqual([]);

    // unregister of the other fleet does not empty acme's Secret either.
    const unregister = await other.run('unregister', { runner: 'k8s', approve: true });
    expect(unregister.code).toBe(1);
    expect(secret.value!.token).toBe(acmeToken);
    expect(unregister.out + unregister.err).not.toContain(CANARY);
  });

  it('a store written before owners were recorded is judged by the runner id beside the token and that runner\'s marker', async () => {
    const { acme, other } = twoFleets();
    expect((await acme.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const secret = acme.stores.get('k8s')!;
    delete secret.value!.owner;
    const plan = await other.run('register', { runner: 'k8s' });
    expect(plan.code).toBe(1);
    expect(plan.out).toMatch(/holds the token of runner #\d+, runner k8s of fleet acme, not other\/k8s/);
    // acme recognises its own legacy store and leaves it alone.
    const mine = await acme.run('register', { runner: 'k8s', json: true });
    expect((JSON.parse(mine.out) as { plan: unknown[] }).plan).toEqual([]);
  });

  it('a token nobody can be recognised by is a conflict; the token of a runner GitLab no longer has is not', async () => {
    const { acme } = twoFleets();
    const store = acme.world.store!({ name: 'k8s' } as never, {});
    await store.write({ token: 'glrt-handmadeTOKEN', expiresAt: null, state: 'valid' });
    const plan = await acme.run('register', { runner: 'k8s' });
    expect(plan.code).toBe(1);
    expect(plan.out).toContain('holds a token runner-fleet did not write');
    expect(plan.out).not.toContain('glrt-handmadeTOKEN');

    await store.write({ token: 'glrt-staleTOKEN', runnerId: 99999, expiresAt: null, state: 'valid' });
    const stale = await acme.run('register', { runner: 'k8s', approve: true });
    expect(stale.code).toBe(0);
    expect(acme.stores.get('k8s')!.value!.owner).toBe('acme/k8s');
  });
});

describe('the Kubernetes Secret store keeps the owner as an annotation', () => {
  const kube = new KubeDouble('bearer');
  let server = '';
  beforeAll(async () => {
    server = await kube.listen();
  });
  afterAll(() => kube.close());

  it('writes runner-fleet.dev/owner and reads it back; a store cleared without an owner drops it', async () => {
    const s = new KubernetesSecretStore({ server, bearer: 'bearer', fetch: await makeFetch() }, { cluster: 'devops', namespace: 'ci', secret: 'k8s-runner-token', deployment: 'k8s-gitlab-runner' }, new VirtualClock());
    await s.write({ token: 'glrt-x', runnerId: 7, expiresAt: null, state: 'valid', owner: 'acme/k8s' });
    expect(kube.secrets.get('ci/k8s-runner-token')!.metadata.annotations![ANNOTATIONS.owner]).toBe('acme/k8s');
    expect((await s.read())?.owner).toBe('acme/k8s');
    await s.clear();
    expect(kube.secrets.get('ci/k8s-runner-token')!.metadata.annotations![ANNOTATIONS.owner]).toBeUndefined();
  });
});

/**
 * A store holding a token with neither an owner nor a runner id beside it, while GitLab has the
 * entry's runner: left by an older runner-fleet that wrote an SSM parameter's value before its
 * tags and stopped between the two, or someone else's token. Nothing says whose it is, so it is
 * never replaced; register, rotate and status all say so (a conflict, exit 1) and how to settle it.
 */
describe('a registered runner whose store holds a token with no owner and no runner id', () => {
  async function unclaimedStore() {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'fargate' })).code).toBe(0);
    const store = h.stores.get('fargate')!;
    const id = store.value!.runnerId!;
    delete store.value!.owner;
    delete store.value!.runnerId;
    return { h, store, id, token: store.value!.token };
  }
  const advice = (id: number) => `If nothing else uses it: delete it and run runner-fleet register, which resets the token of #${id} and stores the new token with its owner and runner id. If something else does: Two fleets share SSM parameter /runner-fleet/acme/fargate/runner-token`;

  it('register plans a conflict (not "nothing to do") and --approve leaves the token', async () => {
    const { h, store, id, token } = await unclaimedStore();
    const plan = await h.run('register', { runner: 'fargate', approve: true });
    expect(plan.code).toBe(1);
    expect(plan.out).toContain('conflict fargate: memory store of fargate holds a token runner-fleet did not write (no owner and no runner id beside it), not acme/fargate: not written.');
    expect(plan.out).toContain(advice(id));
    expect(plan.out).not.toContain(token);
    expect(store.value!.token).toBe(token);
    expect(store.value!.owner).toBeUndefined();
  });

  it('rotate, with an access token and without one (the scheduled pipeline), plans the same conflict and leaves the token', async () => {
    const { h, store, id, token } = await unclaimedStore();
    const withToken = await h.run('rotate', { runner: 'fargate', approve: true });
    expect(withToken.code).toBe(1);
    expect(withToken.out).toContain(advice(id));
    h.world.env = {};
    const pipeline = await h.run('rotate', { runner: 'fargate', approve: true, ifExpiringWithin: '14d' });
    expect(pipeline.code).toBe(1);
    expect(pipeline.out).toContain('conflict fargate: memory store of fargate holds a token runner-fleet did not write');
    expect(pipeline.out).not.toContain(token);
    expect(store.value!.token).toBe(token);
  });

  it('status says what register and rotate will not do, and the same fix; following it settles the store without a second runner', async () => {
    const { h, store, id } = await unclaimedStore();
    const status = await h.run('status');
    expect(status.code).toBe(1);
    const line = status.out.split('\n').find((l) => l.includes('drift token store (other-owner) memory store of fargate'))!;
    expect(line).toContain(`not known to be the token of acme/fargate (#${id}): register and rotate do not replace it.`);
    expect(line).toContain(advice(id));
    // The fix: the store deleted, register resets the token of the runner GitLab has and stores it with its owner.
    store.value = undefined;
    expect((await h.run('register', { runner: 'fargate', approve: true })).code).toBe(0);
    expect(store.value).toMatchObject({ runnerId: id, owner: 'acme/fargate', state: 'valid' });
    const after = await h.run('status');
    expect(after.out).toContain(`  token store memory store of fargate: holds the token of #${id} (acme/fargate)`);
    expect([...h.double.runners.values()].filter((r) => parseMarker(r.description)?.runner === 'fargate').map((r) => r.id)).toEqual([id]);
  });
});
