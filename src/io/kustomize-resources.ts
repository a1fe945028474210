import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { WalkedFile } from './walk.js';

const KUSTOMIZATION = /^(?:kustomization\.ya?ml|Kustomization)$/;
const REMOTE = /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i;

/**
 * Resource files without an extension that the kustomizations among `given` list (`resources`,
 * `bases`) and a folder walk did not read (it reads files by extension, walk.ts readsFile):
 * kustomize loads a listed path that is a file as a file of resources whatever its name
 * (api/internal/target/kusttarget.go accumulateResources: accumulateFile first, a folder only where
 * that fails), so the doctor reads it too (the reader takes such a file as YAML or JSON by its first
 * character, read.ts sniffedSyntax), as found with its kustomization (`inFolder` as it). A path that
 * is not a regular file, is over `maxBytes` or cannot be read is left out (then it is a folder, or
 * not there, as before).
 */
export async function readKustomizeResources(given: readonly WalkedFile[], maxBytes: number): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const known = new Set(given.map((f) => f.path));
  for (const f of given) {
    if (!KUSTOMIZATION.test(basename(f.path)) || f.bytes.byteLength === 0) continue;
    let value: unknown;
    try {
      const docs = parseAllDocuments(new TextDecoder().decode(f.bytes), { logLevel: 'silent' });
      if (!Array.isArray(docs) || docs.length === 0 || docs[0]!.errors.length > 0) continue;
      value = docs[0]!.toJS({ maxAliasCount: 100 }) as unknown;
    } catch {
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const v = value as Record<string, unknown>;
    const list = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
    for (const entry of [...list(v.resources), ...list(v.bases)]) {
      if (typeof entry !== 'string' || entry === '' || REMOTE.test(entry) || entry.endsWith('/') || basename(entry).includes('.')) continue;
      const path = join(dirname(f.path), entry);
      if (known.has(path)) continue;
      known.add(path);
      try {
        const info = await stat(path);
        if (!info.isFile() || info.size > maxBytes) continue;
        const bytes = await readFile(path);
        out.push({ path, bytes, size: bytes.byteLength, ...(f.inFolder === true ? { inFolder: true as const } : {}) });
      } catch {
        // not there or unreadable: left as the doctor finds it
      }
    }
  }
  return out;
}
