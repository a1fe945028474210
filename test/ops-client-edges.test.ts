import { createServer as createHttpsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabClient, GitLabUnavailableError } from '../src/live/gitlab.js';
import { makeFetch } from '../src/live/http.js';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';
import { rateLimitWaitMs } from '../src/live/retry.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { testCertificates } from './helpers/keyvault-double.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';
import { isAccessRefused } from '../src/live/access.js';
import { opsReportSchema } from '../src/ops/report.js';

const certs = testCertificates('TLS failures of the Kubernetes API');

/**
 * Small wrong behaviours of the API clients found by a black-box run of the built CLI: a
 * `Retry-After` that is no delay made five retries 0.0 s apart; a list answer that starts with a
 * UTF-8 byte-order mark was called "not JSON" while showing valid JSON.
 */
const TOKEN = 'glpat-client-edges-test-token';

/** A client on a virtual clock whose backoff is half its cap (random() = 0.5), over `answers` in turn. */
function clientOver(answers: (() => Response)[]) {
  const clock = new VirtualClock(() => 0.5);
  const progress: string[] = [];
  let calls = 0;
  const client = new GitLabClient({
    baseUrl: 'https://gitlab.example.com',
    token: TOKEN,
    timing: clock,
    timeoutMs: 0,
    progress: (l) => progress.push(l),
    fetch: () => Promise.resolve(answers[Math.min(calls++, answers.length - 1)]!()),
  });
  return { client, clock, progress, calls: () => calls };
}

const limited = (retryAfter: string) => () => new Response('{"message":"429 Too Many Requests"}', { status: 429, headers: { 'retry-after': retryAfter } });
const emptyList = () => new Response('[]', { status: 200 });

describe('Retry-After that is no delay: the client backs off by its own policy', () => {
  const headers = (h: Record<string, string>) => ({ get: (k: string) => h[k] ?? null });
  const now = Date.parse('2026-06-01T00:00:00Z');
  it.each([
    ['-5'],
    ['abc'],
    ['1.5'],
    ['0'],
    ['Mon, 01 Jan 2024 00:00:00 GMT'], // past
    ['2026-06-01T00:01:00Z'], // ISO 8601 is no HTTP-date
    ['-5 '],
  ])('Retry-After %j asks for no wait of its own', (ra) => {
    expect(rateLimitWaitMs(headers({ 'retry-after': ra }), now)).toBeUndefined();
  });
  it.each([
    ['Mon, 01 Jun 2026 00:00:30 GMT', 30_000],
    ['Monday, 01-Jun-26 00:00:30 GMT', 30_000],
    ['Mon Jun  1 00:00:30 2026', 30_000],
    ['12', 12_000],
  ])('Retry-After %j: %i ms', (ra, ms) => {
    expect(rateLimitWaitMs(headers({ 'retry-after': ra }), now)).toBe(ms);
  });
  it('a RateLimit-Reset in the past asks for no wait either', () => {
    expect(rateLimitWaitMs(headers({ 'ratelimit-reset': String(now / 1000 - 10) }), now)).toBeUndefined();
  });

  it.each(['-5', 'abc', 'Mon, 01 Jan 2024 00:00:00 GMT', '0'])('two 429s with Retry-After %j: retried after the backoff (0.25 s, 0.5 s), not at once', async (ra) => {
    const { client, clock, progress, calls } = clientOver([limited(ra), limited(ra), emptyList]);
    expect(await client.listRunners({ type: 'instance_type' })).toEqual([]);
    expect(calls()).toBe(3);
    expect(clock.slept).toBe(250 + 500);
    expect(progress.join('\n')).not.toMatch(/retrying in 0\.0 s/);
  });

  it.each(['9'.repeat(400), '99999999999999999999'])('a Retry-After of %s seconds is not waited for: the call fails at once, saying so in words', async (ra) => {
    const { client, clock, calls } = clientOver([limited(ra), emptyList]);
    const err = await client.listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect(String(err)).toMatch(/rate-limits GET \/runners\/all for more than a day .*longer than the 120 s runner-fleet waits: try again later/);
    expect(String(err)).not.toMatch(/Infinity|e\+/);
    expect(calls()).toBe(1);
    expect(clock.slept).toBe(0);
  });
});

