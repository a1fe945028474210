/**
 * The AWS Terraform roots of the VM examples against real tools: `terraform validate` with the local
 * provider mirror, then apply twice against `moto_server` (the second apply, and a plan after it,
 * must change nothing). Prints `SKIPPED: <why>` and passes where a tool is missing.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { planText, synthFiles } from '../src/core.js';
import { VM_TERRAFORM_EXAMPLES } from './helpers/vm.js';
import { report, startMoto } from './helpers/tools.js';

const EXAMPLES = VM_TERRAFORM_EXAMPLES;
const MIRROR = '/opt/tf-plugins';
/**
 * moto cannot serve these; they stay in the validated root and leave the applied copy. moto 5
 * implements EKS clusters and managed node groups, but not add-ons, access entries or Pod
 * Identity associations.
 */
const NOT_IN_MOTO = ['aws_eks_access_entry', 'aws_eks_access_policy_association', 'aws_eks_pod_identity_association', 'aws_eks_addon'];
/** Attributes moto's EKS does not round-trip; ignored in the applied copy only. */
const MOTO_EKS_GAPS: Record<string, string[]> = {
  aws_eks_cluster: ['access_config', 'kubernetes_network_config', 'vpc_config[0].security_group_ids', 'tags'],
  aws_eks_node_group: ['remote_access', 'update_config', 'tags'],
};
/** ~55 s per apply against moto (a provider waiter); applied only with RUNNER_FLEET_FULL_APPLY=1. */
const SLOW = process.env.RUNNER_FLEET_FULL_APPLY === '1' ? [] : ['aws_s3_bucket_lifecycle_configuration'];

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

const skipReason = process.env.RUNNER_FLEET_SKIP_CONFORMANCE
  ? `RUNNER_FLEET_SKIP_CONFORMANCE (${process.env.RUNNER_FLEET_SKIP_CONFORMANCE})`
  : !has('terraform', ['version'])
  ? 'terraform is not on PATH'
  : !existsSync(join(MIRROR, 'registry.terraform.io/hashicorp/aws/5.100.0'))
    ? `no hashicorp/aws 5.100.0 mirror in ${MIRROR}`
    : !has('sh', ['-c', 'command -v moto_server'])
      ? 'moto_server is not on PATH'
      : !has('python3', ['-c', 'import boto3'])
        ? 'python3 with boto3 (to prepare the VPC in moto) is missing'
        : undefined;

const env = { ...process.env, TF_CLI_CONFIG_FILE: '', TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };

function tf(dir: string, args: string[]): { status: number; out: string } {
  const r = spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

/** Async, so the examples' applies overlap. */
function tfAsync(dir: string, args: string[]): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('terraform', args, { cwd: dir, env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ status: code ?? -1, out }));
  });
}

