import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { damagedFiles, exampleFiles, type DamagedRoot } from './helpers/fleet.js';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { inferDeployment } from '../src/doctor/infer.js';
import { verifyFleet } from '../src/verify/index.js';
import { AZURE_CORPUS } from './helpers/doctor-azure.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 9c, item 4: the doctor reads deployments runner-fleet did not write, so a fix that says
 * "regenerate" (plan's, for its own output) tells its reader nothing. The doctor names what to
 * change in the user's own documents instead.
 */

const T = 'terraform/aws/main.tf.json';
type Policy = { Version: string; Statement: Record<string, unknown>[] };
const policyOf = (root: DamagedRoot, key: string, edit: (p: Policy) => Policy) => {
  const block = root.resource.aws_iam_role_policy![key]!;
  block.policy = JSON.stringify(edit(JSON.parse(String(block.policy)) as Policy));
};
/** Synth output of an example with one text file edited. */
const editedText = (example: string, path: string, edit: (text: string) => string): InputFile[] =>
  exampleFiles(example).map((f) => {
    if (f.path === path && edit(f.content) === f.content) throw new Error(`test: ${path} unchanged`);
    return { path: f.path, bytes: new TextEncoder().encode(f.path === path ? edit(f.content) : f.content) };
  });

/** Two associations for the manager's service account: the manager's role and the jobs'. */
const twoAssociations = () =>
  damagedFiles('eks-pod-identity', T, (root) => {
    const a = root.resource.aws_eks_pod_identity_association!;
    a.second = { ...a['ci-manager']!, role_arn: a['ci-jobs']!.role_arn };
  });

describe('EKS Pod Identity in the doctor: RF106 names the association to write', () => {
  it('two associations for the manager service account: both roles said, the fix keeps the one with cluster, namespace, service account and role', () => {
    const r = doctor(twoAssociations());
    const f = r.findings.find((x) => x.code === 'RF106' && x.message.includes('pod identity association'));
    expect(f, JSON.stringify(r.findings.map((x) => `${x.code} ${x.message}`))).toBeDefined();
    expect(f!.message).toContain('2 pod identity associations bind gitlab-runner-ci/ci-manager on EKS cluster apps-prod (roles orbit-ci-manager, orbit-ci-jobs)');
    expect(f!.fix).toBe(
      'keep one aws_eks_pod_identity_association for gitlab-runner-ci/ci-manager, the one with cluster_name = "apps-prod", namespace = "gitlab-runner-ci", service_account = "ci-manager" and role_arn = "arn:aws:iam::123456789012:role/runner-fleet/orbit-ci-manager", and remove the others',
    );
    expect(r.exitCode).toBe(1);
  });

  it("verification keeps plan's fix for plan, and gives the deployment fix when asked (the doctor); neither returns the field", () => {
    const inferred = inferDeployment(readEvidence(twoAssociations()));
    const about = (x: { code: string; message: string }) => x.code === 'RF106' && x.message.includes('pod identity association');
    const v = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false });
    expect(v.findings.find(about)?.fix).toBe('regenerate; the names must come from one resolved value');
    const d = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false, deployment: true });
    expect(d.findings.find(about)?.fix).toMatch(/^keep one aws_eks_pod_identity_association for gitlab-runner-ci\/ci-manager/);
    expect([...v.findings, ...d.findings].filter((x) => 'deploymentFix' in x)).toEqual([]);
  });
});

/** The hand-written AKS runner of the Azure corpus (issue 11d): its cache blobs never expire (RF612). */
const handAks = (): InputFile[] => {
  const dir = join(AZURE_CORPUS, 'aks-hand-written-hcl');
  return [{ path: 'main.tf', bytes: new Uint8Array(readFileSync(join(dir, 'main.tf'))) }];
};

describe('no fix the doctor gives tells to regenerate or to run synth, or names a runner-fleet spec key', () => {
  const planSpeak = /regenerat|runner-fleet synth|synth(?:esize)? again/i;
  /** Keys of the runner-fleet spec (caches[0].expireAfterDays, placement.namespace, …), never the user's Terraform or Helm. */
  const specKey = /\b(?:expireAfterDays|publicNetworkAccess|acceptRisks|caches\[\d+\]|runners\[\d+\]|placement\.|jobs\.privileged)\b|\bset [a-z][A-Za-z]+: /;
  it.each<[string, () => InputFile[], string]>([
    ['EKS: two Pod Identity associations for one service account', twoAssociations, 'RF106'],
    ['EKS: the manager RoleBinding removed', () => editedText('eks-irsa', 'kubernetes/build/rbac.yaml', (t) => t.split('\n---\n').filter((d) => !/kind: RoleBinding/.test(d)).join('\n---\n')), 'RF106'],
    ['S3 cache without a public access block', () => damagedFiles('ec2-autoscaler', T, (root) => delete root.resource.aws_s3_bucket_public_access_block), 'RF207'],
    ['the token rotator without eks:DescribeCluster', () => damagedFiles('eks-api-rotation', T, (root) => policyOf(root, 'token-rotator', (p) => ({ ...p, Statement: p.Statement.slice(1) }))), 'RF127'],
    ['the token rotator without its SSM permissions', () => damagedFiles('ec2-docker', T, (root) => { for (const k of Object.keys(root.resource.aws_iam_role_policy!)) policyOf(root, k, (p) => ({ ...p, Statement: p.Statement.filter((s) => !JSON.stringify(s).includes('ssm:GetParameter')) })); }), 'RF127'],
    ['the user data file differs from the launch template', () => editedText('ec2-docker', 'ec2/docker/user-data.sh', (t) => `${t}# edited\n`), 'RF106'],
    ['AKS hand-written: cache blobs never expire', handAks, 'RF612'],
    ['EC2 Docker hand-written: jobs run privileged', () => corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile')), 'RF301'],
    ['EKS without the chart: privileged jobs in a namespace without Pod Security labels', () => corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'eks-kubernetes-provider-deployment')).map((f) => (f.path === 'k8s.tf' ? { path: f.path, bytes: Buffer.from(Buffer.from(f.bytes).toString('utf8').replace('privileged = false', 'privileged = true')) } : f)), 'RF307'],
  ])('%s', (_name, files, code) => {
    const r = doctor(files());
    const found = r.findings.filter((f) => f.code === code);
    expect(found.length, JSON.stringify(r.findings.map((f) => `${f.code} ${f.message}`))).toBeGreaterThan(0);
    expect(r.findings.filter((f) => planSpeak.test(f.fix ?? '')).map((f) => `${f.code}: ${f.fix ?? ''}`)).toEqual([]);
    expect(r.findings.filter((f) => specKey.test(`${f.fix ?? ''} ${f.received ?? ''} ${f.allowed ?? ''}`)).map((f) => `${f.code}: ${f.fix ?? ''} (received ${f.received ?? ''}, allowed ${f.allowed ?? ''})`)).toEqual([]);
    for (const f of found) expect(f.fix, f.message).toBeTruthy();
  });
});
