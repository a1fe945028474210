import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { resolveFleet } from '../src/spec/resolve.js';
import { emitFleet } from '../src/emit/index.js';
import { fleetSchema } from '../src/spec/fleet.js';
import { awsFacts, roleTags, unshownPrincipalTags } from '../src/verify/aws-docs.js';
import { compilePolicy } from '../src/verify/iam/evaluator.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { corpusFiles, doctorEdited } from './helpers/doctor.js';
import { planExample, planMutated } from './helpers/fleet.js';

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
  const r = roleTags(t, t.resource.aws_iam_role!.r!, 'r');
  return { tags: r.tags, unknown: [...r.unknownTags].sort() };
};
/** roleTags of role `r` with these aws_eks_pod_identity_associations in the root. */
const sessionTagsOf = (role: Record<string, unknown>, associations: Record<string, Record<string, unknown>>, providers?: Record<string, unknown>[]) => {
  const t = root(role, providers);
  t.resource.aws_eks_pod_identity_association = associations;
  return roleTags(t, t.resource.aws_iam_role!.r!, 'r');
};
const association = (extra: Record<string, unknown> = {}) => ({ cluster_name: 'ci', namespace: 'gitlab', service_account: 'gitlab-runner', role_arn: '${aws_iam_role.r.arn}', ...extra });
const PER_ASSOCIATION = ['eks-cluster-arn', 'kubernetes-pod-name', 'kubernetes-pod-uid'];

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

