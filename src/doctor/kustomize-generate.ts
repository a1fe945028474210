import { isObject } from '../model/is-object.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Evidence, Located } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';
import { scrubSecret } from './secrets.js';
import { isComponent, listedEntries, throughLinks } from './kustomize-build.js';
import { generatorEntries } from './kustomize-generator-entries.js';

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
 *   ConfigMap or Secret of that name the build holds so far (an earlier entry's, a component's, or
 *   one an inner kustomization of its `resources` (or `bases`) builds, generated or written); one
 *   with no such object is kustomize-build.ts's (RF946), not made here. Where another build holds
 *   the object merged into too (a kustomization or file on the way to it listed by two: two overlays
 *   of one base), it is not changed: a copy is, an object of this kustomization's file, so each
 *   overlay sees its own keys and the base's build keeps its object as written. One no other build
 *   holds is changed where it is (a chain of merges is one object, not one a kustomization).
 * - A Component's generators run in the build of each kustomization listing it (its components in
 *   order, each after the components it lists, after the kustomization's resources and its own
 *   generators: kustomize 5.1 and later, kusttarget.go accumulateTarget runs runGenerators before
 *   accumulateComponents, kubernetes-sigs/kustomize PR 5170), their files read in the component's
 *   folder; their objects are objects of the listing kustomization's file. So a component's merge
 *   changes the kustomization's own generated object, and a kustomization's merge finds no object a
 *   component of its own generates (kustomize-build.ts says that failure, RF946).
 *
 * The entries are read by kustomize-generator-entries.ts. A kustomization whose build kustomize
 * refuses deploys nothing (kustomize-namespace.ts); its objects are made here all the same.
 * Where a data value's position is asked for, the file's own position is given (a config.toml key at
 * its line in that file), a literal's at the literal, anything else at the entry's name.
 */

/** The generated objects, with whether kustomize suffixes their name with a hash. */
const generated = new WeakMap<K8sObject, { hashed: boolean }>();

/** Whether an object is a ConfigMap or Secret a kustomize generator made, and whether kustomize appends a hash to its name. */
export function kustomizeGenerated(o: K8sObject): { hashed: boolean } | undefined {
  return generated.get(o);
}

/** Where one data key of a generated object is written: a file read, a place of the kustomization, or the data of a written object merged into. */
type KeyPlace = { file: SourceFile } | { at: () => Position } | { origin: Origin };

/**
 * The source of a generated object: the file of the kustomization whose build it is in (a component's
 * generators make objects of the build listing it), whose positions are the entry's name (for
 * metadata and anything else), and each data key's own (the file it was read from, its literal).
 */
class GeneratedSource extends SourceFile {
  readonly keys = new Map<string, KeyPlace>();
  constructor(build: SourceFile, readonly kustomization: Origin, readonly entry: (string | number)[]) {
    super(build.path, build.text, build.syntax);
  }
  override locate(_doc: number, path: readonly (string | number)[]): Position {
    if ((path[0] === 'data' || path[0] === 'stringData') && typeof path[1] === 'string') {
      const place = this.keys.get(path[1]);
      if (place && 'file' in place) return place.file.locate(0, path.slice(2));
      if (place && 'origin' in place) return place.origin.source.locate(place.origin.doc, [...place.origin.path, ...path]);
      if (place) return place.at();
    }
    const k = this.kustomization;
    return k.source.locate(k.doc, [...k.path, ...this.entry, 'name']);
  }
}

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Counts of the work done, for the linearity tests: kustomizations ordered, merge targets looked for through a kustomization. */
export const kustomizeGenerateWork = { placed: 0, looked: 0 };

/** Kustomizations whose file is a file of their build because objects are generated there (their own generators, or their components'). */
const generating = new WeakSet<Record<string, unknown>>();

type Kust = Located<Record<string, unknown>>;
type Obj = Located<K8sObject>;

