import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../src/cli/doctor.js';
import { doctor } from '../src/doctor/index.js';
import { MAX_WALK_DEPTH, walkFiles } from '../src/io/walk.js';

/**
 * Folders a hostile or careless repository can hold: a folder link out of the tree (`root -> /` sent the
 * walk over the whole file system, minutes and counting, reading whatever YAML and .env it met), a
 * file named with its folder (read twice: every finding twice), folders 10,000 deep (231 s of
 * realpath calls, then nothing found, in silence), a name not in UTF-8 (said to be a dangling link),
 * and a pipe named main.tf in a local module's folder (the doctor waited for a writer for ever).
 */
const root = mkdtempSync(join(tmpdir(), 'rf-walk-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TOML = 'concurrent = 1\n[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine"\n    privileged = true\n';

function tree(name: string): { dir: string; outside: string } {
  const dir = join(root, name, 'repo');
  const outside = join(root, name, 'elsewhere');
  mkdirSync(dir, { recursive: true });
  mkdirSync(outside, { recursive: true });
  return { dir, outside };
}

describe('links out of the folders given', () => {
  it('a link to a folder outside is named (RF902, with its target and the fix) and not walked', async () => {
    const { dir, outside } = tree('out-folder');
    writeFileSync(join(outside, 'config.toml'), TOML);
    symlinkSync(outside, join(dir, 'up'));
    const { files, problems } = await walkFiles([dir], 1 << 20);
    expect(problems).toEqual([]);
    expect(files.map((f) => f.path)).toEqual([join(dir, 'up')]);
    const r = doctor(files);
    const hit = r.findings.filter((f) => f.code === 'RF902');
    expect(hit.map((f) => [f.path, f.message, f.fix])).toEqual([[`${join(dir, 'up')}:1:1`, `${join(dir, 'up')} cannot be read (a symbolic link to ${outside}, outside the folders given: not followed); skipped`, `name ${outside} on the command line to read it`]]);
    expect(r.findings.map((f) => f.code)).not.toContain('RF301');
  });
  it('a link to a deployment file outside is read where it is linked (a folder per environment linking one shared file)', async () => {
    const { dir, outside } = tree('out-file');
    writeFileSync(join(outside, 'config.toml'), TOML);
    symlinkSync(join(outside, 'config.toml'), join(dir, 'config.toml'));
    const { files } = await walkFiles([dir], 1 << 20);
    expect(files.map((f) => [f.path, f.bytes.byteLength, f.unreadable])).toEqual([[join(dir, 'config.toml'), TOML.length, undefined]]);
    expect(doctor(files).findings.map((f) => f.code)).toContain('RF301');
  });
  it('twin: the target named on the command line is read, and links inside the tree are followed', async () => {
    const { dir, outside } = tree('in-tree');
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'config.toml'), TOML);
    mkdirSync(join(dir, 'prod'));
    symlinkSync('../shared/config.toml', join(dir, 'prod', 'config.toml'));
    writeFileSync(join(outside, 'values.yaml'), 'rbac:\n  create: true\n');
    symlinkSync(outside, join(dir, 'up'));
    const { files } = await walkFiles([dir, outside], 1 << 20);
    expect(files.filter((f) => f.unreadable === undefined).map((f) => [f.path, f.bytes.byteLength])).toEqual([
      [join(dir, 'prod', 'config.toml'), TOML.length],
      [join(dir, 'shared', 'config.toml'), TOML.length],
      [join(dir, 'up', 'values.yaml'), 'rbac:\n  create: true\n'.length],
    ]);
    expect(files.filter((f) => f.unreadable !== undefined)).toEqual([]);
  });
});

describe('the same file given twice', () => {
  it('a folder and a file in it (and the file by another spelling) read the file once: each finding once', async () => {
    const { dir } = tree('twice');
    writeFileSync(join(dir, 'config.toml'), TOML);
    const { files } = await walkFiles([dir, join(dir, 'config.toml'), `${dir}/../repo/config.toml`, dir], 1 << 20);
    expect(files.map((f) => f.path)).toEqual([join(dir, 'config.toml')]);
    expect(doctor(files).findings.filter((f) => f.code === 'RF301')).toHaveLength(1);
  });
});

describe('folders nested deeper than the walk goes', () => {
  const nest = (name: string, depth: number) => {
    const { dir } = tree(name);
    const deep = join(dir, ...Array.from({ length: depth }, () => 'd'));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'config.toml'), TOML);
    return { dir, deep };
  };
  it(`a folder more than ${MAX_WALK_DEPTH} levels down is named once (RF902) and not walked`, async () => {
    const { dir } = nest('deep', MAX_WALK_DEPTH + 5);
    const { files } = await walkFiles([dir], 1 << 20);
    const cut = join(dir, ...Array.from({ length: MAX_WALK_DEPTH + 1 }, () => 'd'));
    expect(files.map((f) => [f.path, f.unreadable])).toEqual([[cut, `a folder ${MAX_WALK_DEPTH + 1} levels below the folder given; folders over ${MAX_WALK_DEPTH} levels deep are not walked`]]);
    expect(doctor(files).findings.find((f) => f.code === 'RF902')?.fix).toBe('name the folder on the command line to read it');
  });
  it(`twin: a file ${MAX_WALK_DEPTH} folders down is read`, async () => {
    const { dir, deep } = nest('deep-enough', MAX_WALK_DEPTH);
    const { files } = await walkFiles([dir], 1 << 20);
    expect(files.map((f) => [f.path, f.unreadable])).toEqual([[join(deep, 'config.toml'), undefined]]);
  });
});

