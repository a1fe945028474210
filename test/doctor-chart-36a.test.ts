import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { argoApplication } from './helpers/doctor.js';
import { scanArtifacts } from '../src/verify/secrets.js';

/**
 * Issue 36a: chart and rendered-chart follow-ups. Chart facts are cited where they drive behaviour
 * (src/doctor/chart-values.ts, infer.ts, read.ts); each case here is a small hand-written fixture.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const indent = (text: string, n: number) => text.split('\n').map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`)).join('\n');
const application = (values: string, targetRevision: string): string => argoApplication({ helm: `      values: |\n${indent(values, 8)}\n`, namespace: 'gitlab-runner', targetRevision });

describe('the executor the chart registers: RUNNER_EXECUTOR (runners.executor, else kubernetes) wins over runners.config', () => {
  /** Values whose runners.config says `executor = "<config>"` with a privileged section of each executor; runners.executor as given. */
  const values = (config: string, executor?: string) => `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
runners:
${executor !== undefined ? `  executor: ${executor}\n` : ''}  secret: runner-secret
  config: |
    [[runners]]
      executor = "${config}"
      [runners.kubernetes]
        namespace = "ci"
        privileged = false
      [runners.docker]
        image = "alpine"
        privileged = true
`;
  const run1 = (config: string, version: string, executor?: string) => run({ 'app.yaml': application(values(config, executor), version) });
  const docker = (r: DoctorResult) => r.findings.filter((f) => (f.code === 'RF301' && f.message.includes('[runners.docker] privileged')) || (f.code === 'RF902' && f.message.includes('"docker" executor')));

  it('runners.config says executor = "docker", runners.executor unset: the chart gives RUNNER_EXECUTOR=kubernetes, which register keeps (0.52.0 and 0.86.0): the docker section is not read', () => {
    for (const version of ['0.52.0', '0.86.0']) expect(docker(run1('docker', version)), version).toEqual([]);
  });

  it('runners.executor: docker over a runners.config that says kubernetes: the docker executor is registered (RF902, and its privileged section RF301)', () => {
    for (const version of ['0.52.0', '0.86.0']) expect(docker(run1('kubernetes', version, 'docker')).map((f) => f.code).sort(), version).toEqual(['RF301', 'RF902']);
  });

  it('twin: both say docker: docker, as before', () => {
    expect(docker(run1('docker', '0.52.0', 'docker')).map((f) => f.code).sort()).toEqual(['RF301', 'RF902']);
  });
});

const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

