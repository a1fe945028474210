import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ROOT } from './helpers/fleet.js';

/**
 * The start-up scripts (scripts/bundle.js): `plan` loads dist/cli-start/runner-fleet.js only; the
 * doctor and the operations commands are parts of their own (runner-fleet-doctor.js,
 * runner-fleet-ops.js), each with its code cache, compiled by the bin when their command runs.
 */
const START = join(ROOT, 'dist', 'cli-start');
const BIN = join(ROOT, 'bin', 'runner-fleet.cjs');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'hand-vm');
const tiering = (err: string) => err.split('\n').filter((l) => !l.startsWith('runner-fleet: V8 tiering')).join('\n');

/** Strings of the doctor's and the operations' code, each written in one source file only. */
const MARKERS = [
  { part: 'doctor', file: 'src/cli/doctor.ts', text: 'for standard input: name /dev/stdin to read it' },
  { part: 'doctor', file: 'src/doctor/index.ts', text: 'remove the dangling link, or name the files to read' },
  // The platforms' and caches' doctor readers and the src/doctor modules they use: registered with
  // the doctor (src/doctor/platform-readers.ts), not on the plugins that plan loads.
  { part: 'doctor', file: 'src/platforms/eks/doctor.ts', text: ', whose tokens its trust refuses)' },
  { part: 'doctor', file: 'src/platforms/aks/doctor.ts', text: 'https://aks.invalid/NOTINTHEEVIDENCE/' },
  { part: 'doctor', file: 'src/caches/s3/doctor.ts', text: 'cannot be read as an S3 cache: ' },
  { part: 'doctor', file: 'src/doctor/hcl/eval.ts', text: 'kubernetes_certificate_signing_request' },
  { part: 'doctor', file: 'src/doctor/vm.ts', text: 'is TOML only once Terraform fills in ' },
  { part: 'ops', file: 'src/cli/ops.ts', text: 'needs a GitLab access token in RUNNER_FLEET_GITLAB_TOKEN' },
  { part: 'ops', file: 'src/live/gitlab.ts', text: 'a full page without x-next-page or Link: page' },
];

function srcFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the package's start files (bin and dist/cli-start) in a folder of its own. */
function copy(): { pkg: string; start: string; bin: string } {
  const pkg = mkdtempSync(join(tmpdir(), 'rf-start-parts-'));
  dirs.push(pkg);
  cpSync(join(ROOT, 'bin', 'runner-fleet.cjs'), join(pkg, 'bin', 'runner-fleet.cjs'));
  cpSync(START, join(pkg, 'dist', 'cli-start'), { recursive: true });
  return { pkg, start: join(pkg, 'dist', 'cli-start'), bin: join(pkg, 'bin', 'runner-fleet.cjs') };
}

function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const own: Record<string, string | undefined> = { ...process.env, RUNNER_FLEET_DEBUG_START: '1', ...env };
  delete own.RUNNER_FLEET_GITLAB_TOKEN;
  delete own.GITLAB_TOKEN;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env: own });
  return { code: r.status, out: r.stdout, err: tiering(r.stderr) };
}

