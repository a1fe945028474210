import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { RUNNER_TOKEN_ATTRIBUTE_NAMES } from '../src/verify/credentials.js';
import { isEnvFileName } from '../src/io/file-names.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * Issue 31c: the credential scan's follow-ups. One list of runner-token key names; a Terraform
 * state's shapeless runner token judged by its key; committed env templates (`.env.example`) read;
 * older placeholders at a credential key are RF933 (info), not RF940 and not silence.
 */

const run = doctorTexts;
/** The paths of a code's findings, in the order given. */
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);
/** line:column of the first `"key": "<value>"` value's opening quote in `text`. */
const valueAt = (text: string, key: string, value: string): string => {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`"${key}": "${value}"`));
  if (i < 0) throw new Error(`"${key}": "${value}" not in the text`);
  return `${i + 1}:${lines[i]!.indexOf(`"${value}"`) + 1}`;
};

describe('1. one list of runner-token key names', () => {
  it('holds the names config.toml, the chart and the GitLab provider give a runner token', () => {
    expect([...RUNNER_TOKEN_ATTRIBUTE_NAMES].sort()).toEqual(['authentication_token', 'registration_token', 'runnerRegistrationToken', 'runnerToken', 'runner_token', 'runners_token', 'token']);
  });
});

describe('2. a Terraform state: a shapeless runner token judged by its key', () => {
  // A token of an instance with its own prefix, or a legacy registration token: no glrt-/GR1348941 shape.
  const TOKEN = 'q7Wm3KpL5xNv2RbY7cZt';
  const REG = 'Xk2pQ9mZv4LtR7wNa8s';
  const state = (token: string, output: Record<string, unknown> = { runner_token: { value: token, type: 'string', sensitive: true } }, extra: Record<string, unknown>[] = []) =>
    JSON.stringify(
      {
        version: 4,
        terraform_version: '1.9.5',
        serial: 3,
        lineage: 'x',
        outputs: output,
        resources: [
          { mode: 'managed', type: 'gitlab_user_runner', name: 'this', provider: 'provider["registry.terraform.io/gitlabhq/gitlab"]', instances: [{ schema_version: 0, attributes: { id: '42', runner_type: 'group_type', token, token_expires_at: '' }, sensitive_attributes: [[{ type: 'get_attr', value: 'token' }]] }] },
          ...extra,
        ],
      },
      null,
      2,
    );

  it("gitlab_user_runner's token and the output runner_token: one RF940 at the first, the other listed, never shown", () => {
    const text = state(TOKEN);
    const r = run({ 'terraform.tfstate': text });
    const f = r.findings.filter((x) => x.code === 'RF940');
    expect(f.map((x) => x.path)).toEqual([`terraform.tfstate:${valueAt(text, 'value', TOKEN)}`]);
    expect(f[0]!.message).toContain('a GitLab runner token (runner_token) is written in terraform.tfstate at output.runner_token (value not shown); the same value is also written at terraform.tfstate:' + valueAt(text, 'token', TOKEN));
    expect(f[0]!.fix).toMatch(/^rotate it/);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('gitlab_runner: registration_token and authentication_token by their names, at any depth', () => {
    const runner = { mode: 'managed', type: 'gitlab_runner', name: 'legacy', provider: 'provider["registry.terraform.io/gitlabhq/gitlab"]', instances: [{ schema_version: 0, attributes: { id: '7', registration_token: REG, authentication_token: TOKEN } }] };
    const text = state('', {}, [runner]);
    const r = run({ 'terraform.tfstate': text });
    expect(r.findings.filter((x) => x.code === 'RF940').map((x) => x.message.split(' (value')[0])).toEqual([
      'a GitLab runner token (registration_token) is written in terraform.tfstate at gitlab_runner.legacy.registration_token',
      'a GitLab runner token (authentication_token) is written in terraform.tfstate at gitlab_runner.legacy.authentication_token',
    ]);
    expect(JSON.stringify(r)).not.toContain(REG);
  });

  it('twin: a placeholder or an empty token there is no RF940 (RF926 still names the state)', () => {
    for (const token of ['', 'REPLACE_ME', '<runner-token>', '${RUNNER_TOKEN}']) {
      const r = run({ 'terraform.tfstate': state(token) });
      expect(at(r, 'RF940')).toEqual([]);
      expect(at(r, 'RF926')).toEqual(['terraform.tfstate:1:1']);
    }
  });

  it("guard: `token` of another resource (aws_eks_cluster_auth) or an output named just `token` is not called a runner token", () => {
    const auth = { mode: 'data', type: 'aws_eks_cluster_auth', name: 'this', provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ schema_version: 0, attributes: { id: 'ci', name: 'ci', token: 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbQ' } }] };
    const text = JSON.stringify({ version: 4, serial: 1, lineage: 'x', outputs: { token: { value: 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbQ', type: 'string' } }, resources: [auth] }, null, 2);
    const r = run({ 'terraform.tfstate': text });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF926')).toEqual(['terraform.tfstate:1:1']);
  });
});

describe('3. committed env templates: .env.example, .env.sample, .env.template', () => {
  // Obviously fake tokens in the shapes GitLab and AWS issue (the credential scanner may flag them).
  const TOKEN = 'glrt-Vn3kQ8pZr2Wx7LmT4bYs';
  const AWS_ID = 'AKIAQ7W3E9R2T5Y8U1I4';

  it('names them env files, and nothing else that ends so', () => {
    expect(['.env.example', '.env.sample', '.env.template', 'deploy/runner.env.example', 'X.ENV.SAMPLE'].filter(isEnvFileName)).toHaveLength(5);
    expect(['.env.example.md', 'env.example', '.env.local.bak', '.environment', 'example.env.json'].filter(isEnvFileName)).toEqual([]);
  });

  it('a folder walk reads them: a real-shaped credential is RF940 at its line, placeholders RF933 or nothing, never shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-31c-env-'));
    try {
      writeFileSync(join(dir, '.env.example'), `CI_SERVER_URL=https://gitlab.example.com\nCI_SERVER_TOKEN=${TOKEN}\n`);
      writeFileSync(join(dir, '.env.sample'), 'CI_SERVER_TOKEN=<your-runner-token>\nAWS_ACCESS_KEY_ID=changeme\nAWS_SECRET_ACCESS_KEY=\n');
      writeFileSync(join(dir, '.env.template'), `AWS_ACCESS_KEY_ID=${AWS_ID}\n`);
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['.env.example', '.env.sample', '.env.template']);
      const r = doctor(files);
      expect(at(r, 'RF940').sort()).toEqual([`${dir}/.env.example:2:17`, `${dir}/.env.template:1:19`]);
      expect(at(r, 'RF933')).toEqual([`${dir}/.env.sample:2:1`]);
      expect(at(r, 'RF902')).toEqual([]);
      expect(JSON.stringify(r)).not.toContain(TOKEN);
      expect(JSON.stringify(r)).not.toContain(AWS_ID);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('named on the command line: read as an env file, not "not a YAML … file" (RF902)', () => {
    const r = run({ 'deploy/.env.example': `REGISTRATION_TOKEN=Xk2pQ9mZv4LtR7wN\n` });
    expect(at(r, 'RF902')).toEqual([]);
    expect(at(r, 'RF940')).toEqual(['deploy/.env.example:1:1']);
  });

  it('twin: a template of placeholders and references only: no RF940, no RF933, no RF902', () => {
    const r = run({ '.env.template': 'CI_SERVER_URL=https://gitlab.example.com\nCI_SERVER_TOKEN=glrt-xxxxxxxxxxxxxxxxxxxx\nREGISTRATION_TOKEN=\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}\n' });
    expect(r.findings.filter((f) => f.code === 'RF940' || f.code === 'RF933' || f.code === 'RF902')).toEqual([]);
  });
});

describe('4. older placeholders at a credential key: RF933 (info), named "a placeholder"', () => {
  // A secret access key written for these tests in the form AWS issues.
  const REAL_SECRET = 'Zq8vT2mN5xR7pK3wL9bY4cJ6hF1dG0sA2eU8iO5t';
  const cacheToml = (secret: string) => `[[runners]]\n  name = "shell"\n  executor = "shell"\n  [runners.cache]\n    Type = "s3"\n    [runners.cache.s3]\n      BucketName = "ci-cache"\n      SecretKey = "${secret}"\n`;
  const PLACEHOLDERS = ['changeme', 'CHANGEME', 'change-me', 'CHANGE_ME', 'REPLACE_ME', '<your-token>', 'xxx', 'xxxx-xxxx-xxxx', 'XXXX_XXXX', 'xxx…', 'TODO', 'TODO: set me', 'TBD', 'FIXME', 'your_token_here', 'insert-key-here', '__SECRET_KEY__', '@SECRET_KEY@', '***', 'AKIAXXXXXXXXXXXXXXXX', 'placeholder', '[REDACTED]', '<redacted>'];

  it.each(PLACEHOLDERS.map((p) => [p] as const))('config.toml SecretKey = "%s": RF933 at the key, no RF940', (value) => {
    const r = run({ 'config.toml': cacheToml(value) });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF933')).toEqual(['config.toml:8:7']);
    const f = r.findings.find((x) => x.code === 'RF933')!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain('config.toml sets SecretKey to a placeholder, not a key (value not shown, no RF940)');
  });

  it('a shell script and a Kubernetes env entry: the same RF933', () => {
    const sh = run({ 'boot.sh': '#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=<your-secret-key>\nexport AWS_ACCESS_KEY_ID=TODO\n' });
    expect(at(sh, 'RF933')).toEqual(['boot.sh:2:8', 'boot.sh:3:8']);
    expect(at(sh, 'RF940')).toEqual([]);
    const yaml = run({ 'runner.yaml': 'env:\n  - name: AWS_SECRET_ACCESS_KEY\n    value: "xxxx-xxxx-xxxx"\n' });
    expect(at(yaml, 'RF933')).toEqual(['runner.yaml:3:12']);
    expect(at(yaml, 'RF940')).toEqual([]);
  });

  it('twin: a real key, a store default (minio123) and a word a store takes (dummy) stay RF940 at the same key', () => {
    for (const value of [REAL_SECRET, 'minio123', 'dummy', 'todolist-key-9', 'here-is-my-key']) {
      const r = run({ 'config.toml': cacheToml(value) });
      expect(at(r, 'RF940')).toEqual(['config.toml:8:7']);
      expect(at(r, 'RF933')).toEqual([]);
    }
  });

  it('guard: references and template placeholders stay silent (no RF933, no RF940)', () => {
    for (const value of ['$AWS_SECRET', '${AWS_SECRET}', '{{ .Values.secretKey }}', '']) {
      const r = run({ 'config.toml': cacheToml(value) });
      expect(at(r, 'RF933')).toEqual([]);
      expect(at(r, 'RF940')).toEqual([]);
    }
    const cm = run({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: boot\ndata:\n  run.sh: |\n    export AWS_SECRET_ACCESS_KEY="{{ .Values.secretKey }}"\n    export AWS_ACCESS_KEY_ID=$(cat /run/key)\n' });
    expect(at(cm, 'RF933')).toEqual([]);
    expect(at(cm, 'RF940')).toEqual([]);
  });

  it('a runner token key set to a placeholder: neither RF940 nor RF933', () => {
    const r = run({ 'runner.env': 'CI_SERVER_URL=https://gitlab.example.com\nCI_SERVER_TOKEN=TODO\nREGISTRATION_TOKEN=xxxx-xxxx\n' });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF933')).toEqual([]);
  });
});

describe('a value SOPS encrypted in place is no credential in clear', () => {
  // fullstack-pw/infra keeps its cloud keys in SOPS files (secrets/…/AWS_ACCESS_KEY_ID.yaml): two false RF940 errors before.
  const sops = (value: string) => `vault:\n  kv:\n    secrets:\n      AWS_ACCESS_KEY_ID: ${value}\n      AWS_SECRET_ACCESS_KEY: ${value}\nsops:\n  age:\n    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n  version: 3.8.1\n`;
  const ENCRYPTED = 'ENC[AES256_GCM,data:Qm9ndXMgdmFsdWUgZm9yIHRlc3Rz,iv:2RFXQMk2H9azHQK2AiupOVe7E3vrNqX22R8tFGJesl8=,tag:8ijmdRtt+QzV6dWKvIIM6A==,type:str]';
  it('an ENC[AES256_GCM,…] value at a cloud key is neither RF940 nor RF933', () => {
    const r = run({ 'secrets.yaml': sops(ENCRYPTED) });
    expect(r.findings.filter((f) => f.code === 'RF940' || f.code === 'RF933')).toEqual([]);
  });
  it('a key in clear in the same file is RF940; a value that only starts like SOPS is not taken for it', () => {
    // One RF940 per file, at the first; the second key is listed in its message.
    expect(at(run({ 'secrets.yaml': sops('Zq8vT2mN5xR7pK3wL9bY4cJ6hF1dG0sA2eU8iO5t') }), 'RF940')).toEqual(['secrets.yaml:4:26']);
    expect(at(run({ 'secrets.yaml': sops('ENC[Zq8vT2mN5xR7pK3wL9bY4cJ6hF1dG0sA2eU8iO5t]') }), 'RF940')).toEqual(['secrets.yaml:4:26']);
  });
});

// Task 37a: Azure-Samples/Gitlab-Runner-VMSS deploys its manager VM, scale set and a Contributor role assignment in
// Bicep, which gave RF910 alone: the files that made the deployment went unnamed.
describe('a walk names Bicep as not read', () => {
  it('.bicep and .bicepparam are in the one RF902 of files not read, and the message names Bicep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-bicep-'));
    try {
      writeFileSync(join(dir, 'main.bicep'), "param location string = resourceGroup().location\nresource vm 'Microsoft.Compute/virtualMachines@2023-03-01' = {\n  name: 'runner-manager'\n  location: location\n}\n");
      writeFileSync(join(dir, 'main.bicepparam'), "using './main.bicep'\nparam location = 'westeurope'\n");
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead === true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['main.bicep', 'main.bicepparam']);
      const said = doctor(files).findings.filter((f) => f.code === 'RF902');
      expect(said).toHaveLength(1);
      expect(said[0]!.message).toMatch(/^2 file\(s\) in the folders given look like part of the deployment .*Jsonnet, Bicep\), so nothing in them is checked: .*main\.bicep, .*main\.bicepparam$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Task 37a: maresb/gitlab-runner-ecr-auth-example registers its runner with --docker-privileged in `register`, a
// shell script without an extension beside its compose file: a walk left it out in silence, and named on the
// command line it was RF901 "not valid YAML". execve(2): the kernel runs a file whose first line is `#!` with
// the interpreter that line names.
describe('a shell script without an extension is read by its #! line', () => {
  const script = (shebang: string) => `${shebang}\nsource .env\n# from this folder only\nif [ "$PWD" != "$(dirname "$0")" ]; then\n  echo "run me from my folder"\n  exit 1\nfi\ndocker compose exec runner gitlab-runner register \\\n  --executor docker \\\n  --docker-image alpine \\\n  --docker-privileged\n`;
  // A Makefile is read by its name (37b: its recipes are shell commands), not by a #! line.
  it('a walk reads `register` (#!/bin/bash) and `setup` (#!/usr/bin/env sh): RF301 at the flag; a Python script stays silent, a Makefile is read by its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-shebang-'));
    try {
      writeFileSync(join(dir, 'register'), script('#!/bin/bash'));
      writeFileSync(join(dir, 'setup'), script('#!/usr/bin/env sh'));
      writeFileSync(join(dir, 'tool'), script('#!/usr/bin/env python3'));
      writeFileSync(join(dir, 'Makefile'), 'all:\n\tgitlab-runner register --executor docker --docker-privileged\n');
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['Makefile', 'register', 'setup']);
      expect(doctor(files).findings.filter((f) => f.code === 'RF301').map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['Makefile:2:43', 'register:11:3', 'setup:11:3']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('named on the command line, a #! file is read as a script, not YAML (no RF901)', () => {
    const r = doctor([{ path: 'register', bytes: new TextEncoder().encode(script('#!/bin/bash')) }]);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['register:11:3']);
  });
});

describe('a walk names Jsonnet as not read (rkwaysltd/k8slab-infra-gitlab-runners deploys its runner with qbec)', () => {
  it('.jsonnet and .libsonnet are in the one RF902 of files not read; other source code stays silent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-jsonnet-'));
    try {
      writeFileSync(join(dir, 'index.jsonnet'), "local p = import 'params.libsonnet';\n{ runner: p.runner }\n");
      writeFileSync(join(dir, 'params.libsonnet'), '{ runner: { replicas: 1 } }\n');
      writeFileSync(join(dir, 'main.go'), 'package main\n');
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead === true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['index.jsonnet', 'params.libsonnet']);
      const said = doctor(files).findings.filter((f) => f.code === 'RF902');
      expect(said).toHaveLength(1);
      expect(said[0]!.message).toMatch(/^2 file\(s\) in the folders given look like part of the deployment .*Jsonnet, Bicep\), so nothing in them is checked: .*index\.jsonnet, .*params\.libsonnet$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
