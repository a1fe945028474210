import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';

/**
 * The doctor corpus's case format (test/doctor/corpus/README.md). A case folder is either plain (its
 * files are the deployment, expected.json aside) or names a base case in `base.json` and gives only
 * what differs: `<file>.patch` (a unified diff against the base's <file>), whole files that replace
 * or add, and `removed` base files. A base is a plain case: no chains, so a case reads in two places
 * at the most, and an edit to a base reaches only the cases that name it.
 */
export const CORPUS = join(import.meta.dirname, '..', 'doctor', 'corpus');

export const BASE_FILE = 'base.json';
export const EXPECTED_FILE = 'expected.json';

/** What base.json holds. */
export interface BaseSpec {
  base: string;
  removed?: string[];
}

/** A case that cannot be materialised: a missing base, a chain, a patch that does not apply. */
export class CorpusCaseError extends Error {
  override name = 'CorpusCaseError';
}

const splitLines = (text: string) => {
  const lines = text.split('\n');
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
};

/**
 * Applies a unified diff (as `diff -u` or `git diff` write it, one file) to `text`. Strict: each
 * hunk must stand at the line its header names, its context and removed lines the same to the
 * letter; no offset, no fuzz. `where` names the patch in errors ("case x: main.tf.patch").
 */
export function applyPatch(text: string, patch: string, where: string): string {
  const old = splitLines(text);
  const out: string[] = [];
  let oldAt = 0; // lines of old consumed
  let newFinalNewline = old.finalNewline;
  const lines = splitLines(patch).lines;
  let i = 0;
  let hunks = 0;
  while (i < lines.length && !lines[i]!.startsWith('@@')) {
    if (!/^(---|\+\+\+|diff |index |Index: |=+$)/.test(lines[i]!)) throw new CorpusCaseError(`${where}: line ${i + 1} is ${JSON.stringify(lines[i])} before the first hunk; a unified diff has only ---/+++ headers there`);
    i++;
  }
  if (i >= lines.length) throw new CorpusCaseError(`${where}: no hunk (a unified diff's hunks start "@@ -<line>,<count> +<line>,<count> @@")`);
  while (i < lines.length) {
    const header = lines[i]!;
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(header);
    hunks++;
    const hunk = `hunk ${hunks} (${header})`;
    if (!m) throw new CorpusCaseError(`${where}: patch line ${i + 1}: ${JSON.stringify(header)} is not a hunk header "@@ -<line>,<count> +<line>,<count> @@"`);
    const oldCount = m[2] === undefined ? 1 : Number(m[2]);
    const newCount = m[4] === undefined ? 1 : Number(m[4]);
    // A hunk that removes or replaces from line n starts after n-1 lines; one that only adds (count 0) after n.
    const start = oldCount === 0 ? Number(m[1]) : Number(m[1]) - 1;
    if (start < oldAt) throw new CorpusCaseError(`${where}: ${hunk} starts at line ${start + 1}, before the end of the hunk above it (line ${oldAt})`);
    if (start > old.lines.length) throw new CorpusCaseError(`${where}: ${hunk} does not apply: it starts at line ${start + 1}, the base file has ${old.lines.length} lines`);
    out.push(...old.lines.slice(oldAt, start));
    oldAt = start;
    let seenOld = 0;
    let seenNew = 0;
    let last = '';
    i++;
    while (i < lines.length && !lines[i]!.startsWith('@@')) {
      const line = lines[i]!;
      const kind = line[0] ?? ' ';
      const body = line.slice(1);
      if (kind === '\\') {
        // "\ No newline at end of file": the line above is its file's last, with no newline after it.
        if (last === '-' || last === ' ') {
          if (old.finalNewline || oldAt !== old.lines.length) throw new CorpusCaseError(`${where}: ${hunk} does not apply: it says the base file has no newline at its end, and it has`);
        }
        if (last === '+' || last === ' ') newFinalNewline = false;
      } else if (kind === ' ' || kind === '-') {
        const have = old.lines[oldAt];
        if (have !== body) {
          throw new CorpusCaseError(`${where}: ${hunk} does not apply: base line ${oldAt + 1} is ${have === undefined ? 'past the end of the file' : JSON.stringify(have)}, the patch expects ${JSON.stringify(body)} (the base changed under the patch: remake the patch with diff -u)`);
        }
        if (kind === ' ') out.push(body);
        oldAt++;
        seenOld++;
        if (kind === ' ') seenNew++;
        if (oldAt === old.lines.length && kind === ' ') newFinalNewline = old.finalNewline;
      } else if (kind === '+') {
        out.push(body);
        seenNew++;
        if (oldAt === old.lines.length) newFinalNewline = true;
      } else {
        throw new CorpusCaseError(`${where}: ${hunk}: patch line ${i + 1} starts with ${JSON.stringify(kind)}; a hunk's lines start with " ", "-", "+" or "\\"`);
      }
      last = kind === '\\' ? last : kind;
      i++;
    }
    if (seenOld !== oldCount || seenNew !== newCount) throw new CorpusCaseError(`${where}: ${hunk} has ${seenOld} base and ${seenNew} new lines, its header says ${oldCount} and ${newCount}`);
  }
  out.push(...old.lines.slice(oldAt));
  if (oldAt < old.lines.length) newFinalNewline = old.finalNewline;
  return out.join('\n') + (newFinalNewline && out.length > 0 ? '\n' : '');
}

