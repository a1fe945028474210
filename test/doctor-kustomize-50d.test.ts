import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kustomizeScalar } from '../src/doctor/kustomize-build.js';
import { walkFiles } from '../src/io/walk.js';
import { readKustomizeResources } from '../src/io/kustomize-resources.js';
import { doctorTexts, irsaChartValues, irsaRoleTf, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 50d. Kustomize builds the doctor read wrongly after 49c: JSON 6902 patches without a target,
 * references kustomize cannot decide between, YAML 1.1 scalars of kustomization.yaml, one object
 * added twice through an inner kustomization, extensionless resource files, folders reached twice
 * through a link, and the token Secret of a prefixed helmCharts chart.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
/** The files as a walk of their folder gives them (the folder read whole). */
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);

const M = plainManager();
const app = (k: string, more: Record<string, string> = {}) => ({ 'app/kustomization.yaml': k, 'app/manager.yaml': M.text, ...more });
const ops = '- op: add\n  path: /metadata/annotations/x\n  value: y\n';

describe('4. a JSON 6902 patch with no target (RF946)', () => {
  it('an inline patches entry that is a list of operations, no target: RF946 at the entry, the build not read', () => {
    const k = `namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - patch: |-\n${ops.replace(/^/gm, '      ')}`;
    const r = walked(app(k));
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'patch: |-')]);
    expect(f[0]!.message).toContain('patches[0] is a JSON 6902 patch (a list of operations) with no target');
    expect(f[0]!.message).toContain('must specify a target for JSON patch [patch: "- op: add');
    expect(f[0]!.fix).toContain('give patches[0] of app/kustomization.yaml a target');
    expect(managers(r)).toEqual([]);
  });

  it('a patches entry whose file is a list of operations, no target: RF946 naming the path', () => {
    const k = 'namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - path: ops.yaml\n';
    const f = codes(walked(app(k, { 'app/ops.yaml': ops })), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'path: ops.yaml')]);
    expect(f[0]!.message).toContain('must specify a target for JSON patch [path: "ops.yaml"]');
  });

  it('a patchesJson6902 entry with no target, and one whose target has no name: RF946', () => {
    const a = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n';
    const fa = codes(walked(app(a, { 'app/ops.yaml': ops })), 'RF946');
    expect(fa.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', a, 'path: ops.yaml')]);
    expect(fa[0]!.message).toContain('patchesJson6902[0] has no target');
    const b = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n    target:\n      version: v1\n      kind: Deployment\n';
    const fb = codes(walked(app(b, { 'app/ops.yaml': ops })), 'RF946');
    expect(fb.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', b, 'version: v1')]);
    expect(fb[0]!.message).toContain('must specify the target name');
  });

  it('twins: with a target the JSON patch builds; a strategic-merge patch needs none', () => {
    const a = `namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - target:\n      kind: Deployment\n      name: gitlab-runner\n    patch: |-\n${ops.replace(/^/gm, '      ')}`;
    const ra = walked(app(a));
    expect(codes(ra, 'RF946')).toEqual([]);
    expect(managers(ra)[0]).toMatch(/^manager ci\/gitlab-runner /);
    const b = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n    target:\n      version: v1\n      kind: Deployment\n      name: gitlab-runner\n';
    expect(codes(walked(app(b, { 'app/ops.yaml': ops })), 'RF946')).toEqual([]);
    const c = 'namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: gitlab-runner\n        annotations:\n          x: y\n';
    expect(codes(walked(app(c)), 'RF946')).toEqual([]);
  });
});