describe('a name that is not UTF-8', () => {
  it('is named as such (not as a dangling link), with the fix; its UTF-8 neighbour is read', async () => {
    const { dir } = tree('latin1');
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.toml')]), TOML);
    writeFileSync(join(dir, 'config.toml'), TOML);
    const { files } = await walkFiles([dir], 1 << 20);
    expect(files.map((f) => [f.path, f.unreadable, f.unreadableFix])).toEqual([
      [join(dir, 'caf\ufffd.toml'), 'its name is not UTF-8 text, so it cannot be named to be read', 'rename it with a UTF-8 name'],
      [join(dir, 'config.toml'), undefined, undefined],
    ]);
  });
});

describe('a pipe among the files of a local module', () => {
  it('is not read: the doctor ends and says the module is not in the evidence given', async () => {
    const { dir } = tree('module-fifo');
    const mod = join(root, 'module-fifo', 'mod');
    mkdirSync(mod);
    execFileSync('mkfifo', [join(mod, 'main.tf')]);
    writeFileSync(join(dir, 'main.tf'), 'module "runner" {\n  source = "../mod"\n}\n');
    let out = '';
    const code = await doctorCommand([dir], { format: 'json' }, { out: (s) => (out += s), err: () => {} }, '0.0.0');
    expect(code).toBe(0);
    expect((JSON.parse(out) as { findings: { code: string; path: string }[] }).findings.filter((f) => f.code === 'RF903').map((f) => f.path)).toEqual([`${join(dir, 'main.tf')}:1:1`]);
  }, 10_000);
  it('named like a deployment file in the folder given, is named (RF902, what it is and the fix), not read and not passed in silence', async () => {
    const { dir } = tree('folder-fifo');
    execFileSync('mkfifo', [join(dir, 'values.yaml')]);
    writeFileSync(join(dir, 'config.toml'), TOML);
    let out = '';
    const code = await doctorCommand([dir], { format: 'json' }, { out: (s) => (out += s), err: () => {} }, '0.0.0');
    expect(code).toBe(1);
    const hit = (JSON.parse(out) as { findings: { code: string; path: string; message: string; fix: string }[] }).findings.filter((f) => f.code === 'RF902');
    expect(hit.map((f) => [f.path, f.message, f.fix])).toEqual([
      [`${join(dir, 'values.yaml')}:1:1`, `${join(dir, 'values.yaml')} cannot be read (a named pipe, not a regular file: inside a folder only regular files are read); skipped`, 'replace it with the file it stands for, or name it on the command line to read it'],
    ]);
  }, 10_000);
  it('twin: a pipe whose name is no deployment file\'s is passed in silence, as any other file of that name', async () => {
    const { dir } = tree('folder-fifo-other');
    execFileSync('mkfifo', [join(dir, 'events')]);
    writeFileSync(join(dir, 'config.toml'), TOML);
    const { files, problems } = await walkFiles([dir], 1 << 20);
    expect(problems).toEqual([]);
    expect(files.map((f) => [f.path, f.unreadable])).toEqual([[join(dir, 'config.toml'), undefined]]);
  }, 10_000);
});

