import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders never walked into. */
const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform']);
/** Extensions the doctor reads when walking a folder (a file named on the command line is always read). */
const WALKED = /\.(ya?ml|json|toml|tf|sh)$/i;

export interface WalkedFile {
  path: string;
  /** Empty when the file is over the size limit (then only `size` is known). */
  bytes: Uint8Array;
  size: number;
}

export interface WalkProblem {
  path: string;
  reason: string;
}

/**
 * Reads the files under the given paths (files or folders, walked in name order). Files over
 * `maxBytes` are not read whole: their first bytes and real size are returned so the doctor can
 * say why it skipped them, and nothing huge is ever held in memory.
 */
export async function walkFiles(paths: readonly string[], maxBytes: number): Promise<{ files: WalkedFile[]; problems: WalkProblem[] }> {
  const files: WalkedFile[] = [];
  const problems: WalkProblem[] = [];
  const visit = async (path: string, named: boolean): Promise<void> => {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      problems.push({ path, reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(e) });
      return;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      for (const e of entries) if (!SKIP_DIRS.has(e)) await visit(join(path, e), false);
      return;
    }
    if (!info.isFile() || (!named && !WALKED.test(path))) return;
    if (info.size > maxBytes) {
      // Reported by size without reading: a 50 MB file is skipped, not parsed.
      files.push({ path, bytes: new Uint8Array(0), size: info.size });
      return;
    }
    const bytes = await readFile(path);
    files.push({ path, bytes, size: bytes.byteLength });
  };
  for (const p of paths) await visit(p, true);
  return { files, problems };
}
