import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsCommand, type OpsCommandName, type OpsOptions, type OpsWorld } from '../src/cli/ops.js';
import { GitLabClient, GitLabUnavailableError } from '../src/live/gitlab.js';
import { realTiming } from '../src/live/retry.js';
import { opsReportSchema } from '../src/ops/report.js';
import { exampleValue } from './helpers/fleet.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { writeSpec } from './helpers/ops-world.js';
import { which } from './helpers/tools.js';

/**
 * The operations commands against a GitLab that misbehaves, found by a black-box run of the built
 * CLI: a certificate this machine does not trust was retried six times and then reported as a
 * connection failure with no fix; a GitLab that accepts connections and never answers kept
 * `status` running three minutes; a failed read printed "plan: nothing to do" before the error.
 * Test doubles are real servers on loopback.
 */
const TOKEN = 'glpat-misbehaving-test-token';

/** The eks-irsa example (one API-registered runner, so every mutating command reads GitLab first) at this gitlab.url. */
function specAt(url: string): string {
  const s = exampleValue('eks-irsa');
  s.gitlab.url = url;
  for (const r of s.runners) r.gitlab = { ...r.gitlab, registration: 'api' };
  return writeSpec(s);
}

const noStore = () => ({
  label: 'no store in this test',
  read: () => Promise.reject(new Error('the store was read before GitLab')),
  write: () => Promise.reject(new Error('no store')),
  clear: () => Promise.reject(new Error('no store')),
  restartManager: () => Promise.reject(new Error('no store')),
});

async function run(command: OpsCommandName, spec: string, opts: OpsOptions, world: Partial<OpsWorld> = {}) {
  let out = '';
  let err = '';
  const w = { env: { RUNNER_FLEET_GITLAB_TOKEN: TOKEN }, readStdin: () => Promise.resolve(''), timing: new VirtualClock(), store: noStore, ...world } as OpsWorld;
  const code = await opsCommand(command, spec, opts, { out: (s) => (out += s), err: (s) => (err += s) }, w);
  return { code, out, err };
}

const NEVER_INSECURE = /NODE_TLS_REJECT_UNAUTHORIZED|rejectUnauthorized|insecure|--insecure|-k\b|disable|skip.{0,20}verif/i;

describe('TLS failures: said at once, with the code, the host and the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-misbehaving-tls-'));
  const openssl = which('openssl');
  const servers: { close: () => void }[] = [];
  const pem = (name: string) => join(dir, name);
  let requests = 0;
  /** A loopback HTTPS server with this certificate (and chain), answering every request with an empty list. */
  const serve = async (cert: string, chain = ''): Promise<string> => {
    const server = createHttpsServer({ key: readFileSync(pem(cert === 'self.pem' ? 'self.key' : 'leaf.key')), cert: readFileSync(pem(cert), 'utf8') + chain }, (_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push(server);
    return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  };

  beforeAll(() => {
    if (!openssl) return;
    const sh = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    writeFileSync(pem('ip.ext'), 'subjectAltName=IP:127.0.0.1\n');
    writeFileSync(pem('dns.ext'), 'subjectAltName=DNS:gitlab.internal\n');
    // A self-signed server certificate; a private CA; leaves it signed: good, for another name, expired.
    sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', 'self.key', '-out', 'self.pem']);
    sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test private CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    sh(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'leaf.key', '-out', 'leaf.csr']);
    sh(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '2', '-days', '1', '-extfile', 'ip.ext', '-out', 'leaf.pem']);
    sh(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '3', '-days', '1', '-extfile', 'dns.ext', '-out', 'other-name.pem']);
    // -days -1: valid until a day before it was made.
    sh(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '4', '-days', '-1', '-extfile', 'ip.ext', '-out', 'expired.pem']);
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  // The last column: the --ca-file that mends it, where the advice is --ca-file.
  it.for<[string, string, boolean, string | undefined, RegExp, string | undefined]>([
    ['a self-signed certificate, no --ca-file', 'self.pem', false, undefined, /DEPTH_ZERO_SELF_SIGNED_CERT\): give --ca-file <pem> with the CA certificate that signed it/, 'self.pem'],
    ['a certificate of a private CA, no --ca-file', 'leaf.pem', false, undefined, /UNABLE_TO_VERIFY_LEAF_SIGNATURE\): give --ca-file <pem> with the CA certificate that signed it/, 'ca.pem'],
    ['a private CA sent in the chain, no --ca-file', 'leaf.pem', true, undefined, /SELF_SIGNED_CERT_IN_CHAIN\): give --ca-file <pem>/, 'ca.pem'],
    ['a --ca-file of another CA', 'leaf.pem', false, 'self.pem', /\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\), and not by a CA in --ca-file ".*self\.pem": give --ca-file the CA certificate \(PEM\) that signed the certificate of 127\.0\.0\.1:\d+/, 'ca.pem'],
    ['a certificate for another host name', 'other-name.pem', false, 'ca.pem', /does not cover that host name \(ERR_TLS_CERT_ALTNAME_INVALID; it names DNS:gitlab\.internal\): gitlab\.url https:\/\/127\.0\.0\.1:\d+ must name a host the certificate covers/, undefined],
    ['an expired certificate', 'expired.pem', false, 'ca.pem', /has expired \(CERT_HAS_EXPIRED\): renew it on the server/, undefined],
  ])('%s: one attempt, the TLS code, the host and the fix, and no plan', async ([, cert, chain, caFile, message, mendedBy], ctx) => {
    if (!openssl) {
      console.log('SKIPPED: TLS failures of the operations commands: openssl is not on PATH');
      ctx.skip();
      return;
    }
    const url = await serve(cert, chain ? readFileSync(pem('ca.pem'), 'utf8') : '');
    const spec = specAt(url);
    const seen = requests;
    const opts = caFile !== undefined ? { caFile: pem(caFile) } : {};
    const text = await run('register', spec, opts);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^error: cannot reach GitLab for GET \/groups\/.+\/runners: the TLS certificate of 127\.0\.0\.1:\d+ /);
    expect(text.out).toMatch(message);
    expect(text.out).toContain(url.replace('https://', ''));
    expect(text.out + text.err).not.toMatch(NEVER_INSECURE);
    // Not retried: no "retrying" progress, one call in the report.
    expect(text.err).not.toMatch(/retrying/);
    const json = await run('register', spec, { ...opts, json: true });
    const report = opsReportSchema.parse(JSON.parse(json.out));
    expect(report.apiCalls).toBe(1);
    expect(report.error).toMatch(message);
    expect(report.failedAt).toBe('read');
    expect(requests).toBe(seen);
    // The advice works: with the CA that signed it, the same GitLab answers.
    if (mendedBy !== undefined) {
      const mended = await run('status', spec, { caFile: pem(mendedBy), json: true });
      expect(mended.out).not.toContain('"error"');
      expect(requests).toBeGreaterThan(seen);
    }
  });
});

