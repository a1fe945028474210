import { parseAllDocuments } from 'yaml';
import { isObject } from '../model/is-object.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Evidence, Located } from './evidence.js';
import { renamed } from './kustomize-names.js';
import { normalPath } from './hcl/eval.js';
import { trimEnd } from '../model/trim.js';
import { formatPosition, type Origin } from './source.js';
import { CLUSTER_SCOPED } from './kustomize-patch.js';
import { generatorEntries, type GeneratorEntry } from './kustomize-generator-entries.js';
import { kustomizeRemote, remoteLookalike } from '../io/kustomize-resources.js';
import { restrictorLiftedBy } from './kustomize-restrictor.js';

/**
 * Kustomizations `kustomize build` refuses, each said once at the kustomization's line (the build
 * of it, and of every kustomization listing it, then deploys nothing: kustomize-namespace.ts leaves
 * their objects out):
 *
 * - A field of the wrong type: kustomize decodes the kustomization as JSON into its Kustomization
 *   type (api/types/kustomization.go Unmarshal: yaml.YAMLToJSON, then a json.Decoder), so a
 *   `namePrefix`, `nameSuffix` or `namespace` that is not a string (a list, a map, a number, true)
 *   and a `resources`, `bases` or `components` that is not a list of strings fail it ("invalid
 *   Kustomization: json: cannot unmarshal array into Go struct field Kustomization.namePrefix of type
 *   string"): RF901, the file is not a kustomization kustomize can read.
 * - A `resources` / `bases` entry, a `components` entry, a `patches` or `patchesJson6902` `path`, or
 *   a `patchesStrategicMerge` file that does not exist (kusttarget.go accumulateResources: neither a
 *   file nor a folder, "must build at directory: not a valid directory"; accumulateComponents
 *   "loader.New"; PatchTransformer "failed to get the patch file from path"), and a folder listed
 *   that holds no kustomization ("unable to find one of 'kustomization.yaml', 'kustomization.yml'
 *   or 'Kustomization'"), and a file a configMapGenerator / secretGenerator entry reads (`files`,
 *   `key=path`, `envs`, `env`: "loading KV pairs: file sources: [...]: evalsymlink failure ...: no
 *   such file or directory"; of any name, the file is read as text; an entry's env files before its
 *   files, as kv.go Load reads them): RF946. Said only where the doctor knows the path is not there — under a
 *   folder it walked whole, a file of a kind the walk reads (.yaml, .yml, .json), a generator's file
 *   (io/kustomize-resources.ts gives each one there, read or by its size) or a folder with
 *   nothing given in it; a path that is merely not given stays unfollowed, as before.
 * - One object added twice (resmap reswrangler.go Append: "may not add resource with an already
 *   registered id"): a resource listed twice (the same path, however written) that holds an
 *   object, or two entries of one kustomization's resources giving an object of one apiVersion,
 *   kind, name and namespace (none being `default`; kyaml resid Equals): two files as written, or a
 *   file and a folder (or two folders) whose kustomization builds it, with the ids that build leaves
 *   (kusttarget.go accumulateDirectory appends the inner build's objects after its namespace,
 *   namePrefix and nameSuffix ran; the ConfigMaps and Secrets its configMapGenerator and
 *   secretGenerator create count among them, by name without the hash suffix, and patches that
 *   write no name, namespace or kind leave ids as they are; a folder whose build may change ids
 *   otherwise is not compared): RF946 at the second, naming where each object is written. And a
 *   generator entry creating an object of an id the kustomization's resources (or an earlier entry)
 *   hold (reswrangler.go appendReplaceOrMerge: behavior `create`, the default, "must be merge or
 *   replace"): RF946 at the entry's name.
 *
 * - A JSON 6902 patch with no target: a `patches` entry whose patch (inline or its file) is a list of
 *   operations (api/internal/builtins/PatchTransformer.go: it parses as no strategic-merge patch but
 *   as a JSON patch, jsonPatchFromBytes, and transformJson6902 then fails "must specify a target for
 *   JSON patch [patch: ...]" or "[path: ...]"); a `patchesJson6902` entry with no target
 *   (PatchJson6902Transformer.go Config reads `p.Target.Name` of a nil target: kustomize stops with a
 *   nil-pointer panic) or a target with no name (the same Config: "must specify the target name"):
 *   RF946 at the entry.
 *
 * A patch whose target selects nothing is no error (PatchTransformer: `Select` returns an empty
 * list), and a strategic-merge patch with no target that finds no object is RF939
 * (kustomize-patch.ts).
 */

/**
 * kustomize's error for a generated object of an id already there with behavior `create`, the
 * default (api/resmap/reswrangler.go appendReplaceOrMerge): "id %#v exists; behavior must be merge or
 * replace" up to 5.7 (checked here with kubectl 1.32's kustomize 5.5.0), and since 5.8.0
 * (kubernetes-sigs/kustomize d54e9b2, "make AbsorbAll conflict error more verbose") with the
 * behavior named. Both quoted, the one of the versions kubectl ships with first.
 */
const CREATE_EXISTS = `"id ... exists; behavior must be merge or replace"; kustomize 5.8 and later: "id ... exists; can not use behavior: 'create', behavior must be merge or replace"`;

/** An object's id as kustomize compares them (kyaml resid: apiVersion, kind, name, namespace). */
interface Id {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}
const idOf = (o: K8sObject): Id => ({ apiVersion: String(o.apiVersion), kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}) });
/** An object as a build leaves it: where it is written (its name, or its generator entry's), its id, and whether a namePrefix renames it. */
interface Built {
  where: string;
  id: Id;
  renames: boolean;
}
/** Kustomization fields that add objects of a known id (kusttarget.go runGenerators), and their options (labels, annotations, the hash suffix). */
const GENERATING = new Set(['configMapGenerator', 'secretGenerator', 'generatorOptions']);
/** Patch fields: ids kept where patchesKeepIds says so. */
const PATCHING = new Set(['patches', 'patchesStrategicMerge', 'patchesJson6902']);
/** Kustomization fields that make no objects and change no id but by namespace, namePrefix and nameSuffix (labels, annotations, images, replicas). */
const ID_KEEPING = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'bases', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'labels', 'commonAnnotations', 'images', 'replicas', 'sortOptions', 'buildMetadata']);

export interface BuildNode {
  folder: string;
  value: Record<string, unknown>;
  origin: Origin;
}

/** Folders a walk never enters (io/walk.ts SKIP_DIRS), and a chart's templates: a file there is not seen, so not known to be absent. */
const NOT_WALKED = new Set(['.git', 'node_modules', '.terraform', '.terragrunt-cache', '.vscode', '.idea', '.devcontainer', '.projen', 'templates']);
const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** kustomize's kinds and the apiVersion each must have (api/types/kustomization.go ComponentKind, ComponentVersion, KustomizationVersion). */
const COMPONENT_KIND = 'Component';
const COMPONENT_VERSION = 'kustomize.config.k8s.io/v1alpha1';
const KUSTOMIZATION_VERSION = 'kustomize.config.k8s.io/v1beta1';

/**
 * Whether a kustomization document is a Component (`kind: Component`; kustomize gives one with no
 * apiVersion kustomize.config.k8s.io/v1alpha1, kustomization.go FixKustomization). One of another
 * kustomize.config.k8s.io version is one too, which kustomize refuses to load (RF901 at its apiVersion).
 */
