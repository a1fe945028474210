import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planText, synthFiles, type PlanResult } from '../src/core.js';
import { doctor } from '../src/doctor/index.js';
import { parseAzureOutputs } from '../src/spec/applied.js';
import { utf16Of } from '../src/io/utf16.js';
import { ROOT, exampleText } from './helpers/fleet.js';
import { AKS, AKS_CLIENT_IDS, planWithOutputs } from './helpers/azure.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';

const KV = 'aks-key-vault';
/** Client ids of examples/aks-key-vault.yaml, as its terraform/azure output would give them. */
const KV_CLIENT_IDS: Record<string, string> = {
  'fabrikam-apps-manager': '0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e',
  'fabrikam-apps-jobs': '5f5f5f5f-6a6a-4b7b-9c8c-9d9d9d9d9d9d',
  'fabrikam-token-rotator': 'abababab-cdcd-4efe-8a0a-121212121212',
};
const ONE = '11111111-2222-4333-8444-555555555555';

const outputsJson = (ids: Record<string, string>) => JSON.stringify({ workload_identity_client_ids: { sensitive: false, type: ['object', {}], value: ids } });
const planKv = (ids: Record<string, string>): PlanResult => planText(exampleText(KV), `examples/${KV}.yaml`, { azureClientIds: { ...ids } });
const proof = (plan: PlanResult, runner: string, claim: RegExp) => plan.proofs.find((p) => p.runner === runner && claim.test(p.claim));
const JOB_NOT_MANAGER = /^the job identity is not the manager identity$/;

