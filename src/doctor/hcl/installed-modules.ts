/**
 * The modules `terraform init` installed for a root: its manifest, `.terraform/modules/modules.json`
 * (`{"Modules":[{"Key":"","Source":"","Dir":"."}, {"Key":"eks","Source":"registry.terraform.io/…",
 * "Version":"…","Dir":".terraform/modules/eks"}, {"Key":"eks.kms","Source":"./modules/kms","Dir":
 * ".terraform/modules/eks/modules/kms"}]}`). A call's key is the names of the module calls from the
 * root to it, joined with dots; `Dir` is relative to the root's folder. With it the doctor reads a
 * registry or git module from the copy Terraform itself will run, as it reads a local module.
 */
export interface InstalledModule {
  key: string;
  /** The source address as Terraform recorded it (registry addresses with their host). */
  source: string;
  version?: string;
  /** Its folder, normalised, as the doctor's configurations are keyed (the root's folder joined with `Dir`). */
  dir: string;
}

/** A manifest's path: `<root>/.terraform/modules/modules.json`. */
export const MANIFEST_PATH = /(^|[\\/])\.terraform[\\/]modules[\\/]modules\.json$/;

/** The root folder a manifest belongs to ('.' for the working folder), as written in its path. */
export function manifestRoot(path: string): string {
  return path.replace(MANIFEST_PATH, '') || '.';
}

/**
 * The entries of a manifest (the root's own record left out), keyed by their key; a string: why it
 * is not one. `folder` turns a `Dir` into the folder the doctor keys configurations by (the root's
 * folder joined with it, normalised).
 */
export function parseManifest(text: string, folder: (dir: string) => string): Map<string, InstalledModule> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]!})`;
  }
  const list = typeof doc === 'object' && doc !== null ? (doc as { Modules?: unknown }).Modules : undefined;
  if (!Array.isArray(list)) return 'no "Modules" list, which terraform init writes';
  const out = new Map<string, InstalledModule>();
  for (const m of list) {
    if (typeof m !== 'object' || m === null) continue;
    const { Key: key, Source: source, Version: version, Dir: dir } = m as Record<string, unknown>;
    if (typeof key !== 'string' || key === '' || typeof source !== 'string' || typeof dir !== 'string') continue;
    // A folder outside the root's (an absolute Dir, or ../ above it) is not where init installs: not followed.
    if (dir.startsWith('/') || /^[A-Za-z]:/.test(dir) || dir.split(/[\\/]/).includes('..')) continue;
    out.set(key, { key, source, ...(typeof version === 'string' ? { version } : {}), dir: folder(dir) });
  }
  return out;
}

/** A source address in the form Terraform records it: a registry address with its host, GitHub shorthand as git::https. */
function recorded(source: string): string {
  const [addr, query = ''] = source.split('?', 2) as [string, string?];
  const q = query === '' ? '' : `?${query}`;
  // `<namespace>/<name>/<provider>` (and `//subdir`): the public registry.
  if (/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_-]*\/[A-Za-z0-9]+(\/\/.*)?$/.test(addr)) return `registry.terraform.io/${addr}${q}`;
  // `github.com/<owner>/<repo>` (go-getter's GitHub detector).
  const gh = /^github\.com\/([^/]+)\/([^/]+?)(?:\.git)?(\/\/.*)?$/.exec(addr);
  if (gh) return `git::https://github.com/${gh[1]!}/${gh[2]!}.git${gh[3] ?? ''}${q}`;
  return source;
}

/** Whether a call's source (as written) is the one a manifest entry recorded: else init was run for another source. */
export function sameSource(written: string, recordedSource: string): boolean {
  return written === recordedSource || recorded(written) === recordedSource || recorded(written) === recorded(recordedSource);
}

/** Whether a path lies under a `.terraform` folder: init's copies (a manifest's local modules sit in the root's own folders). */
export function underDotTerraform(path: string): boolean {
  return path.split(/[\\/]/).includes('.terraform');
}

/** Folders of installed modules (every manifest's entries): evaluated through their calls, never as roots. */
export function installedDirs(manifests: ReadonlyMap<string, ReadonlyMap<string, InstalledModule>>): Set<string> {
  const out = new Set<string>();
  for (const entries of manifests.values()) for (const m of entries.values()) if (underDotTerraform(m.dir)) out.add(m.dir);
  return out;
}

/** A source address as the doctor shows it: without a user name or password a URL may carry (`https://user:token@host/…`). */
export function shownSource(source: string): string {
  return source.replace(/(\/\/)[^/@\s]+@/g, '$1');
}
