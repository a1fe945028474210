import { identityOf, jobIdentityOf } from '../../model/types.js';
import type { CacheBackend } from '../types.js';
import type { Finding, FindingRequest } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { ResolvedCache, RunnerCacheRef } from '../../model/types.js';
import type { TerraformResources, TerraformRoot } from '../../emit/artifacts.js';
import { tfName } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { runnerAws } from '../../verify/runner-aws.js';
import type { Decision, PolicyDocument, Request, Statement } from '../../verify/iam/types.js';
import { compilePolicy, decisionOverTagsFor, evaluatePolicies, evaluatePoliciesFor, matchesOverTagsFor, PolicyGrammarError, policyKindProblem, type CompiledPolicy, type PolicySet, type PreparedRequest } from '../../verify/iam/evaluator.js';
import { awsFacts, roleArnOfKey, resolveValue, roleArn, preparedRoleRequest, unshownPrincipalTags, type AwsFacts, type RoleFacts } from '../../verify/aws-docs.js';
import { unshownTagsFinding } from '../../verify/unshown-tags.js';
import { s3CacheSchema, type S3CacheSpec } from './schema.js';
import { rootTable } from '../../verify/root-index.js';
import { mayUseKey, mayUseKeyOverTags, resolveKmsKey, type KmsAccount, type KmsKey } from '../../verify/kms.js';
import { adviceThenRegenerate } from '../../spec/findings.js';

function specOf(cache: ResolvedCache): S3CacheSpec {
  return cache.spec as unknown as S3CacheSpec;
}

function regionOf(fleet: { aws?: { region: string } | undefined }, spec: S3CacheSpec): string {
  return spec.region ?? fleet.aws?.region ?? 'us-east-1';
}

export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const key = (cache: ResolvedCache) => tfName('cache', cache.name);

/** Object-level actions a VPC endpoint condition guards; bucket configuration (Terraform's) stays reachable. */
export const VPCE_GUARDED_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'] as const;

