import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * Stop 54 (54d item 3): RF906's fix says what would decide a value the doctor cannot know. Before,
 * a policy naming a KMS key the same files create was told to give "`terraform show -json` of a plan,
 * which carries the evaluated value", and a plan made before the key exists shows its ARN as known
 * after apply too (the key id in it is AWS's pick). Fixtures are our own.
 */
const enc = (s: string) => new TextEncoder().encode(s);
/** A policy with a KMS statement (`resource`) beside an S3 one (`objects`): not a policy of KMS keys alone, which is read up to the key's stand-in. */
const rf906 = (resource: string, objects = '"${aws_s3_bucket.config.arn}/*"') => {
  const tf = `resource "aws_kms_key" "config" {
  description = "runner config"
}
data "aws_kms_key" "shared" {
  key_id = "alias/shared"
}
variable "state_key_arn" {}
resource "aws_s3_bucket" "config" {
  bucket_prefix = "runner-config"
}
resource "aws_iam_policy" "read_config" {
  name   = "read-config"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["kms:Decrypt"], Resource = [${resource}] },
      { Effect = "Allow", Action = ["s3:GetObject"], Resource = [${objects}] },
    ]
  })
}
`;
  return doctor([{ path: 'main.tf', bytes: enc(tf) }]).findings.filter((f) => f.code === 'RF906');
};

describe("RF906's fix for a policy's KMS key ARN", () => {
  it('a key the files create: the state once applied (or a plan made after it exists), not "a plan"; AWS picks its id', () => {
    const [f] = rf906('aws_kms_key.config.arn');
    expect(f!.message).toContain('aws_kms_key.config.arn is known only after apply');
    expect(f!.fix).toBe('give `terraform show -json` of the state once aws_kms_key.config is applied, or of a plan made after it exists: a plan made before does not know its arn either (AWS picks a KMS key\'s id when it creates the key)');
  });

  it('a key a data source looks up: a plan, which reads the data source', () => {
    const [f] = rf906('data.aws_kms_key.shared.arn');
    expect(f!.fix).toBe('give `terraform show -json` of a plan: Terraform reads data.aws_kms_key.shared while it plans, so the plan carries its arn');
  });

  it('a key ARN from a variable without default: a plan made with the value passed (-var, -var-file), or a default or terraform.tfvars', () => {
    const [f] = rf906('var.state_key_arn');
    expect(f!.fix).toBe('give `terraform show -json` of a plan made with the value you pass for var.state_key_arn (-var or -var-file), or give var.state_key_arn a default or a value in terraform.tfvars');
  });

  it('the passing twin: a key ARN written out is known, no RF906', () => {
    expect(rf906('"arn:aws:kms:eu-central-1:123456789012:key/0b7e4c2a-1111-2222-3333-444455556666"', '"arn:aws:s3:::runner-config/*"')).toEqual([]);
  });
});
