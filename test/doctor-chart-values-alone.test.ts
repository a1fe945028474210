import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { ROOT } from './helpers/fleet.js';
import { argoApplication } from './helpers/doctor.js';

/**
 * Issue 32a: a new user's Argo CD Application of the gitlab-runner chart, as public code holds
 * them: a token in clear in runnerRegistrationToken, no service account, the legacy
 * runners.privileged and the runner configuration at the top level (`config:`) instead of
 * runners.config. Before: exit 0, RF912 (warning) for the token, and RF903 "the values name no
 * service account" beside RF910 "no gitlab-runner chart values".
 */

// Fake tokens of the scanned shapes (the credential scanner may flag them; none is a real token).
const AUTH_TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
const REG_TOKEN = 'GR1348941EXAMPLEexampleEXAMPLE12';

const enc = (s: string) => new TextEncoder().encode(s);
const indent = (text: string, n: number) => text.split('\n').map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`)).join('\n');

/** The new user's Application: `values` under helm.values, into namespace gitlab-runner. */
const application = (values: string, targetRevision?: string): string => argoApplication({ helm: `      values: |\n${indent(values, 8)}\n`, namespace: 'gitlab-runner', ...(targetRevision !== undefined ? { targetRevision } : {}) });

const NEW_USER = `gitlabUrl: https://gitlab.com/
runnerRegistrationToken: "${AUTH_TOKEN}"
rbac:
  create: true
runners:
  privileged: true
config: |
  [[runners]]
    [runners.kubernetes]
      namespace = "gitlab-runner"
      image = "alpine:3.19"
      privileged = true
`;

const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>) => r.findings.map((f) => f.code).sort();
const of = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('the runner token in runnerRegistrationToken', () => {
  it('a glrt- token in clear: one RF940 (error) at the key, saying what register does with it there; no RF912 beside it', () => {
    const app = application(NEW_USER);
    const r = run({ 'app.yaml': app });
    const leak = of(r, 'RF940');
    expect(leak.map((f) => f.path)).toEqual([`app.yaml:${lineOf(app, 'runnerRegistrationToken')}:34`]);
    expect(leak[0]!.severity).toBe('error');
    expect(leak[0]!.message).toMatch(/runner authentication token \(glrt-\), written in clear in app\.yaml/);
    expect(leak[0]!.message).toMatch(/REGISTRATION_TOKEN.*legacy-compatible flow: it verifies the token instead of registering a new runner/);
    expect(of(r, 'RF912')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toContain(AUTH_TOKEN);
    expect(r.exitCode).toBe(1);
  });

  it('a GR1348941 registration token in clear: RF940 that also says the flow is deprecated', () => {
    const r = run({ 'app.yaml': application(NEW_USER.replace(AUTH_TOKEN, REG_TOKEN)) });
    expect(of(r, 'RF940').map((f) => f.message)).toEqual([expect.stringMatching(/registration token \(GR1348941\), written in clear.*register runners.*deprecated by GitLab/)]);
    expect(of(r, 'RF912')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toContain(REG_TOKEN);
  });

  it('a plain values file and a helm_release set: the same RF940, never RF912 beside it', () => {
    const values = NEW_USER.replace(/config: \|[\s\S]*$/, '');
    const plain = run({ 'values.yaml': values });
    expect(of(plain, 'RF940').map((f) => f.path)).toEqual(['values.yaml:2:26']);
    expect(of(plain, 'RF912')).toEqual([]);
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  set {\n    name  = "runnerRegistrationToken"\n    value = "${AUTH_TOKEN}"\n  }\n}\n`;
    const hcl = run({ 'main.tf': tf });
    expect(of(hcl, 'RF940').map((f) => [f.path, /runnerRegistrationToken holds/.test(f.message)])).toEqual([['main.tf:8:13', true]]);
    expect(of(hcl, 'RF912')).toEqual([]);
  });

  it('a token given from elsewhere (a reference, a placeholder) is no leak: RF912 only, not said to be written in the file', () => {
    for (const given of ['"${RUNNER_REGISTRATION_TOKEN}"', '"<your-registration-token>"']) {
      const r = run({ 'app.yaml': application(NEW_USER.replace(`"${AUTH_TOKEN}"`, given)) });
      expect(of(r, 'RF940'), given).toEqual([]);
      expect(of(r, 'RF912').map((f) => f.message), given).toEqual([expect.not.stringContaining('written in a file')]);
    }
  });
});

