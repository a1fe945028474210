import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles, doctorEdited } from './helpers/doctor.js';

/**
 * A runner manager the doctor cannot read: a container given gitlab-runner register's settings as
 * environment (its `env:"…"` names), whose config.toml is made inside the container. RF910 names
 * it; a literal token among those settings is RF940 (value never shown).
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'ecs-service-manager-env');
const TOKEN = 'Xq7pLm2vRt9wKs4nBz8c';
const enc = (s: string) => new TextEncoder().encode(s);
const rf910 = (r: ReturnType<typeof doctor>) => r.findings.find((f) => f.code === 'RF910');
const everything = (r: ReturnType<typeof doctor>) => JSON.stringify(r.findings);
// The token from SSM (ECS `secrets`), not written in the file.
const FROM_SSM: [string, string][] = [['        { name = "REGISTRATION_TOKEN", value = "Xq7pLm2vRt9wKs4nBz8c" },\n      ]', '      ]\n      secrets = [\n        { name = "CI_SERVER_TOKEN", valueFrom = aws_ssm_parameter.runner_token.arn },\n      ]']];

describe('a manager configured by register environment', () => {
  it('ECS: RF910 names the task definition, its place, the settings and the image, and says the runner is not proven', () => {
    const r = doctorEdited(CASE, FROM_SSM);
    const f = rf910(r);
    expect(f?.message).toContain('task definition gitlab-runner-manager (main.tf:56:27) passes gitlab-runner\'s register settings as environment (CI_SERVER_URL, RUNNER_EXECUTOR, RUNNER_TAG_LIST, CACHE_TYPE, CACHE_S3_BUCKET_NAME, CI_SERVER_TOKEN) to image registry.example.com/platform/gitlab-runner-ecs:2.3.1');
    expect(f?.message).toContain('its config.toml is made inside the container, so this runner is not proven');
    expect(f?.fix).toMatch(/launch template or instance whose user data the doctor reads/);
    expect(r.findings.filter((x) => x.code === 'RF940')).toEqual([]);
  });

  it('ECS: a container that only knows the GitLab URL (no token, executor or register flag) is not named', () => {
    const r = doctorEdited(CASE, [...FROM_SSM, ['      secrets = [\n        { name = "CI_SERVER_TOKEN", valueFrom = aws_ssm_parameter.runner_token.arn },\n      ]', '      secrets = []'], ['        { name = "RUNNER_EXECUTOR", value = "docker" },\n', '']]);
    expect(rf910(r)?.message).not.toContain('register settings');
  });

  it('a literal REGISTRATION_TOKEN in an ECS container definition is RF940 at the value, the value not shown', () => {
    const r = doctorEdited(CASE, []);
    const found = r.findings.filter((f) => f.code === 'RF940');
    expect(found.map((f) => f.path)).toEqual(['main.tf:67:48']);
    expect(found[0]!.message).toContain('a GitLab runner token (REGISTRATION_TOKEN)');
    expect(everything(r)).not.toContain(TOKEN);
  });

  const deployment = (env: string): InputFile => ({
    path: 'k8s/runner.yaml',
    bytes: enc(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: runner
  namespace: ci
spec:
  selector:
    matchLabels: { app: runner }
  template:
    metadata:
      labels: { app: runner }
    spec:
      containers:
        - name: runner
          image: registry.example.com/platform/gitlab-runner-k8s:1.0
          env:
            - name: CI_SERVER_URL
              value: https://gitlab.example.com
${env}`),
  });

  it('Kubernetes: a Deployment of a custom image given register settings is named in RF910; a literal token is RF940', () => {
    const literal = doctor([deployment(`            - name: REGISTRATION_TOKEN\n              value: ${TOKEN}\n`)]);
    expect(rf910(literal)?.message).toContain("Deployment ci/runner (k8s/runner.yaml:14:11) passes gitlab-runner's register settings as environment (CI_SERVER_URL, REGISTRATION_TOKEN) to image registry.example.com/platform/gitlab-runner-k8s:1.0");
    expect(literal.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['k8s/runner.yaml:20:22']);
    expect(everything(literal)).not.toContain(TOKEN);
    // From a Secret: named, no credential in the file.
    const fromSecret = doctor([deployment('            - name: CI_SERVER_TOKEN\n              valueFrom:\n                secretKeyRef: { name: runner, key: token }\n')]);
    expect(rf910(fromSecret)?.message).toContain('(CI_SERVER_URL, CI_SERVER_TOKEN)');
    expect(fromSecret.findings.filter((f) => f.code === 'RF940')).toEqual([]);
    // A job-like workload that only reads CI_SERVER_URL: not a manager.
    expect(rf910(doctor([deployment('')]))?.message).not.toContain('register settings');
  });

  it('the corpus case reads as given: one RF940, and RF910 naming the task definition', () => {
    const files = [{ path: 'main.tf', bytes: readFileSync(join(CASE, 'main.tf')) }];
    const r = doctor(files);
    expect(rf910(r)?.message).toContain('task definition gitlab-runner-manager (main.tf:56:27)');
    expect(everything(r)).not.toContain(TOKEN);
  });
});

describe('a manager configured by environment beside a manager the doctor found', () => {
  const under = (dir: string, files: InputFile[]): InputFile[] => files.map((f) => ({ ...f, path: `${dir}/${f.path}` }));
  const EC2 = under('ec2', corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written')));
  const CHART = under('chart', corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac')));
  const ecs = under('ecs', corpusFiles(CASE));
  const notProven = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code === 'RF903' && f.message.startsWith('not in the evidence given: ') && /register settings|compose service/.test(f.message));

  it('ECS: an EC2 manager is found, and the task definition is still named, in an RF903 (info) at its container definitions', () => {
    const r = doctor([...EC2, ...ecs]);
    expect(rf910(r)).toBeUndefined();
    expect(r.chains.size).toBeGreaterThan(0);
    const named = notProven(r);
    expect(named.map((f) => `${f.severity} ${f.path}`)).toEqual(['info ecs/main.tf:56:27']);
    expect(named[0]!.message).toContain("task definition gitlab-runner-manager (ecs/main.tf:56:27) passes gitlab-runner's register settings as environment (CI_SERVER_URL, RUNNER_EXECUTOR, RUNNER_TAG_LIST, CACHE_TYPE, CACHE_S3_BUCKET_NAME, REGISTRATION_TOKEN) to image registry.example.com/platform/gitlab-runner-ecs:2.3.1");
    expect(named[0]!.fix).toMatch(/launch template or instance whose user data the doctor reads/);
    // Its token is still RF940, never shown.
    expect(r.findings.some((f) => f.code === 'RF940' && f.path === 'ecs/main.tf:67:48')).toBe(true);
    expect(everything(r)).not.toContain(TOKEN);
  });

  it('Kubernetes: chart values are the manager found; a Deployment of a custom image given register settings is named (RF903), the one running gitlab-runner is not', () => {
    const custom = { path: 'k8s/runner.yaml', bytes: enc(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: runner\n  namespace: ci\nspec:\n  selector:\n    matchLabels: { app: runner }\n  template:\n    metadata:\n      labels: { app: runner }\n    spec:\n      containers:\n        - name: runner\n          image: registry.example.com/platform/gitlab-runner-k8s:1.0\n          env:\n            - name: CI_SERVER_URL\n              value: https://gitlab.example.com\n            - name: RUNNER_EXECUTOR\n              value: kubernetes\n`) };
    const r = doctor([...CHART, custom]);
    expect(rf910(r)).toBeUndefined();
    expect(notProven(r).map((f) => f.path)).toEqual(['k8s/runner.yaml:14:11']);
    expect(notProven(r)[0]!.message).toContain('Deployment ci/runner (k8s/runner.yaml:14:11) passes gitlab-runner\'s register settings as environment (CI_SERVER_URL, RUNNER_EXECUTOR)');
    // The same workload running gitlab-runner's image is a manager the doctor reads: not named as one it cannot.
    const official = { ...custom, bytes: enc(new TextDecoder().decode(custom.bytes).replace('registry.example.com/platform/gitlab-runner-k8s:1.0', 'gitlab/gitlab-runner:v17.11.0')) };
    expect(notProven(doctor([...CHART, official]))).toEqual([]);
    // Alone (no manager found), the custom one is in RF910 as before, not in an RF903.
    const alone = doctor([custom]);
    expect(rf910(alone)?.message).toContain('Deployment ci/runner (k8s/runner.yaml:14:11)');
    expect(notProven(alone)).toEqual([]);
  });

  it('a compose service beside a manager found is named (RF903) at the service', () => {
    const r = doctor([...EC2, ...under('host', corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'compose-docker-manager')))]);
    expect(rf910(r)).toBeUndefined();
    expect(notProven(r).map((f) => f.path).sort()).toEqual(['host/docker-compose.yml:12:5', 'host/docker-compose.yml:5:5']);
    expect(notProven(r).every((f) => f.fix!.startsWith('give the config.toml the service mounts'))).toBe(true);
  });
});

describe('a token environment entry holding a marker a later step replaces is no credential', () => {
  const script = (value: string) => doctor([{ path: 'setup.sh', bytes: new TextEncoder().encode(`#!/bin/sh\ncat > /etc/runner.env <<EOF\nCI_SERVER_URL=https://gitlab.example.com\nCI_SERVER_TOKEN=${value}\nEOF\nsed -i "s/__GITLAB_RUNNER_TOKEN__/$TOKEN/" /etc/runner.env\n`) }]);
  it.each(['__GITLAB_RUNNER_TOKEN__', '@RUNNER_TOKEN@'])('%s: no RF940', (marker) => {
    expect(script(marker).findings.filter((f) => f.code === 'RF940')).toEqual([]);
  });
  it('a literal value there still is (value not shown)', () => {
    const r = script('s3cr3tvalue-from-the-ui');
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['setup.sh:4:1']);
    expect(JSON.stringify(r.findings)).not.toContain('s3cr3tvalue');
  });
});
