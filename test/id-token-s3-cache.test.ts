import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { planMutated } from './helpers/fleet.js';
import { join } from 'node:path';
import { corpusFiles, doctorEdited, handWrittenDockerVm } from './helpers/doctor.js';

/**
 * A GitLab ID-token role (cloud aws) with a grant on the fleet's S3 cache bucket lets every
 * pipeline that can get the token read and overwrite every runner's cache: RF203 at the role,
 * an error no acceptRisks entry turns into a warning, and "jobs cannot reach cache … directly"
 * fails for every runner of the bucket. The S3 twin of the Azure RF608 for ID-token identities.
 */
const BUCKET = 'acme-vm-runner-cache';
const ARN = `arn:aws:s3:::${BUCKET}`;

/** id-tokens-vm with an S3 cache for its runner, and the ID-token role infra given `grants` on top of its own. */
function planWith(grants: { actions: string[]; resources: string[] }[], edit: (spec: Record<string, any>) => void = () => undefined) {
  return planMutated('id-tokens-vm', (spec) => {
    spec.caches = [{ name: 'shared', type: 's3', bucket: BUCKET }];
    spec.runners[0].cache = { name: 'shared' };
    spec.idTokens.roles[0].permissions.aws.push(...grants);
    edit(spec);
  });
}

const rf203 = (findings: readonly { code: string }[]) => findings.filter((f) => f.code === 'RF203') as { code: string; path: string; severity: string; message: string; fix?: string }[];
const cacheProof = (proofs: readonly { runner: string; claim: string; holds: boolean }[]) => proofs.find((p) => p.runner === 'docker' && p.claim === 'jobs cannot reach cache shared directly');

