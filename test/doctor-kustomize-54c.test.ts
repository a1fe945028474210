import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { irsaChartValues, placeOf, plainManager, chainManagers as managers, codesIn as codes, doctorWalked as walked } from './helpers/doctor.js';

/**
 * Issue 54c. What 53c left of kustomize builds: a Component's apiVersion, a component's namespace
 * over `helmCharts`, a shared component's own resources in each overlay, `*` in a replacement's
 * source path, and files outside a kustomization's folder (kustomize's load restrictor).
 */

const M = plainManager();
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const CLUSTER = 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n';
const saPatch = (role: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n`;
const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };

describe('1. a Component or Kustomization of the wrong apiVersion', () => {
  const comp = (apiVersion: string) => `apiVersion: ${apiVersion}\nkind: Component\npatches:\n  - path: sa-patch.yaml\n`;
  const files = (c: string, field = 'components') => ({ ...BASE, 'irsa/kustomization.yaml': c, 'irsa/sa-patch.yaml': saPatch(ROLE), 'overlay/kustomization.yaml': `namespace: ci\nresources:\n  - ../base\n${field}:\n  - ../irsa\n` });

  it('a Component written kustomize.config.k8s.io/v1beta1 fails the build: RF901 at its apiVersion with kustomize\'s words, and the overlay listing it deploys nothing', () => {
    const c = comp('kustomize.config.k8s.io/v1beta1');
    const r = walked(files(c));
    const f = codes(r, 'RF901');
    expect(f.map((x) => x.path)).toEqual([placeOf('irsa/kustomization.yaml', c, 'kustomize.config.k8s.io/v1beta1')]);
    expect(f[0]!.message).toContain('("Failed to read kustomization file under irsa: apiVersion for Component should be kustomize.config.k8s.io/v1alpha1")');
    expect(f[0]!.fix).toContain('write apiVersion: kustomize.config.k8s.io/v1alpha1 in irsa/kustomization.yaml');
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF946')).toEqual([]);
  });

  it('twin: written v1alpha1 (or with no apiVersion) it builds, the role patched on', () => {
    for (const c of [comp('kustomize.config.k8s.io/v1alpha1'), 'kind: Component\npatches:\n  - path: sa-patch.yaml\n']) {
      const r = walked(files(c));
      expect([c, codes(r, 'RF901'), managers(r)]).toEqual([c, [], ['manager ci/gitlab-runner']]);
    }
  });

  it('listed under resources, the wrong apiVersion is what kustomize says first (it loads the folder before it checks the kind): RF901, no RF946', () => {
    const r = walked(files(comp('kustomize.config.k8s.io/v1beta1'), 'resources'));
    expect(codes(r, 'RF901')).toHaveLength(1);
    expect(codes(r, 'RF946')).toEqual([]);
    // twin: of the right apiVersion, the kind check says it (RF946 "expected kind != 'Component'").
    const s = walked(files(comp('kustomize.config.k8s.io/v1alpha1'), 'resources'));
    expect(codes(s, 'RF946').map((x) => x.message.includes("expected kind != 'Component'"))).toEqual([true]);
  });

  it('a Kustomization written kustomize.config.k8s.io/v1alpha1 is RF901 too ("apiVersion for Kustomization should be …v1beta1"); v1beta1 builds', () => {
    const k = (v: string) => `apiVersion: ${v}\nkind: Kustomization\nnamespace: ci\nresources:\n  - ../base\n`;
    const bad = walked({ ...BASE, 'overlay/kustomization.yaml': k('kustomize.config.k8s.io/v1alpha1') });
    expect(codes(bad, 'RF901').map((x) => x.message.includes('apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1'))).toEqual([true]);
    expect(managers(bad)).toEqual([]);
    const good = walked({ ...BASE, 'overlay/kustomization.yaml': k('kustomize.config.k8s.io/v1beta1') });
    expect([codes(good, 'RF901'), managers(good)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });
});

describe('4. `*` in a replacement\'s source fieldPath', () => {
  const k = (fieldPath: string) => `namespace: ci\nresources:\n  - ../base\nreplacements:\n  - source:\n      kind: Deployment\n      name: gitlab-runner\n      fieldPath: ${fieldPath}\n    targets:\n      - select:\n          kind: ServiceAccount\n          name: gitlab-runner\n        fieldPaths:\n          - metadata.annotations.[example.com/runner-container]\n        options:\n          create: true\n`;
  const rf946 = (r: DoctorResult) => codes(r, 'RF946');

  it('fails the build as kustomize\'s PathGetter does: RF946 at the replacement with its error (before: "a path the doctor does not follow")', () => {
    const text = k('spec.template.spec.containers.*.name');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': text });
    const f = rf946(r);
    expect(f.map((x) => x.message.includes('("error looking up replacement source: wildcard is not supported in PathGetter")'))).toEqual([true]);
    expect(f[0]!.message).not.toContain('does not follow');
    expect(managers(r)).toEqual([]);
  });

  it('twin: the one element by its index is read (no RF946); a field missing before the `*` is kustomize\'s "is missing" error', () => {
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': k('spec.template.spec.containers.0.name') });
    expect([rf946(r), managers(r)]).toEqual([[], ['manager ci/gitlab-runner']]);
    const s = walked({ ...BASE, 'overlay/kustomization.yaml': k('spec.template.spec.sidecars.*.name') });
    expect(rf946(s).map((x) => x.message.includes('is missing for replacement source'))).toEqual([true]);
  });
});

describe('5. files outside a kustomization\'s folder (kustomize\'s load restrictor)', () => {
  const rootOnly = (r: DoctorResult) => codes(r, 'RF946').filter((f) => f.message.includes('LoadRestrictionsRootOnly'));
  /** The overlay lists the manager's files by their paths in a folder with no kustomization. */
  const byFile = 'namespace: ci\nresources:\n  - ../shared/sa.yaml\n  - ../shared/config.yaml\n  - ../shared/deploy.yaml\n';
  const SHARED = { 'shared/sa.yaml': M.serviceAccounts, 'shared/config.yaml': M.configMap, 'shared/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
  const gen = (path: string) => `namespace: ci\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: irsa\n    files:\n      - roleArn=${path}\n`;

  it('a resources file outside the folder fails the build: RF946 at the entry with kustomize\'s error, nothing read as deployed (before: read as if kustomize built it)', () => {
    const r = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile });
    const f = rootOnly(r);
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', byFile, '../shared/sa.yaml')]);
    expect(f[0]!.message).toContain("(\"security; file 'shared/sa.yaml' is not in or below 'overlay'\")");
    expect(f[0]!.fix).toContain('--load-restrictor LoadRestrictionsNone');
    expect(managers(r)).toEqual([]);
  });

  it('a generator file outside the folder likewise (files key=path, envs); inside it, none', () => {
    const g = gen('../settings/role.txt');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': g, 'settings/role.txt': ROLE });
    expect(rootOnly(r).map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', g, 'roleArn=../settings/role.txt')]);
    const e = 'namespace: ci\nresources:\n  - ../base\nsecretGenerator:\n  - name: irsa\n    envs:\n      - ../irsa.env\n';
    expect(rootOnly(walked({ ...BASE, 'overlay/kustomization.yaml': e, 'irsa.env': 'A=b\n' })).map((x) => x.message.includes('secretGenerator[0].envs[0]'))).toEqual([true]);
    const inside = walked({ ...BASE, 'overlay/kustomization.yaml': gen('settings/role.txt'), 'overlay/settings/role.txt': ROLE });
    expect([rootOnly(inside), managers(inside)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });

  it('twin: a folder outside is a kustomization of its own (allowed); with --load-restrictor LoadRestrictionsNone in a build script, or a Flux Kustomization given, the files are read as before', () => {
    expect(rootOnly(walked({ ...BASE, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n' }))).toEqual([]);
    const script = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'build.sh': '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone overlay | kubectl apply -f -\n' });
    expect([rootOnly(script), managers(script)]).toEqual([[], ['manager ci/gitlab-runner']]);
    const flux = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: runner\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./overlay\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: repo\n';
    const r = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'clusters/runner.yaml': flux });
    expect([rootOnly(r), managers(r)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });
});

describe("2. a component's namespace over the helmCharts of the build it transforms", () => {
  const COMPONENT_NS = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: ci\n';
  const chart = (chartNs: string, more = '') => `${more}helmCharts:\n  - name: gitlab-runner\n    repo: https://charts.gitlab.io\n    version: 0.70.0\n    releaseName: ci\n${chartNs}    valuesFile: values.yaml\n`;
  const notKnown = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('kustomize before v5.8.0 puts the chart'));
  const files = (runner: string, overlay?: string) => ({ 'runner/kustomization.yaml': runner, 'runner/values.yaml': irsaChartValues(), 'ns/kustomization.yaml': COMPONENT_NS, ...(overlay !== undefined ? { 'overlay/kustomization.yaml': overlay } : {}) });

  it('a chart templated in gitlab under an overlay whose component sets ci: before v5.8.0 the component\'s namespace transformer rewrites the chart\'s objects to ci, from v5.8.0 it leaves them: RF903, not known (before: proven in gitlab)', () => {
    const r = walked(files(chart('    namespace: gitlab\n'), 'resources:\n  - ../runner\ncomponents:\n  - ../ns\n'));
    const f = notKnown(r);
    expect(f.map((x) => [x.message.includes("puts the chart's objects in ci (the namespace of ns/kustomization.yaml"), x.message.includes('from v5.8.0 in gitlab')])).toEqual([[true, true]]);
    expect(managers(r)).toEqual([]);
  });

  it('a component the chart\'s own kustomization lists likewise', () => {
    const r = walked(files(chart('    namespace: gitlab\n', 'components:\n  - ../ns\n')));
    expect(notKnown(r)).toHaveLength(1);
  });

  it('twin: the chart templated in the component\'s namespace: ci in every version, proven, no RF903', () => {
    const r = walked(files(chart('    namespace: ci\n'), 'resources:\n  - ../runner\ncomponents:\n  - ../ns\n'));
    expect([notKnown(r), managers(r)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });
});

