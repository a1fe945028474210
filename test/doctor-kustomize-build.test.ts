import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';
import { fluxHelmRelease, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 49c. Kustomizations `kustomize build` refuses — a field of the wrong type (RF901), a path
 * that is not there, one object added twice (RF946) — are said at the kustomization, and what their
 * builds would make is not read as deployed. A patch whose target selects nothing is no error.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
/** The files as a walk of their folder gives them (inFolder: the folder was read whole). */
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
/** The same files named one by one (what else the folder holds is not known). */
const named = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);

const M = plainManager();
const kust = (head: string, resources = ['manager.yaml']) => `${head}resources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;
const app = (k: string, more: Record<string, string> = {}) => ({ 'app/kustomization.yaml': k, 'app/manager.yaml': M.text, ...more });

describe('1. a field kustomize cannot decode (RF901)', () => {
  it('namePrefix written as a list fails the build: RF901 at it, and the manager it would build is not read (no chain, no RF910)', () => {
    const k = kust('namespace: ci\nnamePrefix: [1, 2]\n');
    const r = walked(app(k));
    const f = codes(r, 'RF901');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, '[1, 2]')]);
    expect(f[0]!.message).toContain('namePrefix is [1,2] (an array)');
    expect(f[0]!.message).toContain('cannot unmarshal array into Go struct field Kustomization.namePrefix of type string');
    expect(f[0]!.message).toContain('not read its objects as deployed');
    expect(f[0]!.fix).toBe('write namePrefix as one string in app/kustomization.yaml');
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('twin: namePrefix a string builds, the chain proving the prefixed account', () => {
    const r = walked(app(kust('namespace: ci\nnamePrefix: prod-\n')));
    expect(codes(r, 'RF901')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/prod-gitlab-runner /);
  });

  it('a map as nameSuffix, a number as namespace (its fix quoting it), and resources written as one string are RF901 too', () => {
    const a = kust('nameSuffix:\n  x: y\n');
    expect(codes(walked(app(a)), 'RF901')[0]!.message).toContain('nameSuffix is {"x":"y"} (an object)');
    const b = kust('namespace: 5\n');
    const nb = codes(walked(app(b)), 'RF901');
    expect(nb[0]!.message).toContain('cannot unmarshal number into Go struct field Kustomization.namespace of type string');
    expect(nb[0]!.fix).toBe('write namespace as one string in app/kustomization.yaml (quoted: namespace: "5")');
    const c = 'namespace: ci\nresources: manager.yaml\n';
    const nc = codes(walked(app(c)), 'RF901');
    expect(nc.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', c, 'manager.yaml')]);
    expect(nc[0]!.message).toContain('of type []string');
    // A null prefix decodes as none: no finding.
    expect(codes(walked(app(kust('namespace: ci\nnamePrefix:\n'))), 'RF901')).toEqual([]);
  });
});

describe('2. a path that is not there (RF946)', () => {
  it('a resource file that does not exist in a folder walked whole: RF946 at the entry, the build not read', () => {
    const k = kust('namespace: ci\n', ['manager.yaml', 'rbac.yaml']);
    const r = walked(app(k));
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'rbac.yaml')]);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.message).toContain("resources[1] is rbac.yaml, which does not exist: `kustomize build` fails (accumulating resources from 'rbac.yaml': no such file or directory)");
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
  });

  it('twins: the file there builds; files named one by one leave a missing one unknown (not followed, no RF946)', () => {
    const k = kust('namespace: ci\n', ['manager.yaml', 'rbac.yaml']);
    const there = walked(app(k, { 'app/rbac.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other\n' }));
    expect(codes(there, 'RF946')).toEqual([]);
    expect(managers(there)[0]).toMatch(/^manager ci\/gitlab-runner /);
    const one = named(app(k));
    expect(codes(one, 'RF946')).toEqual([]);
    expect(managers(one)[0]).toMatch(/^manager ci\/gitlab-runner /);
  });

  it('a folder listed with no kustomization in it, and one that does not exist, are RF946; a folder with one builds', () => {
    const k = kust('namespace: ci\n', ['manager.yaml', '../base']);
    const r = walked(app(k, { 'base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other\n' }));
    expect(codes(r, 'RF946')[0]!.message).toContain('is a folder with no kustomization in it');
    expect(codes(walked(app(kust('namespace: ci\n', ['manager.yaml', 'missing/']))), 'RF946')[0]!.message).toContain('missing/, which does not exist');
    const ok = walked(app(k, { 'base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other\n', 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n' }));
    expect(codes(ok, 'RF946')).toEqual([]);
    expect(managers(ok)[0]).toMatch(/^manager ci\/gitlab-runner /);
  });

  it('a component folder and a patch file that do not exist are RF946 (the patch no more RF903 "not given")', () => {
    const c = `${kust('namespace: ci\n')}components:\n  - extra\n`;
    expect(codes(walked(app(c)), 'RF946').map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', c, 'extra')]);
    const p = `${kust('namespace: ci\n')}patches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n`;
    const r = walked(app(p));
    expect(codes(r, 'RF946').map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', p, 'sa-patch.yaml')]);
    expect(codes(r, 'RF946')[0]!.message).toContain('failed to get the patch file from path(sa-patch.yaml)');
    expect(codes(r, 'RF903')).toEqual([]);
    const given = walked(app(p, { 'app/sa-patch.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  labels:\n    a: b\n' }));
    expect(codes(given, 'RF946')).toEqual([]);
  });
});

describe('3. one object added twice (RF946)', () => {
  it('a resource listed twice fails the build: RF946 at the second entry', () => {
    const k = kust('namespace: ci\n', ['manager.yaml', './manager.yaml']);
    const r = walked(app(k));
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, './manager.yaml')]);
    expect(f[0]!.message).toContain('which resources[0] lists already');
    expect(f[0]!.message).toContain('may not add resource with an already registered id');
    expect(managers(r)).toEqual([]);
  });

  it('two files writing one ServiceAccount (no namespace and default are one) fail it; in two namespaces they do not', () => {
    const sa = (ns: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n${ns}`;
    const k = kust('', ['manager.yaml', 'extra.yaml']);
    const clash = walked(app(k, { 'app/extra.yaml': sa('  namespace: default\n') }));
    expect(codes(clash, 'RF946').map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'extra.yaml')]);
    expect(codes(clash, 'RF946')[0]!.message).toContain('writes ServiceAccount default/gitlab-runner (v1), which resources[0] (manager.yaml) writes too');
    expect(codes(walked(app(k, { 'app/extra.yaml': sa('  namespace: tools\n') })), 'RF946')).toEqual([]);
  });

  it('a patch whose target selects nothing is no error: the build is read', () => {
    const p = `${kust('namespace: ci\n')}patches:\n  - patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n    target:\n      kind: Service\n      name: nothing\n`;
    const r = walked(app(p));
    expect(codes(r, 'RF946')).toEqual([]);
    expect(codes(r, 'RF939')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
  });
});

