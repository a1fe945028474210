import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * Issue 11c: an IAM OIDC provider whose URL only apply knows is one host-path symbol per URL. A trust
 * that names two such symbols (one cluster's issuer written two ways) cannot be shown to be one issuer
 * or two: not proven (RF906), never a trust that "cannot be assumed" (RF104).
 */
const CASE = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'eks-oidc-provider-resource-sound'));
const file = (path: string, text: string): InputFile => ({ path, bytes: new TextEncoder().encode(text) });
const withIam = (edit: (tf: string) => string) => {
  const tf = readFileSync(join(CASE, 'iam.tf'), 'utf8');
  const out = edit(tf);
  expect(out).not.toBe(tf);
  return [...corpusFiles(CASE).filter((x) => x.path !== 'iam.tf'), file('iam.tf', out)];
};

describe('doctor: host-path symbols of IAM OIDC providers', () => {
  it('condition keys over the same URL as the provider (the data source\'s issuer, stripped there): proven', () => {
    const r = doctor(withIam((tf) => tf.replaceAll('replace(aws_iam_openid_connect_provider.eks.url, "https://", "")', 'trimprefix(data.aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://")')));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(['RF911']);
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('condition keys over the issuer written another way (legacy .0 index): two symbols, RF906, no RF104', () => {
    const r = doctor(withIam((tf) => tf.replaceAll('replace(aws_iam_openid_connect_provider.eks.url, "https://", "")', 'replace(data.aws_eks_cluster.this.identity.0.oidc.0.issuer, "https://", "")')));
    expect(r.findings.map((f) => f.code)).not.toContain('RF104');
    expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('aws_iam_role.gitlab_runner.assume_role_policy is not statically known');
  });

  const allText = (r: ReturnType<typeof doctor>) => [...r.findings.flatMap((f) => [f.message, f.fix ?? '', f.received ?? '', f.allowed ?? '']), ...r.proofs.map((p) => p.claim)].join('\n');
  const URL_FORM = 'replace(aws_iam_openid_connect_provider.eks.url, "https://", "")';
  const REGEX_FORM = 'replace(aws_iam_openid_connect_provider.eks.arn, "/^(.*provider/)/", "")';
  const wildcard = (tf: string) => tf.replace('test     = "StringEquals"\n      variable = "${' + URL_FORM + '}:sub"\n      values   = ["system:serviceaccount:gitlab-runner:gitlab-runner"]', 'test     = "StringLike"\n      variable = "${' + URL_FORM + '}:sub"\n      values   = ["system:serviceaccount:*:*"]');

  it('condition keys cut from the provider\'s ARN by a regular expression (terraform-aws-modules): proven; a wildcard subject is RF102/RF103', () => {
    const sound = doctor(withIam((tf) => tf.replaceAll(URL_FORM, REGEX_FORM)));
    expect(sound.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(['RF911']);
    expect(sound.proofs.every((p) => p.holds)).toBe(true);
    const wild = doctor(withIam((tf) => wildcard(tf).replaceAll(URL_FORM, REGEX_FORM)));
    expect(wild.findings.filter((f) => f.severity === 'error').map((f) => f.code).sort()).toEqual(['RF102', 'RF103']);
    expect(wild.proofs.find((p) => p.claim.startsWith('only platform:gitlab-runner/gitlab-runner can assume'))?.holds).toBe(false);
  });

  it('messages show the expression the user wrote for the issuer\'s host path, never a local the user did not write', () => {
    for (const form of [URL_FORM, REGEX_FORM]) {
      const r = doctor(withIam((tf) => wildcard(tf).replaceAll(URL_FORM, form)));
      expect(r.findings.find((f) => f.code === 'RF102')?.message).toBe(`role gitlab-runner matches \${${form}}:sub with StringLike ["system:serviceaccount:*:*"]`);
      expect(allText(r)).not.toContain('oidc_issuer_host_path');
    }
  });

  it('a regular expression that cuts into the host path itself, or RE2 syntax JavaScript reads otherwise: not proven (RF906), never RF104 or a proof', () => {
    for (const search of ['/^(.*eks\\\\.)/', '/^(?P<p>.*provider/)/']) {
      const r = doctor(withIam((tf) => tf.replaceAll(URL_FORM, `replace(aws_iam_openid_connect_provider.eks.arn, "${search}", "")`)));
      expect(r.findings.map((f) => f.code)).not.toContain('RF104');
      expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('aws_iam_role.gitlab_runner.assume_role_policy is not statically known');
      expect(r.proofs.find((p) => p.claim.startsWith('only platform:gitlab-runner/gitlab-runner can assume'))?.holds).not.toBe(true);
    }
  });
});
