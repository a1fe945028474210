import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { lineCredentials, maskCredentials } from '../src/verify/credentials.js';

/**
 * A YAML list item's first key (`- secret_key: x`) read by the credential line scan (a
 * multi-line string, an HCL heredoc) as the plain `secret_key: x` is, with the same guards.
 */

const run = doctorTexts;
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

describe('a YAML list item\'s first key in the credential line scan', () => {
  const configMap = (block: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  values.yaml: |\n${block.split('\n').map((l) => (l === '' ? l : `    ${l}`)).join('\n')}`;
  const heredoc = (lines: string) => `resource "null_resource" "x" {\n  triggers = {\n    v = <<-EOT\n${lines.split('\n').map((l) => (l === '' ? l : `      ${l}`)).join('\n')}    EOT\n  }\n}\n`;

  it('`- secret_key: x` is RF940 as `secret_key: x` is: in a ConfigMap value and an HCL heredoc, at the key', () => {
    expect(at(run({ 'cm.yaml': configMap('stores:\n  - secret_key: minio123\n    endpoint: minio.local\n') }), 'RF940')).toEqual(['cm.yaml:8:9']);
    expect(at(run({ 'a.tf': heredoc('stores:\n  - secret_key: minio123\n    endpoint: minio.local\n') }), 'RF940')).toEqual(['a.tf:5:11']);
    expect(at(run({ 'cm.yaml': configMap('env:\n- AWS_SECRET_ACCESS_KEY: fakeSecret/abc123\n') }), 'RF940')).toEqual(['cm.yaml:8:7']);
  });

  it('twin: the key after the item\'s first line (`- name: x` then `secret_key: y`) was read already, and still is', () => {
    expect(at(run({ 'cm.yaml': configMap('stores:\n  - name: minio\n    secret_key: minio123\n') }), 'RF940')).toEqual(['cm.yaml:9:9']);
  });

  it('guards: a secret_key beside a Secret name in its item names a key of that Secret; references and placeholders are said as in the plain form', () => {
    expect(at(run({ 'cm.yaml': configMap('backups:\n  - secret_key: password\n    secretName: pg\n') }), 'RF940')).toEqual([]);
    expect(at(run({ 'a.tf': heredoc('backups:\n  - secret_key: POSTGRES_PASSWORD\n    existing_secret: pg\n') }), 'RF940')).toEqual([]);
    const codes = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF940' || f.code === 'RF933').map((f) => f.code);
    expect(codes(run({ 'cm.yaml': configMap('stores:\n  - secret_key: $MINIO_SECRET\n') }))).toEqual([]);
    expect(codes(run({ 'cm.yaml': configMap('stores:\n  - secret_key: changeme\n') }))).toEqual(codes(run({ 'cm.yaml': configMap('stores:\n    secret_key: changeme\n') })));
    expect(codes(run({ 'cm.yaml': configMap('stores:\n  - secret_key: changeme\n') }))).toEqual(['RF933']);
  });

  it('lineCredentials and maskCredentials read the item as the plain key', () => {
    expect(lineCredentials('  - secret_key: minio123', true).map((c) => [c.key, c.index])).toEqual([['secret_key', 4]]);
    expect(lineCredentials('  - secret_key: minio123', false)).toEqual([]);
    expect(maskCredentials('- secret_key: minio123')).toBe('- secret_key: (value not shown)');
  });
});
