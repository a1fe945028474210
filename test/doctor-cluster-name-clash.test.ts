import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * An AKS cluster and an EKS cluster may carry the same name ("ci" in both of these deployments).
 * Given together, the doctor crashed (exit 70: "runner gitlab-runner has no Azure identity"): both
 * became one cluster name in its intent, and the EKS runner was proven as an AKS one. Found by the
 * doctor fuzzer (seed 20262302, case 3002057234).
 */
const AKS = join(import.meta.dirname, 'golden', 'aks-key-vault');
const EKS = join(import.meta.dirname, 'doctor', 'corpus', 'eks-pod-identity-hand-written');

describe('doctor: two clusters of one name in different clouds', () => {
  it('proves each runner on its own platform; the later cluster is named with its type added', () => {
    const files = [...corpusFiles(AKS), ...corpusFiles(EKS).map((f) => ({ ...f, path: `eks/${f.path}` }))];
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    const claims = r.proofs.map((p) => p.claim);
    expect(claims).toContain('only ci:ci-apps/apps-manager can assume the manager identity fabrikam-apps-manager (5 service accounts tried)');
    expect(claims).toContain('only ci-eks:gitlab-runner/gitlab-runner can assume the manager role gitlab-runner-manager (5 service accounts tried)');
    // The EKS runner's Pod Identity trust is still proven against the cluster's own name (ci).
    expect(r.proofs.find((p) => p.claim.startsWith('only ci-eks:'))?.holds).toBe(true);
  });
});
