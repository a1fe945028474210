import { readFile } from 'node:fs/promises';
import type { FetchLike } from './gitlab.js';
import type { StoredToken, TokenStore } from '../ops/ports.js';
import { backoffMs, DEFAULT_RETRY, realTiming, type Timing } from './retry.js';
import { safeText } from '../spec/findings.js';
import { tlsAdvice, tlsFailure } from './tls-failure.js';
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
  return { server: `https://${host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}`, bearer: bearer.trim(), fetch: await makeFetch(ca) };
}

/** How the Kubernetes API's CA is trusted: --ca-file is GitLab's CA only. */
const KUBE_TRUST_FIX = 'reach it through `kubectl proxy` (--kube-api <cluster>=http://127.0.0.1:8001; kubectl trusts the cluster CA of the kubeconfig), use --kube-api <cluster>=eks:<name>@<region> or aks:<name>@<resource group> (the cluster CA is read from the cloud), or give the cluster CA (PEM) in NODE_EXTRA_CA_CERTS';

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
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let reason: string;
      try {
        res = await this.api.fetch(`${this.api.server}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
        if (res.status !== 429 && res.status < 500) return res;
        reason = `HTTP ${res.status}`;
      } catch (e) {
        // A certificate no retry mends: said at once, with the code, the host and the fix.
        const tls = tlsFailure(e);
        if (tls !== undefined) throw new Error(`cannot reach the Kubernetes API of cluster ${this.ref.cluster} for ${method} ${path}: ${tlsAdvice(tls, { host: this.host, url: `the API server ${safeText(this.api.server, 200)}`, trustFix: KUBE_TRUST_FIX })}`, { cause: e });
        reason = (e as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'connection failed';
      }
      // Every call here is idempotent (GET, PUT with resourceVersion, POST create that 409s if it exists, PATCH to a fixed value).
      if (attempt + 1 >= DEFAULT_RETRY.maxAttempts) throw new Error(`the Kubernetes API did not answer ${method} ${path}: ${reason}`);
      await this.timing.sleep(backoffMs(DEFAULT_RETRY, attempt, this.timing.random));
    }
  }

  /**
   * The error of a refused call: 401 (the credential is not accepted) and 403 (RBAC forbids the
   * verb) say what the identity needs; anything else is the status.
   */
  private failed(action: string, status: number, what = this.label): Error {
    const ns = this.ref.namespace;
    if (status === 401) return new AccessRefusedError(`cannot ${action} ${what}: the Kubernetes API of cluster ${this.ref.cluster} does not accept the credential (HTTP 401): with kubectl proxy, check that kubectl reaches that cluster (kubectl auth whoami) and renew its login; with eks:, the AWS credentials in effect; with aks:, the Azure sign-in; in a pod, its service account token`);
    if (status === 403) return new AccessRefusedError(`cannot ${action} ${what}: the Kubernetes API of cluster ${this.ref.cluster} forbids it (HTTP 403, RBAC): the identity needs get, create and update on secrets in namespace ${ns} and patch on deployments there (a Role and RoleBinding; on EKS an access entry); check with kubectl auth can-i update secrets -n ${ns}`);
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
      expiresAt: a[ANNOTATIONS.expiresAt] || null,
      state: a[ANNOTATIONS.state] === 'pending' ? 'pending' : 'valid',
    };
  }

  async write(value: StoredToken): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get();
      const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}), [ANNOTATIONS.state]: value.state ?? 'valid', [ANNOTATIONS.expiresAt]: value.expiresAt ?? '' };
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
      if (res.status === 409) continue; // someone wrote in between: re-read and try again
      throw this.failed('write', res.status);
    }
    throw new Error(`cannot write ${this.label}: it kept changing under us`);
  }

  async clear(): Promise<void> {
    const current = await this.get();
    if (!current) return;
    await this.write({ token: '', expiresAt: null, state: 'valid' });
  }

  async restartManager(): Promise<void> {
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date(this.timing.now()).toISOString() } } } } };
    const res = await this.req('PATCH', `/apis/apps/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/deployments/${encodeURIComponent(this.ref.deployment)}`, patch, 'application/strategic-merge-patch+json');
    if (!res.ok) throw this.failed('restart', res.status, `Deployment ${this.ref.namespace}/${this.ref.deployment}`);
  }
}
