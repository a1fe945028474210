import { describe, expect, it } from 'vitest';
import { synthFiles } from '../src/core.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { AZURERM, GITLAB, KUBERNETES, checkTerraformRoot, type ProviderSchema } from '../src/emit/terraform/schemas/index.js';
import { exampleNames, planExample } from './helpers/fleet.js';
import { AKS, planWithOutputs } from './helpers/azure.js';

function roots(plan: ReturnType<typeof planExample>): [string, TerraformRoot][] {
  return synthFiles(plan)
    .filter((f) => /^terraform\/.*main\.tf\.json$/.test(f.path))
    .map((f) => [f.path, JSON.parse(f.content) as TerraformRoot]);
}

describe('every emitted Terraform root follows the provider attribute tables', () => {
  const plans = [...exampleNames().map((n) => [n, planExample(n)] as const), ['aks with outputs', planWithOutputs(AKS)] as const];
  it.each(plans)('%s', (_name, plan) => {
    for (const [path, root] of roots(plan)) expect(checkTerraformRoot(root), path).toEqual([]);
  });

  it('every resource and data source type in the tables is emitted by some example (no stale rows)', () => {
    const used = new Set<string>();
    for (const [, plan] of plans) {
      for (const [, root] of roots(plan)) {
        for (const t of Object.keys(root.resource)) used.add(t);
        for (const t of Object.keys(root.data ?? {})) used.add(`data.${t}`);
      }
    }
    for (const p of [AZURERM, GITLAB, KUBERNETES]) {
      for (const t of Object.keys(p.resources)) expect(used, t).toContain(t);
      for (const t of Object.keys(p.dataSources)) expect(used, `data.${t}`).toContain(`data.${t}`);
    }
  });

  it('every table row names the documentation it was read from', () => {
    for (const p of [AZURERM, GITLAB, KUBERNETES] as ProviderSchema[]) {
      expect(p.docs).not.toBe('');
      for (const row of [...Object.values(p.resources), ...Object.values(p.dataSources)]) expect(row.docs).toMatch(/\.(md|markdown)$/);
    }
  });
});

describe('the checker catches what terraform validate would', () => {
  const base = (): TerraformRoot => JSON.parse(JSON.stringify(planExample(AKS).emitted!.terraformAzure)) as TerraformRoot;
  type Case = [what: string, mutate: (r: TerraformRoot) => void, expected: string];
  const cases: Case[] = [
    ['an argument renamed in azurerm 4.0', (r) => (r.resource.azurerm_storage_account!.cache_shared!.enable_https_traffic_only = true), 'azurerm_storage_account.cache_shared.enable_https_traffic_only: not an argument'],
    ['a misspelt nested block attribute', (r) => ((r.resource.azurerm_storage_management_policy!.cache_shared!.rule as any[])[0].filters.prefix = ['x']), 'rule.filters.prefix: not an argument'],
    ['a missing required argument', (r) => void delete r.resource.azurerm_federated_identity_credential!['build-jobs']!.issuer, "azurerm_federated_identity_credential.build-jobs.issuer: required argument missing"],
    ['an unknown resource type', (r) => (r.resource.azurerm_workload_identity = { x: {} }), 'resource.azurerm_workload_identity: not a resource type'],
    ['a reference to an attribute the type does not export', (r) => (r.resource.azurerm_federated_identity_credential!['build-jobs']!.parent_id = '${azurerm_user_assigned_identity.build-jobs.object_id}'), 'has no attribute object_id'],
    ['a reference to a resource that is not there', (r) => (r.resource.azurerm_federated_identity_credential!['build-jobs']!.parent_id = '${azurerm_user_assigned_identity.nobody.id}'), 'no such resource'],
    ['an unknown provider argument', (r) => ((r.provider!.azurerm as Record<string, unknown>).client_secret = 'x'), 'provider.azurerm.client_secret'],
    ['a wrong provider source', (r) => ((r.terraform.required_providers as any).azurerm.source = 'azure/azurerm'), 'source must be hashicorp/azurerm'],
  ];
  it.each(cases)('%s', (_what, mutate, expected) => {
    const r = base();
    expect(checkTerraformRoot(r)).toEqual([]);
    mutate(r);
    expect(checkTerraformRoot(r).join('\n')).toContain(expected);
  });

  it('checks a block\'s own keys only, in their order, and each body of a list', () => {
    const r = base();
    const ids = r.resource.azurerm_user_assigned_identity!;
    // An inherited enumerable key is not the block's (JSON.stringify does not write it either).
    ids['build-jobs'] = Object.assign(Object.create({ inherited_argument: 1 }) as Record<string, unknown>, ids['build-jobs']);
    expect(checkTerraformRoot(r)).toEqual([]);
    ids['build-jobs'].zeta = 1;
    ids['build-jobs'].alpha = 2;
    const rule = (r.resource.azurerm_storage_management_policy!.cache_shared!.rule as Record<string, unknown>[])[0]!;
    rule.filters = [rule.filters, 7];
    expect(checkTerraformRoot(r)).toEqual([
      'resource.azurerm_storage_management_policy.cache_shared.rule.filters: expected a block, got 7',
      'resource.azurerm_user_assigned_identity.build-jobs.zeta: not an argument or block of this type',
      'resource.azurerm_user_assigned_identity.build-jobs.alpha: not an argument or block of this type',
    ]);
  });

  it('meta-arguments are allowed on every resource', () => {
    const r = base();
    r.resource.azurerm_user_assigned_identity!['build-jobs']!.lifecycle = { prevent_destroy: true };
    expect(checkTerraformRoot(r)).toEqual([]);
  });
});
