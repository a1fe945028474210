import { describe, expect, it } from 'vitest';
import { doctor, readEvidence } from '../src/doctor/index.js';
import { codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport } from '../src/doctor/format.js';
import { join } from 'node:path';
import { baseDeployment, corpusFiles, deploymentFiles } from './helpers/doctor.js';

// Fake credentials in the documented example shapes (never real keys).
const AWS_ID = 'AKIAIOSFODNN7QW3RT5Y';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';
const AZURE_SECRET = 'abc8Q~ExampleExampleExampleExampleExa';
const RUNNER_TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
const REG_TOKEN = 'GR1348941EXAMPLEexampleEXAMPLE';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

interface Case {
  name: string;
  files: Record<string, string>;
  /** Expected findings: code and `file:line` (column checked to be a number). */
  expect: [string, string][];
  /** Values that must not appear in any output (text, JSON, SARIF, Code Quality). */
  secrets: string[];
}

const secret = (data: Record<string, string>, field: 'data' | 'stringData' = 'data') =>
  ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: creds', '  namespace: gitlab', `${field}:`, ...Object.entries(data).map(([k, v]) => `  ${k}: ${field === 'data' ? b64(v) : JSON.stringify(v)}`), ''].join('\n');

const CASES: Case[] = [
  { name: 'a Secret with static AWS keys (data, base64)', files: { 'k8s/secret.yaml': secret({ AWS_ACCESS_KEY_ID: AWS_ID, AWS_SECRET_ACCESS_KEY: AWS_SECRET }) }, expect: [['RF941', 'k8s/secret.yaml:7'], ['RF941', 'k8s/secret.yaml:8']], secrets: [AWS_ID, AWS_SECRET, b64(AWS_ID), b64(AWS_SECRET)] },
  { name: 'a Secret with an Azure client secret (stringData)', files: { 'k8s/secret.yaml': secret({ clientSecret: AZURE_SECRET }, 'stringData') }, expect: [['RF941', 'k8s/secret.yaml:7']], secrets: [AZURE_SECRET] },
  { name: 'a Secret with a registration token', files: { 'k8s/secret.yaml': secret({ 'runner-registration-token': REG_TOKEN }) }, expect: [['RF912', 'k8s/secret.yaml:7']], secrets: [REG_TOKEN, b64(REG_TOKEN)] },
  { name: 'a kubectl List holding a Secret', files: { 'dump.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws', namespace: 'gitlab' }, data: { key: b64(AWS_ID) } }] }, null, 2) }, expect: [['RF941', 'dump.json:13']], secrets: [AWS_ID, b64(AWS_ID)] },
  { name: 'config.toml with a runner token written in it', files: { 'config.toml': `concurrent = 1\n[[runners]]\nname = "x"\nurl = "https://gitlab.com"\ntoken = "${RUNNER_TOKEN}"\nexecutor = "docker"\n` }, expect: [['RF940', 'config.toml:5']], secrets: [RUNNER_TOKEN] },
  { name: 'a .tf.json provider with a literal access_key', files: { 'main.tf.json': JSON.stringify({ provider: { aws: [{ region: 'eu-west-1', access_key: AWS_ID, secret_key: AWS_SECRET }] } }, null, 2) }, expect: [['RF940', 'main.tf.json:6'], ['RF940', 'main.tf.json:7']], secrets: [AWS_ID, AWS_SECRET] },
  {
    name: 'env vars of a Deployment',
    files: { 'deploy.yaml': ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: app, namespace: gitlab}', 'spec:', '  template:', '    spec:', '      containers:', '        - name: app', '          image: alpine', '          env:', '            - name: AWS_SECRET_ACCESS_KEY', `              value: ${AWS_SECRET}`, ''].join('\n') },
    expect: [['RF940', 'deploy.yaml:12']],
    secrets: [AWS_SECRET],
  },
  { name: 'CI variables in .gitlab-ci.yml', files: { '.gitlab-ci.yml': `variables:\n  AWS_ACCESS_KEY_ID: ${AWS_ID}\n  AZURE_CLIENT_SECRET: ${AZURE_SECRET}\njob:\n  script: [echo]\n` }, expect: [['RF940', '.gitlab-ci.yml:2'], ['RF940', '.gitlab-ci.yml:3']], secrets: [AWS_ID, AZURE_SECRET] },
  // The placeholder rule is narrow: one other character and it is a token's shape again.
  { name: 'a token that is nearly a placeholder (glrt-XXXX…a)', files: { 'runner.yaml': 'token: glrt-XXXXXXXXXXXXXXXXXXXa\n' }, expect: [['RF940', 'runner.yaml:1']], secrets: ['glrt-XXXXXXXXXXXXXXXXXXXa'] },
  { name: 'a user data script exporting a key', files: { 'ec2/user-data.sh': `#!/bin/bash\nset -euo pipefail\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n` }, expect: [['RF940', 'ec2/user-data.sh:3']], secrets: [AWS_SECRET] },
];

