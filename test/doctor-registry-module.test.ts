import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * A public registry module the doctor knows (terraform-aws-modules/iam iam-role-for-service-accounts-eks)
 * is read as the role it documents: the chain through it is proven, not left as "module not read".
 */
const SOUND = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'eks-irsa-registry-module-sound'));

function withMain(edit: (main: string) => string) {
  return corpusFiles(SOUND).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(edit(readFileSync(join(SOUND, 'main.tf'), 'utf8'))) } : f));
}

describe('doctor: terraform-aws-modules iam-role-for-service-accounts-eks', () => {
  it('proves the chain through both calls (the roles, their trust, the policies of role_policy_arns)', () => {
    const r = doctor(corpusFiles(SOUND));
    expect(r.findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([]);
    expect(r.proofs.length).toBe(6);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.map((p) => p.claim)).toContain('the manager reads and writes runner/ in cache acme-gitlab-runner-cache and nothing else there');
  });

  it('proves it with provider_arn from an aws_iam_openid_connect_provider resource over the cluster issuer, and from a literal ARN', () => {
    const resource = withMain((m) =>
      m
        .replace('data "aws_iam_openid_connect_provider" "this" {', 'resource "aws_iam_openid_connect_provider" "this" {\n  client_id_list  = ["sts.amazonaws.com"]')
        .replaceAll('data.aws_iam_openid_connect_provider.this.arn', 'aws_iam_openid_connect_provider.this.arn'),
    );
    const literal = withMain((m) => m.replaceAll('data.aws_iam_openid_connect_provider.this.arn', '"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"'));
    for (const files of [resource, literal]) {
      const r = doctor(files);
      expect(r.findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([]);
      expect(r.proofs.length).toBe(6);
      expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    }
  });

  it('a wildcard subject through assume_role_condition_test = "StringLike" is RF102 at the call, in the words of the user\'s issuer', () => {
    const r = doctor(withMain((m) => m.replace('  role_name = "gitlab-runner-manager"', '  role_name = "gitlab-runner-manager"\n  assume_role_condition_test = "StringLike"').replace('["gitlab-runner:gitlab-runner"]', '["gitlab-runner:*"]')));
    const wildcard = r.findings.filter((f) => f.code === 'RF102');
    expect(wildcard.map((f) => f.path)).toEqual(['main.tf:65:1']);
    expect(wildcard[0]!.message).toContain('${replace(data.aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")}:sub with StringLike ["system:serviceaccount:gitlab-runner:*"]');
    expect(r.findings.filter((f) => f.code === 'RF103').map((f) => f.path)).toEqual(['main.tf:65:1']);
  });

  it('reads the module from its git source too', () => {
    const r = doctor(withMain((m) => m.replaceAll('"terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"', '"git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts-eks?ref=v5.48.0"')));
    expect(r.findings).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  // The stand-in is true for releases 4.21.1 up to 6.0.0: earlier ones pin no audience in the trust,
  // 6.0.0 has no such sub-module. A version or ref that may give another release is not read.
  it.each([
    ['version "~> 4.0" (releases without the :aud condition)', (m: string) => m.replaceAll('version = "~> 5.48"', 'version = "~> 4.0"'), /version constraint "~> 4.0" admits releases outside 4\.21\.1 up to before 6\.0\.0/],
    ['an exact version before the :aud condition', (m: string) => m.replaceAll('version = "~> 5.48"', 'version = "4.20.0"'), /"4.20.0" admits releases outside/],
    ['an open-ended version', (m: string) => m.replaceAll('version = "~> 5.48"', 'version = ">= 5.0"'), /">= 5.0" admits releases outside/],
    ['no version (the newest release, which has no such sub-module)', (m: string) => m.replaceAll('  version = "~> 5.48"\n', ''), /pins no literal version/, 'main.tf:89:1'],
    ['a git source on a branch', (m: string) => m.replaceAll('"terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"', '"git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts-eks?ref=master"'), /ref "master" is not a release tag/],
    ['a git source without a ref', (m: string) => m.replaceAll('"terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"', '"git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-role-for-service-accounts-eks"'), /ref \(none: the default branch\) is not a release tag/],
  ] as [string, (m: string) => string, RegExp, string?][])('a call that may get a release the doctor does not read is RF903 at the call: %s', (_, edit, why, at = 'main.tf:90:1') => {
    const r = doctor(withMain(edit));
    const notRead = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('module "jobs_irsa"'));
    // (without its version line above, the call starts a line earlier)
    expect(notRead.map((f) => f.path)).toEqual([at]);
    expect(notRead[0]!.message).toMatch(why);
  });

  it('reads the version of a call written in .tf.json too', () => {
    const call = (version: string) => [{ path: 'main.tf.json', bytes: Buffer.from(JSON.stringify({ module: { irsa: { source: 'terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks', version, role_name: 'x', oidc_providers: { main: { provider_arn: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC', namespace_service_accounts: ['a:b'] } } } } })) }];
    const notRead = (version: string) => doctor(call(version)).findings.filter((f) => f.code === 'RF903' && f.message.includes('module "irsa"')).map((f) => f.message);
    expect(notRead('~> 4.0')).toEqual([expect.stringContaining('its version constraint "~> 4.0" admits releases outside')]);
    expect(notRead('~> 5.48')).toEqual([]);
  });

  it.each([
    ['an exact release with the :aud condition', 'version = "4.21.1"'],
    ['a bounded range', 'version = ">= 5.0, < 6.0"'],
    ['a patch-level pessimistic constraint', 'version = "~> 5.48.0"'],
  ])('a version that admits only releases the doctor reads is read: %s', (_, version) => {
    const r = doctor(withMain((m) => m.replaceAll('version = "~> 5.48"', version)));
    expect(r.findings.filter((f) => f.code === 'RF903')).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('a call without oidc_providers is RF901 at the call (IAM refuses a trust with no statement), naming what the module creates by its Terraform address', () => {
    const r = doctor(withMain((m) => {
      const at = m.indexOf('  oidc_providers = {', m.indexOf('module "runner_irsa"'));
      return m.slice(0, at) + m.slice(m.indexOf('\n  }\n}\n', at) + 4);
    }));
    const invalid = r.findings.filter((f) => f.code === 'RF901');
    expect(invalid.map((f) => f.path)).toEqual(['main.tf:65:1']);
    expect(invalid[0]!.message).toContain('module.runner_irsa.aws_iam_role.this.assume_role_policy (rendered from module.runner_irsa.data.aws_iam_policy_document.this) is not a valid IAM policy document');
    expect(r.findings.map((f) => f.message).join('\n')).not.toMatch(/\b(?:data\.)?aws_[a-z_]+\.module\./);
    // The role is in the files given: its chain is not proven because of that trust, and the RF903
    // at the role-arn `set` says so (it said "role ${module…arn} is not in the evidence given").
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF901 main.tf:65:1', 'RF903 values.yaml.tftpl:10:3']);
    expect(r.findings[1]!.message).toBe("the manager's role gitlab-runner-manager (module.runner_irsa.aws_iam_role.this) at main.tf:65:1 is in the files given, but its trust policy is not read (RF901 at main.tf:65:1), so its trust and permissions are not proven");
    expect(r.findings[1]!.fix).toBe('fix what RF901 at main.tf:65:1 says');
  });

  it('a role of the root whose trust is no valid policy is RF901, and the chain is not proven for that reason, never "not in the evidence given"', () => {
    const HELM = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-irsa-sound'));
    const files = corpusFiles(HELM).map((f) => {
      if (f.path !== 'main.tf') return f;
      const m = readFileSync(join(HELM, 'main.tf'), 'utf8');
      const at = m.indexOf('    Statement = [{', m.indexOf('resource "aws_iam_role" "manager"'));
      return { ...f, bytes: Buffer.from(`${m.slice(0, at)}    Statement = []\n${m.slice(m.indexOf('    }]\n', at) + 7)}`) };
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF901 main.tf:9:24', 'RF903 main.tf:56:38']);
    expect(r.findings[1]!.message).toBe("the manager's role gitlab-runner-manager (aws_iam_role.manager) at main.tf:7:1 is in the files given, but its trust policy is not read (RF901 at main.tf:9:24), so its trust and permissions are not proven");
    expect(r.proofs).toEqual([]);
  });

  it('a namespace drift through namespace_service_accounts is RF104 at that element, naming it, and the fix writes it', () => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'eks-irsa-registry-module-namespace-drift')));
    const f = r.findings.filter((x) => x.code === 'RF104');
    expect(f.map((x) => x.path)).toEqual(['main.tf:77:37']);
    expect(f[0]!.message).toContain('ServiceAccount gitlab-runner/gitlab-runner (values.yaml.tftpl:10:3)');
    expect(f[0]!.message).toContain('made by module.runner_irsa (main.tf:65:1) with oidc_providers.main.namespace_service_accounts[0] = "gitlab:gitlab-runner" (main.tf:77:37)');
    expect(f[0]!.fix).toBe('set oidc_providers.main.namespace_service_accounts[0] = "gitlab-runner:gitlab-runner" in module.runner_irsa (main.tf:77:37), or run the runner where the trust says');
  });

  it('RF203 through role_policy_arns points at the element that attaches the policy (a managed policy), or at the policy of the root', () => {
    const jobsCall = (m: string, line: string) => {
      const at = m.indexOf('    ecr = aws_iam_policy.jobs_ecr.arn', m.indexOf('module "jobs_irsa"'));
      return `${m.slice(0, at)}    ecr = aws_iam_policy.jobs_ecr.arn\n${line}\n${m.slice(at + '    ecr = aws_iam_policy.jobs_ecr.arn\n'.length)}`;
    };
    const managed = doctor(withMain((m) => jobsCall(m, '    s3 = "arn:aws:iam::aws:policy/AmazonS3FullAccess"'))).findings.filter((f) => f.code === 'RF203');
    // The attachment the module makes has no line of its own (it was the module block, main.tf:90:1).
    expect(managed.map((f) => f.path)).toEqual(['main.tf:97:10']);
    expect(managed[0]!.message).toContain('(granted by module.jobs_irsa.aws_iam_role_policy_attachment.this["s3"], role_policy_arns.s3 = "arn:aws:iam::aws:policy/AmazonS3FullAccess" at main.tf:97:10)');
    const own = doctor(withMain((m) => jobsCall(m, '    cache = aws_iam_policy.runner_cache.arn'))).findings.filter((f) => f.code === 'RF203');
    expect(own.map((f) => f.path)).toEqual(['main.tf:56:12']);
  });

  it('a call setting an argument the stand-in does not model is not read (RF903 at the call), never half-read', () => {
    const r = doctor(withMain((m) => m.replace('  role_name = "gitlab-ci-jobs"', '  role_name = "gitlab-ci-jobs"\n  attach_external_secrets_policy = true')));
    const notRead = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('module "jobs_irsa"'));
    expect(notRead.map((f) => f.path)).toEqual(['main.tf:90:1']);
    expect(notRead[0]!.message).toContain('it sets attach_external_secrets_policy');
    expect(r.findings.filter((f) => f.code === 'RF914')).toEqual([]);
  });
});