function writeOut(dir: string, example: string): void {
  const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'), `${example}.yaml`);
  expect(plan.exitCode).toBe(0);
  for (const f of synthFiles(plan)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
}

/** A VPC, two subnets and an AMI that exist in moto, to stand in for the spec's ids. */
const PREP = `
import boto3, json, sys
ec2 = boto3.client('ec2', endpoint_url=sys.argv[1], region_name='eu-central-1', aws_access_key_id='test', aws_secret_access_key='test')
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{i}.0/24', AvailabilityZone='eu-central-1' + 'ab'[i])['Subnet']['SubnetId'] for i in range(2)]
ami = sorted(a['ImageId'] for a in ec2.describe_images(Owners=['amazon'])['Images'])[0]
print(json.dumps({'vpc': vpc, 'subnets': subnets, 'ami': ami}))
`;

function patchForMoto(rootFile: string, endpoint: string, ids: { vpc: string; subnets: string[]; ami: string }): string[] {
  let text = readFileSync(rootFile, 'utf8');
  text = text.replace(/vpc-[0-9a-f]{8,17}/g, ids.vpc).replace(/ami-[0-9a-f]{8,17}/g, ids.ami);
  let i = 0;
  const seen = new Map<string, string>();
  text = text.replace(/subnet-[0-9a-f]{8,17}/g, (s) => {
    if (!seen.has(s)) seen.set(s, ids.subnets[i++ % ids.subnets.length]!);
    return seen.get(s)!;
  });
  const root = JSON.parse(text) as { provider: { aws: Record<string, unknown>[] }; resource: Record<string, unknown>; output?: Record<string, unknown> };
  const endpoints = Object.fromEntries(['iam', 'sts', 's3', 'ssm', 'ec2', 'autoscaling', 'ecs', 'ecr', 'kms', 'eks'].map((s) => [s, endpoint]));
  for (const p of root.provider.aws) {
    Object.assign(p, { access_key: 'test', secret_key: 'test', skip_credentials_validation: true, skip_metadata_api_check: true, s3_use_path_style: true, endpoints: [endpoints] });
    delete p.allowed_account_ids; // moto's account is 123456789012 only by default; keep the patch independent of it
  }
  // moto reports the launch template's own tags (provider default_tags) back as a
  // `launch-template` tag specification of the template data, which AWS does not; ignore that drift only.
  for (const body of Object.values((root.resource.aws_launch_template ?? {}) as Record<string, Record<string, unknown>>)) {
    body.lifecycle = { ignore_changes: ['tag_specifications'] };
  }
  // moto does not report the description of a rule that references another security group (it
  // keeps it for CIDR rules), so the second plan would re-add it; ignore that drift only. The
  // description itself is checked by terraform validate and by RF718.
  for (const body of Object.values((root.resource.aws_vpc_security_group_ingress_rule ?? {}) as Record<string, Record<string, unknown>>)) {
    if (body.referenced_security_group_id !== undefined) body.lifecycle = { ignore_changes: ['description'] };
  }
  // moto's EKS does not store access_config (so bootstrap_cluster_creator_admin_permissions would
  // force a replacement), reports a service CIDR, empty tags and security groups nobody set, and
  // gives node groups without remote access an SSH key "eksKeypair" and no update_config. Only
  // those gaps are ignored, and the report says so.
  for (const [type, gaps] of Object.entries(MOTO_EKS_GAPS)) {
    for (const body of Object.values((root.resource[type] ?? {}) as Record<string, Record<string, unknown>>)) {
      const own = ((body.lifecycle as { ignore_changes?: string[] } | undefined)?.ignore_changes ?? []);
      body.lifecycle = { ignore_changes: [...own, ...gaps] };
    }
  }
  const removed = [...NOT_IN_MOTO, ...SLOW].filter((t) => t in root.resource);
  for (const t of removed) delete root.resource[t];
  // Ordering on what left the copy (coredns waits for node groups, node groups for vpc-cni) goes too.
  for (const byName of Object.values(root.resource as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const body of Object.values(byName)) {
      if (Array.isArray(body.depends_on)) body.depends_on = (body.depends_on as string[]).filter((d) => !removed.includes(d.split('.')[0]!));
    }
  }
  writeFileSync(rootFile, JSON.stringify(root, null, 2));
  return removed;
}

// One moto_server per example (the examples reuse role and group names), run side by side.
describe.skipIf(skipReason !== undefined).concurrent('VM examples: terraform validate and two applies against moto_server', () => {
  const work = mkdtempSync(join(tmpdir(), 'rf-vm-tf-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const example of EXAMPLES) {
    it(`${example}: validates, applies twice, then plans no changes`, async ({ expect }) => {
      const started = Date.now();
      const dir = join(work, example);
      writeOut(dir, example);
      const root = join(dir, 'terraform/aws');
      expect(tf(root, ['init', '-backend=false', `-plugin-dir=${MIRROR}`, '-input=false', '-no-color']).status).toBe(0);
      const validate = tf(root, ['validate', '-no-color']);
      expect(validate.out).toContain('The configuration is valid');

      // AWS managed policies (AmazonSSMManagedInstanceCore, AmazonECSTaskExecutionRolePolicy) exist in moto only on request.
      const server = await startMoto('moto_server', { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' });
      const moto = { endpoint: server.url, stop: server.stop };
      try {
        const ids = JSON.parse(execFileSync('python3', ['-c', PREP, moto.endpoint], { encoding: 'utf8' })) as { vpc: string; subnets: string[]; ami: string };
        const removed = patchForMoto(join(root, 'main.tf.json'), moto.endpoint, ids);
        for (const pass of [1, 2]) {
          const apply = await tfAsync(root, ['apply', '-auto-approve', '-input=false', '-no-color']);
          expect(apply.status, `apply ${pass}:\n${apply.out.slice(-4000)}`).toBe(0);
          if (pass === 2) expect(apply.out).toMatch(/Apply complete! Resources: 0 added, 0 changed, 0 destroyed/);
        }
        const plan = await tfAsync(root, ['plan', '-detailed-exitcode', '-input=false', '-no-color']);
        expect(plan.status, plan.out.slice(-4000)).toBe(0);
        const gaps = Object.entries(MOTO_EKS_GAPS).filter(([t]) => readFileSync(join(root, 'main.tf.json'), 'utf8').includes(`"${t}"`));
        report(`RAN: terraform validate + apply x2 + plan against moto_server for ${example} in ${((Date.now() - started) / 1000).toFixed(1)} s, no changes on the second run; validated only: ${removed.join(', ') || 'none'}${gaps.length ? `; SKIPPED drift check of ${gaps.map(([t, a]) => `${t}.{${a.join(',')}}`).join(' ')}: moto does not round-trip them` : ''}`);
      } finally {
        moto.stop();
      }
    }, 600_000);
  }
});

describe.runIf(skipReason !== undefined)('VM examples: terraform and moto_server', () => {
  it('are skipped here', () => {
    report(`SKIPPED: VM examples against terraform and moto_server: ${skipReason!}`);
    expect(skipReason).toBeDefined();
  });
});
