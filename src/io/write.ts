import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { OutputFile } from '../emit/serialize.js';
import { errnoReason } from './errno.js';

export const MANIFEST = '.runner-fleet-manifest.json';

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
  /**
   * Entries of the previous manifest that were left alone: a path outside the output folder, the
   * folder itself or the manifest, or what is now a folder rather than a file. The manifest is a
   * file anyone can edit; only files inside the output folder are ever removed.
   */
  leftAlone: string[];
  /**
   * What an earlier run stopped part-way (killed between its renames) had left beside the files,
   * and what this run did with it before writing (recoverLeftovers): paths relative to the folder.
   */
  recovered: { removed: string[]; restored: string[] };
}

/** The output directory cannot be used (a file is in the way, no permission, a pseudo file system). Exit 2. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly target: string,
    readonly reason: string,
    /** The errno code, when a file system call failed (ENOSPC: the fix is space, not another folder). */
    readonly code?: string,
  ) {
    super(`cannot write ${target}: ${reason}`);
  }
}

/** Creating folders: what is in the way. */
const CREATING: Readonly<Record<string, string>> = {
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a file is in the way of a directory',
  ENOENT: 'the directory cannot be created there',
};

/**
 * Creates a directory and its parents one level at a time. Node's own recursive mkdir never
 * returns on some pseudo file systems (it retries ENOENT under /proc forever), and its errors
 * (EEXIST, ENOTDIR) do not say which path is in the way.
 */
export function ensureDir(dir: string, shown = dir, made: string[] = []): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputError(shown, `${d}: ${errnoReason(e, CREATING)}`);
    }
    if (isDir === true) break;
    if (isDir === false) throw new OutputError(shown, `${d} is a file, not a directory`);
    missing.push(d);
    const up = dirname(d);
    if (up === d) throw new OutputError(shown, 'no existing parent directory');
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(shown, `cannot create ${m}: ${errnoReason(e, CREATING)}`);
    }
    let ok: boolean;
    try {
      ok = statSync(m).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw new OutputError(shown, `cannot create ${m}: ${'it is not a directory afterwards'}`);
    made.push(m);
  }
}

/** The largest manifest read back: an earlier run's lists a few thousand paths (~100 bytes each). */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * The text of a regular file of at most `max` bytes, else undefined. What is already at an output
 * path is only compared with what is written there, so nothing else is read: not a device or FIFO
 * a link points at (/dev/zero read without end until the process aborted, with part of the
 * fleet written; a FIFO blocked), nor a stale file of gigabytes.
 */
