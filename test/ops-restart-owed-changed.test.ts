import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSecretStore, ANNOTATIONS } from '../src/live/kubernetes.js';
import { makeFetch } from '../src/live/http.js';
import { SsmParameterStore } from '../src/live/ssm.js';
import type { DesiredRunner } from '../src/ops/desired.js';
import type { StoredToken, TokenStore } from '../src/ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../src/platforms/aws-vm/common.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { KubeDouble } from './helpers/kube-double.js';
import { CANARY, harness, opsSpec, runnerIdOf, writeSpec, type Harness } from './helpers/ops-world.js';
import { useSsmDouble } from './helpers/ssm-double.js';

/**
 * Stop 58 (58e item 1): the restart's mark names the token the manager loaded. Before, the engine
 * restarted the manager and then read the store and marked what it found. SSM Run Command and a
 * Kubernetes rollout are asynchronous: a token another run stored during the restart (a rotate:
 * its own mark restart-owed) was marked `valid` although this manager may have loaded the one
 * before it, and then nobody restarted for the new token. Now the store is read before the
 * restart and only that is marked (SSM: the label on exactly the version read; a Secret: the PUT
 * conditioned on the token and the state read); a store that changed meanwhile keeps its mark
 * owed and the step says so. The second writer runs inside restartManager (SendCommand held in
 * the SSM double; the Kubernetes store's restart wrapped), over HTTP with the real clients.
 */

const PARAMETER = '/runner-fleet/acme/docker/runner-token';
const STATE = 'runner-fleet:token-state';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const CHANGED = /changed during the restart \(it no longer holds the token read before the restart with the mark it had then: another run stored a token or changed its mark meanwhile, and the manager may have loaded either\): its mark is left restart-owed, so the next runner-fleet register restarts the manager again/;
const ssm = useSsmDouble();

const plannedActions = async (h: Harness, runner: string) => (JSON.parse((await h.run('register', { runner, json: true })).out) as { plan: { action: string }[] }).plan.map((s) => s.action);

