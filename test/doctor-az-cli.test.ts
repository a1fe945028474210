import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Azure CLI output (az identity show, az identity federated-credential list, az role assignment
 * list, az aks show) is read as the azurerm resources it describes. The corpus case aks-az-cli is
 * the whole deployment; these cases change one file each.
 */
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'aks-az-cli');
const base = () => corpusFiles(DIR);
const replaced = (name: string, edit: (text: string) => string): InputFile[] => base().map((f) => (f.path === name ? { path: f.path, bytes: Buffer.from(edit(readFileSync(join(DIR, name), 'utf8'))) } : f));

describe('doctor: Azure CLI output', () => {
  it('the identity, its credential, its role assignment and the cluster are read: the chain and who may become the identity are proven', () => {
    const r = doctor(base());
    const held = r.proofs.filter((p) => p.holds).map((p) => p.claim);
    expect(held).toContain('every reference resolves: federated credential ↔ managed identity ↔ service account ↔ Helm values ↔ config.toml');
    expect(held.some((c) => c.includes('can assume the manager identity gitlab-runner-manager'))).toBe(true);
    expect(r.findings.some((f) => f.code === 'RF903')).toBe(false);
  });

  it('the Storage Blob Delegator assignment added: the cache proof holds too, no error', () => {
    const files = replaced('role-assignments.json', (t) => {
      const list = JSON.parse(t) as Record<string, string>[];
      const account = list[0]!.scope!.replace(/\/blobServices\/.*$/, '');
      list.push({ ...list[0]!, roleDefinitionName: 'Storage Blob Delegator', scope: account, id: `${account}/providers/Microsoft.Authorization/roleAssignments/1b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e` });
      return JSON.stringify(list, null, 2);
    });
    const r = doctor(files);
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(r.proofs.length).toBe(4);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([]);
  });

  it('a federated credential for another namespace: RF104 and RF931 name what it trusts, at the credential and the service account', () => {
    const r = doctor(replaced('federated-credentials.json', (t) => t.replace('system:serviceaccount:gitlab-runner:gitlab-runner', 'system:serviceaccount:gitlab:gitlab-runner')));
    const rf931 = r.findings.find((f) => f.code === 'RF931');
    expect(rf931?.message).toContain('whose federated credentials trust only system:serviceaccount:gitlab:gitlab-runner');
    expect(rf931?.path).toBe('sa.yaml:7:40');
    expect(r.findings.some((f) => f.code === 'RF104')).toBe(true);
  });

  it('az aks show without workload identity: RF106 at the cluster, with the az command that enables it', () => {
    const r = doctor(replaced('aks.json', (t) => t.replace('"workloadIdentity": { "enabled": true }', '"workloadIdentity": { "enabled": false }')));
    const f = r.findings.find((x) => x.code === 'RF106');
    expect(f?.message).toBe("AKS cluster ci (az aks show) does not enable workload identity: the workload identity webhook injects no token into its pods, so no federated credential of the files is used and the runners' cache and cloud access fail");
    expect(f?.fix).toBe('az aks update --name ci --resource-group ci --enable-oidc-issuer --enable-workload-identity');
    expect(f?.path).toBe('aks.json:1:1');
    expect(r.exitCode).toBe(1);
  });

  it('a JSON list of something else is not taken for CLI output (guard)', () => {
    const r = doctor([...base(), { path: 'other.json', bytes: Buffer.from(JSON.stringify([{ type: 'Microsoft.Storage/storageAccounts', name: 'x' }, { principalId: 'y' }])) }]);
    expect(r.findings.filter((f) => f.path.startsWith('other.json')).map((f) => f.code)).toEqual([]);
  });
});