describe('--azure-outputs: every identity its own client id, proven from the documents', () => {
  it('one client id for manager, jobs and rotator: the proof fails, RF610 names them and the id (distinct ids: all hold)', () => {
    const good = planKv(KV_CLIENT_IDS);
    expect(good.exitCode).toBe(0);
    expect(good.proofs.every((p) => p.holds)).toBe(true);
    const plan = planKv({ 'fabrikam-apps-manager': ONE, 'fabrikam-apps-jobs': ONE, 'fabrikam-token-rotator': ONE });
    expect(plan.exitCode).toBe(1);
    expect(proof(plan, 'apps', JOB_NOT_MANAGER)?.holds).toBe(false);
    const shared = plan.findings.filter((f) => f.code === 'RF610');
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({ severity: 'error', path: '--azure-outputs' });
    expect(shared[0]!.message).toBe(`the Azure outputs file gives 3 managed identities one client id: fabrikam-apps-jobs, fabrikam-apps-manager, fabrikam-token-rotator all have ${ONE}`);
    expect(shared[0]!.fix).toMatch(/of this fleet, unedited: each managed identity has its own client id/);
    expect(plan.findings.find((f) => f.code === 'RF105')?.message).toContain('both get managed identity');
    // The manager's Key Vault token is read by whoever has its client id: not the manager alone.
    expect(plan.findings.some((f) => f.code === 'RF944' && f.message.includes('fabrikam-apps-jobs, fabrikam-token-rotator'))).toBe(true);
    expect(proof(plan, 'apps', /^only the manager identity .* reads Key Vault secret/)?.holds).toBe(false);
  });

  it('manager and jobs of one runner with one id: RF105 and the failing proof on that runner only', () => {
    const plan = planWithOutputs(AKS, { ...AKS_CLIENT_IDS, 'contoso-build-jobs': AKS_CLIENT_IDS['contoso-build-manager']! });
    expect(plan.exitCode).toBe(1);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)?.holds).toBe(false);
    // The terraform runner's claim is as without the shared id (it fails by design: its jobs are Owner of the subscription).
    expect(proof(plan, 'terraform', JOB_NOT_MANAGER)?.holds).toBe(proof(planWithOutputs(AKS), 'terraform', JOB_NOT_MANAGER)?.holds);
    expect(plan.findings.filter((f) => f.code === 'RF105').map((f) => f.path)).toEqual(['runners[0]']);
    expect(plan.findings.find((f) => f.code === 'RF610')?.message).toContain('contoso-build-jobs, contoso-build-manager all have 11111111-2222-4333-8444-555555555555');
  });

  it('two runners\' identities sharing one id is RF610 even where each runner\'s pair differs', () => {
    const plan = planWithOutputs(AKS, { ...AKS_CLIENT_IDS, 'contoso-terraform-jobs': AKS_CLIENT_IDS['contoso-build-jobs']! });
    expect(plan.exitCode).toBe(1);
    expect(plan.findings.filter((f) => f.code === 'RF610').map((f) => f.message)).toEqual([`the Azure outputs file gives 2 managed identities one client id: contoso-build-jobs, contoso-terraform-jobs all have ${AKS_CLIENT_IDS['contoso-build-jobs']}`]);
  });

  it('plain manifests are read for the proof: a jobs service account carrying the manager\'s client id fails it', () => {
    const plan = planWithOutputs(AKS);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)?.holds).toBe(true);
    const docs = structuredClone(plan.emitted!);
    for (const a of docs.artifacts) if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
    const sa = docs.runners.get('build')!.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'build-jobs')!;
    sa.metadata.annotations!['azure.workload.identity/client-id'] = AKS_CLIENT_IDS['contoso-build-manager']!;
    const after = verifyFleet(intentOf(plan.fleet!), docs);
    expect(after.proofs.find((p) => p.runner === 'build' && JOB_NOT_MANAGER.test(p.claim))?.holds).toBe(false);
    expect(after.proofs.find((p) => p.runner === 'terraform' && JOB_NOT_MANAGER.test(p.claim))?.holds).toBe(proof(plan, 'terraform', JOB_NOT_MANAGER)?.holds);
  });

  it('the rotator missing from the file is RF610 naming it; a name the fleet does not have is ignored', () => {
    const rest = Object.fromEntries(Object.entries(KV_CLIENT_IDS).filter(([name]) => name !== 'fabrikam-token-rotator'));
    const missing = planKv(rest);
    expect(missing.exitCode).toBe(1);
    expect(missing.findings.filter((f) => f.code === 'RF610').map((f) => f.message)).toEqual(['the Azure outputs file has no client id for fabrikam-token-rotator']);
    const extra = planKv({ ...KV_CLIENT_IDS, 'fabrikam-old-runner-manager': '99999999-8888-4777-8666-555555555555' });
    expect(extra.exitCode).toBe(0);
    expect(synthFiles(extra).find((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')!.content).toContain(KV_CLIENT_IDS['fabrikam-token-rotator']);
  });
});

describe('--azure-outputs read strictly', () => {
  it('a key written twice is refused, naming the key and its line (JSON.parse would keep the last)', () => {
    const text = `{"workload_identity_client_ids": {"value": {\n  "a": "${ONE}",\n  "a": "66666666-7777-4888-9999-aaaaaaaaaaaa"\n}}}`;
    const r = parseAzureOutputs(text, 'o.json');
    expect(r.applied).toBeUndefined();
    expect(r.findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual(['RF610 --azure-outputs o.json:3:3: the key "a" appears twice in one mapping']);
    const top = parseAzureOutputs(`{"workload_identity_client_ids": {"value": {}}, "workload_identity_client_ids": {"value": {"a": "${ONE}"}}}`, 'o.json');
    expect(top.findings.map((f) => f.message)).toEqual(['o.json:1:49: the key "workload_identity_client_ids" appears twice in one mapping']);
  });

  it('a UTF-8 byte order mark is accepted; JSON errors are escaped', () => {
    expect(parseAzureOutputs(`\ufeff${outputsJson({ a: ONE })}`, 'o.json')).toEqual({ applied: { azureClientIds: { a: ONE } }, findings: [] });
    const r = parseAzureOutputs('{"x": "\u001b[31m', 'o.json');
    expect(r.findings[0]!.message).not.toContain('\u001b');
  });

  it('UTF-16 is told by its mark or by NULs between ASCII bytes, and binary is not UTF-16', () => {
    expect(utf16Of(Buffer.from('\ufeff{"a": 1}', 'utf16le'))).toEqual({ encoding: 'UTF-16LE', bom: true });
    expect(utf16Of(Buffer.from([0xfe, 0xff, 0x00, 0x7b]))).toEqual({ encoding: 'UTF-16BE', bom: true });
    expect(utf16Of(Buffer.from('{"a": 1}', 'utf16le'))).toEqual({ encoding: 'UTF-16LE', bom: false });
    expect(utf16Of(Buffer.from('{"a": 1}', 'utf16le').swap16())).toEqual({ encoding: 'UTF-16BE', bom: false });
    for (const other of [Buffer.from('{"a": 1}'), Buffer.from([0, 1, 2, 3]), Buffer.from([0x41, 0]), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00])]) expect(utf16Of(other)).toBeUndefined();
  });
});

