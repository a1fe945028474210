import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST, OutputError, writeOutput, type WriteFs } from '../src/io/write.js';
import { NEW, OLD, tree } from './helpers/write-fleets.js';

/**
 * synth's writer when a rename or a removal fails after every file was written whole (the file
 * system seam of writeOutput makes the failure; root could not be refused by permissions). Before:
 * a rename failing midway left a mix of two fleets, and the manifest was replaced before stale files
 * were removed, so a file whose removal failed was listed nowhere and no later run removed it.
 */
const root = mkdtempSync(join(tmpdir(), 'rf-write-failures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const listed = (dir: string): string[] => (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: string[] }).files;

function oldFleet(name: string): { dir: string; before: Record<string, string> } {
  const dir = join(root, name);
  writeOutput(dir, OLD);
  return { dir, before: tree(dir) };
}

/** Node's calls, but the rename whose destination ends with `failAt` fails (EACCES) once. */
const failingRename = (failAt: string): WriteFs => {
  let failed = false;
  return {
    renameSync: (from, to) => {
      if (!failed && to.endsWith(failAt) && from.endsWith('.runner-fleet-tmp')) {
        failed = true;
        throw Object.assign(new Error("EACCES: permission denied, rename"), { code: 'EACCES' });
      }
      renameSync(from, to);
    },
    rmSync: (p, o) => rmSync(p, o),
  };
};

describe('a rename that fails after the files were written', () => {
  it('undoes the renames done: the earlier fleet and its manifest as they were, nothing left beside them', () => {
    const { dir, before } = oldFleet('rename-midway');
    const err = (() => {
      try {
        writeOutput(dir, NEW, failingRename('b.yaml'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    // The state first: it is what the user is left with.
    expect(tree(dir)).toEqual(before);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).message).toBe(`cannot write ${dir}: permission denied (while renaming the files written into place; nothing was replaced)`);
  });
  it('twin: the same write without the failure gives the new fleet, and only it', () => {
    const { dir } = oldFleet('rename-ok');
    const report = writeOutput(dir, NEW);
    expect(report.removed).toEqual(['stale/gone.yaml']);
    expect(tree(dir)).toEqual({ [MANIFEST]: `${JSON.stringify({ generator: 'runner-fleet', files: ['a.tf.json', 'b/b.yaml', 'c.toml'] }, null, 2)}\n`, 'a.tf.json': '{"new":"a"}\n', 'b/b.yaml': 'new: b\n', 'c.toml': 'new = "c"\n' });
  });
});

describe('a stale file that cannot be removed', () => {
  it('stops with the new fleet written and the manifest still listing it; the next run removes it', () => {
    const { dir } = oldFleet('stale-stuck');
    const fs: WriteFs = {
      renameSync: (a, b) => renameSync(a, b),
      rmSync: (p, o) => {
        if (p.endsWith('gone.yaml')) throw Object.assign(new Error("EPERM: operation not permitted, unlink"), { code: 'EPERM' });
        rmSync(p, o);
      },
    };
    let message = '';
    try {
      writeOutput(dir, NEW, fs);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(readFileSync(join(dir, 'a.tf.json'), 'utf8')).toBe('{"new":"a"}\n');
    expect(existsSync(join(dir, 'stale', 'gone.yaml'))).toBe(true);
    expect(listed(dir)).toEqual(['a.tf.json', 'b/b.yaml', 'c.toml', 'stale/gone.yaml']);
    expect(message).toBe(`cannot write ${join(dir, 'stale', 'gone.yaml')}: cannot remove a file an earlier run wrote: permission denied (the new fleet is written; the manifest still lists this file, so the next run removes it)`);
    // The next run, on a file system that lets it: the stale file is removed, the manifest is this run's.
    expect(writeOutput(dir, NEW).removed).toEqual(['stale/gone.yaml']);
    expect(existsSync(join(dir, 'stale'))).toBe(false);
    expect(listed(dir)).toEqual(['a.tf.json', 'b/b.yaml', 'c.toml']);
    expect(Object.keys(tree(dir)).filter((p) => /runner-fleet-(tmp|old)$/.test(p))).toEqual([]);
  });
});
