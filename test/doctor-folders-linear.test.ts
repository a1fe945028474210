import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { doctor, runnerLabels, type InputFile } from '../src/doctor/index.js';
import { labelScanner, type RootLabel } from '../src/doctor/across-roots.js';
import { firstKeyWrittenIn } from '../src/doctor/key-index.js';
import { corpusFiles } from './helpers/doctor.js';
import { randomInt as random } from './helpers/rng.js';
import { countWork } from './helpers/work-count.js';

/**
 * The doctor over many deployments given together, each in its own folder (bench/doctor-folders.js):
 * its work grows with the folders, not with their square. What grew with the square (stop 49): one
 * regex alternating every runner label, tried at each place of each finding; the token parameter of
 * each manager by a substring test of every parameter; the cache bucket, each runner's root folder,
 * its cluster and its task family's region by a scan; the wide token readers copied per runner.
 */

/**
 * The work of one doctor run, counted, not timed (test/helpers/work-count.ts): the elements every
 * array search and object listing walks, and the size of every regex a string is searched with (an
 * alternation of every label is tried label by label).
 */
function work(files: InputFile[], chains: number): number {
  return countWork(() => expect(doctor(files).chains.size).toBe(chains), { regexSizes: true });
}

describe('the doctor over N folders of one Fargate deployment does work linear in N', () => {
  const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/ecs-fargate-hand-written', import.meta.url)));
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  // Each folder names its resources apart (`gitlab-` becomes `gitlab-<n>-`), as one module applied per environment does.
  const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(dec.decode(f.bytes).replace(/gitlab-/g, (m) => `${m}${i + 1}-`)) }))).flat();

  it('4x the folders, at most ~4x the work (a search of every folder per folder made it 8x)', () => {
    const small = work(folders(16), 16);
    const big = work(folders(64), 64);
    expect(big / small, `${small} for 16 folders, ${big} for 64`).toBeLessThan(4.6);
  });
});

describe('the doctor over N folders of one EKS deployment keeping its names does work linear in N', () => {
  // Every folder keeps namespace gitlab-runner and service account gitlab-runner (bench/doctor-folders.js):
  // each object's owners were found by comparing it with every chain of its namespace (stop 50).
  const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/irsa-guide-sound', import.meta.url)));
  const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: f.bytes }))).flat();

  it('4x the folders, at most ~4x the work (ownership pair by pair made it 9x)', () => {
    const small = work(folders(16), 16);
    const big = work(folders(64), 64);
    expect(big / small, `${small} for 16 folders, ${big} for 64`).toBeLessThan(4.6);
  });
});

describe('the doctor over N folders of one EKS manager written as a Deployment, keeping its names, does work linear in N', () => {
  // bench/doctor-folders.js eks-deployment: the prod folder of two-clusters-same-names-manifests (a
  // Deployment running gitlab-runner, its config.toml a ConfigMap's key, the roles' Terraform beside
  // it) in every folder with the same names, so each folder's objects are told apart only by their
  // folder. Grew with the square (stop 52): each manager workload asked every chain of its namespace
  // and service account whether it was apart, each workload's ServiceAccount was asked of every copy
  // whether it was of one deployment, and RF903 named every other root's role in each root's finding.
  const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/two-clusters-same-names-manifests/prod', import.meta.url)));
  const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: f.bytes }))).flat();
  const counted = (files: InputFile[], chains: number): number => countWork(() => expect(doctor(files).chains.size).toBe(chains), { regexSizes: true, lookups: true });

  it('4x the folders, at most ~4x the work, lookups counted (32 → 128: ~3.9x; the questions to every copy made it ~4.8x)', () => {
    const small = counted(folders(32), 32);
    const big = counted(folders(128), 128);
    expect(big / small, `${small} for 32 folders, ${big} for 128`).toBeLessThan(4.4);
  });
});

