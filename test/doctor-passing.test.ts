import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { baseDeployment, deploymentFiles, jobsApart, type Deployment } from './helpers/doctor.js';

/**
 * The near misses of the doctor-only rules: each variant is close to its failing case in
 * test/helpers/doctor.ts (DOCTOR_CASES) but is sound, so the code must not appear.
 */
const PASSING: [string, string, (d: Deployment) => void][] = [
  ['RF909', 'cross-account trust with sts:ExternalId', (d) => (d.policies['deployer.trust.json'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'ci-deployer' } } }] })],
  ['RF908', 'aws-auth mapping a role to a narrower group', (d) => d.objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: '- rolearn: arn:aws:iam::111122223333:role/ci-viewer\n  username: ci\n  groups:\n    - ci-viewers\n' } })],
  ['RF907', 'a ClusterRole with * on * bound to someone other than the manager', (d) => d.objects.push(
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ops' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ops' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ops' }, subjects: [{ kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }] },
  )],
  ['RF202', 's3 actions scoped to the runner prefix', (d) => d.policies['gitlab-runner-manager.policy.json'].Statement.push({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::example-runner-cache/runner/*' })],
  ['RF918', 'the chart runs one manager pod (replicas: 1)', (d) => (d.values.replicas = 1)],
  ['RF935', "jobs in glr-jobs with the manager's Role and RoleBinding there", (d) => {
    jobsApart(d);
    for (const o of d.objects) if ((o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.name === 'gitlab-runner') o.metadata.namespace = 'glr-jobs';
  }],
  ['RF941', 'a Secret holding only the runner token', (d) => d.objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gitlab-runner-token', namespace: 'gitlab' }, data: { 'runner-token': Buffer.from('glrt-EXAMPLEexampleEXAMPLE12').toString('base64') } })],
];

describe('doctor-only rules: near misses pass', () => {
  it.each(PASSING)('%s does not fire: %s', (code, _rule, mutate) => {
    const d = baseDeployment();
    mutate(d);
    const r = doctor(deploymentFiles(d));
    expect(r.findings.filter((f) => f.code === code)).toEqual([]);
  });
});
