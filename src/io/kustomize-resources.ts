import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { WalkedFile } from './walk.js';
import { errnoReason } from './errno.js';

const KUSTOMIZATION = /^(?:kustomization\.ya?ml|Kustomization)$/;
/**
 * Whether kustomize reads a `resources`, `bases` or `components` entry as a remote address, not a
 * local path: an `http://` or `https://` URL (a file it downloads, api/internal/loader/fileloader.go
 * IsRemoteFile, or a repository it clones), or what api/internal/git/repospec.go NewRepoSpecFromURL
 * takes as a repository (FileLoader.New tries it first). That function drops a leading `git::`
 * (ignoreForcedGitProtocol), knows the schemes `ssh://`, `https://`, `http://` and `file://`
 * (extractScheme; any other, `git://` or `s3://`, "unsupported scheme"), and without a scheme takes
 * only a scp-style address with a user (`git@gitlab.com:group/repo`, extractUsername) or one starting
 * `github.com/` or `github.com:` (isStandardGithubHost, acceptSCPStyle); anything else fails there
 * ("failed to parse scheme") and kustomize reads the entry as a local path, so a
 * `gitlab.com/group/repo//path?ref=v1` is a folder it looks for beside the kustomization.
 */
export function kustomizeRemote(entry: string): boolean {
  const e = entry.trim().replace(/^git::/i, '');
  if (/^(?:ssh|https?|file):\/\//i.test(e)) return true;
  return /^[a-z][a-z0-9-]*@[^/:\s]+[:/]\S/i.test(e) || /^github\.com[/:]\S/i.test(e);
}

/**
 * Where a local path kustomize looks for is written like a remote address it does not take as one
 * (see kustomizeRemote): a host name first (`gitlab.com/group/repo//path`, `bitbucket.org/...`) or a
 * scheme kustomize does not know (`git://`, `s3://`). The text of its hint, or undefined.
 */
export function remoteLookalike(entry: string): string | undefined {
  const e = entry.trim().replace(/^git::/i, '');
  if (kustomizeRemote(entry)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(e)?.[1];
  if (scheme !== undefined) return `kustomize fetches a remote base only over https://, http://, ssh:// or file:// (api/internal/git/repospec.go), and ${scheme}:// is none of them ("unsupported scheme"), so it reads the entry as a local path`;
  const host = /^([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?::\d+)?\/[^/]/i.exec(e)?.[1];
  if (host !== undefined && !/\.(?:ya?ml|json)$/i.test(host)) return `it is written like an address on ${host} with no scheme, and kustomize takes an address without one as remote only for github.com or a user@host: address (api/internal/git/repospec.go, "failed to parse scheme"), so it reads the entry as a local path`;
  return undefined;
}
/** A kustomization file's parsed first document (a map), or undefined. */
function kustomizationValue(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const docs = parseAllDocuments(new TextDecoder().decode(bytes), { logLevel: 'silent' });
    if (!Array.isArray(docs) || docs.length === 0 || docs[0]!.errors.length > 0) return undefined;
    const value = docs[0]!.toJS({ maxAliasCount: 100 }) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The files a kustomization's `configMapGenerator` and `secretGenerator` entries read (`files`:
 * `path` or `key=path`, generators.ParseFileSource; `envs` and the deprecated `env`), beside the
 * kustomization at `path`: a replacement may copy their values (doctor/kustomize-replacements.ts), so
 * the doctor keeps them as text whatever their names.
 */
export function kustomizeGeneratorFiles(path: string, bytes: Uint8Array): string[] {
  if (!KUSTOMIZATION.test(basename(path))) return [];
  const v = kustomizationValue(bytes);
  if (!v) return [];
  const out: string[] = [];
  const list = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
  for (const e of [...list(v.configMapGenerator), ...list(v.secretGenerator)]) {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) continue;
    const g = e as Record<string, unknown>;
    for (const f of list(g.files)) if (typeof f === 'string' && f.split('=').length <= 2) out.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
    for (const f of [...list(g.envs), g.env]) if (typeof f === 'string') out.push(f);
  }
  return out.filter((f) => f !== '' && !kustomizeRemote(f)).map((f) => join(dirname(path), f));
}

/**
 * Whether `path` lies in the folder of the kustomization at `kustomization` or below it: only there
 * does a file it names share the kustomization's `inFolder` (its folder was walked whole). A file
 * named outside it (`../../shared/config.toml`) is in a folder the walk did not read whole, so that
 * folder's other files are not known to be absent (doctor/kustomize-build.ts: RF946 "does not exist").
 */
function below(kustomization: string, path: string): boolean {
  const folder = dirname(kustomization);
  return folder === '.' ? !isAbsolute(path) && path !== '..' && !path.startsWith(`..${sep}`) : path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

/** Names the doctor reads as YAML or JSON by themselves. */
const READ_AS_YAML = /\.(?:ya?ml|json)$/i;

/**
 * Resource files the kustomizations among `given` list (`resources`, `bases`) that a folder walk did
 * not read as YAML or JSON (it reads files by extension, walk.ts readsFile): kustomize loads a listed
 * path that is a file as a file of resources whatever its name — none (`manager`), `.txt`,
 * `.yml.tmpl`, `.tpl` — (api/internal/target/kusttarget.go accumulateResources: accumulateFile
 * first, a folder only where that fails; api/resmap/factory.go FromFile reads the bytes as YAML), so
 * the doctor reads it too, as YAML or JSON (`kustomizeResource`, read.ts resourceSyntax), as found
 * with its kustomization (`inFolder` as it). A walk's copy of the same file (not read, or read as
 * text) is replaced by it. A file over `maxBytes` is given with its size only, and one that cannot be
 * read with the reason (each RF902 then, read.ts): it is there, so it is not "not there" (RF946).
 * A path that is not a regular file is left out (then it is a folder, or not there, as before); a
 * `.yaml`, `.yml` or `.json` file the walk did not give is not followed (a file named alone).
 */
export async function readKustomizeResources(given: readonly WalkedFile[], maxBytes: number): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  // What the walk read as YAML or JSON, or will (a file named on the command line is read by its name).
  const known = new Set(given.filter((f) => f.notRead !== true && f.unreadable === undefined && f.sameFolderAs === undefined && READ_AS_YAML.test(f.path)).map((f) => f.path));
  const others = new Map(given.map((f) => [f.path, f]));
  for (const f of given) {
    if (!KUSTOMIZATION.test(basename(f.path)) || f.bytes.byteLength === 0) continue;
    const v = kustomizationValue(f.bytes);
    if (!v) continue;
    const list = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
    for (const entry of [...list(v.resources), ...list(v.bases)]) {
      if (typeof entry !== 'string' || entry === '' || kustomizeRemote(entry) || entry.endsWith('/') || READ_AS_YAML.test(entry)) continue;
      const path = join(dirname(f.path), entry);
      if (known.has(path)) continue;
      known.add(path);
      const inFolder = (others.get(path)?.inFolder ?? (f.inFolder === true && below(f.path, path))) === true ? { inFolder: true as const } : {};
      let size: number;
      try {
        const info = await stat(path);
        if (!info.isFile()) continue;
        size = info.size;
      } catch {
        continue; // not there: left as the doctor finds it
      }
      if (size > maxBytes) {
        out.push({ path, bytes: new Uint8Array(0), size, kustomizeResource: true, ...inFolder });
        continue;
      }
      try {
        const bytes = await readFile(path);
        out.push({ path, bytes, size: bytes.byteLength, kustomizeResource: true, ...inFolder });
      } catch (e) {
        const reason = errnoReason(e);
        out.push({ path, bytes: new Uint8Array(0), size, kustomizeResource: true, unreadable: `${reason}; kustomize reads it as a resource of ${f.path}`, unreadableFix: `make ${path} readable, or take it out of the resources of ${f.path}`, ...inFolder });
      }
    }
  }
  // Generator files (kustomizeGeneratorFiles) the walk did not read: given with their bytes, read as text (doctor/index.ts).
  const read = new Set(given.filter((f) => f.notRead !== true && f.unreadable === undefined).map((f) => f.path));
  for (const f of given) {
    for (const path of kustomizeGeneratorFiles(f.path, f.bytes)) {
      if (read.has(path)) continue;
      read.add(path);
      const inFolder = f.inFolder === true && below(f.path, path) ? { inFolder: true as const } : {};
      let size: number;
      try {
        const info = await stat(path);
        if (!info.isFile()) continue;
        size = info.size;
      } catch {
        continue; // not there: kustomize-build.ts says so (RF946) where the folder was walked whole
      }
      // There, but not read (over the size limit, or not readable): given by its size or the reason (RF902), so not "not there".
      if (size > maxBytes) {
        out.push({ path, bytes: new Uint8Array(0), size, ...inFolder });
        continue;
      }
      try {
        const bytes = await readFile(path);
        out.push({ path, bytes, size: bytes.byteLength, ...inFolder });
      } catch (e) {
        out.push({ path, bytes: new Uint8Array(0), size, unreadable: `${errnoReason(e)}; kustomize reads it for a generator of ${f.path}`, unreadableFix: `make ${path} readable, or take it out of the generators of ${f.path}`, ...inFolder });
      }
    }
  }
  return out;
}