describe('a registration token of no known prefix in runnerRegistrationToken (issue 33d)', () => {
  // Of the form older instances issued (no GR1348941 prefix); written for this test, no real token.
  const OLD_TOKEN = 'xYz12AbCdEfGhJkLmNpQ';

  it('written in clear: RF940 (error) at the key, never shown; no RF912 beside it', () => {
    const app = application(NEW_USER.replace(AUTH_TOKEN, OLD_TOKEN));
    const r = run({ 'app.yaml': app });
    expect(of(r, 'RF940').map((f) => [f.path, f.severity])).toEqual([[`app.yaml:${lineOf(app, 'runnerRegistrationToken')}:34`, 'error']]);
    expect(of(r, 'RF940')[0]!.message).toMatch(/^runnerRegistrationToken holds a value written in clear in app\.yaml \(value not shown\).*REGISTRATION_TOKEN.*no prefix/);
    expect(of(r, 'RF912')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(OLD_TOKEN);
    // A helm_release that sets it in clear: the same.
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  set {\n    name  = "runnerRegistrationToken"\n    value = "${OLD_TOKEN}"\n  }\n}\n`;
    const hcl = run({ 'main.tf': tf });
    expect(of(hcl, 'RF940').map((f) => f.path)).toEqual(['main.tf:8:13']);
    expect(of(hcl, 'RF912')).toEqual([]);
    expect(JSON.stringify(hcl)).not.toContain(OLD_TOKEN);
  });

  it('twin: placeholders stay RF912 (changeme, <token>, ${VAR}, {{ .Values.x }}), no RF940', () => {
    for (const given of ['changeme', '"<token>"', '"${VAR}"', '"{{ .Values.registrationToken }}"']) {
      const r = run({ 'app.yaml': application(NEW_USER.replace(`"${AUTH_TOKEN}"`, given)) });
      expect(of(r, 'RF940'), given).toEqual([]);
      expect(of(r, 'RF912'), given).toHaveLength(1);
    }
  });
});

describe('values that name no service account make no chain, but are the chart values', () => {
  // Issue 33d: the Application names the namespace, so the manager's `default` service account is known:
  // a chain is built for it (test/doctor-chart-default-sa.test.ts); before, RF903 and no chain.
  // Issue 34e: nothing in these files names a cloud, so what the manager gets from its node is not known: RF903, not RF911.
  it('an Application of the chart with no service account: the chain of gitlab-runner/default (RF903: no identity of its own, and no cloud named), and no RF910', () => {
    const r = run({ 'app.yaml': application(NEW_USER.replace('rbac:\n  create: true\n', '')) });
    expect(of(r, 'RF910')).toEqual([]);
    expect(of(r, 'RF903').filter((f) => /name no service account for the manager/.test(f.message))).toEqual([]);
    expect([...r.chains.values()].map((lines) => lines[0]!.split(' (')[0])).toEqual(['manager gitlab-runner/default']);
    expect(of(r, 'RF911')).toEqual([]);
    expect(of(r, 'RF903').filter((f) => f.message.startsWith('the manager')).map((f) => f.message)).toEqual([expect.stringMatching(/^the manager gitlab-runner\/default, the namespace's default service account.*Nothing in the files names the cloud/)]);
  });

  it('a values file whose chart creates the account unnamed (no release): RF903 names the release, no RF910', () => {
    const r = run({ 'values.yaml': 'gitlabUrl: https://gitlab.com/\nrbac:\n  create: true\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n' });
    expect(of(r, 'RF910')).toEqual([]);
    expect(of(r, 'RF903').map((f) => f.message)).toEqual([expect.stringMatching(/after the Helm release, which the values do not give/)]);
  });
});

describe('job settings of values with no chain', () => {
  it('privileged = true in runners.config: RF301 at the key, naming that no chain is proven', () => {
    const values = 'gitlabUrl: https://gitlab.com/\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n        privileged = true\n';
    const r = run({ 'values.yaml': values });
    expect([...r.chains.keys()]).toEqual([]);
    expect(of(r, 'RF301').map((f) => [f.path, /^the chart values' runners\.config \(no runner chain/.test(f.message)])).toEqual([['values.yaml:7:9', true]]);
  });

  it('the legacy runners.privileged: true: RF301 where the chart version is not known or before 0.53.0, RF932 from 0.53.0 on', () => {
    const values = NEW_USER.replace(/config: \|[\s\S]*$/, '');
    const unknown = run({ 'app.yaml': application(values) });
    expect(of(unknown, 'RF301').map((f) => f.message)).toEqual([expect.stringMatching(/^runners\.privileged: true: charts before 0\.53\.0 .*KUBERNETES_PRIVILEGED/)]);
    const old = run({ 'app.yaml': application(values, '0.52.1') });
    expect(of(old, 'RF301').map((f) => f.message)).toEqual([expect.stringMatching(/the chart 0\.52\.1 this release installs passes it/)]);
    const current = run({ 'app.yaml': application(values, '0.71.0') });
    expect(of(current, 'RF301')).toEqual([]);
    expect(of(current, 'RF932').map((f) => f.message)).toEqual([expect.stringMatching(/^runners\.privileged: true is not read by the gitlab-runner chart 0\.71\.0/)]);
    // A range is no exact version: not known.
    expect(codes(run({ 'app.yaml': application(values, '0.*') }))).toContain('RF301');
  });
});

describe('the other legacy runners.* fields chart 0.53.0 dropped (issue 33d)', () => {
  const LEGACY = `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
runners:
  image: ubuntu:22.04
  serviceAccountName: ci-jobs
  pollTimeout: 600
  builds:
    cpuLimit: 500m
  helpers:
    image: registry.example.com/helper:latest
  privileged: false
  tags: k8s
  name: my-runner
  cache:
    secretName: s3access
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
`;

  it('from 0.53.0 on, or with no exact version: RF932 at each key set, naming the env var the chart used to set and the config.toml key it belongs to', () => {
    for (const revision of ['0.71.0', undefined]) {
      const app = application(LEGACY, revision);
      const r = run({ 'app.yaml': app });
      const f = of(r, 'RF932');
      // At each value, as every finding at a values key (its place in the file).
      expect(f.map((x) => x.path), String(revision)).toEqual(['ubuntu:22.04', 'ci-jobs', '600', '500m', 'registry.example.com'].map((value) => `app.yaml:${lineOf(app, value)}:${app.split('\n')[lineOf(app, value) - 1]!.indexOf(value) + 1}`));
      expect(f[1]!.message).toMatch(/^runners\.serviceAccountName is not read by the gitlab-runner chart .*KUBERNETES_SERVICE_ACCOUNT.*\[runners\.kubernetes\] service_account$/);
      expect(f[3]!.fix).toBe('remove runners.builds.cpuLimit; set [runners.kubernetes] cpu_limit in runners.config');
      expect(f[4]!.message).toContain('KUBERNETES_HELPER_IMAGE');
      expect(f.every((x) => x.severity === 'warning')).toBe(true);
    }
    expect(of(run({ 'app.yaml': application(LEGACY, '0.71.0') }), 'RF932')[0]!.message).toMatch(/^runners\.image is not read by the gitlab-runner chart 0\.71\.0 this release installs/);
  });

  it('twin: before 0.53.0 the chart reads them: no RF932; keys the chart still reads (tags, name, cache.secretName) and a false privileged are never flagged', () => {
    expect(of(run({ 'app.yaml': application(LEGACY, '0.52.1') }), 'RF932')).toEqual([]);
    const current = LEGACY.replace(/ {2}image: ubuntu.*\n {2}serviceAccountName.*\n {2}pollTimeout.*\n {2}builds:\n.*\n {2}helpers:\n.*\n/, '');
    expect(current).toContain('runners:\n  privileged: false');
    expect(of(run({ 'app.yaml': application(current, '0.71.0') }), 'RF932')).toEqual([]);
  });
});

describe('a registration token in runnerToken, the authentication token\'s key (issue 34d)', () => {
  const values = (token: string) => `gitlabUrl: https://gitlab.com/\nrunnerToken: "${token}"\nserviceAccount:\n  name: m\n`;

  it('a GR1348941 token in clear: one RF940 (error) at the key, the secret in a file and the key mismatch in one finding; no RF304; the token never shown', () => {
    const app = application(values(REG_TOKEN), '0.71.0');
    const r = run({ 'app.yaml': app });
    const leak = of(r, 'RF940');
    expect(leak.map((f) => [f.path, f.severity])).toEqual([[`app.yaml:${lineOf(app, 'runnerToken')}:22`, 'error']]);
    expect(leak[0]!.message).toMatch(/^runnerToken holds a GitLab runner registration token \(GR1348941\), written in clear in app\.yaml \(value not shown\)/);
    expect(leak[0]!.message).toContain('It is also in the wrong key: runnerToken is the runner authentication token\'s (glrt-)');
    expect(leak[0]!.message).toContain('GitLab refuses a registration token there (403), so register fails on every attempt');
    expect(of(r, 'RF304')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toContain(REG_TOKEN);
  });

  it('the same in a Terraform helm_release set: RF940 at the set value, not RF304', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  values     = [yamlencode({ serviceAccount = { name = "m" } })]\n  set {\n    name  = "runnerToken"\n    value = "${REG_TOKEN}"\n  }\n}\n`;
    const r = run({ 'main.tf': tf });
    expect(of(r, 'RF940').map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, REG_TOKEN)}:13`]);
    expect(of(r, 'RF940')[0]!.message).toContain('in the wrong key');
    expect(of(r, 'RF304')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toContain(REG_TOKEN);
  });

  it('twin: a glrt- token in clear there is the right token in the right key: RF940 for the token in a file (RF304 before issue 35b), nothing of a wrong key', () => {
    const r = run({ 'app.yaml': application(values(AUTH_TOKEN), '0.71.0') });
    expect(of(r, 'RF940').map((f) => f.message)).toEqual([expect.stringMatching(/^runnerToken holds a GitLab runner authentication token \(glrt-\), written in clear in app\.yaml \(value not shown\)/)]);
    expect(of(r, 'RF940')[0]!.message).not.toContain('wrong key');
    expect(of(r, 'RF304')).toEqual([]);
  });
});