describe('roleTags: the session tags EKS Pod Identity adds (a role an aws_eks_pod_identity_association binds)', () => {
  it('cluster name, namespace and service account of the association; the cluster ARN and the pod\'s name and uid not shown', () => {
    const r = sessionTagsOf({ tags: { team: 'ci' } }, { m: association() });
    expect(r.tags).toEqual({ team: 'ci', 'eks-cluster-name': 'ci', 'kubernetes-namespace': 'gitlab', 'kubernetes-service-account': 'gitlab-runner' });
    expect([...r.unknownTags].sort()).toEqual(PER_ASSOCIATION);
    expect(r.sessionVia).toEqual(['aws_eks_pod_identity_association.m']);
    // A literal role ARN names the role by its name.
    expect(sessionTagsOf({}, { m: association({ role_arn: 'arn:aws:iam::111122223333:role/r' }) }).tags).toMatchObject({ 'kubernetes-namespace': 'gitlab' });
    // A role no association binds (IRSA, another role's association): no session tags.
    expect(sessionTagsOf({ tags: { team: 'ci' } }, { m: association({ role_arn: '${aws_iam_role.other.arn}' }) })).toEqual({ tags: { team: 'ci' }, unknownTags: new Set() });
  });

  it('a session tag overrides the role\'s tag of the same key, whatever its case', () => {
    const r = sessionTagsOf({ tags: { 'Kubernetes-Namespace': 'legacy', 'kubernetes-pod-name': 'x' } }, { m: association() });
    expect(r.tags).toEqual({ 'eks-cluster-name': 'ci', 'kubernetes-namespace': 'gitlab', 'kubernetes-service-account': 'gitlab-runner' });
    expect([...r.unknownTags].sort()).toEqual(PER_ASSOCIATION);
  });

  it('the role\'s tags not shown (*) do not reach the session tags', () => {
    const r = sessionTagsOf({ tags: '${var.tags}' }, { m: association() });
    expect([...r.unknownTags].sort()).toEqual(['*', ...PER_ASSOCIATION]);
    const policy = compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/kubernetes-namespace': 'gitlab', 'aws:PrincipalTag/team': 'ci', 'aws:PrincipalTag/kubernetes-pod-name': 'p' } } }] });
    expect(unshownPrincipalTags(r, [policy])).toEqual(['kubernetes-pod-name', 'team']);
  });

  it('two associations of the role: a tag is shown only where both give it the same value', () => {
    const r = sessionTagsOf({}, { a: association(), b: association({ namespace: 'other' }) });
    expect(r.tags).toEqual({ 'eks-cluster-name': 'ci', 'kubernetes-service-account': 'gitlab-runner' });
    expect([...r.unknownTags].sort()).toEqual([...PER_ASSOCIATION, 'kubernetes-namespace'].sort());
  });

  it('disable_session_tags: none when every association disables them; not shown when some do, or when the files do not show whether', () => {
    expect(sessionTagsOf({ tags: { team: 'ci' } }, { m: association({ disable_session_tags: true }) })).toEqual({ tags: { team: 'ci' }, unknownTags: new Set() });
    const mixed = sessionTagsOf({ tags: { 'kubernetes-namespace': 'gitlab' } }, { a: association(), b: association({ disable_session_tags: 'true' }) });
    expect(mixed.tags).toEqual({});
    expect(mixed.unknownTags).toEqual(new Set(['eks-cluster-arn', 'eks-cluster-name', 'kubernetes-namespace', 'kubernetes-service-account', 'kubernetes-pod-name', 'kubernetes-pod-uid']));
    const unknown = sessionTagsOf({}, { m: association({ disable_session_tags: '${var.no_tags}' }) });
    expect(unknown.tags).toEqual({});
    expect(unknown.unknownTags.size).toBe(6);
    expect(sessionTagsOf({}, { m: association({ disable_session_tags: false }) }).tags).toMatchObject({ 'kubernetes-namespace': 'gitlab' });
  });

  it('a value the association does not show (a variable) is not shown; a reference to a cluster of the root is its name', () => {
    const r = sessionTagsOf({}, { m: association({ namespace: '${var.namespace}', cluster_name: '${aws_eks_cluster.main.name}' }) });
    expect(r.tags).toEqual({ 'kubernetes-service-account': 'gitlab-runner' });
    expect(r.unknownTags.has('kubernetes-namespace')).toBe(true);
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

  it('a second Deny keyed on another tag, for deletes only: the fix names only the tag of the Deny that refuses the manager', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-mismatch')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('      Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }\n    }]', '      Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }\n    }, {\n      Sid       = "DeletesOnlyFromCleanup"\n      Effect    = "Deny"\n      Principal = "*"\n      Action    = "s3:DeleteObject"\n      Resource  = "arn:aws:s3:::example-runner-cache/*"\n      Condition = { StringNotEquals = { "aws:PrincipalTag/job" = "cache-cleanup" } }\n    }]');
      expect(text).toContain('DeletesOnlyFromCleanup');
      return { ...f, bytes: Buffer.from(text) };
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 main.tf:181:12']);
    expect(r.findings[0]!.fix).toContain('its condition tests aws:PrincipalTag/team: give the role that tag');
    expect(r.findings[0]!.fix).not.toContain('aws:PrincipalTag/job');
  });

  it('the tag the bucket policy tests set from a variable the files do not give: RF903 (not shown) at the role\'s tags, not RF201', () => {
    const r = run('s3-abac-principal-tag-unresolved');
    expect(r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(['RF903 info main.tf:22:10']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-runner-manager can s3:GetObject');
    expect(r.findings[0]!.message).toContain('the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
    expect(r.exitCode).toBe(0);
  });

  // The jobs' role from the sound case, its team tag from a variable the files do not give; `grant`: a policy of its own.
  const jobsTagUnshown = (grant?: string) => corpusFiles(join(CORPUS, 's3-abac-principal-tag-sound')).map((f) => {
    if (f.path !== 'main.tf') return f;
    let text = f.bytes.toString().replace('resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"\n', 'resource "aws_iam_role" "jobs" {\n  name = "gitlab-runner-jobs"\n  tags = { team = var.jobs_team }\n');
    expect(text).toContain('var.jobs_team');
    if (grant !== undefined) text += `\nresource "aws_iam_role_policy" "jobs_cache" {\n  name   = "cache"\n  role   = aws_iam_role.jobs.id\n  policy = jsonencode(${grant})\n}\n`;
    return { ...f, bytes: Buffer.from(`variable "jobs_team" {\n  type = string\n}\n${text}`) };
  });

  it('a job role whose tag the bucket policy tests is not shown, with no grant on the bucket anywhere: no value of the tag lets the jobs in, so "jobs cannot reach the cache" holds', () => {
    const r = doctor(jobsTagUnshown());
    expect(r.findings.filter((x) => x.code === 'RF903')).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('jobs cannot reach'))?.holds).toBe(true);
  });

  it('the same job role granted GetObject on the bucket by its own policy: whether the Deny keyed on its tag refuses it is not shown, so RF903, not proven', () => {
    const r = doctor(jobsTagUnshown('{ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::example-runner-cache/*" }] }'));
    const f = r.findings.filter((x) => x.code === 'RF903');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('whether role gitlab-runner-jobs can reach cache bucket example-runner-cache is not shown')]);
    expect(r.proofs.find((p) => p.claim.startsWith('jobs cannot reach'))?.holds).toBe(false);
  });

  it('the manager\'s policy forgets PutObject and the bucket policy\'s Deny of every S3 action turns on a tag not shown: RF201 for the upload (refused whatever the tag), RF903 for the reads only', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-unresolved-put-missing')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('Action    = ["s3:PutObject", "s3:DeleteObject"]\n        Resource  = "arn:aws:s3:::example-runner-cache/*"', 'Action    = "s3:*"\n        Resource  = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"]');
      expect(text).toContain('Action    = "s3:*"\n        Resource  = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"]\n        Condition = { StringNotEquals = { "aws:PrincipalTag/team"');
      return { ...f, bytes: Buffer.from(text) };
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(['RF201 error main.tf:136:13', 'RF903 info main.tf:24:10']);
    expect(r.findings[0]!.message).toBe('role gitlab-runner-manager cannot s3:PutObject on arn:aws:s3:::example-runner-cache/runner/project/1/probe');
    expect(r.findings[1]!.message).toContain('whether role gitlab-runner-manager can s3:GetObject on arn:aws:s3:::example-runner-cache/runner/project/1/probe, s3:ListBucket on arn:aws:s3:::example-runner-cache is not shown');
    expect(r.exitCode).toBe(1);
  });

  it('a manager tag not shown that only a statement for another service tests: the cache proof holds whatever its value', () => {
    const files = corpusFiles(join(CORPUS, 's3-abac-principal-tag-unresolved')).map((f) => {
      if (f.path !== 'main.tf') return f;
      // The bucket policy no longer tests the team tag; an SSM grant of the manager's own policy does.
      const text = f.bytes.toString()
        .replace('Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }', 'Condition = { StringNotEquals = { "aws:PrincipalTag/environment" = "prod" } }')
        .replace('  ]\n  })\n}\n\nresource "aws_iam_role" "jobs"', '      {\n        Effect    = "Allow"\n        Action    = "ssm:GetParameter"\n        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "ci" } }\n      },\n    ]\n  })\n}\n\nresource "aws_iam_role" "jobs"');
      expect(text).toContain('ssm:GetParameter');
      expect(text).toContain('"aws:PrincipalTag/environment" = "prod" } }\n    }]');
      return { ...f, bytes: Buffer.from(text) };
    });
    const r = doctor(files);
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });
});

