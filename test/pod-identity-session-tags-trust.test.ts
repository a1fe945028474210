import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { podIdentityAssociations } from '../src/verify/aws-docs.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { corpusFiles } from './helpers/doctor.js';

const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const run = (name: string) => doctor(corpusFiles(join(CORPUS, name)));
const assumeProof = (r: ReturnType<typeof run>) => r.proofs.find((p) => /can assume the manager role/.test(p.claim));

describe('EKS Pod Identity trust proof and disable_session_tags', () => {
  it('tags disabled: a trust allowing sts:AssumeRole alone admits the manager', () => {
    const r = run('eks-pod-identity-session-tags-disabled-assume-only');
    expect(r.findings.filter((f) => f.code === 'RF104')).toEqual([]);
    expect(assumeProof(r)?.holds).toBe(true);
  });

  it('tags added: the same trust refuses it (no sts:TagSession)', () => {
    const r = run('eks-pod-identity-session-tags-enabled-assume-only');
    expect(r.findings.filter((f) => f.code === 'RF104').map((f) => f.path)).toEqual([expect.stringMatching(/main\.tf:130:22$/)]);
    expect(assumeProof(r)?.holds).toBe(false);
  });

  it('not shown whether disabled: RF903 at disable_session_tags, no RF104, the proof does not hold', () => {
    const r = run('eks-pod-identity-session-tags-not-shown');
    expect(r.findings.filter((f) => f.code === 'RF104')).toEqual([]);
    const unshown = r.findings.filter((f) => f.code === 'RF903' && /disable_session_tags/.test(f.message));
    expect(unshown.map((f) => f.path)).toEqual([expect.stringMatching(/main\.tf:96:26$/)]);
    expect(unshown[0]!.message).toContain('aws_eks_pod_identity_association.manager sets disable_session_tags = var.disable_session_tags');
    expect(unshown[0]!.message).toContain('only without session tags');
    expect(unshown[0]!.fix).toContain('set disable_session_tags = true in aws_eks_pod_identity_association.manager');
    expect(assumeProof(r)?.holds).toBe(false);
  });

  it('tags disabled, the trust conditions on a session tag: RF104 says the association disables session tags, where, and both fixes', () => {
    const r = run('eks-pod-identity-session-tags-disabled-tag-condition');
    const rf104 = r.findings.filter((f) => f.code === 'RF104');
    expect(rf104.map((f) => f.path)).toEqual([expect.stringMatching(/main\.tf:135:22$/)]);
    expect(rf104[0]!.message).toContain('its condition StringEquals aws:RequestTag/kubernetes-service-account = gitlab-runner refuses it: the association disables session tags (aws_eks_pod_identity_association.manager (main.tf:97:26) sets disable_session_tags = true)');
    expect(rf104[0]!.message).not.toMatch(/carries aws:RequestTag/);
    expect(rf104[0]!.fix).toContain('remove the aws:RequestTag/kubernetes-service-account condition, or enable session tags: remove disable_session_tags = true from aws_eks_pod_identity_association.manager (main.tf:97:26)');
    expect(assumeProof(r)?.holds).toBe(false);
  });

  it('tags added, no sts:TagSession in the trust: RF104 names the missing action, not "admits no service account"', () => {
    const r = run('eks-pod-identity-session-tags-enabled-assume-only');
    const rf104 = r.findings.filter((f) => f.code === 'RF104');
    expect(rf104[0]!.message).not.toContain('admits no service account');
    expect(rf104[0]!.message).toContain('EKS Pod Identity calls sts:AssumeRole and sts:TagSession (to add its session tags) unless the association disables session tags');
    expect(rf104[0]!.message).toContain('the trust allows pods.eks.amazonaws.com sts:AssumeRole but not sts:TagSession');
    expect(rf104[0]!.fix).toContain('add sts:TagSession to the actions of the statement for pods.eks.amazonaws.com in the trust policy of gitlab-runner-manager (main.tf:40:1)');
    expect(rf104[0]!.fix).toContain('set disable_session_tags = true in aws_eks_pod_identity_association.manager');
  });
});

describe('podIdentityAssociations: the one reader of aws_eks_pod_identity_association', () => {
  const root = {
    resource: {
      aws_eks_cluster: { ci: { name: 'ci' } },
      aws_iam_role: { m: { name: 'manager', assume_role_policy: '{}' } },
      aws_eks_pod_identity_association: {
        a: { cluster_name: '${aws_eks_cluster.ci.name}', namespace: 'ns', service_account: 'sa', role_arn: '${aws_iam_role.m.arn}' },
        b: { cluster_name: 'other', namespace: 'ns', service_account: 'sa', role_arn: 'arn:aws:iam::123456789012:role/ci/jobs', disable_session_tags: true },
        c: { cluster_name: '${module.eks.cluster_name}', namespace: 'ns', service_account: 'sa', role_arn: 'arn:aws:iam::${var.account}:role/x', disable_session_tags: '${var.off}' },
        d: { cluster_name: 'ci', namespace: 'ns', service_account: 'sa', role_arn: '${aws_iam_role.m.arn}', disable_session_tags: 'false' },
      },
    },
  } as unknown as TerraformRoot;
  it('reads role, cluster, namespace, service account and whether session tags are added', () => {
    expect(podIdentityAssociations(root).map(({ body: _body, ...a }) => a)).toEqual([
      { address: 'aws_eks_pod_identity_association.a', roleKey: 'm', roleArnLiteral: false, cluster: 'ci', namespace: 'ns', serviceAccount: 'sa', sessionTags: 'added' },
      { address: 'aws_eks_pod_identity_association.b', roleArnName: 'jobs', roleArnLiteral: true, cluster: 'other', namespace: 'ns', serviceAccount: 'sa', sessionTags: 'disabled' },
      { address: 'aws_eks_pod_identity_association.c', roleArnName: 'x', roleArnLiteral: false, cluster: '${module.eks.cluster_name}', namespace: 'ns', serviceAccount: 'sa', sessionTags: 'unknown' },
      { address: 'aws_eks_pod_identity_association.d', roleKey: 'm', roleArnLiteral: false, cluster: 'ci', namespace: 'ns', serviceAccount: 'sa', sessionTags: 'added' },
    ]);
    expect(podIdentityAssociations(root)).toBe(podIdentityAssociations(root));
  });
});
