import { describe, expect, it } from 'vitest';
import { doctor, doctorWithAws, type DoctorResult } from '../src/doctor/index.js';
import { argoApplication } from './helpers/doctor.js';
import { ACCOUNT, fakeAws } from './helpers/aws-fake.js';

/**
 * Issue 35b: chart values follow-ups. A runner token written in clear in runnerToken is a GitLab
 * token in a file (RF940, as at runnerRegistrationToken); the legacy runners.* fields 33d/34d missed
 * (nodeSelector, nodeTolerations, podLabels, podAnnotations, env, cloneUrl,
 * pod_security_context.supplemental_groups); the top-level `namespace` read only from chart 0.79.0;
 * runners.serviceAccountName beside a runners.config before 0.53.0 (register keeps the environment's
 * account over the template's).
 */

// Fake tokens of the scanned shapes (the credential scanner may flag them; none is a real token).
const AUTH_TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
const PLAIN_TOKEN = 'Zq8xEXAMPLEexampleEXAMPLE3k';

const enc = (s: string) => new TextEncoder().encode(s);
const files = (f: Record<string, string>) => Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) }));
const run = (f: Record<string, string>): DoctorResult => doctor(files(f));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const summary = (r: DoctorResult) => [...r.chains.values()].flat().join('\n');
const indent = (text: string, n: number) => text.split('\n').map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`)).join('\n');
const application = (values: string, targetRevision?: string, namespace = 'gitlab-runner'): string => argoApplication({ helm: `      values: |\n${indent(values, 8)}\n`, namespace, ...(targetRevision !== undefined ? { targetRevision } : {}) });
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
/** `app.yaml:line:column` of `value` on the (first) line holding `line`. */
const at = (text: string, line: string, value: string, file = 'app.yaml') => `${file}:${lineOf(text, line)}:${text.split('\n')[lineOf(text, line) - 1]!.indexOf(value) + 1}`;

describe('a runner token written in clear in runnerToken is RF940, as in runnerRegistrationToken', () => {
  const values = (token: string) => `gitlabUrl: https://gitlab.com/\nrunnerToken: "${token}"\nserviceAccount:\n  name: m\n`;

  it('a glrt- token in a values file: RF940 (error) at the value, not RF304; the token never shown', () => {
    const text = `gitlabUrl: https://gitlab.com/\nrunnerToken: ${AUTH_TOKEN}\nserviceAccount:\n  name: m\n`;
    const r = run({ 'values.yaml': text });
    const leak = of(r, 'RF940');
    expect(leak.map((f) => [f.path, f.severity, f.received])).toEqual([[at(text, 'runnerToken', AUTH_TOKEN, 'values.yaml'), 'error', '(a token, not shown)']]);
    expect(leak[0]!.message).toMatch(/^runnerToken holds a GitLab runner authentication token \(glrt-\), written in clear in values\.yaml \(value not shown\)/);
    expect(leak[0]!.fix).toMatch(/Secret under key runner-token/);
    expect(of(r, 'RF304')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(AUTH_TOKEN);
  });

  it('a value of no known prefix written in clear: RF940 too (the key makes it a runner token), never shown', () => {
    const app = application(values(PLAIN_TOKEN), '0.71.0');
    const r = run({ 'app.yaml': app });
    expect(of(r, 'RF940').map((f) => f.path)).toEqual([at(app, 'runnerToken', `"${PLAIN_TOKEN}`)]);
    expect(of(r, 'RF940')[0]!.message).toMatch(/^runnerToken holds a value written in clear in app\.yaml \(value not shown\), no reference and no placeholder/);
    expect(of(r, 'RF304')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(PLAIN_TOKEN);
  });

  it('twin: a placeholder or a reference is filled in at install: neither RF940 nor RF304', () => {
    for (const placeholder of ['<token>', 'changeme', '${RUNNER_TOKEN}', '{{ .Values.token }}']) {
      const r = run({ 'app.yaml': application(values(placeholder), '0.71.0') });
      expect(r.findings.filter((f) => f.code === 'RF940' || f.code === 'RF304'), placeholder).toEqual([]);
    }
  });

  it('the same in a Terraform helm_release set: RF940 at the set value', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  values     = [yamlencode({ serviceAccount = { name = "m" } })]\n  set {\n    name  = "runnerToken"\n    value = "${AUTH_TOKEN}"\n  }\n}\n`;
    const r = run({ 'main.tf': tf });
    expect(of(r, 'RF940').map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, AUTH_TOKEN)}:13`]);
    expect(of(r, 'RF304')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(AUTH_TOKEN);
  });
  it('a values file a helm_release reads: the message names the file the token is written in, not the release\'s', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  values     = [file("\${path.module}/values.yaml")]\n}\n`;
    const r = run({ 'main.tf': tf, 'values.yaml': values(AUTH_TOKEN) });
    expect(of(r, 'RF940').map((f) => f.path)).toEqual([`values.yaml:2:14`]);
    expect(of(r, 'RF940')[0]!.message).toContain('written in clear in values.yaml (value not shown)');
    expect(JSON.stringify(r)).not.toContain(AUTH_TOKEN);
  });
});

describe('the legacy runners.* fields chart 0.52.0 passed to register as flags (configmap.yaml) or CLONE_URL, which 0.58.1 and 0.86.0 do not read', () => {
  const LEGACY = `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
