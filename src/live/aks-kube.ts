import { parse as parseYaml } from 'yaml';
import type { FetchLike } from './gitlab.js';
import type { KubeApi } from './kubernetes.js';
import { askedStopText, askedWaitMs, DEFAULT_CALL_DEADLINE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, realTiming, retrying, secondsText, type RetryPolicy, type Timing } from './retry.js';
import { AKS_SERVER_APP_ID } from '../platforms/aks/rotator.js';

/**
 * The Kubernetes API of an AKS cluster with AKS-managed Microsoft Entra ID, reached with the
 * caller's Azure identity and no kubeconfig (`--kube-api <cluster>=aks:<name>@<resourceGroup>`;
 * the rotation pipeline passes it), the mirror of eks-kube.ts:
 * - endpoint and CA: ARM `POST …/managedClusters/{name}/listClusterUserCredential` (Managed
 *   Clusters - List Cluster User Credentials, api-version 2024-09-01; allowed by Azure Kubernetes
 *   Service Cluster User Role on the cluster). On an Entra cluster the returned kubeconfig
 *   (`kubeconfigs[].value`, base64) carries server and CA but no credential;
 * - bearer: an Entra token for the AKS server application (scope `6dae42f8-…/.default`), which the
 *   API server authenticates as the identity's object id; minted per request through the
 *   credential (it caches and refreshes), so a long rotation outlives no token.
 * The credential is @azure/identity's workload identity credential when AZURE_CLIENT_ID,
 * AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE are set (the pipeline writes the GitLab ID token
 * there: a federated client assertion, no secret), else DefaultAzureCredential; loaded lazily.
 */

export const AKS_SCOPE = `${AKS_SERVER_APP_ID}/.default`;
export const ARM_SCOPE = 'https://management.azure.com/.default';
export const ARM_URL = 'https://management.azure.com';
export const AKS_API_VERSION = '2024-09-01';

/** A bearer token for one scope. */
export type AzureTokenSource = (scope: string) => Promise<string>;

/** `aks:<name>@<resourceGroup>` → its parts; undefined for anything else. */
export function parseAksKubeApi(value: string): { name: string; resourceGroup: string } | undefined {
  const m = /^aks:([A-Za-z0-9][-_A-Za-z0-9]{0,62})@([-\w.()]{0,89}[-\w()])$/.exec(value);
  return m ? { name: m[1]!, resourceGroup: m[2]! } : undefined;
}

