import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseDir } from './helpers/corpus-case.js';

/**
 * A bucket policy is a resource policy: every statement names a principal, and S3 refuses one that
 * does not (MalformedPolicy). The doctor fuzzer (seed 20262202) found a bucket policy rendered from a
 * data document whose statement lost its `principals` block crashing the S3 cache proof
 * (PolicyGrammarError out of the evaluator, exit 70). It is RF901 at the bucket policy now.
 */
const DIR = caseDir(join(import.meta.dirname, 'doctor', 'corpus', 'eks-oidc-provider-arn-local-mixed'));

describe('doctor: a bucket policy statement without a principal', () => {
  it('is RF901 at the aws_s3_bucket_policy, not a crash; the TLS rule then finds no deny (RF205)', () => {
    const files = corpusFiles(DIR).map((f) => {
      if (f.path !== 'iam.tf') return f;
      const text = readFileSync(join(DIR, 'iam.tf'), 'utf8');
      const block = '    principals {\n      type        = "*"\n      identifiers = ["*"]\n    }\n';
      const without = text.replace(block, '');
      expect(without).not.toBe(text);
      return { path: f.path, bytes: Buffer.from(without) };
    });
    const r = doctor(files);
    const f = r.findings.find((x) => x.code === 'RF901');
    expect(f?.message).toBe('the bucket policy of acme-gitlab-runner-cache (aws_s3_bucket_policy.runner_cache) cannot be evaluated: resource policy statement without Principal/NotPrincipal');
    expect(f?.path).toMatch(/^iam\.tf:\d+:1$/);
    expect(r.findings.some((x) => x.code === 'RF205')).toBe(true);
  });
});
