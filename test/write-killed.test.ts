import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST, writeOutput, type WriteFs } from '../src/io/write.js';
import { NEW, OLD, tree } from './helpers/write-fleets.js';
import { ROOT } from './helpers/fleet.js';

/**
 * synth killed part-way through its writer (no undo runs): before, the next synth into the same
 * folder neither removed the `.runner-fleet-old` files left nor put back an earlier file whose new
 * one was never renamed in; a rerun of the same spec left them for ever (its files were
 * unchanged, so nothing was swapped). Now the next run puts them right first and says what it did.
 */
const root = mkdtempSync(join(tmpdir(), 'rf-write-killed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const leftovers = (dir: string) => Object.keys(tree(dir)).filter((p) => /\.runner-fleet-(old|tmp)$/.test(p)).sort();

/** What a clean write of `files` into a fresh folder gives: the state every recovery must reach. */
function clean(name: string, files: typeof NEW): Record<string, string> {
  const dir = join(root, `clean-${name}`);
  writeOutput(dir, files);
  return tree(dir);
}

/** Node's calls until the `alive`-th rename or removal; that one and every later one fail, as in a process killed there (nothing after it happens). */
function killedAfter(alive: number): WriteFs & { killed: () => boolean } {
  let calls = 0;
  const dead = () => {
    calls++;
    if (calls > alive) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
  };
  return {
    renameSync: (a, b) => {
      dead();
      renameSync(a, b);
    },
    rmSync: (p, o) => {
      dead();
      rmSync(p, o);
    },
    killed: () => calls > alive,
  };
}

describe('synth killed at each rename or removal of its writer, then run again', () => {
  const want = clean('new', NEW);
  it('every kill point: the next run of the same files leaves exactly the new fleet, no leftovers, and says what it put right', () => {
    let points = 0;
    let sawRestore = false;
    let sawRemove = false;
    for (let alive = 0; ; alive++) {
      const dir = join(root, `kill-${alive}`);
      writeOutput(dir, OLD);
      const fs = killedAfter(alive);
      try {
        writeOutput(dir, NEW, fs);
      } catch {
        // the kill
      }
      if (!fs.killed()) break; // past the last call: the run finished
      points++;
      const left = leftovers(dir);
      const missing = [MANIFEST, ...NEW.map((f) => f.path)].filter((p) => existsSync(join(dir, `${p}.runner-fleet-old`)) && !existsSync(join(dir, p)));
      const report = writeOutput(dir, NEW);
      expect(tree(dir), `killed after ${alive} call(s)`).toEqual(want);
      expect([...report.recovered.removed, ...report.recovered.restored.map((p) => `${p}.runner-fleet-old`)].sort()).toEqual(left.filter((p) => !p.startsWith('stale/')).sort());
      expect(report.recovered.restored.sort()).toEqual(missing.sort());
      if (report.recovered.restored.length > 0) sawRestore = true;
      if (report.recovered.removed.some((p) => p.endsWith('.runner-fleet-old'))) sawRemove = true;
    }
    // The kill points include one between a file set aside and its new one renamed in, and one after the swap.
    expect(points).toBeGreaterThan(4);
    expect(sawRestore).toBe(true);
    expect(sawRemove).toBe(true);
  });

  it('a kill between setting a file aside and renaming its new one in: the earlier file is put back, and a rerun of the earlier files gives the earlier fleet', () => {
    const dir = join(root, 'restore-old');
    writeOutput(dir, OLD);
    const fs = killedAfter(1); // a.tf.json renamed aside; its new one not renamed in
    expect(() => writeOutput(dir, NEW, fs)).toThrow();
    expect(existsSync(join(dir, 'a.tf.json'))).toBe(false);
    expect(existsSync(join(dir, 'a.tf.json.runner-fleet-old'))).toBe(true);
    const report = writeOutput(dir, OLD);
    expect(report.recovered.restored).toEqual(['a.tf.json']);
    expect(report.written).toEqual([]); // put back as it was: nothing to write
    expect(tree(dir)).toEqual(clean('old', OLD));
  });

  it('twin: a run that was not killed leaves nothing to put right', () => {
    const dir = join(root, 'not-killed');
    writeOutput(dir, OLD);
    writeOutput(dir, NEW);
    expect(writeOutput(dir, NEW).recovered).toEqual({ removed: [], restored: [] });
  });

  it('a leftover that cannot be removed stops the run before it writes anything, naming it', () => {
    const dir = join(root, 'stuck-leftover');
    writeOutput(dir, NEW);
    writeFileSync(join(dir, 'a.tf.json.runner-fleet-old'), '{"old":"a"}\n');
    const fs: WriteFs = {
      renameSync: (a, b) => renameSync(a, b),
      rmSync: (p, o) => {
        if (p.endsWith('.runner-fleet-old')) throw Object.assign(new Error('EPERM: operation not permitted, unlink'), { code: 'EPERM' });
        rmSync(p, o);
      },
    };
    expect(() => writeOutput(dir, [...NEW.slice(1), { path: 'a.tf.json', content: 'changed\n' }], fs)).toThrow(
      `cannot write ${join(dir, 'a.tf.json')}: an earlier run was stopped part-way and its earlier file set aside, ${join(dir, 'a.tf.json.runner-fleet-old')}, cannot be removed (permission denied); nothing of this run was written`,
    );
    expect(readFileSync(join(dir, 'a.tf.json'), 'utf8')).toBe('{"new":"a"}\n');
  });

  it('leftovers beside no file the manifest lists or this run writes are not the writer\'s: left', () => {
    const dir = join(root, 'foreign');
    writeOutput(dir, NEW);
    writeFileSync(join(dir, 'notes.txt.runner-fleet-old'), 'mine\n');
    expect(writeOutput(dir, NEW).recovered).toEqual({ removed: [], restored: [] });
    expect(readFileSync(join(dir, 'notes.txt.runner-fleet-old'), 'utf8')).toBe('mine\n');
  });
});

const EXAMPLE = join(ROOT, 'examples', 'ec2-docker.yaml');

/** `runner-fleet synth` in a child process, sent SIGKILL when it says it paused at `point` (RUNNER_FLEET_TEST_WRITE_PAUSE). */
async function synthKilledAt(point: 'aside' | 'swapped', spec: string, out: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; sent: boolean }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'runner-fleet.cjs'), 'synth', spec, '--out', out], { env: { PATH: process.env.PATH, RUNNER_FLEET_TEST_WRITE_PAUSE: point }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let sent = false;
  child.stdout.resume();
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    if (!sent && err.includes(`paused for the test at ${point}`)) {
      sent = true;
      child.kill('SIGKILL');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok) => child.on('close', (c, s) => ok([c, s])));
  return { code, signal, sent };
}

