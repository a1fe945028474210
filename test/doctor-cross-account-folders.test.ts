import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { exampleFiles } from './helpers/fleet.js';

/**
 * A deploy target's account is its folder's: the aws provider of that Terraform root. The roles of a
 * `terraform show -json` document are in the account of the root beside it, whether its provider is
 * written in `.tf.json` or in `.tf` (HCL).
 */
const TARGET = 'terraform/aws-222222222222/main.tf.json';

/** cross-account-deploy as synth writes it, the staging target's root given as a plan of its resources and a providers file. */
function stagingAsPlan(providers: InputFile): InputFile[] {
  const files = exampleFiles('cross-account-deploy');
  const root = JSON.parse(files.find((f) => f.path === TARGET)!.content) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const roleName = String(root.resource.aws_iam_role!['deploy-staging']!.name);
  // What `terraform show -json` prints: the values as planned, the External ID given at plan time.
  const resources = Object.entries(root.resource).flatMap(([type, bodies]) =>
    Object.entries(bodies).map(([name, body]) => {
      const values = JSON.parse(JSON.stringify(body).split('${var.staging_external_id}').join('ext-staging-1')) as Record<string, unknown>;
      if (type === 'aws_iam_role_policy') values.role = roleName;
      return { address: `${type}.${name}`, mode: 'managed', type, name, provider_name: 'registry.terraform.io/hashicorp/aws', values };
    }),
  );
  const plan = { format_version: '1.2', terraform_version: '1.9.0', planned_values: { root_module: { resources } } };
  return [
    ...files.filter((f) => f.path !== TARGET).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })),
    { path: 'terraform/aws-222222222222/plan.json', bytes: new TextEncoder().encode(JSON.stringify(plan, null, 2)) },
    providers,
  ];
}

const claims = (files: InputFile[]) => doctor(files).proofs.map((p) => p.claim);

describe('doctor: a deploy target of a plan is in the account of its folder\'s provider', () => {
  it('the provider written in .tf (HCL): the staging target is found and proven (before: silently left out, "its 1 deploy target")', () => {
    const hcl: InputFile = { path: 'terraform/aws-222222222222/providers.tf', bytes: new TextEncoder().encode('provider "aws" {\n  region              = "eu-central-1"\n  allowed_account_ids = ["222222222222"]\n}\n') };
    const got = claims(stagingAsPlan(hcl));
    expect(got).toContain('only job role shop-deploy-jobs can assume deploy target staging (222222222222:shop-deploy-staging-deploy), and only with the External ID; 7 principals tried');
    expect(got.filter((c) => /may assume its \d deploy target/.test(c))).toEqual([expect.stringContaining('may assume its 2 deploy target(s)')]);
  });

  it('guard: the provider written in .tf.json: found as before', () => {
    const json: InputFile = { path: 'terraform/aws-222222222222/providers.tf.json', bytes: new TextEncoder().encode(JSON.stringify({ provider: { aws: [{ region: 'eu-central-1', allowed_account_ids: ['222222222222'] }] } })) };
    expect(claims(stagingAsPlan(json))).toContain('only job role shop-deploy-jobs can assume deploy target staging (222222222222:shop-deploy-staging-deploy), and only with the External ID; 7 principals tried');
  });

  it('guard: a provider that states no account: the plan\'s roles are in no known account, no target is made up', () => {
    const none: InputFile = { path: 'terraform/aws-222222222222/providers.tf', bytes: new TextEncoder().encode('provider "aws" {\n  region = "eu-central-1"\n}\n') };
    expect(claims(stagingAsPlan(none)).filter((c) => c.includes('deploy target staging'))).toEqual([]);
  });
});
