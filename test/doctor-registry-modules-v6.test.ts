import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * The registry modules teams call today, read as what they document they create
 * (src/doctor/hcl/registry-modules.ts): terraform-aws-modules/iam v6 `iam-role-for-service-accounts`
 * and terraform-aws-modules/eks-pod-identity v2. Each case edits the sound corpus case.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const IRSA = join(CORPUS, 'eks-irsa-registry-module-v6-sound');
const POD_IDENTITY = join(CORPUS, 'eks-pod-identity-registry-module-sound');

function edited(dir: string, edit: (main: string) => string) {
  const main = readFileSync(join(dir, 'main.tf'), 'utf8');
  const out = edit(main);
  if (out === main) throw new Error('the edit changed nothing');
  return corpusFiles(dir).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(out) } : f));
}

const loud = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path} ${f.message}`);
const notRead = (r: ReturnType<typeof doctor>, call: string) => r.findings.filter((f) => f.code === 'RF903' && f.message.includes(`module "${call}"`));

describe('doctor: terraform-aws-modules/iam v6 iam-role-for-service-accounts', () => {
  it('proves the chain through both calls (trust from oidc_providers, policies, permissions)', () => {
    const r = doctor(corpusFiles(IRSA));
    expect(loud(r)).toEqual([]);
    expect(notRead(r, 'runner_irsa')).toEqual([]);
    expect(notRead(r, 'jobs_irsa')).toEqual([]);
    expect(r.proofs.length).toBe(6);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.map((p) => p.claim)).toContain('the manager reads and writes runner/ in cache acme-gitlab-runner-cache and nothing else there');
    expect(r.proofs.map((p) => p.claim)).toContain('only platform:gitlab-runner/ci-jobs can assume the jobs role gitlab-ci-jobs (3 service accounts tried)');
  });

  it('use_name_prefix (default true): the role\'s name is picked at apply, said once at the call with the module\'s own fix; with false it is `name`', () => {
    const named = doctor(corpusFiles(IRSA)).findings.filter((f) => f.code === 'RF903' && /is not shown/.test(f.message));
    expect(named.map((f) => f.path)).toEqual(['main.tf:65:1']);
    expect(named[0]!.message).toMatch(/^the name of module\.runner_irsa\.aws_iam_role\.this is not shown: it comes from name_prefix "gitlab-runner-manager-"/);
    expect(named[0]!.fix).toMatch(/^set use_name_prefix = false \(the role is then named `name`\) in module\.runner_irsa, or give/);
    const r = doctor(edited(IRSA, (m) => m.replace('  name = "gitlab-runner-manager"\n', '  name            = "gitlab-runner-manager"\n  use_name_prefix = false\n')));
    expect(r.findings).toEqual([]);
    expect(r.proofs.map((p) => p.claim)).toContain('only platform:gitlab-runner/gitlab-runner can assume the manager role gitlab-runner-manager (3 service accounts tried)');
  });

  it('permissions are the role\'s: an s3:* grant on the cache bucket in the jobs\' call lets jobs reach the cache', () => {
    const r = doctor(edited(IRSA, (m) => m.replace('      resources = ["*"]\n    }\n  }', '      resources = ["*"]\n    }\n    Cache = {\n      actions   = ["s3:*"]\n      resources = [aws_s3_bucket.cache.arn, "${aws_s3_bucket.cache.arn}/*"]\n    }\n  }')));
    expect(r.proofs.find((p) => p.claim === 'jobs cannot reach cache acme-gitlab-runner-cache directly')?.holds).toBe(false);
    expect(loud(r).length).toBeGreaterThan(0);
  });

  it('a wildcard subject through trust_condition_test = "StringLike" is RF102 at the call', () => {
    const r = doctor(edited(IRSA, (m) => m.replace('  name = "gitlab-runner-manager"\n', '  name = "gitlab-runner-manager"\n  trust_condition_test = "StringLike"\n').replace('["gitlab-runner:gitlab-runner"]', '["gitlab-runner:*"]')));
    expect(r.findings.filter((f) => f.code === 'RF102').map((f) => f.path)).toEqual(['main.tf:65:1']);
  });

  it('reads the module from its git source at a v6 tag', () => {
    const r = doctor(edited(IRSA, (m) => m.replaceAll('"terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"', '"git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts?ref=v6.2.0"')));
    expect(loud(r)).toEqual([]);
    expect(notRead(r, 'runner_irsa')).toEqual([]);
    expect(r.proofs.length).toBe(6);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it.each([
    ['a v5 constraint on the v6 path', (m: string) => m.replaceAll('version = "~> 6.0"', 'version = "~> 5.0"'), /version constraint "~> 5\.0" admits releases outside 6\.0\.0 up to before 7\.0\.0/],
    ['an open-ended version', (m: string) => m.replaceAll('version = "~> 6.0"', 'version = ">= 6.0"'), /">= 6\.0" admits releases outside/],
    ['no version', (m: string) => m.replaceAll('  version = "~> 6.0"\n', ''), /pins no literal version, and the doctor reads only releases 6\.0\.0 up to before 7\.0\.0 of this module \(Terraform takes the newest release, which may be a later major\)/],
    ['a git ref before v6', (m: string) => m.replaceAll('"terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"', '"git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts?ref=v5.60.0"'), /ref v5\.60\.0 is outside releases 6\.0\.0 up to before 7\.0\.0/],
  ] as [string, (m: string) => string, RegExp][])('a call that may get a release outside 6.x is RF903 at the call: %s', (_, edit, why) => {
    const r = doctor(edited(IRSA, edit));
    const f = notRead(r, 'runner_irsa');
    expect(f.map((x) => x.path)).toEqual([expect.stringMatching(/^main\.tf:65:1$/)]);
    expect(f[0]!.message).toMatch(why);
  });

  it.each([
    ['attach_ebs_csi_policy = true', 'attach_ebs_csi_policy'],
    ['permissions_boundary = "arn:aws:iam::111122223333:policy/boundary"', 'permissions_boundary'],
    ['create = false', 'create'],
  ])('a call setting an argument the stand-in does not model is not read (RF903 naming it), never half-read: %s', (line, name) => {
    const r = doctor(edited(IRSA, (m) => m.replace('  name = "gitlab-runner-manager"\n', `  name = "gitlab-runner-manager"\n  ${line}\n`)));
    const f = notRead(r, 'runner_irsa');
    expect(f.map((x) => x.path)).toEqual(['main.tf:65:1']);
    expect(f[0]!.message).toContain(`it sets ${name}, which the doctor's reading of this module does not cover`);
  });

  it('a drifted subject in namespace_service_accounts: RF104 names the call\'s oidc_providers and the subject to write (v5 and v6 alike)', () => {
    const v6 = doctor(corpusFiles(join(CORPUS, 'eks-irsa-registry-module-v6-service-account-drift'))).findings.find((f) => f.code === 'RF104')!;
    expect(v6.message).toContain('oidc_providers.main.namespace_service_accounts[0] = "gitlab-runner:gitlab-runner-manager" (main.tf:74:37)');
    expect(v6.path).toBe('main.tf:74:37');
    expect(v6.fix).toBe('set oidc_providers.main.namespace_service_accounts[0] = "gitlab-runner:gitlab-runner" in module.runner_irsa (main.tf:74:37), or run the runner where the trust says');
    const v5 = doctor(corpusFiles(join(CORPUS, 'eks-irsa-registry-module-namespace-drift'))).findings.find((f) => f.code === 'RF104')!;
    expect(v5.fix).toBe('set oidc_providers.main.namespace_service_accounts[0] = "gitlab-runner:gitlab-runner" in module.runner_irsa (main.tf:77:37), or run the runner where the trust says');
  });
});

