import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleNames, planExample } from './helpers/fleet.js';
import { awsProviderMirror, report, run, startMoto, which } from './helpers/tools.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { VM_TERRAFORM_EXAMPLES } from './helpers/vm.js';

/** Resource types moto_server does not implement: validated and planned, never applied. */
const NOT_IN_MOTO = ['aws_eks_access_entry', 'aws_eks_access_policy_association', 'aws_eks_pod_identity_association', 'aws_eks_addon'];
const MOTO_SERVICES = ['iam', 'sts', 's3', 'ssm', 'ec2', 'autoscaling', 'ecs', 'ecr', 'kms', 'eks'];

const roots = exampleNames().flatMap((name) => {
  const emitted = planExample(name).emitted;
  return [
    ...(emitted?.terraformAws ? [{ name, root: emitted.terraformAws }] : []),
    // Deploy-target roots of other accounts (terraform/aws-<account>/) stand alone as well.
    ...[...(emitted?.terraformAwsAccounts ?? new Map<string, TerraformRoot>())].map(([account, root]) => ({ name: `${name}.aws-${account}`, root, otherAccount: true })),
  ];
}) as { name: string; root: TerraformRoot; otherAccount?: boolean }[];

const skipAll = process.env.RUNNER_FLEET_SKIP_CONFORMANCE;
const terraform = skipAll ? undefined : which('terraform');
const mirror = awsProviderMirror();
const moto = which('moto_server');
const work = mkdtempSync(join(tmpdir(), 'runner-fleet-tf-'));

async function init(dir: string): Promise<void> {
  const r = await run(terraform!, ['init', '-backend=false', `-plugin-dir=${mirror!}`, '-input=false', '-no-color'], dir);
  expect(r.code, r.out).toBe(0);
}

function motoCopy(root: TerraformRoot, url: string, drop: string[], otherAccount = false): TerraformRoot {
  const copy = structuredClone(root);
  // moto_server is one account (123456789012): a target account's root is applied into it, without
  // its account guard. Variables without a default (External IDs) get a test value here only.
  for (const v of Object.values(copy.variable ?? {}) as Record<string, unknown>[]) if (!('default' in v)) v.default = 'runner-fleet-test-external-id';
  const providers = (copy.provider!.aws as Record<string, unknown>[]).map(({ allowed_account_ids: guard, ...p }) => ({
    ...p,
    ...(otherAccount ? {} : { allowed_account_ids: guard }),
    access_key: 'test',
    secret_key: 'test',
    skip_credentials_validation: true,
    skip_metadata_api_check: true,
    s3_use_path_style: true,
    endpoints: Object.fromEntries(MOTO_SERVICES.map((s) => [s, url])),
  }));
  copy.provider = { aws: providers };
  for (const t of drop) delete copy.resource[t];
  // Access-log target buckets exist before the fleet (the spec names them): create them in moto first,
  // with the bucket policy that lets the S3 logging service write.
  Object.values(copy.resource.aws_s3_bucket_logging ?? {}).forEach((logging, i) => {
    const target = String(logging.target_bucket);
    const k = `moto_log_target_${i}`;
    copy.resource.aws_s3_bucket = { ...copy.resource.aws_s3_bucket, [k]: { bucket: target, force_destroy: true } };
    copy.resource.aws_s3_bucket_policy = {
      ...copy.resource.aws_s3_bucket_policy,
      [k]: { bucket: `\${aws_s3_bucket.${k}.id}`, policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${target}/*` }] }) },
    };
    logging.depends_on = [`aws_s3_bucket_policy.${k}`];
  });
  return copy;
}

describe('terraform validate (local AWS provider mirror)', () => {
  it.each(roots.map((r) => [r.name, r.root] as const))('%s', async (name, root) => {
    if (!terraform || !mirror) {
      report(`SKIPPED: terraform validate of ${name}: ${skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : !terraform ? 'terraform is not on PATH' : 'no hashicorp/aws provider mirror (set RUNNER_FLEET_TF_PLUGIN_DIR)'}`);
      return;
    }
    const dir = join(work, 'validate', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(root, null, 2));
    await init(dir);
    const r = await run(terraform, ['validate', '-json', '-no-color'], dir);
    const result = JSON.parse(r.out) as { valid: boolean; error_count: number; diagnostics: unknown[] };
    expect(result.diagnostics, r.out).toEqual([]);
    expect(result.valid).toBe(true);
    report(`RAN: terraform validate of ${name}: valid, ${Object.keys(root.resource).length} resource types`);
  }, 300_000);
});

describe('terraform apply twice against moto_server', () => {
  let server: { url: string; stop: () => void } | undefined;
  const skip = skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : !terraform ? 'terraform is not on PATH' : !mirror ? 'no hashicorp/aws provider mirror' : !moto ? 'moto_server is not on PATH' : undefined;

  beforeAll(async () => {
    if (!skip) server = await startMoto(moto!);
  }, 125_000);
  afterAll(() => server?.stop());

  // The examples apply concurrently: S3 lifecycle configurations wait ~55 s on moto each.
  it('every example root applies, and the second run changes nothing', async () => {
    if (skip) {
      report(`SKIPPED: terraform apply against moto_server: ${skip}`);
      return;
    }
    const started = Date.now();
    // VM roots need a VPC and an AMI inside the emulator: vm-terraform.test.ts applies them.
    const motoRoots = roots.filter(({ name }) => !VM_TERRAFORM_EXAMPLES.includes(name));
    await Promise.all(
      motoRoots.map(async ({ name, root, otherAccount }) => {
        const present = NOT_IN_MOTO.filter((t) => root.resource[t]);
        // 1. The complete root plans against the emulator (EKS resources included).
        const full = join(work, 'moto-plan', name);
        mkdirSync(full, { recursive: true });
        writeFileSync(join(full, 'main.tf.json'), JSON.stringify(motoCopy(root, server!.url, [], otherAccount), null, 2));
        await init(full);
        const plan = await run(terraform!, ['plan', '-input=false', '-no-color', '-lock=false'], full);
        expect(plan.code, plan.out).toBe(0);
        // 2. Everything moto implements is applied.
        const dir = join(work, 'moto-apply', name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(motoCopy(root, server!.url, present, otherAccount), null, 2));
        await init(dir);
        const apply = await run(terraform!, ['apply', '-auto-approve', '-input=false', '-no-color'], dir);
        expect(apply.code, apply.out).toBe(0);
        // 3. The second run must find nothing to change.
        const again = await run(terraform!, ['plan', '-detailed-exitcode', '-input=false', '-no-color'], dir);
        expect(again.code, again.out).toBe(0);
        const applied = Object.values(motoCopy(root, server!.url, present, otherAccount).resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
        report(`RAN: terraform apply x2 against moto_server for ${name}: ${applied} resources applied, no changes on the second run${present.length ? `; planned only (not in moto): ${present.join(', ')}` : ''}`);
      }),
    );
    report(`RAN: moto conformance for ${motoRoots.length} roots in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 900_000);
});
