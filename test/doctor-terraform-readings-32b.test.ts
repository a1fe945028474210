import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorEdited, doctorTexts } from './helpers/doctor.js';
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

describe("2. a GitLab group's or project's runners_token is a runner registration token", () => {
  // Shapeless registration tokens (older GitLab, no GR1348941 prefix): found by the attribute's name only. Fake.
  const REG = 'Xk2pQ9mZv4LtR7wNa8s';
  const REG2 = 'Wm7tQ2pZ9vK4nLr8Ys3';
  const state = (resources: Record<string, unknown>[]) => JSON.stringify({ version: 4, terraform_version: '1.9.5', serial: 3, lineage: 'x', outputs: {}, resources }, null, 2);
  const gitlab = 'provider["registry.terraform.io/gitlabhq/gitlab"]';

  it('a state holding gitlab_project.runners_token and a gitlab_groups item\'s runners_token in clear: RF940 at each, never shown', () => {
    const text = state([
      { mode: 'managed', type: 'gitlab_project', name: 'ci', provider: gitlab, instances: [{ schema_version: 0, attributes: { id: '12', name: 'ci', runners_token: REG } }] },
      { mode: 'data', type: 'gitlab_groups', name: 'all', provider: gitlab, instances: [{ schema_version: 0, attributes: { id: 'g', groups: [{ group_id: 3, full_path: 'acme', runners_token: REG2 }] } }] },
    ]);
    const r = run({ 'terraform.tfstate': text });
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.message.split(' (value')[0])).toEqual([
      'a GitLab runner token (runners_token) is written in terraform.tfstate at gitlab_project.ci.runners_token',
      'a GitLab runner token (runners_token) is written in terraform.tfstate at data.gitlab_groups.all.groups[0].runners_token',
    ]);
    expect(JSON.stringify(r)).not.toContain(REG);
    expect(JSON.stringify(r)).not.toContain(REG2);
  });

  it('twin: an empty or placeholder runners_token in a state is no token', () => {
    const text = state([{ mode: 'managed', type: 'gitlab_project', name: 'ci', provider: gitlab, instances: [{ schema_version: 0, attributes: { id: '12', name: 'ci', runners_token: '' } }] }]);
    expect(at(run({ 'terraform.tfstate': text }), 'RF940')).toEqual([]);
  });

  const CASE = 'test/doctor/corpus/kubernetes-provider-metadata-refs';
  const tokenLine = '    "runner-token" = var.runner_token\n';
  const given = (data: string, extra = '') => doctorEdited(CASE, [[tokenLine, data], ['variable "runner_token" {', `${extra}variable "runner_token" {`]]);
  /** The paths of a code's findings. */
  const keyAt = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

  it("the chart's token Secret given a project's runners_token: RF912 at that key, naming it, no token shown", () => {
    const r = given('    "runner-registration-token" = gitlab_project.ci.runners_token\n    "runner-token"              = ""\n', 'resource "gitlab_project" "ci" {\n  name = "ci"\n}\n\n');
    // At the reference, the value of the key.
    expect(keyAt(r, 'RF912')).toEqual(['main.tf:45:35']);
    const f = r.findings.find((x) => x.code === 'RF912')!;
    expect(f.message).toContain("gives runner-registration-token the project's registration token (gitlab_project.ci.runners_token)");
    expect(f.message).toMatch(/^the Secret gitlab-runner\/gitlab-runner-token the chart mounts \(runners\.secret\) gives/);
    expect(f.message).toContain('registration-token flow, deprecated by GitLab');
  });

  it("a group's runners_token from a data source, given as runner-token: RF912 too", () => {
    const r = given('    "runner-token" = data.gitlab_group.acme.runners_token\n', 'data "gitlab_group" "acme" {\n  full_path = "acme"\n}\n\n');
    expect(keyAt(r, 'RF912')).toEqual(['main.tf:45:22']);
    expect(r.findings.find((x) => x.code === 'RF912')!.message).toContain("gives runner-token the group's registration token (data.gitlab_group.acme.runners_token)");
  });

  it('twin: the Secret given a gitlab_user_runner token, or a variable, is no RF912', () => {
    const r = given('    "runner-token" = gitlab_user_runner.ci.token\n', 'resource "gitlab_user_runner" "ci" {\n  runner_type = "project_type"\n  project_id  = 12\n}\n\n');
    expect(keyAt(r, 'RF912')).toEqual([]);
    expect(keyAt(given(tokenLine), 'RF912')).toEqual([]);
  });
});

