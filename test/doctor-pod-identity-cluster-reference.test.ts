import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * An aws_eks_pod_identity_association naming its cluster by a value only apply knows
 * (`module.eks.cluster_name`, the eks module not read), as the eks and eks-pod-identity module
 * READMEs write it. Before, the proofs compared the cluster by the text "undefined" (the reference
 * resolved to no resource of the root), so no association bound anything: a false RF106 ("no pod
 * identity association binds …") and RF104 on a sound deployment.
 */
const CASE = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'eks-pod-identity-hand-written'));

describe('doctor: a Pod Identity association naming its cluster by a reference only apply knows', () => {
  it('binds the service accounts of that cluster, as one with a literal cluster name does', () => {
    const main = readFileSync(join(CASE, 'main.tf'), 'utf8');
    const edited = main.replace('cluster_name    = var.cluster_name', 'cluster_name    = module.eks.cluster_name') + '\nmodule "eks" {\n  source  = "terraform-aws-modules/eks/aws"\n  version = "~> 21.0"\n  name    = "ci"\n}\n';
    expect(edited).not.toContain('var.cluster_name');
    const r = doctor(corpusFiles(CASE).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(edited) } : f)));
    const expected = (JSON.parse(readFileSync(join(CASE, 'expected.json'), 'utf8')) as { findings: { code: string; at: string }[] }).findings.map((f) => `${f.code} ${f.at}`).sort();
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`).sort()).toEqual(expected);
    expect(r.proofs.find((p) => p.claim.startsWith('only ${module.eks.cluster_name}:gitlab-runner/gitlab-runner can assume the manager role'))?.holds).toBe(true);
  });
});
