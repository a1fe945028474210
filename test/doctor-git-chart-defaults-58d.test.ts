import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 58d: two more releases of a vendored gitlab-runner chart take its values.yaml as the bottom
 * layer (vendored-chart.ts layerChartDefaults): an Argo CD Application whose source is a chart
 * folder of a git repository (`path:`, no `chart:`), where the folder given holds that folder
 * (its Chart.yaml naming gitlab-runner), with its valueFiles read from the chart's folder; and a
 * Terraform helm_release whose chart is `${path.module}/…` or `${path.root}/…`. Each layer of the
 * release is shown winning by where RF907 (rbac.create: true without rules) is placed.
 */

const FIXTURES = new URL('./fixtures/doctor-git-chart-58d/', import.meta.url).pathname;
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const fixture = (name: string): Record<string, string> => Object.fromEntries(walk(join(FIXTURES, name)).map((p) => [relative(join(FIXTURES, name), p), readFileSync(p, 'utf8')]));
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string | undefined>): DoctorResult => doctor(Object.entries(files).flatMap(([path, text]) => (text === undefined ? [] : [{ path, bytes: enc(text) }])));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const chainText = (r: DoctorResult) => [...r.chains.values()].flat().join('\n');

const ARGO = fixture('argo');
const APP = ARGO['apps/runner.yaml']!;
const DEFAULTS = ARGO['charts/gitlab-runner/values.yaml']!;
/** The Application with its helm section replaced by `helm` (indented under `source:`). */
const withHelm = (helm: string) => APP.replace(/ {4}helm:\n(?: {6}.*\n)+/, `    helm:\n${helm}`);

