import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitLabDouble } from './gitlab-double.js';

/**
 * The GitLab double served over HTTPS (gitlab.url is https only) for a child process running the
 * built CLI, with a certificate made by openssl for 127.0.0.1 (the CLI trusts it with --ca-file).
 */
export async function serveGitLab(double: GitLabDouble, tls: { key: Buffer; cert: Buffer }): Promise<{ server: Server; url: string }> {
  const server = createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      void double.fetch(`http://x${req.url}`, { method: req.method!, headers, ...(body ? { body } : {}) }).then((a) => {
        const answer = (a as unknown as { answer: { status: number; body: unknown; headers: Record<string, string> } }).answer;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.status === 204 ? undefined : JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `https://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** A self-signed certificate for 127.0.0.1 in a new folder: `cert` (also the CA file to trust) and `key`. */
export function loopbackCert(prefix: string): { dir: string; certFile: string; key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  return { dir, certFile: join(dir, 'cert.pem'), key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}
