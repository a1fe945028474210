import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { irsaChartValues, placeOf, plainManager, chainManagers as managers, codesIn as codes, doctorWalked as walked } from './helpers/doctor.js';

/**
 * Stop 55 (55f). kustomize's default load restrictor (LoadRestrictionsRootOnly) refuses every file a
 * kustomization loads from outside its folder, not only resources and generator files (54c): patch
 * files (`patches[].path`, `patchesJson6902[].path`, `patchesStrategicMerge` files), replacement files,
 * a chart's `valuesFile` and `additionalValuesFiles`, `configurations`, `crds`, `openapi.path` and
 * plugin configuration files under `transformers`/`generators`/`validators`. Each loads through the
 * kustomization's loader (kustomize api/internal/builtins/PatchTransformer.go, PatchJson6902Transformer.go,
 * ReplacementTransformer.go, HelmChartInflationGenerator.go; api/internal/target/kusttarget.go).
 * And a component's resources join the build's accumulator before the generators run: an id already
 * there fails the build, and a generator may merge into a component's object.
 */

const M = plainManager();
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const CLUSTER = 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n';
const saPatch = `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;
const jsonPatch = `- op: add\n  path: /metadata/annotations\n  value:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;
const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
const rootOnly = (r: DoctorResult) => codes(r, 'RF946').filter((f) => f.message.includes('LoadRestrictionsRootOnly'));

/** An overlay loading one file by the field given; `dir` is where the file is, relative to the overlay. */
const CASES: { field: string; overlay: (dir: string) => string; file: string; text: string; needle: (dir: string) => string }[] = [
  { field: 'patches[0].path', overlay: (d) => `namespace: ci\nresources:\n  - ../base\npatches:\n  - path: ${d}sa-patch.yaml\n`, file: 'sa-patch.yaml', text: saPatch, needle: (d) => `${d}sa-patch.yaml` },
  { field: 'patchesStrategicMerge[0]', overlay: (d) => `namespace: ci\nresources:\n  - ../base\npatchesStrategicMerge:\n  - ${d}sa-patch.yaml\n`, file: 'sa-patch.yaml', text: saPatch, needle: (d) => `${d}sa-patch.yaml` },
  { field: 'patchesJson6902[0].path', overlay: (d) => `namespace: ci\nresources:\n  - ../base\npatchesJson6902:\n  - target:\n      version: v1\n      kind: ServiceAccount\n      name: gitlab-runner\n    path: ${d}sa-json.yaml\n`, file: 'sa-json.yaml', text: jsonPatch, needle: (d) => `${d}sa-json.yaml` },
  { field: 'replacements[0].path', overlay: (d) => `namespace: ci\nresources:\n  - ../base\nreplacements:\n  - path: ${d}repl.yaml\n`, file: 'repl.yaml', text: 'source:\n  kind: ConfigMap\n  name: gitlab-runner\n  fieldPath: metadata.name\ntargets:\n  - select:\n      kind: ConfigMap\n      name: gitlab-runner\n    fieldPaths:\n      - metadata.labels.app\n    options:\n      create: true\n', needle: (d) => `${d}repl.yaml` },
  { field: 'configurations[0]', overlay: (d) => `namespace: ci\nresources:\n  - ../base\nconfigurations:\n  - ${d}names.yaml\n`, file: 'names.yaml', text: 'nameReference:\n  - kind: ConfigMap\n    fieldSpecs:\n      - kind: Deployment\n        path: spec/template/spec/volumes/configMap/name\n', needle: (d) => `${d}names.yaml` },
  { field: 'transformers[0]', overlay: (d) => `namespace: ci\nresources:\n  - ../base\ntransformers:\n  - ${d}labels.yaml\n`, file: 'labels.yaml', text: 'apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: team\nlabels:\n  team: ci\nfieldSpecs:\n  - path: metadata/labels\n    create: true\n', needle: (d) => `${d}labels.yaml` },
];

