import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fleet.js';
// @ts-expect-error: a build script in JavaScript, without types
import { warmUp } from '../scripts/warm-up.js';

/**
 * The build's warm-up (scripts/warm-up.js, called by scripts/bundle.js) is the bundle's first run.
 * Here it runs in a folder of its own with the real bin and a bundle written for the test, so the
 * real build is never broken: a bundle that crashes, or a command that ends in "internal error"
 * (exit 70), fails the build with the exit code and what was printed; a working one gets its cache.
 */
const ID = '0123456789abcdef';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder with bin/runner-fleet.cjs, an example and `body` as the bundled CLI (the body of a function returning its exports). */
function folder(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rf-warm-up-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'cli-start'), { recursive: true });
  mkdirSync(join(dir, 'examples'));
  copyFileSync(join(ROOT, 'bin', 'runner-fleet.cjs'), join(dir, 'bin', 'runner-fleet.cjs'));
  writeFileSync(join(dir, 'examples', 'one.yaml'), 'apiVersion: runner-fleet/v1alpha1\n');
  writeFileSync(join(dir, 'dist', 'cli-start', 'runner-fleet.js'), `${body}\n// runner-fleet build ${ID}\n`);
  return dir;
}

const cache = (dir: string) => join(dir, 'dist', 'cli-start', 'runner-fleet.cache');

describe('the build fails when the warm-up run of the bundle fails', () => {
  it('a command ending in an internal error (exit 70): failure with the exit codes, the command and what it printed; no cache', () => {
    const dir = folder(`return { main: async (argv, io) => { io.err('internal error: x is not a function (bundle only)'); return 70; } };`);
    const failed = warmUp({ id: ID, cwd: dir }) as string | undefined;
    expect(failed).toBeDefined();
    expect(failed).toContain('ended with exit code 1');
    expect(failed).toContain('runner-fleet plan examples/one.yaml --json ended with exit code 70 in the bundled CLI');
    expect(failed).toContain('internal error: x is not a function (bundle only)');
    expect(failed).toContain('so the build fails');
    expect(existsSync(cache(dir))).toBe(false);
  });

  it('a bundle that throws while it loads: failure with its stderr', () => {
    const dir = folder(`throw new Error('bundle-only crash at load');`);
    const failed = warmUp({ id: ID, cwd: dir }) as string | undefined;
    expect(failed).toContain('ended with exit code 1');
    expect(failed).toContain('bundle-only crash at load');
    expect(existsSync(cache(dir))).toBe(false);
  });

  it('a working bundle (exit 0, and exit 1 for a fleet with error findings): no failure, the cache is written for its build', () => {
    const dir = folder(`let n = 0; return { main: async () => (n++ === 0 ? 1 : 0) };`);
    expect(warmUp({ id: ID, cwd: dir })).toBeUndefined();
    expect(existsSync(cache(dir))).toBe(true);
  });
});

describe("the warm-up makes each part's cache after a run of its command", () => {
  const PARTS = { doctor: '1111111111111111', ops: '2222222222222222' };
  /** The CLI above with its parts: `doctor` and `status` load theirs through the bin (`__runnerFleetPart`). */
  function withParts(doctorBody: string): string {
    const dir = folder(`return { main: async (argv) => (argv[0] === 'doctor' ? __runnerFleetPart('doctor').run(argv) : argv[0] === 'status' ? __runnerFleetPart('ops').run(argv) : 0), __runnerFleetShared: () => ({}) };`);
    writeFileSync(join(dir, 'dist', 'cli-start', 'runner-fleet-doctor.js'), `${doctorBody}\n// runner-fleet build ${PARTS.doctor} for ${ID}\n`);
    // Without a GitLab token, status ends with exit 2 (the warm-up's answer for it).
    writeFileSync(join(dir, 'dist', 'cli-start', 'runner-fleet-ops.js'), `return { run: async () => 2 };\n// runner-fleet build ${PARTS.ops} for ${ID}\n`);
    return dir;
  }
  const file = (dir: string, base: string) => join(dir, 'dist', 'cli-start', `${base}.cache`);

  it('a working CLI and parts: three caches, each for its own build', () => {
    const dir = withParts('return { run: async () => 1 };');
    expect(warmUp({ id: ID, parts: PARTS, cwd: dir })).toBeUndefined();
    expect(readFileSync(file(dir, 'runner-fleet')).toString('latin1', 0, 16)).toBe(ID);
    expect(readFileSync(file(dir, 'runner-fleet-doctor')).toString('latin1', 0, 16)).toBe(PARTS.doctor);
    expect(readFileSync(file(dir, 'runner-fleet-ops')).toString('latin1', 0, 16)).toBe(PARTS.ops);
  });

  it('a part that throws while it loads fails the build, and no cache is left (not even the CLI script\'s, made before)', () => {
    const dir = withParts(`throw new Error('doctor part crash at load');`);
    const failed = warmUp({ id: ID, parts: PARTS, cwd: dir }) as string | undefined;
    expect(failed).toContain('ended with exit code 1');
    expect(failed).toContain('doctor part crash at load');
    for (const base of ['runner-fleet', 'runner-fleet-doctor', 'runner-fleet-ops']) expect(existsSync(file(dir, base))).toBe(false);
  });
});