describe('an https gitlab.url at a port that speaks plain HTTP', () => {
  it('is said at once: not TLS there, give the address GitLab serves HTTPS at', async () => {
    let requests = 0;
    const plain = createHttpServer((_req, res) => {
      requests++;
      res.end('[]');
    });
    await new Promise<void>((ok) => plain.listen(0, '127.0.0.1', ok));
    try {
      const url = `https://127.0.0.1:${(plain.address() as { port: number }).port}`;
      const r = await run('status', specAt(url), { json: true });
      const report = opsReportSchema.parse(JSON.parse(r.out));
      expect(report.error).toMatch(/^cannot reach GitLab for GET \/groups\/.+: 127\.0\.0\.1:\d+ does not answer TLS \(ERR_SSL_WRONG_VERSION_NUMBER\): gitlab\.url https:\/\/127\.0\.0\.1:\d+ says https, but the server at that port speaks plain HTTP/);
      expect(report.apiCalls).toBe(1);
      expect(r.err).not.toMatch(/retrying/);
      expect(requests).toBe(0);
    } finally {
      plain.close();
    }
  });
});

describe('a GitLab that accepts connections and never answers', () => {
  let server: TcpServer;
  let url = '';
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts, reads, never writes a byte: not even the TLS handshake of gitlab.url's https.
    server = createTcpServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it('status ends within the call deadline and says who did not answer, in how long, and what to check', async () => {
    const spec = specAt(url);
    const started = Date.now();
    // The real clock, with the request timeout (default 20 s) and the call deadline (default 45 s) shrunk through the world.
    const r = await run('status', spec, {}, { timing: realTiming, requestTimeoutMs: 300, callDeadlineMs: 1_000 });
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error: GitLab at 127\.0\.0\.1:\d+ did not answer GET \/groups\/.+\/runners in (0\.[3-9]|1(\.\d)?) s \([1-4] attempts?, each given up to 0\.3 s; the last: timed out\): it accepts connections but does not answer: check that GitLab is up/);
    expect(r.out).toContain(`gitlab.url ${url}`);
    expect(took).toBeLessThan(4_000);
  });

  it('with the default figures, the deadline counts on the clock: two attempts of 30 s (the double\'s timeouts) and no more; a 429\'s waits count too', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    // A client on the virtual clock with no timeout of its own: the double's answers move the clock.
    const onClock = (fetch: () => Promise<Response>) => new GitLabClient({ baseUrl: 'https://gitlab.example.com', token: TOKEN, timing: clock, timeoutMs: 0, fetch });
    const client = onClock(() => {
      calls++;
      clock.t += 30_000;
      return Promise.reject(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }));
    });
    const err = await client.listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect(String(err)).toMatch(/GitLab at gitlab\.example\.com did not answer GET \/runners\/all in 6\d s \(2 attempts; the last: timed out\)/);
    expect(calls).toBe(2);

    // Waits a 429 asks for count against the deadline too: a server that answers 429 with
    // Retry-After: 40 again and again ends the call at the first wait that would pass 45 s.
    calls = 0;
    const started = clock.now();
    const limited = onClock(() => {
      calls++;
      return Promise.resolve(calls <= 5 ? new Response('{"message":"429 Too Many Requests"}', { status: 429, headers: { 'retry-after': '40' } }) : new Response('[]', { status: 200 }));
    });
    const slow = await limited.listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(GitLabUnavailableError);
    expect(String(slow)).toMatch(/GitLab at gitlab\.example\.com asks to wait 40 s before GET \/runners\/all is tried again \(rate limited \(429\); Retry-After or RateLimit-Reset\): that would pass the 45 s runner-fleet gives one call, its retries and waits included \(40 s spent, 2 attempts\): try again later/);
    expect(calls).toBe(2);
    expect(clock.now() - started).toBe(40_000);

    // Waits that fit in what is left of the limit are waited for: 20 s, then 20 s more.
    calls = 0;
    const slept = clock.slept;
    const fits = onClock(() => {
      calls++;
      return Promise.resolve(calls <= 2 ? new Response('{"message":"429 Too Many Requests"}', { status: 429, headers: { 'retry-after': '20' } }) : new Response('[]', { status: 200 }));
    });
    expect(await fits.listRunners({ type: 'instance_type' })).toEqual([]);
    expect(calls).toBe(3);
    expect(clock.slept - slept).toBe(40_000);
  });
});