describe('files a kustomization loads from outside its folder, beyond resources and generators', () => {
  for (const c of CASES) {
    it(`${c.field}: a file outside the overlay's folder fails the build: RF946 at the entry with kustomize's error, nothing read as deployed (before: read as if kustomize built it)`, () => {
      const o = c.overlay('../shared/');
      const r = walked({ ...BASE, 'overlay/kustomization.yaml': o, [`shared/${c.file}`]: c.text });
      const f = rootOnly(r);
      expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', o, c.needle('../shared/'))]);
      expect(f[0]!.message).toContain(`overlay/kustomization.yaml ${c.field} is ../shared/${c.file}`);
      expect(f[0]!.message).toContain(`("security; file 'shared/${c.file}' is not in or below 'overlay'")`);
      expect(managers(r)).toEqual([]);
    });

    it(`twin, ${c.field}: the file in the overlay's folder (or below it) loads; no RF946`, () => {
      const r = walked({ ...BASE, 'overlay/kustomization.yaml': c.overlay('files/'), [`overlay/files/${c.file}`]: c.text });
      expect(rootOnly(r)).toEqual([]);
      expect(codes(r, 'RF946')).toEqual([]);
    });
  }

  it('the patch outside the folder was what proved the chain: with it inside, the role is patched on and the manager proven', () => {
    const inside = walked({ ...BASE, 'overlay/kustomization.yaml': CASES[0]!.overlay(''), 'overlay/sa-patch.yaml': saPatch });
    expect(managers(inside)).toEqual(['manager ci/gitlab-runner']);
  });

  it("a component's patch outside the component's own folder fails (a component loads with its folder as root), though the overlay listing it is above the file", () => {
    const comp = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: ../patches/sa-patch.yaml\n';
    const r = walked({ ...BASE, 'irsa/kustomization.yaml': comp, 'patches/sa-patch.yaml': saPatch, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n' });
    expect(rootOnly(r).map((x) => x.path)).toEqual([placeOf('irsa/kustomization.yaml', comp, '../patches/sa-patch.yaml')]);
    expect(managers(r)).toEqual([]);
  });

  it("a chart's valuesFile and additionalValuesFiles outside the folder: RF946 at the first", () => {
    const k = (values: string, extra = '') => `helmCharts:\n  - name: gitlab-runner\n    repo: https://charts.gitlab.io\n    version: 0.70.0\n    releaseName: ci\n    namespace: ci\n    valuesFile: ${values}\n${extra}`;
    const out = k('../values/values.yaml');
    const r = walked({ 'runner/kustomization.yaml': out, 'values/values.yaml': irsaChartValues() });
    expect(rootOnly(r).map((x) => x.path)).toEqual([placeOf('runner/kustomization.yaml', out, '../values/values.yaml')]);
    const more = k('values.yaml', '    additionalValuesFiles:\n      - ../values/more.yaml\n');
    const r2 = walked({ 'runner/kustomization.yaml': more, 'runner/values.yaml': irsaChartValues(), 'values/more.yaml': 'concurrent: 4\n' });
    expect(rootOnly(r2).map((x) => x.message.includes('helmCharts[0].additionalValuesFiles[0]'))).toEqual([true]);
    const inside = walked({ 'runner/kustomization.yaml': k('values.yaml'), 'runner/values.yaml': irsaChartValues() });
    expect(rootOnly(inside)).toEqual([]);
  });

  it('twin: with --load-restrictor LoadRestrictionsNone in a build script the patch outside loads, as before', () => {
    const o = CASES[0]!.overlay('../shared/');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': o, 'shared/sa-patch.yaml': saPatch, 'build.sh': '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone overlay | kubectl apply -f -\n' });
    expect([rootOnly(r), managers(r)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });

  it('a patch file that is not given is not said outside (the doctor does not know it is a file): the missing-path rule speaks instead, or nothing', () => {
    const o = CASES[0]!.overlay('../shared/');
    const r = walked({ ...BASE, 'overlay/kustomization.yaml': o });
    expect(rootOnly(r)).toEqual([]);
  });
});

describe("a component's resources adding an object of an id the build holds already", () => {
  const annotated = M.serviceAccounts.replace('  name: gitlab-runner\n', `  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`);
  const COMP = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - sa.yaml\n';
  const dup = (r: DoctorResult) => codes(r, 'RF946').filter((f) => f.message.includes('already registered id'));

  it('the base and a component both hold the ServiceAccount: RF946 at components[0] with kustomize\'s error, nothing deployed (before: read as if kustomize built it)', () => {
    const overlay = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n';
    const r = walked({ ...BASE, 'irsa/kustomization.yaml': COMP, 'irsa/sa.yaml': annotated, 'overlay/kustomization.yaml': overlay });
    const f = dup(r);
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', overlay, '../irsa')]);
    expect(f[0]!.message).toContain('components[0] (../irsa) adds ServiceAccount default/gitlab-runner (v1) with its resources[0] (sa.yaml;');
    expect(f[0]!.message).toContain('which resources[0] (../base) builds it');
    expect(managers(r)).toEqual([]);
  });

  it('twin: the component alone holds the ServiceAccount (the base has none): built, proven, no RF946', () => {
    const base = { ...BASE, 'base/kustomization.yaml': 'resources:\n  - config.yaml\n  - deploy.yaml\n' };
    delete (base as Record<string, string>)['base/sa.yaml'];
    const r = walked({ ...base, 'irsa/kustomization.yaml': COMP, 'irsa/sa.yaml': annotated, 'overlay/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n' });
    expect([dup(r), managers(r)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });

  it('one component listed twice: its resources are added twice (RF946 at components[1]); a component of patches only may be listed twice', () => {
    const base = { ...BASE, 'base/kustomization.yaml': 'resources:\n  - config.yaml\n  - deploy.yaml\n' };
    const twice = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../irsa\n  - ../irsa/\n';
    const r = walked({ ...base, 'irsa/kustomization.yaml': COMP, 'irsa/sa.yaml': annotated, 'overlay/kustomization.yaml': twice });
    expect(dup(r).map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', twice, '../irsa/')]);
    expect(dup(r)[0]!.message).toContain('which components[0] (../irsa) adds it with its resources[0]');
    const patchOnly = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: sa-patch.yaml\n';
    const r2 = walked({ ...BASE, 'irsa/kustomization.yaml': patchOnly, 'irsa/sa-patch.yaml': saPatch, 'overlay/kustomization.yaml': twice });
    expect([dup(r2), managers(r2)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });

  it('after a component that moves ids (its namespace), the ids are not known: nothing said (kustomize would build it: the base\'s object moved first)', () => {
    const mover = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: other\n';
    const r = walked({ ...BASE, 'mover/kustomization.yaml': mover, 'irsa/kustomization.yaml': COMP, 'irsa/sa.yaml': annotated, 'overlay/kustomization.yaml': 'resources:\n  - ../base\ncomponents:\n  - ../mover\n  - ../irsa\n' });
    expect(dup(r)).toEqual([]);
  });

  const comp = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - extra.yaml\n';
  const extra = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n';
  const overlay = 'resources:\n  - ../base\ncomponents:\n  - ../extra\nconfigMapGenerator:\n  - name: settings\n    literals:\n      - a=c\n';

  // Stop 59: kustomize 5.1 and later (PR 5170) run the overlay's generators before its components, so the
  // generator makes the ConfigMap and the component's resource then collides with it: the build fails at the
  // components entry ("may not add resource with an already registered id", seen with kubectl 1.32's kustomize
  // 5.5.0, test/kustomize-real-tool.test.ts). Before, this was said at the generator (the older order).
  it("the overlay's generator making a ConfigMap a component's resource holds: RF946 at the components entry, naming kustomize 5.1", () => {
    const r = walked({ ...BASE, 'extra/kustomization.yaml': comp, 'extra/extra.yaml': extra, 'overlay/kustomization.yaml': overlay });
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', overlay, '../extra')]);
    expect(f[0]!.message).toContain('components[0] (../extra) adds ConfigMap default/settings (v1) with its resources[0] (extra.yaml; extra/extra.yaml:4:9), which configMapGenerator[0] of overlay/kustomization.yaml generates it (overlay/kustomization.yaml:6:11)');
    expect(f[0]!.message).toContain('("may not add resource with an already registered id: ConfigMap")');
    expect(f[0]!.message).toContain('kustomize before 5.1 added the components first and failed at the generator instead');
  });

  it("the overlay's generator and a component's generator making one ConfigMap: RF946 at the components entry; twin: the component's behavior merge builds", () => {
    const gen = (behavior: string) => `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n  - name: settings\n${behavior}    literals:\n      - a=d\n`;
    const f = codes(walked({ ...BASE, 'extra/kustomization.yaml': gen(''), 'overlay/kustomization.yaml': overlay }), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', overlay, '../extra')]);
    expect(f[0]!.message).toContain('components[0] (../extra) generates ConfigMap default/settings with its configMapGenerator[0]');
    expect(f[0]!.message).toContain('kustomize before 5.1 added the components first and failed at the generator instead');
    expect(codes(walked({ ...BASE, 'extra/kustomization.yaml': gen('    behavior: merge\n'), 'overlay/kustomization.yaml': overlay }), 'RF946')).toEqual([]);
  });

  // Stop 58: kustomize 5.1 and later (PR 5170) run a kustomization's generators before its components, so a
  // generator's merge into an object only a component adds fails ("does not exist; cannot merge or replace";
  // seen with kubectl 1.32's kustomize 5.5.0). Before, this was read as built (stop 55 took the older order).
  it("the overlay's generator merging into a ConfigMap only a component adds: RF946 at its behavior, naming kustomize 5.1", () => {
    const merge = overlay.replace('  - name: settings\n', '  - name: settings\n    behavior: merge\n');
    const f = codes(walked({ ...BASE, 'extra/kustomization.yaml': comp, 'extra/extra.yaml': extra, 'overlay/kustomization.yaml': merge }), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', merge, 'merge')]);
    expect(f[0]!.message).toContain("only the kustomization's components add a ConfigMap of that name: kustomize 5.1 and later run a kustomization's generators before its components");
    expect(f[0]!.message).toContain('does not exist; cannot merge or replace');
  });

  it("twin: the same merge where the overlay's resources hold the ConfigMap too (the base's): built, no RF946", () => {
    const merge = overlay.replace('  - name: settings\n', '  - name: gitlab-runner\n    behavior: merge\n');
    expect(codes(walked({ ...BASE, 'extra/kustomization.yaml': comp, 'extra/extra.yaml': extra, 'overlay/kustomization.yaml': merge }), 'RF946')).toEqual([]);
  });
});

describe('a Flux Kustomization lifts the load restrictor only from what it builds', () => {
  const byFile = 'namespace: ci\nresources:\n  - ../shared/sa.yaml\n  - ../shared/config.yaml\n  - ../shared/deploy.yaml\n';
  const SHARED = { 'shared/sa.yaml': M.serviceAccounts, 'shared/config.yaml': M.configMap, 'shared/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
  const flux = (path: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: runner\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: repo\n`;

  it('a Flux Kustomization of another folder: the overlay nothing of Flux builds is built with the default restrictor, RF946 (before: any Flux Kustomization given lifted it everywhere)', () => {
    const r = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'infra/kustomization.yaml': 'resources:\n  - ns.yaml\n', 'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n', 'clusters/infra.yaml': flux('./infra') });
    expect(rootOnly(r).map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', byFile, '../shared/sa.yaml')]);
  });

  it('twin: the Flux Kustomization builds the overlay, directly or through a kustomization at its path that lists it: read as before, no RF946', () => {
    const direct = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'clusters/runner.yaml': flux('./overlay') });
    expect([rootOnly(direct), managers(direct)]).toEqual([[], ['manager ci/gitlab-runner']]);
    const through = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'clusters/prod/kustomization.yaml': 'resources:\n  - ../../overlay\n', 'flux/runner.yaml': flux('./clusters/prod') });
    expect([rootOnly(through), managers(through)]).toEqual([[], ['manager ci/gitlab-runner']]);
  });

  it('twin: a Flux path that names no folder of the files given (another repository, perhaps), or the root: every build is taken as unrestricted, as before', () => {
    for (const path of ['./elsewhere', './']) {
      const r = walked({ ...SHARED, 'overlay/kustomization.yaml': byFile, 'clusters/runner.yaml': flux(path) });
      expect([path, rootOnly(r)]).toEqual([path, []]);
    }
  });
});
