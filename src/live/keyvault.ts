import type { FetchLike } from './gitlab.js';
import { expiryText, parseExpiry, parseTokenState, type StoredToken, type TokenStore } from '../ops/ports.js';
import { safeText } from '../spec/findings.js';
import { tlsAdvice, tlsFailure, type TlsFailure } from './tls-failure.js';
import { proxyAuthText, tunnelStatus } from './proxy-tunnel.js';
import { AccessRefusedError } from './access.js';
import { askedStopText, askedWaitMs, askedWaitText, DEFAULT_CALL_DEADLINE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, realTiming, retrying, secondsText, type RetryPolicy, type Timing } from './retry.js';

/**
 * The token store of AKS runners that keep their token in Azure Key Vault: one secret, read by
 * the manager pod through the Secrets Store CSI driver (which syncs it into the Kubernetes Secret
 * the chart reads), written here through the Key Vault data-plane REST API, api-version 7.4, with
 * plain fetch (four operations, no SDK):
 * - Get Secret    GET   {vault}/secrets/{name}/            https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
 * - Set Secret    PUT   {vault}/secrets/{name}             https://learn.microsoft.com/rest/api/keyvault/secrets/set-secret/set-secret
 *                 (a new version each time: value, tags, attributes.exp together, atomically)
 * - Update Secret PATCH {vault}/secrets/{name}/{version}   https://learn.microsoft.com/rest/api/keyvault/secrets/update-secret/update-secret
 *                 (tags and attributes of one version, the value unchanged: the `pending` mark)
 * Errors: `{"error":{"code","message","innererror"?}}` (https://learn.microsoft.com/azure/key-vault/general/rest-error-codes).
 *
 * The runner id, token expiry and state are tags of the version (never the token). The token's
 * expiry is also the version's `exp` attribute, so Key Vault's own near-expiry events and
 * expiry policies see it. Unregistering writes a placeholder version instead of deleting: a
 * deleted secret stays reserved under soft-delete (Set Secret answers 409 until it is purged),
 * and the CSI driver would fail to mount the manager pod.
 *
 * Every call is idempotent (GET; PUT of the same value and tags only adds an identical version;
 * PATCH of one version to fixed values), so all are retried on 429 and 503 (honouring
 * Retry-After), other 5xx, timeouts and connection errors, with the limits of every API call
 * (retry.ts: 20 s per request, 45 s per call, asked waits included). The bearer token travels
 * only in the Authorization header.
 */

export const KEY_VAULT_API_VERSION = '7.4';
/** The scope of a Key Vault data-plane bearer token (Azure public cloud and the sovereign clouds alike). */
export const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';
/** What an emptied store holds (Key Vault has no empty secrets worth mounting). */
export const KEY_VAULT_PLACEHOLDER = 'set-by-runner-registration';

export const KEY_VAULT_TAGS = {
  runnerId: 'runner-fleet-runner-id',
  expiresAt: 'runner-fleet-token-expires-at',
  state: 'runner-fleet-token-state',
  owner: 'runner-fleet-owner',
} as const;

/** Key Vault's certificates chain to public CAs: an untrusted one is a TLS-inspecting proxy's. */
const KEY_VAULT_TRUST_FIX = 'a TLS-inspecting proxy or firewall between here and Azure presents its own certificate: give its CA certificate (PEM) in NODE_EXTRA_CA_CERTS, or exempt the vault from inspection';

export interface KeyVaultApi {
  /** https://<vault>.vault.azure.net (no trailing slash). */
  vaultUrl: string;
  /** A bearer token for KEY_VAULT_SCOPE; called per request (credential libraries cache it). */
  bearer: () => Promise<string>;
  fetch: FetchLike;
}

export interface KeyVaultRef {
  vaultName: string;
  secretName: string;
}

/** Makes the manager read the secret again; gets the token just written, to wait for the CSI driver's sync. */
export type ManagerRestart = (expectedToken: string | undefined) => Promise<void>;

