import { isObject } from '../model/is-object.js';
import { normalPath } from './hcl/eval.js';
import { trimEnd } from '../model/trim.js';

/**
 * The one reader of a kustomization's `configMapGenerator` / `secretGenerator` entries (kustomize
 * api/types GeneratorArgs, api/kv/kv.go): what kustomize-generate.ts makes objects of, what
 * kustomize-replacements.ts takes a source value from, what pod-spec-patch-path.ts reads a key's
 * file of, and the files kustomize-build.ts checks are there.
 *
 * - name, namespace, `behavior` (`create` where it is not written, null or empty: JSON null decodes to Go's empty string), a Secret's `type`;
 * - `options` over `generatorOptions` (labels, annotations; the hash suffix unless
 *   `disableNameSuffixHash` is true in either);
 * - data keys: `files` entries `path` (the key is the file's base name) or `key=path`
 *   (generators.ParseFileSource; more than one `=`, or an empty side, is no entry here), the file's
 *   text; `literals` `key=value` split at the first `=`, one pair of matching quotes around the value
 *   dropped (kv.go removeQuotes); `envs` (and the older `env`) files of `KEY=VALUE` lines, blank lines
 *   and `#` comments skipped, a line with no `=` given its value from kustomize's own environment
 *   (read as empty: the files do not show it);
 * - each file an entry reads (`files`, `envs`, `env`), with the path it is looked for at (beside the
 *   kustomization), whether that is outside the kustomization's folder (kustomize's default load
 *   restrictor refuses it), and its text where the files given hold it.
 */

type Path = (string | number)[];
export type GeneratorField = 'configMapGenerator' | 'secretGenerator';

/** One data key of an entry: its value (undefined where its file is not given), where it is written (relative to the entry), and the file it was read from. */
export interface GeneratorKey {
  key: string;
  value: string | undefined;
  place: Path;
  /** The file (normalised path) a `files` key is the text of. */
  file?: string;
}

/** A file an entry reads. */
export interface GeneratorRead {
  /** `files`, `envs` or `env`, and where it is written (relative to the entry). */
  field: 'files' | 'envs' | 'env';
  place: Path;
  /** As written in the entry (`key=path` whole). */
  written: string;
  /** The path, as written. */
  rel: string;
  /** Where it is looked for: beside the kustomization, normalised. */
  path: string;
  /** Outside the kustomization's folder (above it, or absolute): kustomize's default load restrictor refuses it. */
  outside: boolean;
  text: string | undefined;
}

export interface GeneratorEntry {
  field: GeneratorField;
  kind: 'ConfigMap' | 'Secret';
  index: number;
  name: string;
  namespace?: string;
  behavior: string;
  type?: string;
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
  /** Whether kustomize appends a hash of the content to the name. */
  hashed: boolean;
  /** In the order written: files, literals, envs. */
  keys: GeneratorKey[];
  reads: GeneratorRead[];
}

/** Counts of the work done, for the linearity tests. */
export const generatorEntryWork = { entries: 0 };

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Drops one pair of matching quotes around a literal's value (kv.go removeQuotes). */
function unquoted(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}