describe('doctor: terraform-aws-modules/eks-pod-identity v2', () => {
  it('proves the chain through both calls (trust of pods.eks.amazonaws.com, associations, policy_statements, additional_policy_arns)', () => {
    const r = doctor(corpusFiles(POD_IDENTITY));
    expect(loud(r)).toEqual([]);
    expect(notRead(r, 'runner_pod_identity')).toEqual([]);
    expect(notRead(r, 'jobs_pod_identity')).toEqual([]);
    expect(r.proofs.length).toBe(6);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.map((p) => p.claim)).toContain('the manager reads and writes runner/ in cache acme-gitlab-runner-cache and nothing else there');
  });

  it('policy_statements make a policy only with attach_custom_policy = true (the module\'s default is false): without it the manager cannot reach its cache', () => {
    const r = doctor(edited(POD_IDENTITY, (m) => m.replace('  attach_custom_policy = true\n', '')));
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes runner/'))?.holds).toBe(false);
    expect(r.findings.filter((f) => f.code === 'RF201').length).toBe(1);
  });

  it('trust_policy_conditions are the trust\'s: one the manager\'s pods do not meet leaves the manager without its role (RF104)', () => {
    const r = doctor(edited(POD_IDENTITY, (m) => m.replace('  attach_custom_policy = true\n', '  trust_policy_conditions = [{\n    test     = "StringEquals"\n    variable = "aws:RequestTag/kubernetes-namespace"\n    values   = ["gitlab"]\n  }]\n\n  attach_custom_policy = true\n')));
    expect(r.findings.filter((f) => f.code === 'RF104').map((f) => f.path)).toEqual(['values.yaml.tftpl:10:3']);
  });

  it('reads the module from its git source at a v2 tag', () => {
    const r = doctor(edited(POD_IDENTITY, (m) => m.replaceAll('source  = "terraform-aws-modules/eks-pod-identity/aws"\n  version = "~> 2.0"', 'source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks-pod-identity.git?ref=v2.8.1"')));
    expect(loud(r)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it.each([
    ['a v1 constraint (statement conditions under `conditions`)', (m: string) => m.replaceAll('version = "~> 2.0"', 'version = "~> 1.0"'), /version constraint "~> 1\.0" admits releases outside 2\.0\.0 up to before 3\.0\.0/],
    ['no version', (m: string) => m.replaceAll('  version = "~> 2.0"\n', ''), /pins no literal version/],
    ['a git source on a branch', (m: string) => m.replaceAll('source  = "terraform-aws-modules/eks-pod-identity/aws"\n  version = "~> 2.0"', 'source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks-pod-identity.git?ref=master"'), /ref "master" is not a release tag/],
  ] as [string, (m: string) => string, RegExp][])('a call that may get a release outside 2.x is RF903 at the call: %s', (_, edit, why) => {
    const r = doctor(edited(POD_IDENTITY, edit));
    const f = notRead(r, 'runner_pod_identity');
    expect(f.map((x) => x.path)).toEqual(['main.tf:70:1']);
    expect(f[0]!.message).toMatch(why);
  });

  it.each([
    ['association_defaults = { cluster_name = "platform" }', 'association_defaults'],
    ['attach_aws_vpc_cni_policy = true', 'attach_aws_vpc_cni_policy'],
    ['permissions_boundary_arn = "arn:aws:iam::111122223333:policy/boundary"', 'permissions_boundary_arn'],
  ])('a call setting an argument the stand-in does not model is not read (RF903 naming it), never half-read: %s', (line, name) => {
    const r = doctor(edited(POD_IDENTITY, (m) => m.replace('  name = "gitlab-runner-manager"\n', `  name = "gitlab-runner-manager"\n  ${line}\n`)));
    const f = notRead(r, 'runner_pod_identity');
    expect(f.map((x) => x.path)).toEqual(['main.tf:70:1']);
    expect(f[0]!.message).toContain(`it sets ${name}, which the doctor's reading of this module does not cover`);
  });
});

const CACHE_DOCUMENT = '\ndata "aws_iam_policy_document" "cache" {\n  statement {\n    actions   = ["s3:GetObject", "s3:PutObject"]\n    resources = ["${aws_s3_bucket.cache.arn}/runner/*"]\n  }\n  statement {\n    actions   = ["s3:ListBucket"]\n    resources = [aws_s3_bucket.cache.arn]\n    condition {\n      test     = "StringLike"\n      variable = "s3:prefix"\n      values   = ["runner/*"]\n    }\n  }\n}\n';

describe('doctor: the registry modules\' other ways to give the role its permissions', () => {
  const cacheStatements = '      actions   = ["s3:GetObject", "s3:PutObject"]\n      resources = ["${aws_s3_bucket.cache.arn}/runner/*"]\n    }\n    List = {\n      actions   = ["s3:ListBucket"]\n      resources = [aws_s3_bucket.cache.arn]\n      condition = [{ test = "StringLike", variable = "s3:prefix", values = ["runner/*"] }]\n    }\n  }';
  it.each([
    ['iam v6: an inline policy (create_inline_policy, inline_policy_permissions)', `  create_inline_policy = true\n  inline_policy_permissions = {\n    Objects = {\n${cacheStatements}`],
    ['iam v6: a policy it creates from permissions', `  permissions = {\n    Objects = {\n${cacheStatements}`],
    ['iam v6: a policy it creates from source_policy_documents', '  source_policy_documents = [data.aws_iam_policy_document.cache.json]'],
  ])('%s: the manager reaches runner/ in its cache and nothing else', (_, policy) => {
    const r = doctor(edited(IRSA, (m) => m.replace('  policies = {\n    cache = aws_iam_policy.runner_cache.arn\n  }', policy) + CACHE_DOCUMENT));
    expect(loud(r)).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes runner/'))?.holds).toBe(true);
  });

  it('eks-pod-identity: the custom policy from source_policy_documents', () => {
    const r = doctor(edited(POD_IDENTITY, (m) => m.replace(/ {2}policy_statements = \[[\s\S]*?\n {2}\]\n/, '  source_policy_documents = [data.aws_iam_policy_document.cache.json]\n') + CACHE_DOCUMENT));
    expect(loud(r)).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes runner/'))?.holds).toBe(true);
  });
});
