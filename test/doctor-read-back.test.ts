import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * What the doctor reads back beyond the identity chain, on hand-made deployments: node groups
 * (eksctl ClusterConfig, aws_eks_node_group) for the scheduling proofs, the token rotator's
 * Kubernetes identity (access entry, RBAC), and a Key Vault token store (SecretProviderClass,
 * role assignment). The corpus tests check the findings; these check that the proofs are made,
 * on the cluster the documents name, and hold or fail as the case says.
 */
const DOCTOR = join(import.meta.dirname, 'doctor');

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
    const r = doctor(filesOf(join(DOCTOR, folder)));
    const found = r.proofs.filter((p) => claim.test(p.claim));
    expect(found.map((p) => p.claim), r.proofs.map((p) => p.claim).join('\n')).toHaveLength(1);
    expect(found[0]!.holds).toBe(holds);
  });

  it('the same runner without node groups, rotator or Key Vault store in the evidence makes none of these proofs', () => {
    const r = doctor(filesOf(join(DOCTOR, 'corpus/irsa-guide-sound')));
    expect(r.proofs.filter((p) => /node group|token rotator|Key Vault/.test(p.claim))).toEqual([]);
  });
});