describe('an Argo CD Application of a chart folder of the files given (source.path)', () => {
  it("takes the chart's values.yaml as the bottom layer: RF907 at its rbac.create line, said as the default Application gitlab-runner keeps; the chain says which folder is taken to be the chart", () => {
    const r = run(ARGO);
    const rf907 = of(r, 'RF907');
    expect(rf907.map((f) => f.path)).toEqual([`charts/gitlab-runner/values.yaml:${lineOf(DEFAULTS, 'create: true')}:11`]);
    expect(rf907[0]!.message).toContain("the default of the vendored chart's values.yaml, which Application gitlab-runner keeps");
    // The chart's values are read as the release's: no RF902 for them.
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('charts/gitlab-runner/'))).toEqual([]);
    expect(chainText(r)).toContain("manager ci/gitlab-runner (apps/runner.yaml:11:11; chart charts/gitlab-runner/ of the files given, taken to be https://gitlab.example.com/platform/deploy.git's folder charts/gitlab-runner (Application gitlab-runner's source.path, apps/runner.yaml:11:11): its values.yaml is the bottom layer");
  });

  it('reads helm.valueFiles from the chart folder (values-prod.yaml is charts/gitlab-runner/values-prod.yaml); one not given is RF903 naming that path', () => {
    const r = run({ ...ARGO, 'charts/gitlab-runner/values-prod.yaml': undefined });
    const said = of(r, 'RF903').filter((f) => f.path === `apps/runner.yaml:${lineOf(APP, '- values-prod.yaml')}:11`);
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('is charts/gitlab-runner/values-prod.yaml of the files given');
    // Given, its gitlabUrl is read: no such RF903.
    expect(of(run(ARGO), 'RF903').filter((f) => f.message.includes('values-prod.yaml'))).toEqual([]);
  });

  it('a valueFile with a leading / is read from the root of the repository', () => {
    const r = run({ ...ARGO, 'env/prod.yaml': 'rbac:\n  create: true\n', 'apps/runner.yaml': withHelm('      valueFiles:\n        - values-prod.yaml\n        - /env/prod.yaml\n') });
    expect(of(r, 'RF907').map((f) => f.path)).toEqual(['env/prod.yaml:2:11']);
  });

  describe("Helm's order: chart values.yaml < valueFiles in order < values < valuesObject < parameters (each layer winning)", () => {
    const files = { ...ARGO, 'charts/gitlab-runner/values-a.yaml': 'rbac:\n  create: true\n', 'charts/gitlab-runner/values-b.yaml': '# b\nrbac:\n  create: true\n' };
    const rf907 = (helm: string) => of(run({ ...files, 'apps/runner.yaml': withHelm(helm) }), 'RF907').map((f) => f.path);
    const appLine = (helm: string, needle: string) => lineOf(withHelm(helm), needle);
    it('the later of two valueFiles wins over the earlier, and both over the chart', () => {
      expect(rf907('      valueFiles:\n        - values-prod.yaml\n        - values-a.yaml\n        - values-b.yaml\n')).toEqual(['charts/gitlab-runner/values-b.yaml:3:11']);
      expect(rf907('      valueFiles:\n        - values-prod.yaml\n        - values-b.yaml\n        - values-a.yaml\n')).toEqual(['charts/gitlab-runner/values-a.yaml:2:11']);
    });
    it('values (a YAML string) wins over the valueFiles', () => {
      const helm = '      valueFiles:\n        - values-prod.yaml\n        - values-a.yaml\n      values: |\n        rbac:\n          create: true\n';
      expect(rf907(helm)).toEqual([`apps/runner.yaml:${appLine(helm, '          create: true')}:19`]);
    });
    it('valuesObject wins over values', () => {
      const helm = '      valueFiles:\n        - values-prod.yaml\n      values: |\n        rbac:\n          create: true\n      valuesObject:\n        rbac:\n          create: true # object\n';
      expect(rf907(helm)).toEqual([`apps/runner.yaml:${appLine(helm, '# object')}:19`]);
    });
    it('parameters win over valuesObject', () => {
      const helm = '      valueFiles:\n        - values-prod.yaml\n      valuesObject:\n        rbac:\n          create: true\n      parameters:\n        - name: rbac.create\n          value: "true"\n';
      expect(rf907(helm)).toEqual([`apps/runner.yaml:${appLine(helm, 'value: "true"')}:18`]);
    });
    it('false in the top layer over true below: no RF907 (guard)', () => {
      expect(rf907('      valueFiles:\n        - values-prod.yaml\n        - values-a.yaml\n      parameters:\n        - name: rbac.create\n          value: "false"\n')).toEqual([]);
      expect(rf907('      valueFiles:\n        - values-prod.yaml\n      valuesObject:\n        rbac:\n          create: false\n')).toEqual([]);
    });
  });

  it('the repository as a folder of the folder given: its chart is the one folder ending in the path; two such folders are not guessed between', () => {
    const nested = Object.fromEntries(Object.entries(ARGO).map(([p, t]) => [`deploy/${p}`, t]));
    const withRoot = { ...nested, 'deploy/env/prod.yaml': 'rbac:\n  create: true\n', 'deploy/apps/runner.yaml': withHelm('      valueFiles:\n        - values-prod.yaml\n        - /env/prod.yaml\n') };
    expect(of(run(withRoot), 'RF907').map((f) => f.path)).toEqual(['deploy/env/prod.yaml:2:11']);
    expect(chainText(run(nested))).toContain('chart deploy/charts/gitlab-runner/ of the files given');
    const two = run({ ...nested, 'other/charts/gitlab-runner/Chart.yaml': ARGO['charts/gitlab-runner/Chart.yaml'], 'other/charts/gitlab-runner/values.yaml': DEFAULTS });
    expect(of(two, 'RF907')).toEqual([]);
    expect(of(two, 'RF903').filter((f) => f.message.includes('2 folders of the files given end in charts/gitlab-runner/Chart.yaml and which is the chart is not guessed'))).toHaveLength(1);
  });

  it('multi-source: the chart folder of one source, a $ref value file of the other', () => {
    const app = APP.replace(/ {2}source:\n(?: {4}.*\n)+/, `  sources:
    - repoURL: https://gitlab.example.com/platform/deploy.git
      targetRevision: main
      path: charts/gitlab-runner
      helm:
        valueFiles:
          - $values/env/prod.yaml
    - repoURL: https://gitlab.example.com/platform/values.git
      targetRevision: main
      ref: values
`);
    const r = run({ ...ARGO, 'apps/runner.yaml': app, 'values-repo/env/prod.yaml': 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: t\n' });
    expect(of(r, 'RF907').map((f) => f.path)).toEqual([`charts/gitlab-runner/values.yaml:${lineOf(DEFAULTS, 'create: true')}:11`]);
    expect(of(r, 'RF903').filter((f) => f.message.includes('prod.yaml'))).toEqual([]);
  });

  it("a chart's values.yaml edited in place to be the deployment's (it sets gitlabUrl) is the bottom layer, not a second release", () => {
    const edited = `gitlabUrl: https://gitlab.example.com\n${DEFAULTS}`;
    const r = run({ ...ARGO, 'charts/gitlab-runner/values.yaml': edited, 'charts/gitlab-runner/values-prod.yaml': 'runners:\n  secret: t\n' });
    expect(r.chains.size).toBe(1);
    expect(of(r, 'RF907').map((f) => f.path)).toEqual([`charts/gitlab-runner/values.yaml:${lineOf(edited, 'create: true')}:11`]);
  });

  it('a chart folder of another repository (no Chart.yaml of it given) is RF903 at source.path: the chart\'s defaults are not read; its values are', () => {
    const r = run({ 'apps/runner.yaml': withHelm('      valueFiles:\n        - values-prod.yaml\n      valuesObject:\n        gitlabUrl: https://gitlab.example.com\n        runners:\n          secret: t\n') });
    const at = of(r, 'RF903').filter((f) => f.path === `apps/runner.yaml:${lineOf(APP, 'path:')}:11` && f.message.includes('git repository'));
    expect(at).toHaveLength(1);
    expect(at[0]!.message).toContain("the chart's own values.yaml (its defaults");
    expect(at[0]!.message).toContain('is not read');
    expect(of(r, 'RF903').filter((f) => f.message.includes('values-prod.yaml is charts/gitlab-runner/values-prod.yaml of the git repository'))).toHaveLength(1);
    expect(r.chains.size).toBe(1);
    expect(of(r, 'RF907')).toEqual([]);
  });

  it('guards: a folder whose Chart.yaml names another chart, or a path source with no helm section and no chart given, is not a runner release', () => {
    const other = run({ ...ARGO, 'charts/gitlab-runner/Chart.yaml': 'apiVersion: v2\nname: something-else\nversion: 1.0.0\n' });
    expect(other.chains.size).toBe(0);
    expect(of(other, 'RF907')).toEqual([]);
    const plain = run({ 'apps/runner.yaml': APP.replace(/ {4}helm:\n(?: {6}.*\n)+/, '') });
    expect(plain.chains.size).toBe(0);
    expect(of(plain, 'RF903').filter((f) => f.message.includes("chart's own values.yaml"))).toEqual([]);
  });

  it('hostile: a path or a value file escaping the folder given is never read; the value file is RF903 and the release not read', () => {
    // Files above the folder given, named so only a path escaping it would find them.
    const outside = { ...ARGO, '../secret/values.yaml': '# not values of this release\nrunners:\n  secret: t\n' };
    const up = run({ ...outside, '../charts/gitlab-runner/Chart.yaml': ARGO['charts/gitlab-runner/Chart.yaml'], 'charts/gitlab-runner/Chart.yaml': undefined, 'apps/runner.yaml': APP.replace('path: charts/gitlab-runner', 'path: x/../../charts/gitlab-runner') });
    expect(up.chains.size).toBe(0);
    expect(of(up, 'RF907')).toEqual([]);
    const escape = run({ ...outside, 'apps/runner.yaml': withHelm('      valueFiles:\n        - values-prod.yaml\n        - ../../../secret/values.yaml\n') });
    const said = of(escape, 'RF903').filter((f) => f.message.includes('resolves outside the repository'));
    expect(said).toHaveLength(1);
    expect(said[0]!.path).toBe(`apps/runner.yaml:${lineOf(withHelm('      valueFiles:\n        - values-prod.yaml\n        - ../../../secret/values.yaml\n'), 'secret/values.yaml')}:11`);
    // Argo CD renders nothing: the release is not read (no chain, no default kept).
    expect(escape.chains.size).toBe(0);
    expect(of(escape, 'RF907')).toEqual([]);
  });

  it('hostile: 200,000-character path and value file: read, said shortly', () => {
    const long = 'a/'.repeat(100_000);
    const r1 = run({ ...ARGO, 'apps/runner.yaml': APP.replace('path: charts/gitlab-runner', `path: ${long}gitlab-runner`) });
    expect(r1.findings.every((f) => f.message.length < 2_000)).toBe(true);
    const r2 = run({ ...ARGO, 'apps/runner.yaml': withHelm(`      valueFiles:\n        - values-prod.yaml\n        - ${'../'.repeat(66_667)}x.yaml\n        - ${'b'.repeat(200_000)}.yaml\n`) });
    expect(r2.findings.every((f) => f.message.length < 2_000)).toBe(true);
    expect(of(r2, 'RF903').filter((f) => f.message.includes('resolves outside the repository'))).toHaveLength(1);
  });
});