/** Every file below dir (expected.json and base.json at its top aside), path relative to dir with /, in walk order. */
function folderFiles(dir: string, root = dir): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const [k, v] of folderFiles(p, root)) out.set(k, v);
    else if (dir !== root || (name !== EXPECTED_FILE && name !== BASE_FILE)) out.set(relative(root, p).split('\\').join('/'), readFileSync(p));
  }
  return out;
}

/** base.json of the case in dir, checked; undefined for a plain case. */
export function baseSpec(dir: string): BaseSpec | undefined {
  const p = join(dir, BASE_FILE);
  if (!existsSync(p)) return undefined;
  const where = `corpus case ${basename(dir)}: ${BASE_FILE}`;
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new CorpusCaseError(`${where} is not JSON (${(e as Error).message}); write {"base": "<case>", "removed": ["<file>"]}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new CorpusCaseError(`${where} must be an object {"base": "<case>", "removed": ["<file>"]}`);
  const s = spec as Record<string, unknown>;
  for (const k of Object.keys(s)) if (k !== 'base' && k !== 'removed') throw new CorpusCaseError(`${where}: unknown field ${JSON.stringify(k)}; allowed: base, removed`);
  if (typeof s.base !== 'string' || s.base === '' || s.base.includes('/') || s.base.includes('\\')) throw new CorpusCaseError(`${where}: base must be the name of a case folder beside this one, got ${JSON.stringify(s.base)}`);
  if (s.removed !== undefined && (!Array.isArray(s.removed) || s.removed.some((r) => typeof r !== 'string'))) throw new CorpusCaseError(`${where}: removed must be a list of the base's file paths, got ${JSON.stringify(s.removed)}`);
  return { base: s.base, ...(s.removed === undefined ? {} : { removed: s.removed as string[] }) };
}

/**
 * The deployment files of the case in `dir` (expected.json aside), path relative to the case →
 * bytes, in the order a walk of the materialised folder gives them: a plain case's own files, or
 * its base's files with the case's patches, whole files and removals applied.
 */
export function caseFiles(dir: string): Map<string, Buffer> {
  const spec = baseSpec(dir);
  if (spec === undefined) return folderFiles(dir);
  const name = basename(dir);
  const baseDir = join(dirname(dir), spec.base);
  if (!existsSync(join(baseDir, EXPECTED_FILE))) throw new CorpusCaseError(`corpus case ${name}: ${BASE_FILE} names base ${JSON.stringify(spec.base)}, and there is no case ${join(dirname(dir), spec.base)} (a folder with an ${EXPECTED_FILE})`);
  if (baseSpec(baseDir) !== undefined) throw new CorpusCaseError(`corpus case ${name}: its base ${spec.base} names a base of its own; a base must be a plain case (no chains): name ${spec.base}'s base instead, or make ${spec.base} plain`);
  const files = folderFiles(baseDir);
  for (const r of spec.removed ?? []) {
    if (!files.delete(r)) throw new CorpusCaseError(`corpus case ${name}: ${BASE_FILE} removes ${JSON.stringify(r)}, which base ${spec.base} does not have (it has: ${[...files.keys()].join(', ')})`);
  }
  const own = folderFiles(dir);
  for (const [path, bytes] of own) {
    if (!path.endsWith('.patch')) continue;
    const target = path.slice(0, -'.patch'.length);
    if (own.has(target)) throw new CorpusCaseError(`corpus case ${name}: both ${path} and a whole ${target}; give one of them`);
    const baseText = files.get(target);
    if (baseText === undefined) throw new CorpusCaseError(`corpus case ${name}: ${path} patches ${target}, which base ${spec.base} does not have${spec.removed?.includes(target) ? ' (base.json removes it)' : ''}`);
    files.set(target, Buffer.from(applyPatch(baseText.toString('utf8'), bytes.toString('utf8'), `corpus case ${name}: ${path} (base ${spec.base})`)));
  }
  for (const [path, bytes] of own) if (!path.endsWith('.patch')) files.set(path, bytes);
  // The walk order of a folder holding these files (what a plain copy of the case would read as).
  const order = (p: string) => p.split('/');
  const sorted = [...files.keys()].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let k = 0; k < Math.min(x.length, y.length); k++) {
      if (x[k] !== y[k]) {
        // readdir sorted by name, then a folder's files in place of its name.
        return x[k]! < y[k]! ? -1 : 1;
      }
    }
    return x.length - y.length;
  });
  return new Map(sorted.map((p) => [p, files.get(p)!]));
}

