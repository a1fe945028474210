import { describe, expect, it } from 'vitest';
import { CACHE_BACKENDS } from '../src/caches/registry.js';
import { cacheReaderOf } from '../src/doctor/platform-readers.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';

// How `runner-fleet doctor` reads a [runners.cache] section back, backend by backend.
const s3 = cacheReaderOf('s3')!;
const azure = cacheReaderOf('azure-blob')!;

const awsRoot = (policyBucketRef = '${aws_s3_bucket.cache_main.id}'): TerraformRoot =>
  ({
    resource: {
      aws_s3_bucket: { cache_main: { bucket: 'acme-runner-cache' } },
      aws_s3_bucket_policy: {
        cache_main: {
          bucket: policyBucketRef,
          policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
              { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0a1b2c3d4e5f67890'] } } },
            ],
          }),
        },
      },
    },
  }) as unknown as TerraformRoot;
const empty = { resource: {} } as unknown as TerraformRoot;
const s3Section = (s3Keys: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ Type: 's3', Path: 'acme/docker', Shared: true, s3: s3Keys, ...extra });

describe('the S3 cache reader (caches/s3)', () => {
  it('reads the bucket, its region, its Terraform resource and the VPC endpoints of its bucket policy', () => {
    const read = s3.fromToml(s3Section({ BucketName: 'acme-runner-cache', BucketLocation: 'eu-central-1' }), awsRoot(), true);
    expect(read).toMatchObject({ identity: 'acme-runner-cache', name: 'main', at: ['s3', 'BucketName'], summary: 's3://acme-runner-cache', region: 'eu-central-1' });
    expect(read && 'spec' in read ? read.spec : undefined).toMatchObject({ name: 'main', type: 's3', bucket: 'acme-runner-cache', create: true, region: 'eu-central-1', vpcEndpointIds: ['vpce-0a1b2c3d4e5f67890'] });
  });

  it('names the cache by its bucket unless runner-fleet wrote the Terraform; an unknown bucket is not created here', () => {
    const handWritten = s3.fromToml(s3Section({ BucketName: 'acme-runner-cache' }), awsRoot(), false);
    expect(handWritten).toMatchObject({ name: 'acme-runner-cache', spec: { create: true } });
    expect(handWritten).not.toHaveProperty('region');
    const elsewhere = s3.fromToml(s3Section({ BucketName: 'other-bucket' }), awsRoot(), true);
    expect(elsewhere).toMatchObject({ name: 'other-bucket', spec: { create: false } });
    expect(elsewhere && 'spec' in elsewhere ? elsewhere.spec : {}).not.toHaveProperty('vpcEndpointIds');
  });

  it('takes endpoints only from the policy of that bucket', () => {
    const read = s3.fromToml(s3Section({ BucketName: 'acme-runner-cache' }), awsRoot('${aws_s3_bucket.other.id}'), true);
    expect(read && 'spec' in read ? read.spec : {}).not.toHaveProperty('vpcEndpointIds');
  });

  it('is not the reader of another section', () => {
    expect(s3.fromToml({ Type: 'azure', azure: { AccountName: 'acmecache' } }, empty, true)).toBeUndefined();
    expect(s3.fromToml(s3Section({ BucketLocation: 'eu-central-1' }), empty, true)).toBeUndefined();
    expect(s3.fromToml(s3Section({ BucketName: '' }), empty, true)).toBeUndefined();
    expect(s3.fromToml(undefined, empty, true)).toBeUndefined();
    expect(s3.fromToml('s3', empty, true)).toBeUndefined();
  });

  it('refuses a region or a bucket S3 would not have, at the key, with the fix', () => {
    expect(s3.fromToml(s3Section({ BucketName: 'acme-runner-cache', BucketLocation: 'mars-north-1x' }), empty, true)).toEqual({
      invalid: { at: ['s3', 'BucketLocation'], message: expect.stringMatching(/^\[runners\.cache\.s3\] BucketLocation "mars-north-1x" cannot be read as an S3 cache: /), fix: 'set BucketLocation to the AWS region of the bucket (for example eu-central-1)' },
    });
    expect(s3.fromToml(s3Section({ BucketName: 'Acme_Cache' }), empty, true)).toEqual({
      invalid: { at: ['s3', 'BucketName'], message: expect.stringMatching(/^\[runners\.cache\.s3\] BucketName "Acme_Cache" cannot be read as an S3 cache: an S3 bucket name/), fix: 'name the bucket as S3 does (3-63 lower-case letters, digits, dots and hyphens)' },
    });
  });
});

describe('every cache backend', () => {
  it('has a doctor reader, and each reads only its own section', () => {
    expect(CACHE_BACKENDS.map((b) => [b.type, cacheReaderOf(b.type) !== undefined])).toEqual([
      ['s3', true],
      ['azure-blob', true],
    ]);
    expect(azure.fromToml(s3Section({ BucketName: 'acme-runner-cache' }), awsRoot(), true)).toBeUndefined();
    expect(azure.fromToml({ Type: 'azure', azure: { AccountName: 'acmecache', ContainerName: 'runner-cache' } }, empty, true)).toMatchObject({ identity: 'acmecache/runner-cache', at: ['azure', 'AccountName'] });
  });
});
