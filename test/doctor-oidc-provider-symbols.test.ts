import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 11c: an IAM OIDC provider whose URL only apply knows is one host-path symbol per URL. A trust
 * that names two such symbols (one cluster's issuer written two ways) cannot be shown to be one issuer
 * or two: not proven (RF906), never a trust that "cannot be assumed" (RF104).
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'eks-oidc-provider-resource-sound');
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
});
