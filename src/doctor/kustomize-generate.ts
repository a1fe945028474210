import { isObject } from '../model/is-object.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Evidence, Located } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';
import { scrubSecret } from './secrets.js';
import { isComponent } from './kustomize-build.js';
import { kustomizeRemote } from '../io/kustomize-resources.js';
import { trimEnd } from '../model/trim.js';
import { refusedWrittenFinding } from './namespace-names.js';
import { safeText } from '../spec/findings.js';

/**
 * The ConfigMaps and Secrets a kustomization's `configMapGenerator` and `secretGenerator` make, as
 * objects of the build (ev.kubernetes), so a manager Deployment mounting `runner-config` finds the
 * ConfigMap and its `config.toml` is read as the runner's configuration:
 *
 * - data (kustomize api/kv/kv.go): `files` entries `path` (the key is the file's base name) or
 *   `key=path`, the file's text, read beside the kustomization; `literals` `key=value` (split at the
 *   first `=`, one pair of matching quotes around the value dropped); `envs` (and the older `env`)
 *   files of `KEY=VALUE` lines, blank lines and `#` comments skipped, a line with no `=` given its
 *   value from kustomize's own environment (read as empty: the files do not show it). A Secret's data is base64 of each value, its type
 *   the entry's `type` (Opaque by default); its values are checked for cloud credentials (RF941) and
 *   dropped, as a Secret read from a file is, so its content is never held or shown.
 * - name: the entry's name, without the hash suffix kustomize appends (unless
 *   `options.disableNameSuffixHash` or `generatorOptions.disableNameSuffixHash`): kustomize rewrites
 *   every reference to the generated object (volumes, envFrom, …) to the hashed name, so the doctor
 *   compares by the name written, and says where it shows one that kustomize suffixes it.
 * - namespace: the entry's `namespace`; the kustomization's `namespace`, namePrefix and nameSuffix
 *   are applied with its other objects (kustomize-namespace.ts lists the kustomization's own file
 *   among the files of its build for that). Labels and annotations of `options` and
 *   `generatorOptions` are set.
 * - `behavior: merge` (keys added, a key there replaced) and `replace` (the data replaced) act on a
 *   ConfigMap or Secret of that name an inner kustomization of its `resources` (or `bases`) builds,
 *   generated or written; one with no such object is kustomize-build.ts's (RF946), not made here.
 *
 * A Component's generators are not made (they join the build of the kustomization listing it), nor
 * those of a kustomization whose build kustomize refuses (it deploys nothing: kustomize-namespace.ts).
 * Where a data value's position is asked for, the file's own position is given (a config.toml key at
 * its line in that file), a literal's at the literal, anything else at the entry's name.
 */

/** The generated objects, with whether kustomize suffixes their name with a hash. */
const generated = new WeakMap<K8sObject, { hashed: boolean }>();

/** Whether an object is a ConfigMap or Secret a kustomize generator made, and whether kustomize appends a hash to its name. */
export function kustomizeGenerated(o: K8sObject): { hashed: boolean } | undefined {
  return generated.get(o);
}

/** Where one data key of a generated object is written. */
type KeyPlace = { file: SourceFile } | { at: () => Position };

/**
 * The source of a generated object: the kustomization file, whose positions are the entry's name
 * (for metadata and anything else), and each data key's own (the file it was read from, its literal).
 */