runners:
  cloneUrl: https://clone.example.com
  nodeSelector:
    pool: ci
  nodeTolerations:
    - key: ci
      operator: Exists
      effect: NoSchedule
  podLabels:
    team: build
  podAnnotations:
    owner: build
  env:
    FOO: bar
  pod_security_context:
    supplemental_groups: [101]
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
`;

  it('from 0.53.0 on: RF932 at each, naming the flag register was given and the runners.config key that takes its place', () => {
    const app = application(LEGACY, '0.71.0');
    const f = of(run({ 'app.yaml': app }), 'RF932');
    const named = Object.fromEntries(f.map((x) => [x.message.split(' ')[0]!, x]));
    expect(Object.keys(named).sort()).toEqual(['runners.cloneUrl', 'runners.env', 'runners.nodeSelector', 'runners.nodeTolerations', 'runners.podAnnotations', 'runners.podLabels', 'runners.pod_security_context.supplemental_groups']);
    expect(named['runners.nodeSelector']!.path).toBe(at(app, 'pool: ci', 'pool'));
    expect(named['runners.nodeSelector']!.message).toMatch(/--kubernetes-node-selector\).*\[runners\.kubernetes\.node_selector\]$/);
    expect(named['runners.nodeTolerations']!.path).toBe(at(app, '- key: ci', '- key: ci'));
    expect(named['runners.nodeTolerations']!.fix).toBe('remove runners.nodeTolerations; set [runners.kubernetes.node_tolerations] in runners.config');
    expect(named['runners.cloneUrl']!.message).toMatch(/as CLONE_URL\).*\[\[runners\]\] clone_url$/);
    expect(named['runners.env']!.message).toMatch(/--env\).*\[\[runners\]\] environment$/);
  });

  it('twin: before 0.53.0 (0.52.0) the chart reads them: no RF932', () => {
    expect(of(run({ 'app.yaml': application(LEGACY, '0.52.0') }), 'RF932')).toEqual([]);
  });
});

describe('the top-level namespace places the manager only from chart 0.79.0 (!519)', () => {
  const VALUES = `gitlabUrl: https://gitlab.com/
namespace: ops
serviceAccount:
  name: m
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
        service_account = "jobs"
