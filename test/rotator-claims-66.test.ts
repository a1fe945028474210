import { describe, expect, it } from 'vitest';
import { planExample } from './helpers/fleet.js';

/**
 * The token rotator's proof says what its grants allow, not only what rotate uses them for (a
 * security review, 66e): SSM Run Command with AWS-RunShellScript runs any script as root on the
 * managers, and patching a Deployment may rewrite its pod template. The claims said "restart only
 * the managers" and "get and patch their manager Deployments", true of rotate and misleading of the role.
 */
const rotatorClaims = (example: string) => planExample(example).proofs.filter((p) => p.runner.startsWith('id-token token-rotator')).map((p) => p.claim);

describe('the token rotator\'s claims name what its grants allow', () => {
  it('VM managers: commands as root through AWS-RunShellScript', () => {
    const claims = rotatorClaims('ec2-docker');
    expect(claims.some((c) => c.includes('run commands as root on only the managers of') && c.includes('AWS-RunShellScript, which runs any script'))).toBe(true);
    expect(claims.some((c) => c.includes('restart only the managers'))).toBe(false);
  });
  it('Kubernetes managers: a patch may rewrite the pod template', () => {
    const claims = rotatorClaims('eks-api-rotation');
    expect(claims.some((c) => c.includes("get and patch their manager Deployments, by name (a patch may rewrite a Deployment's pod template"))).toBe(true);
  });
});
