import { readFile } from 'node:fs/promises';
import type { FetchLike } from './gitlab.js';
import { expiryText, parseExpiry, parseTokenState, ManagerNotDeployedError, StoreConflictError, type StoredToken, type TokenStore } from '../ops/ports.js';
import { askedStopText, askedWaitMs, DEFAULT_CALL_DEADLINE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, realTiming, retrying, secondsText, type RetryPolicy, type Timing } from './retry.js';
import { safeText } from '../spec/findings.js';
import { tlsAdvice, tlsFailure } from './tls-failure.js';
import { proxyAuthText, tunnelStatus } from './proxy-tunnel.js';
import { AccessRefusedError } from './access.js';

/**
 * The token store of Kubernetes runners: the Secret the gitlab-runner chart reads
 * (`runners.secret`, keys `runner-token` and `runner-registration-token`), through the
 * Kubernetes API with plain fetch (no client library: four endpoints). The runner id, token
 * expiry and state are annotations on the same Secret. A rollout restart patches the
 * Deployment's pod template annotation `kubectl.kubernetes.io/restartedAt`, as `kubectl rollout
 * restart` does.
 *
 * Endpoints (https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/,
 * .../workload-resources/deployment-v1/): GET/POST/PUT /api/v1/namespaces/{ns}/secrets[/{name}],
 * PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name} (application/strategic-merge-patch+json).
 * Writes carry `metadata.resourceVersion`, so a concurrent writer makes ours fail with 409 and
 * we re-read instead of overwriting.
 */

export interface KubeApi {
  /** API server URL, e.g. http://127.0.0.1:8001 from `kubectl proxy`, or https://kubernetes.default.svc in a pod. */
  server: string;
  bearer?: string;
  /** A bearer token minted per request (EKS: src/live/eks-kube.ts); wins over `bearer`. */
  token?: () => Promise<string>;
  fetch: FetchLike;
  /** The CA the transport trusts, as TLS messages name it (`--kube-ca-file ci="ca.pem"`, `the cluster CA eks:DescribeCluster returned`); undefined: Node's bundled CAs. */
  caName?: string;
  /** The file of `--kube-ca-file`, when the CA came from one (the fix of an untrusted certificate names it). */
  caFile?: string;
}

/** Limits of the Kubernetes calls: those of GitLab's calls by default (DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_CALL_DEADLINE_MS, DEFAULT_RETRY). */
export interface KubeCallLimits {
  policy?: RetryPolicy;
  /** Per attempt; 0: none of our own (a test double that simulates timeouts). */
  requestTimeoutMs?: number;
  /** One call, its retries and every wait included. */
  deadlineMs?: number;
  /** Progress lines for waits (stderr). */
  progress?: (line: string) => void;
}

export const ANNOTATIONS = {
  runnerId: 'runner-fleet.dev/runner-id',
  expiresAt: 'runner-fleet.dev/token-expires-at',
  state: 'runner-fleet.dev/token-state',
  owner: 'runner-fleet.dev/owner',
} as const;

/** In a pod: the service account token and CA the kubelet mounts. */
export async function inClusterApi(makeFetch: (ca: string) => Promise<FetchLike>): Promise<KubeApi | undefined> {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const [bearer, ca] = await Promise.all([readFile(`${dir}/token`, 'utf8'), readFile(`${dir}/ca.crt`, 'utf8')]);
  return { server: `https://${host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}`, bearer: bearer.trim(), fetch: await makeFetch(ca), caName: `the service account CA ${dir}/ca.crt` };
}

/** How the Kubernetes API's CA is trusted: --ca-file is GitLab's CA only. */
const KUBE_TRUST_FIX = 'give the cluster CA (PEM; the certificate-authority of the cluster in your kubeconfig) with --kube-ca-file <cluster>=<pem>, reach it through `kubectl proxy` (--kube-api <cluster>=http://127.0.0.1:8001; kubectl trusts the cluster CA of the kubeconfig), or use --kube-api <cluster>=eks:<name>@<region> or aks:<name>@<resource group> (the cluster CA is read from the cloud)';
/** What a transport without a CA of its own trusts. */
const DEFAULT_TRUST = "only Node's bundled public CAs and NODE_EXTRA_CA_CERTS";

interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

export class KubernetesSecretStore implements TokenStore {
  readonly label: string;