/** The bucket policy: TLS only, and (opt-in) object access only through the VPC endpoints. What is proven is exactly this document. */
function bucketPolicy(partition: string, spec: S3CacheSpec): PolicyDocument | undefined {
  const arn = bucketArn(partition, spec.bucket);
  const statements: Statement[] = [];
  if (spec.tlsOnly) {
    statements.push({ Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  }
  if (spec.vpcEndpointIds) {
    statements.push({ Sid: 'DenyOutsideVpcEndpoints', Effect: 'Deny', Principal: '*', Action: [...VPCE_GUARDED_ACTIONS], Resource: [arn, `${arn}/*`], Condition: { StringNotEquals: { 'aws:SourceVpce': [...spec.vpcEndpointIds] } } });
  }
  return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
}

export const s3Cache: CacheBackend = {
  type: 's3',
  cloud: 'aws',
  title: 'Amazon S3',
  schema: s3CacheSchema,

  checkSpec(fleet, raw, cachePath) {
    const spec = raw as unknown as S3CacheSpec;
    const out: Finding[] = [];
    if (!fleet.aws) {
      out.push({ code: 'RF004', severity: 'error', path: 'aws', message: `an S3 cache needs the aws section (${cachePath} is type s3)`, fix: 'add aws: { accountId: "<12 digits>", region: <region> }' });
    }
    if (spec.encryption.type === 'kms' && spec.encryption.kmsKeyArn === undefined) {
      out.push({ code: 'RF004', severity: 'error', path: `${cachePath}.encryption.kmsKeyArn`, message: 'encryption type kms needs the key ARN', fix: 'add kmsKeyArn: arn:aws:kms:<region>:<account>:key/<uuid>, or use type: s3' });
    }
    if (spec.encryption.type !== 'kms' && spec.encryption.kmsKeyArn !== undefined) {
      out.push({ code: 'RF010', severity: 'error', path: `${cachePath}.encryption.kmsKeyArn`, message: `kmsKeyArn is only used with type kms`, received: spec.encryption.kmsKeyArn, fix: 'set type: kms, or remove kmsKeyArn' });
    }
    return out;
  },

  managerStatements(fleet, cache, ref) {
    const spec = specOf(cache);
    const partition = fleet.aws?.partition ?? 'aws';
    const arn = bucketArn(partition, spec.bucket);
    const statements: Statement[] = [
      { Sid: 'CacheObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${arn}/${ref.path}/*` },
      { Sid: 'CacheList', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn, Condition: { StringLike: { 's3:prefix': [`${ref.path}/*`, ref.path] } } },
    ];
    if (spec.encryption.type === 'kms' && spec.encryption.kmsKeyArn) {
      statements.push({ Sid: 'CacheKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: spec.encryption.kmsKeyArn });
    }
    return statements;
  },

  emitTerraformAws(fleet, cache) {
    const spec = specOf(cache);
    if (!spec.create) return {};
    const k = key(cache);
    const partition = fleet.aws?.partition ?? 'aws';
    const bucketRef = `\${aws_s3_bucket.${k}.id}`;
    const region = regionOf(fleet, spec);
    const provider = region !== fleet.aws?.region ? { provider: `aws.${tfName(region)}` } : {};
    const out: TerraformResources = {
      aws_s3_bucket: { [k]: { ...provider, bucket: spec.bucket, force_destroy: false } },
      aws_s3_bucket_public_access_block: {
        [k]: { ...provider, bucket: bucketRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
      },
      aws_s3_bucket_ownership_controls: { [k]: { ...provider, bucket: bucketRef, rule: { object_ownership: 'BucketOwnerEnforced' } } },
    };
    if (spec.encryption.type !== 'none') {
      const byDefault: Record<string, unknown> =
        spec.encryption.type === 'kms' ? { sse_algorithm: 'aws:kms', kms_master_key_id: spec.encryption.kmsKeyArn } : { sse_algorithm: 'AES256' };
      out.aws_s3_bucket_server_side_encryption_configuration = {
        [k]: { ...provider, bucket: bucketRef, rule: { apply_server_side_encryption_by_default: byDefault, bucket_key_enabled: spec.encryption.type === 'kms' } },
      };
    }
    if (spec.expireAfterDays > 0) {
      out.aws_s3_bucket_lifecycle_configuration = {
        [k]: {
          ...provider,
          bucket: bucketRef,
          rule: [
            {
              id: 'expire-cache',
              status: 'Enabled',
              filter: { prefix: '' },
              expiration: { days: spec.expireAfterDays },
              abort_incomplete_multipart_upload: { days_after_initiation: 1 },
            },
          ],
        },
      };
    }
    const policy = bucketPolicy(partition, spec);
    if (policy) {
      out.aws_s3_bucket_policy = {
        [k]: {
          ...provider,
          bucket: bucketRef,
          policy: JSON.stringify(policy),
          depends_on: [`aws_s3_bucket_public_access_block.${k}`],
        },
      };
    }
    if (spec.accessLogs) {
      out.aws_s3_bucket_logging = { [k]: { ...provider, bucket: bucketRef, target_bucket: spec.accessLogs.bucket, target_prefix: spec.accessLogs.prefix ?? `${spec.bucket}/` } };
    }
    return out;
  },


  toml(fleet, cache, ref) {
    const spec = specOf(cache);
    const s3: Record<string, unknown> = {
      BucketName: spec.bucket,
      BucketLocation: regionOf(fleet, spec),
      AuthenticationType: 'iam',
    };
    if (spec.encryption.type === 's3') s3.ServerSideEncryption = 'S3';
    if (spec.encryption.type === 'kms') {
      s3.ServerSideEncryption = 'KMS';
      s3.ServerSideEncryptionKeyID = spec.encryption.kmsKeyArn;
    }
    return { Type: 's3', Path: ref.path, Shared: ref.shared, s3 };
  },

  verifyCache(docs, fleet, cache, cachePath) {
    const spec = specOf(cache);
    const facts = awsFacts(docs);
    // Pipelines reach the bucket whoever created it: GitLab ID-token roles with grants on it.
    const byIdTokens = idTokensOverCache(docs, fleet, cache);
    if (!spec.create) {
      return [...byIdTokens, finding('RF208', cachePath, `bucket ${spec.bucket} is not created by this fleet; encryption, TLS-only access, public access and expiry are yours to keep`, { fix: 'set create: true to let runner-fleet own and verify the bucket', deploymentFix: `give the Terraform of bucket ${spec.bucket} (aws_s3_bucket with its bucket policy, lifecycle configuration and public access block) so they are checked too` })];
    }
    if (!facts) return byIdTokens;
    const root = facts.root;
    const out: Finding[] = [...byIdTokens];
    const buckets = bucketResources(root, spec.bucket);
    // A bucket the doctor read from the user's Terraform: findings name its resources and fix them there.
    const theirs = readBackResource(cache);
    const pabs = bucketEntries(root, spec.bucket, 'aws_s3_bucket_public_access_block');
    const pab = pabs.map(([, b]) => b);
    const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
    const off = flags.filter((f) => !pab.some((b) => b[f] === true));
    if (theirs !== undefined && pabs.length === 0) {
      // Since April 2023 S3 creates buckets with Block Public Access on and ACLs off; an older bucket may have neither.
      out.push({ ...finding('RF207', '', `bucket ${spec.bucket} (${theirs}) has no aws_s3_bucket_public_access_block in the files given: buckets created since April 2023 block public access and disable ACLs by default, an older bucket may not, and the files cannot show which this one is`, { subject: { kind: 'resource', address: theirs }, fix: `add an aws_s3_bucket_public_access_block for ${theirs} with ${flags.join(', ')} = true, so the files show it` }), severity: 'warning' });
    } else if (theirs !== undefined && off.length > 0) {
      out.push(finding('RF207', '', `bucket ${spec.bucket}: ${pabs.map(([k]) => `aws_s3_bucket_public_access_block.${k}`).join(', ')} leaves ${off.join(', ')} off, so the bucket can be made public`, { subject: { kind: 'resource', address: `aws_s3_bucket_public_access_block.${pabs[0]![0]}` }, received: off.map((f) => `${f} = ${JSON.stringify(pab.find((b) => f in b)?.[f] ?? 'unset')}`).join(', '), fix: `set ${off.join(', ')} = true in aws_s3_bucket_public_access_block.${pabs[0]![0]}` }));
    } else if (pab.length === 0 || off.length > 0) {
      out.push(finding('RF207', cachePath, CODES.RF207.title, { fix: 'runner-fleet emits a public access block for every bucket it creates; regenerate', deploymentFix: `add an aws_s3_bucket_public_access_block for bucket ${spec.bucket} with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true` }));
    }
    const sse = buckets('aws_s3_bucket_server_side_encryption_configuration');
    const algos = sse.map((b) => (b.rule as { apply_server_side_encryption_by_default?: { sse_algorithm?: string } } | undefined)?.apply_server_side_encryption_by_default?.sse_algorithm);
    if (!algos.some((a) => a === 'AES256' || a === 'aws:kms' || a === 'aws:kms:dsse')) {
      // Since 5 January 2023 S3 encrypts every new object with SSE-S3 where the bucket sets nothing else:
      // a bucket of the user's files without a configuration is encrypted; one that names another algorithm is said.
      if (theirs === undefined) out.push(finding('RF204', `${cachePath}.encryption`, `bucket ${spec.bucket} has no default server-side encryption`, { received: spec.encryption.type, allowed: 's3, kms', fix: 'set encryption: { type: s3 } (or kms with a key ARN)' }));
      else if (sse.length > 0) out.push(finding('RF204', '', `bucket ${spec.bucket} (${theirs}): its aws_s3_bucket_server_side_encryption_configuration names no algorithm S3 encrypts with by default`, { subject: { kind: 'resource', address: theirs }, received: algos.map((a) => String(a)).join(', '), allowed: 'AES256, aws:kms, aws:kms:dsse', fix: 'set rule.apply_server_side_encryption_by_default.sse_algorithm = "AES256" (or "aws:kms" with kms_master_key_id)' }));
    }
    const lifecycle = buckets('aws_s3_bucket_lifecycle_configuration');
    const expires = lifecycle.some((b) => asList(b.rule).some((r) => r.status === 'Enabled' && typeof (r.expiration as { days?: unknown } | undefined)?.days === 'number'));
    if (!expires && theirs !== undefined) {
      out.push(finding('RF206', '', `objects in ${spec.bucket} (${theirs}) never expire: ${lifecycle.length === 0 ? 'no aws_s3_bucket_lifecycle_configuration of the files given is for this bucket' : 'its aws_s3_bucket_lifecycle_configuration has no enabled rule with expiration days'}, so old caches (and whatever leaked into them) stay forever`, { subject: { kind: 'resource', address: theirs }, received: lifecycle.length === 0 ? 'no lifecycle configuration' : 'no enabled expiration', fix: `add an aws_s3_bucket_lifecycle_configuration for ${theirs} with a rule { status = "Enabled", filter {}, expiration { days = 14 } } (or another number of days)` }));
    } else if (!expires) {
      out.push(finding('RF206', `${cachePath}.expireAfterDays`, `objects in ${spec.bucket} never expire, so old caches (and whatever leaked into them) stay forever`, { received: String(spec.expireAfterDays), allowed: '1 to 3650', fix: 'set expireAfterDays: 14 (or another number of days)' }));
    }
    // TLS-only: prove with the evaluator that a plain-HTTP request is denied by the bucket policy.
    const { policy, problem, resource, org } = bucketPolicyOf(root, spec.bucket);
    if (org !== undefined && resource !== undefined) {
      out.push(finding('RF903', cachePath, `bucket ${spec.bucket}: ${resource} has conditions on aws:PrincipalOrgID (organization ${org['aws:PrincipalOrgID']!}); the proofs take the runners' account to be in that organization, which the files do not show`, { fix: `check that the account of the runner roles is a member of ${org['aws:PrincipalOrgID']!} (aws organizations describe-account), or the cache is denied to every runner`, subject: { kind: 'resource', address: `${resource}.policy` } }));
    }
    if (problem !== undefined) {
      // The message names the resource: the doctor points the finding at it in the file given.
      out.push(finding('RF901', cachePath, `the bucket policy of ${spec.bucket} (${resource!}) cannot be evaluated: ${problem.length > 300 ? `${problem.slice(0, 300)}…` : problem}`, { subject: { kind: 'resource', address: resource! }, fix: 'give the bucket policy as a JSON IAM policy document (jsonencode(...) or aws_iam_policy_document)' }));
    }
    const partition = fleet.aws?.partition ?? 'aws';
    const anyone = roleArn(partition, fleet.aws?.accountId ?? '000000000000', '/', 'any-principal');
    const req: Request = { principal: { type: 'AWS', id: anyone }, action: 's3:GetObject', resource: `${bucketArn(partition, spec.bucket)}/any/object`, context: { 'aws:SecureTransport': 'false' } };
    if (spec.vpcEndpointIds) {
      const outside = VPCE_GUARDED_ACTIONS.filter((action) => {
        const resource = action === 's3:ListBucket' ? bucketArn(partition, spec.bucket) : `${bucketArn(partition, spec.bucket)}/any/object`;
        const contexts: Record<string, string>[] = [{ 'aws:SecureTransport': 'true', 'aws:SourceVpce': 'vpce-0ffffffffffffffff' }, { 'aws:SecureTransport': 'true' }];
        return contexts.some(
          (context) => !policy || evaluatePolicies({ resource: [policy] }, { principal: { type: 'AWS', id: anyone }, action, resource, context }) !== 'explicit-deny',
        );
      });
      if (outside.length > 0) {
        out.push(finding('RF209', `${cachePath}.vpcEndpointIds`, `bucket ${spec.bucket} does not deny ${outside.join(', ')} from outside ${spec.vpcEndpointIds.join(', ')}`, { received: outside.join(', '), ...adviceThenRegenerate('deny object access with StringNotEquals aws:SourceVpce in the bucket policy', 'runner-fleet does when vpcEndpointIds is set, regenerate') }));
      }
    }
    if ((!policy || evaluatePolicies({ resource: [policy] }, req) !== 'explicit-deny') && theirs !== undefined) {
      const arn = bucketArn(partition, spec.bucket);
      const statement = `{ Sid = "DenyInsecureTransport", Effect = "Deny", Principal = "*", Action = "s3:*", Resource = ["${arn}", "${arn}/*"], Condition = { Bool = { "aws:SecureTransport" = "false" } } }`;
      out.push(finding('RF205', '', `bucket ${spec.bucket} (${theirs}) accepts requests over plain HTTP: ${resource !== undefined || policy ? 'its bucket policy does not deny' : 'no aws_s3_bucket_policy of the files given denies'} aws:SecureTransport = false`, { subject: { kind: 'resource', address: theirs }, received: policy ? 'a bucket policy without that Deny' : 'no bucket policy', fix: `${policy ? 'add to the aws_s3_bucket_policy of' : 'add an aws_s3_bucket_policy for'} ${theirs} ${policy ? '' : 'holding '}the statement ${statement}` }));
    } else if (!policy || evaluatePolicies({ resource: [policy] }, req) !== 'explicit-deny') {
      out.push(finding('RF205', `${cachePath}.tlsOnly`, `bucket ${spec.bucket} accepts requests over plain HTTP: nothing denies aws:SecureTransport = false`, { received: String(spec.tlsOnly), allowed: 'true', fix: 'set tlsOnly: true' }));
    }
    return out;
  },

  verifyRunner(docs, fleet, cache, runner, runnerPath) {
    return proveRunnerCache(docs, fleet, cache, runner, runnerPath);
  },

  accessControlProbes(fleet, cache) {
    const arn = bucketArn(fleet.aws?.partition ?? 'aws', specOf(cache).bucket);
    return BUCKET_ACCESS_CONTROL_ACTIONS.map((action) => [action, arn] as const);
  },
};

/**
 * Other runners' prefixes in the same bucket worth probing: those that extend ours or that ours
 * extends (where a prefix grant could spill over: `r1` and `r10`), and the nearest ones in sorted
 * order. Probing every pair would be quadratic in the fleet for no extra assurance, because
 * grants are prefix patterns: the sibling probes above already catch a grant that is too wide.
 */
const sortedPaths = new WeakMap<FleetIntent, Map<string, string[]>>();

export function neighbourPaths(fleet: FleetIntent, ref: RunnerCacheRef, nearest = 4): string[] {
  let byCache = sortedPaths.get(fleet);
  if (!byCache) {
    byCache = new Map();
    for (const r of fleet.runners) {
      if (!r.cache) continue;
      const list = byCache.get(r.cache.cache);
      if (list) list.push(r.cache.path);
      else byCache.set(r.cache.cache, [r.cache.path]);
    }
    for (const [k, v] of byCache) byCache.set(k, [...new Set(v)].sort());
    sortedPaths.set(fleet, byCache);
  }
  const paths = byCache.get(ref.cache) ?? [];
  let positions = pathPositions.get(paths);
  if (!positions) {
    positions = new Map(paths.map((p, i) => [p, i]));
    pathPositions.set(paths, positions);
  }
  const at = positions.get(ref.path) ?? -1;
  // The nearest in sorted order first, then the related ones outside them, each in sorted order.
  const lo = Math.max(0, at - nearest);
  const hi = Math.min(paths.length - 1, at + nearest);
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) if (paths[i] !== ref.path) out.push(paths[i]!);
  // Paths that ours extends are its prefixes (at most one per length, each sorting before the longer
  // ones and before ours); paths that extend ours sort right after it, in one run (every string with
  // a given prefix is contiguous in sort order): found in ascending positions, so no sort.
  for (let n = 0; n <= ref.path.length; n++) {
    const i = positions.get(ref.path.slice(0, n));
    if (i !== undefined && (i < lo || i > hi) && paths[i] !== ref.path) out.push(paths[i]!);
  }
  let from = at >= 0 ? at + 1 : lowerBound(paths, ref.path);
  for (; from < paths.length && paths[from]!.startsWith(ref.path); from++) if (from < lo || from > hi) out.push(paths[from]!);
  return out;
}

const pathPositions = new WeakMap<readonly string[], Map<string, number>>();

/** First position in sorted `xs` whose value is not below `x`. */
function lowerBound(xs: readonly string[], x: string): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function asList(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v as Record<string, unknown>[];
  return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
}

/** The bucket resource (`aws_s3_bucket.<name>`) of a cache the doctor read from the user's Terraform; undefined for a generated fleet. */
function readBackResource(cache: ResolvedCache): string | undefined {
  const r = (cache.spec as { readBackResource?: unknown }).readBackResource;
  return typeof r === 'string' ? r : undefined;
}

function bucketEntries(root: TerraformRoot, bucket: string, type: string): [string, Record<string, unknown>][] {
  return entriesByBucket(root, type).get(bucket) ?? [];
}

/**
 * The resources of a type (policies, public access blocks, lifecycle and encryption configurations)
 * by the bucket their `bucket` names, resolved, in the map's order: made once per root while it is
 * unchanged (verify/root-index.ts), where a scan per bucket grew with the square of the buckets of
 * many deployments given together.
 */
function entriesByBucket(root: TerraformRoot, type: string): Map<unknown, [string, Record<string, unknown>][]> {
  return rootTable(root, `s3-bucket:${type}`, () => {
    const table = new Map<unknown, [string, Record<string, unknown>][]>();
    for (const [key, b] of Object.entries(root.resource[type] ?? {})) {
      const bucket = resolveValue(root, b.bucket);
      const list = table.get(bucket);
      if (list) list.push([key, b]);
      else table.set(bucket, [[key, b]]);
    }
    return table;
  });
}

/**
 * The customer-managed KMS key that encrypts new objects of the cache bucket (SSE-KMS), with its key
 * policy where the documents hold it: the spec's key (plan: a key made elsewhere, whose policy is
 * not ours to read), else the bucket's encryption configuration, followed to the key (resolveKmsKey:
 * an ARN or key id, `aws_kms_key` and `aws_kms_alias` references, alias names). Undefined for
 * SSE-S3 and the AWS managed key aws/s3 (IAM alone decides); `unknown` where the documents do not
 * show which key.
 */
function cacheKeyOf(facts: { root: TerraformRoot; roles: ReadonlyMap<string, RoleFacts>; roleKeys: ReadonlyMap<string, string> }, spec: S3CacheSpec, aws: KmsAccount): { key: KmsKey } | { unknown: string; address: string } | undefined {
  if (spec.encryption.type === 'kms' && spec.encryption.kmsKeyArn !== undefined) return { key: { arn: spec.encryption.kmsKeyArn, label: spec.encryption.kmsKeyArn } };
  if (!spec.create) return undefined;
  const root = facts.root;
  const roleArnOf = roleArnOfKey(facts, aws);
  for (const [name, b] of bucketEntries(root, spec.bucket, 'aws_s3_bucket_server_side_encryption_configuration')) {
    for (const rule of asList(b.rule)) {
      const byDefault = asList(rule.apply_server_side_encryption_by_default)[0];
      if (byDefault?.sse_algorithm !== 'aws:kms' && byDefault?.sse_algorithm !== 'aws:kms:dsse') continue;
      const raw = byDefault.kms_master_key_id;
      if (raw === undefined || raw === null || raw === '') return undefined; // aws/s3: IAM alone decides
      const address = `aws_s3_bucket_server_side_encryption_configuration.${name}`;
      const k = resolveKmsKey(root, aws, roleArnOf, `${address}.kms_master_key_id`, raw, new Map(), 'alias/aws/s3');
      if (k.key) return { key: k.key };
      if (k.unknown) return { unknown: `${address} names ${k.unknown.value} (${k.unknown.why})`, address };
      return undefined;
    }
  }
  return undefined;
}

function bucketResources(root: TerraformRoot, bucket: string) {
  return (type: string): Record<string, unknown>[] => bucketEntries(root, bucket, type).map(([, b]) => b);
}

/** A bucket's policy as the proofs read it: compiled, absent, or present but unreadable (`problem`). */
interface BucketPolicy {
  policy?: CompiledPolicy;
  problem?: string;
  /** The resource that holds the policy (`aws_s3_bucket_policy.<name>`). */
  resource?: string;
  /**
   * The organization its conditions name (aws:PrincipalOrgID), as context for the fleet's own
   * requests: the proofs take the runners' account to be in it (the files cannot show that), and
   * say so (RF903, info).
   */
  org?: Record<string, string>;
}

/** The first organization id a policy's conditions name under aws:PrincipalOrgID (any operator), as a request context. */
function orgContext(doc: PolicyDocument): Record<string, string> | undefined {
  for (const st of asList(doc.Statement)) {
    for (const block of Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const [key, value] of Object.entries(block ?? {})) {
        const first: unknown = Array.isArray(value) ? value[0] : value;
        if (key.toLowerCase() === 'aws:principalorgid' && typeof first === 'string' && /^o-[a-z0-9]{10,32}$/.test(first)) return { 'aws:PrincipalOrgID': first };
      }
    }
  }
  return undefined;
}

/**
 * The compiled bucket policy, once per root and bucket (every runner's cache proof asks for it).
 * A policy that is no JSON or no IAM policy document the evaluator reads (a file the doctor was
 * given) is a problem to report, and proves nothing: the proofs go on as if there were none.
 */
function bucketPolicyOf(root: TerraformRoot, bucket: string): BucketPolicy {
  // Compiled once per bucket while the root is unchanged (verify/root-index.ts).
  const byBucket = rootTable(root, 's3-bucket-policies', () => new Map<string, BucketPolicy>());
  const hit = byBucket.get(bucket);
  if (hit) return hit;
  const [name, body] = bucketEntries(root, bucket, 'aws_s3_bucket_policy')[0] ?? [];
  let read: BucketPolicy = {};
  if (body) {
    try {
      if (typeof body.policy !== 'string') throw new PolicyGrammarError(`the policy is ${body.policy === undefined ? 'missing' : `a ${Array.isArray(body.policy) ? 'list' : typeof body.policy}, not a JSON text`}`);
      const compiled = compilePolicy(JSON.parse(body.policy) as PolicyDocument);
      // A bucket policy is a resource policy: every statement names a principal (S3 refuses one that does not).
      const kind = policyKindProblem(compiled, 'resource');
      if (kind !== undefined) throw new PolicyGrammarError(kind);
      const org = orgContext(compiled.source);
      read = { policy: compiled, resource: `aws_s3_bucket_policy.${name!}`, ...(org ? { org } : {}) };
    } catch (e) {
      if (!(e instanceof SyntaxError || e instanceof PolicyGrammarError)) throw e;
      read = { problem: e instanceof SyntaxError ? `it is not JSON (${e.message.split('\n')[0]!})` : e.message, resource: `aws_s3_bucket_policy.${name!}` };
    }
  }
  byBucket.set(bucket, read);
  return read;
}

/** Bucket actions that change who may reach the objects: whoever may do one can grant itself the cache. */
export const BUCKET_ACCESS_CONTROL_ACTIONS = ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketAcl', 's3:PutBucketPublicAccessBlock'] as const;

/** Object actions that read, overwrite or remove a runner's cache. */
const CACHE_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;
/** A key of the bucket no policy names literally (IAM takes no character above U+00FF): only a wildcard grant reaches it. */
const ANY_KEY = '\u2400';

/** The literal text of a pattern before its first wildcard (all of it without one). */
function literalStart(p: string): string {
  const i = p.search(/[*?]/);
  return i < 0 ? p : p.slice(0, i);
}

/** A plain glob test, as the evaluator matches Resource: `*` any characters, `?` one. */
function globMatches(pattern: string, s: string): boolean {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(s);
}

/**
 * The object keys to ask about for one role: a key no policy names (any wildcard grant on the
 * bucket's objects reaches it), and for each Allow Resource of the role that names part of the
 * bucket (`<bucket>/build/*`, `<bucket-prefix>*\/build/*`) one key it covers. As many as the role's
 * statements, whatever the fleet's size; the evaluator then decides each with every statement.
 */
function probeKeys(role: RoleFacts, arn: string): string[] {
  const keys = new Set<string>([ANY_KEY]);
  for (const doc of role.policies) {
    for (const st of asStatements(doc)) {
      if (st.Effect !== 'Allow') continue;
      for (const p of typeof st.Resource === 'string' ? [st.Resource] : Array.isArray(st.Resource) ? st.Resource : []) {
        if (typeof p !== 'string') continue;
        const literal = literalStart(p);
        let key: string | undefined;
        if (literal.startsWith(`${arn}/`)) key = p.slice(arn.length + 1);
        else if (`${arn}/`.startsWith(literal) && literal.length < p.length) {
          // A wildcard within the bucket's name: what follows its first `/` is the key part.
          const rest = p.slice(literal.length);
          const slash = rest.indexOf('/');
          key = slash < 0 ? undefined : rest.slice(slash + 1);
        }
        if (key === undefined) continue;
        const concrete = key.replace(/[*?]/g, 'x');
        if (globMatches(p, `${arn}/${concrete}`)) keys.add(concrete);
      }
    }
  }
  return [...keys];
}

function asStatements(doc: PolicyDocument | undefined): Statement[] {
  const st = doc?.Statement;
  return (st === undefined ? [] : Array.isArray(st) ? st : [st]).filter((x): x is Statement => x !== null && typeof x === 'object');
}

/** How messages show a probe key. */
const shownKey = (k: string) => (k === ANY_KEY ? 'any key' : k);

/**
 * GitLab ID-token roles (cloud aws) whose policies reach the cache bucket: any pipeline that can
 * get the ID token reads (and with most such grants overwrites) the cache of every runner that
 * uses the bucket, from any runner or none — and a poisoned cache runs in the next job of every
 * project that restores it. Never needed: pipelines use the cache through their runner, whose
 * manager signs presigned URLs, and a pipeline that stores objects of its own needs a bucket of its
 * own. So RF203 at the role (the S3 twin of the Azure RF608), which no acceptRisks entry covers.
 * Each role is asked a constant number of questions (its own probe keys, the bucket, the
 * access-control actions), whatever the fleet's size; a role whose policies are not all shown and
 * is not found reaching is RF903.
 */
function idTokensOverCache(docs: FleetDocuments, fleet: FleetIntent, cache: ResolvedCache): Finding[] {
  const roles = (fleet.idTokens?.roles ?? []).filter((r) => r.cloud === 'aws');
  const facts = roles.length > 0 ? awsFacts(docs) : undefined;
  if (!facts || !fleet.aws) return [];
  const spec = specOf(cache);
  const partition = fleet.aws.partition;
  const arn = bucketArn(partition, spec.bucket);
  const bucketPolicy = spec.create ? bucketPolicyOf(facts.root, spec.bucket) : undefined;
  const policy = bucketPolicy?.policy;
  // Through the VPC endpoint, as a pipeline on one of the fleet's own runners comes.
  const context: Record<string, string> = { 'aws:SecureTransport': 'true', ...(spec.vpcEndpointIds ? { 'aws:SourceVpce': spec.vpcEndpointIds[0]! } : {}), ...bucketPolicy?.org };
  const out: Finding[] = [];
  for (const r of roles) {
    const role = facts.roles.get(r.roleName);
    if (!role) continue; // RF120 says the role is missing.
    const caller = preparedRoleRequest(role, roleArn(partition, fleet.aws.accountId, role.path, role.name), 's3:GetObject', arn, context);
    const policies: PolicySet = { identity: role.policiesCompiled, resource: policy ? [policy] : [] };
    // Tags of the role the policies test whose value is not shown: each request is decided over every
    // value of them (decisionOverTags). Allowed whatever they are is a reach; one that turns on them is
    // neither a reach nor proof of none (RF903 below).
    const unshownTags = unshownPrincipalTags(role, policy ? [...role.policiesCompiled, policy] : role.policiesCompiled);
    const tagSet = new Set(unshownTags);
    const decide = (action: string, resource: string, extra?: Record<string, string>): 'allow' | 'deny' | 'either' => {
      if (tagSet.size > 0) return decisionOverTagsFor(policies, caller, action, resource, extra, tagSet);
      return evaluatePoliciesFor(policies, caller, action, resource, extra) === 'allow' ? 'allow' : 'deny';
    };
    const keys = probeKeys(role, arn);
    const reach: string[] = [];
    const turning: string[] = [];
    // Of requests that reach the same thing, the first allowed (a reach), else the first that turns on the tags.
    const firstOf = <T>(asked: readonly T[], decideOne: (x: T) => 'allow' | 'deny' | 'either', shown: (x: T) => string) => {
      let turn: string | undefined;
      for (const x of asked) {
        const d = decideOne(x);
        if (d === 'allow') {
          reach.push(shown(x));
          return;
        }
        if (d === 'either') turn ??= shown(x);
      }
      if (turn !== undefined) turning.push(turn);
    };
    for (const action of CACHE_OBJECT_ACTIONS) firstOf(keys, (key) => decide(action, `${arn}/${key}`), (key) => `${action} on ${shownKey(key)}`);
    firstOf([undefined, ...keys], (key) => decide('s3:ListBucket', arn, key === undefined ? undefined : { 's3:prefix': key }), (key) => `s3:ListBucket${key === undefined ? '' : ` of prefix ${shownKey(key)}`}`);
    for (const action of BUCKET_ACCESS_CONTROL_ACTIONS) firstOf([action], (a) => decide(a, arn), (a) => `${a} (and with it any object)`);
    const path = /^idTokens\.roles\[\d+\]$/.test(r.path) ? `${r.path}.permissions.aws` : r.path;
    const who = `ID-token role ${role.name} (aws_iam_role.${role.key})`;
    const readsOnly = (asked: readonly string[]) => asked.every((x) => x.startsWith('s3:GetObject') || x.startsWith('s3:ListBucket'));
    if (reach.length > 0) {
      out.push(finding('RF203', path, `pipelines that get ${who} can ${reach.join(', ')} in cache bucket ${spec.bucket}: any of them can read${readsOnly(reach) ? '' : ' and overwrite'} the cache of every runner that uses it, whichever runner runs them; runner managers give jobs presigned URLs for the cache, so no pipeline needs a grant on it`, {
        received: reach.join(', '),
        allowed: 'no grant on the cache bucket; its runners\' managers only',
        fix: `narrow the Resource of the S3 grants of ${who} so it covers neither ${arn} nor ${arn}/*; pipelines use the cache through their runner (cache: in .gitlab-ci.yml), and a pipeline that stores objects of its own needs a bucket of its own`,
      }));
    } else if (role.unknownPolicies.length > 0) {
      const unknown = role.unknownPolicies.map((p) => p.arn);
      out.push(finding('RF903', path, `whether pipelines that get ${who} can reach cache bucket ${spec.bucket} is not shown: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the documents as a readable policy`, { fix: 'make the policy statically known (literal values, or references the doctor resolves), or give `terraform show -json` of a plan' }));
    } else if (turning.length > 0) {
      out.push(unshownTagsFinding(path, role, `can ${turning.join(', ')} in cache bucket ${spec.bucket} (an ID-token role: every pipeline that gets it could read${readsOnly(turning) ? '' : ' and overwrite'} the cache of every runner that uses the bucket)`, unshownTags, tagsTestedBy(role, unshownTags, bucketPolicy)));
    }
  }
  return out;
}

/** The document whose conditions test one of the caller's tag keys `keys`: the bucket policy first, else the first of the role's. */
function tagsTestedBy(role: RoleFacts, keys: readonly string[], bucketPolicy: BucketPolicy | undefined): string | undefined {
  const policy = bucketPolicy?.policy;
  return policy !== undefined && bucketPolicy?.resource !== undefined && keys.some((k) => policy.principalTagKeys.has(k)) ? `${bucketPolicy.resource}.policy` : role.policiesVia[role.policiesCompiled.findIndex((p) => keys.some((k) => p.principalTagKeys.has(k)))];
}

/** Probes: object keys and list prefixes that must (or must not) be reachable. */
/** What a runner's manager may do to every object key outside its prefix (leak probes), and to the bucket itself. */
const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;
const BUCKET_ACTIONS = ['s3:DeleteBucket', 's3:PutBucketPolicy', 's3:PutLifecycleConfiguration'] as const;

/** A request a runner's cache proof asks (its action, resource and added context), and how a message shows it. */
interface Probe {
  /** How a message shows it, or (a leak probe) what it is on: `<action> on <on>`, made only for a message (shownProbe). */
  readonly shown?: string;
  readonly on?: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string> | undefined;
}

/** A role's request to the bucket, normalised once (each probe derives its action, resource and added context from it), and the policy sets that decide it. */
interface RoleCaller {
  readonly accountId: string;
  readonly caller: PreparedRequest;
  /** The role's own policies and the bucket policy. */
  readonly policies: PolicySet;
  /** The role's own policies alone. */
  readonly identity: PolicySet;
}

type CacheKey = ReturnType<typeof cacheKeyOf>;

/**
 * What every runner's cache proof of one bucket reads that does not depend on the runner: the
 * bucket's ARN and policy, the context its requests carry, the probes of the bucket itself and of
 * each cache path in it, each role's normalised request, the key that encrypts the bucket (per
 * account). Made at a fleet's first runner of the cache and read by the others while the fleet, its
 * documents and their root are unchanged; where each runner's proof made its own, they were 12 MB
 * of closures, maps and arrays at 1,000 runners. These are inputs only: every runner is still
 * proved on its own (stop 50), each request of it asked and decided.
 */
interface BucketInputs {
  readonly fleet: FleetIntent;
  readonly facts: AwsFacts;
  readonly partition: string;
  readonly arn: string;
  readonly bucketPolicy: BucketPolicy | undefined;
  readonly policy: CompiledPolicy | undefined;
  /** The bucket policy as a policy set's resource policies (none where there is none). */
  readonly resourcePolicies: readonly CompiledPolicy[];
  /** With VPC endpoints in the bucket policy, requests come through the first of them (as in the VPC). */
  readonly viaEndpoint: Record<string, string>;
  /** The context of the roles' requests: over TLS, through the endpoint, in the organization the bucket policy names. */
  readonly context: Record<string, string>;
  /** The bucket's own actions a manager must not have (leak probes). */
  readonly bucketProbes: readonly Probe[];
  /** The access-control actions the jobs must not have. */
  readonly accessControlProbes: readonly Probe[];
  /** The leak probes of the other cache paths asked about, by path (a runner's neighbours are its neighbours' too). */
  readonly pathProbes: Map<string, readonly Probe[]>;
  readonly callers: Map<RoleFacts, RoleCaller>;
  /** The account the key is resolved in and the key (cacheKeyOf), by account id. */
  readonly keys: Map<string, { account: KmsAccount; key: CacheKey }>;
}

function bucketInputs(facts: AwsFacts, fleet: FleetIntent, cache: ResolvedCache, spec: S3CacheSpec): BucketInputs {
  // While the root is unchanged (verify/root-index.ts): the doctor rewrites its roots while it reads them.
  const byCache = rootTable(facts.root, 's3-runner-cache-inputs', () => new WeakMap<ResolvedCache, BucketInputs>());
  const hit = byCache.get(cache);
  if (hit !== undefined && hit.fleet === fleet && hit.facts === facts) return hit;
  const partition = fleet.aws?.partition ?? 'aws';
  const arn = bucketArn(partition, spec.bucket);
  const bucketPolicy = spec.create ? bucketPolicyOf(facts.root, spec.bucket) : undefined;
  const policy = bucketPolicy?.policy;
  const viaEndpoint: Record<string, string> = spec.vpcEndpointIds ? { 'aws:SourceVpce': spec.vpcEndpointIds[0]! } : {};
  const made: BucketInputs = {
    fleet,
    facts,
    partition,
    arn,
    bucketPolicy,
    policy,
    resourcePolicies: policy ? [policy] : [],
    viaEndpoint,
    context: { 'aws:SecureTransport': 'true', ...viaEndpoint, ...bucketPolicy?.org },
    bucketProbes: BUCKET_ACTIONS.map((action) => ({ on: 'the bucket', action, resource: arn, context: undefined })),
    // Rewriting the bucket policy or ACL reaches the objects one step later.
    accessControlProbes: BUCKET_ACCESS_CONTROL_ACTIONS.map((action) => ({ shown: `${action} (and with it any object)`, action, resource: arn, context: undefined })),
    pathProbes: new Map(),
    callers: new Map(),
    keys: new Map(),
  };
  byCache.set(cache, made);
  return made;
}

/** The leak probes of another path: each object action on a key under it, and listing it. Kept for the runners whose neighbour it is too, where `keep`. */
function pathProbes(b: BucketInputs, other: string, keep: boolean): readonly Probe[] {
  const hit = b.pathProbes.get(other);
  if (hit !== undefined) return hit;
  const objectKey = other === '' ? 'probe' : `${other}/probe`;
  const resource = `${b.arn}/${objectKey}`;
  const made: Probe[] = [];
  for (let a = 0; a < OBJECT_ACTIONS.length; a++) made.push({ on: objectKey, action: OBJECT_ACTIONS[a]!, resource, context: undefined });
  made.push({ action: 's3:ListBucket', resource: b.arn, context: { 's3:prefix': other } });
  if (keep) b.pathProbes.set(other, made);
  return made;
}

/** The role's normalised request in the runner's account, made once per role and account. */
function roleCaller(b: BucketInputs, role: RoleFacts, accountId: string): RoleCaller {
  const hit = b.callers.get(role);
  if (hit !== undefined && hit.accountId === accountId) return hit;
  // The action and resource are the first probe's; every probe derives its own.
  const made: RoleCaller = {
    accountId,
    caller: preparedRoleRequest(role, roleArn(b.partition, accountId, role.path, role.name), 's3:GetObject', `${b.arn}/probe`, b.context),
    policies: { identity: role.policiesCompiled, resource: b.resourcePolicies },
    identity: { identity: role.policiesCompiled },
  };
  b.callers.set(role, made);
  return made;
}

/** The key that encrypts the bucket (cacheKeyOf) for a runner of the account, and that account. */
function bucketKey(b: BucketInputs, spec: S3CacheSpec, aws: NonNullable<FleetIntent['aws']>, accountId: string): { account: KmsAccount; key: CacheKey } {
  const hit = b.keys.get(accountId);
  if (hit !== undefined) return hit;
  const account: KmsAccount = { partition: b.partition, region: spec.region ?? aws.region, accountId };
  const made = { account, key: cacheKeyOf(b.facts, spec, account) };
  b.keys.set(accountId, made);
  return made;
}

/** How a message shows a probe: as given, an action on an object key or the bucket, or listing a prefix. */
function shownProbe(p: Probe): string {
  return p.shown ?? (p.on !== undefined ? `${p.action} on ${p.on}` : `${p.action} of prefix "${p.context?.['s3:prefix'] ?? ''}"`);
}

/** Whether the role's policies and the bucket policy allow the request. */
function decideAs(rc: RoleCaller, action: string, resource: string, context: Record<string, string> | undefined): Decision {
  return evaluatePoliciesFor(rc.policies, rc.caller, action, resource, context);
}

/**
 * The bucket policy, where it alone grants the role the requests (the role's own policies allow none
 * of them: an Allow to Principal "*" or to the organization): the edit is there, not at the role.
 */
function grantedByBucket(b: BucketInputs, rc: RoleCaller, requests: readonly FindingRequest[]): string | undefined {
  const resource = b.bucketPolicy?.resource;
  if (resource === undefined || requests.length === 0) return undefined;
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    if (evaluatePoliciesFor(rc.identity, rc.caller, r.action, r.resource, r.context) === 'allow') return undefined;
  }
  return resource;
}

type Asked = readonly (readonly [string, string, Record<string, string>?])[];

/**
 * What the requests (asked of the role as decideAs asks them) come to over every value of its tags
 * `keys` that the documents do not show: only where that turns on them is the answer "not shown".
 */
function overTags(rc: RoleCaller, keys: readonly string[], policies: PolicySet, requests: Asked): ('allow' | 'deny' | 'either')[] {
  const set = new Set(keys);
  return requests.map(([a, r, c]) => decisionOverTagsFor(policies, rc.caller, a, r, c, set));
}

/** The document one of whose statements turns one of the requests on those tags (matches for some of their values only). */
function turnedBy(b: BucketInputs, rc: RoleCaller, role: RoleFacts, keys: readonly string[], requests: Asked): string | undefined {
  const set = new Set(keys);
  const policy = b.policy;
  const docs: [PolicySet, string | undefined][] = [...role.policiesCompiled.map((p, i): [PolicySet, string | undefined] => [{ identity: [p] }, role.policiesVia[i]]), ...(policy !== undefined && b.bucketPolicy?.resource !== undefined ? [[{ resource: [policy] }, `${b.bucketPolicy.resource}.policy`] as [PolicySet, string]] : [])];
  return docs.find(([one]) => requests.some(([a, r, c]) => Object.values(matchesOverTagsFor(one, rc.caller, a, r, c, set)).includes('maybe')))?.[1];
}

/** A manager's leak probes found allowed, and those that turn on its tags not shown. */
interface Leaks {
  readonly leaks: string[];
  /** The requests allowed, as asked: the doctor finds the policy that grants them (the finding's subject). */
  readonly leaked: FindingRequest[];
  readonly turningLeaks: string[];
  readonly turningAsked: [string, string, Record<string, string>?][];
}

/**
 * Asks one leak probe of the manager. Where tags the policies test are not shown, its answer over
 * every value of them: one that turns on them is neither a leak nor proof of none (RF903).
 */
function askLeak(b: BucketInputs, mc: RoleCaller, unshownTags: readonly string[], p: Probe, out: Leaks): void {
  const over = unshownTags.length > 0 ? overTags(mc, unshownTags, mc.policies, [[p.action, p.resource, p.context]])[0] : undefined;
  if (over === 'either') {
    out.turningLeaks.push(shownProbe(p));
    out.turningAsked.push([p.action, p.resource, p.context]);
  }
  if (over !== undefined ? over !== 'allow' : decideAs(mc, p.action, p.resource, p.context) !== 'allow') return;
  out.leaks.push(shownProbe(p));
  out.leaked.push({ action: p.action, resource: p.resource, context: { 'aws:SecureTransport': 'true', ...b.viaEndpoint, ...p.context } });
}

function proveRunnerCache(docs: FleetDocuments, fleet: FleetIntent, cache: ResolvedCache, runner: IntentRunner, runnerPath: string): Finding[] {
  const facts = awsFacts(docs);
  const ref = runner.cache;
  if (!facts || !ref) return [];
  const spec = specOf(cache);
  const b = bucketInputs(facts, fleet, cache, spec);
  const { partition, arn, bucketPolicy, policy } = b;
  // The runner's own account (runnerAws: the doctor's deployments of several roots in several accounts): its roles' and its key's.
  const own = fleet.aws ? runnerAws(fleet, runner) : undefined;
  const accountId = own?.accountId ?? '';
  const out: Finding[] = [];
  const manager = facts.roles.get(identityOf(fleet, runner.managerIdentity).roleName);
  const jobIdentity = jobIdentityOf(fleet, runner);
  const jobs = jobIdentity ? facts.roles.get(jobIdentity.roleName) : undefined;
  const cachePath = `${runnerPath}.cache`;
  // An object key of the runner's cache (GitLab Runner joins Path and the key; no Path, no prefix).
  const ownKey = ref.path === '' ? 'project/1/probe' : `${ref.path}/project/1/probe`;
  const ownObject = `${arn}/${ownKey}`;

  if (!manager) {
    out.push(finding('RF201', cachePath, `the manager role of runner ${runner.name} is missing from terraform/aws/main.tf.json`, { fix: 'regenerate; this is a bug if it persists', deploymentFix: `give the Terraform of the manager role of runner ${runner.name}` }));
  } else {
    const mc = roleCaller(b, manager, accountId);
    const must: [string, string, Record<string, string>?][] = [
      ['s3:GetObject', ownObject],
      ['s3:PutObject', ownObject],
      ['s3:ListBucket', arn, { 's3:prefix': ownKey }],
    ];
    // Index loops and element reads, not for-of or destructuring, in this per-runner proof: before V8
    // optimises it, each of those allocates an iterator result per element (5.8 MB at 1,000 Fargate runners).
    const s3Allowed: boolean[] = [];
    let allAllowed = true;
    for (let i = 0; i < must.length; i++) {
      const allowed = decideAs(mc, must[i]![0], must[i]![1], must[i]![2]) === 'allow';
      s3Allowed.push(allowed);
      if (!allowed) allAllowed = false;
    }
    const kmsAsked: [string, string, Record<string, string>][] = [];
    const kmsAllowed: boolean[] = [];
    // How messages show the key's ARN, where the bucket's encryption names it.
    let kmsLabel: string | undefined;
    // The key, where its key policy is read: what mayUseKey asked.
    let usedKey: KmsKey | undefined;
    // SSE-KMS with a customer-managed key: S3 asks KMS for a data key on every upload and to
    // decrypt on every download, with the caller's permissions (through S3: kms:ViaService), which
    // the key policy must let IAM grant, or grant itself (mayUseKey).
    const { account, key } = fleet.aws ? bucketKey(b, spec, fleet.aws, own!.accountId) : { account: undefined, key: undefined };
    if (key !== undefined && 'key' in key) {
      const k = key.key;
      const via = { 'kms:ViaService': `s3.${account.region}.amazonaws.com` };
      kmsLabel = `the key that encrypts the bucket (${k.label})`;
      if (k.policyUnknown !== undefined) {
        out.push(finding('RF903', cachePath, `whether role ${manager.name} may use the KMS key that encrypts bucket ${spec.bucket} (${k.label}) is not shown: its key policy is not (${k.policyUnknown}), and KMS counts IAM grants only where the key policy lets it`, { fix: 'give the key policy as a literal JSON document (aws_kms_key.policy or aws_kms_key_policy), or `terraform show -json` of a plan', ...(k.policyAddress !== undefined ? { subject: { kind: 'resource' as const, address: k.policyAddress } } : {}) }));
      } else {
        usedKey = k;
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          kmsAsked.push([action, k.arn, via]);
          const allowed = mayUseKey(account, mc.caller, mc.identity, k, action, via) !== undefined;
          kmsAllowed.push(allowed);
          if (!allowed) allAllowed = false;
        }
      }
    } else if (key !== undefined) {
      out.push(finding('RF903', cachePath, `whether role ${manager.name} may use the KMS key that encrypts bucket ${spec.bucket} is not shown: ${key.unknown}`, { fix: 'name the key by its ARN or as aws_kms_key.<name>.arn of the files given', subject: { kind: 'resource', address: key.address } }));
    }
    // Tags of the role the policies test (aws:PrincipalTag/<key>) whose value is not shown: the requests were asked
    // without them. Each request's answer over every value of those tags (decisionOverTags): one that
    // turns on them is neither "can" nor "cannot" (a negated operator holds for an absent key); one
    // refused whatever they are is refused.
    // The key policy's tests count too: KMS decides by it and the role's policies together (mayUseKeyOverTags).
    const keyPolicy = usedKey?.policy?.full;
    const unshownTags = manager.unknownTags.size > 0 ? unshownPrincipalTags(manager, [...manager.policiesCompiled, ...(policy ? [policy] : []), ...(keyPolicy ? [keyPolicy] : [])]) : [];
    // Every request allowed and no tag not shown: nothing to say of the manager's own cache.
    if (!allAllowed || unshownTags.length > 0) {
      const tagSet = new Set(unshownTags);
      const s3Over = unshownTags.length > 0 ? overTags(mc, unshownTags, mc.policies, must) : undefined;
      const kmsOver = unshownTags.length > 0 && usedKey !== undefined ? kmsAsked.map(([a, , c]) => mayUseKeyOverTags(account!, mc.caller, mc.identity, usedKey, a, c, tagSet)) : undefined;
      const kmsShown = (r: string) => kmsLabel ?? r;
      // What the role's own policies answer the KMS requests (over the tags not shown, if any).
      const kmsByIam = kmsAsked.map(([a, r, c]) => decisionOverTagsFor(mc.identity, mc.caller, a, r, c, tagSet));
      // Refused although the role's own policies allow it (or may, by a tag not shown): the key policy
      // neither lets IAM decide nor grants the role, so what to change is the key policy.
      const keyRefusing = kmsAsked.map((_, i) => usedKey?.policy !== undefined && !kmsAllowed[i] && kmsOver?.[i] !== 'either' && kmsByIam[i] !== 'deny');
      const keyPolicyRefuses = keyRefusing.some(Boolean) ? usedKey!.policyAddress ?? usedKey!.label : undefined;
      const iamAllows = keyRefusing.some((x, i) => x && kmsByIam[i] === 'either') ? `its own policies allow it for some values of aws:PrincipalTag/${unshownTags.join(', aws:PrincipalTag/')}` : 'its own policies allow it';
      const s3Refused = must.filter((_, i) => !s3Allowed[i] && s3Over?.[i] !== 'either');
      const kmsRefused = kmsAsked.filter((_, i) => !kmsAllowed[i] && kmsOver?.[i] !== 'either');
      const s3Missing = s3Refused.map(([a, r]) => `${a} on ${r}`);
      const kmsMissing = kmsRefused.map(([a, r]) => `${a} on ${kmsShown(r)}`);
      const missing = [...s3Missing, ...kmsMissing];
      const turning = [...must.filter((_, i) => !s3Allowed[i] && s3Over?.[i] === 'either').map(([a, r]) => `${a} on ${r}`), ...kmsAsked.filter((_, i) => !kmsAllowed[i] && kmsOver?.[i] === 'either').map(([a, r]) => `${a} on ${kmsShown(r)}`)];
      const allowedTurns = [...(s3Over ?? []).filter((d, i) => s3Allowed[i] && d === 'either'), ...(kmsOver ?? []).filter((d, i) => kmsAllowed[i] && d === 'either')].length > 0;
      if ((missing.length > 0 || turning.length > 0) && manager.unknownPolicies.length > 0) {
        // A policy of the role is not in the documents: what it may do is not shown, which is not "cannot".
        const unknown = manager.unknownPolicies.map((p) => p.arn);
        out.push(finding('RF903', cachePath, `whether role ${manager.name} can ${[...missing, ...turning].join(', ')} is not shown: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the documents as a readable policy`, { fix: 'make the policy statically known (literal values, or references the doctor resolves), or give `terraform show -json` of a plan' }));
      } else {
        if (turning.length > 0 || allowedTurns) out.push(unshownTagsFinding(cachePath, manager, turning.length > 0 ? `can ${turning.join(', ')}` : `can read and write its cache in bucket ${spec.bucket}`, unshownTags, tagsTestedBy(manager, unshownTags, bucketPolicy) ?? (keyPolicy !== undefined && unshownTags.some((k) => keyPolicy.principalTagKeys.has(k)) ? `${usedKey!.policyAddress ?? usedKey!.label}.policy` : undefined)));
        if (missing.length > 0) {
          // Allowed by the role's own policies and refused only by a Deny of the bucket policy: the bucket policy is what to fix.
          const deniedBy = policy !== undefined && s3Missing.length > 0 && kmsMissing.length === 0 && s3Refused.every(([a, r, c]) => decideAs(mc, a, r, c) !== 'implicit-deny' && evaluatePoliciesFor(mc.identity, mc.caller, a, r, c) === 'allow') ? bucketPolicy?.resource : undefined;
          out.push(
            deniedBy !== undefined
              ? finding('RF201', cachePath, `role ${manager.name} cannot ${missing.join(', ')}: its own policies allow it, and a Deny of the bucket policy (${deniedBy}) refuses it`, { fix: `make the Deny of ${deniedBy} spare the manager role ${manager.name} (${denyTagAdvice(manager, [...new Set(s3Refused.flatMap(([a, r, c]) => [...(policy?.refusingPrincipalTagKeys(mc.caller.derive(a, r, c)) ?? [])]))].sort())}); the manager signs cache URLs and needs GetObject/PutObject/ListBucket under its prefix`, subject: { kind: 'resource', address: `${deniedBy}.policy` } })
              : keyPolicyRefuses !== undefined && s3Missing.length === 0
                ? finding('RF201', cachePath, `role ${manager.name} cannot ${missing.join(', ')}: ${iamAllows}, but the key policy of ${keyPolicyRefuses} neither grants the role nor lets IAM grant it (${usedKey?.policy?.account !== undefined ? 'its statements for the account leave this request out, by their actions or conditions' : 'no statement allows the account'}), and the bucket encrypts new objects with that key (SSE-KMS), so S3 refuses the manager every cache upload and download`, { fix: `let the key policy of ${keyPolicyRefuses} allow the manager role ${manager.name} kms:GenerateDataKey and kms:Decrypt, or ${usedKey?.policy?.account !== undefined ? 'make its statement for the account' : 'allow the account'} (arn:${partition}:iam::${own?.accountId ?? '<account>'}:root)${usedKey?.policy?.account !== undefined ? ' admit the role by its actions and conditions' : ''}, so the role's own grant counts`, ...(keyPolicyRefuses.startsWith('aws_kms_key') ? { subject: { kind: 'resource' as const, address: `${keyPolicyRefuses}.policy` } } : {}) })
                : finding('RF201', cachePath, `role ${manager.name} cannot ${missing.join(', ')}${kmsMissing.length > 0 ? ': the bucket encrypts new objects with that key (SSE-KMS), so S3 refuses the manager every cache upload and download' : ''}`, { fix: `the manager signs cache URLs and needs GetObject/PutObject/ListBucket under its prefix${kmsMissing.length > 0 ? `, and kms:GenerateDataKey and kms:Decrypt on the key that encrypts the bucket${keyPolicyRefuses !== undefined ? ` (whose key policy, ${keyPolicyRefuses}, must also grant the role or allow the account)` : ''}` : ''}` }),
          );
        }
      }
    }
    const neighbours = neighbourPaths(fleet, ref);
    // A runner whose cache has no Path (a config.toml the doctor read) owns the bucket's keys: only
    // other runners' paths in it are outside. Asked in sorted order, each once.
    const others: string[] = ref.path === '' ? [] : [`${ref.path}-other`, `${ref.path}x`, 'other-prefix', ''];
    const made = others.length;
    for (let i = 0; i < neighbours.length; i++) others.push(neighbours[i]!);
    others.sort();
    const found: Leaks = { leaks: [], leaked: [], turningLeaks: [], turningAsked: [] };
    for (let o = 0; o < others.length; o++) {
      const other = others[o]!;
      if (o > 0 && other === others[o - 1]) continue;
      // The paths made from this runner's own are asked by it alone; the others are kept for the runners that ask them too.
      const probes = pathProbes(b, other, made === 0 || (other !== `${ref.path}-other` && other !== `${ref.path}x`));
      for (let p = 0; p < probes.length; p++) askLeak(b, mc, unshownTags, probes[p]!, found);
    }
    for (let p = 0; p < b.bucketProbes.length; p++) askLeak(b, mc, unshownTags, b.bucketProbes[p]!, found);
    const { leaks, leaked, turningLeaks, turningAsked } = found;
    if (leaks.length > 0) {
      // Another runner's path inside this one (build and build/deploy): every grant on build/ covers
      // it, so the fix is in the spec's paths, not in the grant.
      const nested = neighbours.filter((other) => other.startsWith(`${ref.path}/`));
      const fix = nested.length > 0
        ? `another runner's cache path (${nested.slice(0, 3).join(', ')}) lies inside ${ref.path}/, so a grant on ${ref.path}/ covers it: give each runner a cache.path that is not inside another's (build and deploy, not build and build/deploy)`
        : `grant the manager only its own prefix${leaks.some((l) => l.startsWith('s3:ListBucket')) ? `: s3:ListBucket only with the condition StringLike s3:prefix = ["${ref.path}/*", "${ref.path}"]` : ''}`;
      const doc = ref.path === '' || nested.length > 0 ? undefined : grantedByBucket(b, mc, leaked);
      if (ref.path === '') {
        out.push(finding('RF202', cachePath, `role ${manager.name} reaches other runners' cache paths in bucket ${spec.bucket} (${neighbours.slice(0, 3).join(', ')}): ${leaks.join(', ')}; its own cache has no Path, so its keys are anywhere in the bucket`, { fix: 'give every runner of the bucket its own [runners.cache] Path, and grant each manager only its own prefix', subject: { kind: 'grant', role: manager.name, requests: leaked } }));
      } else if (doc !== undefined) {
        out.push(finding('RF202', cachePath, `role ${manager.name} reaches outside ${ref.path}/: ${leaks.join(', ')}; the bucket policy (${doc}) grants it, not the role's own policies`, { fix: `narrow the Allow statements of ${doc} so they grant no principal beyond what the role's own policies allow (the manager needs only ${ref.path}/)`, subject: { kind: 'resource', address: `${doc}.policy` } }));
      } else out.push(finding('RF202', cachePath, `role ${manager.name} reaches outside ${ref.path}/: ${leaks.join(', ')}`, { fix, ...(nested.length > 0 ? {} : { subject: { kind: 'grant', role: manager.name, requests: leaked } }) }));
    }
    if (turningLeaks.length > 0) {
      const doc = turnedBy(b, mc, manager, unshownTags, turningAsked);
      out.push(unshownTagsFinding(cachePath, manager, `reaches ${ref.path === '' ? 'other runners\' cache paths' : `outside ${ref.path}/`} (${turningLeaks.join(', ')}${doc !== undefined ? `, which ${doc.replace(/\.policy$/, '')} decides by aws:PrincipalTag/${unshownTags.join(', aws:PrincipalTag/')}` : ''})`, unshownTags, doc ?? tagsTestedBy(manager, unshownTags, bucketPolicy)));
    }
  }
  if (jobs) {
    const jc = roleCaller(b, jobs, accountId);
    const reach: string[] = [];
    // The requests allowed, as asked: the doctor finds the policy that grants them (the finding's subject).
    const allowed: FindingRequest[] = [];
    // The object actions on a key of the runner's cache, listing its path, then the access-control actions.
    const ownProbes: Probe[] = [];
    for (let a = 0; a < CACHE_OBJECT_ACTIONS.length; a++) ownProbes.push({ shown: CACHE_OBJECT_ACTIONS[a]!, action: CACHE_OBJECT_ACTIONS[a]!, resource: ownObject, context: undefined });
    ownProbes.push({ shown: 's3:ListBucket', action: 's3:ListBucket', resource: arn, context: { 's3:prefix': ref.path } });
    for (let i = 0; i < ownProbes.length + b.accessControlProbes.length; i++) {
      const p = i < ownProbes.length ? ownProbes[i]! : b.accessControlProbes[i - ownProbes.length]!;
      if (decideAs(jc, p.action, p.resource, p.context) !== 'allow') continue;
      reach.push(shownProbe(p));
      allowed.push({ action: p.action, resource: p.resource, context: { 'aws:SecureTransport': 'true', ...b.viaEndpoint, ...p.context } });
    }
    if (reach.length > 0) {
      const granted = runner.spec.jobs.permissions.aws.some((s) => s.resources.some((r) => r.startsWith(arn)));
      // Jobs that hold the manager's own role: the edit is the jobs' identity (RF105), not the manager's grant.
      const doc = jobs !== manager ? grantedByBucket(b, jc, allowed) : undefined;
      const subject = doc !== undefined ? { subject: { kind: 'resource' as const, address: `${doc}.policy` } } : jobs !== manager ? { subject: { kind: 'grant' as const, role: jobs.name, requests: allowed } } : {};
      const f = doc !== undefined
        ? finding('RF203', `${runnerPath}.jobs.permissions.aws`, `job role ${jobs.name} can ${reach.join(', ')} in cache bucket ${spec.bucket}: the bucket policy (${doc}) grants it, not the role's own policies; jobs only need the presigned URLs the manager gives them`, { fix: `narrow the Allow statements of ${doc} to the runner managers' roles (name their ARNs) so they grant jobs nothing`, ...subject })
        : finding('RF203', `${runnerPath}.jobs.permissions.aws`, `job role ${jobs.name} can ${reach.join(', ')} in cache bucket ${spec.bucket}; jobs only need the presigned URLs the manager gives them`, { fix: `remove the grant on ${arn} from the job permissions`, ...subject });
      if (granted) {
        f.severity = 'warning';
        f.acceptedBecause = 'the spec grants the job role this bucket explicitly';
      }
      out.push(f);
    } else if (jobs.unknownTags.size > 0) {
      const unshownTags = unshownPrincipalTags(jobs, policy ? [...jobs.policiesCompiled, policy] : jobs.policiesCompiled);
      // Not shown only where some value of those tags could let the jobs in: a Deny only takes away.
      const couldReach = unshownTags.length > 0 && overTags(jc, unshownTags, jc.policies, [...ownProbes, ...b.accessControlProbes].map((p) => [p.action, p.resource, p.context] as const)).some((d) => d !== 'deny');
      if (couldReach) out.push(unshownTagsFinding(`${runnerPath}.jobs.permissions.aws`, jobs, `can reach cache bucket ${spec.bucket}`, unshownTags, tagsTestedBy(jobs, unshownTags, bucketPolicy)));
    }
  }
  return out;
}

/**
 * What to change so a Deny keyed on the caller's tags (`keys`, lower-cased) spares `role`: a tag of the
 * role, or, for a session tag EKS Pod Identity sets (which overrides the role's own), the condition.
 */
function denyTagAdvice(role: RoleFacts, keys: readonly string[]): string {
  if (keys.length === 0) return 'for example name its ARN in the aws:PrincipalArn condition';
  const session = keys.filter((k) => role.sessionTagKeys?.has(k) === true);
  const own = keys.filter((k) => role.sessionTagKeys?.has(k) !== true);
  const shown = (k: string) => Object.entries(role.tags).find(([t]) => t.toLowerCase() === k);
  const parts: string[] = [];
  if (own.length > 0) parts.push(`its condition tests ${own.map((k) => `aws:PrincipalTag/${k}`).join(', ')}: give the role that tag with the value the condition expects`);
  if (session.length > 0) {
    const values = session.map((k) => shown(k)).filter((t) => t !== undefined).map(([k, v]) => `${k} = ${v}`);
    parts.push(`its condition tests ${session.map((k) => `aws:PrincipalTag/${k}`).join(', ')}, which EKS Pod Identity sets in the role's sessions from ${(role.sessionVia ?? []).join(', ')}${values.length > 0 ? ` (${values.join(', ')})` : ''}, over any tag of the role of the same key: make the condition expect ${values.length === 1 ? 'that value' : 'those values'}`);
  }
  return `${parts.join('; ')}, or name its ARN in an aws:PrincipalArn condition`;
}

export type { RunnerCacheRef };
