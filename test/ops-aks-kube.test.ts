import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { AKS_API_VERSION, AKS_SCOPE, ARM_SCOPE, aksKubeApi, clusterOfKubeconfig, parseAksKubeApi } from '../src/live/aks-kube.js';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';
import { VirtualClock } from './helpers/gitlab-double.js';

/**
 * `--kube-api <cluster>=aks:<name>@<resourceGroup>` (src/live/aks-kube.ts) against local doubles:
 * ARM's Managed Clusters - List Cluster User Credentials (POST, api-version, bearer for
 * management.azure.com; answers `{ kubeconfigs: [{ name: 'clusterUser', value: <base64 kubeconfig> }] }`,
 * https://learn.microsoft.com/rest/api/aks/managed-clusters/list-cluster-user-credentials)
 * and a Kubernetes API that accepts only a bearer for the AKS server application. No network.
 */

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfakeclusterCA\n-----END CERTIFICATE-----\n';
const tokens = new Map([[ARM_SCOPE, 'arm-bearer-canary'], [AKS_SCOPE, 'aks-bearer-canary']]);
const token = (scope: string) => Promise.resolve(tokens.get(scope) ?? 'wrong-scope');
const seen: { method: string; url: string; auth: string }[] = [];
let armStatus = 200;
/** The next N ARM answers: this status (429 throttling, 503) with `armRetryAfter` as Retry-After. */
let armFailing = 0;
let armFailStatus = 429;
let armRetryAfter: string | undefined;
let server: Server;
let base = '';

function handler(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '';
  seen.push({ method: req.method ?? '', url, auth: req.headers.authorization ?? '' });
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.startsWith('/subscriptions/')) {
    if (req.headers.authorization !== 'Bearer arm-bearer-canary') return json(401, { error: { code: 'InvalidAuthenticationToken' } });
    if (armFailing > 0) {
      armFailing--;
      res.writeHead(armFailStatus, { 'content-type': 'application/json', ...(armRetryAfter !== undefined ? { 'retry-after': armRetryAfter } : {}) });
      return res.end(JSON.stringify({ error: { code: armFailStatus === 429 ? 'TooManyRequests' : 'ServiceUnavailable' } }));
    }
    if (armStatus !== 200) return json(armStatus, { error: { code: 'AuthorizationFailed', message: 'The client … does not have authorization' } });
    if (req.method !== 'POST' || url !== `/subscriptions/${SUB}/resourceGroups/rg-gitlab-runners/providers/Microsoft.ContainerService/managedClusters/aks-ci-weu/listClusterUserCredential?api-version=${AKS_API_VERSION}`) return json(404, { error: { code: 'ResourceNotFound' } });
    const kubeconfig = stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'aks-ci-weu', cluster: { server: `${base}/`, 'certificate-authority-data': Buffer.from(CA).toString('base64') } }], users: [{ name: 'clusterUser', user: { exec: { command: 'kubelogin' } } }] });
    return json(200, { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kubeconfig).toString('base64') }] });
  }
  if (req.headers.authorization !== 'Bearer aks-bearer-canary') return json(401, { kind: 'Status', code: 401 });
  if (req.method === 'GET' && url === '/api/v1/namespaces/ci-apps/secrets/apps-runner-token') {
    return json(200, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'apps-runner-token', namespace: 'ci-apps' }, data: { 'runner-token': Buffer.from('glrt-synced').toString('base64') } });
  }
  if (req.method === 'PATCH' && url === '/apis/apps/v1/namespaces/ci-apps/deployments/apps-gitlab-runner') return json(200, { kind: 'Deployment' });
  return json(403, { kind: 'Status', code: 403 });
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const target = { subscriptionId: SUB, resourceGroup: 'rg-gitlab-runners', name: 'aks-ci-weu' };
const plainFetch = (url: string | URL, init?: RequestInit) => fetch(url, init);

