import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readEvidence } from '../src/doctor/index.js';
import { kustomizeGenerateWork } from '../src/doctor/kustomize-generate.js';
import { generatorEntryWork } from '../src/doctor/kustomize-generator-entries.js';
import { codesIn, doctorWalked, folderInputs, managerRunnerToml, placeOf, plainManager } from './helpers/doctor.js';
import { kubectlKustomize, report, writtenTree } from './helpers/tools.js';

/**
 * Stop 63b: kustomize's generator entries read in one place (src/doctor/kustomize-generator-entries.ts):
 * a generator naming a file that is not there fails `kustomize build` (RF946); a Component's
 * generators make objects of the build listing it; an overlay's merge into a base's generated object
 * changes a copy, not the base's object another overlay reads; and the generated objects of a chain of
 * kustomizations are made in work linear in its length.
 */

const TOML = managerRunnerToml(['namespace = "jobs"', 'image = "alpine:3.22"']);
const MANAGER = () => {
  const m = plainManager({ configMap: 'runner-config' });
  return `${m.serviceAccounts}---\n${m.deployment}`;
};
const jobsLine = (r: ReturnType<typeof doctorWalked>) => [...r.chains.values()].flat().find((l) => l.startsWith('jobs '));
const rf946 = (r: ReturnType<typeof doctorWalked>) => codesIn(r, 'RF946').map((f) => ({ path: f.path, message: f.message, fix: f.fix }));
const SO = '; so nothing this kustomization (or one listing it) builds is deployed, and the doctor does not read its objects as deployed';

describe('a generator naming a file that is not there: kustomize build fails (RF946)', () => {
  const K = (gen: string) => `namespace: ci\nresources:\n  - manager.yaml\n${gen}`;
  it('files: [missing.toml]', () => {
    const k = K('configMapGenerator:\n  - name: runner-config\n    files:\n      - missing.toml\n');
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': MANAGER() });
    expect(rf946(r)).toEqual([{
      path: placeOf('app/kustomization.yaml', k, 'missing.toml'),
      message: `app/kustomization.yaml configMapGenerator[0].files[0] is missing.toml: configMapGenerator runner-config reads app/missing.toml, which does not exist: \`kustomize build\` fails (loading KV pairs: file sources: ...: lstat app/missing.toml: no such file or directory)${SO}`,
      fix: 'add app/missing.toml, or correct the path in configMapGenerator[0].files[0] of app/kustomization.yaml (relative to app/)',
    }]);
  });
  it('files: [k=nope.toml], the second file of the entry', () => {
    const k = K('configMapGenerator:\n  - name: runner-config\n    files:\n      - config.toml\n      - k=nope.toml\n');
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': MANAGER(), 'app/config.toml': TOML });
    expect(rf946(r)).toEqual([{
      path: placeOf('app/kustomization.yaml', k, 'k=nope.toml'),
      message: `app/kustomization.yaml configMapGenerator[0].files[1] is k=nope.toml: configMapGenerator runner-config reads app/nope.toml, which does not exist: \`kustomize build\` fails (loading KV pairs: file sources: ...: lstat app/nope.toml: no such file or directory)${SO}`,
      fix: 'add app/nope.toml, or correct the path in configMapGenerator[0].files[1] of app/kustomization.yaml (relative to app/)',
    }]);
  });
  it('secretGenerator envs: [nope.env] (said before a files entry of the same generator, as kustomize reads env files first)', () => {
    const k = K('secretGenerator:\n  - name: token\n    files:\n      - gone.txt\n    envs:\n      - nope.env\n');
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': MANAGER() });
    expect(rf946(r)).toEqual([{
      path: placeOf('app/kustomization.yaml', k, 'nope.env'),
      message: `app/kustomization.yaml secretGenerator[0].envs[0] is nope.env: secretGenerator token reads app/nope.env, which does not exist: \`kustomize build\` fails (loading KV pairs: env source files: ...: lstat app/nope.env: no such file or directory)${SO}`,
      fix: 'add app/nope.env, or correct the path in secretGenerator[0].envs[0] of app/kustomization.yaml (relative to app/)',
    }]);
  });
  it('twin: every file there, no RF946, and the generated config.toml is the manager\'s', () => {
    const k = K('configMapGenerator:\n  - name: runner-config\n    files:\n      - config.toml\n      - k=other.toml\nsecretGenerator:\n  - name: token\n    envs:\n      - token.env\n');
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': MANAGER(), 'app/config.toml': TOML, 'app/other.toml': 'a = 1\n', 'app/token.env': 'T=x\n' });
    expect(rf946(r)).toEqual([]);
    expect(jobsLine(r)).toBe('jobs jobs/default (app/config.toml:6:3)');
  });
  it('a file only named, not walked (its folder not read whole): not said, as it may be there', () => {
    const k = K('configMapGenerator:\n  - name: runner-config\n    files:\n      - missing.toml\n');
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': MANAGER() });
    expect(rf946(r)).toHaveLength(1);
    const named = readEvidence([{ path: 'app/kustomization.yaml', bytes: new TextEncoder().encode(k) }, { path: 'app/manager.yaml', bytes: new TextEncoder().encode(MANAGER()) }]);
    expect(named.findings.filter((f) => f.code === 'RF946')).toEqual([]);
  });
});

