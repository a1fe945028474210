import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAndPlan } from '../src/cli/load.js';
import { opsCommand } from '../src/cli/ops.js';
import { planText, synthFiles } from '../src/core.js';
import { parse as parseYaml } from 'yaml';
import { makeFetch } from '../src/live/http.js';
import { Redactor } from '../src/live/redact.js';
import { KEY_VAULT_PLACEHOLDER, KEY_VAULT_TAGS, KeyVaultSecretStore } from '../src/live/keyvault.js';
import { desiredRunners } from '../src/ops/desired.js';
import { parseMarker, markerText } from '../src/ops/marker.js';
import { stringify } from 'yaml';
import { KeyVaultDouble, testCertificates } from './helpers/keyvault-double.js';
import { KubeDouble } from './helpers/kube-double.js';
import { ACCESS_TOKEN, CANARY, harness, opsSpec, writeSpec, type MemoryStore } from './helpers/ops-world.js';
import { seeded, VirtualClock } from './helpers/gitlab-double.js';
import { exampleValue, ROOT } from './helpers/fleet.js';

const KV_BEARER = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.${CANARY}sig`;
const SECRET = 'contoso-build-runner-token';
const certs = testCertificates('the Key Vault store tests over https');

/** The AKS example with the `build` runner keeping its token in Key Vault. */
function kvSpec(extra: Record<string, unknown> = {}): Record<string, any> {
  const s = exampleValue('aks-workload-identity');
  s.runners[0].gitlab.tokenStore = { keyVault: { name: 'kv-contoso-ci', ...extra } };
  return s;
}

describe.skipIf(!certs)('Key Vault token store (against a Key Vault double over https with a test CA)', () => {
  const clock = new VirtualClock();
  const kv = new KeyVaultDouble(KV_BEARER, clock.now);
  let base = '';
  beforeAll(async () => {
    base = await kv.listen(certs!);
  });
  afterAll(() => kv.close());
  const restarts: (string | undefined)[] = [];
  const store = async (bearer = KV_BEARER, ca: string | null = certs!.ca) =>
    new KeyVaultSecretStore({ vaultUrl: base, bearer: () => Promise.resolve(bearer), fetch: await makeFetch(ca !== null ? { ca } : {}) }, { vaultName: 'kv-contoso-ci', secretName: SECRET }, (t) => Promise.resolve(void restarts.push(t)), clock);

  it('writes the token as one version with runner id, expiry and state as tags (never the token) and exp as attribute; reads it back', async () => {
    const s = await store();
    expect(await s.read()).toBeUndefined();
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
    const v = kv.latest(SECRET)!;
    expect(v.tags).toEqual({ [KEY_VAULT_TAGS.runnerId]: '42', [KEY_VAULT_TAGS.expiresAt]: '2026-07-01T00:00:00.000Z', [KEY_VAULT_TAGS.state]: 'valid' });
    expect(JSON.stringify(v.tags)).not.toContain(CANARY);
    expect(v.attributes.exp).toBe(Date.parse('2026-07-01T00:00:00Z') / 1000);
    expect(await s.read()).toEqual({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
    expect(kv.requests.every((r) => r.includes('api-version=7.4'))).toBe(true);
  });

  it('keeps whose token it is (fleet/runner) as a tag and reads it back, so another fleet never overwrites it', async () => {
    const s = await store();
    await s.write({ token: `glrt-${CANARY}owned`, runnerId: 43, expiresAt: null, state: 'valid', owner: 'contoso/build' });
    expect(kv.latest(SECRET)!.tags[KEY_VAULT_TAGS.owner]).toBe('contoso/build');
    expect((await s.read())?.owner).toBe('contoso/build');
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
  });

  it('markRestarted (stop 56): Update Secret of the latest version\'s tags, state valid, no new version; a newer version with another token is left as it is', async () => {
    const s = await store();
    const held = { token: `glrt-${CANARY}owed`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'restart-owed' as const, owner: 'contoso/build' };
    await s.write(held);
    const before = kv.secrets.get(SECRET)!.versions.length;
    await s.markRestarted({ ...held, state: 'valid' });
    expect(kv.secrets.get(SECRET)!.versions.length).toBe(before);
    expect(kv.requests.at(-1)).toMatch(/^PATCH \/secrets\/contoso-build-runner-token\/[0-9a-f]{32}\?api-version=7\.4$/);
    expect(await s.read()).toEqual({ ...held, state: 'valid' });
    await s.write({ ...held, token: `glrt-${CANARY}newer` });
    await s.markRestarted({ ...held, state: 'valid' });
    expect(await s.read()).toEqual({ ...held, token: `glrt-${CANARY}newer`, state: 'restart-owed' });
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
  });

  it('markRestarted (stop 58): true once marked; the same token marked pending since the engine read it (a reset under way) is left pending, false', async () => {
    const s = await store();
    const held = { token: `glrt-${CANARY}owed`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'restart-owed' as const, owner: 'contoso/build' };
    await s.write(held);
    expect(await s.markRestarted({ ...held, state: 'valid' })).toBe(true);
    await s.write({ ...held, state: 'pending' });
    const from = kv.requests.length;
    // Before: the state tag was written valid over the pending mark, and a reset that stopped was never repaired.
    expect(await s.markRestarted({ ...held, state: 'valid' })).toBe(false);
    expect(kv.requests.slice(from).filter((r) => !r.startsWith('GET'))).toEqual([]);
    expect((await s.read())!.state).toBe('pending');
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'valid' });
  });

  it('marks pending with Update Secret on the same version (no new version for the CSI driver), a new token with Set Secret', async () => {
    const s = await store();
    const before = kv.secrets.get(SECRET)!.versions.length;
    await s.write({ token: `glrt-${CANARY}one`, runnerId: 42, expiresAt: '2026-07-01T00:00:00.000Z', state: 'pending' });
    expect(kv.secrets.get(SECRET)!.versions.length).toBe(before);
    expect(kv.requests.at(-1)).toMatch(/^PATCH \/secrets\/contoso-build-runner-token\/[0-9a-f]{32}\?api-version=7\.4$/);
    expect((await s.read())!.state).toBe('pending');
    await s.write({ token: `glrt-${CANARY}two`, runnerId: 42, expiresAt: null, state: 'valid' });
    expect(kv.secrets.get(SECRET)!.versions.length).toBe(before + 1);
    expect(kv.latest(SECRET)!.attributes.exp).toBeUndefined();
    expect(await s.read()).toEqual({ token: `glrt-${CANARY}two`, runnerId: 42, expiresAt: null, state: 'valid' });
    await s.restartManager();
    expect(restarts.at(-1)).toBe(`glrt-${CANARY}two`);
  });

  it('records "never expires" (GitLab answered token_expires_at null) apart from "not known"; an old version\'s "none" reads as not known', async () => {
    const s = await store();
    await s.write({ token: `glrt-${CANARY}never`, runnerId: 42, expiresAt: null, state: 'valid' });
    expect(kv.latest(SECRET)!.tags[KEY_VAULT_TAGS.expiresAt]).toBe('never');
    expect((await s.read())!.expiresAt).toBeNull();
    await s.write({ token: `glrt-${CANARY}unknown`, runnerId: 42, state: 'valid' });
    expect(kv.latest(SECRET)!.tags[KEY_VAULT_TAGS.expiresAt]).toBe('none');
    // "none" is also what runner-fleet wrote before for a token that never expires: it reads as not known.
    expect(await s.read()).not.toHaveProperty('expiresAt');
    await s.write({ token: `glrt-${CANARY}two`, runnerId: 42, expiresAt: null, state: 'valid' });
  });

  it.each([
    ['429 with Retry-After', ['429'] as const, 2000],
    ['500 then 503', ['500', '503'] as const, 0],
    ['a connection reset', ['reset'] as const, 0],
  ])('retries %s and still reads', async (_name, faults, minSleptMs) => {
    const s = await store();
    const slept = clock.slept;
    kv.faults.push(...faults);
    expect((await s.read())!.token).toBe(`glrt-${CANARY}two`);
    expect(clock.slept - slept).toBeGreaterThanOrEqual(minSleptMs);
    expect(kv.faults).toEqual([]);
  });

  it('an answer lost after Set Secret acted: the retry writes the same value again, the store ends right', async () => {
    const s = await store();
    const before = kv.secrets.get(SECRET)!.versions.length;
    // GET (latest) answers, PUT acts and its answer is lost, the retried PUT answers.
    kv.faults.push('ok', 'lost');
    await s.write({ token: `glrt-${CANARY}three`, runnerId: 43, expiresAt: null, state: 'valid' });
    const versions = kv.secrets.get(SECRET)!.versions;
    expect(versions.length).toBe(before + 2);
    expect(versions.at(-1)!.value).toBe(versions.at(-2)!.value);
    expect(await s.read()).toEqual({ token: `glrt-${CANARY}three`, runnerId: 43, expiresAt: null, state: 'valid' });
  });

  it('401 without a valid bearer: a clear error that never contains the bearer', async () => {
    const s = await store('wrong-bearer-token-xyz');
    const e = (await s.read().catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/refused the bearer token \(HTTP 401 Unauthorized\).*https:\/\/vault\.azure\.net\/\.default/);
    expect(e.message).not.toContain('wrong-bearer-token-xyz');
    expect(kv.requests.at(-1)).toMatch(/^GET /);
  });

  it('without the CA bundle TLS fails: no silent insecure mode, no retries, the code, the host and the fix', async () => {
    const s = await store(KV_BEARER, null);
    const slept = clock.slept;
    const e = (await s.read().catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/^cannot reach Key Vault secret contoso-build-runner-token \(vault kv-contoso-ci\) \(GET\): the TLS certificate of 127\.0\.0\.1:\d+ is not signed by a CA this command trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): .*NODE_EXTRA_CA_CERTS/);
    expect(e.message).not.toMatch(/connection failed|disable|insecure|NODE_TLS_REJECT_UNAUTHORIZED/i);
    expect(clock.slept).toBe(slept);
  });

  it('an expired version reads as empty (Key Vault refuses its value: 403 SecretExpired), so register repairs it', async () => {
    const s = await store();
    await s.write({ token: `glrt-${CANARY}old`, runnerId: 44, expiresAt: new Date(clock.now() - 1000).toISOString(), state: 'valid' });
    expect(await s.read()).toBeUndefined();
    await s.write({ token: `glrt-${CANARY}new`, runnerId: 44, expiresAt: null, state: 'valid' });
    expect((await s.read())!.token).toBe(`glrt-${CANARY}new`);
  });

  it('clear writes a placeholder version rather than deleting (soft-delete would reserve the name); a soft-deleted secret gets a recovery hint', async () => {
    const s = await store();
    await s.clear();
    expect(kv.latest(SECRET)!.value).toBe(KEY_VAULT_PLACEHOLDER);
    expect(await s.read()).toBeUndefined();
    kv.secrets.get(SECRET)!.deleted = true;
    await expect(s.write({ token: `glrt-${CANARY}x`, state: 'valid', expiresAt: null })).rejects.toThrow(/deleted but recoverable.*az keyvault secret recover --vault-name kv-contoso-ci --name contoso-build-runner-token/);
    kv.secrets.delete(SECRET);
  });
});

describe('redaction of Azure bearer tokens', () => {
  it.each([
    [`Authorization: Bearer ${KV_BEARER}`, 'Authorization: Bearer [REDACTED]'],
    ['eyJhbGciOiJub25lIn0 is only a header', 'eyJhbGciOiJub25lIn0 is only a header'],
  ])('%s', (input, expected) => {
    expect(new Redactor().redact(input)).toBe(expected);
  });
});

describe('spec: runners[].gitlab.tokenStore.keyVault', () => {
  it('resolves an AKS runner to a Key Vault store, registered through the API (not by terraform/gitlab)', () => {
    const plan = planText(stringify(kvSpec()), 'kv.yaml');
    expect(plan.exitCode, plan.findings.map((f) => `${f.code} ${f.path} ${f.message}`).join('\n')).toBeLessThan(2);
    const d = desiredRunners(plan.fleet!).find((x) => x.name === 'build')!;
    expect(d.registration).toBe('api');
    expect(d.store).toEqual({ kind: 'key-vault-secret', vaultName: 'kv-contoso-ci', vaultUrl: 'https://kv-contoso-ci.vault.azure.net', secretName: SECRET, cluster: 'ci', namespace: 'ci-build', secret: 'build-runner-token', deployment: 'build-gitlab-runner' });
    expect(desiredRunners(plan.fleet!).find((x) => x.name === 'terraform')!.store.kind).toBe('kubernetes-secret');
  });

  it.each([
    ['RF130: on a non-AKS runner', () => {
      const s = opsSpec();
      s.runners[0].gitlab.tokenStore = { keyVault: { name: 'kv-acme' } };
      return s;
    }, 'RF130', 'runners[0].gitlab.tokenStore.keyVault'],
    ['RF131: with registration terraform', () => {
      const s = kvSpec();
      s.runners[0].gitlab.registration = 'terraform';
      return s;
    }, 'RF131', 'runners[0].gitlab.registration'],
    ['schema: a vault name with two hyphens in a row', () => kvSpec({ name: 'kv--x' }), 'RF007', 'runners[0].gitlab.tokenStore.keyVault.name'],
  ])('%s', (_name, make, code, path) => {
    const plan = planText(stringify(make()), 'kv.yaml');
    expect(plan.exitCode).toBe(2);
    const f = plan.findings.find((x) => x.code === code);
    expect(f, plan.findings.map((x) => `${x.code} ${x.path}`).join('\n')).toBeDefined();
    if (path) expect(f!.path).toBe(path);
  });
});

describe('generated AKS output for a Key Vault token store', () => {
  const SCOPE = '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-gitlab-runners/providers/Microsoft.KeyVault/vaults/kv-contoso-ci/secrets/contoso-build-runner-token';
  const files = (applied?: Record<string, string>) => {
    const plan = planText(stringify(kvSpec()), 'kv.yaml', applied ? { azureClientIds: applied } : undefined);
    expect(plan.exitCode, plan.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.path} ${f.message}`).join('\n')).toBe(0);
    return new Map(synthFiles(plan).map((f) => [f.path, f.content]));
  };

  it('the manager identity gets Key Vault Secrets User on the one secret, nothing on the vault; the jobs get nothing of it', () => {
    const azure = JSON.parse(files().get('terraform/azure/main.tf.json')!) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const kvGrants = Object.values(azure.resource.azurerm_role_assignment!).filter((a) => String(a.scope).includes('Microsoft.KeyVault'));
    expect(kvGrants).toEqual([expect.objectContaining({ scope: SCOPE, role_definition_name: 'Key Vault Secrets User', principal_id: '${azurerm_user_assigned_identity.build-manager.principal_id}' })]);
  });

  it('the Kubernetes root holds a SecretProviderClass with the manager\'s client id, the vault, the one secret, synced into the chart\'s Secret; the chart mounts it', () => {
    const f = files();
    const root = JSON.parse(f.get('terraform/azure-k8s/ci/main.tf.json')!) as { resource: Record<string, Record<string, { manifest: any }>> };
    const spc = Object.values(root.resource.kubernetes_manifest!)[0]!.manifest;
    expect(spc.apiVersion).toBe('secrets-store.csi.x-k8s.io/v1');
    expect(spc.metadata).toMatchObject({ name: 'build-runner-token', namespace: 'ci-build' });
    expect(spc.spec.parameters).toMatchObject({ usePodIdentity: 'false', clientID: '${data.azurerm_user_assigned_identity.build-manager.client_id}', keyvaultName: 'kv-contoso-ci', tenantId: '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' });
    const objects = (parseYaml(spc.spec.parameters.objects) as { array: string[] }).array.map((o) => parseYaml(o) as Record<string, string>);
    expect(objects).toEqual([{ objectName: SECRET, objectType: 'secret', objectAlias: 'runner-token' }]);
    expect(spc.spec.secretObjects[0]).toMatchObject({ secretName: 'build-runner-token', type: 'Opaque' });
    expect(spc.spec.secretObjects[0].data.map((d: { key: string }) => d.key).sort()).toEqual(['runner-registration-token', 'runner-token']);
    const values = parseYaml(f.get('helm/build/values.yaml')!) as Record<string, any>;
    expect(values.runners.secret).toBe('build-runner-token');
    expect(values.volumes).toEqual([{ name: 'runner-token-key-vault', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'build-runner-token' } } }]);
    // The other runner keeps the chart's Secret alone, and terraform/gitlab registers only it.
    expect((parseYaml(f.get('helm/terraform/values.yaml')!) as Record<string, unknown>).volumes).toBeUndefined();
    expect(f.get('terraform/gitlab/main.tf.json')).not.toContain('contoso/apps');
  });

  it('with applied client ids the class is a plain manifest too', () => {
    const ids = { 'contoso-build-manager': '11111111-2222-4333-8444-555555555555', 'contoso-build-jobs': '11111111-2222-4333-8444-666666666666', 'contoso-terraform-manager': '11111111-2222-4333-8444-777777777777', 'contoso-terraform-jobs': '11111111-2222-4333-8444-888888888888' };
    const spc = parseYaml(files(ids).get('kubernetes/build/secret-provider-class.yaml')!) as Record<string, any>;
    expect(spc.spec.parameters.clientID).toBe('11111111-2222-4333-8444-555555555555');
  });
});