describe('labelScanner: the runner labels a text names, as one regex of them all would find them', () => {
  /** The regex it replaced: every label, longest first, not inside a longer name. */
  const oracle = (labels: readonly RootLabel[]) => {
    const alts = [...new Set(labels.map((l) => l.label))].sort((a, b) => b.length - a.length).map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`(?<![\\w./-])(?:${alts.join('|')})(?![\\w-])`, 'g');
  };

  it('takes the longest label at a place, and none inside a longer name', () => {
    const labels = runnerLabels(['prod/ci', 'prod/ci-2', 'staging/ci'], ['prod', 'staging']);
    const scan = labelScanner(labels)!;
    expect(scan.matches('runner prod/ci-2 and staging/ci; not xprod/ci, prod/ci_x or prod/ci-3').map((l) => l.label)).toEqual(['prod/ci-2', 'staging/ci']);
    expect(scan.replace('prod/ci beside staging/ci.', (l) => (l.folder === 'prod' ? l.name : l.label))).toBe('ci beside staging/ci.');
    expect(labelScanner([])).toBeUndefined();
  });

  it('agrees with the regex on random labels and texts', () => {
    const rnd = random(20261205);
    const parts = ['a', 'b', 'ab', 'a-b', 'x.y', 'ci', 'c_i'];
    const word = () => parts[rnd(parts.length)]!;
    for (let round = 0; round < 300; round++) {
      const folders = Array.from({ length: 2 + rnd(3) }, () => (rnd(3) === 0 ? `${word()}/${word()}` : word()));
      const names = Array.from({ length: 1 + rnd(6) }, () => `${folders[rnd(folders.length)]!}/${rnd(4) === 0 ? `${word()}/${word()}` : word()}`);
      const labels = runnerLabels(names, folders);
      const scan = labelScanner(labels);
      if (!scan) continue;
      const byLabel = new Map(labels.map((l) => [l.label, l]));
      const re = oracle(labels);
      const seps = [' ', '/', '.', '-', ':', '', '(', '_'];
      const text = Array.from({ length: 1 + rnd(8) }, () => (rnd(2) === 0 ? names[rnd(names.length)]! : word()) + seps[rnd(seps.length)]!).join('');
      expect(scan.matches(text), `${text} / ${names.join(' ')}`).toEqual([...text.matchAll(re)].map((m) => byLabel.get(m[0])!));
      expect(scan.replace(text, (l) => `<${l.folder}|${l.name}>`)).toBe(text.replace(re, (m) => `<${byLabel.get(m)!.folder}|${byLabel.get(m)!.name}>`));
    }
  });
});

describe('runnerLabels: each label with the longest root folder that starts it', () => {
  /** The search it replaced: every folder, longest first, per label. */
  const oracle = (names: readonly string[], rootFolders: readonly string[]): RootLabel[] => {
    const folders = [...new Set(rootFolders)].sort((a, b) => b.length - a.length);
    if (folders.length < 2) return [];
    return names.flatMap((label) => {
      const folder = folders.find((d) => label.startsWith(`${d}/`) && label.length > d.length + 1);
      return folder !== undefined ? [{ label, folder, name: label.slice(folder.length + 1) }] : [];
    });
  };

  it('takes the longer of two folders that start a label, and needs a name after the folder', () => {
    expect(runnerLabels(['a/b/ci', 'a/x', 'a/', 'b', '/', 'c/ci'], ['a', 'a/b', 'c'])).toEqual([
      { label: 'a/b/ci', folder: 'a/b', name: 'ci' },
      { label: 'a/x', folder: 'a', name: 'x' },
      { label: 'c/ci', folder: 'c', name: 'ci' },
    ]);
    expect(runnerLabels(['a/ci'], ['a'])).toEqual([]);
  });

  it('agrees with the search on random folders and names', () => {
    const rnd = random(20261206);
    const parts = ['', 'a', 'b', 'a/b', '.', 'ci'];
    for (let round = 0; round < 500; round++) {
      const folders = Array.from({ length: rnd(4) }, () => parts[rnd(parts.length)]!);
      const names = Array.from({ length: rnd(5) }, () => Array.from({ length: rnd(4) }, () => parts[rnd(parts.length)]!).join('/'));
      expect(runnerLabels(names, folders), `${names.join(' ')} in ${folders.join(' ')}`).toEqual(oracle(names, folders));
    }
  });
});

