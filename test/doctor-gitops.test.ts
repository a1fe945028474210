import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { argoApplication, fluxHelmRelease } from './helpers/doctor.js';

/**
 * The gitlab-runner chart deployed by a GitOps controller: an Argo CD Application or a Flux
 * HelmRelease is read as the chart values it installs, its layers merged as the controller merges
 * them, each key at the place of the layer that wrote it (inside a `values: |` string too). Before,
 * the doctor found no manager (RF910) and said nothing of what the values deploy.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** The sound IRSA case's Kubernetes objects and roles: with them, the chart values make a proven chain. */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'irsa-guide-sound');
const soundFiles = (): Record<string, string> => {
  const out: Record<string, string> = { 'k8s.yaml': readFileSync(join(CASE, 'k8s.yaml'), 'utf8') };
  for (const f of readdirSync(join(CASE, 'iam'))) out[`iam/${f}`] = readFileSync(join(CASE, 'iam', f), 'utf8');
  return out;
};
/** The sound case's values, indented to sit under `values: |` at `indent` spaces. */
const soundValues = readFileSync(join(CASE, 'values.yaml'), 'utf8');
const indented = (text: string, indent: number) => text.split('\n').map((l) => (l === '' ? l : ' '.repeat(indent) + l)).join('\n');

const application = (helm: string, extra = '') => argoApplication({ helm, extra, namespace: 'gitlab', targetRevision: '0.70.0' });

/**
 * An Argo CD Application of two sources: the chart, whose helm.valueFiles names `valueFile`, and a
 * Git repository with `ref: values`. `chartExtra` and `helmExtra` are lines added to the chart source
 * and to its helm part.
 */
