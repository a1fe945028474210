import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { argoPathApplication, doctorTexts, fluxHelmRelease, fluxKustomization, irsaChartValues } from './helpers/doctor.js';

/**
 * Issue 35c. Namespaces that GitOps tools and kustomize give objects other than by a kustomization's
 * own `namespace:` field:
 * 1. a kustomization's `helmCharts`: kustomize before v5.8.0 rewrites the inflated objects with the
 *    kustomization's namespace; from v5.8.0 it templates the chart in helmCharts[].namespace, else the
 *    kustomization's (or the nearest enclosing one's), and leaves the objects alone;
 * 2. a Flux Kustomization's `spec.targetNamespace` (the namespace of the kustomization of its path,
 *    one generated from the folder's files where there is none);
 * 3. an Argo CD Application's `spec.source.kustomize.namespace` (`kustomize edit set namespace`);
 * 4. a kustomization's `transformers:` (a builtin NamespaceTransformer applied with its unsetOnly and
 *    setRoleBindingSubjects; any other that may move a namespace, and `replacements:` writing one,
 *    RF903 "not evaluated").
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);
const chainText = (r: DoctorResult) => [...r.chains.values()].flat().join('\n');

const VALUES = irsaChartValues();
const helmKustomization = (head: string, chartNs = '') => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
${head}helmCharts:
  - name: gitlab-runner
    repo: https://charts.gitlab.io
    version: 0.70.0
    releaseName: ci
${chartNs}    valuesFile: values.yaml
`;
const notKnown = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('kustomize before v5.8.0 puts the chart'));

describe("1. a kustomization's namespace and its own helmCharts", () => {
  it('namespace: ci and a chart with no namespace: the manager is in ci (every kustomize version), and the chain says where it came from', () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': helmKustomization('namespace: ci\n'), 'runner/values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
    expect(chainText(r)).toContain('namespace ci: the namespace of runner/kustomization.yaml (runner/kustomization.yaml:3:');
    expect(notKnown(r)).toEqual([]);
  });

  it('an enclosing kustomization\'s namespace over a chart kustomization with none: the manager is in it', () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': helmKustomization(''), 'runner/values.yaml': VALUES, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../runner\n' });
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
  });

  it('helmCharts[].namespace differs from the kustomization\'s: which one depends on the kustomize version, RF903 at it, no chain guessed', () => {
    const k = helmKustomization('namespace: ci\n', '    namespace: gitlab\n');
    const r = doctorTexts({ 'runner/kustomization.yaml': k, 'runner/values.yaml': VALUES });
    const said = notKnown(r);
    expect(said).toHaveLength(1);
    expect(said[0]!.path).toBe(`runner/kustomization.yaml:${k.split('\n').findIndex((l) => l.includes('namespace: gitlab')) + 1}:16`);
    expect(said[0]!.message).toContain('puts the chart\'s objects in ci');
    expect(said[0]!.message).toContain('from v5.8.0 in gitlab');
    expect(managers(r)).toEqual([]);
  });

  it('twin: the same namespace in both, or no kustomization namespace: the chart\'s namespace, no RF903, no note', () => {
    for (const head of ['namespace: gitlab\n', '']) {
      const r = doctorTexts({ 'runner/kustomization.yaml': helmKustomization(head, '    namespace: gitlab\n'), 'runner/values.yaml': VALUES });
      expect(notKnown(r)).toEqual([]);
      expect(managers(r)).toEqual(['manager gitlab/gitlab-runner']);
      expect(chainText(r)).not.toContain('which kustomize gives the chart');
    }
  });
});

const DEPLOY = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: gitlab-runner
  namespace: default
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/ci-gitlab-runner
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: runner-config
data:
  config.toml: |
    [[runners]]
      name = "r"
      url = "https://gitlab.example.com/"
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "jobs"
        image = "alpine:3.22"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gitlab-runner
spec:
  selector:
    matchLabels:
      app: r
  template:
    metadata:
      labels:
        app: r
    spec:
      serviceAccountName: gitlab-runner
      containers:
        - name: gitlab-runner
          image: registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0
          volumeMounts:
            - name: config
              mountPath: /etc/gitlab-runner
      volumes:
        - name: config
          configMap:
            name: runner-config
`;
const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: jobs
  namespace: jobs
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: jobs
subjects:
  - kind: ServiceAccount
    name: gitlab-runner
    namespace: default
  - kind: ServiceAccount
    name: default
  - kind: ServiceAccount
    name: builder
    namespace: tools
`;
const nsOf = (f: Record<string, string>) => Object.fromEntries(evidence(f).kubernetes.filter((o) => o.value.apiVersion !== 'kustomize.toolkit.fluxcd.io/v1').map((o) => [`${o.value.kind}/${o.value.metadata.name}`, o.value.metadata.namespace]));

describe("2. a Flux Kustomization's spec.targetNamespace", () => {
  it('a folder with no kustomization.yaml: every namespaced object of its YAML files (sub-folders too) gets targetNamespace, the chain is in it', () => {
    const files = { 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner'), 'apps/runner/deploy.yaml': DEPLOY, 'apps/runner/rbac/rbac.yaml': RBAC };
    expect(nsOf(files)).toEqual({ 'ServiceAccount/gitlab-runner': 'ci', 'ConfigMap/runner-config': 'ci', 'Deployment/gitlab-runner': 'ci', 'RoleBinding/jobs': 'ci' });
    expect(managers(doctorTexts(files))).toEqual(['manager ci/gitlab-runner']);
  });

  it('a folder with a kustomization.yaml: targetNamespace replaces its namespace (the ServiceAccount subject follows it, default gets it, another keeps its own)', () => {
    const files = { 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner'), 'apps/runner/kustomization.yaml': 'namespace: staging\nresources:\n  - deploy.yaml\n  - rbac.yaml\n', 'apps/runner/deploy.yaml': DEPLOY, 'apps/runner/rbac.yaml': RBAC };
    expect(nsOf(files)['Deployment/gitlab-runner']).toBe('ci');
    const rb = evidence(files).kubernetes.find((o) => o.value.kind === 'RoleBinding')!;
    expect((rb.value as unknown as { subjects: unknown[] }).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'gitlab-runner', namespace: 'ci' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'ci' },
      { kind: 'ServiceAccount', name: 'builder', namespace: 'tools' },
    ]);
  });

  it('a HelmRelease it applies with no namespace and no targetNamespace of its own is installed in the Flux targetNamespace; its own targetNamespace still wins', () => {
    const release = (extra: string) => fluxHelmRelease({ interval: false, spec: extra, values: '    gitlabUrl: https://gitlab.example.com/\n    serviceAccount:\n      create: true\n      name: gitlab-runner\n' });
    const r = doctorTexts({ 'clusters/prod/runner.yaml': fluxKustomization('apps/runner'), 'apps/runner/release.yaml': release('') });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('neither spec.targetNamespace nor metadata.namespace'))).toEqual([]);
    expect(managers(r)).toEqual(['manager ci/gitlab-runner']);
    const own = doctorTexts({ 'clusters/prod/runner.yaml': fluxKustomization('apps/runner'), 'apps/runner/release.yaml': release('  targetNamespace: runners\n') });
    expect(managers(own)).toEqual(['manager runners/gitlab-runner']);
  });

  it('twin: no targetNamespace, or a path no folder given ends in: the namespaces written', () => {
    // Issue 48c: with no targetNamespace Flux applies the objects as built, and its apply fails for the
    // ConfigMap and Deployment DEPLOY writes with no namespace ("namespace not specified"), so none of
    // them is deployed (RF903 at spec.path; test/doctor-kustomize-names.test.ts). Before, the
    // ServiceAccount was read in default as written, and the others in default too.
    const none = { 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner', ''), 'apps/runner/deploy.yaml': DEPLOY };
    expect(nsOf(none)['ServiceAccount/gitlab-runner']).toBeUndefined();
    expect(codes(doctorTexts(none), 'RF903').filter((f) => f.message.includes('namespace not specified')).map((f) => f.path)).toEqual(['clusters/prod/runner.yaml:8:9']);
    const written = { 'clusters/prod/runner.yaml': fluxKustomization('./apps/runner', ''), 'apps/runner/deploy.yaml': DEPLOY.replace('  name: runner-config\n', '  name: runner-config\n  namespace: default\n').replace('  name: gitlab-runner\nspec:', '  name: gitlab-runner\n  namespace: default\nspec:') };
    expect(nsOf(written)['ServiceAccount/gitlab-runner']).toBe('default');
    expect(nsOf({ 'clusters/prod/runner.yaml': fluxKustomization('./apps/other'), 'apps/runner/deploy.yaml': DEPLOY })['ServiceAccount/gitlab-runner']).toBe('default');
  });

  it('a path more than one folder given ends in: RF903, not applied', () => {
    const r = doctorTexts({ 'clusters/prod/runner.yaml': fluxKustomization('runner'), 'a/runner/deploy.yaml': DEPLOY, 'b/runner/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('more than one folder of the files given ends in that path'))).toHaveLength(1);
  });
});

const argoKustomize = (kustomize: string, destination = 'ci') => argoPathApplication({ path: 'apps/runner', destination, repoURL: 'https://gitlab.example.com/platform/fleet.git', tail: kustomize });

describe("3. an Argo CD Application's spec.source.kustomize.namespace", () => {
  const base = { 'apps/runner/kustomization.yaml': 'namespace: staging\nresources:\n  - deploy.yaml\n', 'apps/runner/deploy.yaml': DEPLOY };

  it('kustomize.namespace differs from destination.namespace: the objects are in kustomize.namespace, and the chain says which and why', () => {
    const app = argoKustomize('    kustomize:\n      namespace: runners\n');
    const r = doctorTexts({ ...base, 'argo/app.yaml': app });
    const [line, ...more] = [...r.chains.values()].map((l) => l[0]!);
    expect(more).toEqual([]);
    expect(line).toMatch(/^manager runners\/gitlab-runner \(/);
    expect(line).toContain("namespace runners: Application runner's source.kustomize.namespace (argo/app.yaml:");
    expect(line).toContain('its destination.namespace ci (argo/app.yaml:10:');
  });

  it('twin: the same namespace as destination.namespace: applied, no note; no kustomize.namespace: the kustomization\'s own', () => {
    const same = doctorTexts({ ...base, 'argo/app.yaml': argoKustomize('    kustomize:\n      namespace: ci\n') });
    expect([...same.chains.values()].map((l) => l[0]!)).toEqual([expect.stringMatching(/^manager ci\/gitlab-runner \((?!.*kustomize\.namespace)/)]);
    const none = doctorTexts({ ...base, 'argo/app.yaml': argoKustomize('') });
    expect(managers(none)).toEqual(['manager staging/gitlab-runner']);
  });

  it('a kustomize source whose kustomization inflates the runner chart: the chart is in kustomize.namespace, the note says so', () => {
    const r = doctorTexts({ 'apps/runner/kustomization.yaml': helmKustomization('namespace: staging\n'), 'apps/runner/values.yaml': VALUES, 'argo/app.yaml': argoKustomize('    kustomize:\n      namespace: runners\n') });
    expect(managers(r)).toEqual(['manager runners/gitlab-runner']);
    expect(chainText(r)).toContain("namespace runners: Application runner's source.kustomize.namespace");
  });
});

describe('4. transformers and replacements of a kustomization', () => {
  const transformer = (extra: string) => `apiVersion: builtin
kind: NamespaceTransformer
metadata:
  name: ns
  namespace: ci
${extra}`;
  const k = (more: string) => `resources:\n  - deploy.yaml\n  - rbac.yaml\n${more}`;
  const subjects = (f: Record<string, string>) => (evidence(f).kubernetes.find((o) => o.value.kind === 'RoleBinding')!.value as unknown as { subjects: { name: string; namespace?: string }[] }).subjects.map((s) => `${s.name}:${s.namespace ?? ''}`);
  const files = (kust: string, t: string) => ({ 'runner/kustomization.yaml': kust, 'runner/ns.yaml': t, 'runner/deploy.yaml': DEPLOY, 'runner/rbac.yaml': RBAC });

  it('a builtin NamespaceTransformer (default mode): every namespaced object moves, a subject named default gets it, the ServiceAccount subject follows its account', () => {
    const f = files(k('transformers:\n  - ns.yaml\n'), transformer(''));
    expect(nsOf(f)['Deployment/gitlab-runner']).toBe('ci');
    expect(subjects(f)).toEqual(['gitlab-runner:ci', 'default:ci', 'builder:tools']);
    expect(managers(doctorTexts(f))).toEqual(['manager ci/gitlab-runner']);
  });

  it('setRoleBindingSubjects: allServiceAccounts sets every ServiceAccount subject; none sets none (the account\'s own still follows it)', () => {
    expect(subjects(files(k('transformers:\n  - ns.yaml\n'), transformer('setRoleBindingSubjects: allServiceAccounts\n')))).toEqual(['gitlab-runner:ci', 'default:ci', 'builder:ci']);
    expect(subjects(files(k('transformers:\n  - ns.yaml\n'), transformer('setRoleBindingSubjects: none\n')))).toEqual(['gitlab-runner:ci', 'default:', 'builder:tools']);
  });

  it('unsetOnly: only objects and subjects that write no namespace get it', () => {
    const f = files(k('transformers:\n  - ns.yaml\n'), transformer('unsetOnly: true\n'));
    const ns = nsOf(f);
    expect(ns['ServiceAccount/gitlab-runner']).toBe('default');
    expect(ns['Deployment/gitlab-runner']).toBe('ci');
    expect(ns['RoleBinding/jobs']).toBe('jobs');
    expect(subjects(f)).toEqual(['gitlab-runner:default', 'default:ci', 'builder:tools']);
  });

  it('an inline NamespaceTransformer is read as one in a file', () => {
    const inline = `transformers:\n  - |-\n${transformer('').split('\n').filter((l) => l !== '').map((l) => `    ${l}`).join('\n')}\n`;
    expect(nsOf(files(k(inline), ''))['Deployment/gitlab-runner']).toBe('ci');
  });

  it('another transformer, a transformer file not given, or a replacement writing a namespace: RF903 "not evaluated" at it, namespaces as written', () => {
    const patch = 'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npatch: |-\n  - op: replace\n    path: /subjects/0/namespace\n    value: ci\ntarget:\n  kind: RoleBinding\n';
    const other = doctorTexts(files(k('transformers:\n  - ns.yaml\n'), patch));
    const said = codes(other, 'RF903').filter((f) => f.message.includes('holds a PatchTransformer transformer'));
    expect(said.map((f) => f.path)).toEqual(['runner/kustomization.yaml:5:5']);
    const missing = doctorTexts(files(k('transformers:\n  - gone.yaml\n'), ''));
    expect(codes(missing, 'RF903').filter((f) => f.message.includes('transformers[0] (gone.yaml) is not among the files given'))).toHaveLength(1);
    const broken = doctorTexts(files(k('transformers:\n  - ns.yaml\n'), 'kind: NamespaceTransformer\nmetadata: [oops\n'));
    expect(codes(broken, 'RF903').filter((f) => f.message.includes('transformers[0] (ns.yaml) does not parse'))).toHaveLength(1);
    const replacement = k('replacements:\n  - source:\n      kind: ConfigMap\n      name: runner-config\n      fieldPath: metadata.namespace\n    targets:\n      - select:\n          kind: RoleBinding\n        fieldPaths:\n          - subjects.0.namespace\n');
    const rep = doctorTexts(files(replacement, ''));
    expect(codes(rep, 'RF903').filter((f) => f.message.includes('replacements[0] writes a field named namespace'))).toHaveLength(1);
    expect(nsOf(files(replacement, ''))['RoleBinding/jobs']).toBe('jobs');
  });

  it('twin: a label transformer, or a replacement of another field: nothing said', () => {
    const labels = 'apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  team: ci\nfieldSpecs:\n  - path: metadata/labels\n    create: true\n';
    const r = doctorTexts(files(k('transformers:\n  - ns.yaml\n'), labels));
    expect(codes(r, 'RF903').filter((f) => f.message.includes('does not evaluate'))).toEqual([]);
    const rep = doctorTexts(files(k('replacements:\n  - source:\n      kind: ConfigMap\n      name: runner-config\n    targets:\n      - select:\n          kind: Deployment\n        fieldPaths:\n          - metadata.labels.cfg\n'), ''));
    expect(codes(rep, 'RF903').filter((f) => f.message.includes('replacements'))).toEqual([]);
  });
});
