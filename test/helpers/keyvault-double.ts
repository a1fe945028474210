/**
 * An Azure Key Vault data-plane double for the secret operations the Key Vault token store makes,
 * behind a real HTTPS server (Azure SDKs and the store refuse bearer tokens over plain http) with
 * a certificate from a CA made for the test, so the client's real TLS path with a CA bundle runs.
 * Shapes and status codes follow the Key Vault REST reference, api-version 7.4; each handler names
 * its page. Faults are injected per request: 429 with Retry-After, 500/503, a connection reset,
 * and an answer lost after the vault acted.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KvFault = '429' | '500' | '503' | 'reset' | 'lost';
export const KV_FAULTS: KvFault[] = ['429', '500', '503', 'reset', 'lost'];

interface Version {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  attributes: { enabled: boolean; exp?: number; nbf?: number; created: number; updated: number; recoveryLevel: string };
}

interface Secret {
  versions: Version[];
  deleted: boolean;
}

/** A test CA and a 127.0.0.1 certificate it signed, made with openssl; without openssl undefined, and `SKIPPED: <what>` is printed. */
export function testCertificates(what: string): { ca: string; key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rf-kv-tls-'));
  const run = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
  const p = (f: string) => join(dir, f);
  writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  const steps = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=runner-fleet test CA', '-keyout', p('ca.key'), '-out', p('ca.pem')],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', p('key.pem'), '-out', p('csr.pem')],
    ['x509', '-req', '-in', p('csr.pem'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', p('ext.cnf'), '-out', p('cert.pem')],
  ];
  for (const args of steps) {
    const r = run(args);
    if (r.error || r.status !== 0) {
      console.log(`SKIPPED: ${what}: openssl could not make test certificates (${r.error ? r.error.message : `exit ${String(r.status)}`})`);
      return undefined;
    }
  }
  return { ca: readFileSync(p('ca.pem'), 'utf8'), key: readFileSync(p('key.pem'), 'utf8'), cert: readFileSync(p('cert.pem'), 'utf8') };
}

const err = (code: string, message: string, inner?: string) => ({ error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });

export class KeyVaultDouble {
  readonly secrets = new Map<string, Secret>();
  readonly requests: string[] = [];
  /** Faults for the next requests, in order ('ok': that request is answered normally). */
  readonly faults: (KvFault | 'ok')[] = [];
  /** With `rate` > 0 and a random source, each request fails with a random fault at that rate. */
  random?: { rate: number; next: () => number };
  faultLog: KvFault[] = [];
  base = '';
  private server?: Server;

  constructor(readonly bearer: string, private readonly now: () => number = Date.now) {}

  latest(name: string): Version | undefined {
    const s = this.secrets.get(name.toLowerCase());
    return s && !s.deleted ? s.versions[s.versions.length - 1] : undefined;
  }