const PASSING: Case[] = [
  { name: 'a Secret holding the runner authentication token (where it belongs)', files: { 'k8s/secret.yaml': secret({ 'runner-token': RUNNER_TOKEN }) }, expect: [], secrets: [RUNNER_TOKEN, b64(RUNNER_TOKEN)] },
  { name: 'config.toml with the token from the environment', files: { 'config.toml': '[[runners]]\nname = "x"\ntoken = "$CI_SERVER_TOKEN"\nexecutor = "docker"\n[runners.cache.s3]\nAccessKey = ""\n' }, expect: [], secrets: [] },
  { name: 'Terraform referencing a variable for a key', files: { 'main.tf.json': JSON.stringify({ provider: { aws: [{ access_key: '${var.key}' }] } }) }, expect: [], secrets: [] },
  // alekc/gitlab-runner-operator's samples: a false RF940 error on each before. Tokens are random, never one character repeated.
  { name: 'placeholders: a prefix and one character repeated (glrt-XXXX…, glpat-xxxx…, GR1348941 0000…, AKIAXXXX…)', files: { 'config/samples/runner.yaml': 'apiVersion: gitlab.k8s.alekc.dev/v1beta2\nkind: Runner\nmetadata: {name: sample}\nspec:\n  token: "glrt-XXXXXXXXXXXXXXXXXXXX"\n  access: glpat-xxxxxxxxxxxxxxxxxxxx\n  legacy: GR13489410000000000000000000\n  example: AKIAXXXXXXXXXXXXXXXX\n' }, expect: [], secrets: [] },
  { name: 'an env var from a secretKeyRef', files: { 'deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: a, image: alpine, env: [{name: AWS_SECRET_ACCESS_KEY, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]}}}\n' }, expect: [], secrets: [] },
];

const CODES = new Set(['RF940', 'RF941', 'RF912', 'RF304']);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));