const committedSchema = JSON.parse(readFileSync(join(ROOT, 'schema', 'ops-report.schema.json'), 'utf8')) as Record<string, unknown>;

describe.skipIf(!certs)('register and rotate through the CLI with a Key Vault store', () => {
  const clock = new VirtualClock();
  const kv = new KeyVaultDouble(KV_BEARER, clock.now);
  const kube = new KubeDouble('kube-bearer');
  let kvBase = '';
  let kubeBase = '';
  beforeAll(async () => {
    kvBase = await kv.listen(certs!);
    kubeBase = await kube.listen();
    kube.addDeployment('ci-build', 'build-gitlab-runner');
  });
  afterAll(async () => {
    await kv.close();
    await kube.close();
  });

  it('register writes the token to Key Vault only, waits for the CSI sync, restarts the Deployment; rotate replaces it; --json validates', async () => {
    const file = writeSpec(kvSpec());
    const h = harness(file);
    h.double.addGroup('contoso/apps');
    h.double.addGroup('contoso/infrastructure');
    const origFetch = globalThis.fetch;
    // The Secrets Store CSI driver, as far as this test needs it: on its rotation poll (here: every
    // read of the synced Secret) it copies the latest Key Vault version into the chart's Secret.
    let syncs = 0;
    globalThis.fetch = (async (u: string, init: RequestInit) => {
      if (String(u).includes('/secrets/build-runner-token') && init.method === 'GET' && ++syncs % 2 === 0) {
        const v = kv.latest(SECRET);
        if (v) kube.secrets.set('ci-build/build-runner-token', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'build-runner-token', namespace: 'ci-build', resourceVersion: String(syncs) }, data: { 'runner-token': Buffer.from(v.value).toString('base64') } });
      }
      const res = await origFetch(u, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: 'Bearer kube-bearer' } });
      // The restarted manager reads the synced Secret and contacts GitLab with its token.
      if (init.method === 'PATCH' && res.ok) {
        const data = kube.secrets.get('ci-build/build-runner-token')?.data as Record<string, string> | undefined;
        if (data?.['runner-token']) h.double.contact(Buffer.from(data['runner-token'], 'base64').toString());
      }
      return res;
    }) as typeof fetch;
    const world = { ...h.world, store: undefined, env: { ...h.world.env, RUNNER_FLEET_KEYVAULT_TOKEN: KV_BEARER }, keyVault: { fetch: await makeFetch({ ca: certs!.ca }), url: () => kvBase } };
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(committedSchema);
    let all = '';
    try {
      for (const [command, opts] of [['register', { approve: true, runner: 'build' }], ['rotate', { approve: true, runner: 'build', wait: '1m' }]] as const) {
        let out = '';
        let err = '';
        const code = await opsCommand(command, file, { ...opts, json: true, kubeApi: [`ci=${kubeBase}`] }, { out: (s) => (out += s), err: (s) => (err += s) }, world);
        all += out + err;
        expect(code, out + err).toBe(0);
        expect(validate(JSON.parse(out)), JSON.stringify(validate.errors)).toBe(true);
        expect(err).toMatch(/waiting for the Secrets Store CSI driver to sync contoso-build-runner-token into Secret ci-build\/build-runner-token/);
        const runner = [...h.double.runners.values()].find((r) => parseMarker(r.description)?.runner === 'build')!;
        expect(kv.latest(SECRET)!.value).toBe(runner.token);
        expect(kv.latest(SECRET)!.tags[KEY_VAULT_TAGS.runnerId]).toBe(String(runner.id));
      }
    } finally {
      globalThis.fetch = origFetch;
    }
    expect(kube.requests.filter((r) => r.startsWith('PATCH /apis/apps/v1/namespaces/ci-build/deployments/build-gitlab-runner'))).toHaveLength(2);
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(ACCESS_TOKEN);
  });
});