describe('JSON answers with a UTF-8 byte-order mark', () => {
  const bom = (json: string, status = 200) => () => new Response(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), { status, headers: { 'content-type': 'application/json' } });
  it('a list that starts with a BOM is read as the list it is', async () => {
    const { client } = clientOver([bom('[{"id":7,"description":"x","paused":false,"runner_type":"instance_type"}]')]);
    expect((await client.listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([7]);
  });
  it('an object that starts with a BOM too', async () => {
    const { client } = clientOver([bom('{"id":42}')]);
    expect(await client.projectId('acme/app')).toBe(42);
  });
  it('a body that is not JSON is still said to be none', async () => {
    const { client } = clientOver([bom('<html>')]);
    await expect(client.listRunners({ type: 'instance_type' })).rejects.toThrow(/not JSON: it starts with "<html>"/);
  });
});

describe.skipIf(!certs)('TLS failures of the Kubernetes API: said at once, like GitLab\'s', () => {
  let base = '';
  let connections = 0;
  const server = createHttpsServer({ key: certs?.key, cert: certs?.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  server.on('connection', () => connections++);
  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('a certificate of a CA this process does not trust: one attempt, the code, the host, the fix (never "disable verification")', async () => {
    const clock = new VirtualClock();
    const store = new KubernetesSecretStore({ server: base, bearer: 'kube-bearer-not-shown', fetch: await makeFetch() }, { cluster: 'ci', namespace: 'ci-apps', secret: 'apps-runner-token', deployment: 'apps-gitlab-runner' }, clock);
    const e = (await store.read().catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/^cannot reach the Kubernetes API of cluster ci for GET \/api\/v1\/namespaces\/ci-apps\/secrets\/apps-runner-token \(trusting only Node's bundled public CAs and NODE_EXTRA_CA_CERTS\): the TLS certificate of 127\.0\.0\.1:\d+ is not signed by a CA this command trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): give the cluster CA \(PEM; the certificate-authority of the cluster in your kubeconfig\) with --kube-ca-file <cluster>=<pem>, reach it through `kubectl proxy`/);
    expect(e.message).not.toMatch(/connection failed|disable|insecure|NODE_TLS_REJECT_UNAUTHORIZED|kube-bearer/i);
    expect(connections).toBe(1);
    expect(clock.slept).toBe(0);
  });
});

describe('status: a listed runner whose details answer 404', () => {
  it('is said in words, is a problem (exit 1), and --json marks it detailsNotFound', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    expect((await h.run('status')).code).toBe(0);
    const [gone] = [...h.double.runners.values()].sort((a, b) => a.id - b.id);
    const real = h.world.fetch!;
    // The runner is listed, but reading it answers 404 (deleted in between, or not visible to this token).
    h.world.fetch = (url, init) => (init.method === 'GET' && new URL(url).pathname === `/api/v4/runners/${gone!.id}` ? Promise.resolve(new Response('{"message":"404 Not found"}', { status: 404 })) : real(url, init));
    const r = await h.run('status');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`#${gone!.id}: details not found (deleted or not visible to this token; GET /runners/${gone!.id} answered 404)`);
    expect(r.out).not.toMatch(new RegExp(`#${gone!.id} \\?`));
    const j = await h.run('status', { json: true });
    expect(j.code).toBe(1);
    const report = opsReportSchema.parse(JSON.parse(j.out));
    const flagged = report.runners!.filter((x) => x.detailsNotFound === true);
    expect(flagged.map((x) => x.ids[0])).toEqual([gone!.id]);
  });
});

describe('a refused credential is exit 2 with the call, the status and what the credential needs', () => {
  it('GitLab 401 (a revoked or wrong access token): status exits 2, not 1 like drift, and says to create a token', async () => {
    const h = harness(writeSpec(opsSpec()));
    h.world.env = { RUNNER_FLEET_GITLAB_TOKEN: 'glpat-revoked-0123456789abcdef' };
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/GitLab answered 401 to GET \/groups\/acme\/runners: the access token is not accepted \(invalid, expired or revoked; GitLab says: 401 Unauthorized\): create a new one with the scope manage_runner \(or read_api, api\).*Maintainer role.*RUNNER_FLEET_GITLAB_TOKEN/);
    expect(r.out + r.err).not.toContain('glpat-revoked');
    const j = await h.run('status', { json: true });
    expect(JSON.parse(j.out)).toMatchObject({ exitCode: 2, failedAt: 'read' });
  });

  it.each([
    ['group', 1, 'acme/platfrom', 'GitLab answered 404 to GET /groups/acme%2Fplatfrom/runners: there is no group acme/platfrom that the access token\'s user can see (GitLab says: 404 Group Not Found): check runners[].gitlab.group in the spec (the full path as in the group\'s URL, e.g. acme/platform) and that the user is a member of the group'],
    ['project', 2, 'acme/platform/apii', 'GitLab answered 404 to GET /projects/acme%2Fplatform%2Fapii/runners: there is no project acme/platform/apii that the access token\'s user can see (GitLab says: 404 Project Not Found): check runners[].gitlab.project in the spec (the full path as in the project\'s URL, e.g. acme/platform/api) and that the user is a member of the project'],
  ])('a %s GitLab answers 404 for (mistyped, or hidden from the token\'s user) is a wrong input: exit 2 with the spec key and the fix', async (kind, index, path, message) => {
    const spec = opsSpec();
    spec.runners[index].gitlab[kind] = path;
    const h = harness(writeSpec(spec));
    for (const command of ['status', 'register'] as const) {
      const r = await h.run(command, { approve: command === 'register' });
      expect(r.code).toBe(2);
      expect(r.out).toContain(`error: ${message}`);
    }
    const j = await h.run('status', { json: true });
    expect(JSON.parse(j.out)).toMatchObject({ exitCode: 2, failedAt: 'read' });
  });

  it('GitLab 403 on POST /user/runners: register --approve exits 2 and names create_runner and the role', async () => {
    const h = harness(writeSpec(opsSpec()));
    const real = h.world.fetch!;
    h.world.fetch = (url, init) => (init.method === 'POST' && new URL(url).pathname === '/api/v4/user/runners' ? Promise.resolve(new Response('{"message":"403 Forbidden"}', { status: 403 })) : real(url, init));
    const r = await h.run('register', { approve: true });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/failed +create .*GitLab answered 403 to POST \/user\/runners: the access token may not do this \(GitLab says: 403 Forbidden\): it needs the scope create_runner \(or api\), and the user must be an administrator \(instance runners\) or an Owner/);
  });

  it('a runner token GitLab refuses during rotate is no credential problem of the command: it resets by id (exit 0)', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    for (const s of h.stores.values()) if (s.value) s.value = { ...s.value, token: 'glrt-no-longer-valid-0123456789' };
    const r = await h.run('rotate', { approve: true, wait: '0s' });
    expect(r.out).not.toMatch(/failed/);
    expect(r.code).toBe(0);
  });

  it.each([
    [401, /does not accept the credential \(HTTP 401\).*kubectl auth whoami/],
    [403, /forbids it \(HTTP 403, RBAC\): the identity needs get, create and update on secrets in namespace ci-apps and patch on deployments there.*kubectl auth can-i update secrets -n ci-apps/],
  ])('the Kubernetes API answers %i: the token store read fails with the fix, and the command exits 2', async (status, message) => {
    const h = harness(writeSpec(opsSpec()));
    let calls = 0;
    const kube = new KubernetesSecretStore(
      { server: 'http://127.0.0.1:8001', bearer: 'kube-bearer-not-shown', fetch: () => (calls++, Promise.resolve(new Response(JSON.stringify({ kind: 'Status', code: status }), { status }))) },
      { cluster: 'ci', namespace: 'ci-apps', secret: 'apps-runner-token', deployment: 'apps-gitlab-runner' },
      h.clock,
    );
    const e = (await kube.read().catch((x: unknown) => x)) as Error;
    expect(isAccessRefused(e)).toBe(true);
    expect(e.message).toMatch(message);
    expect(calls).toBe(1);
    // Registered, so that register's plan reads each runner's token store.
    expect((await h.run('register', { approve: true })).code).toBe(0);
    h.world.store = () => kube;
    const r = await h.run('register');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(message);
    expect(r.out).not.toContain('kube-bearer');
  });
});

