import { describe, expect, it } from 'vitest';
import { damagedFiles } from './helpers/fleet.js';
import { doctor } from '../src/doctor/index.js';

/**
 * A Pod Identity trust written with the confused-deputy guard AWS recommends for service principals
 * (`aws:SourceAccount` = the account, `aws:SourceArn` = the cluster, or the `eks-cluster-arn` session
 * tag) is how many teams write it. EKS Pod Identity's AssumeRole carries those keys; the doctor
 * evaluated the trust without them, so a sound deployment got a false RF104 ("whose trust admits no
 * service account of this cluster"). The guard naming another account or cluster still refuses.
 */
const T = 'terraform/aws/main.tf.json';
const CLUSTER_ARN = 'arn:aws:eks:us-east-1:123456789012:cluster/apps-prod';

function guarded(conditions: Record<string, Record<string, string>>) {
  return damagedFiles('eks-pod-identity', T, (root) => {
    const role = root.resource.aws_iam_role!['ci-manager']!;
    const trust = JSON.parse(String(role.assume_role_policy)) as { Statement: { Condition: Record<string, Record<string, string>> }[] };
    for (const [op, block] of Object.entries(conditions)) trust.Statement[0]!.Condition[op] = { ...(trust.Statement[0]!.Condition[op] ?? {}), ...block };
    role.assume_role_policy = JSON.stringify(trust);
  });
}

const trustFindings = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => ['RF104', 'RF106', 'RF903'].includes(f.code) && f.message.includes('orbit-ci-manager'));

describe('doctor: a Pod Identity trust with aws:SourceAccount / aws:SourceArn', () => {
  it('the guard names this account and cluster: no finding about the trust, the trust proof holds', () => {
    const cases: Record<string, Record<string, string>>[] = [
      { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnEquals: { 'aws:SourceArn': CLUSTER_ARN } },
      { StringEquals: { 'aws:RequestTag/eks-cluster-arn': CLUSTER_ARN } },
    ];
    for (const conditions of cases) {
      const r = doctor(guarded(conditions));
      expect(trustFindings(r), JSON.stringify(conditions)).toEqual([]);
      const proof = r.proofs.find((p) => p.claim.includes('can assume the manager role orbit-ci-manager'));
      expect(proof?.holds, JSON.stringify(conditions)).toBe(true);
    }
  });

  it('the guard names another account or another cluster, or the pod: RF104 saying which condition refuses, and the fix', () => {
    const cases: [Record<string, Record<string, string>>, string, string][] = [
      [{ StringEquals: { 'aws:SourceAccount': '999999999999' } }, "its condition StringEquals aws:SourceAccount = 999999999999 refuses it (EKS Pod Identity's request for this cluster carries aws:SourceAccount = 123456789012)", 'in the trust policy of orbit-ci-manager, set aws:SourceAccount to 123456789012'],
      [{ ArnEquals: { 'aws:SourceArn': 'arn:aws:eks:us-east-1:123456789012:cluster/other' } }, `its condition ArnEquals aws:SourceArn = arn:aws:eks:us-east-1:123456789012:cluster/other refuses it (EKS Pod Identity's request for this cluster carries aws:SourceArn = ${CLUSTER_ARN})`, `in the trust policy of orbit-ci-manager, set aws:SourceArn to ${CLUSTER_ARN}`],
      [{ StringEquals: { 'aws:RequestTag/kubernetes-pod-name': 'gitlab-runner-0' } }, "its condition StringEquals aws:RequestTag/kubernetes-pod-name = gitlab-runner-0 is not shown to admit it (the pod's name changes with every pod)", 'in the trust policy of orbit-ci-manager, remove the aws:RequestTag/kubernetes-pod-name condition'],
    ];
    for (const [conditions, says, fix] of cases) {
      const r = doctor(guarded(conditions));
      const f = r.findings.find((x) => x.code === 'RF104' && x.message.includes('orbit-ci-manager'));
      expect(f?.message, JSON.stringify(conditions)).toContain(`although its trust (terraform/aws/main.tf.json:`);
      expect(f?.message, JSON.stringify(conditions)).toContain(`names it: ${says}`);
      expect(f?.fix).toBe(fix);
      expect(r.exitCode).toBe(1);
    }
  });
});
