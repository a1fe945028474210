import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { holdsCredential, lineCredentials, placeholderValue } from '../src/verify/credentials.js';
import { machineOptionsLaunchTemplate, machineOptionsValues } from './helpers/machine-keys.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * Issue 30c: the credential scan's placeholders and misses. AWS's documented example keys and an
 * environment variable's name given to a key are no key (RF928 at a docker-machine key option, RF933
 * info at a cloud credential key, never RF940), while a real key's shape beside them stays RF940; a
 * placeholder key option gives RF928 wherever a config.toml is written; every credential on a line is
 * found; a state's JSON-encoded attributes and .terraform/terraform.tfstate are read; a compose
 * service's env_file is.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
/** `file:line:col` as a sort key (line, then column). */
const lineCol = (p: string) => p.split(':').slice(-2).map(Number) as [number, number];
/** The paths of a code's findings, in the file's order. */
const at = (r: DoctorResult, code: string) =>
  r.findings
    .filter((f) => f.code === code)
    .map((f) => f.path)
    .sort((a, b) => lineCol(a)[0] - lineCol(b)[0] || lineCol(a)[1] - lineCol(b)[1]);
const place = (file: string, text: string, needle: string, from = 0) => {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, i).split('\n');
  return `${file}:${before.length}:${before[before.length - 1]!.length + 1}`;
};

// AWS's documented example pair, and keys written for these tests in the forms AWS issues.
const DOC_ID = 'AKIAIOSFODNN7EXAMPLE';
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const REAL_ID = 'AKIAQ7W3E9R2T5Y8U1I4';
const REAL_SECRET = 'Zq8vT2mN5xR7pK3wL9bY4cJ6hF1dG0sA2eU8iO5t';

const cacheToml = (access: string, secret: string) => `[[runners]]
  name = "shell"
  executor = "shell"
  [runners.cache]
    Type = "s3"
    [runners.cache.s3]
      ServerAddress = "s3.amazonaws.com"
      BucketName = "ci-cache"
      AccessKey = "${access}"
      SecretKey = "${secret}"
`;

describe('1. AWS documentation example keys are placeholders', () => {
  it('by the one placeholder rule, and not an access key id by its shape', () => {
    expect(placeholderValue(DOC_ID)).toBe(true);
    expect(placeholderValue(DOC_SECRET)).toBe(true);
    expect(placeholderValue('AKIAI44QH8DHBEXAMPLE')).toBe(true);
    expect(lineCredentials(`key_id: ${DOC_ID}`, false)).toEqual([]);
    expect(holdsCredential(`export AWS_SECRET_ACCESS_KEY=${DOC_SECRET}\n`)).toBe(false);
    // Guard: the forms AWS issues stay keys.
    expect(placeholderValue(REAL_ID)).toBe(false);
    expect(placeholderValue(REAL_SECRET)).toBe(false);
  });

  it('config.toml cache keys set to the example pair: no RF940, RF933 (info) at each', () => {
    const text = cacheToml(DOC_ID, DOC_SECRET);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF933')).toEqual([place('config.toml', text, 'AccessKey'), place('config.toml', text, 'SecretKey')]);
    const f = r.findings.find((x) => x.code === 'RF933')!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain('an AWS documentation example key');
    expect(f.fix).toContain('keyless identity');
    expect(JSON.stringify(r)).not.toContain(DOC_SECRET);
  });

  it('twin: a real key beside the example is RF940', () => {
    const text = cacheToml(DOC_ID, REAL_SECRET);
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, 'SecretKey')]);
    expect(at(r, 'RF933')).toEqual([place('config.toml', text, 'AccessKey')]);
    expect(JSON.stringify(r)).not.toContain(REAL_SECRET);
  });

  it('a docker-machine key option set to the example: RF928, not RF940', () => {
    const text = `[[runners]]\n  executor = "docker+machine"\n  [runners.machine]\n    MachineDriver = "amazonec2"\n    MachineOptions = ["amazonec2-access-key=${DOC_ID}", "amazonec2-secret-key=${REAL_SECRET}"]\n`;
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF928')).toEqual([place('config.toml', text, '"amazonec2-access-key')]);
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, '"amazonec2-secret-key')]);
  });
});