/** The KEY=VALUE pairs of an env file (kv.go keyValuesFromLines), in order. */
function envPairs(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === 0) continue;
    // A line with no `=` takes its value from kustomize's own environment: empty where it is not set, as it is read here.
    out.push(eq < 0 ? [line.trimEnd(), ''] : [line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** A `files` entry's key and path (generators.ParseFileSource), or undefined where kustomize takes no such entry. */
export function fileSource(f: unknown): { key: string; rel: string } | undefined {
  if (typeof f !== 'string' || f === '') return undefined;
  const parts = f.split('=');
  if (parts.length > 2 || parts.some((x) => x === '')) return undefined;
  return parts.length === 2 ? { key: parts[0]!, rel: parts[1]! } : { key: f.slice(f.lastIndexOf('/') + 1), rel: f };
}

/**
 * The generator entries of a kustomization (`value`, its folder `folder` ending in `/` or ''), in
 * order, configMapGenerator first; an entry that is not a map or has no string name is left out.
 * `textOf` gives a file's text by normalised path (undefined: not given); `resolve` turns a path
 * through a folder the walk reached by a symbolic link into the folder it is (kustomize-build.ts
 * throughLinks), for the file's path and the kustomization's folder alike.
 */
export function generatorEntries(value: Record<string, unknown>, folder: string, textOf: (path: string) => string | undefined, resolve: (path: string) => string = (p) => p): GeneratorEntry[] {
  const out: GeneratorEntry[] = [];
  const options = isObject(value.generatorOptions) ? value.generatorOptions : {};
  // kustomize's loader and its load restrictor follow symbolic links (api/filesys ConfirmedDir, CleanedAbs): both the root and the file as the folders they are.
  const root = folder === '' ? '' : `${trimEnd(resolve(trimEnd(folder, '/')), '/')}/`;
  const read = (field: GeneratorRead['field'], place: Path, written: string, rel: string): GeneratorRead => {
    // A path written absolute is that path, not one below the folder.
    const path = resolve(normalPath(rel.startsWith('/') ? rel : `${folder}${rel}`));
    // Outside: not at or below the kustomization's folder. A folder given as '' (the top of relative paths) holds every relative path that does not climb out of it.
    const outside = root === '' ? path === '..' || path.startsWith('../') || path.startsWith('/') : root === '/' ? !path.startsWith('/') : !path.startsWith(root);
    return { field, place, written, rel, path, outside, text: textOf(path) };
  };
  for (const [field, kind] of [['configMapGenerator', 'ConfigMap'], ['secretGenerator', 'Secret']] as const) {
    const entries = list(value[field]);
    for (let index = 0; index < entries.length; index++) {
      const e = entries[index];
      if (!isObject(e) || typeof e.name !== 'string') continue;
      generatorEntryWork.entries++;
      const opts = isObject(e.options) ? e.options : {};
      const g: GeneratorEntry = {
        field,
        kind,
        index,
        name: e.name,
        ...(typeof e.namespace === 'string' ? { namespace: e.namespace } : {}),
        behavior: e.behavior === undefined || e.behavior === null || e.behavior === '' ? 'create' : typeof e.behavior === 'string' ? e.behavior : '',
        ...(typeof e.type === 'string' && e.type !== '' ? { type: e.type } : {}),
        labels: { ...(isObject(options.labels) ? options.labels : {}), ...(isObject(opts.labels) ? opts.labels : {}) },
        annotations: { ...(isObject(options.annotations) ? options.annotations : {}), ...(isObject(opts.annotations) ? opts.annotations : {}) },
        hashed: opts.disableNameSuffixHash !== true && options.disableNameSuffixHash !== true,
        keys: [],
        reads: [],
      };
      list(e.files).forEach((f, j) => {
        const s = fileSource(f);
        if (!s) return;
        const r = read('files', ['files', j], f as string, s.rel);
        g.reads.push(r);
        g.keys.push({ key: s.key, value: r.text, place: ['files', j], file: r.path });
      });
      list(e.literals).forEach((l, j) => {
        if (typeof l !== 'string') return;
        const eq = l.indexOf('=');
        if (eq <= 0) return;
        g.keys.push({ key: l.slice(0, eq), value: unquoted(l.slice(eq + 1)), place: ['literals', j] });
      });
      for (const envField of ['envs', 'env'] as const) {
        const one = typeof e[envField] === 'string';
        const files = one ? [e[envField]] : list(e[envField]);
        files.forEach((rel, j) => {
          if (typeof rel !== 'string' || rel === '') return;
          const place = one ? [envField] : [envField, j];
          const r = read(envField, place, rel, rel);
          g.reads.push(r);
          if (r.text !== undefined) for (const [key, v] of envPairs(r.text)) g.keys.push({ key, value: v, place });
        });
      }
      out.push(g);
    }
  }
  return out;
}
