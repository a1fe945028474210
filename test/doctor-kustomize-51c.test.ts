import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';
import { readKustomizeResources } from '../src/io/kustomize-resources.js';
import { placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 51c. What the doctor still read wrongly of kustomize builds after 50d: resource files with
 * an extension the walk does not read, every undecidable reference of a build, and ids added twice
 * through generators and patches.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
/** The files as a walk of their folder gives them (the folder read whole). */
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);
const M = plainManager();
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('1. a resource file of another extension: kustomize reads any listed file as YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-51c-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** What the CLI reads of a folder: the walk, then the kustomizations' resource files it did not read. */
  const cli = async (root: string): Promise<DoctorResult> => {
    const { files } = await walkFiles([root], 1 << 20);
    return doctor([...files, ...(await readKustomizeResources(files, 1 << 20))]);
  };
  const folder = (name: string, k: string, files: Record<string, string | Uint8Array>): string => {
    const root = join(dir, name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'kustomization.yaml'), k);
    for (const [p, t] of Object.entries(files)) writeFileSync(join(root, p), t);
    return root;
  };

  it('resources lists manager.txt and runner.yml.tmpl: both read as YAML (no RF946 "does not exist", no RF902), the manager proven in ci', async () => {
    const root = folder('txt', 'namespace: ci\nresources:\n  - manager.txt\n  - account.yml.tmpl\n', { 'manager.txt': `${M.configMap}---\n${M.deployment}`, 'account.yml.tmpl': M.serviceAccounts });
    const r = await cli(root);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(codes(r, 'RF902')).toEqual([]);
    expect(managers(r)[0]).toMatch(new RegExp(`^manager ci/gitlab-runner \\(${esc(join(root, 'manager.txt'))}:`));
  });

  it('twin: a .txt resource that is neither a file nor a folder is still RF946 (does not exist)', async () => {
    const k = 'namespace: ci\nresources:\n  - manager.txt\n';
    const root = folder('gone', k, {});
    const f = codes(await cli(root), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf(join(root, 'kustomization.yaml'), k, 'manager.txt')]);
    expect(f[0]!.message).toContain('resources[0] is manager.txt, which does not exist');
  });

  it('a listed binary file is RF902 (binary; skipped) at it, not RF946 "does not exist"', async () => {
    const root = folder('bin', 'namespace: ci\nresources:\n  - manager.bin\n', { 'manager.bin': new Uint8Array([0x61, 0, 0x62, 0x0a]) });
    const r = await cli(root);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(codes(r, 'RF902').map((x) => [x.path, x.message])).toEqual([[`${join(root, 'manager.bin')}:1:1`, `${join(root, 'manager.bin')} is binary; skipped`]]);
  });

  it('a listed .txt that is not YAML is RF901 at it (kustomize fails there too), not skipped in silence', async () => {
    const root = folder('bad', 'namespace: ci\nresources:\n  - manager.txt\n', { 'manager.txt': 'kind: [Deployment\n' });
    const r = await cli(root);
    expect(codes(r, 'RF946')).toEqual([]);
    const f = codes(r, 'RF901');
    expect(f.map((x) => x.path.split(':')[0])).toEqual([join(root, 'manager.txt')]);
  });

  it('a .txt the walk sees but no kustomization lists is not read as YAML', async () => {
    const root = folder('unlisted', 'namespace: ci\nresources:\n  - manager.yaml\n', { 'manager.yaml': M.text, 'notes.txt': `${M.deployment.replace('name: gitlab-runner', 'name: other')}` });
    const r = await cli(root);
    expect(managers(r).map((m) => m.split(' ')[1])).toEqual(['ci/gitlab-runner']);
  });
});