  constructor(
    private readonly api: KubeApi,
    private readonly ref: { cluster: string; namespace: string; secret: string; deployment: string },
    private readonly timing: Timing = realTiming,
    private readonly limits: KubeCallLimits = {},
  ) {
    this.label = `Secret ${ref.namespace}/${ref.secret} (cluster ${ref.cluster})`;
  }

  /** host[:port] of the API server, as messages name it. */
  private get host(): string {
    try {
      return new URL(this.api.server).host;
    } catch {
      return safeText(this.api.server, 120);
    }
  }

  private async req(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = this.api.token ? await this.api.token() : this.api.bearer;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = contentType;
    const label = `${method} ${path}`;
    const who = `the Kubernetes API of cluster ${this.ref.cluster} (${this.host})`;
    const requestTimeoutMs = this.limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const limits = { policy: this.limits.policy ?? DEFAULT_RETRY, timing: this.timing, requestTimeoutMs, deadlineMs: this.limits.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS };
    // The same loop and limits as GitLab's calls (retry.ts): Retry-After of a 429 (API Priority and
    // Fairness) or a 503 is waited for, within the call's deadline. Every call here is idempotent
    // (GET, PUT with resourceVersion, POST create that 409s if it exists, PATCH to a fixed value).
    return retrying<Response>(
      limits,
      label,
      async (timeoutMs) => {
        let res: Response;
        try {
          res = await this.api.fetch(`${this.api.server}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(timeoutMs === 0 ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
        } catch (e) {
          // A certificate no retry mends: said at once, with the code, the host, the CA used and the fix.
          const tls = tlsFailure(e);
          if (tls !== undefined) {
            const trustFix = this.api.caFile !== undefined ? `give --kube-ca-file ${this.ref.cluster}=<pem> the CA certificate (PEM) that signed the certificate of ${this.host}, with any intermediate CA (kubectl reads it from the certificate-authority or certificate-authority-data of the cluster in its kubeconfig)` : KUBE_TRUST_FIX;
            throw new Error(`cannot reach the Kubernetes API of cluster ${this.ref.cluster} for ${label} (trusting ${this.api.caName ?? DEFAULT_TRUST}): ${tlsAdvice(tls, { host: this.host, url: `the API server ${safeText(this.api.server, 200)}`, trustFix })}`, { cause: e });
          }
          // A 407 to the tunnel's CONNECT is the proxy's own sign-in: no retry mends it, and it is a wrong input (exit 2).
          const tunnel = tunnelStatus(e);
          if (tunnel === 407) throw new AccessRefusedError(`cannot reach ${who} for ${label}: ${proxyAuthText(`the Kubernetes API of cluster ${this.ref.cluster}`, this.host)}`, { cause: e });
          return { failed: tunnel !== undefined ? `the proxy (HTTPS_PROXY/HTTP_PROXY) answered ${tunnel} to the CONNECT that opens the tunnel` : (e as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'connection failed' };
        }
        if (res.status !== 429 && res.status < 500) return { ok: res };
        return { failed: `HTTP ${res.status}`, askedMs: askedWaitMs(res, this.timing.now()) };
      },
      (why) =>
        new Error(
          askedStopText(why, who, label) ??
            `${who} did not answer ${label} in ${secondsText(why.spentMs)} (${why.attempts} attempt${why.attempts === 1 ? '' : 's'}${requestTimeoutMs > 0 ? `, each given up to ${secondsText(requestTimeoutMs)}` : ''}; the last: ${why.last})`,
        ),
      this.limits.progress,
    );
  }

  /**
   * The error of a refused call: 401 (the credential is not accepted) and 403 (RBAC forbids the
   * verb) say what the identity needs; anything else is the status.
   */
  private failed(action: string, status: number, what = this.label): Error {
    const ns = this.ref.namespace;
    if (status === 401) return new AccessRefusedError(`cannot ${action} ${what}: the Kubernetes API of cluster ${this.ref.cluster} does not accept the credential (HTTP 401): with kubectl proxy, check that kubectl reaches that cluster (kubectl auth whoami) and renew its login; with eks:, the AWS credentials in effect; with aks:, the Azure sign-in; with --kube-token-file, the token in that file (expired, or of another cluster); in a pod, its service account token`);
    if (status === 403) return new AccessRefusedError(`cannot ${action} ${what}: the Kubernetes API of cluster ${this.ref.cluster} forbids it (HTTP 403, RBAC): the identity needs get, create and update on secrets in namespace ${ns} and patch on deployments there (a Role and RoleBinding; on EKS an access entry); check with kubectl auth can-i update secrets -n ${ns}`);
    // The two 404s a person can mend: the manager's Deployment (the chart names it after its Helm
    // release) and, when a Secret is created, its namespace.
    if (status === 404 && action === 'restart') return new Error(`cannot restart the manager: cluster ${this.ref.cluster} has no Deployment ${ns}/${this.ref.deployment} (HTTP 404): runner-fleet restarts the Deployment the gitlab-runner chart makes for the Helm release of the runner (the helm upgrade --install of the README synth writes, in namespace ${ns}); install the chart under that release, or restart a manager installed otherwise yourself (kubectl rollout restart deployment/<its name> -n ${ns})`);
    if (status === 404 && action === 'create') return new Error(`cannot create ${what}: cluster ${this.ref.cluster} has no namespace ${ns} (HTTP 404): apply the Kubernetes objects of the runner first (kubectl apply -f kubernetes/<runner>/ of the synth output creates the namespace), then run again`);
    return new Error(`cannot ${action} ${what}: HTTP ${status}`);
  }

  private secretPath(name = true) {
    return `/api/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/secrets${name ? `/${encodeURIComponent(this.ref.secret)}` : ''}`;
  }

  private async get(): Promise<SecretObject | undefined> {
    const res = await this.req('GET', this.secretPath());
    if (res.status === 404) return undefined;
    if (!res.ok) throw this.failed('read', res.status);
    // Only a Secret is a token store: anything else (an HTML page, `{}`, a list) is not an empty
    // one, which would make `register` reset a token that exists.
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    const secret = body as Partial<SecretObject> | undefined;
    if (typeof body !== 'object' || body === null || secret!.kind !== 'Secret' || typeof secret!.metadata !== 'object' || secret!.metadata === null) {
      throw new Error(`cannot read ${this.label}: the Kubernetes API answered with something that is not a Secret; is --kube-api the API server (kubectl proxy), with no path after it?`);
    }
    return body as SecretObject;
  }

  async read(): Promise<StoredToken | undefined> {
    const s = await this.get();
    const raw = s?.data?.['runner-token'];
    if (!s || raw === undefined) return undefined;
    const a = s.metadata.annotations ?? {};
    const id = a[ANNOTATIONS.runnerId];
    const owner = a[ANNOTATIONS.owner];
    return {
      token: Buffer.from(raw, 'base64').toString('utf8'),
      ...(id !== undefined && /^\d+$/.test(id) ? { runnerId: Number(id) } : {}),
      ...(owner !== undefined && owner !== '' ? { owner } : {}),
      ...parseExpiry(a[ANNOTATIONS.expiresAt]),
      state: parseTokenState(a[ANNOTATIONS.state]),
    };
  }

  /**
   * Writes the Secret with its resourceVersion; a 409 Conflict (someone wrote in between) re-reads
   * it and tries again — after judging the owner again, as the engine does right before every
   * write: a Secret that now holds a token of another owner (another fleet's, or a token whose
   * owner or runner id changed since the first read) is a StoreConflictError, nothing written.
   */
  async write(value: StoredToken): Promise<void> {
    let first: SecretObject | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get();
      if (attempt === 0) first = current;
      const whose = this.takenBy(current, attempt === 0 ? current : first, value);
      if (whose !== undefined) throw new StoreConflictError(`${this.label} now holds ${whose}, not ${value.owner ?? 'the token runner-fleet read'} (it changed while runner-fleet wrote it: HTTP 409 Conflict, re-read): not written`);
      const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}), [ANNOTATIONS.state]: value.state ?? 'valid', [ANNOTATIONS.expiresAt]: expiryText(value.expiresAt, '') };
      if (value.runnerId !== undefined) annotations[ANNOTATIONS.runnerId] = String(value.runnerId);
      else delete annotations[ANNOTATIONS.runnerId];
      if (value.owner !== undefined) annotations[ANNOTATIONS.owner] = value.owner;
      else delete annotations[ANNOTATIONS.owner];
      const body: SecretObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...(current?.metadata ?? {}), name: this.ref.secret, namespace: this.ref.namespace, annotations, labels: { ...(current?.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'runner-fleet' } },
        type: 'Opaque',
        data: { ...(current?.data ?? {}), 'runner-token': Buffer.from(value.token, 'utf8').toString('base64'), 'runner-registration-token': '' },
      };
      const res = current ? await this.req('PUT', this.secretPath(), body) : await this.req('POST', this.secretPath(false), body);
      if (res.ok) return;
      // Someone wrote in between (409), or deleted the Secret since it was read (404 on PUT): re-read and try again.
      if (res.status === 409 || (res.status === 404 && current)) continue;
      throw this.failed(current ? 'write' : 'create', res.status);
    }
    throw new Error(`cannot write ${this.label}: it kept changing under us`);
  }

  /** Whose token `current` holds when it is not the writer's: a token of another owner, or (after a re-read) one whose owner or runner id changed since `first`. */
  private takenBy(current: SecretObject | undefined, first: SecretObject | undefined, value: StoredToken): string | undefined {
    const holder = (s: SecretObject | undefined) => {
      const a = s?.metadata.annotations ?? {};
      return s?.data?.['runner-token'] === undefined || s.data['runner-token'] === '' ? undefined : { owner: a[ANNOTATIONS.owner] || undefined, runnerId: a[ANNOTATIONS.runnerId] || undefined };
    };
    const now = holder(current);
    if (now === undefined) return undefined;
    if (value.owner !== undefined && now.owner === value.owner) return undefined;
    const whose = `${now.owner !== undefined ? `the token of ${safeText(now.owner, 120)}` : 'a token with no owner'}${now.runnerId !== undefined ? ` (runner #${safeText(now.runnerId, 20)})` : ''}`;
    if (value.owner !== undefined && now.owner !== undefined) return whose;
    const before = holder(first);
    return before === undefined || before.owner !== now.owner || before.runnerId !== now.runnerId ? whose : undefined;
  }

  async clear(): Promise<void> {
    const current = await this.get();
    if (!current) return;
    await this.write({ token: '', state: 'valid' });
  }

  /**
   * The state annotation alone, `valid`, in one PUT of the Secret as read, guarded by its
   * resourceVersion (a Secret written in between answers 409 Conflict and is read again). Only
   * while the Secret still holds `held`'s token marked `restart-owed`, as the engine read it
   * before the restart: one that holds another token now (a run that wrote a new one meanwhile),
   * or the same token marked `pending` (a reset under way: its repair must not be lost), is left
   * as it is (false); one already `valid` needs nothing (true).
   */
  async markRestarted(held: StoredToken): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get();
      const raw = current?.data?.['runner-token'];
      if (!current || raw === undefined || Buffer.from(raw, 'base64').toString('utf8') !== held.token) return false;
      const state = parseTokenState(current.metadata.annotations?.[ANNOTATIONS.state]);
      if (state !== 'restart-owed') return state === 'valid';
      const body: SecretObject = { ...current, metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), [ANNOTATIONS.state]: 'valid' } } };
      const res = await this.req('PUT', this.secretPath(), body);
      if (res.ok) return true;
      if (res.status === 409 || res.status === 404) continue;
      throw this.failed('write', res.status);
    }
    throw new Error(`cannot write ${this.label}: it kept changing under us`);
  }

  async restartManager(): Promise<void> {
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date(this.timing.now()).toISOString() } } } } };
    const res = await this.req('PATCH', this.deploymentPath(), patch, 'application/strategic-merge-patch+json');
    if (res.status === 404) throw new ManagerNotDeployedError(this.failed('restart', res.status, `Deployment ${this.ref.namespace}/${this.ref.deployment}`).message);
    if (!res.ok) throw this.failed('restart', res.status, `Deployment ${this.ref.namespace}/${this.ref.deployment}`);
  }

  /** GET of the manager's Deployment: 404 is "not deployed"; any other refusal says why. */
  async managerDeployed(): Promise<boolean> {
    const res = await this.req('GET', this.deploymentPath());
    if (res.status === 404) return false;
    if (!res.ok) throw this.failed('read', res.status, `Deployment ${this.ref.namespace}/${this.ref.deployment}`);
    return true;
  }

  private deploymentPath(): string {
    return `/apis/apps/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/deployments/${encodeURIComponent(this.ref.deployment)}`;
  }
}
