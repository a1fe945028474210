import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../src/cli/doctor.js';

/**
 * What the front door says when standard input holds nothing or is named the way the doctor does not
 * read it. Before: `plan -` with nothing piped in (or stdin closed) said "the spec must be a mapping,
 * received: null"; `doctor -` said "-: no such file or folder" with no word of how stdin is read.
 */
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'runner-fleet.cjs');
const dir = mkdtempSync(join(tmpdir(), 'rf-empty-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Through a shell's pipe, as a user pipes input in (spawnSync's `input` is a socket, which /dev/stdin cannot open: ENXIO).
const run = (args: string[], input: string) => {
  writeFileSync(join(dir, 'input'), input);
  return spawnSync('sh', ['-c', `cat input | "${process.execPath}" "${BIN}" ${args.join(' ')}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
};

describe('a spec on a standard input that is a socket', () => {
  // spawnSync's `input` gives the child a socket: Linux refuses to open /dev/stdin on it (ENXIO).
  const spec = readFileSync(join(ROOT, 'examples', 'eks-irsa.yaml'), 'utf8');
  const viaSocket = (name: string) => spawnSync(process.execPath, [BIN, 'plan', name], { input: spec, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  it('`plan /dev/stdin` reads it, as `plan -` does (before: RF001 ENXIO, exit 2)', () => {
    const r = viaSocket('/dev/stdin');
    expect(r.stderr).not.toContain('ENXIO');
    expect(r.status).toBe(viaSocket('-').status);
    expect(r.stdout).toBe(viaSocket('-').stdout);
    expect(r.stdout).toContain('proofs hold');
  });
});

describe('an empty spec', () => {
  it('`plan -` with nothing piped in: RF002 says the spec is empty and how to pipe one in (exit 2)', () => {
    const r = run(['plan', '-'], '');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR RF002 the spec is empty: standard input ended before any spec was read (nothing was piped in, or it was closed)\n  received: nothing (0 bytes)\n  fix:      pipe the spec in (`runner-fleet plan - < fleet.yaml`), or name the spec file\n');
    expect(r.stderr).not.toContain('must be a mapping');
  });
  it('`plan /dev/stdin` given only comments: the same, with what came', () => {
    const r = run(['plan', '/dev/stdin'], '# a fleet, some day\n\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR RF002 the spec is empty: standard input ended before any spec was read (nothing was piped in, or it was closed)\n  received: 21 bytes of comments and blank lines\n');
  });
  it('an empty file: named, with the fix of writing the spec in it', () => {
    writeFileSync(join(dir, 'fleet.yaml'), '\n');
    const r = run(['plan', 'fleet.yaml'], '');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR RF002 the spec is empty: fleet.yaml holds no spec\n  received: 1 bytes of blank lines\n  fix:      write the fleet spec in it, starting with `apiVersion: runner-fleet/v1alpha1` and `kind: Fleet`\n');
  });
  it('twin: a spec that is a list is still "must be a mapping", received the list', () => {
    const r = run(['plan', '-'], '- a\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR RF002 the spec must be a mapping\n');
  });
});

describe('`doctor -`', () => {
  it('says the doctor does not take - for standard input and names /dev/stdin (exit 2)', async () => {
    let err = '';
    const code = await doctorCommand(['-'], {}, { out: () => {}, err: (s) => (err += s) }, '0.0.0');
    expect(code).toBe(2);
    expect(err).toBe('runner-fleet doctor: -: no such file or folder; the doctor does not take `-` for standard input: name /dev/stdin to read it (`kubectl get … -o json | runner-fleet doctor --kube-dump /dev/stdin`, `runner-fleet doctor /dev/stdin < values.yaml`)\n');
  });
  it('twin: `doctor /dev/stdin` reads standard input', () => {
    const r = run(['doctor', '/dev/stdin', '--format', 'json'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: ci\n');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect((JSON.parse(r.stdout) as { files: number }).files).toBe(1);
  });
});