export const isComponent = (doc: Record<string, unknown>): boolean => doc.kind === 'Component' && (doc.apiVersion === undefined || (typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kustomize.config.k8s.io/')));

/** The JSON type name Go's decoder gives a value (its UnmarshalTypeError's Value). */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'number' || typeof v === 'bigint' ? 'number' : 'string';
}

function shown(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return safeText(text, 80);
}

/** The plain scalars go-yaml v2 reads as booleans and nulls (resolve.go resolveMapList); its floats .inf and .nan too. */
const YAML11_WORDS = new Map<string, boolean | null | number>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((w) => [w, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((w) => [w, false] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((w) => [w, null] as const),
  ...['.nan', '.NaN', '.NAN'].map((w) => [w, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((w) => [w, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((w) => [w, Number.NEGATIVE_INFINITY] as const),
]);
/** Go's strconv.ParseInt / ParseUint with base 0 (a sign, then 0b, 0o, 0x or a leading 0 for octal, else decimal), within 64 bits. */
function goInteger(text: string): bigint | undefined {
  const m = /^([-+]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  const digits = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body;
  const n = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return n >= -(2n ** 63n) && n < 2n ** 64n ? n : undefined;
}
/**
 * What kustomize reads a plain scalar of kustomization.yaml as. It decodes the file with
 * sigs.k8s.io/yaml (api/types/kustomization.go Unmarshal: YAMLToJSON), which parses with
 * go.yaml.in/yaml/v2, a YAML 1.1 reader: its resolve.go takes `on`, `yes`, `y` (and their capitals)
 * as true and `off`, `no`, `n` as false, and a scalar starting with a digit or sign as an integer
 * where Go's ParseInt with base 0 reads it once `_` are dropped (`012` octal 10, `0x1F`, `0b101`,
 * `1_000`), else as a float where it matches its YAML float pattern (`08`, `1e3`); YAMLToJSON with no
 * target keeps these as JSON booleans and numbers (sigs.k8s.io/yaml yaml.go convertToJSONableObject
 * turns a scalar into a string only for a Go string target, and Unmarshal gives none), so a string
 * field then fails to decode: `on` is never the string "true". A scalar of any other form is a string.
 */
export function kustomizeScalar(text: string): boolean | null | number | string {
  if (YAML11_WORDS.has(text)) return YAML11_WORDS.get(text)!;
  if (!/^[-+0-9.]/.test(text)) return text;
  if (text.startsWith('.')) return /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : text;
  const plain = text.replaceAll('_', '');
  const n = goInteger(plain);
  if (n !== undefined) return Number(n);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return Number(plain);
  return text;
}

/**
 * The text of a one-line plain scalar at `path` of a YAML document, where the value read (YAML 1.2)
 * is that text; undefined for a quoted, block, tagged or multi-line scalar (read as written).
 */
function plainText(origin: Origin, path: readonly (string | number)[], value: string): string | undefined {
  const at = origin.source.locate(origin.doc, [...origin.path, ...path]);
  const line = origin.source.text.split('\n')[at.line - 1];
  if (line === undefined) return undefined;
  const rest = line.slice(at.column - 1);
  if (/^['"|>!&*]/.test(rest)) return undefined;
  const flow = /[[{,]\s*$/.test(line.slice(0, at.column - 1));
  const text = rest.replace(flow ? /\s+#.*$|\s*[,\]}].*$/ : /\s+#.*$/, '').replace(/\s+$/, '').replace(/\r$/, '');
  return text === value ? text : undefined;
}

/**
 * Whether a patch text is a JSON 6902 patch: one YAML (or JSON) document that is a list (kustomize
 * reads it as no strategic-merge patch, and as a list of operations: PatchTransformer.go
 * jsonPatchFromBytes). A text that does not parse is not said here.
 */
function jsonPatch(text: string): boolean {
  try {
    const docs = parseAllDocuments(text, { version: '1.2', logLevel: 'error' });
    if (docs.length !== 1 || docs[0]!.errors.length > 0) return false;
    return Array.isArray(docs[0]!.toJS({ maxAliasCount: 100 }));
  } catch {
    return false;
  }
}

/**
 * A path with a folder a walk reached through a symbolic link replaced by the folder it is
 * (ev.folderLinks): kustomize's loader follows the link (api/filesys ConfirmDir resolves it), so
 * both names are one folder to it; a path through no such link as it is.
 */
export function throughLinks(ev: Evidence, path: string): string {
  const links = ev.folderLinks;
  if (!links) return path;
  let p = trimEnd(path, '/');
  for (let hops = 0; hops < 8; hops++) {
    const withSlash = `${p}/`;
    let best: string | undefined;
    for (const from of links.keys()) if (withSlash.startsWith(from) && (best === undefined || from.length > best.length)) best = from;
    if (best === undefined) break;
    p = trimEnd(`${links.get(best)!}${withSlash.slice(best.length)}`, '/');
  }
  return path.endsWith('/') && p !== '' ? `${p}/` : p;
}

/** One entry of a kustomization's `resources`, `bases` or `components`, as kustomize follows it. */
export interface ListedEntry {
  field: 'resources' | 'bases' | 'components';
  index: number;
  /** As written; '' where the entry is not a string. */
  written: string;
  /** `local` (a path beside the kustomization), `remote` (kustomize fetches it: io/kustomize-resources.ts kustomizeRemote), `none` (not a string, or empty). */
  kind: 'local' | 'remote' | 'none';
  /** A local entry's path beside the kustomization, normalised, with no trailing '/', as written. */
  asWritten: string;
  /** The same through the folders the walk reached by a symbolic link (throughLinks): the path kustomize loads. */
  path: string;
}

/**
 * What a kustomization (its `value`, in `folder`, ending in / or '') lists, in the order of `fields`
 * (resources, bases, components by default), each entry in order: the one reading of it that the
 * build checks (kustomizeBuildErrors), the namespace builds and the generators
 * (kustomize-generate.ts) share, so they cannot disagree on which folder an entry is.
 */
export function listedEntries(ev: Evidence, folder: string, value: Record<string, unknown>, fields: readonly ListedEntry['field'][] = ['resources', 'bases', 'components']): ListedEntry[] {
  const out: ListedEntry[] = [];
  for (const field of fields) {
    const list = Array.isArray(value[field]) ? (value[field] as unknown[]) : [];
    for (let index = 0; index < list.length; index++) {
      const e = list[index];
      if (typeof e !== 'string' || e === '') out.push({ field, index, written: '', kind: 'none', asWritten: '', path: '' });
      else if (kustomizeRemote(e)) out.push({ field, index, written: e, kind: 'remote', asWritten: '', path: '' });
      else {
        const asWritten = trimEnd(normalPath(`${folder}${e}`), '/');
        out.push({ field, index, written: e, kind: 'local', asWritten, path: throughLinks(ev, asWritten) });
      }
    }
  }
  return out;
}

/**
 * How many kustomizations the doctor's kustomize readers built (kustomize-build.ts `built` and
 * `resourcesOf`, kustomize-namespace.ts `closedBuild`), each build of one counted once, and the paths
 * given that kustomizeBuildErrors looked at to know whether a folder holds any (`givenScanned`): a
 * count of work for the tests of linear growth, as they cannot time it.
 */
export const kustomizeBuildWork = { built: 0, closedBuild: 0, resourcesOf: 0, givenScanned: 0 };

/**
 * The kustomizations (of `nodes`) `kustomize build` refuses by themselves, with a finding each
 * (pushed to ev.findings). Whether a kustomization listing one fails too is the caller's.
 */
export function kustomizeBuildErrors(ev: Evidence, nodes: readonly BuildNode[]): Set<BuildNode> {
  const failed = new Set<BuildNode>();
  const given = ev.givenPaths ?? new Set<string>();
  const walked = ev.walkedFolders ?? new Set<string>();
  /** Whether a folder (ending in /, or '' ) lies in a folder the walk read whole, with no folder a walk skips between. */
  const seenWhole = (folder: string): boolean => {
    const segs = folder.split('/').filter((s, i, all) => i < all.length - 1 || s !== '');
    for (let i = segs.length; i >= 0; i--) {
      const at = segs.slice(0, i).join('/');
      if (walked.has(at === '' ? '' : `${at}/`) || (at === '' && walked.has('/'))) return !segs.slice(i).some((s) => NOT_WALKED.has(s) || s === '..');
    }
    return false;
  };
  // Every folder (ending in /) that holds a path given, at any depth: made at the first look, one
  // pass over the paths given, so a look per entry is a set lookup, not a scan of every path (a chain
  // of n kustomizations read from a folder scanned n paths for each of its n entries: n²).
  let folders: Set<string> | undefined;
  const under = (folder: string): boolean => {
    if (!folders) {
      folders = new Set();
      for (const p of given) {
        kustomizeBuildWork.givenScanned++;
        for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i + 1));
      }
    }
    return folders.has(folder);
  };
  /** Why kustomize cannot load this path, where the doctor knows (undefined: it is there, or not known). */
  const absent = (written: string, folderOnly: boolean): string | undefined => {
    const path = throughLinks(ev, written);
    if (path === '' || path.startsWith('../') || path === '..' || given.has(path)) return undefined;
    const file = /\.(ya?ml|json)$/i.test(path);
    const parent = path.replace(/[^/]*$/, '');
    if (!folderOnly && file) return seenWhole(parent) && !under(`${path}/`) ? 'does not exist' : undefined;
    const folder = `${trimEnd(path, '/')}/`;
    if (!seenWhole(folder)) return undefined;
    if (!under(folder)) return 'does not exist';
    return KUSTOMIZATION_NAMES.some((n) => given.has(`${folder}${n}`)) ? undefined : "is a folder with no kustomization in it (kustomize looks for 'kustomization.yaml', 'kustomization.yml' or 'Kustomization')";
  };
  /** Whether a file a generator reads (of any name: kustomize reads it as text) is known not to be there: not given, in a folder walked whole, and no folder of that name. */
  const missingFile = (written: string): boolean => {
    const path = throughLinks(ev, written);
    if (path === '' || path === '..' || path.startsWith('../') || given.has(path) || textOf(path) !== undefined) return false;
    return seenWhole(path.replace(/[^/]*$/, '')) && !under(`${path}/`);
  };
  // The texts and the objects by normalised path, indexed at the first look (the first text of a
  // path, the objects in order): a look per entry of each kustomization, not a scan of every file each.
  let textsByPath: Map<string, string> | undefined;
  const textOf = (path: string): string | undefined => {
    if (!textsByPath) {
      textsByPath = new Map();
      for (const [p, t] of ev.texts ?? []) {
        const key = normalPath(p);
        if (!textsByPath.has(key)) textsByPath.set(key, t);
      }
    }
    return textsByPath.get(path);
  };
  let objectsByPath: Map<string, Located<K8sObject>[]> | undefined;
  const objectsOf = (path: string): readonly Located<K8sObject>[] => {
    if (!objectsByPath) {
      objectsByPath = new Map();
      for (const o of ev.kubernetes) {
        const key = normalPath(o.origin.source.path);
        const list = objectsByPath.get(key);
        if (list) list.push(o);
        else objectsByPath.set(key, [o]);
      }
    }
    return objectsByPath.get(path) ?? [];
  };
  const holdsObjects = (path: string): boolean => objectsOf(path).length > 0 || (ev.gitOps ?? []).some((g) => normalPath(g.origin.source.path) === path) || ev.kubernetes.some((o) => normalPath(o.origin.source.path).startsWith(`${trimEnd(path, '/')}/`));

  const byFolder = new Map(nodes.map((n) => [n.folder, n]));
  /** What each kustomization lists (listedEntries), read once per run. */
  const listing = new Map<BuildNode, ListedEntry[]>();
  const listedOf = (n: BuildNode): ListedEntry[] => {
    let l = listing.get(n);
    if (!l) listing.set(n, (l = listedEntries(ev, n.folder, n.value)));
    return l;
  };
  /**
   * Each kustomization's generator entries (kustomize-generator-entries.ts, its files through the
   * folders the walk reached by a link), read once per run: all of them; those before the first entry
   * that is not a map or has no name (`named`, configMapGenerator first, in order); and whether there
   * is no such entry (`complete`): a build whose generated ids are not all known is not compared.
   */
  const generatorsRead = new Map<BuildNode, { all: GeneratorEntry[]; named: GeneratorEntry[]; complete: boolean }>();
  const generatorsOf = (k: BuildNode): { all: GeneratorEntry[]; named: GeneratorEntry[]; complete: boolean } => {
    let r = generatorsRead.get(k);
    if (r) return r;
    const all = generatorEntries(k.value, k.folder, textOf, (p) => throughLinks(ev, p));
    // The first entry (by field, then index) that is not a map with a string name, or whose name is empty.
    let bad: [number, number] | undefined;
    (['configMapGenerator', 'secretGenerator'] as const).forEach((field, f) => {
      const list = Array.isArray(k.value[field]) ? (k.value[field] as unknown[]) : [];
      const i = list.findIndex((e) => !isObject(e) || typeof e.name !== 'string' || e.name === '');
      if (i >= 0 && bad === undefined) bad = [f, i];
    });
    const before = (g: GeneratorEntry): boolean => bad === undefined || (g.field === 'configMapGenerator' ? 0 : 1) < bad[0] || ((g.field === 'configMapGenerator' ? 0 : 1) === bad[0] && g.index < bad[1]);
    r = { all, named: all.filter(before), complete: bad === undefined };
    generatorsRead.set(k, r);
    return r;
  };
  /**
   * The kustomizations built with no load restrictor: all of them where the files given write
   * `--load-restrictor LoadRestrictionsNone` (or v3's `--load_restrictor none`) where the build it
   * applies to is not known (Argo CD's `kustomize.buildOptions`, a build of the working folder or of a
   * path only the shell knows: kustomize-restrictor.ts) or hold a Flux Kustomization whose
   * `spec.path` names no folder of the files given (its source may be another repository); else the
   * kustomization a `kustomize build` / `kubectl kustomize` command with the flag names, and those
   * a Flux Kustomization builds — kustomize-controller builds with LoadRestrictionsNone, and a loader's
   * restrictor holds for every kustomization it loads: the kustomizations at or below its path's folder
   * (its generated kustomization lists those), and every one they list, through resources, bases and
   * components. Each other kustomization is built with kustomize's default, LoadRestrictionsRootOnly.
   */
  let noRestrictor: Set<BuildNode> | 'all' | undefined;
  const unrestricted = (n: BuildNode): boolean => {
    noRestrictor ??= ((): Set<BuildNode> | 'all' => {
      const lifted = restrictorLiftedBy(ev.texts);
      if (lifted === 'all') return 'all';
      const folders = new Set<string>();
      /** The folder holding a path (a file, or a folder ending in /), ending in /; '' at the top. */
      const up = (path: string): string => path.slice(0, path.replace(/\/$/, '').lastIndexOf('/') + 1);
      for (const p of given) for (let f = up(p); f !== ''; f = up(f)) folders.add(f);
      const roots: string[] = [];
      // A command's build: the kustomization of the folder it names, read from the script's folder or
      // the top of the files given (where it runs is not in the files), else any folder the path ends;
      // a path naming no folder given may be run from elsewhere: every build, as before.
      const built = new Set<string>();
      for (const { script, path } of lifted) {
        if (kustomizeRemote(path)) continue;
        const want = trimEnd(normalPath(path.replace(/^\.?\/+/, '')), '/');
        const beside = `${normalPath(`${up(normalPath(script))}${want}`)}/`;
        if (want === '' || want === '.' || (want.startsWith('../') && !folders.has(beside))) return 'all';
        const here = [beside, `${want}/`].filter((f) => folders.has(f));
        const found = here.length > 0 ? here : [...folders].filter((f) => f.endsWith(`/${want}/`));
        if (found.length === 0) return 'all';
        for (const f of found) built.add(f);
      }
      for (const o of ev.kubernetes) {
        if (o.value.kind !== 'Kustomization' || typeof o.value.apiVersion !== 'string' || !o.value.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) continue;
        const spec = (o.value as unknown as Record<string, unknown>).spec;
        const path = isObject(spec) && typeof spec.path === 'string' ? spec.path : '';
        const want = trimEnd(normalPath(path.replace(/^\.?\/+/, '')), '/');
        if (want === '' || want === '.') return 'all';
        if (want.startsWith('../')) return 'all';
        const found = [...folders].filter((f) => f === `${want}/` || f.endsWith(`/${want}/`));
        if (found.length === 0) return 'all';
        roots.push(...found);
      }
      const out = new Set<BuildNode>();
      const queue = nodes.filter((m) => built.has(m.folder) || roots.some((r) => m.folder.startsWith(r)));
      while (queue.length > 0) {
        const m = queue.pop()!;
        if (out.has(m)) continue;
        out.add(m);
        for (const e of listedOf(m)) {
          if (e.kind !== 'local') continue;
          const child = byFolder.get(`${e.path}/`);
          if (child && !out.has(child)) queue.push(child);
        }
      }
      return out;
    })();
    return noRestrictor === 'all' || noRestrictor.has(n);
  };
  const place = (o: Located<K8sObject>): string => formatPosition(o.origin.source.locate(o.origin.doc, [...o.origin.path, 'metadata', 'name']));
  const written = (o: Located<K8sObject>): Built => ({ where: place(o), id: idOf(o.value), renames: renamed(o.value) });
  /**
   * Whether a kustomization's patches leave every id as it was: a strategic-merge or JSON 6902 patch
   * changes fields of the objects it selects, not their ids (api/internal/builtins/PatchTransformer.go),
   * unless it is allowed to change a name or kind (`options.allowNameChange`, `allowKindChange`),
   * deletes the object (`$patch: delete`), or writes a namespace, a name, a kind or an apiVersion (a
   * JSON 6902 operation at /metadata/name, …): then, and where a patch file is not given, no.
   */
  const patchesKeepIds = (k: BuildNode): boolean => {
    const texts: (string | undefined)[] = [];
    const fileText = (e: string): string | undefined => textOf(throughLinks(ev, normalPath(`${k.folder}${e}`)));
    for (const field of ['patches', 'patchesJson6902'] as const) {
      for (const e of Array.isArray(k.value[field]) ? (k.value[field] as unknown[]) : []) {
        if (!isObject(e)) return false;
        if (isObject(e.options) && (e.options.allowNameChange === true || e.options.allowKindChange === true)) return false;
        texts.push(typeof e.patch === 'string' && e.patch.trim() !== '' ? e.patch : typeof e.path === 'string' && e.path !== '' ? fileText(e.path) : undefined);
      }
    }
    for (const e of Array.isArray(k.value.patchesStrategicMerge) ? (k.value.patchesStrategicMerge as unknown[]) : []) texts.push(typeof e !== 'string' ? undefined : e.includes('\n') ? e : fileText(e.trim()));
    return texts.every((t) => t !== undefined && !/namespace|\/metadata\/name|\/kind\b|\/apiVersion|\$patch/.test(t));
  };
  /**
   * The objects a kustomization's configMapGenerator and secretGenerator entries add (behavior
   * `create`, the default; `merge` and `replace` change an object already there, adding none), as
   * kustomize accumulates them before its transformers: a v1 ConfigMap or Secret of the entry's name
   * and namespace. Its hash suffix is no part of the id compared: kustomize adds it once the whole
   * build is accumulated (kusttarget.go makeCustomizedResMap addHashesToNames, "must be done last,
   * not as part of the recursion"), so an inner build's generated objects meet the others by name.
   * undefined where an entry has no name.
   */
  const generated = (k: BuildNode): { built: Built; at: (string | number)[] }[] | undefined => {
    const { named, complete } = generatorsOf(k);
    if (!complete) return undefined;
    return named
      .filter((g) => g.behavior === 'create')
      .map((g) => {
        const where = formatPosition(k.origin.source.locate(k.origin.doc, [...k.origin.path, g.field, g.index, 'name']));
        return { built: { where, id: { apiVersion: 'v1', kind: g.kind, name: g.name, ...(g.namespace !== undefined && g.namespace !== '' ? { namespace: g.namespace } : {}) }, renames: true }, at: [g.field, g.index] };
      });
  };
  /**
   * The objects a kustomization builds with the ids they leave it with (kustomize appends an inner
   * kustomization's objects after its own transformers ran: kusttarget.go accumulateDirectory, then
   * resmap AppendAll): its resources, then what its generators add (accumulateTarget runs them after
   * the resources), renamed by its and its inner ones' namespace, namePrefix and nameSuffix; patches
   * that keep ids (patchesKeepIds) change none. undefined where anything else could (a transformer,
   * a component, another patch, a path not given), and in a cycle. Each kustomization is built once
   * per run and its (frozen) result given to every one listing it: a chain of n is n builds, not n²/2,
   * and in a diamond (k0 lists k1 and k2, both list k3) k1 and k2 each get k3's objects, as kustomize
   * loads k3 once for each.
   */
  const builds = new Map<BuildNode, readonly Built[] | undefined>();
  const building = new Set<BuildNode>();
  const resourcesRead = new Map<BuildNode, { files: readonly string[]; names: ReadonlySet<string> } | undefined>();
  const resourcesReading = new Set<BuildNode>();
  const built = (k: BuildNode): readonly Built[] | undefined => {
    if (builds.has(k)) return builds.get(k);
    // A kustomization listed again below itself: a cycle (said by cycles()), no build.
    if (building.has(k)) return undefined;
    building.add(k);
    const out = buildOnce(k);
    building.delete(k);
    builds.set(k, out);
    return out;
  };
  const buildOnce = (k: BuildNode): readonly Built[] | undefined => {
    kustomizeBuildWork.built++;
    if (Object.keys(k.value).some((key) => !ID_KEEPING.has(key) && !(GENERATING.has(key)) && !PATCHING.has(key))) return undefined;
    if (Object.keys(k.value).some((key) => PATCHING.has(key)) && !patchesKeepIds(k)) return undefined;
    const out: Built[] = [];
    for (const e of listedOf(k)) {
      if (e.field === 'components') continue;
      if (e.kind !== 'local') return undefined;
      const path = e.path;
      if (given.has(path)) out.push(...objectsOf(path).map(written));
      else {
        const child = byFolder.get(`${path}/`);
        const inner = child ? built(child) : undefined;
        if (!inner) return undefined;
        out.push(...inner);
      }
    }
    const made = generated(k);
    if (made === undefined) return undefined;
    out.push(...made.map((g) => g.built));
    const ns = typeof k.value.namespace === 'string' && k.value.namespace !== '' ? k.value.namespace : undefined;
    const prefix = typeof k.value.namePrefix === 'string' ? k.value.namePrefix : '';
    const suffix = typeof k.value.nameSuffix === 'string' ? k.value.nameSuffix : '';
    return Object.freeze(out.map((b) => Object.freeze({ ...b, id: Object.freeze({ ...b.id, ...(ns !== undefined && !CLUSTER_SCOPED.has(b.id.kind) ? { namespace: ns } : {}), ...(b.renames ? { name: `${prefix}${b.id.name}${suffix}` } : {}) }) })));
  };

  const failWith = (n: BuildNode) => (code: 'RF901' | 'RF946', place: string, message: string, fix: string): void => {
    ev.findings.push({ code, severity: CODES[code].severity, path: place, message: `${message}; so nothing this kustomization (or one listing it) builds is deployed, and the doctor does not read its objects as deployed`, fix } satisfies Finding);
    failed.add(n);
  };
  // The apiVersion its kind requires, before anything else: kustomize checks it as it loads the file
  // (api/internal/target/kusttarget.go Load, api/types/kustomization.go EnforceFields after
  // FixKustomization gave an empty kind `Kustomization` and an empty apiVersion the kind's own), so
  // a kustomization listing this one fails as it loads it, before it checks the kind against the field.
  const unloadable = new Set<BuildNode>();
  for (const n of nodes) {
    const v = n.value.apiVersion;
    if (typeof v !== 'string' || v === '') continue;
    const kind = n.value.kind === COMPONENT_KIND ? COMPONENT_KIND : 'Kustomization';
    const want = kind === COMPONENT_KIND ? COMPONENT_VERSION : KUSTOMIZATION_VERSION;
    if (v === want) continue;
    const file = n.origin.source.path;
    const place = formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, 'apiVersion']));
    unloadable.add(n);
    failWith(n)('RF901', place, `${file}: apiVersion is ${safeText(v, 80)}, and kustomize reads a ${kind} only as ${want}: \`kustomize build\` fails ("Failed to read kustomization file under ${safeText(n.folder === '' ? '.' : n.folder.replace(/\/$/, ''), 100)}: apiVersion for ${kind} should be ${want}")`, `write apiVersion: ${want} in ${file}${kind === COMPONENT_KIND ? ' (a Component is v1alpha1; a Kustomization is v1beta1)' : ''}`);
  }
  for (const n of nodes) {
    if (failed.has(n)) continue;
    const at = (...p: (string | number)[]): string => formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, ...p]));
    const file = n.origin.source.path;
    const fail = failWith(n);
    // A plain scalar as kustomize's YAML 1.1 reader types it (the doctor reads YAML 1.2), and as written.
    const typed = (v: unknown, ...path: (string | number)[]): { value: unknown; written?: string; yaml11?: true } => {
      if (typeof v !== 'string' && typeof v !== 'number') return { value: v };
      const text = plainText(n.origin, path, typeof v === 'string' ? v : '');
      if (typeof v === 'number') {
        const at = n.origin.source.locate(n.origin.doc, [...n.origin.path, ...path]);
        const raw = /^[-+0-9.][^\s#,\]}]*/.exec(n.origin.source.text.split('\n')[at.line - 1]?.slice(at.column - 1) ?? '')?.[0];
        return { value: v, ...(raw !== undefined ? { written: raw } : {}) };
      }
      if (text === undefined) return { value: v };
      const k = kustomizeScalar(text);
      return typeof k === 'string' ? { value: v } : { value: k, written: text, yaml11: true };
    };
    const as11 = (t: { written?: string; yaml11?: true; value: unknown }): string => (t.yaml11 ? `; kustomize reads kustomization.yaml as YAML 1.1, where ${t.written} is ${shown(t.value)}` : '');
    // Types: what kustomize's JSON decoding refuses.
    for (const field of ['namePrefix', 'nameSuffix', 'namespace'] as const) {
      const t = typed(n.value[field], field);
      const v = t.value;
      if (v === undefined || v === null || typeof v === 'string') continue;
      const w = t.written ?? shown(v);
      fail('RF901', at(field), `${file}: ${field} is ${safeText(w, 80)} (a${jsonType(v) === 'array' || jsonType(v) === 'object' ? 'n' : ''} ${jsonType(v)}${as11(t)}), and kustomize reads ${field} as a string: \`kustomize build\` fails ("invalid Kustomization: json: cannot unmarshal ${jsonType(v)} into Go struct field Kustomization.${field} of type string")`, `write ${field} as one string in ${file}${jsonType(v) === 'number' || jsonType(v) === 'bool' ? ` (quoted: ${field}: "${safeText(w, 80)}")` : ''}`);
    }
    for (const field of ['resources', 'bases', 'components'] as const) {
      const v = n.value[field];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) {
        fail('RF901', at(field), `${file}: ${field} is ${shown(v)} (a${jsonType(v) === 'object' ? 'n' : ''} ${jsonType(v)}), and kustomize reads ${field} as a list of paths: \`kustomize build\` fails ("invalid Kustomization: json: cannot unmarshal ${jsonType(v)} into Go struct field Kustomization.${field} of type []string")`, `write ${field} in ${file} as a list, one path per item (- ${typeof v === 'string' ? shown(v) : 'path'})`);
        continue;
      }
      const items = v.map((e, j) => typed(e, field, j));
      const i = items.findIndex((e) => e.value !== null && typeof e.value !== 'string');
      if (i >= 0) {
        const t = items[i]!;
        fail('RF901', at(field, i), `${file}: ${field}[${i}] is ${safeText(t.written ?? shown(t.value), 80)} (a${jsonType(t.value) === 'array' || jsonType(t.value) === 'object' ? 'n' : ''} ${jsonType(t.value)}${as11(t)}), and kustomize reads each item of ${field} as a path: \`kustomize build\` fails ("invalid Kustomization: json: cannot unmarshal ${jsonType(t.value)} into Go struct field Kustomization.${field} of type string")`, `write ${field}[${i}] of ${file} as a path (a string${jsonType(t.value) === 'number' || jsonType(t.value) === 'bool' ? `, quoted: "${safeText(t.written ?? shown(t.value), 80)}"` : ''})`);
      }
    }
    if (failed.has(n)) continue;
    // Paths that are not there.
    const entries: { field: string; path: (string | number)[]; value: string; folderOnly: boolean; error: string; generator?: { name: string; path: string } }[] = [];
    for (const field of ['resources', 'bases'] as const) {
      (Array.isArray(n.value[field]) ? (n.value[field] as unknown[]) : []).forEach((e, i) => {
        if (typeof e === 'string' && e !== '' && !kustomizeRemote(e)) entries.push({ field: `${field}[${i}]`, path: [field, i], value: e, folderOnly: false, error: `accumulating resources from '${e}'` });
      });
    }
    (Array.isArray(n.value.components) ? (n.value.components as unknown[]) : []).forEach((e, i) => {
      if (typeof e === 'string' && e !== '' && !kustomizeRemote(e)) entries.push({ field: `components[${i}]`, path: ['components', i], value: e, folderOnly: true, error: `loader.New "${e}"` });
    });
    // The files its generators read (after its components, before its patches: kusttarget.go runGenerators; in an entry its env files first, kv.go Load).
    for (const g of generatorsOf(n).all) {
      for (const r of [...g.reads.filter((x) => x.field !== 'files'), ...g.reads.filter((x) => x.field === 'files')]) {
        if (r.text !== undefined || kustomizeRemote(r.rel)) continue;
        entries.push({ field: `${g.field}[${g.index}].${r.field}${r.place.length > 1 ? `[${String(r.place[1])}]` : ''}`, path: [g.field, g.index, ...r.place], value: r.written, folderOnly: false, error: `loading KV pairs: ${r.field === 'files' ? 'file sources' : 'env source files'}: ...: lstat ${r.path}`, generator: { name: g.name, path: r.path } });
      }
    }
    for (const field of ['patches', 'patchesJson6902'] as const) {
      (Array.isArray(n.value[field]) ? (n.value[field] as unknown[]) : []).forEach((e, i) => {
        if (isObject(e) && typeof e.path === 'string' && e.path !== '' && (field === 'patchesJson6902' || typeof e.patch !== 'string')) entries.push({ field: `${field}[${i}].path`, path: [field, i, 'path'], value: e.path, folderOnly: false, error: `failed to get the patch file from path(${e.path})` });
      });
    }
    (Array.isArray(n.value.patchesStrategicMerge) ? (n.value.patchesStrategicMerge as unknown[]) : []).forEach((e, i) => {
      if (typeof e === 'string' && !e.includes('\n') && /\.(ya?ml|json)$/i.test(e.trim())) entries.push({ field: `patchesStrategicMerge[${i}]`, path: ['patchesStrategicMerge', i], value: e.trim(), folderOnly: false, error: `patchesStrategicMerge '${e.trim()}'` });
    });
    for (const e of entries) {
      if (e.generator) {
        if (!missingFile(e.generator.path)) continue;
        // Kept out of the repository on purpose (a `.env` of secrets its .gitignore names): not a broken
        // build of the files given, but what the file sets is not shown.
        if (ev.gitIgnores?.ignored(e.generator.path) === true) {
          ev.findings.push({ code: 'RF903', severity: CODES.RF903.severity, path: at(...e.path), message: `${file} ${e.field} is ${safeText(e.value, 100)}: ${e.path[0]} ${safeText(e.generator.name, 120)} reads ${safeText(e.generator.path, 160)}, which a .gitignore of the files given ignores: the file is kept out of the repository (a secrets file, on purpose), so what it sets is not shown, and \`kustomize build\` works only where it is written`, fix: `give ${safeText(e.generator.path, 160)} (its keys, values replaced) to check what ${safeText(e.generator.name, 120)} holds, or keep it out and check it where the build runs` });
          continue;
        }
        const folder = n.folder === '' ? 'its folder' : n.folder;
        fail('RF946', at(...e.path), `${file} ${e.field} is ${safeText(e.value, 100)}: ${e.path[0]} ${safeText(e.generator.name, 120)} reads ${safeText(e.generator.path, 160)}, which does not exist: \`kustomize build\` fails (${safeText(e.error, 200)}: no such file or directory)`, `add ${safeText(e.generator.path, 160)}, or correct the path in ${e.field} of ${file} (relative to ${folder})`);
        break;
      }
      const why = absent(normalPath(`${n.folder}${e.value}`), e.folderOnly);
      if (why === undefined) continue;
      // Written like a remote address kustomize does not take as one: said so, with the form it takes.
      const lookalike = e.folderOnly || e.field.startsWith('resources') || e.field.startsWith('bases') ? remoteLookalike(e.value) : undefined;
      if (lookalike !== undefined) {
        const https = `https://${e.value.trim().replace(/^git::/i, '').replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')}`;
        fail('RF946', at(...e.path), `${file} ${e.field} is ${safeText(e.value, 100)}: ${lookalike}, which ${why}: \`kustomize build\` fails (${safeText(e.error, 140)}: no such file or directory)`, `write ${e.field} of ${file} as ${safeText(https, 160)} (or ssh:// or git@host:), the address of the repository kustomize is to clone, or name a local folder that exists`);
        break;
      }
      fail('RF946', at(...e.path), `${file} ${e.field} is ${safeText(e.value, 100)}, which ${why}: \`kustomize build\` fails (${safeText(e.error, 140)}: no such file or directory)`, `make ${e.field} of ${file} name a path that exists (relative to ${n.folder === '' ? 'its folder' : n.folder}), or take it out`);
      break;
    }
    if (failed.has(n)) continue;
    outsideRoot(n, at, fail);
    if (failed.has(n)) continue;
    // A component listed as a resource, or a kustomization as a component: kustomize checks the kind of
    // the folder's file against the field that reached it (kusttarget.go accumulateDirectory).
    for (const { field, index: i, written: e, kind, path } of listedOf(n)) {
      if (failed.has(n)) break;
      {
        if (kind !== 'local') continue;
        const folder = `${path}/`;
        // Its own folder (`.`, `./`) or one holding it (`..` from a subfolder): kustomize refuses a root
        // that contains one it is already building (api/internal/loader: "cycle detected: candidate root
        // … contains visited root …"), before it reads the folder's kind. The root of the files given is
        // named by its absolute path, which the doctor does not know: elided.
        const holding = folder === '/' ? '' : folder;
        if (n.folder.startsWith(holding)) {
          const named = holding === '' ? '...' : safeText(holding.slice(0, -1), 100);
          const visited = n.folder === '' ? '...' : safeText(n.folder.slice(0, -1), 100);
          const own = holding === n.folder;
          fail('RF946', at(field, i), `${file} ${field}[${i}] is ${safeText(e, 100)}, ${own ? `the folder of ${file} itself` : `a folder holding ${file}`} (${holding === '' ? 'the folder given' : named}): kustomize does not build a folder that holds one it is already building, and \`kustomize build\` fails ("cycle detected: candidate root '${named}' contains visited root ${own ? `'${visited}'` : '...'}")`, `take ${safeText(e, 100)} out of ${field} of ${file}; list the files of its folder by name (resources), or the folders it is to add`);
          continue;
        }
        const child = byFolder.get(folder);
        // A child kustomize refuses to load fails this build there (said at the child).
        if (!child || given.has(folder.slice(0, -1)) || unloadable.has(child)) continue;
        const component = isComponent(child.value);
        if (field === 'components' && !component) fail('RF946', at(field, i), `${file} components[${i}] is ${safeText(e, 100)}, whose ${child.origin.source.path} is a kustomization, not a Component: \`kustomize build\` fails ("expected kind 'Component' for path '${safeText(folder.slice(0, -1), 100)}' but got '${safeText(typeof child.value.kind === 'string' && child.value.kind !== '' ? child.value.kind : 'Kustomization', 40)}'")`, `list ${safeText(e, 100)} in resources of ${file}, or make ${child.origin.source.path} a Component (apiVersion: kustomize.config.k8s.io/v1alpha1, kind: Component)`);
        if (field !== 'components' && component) fail('RF946', at(field, i), `${file} ${field}[${i}] is ${safeText(e, 100)}, whose ${child.origin.source.path} is a Component: kustomize builds a component only from components, and \`kustomize build\` fails ("expected kind != 'Component' for path '${safeText(folder.slice(0, -1), 100)}'")`, `list ${safeText(e, 100)} under components of ${file}, not ${field}`);
      }
    }
    if (failed.has(n)) continue;
    // JSON 6902 patches without a target.
    (Array.isArray(n.value.patches) ? (n.value.patches as unknown[]) : []).forEach((e, i) => {
      if (failed.has(n) || !isObject(e) || e.target !== undefined && e.target !== null) return;
      const source = typeof e.patch === 'string' && e.patch.trim() !== '' ? `[patch: ${JSON.stringify(e.patch.trim())}]` : typeof e.path === 'string' && e.path !== '' ? `[path: ${JSON.stringify(e.path)}]` : undefined;
      const text = typeof e.patch === 'string' && e.patch.trim() !== '' ? e.patch : typeof e.path === 'string' ? textOf(normalPath(`${n.folder}${e.path}`)) : undefined;
      if (source === undefined || text === undefined || !jsonPatch(text)) return;
      fail('RF946', at('patches', i), `${file} patches[${i}] is a JSON 6902 patch (a list of operations) with no target: kustomize applies such a patch only to the objects a target selects, and \`kustomize build\` fails ("must specify a target for JSON patch ${safeText(source, 100)}")`, `give patches[${i}] of ${file} a target (kind and name of the object it patches), or write it as a strategic-merge patch naming its object`);
    });
    if (failed.has(n)) continue;
    (Array.isArray(n.value.patchesJson6902) ? (n.value.patchesJson6902 as unknown[]) : []).forEach((e, i) => {
      if (failed.has(n) || !isObject(e)) return;
      if (!isObject(e.target)) fail('RF946', at('patchesJson6902', i), `${file} patchesJson6902[${i}] has no target: kustomize's JSON 6902 transformer reads the name of its target as it is configured, and with none \`kustomize build\` stops there (a nil-pointer panic, not a message)`, `give patchesJson6902[${i}] of ${file} a target (version, kind and name of the object it patches)`);
      else if (typeof e.target.name !== 'string' || e.target.name === '') fail('RF946', at('patchesJson6902', i, 'target'), `${file} patchesJson6902[${i}].target names no object: \`kustomize build\` fails ("must specify the target name")`, `give patchesJson6902[${i}].target of ${file} the name of the object it patches`);
    });
    if (failed.has(n)) continue;
    // One object added twice.
    const seen = new Map<string, number>();
    const ids = new Map<string, { entry: number; file: string; where: string; inner: boolean }>();
    const list = [...(Array.isArray(n.value.resources) ? (n.value.resources as unknown[]) : []), ...(Array.isArray(n.value.bases) ? (n.value.bases as unknown[]) : [])];
    const fieldOf = (i: number): (string | number)[] => {
      const r = Array.isArray(n.value.resources) ? n.value.resources.length : 0;
      return i < r ? ['resources', i] : ['bases', i - r];
    };
    const name = (i: number): string => {
      const [f, j] = fieldOf(i);
      return `${f}[${j}]`;
    };
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (typeof e !== 'string' || e === '' || kustomizeRemote(e)) continue;
      const asWritten = trimEnd(normalPath(`${n.folder}${e}`), '/');
      const path = throughLinks(ev, asWritten);
      const before = seen.get(path);
      if (before !== undefined) {
        if (!holdsObjects(path)) continue;
        const other = trimEnd(normalPath(`${n.folder}${String(list[before])}`), '/');
        const linked = path !== asWritten || throughLinks(ev, other) !== other;
        fail('RF946', at(...fieldOf(i)), `${file} ${name(i)} is ${safeText(e, 100)}, which ${linked ? `is the folder ${safeText(path, 100)} (through a symbolic link) that ${name(before)} (${safeText(String(list[before]), 100)}) lists already` : `${name(before)} lists already`}: kustomize adds its objects twice and \`kustomize build\` fails ("may not add resource with an already registered id")`, `list ${safeText(e, 100)} once in ${file}`);
        break;
      }
      seen.set(path, i);
      // A file's objects as written; a folder's as its kustomization leaves them.
      const child = given.has(path) ? undefined : byFolder.get(`${path}/`);
      const mine = child ? built(child) ?? [] : objectsOf(path).map(written);
      for (const { where, id: x } of mine) {
        const ns = CLUSTER_SCOPED.has(x.kind) ? '' : x.namespace ?? 'default';
        const id = `${x.apiVersion}\u0000${x.kind}\u0000${x.name}\u0000${ns}`;
        const other = ids.get(id);
        if (other !== undefined && other.entry !== i) {
          const what = `${x.kind} ${ns !== '' ? `${safeText(ns, 63)}/` : ''}${safeText(x.name, 253)} (${x.apiVersion})`;
          const verb = (inner: boolean): string => (inner ? 'builds (its kustomization, after its namespace, namePrefix and nameSuffix)' : 'writes');
          const either = other.inner || child !== undefined;
          fail('RF946', at(...fieldOf(i)), `${file} ${name(i)} (${safeText(e, 100)}) ${verb(child !== undefined)} ${what}, which ${name(other.entry)} (${safeText(other.file, 100)}) ${verb(other.inner)} too (${where}; ${other.where}): kustomize cannot hold two objects of one id and \`kustomize build\` fails ("may not add resource with an already registered id: ${x.kind}")`, either ? `keep ${what} in one of the two (take its file out of one build), or give one of them another name or namespace (metadata, or the inner kustomization's namePrefix, nameSuffix or namespace)` : `keep ${what} in one of the two files, or give one of them another name or namespace`);
          break;
        }
        if (other === undefined) ids.set(id, { entry: i, file: e, where, inner: child !== undefined });
      }
      if (failed.has(n)) break;
    }
    if (failed.has(n)) continue;
    // A generated object of an id the resources (or an earlier entry) hold already: kustomize absorbs
    // it with its behavior (reswrangler.go appendReplaceOrMerge), and `create`, the default, fails
    // there (CREATE_EXISTS). A kustomization's generators run after its resources and before its
    // components (kusttarget.go accumulateTarget, since kubernetes-sigs/kustomize PR 5170, 5.1.0):
    // what its components add is not there yet, and a component adding an id a generator made fails
    // at the component (componentsAdding).
    const resourcesIds = new Map([...ids].map(([id, o]): [string, string] => [id, `${name(o.entry)} (${safeText(o.file, 100)}) ${o.inner ? 'builds' : 'writes'} it (${o.where})`]));
    const ownMade = new Map<string, string>();
    for (const { built: g, at: where } of generated(n) ?? []) {
      const x = g.id;
      const ns = x.namespace ?? 'default';
      const id = `${x.apiVersion}\u0000${x.kind}\u0000${x.name}\u0000${ns}`;
      const other = resourcesIds.get(id) ?? ownMade.get(id);
      const entry = `${String(where[0])}[${String(where[1])}]`;
      if (other !== undefined) {
        const what = `${x.kind} ${safeText(ns, 63)}/${safeText(x.name, 253)}`;
        fail('RF946', at(...where, 'name'), `${file} ${entry} generates ${what}, which ${other}: kustomize adds a generated object with its behavior, \`create\` unless written, and an id already there fails it (${CREATE_EXISTS})`, `set behavior: merge (or replace) on ${entry} of ${file} to change the ${x.kind} already there, or give the generator another name`);
        break;
      }
      ownMade.set(id, `${entry} of ${file} generates it (${g.where})`);
    }
    if (failed.has(n)) continue;
    mergeWithNothing(n, at, fail);
    if (failed.has(n)) continue;
    componentsAdding(n, ids, ownMade, name, at, fail);
    if (failed.has(n)) continue;
    componentMergeWithNothing(n, at, fail);
  }
  cycles();
  return failed;

  /**
   * RF946 where kustomizations list each other in a cycle through other folders (overlay → base →
   * ../overlay): kustomize's loader refuses a root that is, or holds, the root of a kustomization
   * that (through its referrers) is loading it (api/internal/loader FileLoader.errIfArgEqualOrHigher:
   * "cycle detected: candidate root '…' contains visited root '…'"), so a build entering the cycle
   * anywhere fails where it closes. Said once per cycle, at the entry that closes it as the doctor
   * walks the folders (a depth-first walk with its own stack: a chain of any length, no recursion);
   * every kustomization of the cycle fails, and those listing one fail with them (the caller's).
   */
  function cycles(): void {
    const edges = (n: BuildNode): { child: BuildNode; field: string; i: number; e: string }[] => {
      const out: { child: BuildNode; field: string; i: number; e: string }[] = [];
      for (const { field, index: i, written: e, kind, path } of listedOf(n)) {
        if (kind !== 'local') continue;
        const folder = `${path}/`;
        // Its own folder or one holding it: said above.
        if (folder === '/' || n.folder.startsWith(folder) || given.has(folder.slice(0, -1))) continue;
        const child = byFolder.get(folder);
        if (child && !unloadable.has(child)) out.push({ child, field, i, e });
      }
      return out;
    };
    const state = new Map<BuildNode, 'open' | 'done'>();
    const name = (n: BuildNode): string => safeText(n.folder === '' ? '.' : n.folder.replace(/\/$/, ''), 100);
    for (const start of nodes) {
      if (state.has(start)) continue;
      const stack: { n: BuildNode; out: ReturnType<typeof edges>; next: number }[] = [{ n: start, out: edges(start), next: 0 }];
      state.set(start, 'open');
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next >= top.out.length) {
          state.set(top.n, 'done');
          stack.pop();
          continue;
        }
        const edge = top.out[top.next++]!;
        const there = state.get(edge.child);
        if (there === 'done') continue;
        if (there === undefined) {
          state.set(edge.child, 'open');
          stack.push({ n: edge.child, out: edges(edge.child), next: 0 });
          continue;
        }
        // Open: on the stack, so the walk has come round to it.
        const from = stack.findIndex((f) => f.n === edge.child);
        const ring = stack.slice(from).map((f) => f.n);
        const path = [...ring, edge.child].map(name);
        const shown = path.length > 8 ? [...path.slice(0, 4), `… ${path.length - 7} more …`, ...path.slice(-3)] : path;
        const n = top.n;
        const file = n.origin.source.path;
        const place = formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, edge.field, edge.i]));
        if (!failed.has(n)) failWith(n)('RF946', place, `${file} ${edge.field}[${edge.i}] is ${safeText(edge.e, 100)}, the folder ${name(edge.child)}, whose kustomization lists this one's folder again: the kustomizations list each other in a cycle (${shown.join(' → ')}), and kustomize does not load a folder a build is already loading: \`kustomize build\` fails ("cycle detected: candidate root '${name(edge.child)}' contains visited root '${name(edge.child)}'")`, `take ${safeText(edge.e, 100)} out of ${edge.field} of ${file}, or the entry of the cycle that lists ${name(n)} back; put what both need in a folder of its own that neither lists back`);
        for (const r of ring) failed.add(r);
      }
    }
  }

  /**
   * RF946 at a component whose resources add an object of an id the build holds already. kustomize
   * accumulates a kustomization's resources, then each component in order into the same accumulator
   * (kusttarget.go accumulateTarget → accumulateComponents → the component's own accumulateTarget):
   * the component's resources are added as written (a folder's as its kustomization builds them),
   * and an id already there — from the resources, an earlier component or the same component listed
   * twice — fails the build ("may not add resource with an already registered id"). A component's
   * transformers run over the whole accumulator after its resources are added, so once a component
   * that may change ids has run (a namespace, namePrefix or nameSuffix, a transformer, replacements,
   * a patch that can rename, a component of its own), the ids after it are not known and nothing
   * more is said. The kustomization's own generators ran before its components (kusttarget.go
   * accumulateTarget since kubernetes-sigs/kustomize PR 5170, kustomize 5.1.0): what they made
   * (`ownMade`) is there for the components to collide with, and the finding says kustomize before 5.1
   * failed at the generator instead. Returns the ids the components added (id → how it is said).
   */
  function componentsAdding(n: BuildNode, ids: Map<string, { entry: number; file: string; where: string; inner: boolean }>, ownMade: ReadonlyMap<string, string>, name: (i: number) => string, at: (...p: (string | number)[]) => string, fail: (code: 'RF901' | 'RF946', place: string, message: string, fix: string) => void): Map<string, string> {
    const added = new Map<string, string>();
    const file = n.origin.source.path;
    const keepsIds = (c: BuildNode): boolean =>
      Object.keys(c.value).every((key) => (ID_KEEPING.has(key) && !['namespace', 'namePrefix', 'nameSuffix'].includes(key)) || GENERATING.has(key) || PATCHING.has(key)) && (!Object.keys(c.value).some((key) => PATCHING.has(key)) || patchesKeepIds(c));
    const said = (id: string): string | undefined => {
      const r = ids.get(id);
      return r !== undefined ? `${name(r.entry)} (${safeText(r.file, 100)}) ${r.inner ? 'builds' : 'writes'} it (${r.where})` : ownMade.get(id) ?? added.get(id);
    };
    // Where the id is one the kustomization's own generator made: kustomize before 5.1 accumulated the
    // components first (kusttarget.go accumulateTarget before PR 5170), and failed at the generator.
    const older = (id: string): string => (ids.has(id) || !ownMade.has(id) ? '' : `; kustomize 5.1 and later run a kustomization's generators before its components (kusttarget.go accumulateTarget, kubernetes-sigs/kustomize PR 5170), and kustomize before 5.1 added the components first and failed at the generator instead, with "id ... exists; behavior must be merge or replace"`);
    for (const { index: j, written: e, kind, path: cPath } of listedOf(n).filter((x) => x.field === 'components')) {
      if (kind !== 'local') return added;
      const c = byFolder.get(`${cPath}/`);
      if (!c || !isComponent(c.value)) return added;
      for (const { index: k, written: r, kind: rKind, path } of listedOf(c).filter((x) => x.field === 'resources')) {
        if (rKind !== 'local') return added;
        const child = given.has(path) ? undefined : byFolder.get(`${path}/`);
        const mine = child ? built(child) : objectsOf(path).map(written);
        if (mine === undefined) return added;
        for (const { where, id: x } of mine) {
          const ns = CLUSTER_SCOPED.has(x.kind) ? '' : x.namespace ?? 'default';
          const id = `${x.apiVersion}\u0000${x.kind}\u0000${x.name}\u0000${ns}`;
          const other = said(id);
          if (other !== undefined) {
            const what = `${x.kind} ${ns !== '' ? `${safeText(ns, 63)}/` : ''}${safeText(x.name, 253)} (${x.apiVersion})`;
            fail('RF946', at('components', j), `${file} components[${j}] (${safeText(e, 100)}) adds ${what} with its resources[${k}] (${safeText(r, 100)}; ${where}), which ${other}: kustomize adds a component's resources to the build it is listed in, cannot hold two objects of one id, and \`kustomize build\` fails ("may not add resource with an already registered id: ${x.kind}")${older(id)}`, `keep ${what} in one place (take it out of ${c.origin.source.path}'s resources, or out of the build listing the component), or give one of them another name or namespace`);
            return added;
          }
          added.set(id, `components[${j}] (${safeText(e, 100)}) adds it with its resources[${k}] (${where})`);
        }
      }
      // The component's generators run after its resources (and its own components: not known here)
      // and before its transformers, over the same accumulator: a generated object of an id already
      // there fails with its behavior, `create` unless written, as a build's own generator does.
      // Its transformers then run over the whole accumulator: after one that may change ids, no id is known.
      if (Array.isArray(c.value.components)) return added;
      const keeps = keepsIds(c);
      for (const { built: g, at: w } of generated(c) ?? []) {
        const ns = g.id.namespace ?? 'default';
        const id = `${g.id.apiVersion}\u0000${g.id.kind}\u0000${g.id.name}\u0000${ns}`;
        const entry = `${String(w[0])}[${String(w[1])}]`;
        const other = said(id);
        if (other !== undefined) {
          const what = `${g.id.kind} ${safeText(ns, 63)}/${safeText(g.id.name, 253)}`;
          fail('RF946', at('components', j), `${file} components[${j}] (${safeText(e, 100)}) generates ${what} with its ${entry} (${g.where}), which ${other}: kustomize runs a component's generators over the build it is listed in, adds a generated object with its behavior, \`create\` unless written, and an id already there fails it (${CREATE_EXISTS})${older(id)}`, `set behavior: merge (or replace) on ${entry} of ${c.origin.source.path} to change the ${g.id.kind} already there, or give the generator another name`);
          return added;
        }
        // Two entries of one generator list making one id: the second fails too, with the first as the one there.
        added.set(id, `components[${j}] (${safeText(e, 100)}) generates it (${c.origin.source.path} ${entry})`);
      }
      if (!keeps) {
        for (const { built: g } of generated(c) ?? []) added.delete(`${g.id.apiVersion}\u0000${g.id.kind}\u0000${g.id.name}\u0000${g.id.namespace ?? 'default'}`);
        return added;
      }
    }
    return added;
  }

  /**
   * RF946 at the first file a kustomization loads from outside its folder: a `resources` / `bases`
   * file, or a file a `configMapGenerator` / `secretGenerator` entry reads (`files`, `key=path`;
   * `envs`, `env`), and every other file the build loads through the same loader (patch and
   * replacement files, a chart's values files, configurations, crds, openapi.path, plugin
   * configuration files; listed below). kustomize's loader reads files through its load restrictor, by default
   * `LoadRestrictionsRootOnly` (api/internal/loader/loadrestrictions.go RestrictionRootOnly: a file
   * whose folder is not the kustomization's or below it, "security; file '…' is not in or below
   * '…'"); a folder listed is a kustomization of its own, loaded with its own root, and allowed. Said
   * only where the file is given (the doctor knows it is a file), and not for a build the files given
   * run with `--load-restrictor LoadRestrictionsNone` (a build script's command, Argo CD's
   * `kustomize.buildOptions`) or that a Flux Kustomization makes (kustomize-controller builds with
   * LoadRestrictionsNone): there the file is read, as before (`unrestricted`, above).
   */
  function outsideRoot(n: BuildNode, at: (...p: (string | number)[]) => string, fail: (code: 'RF901' | 'RF946', place: string, message: string, fix: string) => void): void {
    if (unrestricted(n)) return;
    const root = throughLinks(ev, n.folder);
    const file = n.origin.source.path;
    const outside = (written: string): string | undefined => {
      const path = throughLinks(ev, normalPath(`${n.folder}${written}`));
      if (!given.has(path) && textOf(path) === undefined) return undefined;
      return path.startsWith('../') || path === '..' || (root !== '' && !path.startsWith(root)) ? path : undefined;
    };
    const say = (place: (string | number)[], entry: string, written: string, path: string, what: string): void => {
      const folder = root === '' ? '.' : root.replace(/\/$/, '');
      fail('RF946', at(...place), `${file} ${entry} is ${safeText(written, 100)}, ${what} ${safeText(path, 120)}, which is not in or below ${safeText(folder, 100)}, the kustomization's folder: kustomize loads files with its default load restrictor (LoadRestrictionsRootOnly), and \`kustomize build\` fails ("security; file '${safeText(path, 120)}' is not in or below '${safeText(folder, 100)}'")`, `move ${safeText(path, 120)} into ${safeText(folder, 100)} (or list the folder holding it, with a kustomization of its own), or build with --load-restrictor LoadRestrictionsNone`);
    };
    for (const field of ['resources', 'bases'] as const) {
      const list = Array.isArray(n.value[field]) ? (n.value[field] as unknown[]) : [];
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (typeof e !== 'string' || e === '' || kustomizeRemote(e)) continue;
        const path = outside(e);
        if (path !== undefined && given.has(path)) return say([field, i], `${field}[${i}]`, e, path, 'the file');
      }
    }
    // configurations and crds: loaded (kusttarget.go, builtinconfig.MakeTransformerConfig and
    // accumulator.LoadConfigFromCRDs) before any generator runs.
    for (const field of ['configurations', 'crds'] as const) {
      const list = Array.isArray(n.value[field]) ? (n.value[field] as unknown[]) : [];
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (typeof e !== 'string' || e === '' || kustomizeRemote(e)) continue;
        const path = outside(e.trim());
        if (path !== undefined && given.has(path)) return say([field, i], `${field}[${i}]`, e.trim(), path, 'the file');
      }
    }
    // In each entry its files, then its env files (kustomize-generator-entries.ts, in the order written).
    for (const g of generatorsOf(n).all) {
      for (const r of g.reads) {
        if (r.rel === '' || kustomizeRemote(r.rel)) continue;
        if (r.outside && (given.has(r.path) || r.text !== undefined)) return say([g.field, g.index, ...r.place], `${g.field}[${g.index}].${r.field}${r.place.length > 1 ? `[${String(r.place[1])}]` : ''}`, r.rel, r.path, 'which reads the file');
      }
    }
    // The other files a build loads through the same loader, each a file only (a folder listed under
    // transformers, generators or validators is a kustomization of its own, as under resources):
    // patch files (PatchTransformer, PatchJson6902Transformer and PatchStrategicMergeTransformer load
    // `path` with the kustomization's loader), replacement files (ReplacementTransformer), a chart's
    // valuesFile and additionalValuesFiles (HelmChartInflationGenerator: "must be under the loader
    // root"), openapi.path (kusttarget.go) and plugin configuration files; in the order kustomize
    // configures them (the built-in generators, then the generators listed, then the built-in
    // transformers, then those listed), after configurations and crds (above).
    const files: [(string | number)[], string, string][] = [];
    const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const plugins = (field: 'transformers' | 'generators' | 'validators'): void =>
      listOf(n.value[field]).forEach((e, i) => {
        if (typeof e === 'string' && !e.includes('\n')) files.push([[field, i], `${field}[${i}]`, e.trim()]);
      });
    listOf(n.value.helmCharts).forEach((c, i) => {
      if (!isObject(c)) return;
      if (typeof c.valuesFile === 'string') files.push([['helmCharts', i, 'valuesFile'], `helmCharts[${i}].valuesFile`, c.valuesFile]);
      listOf(c.additionalValuesFiles).forEach((f, j) => {
        if (typeof f === 'string') files.push([['helmCharts', i, 'additionalValuesFiles', j], `helmCharts[${i}].additionalValuesFiles[${j}]`, f]);
      });
    });
    plugins('generators');
    listOf(n.value.patchesStrategicMerge).forEach((e, i) => {
      if (typeof e === 'string' && !e.includes('\n')) files.push([['patchesStrategicMerge', i], `patchesStrategicMerge[${i}]`, e.trim()]);
    });
    for (const field of ['patches', 'patchesJson6902', 'replacements'] as const) {
      listOf(n.value[field]).forEach((e, i) => {
        if (isObject(e) && typeof e.path === 'string' && (field !== 'patches' || typeof e.patch !== 'string')) files.push([[field, i, 'path'], `${field}[${i}].path`, e.path]);
      });
    }
    plugins('transformers');
    plugins('validators');
    if (isObject(n.value.openapi) && typeof n.value.openapi.path === 'string') files.push([['openapi', 'path'], 'openapi.path', n.value.openapi.path]);
    for (const [place, entry, written] of files) {
      if (written === '' || kustomizeRemote(written)) continue;
      const path = outside(written);
      if (path !== undefined && given.has(path)) return say(place, entry, written, path, 'the file');
    }
  }

  /**
   * The files a kustomization's resources (and bases) build, through inner kustomizations whose ids
   * are decidable (`built`), and the names of the objects they leave it with; undefined where any is
   * remote, not given or undecidable.
   */
  function resourcesOf(k: BuildNode): { files: string[]; names: Set<string> } | undefined {
    const r = resourcesOnce(k);
    return r && { files: [...r.files], names: new Set(r.names) };
  }
  /** resourcesOf's answer for each kustomization, read once per run (a chain of n is n reads), each file once in it; undefined in a cycle. */
  function resourcesOnce(m: BuildNode): { files: readonly string[]; names: ReadonlySet<string> } | undefined {
    if (resourcesRead.has(m)) return resourcesRead.get(m);
    if (resourcesReading.has(m)) return undefined;
    resourcesReading.add(m);
    kustomizeBuildWork.resourcesOf++;
    const read = ((): { files: readonly string[]; names: ReadonlySet<string> } | undefined => {
      const files = new Set<string>();
      const names = new Set<string>();
      for (const e of listedOf(m)) {
        if (e.field === 'components') continue;
        if (e.kind !== 'local') return undefined;
        const path = e.path;
        if (given.has(path)) {
          if (textOf(path) === undefined) return undefined;
          files.add(path);
          for (const o of objectsOf(path)) names.add(`${o.value.kind}\u0000${o.value.metadata.name}`);
          continue;
        }
        const child = byFolder.get(`${path}/`);
        const inner = child ? built(child) : undefined;
        const theirs = child && inner ? resourcesOnce(child) : undefined;
        if (!inner || !theirs) return undefined;
        for (const f of theirs.files) files.add(f);
        for (const n of theirs.names) names.add(n);
        for (const b of inner) names.add(`${b.id.kind}\u0000${b.id.name}`);
      }
      return { files: [...files], names };
    })();
    resourcesReading.delete(m);
    resourcesRead.set(m, read);
    return read;
  }

  /**
   * What a kustomization's resources build (resourcesOf) and what its components' resources add.
   * kustomize's kusttarget.go accumulateTarget (since kubernetes-sigs/kustomize PR 5170) runs a
   * kustomization's generators before its components, so there a generator cannot merge into a
   * component's object (checked here with kubectl 1.32's kustomize 5.5.0: "does not exist; cannot
   * merge or replace"), while kustomize before 5.1 added the components first and built it.
   * mergeWithNothing says that case apart, naming the version. A component's generator entries add
   * the names they make (65d). undefined where a component is not given, or makes objects otherwise
   * (`generators`, a chart, components of its own), or has an entry that is not a map with a name.
   */
  function withComponents(n: BuildNode): { files: string[]; names: Set<string> } | undefined {
    const own = resourcesOf(n);
    if (own === undefined) return undefined;
    for (const e of listedOf(n)) {
      if (e.field !== 'components') continue;
      if (e.kind !== 'local') return undefined;
      const c = byFolder.get(`${e.path}/`);
      if (!c || ['generators', 'helmCharts', 'helmChartInflationGenerator', 'components'].some((key) => c.value[key] !== undefined)) return undefined;
      const theirs = resourcesOf(c);
      if (theirs === undefined) return undefined;
      own.files.push(...theirs.files);
      for (const name of theirs.names) own.names.add(name);
      // The ConfigMaps and Secrets its generators name (every entry, merges too: read generously), each entry read.
      const made = generatorsOf(c);
      if (!made.complete) return undefined;
      for (const g of made.named) own.names.add(`${g.kind}\u0000${g.name}`);
    }
    return own;
  }

  /**
   * RF946 at a `components` entry whose component has a configMapGenerator / secretGenerator entry
   * with `behavior: merge` or `replace` and the build listing it holds no ConfigMap / Secret of that
   * name. A component's generators run over the accumulator of the build that lists it
   * (api/internal/target/kusttarget.go accumulateComponents → accumulateDirectory with isComponent →
   * the component's accumulateTarget), after that build's resources and, in kustomize since PR 5170,
   * its own generators; a merge or replace with no object of that id there fails the build
   * (api/resmap/reswrangler.go appendReplaceOrMerge: "id %#v does not exist; cannot merge or
   * replace"). What the component may find, read generously so as not to be wrong: the build's
   * resources (resourcesOf), every entry of the build's own generators, the earlier components'
   * resources and generators, the component's own resources and its earlier generator entries; and
   * no file of those writes the name at all. Said only where all of it is known: every entry a local
   * folder given, no component with charts, `generators` or components of its own, the build itself
   * no Component (its components merge into whatever lists it).
   */
  function componentMergeWithNothing(n: BuildNode, at: (...p: (string | number)[]) => string, fail: (code: 'RF901' | 'RF946', place: string, message: string, fix: string) => void): void {
    const list = Array.isArray(n.value.components) ? (n.value.components as unknown[]) : [];
    if (list.length === 0 || isComponent(n.value)) return;
    const unknown = (k: BuildNode) => ['helmCharts', 'helmChartInflationGenerator', 'generators'].some((key) => k.value[key] !== undefined);
    if (unknown(n)) return;
    const known = resourcesOf(n);
    if (known === undefined) return;
    const generators = (k: BuildNode): GeneratorEntry[] | undefined => (generatorsOf(k).complete ? generatorsOf(k).named : undefined);
    const own = generators(n);
    if (own === undefined) return;
    for (const g of own) known.names.add(`${g.kind}\u0000${g.name}`);
    const file = n.origin.source.path;
    for (const { index: j, written: e, kind, path } of listedOf(n).filter((x) => x.field === 'components')) {
      if (kind !== 'local') return;
      const c = byFolder.get(`${path}/`);
      if (!c || !isComponent(c.value) || unknown(c) || c.value.components !== undefined) return;
      const theirs = resourcesOf(c);
      const made = generators(c);
      if (theirs === undefined || made === undefined) return;
      known.files.push(...theirs.files);
      for (const name of theirs.names) known.names.add(name);
      for (const g of made) {
        const key = `${g.kind}\u0000${g.name}`;
        if ((g.behavior === 'merge' || g.behavior === 'replace') && !known.names.has(key) && !known.files.some((f) => textOf(f)!.includes(g.name))) {
          const entry = `${g.field}[${g.index}]`;
          const where = formatPosition(c.origin.source.locate(c.origin.doc, [...c.origin.path, g.field, g.index, 'behavior']));
          fail('RF946', at('components', j), `${file} components[${j}] is ${safeText(e, 100)}, whose ${entry} is ${safeText(g.name, 253)} with behavior: ${g.behavior} (${where}), and no ${g.kind} of that name is in the build that lists it (${known.files.length === 0 ? 'it lists no resources' : `none of the ${known.files.length} file${known.files.length === 1 ? '' : 's'} its resources and the components build writes one`}, nor a generator before it): kustomize runs a component's generators over the build that lists it, merges or replaces a generated ${g.kind} only into one already there, and \`kustomize build\` fails ("id ... does not exist; cannot merge or replace")`, `list ${safeText(e, 100)} only in builds that hold the ${g.kind} ${safeText(g.name, 253)} (add it to resources of ${file}), or take behavior: ${g.behavior} out of ${entry} of ${c.origin.source.path} (create makes the ${g.kind})`);
          return;
        }
        known.names.add(key);
      }
    }
  }

  /**
   * RF946 at a configMapGenerator / secretGenerator entry with `behavior: merge` or `replace` whose
   * ConfigMap or Secret nothing before it in the build holds: kustomize absorbs a generated object
   * into those its resources built (and its earlier generator entries made), and with no object of
   * that id there `kustomize build` fails (api/resmap/reswrangler.go appendReplaceOrMerge, "id ... does
   * not exist; cannot merge or replace"). Said only where every resource is a file given or a
   * decidable inner build, no object of that kind has the name (as written or as built, in any
   * namespace) and no file of the build writes the name at all. Where only the kustomization's
   * components hold it, kustomize 5.1 and later fail too (withComponents): said, with the version.
   */
  function mergeWithNothing(n: BuildNode, at: (...p: (string | number)[]) => string, fail: (code: 'RF901' | 'RF946', place: string, message: string, fix: string) => void): void {
    if (n.value.helmCharts !== undefined || n.value.helmChartInflationGenerator !== undefined || n.value.generators !== undefined) return;
    // A component's generators run over the accumulator of the build listing it (kusttarget.go
    // accumulateComponents): what a merge finds there is that build's, not the component's own.
    if (isComponent(n.value)) return;
    const file = n.origin.source.path;
    let those: { files: string[]; names: Set<string> } | undefined | null = null;
    let ownResources: { files: string[]; names: Set<string> } | undefined | null = null;
    const made = new Set<string>();
    // The entries up to the first that is not a map or has no name (there it stops, as before).
    for (const g of generatorsOf(n).named) {
      {
        const { field, kind, index: i, name } = g;
        const key = `${kind}\u0000${name}`;
        if (g.behavior !== 'merge' && g.behavior !== 'replace') {
          made.add(key);
          continue;
        }
        if (made.has(key)) continue;
        if (those === null) those = withComponents(n);
        if (those === undefined) return;
        const entry = `${field}[${i}]`;
        if (those.names.has(key) || those.files.some((f) => textOf(f)!.includes(name))) {
          // Found, but perhaps only among the components' objects: kustomize 5.1 and later run the generators before the components.
          if (ownResources === null) ownResources = resourcesOf(n);
          if (ownResources === undefined || ownResources.names.has(key) || ownResources.files.some((f) => textOf(f)!.includes(name))) continue;
          fail('RF946', at(field, i, 'behavior'), `${file} ${entry} is ${safeText(name, 253)} with behavior: ${g.behavior}, and only the kustomization's components add a ${kind} of that name: kustomize 5.1 and later run a kustomization's generators before its components (kusttarget.go accumulateTarget, kubernetes-sigs/kustomize PR 5170), so nothing of that name is there yet and \`kustomize build\` fails ("id ... does not exist; cannot merge or replace"); kustomize before 5.1 added the components first and built it`, `make the ${kind} in ${file} (take behavior: ${g.behavior} out of ${entry}, and out of the component the object it adds), or move ${entry} into the component after its resources, so the merge runs where the ${kind} is`);
          return;
        }
        const from = those.files.length > 0 ? 'its resources build' : 'it lists no resources';
        fail('RF946', at(field, i, 'behavior'), `${file} ${entry} is ${safeText(name, 253)} with behavior: ${g.behavior}, and no ${kind} of that name is in the build before it (${from === 'it lists no resources' ? from : `none of the ${those.files.length} file${those.files.length === 1 ? '' : 's'} ${from} writes one`}): kustomize merges or replaces a generated ${kind} only into one already there, and \`kustomize build\` fails ("id ... does not exist; cannot merge or replace")`, `take behavior: ${g.behavior} out of ${entry} of ${file} (create makes the ${kind}), or name the ${kind} the resources hold (its metadata.name as written)`);
        return;
      }
    }
  }
}

