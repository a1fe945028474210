import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * Two Azure deployments in one folder (`prod/` and `staging/`, each as synth writes it), in their
 * own tenants, subscriptions and resource groups, whose managed identities may share names
 * (legitimate in Azure: an identity is named within its resource group). Read together, each
 * runner keeps to its own deployment's identities, federated credentials, role assignments and
 * context: the doctor says exactly what it says of each deployment alone.
 */

/** What synth writes for a spec, under `folder/`. */
function outputOf(folder: string, value: Record<string, any>): InputFile[] {
  return synthFiles(planValue(value)).map((f) => ({ path: `${folder}/${f.path}`, bytes: new TextEncoder().encode(f.content) }));
}

// Runner names repeated across the deployments are told apart by a label ("runner build-2: ") the
// doctor puts before a finding about the second; the finding itself is the same.
const said = (r: DoctorResult) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}: ${f.message.replace(/^runner [a-z0-9-]+: /, '')} (fix: ${f.fix ?? ''})`).sort();
// A cache is named by its folder where several are read, and each runner's identity is tried against every service account given.
const failed = (r: DoctorResult) => r.proofs.filter((p) => !p.holds).map((p) => p.claim.replace(/\(\d+ service accounts tried\)/, '(tried)')).sort();

function sideBySide(a: Record<string, any>, b: Record<string, any>): { alone: string[]; together: string[]; aloneFailed: string[]; togetherFailed: string[]; both: DoctorResult } {
  const one = doctor(outputOf('prod', a));
  const two = doctor(outputOf('staging', b));
  const both = doctor([...outputOf('prod', a), ...outputOf('staging', b)]);
  return { alone: [...said(one), ...said(two)].sort(), together: said(both), aloneFailed: [...failed(one), ...failed(two)].sort(), togetherFailed: failed(both), both };
}

/** The aks-workload-identity example as another deployment: its own tenant, subscription, resource group and storage account; `name` renames its identities. */
function stagingCopy(name?: string): Record<string, any> {
  const text = JSON.stringify(exampleValue('aks-workload-identity'))
    .replaceAll('8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '11111111-2222-4333-8444-555555555555')
    .replaceAll('0b1f6471-1bf0-4dda-aec3-111122223333', '99999999-8888-4777-8666-555555555555')
    .replaceAll('rg-gitlab-runners', 'rg-gitlab-runners-stg')
    .replaceAll('contosorunnercache', 'contosostgcache');
  const v = JSON.parse(text) as Record<string, any>;
  if (name !== undefined) v.metadata.name = name;
  return v;
}

const AZURE = ['aks-key-vault', 'aks-create', 'aks-workload-identity', 'mixed-aws-azure'];
const PAIRS = AZURE.flatMap((a) => AZURE.filter((b) => b !== a).map((b) => [a, b] as const));

describe('Azure deployments side by side: each runner in its own tenant, subscription and resource group', () => {
  it.each(PAIRS)('%s beside %s: together the doctor says what it says of each alone', (a, b) => {
    const r = sideBySide(exampleValue(a), exampleValue(b));
    expect(r.together).toEqual(r.alone);
    expect(r.togetherFailed).toEqual(r.aloneFailed);
  });

  it('identities of one name in two subscriptions (aks-create and aks-workload-identity both have contoso-build-manager): no RF603, RF605, RF606 or RF607 of the other deployment', () => {
    const r = sideBySide(exampleValue('aks-create'), exampleValue('aks-workload-identity'));
    expect(r.both.findings.filter((f) => ['RF603', 'RF605', 'RF606', 'RF607'].includes(f.code)).map((f) => f.message)).toEqual([]);
    // Each says its own: RF614 of prod's storage account, RF602 of staging's Owner (and RF316: on a group runner).
    expect(r.together.map((x) => x.split(':')[0])).toEqual(['RF316 staging/helm/terraform/values.yaml', 'RF602 staging/terraform/azure/main.tf.json', 'RF614 prod/terraform/azure/main.tf.json']);
  });

  it.each([
    ['its own identity names', 'contoso-stg'],
    ['the same identity names', undefined],
  ])('a staging copy of aks-workload-identity with %s, in another tenant and subscription, proves the same together as alone', (_label, name) => {
    const r = sideBySide(exampleValue('aks-workload-identity'), stagingCopy(name));
    expect(r.together).toEqual(r.alone);
    expect(r.togetherFailed).toEqual(r.aloneFailed);
    // RF602 names each deployment's own subscription.
    expect(r.together.filter((x) => x.startsWith('RF602'))).toEqual([expect.stringContaining('0b1f6471-1bf0-4dda-aec3-111122223333'), expect.stringContaining('99999999-8888-4777-8666-555555555555')]);
  });

  it("a mistake in one deployment is said of that one only: staging's manager credential names another service account", () => {
    const files = [...outputOf('prod', exampleValue('aks-workload-identity')), ...outputOf('staging', stagingCopy())].map((f) => {
      if (f.path !== 'staging/terraform/azure/main.tf.json') return f;
      const text = new TextDecoder().decode(f.bytes);
      const edited = text.replace('system:serviceaccount:ci-build:build-manager', 'system:serviceaccount:ci-build:builder');
      if (edited === text) throw new Error('test: no build-manager subject in the staging root');
      return { path: f.path, bytes: new TextEncoder().encode(edited) };
    });
    const r = doctor(files);
    const rf603 = r.findings.filter((f) => f.code === 'RF603');
    expect(rf603.length, JSON.stringify(r.findings.map((f) => f.message))).toBeGreaterThan(0);
    expect(rf603.every((f) => f.path.startsWith('staging/') && f.message.includes('ci-build:builder'))).toBe(true);
    // prod's build runner still proves its chain; staging's does not.
    const chains = r.proofs.filter((p) => p.claim.startsWith('every reference resolves'));
    expect(chains.filter((p) => !p.holds).map((p) => p.runner)).toEqual(['build-2']);
  });

  it("a genuine conflict across deployments is still said: both write service account ci-build/build-manager on one cluster, each with its own identity", () => {
    // The same tenant and cluster (one issuer), each deployment with its own identities and subscription.
    const text = JSON.stringify(exampleValue('aks-workload-identity')).replaceAll('0b1f6471-1bf0-4dda-aec3-111122223333', '99999999-8888-4777-8666-555555555555').replaceAll('rg-gitlab-runners', 'rg-gitlab-runners-stg').replaceAll('contosorunnercache', 'contosostgcache');
    const staging = JSON.parse(text) as Record<string, any>;
    staging.metadata.name = 'contoso-stg';
    const r = doctor([...outputOf('prod', exampleValue('aks-workload-identity')), ...outputOf('staging', staging)]);
    const rf605 = r.findings.filter((f) => f.code === 'RF605').map((f) => f.message);
    expect(rf605).toContainEqual(expect.stringContaining('service account ci-build/build-manager takes its client id from identity contoso-build-manager, but its manager identity is contoso-stg-build-manager'));
    // Only that: no cache or credential findings of the other deployment.
    expect(r.findings.filter((f) => ['RF603', 'RF606', 'RF607'].includes(f.code)).map((f) => f.message)).toEqual([]);
  });

  it("aks-key-vault's token rotator beside mixed-aws-azure (read first): proven in its own subscription, its own cluster and Key Vault secret", () => {
    const r = sideBySide(exampleValue('mixed-aws-azure'), exampleValue('aks-key-vault'));
    expect(r.both.findings.filter((f) => ['RF127', 'RF132'].includes(f.code)).map((f) => f.message)).toEqual([]);
    const rotator = r.both.proofs.filter((p) => p.claim.startsWith('token rotator fabrikam-token-rotator'));
    expect(rotator.length).toBe(2);
    expect(rotator.every((p) => p.holds)).toBe(true);
  });

  it('two token rotators of one name, each in its own subscription (a staging copy of aks-key-vault): neither is held to the other one’s role assignments', () => {
    const prod = exampleValue('aks-key-vault');
    const text = JSON.stringify(prod).replaceAll(prod.azure.tenantId, '11111111-2222-4333-8444-555555555555').replaceAll(prod.azure.subscriptionId, '99999999-8888-4777-8666-555555555555').replaceAll(prod.azure.resourceGroup, 'rg-stg');
    const r = sideBySide(prod, JSON.parse(text) as Record<string, any>);
    expect(r.together).toEqual(r.alone);
    expect(r.both.findings.filter((f) => ['RF127', 'RF132'].includes(f.code)).map((f) => f.message)).toEqual([]);
    expect(r.both.proofs.filter((p) => p.claim.includes('fabrikam-token-rotator') && !p.holds).map((p) => p.claim)).toEqual([]);
  });

  it.each(AZURE)('%s beside an AWS deployment (eks-pod-identity) stays as alone', (name) => {
    const r = sideBySide(exampleValue('eks-pod-identity'), exampleValue(name));
    expect(r.together).toEqual(r.alone);
    expect(r.togetherFailed).toEqual(r.aloneFailed);
  });
});