describe('1. a reference kustomize cannot decide (RF946)', () => {
  const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
  const files = (bAccount: string) => ({
    'k/kustomization.yaml': 'namespace: ci\nnamePrefix: p-\nresources:\n  - a\n  - b\n  - manager.yaml\n',
    'k/a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - sa.yaml\n',
    'k/a/sa.yaml': sa('gitlab-runner'),
    'k/b/kustomization.yaml': 'namePrefix: b-\nresources:\n  - sa.yaml\n',
    'k/b/sa.yaml': sa(bAccount),
    'k/manager.yaml': `${M.configMap}---\n${M.deployment}`,
  });

  it('serviceAccountName names the account two inner kustomizations rename apart: RF946 at it with both accounts, the build not read', () => {
    const f = files('gitlab-runner');
    const r = walked(f);
    const x = codes(r, 'RF946');
    expect(x.map((y) => y.path)).toEqual([placeOf('k/manager.yaml', f['k/manager.yaml'], 'gitlab-runner', f['k/manager.yaml'].indexOf('serviceAccountName'))]);
    expect(x[0]!.message).toContain('Deployment p-gitlab-runner spec.template.spec.serviceAccountName is gitlab-runner');
    expect(x[0]!.message).toContain(`ServiceAccount ci/p-a-gitlab-runner (${placeOf('k/a/sa.yaml', f['k/a/sa.yaml'], 'gitlab-runner')}) and ServiceAccount ci/p-b-gitlab-runner (${placeOf('k/b/sa.yaml', f['k/b/sa.yaml'], 'gitlab-runner')})`);
    expect(x[0]!.message).toContain('found multiple possible referrals');
    expect(x[0]!.fix).toContain('give all but one of the two another metadata.name');
    expect(managers(r)).toEqual([]);
  });

  it('twin: one account of that name in the build is taken, the chain proving the renamed account', () => {
    const r = walked(files('other'));
    expect(codes(r, 'RF946')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/p-a-gitlab-runner .*renamed by namePrefix a- /);
    expect(JSON.stringify([...r.chains.values()])).toContain('p-a-gitlab-runner');
  });
});

