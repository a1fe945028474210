import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabAnswerError, GitLabClient, GitLabHttpError } from '../src/live/gitlab.js';
import { opsCommand, type OpsWorld } from '../src/cli/ops.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';

/**
 * What answers at gitlab.url may not be GitLab: a redirect, a sign-in page, a body of another
 * shape, endless pages. Real HTTP servers on loopback stand in for it (found by a black-box run of
 * the operations commands: the token followed redirects to other hosts and to plain http, and
 * these answers were internal errors, endless loops, or a stored empty token).
 */
const TOKEN = 'glpat-answers-test-token';
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: string; seen: { url: string; token: string | undefined }[] }> {
  const seen: { url: string; token: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', token: req.headers['private-token'] as string | undefined });
    handler(req, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

const client = (base: string) => new GitLabClient({ baseUrl: base, token: TOKEN, fetch: (url, init) => fetch(url, init), timing: new VirtualClock(), retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });

describe('answers that are not GitLab API answers', () => {
  let elsewhere: Awaited<ReturnType<typeof listen>>;
  let gitlab: Awaited<ReturnType<typeof listen>>;
  let mode = '';
  beforeAll(async () => {
    elsewhere = await listen((_req, res) => send(res, 200, '[]'));
    gitlab = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const page = Number(url.searchParams.get('page') ?? '1');
      switch (mode) {
        case 'redirect':
          res.writeHead(302, { location: `${elsewhere.base}/api/v4${url.pathname.slice('/api/v4'.length)}` });
          return res.end();
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html><body>Sign in</body></html>');
        case 'object':
          return send(res, 200, '{}');
        case 'nulls':
          return send(res, 200, '[null, 1]');
        case 'pages-back':
          return send(res, 200, JSON.stringify([{ id: page }]), { 'x-next-page': '1' });
        case 'pages-endless':
          return send(res, 200, JSON.stringify([{ id: page }]), { 'x-next-page': String(page + 1) });
        case 'pages-ignored':
          // A proxy that drops the query string: the first page for every page, with x-next-page.
          return send(res, 200, JSON.stringify([{ id: 11 }, { id: 12 }]), { 'x-next-page': String(page + 1) });
        case 'pages-ignored-full':
          // The same, a full page of 100 and no x-next-page: the next page is asked for, and is the first again.
          return send(res, 200, JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: 1 + i }))));
        case 'pages-two':
          // Twin: a full first page, then the rest, as GitLab pages them.
          return send(res, 200, JSON.stringify(Array.from({ length: page === 1 ? 100 : 3 }, (_, i) => ({ id: (page - 1) * 100 + 1 + i }))), { 'x-next-page': page === 1 ? '2' : '' });
        case 'huge-page':
          return send(res, 200, JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ({ id: i }))));
        case 'created-without-token':
          return send(res, 201, JSON.stringify({ id: 5 }));
        default:
          return send(res, 200, '[]');
      }
    });
  });
  afterAll(() => {
    elsewhere.server.close();
    gitlab.server.close();
  });

  it('a redirect is not followed, so the token never reaches another address', async () => {
    mode = 'redirect';
    const err = await client(gitlab.base).listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabHttpError);
    expect(String(err)).toMatch(/GitLab answered 302 to GET \/runners\/all: a redirect to http:\/\/127\.0\.0\.1:\d+, which runner-fleet does not follow/);
    expect(elsewhere.seen).toEqual([]);
    expect(gitlab.seen.at(-1)?.token).toBe(TOKEN);
  });

  it.each([
    ['an HTML sign-in page', 'html', /not JSON: it starts with "<html><body>Sign in/],
    ['an object where a list belongs', 'object', /an object where a list was expected/],
    ['a list of nulls', 'nulls', /a list item that is not an object with a numeric id/],
    ['pages that go back', 'pages-back', /x-next-page "1" after page 1/],
    ['pages without end', 'pages-endless', /more than 1000 pages of 100/],
  ])('%s is a GitLabAnswerError naming the call', async (_name, m, message) => {
    mode = m;
    const err = await client(gitlab.base).listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabAnswerError);
    expect(String(err)).toMatch(/GET \/runners\/all: the answer is not what GitLab's API sends/);
    expect(String(err)).toMatch(message);
  }, 30_000);

  it.each([
    ['with x-next-page', 'pages-ignored', /page 2, http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners\/all\?type=instance_type&per_page=100&page=2, holds the same 2 runners as page 1 \(ids 11…12\): the server at 127\.0\.0\.1:\d+, or a proxy or cache in front of it, ignores the page query parameter/, 2],
    ['a full page without x-next-page', 'pages-ignored-full', /page 2, .*page=2, holds the same 100 runners as page 1 \(ids 1…100\)/, 2],
  ])('a server that ignores page (%s) stops at the second page, naming the URL and what ignores it (before: it ran to the 1,000-page limit)', async (_name, m, message, requests) => {
    mode = m;
    const before = gitlab.seen.length;
    const err = await client(gitlab.base).listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabAnswerError);
    expect(String(err)).toMatch(message);
    expect(String(err)).not.toContain(TOKEN);
    expect(gitlab.seen.length - before).toBe(requests);
  });

  it('twin: a full page and then the rest are read as two pages', async () => {
    mode = 'pages-two';
    expect((await client(gitlab.base).listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual(Array.from({ length: 103 }, (_, i) => i + 1));
  });

  it('a page of 200,000 runners is read (no spread of it onto the stack)', async () => {
    mode = 'huge-page';
    expect((await client(gitlab.base).listRunners({ type: 'instance_type' })).length).toBe(200_000);
  });

  it('a created runner without a token is an error: nothing to store', async () => {
    mode = 'created-without-token';
    const err = await client(gitlab.base).createRunner({ runner_type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabAnswerError);
    expect(String(err)).toMatch(/POST \/user\/runners: .*no token in it/);
  });

  it.each([
    ['an HTML page', 'html', /the answer is not what GitLab's API sends \(not JSON/],
    ['a page of 200,000 runners', 'huge-page', /./],
  ])('the operations commands report %s (exit 1: nothing registered), never an internal error (exit 70)', async (_name, m, message) => {
    mode = m;
    let out = '';
    let err = '';
    const spec = fileURLToPath(new URL('../examples/eks-irsa.yaml', import.meta.url));
    // The spec's https://gitlab.com is answered by the local server.
    const world = {
      env: { RUNNER_FLEET_GITLAB_TOKEN: TOKEN },
      readStdin: () => Promise.resolve(''),
      timing: new VirtualClock(),
      fetch: (url: string, init: Parameters<typeof fetch>[1]) => fetch(url.replace(/^https:\/\/[^/]+/, gitlab.base), init),
    } as unknown as OpsWorld;
    const code = await opsCommand('status', spec, {}, { out: (s) => (out += s), err: (s) => (err += s) }, world);
    expect(err).not.toContain('internal error');
    expect(out + err).toMatch(message);
    expect(code).toBe(1);
  }, 60_000);
});

describe('a Kubernetes API answer that is not a Secret', () => {
  it.each([
    ['an empty object', '{}'],
    ['a list', '[]'],
    ['null', 'null'],
    ['an HTML page', '<html>sign in</html>'],
  ])('%s is an error, not an empty token store (register would reset a token that exists)', async (_name, body) => {
    const server = await listen((_req, res) => send(res, 200, body));
    try {
      const store = new KubernetesSecretStore({ server: server.base, bearer: 'kube-bearer', fetch: (url, init) => fetch(url, init) }, { cluster: 'devops', namespace: 'ci', secret: 'runner-token', deployment: 'gitlab-runner' }, new VirtualClock());
      await expect(store.read()).rejects.toThrow(/the Kubernetes API answered with something that is not a Secret/);
    } finally {
      server.server.close();
    }
  });

  it('a Secret without the token key is an empty store, a 404 too', async () => {
    const server = await listen((req, res) => (req.url?.includes('missing') ? send(res, 404, '{}') : send(res, 200, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'runner-token' }, data: {} }))));
    try {
      const store = (secret: string) => new KubernetesSecretStore({ server: server.base, bearer: 'kube-bearer', fetch: (url, init) => fetch(url, init) }, { cluster: 'devops', namespace: 'ci', secret, deployment: 'gitlab-runner' }, new VirtualClock());
      await expect(store('runner-token').read()).resolves.toBeUndefined();
      await expect(store('missing').read()).resolves.toBeUndefined();
    } finally {
      server.server.close();
    }
  });
});
