import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { parseAzureOutputs } from '../src/spec/applied.js';
import { utf16Of } from '../src/io/utf16.js';
import { ROOT, exampleText } from './helpers/fleet.js';

const KV = 'aks-key-vault';
/** Client ids of examples/aks-key-vault.yaml, as its terraform/azure output would give them. */
const KV_CLIENT_IDS: Record<string, string> = {
  'fabrikam-apps-manager': '0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e',
  'fabrikam-apps-jobs': '5f5f5f5f-6a6a-4b7b-9c8c-9d9d9d9d9d9d',
  'fabrikam-token-rotator': 'abababab-cdcd-4efe-8a0a-121212121212',
};
const ONE = '11111111-2222-4333-8444-555555555555';

const outputsJson = (ids: Record<string, string>) => JSON.stringify({ workload_identity_client_ids: { sensitive: false, type: ['object', {}], value: ids } });

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
