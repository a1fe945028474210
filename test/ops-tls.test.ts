import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitLabClient, GitLabTlsError } from '../src/live/gitlab.js';
import { makeFetch } from '../src/live/http.js';
import { which } from './helpers/tools.js';
import { VirtualClock } from './helpers/gitlab-double.js';

/** Self-hosted GitLab behind a private CA: --ca-file is honoured, and without it TLS fails (no silent insecure mode). */
describe('GitLab client over TLS with a private CA', () => {
  it('trusts the CA bundle it is given, and only then', async (ctx) => {
    if (!which('openssl')) {
      console.log('SKIPPED: TLS with a private CA: openssl is not on PATH');
      ctx.skip();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'rf-tls-'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-next-page': '' });
      res.end(JSON.stringify(req.headers['private-token'] === 'glpat-tls-test-token' ? [{ id: 1, description: 'x', paused: false, runner_type: 'instance_type' }] : []));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const trusted = new GitLabClient({ baseUrl: base, token: 'glpat-tls-test-token', fetch: await makeFetch({ caFile: join(dir, 'cert.pem') }) });
      expect((await trusted.listRunners({ type: 'instance_type' })).map((x) => x.id)).toEqual([1]);
      const clock = new VirtualClock();
      const untrusted = new GitLabClient({ baseUrl: base, token: 'glpat-tls-test-token', fetch: await makeFetch(), timing: clock, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      const err = await untrusted.listRunners({ type: 'instance_type' }).catch((e: unknown) => e);
      // Not retried: a certificate that is not trusted stays so.
      expect(err).toBeInstanceOf(GitLabTlsError);
      expect(String(err)).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT\): give --ca-file <pem>/);
      expect(untrusted.totalCalls).toBe(1);
      expect(String(err)).not.toContain('glpat-tls-test-token');
    } finally {
      server.close();
    }
  });
});
