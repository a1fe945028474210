import { kustomizeGenerated } from './kustomize-generate.js';
import { generatorEntries } from './kustomize-generator-entries.js';
import { parseAllDocuments } from 'yaml';
import { isObject } from '../model/is-object.js';
import { safeText } from '../spec/findings.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Located } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { SourceFile, type Position } from './source.js';
import { chainObject, markPatched, selects, type PatchContext } from './kustomize-patch.js';

/**
 * A kustomization's `replacements:` applied to the objects of its build, as kustomize's
 * ReplacementTransformer does (api/filters/replacement/replacement.go Filter; the last of the builtin
 * transformers of a kustomization's fields, after its patches, namespace, prefix and suffix and JSON
 * 6902 patches, before its `transformers:`, kusttarget_configplugin.go):
 *
 * - each replacement in order: its value is `sourceValue`, or the field `source.fieldPath` (default
 *   `metadata.name`) of the one object the source selects by any id it has had (group, version, kind,
 *   name, namespace, each matched exactly where given: selectSourceNode; none or two fail the build),
 *   refined by `options.delimiter` / `index` (getRefinedValue);
 * - each target's `select` picks objects (group, version, kind, name, namespace as anchored regular
 *   expressions over any of their ids, with `labelSelector` / `annotationSelector`), less those a
 *   `reject` entry picks; each of its `fieldPaths` (default `metadata.name`; `a.b`, `a.[name=x].b`,
 *   `a.0`, `\.` and `[k.k]` for a key with dots: kyaml utils SmarterPathSplitter) is set to the value,
 *   spliced into the scalar there with `options.delimiter` / `index` (setFieldValue), and created
 *   where missing only with `options.create` (else "unable to find field": the build fails).
 *
 *   A `*` in a target's path stands for every element of a list (kyaml PathMatcher doMatchEvery), an
 *   element the rest of the path misses skipped; over a map the build fails.
 * - the source may be a ConfigMap or Secret the kustomization's own generators make (`literals`,
 *   `files`, `envs`: generatedObjects).
 *
 * Only replacements a target of which can pick an object a runner chain reads are evaluated; what the
 * doctor cannot decide there (a source it does not hold, a generator's file not given, a Secret's
 * value, which the doctor never keeps, a set-based selector, a path through a string kustomize would
 * parse as YAML, an `encoding`, a target renaming the object) is said, not guessed. A `*` in a source's
 * path fails kustomize's build (its source is read by PathGetter, which takes no wildcard).
 * One writing a field named namespace is kustomize-namespace.ts's (RF903, not applied).
 */

type Path = (string | number)[];

/** One replacement as written, and where (its entry of the kustomization, or a document of its file). */
interface Entry {
  value: Record<string, unknown>;
  what: string;
  at: string;
  /** Where a path of the replacement is (for the value of a `sourceValue`). */
  locate: (p: Path) => Position;
}

/** What `applyReplacements` reports: a replacement kustomize refuses or the doctor cannot decide (RF946 at it). */
export interface ReplacementProblem {
  at: string;
  message: string;
  fix: string;
}

/** A kustomization as its replacements see it: what its patches see (kustomize-patch.ts), with every object's earlier ids. */
export interface ReplacementContext extends PatchContext {
  /** The ids an object had before a namespace or name change, the earliest first. */
  pastIds: (o: Located<K8sObject>) => readonly { name: string; namespace?: string }[];
  /** A path through the folders the walk reached by a symbolic link as the folder it is (kustomize-build.ts throughLinks): where a generator's file is read. */
  resolve?: (path: string) => string;
}

/**
 * A ConfigMap or Secret a `configMapGenerator` / `secretGenerator` entry (`behavior: create`, the
 * default) makes: its keys and values (api/kv/kv.go: `literals` split at the first `=`, quotes
 * around the value dropped; `files` the file's text under its base name or the key written before
 * `=`; `envs` (and the deprecated `env`) a file of `KEY=value` lines, blank lines and `#` comments
 * skipped), where each key is written, and why a value is not known (a file not given).
 */