describe('a failed read prints the error, never a plan made from nothing', () => {
  // A closed port: every request is refused at once (retries wait on a virtual clock).
  let url = '';
  beforeAll(async () => {
    const s = createTcpServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    url = `https://127.0.0.1:${(s.address() as { port: number }).port}`;
    await new Promise<void>((ok) => s.close(() => ok()));
  });

  it.each([
    ['register', {}],
    ['register', { approve: true }],
    ['rotate', {}],
    ['prune', { approve: true }],
    ['drain', { runner: 'build' }],
    ['unregister', { runner: 'build' }],
  ] as [OpsCommandName, OpsOptions][])('%s %j: only the error (text), and a report without a plan that says the read failed (--json)', async (command, opts) => {
    const spec = specAt(url);
    const runner = (exampleValue('eks-irsa').runners as { name: string }[])[0]!.name;
    const o = opts.runner !== undefined ? { ...opts, runner } : opts;
    const text = await run(command, spec, o);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^error: GitLab at 127\.0\.0\.1:\d+ did not answer GET .* \(6 attempts, each given up to 20 s; the last: ECONNREFUSED\): nothing accepts connections there: check gitlab\.url/);
    expect(text.out).not.toMatch(/plan|nothing to do|--approve/);
    expect(text.out.trim().split('\n')).toHaveLength(1);
    const json = await run(command, spec, { ...o, json: true });
    const report = opsReportSchema.parse(JSON.parse(json.out));
    expect(report.plan).toBeUndefined();
    expect(report.failedAt).toBe('read');
    expect(report.error).toMatch(/did not answer/);
  });
});

/**
 * Stop 53 (53b's item 3): a DELETE or PUT of a runner whose every attempt failed said only what to
 * check and "try again", though an attempt may have reached GitLab and been carried out. Now it says
 * so, and what shows the state; a GET (it changes nothing) does not.
 */
describe('a DELETE or PUT failing every retry says what may have happened and how to see it', () => {
  const failing = () => new GitLabClient({ baseUrl: 'https://gitlab.example.com', token: 'glpat-acted-test', timing: new VirtualClock(), timeoutMs: 0, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, fetch: () => Promise.resolve(new Response('{}', { status: 502 })) });
  it.each([
    ['DELETE', () => failing().deleteRunner(41), 'runner #41 may be deleted already; runner-fleet status <spec> shows its state (the same command again is safe: a runner already deleted is "already gone")'],
    ['PUT', () => failing().updateRunner(41, { paused: true }), 'runner #41 may have the new settings already; runner-fleet status <spec> shows its state'],
  ] as const)('%s', async (_m, call, said) => {
    const err = (await call().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('(3 attempts');
    expect(err.message).toContain(`An attempt may have reached GitLab though no answer came back: ${said}`);
  });
  it('twin: a GET failing every retry says nothing of that (it changes nothing)', async () => {
    const err = (await failing().getRunner(41).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('(3 attempts');
    expect(err.message).not.toContain('may have reached GitLab');
  });
});