describe('7. helmCharts under a namePrefix: the token Secret the values name follows the Secret the build renames', () => {
  const K = (resources: string) => `namespace: ci\nnamePrefix: prod-\n${resources}helmCharts:\n  - name: gitlab-runner\n    repo: https://charts.gitlab.io\n    version: 0.70.0\n    releaseName: ci\n    namespace: ci\n    valuesFile: values.yaml\n`;
  const values = `${irsaChartValues()}runners:\n  secret: runner-token\n`;
  const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n  runner-token: placeholder\n`;

  it('a Secret the kustomization lists is renamed prod-runner-token and the chart mounts it (no RF904), the runner naming the built Secret', () => {
    const r = doctorTexts({ 'runner/kustomization.yaml': K('resources:\n  - secret.yaml\n'), 'runner/values.yaml': values, 'runner/secret.yaml': secret('runner-token'), 'iam/main.tf': irsaRoleTf('system:serviceaccount:ci:prod-gitlab-runner') });
    expect(codes(r, 'RF904')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/prod-gitlab-runner /);
  });

  it('twins: a Secret from outside the build keeps its name (runner-token is mounted as written); none of that name is RF904 naming runner-token', () => {
    const outside = doctorTexts({ 'runner/kustomization.yaml': K(''), 'runner/values.yaml': values, 'secrets/secret.yaml': secret('runner-token').replace('metadata:\n', 'metadata:\n  namespace: ci\n'), 'iam/main.tf': irsaRoleTf('system:serviceaccount:ci:prod-gitlab-runner') });
    expect(codes(outside, 'RF904')).toEqual([]);
    const none = doctorTexts({ 'runner/kustomization.yaml': K('resources:\n  - secret.yaml\n'), 'runner/values.yaml': values, 'runner/secret.yaml': secret('other-token'), 'iam/main.tf': irsaRoleTf('system:serviceaccount:ci:prod-gitlab-runner') });
    const f = codes(none, 'RF904');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("the chart's token Secret ci/runner-token (runners.secret) is not created by any document given");
    expect(f[0]!.message).toContain('ci/prod-other-token');
  });
});

describe('2. YAML 1.1 scalars of kustomization.yaml (kustomize reads them with go-yaml v2)', () => {
  const K = (head: string) => `${head}resources:\n  - manager.yaml\n`;

  it('namePrefix: on, namespace: yes, nameSuffix: n are booleans to kustomize: RF901 at each, the build not read', () => {
    for (const [head, field, text, bool] of [['namespace: ci\nnamePrefix: on\n', 'namePrefix', 'on', 'true'], ['namespace: yes\n', 'namespace', 'yes', 'true'], ['namespace: ci\nnameSuffix: N\n', 'nameSuffix', 'N', 'false']] as const) {
      const k = K(head);
      const r = walked(app(k));
      const f = codes(r, 'RF901');
      expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, text, k.indexOf(`${field}:`))]);
      expect(f[0]!.message).toContain(`${field} is ${text} (a bool; kustomize reads kustomization.yaml as YAML 1.1, where ${text} is ${bool})`);
      expect(f[0]!.message).toContain(`cannot unmarshal bool into Go struct field Kustomization.${field} of type string`);
      expect(f[0]!.fix).toBe(`write ${field} as one string in app/kustomization.yaml (quoted: ${field}: "${text}")`);
      expect(managers(r)).toEqual([]);
    }
  });

  it('0x1F, 012, 0b101 and 1_000 are numbers to kustomize: RF901 quoting them as written', () => {
    for (const text of ['0x1F', '012', '0b101', '1_000']) {
      const f = codes(walked(app(K(`namespace: ci\nnamePrefix: ${text}\n`))), 'RF901');
      expect(f).toHaveLength(1);
      expect(f[0]!.message).toContain(`namePrefix is ${text} (a number`);
      expect(f[0]!.fix).toBe(`write namePrefix as one string in app/kustomization.yaml (quoted: namePrefix: "${text}")`);
    }
  });

  it('a resources item `on` is a bool to kustomize too: RF901 at it', () => {
    const k = 'namespace: ci\nresources: [manager.yaml, on]\n';
    const f = codes(walked(app(k)), 'RF901');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'on]')]);
    expect(f[0]!.message).toContain('resources[1] is on (a bool; kustomize reads kustomization.yaml as YAML 1.1, where on is true)');
  });

  it('twins: quoted, and words YAML 1.1 leaves strings (one, none, 0x, 1.2.3, a date), build with the prefix as written', () => {
    for (const [head, prefix] of [['namePrefix: "on"\n', 'on'], ["namePrefix: 'yes'\n", 'yes'], ['namePrefix: one-\n', 'one-'], ['namePrefix: 1.2.3-\n', '1.2.3-'], ['namePrefix: 2024-01-02\n', '2024-01-02']] as const) {
      const r = walked(app(K(`namespace: ci\n${head}`)));
      expect(codes(r, 'RF901')).toEqual([]);
      expect(managers(r)[0]).toMatch(new RegExp(`^manager ci/${prefix.replace(/\./g, '\\.')}gitlab-runner `));
    }
  });
});

describe('2b. kustomizeScalar: go-yaml v2 resolve over one plain scalar', () => {
  it('types as YAML 1.1 does: words, Go base-0 integers, YAML floats; anything else a string', () => {
    const cases: [string, unknown][] = [['on', true], ['Off', false], ['y', true], ['NO', false], ['~', null], ['012', 10], ['08', 8], ['0x1F', 31], ['-0x1F', -31], ['0o17', 15], ['0b101', 5], ['1_000', 1000], ['1e3', 1000], ['.5', 0.5], ['+.inf', Infinity], ['0x', '0x'], ['oN', 'oN'], ['1.2.3', '1.2.3'], ['2024-01-02', '2024-01-02'], ['prod-', 'prod-'], ['true', true]];
    for (const [text, want] of cases) expect([text, kustomizeScalar(text)]).toEqual([text, want]);
  });
});

describe('3. one object from an inner kustomization and from a file the outer one lists (RF946)', () => {
  const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
  const files = (inner: string, outerNs = 'namespace: ci\n') => ({
    'k/kustomization.yaml': `${outerNs}resources:\n  - base\n  - manager.yaml\n`,
    'k/base/kustomization.yaml': `${inner}resources:\n  - sa.yaml\n`,
    'k/base/sa.yaml': sa('gitlab-runner'),
    'k/manager.yaml': M.text,
  });

  it('base builds ServiceAccount gitlab-runner and manager.yaml writes it too: RF946 at manager.yaml naming both places, the build not read', () => {
    const f = files('');
    const r = walked(f);
    const x = codes(r, 'RF946');
    expect(x.map((y) => y.path)).toEqual([placeOf('k/kustomization.yaml', f['k/kustomization.yaml'], 'manager.yaml')]);
    expect(x[0]!.message).toContain(`resources[1] (manager.yaml) writes ServiceAccount default/gitlab-runner (v1), which resources[0] (base) builds (its kustomization, after its namespace, namePrefix and nameSuffix) too (${placeOf('k/manager.yaml', M.text, 'gitlab-runner')}; ${placeOf('k/base/sa.yaml', f['k/base/sa.yaml'], 'gitlab-runner')})`);
    expect(x[0]!.message).toContain('may not add resource with an already registered id: ServiceAccount');
    expect(managers(r)).toEqual([]);
  });

  it('the inner namespace or prefix that sets it apart builds (no RF946); the same inner namespace as written still clashes', () => {
    const apart = walked(files('namePrefix: base-\n'));
    expect(codes(apart, 'RF946')).toEqual([]);
    expect(managers(apart)[0]).toMatch(/^manager ci\/gitlab-runner /);
    expect(codes(walked(files('namespace: other\n')), 'RF946')).toEqual([]);
    expect(codes(walked(files('namespace: default\n')), 'RF946')).toHaveLength(1);
  });

  it('an inner build the doctor cannot follow (a transformer) is not compared', () => {
    expect(codes(walked(files('transformers:\n  - rename.yaml\n')), 'RF946')).toEqual([]);
  });
});

describe('6. a folder reached twice through a symbolic link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-50d-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A kustomization listing `entries`, beside folder a (a manager) and b, a link to a. */
  const tree = (name: string, entries: string[]): { root: string; k: string } => {
    const root = join(dir, name);
    mkdirSync(join(root, 'a'), { recursive: true });
    writeFileSync(join(root, 'a', 'kustomization.yaml'), 'resources:\n  - manager.yaml\n');
    writeFileSync(join(root, 'a', 'manager.yaml'), M.text);
    symlinkSync(join(root, 'a'), join(root, 'b'));
    const k = `namespace: ci\nresources:\n${entries.map((e) => `  - ${e}\n`).join('')}`;
    writeFileSync(join(root, 'kustomization.yaml'), k);
    return { root, k };
  };

  it('a and b (a link to a) both listed: kustomize builds the one folder twice and refuses (RF946 saying so, not that b does not exist)', async () => {
    const { root, k } = tree('twice', ['a', 'b']);
    const r = doctor((await walkFiles([root], 1 << 20)).files);
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf(join(root, 'kustomization.yaml'), k, 'b')]);
    expect(f[0]!.message).toContain(`resources[1] is b, which is the folder ${join(root, 'a')} (through a symbolic link) that resources[0] (a) lists already`);
    expect(f[0]!.message).toContain('may not add resource with an already registered id');
    expect(managers(r)).toEqual([]);
  });

  it('twin: b alone is the folder a, built once: the manager is read in ci (before, b "did not exist")', async () => {
    const { root } = tree('once', ['b']);
    const r = doctor((await walkFiles([root], 1 << 20)).files);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(managers(r)[0]).toMatch(/^manager ci\/gitlab-runner /);
  });
});

describe('5. a resource file with no extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-50d-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** What the CLI reads of a folder: the walk, then the kustomizations' resource files it did not read. */
  const cli = async (root: string): Promise<DoctorResult> => {
    const { files } = await walkFiles([root], 1 << 20);
    return doctor([...files, ...(await readKustomizeResources(files, 1 << 20))]);
  };

  it('resources lists `manager`, a file with no extension: kustomize reads it as resources, so does the doctor (no RF946, the manager read in ci)', async () => {
    const root = join(dir, 'plain');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'kustomization.yaml'), 'namespace: ci\nresources:\n  - manager\n');
    writeFileSync(join(root, 'manager'), M.text);
    const r = await cli(root);
    expect(codes(r, 'RF946')).toEqual([]);
    expect(managers(r)[0]).toMatch(new RegExp(`^manager ci/gitlab-runner \\(${join(root, 'manager').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:`));
  });

  it('twin: a name with no extension that is neither a file nor a folder is still RF946 (does not exist)', async () => {
    const root = join(dir, 'gone');
    mkdirSync(root, { recursive: true });
    const k = 'namespace: ci\nresources:\n  - manager\n';
    writeFileSync(join(root, 'kustomization.yaml'), k);
    const f = codes(await cli(root), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf(join(root, 'kustomization.yaml'), k, 'manager')]);
    expect(f[0]!.message).toContain('resources[0] is manager, which does not exist');
  });
});