interface Generated {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  data: Record<string, string>;
  place: Record<string, Path>;
  /** Where its entry is in the kustomization. */
  entry: Path;
  unread?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** A field path that names a namespace: kustomize-namespace.ts says those (RF903). */
const namespacePath = (p: unknown): boolean => typeof p === 'string' && /(^|\.)namespace$/.test(p);

/** kyaml's SmarterPathSplitter: `.` splits but `\.`; a bracketed `[a.b]` without `=` is a key, with `=` an element matcher. */
export function splitFieldPath(path: string): string[] {
  const parts: string[] = [];
  for (const p of path.replace(/^\./, '').split('.')) {
    const last = parts.length - 1;
    if (last >= 0 && parts[last]!.endsWith('\\')) parts[last] = `${parts[last]!.slice(0, -1)}.${p}`;
    else parts.push(p);
  }
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i]!;
    if (e.startsWith('[') && !e.endsWith(']')) {
      const joined = [e];
      while (i < parts.length - 1) {
        i++;
        joined.push(parts[i]!);
        if (parts[i]!.endsWith(']')) break;
      }
      const s = joined.join('.');
      out.push(s.includes('=') ? s : s.replace(/^\[+|\]+$/g, ''));
    } else out.push(e);
  }
  return out;
}

/** Where a path segment leads in a value: the next value and its key, 'missing', or 'undecided'. */
type Step = { key: string | number; next: unknown } | 'missing' | 'undecided';
function step(node: unknown, seg: string): Step {
  if (seg === '*' || seg === '-' || seg === '') return 'undecided';
  const m = /^\[([^=\]]+)=(.*)\]$/.exec(seg);
  if (m) {
    if (!Array.isArray(node)) return node === undefined ? 'missing' : 'undecided';
    const i = node.findIndex((e) => isObject(e) && String(e[m[1]!]) === m[2]);
    return i < 0 ? 'missing' : { key: i, next: node[i] };
  }
  if (Array.isArray(node)) {
    if (!/^\d+$/.test(seg)) return 'undecided';
    const i = Number(seg);
    return i < node.length ? { key: i, next: node[i] } : 'missing';
  }
  if (isObject(node)) return seg in node ? { key: seg, next: node[seg] } : 'missing';
  return 'undecided';
}

/** An equality-based label or annotation selector (`a=b,c!=d,e`) against a map; undefined for set-based forms kustomize takes too. */
function matchesSelector(selector: unknown, map: unknown): boolean | undefined {
  const s = str(selector);
  if (s === undefined) return true;
  const m = isObject(map) ? map : {};
  for (const term of s.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eq) {
      const v = m[eq[1]!];
      const same = typeof v === 'string' && v === eq[3];
      if (eq[2] === '!=' ? same : !same) return false;
      continue;
    }
    if (/^[A-Za-z0-9_./-]+$/.test(term)) {
      if (!(term in m)) return false;
      continue;
    }
    return undefined;
  }
  return true;
}

/** The ConfigMaps and Secrets a kustomization's generators make (`behavior: create`), by kind and name (kustomize-generator-entries.ts reads the entries). */
function generatedObjects(k: ReplacementContext): Map<string, Generated> {
  const out = new Map<string, Generated>();
  for (const e of generatorEntries(k.value, k.folder, (p) => k.textOf(p), k.resolve)) {
    if (e.behavior !== 'create') continue;
    const g: Generated = { kind: e.kind, name: e.name, data: {}, place: {}, entry: [e.field, e.index] };
    for (const x of e.keys) {
      if (x.value !== undefined) g.data[x.key] = x.value;
      g.place[x.key] = [e.field, e.index, ...x.place];
    }
    const unread = e.reads.find((r) => r.text === undefined);
    if (unread) g.unread = `${e.field}[${e.index}] (${safeText(e.name, 120)}) reads ${safeText(unread.rel, 120)}, which is not among the files given`;
    out.set(`${e.kind}/${e.name}`, g);
  }
  return out;
}