describe('the legacy runners.cache.* and runners.imagePullSecrets (issue 34d; chart 0.52.0 _cache.tpl and configmap.yaml read them, 0.58.1 and 0.86.0 do not)', () => {
  const CACHE = `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
imagePullSecrets:
  - name: manager-pull
runners:
  imagePullSecrets:
    - jobs-pull
  cache:
    cacheType: s3
    cacheShared: true
    s3BucketName: runner-cache
    s3BucketLocation: eu-west-1
    secretName: s3access
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
`;
  /** The place of `value` on the line holding `line`: every finding at a values key is at its value. */
  const at = (app: string, line: string, value: string) => `app.yaml:${lineOf(app, line)}:${app.split('\n')[lineOf(app, line) - 1]!.indexOf(value) + 1}`;

  it('from 0.53.0 on: RF932 at each, naming what register was given and where the setting goes now; the cache Secret and the top-level imagePullSecrets are not flagged', () => {
    const app = application(CACHE, '0.71.0');
    const f = of(run({ 'app.yaml': app }), 'RF932');
    expect(f.map((x) => x.path)).toEqual([at(app, '- jobs-pull', '- jobs-pull'), at(app, 'cacheType: s3', 's3'), at(app, 'cacheShared: true', 'true'), at(app, 'runner-cache', 'runner-cache'), at(app, 'eu-west-1', 'eu-west-1')]);
    expect(f[0]!.message).toMatch(/^runners\.imagePullSecrets is not read by the gitlab-runner chart 0\.71\.0 this release installs: .*--kubernetes-image-pull-secrets.*\[runners\.kubernetes\] image_pull_secrets$/);
    expect(f[1]!.fix).toBe('remove runners.cache.cacheType; set [runners.cache] Type in runners.config');
    expect(f[3]!.message).toMatch(/CACHE_S3_BUCKET_NAME\).*\[runners\.cache\.s3\] BucketName$/);
    expect(f.some((x) => /secretName|manager-pull/.test(x.message))).toBe(false);
  });

  it('twin: before 0.53.0 (0.52.1) the chart reads them: no RF932', () => {
    expect(of(run({ 'app.yaml': application(CACHE, '0.52.1') }), 'RF932')).toEqual([]);
  });
});