`;

  it('0.77.2 places nothing by it: the manager runs in the release namespace, and the key is RF932', () => {
    const app = application(VALUES, '0.77.2');
    const r = run({ 'app.yaml': app });
    expect(summary(r)).toContain('manager gitlab-runner/m');
    expect(summary(r)).not.toContain('manager ops/m');
    const f = of(r, 'RF932');
    expect(f.map((x) => x.path)).toEqual([at(app, 'namespace: ops', 'ops')]);
    expect(f[0]!.message).toMatch(/^namespace is not read by the gitlab-runner chart 0\.77\.2 this release installs: .*0\.79\.0.*the manager runs in the release's namespace, not in ops$/);
  });

  it('twin: 0.79.0 (and a version not given exactly) places the manager there: no RF932', () => {
    for (const version of ['0.79.0', undefined]) {
      const r = run({ 'app.yaml': application(VALUES, version) });
      expect(summary(r), String(version)).toContain('manager ops/m');
      expect(of(r, 'RF932'), String(version)).toEqual([]);
    }
  });

  it('with rbac.create, the chart 0.77.2 Role goes to the release namespace, not to `namespace`', () => {
    const app = application(`${VALUES}rbac:\n  create: true\n`, '0.77.2');
    const r = run({ 'app.yaml': app });
    expect(summary(r)).toContain('manager gitlab-runner/m');
    expect(summary(r)).not.toMatch(/\bops\b/);
  });
});

describe('doctor --aws: the namespaces whose pod identity associations are read follow the chart version', () => {
  const podIdentity = (values: string, version: string) => {
    const port = fakeAws(ACCOUNT);
    port.clusters.set('devops', {
      associations: [
        { namespace: 'legacy-jobs', serviceAccount: 'jobs', roleArn: `arn:aws:iam::${ACCOUNT}:role/legacy` },
        { namespace: 'ops', serviceAccount: 'm', roleArn: `arn:aws:iam::${ACCOUNT}:role/ops` },
      ],
      accessEntries: new Map(),
    });
    return { port, input: files({ 'app.yaml': application(values, version) }) };
  };
  const described = (port: ReturnType<typeof fakeAws>) => port.calls.filter((c) => c === 'DescribePodIdentityAssociation').length;
  const LEGACY_NS = `gitlabUrl: https://gitlab.com/\nserviceAccount:\n  name: m\nrunners:\n  namespace: legacy-jobs\n`;
  const TOP_NS = `gitlabUrl: https://gitlab.com/\nnamespace: ops\nserviceAccount:\n  name: m\n`;

  it('runners.namespace is a candidate only where the chart reads it (0.52.0), not from 0.53.0 on', async () => {
    const now = podIdentity(LEGACY_NS, '0.71.0');
    await doctorWithAws(now.input, now.port, { clusters: ['devops'] });
    expect(described(now.port)).toBe(0);
    const then = podIdentity(LEGACY_NS, '0.52.0');
    await doctorWithAws(then.input, then.port, { clusters: ['devops'] });
    expect(described(then.port)).toBe(1);
  });

  it('the top-level namespace is a candidate from 0.79.0 on, not before', async () => {
    const now = podIdentity(TOP_NS, '0.79.0');
    await doctorWithAws(now.input, now.port, { clusters: ['devops'] });
    expect(described(now.port)).toBe(1);
    const then = podIdentity(TOP_NS, '0.77.2');
    await doctorWithAws(then.input, then.port, { clusters: ['devops'] });
    expect(described(then.port)).toBe(0);
  });
});

describe('runners.serviceAccountName beside a runners.config before 0.53.0: register keeps the environment\'s account', () => {
  // Chart 0.52.0 gives register KUBERNETES_SERVICE_ACCOUNT from runners.serviceAccountName and
  // --template-config from runners.config; register's template merge fills only what the
  // environment left empty (commands/register.go MergeTo, mergo.Merge without override).
  const values = (legacySa: string, templateSa: string) => `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
runners:
  serviceAccountName: ${legacySa}
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "gitlab-runner"
        service_account = "${templateSa}"
`;

  it('0.52.0, runners.serviceAccountName the manager\'s own and the template another: the jobs run as the manager, RF905 at runners.serviceAccountName', () => {
    const app = application(values('m', 'jobs'), '0.52.0');
    const r = run({ 'app.yaml': app });
    expect(summary(r)).toContain('jobs gitlab-runner/m');
    expect(of(r, 'RF905').map((f) => f.path)).toEqual([at(app, 'serviceAccountName: m', ': m').replace(/\d+$/, (c) => String(Number(c) + 2))]);
  });

  it('twin: 0.52.0, runners.serviceAccountName another and the template the manager\'s: the jobs run as the other, no RF905', () => {
    const r = run({ 'app.yaml': application(values('jobs', 'm'), '0.52.0') });
    expect(summary(r)).toContain('jobs gitlab-runner/jobs');
    expect(of(r, 'RF905')).toEqual([]);
  });

  it('twin: 0.71.0 reads no runners.serviceAccountName (RF932): the template\'s account is the jobs\'', () => {
    const app = application(values('m', 'jobs'), '0.71.0');
    const r = run({ 'app.yaml': app });
    expect(summary(r)).toContain('jobs gitlab-runner/jobs');
    expect(of(r, 'RF905')).toEqual([]);
  });
});
