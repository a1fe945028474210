/**
 * The doctor fuzzer's hostile folders: deployments of the doctor corpus written to disk in a
 * temporary folder, with things a careless or hostile repository can hold put beside them, and
 * `runner-fleet doctor <folder> --format json` run over them in-process (walk, called modules,
 * kustomize resources, the doctor, the report). The hostile things:
 * - linkOut: a symbolic link to a folder outside the folder given (holding a deployment file);
 * - linkLoop: two links that point at each other, named like deployment files;
 * - linkUp: a link to an ancestor folder (`again -> ..`), a loop a walk must not go round;
 * - deep: folders a few hundred levels deep, a config.toml at the bottom;
 * - fifo: a named pipe called `main.tf` or `values.yaml` (a read of it waits for a writer for ever);
 * - givenTwice: the folder and a file in it (or a folder in it) both named on the command line;
 * - unreadable: a file the user cannot read (chmod 000). Root reads any file, so as root this one is
 *   not made and is counted in `skipped` with the reason.
 *
 * Classes that must stay empty:
 * - crash: an exception escaped the command, or it ended with a code the README does not list;
 * - hang: the command had not ended after `hangMs` of wall-clock time (pipes are then opened for
 *   writing and closed, so the stuck read ends and the next case runs);
 * - exit-2: the command refused to run (exit 2) though every path named is there;
 * - unnamed: a hostile thing the doctor can say nothing true about unless it names it (a link out,
 *   a loop of links, the folder past the depth limit, a pipe, an unreadable file) is named by no finding;
 * - duplicate: naming a path twice, or a link to an ancestor, changed the findings of the folder alone;
 * - bad-position: a finding's path is neither empty nor `file:line:column`.
 */
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { doctorCommand } from '../../src/cli/doctor.js';
import { seeded } from '../helpers/rng.js';
import { caseNames } from '../helpers/corpus-case.js';
import { corpusFiles } from '../helpers/doctor.js';
import { crashDetail } from './engine.js';
import { doctorCaseSeedOf } from './doctor-engine.js';

export { doctorCaseSeedOf };

export const FOLDER_CLASSES = ['crash', 'hang', 'exit-2', 'unnamed', 'duplicate', 'bad-position'] as const;
export type FolderFuzzClass = (typeof FOLDER_CLASSES)[number];
export const HOSTILE = ['linkOut', 'linkLoop', 'linkUp', 'deep', 'fifo', 'givenTwice', 'unreadable'] as const;
export type Hostile = (typeof HOSTILE)[number];

export interface FolderFuzzOptions {
  seed: number;
  cases: number;
  corpusDirs: string[];
  first?: number;
  /** Wall-clock time after which a case is a hang (default 10 s). */
  hangMs?: number;
  /** Only these hostile things (default: all). */
  only?: readonly Hostile[];
  onCase?: (n: number, caseSeed: number) => void;
}

export interface FolderFuzzReport {
  cases: number;
  exits: Record<string, number>;
  counts: Record<FolderFuzzClass, number>;
  /** Hostile things not made, by reason (an unreadable file as root). */
  skipped: Record<string, number>;
  samples: { cls: FolderFuzzClass; caseSeed: number; mutations: string[]; detail: string }[];
  ms: number;
  slowest: { cpuMs: number; wallMs: number; caseSeed: number; mutations: string[] };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;
const ROOT_SKIP = 'an unreadable file cannot be made as root (root reads any file)';
const TOML = 'concurrent = 1\n[[runners]]\n  name = "deep"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n';

interface Run {
  code: number | 'hang';
  out: string;
  err: string;
  error?: unknown;
}

/** `doctor <paths> --format json` in-process, ended after `hangMs` (the pipes given are then opened and closed so their readers end). */
async function runDoctor(paths: string[], fifos: readonly string[], hangMs: number): Promise<Run> {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
  const command = doctorCommand(paths, { format: 'json' }, io, '0.0.0-fuzz').then(
    (code) => ({ code, out, err }),
    (error: unknown) => ({ code: 70, out, err, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), hangMs)));
  const first = await Promise.race([command, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  // Release readers stuck on a pipe: a writer that opens and closes gives them the end of the file.
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting
    }
  }
  await command;
  return { code: 'hang', out, err };
}

/** The deployment's files under `dir`, from the corpus. */
function writeDeployment(dir: string, files: readonly { path: string; bytes: Uint8Array }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.bytes);
  }
}

