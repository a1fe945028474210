import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 65f: doctor findings a review of the public corpus showed to be wrong or mis-aimed (helper
 * 65e's review), each with a twin that keeps the true finding.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
// As a folder walk gives them: the folders are read whole, so a file not among them does not exist.
const walked = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const chart = (version: string, name = 'gitlab-runner') => `apiVersion: v1\nname: ${name}\nversion: ${version}\nappVersion: 15.7.0\n`;
// Values as a copy of the chart edited in place (SergeyNarozhny+gke-gitlab-runner-helm): the legacy cache keys the chart before 0.53.0 reads.
const VALUES = `gitlabUrl: https://gitlab.example.com/
runnerRegistrationToken: "<token>"
rbac:
  create: true
runners:
  cache:
    cacheType: gcs
    cachePath: runner
    cacheShared: true
    gcsBucketName: my-bucket
`;

describe('the version of a vendored gitlab-runner chart is the version its values are installed with', () => {
  it('values.yaml beside the Chart.yaml of gitlab-runner 0.48.0: its runners.cache.* keys are read by that chart, no RF932', () => {
    const r = run({ 'Chart.yaml': chart('0.48.0'), 'values.yaml': VALUES });
    expect(of(r, 'RF932')).toEqual([]);
  });

  it('a values-<env>.yaml beside that Chart.yaml: the same, no RF932', () => {
    const r = run({ 'Chart.yaml': chart('0.48.0'), 'values.yaml': VALUES, 'values-asia.yaml': VALUES });
    expect(of(r, 'RF932')).toEqual([]);
  });

  it('twins: no Chart.yaml, a Chart.yaml of 0.60.0, or a Chart.yaml of another chart: RF932 at each legacy cache key', () => {
    expect(of(run({ 'values.yaml': VALUES }), 'RF932')).toHaveLength(4);
    const newer = of(run({ 'Chart.yaml': chart('0.60.0'), 'values.yaml': VALUES }), 'RF932');
    expect(newer).toHaveLength(4);
    expect(newer[0]!.message).toContain('the gitlab-runner chart 0.60.0 this release installs');
    expect(of(run({ 'Chart.yaml': chart('0.48.0', 'my-app'), 'values.yaml': VALUES }), 'RF932')).toHaveLength(4);
    // A chart of one's own named gitlab-runner whose appVersion is no runner version (helm create's skeleton): not the runner chart's version.
    expect(of(run({ 'Chart.yaml': 'apiVersion: v2\nname: gitlab-runner\nversion: 0.1.0\nappVersion: 0.72.0\n', 'values.yaml': VALUES }), 'RF932')).toHaveLength(4);
  });

  it('RF903 for a service account named after the release advises the key of the chart installed: rbac.serviceAccountName for 0.48.0, serviceAccount.name for 0.60.0', () => {
    const old = of(run({ 'Chart.yaml': chart('0.48.0'), 'values.yaml': VALUES }), 'RF903').filter((f) => f.message.includes('no service account'));
    expect(old).toHaveLength(1);
    expect(old[0]!.fix).toContain('rbac.serviceAccountName');
    expect(old[0]!.fix).toContain('chart 0.48.0 installed');
    expect(old[0]!.fix).not.toContain('set serviceAccount.name');
    const newer = of(run({ 'Chart.yaml': chart('0.60.0'), 'values.yaml': VALUES }), 'RF903').filter((f) => f.message.includes('no service account'));
    expect(newer).toHaveLength(1);
    expect(newer[0]!.fix).toContain('set serviceAccount.name (chart ≥ 0.59)');
  });

  it('a helm_release that installs the vendored folder with a values file elsewhere: the folder\'s version, no RF932', () => {
    const tf = `resource "helm_release" "runner" {
  name      = "runner"
  namespace = "ci"
  chart     = "./chart"
  values    = [file("\${path.module}/runner.yaml")]
}
`;
    const r = run({ 'main.tf': tf, 'runner.yaml': VALUES, 'chart/Chart.yaml': chart('0.48.0') });
    expect(of(r, 'RF932')).toEqual([]);
    const twin = run({ 'main.tf': tf, 'runner.yaml': VALUES, 'chart/Chart.yaml': chart('0.60.0') });
    expect(of(twin, 'RF932').length).toBeGreaterThan(0);
  });
});

describe('a YAML file that is a Markdown code block (webees+helm-gitlab-runner)', () => {
  const CI = '```yml\nstages:\n  - build\n\nbuild:\n  stage: build\n  script:\n    - mvn package\n```\n';
  it('a file that opens with a code fence: RF902 (info) "a Markdown code block, not YAML" at the fence, no RF901', () => {
    const r = run({ 'maven.gitlab-ci.yml': CI, 'registries.yaml': '# /etc/rancher/k3s/\n```yaml\nconfigs:\n  registry.example.com:\n    auth: {}\n```\n' });
    expect(of(r, 'RF901')).toEqual([]);
    const said = of(r, 'RF902').filter((f) => f.message.includes('a Markdown code block, not YAML'));
    expect(said.map((f) => f.path).sort()).toEqual(['maven.gitlab-ci.yml:1:1', 'registries.yaml:2:1']);
    expect(said[0]!.severity).toBe('info');
  });

  it('a credential in the code block is still found (its lines are scanned as text)', () => {
    const r = run({ 'runner.yaml': '```yaml\nrunnerToken: glrt-abcdefghijklmnopqrst\n```\n' });
    expect(of(r, 'RF940').length).toBeGreaterThan(0);
  });

  it('twin: YAML broken without a fence stays RF901, and its message says what the parser said, not cut off after a colon', () => {
    const r = run({ 'values.yaml': 'gitlabUrl: https://gitlab.example.com\nrunners\n  secret: x\n' });
    const rf901 = of(r, 'RF901');
    expect(rf901).toHaveLength(1);
    expect(rf901[0]!.message).toMatch(/is not valid YAML: \S.*\S$/);
    expect(rf901[0]!.message).not.toMatch(/:$/);
    expect(of(r, 'RF902').filter((f) => f.message.includes('Markdown'))).toEqual([]);
  });
});

describe('a kustomize generator file a .gitignore ignores (platform-engineering-org+gitlab-ci-runners)', () => {
  const KUST = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: default\nsecretGenerator:\n- name: gitlab-runner-secret\n  envs:\n    - .env\n';
  it('resources/.env, ignored by the root .gitignore: RF903 (info) at the entry, no RF946', () => {
    const r = walked({ '.gitignore': '# secrets\n.env\n', 'resources/kustomization.yaml': KUST });
    expect(of(r, 'RF946')).toEqual([]);
    const said = of(r, 'RF903').filter((f) => f.message.includes('a .gitignore of the files given ignores'));
    expect(said.map((f) => f.path)).toEqual(['resources/kustomization.yaml:7:7']);
  });

  it('twins: no .gitignore, or one that ignores other files (*.log, build/, a /.env anchored to another folder): RF946 stays', () => {
    expect(of(walked({ 'resources/kustomization.yaml': KUST }), 'RF946')).toHaveLength(1);
    expect(of(walked({ '.gitignore': '*.log\nbuild/\n/.env\n', 'resources/kustomization.yaml': KUST }), 'RF946')).toHaveLength(1);
    // Negated after: the last matching pattern decides.
    expect(of(walked({ '.gitignore': '.env\n!resources/.env\n', 'resources/kustomization.yaml': KUST }), 'RF946')).toHaveLength(1);
  });

  it('the patterns read: *.ext, dir/ (everything below), anchored paths', () => {
    const k = (env: string) => KUST.replace('- .env', `- ${env}`);
    expect(of(walked({ '.gitignore': '*.env\n', 'resources/kustomization.yaml': k('runner.env') }), 'RF946')).toEqual([]);
    expect(of(walked({ '.gitignore': 'secrets/\n', 'resources/kustomization.yaml': k('secrets/runner.env') }), 'RF946')).toEqual([]);
    expect(of(walked({ 'resources/.gitignore': '/secrets/runner.env\n', 'resources/kustomization.yaml': k('secrets/runner.env') }), 'RF946')).toEqual([]);
    // A folder-only pattern does not ignore a file of that name.
    expect(of(walked({ '.gitignore': 'runner.env/\n', 'resources/kustomization.yaml': k('runner.env') }), 'RF946')).toHaveLength(1);
  });

  it('a .gitignore is not counted or read as a deployment file', () => {
    const r = walked({ '.gitignore': '.env\n', 'resources/kustomization.yaml': KUST });
    expect(r.findings.filter((f) => f.path.startsWith('.gitignore'))).toEqual([]);
    expect(r.files).toBe(1);
  });
});

describe('RF933 for a variable name in a config.toml key (thejohnfreeman+gitlab-runner-aws)', () => {
  const toml = '[[runners]]\n  name = "r"\n  url = "https://gitlab.com/"\n  executor = "docker"\n  [runners.cache]\n    Type = "s3"\n    [runners.cache.s3]\n      AccessKey = "AWS_ACCESS_KEY"\n      SecretKey = "AWS_SECRET_KEY"\n';
  it('config.toml: called a placeholder that reads like a variable\'s name, which gitlab-runner does not expand', () => {
    const rf933 = of(run({ 'config.toml': toml }), 'RF933');
    expect(rf933).toHaveLength(2);
    expect(rf933[0]!.message).toContain("to a placeholder (it reads like an environment variable's name, which gitlab-runner does not expand here), not a key");
  });
  it('twin: in a Terraform provider the same value keeps "the name of an environment variable"', () => {
    const rf933 = of(run({ 'main.tf': 'provider "aws" {\n  region     = "us-east-1"\n  access_key = "AWS_ACCESS_KEY"\n  secret_key = "AWS_SECRET_KEY"\n}\n' }), 'RF933');
    expect(rf933.length).toBeGreaterThan(0);
    expect(rf933[0]!.message).toContain('to the name of an environment variable, not a key');
  });
});

describe('helm install of the GitLab chart, which deploys a runner as its gitlab-runner subchart (platform-engineering-org+gitlab-ci-runners)', () => {
  const make = (cmd: string) => `up:\n\thelm repo add gitlab https://charts.gitlab.io\n\t${cmd}\n`;
  const VALUES = 'global:\n  edition: ce\ngitlab-runner:\n  install: true\n  register: true\n';
  it('gitlab/gitlab with values: RF903 at the chart word, no RF910', () => {
    const r = run({ Makefile: make('helm install gitlab gitlab/gitlab --namespace gitlab --values values.yaml --version v7.1.0'), 'values.yaml': VALUES });
    expect(of(r, 'RF910')).toEqual([]);
    const said = of(r, 'RF903').filter((f) => f.message.includes('installs the GitLab chart gitlab/gitlab'));
    expect(said.map((f) => f.path)).toEqual(['Makefile:3:22']);
  });

  it('twins: the runner turned off with --set gitlab-runner.install=false, or another chart: RF910 stays', () => {
    expect(of(run({ Makefile: make('helm install gitlab gitlab/gitlab --set gitlab-runner.install=false') }), 'RF910')).toHaveLength(1);
    expect(of(run({ Makefile: make('helm install web bitnami/nginx') }), 'RF910')).toHaveLength(1);
  });
});