const valuesRefApplication = (valueFile: string, chartExtra = '', helmExtra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ci
spec:
  destination:
    namespace: gitlab
  sources:
    - repoURL: https://charts.gitlab.io
      chart: gitlab-runner
${chartExtra}      helm:
${helmExtra}        valueFiles:
          - ${valueFile}
    - repoURL: https://gitlab.example.com/platform/deploy.git
      ref: values
`;

describe('Argo CD Application', () => {
  it('helm.values as a string: the chain is proven as with the values file, and no finding (the sound case)', () => {
    const r = run({ ...soundFiles(), 'app.yaml': application(`      values: |\n${indented(soundValues, 8)}`) });
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab/gitlab-runner');
  });

  it('privileged = true inside the values string is RF301 at its own line and column of the Application', () => {
    const app = application(`      values: |\n${indented(soundValues.replace('privileged = false', 'privileged = true'), 8)}`);
    const r = run({ ...soundFiles(), 'app.yaml': app });
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.path).toBe(`app.yaml:${lineOf(app, 'privileged = true')}:17`);
  });

  it('an Application of another chart is not a runner manager (guard)', () => {
    const app = application(`      values: |\n${indented(soundValues.replace('privileged = false', 'privileged = true'), 8)}`).replace('chart: gitlab-runner', 'chart: sealed-secrets');
    const r = run({ 'app.yaml': app });
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF910')).toHaveLength(1);
  });

  it('parameters over valuesObject over values: the manager service account is the one parameters name', () => {
    const helm = `      values: |
        serviceAccount:
          name: from-values
      valuesObject:
        serviceAccount:
          name: from-values-object
        runners:
          config: |
            [[runners]]
              [runners.kubernetes]
                namespace = "gitlab"
      parameters:
        - name: serviceAccount.name
          value: from-parameters
`;
    const r = run({ 'app.yaml': application(helm) });
    const chain = [...r.chains.values()].flat().join('\n');
    expect(chain).toContain('manager gitlab/from-parameters');
    // Without the parameter, valuesObject wins over values.
    const r2 = run({ 'app.yaml': application(helm.replace(/ {6}parameters:[\s\S]*$/, '')) });
    expect([...r2.chains.values()].flat().join('\n')).toContain('manager gitlab/from-values-object');
  });

  it('a $values file of another source is read from the files given, as a layer of the release, not as a deployment of its own', () => {
    const app = valuesRefApplication('$values/deploy/gitlab/values.yaml', '      targetRevision: 0.70.0\n', '        releaseName: ci-runner\n');
    const values = soundValues.replace('privileged = false', 'privileged = true');
    const r = run({ ...soundFiles(), 'apps/ci.yaml': app, 'deploy/gitlab/values.yaml': values });
    // One chain, named after the Application's release (read alone, the file's chain is named after its folder).
    expect([...r.chains.keys()]).toEqual(['ci-runner']);
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.path).toBe(`deploy/gitlab/values.yaml:${lineOf(values, 'privileged = true')}:9`);
  });

  it('a values file of the chart itself, or of a ref no source has, is RF903 at it', () => {
    const helm = `      valueFiles:
        - values-prod.yaml
        - $config/runner.yaml
      values: |\n${indented(soundValues, 8)}`;
    const app = application(helm);
    const r = run({ ...soundFiles(), 'app.yaml': app });
    const rf903 = codes(r, 'RF903').filter((f) => f.message.includes('values file'));
    expect(rf903.map((f) => f.path)).toEqual([`app.yaml:${lineOf(app, 'values-prod.yaml')}:11`, `app.yaml:${lineOf(app, '$config/runner.yaml')}:11`]);
    expect(rf903[1]!.message).toContain('which the Application does not have');
  });

  it('kubectl get -o json: a key of the values string is placed in the JSON string', () => {
    const values = 'serviceAccount:\n  name: gitlab-runner\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab"\n        privileged = true\n';
    const doc = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'r' }, spec: { destination: { namespace: 'gitlab' }, source: { repoURL: 'https://charts.gitlab.io', chart: 'gitlab-runner', helm: { values } } } };
    const r = run({ 'app.json': JSON.stringify(doc, null, 2) });
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.path).toMatch(/^app\.json:\d+:\d+$/);
  });
});

const helmRelease = (values: string, valuesFrom = '') => fluxHelmRelease({ meta: '  namespace: gitlab\n', valuesFrom, values });

describe('Flux HelmRelease', () => {
  it('spec.values: the sound case is proven, no finding', () => {
    const r = run({ ...soundFiles(), 'release.yaml': helmRelease(indented(soundValues.replace(/^#.*\n/, ''), 4)) });
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('valuesFrom a ConfigMap given, spec.values over it: its runners.config is read at its lines in the ConfigMap', () => {
    const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: runner-values
  namespace: gitlab
data:
  values.yaml: |
    serviceAccount:
      name: from-configmap
    runners:
      config: |
        [[runners]]
          [runners.kubernetes]
            namespace = "gitlab"
            service_account_overwrite_allowed = ".*"
`;
    const release = helmRelease('    serviceAccount:\n      name: from-values\n', '  valuesFrom:\n    - kind: ConfigMap\n      name: runner-values\n');
    const r = run({ 'release.yaml': release, 'cm.yaml': cm });
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab/from-values');
    const rf107 = codes(r, 'RF107');
    expect(rf107).toHaveLength(1);
    expect(rf107[0]!.path).toBe(`cm.yaml:${lineOf(cm, 'service_account_overwrite_allowed')}:13`);
  });

  it('valuesFrom a Secret, or a ConfigMap not given, is RF903; an optional one not given is not', () => {
    const from = '  valuesFrom:\n    - kind: Secret\n      name: s\n    - kind: ConfigMap\n      name: missing\n    - kind: ConfigMap\n      name: maybe\n      optional: true\n';
    const r = run({ 'release.yaml': helmRelease('    serviceAccount:\n      name: gitlab-runner\n', from) });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('spec.valuesFrom'));
    expect(said.map((f) => f.message.match(/valuesFrom\[(\d)\]/)![1])).toEqual(['0', '1']);
    expect(said[0]!.message).toContain('Secret s');
    expect(said[1]!.message).toContain('not among the files given');
  });

  it('the namespace is targetNamespace, else the HelmRelease\'s own; a HelmRelease of another chart is not read (guard)', () => {
    const values = '    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            privileged = true\n';
    const own = run({ 'release.yaml': helmRelease(values) });
    expect([...own.chains.values()].flat().join('\n')).toContain('manager gitlab/sa');
    const target = run({ 'release.yaml': helmRelease(values).replace('  interval: 10m\n', '  interval: 10m\n  targetNamespace: runners\n') });
    expect([...target.chains.values()].flat().join('\n')).toContain('manager runners/sa');
    const other = run({ 'release.yaml': helmRelease(values).replace('chart: gitlab-runner', 'chart: podinfo') });
    expect(codes(other, 'RF301')).toEqual([]);
    expect(codes(other, 'RF910')).toHaveLength(1);
  });
});

