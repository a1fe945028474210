import { z } from 'zod';
import { specMap } from './primitives.js';

/**
 * Cloud tags of the spec (`aws.tags`, `azure.tags`), checked against the clouds' documented limits
 * so a tag the cloud refuses fails here with its path rather than at apply, halfway through.
 *
 * AWS (resource tagging rules, as IAM enforces them; `default_tags` reach IAM roles too): keys of
 * 1-128 and values of 0-256 Unicode characters, letters, digits, spaces and `_ . : / = + - @` only;
 * the `aws:` prefix, in any case, is reserved for AWS on keys and values; 50 tags per resource.
 * Azure (resource tag limits): names up to 512 characters but 128 on storage accounts (the Blob
 * cache is one), values up to 256, names without `< > % & \ ? /`, names case-insensitive; 50 tags.
 *
 * runner-fleet writes `managed-by` and `runner-fleet-fleet` on every resource itself (the doctor reads
 * a VM fleet's name from them): the spec cannot set them.
 */
export const MANAGED_TAG_KEYS = ['managed-by', 'runner-fleet-fleet'] as const;
const CLOUD_LIMIT = 50;
const USER_LIMIT = CLOUD_LIMIT - MANAGED_TAG_KEYS.length;

const AWS_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const AWS_CHARS = 'letters, digits, spaces and _ . : / = + - @';
const managedKey = (ignoreCase: boolean) => (k: string) => !MANAGED_TAG_KEYS.some((m) => (ignoreCase ? m === k.toLowerCase() : m === k));
const MANAGED_MESSAGE = `a key of your own (runner-fleet sets ${MANAGED_TAG_KEYS.join(' and ')} on every resource itself)`;

const awsTagKey = z
  .string()
  .regex(/^.{1,128}$/su, { message: 'an AWS tag key of 1 to 128 characters' })
  .regex(AWS_TEXT, { message: `an AWS tag key of ${AWS_CHARS}` })
  .refine((k) => !/^aws:/i.test(k), { message: 'an AWS tag key outside the prefix aws: (reserved for AWS)' })
  .refine(managedKey(false), { message: MANAGED_MESSAGE });

const awsTagValue = z
  .string()
  .max(256, { message: 'an AWS tag value of at most 256 characters' })
  .regex(AWS_TEXT, { message: `an AWS tag value of ${AWS_CHARS}` })
  .refine((v) => !/^aws:/i.test(v), { message: 'an AWS tag value must not start with aws: (the prefix is reserved for AWS, on keys and values)', params: { allowed: 'a value that does not start with aws: in any case', fix: 'drop or change the aws: prefix of the value' } });

const azureTagKey = z
  .string()
  .regex(/^.{1,128}$/su, { message: 'an Azure tag name of 1 to 128 characters (storage accounts allow no more)' })
  .regex(/^[^<>%&\\?/]*$/, { message: 'an Azure tag name without < > % & \\ ? /' })
  .refine(managedKey(true), { message: MANAGED_MESSAGE });

const azureTagValue = z.string().max(256, { message: 'an Azure tag value of at most 256 characters' });

const tooMany = (cloud: string) => (tags: Record<string, string>, ctx: z.RefinementCtx) => {
  const n = Object.keys(tags).length;
  if (n > USER_LIMIT) {
    ctx.addIssue({ code: 'custom', message: `${n} tags: ${cloud} allows ${CLOUD_LIMIT} per resource and runner-fleet adds ${MANAGED_TAG_KEYS.length}`, params: { allowed: `at most ${USER_LIMIT} tags`, fix: `remove ${n - USER_LIMIT} of the tags` } });
  }
};

export const awsTagsSchema = specMap(awsTagKey, awsTagValue).superRefine(tooMany('AWS'));

export const azureTagsSchema = specMap(azureTagKey, azureTagValue).superRefine((tags, ctx) => {
  tooMany('Azure')(tags, ctx);
  // Azure tag names are case-insensitive: two keys that differ only in case are one tag.
  const seen = new Map<string, string>();
  for (const k of Object.keys(tags)) {
    const other = seen.get(k.toLowerCase());
    if (other !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `tag names ${JSON.stringify(other)} and ${JSON.stringify(k)} are the same name to Azure (tag names are case-insensitive)`, params: { allowed: 'tag names that differ in more than case', fix: `keep one of ${JSON.stringify(other)} and ${JSON.stringify(k)}` } });
    else seen.set(k.toLowerCase(), k);
  }
});
