import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, doctorWithAws, type DoctorResult } from '../src/doctor/index.js';
import { AWS_READ_OPERATIONS } from '../src/doctor/aws-port.js';
import { awsReadClient } from '../src/live/aws-read.js';
import { main } from '../src/cli/main.js';
import { DOCTOR_CASES, baseDeployment, deploymentFiles, type Deployment } from './helpers/doctor.js';
import { ACCOUNT, PROVIDER, accountOf, withoutIam, type FakeAws } from './helpers/aws-fake.js';
import { report, startMoto, which } from './helpers/tools.js';

/**
 * `doctor --aws` with real IAM API calls against moto_server (in the conformance group: starting
 * the emulator takes seconds). The account is filled with the same roles, inline and managed
 * policies and OIDC provider the fake of test/doctor-aws.test.ts holds, through the IAM API; the
 * doctor then reads them back with the AWS SDK, and its findings and proofs are compared with the
 * same documents given as files. EKS pod identity associations and access entries are not
 * implemented by moto: they are covered by the fake only.
 */
const skipAll = process.env.RUNNER_FLEET_SKIP_CONFORMANCE;
const moto = skipAll ? undefined : which('moto_server');
const skip = skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : !moto ? 'moto_server is not on PATH' : undefined;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const READS = new Set<string>([...AWS_READ_OPERATIONS.iam, ...AWS_READ_OPERATIONS.eks].map((o) => `${o}Command`));

const codes = (r: DoctorResult) => r.findings.map((f) => `${f.code} ${f.severity}`).sort();
const proofs = (r: DoctorResult) => r.proofs.map((p) => `${p.holds ? 'ok' : 'FAIL'} ${p.claim}`).sort();

describe('doctor --aws against moto_server (real IAM reads through the AWS SDK)', () => {
  let server: { url: string; stop: () => void } | undefined;
  let endpoint = '';
  const sent: string[] = [];
  beforeAll(async () => {
    if (skip) return;
    server = await startMoto(moto!, { MOTO_ACCOUNT_ID: ACCOUNT });
    endpoint = server.url;
  }, 125_000);
  afterAll(() => {
    server?.stop();
  });

  /** Empties the emulator and creates the account of `d` through the IAM API (the test writes; the doctor only reads). */
  async function account(d: Deployment, edit: (a: FakeAws) => void = () => undefined): Promise<void> {
    await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    const a = accountOf(d);
    edit(a);
    const iam = await import('@aws-sdk/client-iam');
    const client = new iam.IAMClient({ region: 'us-east-1', endpoint, credentials });
    for (const [arn, p] of a.oidcProviders) {
      const out = await client.send(new iam.CreateOpenIDConnectProviderCommand({ Url: `https://${p.url}`, ClientIDList: p.clientIds, ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'] }));
      expect(out.OpenIDConnectProviderArn).toBe(arn);
    }
    for (const [arn, doc] of a.policies) {
      const out = await client.send(new iam.CreatePolicyCommand({ PolicyName: arn.split('/').pop()!, PolicyDocument: JSON.stringify(doc) }));
      expect(out.Policy!.Arn).toBe(arn);
    }
    for (const [name, r] of a.roles) {
      await client.send(new iam.CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(r.trust) }));
      for (const [policyName, doc] of Object.entries(r.inline)) await client.send(new iam.PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: JSON.stringify(doc) }));
      for (const arn of r.attached) await client.send(new iam.AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
    }
  }
  const live = (d: Deployment) => doctorWithAws(withoutIam(d), awsReadClient({ clientConfig: { endpoint, credentials, region: 'eu-west-1' }, observe: (_s, name) => sent.push(name) }), { region: 'eu-west-1' });

  it('the base deployment and the IAM-breaking cases of the doctor table: the same findings and proofs as from files; only read operations sent', async (ctx) => {
    if (skip) {
      report(`SKIPPED: doctor --aws against moto_server: ${skip}`);
      ctx.skip();
      return;
    }
    const cases = [{ code: 'base', rule: 'sound deployment', mutate: () => undefined }, ...DOCTOR_CASES.filter((c) => ['RF101', 'RF102', 'RF103', 'RF104', 'RF201', 'RF202', 'RF203', 'RF302', 'RF303', 'RF306'].includes(c.code))];
    for (const c of cases) {
      const d = baseDeployment();
      c.mutate(d);
      await account(d);
      const r = await live(d);
      const f = doctor(deploymentFiles(d));
      expect(codes(r), c.rule).toEqual(codes(f));
      expect(proofs(r), c.rule).toEqual(proofs(f));
      if (c.code !== 'base') expect(codes(r).some((x) => x.startsWith(c.code)), c.rule).toBe(true);
      else expect(r.exitCode).toBe(0);
    }
    for (const name of sent) expect(READS.has(name), name).toBe(true);
    expect(new Set(sent)).toEqual(new Set(['GetRoleCommand', 'ListRolePoliciesCommand', 'GetRolePolicyCommand', 'ListAttachedRolePoliciesCommand', 'GetPolicyCommand', 'GetPolicyVersionCommand', 'GetOpenIDConnectProviderCommand']));
    report(`ran: doctor --aws against moto_server (${cases.length} deployments, ${sent.length} read calls, all Get/List)`);
  }, 120_000);

  it('a role or OIDC provider the account lacks: RF904 / RF923, where the same files without --aws say only "not in the evidence"', async (ctx) => {
    if (skip) {
      report(`SKIPPED: doctor --aws against moto_server: ${skip}`);
      ctx.skip();
      return;
    }
    const d = baseDeployment();
    await account(d, (a) => {
      a.roles.delete('gitlab-runner-jobs');
      a.oidcProviders.delete(PROVIDER);
    });
    const r = await live(d);
    expect(r.findings.find((f) => f.code === 'RF904' && f.message.includes('gitlab-runner-jobs'))?.message).toBe("the jobs' role gitlab-runner-jobs does not exist in account 111122223333 (iam:GetRole: NoSuchEntity)");
    expect(r.findings.find((f) => f.code === 'RF923')?.path).toMatch(/^aws:iam:role\/gitlab-runner-manager#trust:\d+:\d+$/);
    expect(r.exitCode).toBe(1);
  }, 60_000);

  it('runner-fleet doctor --aws (the CLI, endpoint and credentials from the AWS_* environment)', async (ctx) => {
    if (skip) {
      report(`SKIPPED: doctor --aws CLI against moto_server: ${skip}`);
      ctx.skip();
      return;
    }
    const d = baseDeployment();
    await account(d);
    const dir = mkdtempSync(join(tmpdir(), 'rf-doctor-aws-'));
    const env = { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: 'eu-west-1' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      for (const f of withoutIam(d)) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.bytes);
      }
      let out = '';
      const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) };
      expect(await main(['doctor', dir], io)).toBe(0);
      expect(out).toContain('RF903');
      out = '';
      expect(await main(['doctor', dir, '--aws', '--region', 'eu-west-1'], io), out).toBe(0);
      expect(out).toContain('  ok   only cluster:gitlab/gitlab-runner can assume the manager role gitlab-runner-manager');
      expect(out).not.toContain('RF903');
      expect(out).not.toContain(credentials.secretAccessKey);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
