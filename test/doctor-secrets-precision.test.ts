import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport } from '../src/doctor/format.js';
import type { Finding } from '../src/spec/findings.js';

// Fake credentials in the documented example shapes (never real keys). AWS_SECRET has no shape of
// its own: only the key it is assigned to makes it a credential.
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';

const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
const coded = (code: string, findings: readonly Finding[]) => findings.filter((f) => f.code === code).map((f) => f.path).sort();
const outputs = (r: ReturnType<typeof run>) => [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');

/** `file:line:column` of the first occurrence of `needle` in `text`. */
function at(file: string, text: string, needle: string): string {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`test: ${needle} not in ${file}`);
  const before = text.slice(0, i);
  return `${file}:${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

describe('a template placeholder as the whole value of a credential key is not a credential', () => {
  it('YAML keys and a Kubernetes Secret whose value is {{ … }}: no RF940, no RF941; the literal twin beside them stays', () => {
    const creds = ['aws_secret_access_key: "{{ .Values.secretKey }}"', "aws_access_key_id: '{{ .Values.keyId }}{{ .Values.suffix }}'", 'aws_session_token: "{{ .Values.a }} {{ .Values.b }}"', ''].join('\n');
    const secret = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: cache', '  namespace: ci', 'stringData:', '  AWS_SECRET_ACCESS_KEY: "{{ .Values.secretKey }}"', ''].join('\n');
    const env = JSON.stringify({ env: ['AWS_SECRET_ACCESS_KEY={{ secret_key }}'] }, null, 2);
    const r = run({ 'creds.yaml': creds, 'secret.yaml': secret, 'env.json': env });
    expect(coded('RF940', r.findings)).toEqual([]);
    expect(coded('RF941', r.findings)).toEqual([]);

    const twin = `aws_secret_access_key: "${AWS_SECRET}"\naws_access_key_id: "{{ .Values.keyId }}"\n`;
    const twinSecret = secret.replace('"{{ .Values.secretKey }}"', `"${AWS_SECRET}"`);
    const t = run({ 'creds.yaml': twin, 'secret.yaml': twinSecret });
    expect(coded('RF940', t.findings)).toEqual([at('creds.yaml', twin, '"wJal')]);
    expect(coded('RF941', t.findings)).toEqual([at('secret.yaml', twinSecret, '"wJal')]);
    expect(outputs(t)).not.toContain(AWS_SECRET);
  });

  it('text around a placeholder is still read: a literal with a placeholder inside it stays a credential', () => {
    const creds = `aws_secret_access_key: "${AWS_SECRET}{{ .Values.suffix }}"\n`;
    expect(coded('RF940', run({ 'creds.yaml': creds }).findings)).toEqual([at('creds.yaml', creds, '"wJal')]);
  });
});

describe('a Terraform reference assigned on a line of a string (access_key = var.x) is not a credential', () => {
  const provider = (lines: readonly string[], indent: string) => ['provider "aws" {', ...lines.map((l) => `  ${l}`), '}'].map((l) => `${indent}${l}`);

  it('in a YAML block, a JSON string and a .tf heredoc: var., local., data., module. are references; a quoted literal on the next line stays RF940', () => {
    const refs = ['access_key = var.access_key', 'secret_key = local.secret_key', 'token      = data.aws_ssm_parameter.session.value', 'AWS_SECRET_ACCESS_KEY = module.keys.secret'];
    const yaml = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: tf', '  namespace: ci', 'data:', '  provider.tf: |', ...provider(refs, '    '), ''].join('\n');
    const json = JSON.stringify({ files: { 'provider.tf': provider(refs, '').join('\n') } }, null, 2);
    const tf = ['resource "local_file" "provider" {', '  filename = "gen/provider.tf"', '  content  = <<-EOT', ...provider(refs, '    '), '  EOT', '}', ''].join('\n');
    const r = run({ 'cm.yaml': yaml, 'files.json': json, 'main.tf': tf });
    expect(coded('RF940', r.findings)).toEqual([]);

    // The twin: the same files with a literal secret on the line after the references.
    const literal = [...refs, `secret_key = "${AWS_SECRET}"`];
    const yaml2 = ['data:', '  provider.tf: |', ...provider(literal, '    '), ''].join('\n');
    const json2 = JSON.stringify({ files: { 'provider.tf': provider(literal, '').join('\n') } }, null, 2);
    const tf2 = ['resource "local_file" "provider" {', '  content  = <<-EOT', ...provider(literal, '    '), '  EOT', '}', ''].join('\n');
    const t = run({ 'cm.yaml': yaml2, 'files.json': json2, 'main.tf': tf2 });
    expect(coded('RF940', t.findings)).toEqual([at('cm.yaml', yaml2, `secret_key = "`), at('files.json', json2, `secret_key = \\"`), at('main.tf', tf2, `secret_key = "`)].sort());
    expect(outputs(t)).not.toContain(AWS_SECRET);
  });

  it('a value that only starts like a reference is a literal: the rest of it is read (var.x followed by a secret)', () => {
    const yaml = ['data:', '  s: |', `    aws_secret_access_key = var.x${AWS_SECRET}`, ''].join('\n');
    expect(coded('RF940', run({ 'cm.yaml': yaml }).findings)).toEqual([at('cm.yaml', yaml, 'aws_secret_access_key =')]);
  });
});
