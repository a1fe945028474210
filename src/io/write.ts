import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync, rmdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { OutputFile } from '../emit/serialize.js';

export const MANIFEST = '.runner-fleet-manifest.json';

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

function readManifest(dir: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

function inside(dir: string, path: string): string {
  const full = resolve(dir, path);
  const rel = relative(resolve(dir), full);
  if (rel.startsWith('..') || rel.split(sep).includes('..')) throw new Error(`internal: output path escapes the output directory: ${path}`);
  return full;
}

/**
 * Writes files that changed (through a temporary file and a rename, so a reader never sees half
 * a file), leaves identical ones untouched, and removes files an earlier run wrote that this run
 * no longer produces. Only files listed in the manifest are ever removed.
 */
export function writeOutput(dir: string, files: readonly OutputFile[]): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const previous = readManifest(dir);
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const full = inside(dir, f.path);
    let current: string | undefined;
    try {
      current = readFileSync(full, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === f.content) {
      report.unchanged.push(f.path);
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    const tmp = `${full}.runner-fleet-tmp`;
    writeFileSync(tmp, f.content);
    renameSync(tmp, full);
    report.written.push(f.path);
  }
  const now = new Set(files.map((f) => f.path));
  for (const old of previous) {
    if (now.has(old)) continue;
    const full = inside(dir, old);
    if (existsSync(full)) {
      rmSync(full);
      report.removed.push(old);
      pruneEmptyDirs(dir, dirname(full));
    }
  }
  const manifest = `${JSON.stringify({ generator: 'runner-fleet', files: [...now].sort() }, null, 2)}\n`;
  let currentManifest: string;
  try {
    currentManifest = readFileSync(join(dir, MANIFEST), 'utf8');
  } catch {
    currentManifest = '';
  }
  if (currentManifest !== manifest) writeFileSync(join(dir, MANIFEST), manifest);
  return report;
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