interface KubeconfigDoc {
  clusters?: { name?: string; cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
}

/** The first kubeconfig's server and CA (PEM). */
export function clusterOfKubeconfig(base64: string): { server: string; ca: string } | undefined {
  let doc: KubeconfigDoc;
  try {
    // logLevel 'error': nothing printed on stderr for text the Azure API sent.
    doc = parseYaml(Buffer.from(base64, 'base64').toString('utf8'), { logLevel: 'error' }) as KubeconfigDoc;
  } catch {
    return undefined;
  }
  const c = doc?.clusters?.[0]?.cluster;
  if (!c?.server || !c['certificate-authority-data']) return undefined;
  return { server: c.server.replace(/\/+$/, ''), ca: Buffer.from(c['certificate-authority-data'], 'base64').toString('utf8') };
}

export interface AksTarget {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** Limits of the ARM call: those of every API call by default (retry.ts: 20 s per request, 45 s per call, Retry-After honoured). */
export interface AksCallLimits {
  timing?: Timing;
  policy?: RetryPolicy;
  /** Per attempt; 0: none of our own (a test double that simulates timeouts). */
  requestTimeoutMs?: number;
  /** The call, its retries and every wait included. */
  deadlineMs?: number;
  /** Progress lines for waits (stderr). */
  progress?: (line: string) => void;
}

export async function aksKubeApi(target: AksTarget, token: AzureTokenSource, armFetch: FetchLike, makeFetch: (opts: { ca: string }) => Promise<FetchLike>, armUrl = ARM_URL, limits: AksCallLimits = {}): Promise<KubeApi> {
  const what = `AKS cluster ${target.name} (resource group ${target.resourceGroup})`;
  let bearer: string;
  try {
    bearer = await token(ARM_SCOPE);
  } catch (e) {
    // Not the credential library's text: it may quote environment details.
    throw new Error(`cannot reach ${what}: no Azure credential (${(e as { name?: string }).name ?? 'error'}); in the rotation pipeline set RUNNER_FLEET_ROTATOR_CLIENT_ID (terraform output rotator_client_id)`, { cause: e });
  }
  const path = `/subscriptions/${encodeURIComponent(target.subscriptionId)}/resourceGroups/${encodeURIComponent(target.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${encodeURIComponent(target.name)}/listClusterUserCredential?api-version=${AKS_API_VERSION}`;
  const timing = limits.timing ?? realTiming;
  const requestTimeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const label = 'POST listClusterUserCredential';
  let host = 'management.azure.com';
  try {
    host = new URL(armUrl).host;
  } catch {
    // the default name stays
  }
  const who = `Azure Resource Manager (${host})`;
  // The loop and limits of every API call (retry.ts): a 429 (ARM throttling) or 503 with
  // Retry-After is waited for within the call's deadline; 5xx, timeouts and resets are retried.
  // The POST only reads credentials: repeating it changes nothing.
  const res = await retrying<Response>(
    { policy: limits.policy ?? DEFAULT_RETRY, timing, requestTimeoutMs, deadlineMs: limits.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS },
    `${label} of ${what}`,
    async (timeoutMs) => {
      let r: Response;
      try {
        r = await armFetch(`${armUrl.replace(/\/+$/, '')}${path}`, { method: 'POST', headers: { accept: 'application/json', authorization: `Bearer ${bearer}` }, ...(timeoutMs === 0 ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
      } catch (e) {
        return { failed: (e as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'connection failed' };
      }
      if (r.status !== 429 && r.status < 500) return { ok: r };
      await r.body?.cancel().catch(() => undefined);
      return { failed: `HTTP ${r.status}`, askedMs: askedWaitMs(r, timing.now()) };
    },
    (why) =>
      new Error(
        askedStopText(why, who, `${label} of ${what}`) ??
          `cannot read the endpoint of ${what}: ${who} did not answer ${label} in ${secondsText(why.spentMs)} (${why.attempts} attempt${why.attempts === 1 ? '' : 's'}${requestTimeoutMs > 0 ? `, each given up to ${secondsText(requestTimeoutMs)}` : ''}; the last: ${why.last})`,
      ),
    limits.progress,
  );
  const body = (await res.json().catch(() => undefined)) as { kubeconfigs?: { name?: string; value?: string }[]; error?: { code?: string } } | undefined;
  if (res.status === 403 || res.status === 401) throw new Error(`cannot read the endpoint of ${what}: HTTP ${res.status} ${safeCode(body?.error?.code) ?? ''}; the identity needs Azure Kubernetes Service Cluster User Role on the cluster`.replace(/ ;/, ';'));
  if (!res.ok) throw new Error(`cannot read the endpoint of ${what}: HTTP ${res.status}${safeCode(body?.error?.code) ? ` ${safeCode(body?.error?.code)}` : ''}`);
  const value = body?.kubeconfigs?.find((k) => k.name === 'clusterUser')?.value ?? body?.kubeconfigs?.[0]?.value;
  const cluster = value !== undefined ? clusterOfKubeconfig(value) : undefined;
  if (!cluster) throw new Error(`${what} returned no kubeconfig with a server and CA`);
  return { server: cluster.server, token: () => token(AKS_SCOPE), fetch: await makeFetch({ ca: cluster.ca }), caName: `the cluster CA listClusterUserCredential returned for ${what}` };
}

const safeCode = (c: unknown) => (typeof c === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(c) ? c : undefined);

/**
 * Tokens from @azure/identity (loaded on first use): the workload identity credential when the
 * federated-token variables are set — exactly what the rotation pipeline sets — else the default chain.
 */
export function azureTokenSource(env: Record<string, string | undefined>): AzureTokenSource {
  let credential: Promise<{ getToken(scope: string): Promise<{ token: string } | null> }> | undefined;
  return async (scope) => {
    credential ??= import('@azure/identity').then((m) => {
      const { AZURE_CLIENT_ID: clientId, AZURE_TENANT_ID: tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFilePath } = env;
      return clientId && tenantId && tokenFilePath ? new m.WorkloadIdentityCredential({ clientId, tenantId, tokenFilePath }) : new m.DefaultAzureCredential();
    });
    const t = await (await credential).getToken(scope);
    if (!t) throw Object.assign(new Error('no token'), { name: 'CredentialUnavailableError' });
    return t.token;
  };
}
