import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabClient, GitLabUnavailableError } from '../src/live/gitlab.js';
import { VirtualClock } from './helpers/gitlab-double.js';

/**
 * A GitLab (or the proxy in front of it) that begins an answer and does not finish it, found by a
 * black-box run of `status`: a connection closed after the first bytes of the body ended the command
 * with exit 70 ("internal error: terminated", undici's words); a body that trickled until the call's
 * time ran out printed "The operation was aborted due to timeout", naming no call. GET /runners/all
 * (doc/api/runners.md, "List all runners") answers a JSON list; this double sends its first bytes.
 * A real server on loopback, the client's real fetch.
 */
const TOKEN = 'glpat-cut-answer-test-token';
const sockets: Socket[] = [];
let server: Server;
let base = '';
let mode: 'cut' | 'trickle' | 'whole' = 'whole';

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.push(req.socket);
    if (mode === 'whole') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-total-pages': '1' });
      res.end('[{"id":1,"description":"build","active":true,"paused":false,"is_shared":true,"runner_type":"instance_type","online":true,"status":"online"}]');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
    res.write('[{"id":1,');
    if (mode === 'cut') setTimeout(() => req.socket.destroy(), 20);
    else {
      const drip = setInterval(() => res.write(' '), 50);
      req.socket.on('close', () => clearInterval(drip));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

const client = () => new GitLabClient({ baseUrl: base, token: TOKEN, fetch: (url, init) => fetch(url, init), timing: new VirtualClock(), timeoutMs: 400, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });

describe('an answer that stops half-way', () => {
  it('a connection closed after the first bytes: GitLabUnavailableError naming the call and the bytes that came, no token', async () => {
    mode = 'cut';
    const err = await client().listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect((err as Error).message).toMatch(/^GitLab began to answer GET \/runners\/all and the connection closed after 9 bytes \(UND_ERR_SOCKET\): a proxy or load balancer in front of GitLab may cut answers; try again$/);
    expect((err as Error).message).not.toContain(TOKEN);
  });
  it('a body that trickles past the call\'s time: GitLabUnavailableError saying it did not finish in time', async () => {
    mode = 'trickle';
    const started = Date.now();
    const err = await client().listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect((err as Error).message).toMatch(/^GitLab began to answer GET \/runners\/all but did not finish in time \(\d+ bytes came\): check that GitLab is not overloaded/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
  it('twin: the whole answer is read as the list it is', async () => {
    mode = 'whole';
    expect((await client().listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([1]);
  });
});