describe('3. RF910 names the module calls and manager resources whose count or for_each is unknown', () => {
  // fullstack-pw/infra clusters/: each module's count depends on terraform.workspace.
  const root = `locals {
  workload = var.config[terraform.workspace].workloads
}

variable "config" {
  type = map(any)
}

module "metrics_server" {
  count  = contains(local.workload, "metrics-server") ? 1 : 0
  source = "./modules/metrics"
}

module "gitlab_runner" {
  count  = contains(local.workload, "gitlab_runner") ? 1 : 0
  source = "./modules/gitlab-runner"
}
`;
  const runnerModule = `resource "helm_release" "runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  namespace  = "gitlab-runner"
  values     = [yamlencode({ gitlabUrl = "https://gitlab.example.com", rbac = { create = true } })]
}
`;
  const metricsModule = 'resource "null_resource" "m" {}\n';
  const rf910 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF910');

  it('modules with a count known only at apply: RF910 names them, a runner module first, with file:line:column', () => {
    const r = run({ 'main.tf': root, 'modules/gitlab-runner/main.tf': runnerModule, 'modules/metrics/main.tf': metricsModule });
    expect(at(r, 'RF906').length).toBeGreaterThan(0);
    const f = rf910(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('; a manager may be among what these make, which was not read because their count or for_each is not statically known (RF906): module.gitlab_runner at main.tf:14:1, module.metrics_server at main.tf:9:1');
    expect(f[0]!.fix).toMatch(/^give `terraform show -json` of a plan of the workspace that deploys the runner/);
    expect(f[0]!.message).not.toMatch(/\) \(|\(\(/);
  });

  it('a launch template with an unknown for_each: named, a resource of another kind is not', () => {
    const tf = `variable "managers" {
  type = set(string)
}

resource "aws_launch_template" "manager" {
  for_each  = var.managers
  name      = each.key
  image_id  = "ami-0123456789abcdef0"
  user_data = base64encode("#!/bin/bash\\necho hi\\n")
}

resource "aws_s3_bucket" "cache" {
  for_each = var.managers
  bucket   = each.key
}
`;
    const f = rf910(run({ 'main.tf': tf }));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('; a manager may be among what this makes, which was not read because its count or for_each is not statically known (RF906): aws_launch_template.manager at main.tf:5:1');
    expect(f[0]!.message).not.toContain('aws_s3_bucket');
  });

  it('twin: every count known, no manager: RF910 as before, naming nothing more', () => {
    const known = root.replace('contains(local.workload, "metrics-server") ? 1 : 0', '1').replace('contains(local.workload, "gitlab_runner") ? 1 : 0', '0');
    const f = rf910(run({ 'main.tf': known, 'modules/gitlab-runner/main.tf': runnerModule, 'modules/metrics/main.tf': metricsModule }));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).not.toContain('a manager may be among');
    expect(f[0]!.fix).toBe('give the Helm values, the manager workload (Deployment, StatefulSet), a kubectl dump (--kube-dump), or the Terraform of the manager instance');
  });

  it('more than five: five named, the rest counted', () => {
    const many = Array.from({ length: 7 }, (_, i) => `module "m${i}" {\n  count  = contains(local.workload, "m${i}") ? 1 : 0\n  source = "./modules/metrics"\n}\n`).join('\n');
    const f = rf910(run({ 'main.tf': `locals {\n  workload = var.config[terraform.workspace].workloads\n}\n\nvariable "config" {\n  type = map(any)\n}\n\n${many}`, 'modules/metrics/main.tf': metricsModule }));
    expect(f[0]!.message).toMatch(/: module\.m0 at main\.tf:9:1, module\.m1 at main\.tf:14:1, module\.m2 at main\.tf:19:1, module\.m3 at main\.tf:24:1, module\.m4 at main\.tf:29:1 and 2 more$/);
  });
});