describe('credentials in the evidence: position and key name only, never the value', () => {
  it.each([...CASES, ...PASSING])('$name', ({ files, expect: expected, secrets }) => {
    const r = run(files);
    const got = r.findings.filter((f) => CODES.has(f.code)).map((f) => [f.code, f.path.replace(/:\d+$/, '')]);
    expect(got.sort()).toEqual([...expected].sort());
    for (const f of r.findings.filter((x) => CODES.has(x.code))) expect(f.path).toMatch(/:\d+:\d+$/);
    const outputs = [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');
    for (const s of secrets) expect(outputs.includes(s), `output contains ${s.slice(0, 6)}…`).toBe(false);
  });

  it('one RF940 per credential per file: copies of the same value (across documents too) name each other, another value is its own finding', () => {
    const ci = `variables:\n  AWS_ACCESS_KEY_ID: ${AWS_ID}\njob:\n  variables:\n    AWS_ACCESS_KEY_ID: ${AWS_ID}\n    AWS_SECRET_ACCESS_KEY: ${AWS_SECRET}\n---\nother:\n  variables:\n    KEY: "${AWS_ID}"\n`;
    const r = run({ '.gitlab-ci.yml': ci });
    const f = r.findings.filter((x) => x.code === 'RF940');
    expect(f.map((x) => x.path)).toEqual(['.gitlab-ci.yml:2:22', '.gitlab-ci.yml:6:28']);
    expect(f[0]!.message).toMatch(/; the same value is also written at \.gitlab-ci\.yml:5:24, \.gitlab-ci\.yml:10:10$/);
    expect(f[1]!.message).not.toContain('also written');
    const outputs = [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');
    for (const s of [AWS_ID, AWS_SECRET]) expect(outputs).not.toContain(s);
    // The places are the finding's own data, never printed.
    expect(jsonDoctorReport(r)).not.toContain('endColumn');
  });

  it('a shell script: one RF940 per credential, the other lines named; a command substitution is not a literal', () => {
    const sh = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${AWS_ID}\necho one\nexport AWS_ACCESS_KEY_ID=${AWS_ID}\naws configure set aws_access_key_id ${AWS_ID}\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\nexport AWS_SESSION_TOKEN=$(cat /run/token)\n`;
    const r = run({ 'user-data.sh': sh });
    const f = r.findings.filter((x) => CODES.has(x.code));
    expect(f.map((x) => [x.code, x.path])).toEqual([
      ['RF940', 'user-data.sh:2:26'],
      ['RF940', 'user-data.sh:6:1'],
    ]);
    expect(f[0]!.message).toMatch(/; the same value is also written at user-data\.sh:4:26, user-data\.sh:5:37$/);
    const outputs = [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');
    for (const s of [AWS_ID, AWS_SECRET]) expect(outputs).not.toContain(s);
  });

  it('Secret values are not kept after reading (metadata only)', () => {
    const ev = readEvidence([{ path: 'k8s/secret.yaml', bytes: new TextEncoder().encode(secret({ AWS_ACCESS_KEY_ID: AWS_ID, 'runner-token': RUNNER_TOKEN })) }]);
    const held = JSON.stringify({ k: ev.kubernetes.map((o) => o.value), a: ev.artifacts, f: ev.findings });
    for (const s of [AWS_ID, RUNNER_TOKEN, b64(AWS_ID), b64(RUNNER_TOKEN)]) expect(held).not.toContain(s);
    // The keys stay: references to them can still be checked.
    expect(ev.kubernetes[0]!.value).toMatchObject({ data: { AWS_ACCESS_KEY_ID: '', 'runner-token': '' } });
  });

  it('the hand-wired deployment with its token in a Secret has no credential finding', () => {
    const d = baseDeployment();
    d.objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gitlab-runner-token', namespace: 'gitlab' }, data: { 'runner-token': b64(RUNNER_TOKEN) } });
    const r = doctor(deploymentFiles(d));
    expect(r.findings.filter((f) => CODES.has(f.code))).toEqual([]);
  });
});

describe('a credential in the user data of a launch template or instance: one finding, RF712 at its place', () => {
  const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');

  it('a key on a line of a launch template heredoc: RF712 at the key, naming it, with the cloud key\'s fix; no RF940 beside it; the value shown nowhere', () => {
    const r = doctor(corpusFiles(join(CORPUS, 'ec2-autoscaler-user-data-heredoc-key')));
    expect(r.findings.filter((f) => f.code === 'RF712' || f.code === 'RF940').map((f) => `${f.code} ${f.path}`)).toEqual(['RF712 main.tf:162:30']);
    const f = r.findings.find((x) => x.code === 'RF712')!;
    expect(f.message).toBe('the user data of aws_launch_template.manager contains a token or key: an AWS access key id is written in main.tf at resource.aws_launch_template.manager.user_data (value not shown)');
    expect(f.fix).toBe('remove the key and revoke it; give the runner a keyless identity (instance profile, IRSA, Pod Identity, workload identity) instead; never put it in user data');
    expect(JSON.stringify(r)).not.toContain('AKIAQ7W3E9R2T5Y8U1I4');
  });

  it('guard: the same key in a shell script of its own (not user data of a resource) stays RF940', () => {
    const r = run({ 'scripts/boot.sh': '#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAQ7W3E9R2T5Y8U1I4\n' });
    expect(r.findings.filter((x) => x.code === 'RF712' || x.code === 'RF940').map((x) => `${x.code} ${x.path}`)).toEqual(['RF940 scripts/boot.sh:2:26']);
  });
});
