import type { CacheDoctorReader } from '../types.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import { quoted } from '../../spec/findings.js';
import { s3CacheSchema } from './schema.js';
import { firstKeyWhere, keysWhere } from '../../doctor/key-index.js';

/**
 * How `runner-fleet doctor` reads `[runners.cache.s3]` back: the bucket it names (BucketName), its
 * region (BucketLocation), whether the Terraform root creates it, and the VPC endpoints its bucket
 * policy confines it to.
 */
export const s3DoctorReader: CacheDoctorReader = {
  fromToml(section, root, generated) {
    const s3 = (section as { s3?: Record<string, unknown> } | undefined)?.s3;
    const sub = (k: string) => (typeof s3?.[k] === 'string' && s3[k] !== '' ? s3[k] : undefined);
    const bucket = sub('BucketName');
    if ((section as { Type?: unknown } | undefined)?.Type !== 's3' || bucket === undefined) return undefined;
    const location = sub('BucketLocation');
    // Looked up, not scanned: every runner of many deployments given together reads its cache here.
    const tfKey = firstKeyWhere(root.resource.aws_s3_bucket, 'bucket', bucket);
    // runner-fleet names a cache's bucket resource cache_<name>; anywhere else the bucket names the cache.
    const name = tfKey && generated && tfKey.startsWith('cache_') ? tfKey.slice('cache_'.length) : bucket;
    const endpoints = vpcEndpointsOf(root, tfKey);
    // The schema checks the cache name's form, which a bucket name need not have: the name is set after.
    const parsed = s3CacheSchema.safeParse({ name: 'doctor', type: 's3', bucket, create: tfKey !== undefined, ...(endpoints.length > 0 ? { vpcEndpointIds: endpoints } : {}), ...(location ? { region: location } : {}) });
    if (!parsed.success) {
      // BucketName and BucketLocation come from the section; the endpoints from Terraform.
      const issue = parsed.error.issues[0]!;
      const key = issue.path[0] === 'region' ? 'BucketLocation' : issue.path[0] === 'bucket' ? 'BucketName' : undefined;
      return {
        invalid: {
          at: key ? ['s3', key] : ['s3'],
          message: `[runners.cache.s3]${key ? ` ${key} ${quoted(String(s3?.[key]), 80)}` : ''} cannot be read as an S3 cache: ${issue.message}`,
          fix: key === 'BucketLocation' ? 'set BucketLocation to the AWS region of the bucket (for example eu-central-1)' : 'name the bucket as S3 does (3-63 lower-case letters, digits, dots and hyphens)',
        },
      };
    }
    // A bucket of the user's Terraform (not runner-fleet's): the cache findings name its resources and fix them there.
    const readBack = tfKey !== undefined && !generated ? { readBackResource: `aws_s3_bucket.${tfKey}` } : {};
    return { identity: bucket, name, spec: { ...parsed.data, name, ...readBack }, at: ['s3', 'BucketName'], summary: `s3://${bucket}`, ...(location ? { region: location } : {}) };
  },
};

/**
 * The S3 VPC endpoints a bucket policy restricts access to (`StringNotEquals aws:SourceVpce` on a
 * Deny): the manager signs URLs used through them, so the cache proofs probe through the first.
 */
function vpcEndpointsOf(root: TerraformRoot, bucketKey: string | undefined): string[] {
  if (bucketKey === undefined) return [];
  const refs = [`\${aws_s3_bucket.${bucketKey}.id}`, `\${aws_s3_bucket.${bucketKey}.bucket}`, String(root.resource.aws_s3_bucket?.[bucketKey]?.bucket)];
  const out: string[] = [];
  // Looked up by what their bucket attribute holds, not scanned: every runner's cache is read here (key-index.ts).
  const policies = root.resource.aws_s3_bucket_policy ?? {};
  for (const key of keysWhere(policies, 'bucket', refs)) {
    const b = policies[key]!;
    if (b === null || typeof b !== 'object' || typeof b.bucket !== 'string') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(String(b.policy));
    } catch {
      continue;
    }
    // Whatever the file holds: a policy without statements, or statements that are not objects,
    // name no endpoint (the bucket policy's own proofs report such a policy, RF901).
    const st = doc !== null && typeof doc === 'object' ? (doc as { Statement?: unknown }).Statement : undefined;
    for (const x of (Array.isArray(st) ? st : [st]) as unknown[]) {
      if (x === null || typeof x !== 'object') continue;
      const { Effect, Condition } = x as { Effect?: unknown; Condition?: unknown };
      if (Effect !== 'Deny' || Condition === null || typeof Condition !== 'object') continue;
      const guard = (Condition as Record<string, unknown>).StringNotEquals;
      const v = guard !== null && typeof guard === 'object' ? (guard as Record<string, unknown>)['aws:SourceVpce'] : undefined;
      for (const e of [v ?? []].flat()) if (typeof e === 'string' && !out.includes(e)) out.push(e);
    }
  }
  return out;
}
