import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { synthFiles, planValue } from '../src/core.js';
import { exampleText, exampleValue } from './helpers/fleet.js';

/**
 * `synth --out` on a device that fills up half-way (a small tmpfs) left the files written until then
 * beside the earlier run's others and its manifest: half a fleet, exit 2. A write that cannot finish
 * now changes nothing. /dev/full stands for the full device: a link to it at the place of one
 * file's temporary copy makes that one write fail with ENOSPC, as a full disk does.
 */
const dir = mkdtempSync(join(tmpdir(), 'rf-synth-all-or-nothing-'));
const run = async (argv: string[]) => {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
};
const tree = (root: string): Record<string, string> => {
  const all: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) all[relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return all;
};

const noFullDevice = !existsSync('/dev/full');
if (noFullDevice) console.log('SKIPPED: synth --out when a write fails half-way: this machine has no /dev/full, the device whose writes fail with ENOSPC');
describe.skipIf(noFullDevice)('synth --out when a write fails half-way', () => {
  const spec = join(dir, 'fleet.yaml');
  writeFileSync(spec, exampleText('eks-irsa'));
  // The last file written: every other one would be in place before it fails.
  const last = synthFiles(planValue(exampleValue('eks-irsa'))).at(-1)!.path;

  it('into a new folder: exit 2 (RF011, the fix is space), and no folder or file is left', async () => {
    const out = join(dir, 'new');
    mkdirSync(join(out, last, '..'), { recursive: true });
    symlinkSync('/dev/full', join(out, `${last}.runner-fleet-tmp`));
    const r = await run(['synth', spec, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`ERROR RF011 --out ${out}: cannot write ${join(out, last)}: no space left on the device\n  fix:      free space on its device, or pass a directory on another (nothing was written)`);
    expect(tree(out)).toEqual({});
  });

  it('over an earlier run: every file and the manifest are as they were', async () => {
    const out = join(dir, 'again');
    const other = join(dir, 'other.yaml');
    writeFileSync(other, exampleText('eks-irsa').replace(/name: ([a-z0-9-]+)\n/, 'name: $1x\n'));
    expect((await run(['synth', other, '--out', out])).code).toBe(0);
    const before = tree(out);
    symlinkSync('/dev/full', join(out, `${last}.runner-fleet-tmp`));
    expect((await run(['synth', spec, '--out', out])).code).toBe(2);
    expect(tree(out)).toEqual(before);
  });

  it('twin: with room, every file is written and listed in the manifest', async () => {
    const out = join(dir, 'room');
    expect((await run(['synth', spec, '--out', out])).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, '.runner-fleet-manifest.json'), 'utf8')) as { files: string[] };
    expect(Object.keys(tree(out)).sort()).toEqual([...manifest.files, '.runner-fleet-manifest.json'].sort());
  });
});
