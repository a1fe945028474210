import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { exampleValue } from './helpers/fleet.js';
import { jsonReport, textReport } from '../src/cli/report.js';

/** What a new user's review (65e, stop 65) found the output does not tell yet (helper 66d). */

describe('RF703: a placeholder SHA-256 of the Fargate driver', () => {
  const withSha = (sha256: string) => {
    const s = exampleValue('ecs-fargate');
    s.runners[0].fargate.driver.sha256 = sha256;
    return planValue(s);
  };
  const PATH = 'runners[0].fargate.driver.sha256';
  it.each([['0'.repeat(64)], ['f'.repeat(64)]])('%s: a warning at the checksum, with the command that computes the real one; plan still exits 0', (sha) => {
    const plan = withSha(sha);
    const hit = plan.findings.filter((f) => f.code === 'RF703');
    expect(hit.map((f) => [f.path, f.severity, f.received])).toEqual([[PATH, 'warning', sha]]);
    expect(hit[0]!.message).toContain('stops booting');
    expect(hit[0]!.fix).toContain("'https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com/v0.5.0/fargate-linux-amd64' | sha256sum");
    expect(plan.exitCode).toBe(0);
  });
  it('a checksum of mixed digits says nothing (runner-fleet cannot tell a real one from a wrong one)', () => {
    const plan = withSha('0'.repeat(63) + '1');
    expect(plan.findings.filter((f) => f.code === 'RF703')).toEqual([]);
  });
});

describe('the output README of an EKS fleet whose IRSA roles trust an IAM OIDC provider it does not create', () => {
  const readme = (spec: Record<string, any>) => synthFiles(planValue(spec)).find((f) => f.path === 'README.md')!.content;
  it('oidcProvider existing (the default): a step says the provider must exist, why, and the two commands that show it', () => {
    const text = readme(exampleValue('eks-irsa'));
    expect(text).toContain('**IAM OIDC provider.**');
    expect(text).toContain('No OpenIDConnect provider found in your account');
    expect(text).toContain('aws eks describe-cluster --name devops --region eu-central-1 --query cluster.identity.oidc.issuer --output text');
    expect(text).toContain("aws iam list-open-id-connect-providers --query \"OpenIDConnectProviderList[?Arn=='arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'].Arn\"");
  });
  it('oidcProvider create, or EKS Pod Identity: no such step (the provider is created here, or not needed)', () => {
    const created = exampleValue('eks-irsa');
    created.clusters[0].oidcProvider = 'create';
    expect(readme(created)).not.toContain('IAM OIDC provider.');
    expect(readme(exampleValue('eks-pod-identity'))).not.toContain('IAM OIDC provider.');
  });
});

describe('a proof that fails because of a finding the spec accepted says where and why', () => {
  const CLAIM = 'the job identity is not the manager identity';
  const REASON = 'terraform applies the landing zone, including role assignments; only protected refs of the projects in group contoso/infrastructure reach this runner';
  const failing = (spec: Record<string, any>) => {
    const plan = planValue(spec);
    return { plan, proof: plan.proofs.find((p) => p.runner === 'terraform' && p.claim === CLAIM)! };
  };
  it('aks-workload-identity (RF602 accepted): the FAIL line names the acceptance and its reason; JSON has the same as proofs[].accepted', () => {
    const { plan, proof } = failing(exampleValue('aks-workload-identity'));
    expect(proof.holds).toBe(false);
    expect(proof.accepted).toEqual([{ code: 'RF602', path: 'runners[1].jobs.permissions.azure[0]', at: 'runners[1].acceptRisks[0]', reason: REASON }]);
    expect(textReport(plan)).toContain(`  FAIL terraform: ${CLAIM} (accepted: RF602 at runners[1].acceptRisks[0]: ${REASON})\n`);
    const json = JSON.parse(jsonReport(plan)) as { proofs: { runner: string; claim: string; accepted?: unknown[] }[] };
    expect(json.proofs.find((p) => p.runner === 'terraform' && p.claim === CLAIM)!.accepted).toEqual(proof.accepted);
  });
  it('without the acceptance, or with a refuting finding no acceptance covers (RF601: the runner takes unprotected refs), the FAIL line is bare', () => {
    const bare = exampleValue('aks-workload-identity');
    delete bare.runners[1].acceptRisks;
    const a = failing(bare);
    expect([a.proof.holds, a.proof.accepted]).toEqual([false, undefined]);
    expect(textReport(a.plan)).toContain(`  FAIL terraform: ${CLAIM}\n`);
    const open = exampleValue('aks-workload-identity');
    open.runners[1].gitlab.protectedOnly = false;
    const b = failing(open);
    expect(b.plan.findings.some((f) => f.code === 'RF601' && f.path === 'runners[1].gitlab')).toBe(true);
    expect([b.proof.holds, b.proof.accepted]).toEqual([false, undefined]);
  });
});
