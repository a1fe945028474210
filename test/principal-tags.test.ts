import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { resolveFleet } from '../src/spec/resolve.js';
import { emitFleet } from '../src/emit/index.js';
import { fleetSchema } from '../src/spec/fleet.js';
import { awsFacts, roleTags } from '../src/verify/aws-docs.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { corpusFiles } from './helpers/doctor.js';
import { planMutated } from './helpers/fleet.js';

/**
 * Tags of a role as AWS attaches them (the aws provider's default_tags under the role's own tags),
 * which the proofs' requests carry as aws:PrincipalTag/<key>: attribute-based access control in a
 * hand-written deployment is proven, never guessed.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');

const root = (role: Record<string, unknown>, providers?: Record<string, unknown>[]): TerraformRoot => ({
  terraform: {},
  resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: '{"Version":"2012-10-17","Statement":[]}', ...role } } },
  ...(providers ? { provider: { aws: providers } } : {}),
});
const tagsOf = (role: Record<string, unknown>, providers?: Record<string, unknown>[]) => {
  const t = root(role, providers);
  const r = roleTags(t, t.resource.aws_iam_role!.r!);
  return { tags: r.tags, unknown: [...r.unknownTags].sort() };
};

describe('roleTags: what AWS attaches to a role', () => {
  it('the role\'s own tags under the default_tags of the provider without an alias (block or object form)', () => {
    expect(tagsOf({ tags: { team: 'ci' } }, [{ region: 'eu-west-1', default_tags: [{ tags: { env: 'prod', team: 'all' } }] }])).toEqual({ tags: { env: 'prod', team: 'ci' }, unknown: [] });
    expect(tagsOf({}, [{ default_tags: { tags: { env: 'prod' } } }, { alias: 'west', default_tags: { tags: { env: 'dev' } } }])).toEqual({ tags: { env: 'prod' }, unknown: [] });
    expect(tagsOf({ tags: { n: 1, b: true } })).toEqual({ tags: { n: '1', b: 'true' }, unknown: [] });
    expect(tagsOf({ tags: null }, [{ default_tags: [{}] }])).toEqual({ tags: {}, unknown: [] });
  });

  it('a role on an aliased provider gets that provider\'s default_tags', () => {
    expect(tagsOf({ provider: 'aws.west' }, [{ default_tags: { tags: { env: 'prod' } } }, { alias: 'west', default_tags: { tags: { env: 'dev' } } }])).toEqual({ tags: { env: 'dev' }, unknown: [] });
  });

  it('a value the documents do not show is left out and named unknown; a same-root reference and $${ escapes are literal', () => {
    expect(tagsOf({ tags: { team: '${var.team}', Name: 'x' } })).toEqual({ tags: { Name: 'x' }, unknown: ['team'] });
    expect(tagsOf({ tags: { owner: '${aws_iam_role.r.name}', lit: 'a$${b}' } })).toEqual({ tags: { owner: 'r', lit: 'a${b}' }, unknown: [] });
    // The role's literal tag replaces an unknown default of the same key.
    expect(tagsOf({ tags: { team: 'ci' } }, [{ default_tags: { tags: { team: '${var.team}' } } }])).toEqual({ tags: { team: 'ci' }, unknown: [] });
  });

  it('tags that are not a literal map: every key unknown (*)', () => {
    expect(tagsOf({ tags: '${var.tags}' })).toEqual({ tags: {}, unknown: ['*'] });
    expect(tagsOf({ tags: { team: 'ci' } }, [{ default_tags: [{ tags: '${local.tags}' }] }])).toEqual({ tags: { team: 'ci' }, unknown: ['*'] });
  });

  it('two keys that differ only in case (IAM keeps one tag per key whatever its case): that key is unknown', () => {
    expect(tagsOf({ tags: { Team: 'ci', team: 'platform', env: 'prod' } })).toEqual({ tags: { env: 'prod' }, unknown: ['team'] });
    expect(tagsOf({ tags: { team: 'ci' } }, [{ default_tags: { tags: { Team: 'all' } } }])).toEqual({ tags: {}, unknown: ['team'] });
  });
});

describe('doctor: attribute-based access control on the cache (aws:PrincipalTag)', () => {
  const run = (name: string) => doctor(corpusFiles(join(CORPUS, name)));

  it('the manager tagged as the policies ask (own tags and default_tags, keys in another case): every proof holds', () => {
    const r = run('s3-abac-principal-tag-sound');
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('the manager tagged otherwise: RF201 at the bucket policy whose Deny refuses it', () => {
    const r = run('s3-abac-principal-tag-mismatch');
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 main.tf:181:12']);
    expect(r.findings[0]!.message).toContain('its own policies allow it, and a Deny of the bucket policy (aws_s3_bucket_policy.cache) refuses it');
    // The fix names what the Deny asks of the role (its tag), not only the ARN exception.
    expect(r.findings[0]!.fix).toContain('its condition tests aws:PrincipalTag/team: give the role that tag with the value the condition expects');
  });

  it('the tag the bucket policy tests set from a variable the files do not give: RF903 (not shown) at the role\'s tags, not RF201', () => {
    const r = run('s3-abac-principal-tag-unresolved');
    expect(r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(['RF903 info main.tf:22:10']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-runner-manager can s3:GetObject');
    expect(r.findings[0]!.message).toContain('the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
    expect(r.exitCode).toBe(0);
  });

  it('a job role whose tag the bucket policy tests is not shown: "jobs cannot reach the cache" is RF903, not proven', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-sound')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"\n', 'resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"\n  tags = { team = var.jobs_team }\n');
      expect(text).toContain('var.jobs_team');
      return { ...f, bytes: Buffer.from(`variable "jobs_team" {\n  type = string\n}\n${text}`) };
    });
    const r = doctor(files);
    const f = r.findings.filter((x) => x.code === 'RF903');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('whether role gitlab-runner-jobs can reach cache bucket example-runner-cache is not shown')]);
    expect(r.proofs.find((p) => p.claim.startsWith('jobs cannot reach'))?.holds).toBe(false);
  });
});

describe('generated fleets: their roles carry the provider default_tags', () => {
  it('every AWS role of a synth output has the managed-by and fleet tags as principal tags', () => {
    const spec = fleetSchema.parse(parse(readFileSync(join(import.meta.dirname, '..', 'examples', 'ec2-docker.yaml'), 'utf8')));
    const { fleet } = resolveFleet(spec);
    const facts = awsFacts(emitFleet(fleet))!;
    expect(facts.roles.size).toBeGreaterThan(0);
    for (const role of facts.roles.values()) {
      expect(role.tags).toMatchObject({ 'managed-by': 'runner-fleet', 'runner-fleet-fleet': fleet.name });
      expect(role.unknownTags.size).toBe(0);
    }
  });
});

describe('plan: a grant keyed on the caller\'s tags counts for the roles that carry them', () => {
  it('an ID-token role allowed ssm:GetParameter on * only with aws:PrincipalTag/managed-by = runner-fleet (the default_tags of every generated role) reads the runner token: RF721', () => {
    const grant = (value: string) => planMutated('id-tokens-vm', (s) => (s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'], conditions: { StringEquals: { 'aws:PrincipalTag/Managed-By': value } } }]));
    const tagged = grant('runner-fleet');
    expect(tagged.findings.filter((f) => f.code === 'RF721').map((f) => f.path)).toEqual(['idTokens.roles[0].permissions.aws']);
    expect(tagged.exitCode).toBe(1);
    // Another value: the condition does not hold for the role, which reads nothing.
    expect(grant('someone-else').findings.filter((f) => f.code === 'RF721')).toEqual([]);
  });
});

describe('doctor: default_tags of the aws provider with a value only apply knows', () => {
  it('the tag stays unknown (not absent): RF903 at the role, not RF201', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-sound')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('      environment = "prod"\n', '      environment = var.environment\n');
      expect(text).toContain('var.environment');
      return { ...f, bytes: Buffer.from(`variable "environment" {\n  type = string\n}\n${text}`) };
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['RF903 info']);
    expect(r.findings[0]!.message).toContain('the policies test aws:PrincipalTag/environment, and the value of its tag environment is not in the documents');
  });
});

describe('doctor: a Deny on a tag whose value is not shown does not hold for the manager by default', () => {
  it('a bucket policy denying principals tagged team = blocked, the manager\'s team from a variable: RF903, the cache proof not made', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-unresolved')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('StringNotEquals = { "aws:PrincipalTag/team" = "ci" }', 'StringEquals = { "aws:PrincipalTag/team" = "blocked" }');
      expect(text).toContain('"blocked"');
      return { ...f, bytes: Buffer.from(text) };
    });
    const r = doctor(files);
    // (RF205 too: this Deny no longer refuses requests without TLS, which the sound case's did.)
    expect(r.findings.filter((f) => f.code !== 'RF205').map((f) => `${f.code} ${f.path}`)).toEqual(['RF903 main.tf:22:10']);
    expect(r.findings.find((f) => f.code === 'RF903')!.message).toContain('whether role gitlab-runner-manager can read and write its cache in bucket example-runner-cache is not shown');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
  });
});
