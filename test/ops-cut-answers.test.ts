import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabClient, GitLabUnavailableError, OutcomeUnknownError } from '../src/live/gitlab.js';
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
let mode: 'cut' | 'cut-once' | 'trickle' | 'whole' | 'rate-limited' = 'whole';
/** Requests by method and path, and how many were answered in full. */
let requests: string[] = [];
let cutsLeft = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.push(req.socket);
    requests.push(`${req.method} ${(req.url ?? '').replace(/\?.*$/, '')}`);
    if (mode === 'rate-limited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"message":"429 Too Many Requests"}');
      return;
    }
    if (req.method === 'POST') {
      // POST /user/runners (doc/api/users.md, "Create a runner linked to a user"): 201 with the runner; cut here.
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write('{"id":7,');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (mode === 'whole' || (mode === 'cut-once' && cutsLeft-- <= 0)) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-total-pages': '1' });
      res.end('[{"id":1,"description":"build","active":true,"paused":false,"is_shared":true,"runner_type":"instance_type","online":true,"status":"online"}]');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
    res.write('[{"id":1,');
    if (mode === 'cut' || mode === 'cut-once') setTimeout(() => req.socket.destroy(), 20);
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

// The cut cases end when the double closes the socket (20 ms after the first bytes), not at the call's
// time: they give each attempt 5 s, so a loaded machine (five full suites at once) cannot end them as
// "did not finish in time" first; the trickle case needs the call's time to run out, and keeps 400 ms.
const CUT_TIMEOUT_MS = 5000;
const client = (progress?: (line: string) => void, timeoutMs = 400) => new GitLabClient({ baseUrl: base, token: TOKEN, fetch: (url, init) => fetch(url, init), timing: new VirtualClock(), timeoutMs, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, ...(progress ? { progress } : {}) });

describe('an answer that stops half-way', () => {
  it('a connection closed after the first bytes, every time: a GET is retried, then GitLabUnavailableError naming the call, the bytes that came and the reason in words, no token', async () => {
    mode = 'cut';
    requests = [];
    const lines: string[] = [];
    const err = await client((l) => lines.push(l), CUT_TIMEOUT_MS).listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect(requests).toEqual(['GET /api/v4/runners/all', 'GET /api/v4/runners/all']);
    expect(lines).toEqual(['GET /runners/all: the answer was cut after 9 bytes: the connection closed before the answer ended [UND_ERR_SOCKET]; retrying in 0.0 s (attempt 2 of 2)']);
    expect((err as Error).message).toMatch(/^GitLab at 127\.0\.0\.1:\d+ did not answer GET \/runners\/all in [\d.]+ s \(2 attempts, each given up to 5 s; the last: the answer was cut after 9 bytes: the connection closed before the answer ended \[UND_ERR_SOCKET\]\): a proxy or load balancer in front of GitLab may cut answers; try again$/);
    expect((err as Error).message).not.toContain(TOKEN);
  });
  it('cut once, whole the second time: the GET is retried and the list read (before: the first cut ended the command)', async () => {
    mode = 'cut-once';
    cutsLeft = 1;
    requests = [];
    expect((await client(undefined, CUT_TIMEOUT_MS).listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([1]);
    expect(requests).toEqual(['GET /api/v4/runners/all', 'GET /api/v4/runners/all']);
  });
  it('twin: a POST that creates a runner whose answer is cut is sent once, never again (GitLab may have created it)', async () => {
    mode = 'whole';
    requests = [];
    const err = await client(undefined, CUT_TIMEOUT_MS).createRunner({ runner_type: 'instance_type', description: 'x' }).catch((e: unknown) => e);
    expect(requests).toEqual(['POST /api/v4/user/runners']);
    // GitLab answered 201: it created the runner, and the token was in the part that was lost.
    // Not "try again" (before), which read as nothing having happened: the outcome is unknown.
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as Error).message).toBe('the outcome of POST /user/runners is unknown: GitLab answered 201 and the connection closed after 8 bytes (the connection closed before the answer ended [UND_ERR_SOCKET]), so it acted: the answer with what it did was lost (GitLab may have created the runner: register lists its marker before creating another)');
  });
  it('429 on every attempt: said to be rate-limiting, with the wait it asked, not "check that GitLab is up"', async () => {
    mode = 'rate-limited';
    requests = [];
    const err = await new GitLabClient({ baseUrl: base, token: TOKEN, fetch: (url, init) => fetch(url, init), timing: new VirtualClock(), timeoutMs: 400, retry: { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 } }).listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(requests).toHaveLength(6);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect((err as Error).message).toMatch(/^GitLab at 127\.0\.0\.1:\d+ is rate-limiting GET \/runners\/all: all 6 attempts in [\d.]+ s were answered 429 Too Many Requests \(the last asked to wait 1 s: Retry-After or RateLimit-Reset\)\. GitLab is up, and limits the calls of this token or this address: try again later, or ask its administrators about the API rate limits \(Admin area, Settings, Network\)$/);
    expect((err as Error).message).not.toMatch(/check that GitLab is up/);
  });
  it('a body that trickles past the call\'s time: GitLabUnavailableError saying it did not finish in time', async () => {
    mode = 'trickle';
    const started = Date.now();
    const err = await client().listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabUnavailableError);
    expect((err as Error).message).toMatch(/^GitLab at 127\.0\.0\.1:\d+ did not answer GET \/runners\/all in [\d.]+ s \(2 attempts, each given up to 0\.4 s; the last: the answer did not finish in time \(\d+ bytes came\)\): check that GitLab is not overloaded/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
  it('twin: the whole answer is read as the list it is', async () => {
    mode = 'whole';
    expect((await client().listRunners({ type: 'instance_type' })).map((r) => r.id)).toEqual([1]);
  });
});