/**
 * The places a target field path leads to in an object (kyaml PathMatcher, as copyValueToTarget runs
 * it): `*` every element of a list (each element without the rest of the path skipped), a missing
 * map key created only with `create`; 'missing' where it leads nowhere (kustomize: "unable to find
 * field"), 'notList' for `*` over a map (PathMatcher's Elements: "wrong node kind"), 'undecided' where
 * the doctor does not follow it (a list element to create, a path through a string).
 */
function targetPaths(root: unknown, segs: readonly string[], create: boolean): Path[] | 'missing' | 'undecided' | 'notList' {
  const out: Path[] = [];
  const walk = (n: unknown, i: number, path: Path): 'undecided' | 'notList' | undefined => {
    if (i === segs.length) {
      out.push(path);
      return undefined;
    }
    const seg = segs[i]!;
    if (seg === '*') {
      if (!Array.isArray(n)) return 'notList';
      for (const [j, e] of n.entries()) {
        const r = walk(e, i + 1, [...path, j]);
        if (r) return r;
      }
      return undefined;
    }
    // `[k=v]`: every element whose k is v (PathMatcher doSeq), not the first alone.
    const m = /^\[([^=\]]+)=(.*)\]$/.exec(seg);
    if (m && Array.isArray(n) && n.filter((e) => isObject(e) && String(e[m[1]!]) === m[2]).length > 1) {
      for (const [j, e] of n.entries()) {
        if (!isObject(e) || String(e[m[1]!]) !== m[2]) continue;
        const r = walk(e, i + 1, [...path, j]);
        if (r) return r;
      }
      return undefined;
    }
    const st = step(n, seg);
    if (st === 'undecided') return 'undecided';
    if (st === 'missing') {
      if (!create || seg.startsWith('[') || /^\d+$/.test(seg) || !isObject(n)) return undefined;
      // kyaml PathMatcher with Create: the missing maps made on the way, the last the value's.
      const rest = segs.slice(i);
      if (rest.some((x) => x.startsWith('[') || /^\d+$/.test(x) || x === '*' || x === '-')) return 'undecided';
      out.push([...path, ...rest]);
      return undefined;
    }
    return walk(st.next, i + 1, [...path, st.key]);
  };
  const r = walk(root, 0, []);
  if (r) return r;
  return out.length === 0 ? 'missing' : out;
}

/** The replacements of a kustomization: its inline entries and the documents of its `path:` files. */
function entriesOf(k: ReplacementContext, at: (...p: Path) => string): { entries: Entry[]; problems: ReplacementProblem[] } {
  const entries: Entry[] = [];
  const problems: ReplacementProblem[] = [];
  const file = k.origin.source.path;
  const list = Array.isArray(k.value.replacements) ? (k.value.replacements as unknown[]) : [];
  list.forEach((e, i) => {
    if (!isObject(e)) return;
    const path = str(e.path);
    if (path === undefined) {
      entries.push({ value: e, what: `${file} replacements[${i}]`, at: at('replacements', i), locate: (p) => k.origin.source.locate(k.origin.doc, [...k.origin.path, 'replacements', i, ...p]) });
      return;
    }
    const full = normalPath(`${k.folder}${path}`);
    const text = k.textOf(full);
    if (text === undefined) return; // kustomize-namespace.ts says a file not given (RF903).
    let docs: unknown[];
    try {
      const parsed = parseAllDocuments(text, { logLevel: 'silent' });
      if (!Array.isArray(parsed) || parsed.some((d) => d.errors.length > 0)) return;
      docs = parsed.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    } catch {
      return;
    }
    const source = new SourceFile(full, text, 'yaml');
    docs.forEach((d, di) => {
      const items = Array.isArray(d) ? (d as unknown[]) : [d];
      items.forEach((item, j) => {
        if (!isObject(item)) return;
        const inner: Path = Array.isArray(d) ? [j] : [];
        entries.push({ value: item, what: `${file} replacements[${i}] (${safeText(path, 100)}${items.length > 1 ? ` item ${j}` : ''})`, at: at('replacements', i), locate: (p) => source.locate(di, [...inner, ...p]) });
      });
    });
  });
  return { entries, problems };
}