interface SecretBundle {
  value?: string;
  id?: string;
  contentType?: string;
  attributes?: { enabled?: boolean; exp?: number; nbf?: number; created?: number; updated?: number; recoveryLevel?: string };
  tags?: Record<string, string>;
}

interface KeyVaultError {
  error?: { code?: string; message?: string; innererror?: { code?: string }; innerError?: { code?: string } };
}

export class KeyVaultSecretStore implements TokenStore {
  readonly label: string;
  /** The token this process wrote last, for the restart's wait. */
  private written?: string;

  constructor(
    private readonly api: KeyVaultApi,
    private readonly ref: KeyVaultRef,
    private readonly restart: ManagerRestart,
    private readonly timing: Timing = realTiming,
    /** The limits of GitLab's and the Kubernetes API's calls by default (retry.ts). */
    private readonly limits: { policy?: RetryPolicy; requestTimeoutMs?: number; deadlineMs?: number; progress?: (line: string) => void } = {},
    /** Whether the manager (the Deployment reading the synced Secret) is deployed (TokenStore.managerDeployed); absent: not known. */
    private readonly deployed?: () => Promise<boolean | undefined>,
  ) {
    this.label = `Key Vault secret ${ref.secretName} (vault ${ref.vaultName})`;
  }

  /** host[:port] of the vault, as messages name it. */
  private get host(): string {
    try {
      return new URL(this.api.vaultUrl).host;
    } catch {
      return safeText(this.api.vaultUrl, 120);
    }
  }

  private url(version?: string): string {
    const base = `${this.api.vaultUrl.replace(/\/+$/, '')}/secrets/${encodeURIComponent(this.ref.secretName)}`;
    return `${base}${version !== undefined ? `/${encodeURIComponent(version)}` : ''}?api-version=${KEY_VAULT_API_VERSION}`;
  }