const TF = fixture('terraform');
const MOD = TF['modules/runner/main.tf']!;
const MOD_DEFAULTS = TF['modules/runner/charts/gitlab-runner/values.yaml']!;

describe('a Terraform helm_release of a chart folder at ${path.module} / ${path.root}', () => {
  it("${path.module}/charts/gitlab-runner in a called module: the module's chart values.yaml is the bottom layer (RF907 there, naming the release)", () => {
    const r = run(TF);
    const rf907 = of(r, 'RF907');
    expect(rf907.map((f) => f.path)).toEqual([`modules/runner/charts/gitlab-runner/values.yaml:${lineOf(MOD_DEFAULTS, 'create: true')}:11`]);
    expect(rf907[0]!.message).toContain('which helm_release.module.runner.runner keeps');
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('modules/runner/charts/'))).toEqual([]);
  });

  it('${path.root}/… in the root module, and a relative path from a called module read from the root (where terraform runs)', () => {
    const root = MOD.replace('${path.module}/charts/gitlab-runner', '${path.root}/charts/gitlab-runner');
    const r = run({ 'main.tf': root, 'charts/gitlab-runner/Chart.yaml': TF['modules/runner/charts/gitlab-runner/Chart.yaml'], 'charts/gitlab-runner/values.yaml': MOD_DEFAULTS });
    expect(of(r, 'RF907').map((f) => f.path)).toEqual([`charts/gitlab-runner/values.yaml:${lineOf(MOD_DEFAULTS, 'create: true')}:11`]);
    const rel = run({ ...TF, 'modules/runner/main.tf': MOD.replace('${path.module}/charts/gitlab-runner', './modules/runner/charts/gitlab-runner') });
    expect(of(rel, 'RF907').map((f) => f.path)).toEqual([`modules/runner/charts/gitlab-runner/values.yaml:${lineOf(MOD_DEFAULTS, 'create: true')}:11`]);
  });

  describe('Helm\'s order: chart values.yaml < values in order < set (each layer winning)', () => {
    const release = (values: string, set = '') => `resource "helm_release" "runner" {
  name      = "runner"
  namespace = "ci"
  chart     = "\${path.module}/charts/gitlab-runner"
  values = [${values}]
${set}}
`;
    const base = 'yamlencode({ gitlabUrl = "https://gitlab.example.com", runners = { secret = "t" } })';
    const files = { ...TF, 'modules/runner/values-a.yaml': 'rbac:\n  create: true\n', 'modules/runner/values-b.yaml': '# b\nrbac:\n  create: true\n' };
    const rf907 = (text: string) => of(run({ ...files, 'modules/runner/main.tf': text }), 'RF907').map((f) => f.path);
    it('the later values document wins over the earlier, and both over the chart', () => {
      expect(rf907(release(`${base}, file("\${path.module}/values-a.yaml"), file("\${path.module}/values-b.yaml")`))).toEqual(['modules/runner/values-b.yaml:3:11']);
      expect(rf907(release(`${base}, file("\${path.module}/values-b.yaml"), file("\${path.module}/values-a.yaml")`))).toEqual(['modules/runner/values-a.yaml:2:11']);
    });
    it('set wins over values', () => {
      const text = release(`${base}, file("\${path.module}/values-a.yaml")`, '  set {\n    name  = "rbac.create"\n    value = "true"\n  }\n');
      expect(rf907(text)).toEqual([`modules/runner/main.tf:${lineOf(text, 'value = "true"')}:13`]);
    });
    it('false in the top layer over true below: no RF907 (guard)', () => {
      expect(rf907(release(`${base}, file("\${path.module}/values-a.yaml")`, '  set {\n    name  = "rbac.create"\n    value = "false"\n  }\n'))).toEqual([]);
    });
  });

  it('a release from a repository (chart = "gitlab-runner") keeps today\'s reading: the module\'s chart folder is not its bottom layer (guard)', () => {
    const r = run({ ...TF, 'modules/runner/main.tf': MOD.replace('chart     = "${path.module}/charts/gitlab-runner"', 'repository = "https://charts.gitlab.io"\n  chart     = "gitlab-runner"') });
    expect(of(r, 'RF907')).toEqual([]);
    expect(r.chains.size).toBe(1);
  });

  it('hostile: a chart path out of the folder given reads nothing there; a 200,000-character chart path is read shortly', () => {
    const outside = { ...TF, '../etc/gitlab-runner/Chart.yaml': TF['modules/runner/charts/gitlab-runner/Chart.yaml'], '../etc/gitlab-runner/values.yaml': 'rbac:\n  create: true\n' };
    const r = run({ ...outside, 'modules/runner/main.tf': MOD.replace('${path.module}/charts/gitlab-runner', '${path.module}/../../../../etc/gitlab-runner') });
    expect(of(r, 'RF907')).toEqual([]);
    const long = run({ ...TF, 'modules/runner/main.tf': MOD.replace('${path.module}/charts/gitlab-runner', `\${path.module}/${'c/'.repeat(100_000)}gitlab-runner`) });
    expect(long.findings.every((f) => f.message.length < 2_000)).toBe(true);
    expect(of(long, 'RF907')).toEqual([]);
  });
});