describe('2. an environment variable name given to a key is a placeholder', () => {
  it.each([['AWS_ACCESS_KEY'], ['MINIO_ROOT_USER']])('%s', (name) => {
    expect(placeholderValue(name)).toBe(true);
  });

  it.each([['minio'], ['MINIOADMIN'], ['my_secret_key'], ['AWS_KEY_AKIAQ7W3E9R2T5Y8U1I4'], [`${REAL_ID}_X`]])('guard: %s stays a key (one word, lower case, or a word a key could be)', (value) => {
    expect(placeholderValue(value)).toBe(false);
  });

  it('[runners.cache.s3] AccessKey = "AWS_ACCESS_KEY" (thejohnfreeman): RF933, no RF940', () => {
    const text = cacheToml('AWS_ACCESS_KEY', 'AWS_SECRET_KEY');
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF933')).toEqual([place('config.toml', text, 'AccessKey'), place('config.toml', text, 'SecretKey')]);
    expect(r.findings.find((f) => f.code === 'RF933')!.message).toContain("a placeholder (it reads like an environment variable's name, which gitlab-runner does not expand here)");
  });

  it('twin: a MinIO key of another form stays RF940', () => {
    const text = cacheToml('AWS_ACCESS_KEY', 'minio-secret-123');
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF940')).toEqual([place('config.toml', text, 'SecretKey')]);
  });
});

describe('3. a placeholder key option: RF928 wherever a config.toml is written', () => {
  const tf = machineOptionsLaunchTemplate;

  it('a heredoc in Terraform user data: RF928 at each placeholder option, RF940 at a key beside it, each at the entry\'s quote as in a config.toml file (issue 34d; was at the option)', () => {
    const text = tf(['amazonec2-access-key=${AWS_KEY}', `amazonec2-secret-key=${REAL_SECRET}`, 'amazonec2-session-token=REPLACE_ME']);
    const r = run({ 'main.tf': text });
    expect(at(r, 'RF928')).toEqual([place('main.tf', text, '"amazonec2-access-key'), place('main.tf', text, '"amazonec2-session-token')]);
    expect(at(r, 'RF940')).toEqual([place('main.tf', text, '"amazonec2-secret-key')]);
  });

  it('the chart values runners.config: RF928 at the entry\'s quote, as for a config.toml file', () => {
    const text = machineOptionsValues(['amazonec2-region=us-west-1', 'amazonec2-access-key=XXXXXXXXXXXXXXXXXXXX']);
    const r = run({ 'values.yaml': text });
    expect(at(r, 'RF928')).toEqual([place('values.yaml', text, '"amazonec2-access-key')]);
    expect(r.findings.find((f) => f.code === 'RF928')!.fix).toContain('instance profile');
    expect(at(r, 'RF940')).toEqual([]);
  });

  it('guard: a config.toml file gives one RF928 per entry (its own, with the driver), a register flag one', () => {
    const text = `[[runners]]\n  executor = "docker+machine"\n  [runners.machine]\n    MachineDriver = "amazonec2"\n    MachineOptions = ["amazonec2-access-key=<key>"]\n`;
    const r = run({ 'config.toml': text });
    expect(at(r, 'RF928')).toEqual([place('config.toml', text, '"amazonec2-access-key')]);
    expect(r.findings.find((f) => f.code === 'RF928')!.message).toContain('MachineDriver "amazonec2"');
    const sh = '#!/bin/sh\ngitlab-runner register --executor docker+machine --machine-machine-options amazonec2-access-key=$KEY\n';
    expect(at(run({ 'boot.sh': sh }), 'RF928')).toHaveLength(1);
  });
});

describe('3b. one finding per key option of a chart values runners.config whose chain is not proven (issue 33d)', () => {
  // The chain stops before its proofs (its role not given), so the checks of a config.toml alone read its
  // runners.config too; before, they placed the entry at its quote and the credential scan at the option
  // (one column on): two RF928s (two RF940s) for one entry.
  const unproven = (options: string[]) => machineOptionsValues(options).replace('runners:\n', 'serviceAccount:\n  name: manager\nnamespace: ci\nrunners:\n');

  it('a placeholder option: one RF928, at the entry\'s quote', () => {
    const text = unproven(['amazonec2-access-key=<key>', 'amazonec2-secret-key=${SECRET}']);
    const r = run({ 'values.yaml': text });
    expect(at(r, 'RF928')).toEqual([place('values.yaml', text, '"amazonec2-access-key'), place('values.yaml', text, '"amazonec2-secret-key')]);
  });

  it('twin: a key in clear: one RF940, at the entry\'s quote; an option on a line of its own too', () => {
    const text = unproven([`amazonec2-secret-key=${REAL_SECRET}`]);
    const r = run({ 'values.yaml': text });
    expect(at(r, 'RF940')).toEqual([place('values.yaml', text, '"amazonec2-secret-key')]);
    const several = text.replace(/MachineOptions = \[(.*)\]/, (_m, entry: string) => `MachineOptions = [\n          ${entry},\n          "amazonec2-region=us-west-1"\n        ]`);
    expect(several).toContain('[\n          "amazonec2-secret-key');
    expect(at(run({ 'values.yaml': several }), 'RF940')).toEqual([place('values.yaml', several, '"amazonec2-secret-key')]);
    expect(JSON.stringify(r)).not.toContain(REAL_SECRET);
  });
});