describe('SSM: a token stored during the restart keeps its mark owed', () => {
  /** The ops spec in a harness, runner docker's token in the SSM double, registered; then marked restart-owed. */
  async function owed(): Promise<{ h: Harness; store: () => SsmParameterStore }> {
    const { double, endpoint } = ssm;
    double.parameters.clear();
    double.parameters.set(PARAMETER, { value: TOKEN_PLACEHOLDER, version: 1, tags: new Map() });
    double.before = undefined;
    const h = harness(writeSpec(opsSpec()));
    const memory = h.world.store!;
    const store = () => new SsmParameterStore({ region: 'eu-central-1', parameter: PARAMETER, autoScalingGroup: 'acme-docker-manager' }, { endpoint, credentials, maxAttempts: 1 });
    const docker = store();
    h.world.store = (d: DesiredRunner, o) => (d.name === 'docker' ? docker : memory(d, o));
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    double.parameters.get(PARAMETER)!.tags.set(STATE, 'restart-owed');
    return { h, store };
  }

  /** Runs `second` once, while the manager's restart (SendCommand) is in flight. */
  const duringRestart = (second: () => Promise<void> | void) => {
    const { double } = ssm;
    let done = false;
    double.before = async (c) => {
      if (done || c.op !== 'SendCommand') return;
      done = true;
      await second();
    };
  };

  it('no other writer: register restarts and marks the version read; nothing is owed after', async () => {
    const { h, store } = await owed();
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/restart-manager docker #\d+: .*; manager restarted\n/);
    expect(r.out).not.toMatch(CHANGED);
    expect((await store().read())!.state).toBe('valid');
    expect(await plannedActions(h, 'docker')).toEqual([]);
  });

  it('a rotate stores a new token (restart-owed) while Run Command restarts the manager: the new token stays owed, the step says so', async () => {
    const { h, store } = await owed();
    const id = runnerIdOf(h, 'docker');
    const next: StoredToken = { token: `glrt-${CANARY}during`, runnerId: id, expiresAt: null, state: 'restart-owed', owner: 'acme/docker' };
    duringRestart(() => store().write(next));
    const r = await h.run('register', { runner: 'docker', approve: true });
    ssm.double.before = undefined;
    expect(r.code, r.out + r.err).toBe(0);
    // Before: the engine read the store after the restart and labelled the new token's version: valid, and its manager was never restarted.
    expect(await store().read()).toEqual(next);
    expect(r.out).toMatch(CHANGED);
    expect(await plannedActions(h, 'docker')).toEqual(['restart-manager']);
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('rotate: a token stored by another run while the rotated token\'s restart runs stays owed, said after "manager restarted"', async () => {
    const { h, store } = await owed();
    await h.run('register', { runner: 'docker', approve: true });
    const next: StoredToken = { token: `glrt-${CANARY}rotated`, runnerId: runnerIdOf(h, 'docker'), expiresAt: null, state: 'restart-owed', owner: 'acme/docker' };
    duringRestart(() => store().write(next));
    const r = await h.run('rotate', { runner: 'docker', approve: true, json: true, wait: '0s' });
    ssm.double.before = undefined;
    expect(r.code, r.out + r.err).toBe(0);
    const results = (JSON.parse(r.out) as { results: { action: string; outcome: string; detail: string }[] }).results;
    expect(results).toEqual([expect.objectContaining({ action: 'rotate', outcome: 'done' })]);
    expect(results[0]!.detail).toMatch(/^token rotated and stored; manager restarted \(not waiting for it to come online\); SSM parameter \S+ \(eu-central-1\) changed during the restart/);
    expect(await store().read()).toEqual(next);
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('the same token written again (a new version) during the restart: exactly the version read is marked, so none is', async () => {
    const { h, store } = await owed();
    const p = ssm.double.parameters.get(PARAMETER)!;
    const read = p.version;
    // A PutParameter of the same value: what a repair that stores the token again makes.
    duringRestart(() => {
      p.version++;
    });
    const r = await h.run('register', { runner: 'docker', approve: true });
    ssm.double.before = undefined;
    expect(r.code, r.out + r.err).toBe(0);
    // Before: the label went on the version holding the token after the restart (read + 1): valid.
    expect(p.labels?.get('runner-fleet-restarted')).not.toBe(read + 1);
    expect((await store().read())!.state).toBe('restart-owed');
    expect(r.out).toMatch(CHANGED);
  });
});

describe('Kubernetes Secret: a token stored during the rollout keeps its mark owed', () => {
  const BEARER = 'kube-bearer-for-tests';
  const ref = { cluster: 'devops', namespace: 'ci-k8s', secret: 'k8s-runner-token', deployment: 'k8s-gitlab-runner' };
  const kube = new KubeDouble(BEARER);
  let server = '';
  beforeAll(async () => {
    server = await kube.listen();
    kube.addDeployment(ref.namespace, ref.deployment);
  });
  afterAll(() => kube.close());

  /** The ops spec, runner k8s's token in a Secret of the Kubernetes double, registered and marked restart-owed; `during` runs inside the rollout restart. */
  async function owed(): Promise<{ h: Harness; store: KubernetesSecretStore; during: (fn?: () => Promise<void>) => void }> {
    kube.secrets.clear();
    const h = harness(writeSpec(opsSpec()));
    const memory = h.world.store!;
    const store = new KubernetesSecretStore({ server, bearer: BEARER, fetch: await makeFetch() }, ref, new VirtualClock());
    let second: (() => Promise<void>) | undefined;
    const k8s: TokenStore = Object.assign(Object.create(store) as KubernetesSecretStore, {
      restartManager: async () => {
        const fn = second;
        second = undefined;
        await fn?.();
        return store.restartManager();
      },
    });
    h.world.store = (d: DesiredRunner, o) => (d.name === 'k8s' ? k8s : memory(d, o));
    const r = await h.run('register', { runner: 'k8s', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    await store.write({ ...(await store.read())!, state: 'restart-owed' });
    return { h, store, during: (fn) => (second = fn) };
  }

  it('no other writer: the rollout is restarted and the Secret marked valid', async () => {
    const { h, store } = await owed();
    const r = await h.run('register', { runner: 'k8s', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/restart-manager k8s #\d+: .*; manager restarted\n/);
    expect((await store.read())!.state).toBe('valid');
  });

  it('a rotate stores a new token (restart-owed) during the rollout: it stays owed, the step says so', async () => {
    const { h, store, during } = await owed();
    const next: StoredToken = { token: `glrt-${CANARY}rollout`, runnerId: runnerIdOf(h, 'k8s'), expiresAt: null, state: 'restart-owed', owner: 'acme/k8s' };
    during(() => store.write(next));
    const r = await h.run('register', { runner: 'k8s', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    // Before: read after the rollout, the new token was annotated valid.
    expect(await store.read()).toEqual(next);
    expect(r.out).toMatch(CHANGED);
    expect(await plannedActions(h, 'k8s')).toEqual(['restart-manager']);
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('a reset under way marks the same token pending during the rollout: the pending mark stays (its repair is not lost)', async () => {
    const { h, store, during } = await owed();
    during(async () => {
      await store.write({ ...(await store.read())!, state: 'pending' });
    });
    const r = await h.run('register', { runner: 'k8s', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    // Before: the state annotation was set valid over the pending mark of the same token.
    expect(kube.secrets.get(`${ref.namespace}/${ref.secret}`)!.metadata.annotations![ANNOTATIONS.state]).toBe('pending');
    expect(r.out).toMatch(CHANGED);
  });
});