const kustomization = (chart: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
helmCharts:
${chart}`;

describe('kustomization helmCharts (kustomize build --enable-helm)', () => {
  const values = soundValues.replace('privileged = false', 'privileged = true');
  const chart = `  - name: gitlab-runner
    repo: https://charts.gitlab.io
    version: 0.70.0
    releaseName: ci
    namespace: gitlab
    valuesFile: runner-values.yaml
    valuesInline:
      serviceAccount:
        name: from-inline
`;

  it('valuesFile beside the kustomization with valuesInline over it: the release\'s chain, RF301 at the values file\'s line', () => {
    const r = run({ 'deploy/kustomization.yaml': kustomization(chart), 'deploy/runner-values.yaml': values });
    expect([...r.chains.keys()]).toEqual(['ci']);
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab/from-inline');
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.path).toBe(`deploy/runner-values.yaml:${lineOf(values, 'privileged = true')}:9`);
  });

  it('valuesMerge: merge keeps the file\'s keys; replace uses the inline values alone', () => {
    const merge = run({ 'deploy/kustomization.yaml': kustomization(`${chart}    valuesMerge: merge\n`), 'deploy/runner-values.yaml': values });
    expect([...merge.chains.values()].flat().join('\n')).toContain('manager gitlab/gitlab-runner');
    const replace = run({ 'deploy/kustomization.yaml': kustomization(`${chart}    valuesMerge: replace\n`), 'deploy/runner-values.yaml': values });
    // The file is not deployed: its privileged jobs are not the release's (nor a deployment of its own), and RF902 says why it is not read.
    expect(codes(replace, 'RF301')).toEqual([]);
    expect([...replace.chains.keys()]).toEqual(['ci']);
    expect(codes(replace, 'RF902').some((f) => f.message.includes('valuesMerge: replace'))).toBe(true);
  });

  it('a values file not given is RF903 at it; a chart of another name, or a file not named kustomization, is not read (guard)', () => {
    const missing = run({ 'deploy/kustomization.yaml': kustomization(chart) });
    expect(codes(missing, 'RF903').some((f) => f.message.includes('runner-values.yaml is not among the files given'))).toBe(true);
    const other = run({ 'deploy/kustomization.yaml': kustomization(chart.replace('name: gitlab-runner', 'name: podinfo')), 'deploy/runner-values.yaml': values });
    expect([...other.chains.keys()]).not.toContain('ci');
    const named = run({ 'deploy/charts.yaml': kustomization(chart), 'deploy/runner-values.yaml': values });
    expect([...named.chains.keys()]).not.toContain('ci');
  });
});

describe('a values layer that does not parse', () => {
  // Before, the release was read as if that layer were empty: RF903 "the values name no service
  // account" and RF910 "no gitlab-runner chart values" followed the RF901. Now the RF901 (or, for a
  // values file of its own, RF903 at the reference beside the file's RF901) is all that is said.
  const broken = 'serviceAccount:\n  name: [oops\n';
  const noNoise = (r: DoctorResult) => {
    expect(codes(r, 'RF910')).toEqual([]);
    expect(r.findings.filter((f) => f.message.includes('name no service account'))).toEqual([]);
    expect([...r.chains.keys()]).toEqual([]);
  };

  it('Argo CD helm.values: RF901 at it says the release is not read; no RF903 or RF910 noise', () => {
    const app = application(`      values: |\n${indented(broken, 8)}`);
    const r = run({ ...soundFiles(), 'app.yaml': app });
    const rf901 = codes(r, 'RF901');
    expect(rf901.map((f) => f.path)).toEqual([`app.yaml:${lineOf(app, 'values: |')}:15`]);
    expect(rf901[0]!.message).toContain("the release's values are not read");
    noNoise(r);
  });

  it('Argo CD helm.values that is a list, not a map: RF901, not read', () => {
    const r = run({ 'app.yaml': application('      values: |\n        - a\n        - b\n') });
    expect(codes(r, 'RF901').map((f) => f.message)).toEqual([expect.stringContaining('is not a map of chart values')]);
    noNoise(r);
  });

  it('Flux valuesFrom a ConfigMap whose values do not parse: RF901 at its key, not read', () => {
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runner-values\n  namespace: gitlab\ndata:\n  values.yaml: |\n${indented(broken, 4)}`;
    const release = helmRelease('    serviceAccount:\n      name: from-values\n', '  valuesFrom:\n    - kind: ConfigMap\n      name: runner-values\n');
    const r = run({ 'release.yaml': release, 'cm.yaml': cm });
    expect(codes(r, 'RF901').map((f) => f.path)).toEqual([`cm.yaml:${lineOf(cm, 'values.yaml')}:16`]);
    noNoise(r);
  });

  it('a kustomize valuesFile or an Argo CD $values file that does not parse: RF901 at the file, RF903 at the reference, not read', () => {
    const k = run({ 'deploy/kustomization.yaml': kustomization('  - name: gitlab-runner\n    releaseName: ci\n    namespace: gitlab\n    valuesFile: v.yaml\n'), 'deploy/v.yaml': broken });
    expect(codes(k, 'RF901').map((f) => f.path)).toEqual(['deploy/v.yaml:3:1']);
    expect(codes(k, 'RF903').map((f) => f.path)).toEqual(['deploy/kustomization.yaml:7:17']);
    noNoise(k);
    const app = valuesRefApplication('$values/deploy/values.yaml');
    const a = run({ 'app.yaml': app, 'deploy/values.yaml': broken });
    expect(codes(a, 'RF903').filter((f) => f.message.includes("values are not read")).map((f) => f.path)).toEqual([`app.yaml:${lineOf(app, '$values/')}:13`]);
    noNoise(a);
  });

  it('guard: the same releases with values that parse are read (a chain each)', () => {
    const fine = 'serviceAccount:\n  name: sa\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab"\n';
    expect([...run({ 'app.yaml': application(`      values: |\n${indented(fine, 8)}`) }).chains.keys()]).toEqual(['gitlab-runner']);
    expect([...run({ 'deploy/kustomization.yaml': kustomization('  - name: gitlab-runner\n    releaseName: ci\n    namespace: gitlab\n    valuesFile: v.yaml\n'), 'deploy/v.yaml': fine }).chains.keys()]).toEqual(['ci']);
  });
});

