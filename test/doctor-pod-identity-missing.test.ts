import { describe, expect, it } from 'vitest';
import { damagedFiles } from './helpers/fleet.js';
import { doctor } from '../src/doctor/index.js';

/**
 * Issue 10b, item 3: a manager whose role trusts EKS Pod Identity but that no association binds
 * runs with the node's role, and its cache fails with only a warning in the job log: the silent
 * failure runner-fleet exists to catch. Before, it was one RF911 warning and exit 0 whatever the
 * files showed. Now it is an error where the files show the association missing (they hold the
 * cluster's other associations, the cluster or its Pod Identity add-on), and "not shown" (RF903)
 * where it may be in a file not given.
 */
const T = 'terraform/aws/main.tf.json';
const about = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.message.includes('trusts EKS Pod Identity (pods.eks.amazonaws.com)'));

describe('doctor: the manager role trusts Pod Identity, and no association binds the manager', () => {
  it("the jobs' association is given, the manager's is not: RF904 (error) at the role, naming the association to write; exit 1", () => {
    const r = doctor(damagedFiles('eks-pod-identity', T, (root) => delete root.resource.aws_eks_pod_identity_association!['ci-manager']));
    const [f, ...more] = about(r);
    expect(more).toEqual([]);
    expect(f?.code).toBe('RF904');
    expect(f?.severity).toBe('error');
    expect(f?.path).toMatch(/^terraform\/aws\/main\.tf\.json:\d+:\d+$/);
    expect(f?.message).toContain('role orbit-ci-manager (aws_iam_role.ci-manager) trusts EKS Pod Identity (pods.eks.amazonaws.com) and is named for gitlab-runner-ci/ci-manager');
    expect(f?.message).toContain('no aws_eks_pod_identity_association binds gitlab-runner-ci/ci-manager to it (the files bind aws_eks_pod_identity_association.ci-jobs (gitlab-runner-ci/ci-jobs))');
    expect(f?.message).toContain("runs with the node's role, so the cache it signs for fails with only a warning in the job log");
    expect(f?.fix).toBe('add resource "aws_eks_pod_identity_association" with cluster_name = "apps-prod", namespace = "gitlab-runner-ci", service_account = "ci-manager" and role_arn = aws_iam_role.ci-manager.arn');
    expect(r.findings.filter((x) => x.code === 'RF911')).toEqual([]);
    expect(r.exitCode).toBe(1);
    // A role trusting Pod Identity that is not named for the manager is not taken for its role: RF911 as before.
    const other = doctor(
      damagedFiles('eks-pod-identity', T, (root) => {
        delete root.resource.aws_eks_pod_identity_association!['ci-manager'];
        root.resource.aws_iam_role!['ci-manager']!.name = 'external-dns';
      }),
    );
    expect(about(other)).toEqual([]);
    expect(other.findings.find((x) => x.code === 'RF911')?.message).toContain('has no cloud identity of its own');
  });

  it('no association at all and no cluster Terraform: RF903 (not shown, it may be in a file not given), the chain not proven', () => {
    const r = doctor(damagedFiles('eks-pod-identity', T, (root) => delete root.resource.aws_eks_pod_identity_association));
    const found = about(r);
    expect(found.map((f) => f.code)).toEqual(['RF903']);
    expect(found[0]!.message).toContain('none of the cluster\'s is given; it may be written in a file not given');
    expect(found[0]!.fix).toMatch(/^give the Terraform that writes the cluster's Pod Identity associations, or add resource "aws_eks_pod_identity_association"/);
    expect(r.proofs).toEqual([]);
  });

  it("the cluster's Pod Identity add-on is given: the association is shown missing (RF904)", () => {
    const r = doctor(
      damagedFiles('eks-pod-identity', T, (root) => {
        delete root.resource.aws_eks_pod_identity_association;
        root.resource.aws_eks_addon = { agent: { cluster_name: 'apps-prod', addon_name: 'eks-pod-identity-agent' } };
      }),
    );
    expect(about(r).map((f) => f.code)).toEqual(['RF904']);
    expect(about(r)[0]?.message).toContain('(the files create aws_eks_addon.agent)');
    expect(r.exitCode).toBe(1);
  });
});