describe('2. every reference kustomize cannot decide is said (RF946 at each)', () => {
  const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
  const binding = (account: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ${account}\n`;
  const files = (bAccount: string) => ({
    'k/kustomization.yaml': 'namespace: ci\nnamePrefix: p-\nresources:\n  - a\n  - b\n  - manager.yaml\n  - binding.yaml\n',
    'k/a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - sa.yaml\n',
    'k/a/sa.yaml': sa('gitlab-runner'),
    'k/b/kustomization.yaml': 'namePrefix: b-\nresources:\n  - sa.yaml\n',
    'k/b/sa.yaml': sa(bAccount),
    'k/manager.yaml': `${M.configMap}---\n${M.deployment}`,
    'k/binding.yaml': binding('gitlab-runner'),
  });

  it('serviceAccountName and a RoleBinding subject both name the account renamed apart: RF946 at each (before: only the first)', () => {
    const f = files('gitlab-runner');
    const x = codes(walked(f), 'RF946');
    expect(x.map((y) => y.path).sort()).toEqual([placeOf('k/binding.yaml', f['k/binding.yaml'], 'gitlab-runner'), placeOf('k/manager.yaml', f['k/manager.yaml'], 'gitlab-runner', f['k/manager.yaml'].indexOf('serviceAccountName'))].sort());
    expect(x.every((y) => y.message.includes('found multiple possible referrals'))).toBe(true);
  });

  it('twin: with one account of that name neither is said', () => {
    expect(codes(walked(files('other')), 'RF946')).toEqual([]);
  });
});

describe('3. ids added twice through generators and patches (RF946)', () => {
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;
  const gen = (name: string, more = '') => `configMapGenerator:\n  - name: ${name}\n    literals:\n      - a=b\n${more}`;
  const overlay = 'namespace: ci\nresources:\n  - a\n  - b\n';

  it('two inner folders generate ConfigMap settings: RF946 at the second, naming both generator entries (before: folders with generators not compared)', () => {
    const f = { 'o/kustomization.yaml': overlay, 'o/a/kustomization.yaml': gen('settings'), 'o/b/kustomization.yaml': gen('settings') };
    const x = codes(walked(f), 'RF946');
    expect(x.map((y) => y.path)).toEqual([placeOf('o/kustomization.yaml', overlay, 'b')]);
    expect(x[0]!.message).toContain('resources[1] (b) builds (its kustomization, after its namespace, namePrefix and nameSuffix) ConfigMap default/settings (v1)');
    expect(x[0]!.message).toContain(`(${placeOf('o/b/kustomization.yaml', f['o/b/kustomization.yaml'], 'settings')}; ${placeOf('o/a/kustomization.yaml', f['o/a/kustomization.yaml'], 'settings')})`);
  });

  it('twins: another generated name, or a nameSuffix on one folder, builds', () => {
    expect(codes(walked({ 'o/kustomization.yaml': overlay, 'o/a/kustomization.yaml': gen('settings'), 'o/b/kustomization.yaml': gen('other') }), 'RF946')).toEqual([]);
    expect(codes(walked({ 'o/kustomization.yaml': overlay, 'o/a/kustomization.yaml': gen('settings'), 'o/b/kustomization.yaml': `nameSuffix: -b\n${gen('settings')}` }), 'RF946')).toEqual([]);
  });

  it('an inner folder that patches its ConfigMap (an annotation) keeps its id: RF946 against the same ConfigMap in a file beside it (before: not compared)', () => {
    const inner = 'resources:\n  - cm.yaml\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: settings\n        annotations:\n          x: y\n';
    const f = { 'o/kustomization.yaml': 'namespace: ci\nresources:\n  - a\n  - cm.yaml\n', 'o/a/kustomization.yaml': inner, 'o/a/cm.yaml': cm('settings'), 'o/cm.yaml': cm('settings') };
    const x = codes(walked(f), 'RF946');
    expect(x.map((y) => y.path)).toEqual([placeOf('o/kustomization.yaml', f['o/kustomization.yaml'], 'cm.yaml')]);
    expect(x[0]!.message).toContain('ConfigMap default/settings (v1)');
  });

  it('twin: a patch that writes a namespace may change the id: not compared, nothing said', () => {
    const inner = 'resources:\n  - cm.yaml\npatches:\n  - target:\n      kind: ConfigMap\n    patch: |-\n      - op: replace\n        path: /metadata/namespace\n        value: other\n';
    expect(codes(walked({ 'o/kustomization.yaml': 'resources:\n  - a\n  - cm.yaml\n', 'o/a/kustomization.yaml': inner, 'o/a/cm.yaml': cm('settings'), 'o/cm.yaml': cm('settings') }), 'RF946')).toEqual([]);
  });

  it('a configMapGenerator creating the ConfigMap a resource holds: RF946 at the generator entry; behavior: merge builds', () => {
    const k = `namespace: ci\nresources:\n  - cm.yaml\n${gen('settings')}`;
    const x = codes(walked({ 'o/kustomization.yaml': k, 'o/cm.yaml': cm('settings') }), 'RF946');
    expect(x.map((y) => y.path)).toEqual([placeOf('o/kustomization.yaml', k, 'settings')]);
    expect(x[0]!.message).toContain("configMapGenerator[0] generates ConfigMap default/settings, which resources[0] (cm.yaml) writes it");
    expect(x[0]!.message).toContain("behavior must be merge or replace");
    expect(x[0]!.fix).toContain('set behavior: merge (or replace) on configMapGenerator[0] of o/kustomization.yaml');
    expect(codes(walked({ 'o/kustomization.yaml': `namespace: ci\nresources:\n  - cm.yaml\n${gen('settings', '    behavior: merge\n')}`, 'o/cm.yaml': cm('settings') }), 'RF946')).toEqual([]);
  });
});

describe('4. a remote base the doctor cannot fetch is said (RF903 at the entry)', () => {
  it('resources lists github.com/…//deploy?ref=v1.2.0 and components an https URL: RF903 at each, naming the ref (before: nothing but "no runner manager")', () => {
    const k = 'namespace: ci\nresources:\n  - github.com/example/runner-base//deploy?ref=v1.2.0\ncomponents:\n  - https://github.com/example/parts//irsa?ref=main\n';
    const f = codes(walked({ 'o/kustomization.yaml': k }), 'RF903');
    expect(f.map((x) => x.path)).toEqual([placeOf('o/kustomization.yaml', k, 'github.com/example/runner-base'), placeOf('o/kustomization.yaml', k, 'https://')]);
    expect(f[0]!.message).toBe('o/kustomization.yaml resources[0] is github.com/example/runner-base//deploy?ref=v1.2.0, a remote base kustomize fetches when it builds (at v1.2.0); the doctor reads only the files given, so the objects it builds, and what o/kustomization.yaml does to them (namespace, name prefix and suffix, patches), are not read or checked');
    expect(f[0]!.fix).toBe('give the files of github.com/example/runner-base//deploy at v1.2.0 too (a checkout of that repository beside this one), or list a local copy in resources of o/kustomization.yaml');
    expect(f[1]!.message).toContain('components[0] is https://github.com/example/parts//irsa?ref=main, a remote component');
  });

  it('an https URL of one YAML file is a remote file kustomize downloads: RF903 saying so', () => {
    const k = 'resources:\n  - https://example.com/releases/v1/operator.yaml\n';
    const f = codes(walked({ 'o/kustomization.yaml': k }), 'RF903');
    expect(f.map((x) => x.path)).toEqual([placeOf('o/kustomization.yaml', k, 'https://')]);
    expect(f[0]!.message).toContain('a remote file kustomize downloads when it builds');
    expect(f[0]!.fix).toBe('give that file too (saved beside o/kustomization.yaml), or list a local copy in resources of o/kustomization.yaml');
  });

  it('twin: a local base is read, nothing said of it', () => {
    const r = walked({ 'o/kustomization.yaml': 'namespace: ci\nresources:\n  - ../base\n', 'base/kustomization.yaml': 'resources:\n  - manager.yaml\n', 'base/manager.yaml': M.text });
    expect(codes(r, 'RF903').filter((x) => x.path.startsWith('o/'))).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
  });
});