interface Made {
  /** Paths that some finding must name (by prefix). */
  named: string[];
  /** Extra paths given on the command line after the folder. */
  extraPaths: string[];
  /** Pipes made (released on a hang). */
  fifos: string[];
  /** The findings must equal those of the folder given alone. */
  sameAsAlone: boolean;
  /**
   * Files named on the command line beside their folder: one the walk passes over (a README, a
   * diagram) is said as RF902 "not a … file" when it is named, as any file named is; that one
   * finding is what naming it adds, and it is no duplicate.
   */
  namedFiles: string[];
}

/** Makes hostile thing `h` in case folder `caseDir` (deployment in `repo`); undefined when it cannot be made here (the reason counted). */
function make(h: Hostile, r: Rand, caseDir: string, repo: string, files: readonly { path: string }[], n: number, made: Made, skipped: Record<string, number>): boolean {
  switch (h) {
    case 'linkOut': {
      const outside = join(caseDir, `elsewhere${n}`);
      mkdirSync(outside, { recursive: true });
      writeFileSync(join(outside, 'config.toml'), TOML);
      const link = join(repo, `shared${n}`);
      symlinkSync(outside, link);
      made.named.push(link);
      return true;
    }
    case 'linkLoop': {
      const name = pick(r, ['main.tf', 'values.yaml', 'config.toml', 'loop.yaml']);
      const a = join(repo, `a${n}-${name}`);
      const b = join(repo, `b${n}-${name}`);
      symlinkSync(b, a);
      symlinkSync(a, b);
      made.named.push(a, b);
      return true;
    }
    case 'linkUp': {
      // In the folder itself (`again -> .`) or one level down (`sub/again -> ..`): either way the folder given.
      if (r() < 0.5) symlinkSync('.', join(repo, `again${n}`));
      else {
        mkdirSync(join(repo, `sub${n}`), { recursive: true });
        symlinkSync('..', join(repo, `sub${n}`, 'again'));
      }
      made.sameAsAlone = true;
      return true;
    }
    case 'deep': {
      const levels = 100 + Math.floor(r() * 300);
      const bottom = join(repo, ...Array.from({ length: levels }, () => 'd'));
      mkdirSync(bottom, { recursive: true });
      writeFileSync(join(bottom, 'config.toml'), TOML);
      made.named.push(join(repo, 'd'));
      return true;
    }
    case 'fifo': {
      const name = pick(r, ['main.tf', 'values.yaml', 'config.toml', 'pipe.tf.json']);
      const near = join(repo, pick(r, ['', 'pipe', 'k8s']), name);
      // Beside the deployment's own files, never in place of one.
      const at = existsSync(near) ? join(repo, `pipe${n}`, name) : near;
      mkdirSync(dirname(at), { recursive: true });
      try {
        execFileSync('mkfifo', [at]);
      } catch {
        skipped['mkfifo failed (no mkfifo, or the name was taken)'] = (skipped['mkfifo failed (no mkfifo, or the name was taken)'] ?? 0) + 1;
        return false;
      }
      made.fifos.push(at);
      made.named.push(at);
      return true;
    }
    case 'givenTwice': {
      const f = pick(r, files);
      const asFile = r() < 0.7 || !f.path.includes('/');
      made.extraPaths.push(asFile ? join(repo, f.path) : join(repo, dirname(f.path)));
      if (asFile) made.namedFiles.push(join(repo, f.path));
      made.sameAsAlone = true;
      return true;
    }
    case 'unreadable': {
      if (isRoot()) {
        skipped[ROOT_SKIP] = (skipped[ROOT_SKIP] ?? 0) + 1;
        return false;
      }
      const at = join(repo, `secret${n}.yaml`);
      writeFileSync(at, 'runners:\n  privileged: true\n');
      chmodSync(at, 0);
      made.named.push(at);
      return true;
    }
  }
}

const findingKey = (f: { code: string; path: string; message: string }, caseDir: string): string => `${f.code} ${f.path.split(caseDir).join('<case>')} ${f.message.split(caseDir).join('<case>')}`;

