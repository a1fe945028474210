import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Issue 10b, item 2: a hand-written AKS runner (HCL: identity, federated credential, storage, a
 * helm_release of the chart with yamlencode values) whose jobs name no service account, so they
 * run as the namespace's `default` one. Before, the whole runner was one RF911 "the chain is not
 * proven" and no proof at all, although the manager's chain (service account → federated
 * credential → managed identity → cache role) is all in the files. Now the manager is proven and
 * RF911 says exactly what the jobs get.
 */

// The hand-written AKS deployment of test/fixtures/doctor-helm-release/aks (one copy of it), with
// what this issue is about: the jobs name no service account (the jobs' identity, federated
// credential and service account are left out), the cache role at the scope each test gives, the
// manager allowed to sign (Storage Blob Delegator), https only, and the chart's RBAC rules written out.
const FIXTURE = readFileSync(new URL('./fixtures/doctor-helm-release/aks/main.tf', import.meta.url), 'utf8');
const swap = (text: string, from: string, to: string) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};
const tf = (cacheScope: string) => {
  let t = FIXTURE.slice(0, FIXTURE.indexOf('resource "azurerm_user_assigned_identity" "jobs"'));
  t = swap(t, '            service_account = "gitlab-runner-jobs"\n', '');
  t = swap(t, '  min_tls_version          = "TLS1_2"\n', '  min_tls_version          = "TLS1_2"\n  https_traffic_only_enabled = true\n');
  t = swap(t, '  scope                = azurerm_storage_account.cache.id\n  role_definition_name = "Storage Blob Data Contributor"\n', `  scope                = ${cacheScope}\n  role_definition_name = "Storage Blob Data Contributor"\n`);
  t = swap(t, '    rbac      = { create = true }\n', '    rbac      = { create = true, rules = [{ apiGroups = [""], resources = ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"], verbs = ["get", "list", "watch", "create", "patch", "delete"] }] }\n');
  return `${t}resource "azurerm_role_assignment" "sign" {
  scope                = azurerm_storage_account.cache.id
  role_definition_name = "Storage Blob Delegator"
  principal_id         = azurerm_user_assigned_identity.runner.principal_id
}
`;
};

const CONTAINER = 'azurerm_storage_container.cache.id';
const run = (scope = CONTAINER): DoctorResult => doctor([{ path: 'aks/main.tf', bytes: new TextEncoder().encode(tf(scope)) }]);
const holds = (r: DoctorResult, start: string) => r.proofs.find((p) => p.claim.startsWith(start))?.holds;

describe('doctor: a hand-written AKS runner whose jobs run as the namespace default service account', () => {
  it("the manager's chain is proven; RF911 at the config says what jobs on `default` get, not a blanket \"not proven\"", () => {
    const r = run();
    expect(holds(r, 'every reference resolves')).toBe(true);
    expect(holds(r, 'only cluster:gitlab-runner/gitlab-runner can assume the manager identity id-gitlab-runner')).toBe(true);
    const rf911 = r.findings.filter((f) => f.code === 'RF911');
    expect(rf911).toHaveLength(1);
    expect(rf911[0]!.message).toContain("config.toml names no [runners.kubernetes] service_account, so job pods run as the namespace's default service account gitlab-runner/default");
    expect(rf911[0]!.message).toContain('the managed identities of its VM scale set (the kubelet identity)');
    expect(rf911[0]!.message).not.toContain('not proven');
    expect(rf911[0]!.fix).toContain('[runners.kubernetes] service_account');
    expect(rf911[0]!.path).toMatch(/^aks\/main\.tf:\d+:\d+$/);
  });

  it('the cache proof reads the resource group through azurerm_resource_group.<x>.name: Data Contributor on the container holds, on the account it is RF606', () => {
    const r = run();
    expect(holds(r, 'the manager reads and writes container acmerunnercache/runner-cache')).toBe(true);
    expect(r.findings.filter((f) => f.code === 'RF607' || f.code === 'RF606')).toEqual([]);
    const wide = run('azurerm_storage_account.cache.id');
    expect(wide.findings.map((f) => f.code)).toContain('RF606');
    // Before: the identity's resource group stayed the unresolved reference, so no assignment covered the cache and RF607 said the manager cannot sign.
    expect(wide.findings.map((f) => f.code)).not.toContain('RF607');
  });
});

describe('doctor: the fix of a storage account reachable from every network speaks Terraform, not the spec', () => {
  it('RF614 names network_rules and public_network_access_enabled, never caches[0].network', () => {
    const f = run().findings.find((x) => x.code === 'RF614');
    expect(f?.fix).toContain('network_rules block with default_action = "Deny"');
    expect(f?.fix).toContain('public_network_access_enabled = false');
    expect(f?.fix).not.toMatch(/caches\[|publicNetworkAccess:/);
  });
});