/**
 * Permissions: root reads everything, so the walk is run as `nobody` (runuser) when the tests run as
 * root, under a folder of /tmp that user may enter (the run's own scratch folder is private to root).
 * A folder that could not be listed was passed over in silence; a file that could not be read was
 * RF902 with the fix for a dangling link.
 */
describe('a folder and a file the user running the doctor may not read', () => {
  const asRoot = process.getuid?.() === 0;
  const runuser = asRoot ? execFileSync('sh', ['-c', 'command -v runuser || true'], { encoding: 'utf8' }).trim() : '';
  // As root, the case runs node as nobody: that node must be one nobody may run (CI may run the
  // suite with a node fetched into root's own folder, ~/.npm/_npx, which nobody cannot enter).
  const nobodyRunsNode = (): boolean => spawnSync(runuser, ['-u', 'nobody', '--', process.execPath, '-e', '0'], { cwd: '/tmp', stdio: 'ignore' }).status === 0;
  const skip =
    process.getuid === undefined
      ? 'no user ids on this platform'
      : asRoot && runuser === ''
        ? 'running as root and runuser is not installed: root reads every file, so a refused read cannot be shown'
        : asRoot && !nobodyRunsNode()
          ? `running as root, and user nobody may not run this node (${process.execPath})`
          : undefined;
  if (skip) console.log(`SKIPPED: doctor as a user who may not read a file: ${skip}`);
  it.skipIf(skip !== undefined)('both are named (RF902) with the fix of permissions; the readable file beside them is read', () => {
    const base = mkdtempSync(join('/tmp', 'rf-walk-perm-'));
    try {
      execFileSync('chmod', ['755', base]);
      const deploy = join(base, 'deploy');
      mkdirSync(join(deploy, 'locked'), { recursive: true });
      execFileSync('chmod', ['755', deploy]);
      writeFileSync(join(deploy, 'locked', 'config.toml'), TOML);
      writeFileSync(join(deploy, 'secret.yaml'), 'a: 1\n');
      writeFileSync(join(deploy, 'config.toml'), TOML);
      execFileSync('chmod', ['000', join(deploy, 'locked'), join(deploy, 'secret.yaml')]);
      execFileSync('chmod', ['644', join(deploy, 'config.toml')]);
      // The built CLI, copied where every user may read it: the checkout itself may lie in a folder
      // only its owner may enter (a CI clone under a mode-700 temporary folder), and the bundle needs
      // nothing else (bin/runner-fleet.cjs and dist/cli-start).
      const cli = join(base, 'cli');
      mkdirSync(join(cli, 'bin'), { recursive: true });
      mkdirSync(join(cli, 'dist'), { recursive: true });
      cpSync(join(__dirname, '..', 'bin', 'runner-fleet.cjs'), join(cli, 'bin', 'runner-fleet.cjs'));
      cpSync(join(__dirname, '..', 'dist', 'cli-start'), join(cli, 'dist', 'cli-start'), { recursive: true });
      execFileSync('chmod', ['-R', 'a+rX', cli]);
      const bin = join(cli, 'bin', 'runner-fleet.cjs');
      const argv = [process.execPath, bin, 'doctor', deploy, '--format', 'json'];
      const r = asRoot ? spawnSync(runuser, ['-u', 'nobody', '--', ...argv], { encoding: 'utf8', cwd: '/tmp' }) : spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
      // Exit 1: the readable config.toml runs jobs privileged (RF301).
      expect([r.status, r.stderr]).toEqual([1, '']);
      const all = (JSON.parse(r.stdout) as { findings: { code: string; path: string; message: string; fix?: string }[] }).findings;
      expect(all.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([`${join(deploy, 'config.toml')}:8:5`]);
      const findings = all.filter((f) => f.code === 'RF902');
      const fix = 'let the user running the doctor read it (chmod), or run the doctor as a user who may';
      expect(findings.map((f) => [f.path, f.message, f.fix])).toEqual([
        [`${join(deploy, 'locked')}:1:1`, `${join(deploy, 'locked')} cannot be read (a folder that cannot be listed: permission denied); skipped`, fix],
        [`${join(deploy, 'secret.yaml')}:1:1`, `${join(deploy, 'secret.yaml')} cannot be read (permission denied); skipped`, fix],
      ]);
    } finally {
      execFileSync('chmod', ['-R', 'u+rwX', base]);
      rmSync(base, { recursive: true, force: true });
    }
  });
});