describe('firstKeyWrittenIn: the first resource whose name a text writes, as a scan of them finds it', () => {
  const scan = (byName: Record<string, Record<string, unknown>>, text: string) => Object.entries(byName).find(([, b]) => typeof b.name === 'string' && text.includes(b.name))?.[0];

  it('answers the first in the map order, not the first in the text', () => {
    const params = { a: { name: '/x/token-2' }, b: { name: '/x/token' }, c: { name: 42 }, d: { name: '' } };
    const lookup = firstKeyWrittenIn(params, 'name');
    expect(lookup('get-parameter --name /x/token-2')).toBe('a');
    expect(lookup('get-parameter --name /x/token')).toBe('b');
    expect(firstKeyWrittenIn({ a: { name: '/y' } }, 'name')('no parameter')).toBeUndefined();
    expect(firstKeyWrittenIn({ a: { name: '/y' }, b: { name: '' } }, 'name')('any text')).toBe('b');
    expect(firstKeyWrittenIn(undefined, 'name')('/y')).toBeUndefined();
  });

  it('reads a name holding a reference again per text (a rekey rewrites it), and falls back to a scan where a literal moved', () => {
    const params: Record<string, Record<string, unknown>> = { a: { name: '${aws_x.old.name}/token' }, b: { name: '/lit' } };
    const lookup = firstKeyWrittenIn(params, 'name');
    expect(lookup('${aws_x.new.name}/token /lit')).toBe('b');
    params.a = { name: '${aws_x.new.name}/token' };
    expect(lookup('${aws_x.new.name}/token /lit')).toBe('a');
    params.b = { name: '/other' };
    expect(lookup('/lit')).toBe(scan(params, '/lit'));
    expect(lookup('/lit')).toBeUndefined();
  });

  it('agrees with the scan on random names and texts', () => {
    const rnd = random(20261207);
    const parts = ['/a', '/b', 'a', '-1', '/token', '${x.y}', ''];
    const piece = () => Array.from({ length: 1 + rnd(3) }, () => parts[rnd(parts.length)]!).join('');
    for (let round = 0; round < 400; round++) {
      const params: Record<string, Record<string, unknown>> = {};
      for (let i = 0; i < 1 + rnd(8); i++) params[`k${i}`] = rnd(6) === 0 ? {} : { name: piece() };
      const lookup = firstKeyWrittenIn(params, 'name');
      for (let t = 0; t < 5; t++) {
        const text = Array.from({ length: rnd(5) }, piece).join(' ');
        expect(lookup(text), `${text} in ${JSON.stringify(params)}`).toBe(scan(params, text));
      }
    }
  });
});

describe('the doctor over N folders of one Deployment-run manager', () => {
  // A manager written as a Deployment whose config.toml is a ConfigMap's key (bench/doctor-folders.js,
  // case eks-deployment). Each manager's ConfigMap was found by a filter of every object given, each
  // plain workload's ServiceAccount by a filter of every copy, each role's origin by a search of every
  // role, and the fleet's accounts listed again per role (stop 51).
  const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/two-clusters-same-names-manifests/prod', import.meta.url)));
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  // Each folder names its namespace, service accounts and roles apart (`gitlab-` → `gitlab-<n>-`, not the image's).
  const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(dec.decode(f.bytes).replace(/(?<![\w/.-])gitlab-/g, (m) => `${m}${i + 1}-`)) }))).flat();
  const arrayWork = (files: InputFile[], n: number) => countWork(() => expect(doctor(files).chains.size).toBe(n));

  it('names per folder: 4x the folders, at most ~4x the work (the searches of every object, copy or role made it ~6x)', () => {
    const small = arrayWork(folders(32), 32);
    const big = arrayWork(folders(128), 128);
    expect(big / small, `${small} for 32 folders, ${big} for 128`).toBeLessThan(4.6);
  });
});