describe('a Component\'s generators make objects of the build listing it', () => {
  const files = {
    'app/kustomization.yaml': 'namespace: ci\nresources:\n  - manager.yaml\ncomponents:\n  - ../runner\n',
    'app/manager.yaml': MANAGER(),
    'runner/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n  - name: runner-config\n    files:\n      - config.toml\n',
    'runner/config.toml': TOML,
  };
  it('the component\'s config.toml (in its own folder) is the manager\'s', () => {
    const r = doctorWalked(files);
    expect(jobsLine(r)).toBe('jobs jobs/default (runner/config.toml:6:3)');
  });
  it('twin: the app not listing the component has no runner-config (the manager\'s config.toml is not in the evidence)', () => {
    const r = doctorWalked({ ...files, 'app/kustomization.yaml': 'namespace: ci\nresources:\n  - manager.yaml\n' });
    expect(jobsLine(r)).toBe('jobs ci/default (app/manager.yaml:6:1)');
  });
});

describe('behavior: merge into a base\'s generated object changes a copy', () => {
  it('two overlays merging different keys into one base: each sees its own key, not the other\'s', () => {
    const ev = readEvidence(folderInputs(TWO_OVERLAYS));
    const data = (folder: string) => {
      const inBuild = ev.kustomizeBuilds?.get(folder) ?? new Set<string>();
      const cms = ev.kubernetes.filter((o) => o.value.kind === 'ConfigMap' && o.value.metadata.name === 'settings' && inBuild.has(o.origin.source.path));
      return cms.at(-1)?.value.data;
    };
    expect(data('a/')).toEqual({ base: '1', a: 'yes' });
    expect(data('b/')).toEqual({ base: '1', b: 'yes' });
    expect(data('base/')).toEqual({ base: '1' });
  });
});

const TWO_OVERLAYS: Record<string, string> = {
  'base/kustomization.yaml': 'configMapGenerator:\n  - name: settings\n    literals:\n      - base=1\n',
  'a/kustomization.yaml': 'namespace: a\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: settings\n    behavior: merge\n    literals:\n      - a=yes\n',
  'b/kustomization.yaml': 'namespace: b\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: settings\n    behavior: merge\n    literals:\n      - b=yes\n',
};

describe('linear: a chain of kustomizations, each with a generator entry', () => {
  beforeEach(() => {
    kustomizeGenerateWork.placed = 0;
    kustomizeGenerateWork.looked = 0;
    generatorEntryWork.entries = 0;
  });
  /** k0 generates `settings`; each above lists the one below and merges a key into it. */
  const chain = (n: number): Record<string, string> => {
    const files: Record<string, string> = { 'k0/kustomization.yaml': 'configMapGenerator:\n  - name: settings\n    literals:\n      - k0=0\n' };
    for (let i = 1; i < n; i++) files[`k${i}/kustomization.yaml`] = `resources:\n  - ../k${i - 1}\nconfigMapGenerator:\n  - name: settings\n    behavior: merge\n    literals:\n      - k${i}=${i}\n`;
    return files;
  };
  const count = (n: number) => {
    kustomizeGenerateWork.placed = 0;
    kustomizeGenerateWork.looked = 0;
    const ev = readEvidence(folderInputs(chain(n)));
    return { placed: kustomizeGenerateWork.placed, looked: kustomizeGenerateWork.looked, ev };
  };
  it('2,000: each placed once, each merge finds its target one kustomization down; k0\'s own object kept as k0 builds it (65d), one copy past it with all 2,000 keys', () => {
    const { placed, looked, ev } = count(2_000);
    expect(placed).toBe(2_000);
    expect(looked).toBe(1_999);
    const all = ev.kubernetes.filter((o) => o.value.kind === 'ConfigMap');
    expect(all.map((o) => o.origin.source.path)).toEqual(['k0/kustomization.yaml', 'k1/kustomization.yaml']);
    expect(all[0]!.value.data).toEqual({ k0: '0' });
    expect(Object.keys(all[1]!.value.data as Record<string, string>)).toHaveLength(2_000);
  }, 300_000);
  it('twice the chain, twice the work: 500 and 1,000', () => {
    const a = count(500);
    const b = count(1_000);
    expect(b.placed).toBeLessThanOrEqual(2 * a.placed + 2);
    expect(b.looked).toBeLessThanOrEqual(2 * a.looked + 2);
  }, 300_000);
});

