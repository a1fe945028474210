import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * Stop 54's sweep of more public deployments, and the gaps stop 53 left: a Kubernetes workload that
 * registers by the registration-token flow from its environment (RF912), a second init container
 * that appends TOML to the config.toml register wrote, and example copies of a config.toml. Fixtures
 * are written here for each case, in our own words.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);
/** 1-based line of the first line of `text` that holds `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A Deployment whose init container registers from its env and writes the config.toml the runner container then runs with. */
const manager = (o: { tokenEnv?: string; initArgs?: string; initImage?: string; more?: string; appender?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: builds
  namespace: ci
spec:
  replicas: 1
  selector:
    matchLabels: { app: builds }
  template:
    metadata:
      labels: { app: builds }
    spec:
      serviceAccountName: builds-manager
      initContainers:
        - name: enrol
          image: ${o.initImage ?? 'gitlab/gitlab-runner:v17.4.0'}
          args: ${o.initArgs ?? '[register]'}
          env:
            - name: CI_SERVER_URL
              value: https://gitlab.example.test
            - name: REGISTER_NON_INTERACTIVE
              value: "true"
            - name: RUNNER_EXECUTOR
              value: kubernetes
            - name: KUBERNETES_NAMESPACE
              value: ci-jobs
${o.tokenEnv ?? '            - name: REGISTRATION_TOKEN\n              value: changeme'}
          volumeMounts:
            - { name: conf, mountPath: /etc/gitlab-runner }
${o.appender ?? ''}      containers:
        - name: manager
          image: gitlab/gitlab-runner:v17.4.0
          args: [run]
          volumeMounts:
            - { name: conf, mountPath: /etc/gitlab-runner }
      volumes:
        - name: conf
          emptyDir: {}
${o.more ?? ''}`;

describe('RF912: a workload that registers with REGISTRATION_TOKEN from its environment', () => {
  it('a placeholder given to an init container that runs register: RF912 at the value, which is not shown', () => {
    const text = manager();
    const f = codes(run({ 'runner.yaml': text }), 'RF912');
    expect(f.map((x) => x.path)).toEqual([`runner.yaml:${lineOf(text, 'value: changeme')}:22`]);
    expect(f[0]!.message).toContain('init container enrol runs gitlab-runner register with env REGISTRATION_TOKEN (value not shown)');
    expect(JSON.stringify(f)).not.toContain('changeme');
  });

  it('a token written in clear there is a leak first: one RF940 (error) at the value that says the flow too, not shown', () => {
    const text = manager({ tokenEnv: '            - name: REGISTRATION_TOKEN\n              value: "Zq81LmNopW3rStUvXy45"' });
    const r = run({ 'runner.yaml': text });
    const f = codes(r, 'RF940');
    expect(f.map((x) => `${x.severity} ${x.path}`)).toEqual([`error runner.yaml:${lineOf(text, 'Zq81LmNop')}:22`]);
    expect(f[0]!.message).toContain('the registration-token flow is also deprecated');
    expect(codes(r, 'RF912')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('Zq81LmNop');
  });

  it('the runner authentication token as CI_SERVER_TOKEN, or an empty value, is no registration-token flow', () => {
    const glrt = manager({ tokenEnv: '            - name: CI_SERVER_TOKEN\n              valueFrom: { secretKeyRef: { name: builds-token, key: token } }' });
    expect(codes(run({ 'runner.yaml': glrt }), 'RF912')).toEqual([]);
    const empty = manager({ tokenEnv: '            - name: REGISTRATION_TOKEN\n              value: ""' });
    expect(codes(run({ 'runner.yaml': empty }), 'RF912')).toEqual([]);
  });

  it('from a Secret not among the files: RF912 at the reference; a Secret given is judged by its value where it is written', () => {
    const ref = '            - name: REGISTRATION_TOKEN\n              valueFrom:\n                secretKeyRef: { name: enrol-token, key: value }';
    const text = manager({ tokenEnv: ref });
    const f = codes(run({ 'runner.yaml': text }), 'RF912');
    expect(f.map((x) => x.path)).toEqual([`runner.yaml:${lineOf(text, 'secretKeyRef:')}:17`]);
    expect(f[0]!.message).toContain('key value of Secret ci/enrol-token (not among the files given)');
    const secret = '---\napiVersion: v1\nkind: Secret\nmetadata: { name: enrol-token, namespace: ci }\nstringData:\n  value: ""\n';
    expect(codes(run({ 'runner.yaml': manager({ tokenEnv: ref, more: secret }) }), 'RF912')).toEqual([]);
  });

  it('a container of gitlab-runner\'s image that only runs (args [run]) is not registering: nothing', () => {
    const text = manager({ initArgs: '[run]' });
    expect(codes(run({ 'runner.yaml': text }), 'RF912')).toEqual([]);
  });

  it('an image of its own given CI_SERVER_URL beside the token registers from its environment: RF912 says so', () => {
    const text = manager({ initImage: 'registry.example.test/team/runner-bootstrap:3', initArgs: '[]' });
    const f = codes(run({ 'runner.yaml': text }), 'RF912');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("gives registry.example.test/team/runner-bootstrap:3 register's environment (CI_SERVER_URL and env REGISTRATION_TOKEN (value not shown)), which its entrypoint registers from");
    // The same image without CI_SERVER_URL: nothing tells it registers.
    const alone = text.replace('            - name: CI_SERVER_URL\n              value: https://gitlab.example.test\n', '');
    expect(alone).not.toBe(text);
    expect(codes(run({ 'runner.yaml': alone }), 'RF912')).toEqual([]);
  });

  it('the token passed with --registration-token in the command is said once, at the flag', () => {
    const text = manager({ initArgs: '["sh", "-c", "gitlab-runner register --non-interactive --registration-token \\"$REGISTRATION_TOKEN\\""]' });
    const f = codes(run({ 'runner.yaml': text }), 'RF912');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/^gitlab-runner register --registration-token/);
  });

  it('a Terraform kubernetes_deployment of the same shape: RF912 at the value in its init_container block', () => {
    const tf = [
      'resource "kubernetes_deployment" "runner" {',
      '  metadata {',
      '    name      = "builds"',
      '    namespace = "ci"',
      '  }',
      '  spec {',
      '    selector {',
      '      match_labels = { app = "builds" }',
      '    }',
      '    template {',
      '      metadata {',
      '        labels = { app = "builds" }',
      '      }',
      '      spec {',
      '        init_container {',
      '          name  = "enrol"',
      '          image = "gitlab/gitlab-runner:v17.4.0"',
      '          args  = ["register"]',
      '          env {',
      '            name  = "REGISTRATION_TOKEN"',
      '            value = "changeme"',
      '          }',
      '        }',
      '        container {',
      '          name  = "manager"',
      '          image = "gitlab/gitlab-runner:v17.4.0"',
      '          args  = ["run"]',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    expect(codes(run({ 'main.tf': tf }), 'RF912').map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, '"changeme"')}:21`]);
  });

  it('envFrom a ConfigMap given whose REGISTRATION_TOKEN has a value: RF912 at the ConfigMap key', () => {
    const text = manager({ tokenEnv: '', more: '---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: enrol-settings, namespace: ci }\ndata:\n  REGISTRATION_TOKEN: placeholder-value\n' }).replace('          volumeMounts:\n            - { name: conf, mountPath: /etc/gitlab-runner }\n', '          envFrom:\n            - configMapRef: { name: enrol-settings }\n          volumeMounts:\n            - { name: conf, mountPath: /etc/gitlab-runner }\n');
    const f = codes(run({ 'runner.yaml': text }), 'RF912');
    expect(f.map((x) => x.path)).toEqual([`runner.yaml:${lineOf(text, '  REGISTRATION_TOKEN: placeholder')}:23`]);
    const emptied = text.replace('REGISTRATION_TOKEN: placeholder-value', 'REGISTRATION_TOKEN: ""');
    expect(codes(run({ 'runner.yaml': emptied }), 'RF912')).toEqual([]);
  });
});

