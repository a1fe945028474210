import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { jsonReport } from '../src/cli/report.js';
import { synthFiles } from '../src/core.js';
import { caseNames, corpusCaseDir } from './helpers/corpus-case.js';
import { ROOT, exampleNames, planExample } from './helpers/fleet.js';

/**
 * The bundled CLI (what `npm run build` makes and bin/runner-fleet.cjs runs) against the source that
 * every other test imports. esbuild puts all modules in one scope and orders them itself: an import
 * cycle can leave a binding undefined at load in the bundle only (helper 23a's Pod Identity crash,
 * "internal error: request.principal.id must be a non-empty string", while every vitest test passed).
 *
 * A node process per command loads the bundle through the bin's own entry (`load()`, the code
 * cache included, as every start does) and runs its `main()` over every doctor corpus case, or
 * every example, so the whole set costs three starts. One process per command, not one for all: the
 * bundle initialises a command's modules when the command first runs, in an order that depends on
 * which command that is, so a process that ran `doctor` first would plan with the doctor's order
 * (on 23a's cycle, `plan` of the Pod Identity example failed after a doctor run, and passed in a
 * process of its own, as a user runs it). The bin itself is started once more for a doctor and a
 * plan run, for its exit code through the process.
 */
const BIN = join(ROOT, 'bin', 'runner-fleet.cjs');
const CORPUS = join(ROOT, 'test', 'doctor', 'corpus');
const CASES = caseNames(CORPUS);
const EXAMPLES = exampleNames();

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the bundled CLI's main() over each command line in one node process (cwd: the package). */
async function bundled(argvs: string[][]): Promise<Run[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-bundle-'));
  const input = join(dir, 'argv.json');
  const output = join(dir, 'runs.json');
  writeFileSync(input, JSON.stringify(argvs));
  // The runs go to a file: stdout is the process's, and nothing the bundle prints can garble them.
  const driver = `
const { readFileSync, writeFileSync } = require('node:fs');
const { cli } = require(${JSON.stringify(BIN)}).load();
(async () => {
  const runs = [];
  for (const argv of JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'))) {
    let out = '';
    let err = '';
    const code = await cli.main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    runs.push({ code, out, err });
  }
  writeFileSync(${JSON.stringify(output)}, JSON.stringify(runs));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  await promisify(execFile)(process.execPath, ['-e', driver], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(readFileSync(output, 'utf8')) as Run[];
}

/** The source's main() in this process, over the same command line. */
async function inProcess(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Every file under dir (the synth manifest left out) with the SHA-256 of its bytes. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e !== '.runner-fleet-manifest.json') out[relative(dir, p).split('\\').join('/')] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');

type Report = { exitCode: number; findings: { code: string; severity: string; path: string }[]; proofs: { runner: string; claim: string; holds: boolean }[] };
/** What the brief names first, so a difference reads plainly before the whole report is compared. */
const gist = (r: Report) => ({
  exitCode: r.exitCode,
  findings: r.findings.map((f) => `${f.severity} ${f.code} ${f.path}`),
  proofs: r.proofs.map((p) => `${p.holds ? 'holds' : 'FAILS'} ${p.runner}: ${p.claim}`),
});

/** The case's folder as the corpus loader gives it: its own for a plain case, a temp folder for a patched one. */
const caseArg = (name: string) => {
  const dir = corpusCaseDir(name);
  return dir === join(CORPUS, name) ? `test/doctor/corpus/${name}` : dir;
};
const doctorArgv = (name: string) => ['doctor', caseArg(name), '--format', 'json'];
const planArgv = (name: string) => ['plan', `examples/${name}.yaml`, '--json'];

describe('the bundled CLI agrees with the source', () => {
  const synthOut = mkdtempSync(join(tmpdir(), 'runner-fleet-bundle-synth-'));
  const synthArgv = (name: string) => ['synth', `examples/${name}.yaml`, '--out', join(synthOut, name), '--json'];
  let runs: Map<string, Run>;
  const sources = new Map<string, Run>();

  beforeAll(async () => {
    const commands = [CASES.map(doctorArgv), EXAMPLES.map(planArgv), EXAMPLES.map(synthArgv)];
    const pending = Promise.all(commands.map(bundled));
    // The source's doctor runs here while the bundle's processes work.
    for (const name of CASES) sources.set(name, await inProcess(doctorArgv(name)));
    const got = await pending;
    runs = new Map(commands.flatMap((argvs, c) => argvs.map((a, i) => [a.join(' '), got[c]![i]!] as const)));
  }, 120_000);

  describe.each(CASES)('doctor corpus: %s', (name) => {
    it('doctor --format json: the same exit code, findings and proofs as the source in process', () => {
      const argv = doctorArgv(name);
      const bundle = runs.get(argv.join(' '))!;
      const source = sources.get(name)!;
      expect(bundle.err).toBe(source.err);
      const [b, s] = [JSON.parse(bundle.out) as Report, JSON.parse(source.out) as Report];
      expect(gist(b)).toEqual(gist(s));
      expect(b).toEqual(s);
      expect(bundle.code).toBe(source.code);
      expect(bundle.code).toBe(b.exitCode);
      // The corpus's own expectation (test/doctor-corpus.test.ts reads it in process) holds for the bundle too.
      const expected = JSON.parse(readFileSync(join(CORPUS, name, 'expected.json'), 'utf8')) as { findings: { code: string; at: string }[] };
      const prefix = `${caseArg(name)}/`;
      expect(b.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path.replace(prefix, '')}`).sort()).toEqual(expected.findings.map((f) => `${f.code} ${f.at}`).sort());
    });
  });

  describe.each(EXAMPLES)('example %s', (name) => {
    it('plan --json: the same exit code, findings and proofs as planValue in process', () => {
      const bundle = runs.get(planArgv(name).join(' '))!;
      const plan = planExample(name);
      const b = JSON.parse(bundle.out) as Report;
      const s = JSON.parse(jsonReport(plan)) as Report;
      expect(gist(b)).toEqual(gist(s));
      expect(b).toEqual(s);
      expect(bundle.code).toBe(plan.exitCode);
      expect(bundle.err).toBe('');
    });

    it('synth --json: the same files, byte for byte, as synthFiles in process', () => {
      const bundle = runs.get(synthArgv(name).join(' '))!;
      const files = synthFiles(planExample(name));
      expect(bundle.code).toBe(0);
      expect(bundle.err).toBe('');
      const report = JSON.parse(bundle.out) as Report & { written: string[] };
      expect(gist(report)).toEqual(gist(JSON.parse(jsonReport(planExample(name))) as Report));
      expect([...report.written].sort()).toEqual(files.map((f) => f.path).sort());
      expect(hashes(join(synthOut, name))).toEqual(Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])));
    });
  });
});

describe('bin/runner-fleet.cjs as a process', () => {
  it('doctor on an EKS Pod Identity deployment: the exit code and report of the source', async () => {
    const argv = doctorArgv('eks-pod-identity-hand-written');
    const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8' });
    const source = await inProcess(argv);
    expect(r.stderr).toBe(source.err);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(source.out));
    expect(r.status).toBe(source.code);
    expect(r.status).toBe(1);
  });

  it('plan of the Pod Identity example: exit 0 and the report of planValue', () => {
    const r = spawnSync(process.execPath, [BIN, ...planArgv('eks-pod-identity')], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(jsonReport(planExample('eks-pod-identity'))));
    expect(r.status).toBe(0);
  });
});