/** The real tool: `kubectl kustomize` of each case against what the doctor says. */
const { kubectl, skip } = kubectlKustomize();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const written = (files: Record<string, string>): string => writtenTree('rf-63b-', files, dirs);
const built = (dir: string, build: string) => spawnSync(kubectl!, ['kustomize', join(dir, build)], { encoding: 'utf8' });
type Doc = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };
const configMaps = (out: string): Doc[] => parseAllDocuments(out).map((d) => d.toJS() as Doc).filter((o) => o.kind === 'ConfigMap');

describe.skipIf(skip !== undefined)('against kubectl kustomize', () => {
  it.each([
    ['files: [missing.toml]', 'configMapGenerator:\n  - name: c\n    files:\n      - missing.toml\n', 'file sources: [missing.toml]: evalsymlink failure'],
    ['files: [k=nope.toml]', 'configMapGenerator:\n  - name: c\n    files:\n      - k=nope.toml\n', 'file sources: [k=nope.toml]: evalsymlink failure'],
    ['envs: [nope.env]', 'secretGenerator:\n  - name: c\n    envs:\n      - nope.env\n', 'env source files: [nope.env]: evalsymlink failure'],
    ['files: [../out.toml] (outside the folder, there)', 'configMapGenerator:\n  - name: c\n    files:\n      - ../out.toml\n', 'is not in or below'],
  ])('%s: kustomize build fails, and the doctor says RF946', (_name, k, error) => {
    const files = { 'app/kustomization.yaml': k, 'out.toml': 'a = 1\n' };
    const out = built(written(files), 'app');
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain(error);
    expect(codesIn(doctorWalked(files), 'RF946')).toHaveLength(1);
  });
  it('twin: the file there, the build passes and the doctor says nothing', () => {
    const files = { 'app/kustomization.yaml': 'configMapGenerator:\n  - name: c\n    files:\n      - out.toml\n', 'app/out.toml': 'a = 1\n' };
    expect(built(written(files), 'app').status).toBe(0);
    expect(codesIn(doctorWalked(files), 'RF946')).toEqual([]);
  });
  it('a component\'s generator: the ConfigMap kustomize makes, with the component folder\'s file, is the doctor\'s', () => {
    const files = {
      'app/kustomization.yaml': 'namespace: ci\ncomponents:\n  - ../runner\nconfigMapGenerator:\n  - name: own\n    literals:\n      - x=1\n',
      'runner/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n  - name: runner-config\n    files:\n      - config.toml\n    literals:\n      - extra=yes\n',
      'runner/config.toml': TOML,
    };
    const out = built(written(files), 'app');
    expect(out.status, out.stderr).toBe(0);
    const real = configMaps(out.stdout).map((o) => ({ name: o.metadata.name.replace(/-[a-z0-9]{10}$/, ''), namespace: o.metadata.namespace, data: o.data }));
    const ev = readEvidence(folderInputs(files));
    const ours = ev.kubernetes.filter((o) => o.value.kind === 'ConfigMap').map((o) => ({ name: o.value.metadata.name, namespace: o.value.metadata.namespace, data: o.value.data }));
    const by = (l: { name: string }[]) => [...l].sort((a, b) => a.name.localeCompare(b.name));
    expect(by(ours)).toEqual(by(real));
  });
  it.each(['a', 'b', 'base'])('two overlays merging into one base: the build of %s', (build) => {
    const out = built(written(TWO_OVERLAYS), build);
    expect(out.status, out.stderr).toBe(0);
    const real = configMaps(out.stdout);
    expect(real).toHaveLength(1);
    const ev = readEvidence(folderInputs(TWO_OVERLAYS));
    const inBuild = ev.kustomizeBuilds?.get(`${build}/`) ?? new Set<string>();
    const ours = ev.kubernetes.filter((o) => o.value.kind === 'ConfigMap' && inBuild.has(o.origin.source.path)).at(-1);
    expect(ours?.value.data).toEqual(real[0]!.data);
    // The base's own object is one object of the files, read in the first build listing it (its namespace there: kustomize-namespace.ts sharedBases); each overlay's is its copy.
    if (build !== 'base') expect(ours?.value.metadata.namespace).toBe(real[0]!.metadata.namespace);
  });
});

it('kubectl kustomize conformance of the generators (63b) ran or said why not', () => {
  report(skip ? `SKIPPED: kubectl kustomize generators (63b): ${skip}` : 'RAN: kubectl kustomize generators (63b)');
  expect(true).toBe(true);
});
