import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { isTerraformStateName } from '../src/io/file-names.js';
import { main } from '../src/cli/main.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * A Terraform state committed beside the configuration: RF926 (warning) names it, the credentials
 * the secret scan knows are RF940 at their JSON path (never shown), and its resources are no
 * evidence (what the last apply left, not what is configured).
 */
const TOKEN = 'glrt-Zt8qWm3KpL5xNv2RbY7c';
const AWS_ID = 'AKIAZ4EXAMPLEQW3RT7Y';
const enc = (s: string) => new TextEncoder().encode(s);
const state = (extra: Record<string, unknown>[] = []) =>
  JSON.stringify(
    {
      version: 4,
      terraform_version: '1.9.5',
      serial: 12,
      lineage: '0b0e2f60-1111-2222-3333-444455556666',
      outputs: { runner_token: { value: TOKEN, type: 'string', sensitive: true } },
      resources: [
        { mode: 'managed', type: 'gitlab_user_runner', name: 'this', provider: 'provider["registry.terraform.io/gitlabhq/gitlab"]', instances: [{ schema_version: 0, attributes: { id: '42', runner_type: 'group_type', token: TOKEN, token_expires_at: '' }, sensitive_attributes: [[{ type: 'get_attr', value: 'token' }]] }] },
        { mode: 'managed', type: 'random_password', name: 'db', provider: 'provider["registry.terraform.io/hashicorp/random"]', instances: [{ schema_version: 3, attributes: { length: 24, result: 'qH7#vN2$kL9@pR4!' }, sensitive_attributes: [[{ type: 'get_attr', value: 'result' }]] }] },
        ...extra,
      ],
      check_results: null,
    },
    null,
    2,
  );
/** line:column of the first `"key": "<value starting with start>"` value's opening quote in `text`. */
const valueAt = (text: string, key: string, start: string): string => {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`"${key}": "${start}`));
  return `${i + 1}:${lines[i]!.indexOf(`"${start}`) + 1}`;
};
const codes = (r: ReturnType<typeof doctor>) => r.findings.map((f) => f.code);

