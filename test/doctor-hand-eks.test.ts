import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseNames } from './helpers/corpus-case.js';

/**
 * The doctor on a hand-written EKS IRSA deployment (test/doctor/corpus/hand-eks-irsa-chart-rbac:
 * HCL with data "aws_iam_policy_document", chart values with rbac.create and serviceAccount.create,
 * jobs as the namespace's `default` service account). Each case below is one thing the doctor got
 * wrong there: a finding that was false, or worded for runner-fleet's own synth output.
 */
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac');
const VALUES = 'helm/values.yaml';
const IAM = 'iam/main.tf';

const files = (edit: Partial<Record<string, (text: string) => string>> = {}, extra: InputFile[] = []): InputFile[] => [
  ...corpusFiles(DIR).map((f) => {
    const change = edit[f.path];
    return change ? { path: f.path, bytes: new TextEncoder().encode(change(readFileSync(join(DIR, f.path), 'utf8'))) } : f;
  }),
  ...extra,
];
const text = (path: string) => readFileSync(join(DIR, path), 'utf8');
const lineOf = (path: string, needle: string) => text(path).split('\n').findIndex((l) => l.includes(needle)) + 1;
const chainHolds = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.startsWith('every reference resolves'))?.holds;
const cacheProof = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds;

describe('doctor on a hand-written EKS IRSA deployment', () => {
  it('jobs that name no service account run as the namespace default one, which exists: no RF106 about it', () => {
    const r = doctor(files());
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(r.findings.map((f) => f.message).join('\n')).not.toMatch(/service-accounts\.yaml|gitlab-runner\/default is not/);
    expect(chainHolds(r)).toBe(true);
  });

  it('the chart creates the Role and RoleBinding with rbac.create: true (Role, or ClusterRole with clusterWideAccess)', () => {
    expect(doctor(files()).findings.map((f) => f.message).join('\n')).not.toMatch(/RoleBinding/);
    const wide = doctor(files({ [VALUES]: (t) => t.replace('  create: true\nserviceAccount:', '  create: true\n  clusterWideAccess: true\nserviceAccount:') }));
    expect(wide.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(chainHolds(wide)).toBe(true);
    expect(wide.findings.find((f) => f.code === 'RF907')?.message).toMatch(/ClusterRole .*in every namespace/);
  });

  it('without rbac.create and no RoleBinding given: RF106 at rbac.create, in the values\' own terms', () => {
    const r = doctor(files({ [VALUES]: (t) => t.replace('rbac:\n  create: true', 'rbac:\n  create: false') }));
    const f = r.findings.find((x) => x.code === 'RF106');
    expect(f?.path).toBe(`${VALUES}:${lineOf(VALUES, 'rbac:') + 1}:11`);
    expect(f?.message).toContain('gitlab-runner/gitlab-runner');
    expect(f?.message).toContain(`rbac.create is not true in ${VALUES}`);
    expect(f?.fix).toMatch(new RegExp(`^set rbac\\.create: true in ${VALUES.replace('.', '\\.')}`));
    expect(chainHolds(r)).toBe(false);
  });

  it('a RoleBinding of the files to a ClusterRole of the files gives the manager its role too', () => {
    const rbac = [
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: runner-executor\nrules:\n  - apiGroups: [""]\n    resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]\n    verbs: [get, list, watch, create, patch, delete]',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: gitlab-runner\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: runner-executor\nsubjects:\n  - kind: ServiceAccount\n    name: gitlab-runner\n    namespace: gitlab-runner',
    ].join('\n---\n');
    const r = doctor(files({ [VALUES]: (t) => t.replace('rbac:\n  create: true', 'rbac:\n  create: false') }, [{ path: 'k8s/rbac.yaml', bytes: new TextEncoder().encode(rbac) }]));
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(chainHolds(r)).toBe(true);
  });

  it('a Role and RoleBinding of the user\'s own naming the service account the chart creates: no RF904, the chain holds', () => {
    const rbac = [
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: gitlab-runner\nrules:\n  - apiGroups: [""]\n    resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]\n    verbs: [get, list, watch, create, patch, delete]',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: gitlab-runner\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: gitlab-runner\n    namespace: gitlab-runner',
    ].join('\n---\n');
    const noChartRbac = { [VALUES]: (t: string) => t.replace('rbac:\n  create: true', 'rbac:\n  create: false') };
    const r = doctor(files(noChartRbac, [{ path: 'k8s/rbac.yaml', bytes: new TextEncoder().encode(rbac) }]));
    expect(r.findings.filter((f) => f.code === 'RF904' || f.code === 'RF106')).toEqual([]);
    expect(chainHolds(r)).toBe(true);
    // The same binding written as kubernetes_role_binding_v1 in the Terraform.
    const tf = [
      'resource "kubernetes_role_binding_v1" "runner" {',
      '  metadata {\n    name      = "runner"\n    namespace = "gitlab-runner"\n  }',
      '  role_ref {\n    api_group = "rbac.authorization.k8s.io"\n    kind      = "ClusterRole"\n    name      = "edit"\n  }',
      '  subject {\n    kind      = "ServiceAccount"\n    name      = "gitlab-runner"\n    namespace = "gitlab-runner"\n  }',
      '}',
    ].join('\n');
    const t = doctor(files(noChartRbac, [{ path: 'iam/rbac.tf', bytes: new TextEncoder().encode(tf) }]));
    expect(t.findings.filter((f) => f.code === 'RF904')).toEqual([]);
    // A binding naming a service account that neither the chart nor the files create is still RF904.
    const other = doctor(files(noChartRbac, [{ path: 'k8s/rbac.yaml', bytes: new TextEncoder().encode(rbac.replace(/name: gitlab-runner\n {4}namespace/, 'name: gitlab-runner-old\n    namespace')) }]));
    expect(other.findings.find((f) => f.code === 'RF904')?.message).toMatch(/binds service account gitlab-runner\/gitlab-runner-old, which does not exist/);
  });

  it('the chart\'s default rules (none written) are every verb on the core group: RF907 at rbac.create; narrow rules are not', () => {
    const r = doctor(files());
    const f = r.findings.find((x) => x.code === 'RF907');
    expect(f?.path).toBe(`${VALUES}:${lineOf(VALUES, 'rbac:') + 1}:11`);
    expect(f?.fix).toContain('rbac.rules');
    const narrow = doctor(files({ [VALUES]: (t) => t.replace('rbac:\n  create: true', 'rbac:\n  create: true\n  rules:\n    - resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]\n      verbs: [get, list, watch, create, patch, delete]') }));
    expect(narrow.findings.filter((x) => x.code === 'RF907')).toEqual([]);
  });

  it('the jobs\' service account check speaks of the user\'s keys and files, never runners/<runner>/config.toml', () => {
    const all = doctor(files()).findings.map((f) => `${f.message} ${f.fix ?? ''}`).join('\n');
    expect(all).not.toMatch(/runners\/gitlab-runner\/config\.toml|service_account is not default/);
  });

  it('the bucket ARN of a bucket with a literal name is statically known: the cache policy is proven (no RF906, no RF201)', () => {
    const r = doctor(files());
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF201')).toEqual([]);
    // What it does prove: ListBucket is granted on the whole bucket, listing other prefixes (RF202), with the fix in IAM terms.
    const leak = r.findings.find((f) => f.code === 'RF202');
    expect(leak?.message).toMatch(/s3:ListBucket of prefix "other-prefix"/);
    expect(leak?.fix).toContain('StringLike s3:prefix = ["runner/*", "runner"]');
    // With that condition the manager's cache proof holds.
    const scoped = doctor(files({ [IAM]: (t) => t.replace('    resources = [aws_s3_bucket.cache.arn]\n', '    resources = [aws_s3_bucket.cache.arn]\n    condition {\n      test     = "StringLike"\n      variable = "s3:prefix"\n      values   = ["runner/*", "runner"]\n    }\n') }));
    expect(scoped.findings.filter((f) => f.code.startsWith('RF20') && f.severity === 'error').map((f) => f.code)).toEqual(['RF205']);
    expect(cacheProof(scoped)).toBe(true);
  });

  it('a policy the doctor cannot read makes the cache proof "not shown" (RF903), never "cannot" (RF201)', () => {
    // bucket_prefix: the bucket's name, and so its ARN, is known only after apply.
    const r = doctor(files({ [IAM]: (t) => t.replace('bucket = "acme-runner-cache"', 'bucket_prefix = "acme-runner-cache"') }));
    expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('aws_iam_role_policy.cache.policy is not statically known');
    expect(r.findings.filter((f) => f.code === 'RF201')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF903' && /is not shown/.test(f.message))?.message).toContain('aws_iam_role_policy.cache');
    expect(cacheProof(r)).toBe(false);
  });

  it('S3 encrypts every bucket with SSE-S3 since January 2023: no RF204 without an encryption configuration', () => {
    expect(doctor(files()).findings.filter((f) => f.code === 'RF204')).toEqual([]);
  });

  it('RF205 stays an error, with the bucket policy statement to add; received and allowed do not contradict', () => {
    const f = doctor(files()).findings.find((x) => x.code === 'RF205');
    expect(f?.severity).toBe('error');
    expect(f?.path).toBe(`${IAM}:${lineOf(IAM, 'resource "aws_s3_bucket" "cache"')}:1`);
    expect(f?.fix).toContain('aws_s3_bucket_policy for aws_s3_bucket.cache');
    expect(f?.fix).toContain('"aws:SecureTransport" = "false"');
    expect(f?.received).not.toBe(f?.allowed);
  });

  it('no public access block in the files is a warning saying what the files cannot show (April 2023 defaults)', () => {
    const f = doctor(files()).findings.find((x) => x.code === 'RF207');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toMatch(/April 2023.*older bucket may not/);
    expect(f?.fix).toContain('aws_s3_bucket_public_access_block');
    const off = doctor(files({ [IAM]: (t) => `${t}\nresource "aws_s3_bucket_public_access_block" "cache" {\n  bucket                  = aws_s3_bucket.cache.id\n  block_public_acls       = true\n  block_public_policy     = false\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n` }));
    const g = off.findings.find((x) => x.code === 'RF207');
    expect(g?.severity).toBe('error');
    expect(g?.fix).toBe('set block_public_policy = true in aws_s3_bucket_public_access_block.cache');
  });

  it('RF206 receives what the files hold, not a spec default, and the fix is a lifecycle configuration', () => {
    const f = doctor(files()).findings.find((x) => x.code === 'RF206');
    expect(f?.received).not.toBe('14');
    expect(f?.fix).toContain('aws_s3_bucket_lifecycle_configuration for aws_s3_bucket.cache');
  });

  it('every fix speaks Terraform, Helm values and config.toml: no spec keys, no "regenerate"', () => {
    const r = doctor(files());
    for (const f of r.findings) expect(`${f.code}: ${f.fix ?? ''}`).not.toMatch(/regenerate|encryption:|tlsOnly|expireAfterDays|vpcEndpointIds/);
    expect(r.findings.map((f) => f.code).sort()).toEqual(['RF202', 'RF205', 'RF206', 'RF207', 'RF907', 'RF911']);
  });

  it('a job service account nobody created is said once, by RF904 at the key; the chain proof still fails', () => {
    const r = doctor(files({ [VALUES]: (t) => t.replace('        privileged = false\n', '        privileged = false\n        service_account = "gitlab-runner-jobs"\n') }, [{ path: 'k8s/namespace.yaml', bytes: new TextEncoder().encode('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: gitlab-runner\n') }]));
    const at = `${VALUES}:${lineOf(VALUES, '        privileged = false') + 1}:9`;
    expect(r.findings.filter((f) => f.path === at && (f.code === 'RF904' || f.code === 'RF106')).map((f) => f.code)).toEqual(['RF904']);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF904')?.message).toContain('gitlab-runner/gitlab-runner-jobs');
    expect(chainHolds(r)).toBe(false);
  });

  // Every corpus deployment runner-fleet did not write: no fix speaks of regenerating or of keys of the fleet spec.
  const corpora = ['corpus', 'azure'].flatMap((d) => caseNames(join(import.meta.dirname, 'doctor', d)).map((n) => join(import.meta.dirname, 'doctor', d, n)));
  const SPEC_WORDS = /regenerate|operations\.rotation|runners\[\d+\]|jobs\.permissions|gitlab\.(locked|protectedOnly)|denyDeletes|externalId \(|principalOrgId|subjects\[\]|set create: true|instance\.jobsReachInstanceCredentials|oidcIssuer\b/;
  it.each(corpora.map((p) => [p.split(/[\\/]/).slice(-2).join('/'), p]))('fixes in the user\'s terms, not plan\'s (%s)', (_name, dir) => {
    for (const f of doctor(corpusFiles(dir)).findings) expect(`${f.code}: ${f.fix ?? ''}`).not.toMatch(SPEC_WORDS);
  });

  it.each(['rotator-kube-widened', 'rotator-widened'])('plan\'s "; regenerate" is not in the fixes of a deployment runner-fleet did not write (corpus %s)', (name) => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name)));
    expect(r.findings.some((f) => f.code === 'RF129' || f.code === 'RF125')).toBe(true);
    for (const f of r.findings) expect(`${f.code}: ${f.fix ?? ''}`).not.toMatch(/regenerate/);
  });
});
