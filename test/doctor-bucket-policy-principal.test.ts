import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { planValue } from '../src/core.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Cache bucket policies as teams lock them down, read by the doctor: what the request context of
 * the manager carries (aws:PrincipalArn, aws:PrincipalAccount, as AWS fills them) and what the
 * files cannot show (membership of an AWS organization, aws:PrincipalOrgID).
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const run = (name: string) => doctor(corpusFiles(join(CORPUS, name)));

describe('doctor: cache bucket policies that name principals', () => {
  it('a Deny outside the organization: the proofs hold taking the account to be a member, and an RF903 (info) at the bucket policy says so', () => {
    const r = run('s3-bucket-policy-org-only');
    const org = r.findings.filter((f) => f.code === 'RF903');
    expect(org).toHaveLength(1);
    expect(org[0]!.severity).toBe('info');
    expect(org[0]!.path).toBe('main.tf:157:12');
    expect(org[0]!.message).toContain('o-a1b2c3d4e5');
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a Deny that spares the manager by aws:PrincipalArn: every proof holds, no RF903 about an organization', () => {
    const r = run('s3-bucket-policy-only-manager');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.findings.some((f) => f.code === 'RF903')).toBe(false);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a Deny that spares another role: RF201 at the bucket policy, saying the role allows it and the bucket policy refuses it', () => {
    const r = run('s3-bucket-policy-names-other-role');
    const f = r.findings.find((x) => x.code === 'RF201');
    expect(f?.path).toBe('main.tf:155:12');
    expect(f?.message).toContain('a Deny of the bucket policy (aws_s3_bucket_policy.cache) refuses it');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
  });
});

describe('doctor: a cache bucket policy that grants more than the roles do', () => {
  it('an Allow to the whole organization: RF202 and RF203 at the bucket policy, whose fix is the bucket policy', () => {
    const r = run('s3-bucket-policy-allows-organization');
    for (const code of ['RF202', 'RF203']) {
      const f = r.findings.find((x) => x.code === code);
      expect(f?.path).toBe('main.tf:157:12');
      expect(f?.message).toContain('the bucket policy (aws_s3_bucket_policy.cache) grants it, not the role');
      expect(f?.fix).toContain('aws_s3_bucket_policy.cache');
    }
  });
});

describe('the key that encrypts the cache bucket (SSE-KMS with a customer-managed key)', () => {
  it('doctor: a manager without kms:GenerateDataKey and kms:Decrypt on the key: RF201 naming both, the manager proof fails', () => {
    const r = run('s3-cache-kms-key-not-granted');
    const f = r.findings.find((x) => x.code === 'RF201');
    expect(f?.message).toContain('kms:GenerateDataKey on the key that encrypts the bucket (aws_kms_key.cache)');
    expect(f?.message).toContain('kms:Decrypt on the key that encrypts the bucket (aws_kms_key.cache)');
    expect(f?.message).not.toContain('\u2400');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
  });

  it('doctor: granted through S3 only (kms:ViaService of the bucket region): every proof holds', () => {
    const r = run('s3-cache-kms-key-granted');
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('plan: a cache with encryption kms gets the key grant it proves (every example with an S3 cache)', () => {
    for (const name of ['eks-irsa', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler']) {
      const spec = parse(readFileSync(join(import.meta.dirname, '..', 'examples', `${name}.yaml`), 'utf8')) as { caches: { type: string; encryption?: unknown }[] };
      const cache = spec.caches.find((c) => c.type === 's3')!;
      cache.encryption = { type: 'kms', kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' };
      const plan = planValue(spec);
      expect(plan.findings.filter((x) => x.code === 'RF201'), name).toEqual([]);
      const proofs = plan.proofs.filter((p) => p.claim.startsWith('the manager reads and writes'));
      expect(proofs.length, name).toBeGreaterThan(0);
      expect(proofs.every((p) => p.holds), name).toBe(true);
    }
  });
});

describe('a cache key the documents do not resolve', () => {
  it('an alias: RF903 (info) at the encryption configuration, and the manager proof is not made', () => {
    const r = run('s3-cache-kms-key-alias');
    const f = r.findings.find((x) => x.code === 'RF903' && x.message.includes('KMS key'));
    expect(f?.path).toBe('main.tf:175:1');
    expect(f?.message).toContain('"alias/runner-cache"');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
  });
});

describe('the key policy of the key that encrypts the cache bucket', () => {
  it('a key policy for the key administrators only: the role\'s own KMS grant does not count, RF201 at the key policy with both ways out', () => {
    const r = run('s3-cache-kms-key-policy-admins-only');
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 main.tf:173:12']);
    expect(r.findings[0]!.message).toContain('the key policy of aws_kms_key.cache neither grants the role nor lets IAM grant it');
    expect(r.findings[0]!.fix).toContain('or allow the account (arn:aws:iam::111122223333:root)');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
  });

  it('a key policy that grants the manager role itself, the role\'s policies granting no KMS action: every proof holds', () => {
    const r = run('s3-cache-kms-key-policy-grants-role');
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a key policy for the account root (the default one): the role\'s own grant counts', () => {
    const r = run('s3-cache-kms-key-policy-account');
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  /** s3-cache-kms-key-policy-admins-only with its key policy from a variable without a default (not shown); `edit` on the result. */
  const keyPolicyNotShown = (edit: (text: string) => string = (t) => t) =>
    corpusFiles(join(CORPUS, 's3-cache-kms-key-policy-admins-only')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString();
      const at = text.indexOf('  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Sid       = "KeyAdministrators"');
      expect(at).toBeGreaterThan(0);
      const end = text.indexOf('  })\n}', at) + '  })\n'.length;
      return { ...f, bytes: Buffer.from(edit(`variable "key_policy" {\n  type = string\n}\n${text.slice(0, at)}  policy = var.key_policy\n${text.slice(end)}`)) };
    });

  it('a key policy the files do not show (a variable without a default): RF903 at the key, not a guess either way', () => {
    const r = doctor(keyPolicyNotShown());
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const f = r.findings.find((x) => x.code === 'RF903');
    expect(f?.message).toContain('whether role gitlab-runner-manager may use the KMS key that encrypts bucket example-runner-cache (aws_kms_key.cache) is not shown: its key policy is not');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
  });

  it('guard: the key policy not shown leaves the S3 half proven; a missing S3 grant is still RF201 (for the S3 request only), beside the RF903 at the key', () => {
    const files = keyPolicyNotShown((unread) => {
      expect(unread).toContain('Action = ["s3:GetObject", "s3:PutObject"]');
      return unread.replace('Action = ["s3:GetObject", "s3:PutObject"]', 'Action = ["s3:GetObject"]');
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['RF201 error', 'RF903 info']);
    expect(r.findings[0]!.message).toBe('role gitlab-runner-manager cannot s3:PutObject on arn:aws:s3:::example-runner-cache/runner/project/1/probe');
    expect(r.findings[1]!.message).toContain('its key policy is not');
    expect(r.exitCode).toBe(1);
  });
});