  private async req(method: 'GET' | 'PUT' | 'PATCH', url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const requestTimeoutMs = this.limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const limits = { policy: this.limits.policy ?? DEFAULT_RETRY, timing: this.timing, requestTimeoutMs, deadlineMs: this.limits.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS };
    // The same loop and limits as GitLab's and the Kubernetes API's calls (retry.ts).
    return retrying<{ status: number; json: unknown }>(
      limits,
      `${method} ${this.label}`,
      async (timeoutMs) => {
        let bearer: string;
        try {
          bearer = await this.api.bearer();
        } catch (e) {
          // Not the credential library's text in the message: it may quote environment or token-cache details.
          throw new Error(`cannot reach ${this.label}: no Azure credential (${(e as { name?: string }).name ?? 'error'}): set RUNNER_FLEET_KEYVAULT_TOKEN (az account get-access-token --resource https://vault.azure.net --query accessToken -o tsv) or sign in (az login, workload identity, managed identity)`, { cause: e });
        }
        try {
          const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${bearer}` };
          if (body !== undefined) headers['content-type'] = 'application/json';
          const res = await this.api.fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(timeoutMs === 0 ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
          const text = await res.text();
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          if (res.status !== 429 && res.status < 500) return { ok: { status: res.status, json } };
          return { failed: `HTTP ${res.status}${errorCode(json) ? ` ${errorCode(json)}` : ''}`, askedMs: askedWaitMs(res, this.timing.now()) };
        } catch (e) {
          // A certificate no retry mends: said at once, with the code, the host and the fix.
          const tls: TlsFailure | undefined = tlsFailure(e);
          if (tls !== undefined) throw new Error(`cannot reach ${this.label} (${method}): ${tlsAdvice(tls, { host: this.host, url: `the vault URL ${safeText(this.api.vaultUrl, 200)}`, trustFix: KEY_VAULT_TRUST_FIX })}`, { cause: e });
          // A 407 to the tunnel's CONNECT is the proxy's own sign-in: no retry mends it, and it is a wrong input (exit 2).
          const tunnel = tunnelStatus(e);
          if (tunnel === 407) throw new AccessRefusedError(`cannot reach ${this.label} (${method}): ${proxyAuthText(`Key Vault (${this.host})`, this.host)}`, { cause: e });
          return { failed: tunnel !== undefined ? `the proxy (HTTPS_PROXY/HTTP_PROXY) answered ${tunnel} to the CONNECT that opens the tunnel` : (e as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'connection failed' };
        }
      },
      (why) => {
        if (why.kind === 'asked-too-long') return new Error(`Key Vault throttles ${method} ${this.ref.secretName} for ${askedWaitText(why.askedMs)} (Retry-After; ${why.last}), longer than the ${askedWaitText(why.limitMs)} runner-fleet waits; try again later`);
        return new Error(askedStopText(why, `Key Vault (${this.host})`, `${method} of ${this.label}`) ?? `Key Vault did not answer ${method} for ${this.label} in ${secondsText(why.spentMs)} (${why.attempts} attempt${why.attempts === 1 ? '' : 's'}${requestTimeoutMs > 0 ? `, each given up to ${secondsText(requestTimeoutMs)}` : ''}; the last: ${why.last})`);
      },
      this.limits.progress,
    );
  }

  private fail(action: string, status: number, json: unknown): Error {
    const code = errorCode(json);
    const inner = innerCode(json);
    if (status === 401) return new AccessRefusedError(`cannot ${action} ${this.label}: Key Vault refused the bearer token (HTTP 401${code ? ` ${code}` : ''}); it needs a token for ${KEY_VAULT_SCOPE} of the vault's tenant`);
    if (status === 403) return new AccessRefusedError(`cannot ${action} ${this.label}: HTTP 403 ${inner ?? code ?? 'Forbidden'}; the caller needs the role Key Vault Secrets Officer on the secret (or the vault), or the vault's firewall blocks it`);
    if (status === 409 && inner === 'ObjectIsDeletedButRecoverable') return new Error(`cannot ${action} ${this.label}: the secret is deleted but recoverable (soft-delete); recover it (az keyvault secret recover --vault-name ${this.ref.vaultName} --name ${this.ref.secretName}) or purge it`);
    return new Error(`cannot ${action} ${this.label}: HTTP ${status}${code ? ` ${code}` : ''}`);
  }

  /** The latest version, or undefined when the secret does not exist (or has expired: its token is dead too). */
  private async latest(): Promise<(SecretBundle & { version: string }) | undefined> {
    const { status, json } = await this.req('GET', this.url(''));
    if (status === 404) return undefined;
    if (status === 403 && innerCode(json) === 'SecretExpired') return undefined;
    if (status !== 200) throw this.fail('read', status, json);
    const b = json as SecretBundle;
    return { ...b, version: b.id?.split('/').pop() ?? '' };
  }

  async read(): Promise<StoredToken | undefined> {
    const b = await this.latest();
    if (!b || b.value === undefined || b.value === '' || b.value === KEY_VAULT_PLACEHOLDER) return undefined;
    const t = b.tags ?? {};
    const id = t[KEY_VAULT_TAGS.runnerId];
    const exp = t[KEY_VAULT_TAGS.expiresAt];
    const owner = t[KEY_VAULT_TAGS.owner];
    return {
      token: b.value,
      ...(id !== undefined && /^\d+$/.test(id) ? { runnerId: Number(id) } : {}),
      ...(owner !== undefined && owner !== '' && owner !== 'none' ? { owner } : {}),
      ...parseExpiry(exp),
      state: parseTokenState(t[KEY_VAULT_TAGS.state]),
    };
  }

  private static tags(v: StoredToken): Record<string, string> {
    return {
      [KEY_VAULT_TAGS.runnerId]: v.runnerId !== undefined ? String(v.runnerId) : 'none',
      [KEY_VAULT_TAGS.expiresAt]: expiryText(v.expiresAt, 'none'),
      [KEY_VAULT_TAGS.state]: v.state ?? 'valid',
      ...(v.owner !== undefined ? { [KEY_VAULT_TAGS.owner]: v.owner } : {}),
    };
  }

  private static attributes(v: StoredToken): SecretBundle['attributes'] {
    const exp = v.expiresAt ? Date.parse(v.expiresAt) : NaN;
    return { enabled: true, ...(Number.isNaN(exp) ? {} : { exp: Math.floor(exp / 1000) }) };
  }

  /**
   * Same token as the latest version: only its tags change (Update Secret), so no new version
   * appears for the CSI driver to sync. A new token: one new version with value and tags at once.
   */
  async write(v: StoredToken): Promise<void> {
    const value = v.token === '' ? KEY_VAULT_PLACEHOLDER : v.token;
    const current = await this.latest();
    if (current && current.value === value && current.version !== '') {
      const { status, json } = await this.req('PATCH', this.url(current.version), { tags: KeyVaultSecretStore.tags(v), attributes: KeyVaultSecretStore.attributes(v) });
      if (status !== 200) throw this.fail('update', status, json);
    } else {
      const { status, json } = await this.req('PUT', this.url(), { value, contentType: 'text/plain', tags: KeyVaultSecretStore.tags(v), attributes: KeyVaultSecretStore.attributes(v) });
      if (status !== 200) throw this.fail('write', status, json);
    }
    this.written = v.token === '' ? undefined : v.token;
  }

  async clear(): Promise<void> {
    if (!(await this.latest())) return;
    await this.write({ token: '', state: 'valid' });
  }

  /**
   * The state tag, `valid`, on the latest version alone (Update Secret of that version: tags and
   * attributes change, the value cannot), only while that version holds `held`'s token marked
   * `restart-owed`, as the engine read it before the restart: a version written since (another
   * token, or the same token marked `pending` by a reset under way) is left as it is (false); one
   * already `valid` needs nothing (true).
   */
  async markRestarted(held: StoredToken): Promise<boolean> {
    const current = await this.latest();
    if (!current || current.version === '' || current.value !== held.token) return false;
    const state = parseTokenState(current.tags?.[KEY_VAULT_TAGS.state]);
    if (state !== 'restart-owed') return state === 'valid';
    const { status, json } = await this.req('PATCH', this.url(current.version), { tags: KeyVaultSecretStore.tags({ ...held, state: 'valid' }), attributes: KeyVaultSecretStore.attributes(held) });
    if (status !== 200) throw this.fail('update', status, json);
    return true;
  }

  async restartManager(): Promise<void> {
    await this.restart(this.written);
  }

  async managerDeployed(): Promise<boolean | undefined> {
    return this.deployed?.();
  }
}

function errorCode(json: unknown): string | undefined {
  const c = (json as KeyVaultError | undefined)?.error?.code;
  return typeof c === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(c) ? c : undefined;
}

function innerCode(json: unknown): string | undefined {
  const e = (json as KeyVaultError | undefined)?.error;
  const c = e?.innererror?.code ?? e?.innerError?.code;
  return typeof c === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(c) ? c : undefined;
}

/**
 * A bearer token for Key Vault: RUNNER_FLEET_KEYVAULT_TOKEN when set (CI, tests, or
 * `az account get-access-token --resource https://vault.azure.net`), else @azure/identity's
 * DefaultAzureCredential (workload identity in a pod, az login, managed identity), loaded only
 * when a Key Vault store is first used.
 */
export function keyVaultBearer(env: Record<string, string | undefined>): () => Promise<string> {
  const fixed = env.RUNNER_FLEET_KEYVAULT_TOKEN;
  if (fixed !== undefined && fixed !== '') return () => Promise.resolve(fixed);
  let credential: Promise<{ getToken(scope: string): Promise<{ token: string } | null> }> | undefined;
  return async () => {
    credential ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential());
    const t = await (await credential).getToken(KEY_VAULT_SCOPE);
    if (!t) throw Object.assign(new Error('no token'), { name: 'CredentialUnavailableError' });
    return t.token;
  };
}