function regularText(full: string, max: number): string | undefined {
  try {
    const info = statSync(full);
    if (!info.isFile() || info.size > max) return undefined;
    return readFileSync(full, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether `full` is a regular file holding exactly `content` (read only when the sizes agree). */
function holds(full: string, content: string): boolean {
  const bytes = Buffer.byteLength(content, 'utf8');
  try {
    if (statSync(full).size !== bytes) return false;
  } catch {
    return false;
  }
  return regularText(full, bytes) === content;
}

function readManifest(dir: string, file = join(dir, MANIFEST)): string[] {
  try {
    const parsed = JSON.parse(regularText(file, MAX_MANIFEST_BYTES) ?? '') as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/** The full path of `path` when it is inside `dir` (not `dir` itself), else undefined. */
function within(dir: string, path: string): string | undefined {
  const full = resolve(dir, path);
  const rel = relative(resolve(dir), full);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || resolve(rel) === rel) return undefined;
  return full;
}

function inside(dir: string, path: string): string {
  const full = within(dir, path);
  if (full === undefined) throw new Error(`internal: output path escapes the output directory: ${path}`);
  return full;
}

/** The file system calls that replace and remove files: a seam, so tests can make one of them fail. */
export interface WriteFs {
  renameSync: (from: string, to: string) => void;
  rmSync: (path: string, opts?: { force?: boolean }) => void;
}
const NODE_FS: WriteFs = { renameSync, rmSync };

/** A file or link at `full` (not a folder, not missing). */
function isFileAt(full: string): boolean {
  try {
    return !lstatSync(full).isDirectory();
  } catch {
    return false;
  }
}

/** A regular file at `full` (not a link, folder or device): what this writer stages is always one. */
function isRegularFileAt(full: string): boolean {
  try {
    return lstatSync(full).isFile();
  } catch {
    return false;
  }
}

/**
 * Only for the test that kills synth at a point of the swap (test/write-killed.test.ts): with
 * RUNNER_FLEET_TEST_WRITE_PAUSE set to that point, says so on stderr and blocks (up to 60 s) so
 * the test can send SIGKILL there. Unset, as always outside that test, it does nothing.
 */
function pauseForTest(point: 'aside' | 'swapped'): void {
  if (process.env.RUNNER_FLEET_TEST_WRITE_PAUSE !== point) return;
  process.stderr.write(`runner-fleet: paused for the test at ${point}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

/**
 * What a run stopped part-way (a kill, a crash, a power cut; no undo ran) leaves beside the files
 * the manifest lists or this run writes, put right before anything else:
 * - `<file>.runner-fleet-tmp`, a regular file: a staged file never renamed into place: removed (this
 *   run stages afresh);
 * - `<file>.runner-fleet-old` with `<file>` in place: the swap of that file finished and the file set
 *   aside is the earlier one: removed, as step 3 would have;
 * - `<file>.runner-fleet-old` with no `<file>`: the stopped run set the earlier file aside and did not
 *   rename its new one in: the earlier file is put back (then written over like any other, when this
 *   run's differs).
 * The files looked at are those the manifests name — the one in place (its `.runner-fleet-old` put
 * back first when it is missing) and the stopped run's staged one (`.runner-fleet-tmp`, staged
 * before any other file, listing every file that run wrote) — and this run's. A leftover beside
 * none of them is not this writer's to judge and is left.
 */
function recoverLeftovers(dir: string, paths: readonly string[], fs: WriteFs): WriteReport['recovered'] {
  const done: WriteReport['recovered'] = { removed: [], restored: [] };
  const settle = (path: string): void => {
    const full = within(dir, path);
    if (full === undefined) return;
    const step = (what: string, act: () => void): void => {
      try {
        act();
      } catch (e) {
        throw new OutputError(full, `an earlier run was stopped part-way and its ${what} (${errnoReason(e)}); nothing of this run was written`, (e as NodeJS.ErrnoException).code);
      }
    };
    const tmp = `${full}.runner-fleet-tmp`;
    // Only a regular file: a link or device under that name is not one this writer staged, so it is
    // left, and writing through it fails with its own error like any other unwritable place.
    if (isRegularFileAt(tmp)) {
      step(`temporary file ${tmp} cannot be removed`, () => fs.rmSync(tmp, { force: true }));
      done.removed.push(`${path}.runner-fleet-tmp`);
    }
    const aside = `${full}.runner-fleet-old`;
    if (!isFileAt(aside)) return;
    if (isFileAt(full)) {
      step(`earlier file set aside, ${aside}, cannot be removed`, () => fs.rmSync(aside, { force: true }));
      done.removed.push(`${path}.runner-fleet-old`);
    } else {
      step(`earlier file set aside, ${aside}, cannot be put back`, () => fs.renameSync(aside, full));
      done.restored.push(path);
    }
  };
  const staged = readManifest(dir, join(dir, `${MANIFEST}.runner-fleet-tmp`));
  settle(MANIFEST);
  for (const path of new Set([...readManifest(dir), ...staged, ...paths])) if (path !== MANIFEST) settle(path);
  return done;
}

/**
 * Writes files that changed, leaves identical ones untouched, and removes files an earlier run wrote
 * that this run no longer produces. Only files listed in the manifest are ever removed.
 *
 * In steps ordered so that a run that fails leaves either the earlier fleet, or the new one with a
 * manifest that lists every file it wrote and every earlier file still there:
 * 1. Stage: every changed file, and a manifest listing this run's files *and* the earlier files it
 *    is about to remove, is written whole beside its place (`<file>.runner-fleet-tmp`). A full disk
 *    or a folder that refuses a file stops here: the temporary files and the folders made are
 *    removed; the earlier fleet is untouched.
 * 2. Swap: each staged file is renamed into place, the file it replaces first renamed aside
 *    (`<file>.runner-fleet-old`); the manifest last. A rename that fails undoes the renames done (the
 *    files aside renamed back, new files removed): the earlier fleet and its manifest, as they were
 *    (before: the files renamed until then stayed, a mix of two fleets).
 * 3. The files set aside are removed (one that cannot be is named in the error: the fleet is the new one).
 * 0. Leftovers of an earlier run stopped part-way, with no undo (killed), are put right first
 *    (recoverLeftovers: a file set aside whose new file is in place is removed; one whose new file
 *    is not is put back).
 * 4. Stale files (in the earlier manifest, not in this run) are removed. One that cannot be removed
 *    stops the run with the new fleet in place and the manifest of step 1, which still lists it, so
 *    the next run removes it (before: the manifest was replaced first, and a file whose removal
 *    failed was listed nowhere: no later run removed it). When all are removed, the manifest is
 *    written again with this run's files only.
 */
export function writeOutput(dir: string, files: readonly OutputFile[], fs: WriteFs = NODE_FS): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [], leftAlone: [], recovered: { removed: [], restored: [] } };
  const made: string[] = [];
  const staged: { tmp: string; full: string }[] = [];
  const undo = (): void => {
    for (const { tmp } of staged) fs.rmSync(tmp, { force: true });
    for (const d of made.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty or already gone: left
      }
    }
  };
  const stage = (full: string, content: string, shown: string): void => {
    // A temporary file: a link or FIFO at the place is replaced by the rename, never written through.
    const tmp = `${full}.runner-fleet-tmp`;
    try {
      writeFileSync(tmp, content);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new OutputError(shown, errnoReason(e, CREATING), (e as NodeJS.ErrnoException).code);
    }
    staged.push({ tmp, full });
  };
  const now = new Set(files.map((f) => f.path));
  const manifestOf = (paths: Iterable<string>) => `${JSON.stringify({ generator: 'runner-fleet', files: [...new Set(paths)].sort() }, null, 2)}\n`;
  const manifest = manifestOf(now);
  let previous: string[];
  // Earlier files this run removes (step 4): listed in the manifest of step 1 until they are gone.
  let stale: { path: string; full: string }[];
  try {
    ensureDir(dir, dir, made);
    checkPlaces(dir, files);
    report.recovered = recoverLeftovers(dir, files.map((f) => f.path), fs);
    previous = readManifest(dir);
    stale = previous.filter((old) => !now.has(old)).flatMap((old) => {
      const full = old === MANIFEST ? undefined : within(dir, old);
      return full === undefined ? [] : [{ path: old, full }];
    });
    // The manifest is staged first (a run stopped while staging leaves it, naming every file it
    // staged: recoverLeftovers), and renamed into place last.
    const interim = manifestOf([...now, ...stale.map((f) => f.path)]);
    const manifestFull = join(dir, MANIFEST);
    const stageManifest = !holds(manifestFull, interim);
    if (stageManifest) stage(manifestFull, interim, manifestFull);
    for (const f of files) {
      const full = inside(dir, f.path);
      if (holds(full, f.content)) {
        report.unchanged.push(f.path);
        continue;
      }
      ensureDir(dirname(full), join(dir, dirname(f.path)), made);
      stage(full, f.content, join(dir, f.path));
      report.written.push(f.path);
    }
    if (stageManifest) staged.push(staged.shift()!);
  } catch (e) {
    undo();
    if (e instanceof OutputError) throw e;
    throw new OutputError(dir, errnoReason(e, CREATING), (e as NodeJS.ErrnoException).code);
  }
  // Step 2: the swap, undone whole when a rename fails.
  const swapped: { full: string; aside?: string }[] = [];
  try {
    for (const { tmp, full } of staged) {
      const aside = `${full}.runner-fleet-old`;
      let replaces = false;
      try {
        replaces = !lstatSync(full).isDirectory();
      } catch {
        replaces = false;
      }
      if (replaces) fs.renameSync(full, aside);
      if (replaces && swapped.length === 0) pauseForTest('aside');
      try {
        fs.renameSync(tmp, full);
      } catch (e) {
        if (replaces) fs.renameSync(aside, full);
        throw e;
      }
      swapped.push(replaces ? { full, aside } : { full });
    }
  } catch (e) {
    const notUndone: string[] = [];
    for (const { full, aside } of swapped.reverse()) {
      try {
        if (aside !== undefined) fs.renameSync(aside, full);
        else fs.rmSync(full, { force: true });
      } catch {
        notUndone.push(full);
      }
    }
    undo();
    const undone = notUndone.length === 0 ? 'nothing was replaced' : `these files could not be put back as they were: ${notUndone.join(', ')}`;
    throw new OutputError(dir, `${errnoReason(e, CREATING)} (while renaming the files written into place; ${undone})`, (e as NodeJS.ErrnoException).code);
  }
  pauseForTest('swapped');
  // Step 3: the earlier files set aside (a run stopped before they are gone: recoverLeftovers).
  for (const { aside } of swapped) {
    if (aside === undefined) continue;
    try {
      fs.rmSync(aside, { force: true });
    } catch (e) {
      throw new OutputError(aside, `the new fleet is written, but an earlier file set aside could not be removed: ${errnoReason(e)}`);
    }
  }
  // Step 4: stale files, then the manifest of this run's files alone.
  for (const old of previous) {
    if (now.has(old)) continue;
    const full = old === MANIFEST ? undefined : within(dir, old);
    if (full === undefined) {
      report.leftAlone.push(old);
      continue;
    }
    let kind;
    try {
      kind = lstatSync(full);
    } catch {
      continue; // already gone
    }
    // Files and links only (a link is removed, never what it points to); a folder is left alone.
    if (!kind.isFile() && !kind.isSymbolicLink()) {
      report.leftAlone.push(old);
      continue;
    }
    try {
      fs.rmSync(full);
    } catch (e) {
      throw new OutputError(full, `cannot remove a file an earlier run wrote: ${errnoReason(e)} (the new fleet is written; the manifest still lists this file, so the next run removes it)`);
    }
    report.removed.push(old);
    pruneEmptyDirs(dir, dirname(full));
  }
  if (stale.length > 0 && !holds(join(dir, MANIFEST), manifest)) {
    const tmp = join(dir, `${MANIFEST}.runner-fleet-tmp`);
    try {
      writeFileSync(tmp, manifest);
      fs.renameSync(tmp, join(dir, MANIFEST));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new OutputError(join(dir, MANIFEST), `the new fleet is written and the earlier files removed, but its manifest still lists them: ${errnoReason(e)}`);
    }
  }
  return report;
}

/**
 * Before anything is written: no file of the output is in the way of a folder it needs, and no
 * folder is where a file goes. Otherwise the run would stop half-way, with part of the fleet
 * written (a user's `terraform` file in the output folder stopped it after 16 of 17 files).
 */
function checkPlaces(dir: string, files: readonly OutputFile[]): void {
  const top = resolve(dir);
  const known = new Map<string, boolean>(); // path -> is a directory (absent: missing)
  const kind = (p: string): boolean | undefined => {
    if (known.has(p)) return known.get(p);
    let isDir: boolean | undefined;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      isDir = undefined;
    }
    if (isDir !== undefined) known.set(p, isDir);
    return isDir;
  };
  for (const f of files) {
    const full = inside(dir, f.path);
    if (kind(full) === true) throw new OutputError(join(dir, f.path), 'a directory is in the way of this file');
    const parts = relative(top, dirname(full)).split(sep).filter((x) => x !== '');
    let p = top;
    for (const part of parts) {
      p = join(p, part);
      const k = kind(p);
      if (k === undefined) break; // missing: made when the file is written
      if (!k) throw new OutputError(join(dir, dirname(f.path)), `${p} is a file, not a directory`);
    }
  }
}

function pruneEmptyDirs(root: string, from: string): void {
  let d = from;
  const top = resolve(root);
  while (resolve(d) !== top && resolve(d).startsWith(top)) {
    if (readdirSync(d).length > 0) return;
    rmdirSync(d);
    d = dirname(d);
  }
}
