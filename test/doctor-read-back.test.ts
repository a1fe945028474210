import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { exampleFiles } from './helpers/fleet.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * What the doctor reads back beyond the identity chain, on hand-made deployments: node groups
 * (eksctl ClusterConfig, aws_eks_node_group) for the scheduling proofs, the token rotator's
 * Kubernetes identity (access entry, RBAC), and a Key Vault token store (SecretProviderClass,
 * role assignment). The corpus tests check the findings; these check that the proofs are made,
 * on the cluster the documents name, and hold or fail as the case says.
 */
const DOCTOR = join(import.meta.dirname, 'doctor');
/** A folder under test/doctor; a corpus case as the corpus loader materialises it. */
const at = (folder: string) => (folder.startsWith('corpus/') ? caseDir(join(DOCTOR, folder)) : join(DOCTOR, folder));

function filesOf(dir: string): InputFile[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return walk(dir).filter((p) => !p.endsWith('expected.json')).sort().map((p) => ({ path: relative(dir, p), bytes: new Uint8Array(readFileSync(p)) }));
}

type Case = [folder: string, claim: RegExp, holds: boolean];
const cases: Case[] = [
  ['corpus/eksctl-node-groups-sound', /^the manager pod fits node group system of cluster ci-cluster /, true],
  ['corpus/eksctl-node-groups-sound', /^job pods fit node group jobs of cluster ci-cluster /, true],
  ['corpus/eksctl-node-groups-misfit', /^job pods fit node group \(none\) of cluster ci-cluster /, false],
  ['corpus/terraform-node-groups-sound', /^job pods fit node group jobs of cluster ci-cluster /, true],
  ['corpus/rotator-kube-sound', /^token rotator gitlab-token-rotator is Kubernetes user gitlab-token-rotator \(access entry without policy or group on ci-cluster\) and may only get and update 1 token Secret/, true],
  ['corpus/rotator-kube-sound', /^token rotator gitlab-token-rotator admits only .*, may describe only cluster\(s\) ci-cluster in EKS/, true],
  ['corpus/rotator-kube-widened', /^token rotator gitlab-token-rotator is Kubernetes user gitlab-token-rotator/, false],
  ['azure/key-vault-sound', /^only the manager identity id-gitlab-runner reads Key Vault secret kv-contoso-ci\/gitlab-runner-token, and SecretProviderClass gitlab-runner\/gitlab-runner-token/, true],
  ['azure/key-vault-drift', /^only the manager identity id-gitlab-runner reads Key Vault secret kv-contoso-ci\/gitlab-runner-token/, false],
  ['azure/key-vault-no-grant', /^only the manager identity id-gitlab-runner reads Key Vault secret/, false],
];

describe('doctor read-back proofs on hand-made deployments', () => {
  it.each(cases)('%s: %s', (folder, claim, holds) => {
    const r = doctor(filesOf(at(folder)));
    const found = r.proofs.filter((p) => claim.test(p.claim));
    expect(found.map((p) => p.claim), r.proofs.map((p) => p.claim).join('\n')).toHaveLength(1);
    expect(found[0]!.holds).toBe(holds);
  });

  it.each([
    ['without a roleRef', (t: string) => t.replace(/roleRef:\n( {2}.*\n)+/, '')],
    ['with a null roleRef', (t: string) => t.replace(/roleRef:\n( {2}.*\n)+/, 'roleRef: null\n')],
    ['with a roleRef without a name', (t: string) => t.replace(/ {2}name: token-rotator\nsubjects:/, 'subjects:')],
  ])("the rotator's RoleBinding %s grants nothing: rotate is refused (RF127), no internal error", (_name, damage) => {
    // Found by the doctor fuzzer (seed 20261203, case 6392): the binding's roleRef was read unchecked.
    const original = readFileSync(join(at('corpus/rotator-kube-sound'), 'rotator-rbac.yaml'), 'utf8');
    const damaged = damage(original);
    expect(damaged).not.toBe(original);
    const files = filesOf(at('corpus/rotator-kube-sound')).map((f) => (f.path.endsWith('rotator-rbac.yaml') ? { ...f, bytes: new TextEncoder().encode(damaged) } : f));
    const r = doctor(files);
    const proof = r.proofs.filter((p) => /^token rotator gitlab-token-rotator is Kubernetes user/.test(p.claim));
    expect(proof.map((p) => p.holds)).toEqual([false]);
    expect(r.findings.some((x) => x.code === 'RF127')).toBe(true);
  });

  it('the same runner without node groups, rotator or Key Vault store in the evidence makes none of these proofs', () => {
    const r = doctor(filesOf(at('corpus/irsa-guide-sound')));
    expect(r.proofs.filter((p) => /node group|token rotator|Key Vault/.test(p.claim))).toEqual([]);
  });
});