describe('runner settings at the top level of the values (RF932)', () => {
  it('a top-level config is RF932 at the key, with the right key in the fix; its privileged = true is not deployed (no RF301 from it)', () => {
    const values = NEW_USER.replace('runners:\n  privileged: true\n', '');
    const app = application(values, '0.71.0');
    const r = run({ 'app.yaml': app });
    const f = of(r, 'RF932');
    expect(f.map((x) => [x.path, x.severity, x.fix])).toEqual([[`app.yaml:${lineOf(app, 'config: |')}:17`, 'warning', 'move it under runners: as runners.config']]);
    expect(f[0]!.message).toMatch(/holds a runner configuration \(\[\[runners\]\]\).*reads config only as runners\.config/);
    expect(of(r, 'RF301')).toEqual([]);
  });

  it('the same configuration under runners.config: no RF932, and its privileged = true is RF301', () => {
    const values = NEW_USER.replace('runners:\n  privileged: true\n', '').replace(/^config: \|\n((?: {2}.*\n)+)/m, (_m, body: string) => `runners:\n  config: |\n${indent(body, 2)}`);
    expect(values).toContain('runners:\n  config: |\n    [[runners]]');
    const r = run({ 'app.yaml': application(values, '0.71.0') });
    expect(of(r, 'RF932')).toEqual([]);
    expect(of(r, 'RF301')).toHaveLength(1);
  });

  it('executor and jobNamespace at the top level too; a key the chart reads at the top level (namespace) is not', () => {
    const r = run({ 'values.yaml': 'gitlabUrl: https://gitlab.com/\nnamespace: ci\nexecutor: kubernetes\njobNamespace: jobs\nserviceAccount:\n  name: m\nrunners:\n  config: |\n    [[runners]]\n' });
    expect(of(r, 'RF932').map((f) => f.path)).toEqual(['values.yaml:3:11', 'values.yaml:4:15']);
  });
});

describe('doctor on the folder of a new user\'s Application (CLI)', () => {
  it('exits 1 with one coherent story: RF940, RF301, RF932, RF903 (no config.toml deployed), RF903 (the manager as gitlab-runner/default, no cloud named, so not RF911); no RF912, no RF910; the token never printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-32a-'));
    try {
      mkdirSync(join(dir, 'argocd'));
      writeFileSync(join(dir, 'argocd', 'app.yaml'), application(NEW_USER.replace('rbac:\n  create: true\n', '')));
      const r = spawnSync(join(ROOT, 'bin', 'runner-fleet.cjs'), ['doctor', '--format', 'json', dir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { exitCode: number; findings: { code: string }[] };
      expect(report.exitCode).toBe(1);
      expect(report.findings.map((f) => f.code).sort()).toEqual(['RF301', 'RF903', 'RF903', 'RF932', 'RF940']);
      expect(`${r.stdout}${r.stderr}`).not.toContain(AUTH_TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