describe('runner-fleet synth --azure-outputs and UTF-16 input (built CLI)', () => {
  const bin = join(ROOT, 'bin', 'runner-fleet.cjs');
  const run = (...args: string[]) => spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8' });
  const synth = (dir: string, outputs: string | Buffer, spec = `examples/${KV}.yaml`) => {
    const file = join(dir, 'azure-outputs.json');
    writeFileSync(file, outputs);
    return { ...run('synth', spec, '--out', join(dir, 'out'), '--azure-outputs', file), written: existsSync(join(dir, 'out')) };
  };

  it('one client id for three identities: exit 1, the failing proof, RF610 naming them, nothing written', () => {
    const r = synth(mkdtempSync(join(tmpdir(), 'rf-7p-')), outputsJson({ 'fabrikam-apps-manager': ONE, 'fabrikam-apps-jobs': ONE, 'fabrikam-token-rotator': ONE }));
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain('FAIL apps: the job identity is not the manager identity');
    expect(r.stderr).toContain(`ERROR RF610 --azure-outputs: the Azure outputs file gives 3 managed identities one client id: fabrikam-apps-jobs, fabrikam-apps-manager, fabrikam-token-rotator all have ${ONE}`);
    expect(r.written).toBe(false);
  });

  it('a key written twice: exit 2, RF610 naming the key, nothing written', () => {
    const text = `{"workload_identity_client_ids": {"value": {\n"fabrikam-apps-manager": "${KV_CLIENT_IDS['fabrikam-apps-manager']}",\n"fabrikam-apps-manager": "${ONE}",\n"fabrikam-apps-jobs": "${KV_CLIENT_IDS['fabrikam-apps-jobs']}",\n"fabrikam-token-rotator": "${KV_CLIENT_IDS['fabrikam-token-rotator']}"}}}`;
    const r = synth(mkdtempSync(join(tmpdir(), 'rf-7p-')), text);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ERROR RF610 --azure-outputs: \S*azure-outputs\.json:3:1: the key "fabrikam-apps-manager" appears twice in one mapping/);
    expect(r.written).toBe(false);
  });

  it('UTF-16 outputs (as Windows PowerShell writes them): exit 2, "is UTF-16 text … save it as UTF-8", no replacement characters; UTF-8 with a BOM works', () => {
    const utf16 = synth(mkdtempSync(join(tmpdir(), 'rf-7p-')), Buffer.from(`\ufeff${outputsJson(KV_CLIENT_IDS)}`, 'utf16le'));
    expect(utf16.status).toBe(2);
    expect(utf16.stderr).toMatch(/ERROR RF610 --azure-outputs: \S*azure-outputs\.json is UTF-16 text \(UTF-16LE: it starts with a UTF-16 byte order mark\); save it as UTF-8/);
    expect(utf16.stderr).not.toContain('\ufffd');
    expect(utf16.written).toBe(false);
    const bom = synth(mkdtempSync(join(tmpdir(), 'rf-7p-')), `\ufeff${outputsJson(KV_CLIENT_IDS)}`);
    expect(bom.status, bom.stderr).toBe(0);
  });

  it('a UTF-16 spec without a byte order mark: exit 2 with RF001 "is UTF-16 text", not a spec-shape error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-7p-'));
    for (const [name, bytes, encoding] of [
      ['le.yaml', Buffer.from(exampleText('eks-irsa'), 'utf16le'), 'UTF-16LE'],
      ['be.yaml', Buffer.from(exampleText('eks-irsa'), 'utf16le').swap16(), 'UTF-16BE'],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      const r = run('plan', join(dir, name));
      expect(r.status, name).toBe(2);
      expect(r.stderr, name).toContain(`ERROR RF001 ${join(dir, name)} is UTF-16 text (${encoding}: a NUL byte in every other byte); save it as UTF-8`);
      expect(r.stderr, name).not.toContain('RF002');
    }
  });
});

describe('doctor: a UTF-16 file is named as such, not as binary', () => {
  it.each([
    ['with a byte order mark', Buffer.from('\ufeffapiVersion: v1\nkind: ServiceAccount\n', 'utf16le'), 'UTF-16LE: it starts with a UTF-16 byte order mark'],
    ['without one', Buffer.from('apiVersion: v1\nkind: ServiceAccount\n', 'utf16le'), 'UTF-16LE: a NUL byte in every other byte'],
  ])('%s', (_name, bytes, how) => {
    const r = doctor([{ path: 'sa.yaml', bytes }]);
    const f = r.findings.find((x) => x.path === 'sa.yaml:1:1');
    expect(f).toMatchObject({ code: 'RF902', severity: 'info', message: `sa.yaml is UTF-16 text (${how}); save it as UTF-8; skipped` });
    expect(f!.fix).toContain('iconv -f UTF-16LE -t UTF-8 sa.yaml');
  });
});