describe('a Terraform state in the files given', () => {
  it('names state files by name: *.tfstate, backups, workspaces; not the lock file or a plan', () => {
    expect(['terraform.tfstate', 'a/terraform.tfstate.backup', 'terraform.tfstate.1700000000.backup', 'terraform.tfstate.d/prod/terraform.tfstate', 'prod.tfstate', 'TERRAFORM.TFSTATE'].filter(isTerraformStateName)).toHaveLength(6);
    expect(['.terraform.lock.hcl', 'plan.json', 'tfstate.md', 'terraform.tfstate.md', 'main.tf'].filter(isTerraformStateName)).toEqual([]);
  });

  it('is RF926 (warning) at the file, naming what it holds values marked sensitive for, with the fix; a runner token in it is RF940 at its JSON path, never shown', () => {
    const text = state();
    const r = doctor([{ path: 'infra/terraform.tfstate', bytes: enc(text) }]);
    const leak = r.findings.filter((f) => f.code === 'RF926');
    expect(leak).toHaveLength(1);
    expect(leak[0]!).toMatchObject({ severity: 'warning', path: 'infra/terraform.tfstate:1:1' });
    expect(leak[0]!.message).toContain('infra/terraform.tfstate is a Terraform state file of 2 resource(s); values marked sensitive are held for gitlab_user_runner.this, random_password.db');
    expect(leak[0]!.message).toContain('its resources are not read as evidence');
    expect(leak[0]!.fix).toMatch(/remote backend with encryption.*remove the file from the repository.*rotate every secret it held/);
    const token = r.findings.filter((f) => f.code === 'RF940');
    // One finding for the value, at its first place (the output), the resource attribute named as the other place.
    expect(token.map((f) => f.path)).toEqual([`infra/terraform.tfstate:${valueAt(text, 'value', 'glrt-')}`]);
    expect(token[0]!.message).toContain('a GitLab runner authentication token is written in infra/terraform.tfstate at output.runner_token (value not shown); the same value is also written at infra/terraform.tfstate:' + valueAt(text, 'token', 'glrt-'));
    expect(token[0]!.fix).toMatch(/^rotate it .*keep the state out of the repository/);
    const shown = JSON.stringify(r);
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain('qH7#vN2$kL9@pR4!');
  });

  it('a cloud key in a resource attribute is RF940 named by the resource address (with its index key)', () => {
    const text = state([{ mode: 'managed', type: 'aws_iam_access_key', name: 'ci', instances: [{ index_key: 'deploy', attributes: { id: AWS_ID, user: 'ci' }, sensitive_attributes: [] }] }]);
    const r = doctor([{ path: 'terraform.tfstate.backup', bytes: enc(text) }]);
    const key = r.findings.find((f) => f.code === 'RF940' && f.message.includes('AWS access key id'));
    expect(key?.path).toBe(`terraform.tfstate.backup:${valueAt(text, 'id', 'AKIA')}`);
    expect(key?.message).toContain('at aws_iam_access_key.ci["deploy"].id');
    expect(JSON.stringify(r)).not.toContain(AWS_ID);
  });

  it('its resources are not evidence: a deployment with its state beside it has the same findings and chains but RF926 and RF940', () => {
    const dir = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written');
    // The state records a role that trusts everyone: were it read, a trust finding would come of it.
    const wide = { mode: 'managed', type: 'aws_iam_role', name: 'open', instances: [{ attributes: { name: 'open', assume_role_policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }) }, sensitive_attributes: [] }] };
    const without = doctor(corpusFiles(dir));
    const withState = doctor([...corpusFiles(dir), { path: 'terraform.tfstate', bytes: enc(state([wide])) }]);
    const other = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code !== 'RF926' && f.code !== 'RF940').map((f) => `${f.code} ${f.path} ${f.message}`).sort();
    expect(other(withState)).toEqual(other(without));
    expect([...withState.chains]).toEqual([...without.chains]);
    expect(withState.proofs).toEqual(without.proofs);
    expect(codes(withState)).toContain('RF926');
  });

  it("not state: OpenTofu's encrypted state (RF902 info, nothing in plain text), terraform init's backend settings (its credentials only), a damaged file (its lines)", () => {
    const encrypted = doctor([{ path: 'terraform.tfstate', bytes: enc(JSON.stringify({ serial: 3, lineage: 'x', meta: { 'key_provider.pbkdf2.main': 'eyJzYWx0Ijoi' }, encrypted_data: 'ZW5jcnlwdGVk', encryption_version: 'v0' })) }]);
    expect(codes(encrypted)).not.toContain('RF926');
    expect(encrypted.findings.find((f) => f.code === 'RF902')?.message).toContain('a state OpenTofu encrypted');
    const backendText = JSON.stringify({ version: 3, terraform_version: '1.9.5', backend: { type: 's3', config: { bucket: 'state', key: 'runner.tfstate', region: 'eu-west-1', access_key: AWS_ID }, hash: 1234 } }, null, 2);
    const backend = doctor([{ path: '.terraform/terraform.tfstate', bytes: enc(backendText) }]);
    expect(codes(backend)).not.toContain('RF926');
    expect(backend.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual([`.terraform/terraform.tfstate:${valueAt(backendText, 'access_key', 'AKIA')}`]);
    const damaged = doctor([{ path: 'terraform.tfstate', bytes: enc(`{"version": 4,\nCI_SERVER_TOKEN=${TOKEN}\n`) }]);
    expect(codes(damaged).sort()).toEqual(['RF902', 'RF910', 'RF940']);
    expect(JSON.stringify([encrypted, backend, damaged])).not.toContain(AWS_ID);
    expect(JSON.stringify(damaged)).not.toContain(TOKEN);
  });

  it('an empty state (after destroy) holds nothing: RF902 info saying what the next apply writes there, not RF926', () => {
    const r = doctor([{ path: 'keys/terraform.tfstate', bytes: enc(JSON.stringify({ version: 4, terraform_version: '1.5.2', serial: 1, lineage: 'x', outputs: {}, resources: [], check_results: null }, null, 2)) }]);
    expect(codes(r)).not.toContain('RF926');
    expect(r.findings.find((f) => f.code === 'RF902')?.message).toContain('keys/terraform.tfstate is an empty Terraform state (no resource instances, no outputs)');
  });

  it('a state over the size limit is still RF926, saying its credentials were not looked for', () => {
    const r = doctor([{ path: 'terraform.tfstate', bytes: new Uint8Array(0), size: 11 * 1024 * 1024 }]);
    expect(r.findings.find((f) => f.code === 'RF926')?.message).toContain('(not read: over 10 MiB, so the credentials in it are not looked for)');
  });

  const dir = mkdtempSync(join(tmpdir(), 'rf-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder walk reads state files and their backups (RF926 each), not .terraform/terraform.tfstate, and no longer names them "not read" (RF902)', async () => {
    mkdirSync(join(dir, '.terraform'), { recursive: true });
    writeFileSync(join(dir, 'main.tf'), 'resource "random_password" "db" {\n  length = 24\n}\n');
    writeFileSync(join(dir, 'terraform.tfstate'), state());
    writeFileSync(join(dir, 'terraform.tfstate.backup'), state());
    writeFileSync(join(dir, '.terraform', 'terraform.tfstate'), JSON.stringify({ version: 3, backend: { type: 'local', config: {}, hash: 1 } }));
    let out = '';
    await main(['doctor', '--format', 'json', dir], { out: (s) => (out += s), err: () => {} });
    const report = JSON.parse(out) as { findings: { code: string; path: string; message: string }[] };
    expect(report.findings.filter((f) => f.code === 'RF926').map((f) => f.path)).toEqual([`${join(dir, 'terraform.tfstate')}:1:1`, `${join(dir, 'terraform.tfstate.backup')}:1:1`]);
    expect(report.findings.filter((f) => f.code === 'RF902').map((f) => f.message).join('\n')).not.toContain('tfstate');
    expect(out).not.toContain(TOKEN);
  });
});