const k3sChart = (spec: string, meta = '  namespace: kube-system\n') => `apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: gitlab-runner
${meta}spec:
  repo: https://charts.gitlab.io
  chart: gitlab-runner
  version: 0.70.0
${spec}`;

describe('k3s / RKE2 HelmChart (helm.cattle.io)', () => {
  const sa = (r: DoctorResult) => /manager (\S+)/.exec([...r.chains.values()].flat().join('\n'))?.[1];

  it('valuesContent: the sound case is proven, no finding; the release is the HelmChart\'s name, the namespace targetNamespace', () => {
    const r = run({ ...soundFiles(), 'runner.yaml': k3sChart(`  targetNamespace: gitlab\n  valuesContent: |-\n${indented(soundValues, 4)}`) });
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect([...r.chains.keys()]).toEqual(['gitlab-runner']);
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('privileged = true inside valuesContent is RF301 at its own line of the HelmChart', () => {
    const chart = k3sChart(`  targetNamespace: gitlab\n  valuesContent: |-\n${indented(soundValues.replace('privileged = false', 'privileged = true'), 4)}`);
    const rf301 = codes(run({ ...soundFiles(), 'runner.yaml': chart }), 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([`runner.yaml:${lineOf(chart, 'privileged = true')}:13`]);
  });

  it('set over the HelmChartConfig over values over valuesContent (the controller\'s file order, then --set)', () => {
    const base = `  targetNamespace: gitlab
  valuesContent: |-
    serviceAccount:
      name: from-content
    runners:
      config: |
        [[runners]]
          [runners.kubernetes]
            namespace = "gitlab"
`;
    const values = '  values:\n    serviceAccount:\n      name: from-values\n';
    const config = `---
apiVersion: helm.cattle.io/v1
kind: HelmChartConfig
metadata:
  name: gitlab-runner
  namespace: kube-system
spec:
  valuesContent: |-
    serviceAccount:
      name: from-config
`;
    expect(sa(run({ 'runner.yaml': k3sChart(base) }))).toBe('gitlab/from-content');
    expect(sa(run({ 'runner.yaml': k3sChart(base + values) }))).toBe('gitlab/from-values');
    expect(sa(run({ 'runner.yaml': k3sChart(base + values) + config }))).toBe('gitlab/from-config');
    // A HelmChartConfig of another namespace configures another HelmChart.
    expect(sa(run({ 'runner.yaml': k3sChart(base + values) + config.replace('namespace: kube-system', 'namespace: other') }))).toBe('gitlab/from-values');
    expect(sa(run({ 'runner.yaml': k3sChart(`${base + values}  set:\n    serviceAccount.name: from-set\n`) + config }))).toBe('gitlab/from-set');
  });

  it('set: "true" is typed (--set), another string such as "123" stays a string (--set-string)', () => {
    const config = '    runners.config: |\n      [[runners]]\n        [runners.kubernetes]\n          namespace = "gitlab"\n';
    // serviceAccount.create: true with no name: the chart names it after the release (gitlab-runner).
    const created = run({ 'runner.yaml': k3sChart(`  targetNamespace: gitlab\n  set:\n    serviceAccount.create: "true"\n${config}`) });
    expect(sa(created)).toBe('gitlab/gitlab-runner');
    // A name of digits stays the string "123" (read as a number it would name no service account).
    const digits = run({ 'runner.yaml': k3sChart(`  targetNamespace: gitlab\n  set:\n    serviceAccount.name: "123"\n${config}`) });
    expect(sa(digits)).toBe('gitlab/123');
  });

  it('valuesSecrets with keys is RF903 at it; one of no keys, or the controller\'s own chart-values-<name>, is not', () => {
    const chart = k3sChart(`  targetNamespace: gitlab
  valuesContent: |-
    serviceAccount:
      name: sa
  valuesSecrets:
    - name: runner-secret-values
      keys: [values.yaml]
    - name: unused
    - name: chart-values-gitlab-runner
      keys: [values.yaml]
`);
    const said = codes(run({ 'runner.yaml': chart }), 'RF903').filter((f) => f.message.includes('valuesSecrets'));
    expect(said.map((f) => f.path)).toEqual([`runner.yaml:${lineOf(chart, 'runner-secret-values')}:7`]);
    expect(said[0]!.message).toContain('Secret runner-secret-values');
  });

  it('no targetNamespace: the HelmChart\'s own namespace; valuesContent that does not parse is RF901 and not read; another chart or group is not read (guard)', () => {
    const values = '  valuesContent: |-\n    serviceAccount:\n      name: sa\n';
    expect(sa(run({ 'runner.yaml': k3sChart(values) }))).toBe('kube-system/sa');
    const broken = run({ 'runner.yaml': k3sChart('  valuesContent: |-\n    serviceAccount:\n      name: [oops\n') });
    expect(codes(broken, 'RF901')).toHaveLength(1);
    expect(codes(broken, 'RF910')).toEqual([]);
    expect([...broken.chains.keys()]).toEqual([]);
    const other = run({ 'runner.yaml': k3sChart(values).replace('chart: gitlab-runner', 'chart: traefik') });
    expect([...other.chains.keys()]).toEqual([]);
    expect(codes(other, 'RF910')).toHaveLength(1);
    const fluxKind = run({ 'runner.yaml': k3sChart(values).replace('helm.cattle.io/v1', 'source.toolkit.fluxcd.io/v1') });
    expect([...fluxKind.chains.keys()]).toEqual([]);
  });
});

describe('Flux HelmRelease spec.chartRef', () => {
  const release = (ref: string, values = '    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            namespace = "gitlab"\n') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ci
  namespace: gitlab
spec:
  interval: 10m
  chartRef:
${ref}  values:
${values}`;
  const oci = (url: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: runner-chart
  namespace: gitlab
spec:
  interval: 10m
  url: ${url}
  ref:
    semver: ">= 0.70.0"
`;
  const toOci = '    kind: OCIRepository\n    name: runner-chart\n';

  it('an OCIRepository given whose url ends in gitlab-runner: the release is read (its chain)', () => {
    const r = run({ 'release.yaml': release(toOci), 'source.yaml': oci('oci://registry.example.com/charts/gitlab-runner') });
    expect([...r.chains.keys()]).toEqual(['ci']);
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab/sa');
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('an OCIRepository of another chart, or of another namespace: not the runner chart (guard)', () => {
    const other = run({ 'release.yaml': release(toOci), 'source.yaml': oci('oci://ghcr.io/stefanprodan/charts/podinfo') });
    expect([...other.chains.keys()]).toEqual([]);
    expect(codes(other, 'RF903').filter((f) => f.message.includes('chartRef'))).toEqual([]);
    const elsewhere = run({ 'release.yaml': release(toOci), 'source.yaml': oci('oci://registry.example.com/charts/gitlab-runner').replace('namespace: gitlab', 'namespace: flux-system') });
    expect([...elsewhere.chains.keys()]).toEqual([]);
    const named = run({ 'release.yaml': release(`${toOci}    namespace: flux-system\n`), 'source.yaml': oci('oci://registry.example.com/charts/gitlab-runner').replace('namespace: gitlab', 'namespace: flux-system') });
    expect([...named.chains.keys()]).toEqual(['ci']);
  });

  it('a source HelmChart given whose chart is gitlab-runner: read; its valuesFiles of the chart source are RF903', () => {
    const chart = `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: runner-chart
  namespace: gitlab
spec:
  chart: gitlab-runner
  sourceRef:
    kind: HelmRepository
    name: gitlab
  valuesFiles:
    - values-prod.yaml
`;
    const r = run({ 'release.yaml': release('    kind: HelmChart\n    name: runner-chart\n'), 'chart.yaml': chart });
    expect([...r.chains.keys()]).toEqual(['ci']);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('values-prod.yaml')).map((f) => f.path)).toEqual([`chart.yaml:${lineOf(chart, 'values-prod.yaml')}:7`]);
  });

  it('the source not given: RF903 at chartRef when the values are the runner chart\'s, and no RF910; silence for values of another chart', () => {
    const rel = release(toOci);
    const r = run({ 'release.yaml': rel });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('chartRef'));
    expect(said.map((f) => f.path)).toEqual([`release.yaml:${lineOf(rel, 'kind: OCIRepository')}:5`]);
    expect(said[0]!.message).toContain('its chart is not known');
    expect(codes(r, 'RF910')).toEqual([]);
    expect([...r.chains.keys()]).toEqual([]);
    const podinfo = run({ 'release.yaml': release(toOci, '    replicaCount: 2\n') });
    expect(codes(podinfo, 'RF903').filter((f) => f.message.includes('chartRef'))).toEqual([]);
    expect(codes(podinfo, 'RF910')).toHaveLength(1);
    // A source named gitlab-runner is a signal too.
    const byName = run({ 'release.yaml': release('    kind: OCIRepository\n    name: gitlab-runner\n', '    replicaCount: 2\n') });
    expect(codes(byName, 'RF903').filter((f) => f.message.includes('the source is named gitlab-runner'))).toHaveLength(1);
  });
});

describe('Argo CD ApplicationSet', () => {
  const appSet = (helm: string, namespace = 'gitlab', name = "'{{ .cluster }}-runner'") => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: runners
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - cluster: prod
          - cluster: staging
  template:
    metadata:
      name: ${name}
    spec:
      project: default
      destination:
        name: '{{ .cluster }}'
        namespace: ${namespace}
      source:
        repoURL: https://charts.gitlab.io
        chart: gitlab-runner
        targetRevision: 0.70.0
        helm:
${helm}`;

  it('a literal helm part is read as the template\'s Application: the sound case is proven at the template\'s lines', () => {
    const set = appSet(`          values: |\n${indented(soundValues.replace('privileged = false', 'privileged = true'), 12)}`);
    const r = run({ ...soundFiles(), 'appset.yaml': set });
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`appset.yaml:${lineOf(set, 'privileged = true')}:21`]);
    // A parameter in the name: the release name is not known (the values name the service account, so the chain stands).
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab/gitlab-runner');
    expect([...r.chains.keys()].join()).not.toContain('{{');
  });

  it('a generator parameter in the helm part is RF903 at it, not read, and no RF910', () => {
    const set = appSet('          valuesObject:\n            serviceAccount:\n              name: \'{{ .cluster }}-runner\'\n');
    const r = run({ 'appset.yaml': set });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('generator parameter'));
    expect(said.map((f) => f.path)).toEqual([`appset.yaml:${lineOf(set, 'serviceAccount:') + 1}:21`]);
    expect(said[0]!.message).toContain('helm.valuesObject.serviceAccount.name');
    expect([...r.chains.keys()]).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('a parameter in destination.namespace is RF903 there, the namespace not known; a templatePatch is RF903 and not read', () => {
    const values = '          valuesObject:\n            serviceAccount:\n              name: sa\n';
    const ns = run({ 'appset.yaml': appSet(values, "'{{ .cluster }}'") });
    expect(codes(ns, 'RF903').filter((f) => f.message.includes('destination.namespace'))).toHaveLength(1);
    expect([...ns.chains.values()].flat().join('\n')).not.toContain('{{');
    const patched = run({ 'appset.yaml': appSet(values).replace('  template:\n', '  templatePatch: |\n    spec:\n      project: "{{ .cluster }}"\n  template:\n') });
    expect(codes(patched, 'RF903').filter((f) => f.message.includes('templatePatch'))).toHaveLength(1);
    expect([...patched.chains.keys()]).toEqual([]);
    // Guard: an ApplicationSet of another chart is not read.
    const other = run({ 'appset.yaml': appSet(values).replace('chart: gitlab-runner', 'chart: podinfo') });
    expect(codes(other, 'RF910')).toHaveLength(1);
  });
});

describe('Flux HelmRelease spec.chart.spec.valuesFiles (the chart\'s values in place of its values.yaml)', () => {
  const config = '    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            namespace = "gitlab"\n';
  const release = (source: string, files: string, values = config, api = 'v2') => `apiVersion: helm.toolkit.fluxcd.io/${api}
kind: HelmRelease
metadata:
  name: ci
  namespace: gitlab
spec:
  interval: 10m
  chart:
    spec:
${source}${files}  values:
${values}`;
  const fromHelmRepository = '      chart: gitlab-runner\n      sourceRef:\n        kind: HelmRepository\n        name: gitlab\n';
  const fromGit = '      chart: ./charts/gitlab-runner\n      sourceRef:\n        kind: GitRepository\n        name: platform\n';
  const sa = (r: DoctorResult) => /manager (\S+)/.exec([...r.chains.values()].flat().join('\n'))?.[1];
  const prodValues = 'serviceAccount:\n  name: from-file\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab"\n        privileged = true\n';

  it('from a HelmRepository: a file of the chart archive is RF903 at it, naming it; values.yaml (the chart\'s own) is not; the release is read', () => {
    const rel = release(fromHelmRepository, '      valuesFiles:\n        - values.yaml\n        - values-prod.yaml\n', `    serviceAccount:\n      name: sa\n${config}`);
    const r = run({ 'release.yaml': rel });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('valuesFiles'));
    expect(said.map((f) => f.path)).toEqual([`release.yaml:${lineOf(rel, 'values-prod.yaml')}:11`]);
    expect(said[0]!.message).toContain('values-prod.yaml is a file of the chart archive of HelmRepository gitlab');
    expect(sa(r)).toBe('gitlab/sa');
    // values.yaml alone is the chart's values.yaml: nothing to say.
    const own = run({ 'release.yaml': release(fromHelmRepository, '      valuesFiles:\n        - values.yaml\n') });
    expect(codes(own, 'RF903').filter((f) => f.message.includes('valuesFiles'))).toEqual([]);
  });

  it('from a GitRepository: the file given whose path ends in it is the bottom layer (spec.values over it), placed in it, not a deployment of its own', () => {
    const rel = release(fromGit, '      valuesFiles:\n        - deploy/runner/values-prod.yaml\n', '    replicas: 1\n');
    const r = run({ 'clusters/prod/release.yaml': rel, 'deploy/runner/values-prod.yaml': prodValues });
    expect([...r.chains.keys()]).toEqual(['ci']);
    expect(sa(r)).toBe('gitlab/from-file');
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`deploy/runner/values-prod.yaml:${lineOf(prodValues, 'privileged = true')}:9`]);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('valuesFiles'))).toEqual([]);
    // spec.values over the file.
    const over = run({ 'clusters/prod/release.yaml': release(fromGit, '      valuesFiles:\n        - deploy/runner/values-prod.yaml\n', '    serviceAccount:\n      name: from-release\n'), 'deploy/runner/values-prod.yaml': prodValues });
    expect(sa(over)).toBe('gitlab/from-release');
  });

  it('a chartRef\'s source HelmChart from a GitRepository: its valuesFiles given are read the same way', () => {
    const chart = `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: runner-chart
  namespace: gitlab
spec:
  chart: ./charts/gitlab-runner
  sourceRef:
    kind: GitRepository
    name: platform
  valuesFiles:
    - deploy/runner/values-prod.yaml
`;
    const rel = release('', '', '    replicas: 1\n').replace('  chart:\n    spec:\n', '  chartRef:\n    kind: HelmChart\n    name: runner-chart\n');
    const r = run({ 'release.yaml': rel, 'chart.yaml': chart, 'deploy/runner/values-prod.yaml': prodValues });
    expect([...r.chains.keys()]).toEqual(['ci']);
    expect(sa(r)).toBe('gitlab/from-file');
    expect(codes(r, 'RF903').filter((f) => f.message.includes('valuesFiles'))).toEqual([]);
  });

  it('from a GitRepository, a file not given is RF903 at it; the older API\'s valuesFile counts first (v2beta2)', () => {
    const rel = release(fromGit, '      valuesFiles:\n        - deploy/runner/values-prod.yaml\n');
    const missing = codes(run({ 'release.yaml': rel }), 'RF903').filter((f) => f.message.includes('valuesFiles[0]'));
    expect(missing.map((f) => f.path)).toEqual([`release.yaml:${lineOf(rel, 'values-prod.yaml')}:11`]);
    expect(missing[0]!.message).toContain('GitRepository platform');
    const old = release(fromHelmRepository, '      valuesFile: values-old.yaml\n', config, 'v2beta2');
    expect(codes(run({ 'release.yaml': old }), 'RF903').filter((f) => f.message.includes('valuesFile:')).map((f) => f.path)).toEqual([`release.yaml:${lineOf(old, 'values-old.yaml')}:19`]);
    // The v2 API has no valuesFile (the field is not the controller's).
    expect(codes(run({ 'release.yaml': release(fromHelmRepository, '      valuesFile: values-old.yaml\n') }), 'RF903').filter((f) => f.message.includes('valuesFile'))).toEqual([]);
  });
});

describe('Argo CD ApplicationSet generator templates (merged over spec.template)', () => {
  const config = (privileged: boolean) => `                runners:\n                  config: |\n                    [[runners]]\n                      [runners.kubernetes]\n                        namespace = "gitlab"\n                        privileged = ${privileged}\n`;
  /** An ApplicationSet whose list generator carries `generatorTemplate` (its lines written at 8 spaces, put under `list.template`), and a second generator `second`. */
  const appSet = (generatorTemplate: string, second = '') => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: runners
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - cluster: prod
        template:
${generatorTemplate.replace(/^(?=.)/gm, '  ')}${second}  template:
    metadata:
      name: '{{ .cluster }}-runner'
    spec:
      project: default
      destination:
        name: '{{ .cluster }}'
        namespace: gitlab
      source:
        repoURL: https://charts.gitlab.io
        chart: gitlab-runner
        targetRevision: 0.70.0
        helm:
          valuesObject:
            serviceAccount:
              name: base-sa
${config(true).replace(/^ {4}/gm, '')}`;
  const sa = (r: DoctorResult) => [...r.chains.values()].flat().join('\n').match(/manager \S+/g) ?? [];
  const genValues = (values: string) => `        metadata: {}
        spec:
          project: default
          destination: {}
          source:
            repoURL: https://charts.gitlab.io
            chart: gitlab-runner
            helm:
${values}`;

  it('a literal generator template is applied: its valuesObject replaces spec.template\'s whole (a RawExtension), the rest of spec.template fills in', () => {
    const set = appSet(genValues(`              valuesObject:\n                serviceAccount:\n                  name: gen-sa\n${config(false)}`));
    const r = run({ 'appset.yaml': set });
    expect(sa(r)).toEqual(['manager gitlab/gen-sa']);
    // spec.template's privileged = true is not deployed: the generator's valuesObject is taken whole.
    expect(codes(r, 'RF301')).toEqual([]);
    // Without runners.config in the generator's valuesObject, spec.template's is not merged in either.
    const bare = run({ 'appset.yaml': appSet(genValues('              valuesObject:\n                serviceAccount:\n                  name: gen-sa\n')) });
    expect(codes(bare, 'RF301')).toEqual([]);
  });

  it('a key of the generator template is placed at its line, inside its values string too', () => {
    const set = appSet(genValues(`              values: |\n${config(true)}              valuesObject:\n                serviceAccount:\n                  name: gen-sa\n`));
    const r = run({ 'appset.yaml': set });
    expect(sa(r)).toEqual(['manager gitlab/gen-sa']);
    const line = set.split('\n').findIndex((l) => l.includes('privileged = true')) + 1;
    const column = set.split('\n')[line - 1]!.indexOf('privileged') + 1;
    // The generator's privileged = true (the first in the file), not spec.template's (its valuesObject is not deployed).
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`appset.yaml:${line}:${column}`]);
    expect(line).toBeLessThan(lineOf(set, 'name: base-sa'));
  });

  it('a generator parameter in the generator template\'s helm part is RF903 at its line and not read; a generator with no template still makes spec.template\'s Application', () => {
    const set = appSet(genValues('              valuesObject:\n                serviceAccount:\n                  name: \'{{ .cluster }}-sa\'\n'), '    - clusters: {}\n');
    const r = run({ 'appset.yaml': set });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('generator parameter'));
    expect(said.map((f) => f.path)).toEqual([`appset.yaml:${lineOf(set, "'{{ .cluster }}-sa'")}:27`]);
    expect(said[0]!.message).toContain('generators[0].list.template');
    expect(sa(r)).toEqual(['manager gitlab/base-sa']);
  });
});