describe('4. what a refused build holds is not read', () => {
  const values = '    gitlabUrl: https://gitlab.example.com/\n    rbac:\n      create: true\n';
  it("a Flux HelmRelease it lists is not read (no chain, no RF910); an overlay listing a refused base is refused with it", () => {
    const hr = fluxHelmRelease({ meta: '  namespace: ci\n', values });
    const r = walked({ 'base/kustomization.yaml': 'namePrefix: [a]\nresources:\n  - release.yaml\n', 'base/release.yaml': hr, 'prod/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n' });
    expect(codes(r, 'RF901')).toHaveLength(1);
    expect(managers(r)).toEqual([]);
    expect(codes(r, 'RF910')).toEqual([]);
    // Twin: the prefix a string, the release is read.
    const ok = walked({ 'base/kustomization.yaml': 'namePrefix: a-\nresources:\n  - release.yaml\n', 'base/release.yaml': hr, 'prod/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n' });
    expect(managers(ok).length).toBe(1);
  });

  it("a kustomization's helmCharts are not read when it is refused", () => {
    const chart = (head: string) => `${head}helmCharts:\n  - name: gitlab-runner\n    repo: https://charts.gitlab.io\n    releaseName: runner\n    namespace: ci\n    valuesInline:\n      gitlabUrl: https://gitlab.example.com/\n      rbac:\n        create: true\nresources:\n  - ns.yaml\n`;
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n';
    const bad = walked({ 'c/kustomization.yaml': chart('namespace: ci\nnameSuffix: [x]\n'), 'c/ns.yaml': ns });
    expect(codes(bad, 'RF901')).toHaveLength(1);
    expect(managers(bad)).toEqual([]);
    expect(codes(bad, 'RF910')).toEqual([]);
    expect(managers(walked({ 'c/kustomization.yaml': chart('namespace: ci\n'), 'c/ns.yaml': ns })).length).toBe(1);
  });
  it('a refused build holding only a Flux source (OCIRepository) deploys no manager: RF910 still says none was found', () => {
    const source = 'apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: gitlab-runner\n  namespace: flux-system\nspec:\n  url: oci://registry.example.com/charts/gitlab-runner\n  ref:\n    tag: 0.71.0\n';
    const r = walked({ 'src/kustomization.yaml': 'namePrefix: [a]\nresources:\n  - source.yaml\n', 'src/source.yaml': source });
    expect(codes(r, 'RF901')).toHaveLength(1);
    expect(codes(r, 'RF910')).toHaveLength(1);
  });
});

describe('5. a real folder walked: a base whose kustomization is named Kustomization is there', () => {
  const root = mkdtempSync(join(tmpdir(), 'rf-kustomize-build-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write('app/kustomization.yaml', 'namespace: ci\nresources:\n  - ../base\n');
  write('base/manager.yaml', M.text);

  it('with base/Kustomization the overlay builds (the walk reads that file); without it, the folder is RF946', async () => {
    write('base/Kustomization', 'resources:\n  - manager.yaml\n');
    const r = doctor((await walkFiles([root], 1 << 20)).files);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
    rmSync(join(root, 'base/Kustomization'));
    const gone = doctor((await walkFiles([root], 1 << 20)).files);
    expect(codes(gone, 'RF946').map((f) => f.path)).toEqual([`${join(root, 'app/kustomization.yaml')}:3:5`]);
    // The overlay builds nothing; base/manager.yaml, which no kustomization lists now, is read as the file writes it (not in ci).
    expect(managers(gone).filter((m) => m.startsWith('manager ci/'))).toEqual([]);
  });
});