describe('doctor: EKS Pod Identity session tags (aws:PrincipalTag/kubernetes-namespace …)', () => {
  const run = (name: string) => doctor(corpusFiles(join(CORPUS, name)));

  it('a bucket policy that spares only the runner\'s namespace and cluster: the manager reaches its cache, every proof holds; with the manager association\'s session tags disabled, RF201', () => {
    const r = run('s3-abac-pod-identity-namespace-sound');
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    // disable_session_tags = true: EKS Pod Identity adds none, so the namespace Deny refuses the manager.
    const files = corpusFiles(join(CORPUS, 's3-abac-pod-identity-namespace-sound')).map((f) => {
      if (f.path !== 'main.tf') return f;
      const text = f.bytes.toString().replace('  service_account = "gitlab-runner"\n', '  service_account = "gitlab-runner"\n  disable_session_tags = true\n');
      expect(text).toContain('disable_session_tags');
      return { ...f, bytes: Buffer.from(text) };
    });
    expect(doctor(files).findings.map((f) => f.code)).toEqual(['RF201']);
  });

  it('the namespace the bucket policy spares is not the association\'s: RF201 at the bucket policy, the fix names the session tag values', () => {
    const r = run('s3-abac-pod-identity-namespace-mismatch');
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 main.tf:171:12']);
    // Only the Deny keyed on the namespace refuses the manager: the one keyed on eks-cluster-name = ci spares it, so the fix leaves it out.
    expect(r.findings[0]!.fix).toContain('its condition tests aws:PrincipalTag/kubernetes-namespace, which EKS Pod Identity sets in the role\'s sessions from aws_eks_pod_identity_association.manager (kubernetes-namespace = gitlab), over any tag of the role of the same key: make the condition expect that value');
    expect(r.findings[0]!.fix).not.toContain('eks-cluster-name');
  });

  it('a bucket policy keyed on the pod\'s name: RF903 (not shown) at the bucket policy, the cache proofs not made', () => {
    const r = run('s3-abac-pod-identity-namespace-pod-name');
    expect(r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(['RF903 info main.tf:170:12']);
    expect(r.findings[0]!.message).toContain('kubernetes-pod-name is a session tag EKS Pod Identity sets for each pod (aws_eks_pod_identity_association.manager), so no document shows its value');
    expect(r.findings[0]!.fix).toContain('aws:PrincipalTag/kubernetes-namespace');
    // The jobs' role has no grant on the bucket in any policy: whatever the pod's name, they cannot reach it.
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([expect.stringMatching(/^the manager reads and writes/)]);
    expect(r.proofs.find((p) => p.claim.startsWith('jobs cannot reach'))?.holds).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('roles and associations of the terraform-aws-modules/eks-pod-identity module: the session tags of its associations', () => {
    const keyed = (namespace: string, associationExtra = '') =>
      doctor(corpusFiles(join(CORPUS, 'eks-pod-identity-registry-module-sound')).map((f) => {
        if (f.path !== 'main.tf') return f;
        const text = f.bytes.toString()
          .replace('      Condition = { Bool = { "aws:SecureTransport" = "false" } }\n    }]', `      Condition = { Bool = { "aws:SecureTransport" = "false" } }\n    }, {\n      Sid = "OnlyTheRunnerNamespace"\n      Effect = "Deny"\n      Principal = "*"\n      Action = "s3:*"\n      Resource = [aws_s3_bucket.cache.arn, "\${aws_s3_bucket.cache.arn}/*"]\n      Condition = { StringNotEquals = { "aws:PrincipalTag/kubernetes-namespace" = "${namespace}" } }\n    }]`)
          .replace('      service_account = "gitlab-runner"\n', `      service_account = "gitlab-runner"\n${associationExtra}`);
        expect(text).toContain('OnlyTheRunnerNamespace');
        return { ...f, bytes: Buffer.from(text) };
      }));
    const expected = JSON.parse(readFileSync(join(CORPUS, 'eks-pod-identity-registry-module-sound', 'expected.json'), 'utf8')) as { findings: { code: string }[] };
    const sound = keyed('gitlab-runner');
    expect(sound.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(expected.findings.map((f) => f.code));
    expect(sound.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(true);
    expect(keyed('gitlab').findings.filter((f) => f.code === 'RF201')).toHaveLength(1);
    // The module passes disable_session_tags of an association through.
    expect(keyed('gitlab-runner', '      disable_session_tags = true\n').findings.filter((f) => f.code === 'RF201')).toHaveLength(1);
  });
});

describe('generated Pod Identity fleets: the roles carry the session tags of their association', () => {
  it('examples/eks-pod-identity: each runner role has the namespace, service account and cluster of its association', () => {
    const r = planExample('eks-pod-identity');
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const spec = fleetSchema.parse(parse(readFileSync(join(import.meta.dirname, '..', 'examples', 'eks-pod-identity.yaml'), 'utf8')));
    const { fleet } = resolveFleet(spec);
    const facts = awsFacts(emitFleet(fleet))!;
    const bound = [...facts.roles.values()].filter((role) => role.sessionTagKeys !== undefined);
    expect(bound.length).toBeGreaterThan(0);
    for (const role of bound) {
      expect(role.tags).toMatchObject({ 'eks-cluster-name': 'apps-prod', 'kubernetes-namespace': expect.any(String) as unknown, 'kubernetes-service-account': expect.any(String) as unknown, 'managed-by': 'runner-fleet' });
    }
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

describe('doctor: a role made in a module gets the default_tags of the provider its call maps', () => {
  /** s3-abac-principal-tag-sound with the manager role made by a local module called with providers = { aws = aws.<alias> }. */
  const inModule = (alias: string) =>
    doctor(corpusFiles(join(CORPUS, 's3-abac-principal-tag-sound')).flatMap((f) => {
      if (f.path !== 'main.tf') return [f];
      const text = f.bytes.toString();
      const start = text.indexOf('resource "aws_iam_role" "manager" {');
      const end = text.indexOf('resource "aws_iam_role_policy" "manager_cache"');
      const role = text.slice(start, end).replace('  tags = {\n    team = "ci"\n  }\n', '').replaceAll('${local.oidc}', 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E').replace('"manager"', '"this"');
      expect(role).not.toContain('team');
      const main = text.slice(0, start).replace('provider "aws" {', 'provider "aws" {\n  alias  = "ci"\n  region = "eu-west-1"\n  default_tags {\n    tags = {\n      environment = "prod"\n      team        = "ci"\n    }\n  }\n}\n\nprovider "aws" {')
        + `module "manager" {\n  source    = "./manager-role"\n  providers = {\n    aws = ${alias}\n  }\n}\n\n` + text.slice(end).replaceAll('aws_iam_role.manager.id', 'module.manager.name').replaceAll('aws_iam_role.manager.arn', 'module.manager.arn');
      const module = `${role}output "name" {\n  value = aws_iam_role.this.name\n}\n\noutput "arn" {\n  value = aws_iam_role.this.arn\n}\n`;
      return [{ ...f, bytes: Buffer.from(main) }, { path: 'manager-role/main.tf', bytes: Buffer.from(module) }];
    }));

  it('providers = { aws = aws.ci } (team = ci): the bucket policy spares the manager; mapped to the default provider (no team): RF201', () => {
    const mapped = inModule('aws.ci');
    expect(mapped.findings.map((f) => `${f.code} ${f.path}`)).toEqual([]);
    expect(mapped.proofs.every((p) => p.holds)).toBe(true);
    expect(inModule('aws').findings.map((f) => f.code)).toEqual(['RF201']);
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

describe('doctor: a grant outside the manager\'s prefix keyed on a tag whose value is not shown', () => {
  const CASE = 's3-abac-principal-tag-unresolved-reaches-outside';
  const edited = (...edits: [string, string][]) => doctorEdited(join(CORPUS, CASE), edits);

  it('an Allow of s3:GetObject on the whole bucket for team = platform, the manager\'s team from a variable: RF903 (not shown), the "nothing else there" proof not made', () => {
    const r = doctor(corpusFiles(join(CORPUS, CASE)));
    expect(r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(['RF903 info main.tf:25:10']);
    expect(r.findings[0]!.message).toBe('whether role gitlab-runner-manager reaches outside runner/ (s3:GetObject on probe, s3:GetObject on other-prefix/probe, s3:GetObject on runner-other/probe, s3:GetObject on runnerx/probe, which aws_iam_role_policy.manager_cache decides by aws:PrincipalTag/team) is not shown: the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
    expect(r.findings[0]!.fix).toContain('make the role\'s tags statically known');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
    // The tag made known: team = platform is the RF202 the answer over tags foresaw; team = ci reaches only runner/.
    const platform = edited(['team = var.team', 'team = "platform"']);
    expect(platform.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['RF202 error']);
    expect(platform.findings[0]!.message).toContain('role gitlab-runner-manager reaches outside runner/: s3:GetObject on probe, s3:GetObject on other-prefix/probe');
    const ci = edited(['team = var.team', 'team = "ci"']);
    expect(ci.findings).toEqual([]);
    expect(ci.proofs.every((p) => p.holds)).toBe(true);
  });

  it('the same tag-keyed Allow only on the manager\'s own prefix: sound whatever the tag, no RF903 about outside', () => {
    const r = edited(['Resource  = "arn:aws:s3:::example-runner-cache/*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }', 'Resource  = "arn:aws:s3:::example-runner-cache/runner/*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }']);
    expect(r.findings).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('an Allow on the whole bucket for every team but one (StringNotEquals, which holds for an absent tag): RF903, not the RF202 asked with the tag left out', () => {
    const r = edited(['Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }', 'Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }']);
    expect(r.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['RF903 info']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-runner-manager reaches outside runner/ (s3:GetObject on probe');
  });
});

describe('doctor: the KMS key of the cache bucket, decided over a tag whose value is not shown', () => {
  const CASE = 's3-cache-kms-key-policy-principal-tag-unresolved';
  const ABAC_GRANT = `      Sid       = "TeamCiThroughS3"
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "aws:PrincipalAccount"  = "111122223333"
          "aws:PrincipalTag/team" = "ci"
          "kms:ViaService"        = "s3.eu-west-1.amazonaws.com"
        }
      }`;
  /** The key policy statement that lets IAM policies grant the key (a statement for the account). */
  const ACCOUNT = `      Sid       = "EnableIamPolicies"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:*"
      Resource  = "*"`;
  /** A KMS grant in the manager's own policy, through S3, only for team = ci. */
  const ROLE_KMS = ['      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-runner-cache/runner/*" },\n', '      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::example-runner-cache/runner/*" },\n      { Effect = "Allow", Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = aws_kms_key.cache.arn, Condition = { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com", "aws:PrincipalTag/team" = "ci" } } },\n'] as [string, string];
  const edited = (...edits: [string, string][]) => doctorEdited(join(CORPUS, CASE), edits);
  const shown = (r: ReturnType<typeof doctor>) => r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`);

  it('a key policy that grants the key to roles tagged team = ci, the manager\'s team from a variable: RF903 naming the tag, not RF201; with the tag known, sound or RF201', () => {
    const r = doctor(corpusFiles(join(CORPUS, CASE)));
    expect(shown(r)).toEqual(['RF903 info main.tf:15:10']);
    expect(r.findings[0]!.message).toBe('whether role gitlab-runner-manager can kms:GenerateDataKey on the key that encrypts the bucket (aws_kms_key.cache), kms:Decrypt on the key that encrypts the bucket (aws_kms_key.cache) is not shown: the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
    expect(r.proofs.find((p) => p.claim.startsWith('the manager reads and writes'))?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
    const ci = edited(['team = var.team', 'team = "ci"']);
    expect(ci.findings).toEqual([]);
    expect(ci.proofs.every((p) => p.holds)).toBe(true);
    expect(edited(['team = var.team', 'team = "web"']).findings.map((f) => f.code)).toEqual(['RF201']);
  });

  it('a key policy Deny of every team but ci (StringNotEquals, which holds for an absent tag), IAM granting the key: RF903, not RF201', () => {
    const r = edited(ROLE_KMS, [ABAC_GRANT, `${ACCOUNT}
    }, {
      Sid       = "OnlyTeamCi"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:PrincipalTag/team" = "ci" } }`], [', "aws:PrincipalTag/team" = "ci" } } },\n', ' } } },\n']);
    expect(shown(r).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['RF903 info']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-runner-manager can kms:GenerateDataKey on the key that encrypts the bucket (aws_kms_key.cache)');
  });

  it('the role\'s KMS grant keyed on the tag, a key policy that neither grants the role nor lets IAM decide: RF201 at the key policy whatever the tag (before, a wrong RF903)', () => {
    const r = edited(ROLE_KMS, [ABAC_GRANT, `      Sid       = "KeyUsers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/platform-admin" }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"`]);
    expect(shown(r).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['RF201 error']);
    expect(r.findings[0]!.message).toBe('role gitlab-runner-manager cannot kms:GenerateDataKey on the key that encrypts the bucket (aws_kms_key.cache), kms:Decrypt on the key that encrypts the bucket (aws_kms_key.cache): its own policies allow it for some values of aws:PrincipalTag/team, but the key policy of aws_kms_key.cache neither grants the role nor lets IAM grant it (no statement allows the account), and the bucket encrypts new objects with that key (SSE-KMS), so S3 refuses the manager every cache upload and download');
    expect(r.exitCode).toBe(1);
  });

  it('guard: the role\'s KMS grant keyed on the tag under a key policy that lets IAM decide: RF903', () => {
    const r = edited(ROLE_KMS, [ABAC_GRANT, ACCOUNT]);
    expect(shown(r).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['RF903 info']);
    expect(r.findings[0]!.message).toContain('whether role gitlab-runner-manager can kms:GenerateDataKey on the key that encrypts the bucket (aws_kms_key.cache), kms:Decrypt');
  });
});