const materialised = new Map<string, string>();

/**
 * A folder holding the case in `dir` as a plain case would (its deployment files and its own
 * expected.json), so that paths the doctor reports relative to it are those expected.json pins.
 * A plain case is its own folder; a patched one is written once per process under the OS temp
 * folder, at `<tmp>/<case name>`.
 */
export function caseDir(dir: string): string {
  if (baseSpec(dir) === undefined) return dir;
  const known = materialised.get(dir);
  if (known !== undefined) return known;
  const out = join(mkdtempSync(join(tmpdir(), 'runner-fleet-corpus-')), basename(dir));
  for (const [path, bytes] of caseFiles(dir)) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, path), bytes);
  }
  writeFileSync(join(out, EXPECTED_FILE), readFileSync(join(dir, EXPECTED_FILE)));
  materialised.set(dir, out);
  return out;
}

/** The corpus case called `name` (test/doctor/corpus/<name>): its folder, as caseDir gives it. */
export const corpusCaseDir = (name: string) => caseDir(join(CORPUS, name));

/** One file of the corpus case called `name`, as text. */
export function corpusCaseFile(name: string, path: string): string {
  const bytes = caseFiles(join(CORPUS, name)).get(path);
  if (bytes === undefined) throw new CorpusCaseError(`corpus case ${name} has no file ${path}`);
  return bytes.toString('utf8');
}

let wholeCorpus: string | undefined;

/**
 * A folder with every corpus case as caseDir gives it (a plain case linked, a patched one
 * materialised), for a test that walks the corpus or reads cases by path below one root.
 */
export function corpusRoot(): string {
  if (wholeCorpus !== undefined) return wholeCorpus;
  const out = mkdtempSync(join(tmpdir(), 'runner-fleet-corpus-'));
  for (const name of readdirSync(CORPUS).sort()) {
    const dir = join(CORPUS, name);
    if (!statSync(dir).isDirectory()) continue;
    symlinkSync(caseDir(dir), join(out, name), 'dir');
  }
  wholeCorpus = out;
  return out;
}

/** The names of the cases in a corpus folder (its sub-folders; a README beside them is no case). */
export const caseNames = (root = CORPUS) => readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).sort();
