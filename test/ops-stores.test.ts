import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsCommand } from '../src/cli/ops.js';
import { KubernetesSecretStore, ANNOTATIONS } from '../src/live/kubernetes.js';
import { makeFetch } from '../src/live/http.js';
import { SsmParameterStore } from '../src/live/ssm.js';
import { ManagerNotDeployedError, StoreConflictError } from '../src/ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../src/platforms/aws-vm/common.js';
import { KubeDouble } from './helpers/kube-double.js';
import { ACCESS_TOKEN, CANARY, harness, opsSpec, writeSpec } from './helpers/ops-world.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { report, startMoto, which } from './helpers/tools.js';

const BEARER = 'kube-bearer-for-tests';
const ref = { cluster: 'devops', namespace: 'ci-k8s', secret: 'k8s-runner-token', deployment: 'k8s-gitlab-runner' };

describe('Kubernetes Secret store (against a Kubernetes API double over HTTP)', () => {
  const kube = new KubeDouble(BEARER);
  let server = '';
  beforeAll(async () => {
    server = await kube.listen();
    kube.addDeployment('ci-k8s', 'k8s-gitlab-runner');
  });
  afterAll(() => kube.close());
  const store = async () => new KubernetesSecretStore({ server, bearer: BEARER, fetch: await makeFetch() }, ref, new VirtualClock());

  it('creates the Secret the chart reads, with both keys, and reads back token, runner id, expiry and state', async () => {
    const s = await store();
    expect(await s.read()).toBeUndefined();
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
    const obj = kube.secrets.get('ci-k8s/k8s-runner-token')!;
    expect(Object.keys(obj.data as object).sort()).toEqual(['runner-registration-token', 'runner-token']);
    expect(obj.metadata.annotations![ANNOTATIONS.runnerId]).toBe('42');
    expect(await s.read()).toEqual({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
  });

  it('records "never expires" (GitLab answered token_expires_at null) apart from "not known"; an old Secret\'s empty expiry reads as not known', async () => {
    const s = await store();
    await s.write({ token: `glrt-${CANARY}never`, runnerId: 42, expiresAt: null, state: 'valid' });
    expect(kube.secrets.get('ci-k8s/k8s-runner-token')!.metadata.annotations![ANNOTATIONS.expiresAt]).toBe('never');
    expect((await s.read())!.expiresAt).toBeNull();
    await s.write({ token: `glrt-${CANARY}unknown`, runnerId: 42, state: 'valid' });
    expect(kube.secrets.get('ci-k8s/k8s-runner-token')!.metadata.annotations![ANNOTATIONS.expiresAt]).toBe('');
    expect(await s.read()).not.toHaveProperty('expiresAt');
    // What runner-fleet wrote before: '' for both.
    const cur = kube.secrets.get('ci-k8s/k8s-runner-token')!;
    cur.metadata.annotations = { ...cur.metadata.annotations, [ANNOTATIONS.expiresAt]: '' };
    kube.bump(cur);
    expect(await s.read()).not.toHaveProperty('expiresAt');
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
  });

  it('markRestarted (stop 56): the state annotation alone, valid, in one PUT; a Secret holding another token since is left as it is', async () => {
    const s = await store();
    const held = { token: `glrt-${CANARY}owed`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'restart-owed' as const, owner: 'acme/k8s' };
    await s.write(held);
    const from = kube.requests.length;
    await s.markRestarted({ ...held, state: 'valid' });
    expect(kube.requests.slice(from).map((r) => r.split(' ')[0])).toEqual(['GET', 'PUT']);
    expect(await s.read()).toEqual({ ...held, state: 'valid' });
    await s.write({ ...held, token: `glrt-${CANARY}newer` });
    await s.markRestarted({ ...held, state: 'valid' });
    expect(await s.read()).toEqual({ ...held, token: `glrt-${CANARY}newer`, state: 'restart-owed' });
  });

  it('a concurrent writer (409 Conflict on a stale resourceVersion) makes the store re-read, not overwrite blindly', async () => {
    const s = await store();
    let once = true;
    kube.beforePut = () => {
      if (once) {
        once = false;
        const cur = kube.secrets.get('ci-k8s/k8s-runner-token')!;
        cur.metadata.annotations = { ...cur.metadata.annotations, 'someone/else': 'wrote' };
        kube.bump(cur);
      }
    };
    await s.write({ token: `glrt-${CANARY}two`, runnerId: 42, expiresAt: null, state: 'pending' });
    kube.beforePut = undefined;
    const obj = kube.secrets.get('ci-k8s/k8s-runner-token')!;
    expect(obj.metadata.annotations!['someone/else']).toBe('wrote');
    expect((await s.read())!.state).toBe('pending');
    expect(kube.requests.filter((r) => r.startsWith('PUT')).length).toBeGreaterThanOrEqual(2);
  });

  /** The Secret as another writer leaves it: `token` of `owner` (no annotation when undefined) and runner `runnerId`, with a new resourceVersion. */
  const takeSecret = (token: string, owner: string | undefined, runnerId: string) => {
    const cur = kube.secrets.get('ci-k8s/k8s-runner-token')!;
    const annotations: Record<string, string> = { ...cur.metadata.annotations, [ANNOTATIONS.runnerId]: runnerId };
    if (owner !== undefined) annotations[ANNOTATIONS.owner] = owner;
    else delete annotations[ANNOTATIONS.owner];
    cur.metadata.annotations = annotations;
    cur.data = { ...(cur.data as Record<string, string>), 'runner-token': Buffer.from(token).toString('base64') };
    kube.bump(cur);
  };

  it.each([
    ['another fleet writes its token (owner annotation other/k8s)', { token: 'acme', owner: 'acme/k8s' }, { owner: 'other/k8s', runnerId: '4242' }, /now holds the token of other\/k8s \(runner #4242\), not acme\/k8s \(it changed while runner-fleet wrote it: HTTP 409 Conflict, re-read\): not written$/],
    ['a store written before owners: its runner id changes (no owner)', { token: 'legacy', owner: undefined }, { owner: undefined, runnerId: '99' }, /now holds a token with no owner \(runner #99\), not acme\/k8s .*: not written$/],
  ])('a 409 re-read re-checks the owner: %s between the read and the PUT is a conflict, nothing written', async (_name, mine, other, message) => {
    const s = await store();
    kube.secrets.delete('ci-k8s/k8s-runner-token');
    await s.write({ token: `glrt-${CANARY}${mine.token}`, runnerId: 42, expiresAt: null, state: 'valid', ...(mine.owner !== undefined ? { owner: mine.owner } : {}) });
    const puts = kube.requests.filter((r) => r.startsWith('PUT')).length;
    kube.beforePut = () => {
      kube.beforePut = undefined;
      takeSecret(`glrt-${CANARY}otherfleet`, other.owner, other.runnerId);
    };
    const e = await s.write({ token: `glrt-${CANARY}${mine.token}`, runnerId: 42, expiresAt: null, state: 'pending', owner: 'acme/k8s' }).then(() => undefined, (x: unknown) => x);
    kube.beforePut = undefined;
    expect(e).toBeInstanceOf(StoreConflictError);
    expect((e as Error).message).toMatch(/^Secret ci-k8s\/k8s-runner-token \(cluster devops\) /);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain(CANARY);
    // One PUT (refused with 409), none after the re-read: the other writer's token stays.
    expect(kube.requests.filter((r) => r.startsWith('PUT')).length).toBe(puts + 1);
    const now = await s.read();
    expect(now!.token).toBe(`glrt-${CANARY}otherfleet`);
    expect(now!.state).toBe('valid');
  });

  it('rotate --approve through the CLI: the Secret taken by another fleet during the pending write (409) is a failed conflict, exit 1, the token not reset', async () => {
    kube.secrets.clear();
    const file = writeSpec(opsSpec());
    const h = harness(file);
    const world = { ...h.world, store: undefined };
    const origFetch = globalThis.fetch;
    globalThis.fetch = ((u: string, init: RequestInit) => origFetch(u, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${BEARER}` } })) as typeof fetch;
    let out = '';
    let code: number;
    try {
      const io = { out: (x: string) => (out += x), err: (x: string) => (out += x) };
      expect(await opsCommand('register', file, { approve: true, runner: 'k8s', kubeApi: [`devops=${server}`] }, io, world), out).toBe(0);
      const registered = [...h.double.runners.values()][0]!.token;
      kube.beforePut = () => {
        kube.beforePut = undefined;
        takeSecret(`glrt-${CANARY}otherfleet`, 'other/k8s', '4242');
      };
      out = '';
      code = await opsCommand('rotate', file, { approve: true, runner: 'k8s', json: true, wait: '0s', kubeApi: [`devops=${server}`] }, { out: (x) => (out += x), err: () => undefined }, world);
      kube.beforePut = undefined;
      expect([...h.double.runners.values()][0]!.token).toBe(registered);
    } finally {
      globalThis.fetch = origFetch;
      kube.beforePut = undefined;
    }
    expect(code, out).toBe(1);
    const report = JSON.parse(out) as { results: { action: string; outcome: string; detail: string }[] };
    expect(report.results).toEqual([expect.objectContaining({ action: 'conflict', outcome: 'failed' })]);
    expect(report.results[0]!.detail).toMatch(/^rotate refused: Secret ci-k8s\/k8s-runner-token \(cluster devops\) now holds the token of other\/k8s \(runner #4242\), not acme\/k8s \(it changed while runner-fleet wrote it: HTTP 409 Conflict, re-read\): not written\. Two fleets share Secret ci-k8s\/k8s-runner-token/);
    expect(Buffer.from((kube.secrets.get('ci-k8s/k8s-runner-token')!.data as Record<string, string>)['runner-token']!, 'base64').toString()).toBe(`glrt-${CANARY}otherfleet`);
    expect(out).not.toContain(CANARY);
  });

  it('retries a 503 and clears the token on unregister', async () => {
    const s = await store();
    kube.unavailable = 2;
    await s.clear();
    expect((await s.read())!.token).toBe('');
  });

  it('rollout restart patches the pod template like kubectl rollout restart; a missing Deployment is an error', async () => {
    const s = await store();
    await s.restartManager();
    const d = kube.deployments.get('ci-k8s/k8s-gitlab-runner')!;
    expect((d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/);
    const other = new KubernetesSecretStore({ server, bearer: BEARER, fetch: await makeFetch() }, { ...ref, deployment: 'missing' }, new VirtualClock());
    // Stop 56: the 404 is a ManagerNotDeployedError (the engine takes it as "not deployed yet"), with the same message.
    await expect(other.restartManager()).rejects.toBeInstanceOf(ManagerNotDeployedError);
    expect(await other.managerDeployed()).toBe(false);
    expect(await s.managerDeployed()).toBe(true);
    await expect(other.restartManager()).rejects.toThrow('cannot restart the manager: cluster devops has no Deployment ci-k8s/missing (HTTP 404): runner-fleet restarts the Deployment the gitlab-runner chart makes for the Helm release of the runner (the helm upgrade --install of the README synth writes, in namespace ci-k8s); install the chart under that release, or restart a manager installed otherwise yourself (kubectl rollout restart deployment/<its name> -n ci-k8s)');
  });

  it('a Secret to create in a namespace that does not exist is an error naming the namespace and the fix, not a bare HTTP 404', async () => {
    const s = new KubernetesSecretStore({ server, bearer: BEARER, fetch: await makeFetch() }, { ...ref, namespace: 'ci-absent' }, new VirtualClock());
    kube.namespaces = new Set(['ci-k8s']);
    try {
      await expect(s.write({ token: `glrt-${CANARY}ns`, runnerId: 7, expiresAt: null, state: 'valid' })).rejects.toThrow('cannot create Secret ci-absent/k8s-runner-token (cluster devops): cluster devops has no namespace ci-absent (HTTP 404): apply the Kubernetes objects of the runner first (kubectl apply -f kubernetes/<runner>/ of the synth output creates the namespace), then run again');
    } finally {
      kube.namespaces = undefined;
    }
    expect(kube.secrets.has('ci-absent/k8s-runner-token')).toBe(false);
  });

  it('a Secret deleted between its read and its update (404 on PUT) is read again and created, not an error', async () => {
    const s = await store();
    await s.write({ token: `glrt-${CANARY}before`, runnerId: 42, expiresAt: null, state: 'valid' });
    let once = true;
    kube.beforePut = () => {
      if (once) {
        once = false;
        kube.secrets.delete('ci-k8s/k8s-runner-token');
      }
    };
    try {
      await s.write({ token: `glrt-${CANARY}after`, runnerId: 42, expiresAt: null, state: 'valid' });
    } finally {
      kube.beforePut = undefined;
    }
    expect((await s.read())!.token).toBe(`glrt-${CANARY}after`);
  });

  it('register through the CLI with --kube-api stores the token in the Secret and restarts the Deployment', async () => {
    kube.secrets.clear();
    const spec = opsSpec();
    const file = writeSpec(spec);
    const h = harness(file);
    // The live store factory (not the test's memory stores), with the API server given on the command line.
    const world = { ...h.world, store: undefined };
    // kubectl proxy adds the credentials; here the double wants a bearer, so wrap fetch to add it.
    const { inClusterApi } = await import('../src/live/kubernetes.js');
    expect(await inClusterApi(() => makeFetch())).toBeUndefined();
    let out = '';
    const origFetch = globalThis.fetch;
    globalThis.fetch = ((u: string, init: RequestInit) => origFetch(u, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${BEARER}` } })) as typeof fetch;
    try {
      const code = await opsCommand('register', file, { approve: true, runner: 'k8s', kubeApi: [`devops=${server}`] }, { out: (s) => (out += s), err: (s) => (out += s) }, world);
      expect(code, out).toBe(0);
    } finally {
      globalThis.fetch = origFetch;
    }
    const secret = kube.secrets.get('ci-k8s/k8s-runner-token')!;
    const token = Buffer.from((secret.data as Record<string, string>)['runner-token']!, 'base64').toString();
    expect([...h.double.runners.values()].map((r) => r.token)).toEqual([token]);
    expect(out).toMatch(/manager restarted/);
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain(ACCESS_TOKEN);
  });
});

describe('SSM SecureString store (real SSM calls against moto_server)', () => {
  const skipAll = process.env.RUNNER_FLEET_SKIP_CONFORMANCE;
  const moto = skipAll ? undefined : which('moto_server');
  let server: { url: string; stop: () => void } | undefined;
  let endpoint = '';
  beforeAll(async () => {
    if (!moto) return;
    server = await startMoto(moto);
    endpoint = server.url;
  }, 125_000);
  afterAll(() => {
    server?.stop();
  });

  it('writes the token as a SecureString with its metadata as tags, reads it back, treats the placeholder as empty, restarts by Run Command', async (ctx) => {
    if (!moto) {
      report(`SKIPPED: SSM store against moto_server: ${skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : 'moto_server is not on PATH'}`);
      ctx.skip();
      return;
    }
    const s = new SsmParameterStore({ region: 'eu-central-1', parameter: '/runner-fleet/acme/docker/runner-token', autoScalingGroup: 'acme-docker-manager' }, { endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const ssm = await import('@aws-sdk/client-ssm');
    const client = new ssm.SSMClient({ region: 'eu-central-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    // What Terraform creates: the placeholder value.
    await client.send(new ssm.PutParameterCommand({ Name: '/runner-fleet/acme/docker/runner-token', Value: TOKEN_PLACEHOLDER, Type: 'SecureString' }));
    expect(await s.read()).toBeUndefined();
    await s.write({ token: `glrt-${CANARY}ssm`, runnerId: 7, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
    const raw = await client.send(new ssm.GetParameterCommand({ Name: '/runner-fleet/acme/docker/runner-token' }));
    expect(raw.Parameter!.Type).toBe('SecureString');
    expect(await s.read()).toEqual({ token: `glrt-${CANARY}ssm`, runnerId: 7, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
    await s.write({ token: `glrt-${CANARY}ssm`, runnerId: 7, expiresAt: null, state: 'pending' });
    expect((await s.read())!.state).toBe('pending');
    // "Never expires" (GitLab answered token_expires_at null) is the tag "never"; "none", what
    // runner-fleet wrote before for both that and "not known", reads as not known.
    await s.write({ token: `glrt-${CANARY}ssm`, runnerId: 7, expiresAt: null, state: 'valid' });
    const expiryTag = async () => (await client.send(new ssm.ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/runner-fleet/acme/docker/runner-token' }))).TagList?.find((t) => t.Key === 'runner-fleet:token-expires-at')?.Value;
    expect(await expiryTag()).toBe('never');
    expect((await s.read())!.expiresAt).toBeNull();
    await client.send(new ssm.AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/runner-fleet/acme/docker/runner-token', Tags: [{ Key: 'runner-fleet:token-expires-at', Value: 'none' }] }));
    expect(await s.read()).not.toHaveProperty('expiresAt');
    // Stop 57: a restart done is the label on the version read (LabelParameterVersion, GetParameter
    // of name:label), which a later version does not carry (test/ops-ssm-restarted-label.test.ts).
    await s.write({ token: `glrt-${CANARY}ssm`, runnerId: 7, expiresAt: null, state: 'restart-owed' });
    const held = (await s.read())!;
    expect(held.state).toBe('restart-owed');
    await s.markRestarted({ ...held, state: 'valid' });
    expect((await s.read())!.state).toBe('valid');
    await s.write({ token: `glrt-${CANARY}ssm2`, runnerId: 7, expiresAt: null, state: 'restart-owed' });
    expect((await s.read())!.state).toBe('restart-owed');
    await s.restartManager();
    await s.clear();
    expect(await s.read()).toBeUndefined();
    // A parameter not created yet: one PutParameter with its tags and the cluster's tokenKmsKeyArn.
    const kmsKeyArn = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const fresh = new SsmParameterStore({ region: 'eu-central-1', parameter: '/runner-fleet/acme/fresh/runner-token', autoScalingGroup: 'acme-fresh-manager', kmsKeyArn }, { endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await fresh.write({ token: `glrt-${CANARY}fresh`, runnerId: 8, expiresAt: null, state: 'valid', owner: 'acme/fresh' });
    expect(await fresh.read()).toEqual({ token: `glrt-${CANARY}fresh`, runnerId: 8, expiresAt: null, state: 'valid', owner: 'acme/fresh' });
    const described = await client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/runner-fleet/acme/fresh/runner-token'] }] }));
    expect(described.Parameters?.[0]).toMatchObject({ Type: 'SecureString', KeyId: kmsKeyArn });
    report('ran: SSM store against moto_server (PutParameter SecureString, GetParameter, tags, version labels, SendCommand)');
  }, 60_000);
});
