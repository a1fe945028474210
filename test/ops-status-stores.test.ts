import { describe, expect, it } from 'vitest';
import { AccessRefusedError } from '../src/live/access.js';
import type { DesiredRunner } from '../src/ops/desired.js';
import type { StoredToken } from '../src/ops/ports.js';
import type { FetchLike } from '../src/live/gitlab.js';
import { ACCESS_TOKEN, CANARY, MemoryStore, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * `status` reads the token store of every registered API runner (read only): a runner GitLab has
 * in good order whose stored token is missing, another owner's or another runner id's is drift
 * (exit 1), with the store named and never the token.
 */
class CountingStore extends MemoryStore {
  reads = 0;
  mutations: string[] = [];
  failRead?: Error;
  override read() {
    this.reads++;
    if (this.failRead) return Promise.reject(this.failRead);
    return super.read();
  }
  override write(v: StoredToken) {
    this.mutations.push('write');
    return super.write(v);
  }
  override clear() {
    this.mutations.push('clear');
    return super.clear();
  }
  override restartManager() {
    this.mutations.push('restart');
    return super.restartManager();
  }
}

interface StatusReport {
  runners: { name: string; ids: number[]; store?: { label: string; state: string; owner: string | null; runnerId: number | null; detail: string } }[];
  exitCode: number;
}

/** A fleet registered in GitLab with every token stored; then only status runs, and every call it makes is recorded. */
async function registered(): Promise<{ h: Harness; stores: Map<string, CountingStore>; methods: string[]; reset: () => void }> {
  const h = harness(writeSpec(opsSpec()));
  const stores = new Map<string, CountingStore>();
  h.world.store = (d: DesiredRunner) => {
    let s = stores.get(d.name);
    if (!s) {
      s = new CountingStore(`memory store of ${d.name}`, (token) => token !== undefined && h.double.contact(token));
      stores.set(d.name, s);
    }
    return s;
  };
  expect((await h.run('register', { approve: true })).code).toBe(0);
  const methods: string[] = [];
  const inner = h.world.fetch!;
  const recording: FetchLike = (url, init) => {
    methods.push(init?.method ?? 'GET');
    return inner(url, init);
  };
  h.world.fetch = recording;
  const reset = () => {
    methods.length = 0;
    for (const s of stores.values()) {
      s.reads = 0;
      s.mutations = [];
    }
  };
  reset();
  return { h, stores, methods, reset };
}

const readOnly = (stores: Map<string, CountingStore>, methods: string[]) => {
  expect([...stores.values()].flatMap((s) => s.mutations)).toEqual([]);
  expect(methods.length).toBeGreaterThan(0);
  expect(methods.filter((m) => m !== 'GET')).toEqual([]);
};

describe('status reads the token stores, and only reads them', () => {
  it('every stored token in order: each API runner says ok with its store, exit 0, nothing written', async () => {
    const { h, stores, methods } = await registered();
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as StatusReport;
    for (const x of report.runners) {
      expect(x.store, x.name).toEqual({ label: `memory store of ${x.name}`, state: 'ok', owner: `acme/${x.name}`, runnerId: x.ids[0], detail: `holds the token of #${x.ids[0]} (acme/${x.name})` });
    }
    expect([...stores.values()].every((s) => s.reads === 1)).toBe(true);
    readOnly(stores, methods);
  });

  it('a missing token is drift: exit 1, the store named; --no-stores does not read it', async () => {
    const { h, stores, methods, reset } = await registered();
    stores.get('k8s')!.value = undefined;
    const r = await h.run('status', {});
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\n {2}drift token store \(missing\) memory store of k8s: holds no token: the manager of #\d+ has none to start with/);
    readOnly(stores, methods);
    reset();
    const skipped = await h.run('status', { json: true, stores: false });
    expect(skipped.code).toBe(0);
    expect((JSON.parse(skipped.out) as StatusReport).runners.every((x) => x.store === undefined)).toBe(true);
    expect(stores.get('k8s')!.reads).toBe(0);
  });

  it('another owner\'s token is drift, named by owner, never shown', async () => {
    const { h, stores, methods } = await registered();
    const s = stores.get('docker')!;
    s.value = { token: `glrt-${CANARY}otherowner`, runnerId: 777, expiresAt: null, state: 'valid', owner: 'other/docker' };
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(1);
    const docker = (JSON.parse(r.out) as StatusReport).runners.find((x) => x.name === 'docker')!;
    expect(docker.store).toMatchObject({ label: 'memory store of docker', state: 'other-owner', owner: 'other/docker', runnerId: 777 });
    expect(docker.store!.detail).toContain('holds the token of other/docker (runner #777), not acme/docker');
    const text = await h.run('status', {});
    expect(text.code).toBe(1);
    expect(text.out).toContain('drift token store (other-owner) memory store of docker: holds the token of other/docker');
    expect(r.out + r.err + text.out + text.err).not.toContain(CANARY);
    expect(r.out + text.out).not.toContain(ACCESS_TOKEN);
    readOnly(stores, methods);
  });

  it('the token of another runner id, or an interrupted reset, is drift; a token nobody wrote is another owner\'s', async () => {
    const { h, stores, methods } = await registered();
    const k8s = stores.get('k8s')!;
    k8s.value = { ...k8s.value!, runnerId: 999999 };
    const fargate = stores.get('fargate')!;
    fargate.value = { ...fargate.value!, state: 'pending' };
    const autoscale = stores.get('autoscale')!;
    autoscale.value = { token: `glrt-${CANARY}handmade`, expiresAt: null, state: 'valid' };
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(1);
    const byName = new Map((JSON.parse(r.out) as StatusReport).runners.map((x) => [x.name, x]));
    expect(byName.get('k8s')!.store!.state).toBe('other-runner');
    expect(byName.get('k8s')!.store!.detail).toMatch(/holds the token of runner #999999, but acme\/k8s is #\d+ in GitLab/);
    expect(byName.get('fargate')!.store!.state).toBe('pending');
    expect(byName.get('autoscale')!.store!.state).toBe('other-owner');
    expect(byName.get('docker')!.store!.state).toBe('ok');
    expect(r.out + r.err).not.toContain(CANARY);
    readOnly(stores, methods);
  });

  it('a store that cannot be read is said per runner (exit 1); one that refuses the credential is exit 2', async () => {
    const { h, stores } = await registered();
    stores.get('k8s')!.failRead = new Error('no Kubernetes API for cluster devops: run `kubectl proxy` against it and pass --kube-api devops=http://127.0.0.1:8001');
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(1);
    const k8s = (JSON.parse(r.out) as StatusReport).runners.find((x) => x.name === 'k8s')!;
    expect(k8s.store).toMatchObject({ state: 'unreadable' });
    expect(k8s.store!.detail).toContain('--kube-api devops=');
    stores.get('k8s')!.failRead = new AccessRefusedError('cannot read memory store of k8s: HTTP 403');
    expect((await h.run('status', {})).code).toBe(2);
  });
});
