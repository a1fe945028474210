import { describe, expect, it } from 'vitest';
import type { EmittedFleet } from '../src/emit/types.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { planExample } from './helpers/fleet.js';
import { k8sRoot, reverify } from './helpers/azure.js';

/**
 * The Key Vault token store proof (src/platforms/aks/key-vault-verify.ts): holds on the documents
 * as emitted, and each way of breaking them is refused with its code (RF942 class/mount, RF943
 * grant missing, RF944 grant too wide or on the jobs). The doctor reads the same documents back
 * (test/doctor-roundtrip.test.ts, test/doctor/azure/key-vault-*).
 */
const EXAMPLE = 'aks-key-vault';
const plan = planExample(EXAMPLE);

const spc = (docs: EmittedFleet) => Object.values(k8sRoot(docs).resource.kubernetes_manifest!)[0]!.manifest as Record<string, any>;
const grant = (docs: EmittedFleet) => Object.values(docs.terraformAzure!.resource.azurerm_role_assignment!)[0]!;
const values = (docs: EmittedFleet) => docs.runners.get('apps')!.helmValues as Record<string, any>;

describe('Key Vault token store proof', () => {
  it('holds on the emitted documents, and its claim names the secret, the class and the Secret', () => {
    const v = verifyFleet(intentOf(plan.fleet!), plan.emitted!);
    const proof = v.proofs.find((p) => p.claim.includes('Key Vault secret'));
    expect(proof).toEqual({ runner: 'apps', claim: 'only the manager identity fabrikam-apps-manager reads Key Vault secret kv-fabrikam-ci/fabrikam-apps-runner-token, and SecretProviderClass ci-apps/apps-runner-token, mounted by the manager, syncs it into Secret apps-runner-token', holds: true });
    expect(v.findings.filter((f) => ['RF942', 'RF943', 'RF944'].includes(f.code))).toEqual([]);
  });

  type Case = [what: string, code: string, mutate: (docs: EmittedFleet) => void];
  const cases: Case[] = [
    ['no SecretProviderClass', 'RF942', (d) => delete k8sRoot(d).resource.kubernetes_manifest],
    ['the class uses the job identity', 'RF942', (d) => (spc(d).spec.parameters.clientID = '${data.azurerm_user_assigned_identity.apps-jobs.client_id}')],
    ['the class reads another vault', 'RF942', (d) => (spc(d).spec.parameters.keyvaultName = 'kv-other')],
    ['the class fetches another secret', 'RF942', (d) => (spc(d).spec.parameters.objects = 'array:\n  - |\n    objectName: other-secret\n    objectType: secret\n    objectAlias: runner-token\n')],
    ['the class writes another Secret', 'RF942', (d) => (spc(d).spec.secretObjects[0].secretName = 'other-token')],
    ['the class uses pod identity', 'RF942', (d) => (spc(d).spec.parameters.usePodIdentity = 'true')],
    ['the manager pod does not mount the class', 'RF942', (d) => delete values(d).volumes],
    ['no grant on the secret', 'RF943', (d) => delete d.terraformAzure!.resource.azurerm_role_assignment],
    ['a grant of a role that does not read secrets', 'RF943', (d) => (grant(d).role_definition_name = 'Key Vault Reader')],
    ['the grant covers the whole vault', 'RF944', (d) => (grant(d).scope = String(grant(d).scope).replace(/\/secrets\/.*$/, ''))],
    ['the grant lets the manager write the token', 'RF944', (d) => (grant(d).role_definition_name = 'Key Vault Secrets Officer')],
    ['the jobs may read the token', 'RF944', (d) => (d.terraformAzure!.resource.azurerm_role_assignment!.jobs_read = { ...grant(d), principal_id: '${azurerm_user_assigned_identity.apps-jobs.principal_id}' })],
  ];
  it.each(cases)('%s: %s', (_what, code, mutate) => {
    const got = reverify(plan, mutate);
    expect(got).toContain(code);
    expect(got.filter((c) => ['RF942', 'RF943', 'RF944'].includes(c) && c !== code)).toEqual([]);
  });
});

describe('the SecretProviderClass objects parameter', () => {
  it('a list or a map as a mapping key in objects (user text, in the doctor) prints no process warning', async () => {
    const { spcObjects } = await import('../src/platforms/aks/key-vault-verify.js');
    const warned: unknown[] = [];
    const emitWarning = process.emitWarning.bind(process);
    process.emitWarning = (w: string | Error) => void warned.push(w);
    try {
      expect(spcObjects('array:\n  - |\n    objectName: runner-token\n    ? [x]\n    : 1\n')).toEqual([{ objectName: 'runner-token' }]);
      expect(spcObjects('? {q: 1}\n: 1\narray: []\n')).toEqual([]);
    } finally {
      process.emitWarning = emitWarning;
    }
    expect(warned).toEqual([]);
  });
});
