import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, minimalFleet } from './helpers/fleet.js';

const BIN = join(ROOT, 'bin', 'runner-fleet.cjs');

let extraEnv: Record<string, string> = {};

function run(...args: string[]) {
  const r = spawnSync(BIN, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...extraEnv } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'runner-fleet-cli-'));

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p, `${rel}${e}/`);
      else out[`${rel}${e}`] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

/** The tiering line the bin writes first under RUNNER_FLEET_DEBUG_START, for this node's V8. */
const V8_MAJOR = process.versions.v8.split('.')[0]!;
const TIERING = ({ '11': '--interrupt-budget=540672', '12': '--invocation-count-for-maglev=3200 --invocation-count-for-turbofan=24000', '13': '--invocation-count-for-maglev=3200 --invocation-count-for-turbofan=24000' } as Record<string, string>)[V8_MAJOR];
const TIERED = `runner-fleet: V8 tiering ${TIERING ?? `Node's defaults (none measured for V8 ${process.versions.v8})`}\n`;

describe('runner-fleet CLI (built)', () => {
  it('is built: one script and its code cache', () => {
    expect(existsSync(join(ROOT, 'dist', 'cli-start', 'runner-fleet.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'cli-start', 'runner-fleet.cache'))).toBe(true);
  });

  it('starts with the code cache, and without it alike', () => {
    extraEnv = { RUNNER_FLEET_DEBUG_START: '1' };
    const cached = run('plan', 'examples/eks-pod-identity.yaml', '--json');
    extraEnv = { RUNNER_FLEET_DEBUG_START: '1', RUNNER_FLEET_NO_CODE_CACHE: '1' };
    const plain = run('plan', 'examples/eks-pod-identity.yaml', '--json');
    const version = run('--version');
    extraEnv = {};
    // The build made the cache with this very node, so V8 takes it.
    expect(cached.err).toBe(`${TIERED}runner-fleet: code cache used\n`);
    expect(plain.err).toBe(`${TIERED}runner-fleet: code cache not used (RUNNER_FLEET_NO_CODE_CACHE is set)\n`);
    expect(cached.code).toBe(0);
    expect(cached.out).toBe(plain.out);
    expect(version.out.trim()).toBe(run('--version').out.trim());
    expect(version.out.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it("raises V8's tiering thresholds before it compiles (the cache is made under them); RUNNER_FLEET_DEFAULT_JIT keeps Node's, with the same output", () => {
    extraEnv = { RUNNER_FLEET_DEBUG_START: '1' };
    const tuned = run('plan', 'examples/ec2-docker.yaml', '--json');
    extraEnv = { RUNNER_FLEET_DEBUG_START: '1', RUNNER_FLEET_DEFAULT_JIT: '1' };
    const plain = run('plan', 'examples/ec2-docker.yaml', '--json');
    extraEnv = {};
    expect(tuned.code).toBe(0);
    expect(tuned.err).toBe(`${TIERED}runner-fleet: code cache used\n`);
    expect(plain.out).toBe(tuned.out);
    // V8 hashes its flags into a code cache: with Node's tiering the flags differ from those the
    // cache was made under, so V8 refusing it shows that the tiering flags reached V8.
    expect(plain.err).toBe(
      TIERING
        ? "runner-fleet: V8 tiering Node's defaults (RUNNER_FLEET_DEFAULT_JIT is set)\nrunner-fleet: code cache refused by V8 (another Node version or other V8 flags)\n"
        : "runner-fleet: V8 tiering Node's defaults (RUNNER_FLEET_DEFAULT_JIT is set)\nrunner-fleet: code cache used\n",
    );
    // A tiering flag on node's own command line wins over the bin's.
    const given = spawnSync(process.execPath, [...(TIERING ? [TIERING.split(' ')[0]!.replace(/=\d+$/, '=99999')] : []), BIN, '--version'], { encoding: 'utf8', env: { ...process.env, RUNNER_FLEET_DEBUG_START: '1' } });
    expect(given.status).toBe(0);
    expect(given.stderr.split('\n')[0]).toBe(TIERING ? "runner-fleet: V8 tiering as given on node's command line" : TIERED.trim());
  });

  it('refuses a code cache made for another build of the script, a damaged one and one V8 refuses, and still runs', () => {
    // A copy of the package's start files, with the cache damaged in two ways.
    const pkg = tmp();
    mkdirSync(join(pkg, 'bin'));
    mkdirSync(join(pkg, 'dist', 'cli-start'), { recursive: true });
    writeFileSync(join(pkg, 'bin', 'runner-fleet.cjs'), readFileSync(join(ROOT, 'bin', 'runner-fleet.cjs')));
    writeFileSync(join(pkg, 'dist', 'cli-start', 'runner-fleet.js'), readFileSync(join(ROOT, 'dist', 'cli-start', 'runner-fleet.js')));
    const cache = readFileSync(join(ROOT, 'dist', 'cli-start', 'runner-fleet.cache'));
    const start = () => spawnSync(process.execPath, [join(pkg, 'bin', 'runner-fleet.cjs'), 'plan', join(ROOT, 'examples', 'eks-irsa.yaml'), '--json'], { encoding: 'utf8', env: { ...process.env, RUNNER_FLEET_DEBUG_START: '1' } });
    const reference = run('plan', 'examples/eks-irsa.yaml', '--json');

    const otherBuild = Buffer.from(cache);
    otherBuild.write('0000000000000000', 0, 'latin1');
    writeFileSync(join(pkg, 'dist', 'cli-start', 'runner-fleet.cache'), otherBuild);
    const a = start();
    expect(a.stderr).toBe(`${TIERED}runner-fleet: code cache refused: it was made for another build of the script\n`);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(reference.out);

    // The right build id, but V8's data damaged: V8 would not notice (it crashes node, or runs the
    // wrong code), the checksum in the first line does.
    const damaged = Buffer.from(cache);
    damaged.fill(0x5a, 96 + 100_000, 96 + 104_096);
    writeFileSync(join(pkg, 'dist', 'cli-start', 'runner-fleet.cache'), damaged);
    const b = start();
    expect(b.stderr).toBe(`${TIERED}runner-fleet: code cache refused: it is damaged (its SHA-256 does not match)\n`);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(reference.out);

    // A whole, right cache, made by a node with other V8 flags: V8 refuses it.
    const made = spawnSync(
      process.execPath,
      ['--no-opt', '-e', `const { load, dir, HEAD } = require(${JSON.stringify(join(pkg, 'bin', 'runner-fleet.cjs'))});
const { script } = load({ codeCache: false });
const data = script.createCachedData();
const head = (${JSON.stringify(cache.toString('latin1', 0, 16))} + ' ' + require('node:crypto').createHash('sha256').update(data).digest('hex')).padEnd(HEAD - 1) + '\\n';
require('node:fs').writeFileSync(require('node:path').join(dir, 'runner-fleet.cache'), Buffer.concat([Buffer.from(head, 'latin1'), data]));`],
      { encoding: 'utf8' },
    );
    expect(made.stderr).toBe('');
    const v = start();
    expect(v.stderr).toBe(`${TIERED}runner-fleet: code cache refused by V8 (another Node version or other V8 flags)\n`);
    expect(v.stdout).toBe(reference.out);

    writeFileSync(join(pkg, 'dist', 'cli-start', 'runner-fleet.cache'), cache.subarray(0, 0));
    rmSync(join(pkg, 'dist', 'cli-start', 'runner-fleet.cache'));
    const c = start();
    expect(c.stderr).toBe(`${TIERED}runner-fleet: code cache absent (ENOENT)\n`);
    expect(c.stdout).toBe(reference.out);
  });

  it('says how to build it when the script is missing (exit 70, no stack)', () => {
    const pkg = tmp();
    mkdirSync(join(pkg, 'bin'));
    writeFileSync(join(pkg, 'bin', 'runner-fleet.cjs'), readFileSync(join(ROOT, 'bin', 'runner-fleet.cjs')));
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'runner-fleet.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(70);
    expect(r.stderr).toBe(`runner-fleet: cannot read ${join(pkg, 'dist', 'cli-start', 'runner-fleet.js')} (ENOENT): run \`npm run build\` in the runner-fleet package\n`);
  });

  it('plan of a good example exits 0 and prints proofs', () => {
    const r = run('plan', 'examples/eks-irsa.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toContain('proofs:');
    expect(r.out).toMatch(/0 error\(s\)/);
    expect(r.out).not.toContain('FAIL');
  });

  it('plan --json is machine-readable and has the findings and proofs', () => {
    const r = run('plan', 'examples/eks-irsa.yaml', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { exitCode: number; findings: unknown[]; proofs: { holds: boolean }[] };
    expect(report.exitCode).toBe(0);
    expect(report.proofs.every((p) => p.holds)).toBe(true);
  });

  it('plan --show-resolved prints every default and derived name', () => {
    const r = run('plan', 'examples/eks-irsa.yaml', '--show-resolved');
    expect(r.code).toBe(0);
    expect(r.out).toContain('pollTimeoutSeconds: 180');
    expect(r.out).toContain('managerServiceAccount: build-manager');
    expect(r.out).toContain('roleName: acme-build-jobs');
  });

  it('plan of a fleet with error findings exits 1', () => {
    const dir = tmp();
    const spec = readFileSync(join(ROOT, 'examples', 'eks-irsa.yaml'), 'utf8').replace('      image: ubuntu:24.04', '      image: ubuntu:24.04\n      privileged: true');
    writeFileSync(join(dir, 'fleet.yaml'), spec);
    const r = run('plan', join(dir, 'fleet.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('ERROR RF301 runners[0].jobs.privileged');
  });

  it('a bad spec exits 2 with the path, no stack trace, and synth writes nothing', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(ROOT, 'examples', 'eks-irsa.yaml'), 'utf8').replace('cluster: devops, namespace: ci-build', 'cluster: devop, namespace: ci-build'));
    const p = run('plan', join(dir, 'bad.yaml'));
    expect(p.code).toBe(2);
    expect(p.err).toContain('runners[0].placement.cluster');
    expect(p.err).toContain('did you mean "devops"?');
    expect(p.err).not.toMatch(/\n\s+at .*\.js:\d+/);
    const out = join(dir, 'out');
    const s = run('synth', join(dir, 'bad.yaml'), '--out', out);
    expect(s.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('a missing spec file exits 2', () => {
    const r = run('plan', 'examples/does-not-exist.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such file');
  });

  it('a spec that is not UTF-8 text (binary, Latin-1, UTF-16) exits 2 with the offset, and synth writes nothing', () => {
    const dir = tmp();
    const cases: [string, Buffer, RegExp][] = [
      ['latin1.yaml', Buffer.concat([Buffer.from('name: caf'), Buffer.from([0xe9]), Buffer.from('\nversion: 1\n')]), /is not UTF-8 text: the byte at offset 9 \(line 1\) is 0xe9/],
      ['second-line.yaml', Buffer.concat([Buffer.from('a: 1\nb: '), Buffer.from([0xc3, 0x28])]), /offset 8 \(line 2\) is 0xc3/],
      ['utf16.yaml', Buffer.from('\ufeffname: x\n', 'utf16le'), /is UTF-16 text/],
      ['binary.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff, 0xfe]), /offset 9 \(line 1\) is 0xff/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      const p = run('plan', join(dir, name));
      expect(p.code, name).toBe(2);
      expect(p.err, name).toMatch(message);
      expect(p.err, name).toContain('RF001');
      expect(p.err, name).not.toContain('\ufffd');
      const out = join(dir, `out-${name}`);
      expect(run('synth', join(dir, name), '--out', out).code, name).toBe(2);
      expect(existsSync(out), name).toBe(false);
    }
  });

  it('usage errors exit 2', () => {
    expect(run('plan').code).toBe(2);
    expect(run('synth', 'examples/eks-irsa.yaml').code).toBe(2);
    expect(run('frobnicate').code).toBe(2);
    expect(run('plan', 'examples/eks-irsa.yaml', '--jsn').code).toBe(2);
  });

  it('--help and --version exit 0', () => {
    expect(run('--help').code).toBe(0);
    expect(run('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('doctor --help names every kind of file the doctor reads (a review, 65e, found only five listed)', () => {
    const help = run('doctor', '--help');
    expect(help.code).toBe(0);
    const text = help.out.replace(/\s+/g, ' ');
    for (const kind of ['Helm values', 'helm commands', 'kustomizations', 'config.toml', 'Terraform', 'Argo CD', 'Flux', 'Ansible', 'shell scripts', 'Makefiles', 'CI files', '.env files']) expect(text).toContain(kind);
  });

  it('synth writes the layout, writes only changes, and removes stale files', () => {
    const out = join(tmp(), 'out');
    const first = run('synth', 'examples/eks-irsa.yaml', '--out', out);
    expect(first.code).toBe(0);
    const files = Object.keys(tree(out)).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        '.runner-fleet-manifest.json',
        'README.md',
        'terraform/aws/main.tf.json',
        'kubernetes/build/service-accounts.yaml',
        'helm/deploy/values.yaml',
        'runners/build/config.toml',
        'pipelines/deploy.gitlab-ci.yml',
        'diagram/identity.mmd',
        'diagram/identity.svg',
      ]),
    );
    const mtime = statSync(join(out, 'runners/build/config.toml')).mtimeMs;
    const again = run('synth', 'examples/eks-irsa.yaml', '--out', out, '--json');
    const report = JSON.parse(again.out) as { written: string[]; unchanged: string[]; removed: string[] };
    expect(report.written).toEqual([]);
    expect(report.unchanged.length).toBe(files.length - 1);
    expect(statSync(join(out, 'runners/build/config.toml')).mtimeMs).toBe(mtime);

    // Drop a runner: its files go, files that are not ours stay.
    mkdirSync(join(out, 'notes'), { recursive: true });
    writeFileSync(join(out, 'notes', 'mine.txt'), 'keep me');
    const spec = readFileSync(join(ROOT, 'examples', 'eks-irsa.yaml'), 'utf8');
    const oneRunner = spec.slice(0, spec.indexOf('  - name: deploy'));
    const dir = tmp();
    writeFileSync(join(dir, 'one.yaml'), oneRunner);
    const third = run('synth', join(dir, 'one.yaml'), '--out', out, '--json');
    expect(third.code).toBe(0);
    const removed = (JSON.parse(third.out) as { removed: string[] }).removed;
    expect(removed).toEqual(expect.arrayContaining(['helm/deploy/values.yaml', 'kubernetes/deploy/rbac.yaml', 'pipelines/deploy.gitlab-ci.yml']));
    expect(existsSync(join(out, 'kubernetes', 'deploy'))).toBe(false);
    expect(readFileSync(join(out, 'notes', 'mine.txt'), 'utf8')).toBe('keep me');
  });

  it('schema prints the JSON Schema', () => {
    const r = run('schema');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { title: string }).title).toContain('runner-fleet');
  });

  it('accepts a JavaScript module that exports the spec', () => {
    const dir = tmp();
    const file = join(dir, 'fleet.mjs');
    writeFileSync(file, `export default ${JSON.stringify(minimalFleet())};\n`);
    expect(run('plan', file).code).toBe(0);
  });

  it('never prints a token-like value from the spec into its output', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'leak.yaml'), readFileSync(join(ROOT, 'examples', 'eks-pod-identity.yaml'), 'utf8').replace('NODE_OPTIONS: --max-old-space-size=1536', 'RUNNER_TOKEN: glrt-abcdefghijklmnopqrstuv'));
    const r = run('plan', join(dir, 'leak.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('RF304');
    expect(r.out + r.err).not.toContain('glrt-abcdefghijklmnopqrstuv');
  });
});

/** Found by a black-box run of the built CLI. */
describe('the built CLI ends cleanly', () => {
  it('when the reader of its output stops early (`schema | head -1`): its exit code, no stack trace', () => {
    // A shell pipeline into a reader that closes after one line.
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" schema | head -c 10 >/dev/null`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event| at /);
  });

  it('after a spec module that leaves a timer running, and with a spec exported as a promise', () => {
    const dir = tmp();
    const spec = JSON.stringify(minimalFleet());
    writeFileSync(join(dir, 'interval.mjs'), `setInterval(() => {}, 1000);\nexport default ${spec};\n`);
    writeFileSync(join(dir, 'promise.mjs'), `export default Promise.resolve(${spec});\n`);
    writeFileSync(join(dir, 'rejects.mjs'), `export default Promise.reject(new Error('no spec here'));\n`);
    const interval = spawnSync(process.execPath, [BIN, 'plan', join(dir, 'interval.mjs')], { encoding: 'utf8', timeout: 20_000 });
    expect(interval.signal).toBeNull();
    expect(interval.status).toBe(0);
    const promise = spawnSync(process.execPath, [BIN, 'plan', join(dir, 'promise.mjs')], { encoding: 'utf8', timeout: 20_000 });
    expect(promise.stdout).toMatch(/proofs hold/);
    expect(promise.status).toBe(0);
    const rejects = spawnSync(process.execPath, [BIN, 'plan', join(dir, 'rejects.mjs')], { encoding: 'utf8', timeout: 20_000 });
    expect(rejects.status).toBe(2);
    expect(rejects.stdout + rejects.stderr).toMatch(/RF001 cannot read .*rejects\.mjs: no spec here/);
    expect(rejects.stderr).not.toMatch(/ at /);
  }, 60_000);
});

describe('synth over what is already at the output paths', () => {
  // Before: the old content of every output path was read whole to compare. A link to /dev/zero
  // aborted the process (std::bad_alloc, exit 134) after 14 of 17 files; a FIFO blocked forever.
  it('a link to a device and a FIFO at output paths are replaced, not read or written through', (ctx) => {
    const mkfifo = spawnSync('mkfifo', ['--help'], { encoding: 'utf8' });
    if (mkfifo.error || !existsSync('/dev/zero')) {
      console.log(`SKIPPED: ${mkfifo.error ? 'mkfifo is not on PATH' : 'this system has no /dev/zero'}`);
      ctx.skip();
      return;
    }
    const out = mkdtempSync(join(tmpdir(), 'rf-stale-'));
    const example = join(ROOT, 'examples', 'eks-irsa.yaml');
    expect(spawnSync(process.execPath, [BIN, 'synth', example, '--out', out], { encoding: 'utf8' }).status).toBe(0);
    const toml = join(out, 'runners', 'deploy', 'config.toml');
    const readme = join(out, 'README.md');
    const manifest = join(out, '.runner-fleet-manifest.json');
    const expected = { toml: readFileSync(toml, 'utf8'), readme: readFileSync(readme, 'utf8'), manifest: readFileSync(manifest, 'utf8') };
    rmSync(toml);
    symlinkSync('/dev/zero', toml);
    rmSync(readme);
    expect(spawnSync('mkfifo', [readme]).status).toBe(0);
    rmSync(manifest);
    expect(spawnSync('mkfifo', [manifest]).status).toBe(0);
    // A hang is what failed here before: the child is stopped after 60 s rather than blocking the suite.
    const r = spawnSync(process.execPath, [BIN, 'synth', example, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    for (const [path, text] of [[toml, expected.toml], [readme, expected.readme], [manifest, expected.manifest]] as const) {
      expect(lstatSync(path).isFile()).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
    expect(statSync('/dev/zero').isCharacterDevice()).toBe(true);
  });
});

describe('a spec on standard input', () => {
  it('`plan -` reads the spec from stdin (before: "cannot read -: no such file")', () => {
    const r = spawnSync(process.execPath, [BIN, 'plan', '-'], { encoding: 'utf8', input: readFileSync(join(ROOT, 'examples', 'eks-irsa.yaml'), 'utf8') });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/20\/20 proofs hold/);
    const bad = spawnSync(process.execPath, [BIN, 'plan', '-'], { encoding: 'utf8', input: 'x: [' });
    expect(bad.status).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/RF001 -:1:5: Flow sequence/);
  });
});
