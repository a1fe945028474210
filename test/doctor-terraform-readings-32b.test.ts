import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { secretKeyNameBeside, secretKeyNameValue } from '../src/verify/credentials.js';

/**
 * Issue 32b: Terraform readings found on fullstack-pw/infra. A `secret_key` beside a Secret's name
 * names a key of that Secret; a GitLab group's or project's `runners_token` is a runner token; RF910
 * names the module calls whose count or for_each is unknown.
 */

const run = doctorTexts;
/** The paths of a code's findings, in the order given. */
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);
/** An S3 secret access key's form (40 characters of base64), fake. */
const REAL_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';

describe('1. a secret_key beside a Secret name is the name of a key in that Secret', () => {
  // fullstack-pw/infra clusters/modules.tf: a module argument map built by a for expression.
  const moduleArg = (value: string, extra = '') => `module "oracle_backup" {
  source = "./backup"
  postgres_backups = {
    for key, config in var.backups : key => {
      namespace   = config.namespace
      secret_name = try(config.secret_name, "")
      secret_key  = try(config.secret_key, ${value})${extra}
    }
  }
}
`;
  it('a module argument object: no RF940 for a key name, a word or a variable-like name (no RF933 either)', () => {
    for (const value of ['"password"', '"POSTGRES_PASSWORD"', '"secret-access-key"', '"minio123"']) {
      const r = run({ 'main.tf': moduleArg(value) });
      expect(at(r, 'RF940')).toEqual([]);
      expect(at(r, 'RF933')).toEqual([]);
    }
  });

  it('a variable type with optional defaults and a literal object: no RF940', () => {
    const tf = `variable "postgres_backups" {
  type = map(object({
    host        = string
    secret_name = optional(string, "")
    secret_key  = optional(string, "password")
  }))
  default = {}
}
variable "config" {
  default = {
    pg = {
      secret_name = "cluster-secrets"
      secret_key  = "POSTGRES_PASSWORD"
    }
  }
}
resource "null_resource" "x" {
  existingSecret = "minio-creds"
  secret_key     = "rootPassword"
}
`;
    const r = run({ 'variables.tf': tf });
    expect(at(r, 'RF940')).toEqual([]);
    expect(at(r, 'RF933')).toEqual([]);
  });

  it('twin: without a Secret name beside it, the same secret_key stays RF940 (MinIO key)', () => {
    const tf = `module "store" {\n  source     = "./minio"\n  endpoint   = "minio.local"\n  secret_key = "minio123"\n}\n`;
    expect(at(run({ 'main.tf': tf }), 'RF940')).toEqual(['main.tf:4:16']);
    const arg = moduleArg('"password"').replace('secret_name = try(config.secret_name, "")', 'bucket      = try(config.bucket, "")');
    expect(at(run({ 'main.tf': arg }), 'RF940')).toEqual(['main.tf:7:44']);
  });

  it('twin: beside a Secret name, an access_key pair or a value with a key\'s form stays RF940', () => {
    // A module that writes the store's credentials into the Secret it names: a credential pair.
    const pair = `module "minio" {\n  source      = "./minio"\n  secret_name = "minio-creds"\n  access_key  = "minioadmin"\n  secret_key  = "minio123"\n}\n`;
    expect(at(run({ 'main.tf': pair }), 'RF940')).toEqual(['main.tf:4:17', 'main.tf:5:17']);
    const keyForm = `module "minio" {\n  source      = "./minio"\n  secret_name = "minio-creds"\n  secret_key  = "${REAL_SECRET}"\n}\n`;
    expect(at(run({ 'main.tf': keyForm }), 'RF940')).toEqual(['main.tf:4:17']);
    const random = `module "minio" {\n  source      = "./minio"\n  secret_name = "minio-creds"\n  secret_key  = "q7Wm3KpL5xNv2RbY7cZt"\n}\n`;
    expect(at(run({ 'main.tf': random }), 'RF940')).toEqual(['main.tf:4:17']);
  });

  it('YAML and JSON: a secret_key beside secret_name is no credential; alone it stays RF940', () => {
    const named = run({ 'values.yaml': 'backup:\n  secret_name: minio-creds\n  secret_key: password\n' });
    expect(at(named, 'RF940')).toEqual([]);
    const alone = run({ 'values.yaml': 'backup:\n  endpoint: minio.local\n  secret_key: minio123\n' });
    expect(at(alone, 'RF940')).toEqual(['values.yaml:3:15']);
    const json = run({ 'main.tf.json': JSON.stringify({ module: { b: { source: './b', secretName: 'pg', secret_key: 'password' } } }, null, 2) });
    expect(at(json, 'RF940')).toEqual([]);
  });

  it('guard: a secretKeyRef (name, key) in a Pod is no credential', () => {
    const pod = `apiVersion: v1
kind: Pod
metadata:
  name: backup
spec:
  containers:
    - name: backup
      image: postgres:16
      env:
        - name: PGPASSWORD
          valueFrom:
            secretKeyRef:
              name: cluster-secrets
              key: password
`;
    expect(at(run({ 'pod.yaml': pod }), 'RF940')).toEqual([]);
  });

  it('the rule: which neighbours name a Secret, which values are a key name', () => {
    expect(secretKeyNameBeside(['secret_name', 'secret_key'])).toBe(true);
    expect(secretKeyNameBeside(['existingSecret', 'secret_key'])).toBe(true);
    expect(secretKeyNameBeside(['secret_name', 'access_key', 'secret_key'])).toBe(false);
    expect(secretKeyNameBeside(['bucket', 'secret_key'])).toBe(false);
    expect(['password', 'POSTGRES_PASSWORD', 'tls.key', 'secret-access-key'].map(secretKeyNameValue)).toEqual([true, true, true, true]);
    expect([REAL_SECRET, 'q7Wm3KpL5xNv2RbY7cZt', 'glrt-EXAMPLEexampleEXAMPLE12', 'two words', ''].map(secretKeyNameValue)).toEqual([false, false, false, false, false]);
  });
});
