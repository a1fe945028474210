import type { FleetDocuments } from '../../emit/types.js';
import type { Finding } from '../../spec/findings.js';
import type { FleetIntent } from '../intent.js';
import { reachDocuments } from './intent.js';
import { verifyCrossAccount, type ReachProof } from './cross-account.js';
import { verifyIdTokens } from './id-tokens.js';
import { verifyRotatorKubernetes } from './rotator-kube.js';
import { azureIdTokenOverManagers } from '../azure-rbac.js';

/**
 * Proofs of jobs that reach beyond their own identity: deploy targets in other accounts and
 * GitLab ID-token roles, each over documents plus its own small part of the intent.
 */
export function verifyReach(intent: FleetIntent, docs: FleetDocuments): { findings: Finding[]; proofs: ReachProof[] } {
  const documents = reachDocuments(docs);
  const findings: Finding[] = [];
  const proofs: ReachProof[] = [];
  if (intent.crossAccount) {
    const out = verifyCrossAccount(documents, intent.crossAccount);
    findings.push(...out.findings);
    proofs.push(...out.proofs);
  }
  if (intent.idTokens) {
    const out = verifyIdTokens(documents, intent.idTokens);
    findings.push(...out.findings);
    proofs.push(...out.proofs);
    // The rotator's Kubernetes identity (Secret stores): access entries and RBAC, over all documents.
    for (const role of intent.idTokens.roles) {
      // An Azure ID-token identity with a role over the runner identities' scope can become a manager.
      findings.push(...azureIdTokenOverManagers(role.azureRoot ? { ...docs, terraformAzure: role.azureRoot } : docs, intent, role));
      const kubeIntent = role.rotator?.kubernetes ?? role.azureRotator?.kubernetes;
      if (!kubeIntent) continue;
      const kube = verifyRotatorKubernetes(docs, intent, kubeIntent, role.roleName, role.path);
      findings.push(...kube.findings);
      proofs.push({ runner: `id-token ${role.name}`, claim: kube.claim, holds: kube.findings.length === 0 });
    }
  }
  return { findings, proofs };
}