describe('an init container that appends TOML to the config.toml register wrote', () => {
  const appender = (body: string, line = 'cat <<EOT >> /etc/gitlab-runner/config.toml') => `        - name: add-more
          image: busybox:1.36
          command: ["sh", "-c"]
          args:
            - |
              ${line}
${body.split('\n').map((l) => `              ${l}`).join('\n')}
              EOT
          volumeMounts:
            - { name: conf, mountPath: /etc/gitlab-runner }
`;
  const entry = (privileged: boolean) => `[[runners]]\n  name = "second"\n  executor = "kubernetes"\n  [runners.kubernetes]\n    namespace = "ci-jobs"\n    privileged = ${privileged}`;

  it('a [[runners]] entry appended is read with the registered one: its privileged = true is RF301 at its line', () => {
    const text = manager({ appender: appender(entry(true)) });
    const r = run({ 'runner.yaml': text });
    expect([...new Set(codes(r, 'RF301').map((x) => x.path))]).toEqual([`runner.yaml:${lineOf(text, 'privileged = true')}:19`]);
    expect(codes(run({ 'runner.yaml': manager({ appender: appender(entry(false)) }) }), 'RF301')).toEqual([]);
  });

  it('tables of the registered entry appended ([[runners.kubernetes.volumes.host_path]]) are read into it, nothing undecided', () => {
    const text = manager({ appender: appender('[[runners.kubernetes.volumes.host_path]]\n  name = "sock"\n  mount_path = "/var/run/docker.sock"\n  host_path = "/var/run/docker.sock"') });
    const r = run({ 'runner.yaml': text });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('appends'))).toEqual([]);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('config.toml is not in the evidence'))).toEqual([]);
  });

  it('a plain table register writes too, or the output of a command appended: RF903 says it is not decided, nothing guessed', () => {
    const plain = manager({ appender: appender('[runners.kubernetes]\n  privileged = true') });
    const r = run({ 'runner.yaml': plain });
    expect(codes(r, 'RF301')).toEqual([]);
    const said = codes(r, 'RF903').filter((f) => f.message.includes('init container add-more appends'));
    expect(said.map((f) => f.path)).toEqual([`runner.yaml:${lineOf(plain, 'cat <<EOT')}:15`]);
    expect(said[0]!.message).toContain('it opens [runners.kubernetes]');
    const copied = manager({ appender: appender('', 'cat /extra/more.toml >> /etc/gitlab-runner/config.toml') });
    expect(codes(run({ 'runner.yaml': copied }), 'RF903').filter((f) => f.message.includes('the output of a command'))).toHaveLength(1);
  });
});