const SCHEDULES = Number(process.env.RUNNER_FLEET_KV_FAULT_SCHEDULES ?? 40);

describe.skipIf(!certs)('operations under GitLab and Key Vault faults', () => {
  it(`${SCHEDULES} seeded schedules with the k8s runner's token in Key Vault: 0 duplicates, 0 orphans, 0 lost tokens, 0 tokens in output`, async () => {
    const file = writeSpec(opsSpec());
    const plan = await loadAndPlan(file);
    const desired = desiredRunners(plan.fleet!);
    const clockless = new VirtualClock();
    const kv = new KeyVaultDouble(KV_BEARER, clockless.now);
    const base = await kv.listen(certs!);
    const kvFetch = await makeFetch({ ca: certs!.ca });
    const totals = { duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 };
    let kvFaults = 0;
    try {
      for (let seed = 1; seed <= SCHEDULES; seed++) {
        const rnd = seeded(seed * 104_729);
        const h = harness(file, { seed, faultRate: 0.1 + rnd() * 0.2 });
        const secret = `acme-k8s-${seed}`;
        kv.random = { rate: 0.15, next: rnd };
        const kvStore = new KeyVaultSecretStore({ vaultUrl: base, bearer: () => Promise.resolve(KV_BEARER), fetch: kvFetch }, { vaultName: 'kv-acme', secretName: secret }, () => Promise.resolve(void (kv.latest(secret) && h.double.contact(kv.latest(secret)!.value))), h.clock);
        const memory = h.world.store!;
        h.world.store = (d, o) => (d.name === 'k8s' ? kvStore : memory(d, o));
        h.double.seedRunner({ runner_type: 'group_type', groupId: h.double.groups.get('acme/platform')!, description: `old ${markerText('acme', 'retired')}` });
        for (const [command, opts] of [['register', { approve: true }], ['rotate', { approve: true, wait: '2m' }], ['prune', { approve: true }]] as const) {
          if (command === 'register' && rnd() < 0.2) (memory({ name: 'docker' } as never, {}) as MemoryStore).failWrites++;
          await h.run(command, opts);
        }
        kvFaults += kv.faultLog.length;
        kv.faultLog = [];
        kv.random = undefined;
        h.double.opts.faultRate = 0;
        for (const st of h.stores.values()) st.failWrites = 0;
        await h.run('register', { approve: true });
        await h.run('prune', { approve: true });
        const marked = [...h.double.runners.values()].filter((r) => parseMarker(r.description)?.fleet === 'acme');
        for (const d of desired) {
          const mine = marked.filter((r) => parseMarker(r.description)!.runner === d.name);
          totals.duplicates += Math.max(0, mine.length - 1);
          if (d.registration !== 'api') continue;
          const stored = d.name === 'k8s' ? (() => {
            const v = kv.latest(secret);
            return v && { token: v.value, state: v.tags[KEY_VAULT_TAGS.state] };
          })() : h.stores.get(d.name)?.value;
          if (mine.length === 0 || !stored || stored.token !== mine[0]!.token || stored.state === 'pending') totals.lostTokens++;
        }
        totals.orphans += marked.filter((r) => !desired.some((d) => d.name === parseMarker(r.description)!.runner)).length;
        const text = h.output.join('');
        totals.tokensInOutput += (text.match(new RegExp(CANARY, 'g')) ?? []).length + [...h.double.runners.values()].filter((r) => text.includes(r.token)).length + (text.includes(KV_BEARER) ? 1 : 0);
      }
    } finally {
      await kv.close();
    }
    console.log(`Key Vault fault schedules: ${SCHEDULES}, Key Vault faults injected: ${kvFaults}; duplicates ${totals.duplicates}, orphaned runners ${totals.orphans}, lost tokens ${totals.lostTokens}, tokens in output ${totals.tokensInOutput}`);
    expect(totals).toEqual({ duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 });
    expect(kvFaults).toBeGreaterThan(SCHEDULES / 2);
  }, 60_000);
});

