import type { ResolvedFleet } from '../../model/types.js';
import type { EmittedFleet } from '../../emit/types.js';
import type { Finding } from '../../spec/findings.js';
import { crossAccountIntent, idTokenIntent, reachDocuments } from './intent.js';
import { verifyCrossAccount, type ReachProof } from './cross-account.js';
import { verifyIdTokens } from './id-tokens.js';

/**
 * Proofs of jobs that reach beyond their own identity: deploy targets in other accounts and
 * GitLab ID-token roles. Each proof takes documents plus a small intent; this function only
 * builds both for a generated fleet.
 */
export function verifyReach(fleet: ResolvedFleet, docs: EmittedFleet): { findings: Finding[]; proofs: ReachProof[] } {
  const documents = reachDocuments(docs);
  const findings: Finding[] = [];
  const proofs: ReachProof[] = [];
  const cross = crossAccountIntent(fleet);
  if (cross) {
    const out = verifyCrossAccount(documents, cross);
    findings.push(...out.findings);
    proofs.push(...out.proofs);
  }
  const idt = idTokenIntent(fleet);
  if (idt) {
    const out = verifyIdTokens(documents, idt);
    findings.push(...out.findings);
    proofs.push(...out.proofs);
  }
  return { findings, proofs };
}
