import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { argoApplication, doctorTexts, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 35a. A runner entry register builds from a manager container's env (register-env.ts) or from
 * a legacy chart's runners.* values (chart-values.ts legacyRegisterEntry) was never written in a
 * config.toml: a finding on one of its settings names what the user wrote (the env variable and its
 * workload, the values key), and the setting it gives; an entry written in a config.toml keeps
 * config.toml's words.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const MANIFEST = readFileSync(join(import.meta.dirname, 'fixtures', 'doctor-register-env', 'runner-manifest.yaml'), 'utf8');
const DEPLOYMENT = 'Deployment gitlab/gitlab-runner-gitlab-runner';
/** The fixture with env entry `name` given `value` (appended to the container's env where it has none). */
const withEnv = (name: string, value: string): string => {
  const at = MANIFEST.indexOf(`        - name: ${name}\n`);
  if (at >= 0) return MANIFEST.replace(new RegExp(`( {8}- name: ${name}\\n {10}value: )"[^"]*"`), `$1"${value}"`);
  return MANIFEST.replace('        volumeMounts:\n', `        - name: ${name}\n          value: "${value}"\n        volumeMounts:\n`);
};

describe('an entry register builds from a container env: findings name the env variable', () => {
  it('RF301: env KUBERNETES_PRIVILEGED of the Deployment sets privileged, at the variable', () => {
    const r = doctorTexts({ 'm.yaml': MANIFEST });
    const f = codes(r, 'RF301');
    expect(f.map((x) => x.path)).toEqual([placeOf('m.yaml', MANIFEST, '"true"', MANIFEST.indexOf('KUBERNETES_PRIVILEGED'))]);
    expect(f[0]!.message).toContain(`: env KUBERNETES_PRIVILEGED of ${DEPLOYMENT} sets [runners.kubernetes] privileged = true: job containers run privileged`);
    expect(f[0]!.message).not.toContain('config.toml');
    expect(f[0]!.fix).toBe(`set env KUBERNETES_PRIVILEGED of ${DEPLOYMENT} to false (or remove it) and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`);
  });

  it('RF107: env KUBERNETES_SERVICE_ACCOUNT_OVERWRITE_ALLOWED sets service_account_overwrite_allowed', () => {
    const text = withEnv('KUBERNETES_SERVICE_ACCOUNT_OVERWRITE_ALLOWED', '.*');
    const f = codes(doctorTexts({ 'm.yaml': text }), 'RF107');
    expect(f.map((x) => x.path)).toEqual([placeOf('m.yaml', text, '".*"')]);
    expect(f[0]!.message).toContain(`: env KUBERNETES_SERVICE_ACCOUNT_OVERWRITE_ALLOWED of ${DEPLOYMENT} sets [runners.kubernetes] service_account_overwrite_allowed: jobs may pick any service account`);
  });

  it('RF904: env KUBERNETES_SERVICE_ACCOUNT runs jobs as an account that is not given', () => {
    const text = withEnv('KUBERNETES_SERVICE_ACCOUNT', 'jobs-sa');
    const f = codes(doctorTexts({ 'm.yaml': text }), 'RF904');
    expect(f.map((x) => x.path)).toEqual([placeOf('m.yaml', text, '"jobs-sa"')]);
    expect(f[0]!.message).toBe(`env KUBERNETES_SERVICE_ACCOUNT of ${DEPLOYMENT} runs jobs as gitlab/jobs-sa, which does not exist among the objects given`);
    expect(f[0]!.fix).toBe(`create ServiceAccount gitlab/jobs-sa, or name an existing one in env KUBERNETES_SERVICE_ACCOUNT of ${DEPLOYMENT}`);
  });

  it('RF925: env RUNNER_EXECUTOR sets executor = "docker+machine"', () => {
    const text = withEnv('RUNNER_EXECUTOR', 'docker+machine');
    const f = codes(doctorTexts({ 'm.yaml': text }), 'RF925');
    expect(f.map((x) => x.path)).toEqual([placeOf('m.yaml', text, '"docker+machine"')]);
    expect(f[0]!.message).toContain(`env RUNNER_EXECUTOR of ${DEPLOYMENT} sets executor = "docker+machine": `);
  });

  it('guard: the same settings written in the config.toml the Deployment mounts keep config.toml\'s words', () => {
    // No register variable: the mounted config.toml's own [[runners]] entry is the runner.
    const own = MANIFEST.replace(/ {8}- name: RUNNER_EXECUTOR\n {10}value: "kubernetes"\n/, '').replace(
      '    check_interval = 30\n',
      '    check_interval = 30\n    [[runners]]\n      executor = "kubernetes"\n      [runners.kubernetes]\n        namespace = "gitlab"\n        privileged = true\n        service_account = "jobs-sa"\n        service_account_overwrite_allowed = ".*"\n',
    );
    const r = doctorTexts({ 'm.yaml': own });
    expect(codes(r, 'RF301').map((x) => x.message)).toEqual([expect.stringContaining(': config.toml [runners.kubernetes] privileged = true: job containers run privileged')]);
    expect(codes(r, 'RF107').map((x) => x.message)).toEqual([expect.stringContaining(': config.toml [runners.kubernetes] service_account_overwrite_allowed: jobs may pick')]);
    expect(codes(r, 'RF904').map((x) => x.message)).toEqual(['config.toml runs jobs as gitlab/jobs-sa, which does not exist among the objects given']);
    expect(codes(r, 'RF904').map((x) => x.fix)).toEqual(['create ServiceAccount gitlab/jobs-sa, or name an existing one in [runners.kubernetes] service_account']);
    expect(codes(r, 'RF301').map((x) => x.fix)).toEqual(["set privileged = false in [runners.kubernetes] of the runner's config.toml and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)"]);
  });
});

describe("an entry a chart before 0.53.0 builds from its runners.* values: findings name the values key", () => {
  // The IAM of the corpus case hand-eks-irsa-chart-rbac (manager role, cache bucket): the chain gets as far as the jobs and the cache.
  const IAM = readFileSync(join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', 'iam', 'main.tf'), 'utf8');
  const values = (runners: string) => `gitlabUrl: https://gitlab.example.com/
rbac:
  create: true
serviceAccount:
  create: true
  name: gitlab-runner
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/gitlab-runner-manager
runners:
  secret: gitlab-runner-token
${runners}`;
  const app = (runners: string, targetRevision = '0.41.0') =>
    argoApplication({ helm: `      values: |\n${values(runners).split('\n').map((l) => (l === '' ? l : `        ${l}`)).join('\n')}\n`, namespace: 'gitlab-runner', targetRevision });
  const run = (text: string) => doctorTexts({ 'app.yaml': text, 'iam/main.tf': IAM });

  it('RF901: a cache bucket name S3 does not take, named as values runners.cache.s3BucketName', () => {
    const text = app('  cache:\n    cacheType: s3\n    s3BucketName: Bad_Bucket\n    s3BucketLocation: eu-west-1\n');
    const f = codes(run(text), 'RF901');
    expect(f.map((x) => x.path)).toEqual([placeOf('app.yaml', text, 'Bad_Bucket')]);
    expect(f[0]!.message).toMatch(/^values runners\.cache\.s3BucketName: \[runners\.cache\.s3\] BucketName "Bad_Bucket" cannot be read as an S3 cache/);
  });

  it('RF911: no runners.serviceAccountName, so the jobs run as the namespace default: said as that values key not set', () => {
    const text = app('  cache:\n    cacheType: s3\n    s3BucketName: acme-runner-cache\n');
    const f = codes(run(text), 'RF911').filter((x) => x.message.includes('job pods run as'));
    // At runners (its first key): the key that would name the account is not written.
    expect(f.map((x) => x.path)).toEqual([placeOf('app.yaml', text, 'secret: gitlab-runner-token')]);
    expect(f[0]!.message).toMatch(/^values runners\.serviceAccountName is not set, so job pods run as the namespace's default service account gitlab-runner\/default/);
  });

  it('RF903: runners.serviceAccountName names an account not in the evidence', () => {
    const text = app('  serviceAccountName: jobs-sa\n');
    const f = codes(run(text), 'RF903').filter((x) => x.message.includes('runs jobs as'));
    expect(f.map((x) => x.path)).toEqual([placeOf('app.yaml', text, 'jobs-sa')]);
    expect(f[0]!.message).toBe('values runners.serviceAccountName runs jobs as gitlab-runner/jobs-sa, which is not in the evidence given');
  });

  it("guard: the same in the values' runners.config keeps config.toml's words", () => {
    const text = app('  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab-runner"\n', '0.60.0');
    const f = codes(run(text), 'RF911').filter((x) => x.message.includes('job pods run as'));
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^config\.toml names no \[runners\.kubernetes\] service_account, so job pods run as/)]);
  });
});