describe('an example copy of a config.toml', () => {
  const toml = (extra = '') => `concurrent = 2\n[[runners]]\n  name = "demo"\n  url = "https://gitlab.example.test"\n${extra}  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n    privileged = true\n`;
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is no deployment: no finding of its settings (.example, .sample, .dist after .toml)', () => {
    for (const name of ['config.toml.example', 'deploy/config.toml.sample', 'config.toml.dist']) {
      const r = run({ [name]: toml() });
      expect(codes(r, 'RF301'), name).toEqual([]);
    }
    // The same text as config.toml is read as deployed; so is a .toml whose name says example, which a tool may load as it is.
    expect(codes(run({ 'config.toml': toml() }), 'RF301')).toHaveLength(1);
    expect(codes(run({ 'src/config/docker_machine_example.toml': toml() }), 'RF301')).toHaveLength(1);
  });

  it('its credentials still count (a token pasted into the example is committed); placeholders that are not TOML are no RF901', () => {
    const r = run({ 'config.toml.example': toml('  token = "glrt-Q1w2E3r4T5y6U7i8O9p0"\n') });
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['config.toml.example:5:3']);
    expect(codes(run({ 'config.toml.example': 'token = <your token here>\n' }), 'RF901')).toEqual([]);
  });

  it('one a step of the deployment copies into place is read as deployed', () => {
    const r = run({ 'config.toml.example': toml(), 'setup.sh': '#!/bin/sh\ncp config.toml.example /etc/gitlab-runner/config.toml\n' });
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual(['config.toml.example:8:5']);
  });

  it('a folder walk reads it (it was skipped before, unseen)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rf-54e-'));
    dirs.push(d);
    mkdirSync(join(d, 'deploy'));
    writeFileSync(join(d, 'deploy', 'config.toml.example'), toml());
    const { files } = await walkFiles([d], 1024 * 1024);
    expect(files.map((f) => f.path.slice(d.length + 1))).toContain('deploy/config.toml.example');
  });
});