/**
 * Applies a kustomization's replacements to `objects` (the objects of its build so far). Returns the
 * problems that make `kustomize build` fail, or that the doctor cannot decide where a target can
 * pick a chain's object; the caller says them (RF946) and reads nothing of the build as deployed.
 */
export function applyReplacements(k: ReplacementContext, objects: readonly Located<K8sObject>[], at: (...p: Path) => string): ReplacementProblem[] {
  const { entries, problems } = entriesOf(k, at);
  const generated = generatedObjects(k);
  const ids = (o: Located<K8sObject>): { name: string; namespace: string | undefined }[] => [...k.pastIds(o).map((x) => ({ name: x.name, namespace: x.namespace })), { name: o.value.metadata.name, namespace: o.value.metadata.namespace }, { name: o.value.metadata.name, namespace: k.writtenNamespace(o) }];
  const originalName = (o: Located<K8sObject>): string => k.pastIds(o)[0]?.name ?? o.value.metadata.name;
  const groupVersion = (o: Located<K8sObject>): [string, string] => (o.value.apiVersion.includes('/') ? (o.value.apiVersion.split('/') as [string, string]) : ['', o.value.apiVersion]);
  /** Whether a target's select (or a reject entry) picks an object: true, false, or undefined (not decided). */
  const picks = (sel: Record<string, unknown>, o: Located<K8sObject>): boolean | undefined => {
    const id = selects({ kind: sel.kind, name: sel.name, namespace: sel.namespace, group: sel.group }, o.value, k.writtenNamespace(o), originalName(o));
    if (id === false) return false;
    const version = str(sel.version);
    if (version !== undefined) {
      try {
        if (!new RegExp(`^(?:${version})$`).test(groupVersion(o)[1])) return false;
      } catch {
        if (version !== groupVersion(o)[1]) return false;
      }
    }
    const labels = matchesSelector(sel.labelSelector, o.value.metadata.labels);
    const notes = matchesSelector(sel.annotationSelector, o.value.metadata.annotations);
    if (labels === false || notes === false) return false;
    return labels === undefined || notes === undefined ? undefined : id;
  };
  for (const r of entries) {
    const e = r.value;
    const targets = Array.isArray(e.targets) ? (e.targets as unknown[]) : undefined;
    if (targets?.some((t) => isObject(t) && Array.isArray(t.fieldPaths) && t.fieldPaths.some(namespacePath))) continue;
    const fail = (message: string, fix: string): void => {
      problems.push({ at: r.at, message: `${r.what} ${message}`, fix });
    };
    // Which objects each target picks; only a replacement that can reach a chain's object is evaluated.
    const picked: { t: Record<string, unknown>; objects: Located<K8sObject>[]; open: boolean }[] = [];
    for (const t of targets ?? []) {
      if (!isObject(t) || !isObject(t.select)) {
        picked.push({ t: isObject(t) ? t : {}, objects: [], open: false });
        continue;
      }
      const rejects = Array.isArray(t.reject) ? (t.reject as unknown[]).filter(isObject) : [];
      let open = false;
      const chosen = objects.filter((o) => {
        const s = picks(t.select as Record<string, unknown>, o);
        if (s === false) return false;
        const out = rejects.map((x) => picks(x, o));
        if (out.some((x) => x === true)) return false;
        if (s === undefined || out.some((x) => x === undefined)) open = true;
        return true;
      });
      picked.push({ t, objects: chosen, open });
    }
    if (!picked.some((p) => p.objects.some((o) => chainObject(o.value)))) continue;
    if ((e.source === undefined) === (e.sourceValue === undefined) || targets === undefined) {
      fail(e.source !== undefined ? 'has both source and sourceValue: `kustomize build` fails ("value and resource selectors are mutually exclusive")' : 'has no source (or no targets): `kustomize build` fails ("replacements must specify a source and at least one target")', 'give the replacement one source (or sourceValue) and its targets');
      continue;
    }
    // The value.
    let value: unknown;
    let from: (rest: Path) => Position;
    if (e.sourceValue !== undefined) {
      value = typeof e.sourceValue === 'string' ? e.sourceValue : JSON.stringify(e.sourceValue);
      from = (rest) => r.locate(['sourceValue', ...rest]);
    } else {
      const s = isObject(e.source) ? e.source : {};
      const fieldPath = str(s.fieldPath) ?? 'metadata.name';
      const shown = `${safeText(str(s.kind) ?? '*', 40)}/${safeText(str(s.name) ?? '*', 120)}`;
      const exact = (want: unknown, have: string | undefined): boolean => str(want) === undefined || want === have;
      // A generated object is its generator's entry here (generatedObjects, placed at the entry), not an object read.
      const found = objects.filter((o) => !kustomizeGenerated(o.value) && exact(s.kind, o.value.kind) && exact(s.group, groupVersion(o)[0]) && exact(s.version, groupVersion(o)[1]) && ids(o).some((x) => exact(s.name, x.name) && exact(s.namespace, x.namespace ?? 'default')));
      // A ConfigMap or Secret the kustomization's own generators make (not among the objects read).
      const gens = found.length === 0 && str(s.namespace) === undefined ? [...generated.values()].filter((g) => exact(s.kind, g.kind) && exact(s.group, '') && exact(s.version, 'v1') && exact(s.name, g.name)) : [];
      const gen = gens.length === 1 ? gens[0] : undefined;
      if (found.length + gens.length > 1) {
        fail(`selects ${found.length + gens.length} objects as its source (${shown}): \`kustomize build\` fails ("multiple matches for selector")`, 'narrow the source to one object (its kind, name and namespace)');
        continue;
      }
      if (found.length === 0 && gen === undefined) {
        fail(`takes its value from ${shown}, which is not among the objects the doctor reads of this build (where the build holds none, \`kustomize build\` fails: "nothing selected by"; where it is made elsewhere, a remote base, a chart or a generator, its value is not known), so what it writes into the runner's objects is not decided`, 'give the source object with the kustomization (or the output of kustomize build), or write the value in the target');
        continue;
      }
      const segs = splitFieldPath(fieldPath);
      if (gen?.unread !== undefined) {
        fail(`takes its value from ${shown}, which ${k.origin.source.path} ${gen.unread}, so its value and what it writes into the runner's objects are not decided`, 'give that file with the kustomization, or give the output of kustomize build');
        continue;
      }
      let node: unknown = found.length === 1 ? found[0]!.value : { apiVersion: 'v1', kind: gen!.kind, metadata: { name: gen!.name }, data: gen!.data };
      const path: Path = [];
      let missing = false;
      let wildcard = false;
      for (const seg of segs) {
        // kustomize reads the source with kyaml's PathGetter (getReplacement: yaml.Lookup), which takes
        // no wildcard: reaching a `*` it fails (kyaml/yaml/fns.go PathGetter getFilter, "wildcard is
        // not supported in PathGetter"); a field missing before it is "is missing" instead.
        if (seg.trim() === '*') {
          wildcard = true;
          break;
        }
        const st = step(node, seg);
        if (st === 'undecided') {
          missing = true;
          break;
        }
        if (st === 'missing') {
          node = undefined;
          break;
        }
        path.push(st.key);
        node = st.next;
      }
      if (wildcard) {
        fail(`reads ${safeText(fieldPath, 120)} of ${shown}, and a replacement's source path selects one value, with no \`*\`: \`kustomize build\` fails ("error looking up replacement source: wildcard is not supported in PathGetter")`, `write source.fieldPath of the replacement as the path of one field (a list element by its index or [name=value]), or give each value its own replacement`);
        continue;
      }
      if (missing) {
        fail(`reads ${safeText(fieldPath, 120)} of ${shown}, a path the doctor does not follow (\`-\`, or through a string kustomize reads as YAML), so its value is not decided`, 'give the output of kustomize build');
        continue;
      }
      // The doctor keeps no Secret's values (read.ts checks them for credentials and drops them, so none is ever echoed): one copied from a Secret's data is not known.
      const kind = found.length === 1 ? found[0]!.value.kind : gen!.kind;
      if (kind === 'Secret' && (path[0] === 'data' || path[0] === 'stringData') && path.length > 1 && node !== undefined) {
        fail(`copies ${safeText(fieldPath, 120)} of ${shown}, a Secret value, which the doctor does not keep (it checks Secret values for credentials and drops them, so none is shown), so what it writes into the runner's objects is not decided`, 'give the value in a ConfigMap or as sourceValue, or write it in the target');
        continue;
      }
      if (node === undefined || node === null || node === '') {
        fail(`reads ${safeText(fieldPath, 120)} of ${shown}, which it does not have: \`kustomize build\` fails ("fieldPath \`${safeText(fieldPath, 120)}\` is missing for replacement source")`, `write ${safeText(fieldPath, 120)} in ${shown}, or take the replacement out`);
        continue;
      }
      value = node;
      const src = found[0];
      const written = gen && path[0] === 'data' ? gen.place[String(path[1])] : undefined;
      from = src ? (rest) => src.origin.source.locate(src.origin.doc, [...src.origin.path, ...path, ...rest]) : () => k.origin.source.locate(k.origin.doc, [...k.origin.path, ...(written ?? (path.join('.') === 'metadata.name' ? [...gen!.entry, 'name'] : gen!.entry))]);
      const o = isObject(s.options) ? s.options : {};
      if (str(o.delimiter) !== undefined) {
        if (typeof value !== 'string') {
          fail(`splits ${safeText(fieldPath, 120)} of ${shown} with a delimiter, and it is not a string: \`kustomize build\` fails ("delimiter option can only be used with scalar nodes")`, 'take options.delimiter out of the source');
          continue;
        }
        const parts = value.split(o.delimiter as string);
        const index = typeof o.index === 'number' ? o.index : 0;
        if (index < 0 || index >= parts.length) {
          fail(`takes part ${index} of ${safeText(value, 120)} split at ${safeText(o.delimiter as string, 10)}, which has ${parts.length}: \`kustomize build\` fails ("options.index ${index} is out of bounds")`, 'give options.index a part the value has');
          continue;
        }
        value = parts[index];
      }
    }
    // The targets.
    let refused = false;
    const edits: { o: Located<K8sObject>; path: Path; set: (v: unknown) => void }[] = [];
    for (const { t, objects: chosen, open } of picked) {
      if (refused) break;
      if (!isObject(t.select)) {
        fail('has a target with no select: `kustomize build` fails ("target must specify resources to select")', 'give each target a select (kind and name of the objects it writes)');
        refused = true;
        break;
      }
      if (chosen.length === 0) continue;
      const chain = chosen.filter((o) => chainObject(o.value));
      const paths = Array.isArray(t.fieldPaths) && t.fieldPaths.length > 0 ? (t.fieldPaths as unknown[]).map((p) => String(p)) : ['metadata.name'];
      const opts = isObject(t.options) ? t.options : {};
      const renames = paths.some((p) => /^(metadata\.name|kind|apiVersion)$/.test(splitFieldPath(p).join('.')));
      if (open && chain.length > 0) {
        fail(`has a target whose selector is set-based (labelSelector or annotationSelector with in, notin or !), which the doctor does not evaluate, and it can pick the runner's ${chain.map((o) => `${o.value.kind} ${safeText(o.value.metadata.name, 120)}`).join(', ')}`, 'select the target by kind and name, or by an equality label selector');
        refused = true;
        break;
      }
      if ((renames || str(opts.encoding) !== undefined) && chain.length > 0) {
        fail(`${renames ? 'renames (metadata.name, kind or apiVersion of)' : 'writes with an encoding into'} the runner's ${chain.map((o) => `${o.value.kind} ${safeText(o.value.metadata.name, 120)}`).join(', ')}, which the doctor does not follow, so the objects as built are not decided`, 'give the output of kustomize build, or write the name in the object');
        refused = true;
        break;
      }
      for (const o of chosen) {
        for (const fp of paths) {
          const found = targetPaths(o.value, splitFieldPath(fp), opts.create === true);
          if (found === 'missing' && !chainObject(o.value)) continue;
          if (found === 'missing') {
            fail(`writes ${safeText(fp, 120)} of ${o.value.kind} ${safeText(o.value.metadata.name, 120)}, which it does not have: \`kustomize build\` fails ("unable to find field \\"${safeText(fp, 120)}\\" in replacement target")`, `set options.create: true on the target, or write ${safeText(fp, 120)} in ${o.value.kind} ${safeText(o.value.metadata.name, 120)}`);
            refused = true;
            break;
          }
          if (found === 'notList') {
            if (!chainObject(o.value)) continue;
            fail(`writes ${safeText(fp, 120)} of ${o.value.kind} ${safeText(o.value.metadata.name, 120)}, whose * stands where the object has a map, not a list (kyaml matches * against the elements of a list): \`kustomize build\` fails ("wrong node kind")`, 'name the key instead of *, or put * where the object has a list');
            refused = true;
            break;
          }
          if (found === 'undecided') {
            if (!chainObject(o.value)) continue;
            fail(`writes ${safeText(fp, 120)} of ${o.value.kind} ${safeText(o.value.metadata.name, 120)}, a path the doctor does not follow (a list element to create, or through a string kustomize reads as YAML), so the object as built is not decided`, 'give the output of kustomize build');
            refused = true;
            break;
          }
          for (const path of found) {
            const delimiter = str(opts.delimiter);
            const index = typeof opts.index === 'number' ? opts.index : 0;
            const target = o;
            const where = path;
            edits.push({
              o: target,
              path: where,
              set: (v) => {
                let put = v;
                if (delimiter !== undefined) {
                  const cur = getAt(target.value, where);
                  const parts = (typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : '').split(delimiter);
                  const text = typeof v === 'string' ? v : String(v);
                  if (index < 0) parts.unshift(text);
                  else if (index >= parts.length) parts.push(text);
                  else parts[index] = text;
                  put = parts.join(delimiter);
                }
                setAt(target.value, where, structuredClone(put));
              },
            });
          }
        }
        if (refused) break;
      }
    }
    if (refused) continue;
    for (const ed of edits) {
      ed.set(value);
      markPatched(ed.o, ed.path, from);
    }
  }
  return problems;
}

function getAt(root: unknown, path: Path): unknown {
  let n: unknown = root;
  for (const k of path) n = isObject(n) || Array.isArray(n) ? (n as Record<string | number, unknown>)[k] : undefined;
  return n;
}
function setAt(root: unknown, path: Path, value: unknown): void {
  let n = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (!isObject(n[k]) && !Array.isArray(n[k])) n[k] = {};
    n = n[k] as Record<string | number, unknown>;
  }
  n[path[path.length - 1]!] = value;
}