describe('4. every credential on a line', () => {
  const line = `export AWS_ACCESS_KEY_ID=${REAL_ID} AWS_SECRET_ACCESS_KEY=${REAL_SECRET}`;

  it('lineCredentials: both, each at its column', () => {
    const found = lineCredentials(line, false);
    expect(found.map((c) => [c.index, c.key])).toEqual([
      [line.indexOf(REAL_ID), undefined],
      [line.indexOf('AWS_SECRET_ACCESS_KEY'), 'AWS_SECRET_ACCESS_KEY'],
    ]);
  });

  it('a shell script: two RF940, each at its place', () => {
    const text = `#!/bin/bash\n${line}\n`;
    const r = run({ 'boot.sh': text });
    expect(at(r, 'RF940')).toEqual([place('boot.sh', text, REAL_ID), place('boot.sh', text, 'AWS_SECRET_ACCESS_KEY')]);
  });

  it('two shapes on one line: both', () => {
    const text = `#!/bin/bash\necho ${REAL_ID} glrt-Vn3kQ8pZr2Wx7LmT4bYs\n`;
    expect(at(run({ 'boot.sh': text }), 'RF940')).toEqual([place('boot.sh', text, REAL_ID), place('boot.sh', text, 'glrt-')]);
  });

  it('guard: the second assignment a variable, one finding', () => {
    const text = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${REAL_ID} AWS_SECRET_ACCESS_KEY="$SECRET"\n`;
    expect(at(run({ 'boot.sh': text }), 'RF940')).toEqual([place('boot.sh', text, REAL_ID)]);
  });
});

describe('5. Terraform state: JSON-encoded attributes and the backend cache', () => {
  const TOKEN = 'q7Wm3KpL5xNv2RbY7cZt';
  const state = (userData: string) =>
    JSON.stringify({ version: 4, terraform_version: '1.9.5', serial: 1, lineage: 'x', outputs: {}, resources: [{ mode: 'managed', type: 'aws_ecs_task_definition', name: 'runner', provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ schema_version: 0, attributes: { family: 'runner', container_definitions: userData } }] }] }, null, 2);

  it('a shapeless token under "token" in a jsonencoded attribute: RF940 at it, named by its address', () => {
    const text = state(JSON.stringify({ runners: [{ url: 'https://gitlab.example.com', token: TOKEN }] }));
    const r = run({ 'terraform.tfstate': text });
    const f = r.findings.filter((x) => x.code === 'RF940');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('aws_ecs_task_definition.runner.container_definitions.token');
    expect(f[0]!.path).toMatch(/^terraform\.tfstate:\d+:\d+$/);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('twin: a placeholder token there is no RF940', () => {
    const r = run({ 'terraform.tfstate': state(JSON.stringify({ token: '${RUNNER_TOKEN}' })) });
    expect(at(r, 'RF940')).toEqual([]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'rf-30c-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder walk reads .terraform/terraform.tfstate, and nothing else of .terraform', async () => {
    mkdirSync(join(dir, '.terraform', 'providers'), { recursive: true });
    mkdirSync(join(dir, '.terraform', 'modules', 'm'), { recursive: true });
    writeFileSync(join(dir, 'main.tf'), 'terraform {\n  backend "s3" {}\n}\n');
    writeFileSync(join(dir, '.terraform', 'terraform.tfstate'), JSON.stringify({ version: 3, backend: { type: 's3', config: { bucket: 'tf', access_key: REAL_ID, secret_key: REAL_SECRET } } }, null, 2));
    writeFileSync(join(dir, '.terraform', 'modules', 'm', 'main.tf'), 'variable "x" {}\n');
    const { files } = await walkFiles([dir], 1 << 20);
    expect(files.map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['.terraform/terraform.tfstate', 'main.tf']);
    const r = doctor(files);
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.message.split(' (value')[0]).sort()).toEqual([
      `a static credential (secret_key) is written in ${join(dir, '.terraform', 'terraform.tfstate')} at secret_key`,
      `an AWS access key id is written in ${join(dir, '.terraform', 'terraform.tfstate')} at access_key`,
    ]);
    expect(at(r, 'RF926')).toEqual([]);
  });
});

describe('6. docker-compose env_file', () => {
  const compose = `services:
  gitlab-runner:
    image: gitlab/gitlab-runner:v17.11.0
    env_file: .env
`;
  it('a .env with the runner token: RF940 at its line; the service is named with the settings it sets', () => {
    const env = 'CI_SERVER_URL=https://gitlab.example.com\nREGISTRATION_TOKEN=Xk2pQ9mZv4LtR7wN\n';
    const r = run({ 'docker-compose.yml': compose, '.env': env });
    expect(at(r, 'RF940')).toEqual(['.env:2:1']);
    expect(r.findings.find((f) => f.code === 'RF910')!.message).toContain('REGISTRATION_TOKEN');
    expect(JSON.stringify(r)).not.toContain('Xk2pQ9mZv4LtR7wN');
  });

  it('twin: a .env that names the token by a variable has no RF940', () => {
    const r = run({ 'docker-compose.yml': compose, '.env': 'CI_SERVER_URL=https://gitlab.example.com\nCI_SERVER_TOKEN=${RUNNER_TOKEN}\n' });
    expect(at(r, 'RF940')).toEqual([]);
  });

  it('a folder walk reads .env', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-30c-env-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), compose);
      writeFileSync(join(dir, '.env'), 'CI_SERVER_TOKEN=glrt-Vn3kQ8pZr2Wx7LmT4bYs\n');
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['.env', 'docker-compose.yml']);
      expect(at(doctor(files), 'RF940')).toEqual([`${dir}/.env:1:17`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('7. a private key block with placeholders for its body', () => {
  // public zeropsio/gitlab-runners: `SSH_KEY: |` whose body is lines of dots, written to show where the key goes.
  const dots = '.'.repeat(50);
  const body = 'MIIEpAIBAAKCAQEA1x9Qk2Lw8Tn4Rb7Vc0Zp3Ym6Hs5Jd2Gf8Ke1Ua4Wo7Ti9Nq0Bv';
  const block = (lines: string[], indent = '') => [`${indent}-----BEGIN OPENSSH PRIVATE KEY-----`, ...lines.map((l) => indent + l), `${indent}-----END OPENSSH PRIVATE KEY-----`].join('\n');
  const yaml = (lines: string[]) => `services:\n  - hostname: node\n    envVariables:\n      SSH_KEY: |\n${block(lines, '        ')}\n`;

  it('a YAML block of dots is no key: no RF940', () => {
    expect(at(run({ 'import.yml': yaml([dots, dots, dots]) }), 'RF940')).toEqual([]);
  });
  it('twin: the same block with a base64 body is RF940 at the header', () => {
    const text = yaml([body, dots]);
    expect(at(run({ 'import.yml': text }), 'RF940')).toEqual([place('import.yml', text, '-----BEGIN')]);
  });
  it('a shell heredoc of `<your key here>` or xxxx is no key; one of base64 is', () => {
    const script = (lines: string[]) => `#!/bin/sh\ncat > /root/.ssh/id_rsa <<KEY\n${block(lines)}\nKEY\n`;
    expect(at(run({ 'key.sh': script(['<your private key here>']) }), 'RF940')).toEqual([]);
    expect(at(run({ 'key.sh': script(['xxxxxxxxxxxxxxxx', 'xxxxxxxxxxxxxxxx']) }), 'RF940')).toEqual([]);
    const text = script([body]);
    expect(at(run({ 'key.sh': text }), 'RF940')).toEqual([place('key.sh', text, '-----BEGIN')]);
  });
  it('a header with no END, or an END right after it, stays a key', () => {
    const open = `#!/bin/sh\necho "-----BEGIN RSA PRIVATE KEY-----"\n${dots}\n`;
    expect(at(run({ 'open.sh': open }), 'RF940')).toEqual([place('open.sh', open, '-----BEGIN')]);
    const empty = `#!/bin/sh\ncat > k <<K\n-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\nK\n`;
    expect(at(run({ 'empty.sh': empty }), 'RF940')).toEqual([place('empty.sh', empty, '-----BEGIN')]);
  });
});
