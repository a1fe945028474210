import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { synthFiles, type PlanResult } from '../src/core.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { ACCOUNT_SCOPE, AKS, CONTAINER_SCOPE, MIXED } from './helpers/azure.js';
import { unknownTomlKeys } from '../src/emit/toml/known-keys.js';

const res = (plan: PlanResult) => plan.emitted!.terraformAzure!.resource;
const codes = (plan: PlanResult) => plan.findings.map((f) => f.code);

describe('Azure Blob cache: storage', () => {
  const plan = planExample(AKS);

  it('a private, TLS 1.2, HTTPS-only account without shared keys or public blobs', () => {
    expect(res(plan).azurerm_storage_account!.cache_shared).toMatchObject({
      name: 'contosorunnercache',
      resource_group_name: 'rg-gitlab-runners',
      location: 'westeurope',
      account_kind: 'StorageV2',
      https_traffic_only_enabled: true,
      min_tls_version: 'TLS1_2',
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      public_network_access_enabled: true,
    });
    expect(plan.emitted!.terraformAzure!.provider).toMatchObject({ azurerm: { storage_use_azuread: true } });
  });

  it('a private container on the account, and blobs deleted after expireAfterDays', () => {
    expect(res(plan).azurerm_storage_container!.cache_shared).toEqual({ name: 'runner-cache', storage_account_id: '${azurerm_storage_account.cache_shared.id}', container_access_type: 'private' });
    const rule = (res(plan).azurerm_storage_management_policy!.cache_shared!.rule as any[])[0];
    expect(rule).toMatchObject({ enabled: true, filters: { prefix_match: ['runner-cache/'], blob_types: ['blockBlob'] }, actions: { base_blob: { delete_after_days_since_modification_greater_than: 14 } } });
    const seven = planMutated(AKS, (s) => (s.caches[0].expireAfterDays = 7));
    expect((res(seven).azurerm_storage_management_policy!.cache_shared!.rule as any[])[0].actions.base_blob.delete_after_days_since_modification_greater_than).toBe(7);
  });

  it('expireAfterDays 0 emits no policy and warns (RF612)', () => {
    const never = planMutated(AKS, (s) => (s.caches[0].expireAfterDays = 0));
    expect(res(never).azurerm_storage_management_policy).toBeUndefined();
    expect(never.findings.find((f) => f.code === 'RF612')).toMatchObject({ severity: 'warning', path: 'caches[0].expireAfterDays' });
    expect(codes(plan)).not.toContain('RF612');
  });

  it('publicNetworkAccess, replication, resource group and location follow the spec', () => {
    const p = planMutated(AKS, (s) => (Object.assign(s.caches[0], { publicNetworkAccess: false, replication: 'ZRS', resourceGroup: 'rg-cache', location: 'northeurope' }), delete s.caches[0].network));
    expect(res(p).azurerm_storage_account!.cache_shared).toMatchObject({ public_network_access_enabled: false, account_replication_type: 'ZRS', resource_group_name: 'rg-cache', location: 'northeurope' });
    const scopes = Object.values(res(p).azurerm_role_assignment!).map((a) => String(a.scope)).filter((s) => s.includes('Microsoft.Storage'));
    expect(scopes.every((s) => s.includes('/resourceGroups/rg-cache/'))).toBe(true);
  });

  it('network rules deny by default and let in the listed subnets only; public access off also closes it (no RF614)', () => {
    const p = planExample(AKS);
    expect(res(p).azurerm_storage_account!.cache_shared!.network_rules).toEqual({ default_action: 'Deny', bypass: ['None'], virtual_network_subnet_ids: [expect.stringMatching(/\/subnets\/nodes$/)] });
    expect(p.findings.map((f) => f.code)).not.toContain('RF614');
    const closed = planMutated(AKS, (s) => ((s.caches[0].publicNetworkAccess = false), delete s.caches[0].network));
    expect(closed.findings.map((f) => f.code)).not.toContain('RF614');
    const open = planMutated(AKS, (s) => delete s.caches[0].network);
    expect(open.findings.find((f) => f.code === 'RF614')?.fix).toContain('subnetIds');
  });

  it('access logs: a diagnostic setting on the blob service with read, write and delete logs (opt-in)', () => {
    const p = planExample(AKS);
    expect(res(p).azurerm_monitor_diagnostic_setting!.cache_shared).toMatchObject({
      target_resource_id: '${azurerm_storage_account.cache_shared.id}/blobServices/default',
      enabled_log: [{ category: 'StorageRead' }, { category: 'StorageWrite' }, { category: 'StorageDelete' }],
    });
    const archive = planMutated(AKS, (s) => (s.caches[0].accessLogs = { storageAccountId: '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-audit/providers/Microsoft.Storage/storageAccounts/contosoaudit' }));
    expect(res(archive).azurerm_monitor_diagnostic_setting!.cache_shared).toMatchObject({ storage_account_id: expect.stringMatching(/contosoaudit$/) });
    expect(res(archive).azurerm_monitor_diagnostic_setting!.cache_shared!.log_analytics_workspace_id).toBeUndefined();
    expect(res(planMutated(AKS, (s) => delete s.caches[0].accessLogs)).azurerm_monitor_diagnostic_setting).toBeUndefined();
  });

  it.each([
    ['access logs without a destination', (s: Record<string, any>) => (s.caches[0].accessLogs = {}), 'RF004', 'caches[0].accessLogs'],
    ['network rules with the public endpoint off', (s: Record<string, any>) => (s.caches[0].publicNetworkAccess = false), 'RF010', 'caches[0].network'],
    ['a subnet that is not a subnet id', (s: Record<string, any>) => (s.caches[0].network.subnetIds = ['nodes']), 'RF007', 'caches[0].network.subnetIds[0]'],
  ])('%s is a spec error', (_name, mutate, code, path) => {
    const p = planMutated(AKS, mutate);
    expect(p.exitCode).toBe(2);
    expect(p.findings.find((f) => f.code === code)?.path).toBe(path);
  });

  it('an existing account (create: false) gets no storage resources, keeps the grants, and says so (RF208)', () => {
    const p = planMutated(AKS, (s) => (s.caches[0].create = false));
    expect(res(p).azurerm_storage_account).toBeUndefined();
    expect(res(p).azurerm_storage_container).toBeUndefined();
    expect(Object.keys(res(p).azurerm_role_assignment!)).toContain('cache_shared_build_data');
    expect(p.findings.find((f) => f.code === 'RF208')).toMatchObject({ severity: 'info', path: 'caches[0]' });
  });
});