async function fromSource(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('the start-up scripts: the doctor and the operations commands load only when they run', () => {
  it('the CLI script holds none of their code; their parts do', () => {
    const cli = readFileSync(join(START, 'runner-fleet.js'), 'latin1');
    const parts = { doctor: readFileSync(join(START, 'runner-fleet-doctor.js'), 'latin1'), ops: readFileSync(join(START, 'runner-fleet-ops.js'), 'latin1') };
    const sources = srcFiles(join(ROOT, 'src')).map((f) => ({ f: f.slice(ROOT.length + 1).split('\\').join('/'), text: readFileSync(f, 'utf8') }));
    for (const m of MARKERS) {
      // The marker is the doctor's (or the operations') own: no other source file has it.
      expect(sources.filter((s) => s.text.includes(m.text)).map((s) => s.f)).toEqual([m.file]);
      expect(cli.includes(m.text), `${m.text} in runner-fleet.js`).toBe(false);
      expect(parts[m.part as 'doctor' | 'ops'].includes(m.text), `${m.text} in runner-fleet-${m.part}.js`).toBe(true);
    }
  });

  it('plan compiles the CLI script only; doctor and status compile their part with its cache, and print what the sources print', async () => {
    const plan = run(BIN, ['plan', 'examples/eks-irsa.yaml', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.err).toBe('runner-fleet: code cache used\n');

    const doctor = run(BIN, ['doctor', FIXTURE, '--format', 'json']);
    const doctorSrc = await fromSource(['doctor', FIXTURE, '--format', 'json']);
    expect(doctor.code).toBe(doctorSrc.code);
    expect(doctor.out).toBe(doctorSrc.out);
    expect(doctor.out).toContain('"findings"');
    expect(doctor.err).toBe('runner-fleet: code cache used\nrunner-fleet: code cache of the doctor part used\n');

    // No GitLab token: the command stops, exit 2, before it sends anything.
    const status = run(BIN, ['status', 'examples/eks-irsa.yaml']);
    expect(status.code).toBe(2);
    expect(status.err).toMatch(/^runner-fleet: code cache used\nrunner-fleet: code cache of the ops part used\nrunner-fleet status: needs a GitLab access token in RUNNER_FLEET_GITLAB_TOKEN/);
  });

  it("refuses a part's cache made for another build or damaged, and runs the command without it", () => {
    const { start, bin } = copy();
    const reference = run(BIN, ['doctor', FIXTURE, '--format', 'json']);
    const cache = readFileSync(join(start, 'runner-fleet-doctor.cache'));

    const otherBuild = Buffer.from(cache);
    otherBuild.write('0000000000000000', 0, 'latin1');
    writeFileSync(join(start, 'runner-fleet-doctor.cache'), otherBuild);
    const a = run(bin, ['doctor', FIXTURE, '--format', 'json']);
    expect(a.err).toBe('runner-fleet: code cache used\nrunner-fleet: code cache of the doctor part refused: it was made for another build of the script\n');
    expect(a.code).toBe(reference.code);
    expect(a.out).toBe(reference.out);

    const damaged = Buffer.from(cache);
    damaged.fill(0x5a, 96 + 50_000, 96 + 54_096);
    writeFileSync(join(start, 'runner-fleet-doctor.cache'), damaged);
    const b = run(bin, ['doctor', FIXTURE, '--format', 'json']);
    expect(b.err).toBe('runner-fleet: code cache used\nrunner-fleet: code cache of the doctor part refused: it is damaged (its SHA-256 does not match)\n');
    expect(b.out).toBe(reference.out);

    rmSync(join(start, 'runner-fleet-ops.cache'));
    const c = run(bin, ['status', 'examples/eks-irsa.yaml']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/^runner-fleet: code cache used\nrunner-fleet: code cache of the ops part absent \(ENOENT\)\nrunner-fleet status: needs a GitLab access token/);

    const d = run(bin, ['doctor', FIXTURE, '--format', 'json'], { RUNNER_FLEET_NO_CODE_CACHE: '1' });
    expect(d.err).toBe('runner-fleet: code cache not used (RUNNER_FLEET_NO_CODE_CACHE is set)\nrunner-fleet: code cache of the doctor part not used (RUNNER_FLEET_NO_CODE_CACHE is set)\n');
    expect(d.out).toBe(reference.out);
  });

  it('refuses a part made with another build of the CLI script, or missing (exit 70, no stack); plan still runs', () => {
    const { start, bin } = copy();
    const doctorJs = join(start, 'runner-fleet-doctor.js');
    const source = readFileSync(doctorJs, 'latin1');
    // The part's last line names the CLI script's build; another build's numbers mean other modules.
    const stale = source.replace(/ for ([0-9a-f]{16})\n$/, ' for 0123456789abcdef\n');
    expect(stale).not.toBe(source);
    writeFileSync(doctorJs, stale, 'latin1');
    const a = run(bin, ['doctor', FIXTURE]);
    expect(a.code).toBe(70);
    expect(a.err).toBe(`runner-fleet: code cache used\nrunner-fleet: ${doctorJs} was not built with ${join(start, 'runner-fleet.js')}: run \`npm run build\` in the runner-fleet package\n`);
    expect(a.out).toBe('');

    rmSync(join(start, 'runner-fleet-ops.js'));
    const b = run(bin, ['status', 'examples/eks-irsa.yaml']);
    expect(b.code).toBe(70);
    expect(b.err).toBe(`runner-fleet: code cache used\nrunner-fleet: cannot read ${join(start, 'runner-fleet-ops.js')} (ENOENT): run \`npm run build\` in the runner-fleet package\n`);

    const plan = run(bin, ['plan', 'examples/eks-irsa.yaml']);
    expect(plan.code).toBe(0);
    expect(plan.err).toBe('runner-fleet: code cache used\n');
  });
});
