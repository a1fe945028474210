import { z } from 'zod';
import { awsRegionSchema, nameSchema, acceptRisksSchema } from '../../spec/schema.js';

export const s3CacheSchema = z.strictObject({
  name: nameSchema(40).describe('Name of this entry, referenced by runners[].cache.name.'),
  type: z.literal('s3'),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, { message: 'an S3 bucket name: 3-63 lower-case letters, digits and hyphens' })
    .describe('Bucket name.'),
  create: z.boolean().default(true).describe('Create the bucket here; false uses an existing bucket (its settings are then yours to keep safe). Default true.'),
  region: awsRegionSchema.optional().describe('Bucket region; always written to BucketLocation. Default: aws.region.'),
  expireAfterDays: z.number().int().min(0).max(3650).default(14).describe('Delete cache objects after this many days; 0 keeps them forever (RF206). Default 14.'),
  encryption: z
    .strictObject({
      type: z.enum(['s3', 'kms', 'none']).describe('s3 (SSE-S3), kms (SSE-KMS) or none (RF204).'),
      kmsKeyArn: z
        .string()
        .regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-f0-9-]{36}$/, { message: 'a KMS key ARN, arn:aws:kms:<region>:<account>:key/<uuid>' })
        .optional()
        .describe('Required with type kms.'),
    })
    .default({ type: 's3' })
    .describe('Server-side encryption. Default s3.'),
  tlsOnly: z.boolean().default(true).describe('Deny requests without TLS in the bucket policy. Default true; false raises RF205.'),
  vpcEndpointIds: z
    .array(z.string().regex(/^vpce-[0-9a-f]{8,17}$/, { message: 'a VPC endpoint id such as vpce-0a1b2c3d4e5f67890' }))
    .min(1)
    .optional()
    .describe('Deny object reads, writes, deletes and listings that do not come through one of these S3 VPC endpoints (aws:SourceVpce in the bucket policy). A presigned URL is checked where it is used, so jobs must reach S3 through the endpoint too. Default: none.'),
  accessLogs: z
    .strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'an S3 bucket name' }).describe('Existing bucket that receives the server access logs (it must allow the S3 logging service to write).'),
      prefix: z.string().regex(/^[A-Za-z0-9!_.*'()/-]{0,200}$/, { message: 'an object key prefix' }).optional().describe('Key prefix of the log objects. Default: <cache bucket>/.'),
    })
    .optional()
    .describe('S3 server access logging of the cache bucket, to trace who wrote a poisoned cache entry. Opt-in. Default: off.'),
  acceptRisks: acceptRisksSchema,
});

export type S3CacheSpec = z.output<typeof s3CacheSchema>;
