import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/** An aws_iam_role's own `inline_policy` blocks are its inline policies (terraform-provider-aws), as aws_iam_role_policy resources are. */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'eks-role-inline-policy-block');

function withMain(edit: (main: string) => string) {
  return corpusFiles(CASE).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(edit(readFileSync(join(CASE, 'main.tf'), 'utf8'))) } : f));
}

describe('doctor: aws_iam_role inline_policy blocks', () => {
  it('the manager\'s cache grant in its role\'s inline_policy block proves the cache', () => {
    const r = doctor(corpusFiles(CASE));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes runner/'))?.holds).toBe(true);
  });

  it('a grant the jobs must not have, written in their role\'s inline_policy block, is found there and named by that block', () => {
    const r = doctor(withMain((m) => m.replace('resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"', 'resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"\n  inline_policy {\n    name   = "cache-too"\n    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "arn:aws:s3:::example-runner-cache/*" }] })\n  }')));
    const f = r.findings.filter((x) => x.code === 'RF203');
    expect(f.map((x) => x.path)).toEqual(['main.tf:34:3']);
    expect(f[0]!.message).toContain('(granted by aws_iam_role.jobs.inline_policy)');
  });

  it('an inline_policy only apply knows leaves what the role may do unknown ("not shown"), never "cannot"', () => {
    const r = doctor(withMain((m) => m.replace('policy = data.aws_iam_policy_document.cache.json', 'policy = var.cache_policy').concat('\nvariable "cache_policy" {\n  type = string\n}\n')));
    expect(r.findings.filter((x) => x.code === 'RF201')).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes runner/'))?.holds).toBe(false);
    expect(r.findings.some((x) => x.code === 'RF906' || x.code === 'RF903')).toBe(true);
  });
});