/**
 * RF903 at each remote entry of a kustomization's `resources`, `bases` or `components` (a URL, a
 * `git@` address, `github.com/owner/repo//path?ref=…`): kustomize clones the repository at build
 * time (api/internal/target/kusttarget.go accumulateResources: not a file, so `kt.ldr.New(path)`,
 * which api/internal/loader/fileloader.go FileLoader.New turns into a git clone where
 * api/internal/git/repospec.go NewRepoSpecFromURL reads the path as a repository), and the doctor
 * reads no network: the objects it builds, and what
 * this kustomization's namespace, prefixes and patches do to them, are not read. A `http(s)://` URL of
 * one `.yaml`, `.yml` or `.json` file is downloaded instead (accumulateFile: the loader reads it over
 * HTTP, api/internal/loader/fileloader.go Load), and said so. Once per entry.
 */
export function remoteBaseFindings(ev: Evidence, nodes: readonly BuildNode[]): void {
  for (const n of nodes) {
    for (const field of ['resources', 'bases', 'components'] as const) {
      const list = Array.isArray(n.value[field]) ? (n.value[field] as unknown[]) : [];
      list.forEach((e, i) => {
        if (typeof e !== 'string' || !kustomizeRemote(e)) return;
        const ref = /[?&](?:ref|version)=([^&]+)/.exec(e)?.[1];
        const file = n.origin.source.path;
        // A URL of one file (…/cert-manager.yaml) is downloaded (loader.go Load over HTTP), not cloned.
        const download = /^https?:\/\//i.test(e) && /\.(ya?ml|json)$/i.test(e.replace(/\?.*$/, ''));
        if (download) {
          ev.findings.push({
            code: 'RF903',
            severity: CODES.RF903.severity,
            path: formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, field, i])),
            message: `${file} ${field}[${i}] is ${safeText(e, 160)}, a remote file kustomize downloads when it builds; the doctor reads only the files given, so its objects, and what ${file} does to them (namespace, name prefix and suffix, patches), are not read or checked`,
            fix: `give that file too (saved beside ${file}), or list a local copy in ${field} of ${file}`,
          } satisfies Finding);
          return;
        }
        ev.findings.push({
          code: 'RF903',
          severity: CODES.RF903.severity,
          path: formatPosition(n.origin.source.locate(n.origin.doc, [...n.origin.path, field, i])),
          message: `${file} ${field}[${i}] is ${safeText(e, 160)}, a remote ${field === 'components' ? 'component' : 'base'} kustomize fetches when it builds${ref !== undefined ? ` (at ${safeText(ref, 80)})` : ''}; the doctor reads only the files given, so the objects it builds, and what ${file} does to them (namespace, name prefix and suffix, patches), are not read or checked`,
          fix: `give the files of ${safeText(e.replace(/\?.*$/, ''), 160)}${ref !== undefined ? ` at ${safeText(ref, 80)}` : ''} too (a checkout of that repository beside this one), or list a local copy in ${field} of ${file}`,
        } satisfies Finding);
      });
    }
  }
}