describe('a proven chain whose entry register builds from the env: the fixes name the env variable', () => {
  // An EKS manager with IRSA (the IAM of the corpus case hand-eks-irsa-chart-rbac) registering from its env.
  const IAM = readFileSync(join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', 'iam', 'main.tf'), 'utf8');
  const K8S = plainManager({
    namespace: 'gitlab-runner',
    serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/gitlab-runner-manager' },
    moreServiceAccounts: ['jobs'],
    role: true,
    // The global settings only: the runner is the entry register builds from the env.
    configToml: 'concurrent = 4\n',
    env: [['CI_SERVER_URL', 'https://gitlab.example.com/'], ['RUNNER_EXECUTOR', 'kubernetes'], ['KUBERNETES_PRIVILEGED', '"true"'], ['KUBERNETES_SERVICE_ACCOUNT', 'jobs'], ['CACHE_TYPE', 's3'], ['CACHE_S3_BUCKET_NAME', 'acme-runner-cache']],
  }).text;
  const run = (text: string) => doctorTexts({ 'k8s.yaml': text, 'iam/main.tf': IAM });
  const deployment = 'Deployment gitlab-runner/gitlab-runner';

  it('RF301 at KUBERNETES_PRIVILEGED: its fix sets that variable, not a config.toml key', () => {
    const f = codes(run(K8S), 'RF301');
    expect(f.map((x) => x.path)).toEqual([placeOf('k8s.yaml', K8S, '"true"')]);
    expect(f[0]!.message).toBe('runner gitlab-runner: job containers run privileged: a job can take over the node and every credential on it');
    expect(f[0]!.fix).toBe(`set env KUBERNETES_PRIVILEGED of ${deployment} to false (or remove it) and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)`);
  });

  it("RF905 at KUBERNETES_SERVICE_ACCOUNT naming the manager's own account: its fix names that variable", () => {
    const text = K8S.replace('value: jobs\n', 'value: gitlab-runner\n');
    const f = codes(run(text), 'RF905');
    expect(f.map((x) => x.path)).toEqual([placeOf('k8s.yaml', text, 'gitlab-runner', text.indexOf('KUBERNETES_SERVICE_ACCOUNT'))]);
    expect(f[0]!.fix).toBe(`give jobs their own service account (and role) in env KUBERNETES_SERVICE_ACCOUNT of ${deployment}`);
  });

  it("guard: the same written in a mounted config.toml keeps config.toml's fixes", () => {
    const mounted = plainManager({
      namespace: 'gitlab-runner',
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/gitlab-runner-manager' },
      role: true,
      kubernetes: ['privileged = true', 'service_account = "gitlab-runner"', 'image = "alpine:3.22"'],
    }).text;
    const r = run(mounted);
    expect(codes(r, 'RF301').map((x) => x.fix)).toEqual(["set privileged = false in [runners.kubernetes] of the runner's config.toml and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)"]);
    expect(codes(r, 'RF905').map((x) => x.fix)).toEqual(['give jobs their own service account (and role) in [runners.kubernetes] service_account']);
  });
});