/**
 * The AKS token rotator read back from the synth output of examples/aks-key-vault.yaml: the doctor
 * takes the managed identity the rotation pipeline signs in as for the rotator and proves its Azure
 * grants and its RBAC, so a widened grant or a RoleBinding naming the wrong subject fails.
 */
describe('doctor reads the AKS token rotator back', () => {
  const ROTATOR_GRANTS = /^token rotator fabrikam-token-rotator \(managed identity\) is federated for .* holds exactly Key Vault Secrets Officer on 1 token secret/;
  const ROTATOR_RBAC = /^token rotator fabrikam-token-rotator is the Kubernetes user named by its managed identity's principal id \(Entra ID on AKS aks-ci-weu@rg-gitlab-runners/;
  type Root = { resource: Record<string, Record<string, Record<string, unknown>>> };
  type Mutation = [name: string, file: string, mutate: (root: Root) => void, claim: RegExp, holds: boolean, errors: string[]];
  const rotatorOfficer = (root: Root) => Object.values(root.resource.azurerm_role_assignment!).find((a) => a.role_definition_name === 'Key Vault Secrets Officer' && String(a.principal_id).includes('token-rotator'))!;
  const rotatorBinding = (root: Root) => Object.values(root.resource.kubernetes_role_binding_v1!).find((b) => (b.subject as { name: string }[]).some((s) => s.name.includes('token-rotator')))!;
  const mutations: Mutation[] = [
    ['as generated', 'terraform/azure/main.tf.json', () => undefined, ROTATOR_GRANTS, true, []],
    ['as generated', 'terraform/azure-k8s/ci/main.tf.json', () => undefined, ROTATOR_RBAC, true, []],
    // The rotator's Key Vault Secrets Officer on the whole vault: every secret in it (RF132).
    ['grant on the whole vault', 'terraform/azure/main.tf.json', (root) => void (rotatorOfficer(root).scope = String(rotatorOfficer(root).scope).replace(/\/secrets\/[^/]+$/, '')), ROTATOR_GRANTS, false, ['RF127', 'RF132']],
    // The rotator's RoleBinding naming the client id: AKS authenticates the principal id (RF133), so rotate is refused too (RF127).
    ['RoleBinding names the client id', 'terraform/azure-k8s/ci/main.tf.json', (root) => void ((rotatorBinding(root).subject as { name: string }[])[0]!.name = '${data.azurerm_user_assigned_identity.token-rotator-azure.client_id}'), ROTATOR_RBAC, false, ['RF127', 'RF127', 'RF133']],
  ];
  it.each(mutations)('%s (%s)', (_name, file, mutate, claim, holds, errors) => {
    const files = exampleFiles('aks-key-vault').map((f) => {
      if (f.path !== file) return f;
      const root = JSON.parse(f.content) as Root;
      mutate(root);
      return { ...f, content: JSON.stringify(root, null, 2) };
    });
    const r = doctor(files.map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
    const found = r.proofs.filter((p) => claim.test(p.claim));
    expect(found.map((p) => p.claim), r.proofs.map((p) => p.claim).join('\n')).toHaveLength(1);
    expect(found[0]!.runner).toBe('id-token token-rotator-azure');
    expect(found[0]!.holds).toBe(holds);
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.code).sort()).toEqual(errors);
  });

  it('without the RoleBinding of the rotator it stays a plain ID-token identity and says what is missing (RF903)', () => {
    const files = exampleFiles('aks-key-vault').map((f) => {
      if (f.path !== 'terraform/azure-k8s/ci/main.tf.json') return f;
      const root = JSON.parse(f.content) as Root;
      for (const [k, b] of Object.entries(root.resource.kubernetes_role_binding_v1!)) if (b === rotatorBinding(root)) delete root.resource.kubernetes_role_binding_v1![k];
      return { ...f, content: JSON.stringify(root, null, 2) };
    });
    const r = doctor(files.map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
    expect(r.proofs.filter((p) => ROTATOR_GRANTS.test(p.claim) || ROTATOR_RBAC.test(p.claim))).toEqual([]);
    expect(r.proofs.some((p) => p.runner === 'id-token fabrikam-token-rotator' && p.holds)).toBe(true);
    expect(r.findings.filter((f) => f.code === 'RF903' && /token rotator fabrikam-token-rotator reaches AKS cluster\(s\) aks-ci-weu@rg-gitlab-runners/.test(f.message))).toHaveLength(1);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