export async function fuzzDoctorFolders(opts: FolderFuzzOptions): Promise<FolderFuzzReport> {
  const hangMs = opts.hangMs ?? 10_000;
  const kinds = opts.only ?? HOSTILE;
  const deployments = opts.corpusDirs.flatMap((root) => caseNames(root).map((d) => ({ name: d, files: corpusFiles(join(root, d)) })));
  const counts = Object.fromEntries(FOLDER_CLASSES.map((c) => [c, 0])) as Record<FolderFuzzClass, number>;
  const exits: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const samples: FolderFuzzReport['samples'] = [];
  let slowest: FolderFuzzReport['slowest'] = { cpuMs: 0, wallMs: 0, caseSeed: 0, mutations: [] };
  const fail = (cls: FolderFuzzClass, caseSeed: number, mutations: string[], detail: string) => {
    counts[cls]++;
    if (samples.filter((s) => s.cls === cls).length < 5) samples.push({ cls, caseSeed, mutations, detail: detail.slice(0, 600) });
  };
  const top = mkdtempSync(join(tmpdir(), 'rf-fuzz-folders-'));
  const t0 = performance.now();
  try {
    for (let n = opts.first ?? 0; n < opts.cases; n++) {
      const caseSeed = doctorCaseSeedOf(opts.seed, n);
      opts.onCase?.(n, caseSeed);
      const r = seeded(caseSeed);
      const deployment = pick(r, deployments);
      const caseDir = join(top, `c${n}`);
      const repo = join(caseDir, 'repo');
      writeDeployment(repo, deployment.files);
      const chosen = Array.from({ length: r() < 0.3 ? 2 : 1 }, () => pick(r, kinds));
      // The findings of the folder alone, for the hostile things that must not change them.
      const alone = chosen.some((h) => h === 'givenTwice' || h === 'linkUp') ? await runDoctor([repo], [], hangMs) : undefined;
      const made: Made = { named: [], extraPaths: [], fifos: [], sameAsAlone: false, namedFiles: [] };
      const mutations = [deployment.name];
      chosen.forEach((h, i) => {
        if (make(h, r, caseDir, repo, deployment.files, i, made, skipped)) mutations.push(h);
      });
      if (mutations.length === 1) {
        rmSync(caseDir, { recursive: true, force: true });
        continue;
      }
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      const run = await runDoctor([repo, ...made.extraPaths], made.fifos, hangMs);
      const used = process.cpuUsage(cpu0);
      const time = { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start };
      if (time.wallMs > slowest.wallMs) slowest = { ...time, caseSeed, mutations };
      exits[String(run.code)] = (exits[String(run.code)] ?? 0) + 1;
      try {
        if (run.code === 'hang') {
          fail('hang', caseSeed, mutations, `did not end within ${hangMs} ms (wall-clock)`);
          continue;
        }
        if (run.error !== undefined || ![0, 1, 2].includes(run.code)) {
          fail('crash', caseSeed, mutations, run.error !== undefined ? crashDetail(run.error) : `exit ${run.code}: ${run.err}`);
          continue;
        }
        if (run.code === 2) {
          fail('exit-2', caseSeed, mutations, run.err);
          continue;
        }
        const findings = (JSON.parse(run.out) as { findings: { code: string; path: string; message: string }[] }).findings;
        const stray = findings.find((f) => f.path !== '' && !/^.+:\d+:\d+$/.test(f.path));
        if (stray) fail('bad-position', caseSeed, mutations, `${stray.code} ${stray.path}: ${stray.message}`);
        const unnamed = made.named.filter((p) => !findings.some((f) => f.path.startsWith(`${p}:`) || f.path.startsWith(`${p}/`)));
        if (unnamed.length > 0) fail('unnamed', caseSeed, mutations, `no finding names ${unnamed.map((p) => p.slice(caseDir.length + 1)).join(', ')}`);
        if (made.sameAsAlone && made.named.length === 0 && alone !== undefined && alone.code !== 'hang') {
          const before = alone.code === 2 ? [] : (JSON.parse(alone.out) as { findings: { code: string; path: string; message: string }[] }).findings.map((f) => findingKey(f, caseDir)).sort();
          const skippedWhenNamed = (f: { code: string; path: string; message: string }) => f.code === 'RF902' && / is not a YAML, JSON, TOML or Terraform file; skipped$/.test(f.message) && made.namedFiles.some((p) => f.path === `${p}:1:1`);
          const after = findings.filter((f) => !skippedWhenNamed(f) || before.includes(findingKey(f, caseDir))).map((f) => findingKey(f, caseDir)).sort();
          if (JSON.stringify(before) !== JSON.stringify(after)) {
            const extra = after.filter((k) => !before.includes(k));
            const lost = before.filter((k) => !after.includes(k));
            fail('duplicate', caseSeed, mutations, `${after.length} findings, ${before.length} for the folder alone; new: ${extra.slice(0, 3).join(' | ')}; lost: ${lost.slice(0, 3).join(' | ')}`);
          }
        }
      } finally {
        rmSync(caseDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
  return { cases: opts.cases - (opts.first ?? 0), exits, counts, skipped, samples, ms: performance.now() - t0, slowest };
}