describe('Key Vault calls have the limits of every API call (retry.ts)', () => {
  it('429 with Retry-After: 40 again and again: the call ends at the first wait that would pass 45 s, naming the call, the limit and the wait asked', async () => {
    const clock = new VirtualClock(() => 0.5);
    let calls = 0;
    const s = new KeyVaultSecretStore(
      {
        vaultUrl: 'https://kv-contoso-ci.vault.azure.net',
        bearer: () => Promise.resolve(KV_BEARER),
        fetch: () => {
          calls++;
          return Promise.resolve(new Response(JSON.stringify({ error: { code: 'Throttled', message: 'Too many requests' } }), { status: 429, headers: { 'retry-after': '40' } }));
        },
      },
      { vaultName: 'kv-contoso-ci', secretName: SECRET },
      () => Promise.resolve(),
      clock,
    );
    const e = (await s.read().catch((x: unknown) => x)) as Error;
    expect(e.message).toBe(`Key Vault (kv-contoso-ci.vault.azure.net) asks to wait 40 s before GET of Key Vault secret ${SECRET} (vault kv-contoso-ci) is tried again (HTTP 429 Throttled; Retry-After or RateLimit-Reset): that would pass the 45 s runner-fleet gives one call, its retries and waits included (40 s spent, 2 attempts): try again later`);
    expect(calls).toBe(2);
    expect(clock.slept).toBe(40_000);
    expect(e.message).not.toContain(CANARY);
  });
});