class GeneratedSource extends SourceFile {
  readonly keys = new Map<string, KeyPlace>();
  constructor(readonly kustomization: Origin, readonly entry: (string | number)[]) {
    super(kustomization.source.path, kustomization.source.text, kustomization.source.syntax);
  }
  override locate(_doc: number, path: readonly (string | number)[]): Position {
    if ((path[0] === 'data' || path[0] === 'stringData') && typeof path[1] === 'string') {
      const place = this.keys.get(path[1]);
      if (place && 'file' in place) return place.file.locate(0, path.slice(2));
      if (place) return place.at();
    }
    const k = this.kustomization;
    return k.source.locate(k.doc, [...k.path, ...this.entry, 'name']);
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

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

/** Adds the generated ConfigMaps and Secrets of the kustomizations read to ev.kubernetes (see above). */
export function generateKustomizeObjects(ev: Evidence): void {
  const kustomizations = (ev.kustomizations ?? []).filter((k) => Array.isArray(k.value.configMapGenerator) || Array.isArray(k.value.secretGenerator));
  if (kustomizations.length === 0) return;
  const textOf = new Map<string, string>();
  for (const [p, t] of ev.texts ?? []) textOf.set(normalPath(p), t);
  const tomlSources = new Map(ev.configTomls.map((t) => [normalPath(t.origin.source.path), t.origin.source]));
  const byFolder = new Map((ev.kustomizations ?? []).map((k) => [folderOf(normalPath(k.origin.source.path)), k]));
  /** The objects each kustomization generated (its own), to merge into. */
  const made = new Map<Located<Record<string, unknown>>, Located<K8sObject>[]>();
  /** The config.toml files a generator reads: data of a ConfigMap, no longer a config.toml given alone. */
  const consumed = new Set<string>();
  /** Secrets a merge or replace wrote values into (their values checked and dropped at the end). */
  const merged = new Set<Located<K8sObject>>();

  /** The objects a kustomization's build holds before its own generators: its inner kustomizations' generated ones and the written ConfigMaps and Secrets of its files, followed through resources and bases. */
  const inner = (k: Located<Record<string, unknown>>, seen: Set<Located<Record<string, unknown>>>): Located<K8sObject>[] => {
    if (seen.has(k)) return [];
    seen.add(k);
    const dir = folderOf(normalPath(k.origin.source.path));
    const out: Located<K8sObject>[] = [];
    for (const e of [...list(k.value.resources), ...list(k.value.bases)]) {
      if (typeof e !== 'string' || e === '' || kustomizeRemote(e)) continue;
      const path = trimEnd(normalPath(`${dir}${e}`), '/');
      const child = byFolder.get(`${path}/`);
      if (child) out.push(...inner(child, seen), ...(made.get(child) ?? []));
      else out.push(...ev.kubernetes.filter((o) => (o.value.kind === 'ConfigMap' || o.value.kind === 'Secret') && normalPath(o.origin.source.path) === path));
    }
    return out;
  };

  // Inner kustomizations first: a merge acts on what its bases generated.
  const order: Located<Record<string, unknown>>[] = [];
  const placed = new Set<Located<Record<string, unknown>>>();
  const place = (k: Located<Record<string, unknown>>, path: Set<Located<Record<string, unknown>>>): void => {
    if (placed.has(k) || path.has(k)) return;
    path.add(k);
    const dir = folderOf(normalPath(k.origin.source.path));
    for (const e of [...list(k.value.resources), ...list(k.value.bases)]) {
      if (typeof e !== 'string' || e === '' || kustomizeRemote(e)) continue;
      const child = byFolder.get(`${trimEnd(normalPath(`${dir}${e}`), '/')}/`);
      if (child) place(child, path);
    }
    placed.add(k);
    order.push(k);
  };
  for (const k of ev.kustomizations ?? []) place(k, new Set());

  for (const k of order) {
    if (isComponent(k.value) || !(Array.isArray(k.value.configMapGenerator) || Array.isArray(k.value.secretGenerator))) continue;
    const dir = folderOf(normalPath(k.origin.source.path));
    const options = isObject(k.value.generatorOptions) ? k.value.generatorOptions : {};
    const own: Located<K8sObject>[] = [];
    for (const [field, kind] of [['configMapGenerator', 'ConfigMap'], ['secretGenerator', 'Secret']] as const) {
      const entries = list(k.value[field]);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (!isObject(e) || typeof e.name !== 'string' || e.name === '') continue;
        const source = new GeneratedSource(k.origin, [field, i]);
        const data: Record<string, string> = {};
        const at = (...p: (string | number)[]) => (): Position => k.origin.source.locate(k.origin.doc, [...k.origin.path, field, i, ...p]);
        const fileText = (rel: string): { path: string; text: string } | undefined => {
          const path = normalPath(`${dir}${rel}`);
          // kustomize's default load restrictor keeps a generator's files at or below its folder.
          if (path.startsWith('../') || !path.startsWith(dir)) return undefined;
          const text = textOf.get(path);
          return text !== undefined ? { path, text } : undefined;
        };
        for (const f of list(e.files)) {
          if (typeof f !== 'string' || f === '') continue;
          const parts = f.split('=');
          if (parts.length > 2 || parts.some((x) => x === '')) continue;
          const [key, rel] = parts.length === 2 ? [parts[0]!, parts[1]!] : [f.slice(f.lastIndexOf('/') + 1), f];
          const read = fileText(rel);
          if (!read) continue;
          data[key] = read.text;
          source.keys.set(key, { file: tomlSources.get(read.path) ?? new SourceFile(read.path, read.text, /\.toml$/i.test(read.path) ? 'toml' : 'yaml') });
          if (kind === 'ConfigMap' && tomlSources.has(read.path)) consumed.add(read.path);
        }
        const literals = list(e.literals);
        for (let j = 0; j < literals.length; j++) {
          const l = literals[j];
          if (typeof l !== 'string') continue;
          const eq = l.indexOf('=');
          if (eq <= 0) continue;
          const key = l.slice(0, eq);
          data[key] = unquoted(l.slice(eq + 1));
          source.keys.set(key, { at: at('literals', j) });
        }
        for (const envField of ['envs', 'env'] as const) {
          const files = typeof e[envField] === 'string' ? [e[envField]] : list(e[envField]);
          for (let j = 0; j < files.length; j++) {
            const rel = files[j];
            if (typeof rel !== 'string' || rel === '') continue;
            const read = fileText(rel);
            if (!read) continue;
            for (const [key, value] of envPairs(read.text)) {
              data[key] = value;
              source.keys.set(key, { at: at(envField, ...(typeof e[envField] === 'string' ? [] : [j])) });
            }
          }
        }
        const values = kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([key, v]) => [key, Buffer.from(v, 'utf8').toString('base64')])) : data;
        const behavior = typeof e.behavior === 'string' && e.behavior !== '' ? e.behavior : 'create';
        if (behavior === 'merge' || behavior === 'replace') {
          const target = inner(k, new Set()).filter((o) => o.value.kind === kind && o.value.metadata.name === e.name && (typeof e.namespace !== 'string' || (o.value.metadata.namespace ?? 'default') === e.namespace)).at(-1);
          if (!target) continue;
          const t = target.value as unknown as Record<string, unknown>;
          t.data = behavior === 'merge' ? { ...(isObject(t.data) ? t.data : {}), ...values } : { ...values };
          if (kind === 'Secret') merged.add(target);
          if (target.origin.source instanceof GeneratedSource) {
            if (behavior === 'replace') target.origin.source.keys.clear();
            for (const [key, p] of source.keys) target.origin.source.keys.set(key, p);
          }
          continue;
        }
        if (behavior !== 'create') continue;
        const opts = isObject(e.options) ? e.options : {};
        const labels = { ...(isObject(options.labels) ? options.labels : {}), ...(isObject(opts.labels) ? opts.labels : {}) };
        const annotations = { ...(isObject(options.annotations) ? options.annotations : {}), ...(isObject(opts.annotations) ? opts.annotations : {}) };
        // A literal namespace Kubernetes refuses, written in the entry: RF948 at it (namespace-names.ts).
        const refused = refusedWrittenFinding(e.namespace, () => at('namespace')(), `the ${field} entry ${safeText(e.name, 63)} of ${k.origin.source.path}`, `\`kustomize build\` makes the ${kind} in that namespace, and the API server refuses it: it is not deployed`);
        if (refused) ev.findings.push(refused);
        const metadata = {
          name: e.name,
          ...(typeof e.namespace === 'string' && e.namespace !== '' ? { namespace: e.namespace } : {}),
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        };
        const value = { apiVersion: 'v1', kind, metadata, ...(kind === 'Secret' ? { type: typeof e.type === 'string' && e.type !== '' ? e.type : 'Opaque' } : {}), data: values } as unknown as K8sObject;
        generated.set(value, { hashed: opts.disableNameSuffixHash !== true && options.disableNameSuffixHash !== true });
        own.push({ value, origin: { source, doc: k.origin.doc, path: [] } });
      }
    }
    made.set(k, own);
  }
  // A Secret's values are checked for cloud credentials and dropped, as a Secret read from a file is (read.ts scrubSecrets).
  for (const o of [...made.values()].flat()) if (o.value.kind === 'Secret') ev.findings.push(...scrubSecret(o.value, (p) => formatPosition(o.origin.source.locate(0, p))));
  for (const o of merged) ev.findings.push(...scrubSecret(o.value, (p) => formatPosition(o.origin.source.locate(0, p))));
  const all = [...made.values()].flat();
  if (all.length > 0) ev.kubernetes = [...ev.kubernetes, ...all];
  if (consumed.size > 0) ev.configTomls = ev.configTomls.filter((t) => !consumed.has(normalPath(t.origin.source.path)));
}

/** Whether a kustomization generates objects of its own (its file is then a file of its build: kustomize-namespace.ts listed). */
export function generatesObjects(k: { value: Record<string, unknown> }): boolean {
  return !isComponent(k.value) && (Array.isArray(k.value.configMapGenerator) || Array.isArray(k.value.secretGenerator));
}