describe('AKS API access from the rotation job', () => {
  it.each([
    ['aks:aks-ci-weu@rg-gitlab-runners', { name: 'aks-ci-weu', resourceGroup: 'rg-gitlab-runners' }],
    ['aks:ci_1@rg.(prod)', { name: 'ci_1', resourceGroup: 'rg.(prod)' }],
    ['aks:aks-ci-weu', undefined],
    ['eks:devops@eu-central-1', undefined],
    ['aks:-bad@rg', undefined],
  ])('--kube-api value %s', (value, expected) => expect(parseAksKubeApi(value)).toEqual(expected));

  it('reads endpoint and CA from listClusterUserCredential, then reads the Secret and restarts the Deployment with an AKS-scoped token', async () => {
    seen.length = 0;
    armStatus = 200;
    const cas: string[] = [];
    const api = await aksKubeApi(target, token, plainFetch, (o) => { cas.push(o.ca); return Promise.resolve(plainFetch); }, base);
    expect(api.server).toBe(base);
    expect(cas).toEqual([CA]);
    const store = new KubernetesSecretStore(api, { cluster: 'ci', namespace: 'ci-apps', secret: 'apps-runner-token', deployment: 'apps-gitlab-runner' });
    expect((await store.read())?.token).toBe('glrt-synced');
    await store.restartManager();
    expect(seen.map((s) => `${s.method} ${s.url.split('?')[0]!} ${s.auth}`)).toEqual([
      `POST /subscriptions/${SUB}/resourceGroups/rg-gitlab-runners/providers/Microsoft.ContainerService/managedClusters/aks-ci-weu/listClusterUserCredential Bearer arm-bearer-canary`,
      'GET /api/v1/namespaces/ci-apps/secrets/apps-runner-token Bearer aks-bearer-canary',
      'PATCH /apis/apps/v1/namespaces/ci-apps/deployments/apps-gitlab-runner Bearer aks-bearer-canary',
    ]);
  });

  it('a 403 from ARM names the role the identity lacks, and no bearer token', async () => {
    armStatus = 403;
    const e = await aksKubeApi(target, token, plainFetch, () => Promise.resolve(plainFetch), base).catch((x: Error) => x);
    armStatus = 200;
    expect((e as Error).message).toContain('Azure Kubernetes Service Cluster User Role');
    expect((e as Error).message).not.toMatch(/canary/);
  });

  it('no credential: a clear message without the credential library\'s text', async () => {
    const failing = () => Promise.reject(Object.assign(new Error('EnvironmentCredential: AZURE_CLIENT_SECRET=s3cr3t missing'), { name: 'CredentialUnavailableError' }));
    const e = await aksKubeApi(target, failing, plainFetch, () => Promise.resolve(plainFetch), base).catch((x: Error) => x);
    expect((e as Error).message).toContain('CredentialUnavailableError');
    expect((e as Error).message).not.toContain('s3cr3t');
  });

  const armPosts = () => seen.filter((s) => s.method === 'POST' && s.url.includes('/listClusterUserCredential')).length;

  it.each([
    ['429 with Retry-After: 3', 429, '3', 2, 6_000],
    ['503 with Retry-After: 2', 503, '2', 1, 2_000],
  ])('listClusterUserCredential answered %s is retried through retrying(): waits as asked, then reads the endpoint', async (_name, status, after, times, slept) => {
    seen.length = 0;
    armFailing = times;
    armFailStatus = status;
    armRetryAfter = after;
    const clock = new VirtualClock();
    const lines: string[] = [];
    try {
      const api = await aksKubeApi(target, token, plainFetch, () => Promise.resolve(plainFetch), base, { timing: clock, progress: (l) => lines.push(l) });
      expect(api.server).toBe(base);
    } finally {
      armFailing = 0;
      armRetryAfter = undefined;
    }
    expect(armPosts()).toBe(times + 1);
    expect(clock.slept).toBe(slept);
    expect(lines[0]).toMatch(new RegExp(`^POST listClusterUserCredential of AKS cluster aks-ci-weu \\(resource group rg-gitlab-runners\\): HTTP ${status}; retrying in \\d+\\.\\d s \\(attempt 2 of 6\\)$`));
    expect(lines.join('\n')).not.toMatch(/canary/);
  });

  it('429 with Retry-After: 40 again and again: the call ends at the first wait that would pass 45 s, naming the call and the wait; no bearer in it', async () => {
    seen.length = 0;
    armFailing = 100;
    armFailStatus = 429;
    armRetryAfter = '40';
    const clock = new VirtualClock();
    const e = await aksKubeApi(target, token, plainFetch, () => Promise.resolve(plainFetch), base, { timing: clock }).catch((x: Error) => x);
    armFailing = 0;
    armRetryAfter = undefined;
    expect(armPosts()).toBe(2);
    expect(clock.slept).toBe(40_000);
    expect((e as Error).message).toMatch(/^Azure Resource Manager \(127\.0\.0\.1:\d+\) asks to wait 40 s before POST listClusterUserCredential of AKS cluster aks-ci-weu \(resource group rg-gitlab-runners\) is tried again \(HTTP 429; Retry-After or RateLimit-Reset\): that would pass the 45 s runner-fleet gives one call/);
    expect((e as Error).message).not.toMatch(/canary/);
  });

  it.each([
    ['a kubeconfig without CA', Buffer.from(stringify({ clusters: [{ cluster: { server: 'https://x' } }] })).toString('base64')],
    ['not YAML', Buffer.from('{{{').toString('base64')],
  ])('%s is refused', (_what, value) => expect(clusterOfKubeconfig(value)).toBeUndefined());
});