describe('plan: GitLab ID-token roles over the S3 cache', () => {
  it('without a grant on the bucket: clean, the proof holds', () => {
    const r = planWith([]);
    expect(rf203(r.findings)).toEqual([]);
    expect(cacheProof(r.proofs)?.holds).toBe(true);
  });

  it.each([
    ['objects of the bucket', [{ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${ARN}/*`] }], /can s3:GetObject on any key, s3:PutObject on any key in cache bucket acme-vm-runner-cache: any of them can read and overwrite/],
    ['s3:* on a pattern matching the bucket', [{ actions: ['s3:*'], resources: ['arn:aws:s3:::acme-*'] }], /can s3:GetObject on any key, s3:PutObject on any key, s3:DeleteObject on any key, s3:ListBucket, s3:PutBucketPolicy \(and with it any object\), .* in cache bucket acme-vm-runner-cache/],
    ['s3:* on *', [{ actions: ['s3:*'], resources: ['*'] }], /can s3:GetObject on any key, s3:PutObject on any key, s3:DeleteObject on any key, s3:ListBucket, s3:PutBucketPolicy/],
    ['s3:Get* on arn:aws:s3:::*', [{ actions: ['s3:Get*'], resources: ['arn:aws:s3:::*'] }], /can s3:GetObject on any key in cache bucket .*: any of them can read the cache/],
    ["one runner's prefix only", [{ actions: ['s3:GetObject'], resources: [`${ARN}/docker/*`] }], /can s3:GetObject on docker\/x in cache bucket acme-vm-runner-cache: any of them can read the cache/],
    ['a wildcard inside the bucket name, then a prefix', [{ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::acme-vm-*/docker/*'] }], /can s3:PutObject on docker\/x in cache bucket/],
    ['listing it under a prefix condition', [{ actions: ['s3:ListBucket'], resources: [ARN] }], /can s3:ListBucket in cache bucket .*: any of them can read the cache/],
  ])('%s: RF203 at the role, an error, naming role, actions, bucket and fix; the cache proof fails', (_, grants, message) => {
    const r = planWith(grants);
    const found = rf203(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('idTokens.roles[0].permissions.aws');
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.message).toMatch(/^pipelines that get ID-token role acme-idt-infra \(aws_iam_role\.idt-infra\) can /);
    expect(found[0]!.message).toMatch(message);
    expect(found[0]!.fix).toContain(`narrow the Resource of the S3 grants of ID-token role acme-idt-infra (aws_iam_role.idt-infra) so it covers neither ${ARN} nor ${ARN}/*`);
    expect(cacheProof(r.proofs)?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('a role that reaches other buckets only (acme-artifacts, acme-vm-runner-cache-old/*) stays clean', () => {
    const r = planWith([{ actions: ['s3:*'], resources: ['arn:aws:s3:::acme-artifacts', 'arn:aws:s3:::acme-artifacts/*', `${ARN}-old/*`] }]);
    expect(rf203(r.findings)).toEqual([]);
    expect(cacheProof(r.proofs)?.holds).toBe(true);
  });

  it('acceptRisks RF203 on the cache or the runner does not turn it into a warning', () => {
    const r = planWith([{ actions: ['s3:GetObject'], resources: [`${ARN}/*`] }], (spec) => {
      spec.caches[0].acceptRisks = [{ code: 'RF203', reason: 'the jobs of this runner need the bucket' }];
      spec.runners[0].acceptRisks = [{ code: 'RF203', reason: 'the jobs of this runner need the bucket' }];
    });
    expect(rf203(r.findings).map((f) => f.severity)).toEqual(['error']);
  });

  it('a bucket this fleet does not create (create: false) is checked too', () => {
    const r = planWith([{ actions: ['s3:GetObject'], resources: [`${ARN}/*`] }], (spec) => {
      spec.caches[0].create = false;
    });
    expect(rf203(r.findings).map((f) => f.path)).toEqual(['idTokens.roles[0].permissions.aws']);
  });
});

/** The hand-written EC2 Docker runner of the doctor helpers with an S3 cache, and its GitLab ID-token role granted `resource`. */
function handWritten(resource: string, extra = ''): InputFile[] {
  return handWrittenDockerVm({
    folder: 'deploy',
    config: `  [runners.cache]
    Type = "s3"
    Path = "docker"
    [runners.cache.s3]
      BucketName = "example-ci-cache"
      BucketLocation = "eu-west-1"
      AuthenticationType = "iam"
`,
    ciStatements: [
      '{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-ci-cache/docker/*" }',
      '{ Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-ci-cache", Condition = { StringLike = { "s3:prefix" = ["docker/*", "docker"] } } }',
    ],
    deployPolicy: `jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = "${resource}" }]
  })`,
    extra,
  });
}

describe('doctor: a hand-written ID-token role over the S3 cache', () => {
  it('a role that reaches another bucket only: no RF203, the cache proof holds', () => {
    const r = doctor(handWritten('arn:aws:s3:::example-artifacts/*'));
    expect(rf203(r.findings)).toEqual([]);
    expect(r.proofs.find((p) => p.claim === 'jobs cannot reach cache example-ci-cache directly')?.holds).toBe(true);
  });

  it('a role whose grant covers the cache bucket (example-ci-*/*): RF203 at the role in the file, the cache proof fails', () => {
    const r = doctor(handWritten('arn:aws:s3:::example-ci-*/*'));
    const found = rf203(r.findings);
    expect(found.map((f) => f.path)).toEqual([expect.stringMatching(/deploy\/main\.tf:\d+:\d+$/)]);
    expect(found[0]!.message).toMatch(/^pipelines that get ID-token role gitlab-deploy \(aws_iam_role\.deploy\) can s3:GetObject on any key, s3:PutObject on any key, s3:DeleteObject on any key in cache bucket example-ci-cache/);
    expect(found[0]!.severity).toBe('error');
    expect(r.proofs.find((p) => p.claim === 'jobs cannot reach cache example-ci-cache directly')?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('a role with a managed policy the files do not show, and no grant found: RF903 (not shown), and the cache proof does not hold', () => {
    const attached = `
resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.deploy.name
  policy_arn = "arn:aws:iam::111122223333:policy/deploy-extra"
}
`;
    const r = doctor(handWritten('arn:aws:s3:::example-artifacts/*', attached));
    expect(rf203(r.findings)).toEqual([]);
    const rf903 = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('cache bucket example-ci-cache'));
    expect(rf903.map((f) => f.message)).toEqual([expect.stringMatching(/^whether pipelines that get ID-token role gitlab-deploy \(aws_iam_role\.deploy\) can reach cache bucket example-ci-cache is not shown: arn:aws:iam::111122223333:policy\/deploy-extra is not in the documents/)]);
    expect(r.proofs.find((p) => p.claim === 'jobs cannot reach cache example-ci-cache directly')?.holds).toBe(false);
  });
});

describe('doctor: an ID-token role over the S3 cache, decided over a tag the files do not show', () => {
  const CASE = join(import.meta.dirname, 'doctor', 'corpus', 's3-id-token-role-principal-tag-unresolved');
  const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
  const jobsProof = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim === 'jobs cannot reach cache example-runner-cache directly');
  const shown = (r: ReturnType<typeof doctor>) => r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`);
  const ON_TEAM = '        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }\n      },\n';

  it('an Allow of GetObject and PutObject on every object for team = platform, the role\'s team from a variable: RF903 at the role\'s tags, the jobs proof not made (before: proven)', () => {
    const r = doctor(corpusFiles(CASE));
    expect(shown(r)).toEqual(['RF903 info main.tf:93:10']);
    expect(r.findings[0]!.message).toBe('whether role gitlab-deploy can s3:GetObject on any key, s3:PutObject on any key in cache bucket example-runner-cache (an ID-token role: every pipeline that gets it could read and overwrite the cache of every runner that uses the bucket) is not shown: the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
    expect(r.findings[0]!.fix).toContain('make the role\'s tags statically known');
    expect(jobsProof(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
    // The tag made known: platform is the RF203 the answer over tags foresaw; ci reaches nothing.
    const platform = edited(['    team = var.team\n', '    team = "platform"\n']);
    expect(rf203(platform.findings).map((f) => f.message)).toEqual([expect.stringMatching(/^pipelines that get ID-token role gitlab-deploy \(aws_iam_role\.deploy\) can s3:GetObject on any key, s3:PutObject on any key in cache bucket example-runner-cache/)]);
    const ci = edited(['    team = var.team\n', '    team = "ci"\n']);
    expect(ci.findings).toEqual([]);
    expect(ci.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a Deny keyed on the tag beside a plain Allow on the bucket: RF903, not the RF203 asked with the tag left out (a team = app role is refused)', () => {
    const r = edited([ON_TEAM, '      },\n      {\n        Effect    = "Deny"\n        Action    = "s3:*"\n        Resource  = "*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "app" } }\n      },\n']);
    expect(shown(r)).toEqual(['RF903 info main.tf:93:10']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-deploy can s3:GetObject on any key, s3:PutObject on any key in cache bucket example-runner-cache');
    expect(jobsProof(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
  });

  it('guard: the same tag-keyed Allow on another bucket only: sound whatever the tag, the jobs proof holds', () => {
    const r = edited(['        Resource  = "arn:aws:s3:::example-runner-cache/*"\n' + ON_TEAM, '        Resource  = "arn:aws:s3:::example-artifacts/*"\n' + ON_TEAM]);
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });
});