/** Adds the generated ConfigMaps and Secrets of the kustomizations read to ev.kubernetes (see above). */
export function generateKustomizeObjects(ev: Evidence): void {
  const all = ev.kustomizations ?? [];
  const hasGenerators = (k: Kust): boolean => Array.isArray(k.value.configMapGenerator) || Array.isArray(k.value.secretGenerator);
  if (!all.some(hasGenerators)) return;
  const textOf = new Map<string, string>();
  for (const [p, t] of ev.texts ?? []) textOf.set(normalPath(p), t);
  const tomlSources = new Map(ev.configTomls.map((t) => [normalPath(t.origin.source.path), t.origin.source]));
  const byFolder = new Map(all.map((k) => [folderOf(normalPath(k.origin.source.path)), k]));
  /** The written ConfigMaps and Secrets of each file, in order. */
  const writtenOf = new Map<string, Obj[]>();
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'ConfigMap' && o.value.kind !== 'Secret') continue;
    const key = normalPath(o.origin.source.path);
    const l = writtenOf.get(key);
    if (l) l.push(o);
    else writtenOf.set(key, [o]);
  }
  /** What each kustomization lists: its resources and bases (a kustomization, or a file), its local components; through links. */
  const listedOf = new Map<Kust, { inner: (Kust | string)[]; components: Kust[] }>();
  const listed = (k: Kust): { inner: (Kust | string)[]; components: Kust[] } => {
    let l = listedOf.get(k);
    if (l) return l;
    const dir = folderOf(normalPath(k.origin.source.path));
    l = { inner: [], components: [] };
    // The one reading of what a kustomization lists, the build checks' too (kustomize-build.ts listedEntries): through the folders the walk reached by a link.
    for (const e of listedEntries(ev, dir, k.value)) {
      if (e.kind !== 'local') continue;
      const c = byFolder.get(`${e.path}/`);
      if (e.field !== 'components') l.inner.push(c ?? e.path);
      else if (c && isComponent(c.value)) l.components.push(c);
    }
    listedOf.set(k, l);
    return l;
  };
  /** The objects each kustomization's build adds by its generators (its own and its components'), in order: a merge's copy in place of a create of its own. */
  const made = new Map<Kust, Obj[]>();
  /** The config.toml files a generator reads: data of a ConfigMap, no longer a config.toml given alone. */
  const consumed = new Set<string>();
  /** Secrets a merge or replace wrote values into where they are (their values checked and dropped at the end). */
  const changed = new Set<Obj>();

  /** How many kustomizations list each kustomization and file (resources, bases). */
  const listers = new Map<Kust | string, number>();
  for (const k of all) for (const e of listed(k).inner) listers.set(e, (listers.get(e) ?? 0) + 1);
  const once = (e: Kust | string): boolean => listers.get(e) === 1;

  /**
   * The last ConfigMap or Secret of a kind and name (and namespace, where given) a kustomization's
   * build holds after its generators: its own generated ones (last first), else its resources' from
   * the last: an inner kustomization's (the same question, answered once per kustomization and key),
   * or the written ones of a file; and whether it is the asker's alone (every kustomization and file
   * on the way to it listed once: no other build holds it). A stack of its own, not the call stack:
   * a chain of thousands is as deep.
   */
  type Answer = { o: Obj; only: boolean } | null;
  const answers = new Map<Kust, Map<string, Answer>>();
  const lookup = (top: Kust, kind: string, name: string, namespace: string | undefined): Answer => {
    const key = `${kind}\u0000${name}\u0000${namespace ?? '\u0001'}`;
    const fits = (o: Obj): boolean => o.value.kind === kind && o.value.metadata.name === name && (namespace === undefined || (o.value.metadata.namespace ?? 'default') === namespace);
    const known = (k: Kust): Answer | undefined => answers.get(k)?.get(key);
    const answer = (k: Kust, a: Answer): void => {
      const m = answers.get(k) ?? new Map<string, Answer>();
      answers.set(k, m);
      m.set(key, a);
    };
    const open = new Set<Kust>();
    type Frame = { k: Kust; next: number };
    // The kustomization being run is not answered for (its own objects are the caller's, and not yet made).
    const stack: Frame[] = [{ k: top, next: listed(top).inner.length - 1 }];
    open.add(top);
    let result: Answer = null;
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (result !== null) {
        // Found below: the answer of every kustomization on the way.
        if (f.k !== top) {
          result = { o: result.o, only: result.only && once(f.k) };
          answer(f.k, result);
        }
        open.delete(f.k);
        stack.pop();
        continue;
      }
      if (f.next < 0) {
        if (f.k !== top) answer(f.k, null);
        open.delete(f.k);
        stack.pop();
        continue;
      }
      const e = listed(f.k).inner[f.next--]!;
      if (typeof e === 'string') {
        const o = (writtenOf.get(e) ?? []).findLast(fits);
        result = o ? { o, only: once(e) } : null;
        continue;
      }
      if (open.has(e)) continue;
      const seen = known(e);
      if (seen !== undefined) {
        result = seen;
        continue;
      }
      kustomizeGenerateWork.looked++;
      const own = (made.get(e) ?? []).findLast(fits);
      if (own) {
        result = { o: own, only: once(e) };
        answer(e, result);
        continue;
      }
      open.add(e);
      stack.push({ k: e, next: listed(e).inner.length - 1 });
    }
    return result;
  };

  // Inner kustomizations first (a merge acts on what its bases generated), each once: a stack of its own, not the call stack.
  const order: Kust[] = [];
  const placed = new Set<Kust>();
  for (const root of all) {
    if (placed.has(root)) continue;
    placed.add(root);
    const stack: { k: Kust; next: number }[] = [{ k: root, next: 0 }];
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      const inner = listed(f.k).inner;
      if (f.next < inner.length) {
        const c = inner[f.next++]!;
        if (typeof c !== 'string' && !placed.has(c)) {
          placed.add(c);
          stack.push({ k: c, next: 0 });
        }
        continue;
      }
      kustomizeGenerateWork.placed++;
      order.push(f.k);
      stack.pop();
    }
  }

  /** The copies merges made (changed where they are by a later merge no other build sees). */
  const mergeCopies = new WeakSet<Obj>();
  /** Runs a kustomization's (or a component's) generator entries over the build of `k`, adding to `own`. */
  const run = (k: Kust, from: Kust, own: Obj[]): void => {
    const dir = folderOf(normalPath(from.origin.source.path));
    for (const g of generatorEntries(from.value, dir, (p) => textOf.get(p), (p) => throughLinks(ev, p))) {
      if (g.name === '') continue;
      const source = new GeneratedSource(k.origin.source, from.origin, [g.field, g.index]);
      const data: Record<string, string> = {};
      for (const x of g.keys) {
        if (x.file !== undefined) {
          // kustomize's default load restrictor keeps a generator's files at or below its folder.
          if (x.value === undefined || g.reads.find((r) => r.path === x.file)?.outside === true) continue;
          data[x.key] = x.value;
          source.keys.set(x.key, { file: tomlSources.get(x.file) ?? new SourceFile(x.file, x.value, /\.toml$/i.test(x.file) ? 'toml' : 'yaml') });
          if (g.kind === 'ConfigMap' && tomlSources.has(x.file)) consumed.add(x.file);
          continue;
        }
        if (x.place[0] !== 'literals' && g.reads.find((r) => r.field === x.place[0] && (r.place[1] ?? -1) === (x.place[1] ?? -1))?.outside === true) continue;
        data[x.key] = x.value!;
        source.keys.set(x.key, { at: () => from.origin.source.locate(from.origin.doc, [...from.origin.path, g.field, g.index, ...x.place]) });
      }
      const values = g.kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([key, v]) => [key, Buffer.from(v, 'utf8').toString('base64')])) : data;
      if (g.behavior === 'merge' || g.behavior === 'replace') {
        // The object of the build so far: one of its own (an earlier entry, a component's), else its resources'.
        const namespace = g.namespace;
        const fits = (o: Obj): boolean => o.value.kind === g.kind && o.value.metadata.name === g.name && (namespace === undefined || (o.value.metadata.namespace ?? 'default') === namespace);
        const mine = own.findLastIndex(fits);
        // A component's merge finds the objects its own resources added to the build too (kustomize
        // accumulates them before the component's generators run): held by that build alone only where
        // one kustomization runs the component.
        const viaComponent = mine < 0 && from !== k ? lookup(from, g.kind, g.name, namespace) : null;
        const found = mine >= 0 ? { o: own[mine]!, only: true } : viaComponent ? { o: viaComponent.o, only: viaComponent.only && componentRuns.get(from) === 1 } : lookup(k, g.kind, g.name, namespace);
        if (!found) continue;
        const target = found.o;
        const t = target.value as unknown as Record<string, unknown>;
        const data = g.behavior === 'merge' ? { ...(isObject(t.data) ? t.data : {}), ...values } : { ...values };
        // Changed where it is only where it is this build's own (an earlier entry's, a component's) or a
        // copy an earlier merge made that no other build holds: the kustomization that generated or wrote
        // it is a build of its own too (`kustomize build base/` prints the base's object as written).
        if (found.only && (mine >= 0 || mergeCopies.has(found.o))) {
          // A chain of merges past the first is one object, not one a kustomization.
          t.data = data;
          if (target.origin.source instanceof GeneratedSource) {
            if (g.behavior === 'replace') target.origin.source.keys.clear();
            for (const [key, p] of source.keys) target.origin.source.keys.set(key, p);
          }
          if (g.kind === 'Secret') changed.add(target);
          continue;
        }
        // Copy on write: another build (another overlay of the base) holds the object as it is.
        const value = { ...t, metadata: { ...target.value.metadata }, data } as unknown as K8sObject;
        const copy = new GeneratedSource(k.origin.source, from.origin, [g.field, g.index]);
        if (g.behavior === 'merge') {
          if (target.origin.source instanceof GeneratedSource) for (const [key, p] of target.origin.source.keys) copy.keys.set(key, p);
          else for (const key of Object.keys(isObject(t.data) ? t.data : {})) copy.keys.set(key, { origin: target.origin });
        }
        for (const [key, p] of source.keys) copy.keys.set(key, p);
        const was = kustomizeGenerated(target.value);
        if (was) generated.set(value, was);
        const copied: Obj = { value, origin: { source: copy, doc: k.origin.doc, path: [] } };
        mergeCopies.add(copied);
        own.push(copied);
        continue;
      }
      if (g.behavior !== 'create') continue;
      const metadata = {
        name: g.name,
        ...(g.namespace !== undefined && g.namespace !== '' ? { namespace: g.namespace } : {}),
        ...(Object.keys(g.labels).length > 0 ? { labels: g.labels } : {}),
        ...(Object.keys(g.annotations).length > 0 ? { annotations: g.annotations } : {}),
      };
      const value = { apiVersion: 'v1', kind: g.kind, metadata, ...(g.kind === 'Secret' ? { type: g.type ?? 'Opaque' } : {}), data: values } as unknown as K8sObject;
      generated.set(value, { hashed: g.hashed });
      own.push({ value, origin: { source, doc: k.origin.doc, path: [] } });
    }
  };
  /** A kustomization's components in the order kustomize runs them, each after the components it lists in turn. */
  const componentsOf = (k: Kust): Kust[] => {
    const out: Kust[] = [];
    const on = new Set<Kust>([k]);
    const stack: { c: Kust[]; next: number }[] = [{ c: listed(k).components, next: 0 }];
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.next >= f.c.length) {
        stack.pop();
        if (stack.length > 0) {
          const parent = stack[stack.length - 1]!;
          const done = parent.c[parent.next - 1]!;
          on.delete(done);
          out.push(done);
        }
        continue;
      }
      const c = f.c[f.next++]!;
      if (on.has(c)) continue;
      on.add(c);
      stack.push({ c: listed(c).components, next: 0 });
    }
    return out;
  };

  /** The components each kustomization runs (componentsOf), and how many kustomizations run each component. */
  const componentRuns = new Map<Kust, number>();
  const runs = new Map<Kust, Kust[]>();
  for (const k of order) {
    if (isComponent(k.value)) continue;
    const comps = componentsOf(k);
    runs.set(k, comps);
    for (const c of comps) componentRuns.set(c, (componentRuns.get(c) ?? 0) + 1);
  }
  for (const k of order) {
    if (isComponent(k.value)) continue;
    const comps = runs.get(k)!.filter(hasGenerators);
    if (!hasGenerators(k) && comps.length === 0) continue;
    const own: Obj[] = [];
    // kustomize 5.1 and later run a kustomization's own generators, then its components (their
    // generators with them): kusttarget.go accumulateTarget, kubernetes-sigs/kustomize PR 5170.
    run(k, k, own);
    for (const c of comps) run(k, c, own);
    made.set(k, own);
    generating.add(k.value);
  }
  // A Secret's values are checked for cloud credentials and dropped, as a Secret read from a file is (read.ts scrubSecrets).
  const out = [...made.values()].flat();
  // A merge's copy holds its target's values too: a finding of one key at one place is said once.
  const said = new Set<string>();
  for (const o of [...out, ...changed]) {
    if (o.value.kind !== 'Secret') continue;
    for (const f of scrubSecret(o.value, (p) => formatPosition(o.origin.source.locate(0, p)))) {
      const key = `${f.code}\u0000${f.path}\u0000${f.message}`;
      if (said.has(key)) continue;
      said.add(key);
      ev.findings.push(f);
    }
  }
  if (out.length > 0) ev.kubernetes = [...ev.kubernetes, ...out];
  if (consumed.size > 0) ev.configTomls = ev.configTomls.filter((t) => !consumed.has(normalPath(t.origin.source.path)));
}

/** Whether a kustomization generates objects of its own (its file is then a file of its build: kustomize-namespace.ts listed). */
export function generatesObjects(k: { value: Record<string, unknown> }): boolean {
  return generating.has(k.value) || (!isComponent(k.value) && (Array.isArray(k.value.configMapGenerator) || Array.isArray(k.value.secretGenerator)));
}