describe('a token prefix followed by lowercase words is a placeholder, not a token (glrt-my-auth-token)', () => {
  const values = (key: string, token: string) => `gitlabUrl: https://gitlab.com/\n${key}: "${token}"\nserviceAccount:\n  name: m\n`;

  it('runnerToken or runnerRegistrationToken: glrt-my-auth-token in a values file is no RF940 (the registration key stays RF912, the deprecated flow configured)', () => {
    expect(of(run({ 'values.yaml': values('runnerToken', 'glrt-my-auth-token') }), 'RF940')).toEqual([]);
    const reg = run({ 'values.yaml': values('runnerRegistrationToken', 'glrt-my-auth-token') });
    expect(of(reg, 'RF940')).toEqual([]);
    expect(of(reg, 'RF912').length).toBe(1);
    // Any key, by its shape alone: a config map's data.
    expect(of(run({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  note: "glpat-your-token-here"\n' }), 'RF940')).toEqual([]);
  });

  it('twin: a token of random characters is RF940 still, at either key and by its shape alone', () => {
    const token = 'glrt-EXAMPLEexampleEXAMPLE12';
    expect(of(run({ 'values.yaml': values('runnerToken', token) }), 'RF940').length).toBe(1);
    expect(of(run({ 'values.yaml': values('runnerRegistrationToken', token) }), 'RF940').length).toBe(1);
    expect(of(run({ 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  note: "${token}"\n` }), 'RF940').length).toBe(1);
    // Plan's scan of runner-fleet's own generated output keeps flagging the placeholder (RF304, as before issue 36a).
    expect(scanArtifacts([{ path: 'out/doc.json', format: 'json', content: { note: 'glrt-my-auth-token' } }]).findings.map((f) => f.code)).toEqual(['RF304']);
    // Mixed case or digits after the prefix are not the placeholder shape.
    expect(of(run({ 'values.yaml': values('runnerToken', 'glrt-my-auth-Token') }), 'RF940').length).toBe(1);
  });
});

describe('a helm-unittest suite is a chart\'s test inputs, not a deployment: RF902, its credentials still looked for', () => {
  /** A suite of the shape of a chart's tests/configmap_test.yaml (helm-unittest DOCUMENT.md). */
  const suite = (token: string) => `suite: test configmap
templates:
  - configmap.yaml
tests:
  - it: unsets the tag list when a runner token is given
    set:
      image.tag: latest
      runnerRegistrationToken: "${token}"
    template: configmap.yaml
    asserts:
      - isKind:
          of: ConfigMap
`;

  it('the suite is RF902 at its start, says what it is, and its placeholder token is no RF940', () => {
    const r = run({ 'chart/tests/configmap_test.yaml': suite('glrt-my-auth-token') });
    expect(of(r, 'RF902').map((f) => [f.path, f.message.split(':')[0]])).toEqual([['chart/tests/configmap_test.yaml:1:1', 'chart/tests/configmap_test.yaml is a helm-unittest suite (suite, templates, tests with set/values and asserts)']]);
    expect(of(r, 'RF940')).toEqual([]);
  });

  it('a token of the issued shape under set: is RF940: a committed file holds it, a test input or not', () => {
    const r = run({ 'chart/tests/configmap_test.yaml': suite('glrt-EXAMPLEexampleEXAMPLE12') });
    expect(of(r, 'RF902').length).toBe(1);
    expect(of(r, 'RF940').map((f) => f.path)).toEqual(['chart/tests/configmap_test.yaml:8:32']);
    expect(JSON.stringify(r)).not.toContain('EXAMPLEexampleEXAMPLE12');
  });

  it('twin: a document with tests but no asserts (not helm-unittest) is not said to be one', () => {
    const r = run({ 'tests.yaml': 'suite: x\ntests:\n  - name: a\n    run: echo\n' });
    expect(of(r, 'RF902').filter((f) => f.message.includes('helm-unittest'))).toEqual([]);
  });
});

describe('a rendered chart\'s config.toml with ${NAME} values a script fills in at run time: RF906 at the first, not RF901', () => {
  /** A manager Deployment mounting a ConfigMap whose config.toml is `toml`. */
  const rendered = (toml: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: runner
  namespace: ci
data:
  config.toml: |
${indent(toml, 4)}
---
apiVersion: apps/v1
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
      serviceAccountName: runner
      containers:
        - name: runner
          image: gitlab/gitlab-runner:alpine-v14.3.0
          command: ["/bin/bash", "/configmaps/entrypoint"]
          volumeMounts:
            - name: configmaps
              mountPath: /configmaps
      volumes:
        - name: configmaps
          configMap:
            name: runner
`;
  const toml = (image: string) => `concurrent = 5\n[[runners]]\n  [runners.kubernetes]\n    image = ${image}\n    namespace = \${KUBERNETES_NAMESPACE}\n`;

  it('unquoted ${KUBERNETES_IMAGE} values: RF906 (warning) at the first, no RF901', () => {
    const text = rendered(toml('${KUBERNETES_IMAGE}'));
    const r = run({ 'rendered.yaml': text });
    expect(of(r, 'RF901')).toEqual([]);
    const line = text.split('\n').findIndex((l) => l.includes('image = ${KUBERNETES_IMAGE}')) + 1;
    expect(of(r, 'RF906').map((f) => [f.path, f.severity])).toEqual([[`rendered.yaml:${line}:9`, 'warning']]);
    expect(of(r, 'RF906')[0]!.message).toMatch(/^ConfigMap ci\/runner: config\.toml writes \$\{KUBERNETES_IMAGE\} where a value belongs \(the first of 2\)/);
  });

  it('twin: a config.toml broken otherwise stays RF901', () => {
    const r = run({ 'rendered.yaml': rendered(toml('"alpine" "x"')) });
    expect(of(r, 'RF901').length).toBe(1);
    expect(of(r, 'RF906')).toEqual([]);
  });
});