describe('Azure Blob cache: who reaches it', () => {
  const plan = planExample(AKS);
  const assignments = () => Object.entries(res(plan).azurerm_role_assignment!).filter(([k]) => k.startsWith('cache_'));

  it('only the manager identity of a runner using the cache gets roles, data on the container and delegation on the account', () => {
    expect(assignments().map(([, a]) => [a.role_definition_name, a.scope, a.principal_id])).toEqual([
      ['Storage Blob Data Contributor', CONTAINER_SCOPE, '${azurerm_user_assigned_identity.build-manager.principal_id}'],
      ['Storage Blob Delegator', ACCOUNT_SCOPE, '${azurerm_user_assigned_identity.build-manager.principal_id}'],
    ]);
  });

  it('proves it: the manager reaches its container only and jobs do not reach it', () => {
    const claims = plan.proofs.filter((p) => p.runner === 'build' && /cache/.test(p.claim));
    expect(claims.map((c) => [c.claim, c.holds])).toEqual([
      ['the manager reads and writes container contosorunnercache/runner-cache in cache shared and nothing else there', true],
      ['jobs cannot reach cache shared directly', true],
    ]);
    const leaky = planMutated(AKS, (s) => s.runners[0].jobs.permissions.azure.push({ role: 'Storage Blob Data Reader', scope: ACCOUNT_SCOPE }));
    expect(leaky.proofs.find((p) => p.runner === 'build' && p.claim.startsWith('jobs cannot reach'))!.holds).toBe(false);
  });
});

describe('Azure Blob cache: config.toml', () => {
  it('Type azure with AccountName, ContainerName, StorageDomain and no AccountKey, in both TOML documents', () => {
    for (const [example, runner] of [[AKS, 'build'], [MIXED, 'azure-build']] as const) {
      const plan = planExample(example);
      const file = synthFiles(plan).find((f) => f.path === `runners/${runner}/config.toml`)!;
      const cache = (parseToml(file.content) as any).runners[0].cache;
      expect(cache.Type).toBe('azure');
      expect(Object.keys(cache.azure).sort()).toEqual(['AccountName', 'ContainerName', 'StorageDomain']);
      expect(cache.azure.StorageDomain).toBe('blob.core.windows.net');
      expect(file.content).not.toMatch(/AccountKey/);
      expect(unknownTomlKeys(parseToml(file.content) as Record<string, unknown>)).toEqual([]);
      const chart = parseToml(String((plan.emitted!.runners[runner]!.helmValues!.runners as Record<string, unknown>).config)) as any;
      expect(chart.runners[0].cache).toEqual(cache);
    }
  });

  it('a sovereign cloud domain goes to StorageDomain', () => {
    const plan = planMutated(AKS, (s) => (s.caches[0].storageDomain = 'blob.core.chinacloudapi.cn'));
    expect((plan.emitted!.runners.build!.configToml.runners as any[])[0].cache.azure.StorageDomain).toBe('blob.core.chinacloudapi.cn');
  });
});
