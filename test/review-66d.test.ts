import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { exampleValue } from './helpers/fleet.js';

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