describe('k3s HelmChart spec.chartContent (a base64 chart archive, not unpacked)', () => {
  // Not a real chart: base64 of a few bytes (the doctor does not decode it).
  const content = '  chartContent: H4sIAAAAAAAAA+3OMQ6CQBCF4a33FHMCwp2Fg1BQ==\n';
  const k3s = (spec: string, meta = '  name: ci\n  namespace: kube-system\n') => `apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
${meta}spec:
  targetNamespace: gitlab
${spec}`;
  const runnerValues = '  valuesContent: |-\n    gitlabUrl: https://gitlab.example.com\n    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            privileged = true\n';

  it('runner values with chartContent: RF903 at chartContent (the chart known only by its content), not read, no RF910', () => {
    const chart = k3s(content + runnerValues);
    const r = run({ 'runner.yaml': chart });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('chartContent'));
    expect(said.map((f) => f.path)).toEqual([`runner.yaml:${lineOf(chart, 'chartContent')}:17`]);
    expect(said[0]!.message).toContain('known only by its content');
    expect(said[0]!.message).toContain("its values are the gitlab-runner chart's");
    expect([...r.chains.keys()]).toEqual([]);
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('spec.chart gitlab-runner is overridden by chartContent: RF903, not read as the runner chart; the chart-url annotation is a signal too', () => {
    const named = run({ 'runner.yaml': k3s(`  chart: gitlab-runner\n${content}  valuesContent: |-\n    replicas: 1\n`) });
    expect(codes(named, 'RF903').filter((f) => f.message.includes('spec.chart names gitlab-runner'))).toHaveLength(1);
    expect([...named.chains.keys()]).toEqual([]);
    const annotated = run({ 'runner.yaml': k3s(`${content}  valuesContent: |-\n    replicas: 1\n`, '  name: ci\n  namespace: kube-system\n  annotations:\n    helm.cattle.io/chart-url: https://gitlab-charts.s3.amazonaws.com/gitlab-runner-0.70.0.tgz\n') });
    expect(codes(annotated, 'RF903').filter((f) => f.message.includes('gitlab-runner-0.70.0.tgz'))).toHaveLength(1);
  });

  it('guard: chartContent with values of another chart says nothing; no chartContent reads the chart as before', () => {
    const other = run({ 'runner.yaml': k3s(`${content}  valuesContent: |-\n    replicas: 1\n`) });
    expect(codes(other, 'RF903').filter((f) => f.message.includes('chartContent'))).toEqual([]);
    expect(codes(other, 'RF910')).toHaveLength(1);
    const repo = run({ 'runner.yaml': k3s(`  repo: https://charts.gitlab.io\n  chart: gitlab-runner\n${runnerValues}`) });
    expect([...repo.chains.keys()]).toEqual(['ci']);
  });
});

describe('k3s HelmChart with neither metadata.namespace nor spec.targetNamespace', () => {
  const chart = (spec: string, meta: string) => `apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: gitlab-runner
${meta}spec:
  repo: https://charts.gitlab.io
  chart: gitlab-runner
${spec}`;
  const values = '  valuesContent: |-\n    serviceAccount:\n      name: sa\n    runners:\n      config: |\n        [[runners]]\n          [runners.kubernetes]\n            namespace = "gitlab"\n';
  const managers = (r: DoctorResult) => [...r.chains.values()].flat().join('\n').match(/manager \S+/g) ?? [];

  it('the namespace is where it is applied, not in the files: RF903 at the name, no namespace guessed (no chain from the jobs\' namespace), no RF910', () => {
    const text = chart(values, '');
    const r = run({ 'runner.yaml': text });
    const said = codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'));
    expect(said.map((f) => f.path)).toEqual([`runner.yaml:${lineOf(text, 'name: gitlab-runner')}:9`]);
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('guard: targetNamespace alone, or metadata.namespace alone, decides it (no RF903)', () => {
    const target = run({ 'runner.yaml': chart(`  targetNamespace: gitlab\n${values}`, '') });
    expect(managers(target)).toEqual(['manager gitlab/sa']);
    expect(codes(target, 'RF903').filter((f) => f.message.includes('neither'))).toEqual([]);
    const own = run({ 'runner.yaml': chart(values, '  namespace: kube-system\n') });
    expect(managers(own)).toEqual(['manager kube-system/sa']);
    expect(codes(own, 'RF903').filter((f) => f.message.includes('neither'))).toEqual([]);
  });
});