describe("3. a component's own resources in each overlay that lists it", () => {
  const account = M.serviceAccounts.replace('  name: gitlab-runner\n', `  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`);
  const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - sa.yaml\n';
  /** Overlays a and b, each with its manager, both listing the component that carries the IRSA account; under one root or as two roots. */
  const files = (root: boolean, withDeploy = false, listB = true) => {
    const f: Record<string, string> = { 'cluster.tf': CLUSTER, 'acct/kustomization.yaml': withDeploy ? `${COMPONENT}  - deploy.yaml\n` : COMPONENT, 'acct/sa.yaml': account, ...(withDeploy ? { 'acct/deploy.yaml': M.deployment } : {}) };
    for (const p of ['a', 'b']) {
      f[`${p}/config.yaml`] = M.configMap;
      if (!withDeploy) f[`${p}/deploy.yaml`] = M.deployment;
      f[`${p}/kustomization.yaml`] = `namespace: ${p}\nresources:\n  - config.yaml\n${withDeploy ? '' : '  - deploy.yaml\n'}${p === 'a' || listB ? 'components:\n  - ../acct\n' : ''}`;
    }
    if (root) f['all/kustomization.yaml'] = 'resources:\n  - ../a\n  - ../b\n';
    return f;
  };
  const noAccount = (r: DoctorResult) => codes(r, 'RF904').filter((f) => f.message.includes('service account b/gitlab-runner of the manager does not exist'));
  const noIdentity = (r: DoctorResult) => codes(r, 'RF911').filter((f) => f.message.includes('has no cloud identity of its own'));

  it('each overlay\'s build holds the component\'s ServiceAccount in its namespace: both managers have their account and role (before: b\'s was RF904 and RF911), under one root or two', () => {
    for (const root of [true, false]) {
      const r = walked(files(root));
      expect([root, managers(r).sort(), noAccount(r), noIdentity(r)]).toEqual([root, ['manager a/gitlab-runner', 'manager b/gitlab-runner'], [], []]);
      // The role not given is said once, at the component's file; no RF903 "built by two overlays" for a component.
      expect(codes(r, 'RF903').filter((f) => f.message.includes('is not in the evidence given')).map((f) => f.path)).toEqual([placeOf('acct/sa.yaml', account, ROLE)]);
      expect(codes(r, 'RF903').filter((f) => f.message.includes('is built by two overlays'))).toEqual([]);
    }
  });

  it('twin: where b does not list the component, b\'s manager has no account (RF904)', () => {
    expect(noAccount(walked(files(true, false, false)))).toHaveLength(1);
  });

  it('a finding at a line of the component\'s own file (its Deployment, in both builds) is said once, naming the builds', () => {
    const r = walked(files(true, true));
    expect(managers(r).sort()).toEqual(['manager a/gitlab-runner', 'manager b/gitlab-runner']);
    const f = codes(r, 'RF308');
    expect(f).toHaveLength(1);
    expect(f[0]!.path.startsWith('acct/deploy.yaml:')).toBe(true);
    expect(f[0]!.message).toContain('(said once for the 2 copies of this component\'s resource that a/kustomization.yaml and b/kustomization.yaml build, each its own)');
  });
});