describe('rotate --approve waits for the restarted managers together, within one deadline', () => {
  it('four managers that never come back cost one --wait (300 s), not 300 s each; the ones that do are confirmed', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const names = [...h.stores.keys()].sort();
    expect(names.length).toBe(4);
    // Three managers restart but never contact GitLab again; the fourth does.
    const stuck = names.slice(0, 3);
    for (const n of stuck) {
      const s = h.stores.get(n)!;
      s.restartManager = () => {
        s.restarts++;
        return Promise.resolve();
      };
    }
    // A minute later: the contacts of the registration are older than the restarts.
    h.clock.t += 60_000;
    const t0 = h.clock.now();
    const r = await h.run('rotate', { approve: true, wait: '300s', json: true });
    const took = h.clock.now() - t0;
    expect(r.code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(300_000);
    expect(took).toBeLessThan(400_000);
    const report = opsReportSchema.parse(JSON.parse(r.out));
    const byRunner = new Map(report.results!.map((x) => [x.runner, x]));
    for (const n of stuck) {
      expect(byRunner.get(n)!.outcome).toBe('failed');
      expect(byRunner.get(n)!.detail).toMatch(new RegExp(`^runner ${n} \\(#\\d+\\) has not contacted GitLab since its restart \\(waited 30\\d s for the 4 restarted runners together\\); its token is stored, check the manager$`));
    }
    const ok = byRunner.get(names[3]!)!;
    expect(ok.outcome).toBe('done');
    expect(ok.detail).toMatch(/manager restarted and online with the new token/);
    // Every token was rotated and stored, the stuck ones too.
    for (const n of names) expect(h.stores.get(n)!.value!.token).toBe([...h.double.runners.values()].find((x) => x.id === h.stores.get(n)!.value!.runnerId)!.token);
  });
});
