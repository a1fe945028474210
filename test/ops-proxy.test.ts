import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitLabClient, GitLabUnavailableError, ProxyAuthError } from '../src/live/gitlab.js';
import { isAccessRefused } from '../src/live/access.js';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';
import { KeyVaultSecretStore } from '../src/live/keyvault.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { makeFetch } from '../src/live/http.js';
import { which } from './helpers/tools.js';

/**
 * Self-hosted GitLab behind a corporate proxy: the GitLab client honours HTTPS_PROXY (a CONNECT
 * tunnel), HTTP_PROXY (for http; undici tunnels it through CONNECT too) and NO_PROXY (direct). A tiny
 * proxy records what passes through it; the token never appears in what it can read of a tunnel.
 */

const TOKEN = 'glpat-proxy-test-token';
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;
const saved = new Map(PROXY_VARS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const listen = async (s: Server) => {
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return (s.address() as { port: number }).port;
};

const answer = (req: { headers: Record<string, unknown> }, res: { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-next-page': '' });
  res.end(JSON.stringify(req.headers['private-token'] === TOKEN ? [{ id: 7, description: 'x', paused: false, runner_type: 'instance_type' }] : []));
};

/** A forward proxy: absolute-form requests are relayed, CONNECT opens a tunnel. It records both. */
async function startProxy(): Promise<{ port: number; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url!);
    const up = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return { port: await listen(server), seen, server };
}

describe('GitLab client behind a proxy', () => {
  it('HTTP_PROXY: an http GitLab is reached through the proxy; NO_PROXY bypasses it', async () => {
    const gitlab = createHttpServer(answer);
    const gitlabPort = await listen(gitlab);
    const proxy = await startProxy();
    try {
      for (const k of PROXY_VARS) delete process.env[k];
      process.env.HTTP_PROXY = `http://127.0.0.1:${proxy.port}`;
      const via = new GitLabClient({ baseUrl: `http://127.0.0.1:${gitlabPort}`, token: TOKEN, fetch: await makeFetch() });
      expect((await via.listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([7]);
      // undici's proxy agent tunnels plain http through CONNECT as well.
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${gitlabPort}`]);
      process.env.NO_PROXY = '127.0.0.1';
      const direct = new GitLabClient({ baseUrl: `http://127.0.0.1:${gitlabPort}`, token: TOKEN, fetch: await makeFetch() });
      expect((await direct.listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([7]);
      expect(proxy.seen).toHaveLength(1);
    } finally {
      gitlab.close();
      proxy.server.close();
    }
  });

  it('HTTPS_PROXY: an https GitLab with a private CA is reached through a CONNECT tunnel; NO_PROXY bypasses it', async (ctx) => {
    if (!which('openssl')) {
      console.log('SKIPPED: HTTPS through a proxy: openssl is not on PATH');
      ctx.skip();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'rf-proxy-'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const gitlab = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, answer);
    const gitlabPort = await listen(gitlab);
    const proxy = await startProxy();
    try {
      for (const k of PROXY_VARS) delete process.env[k];
      process.env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
      const base = `https://127.0.0.1:${gitlabPort}`;
      const via = new GitLabClient({ baseUrl: base, token: TOKEN, fetch: await makeFetch({ caFile: join(dir, 'cert.pem') }) });
      expect((await via.listRunners({ type: 'instance_type' })).map((x) => x.id)).toEqual([7]);
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${gitlabPort}`]);
      expect(proxy.seen.join('\n')).not.toContain(TOKEN);
      process.env.no_proxy = '127.0.0.1';
      const direct = new GitLabClient({ baseUrl: base, token: TOKEN, fetch: await makeFetch({ caFile: join(dir, 'cert.pem') }) });
      expect((await direct.listRunners({ type: 'instance_type' })).map((x) => x.id)).toEqual([7]);
      expect(proxy.seen).toHaveLength(1);
    } finally {
      gitlab.close();
      proxy.server.close();
    }
  });

  it.each([
    [407, 'Proxy Authentication Required'],
    [502, 'Bad Gateway'],
  ])('a proxy that answers %i to the tunnel\'s CONNECT is said as the proxy\'s answer (before: a TypeError, exit 70)', async (status, words) => {
    const seen: string[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req, socket) => {
      seen.push(`CONNECT ${req.url}`);
      socket.end(`HTTP/1.1 ${status} ${words}\r\n${status === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : ''}Content-Length: 0\r\n\r\n`);
    });
    const port = await listen(proxy);
    try {
      for (const k of PROXY_VARS) delete process.env[k];
      process.env.HTTP_PROXY = `http://127.0.0.1:${port}`;
      const client = new GitLabClient({ baseUrl: 'http://127.0.0.1:65001', token: TOKEN, fetch: await makeFetch(), timing: new VirtualClock(), retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      const err = await client.listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
      expect(String(err)).not.toContain(TOKEN);
      if (status === 407) {
        // The proxy's own sign-in: a wrong input (exit 2), never retried.
        expect(err).toBeInstanceOf(ProxyAuthError);
        expect(isAccessRefused(err)).toBe(true);
        expect((err as Error).message).toContain('GitLab answered 407 to GET /runners/all: a proxy between here and GitLab asks for its own credentials (Proxy Authentication Required), not GitLab: give them in the proxy URL, HTTPS_PROXY=http://<user>:<password>@<host>:<port>');
        expect(seen).toEqual(['CONNECT 127.0.0.1:65001']);
      } else {
        expect(err).toBeInstanceOf(GitLabUnavailableError);
        expect((err as Error).message).toContain('the last: the proxy (HTTPS_PROXY/HTTP_PROXY) answered 502 to the CONNECT that opens the tunnel to GitLab');
        expect(seen).toEqual(['CONNECT 127.0.0.1:65001', 'CONNECT 127.0.0.1:65001']);
      }
    } finally {
      proxy.close();
    }
  });
});

/** A proxy that answers every CONNECT `status` (407 with a Basic challenge); what it was asked is recorded. */
async function refusingProxy(status: number, words: string): Promise<{ seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createHttpServer();
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end(`HTTP/1.1 ${status} ${words}\r\n${status === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : ''}Content-Length: 0\r\n\r\n`);
  });
  await listen(server);
  process.env.HTTP_PROXY = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.HTTPS_PROXY = process.env.HTTP_PROXY;
  return { seen, server };
}

/**
 * Stop 53 (53b's item 4): the token stores' clients behind a proxy that asks for credentials. Before,
 * a 407 to the CONNECT was "connection failed", retried until the call's deadline and said as the
 * Kubernetes API or Key Vault not answering (exit 1); the GitLab client already said it (above).
 */
describe('the token stores\' clients behind a proxy', () => {
  const KUBE_BEARER = 'kube-bearer-proxy-test';
  const VAULT_BEARER = 'vault-bearer-proxy-test';
  const limits = { policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } };
  const kube = async () => new KubernetesSecretStore({ server: 'http://127.0.0.1:65002', bearer: KUBE_BEARER, fetch: await makeFetch() }, { cluster: 'ci', namespace: 'ci', secret: 'runner-token', deployment: 'gitlab-runner' }, new VirtualClock(), limits);
  const vault = async () => new KeyVaultSecretStore({ vaultUrl: 'http://127.0.0.1:65003', bearer: () => Promise.resolve(VAULT_BEARER), fetch: await makeFetch() }, { vaultName: 'kv-ci', secretName: 'ci-runner-token' }, () => Promise.resolve(), new VirtualClock(), limits);

  it.each([
    ['Kubernetes API', kube, 'cannot reach the Kubernetes API of cluster ci (127.0.0.1:65002) for GET /api/v1/namespaces/ci/secrets/runner-token: a proxy between here and the Kubernetes API of cluster ci asks for its own credentials (it answered 407 Proxy Authentication Required to the CONNECT that opens the tunnel to 127.0.0.1:65002; nothing reached the Kubernetes API of cluster ci): give them in the proxy URL, HTTPS_PROXY=http://<user>:<password>@<host>:<port> (HTTP_PROXY for an http:// address), or add 127.0.0.1 to NO_PROXY if it is reached directly', 'CONNECT 127.0.0.1:65002'],
    ['Key Vault', vault, 'cannot reach Key Vault secret ci-runner-token (vault kv-ci) (GET): a proxy between here and Key Vault (127.0.0.1:65003) asks for its own credentials (it answered 407 Proxy Authentication Required to the CONNECT that opens the tunnel to 127.0.0.1:65003; nothing reached Key Vault (127.0.0.1:65003)): give them in the proxy URL', 'CONNECT 127.0.0.1:65003'],
  ] as const)('%s: a 407 to the CONNECT says the proxy asks for credentials, at once, as a refused credential (exit 2)', async (_name, open, said, connect) => {
    for (const k of PROXY_VARS) delete process.env[k];
    const proxy = await refusingProxy(407, 'Proxy Authentication Required');
    try {
      const err = await (await open()).read().catch((e: unknown) => e);
      expect((err as Error).message).toContain(said);
      expect(isAccessRefused(err)).toBe(true);
      // Not retried: no retry mends the proxy's sign-in.
      expect(proxy.seen).toEqual([connect]);
      expect(String(err)).not.toContain(KUBE_BEARER);
      expect(String(err)).not.toContain(VAULT_BEARER);
    } finally {
      proxy.server.close();
    }
  });

  it.each([
    ['Kubernetes API', kube],
    ['Key Vault', vault],
  ] as const)('twin, %s: a 502 to the CONNECT is retried and said as the proxy\'s answer, an outage (exit 1), not a refused credential', async (_name, open) => {
    for (const k of PROXY_VARS) delete process.env[k];
    const proxy = await refusingProxy(502, 'Bad Gateway');
    try {
      const err = await (await open()).read().catch((e: unknown) => e);
      expect((err as Error).message).toContain('the last: the proxy (HTTPS_PROXY/HTTP_PROXY) answered 502 to the CONNECT that opens the tunnel');
      expect(isAccessRefused(err)).toBe(false);
      expect(proxy.seen).toHaveLength(2);
    } finally {
      proxy.server.close();
    }
  });
});