function synth(spec: string, out: string): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'runner-fleet.cjs'), 'synth', spec, '--out', out], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout };
}

describe('synth killed by a real SIGKILL in its writer', () => {
  it.each(['aside', 'swapped'] as const)('killed at %s: the next synth puts the folder right, says so, and leaves what a clean synth leaves', async (point) => {
    const base = mkdtempSync(join(tmpdir(), 'rf-synth-killed-'));
    const spec = join(base, 'fleet.yaml');
    const first = readFileSync(EXAMPLE, 'utf8');
    writeFileSync(spec, first);
    const out = join(base, 'out');
    expect(synth(spec, out).code).toBe(0);
    // A changed fleet, so every file differs and is swapped.
    writeFileSync(spec, first.replace(/name: (\S+)/, 'name: $1x'));
    const killed = await synthKilledAt(point, spec, out);
    expect(killed.sent).toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    expect(leftovers(out).some((p) => p.endsWith('.runner-fleet-old'))).toBe(true);
    // The doctor does not read the leftovers as deployment files: the same findings with and without them.
    const bare = join(base, 'bare');
    cpSync(out, bare, { recursive: true });
    for (const p of leftovers(bare)) rmSync(join(bare, p));
    const doctor = (at: string) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'runner-fleet.cjs'), 'doctor', '.', '--format', 'json'], { cwd: at, encoding: 'utf8', env: { PATH: process.env.PATH } });
      return { code: r.status, stdout: r.stdout };
    };
    const withLeftovers = doctor(out);
    expect(withLeftovers.stdout).not.toContain('runner-fleet-old');
    expect(withLeftovers).toEqual(doctor(bare));
    const again = synth(spec, out);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${out}: an earlier synth into this folder was stopped part-way (killed or crashed): `);
    expect(again.stdout).toContain(point === 'aside' ? 'put back 1 earlier file(s)' : '.runner-fleet-old');
    expect(leftovers(out)).toEqual([]);
    const fresh = join(base, 'fresh');
    expect(synth(spec, fresh).code).toBe(0);
    expect(tree(out)).toEqual(tree(fresh));
    rmSync(base, { recursive: true, force: true });
  }, 60_000);
});