  private bundle(name: string, v: Version, withValue: boolean) {
    return {
      ...(withValue ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: `${this.base}/secrets/${name}/${v.version}`,
      attributes: v.attributes,
      tags: v.tags,
    };
  }

  async listen(tls: { key: string; cert: string }): Promise<string> {
    this.server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push(`${req.method} ${req.url}`);
        const url = new URL(req.url!, this.base);
        const queued = this.faults.shift();
        let fault: KvFault | undefined = queued === 'ok' ? undefined : queued;
        if (queued === undefined && this.random && this.random.next() < this.random.rate) fault = KV_FAULTS[Math.floor(this.random.next() * KV_FAULTS.length)];
        if (fault) this.faultLog.push(fault);
        if (fault === 'reset') return req.socket.destroy();
        if (fault === '429') {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
          return res.end(JSON.stringify(err('Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached')));
        }
        if (fault === '500' || fault === '503') {
          res.writeHead(Number(fault), { 'content-type': 'application/json' });
          return res.end(JSON.stringify(err(fault === '500' ? 'InternalServerError' : 'ServiceUnavailable', 'The service is unavailable.')));
        }
        const [code, obj, headers] = this.handle(req.method ?? 'GET', url, req.headers.authorization, body);
        // A lost answer: the vault acted, the client never hears it.
        if (fault === 'lost') return req.socket.destroy();
        res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(obj === undefined ? '' : JSON.stringify(obj));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `https://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.base;
  }

  private handle(method: string, url: URL, auth: string | undefined, body: string): [number, unknown, Record<string, string>?] {
    // https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses:
    // 401 with a challenge naming the authority and the resource when the bearer is missing or wrong.
    if (auth === undefined || !auth.startsWith('Bearer ')) {
      return [401, err('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"' }];
    }
    if (auth !== `Bearer ${this.bearer}`) return [401, err('Unauthorized', 'AKV10022: Invalid audience.'), { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"' }];
    if (url.searchParams.get('api-version') === null) return [400, err('BadParameter', 'The request URI contains an invalid or missing api-version.')];
    const m = /^\/secrets\/([^/]+)(?:\/([^/]*))?$/.exec(url.pathname);
    if (!m) return [404, err('NotFound', 'The requested resource was not found.')];
    const name = decodeURIComponent(m[1]!);
    const version = m[2] === undefined || m[2] === '' ? undefined : decodeURIComponent(m[2]);
    if (!/^[0-9A-Za-z-]{1,127}$/.test(name)) return [400, err('BadParameter', 'The request URI contains an invalid name: only 0-9, a-z, A-Z, and - are allowed.')];
    const key = name.toLowerCase(); // secret names are case-insensitive
    const secret = this.secrets.get(key);
    const notFound = (): [number, unknown] => [404, err('SecretNotFound', `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`)];
    const nowS = Math.floor(this.now() / 1000);

    // Get Secret: GET {vault}/secrets/{name}/{version}; no version = the latest.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
    if (method === 'GET') {
      if (!secret || secret.deleted) return notFound();
      const v = version === undefined ? secret.versions[secret.versions.length - 1] : secret.versions.find((x) => x.version === version);
      if (!v) return notFound();
      // https://learn.microsoft.com/azure/key-vault/secrets/about-secrets#secret-attributes: no value once disabled or expired.
      if (!v.attributes.enabled) return [403, err('Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled')];
      if (v.attributes.exp !== undefined && v.attributes.exp <= nowS) return [403, err('Forbidden', 'Operation get is not allowed on a expired secret.', 'SecretExpired')];
      return [200, this.bundle(name, v, true)];
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return [400, err('BadParameter', 'The request body is not valid JSON.')];
    }
    const tagsOk = (t: unknown) => t === undefined || (typeof t === 'object' && t !== null && Object.keys(t).length <= 15 && Object.values(t).every((x) => typeof x === 'string' && x.length <= 256));
    if (!tagsOk(parsed.tags)) return [400, err('BadParameter', 'Tags: at most 15, values strings of at most 256 characters.')];
    const attrs = (parsed.attributes ?? {}) as { enabled?: boolean; exp?: number; nbf?: number };

    // Set Secret: PUT {vault}/secrets/{name} — always a new version; 409 while the name is soft-deleted.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/set-secret/set-secret
    if (method === 'PUT' && version === undefined) {
      if (typeof parsed.value !== 'string') return [400, err('BadParameter', 'Property value is required.')];
      if (secret?.deleted) return [409, err('Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable')];
      const v: Version = {
        version: randomBytes(16).toString('hex'),
        value: parsed.value,
        ...(typeof parsed.contentType === 'string' ? { contentType: parsed.contentType } : {}),
        tags: { ...((parsed.tags as Record<string, string> | undefined) ?? {}) },
        attributes: { enabled: attrs.enabled ?? true, ...(attrs.exp !== undefined ? { exp: attrs.exp } : {}), ...(attrs.nbf !== undefined ? { nbf: attrs.nbf } : {}), created: nowS, updated: nowS, recoveryLevel: 'Recoverable+Purgeable' },
      };
      const s = secret ?? { versions: [], deleted: false };
      s.versions.push(v);
      this.secrets.set(key, s);
      return [200, this.bundle(name, v, true)];
    }

    // Update Secret: PATCH {vault}/secrets/{name}/{version} — attributes and tags of that version, never the value.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/update-secret/update-secret
    if (method === 'PATCH' && version !== undefined) {
      if (!secret || secret.deleted) return notFound();
      const v = secret.versions.find((x) => x.version === version);
      if (!v) return notFound();
      if (parsed.value !== undefined) return [400, err('BadParameter', 'Update Secret does not change the value; use Set Secret.')];
      if (parsed.tags !== undefined) v.tags = { ...(parsed.tags as Record<string, string>) };
      if (typeof parsed.contentType === 'string') v.contentType = parsed.contentType;
      if (attrs.enabled !== undefined) v.attributes.enabled = attrs.enabled;
      if (attrs.exp !== undefined) v.attributes.exp = attrs.exp;
      v.attributes.updated = nowS;
      return [200, this.bundle(name, v, false)];
    }

    // Delete Secret: DELETE {vault}/secrets/{name} — soft-delete (the store never calls it; tests use it).
    // https://learn.microsoft.com/rest/api/keyvault/secrets/delete-secret/delete-secret
    if (method === 'DELETE' && version === undefined) {
      if (!secret || secret.deleted) return notFound();
      secret.deleted = true;
      return [200, { recoveryId: `${this.base}/deletedsecrets/${name}`, id: `${this.base}/secrets/${name}/${secret.versions.at(-1)!.version}`, attributes: secret.versions.at(-1)!.attributes }];
    }
    return [405, err('BadParameter', `The method ${method} is not allowed here.`)];
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
