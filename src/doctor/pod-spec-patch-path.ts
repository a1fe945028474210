import { kustomizeGenerated } from './kustomize-generate.js';
import { generatorEntries } from './kustomize-generator-entries.js';
import { throughLinks } from './kustomize-build.js';
import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { formatPosition, originAt, type Origin } from './source.js';

/**
 * Where the doctor finds the file a `[[runners.kubernetes.pod_spec]] patch_path` names.
 *
 * The runner manager reads it itself, from its own filesystem, when it builds a job pod: gitlab-runner
 * common/config.go `KubernetesPodSpec.PodSpecPatch` reads `os.ReadFile(s.PatchPath)` (an error
 * "loading patch file" where it is missing, "ambiguous patch: both patch path and patch provided"
 * where `patch` is set too), then converts it as an inline `patch` (YAML to JSON), `patch_type`
 * `strategic` unless set. A relative path is Go's: relative to the manager process's working
 * directory, which no file shows. So the doctor reads it only where the files given show what is at
 * that path on the manager:
 * - a ConfigMap or Secret of the files mounted by the manager's workload where the path is: a
 *   `configMap` or `secret` volume, or a `projected` volume's `configMap`/`secret` sources, mounted at
 *   a folder above the path (the file is the key of the path below it, or the key an `items` entry
 *   puts at that `path`; with `items`, only the keys listed are there) or at the path itself with a
 *   `subPath` (Kubernetes docs, "Configure a Pod to Use a ConfigMap" / "Secrets": `items` keys and
 *   paths; "projected volumes": sources merged into one folder). A Secret's `data` is base64
 *   (decoded here), its `stringData` plain. A kustomize configMapGenerator's or secretGenerator's
 *   object is one of these once the doctor's kustomize reader has built it (its name with the hash);
 * - for a gitlab-runner chart release, the chart's own values: `volumes` and `volumeMounts` are added
 *   to the manager's pod and container as written (the chart's templates/deployment.yaml,
 *   `toYaml .Values.volumes` / `.Values.volumeMounts`), so a volume there of a ConfigMap or Secret of
 *   the files, in the release's namespace, is read as above; and `configMaps` is merged into the
 *   chart's ConfigMap, which the manager mounts at /configmaps (templates/configmap.yaml and the
 *   `configmaps` volume), so `/configmaps/<key>` is that value;
 * - else, for a relative path of a config.toml given as a file, the file of the given folder at that
 *   path beside the config.toml: a guess (the working directory is not shown), said as one. A path
 *   that leaves the given folder (`../../etc/passwd`) or is absolute matches no file: the doctor reads
 *   only the files it was given.
 */
export interface PatchFile {
  /** Its text; none where it is a Secret's key (the doctor drops Secret values when it reads them). */
  text?: string;
  /** Where it was read and why it is taken for the file, for the finding. */
  from: string;
}
export type PatchFileReader = (path: string) => PatchFile | undefined;

const folder = (p: string): string => (p.lastIndexOf('/') > 0 ? p.slice(0, p.lastIndexOf('/')) : p.startsWith('/') ? '/' : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Where the chart release whose runners.config holds the config.toml is: its merged values and namespace. */
export interface PatchRelease {
  values: { value: Record<string, unknown>; origin: Origin };
  /** The release's namespace where it is known. */
  namespace?: string;
}

/**
 * The reader for the config.toml at `tomlPath` (a path as given; a chart's values file where
 * runners.config holds it). `manager` is the workload of the files that runs gitlab-runner with that
 * config.toml, where a chain shows it: only its own mounts are the manager's filesystem (another
 * workload's mount at the same path is another pod's). A chart release's manager is the chart's
 * Deployment, never a workload of the files: only its values' volumes are read. With neither (a
 * config.toml no chain took), a workload of the files mounting a ConfigMap or Secret at the path is
 * taken to be the manager, and said to be a guess. `null`: the manager is no workload (a VM's
 * config.toml), so no workload's mount is its filesystem.
 */
export function patchFileReader(ev: Evidence, tomlPath: string, release?: PatchRelease, manager?: K8s | null): PatchFileReader {
  return (path: string) => {
    if (path === '' || path.length > 4096) return undefined;
    const mounted = path.startsWith('/') ? (release ? fromRelease(ev, path, release) : manager === null ? undefined : fromMounted(ev, path, manager)) : undefined;
    if (mounted) return mounted;
    if (path.startsWith('/') || !/\.toml$/i.test(tomlPath)) return undefined;
    const dir = folder(tomlPath.replace(/\\/g, '/'));
    const at = normalPath(dir === '' ? path : `${dir}/${path}`);
    // Never outside the folder given: a path climbing above it names no file of the evidence.
    if (at === '' || at === '..' || at.startsWith('../') || at.startsWith('/')) return undefined;
    const text = ev.texts?.get(at);
    return text === undefined ? undefined : { text, from: `${at}, the file at that path beside ${tomlPath} (the runner reads it relative to its working directory, which the files do not show: taken to be the folder of its config.toml)` };
  };
}

type K8s = Evidence['kubernetes'][number];
/** What is at a key of a volume's object: its text, or none where it is a Secret's (the doctor drops Secret values when it reads them: secrets.ts scrubSecret). */
interface Found {
  text: string | undefined;
  what: string;
}
const named = (o: K8s) => `${o.value.kind} ${o.value.metadata.namespace !== undefined ? `${o.value.metadata.namespace}/` : ''}${o.value.metadata.name}`;
/** A ConfigMap's or Secret's key as a file. */
function keyFound(o: K8s, key: string): Found | undefined {
  for (const field of o.value.kind === 'Secret' ? ['data', 'stringData'] : ['data']) {
    const d = o.value[field];
    if (isObject(d) && Object.hasOwn(d, key) && typeof d[key] === 'string') return { text: o.value.kind === 'Secret' ? undefined : d[key], what: `${named(o)} ${field} ${JSON.stringify(key)} (${formatPosition(originAt(o.origin, field, key))})` };
  }
  return undefined;
}

/** A volume source (configMap, secret, or a projected source) as the object it names and the key at `rel` below its mount; undefined where it puts nothing there. */
function sourceKey(src: Record<string, unknown>, kind: 'ConfigMap' | 'Secret', rel: string): { kind: 'ConfigMap' | 'Secret'; name: string; key: string } | undefined {
  const name = kind === 'ConfigMap' || typeof src.secretName !== 'string' ? src.name : src.secretName;
  if (typeof name !== 'string' || name === '') return undefined;
  if (Array.isArray(src.items)) {
    // With items, only the keys listed are projected, each at its path.
    for (const it of src.items) if (isObject(it) && typeof it.key === 'string' && typeof it.path === 'string' && normalPath(it.path) === rel) return { kind, name, key: it.key };
    return undefined;
  }
  return rel.includes('/') ? undefined : { kind, name, key: rel };
}

/** The objects a volume shows at `rel` below its mount point, in the order Kubernetes projects them. */
function volumeKeys(v: Record<string, unknown>, rel: string): { kind: 'ConfigMap' | 'Secret'; name: string; key: string }[] {
  const out: { kind: 'ConfigMap' | 'Secret'; name: string; key: string }[] = [];
  const add = (src: unknown, kind: 'ConfigMap' | 'Secret') => {
    const k = isObject(src) ? sourceKey(src, kind, rel) : undefined;
    if (k) out.push(k);
  };
  add(v.configMap, 'ConfigMap');
  add(v.secret, 'Secret');
  if (isObject(v.projected)) for (const s of list(v.projected.sources)) if (isObject(s)) { add(s.configMap, 'ConfigMap'); add(s.secret, 'Secret'); }
  return out;
}

/** Where a mount puts `want`: the path below the mount point (or the subPath), undefined where it does not reach it. */
function relUnder(m: Record<string, unknown>, want: string): string | undefined {
  if (typeof m.mountPath !== 'string') return undefined;
  const at = normalPath(m.mountPath);
  const sub = typeof m.subPath === 'string' && m.subPath !== '' ? normalPath(m.subPath) : undefined;
  if (sub !== undefined) return at === want ? sub : want.startsWith(`${at}/`) ? `${sub}/${want.slice(at.length + 1)}` : undefined;
  return want.startsWith(at === '/' ? '/' : `${at}/`) ? want.slice(at === '/' ? 1 : at.length + 1) : undefined;
}

/** The file at `want` of a pod spec's volumes and mounts, from what `lookup` finds of a ConfigMap's or Secret's key. */
function inPod(pod: Record<string, unknown>, want: string, lookup: (kind: 'ConfigMap' | 'Secret', name: string, key: string) => Found | undefined): (Found & { mountedAt: string }) | undefined {
  const volumes = new Map<string, Record<string, unknown>>();
  for (const v of list(pod.volumes)) if (isObject(v) && typeof v.name === 'string') volumes.set(v.name, v);
  if (volumes.size === 0) return undefined;
  for (const c of [...list(pod.containers), ...list(pod.initContainers)]) {
    if (!isObject(c)) continue;
    for (const m of list(c.volumeMounts)) {
      if (!isObject(m) || typeof m.name !== 'string') continue;
      const v = volumes.get(m.name);
      const rel = v ? relUnder(m, want) : undefined;
      if (!v || rel === undefined || rel === '' || rel.startsWith('../')) continue;
      for (const k of volumeKeys(v, rel)) {
        const found = lookup(k.kind, k.name, k.key);
        if (found) return { ...found, mountedAt: normalPath(m.mountPath as string) };
      }
    }
  }
  return undefined;
}

/**
 * A key of the ConfigMap a kustomize configMapGenerator entry makes (behavior create): `files` as
 * `path` (its base name the key) or `key=path` (kustomize api/kv/kv.go, generators.ParseFileSource),
 * read from the file given beside the kustomization, never above its folder (kustomize's default load
 * restrictor, LoadRestrictionsRootOnly, refuses such a file too). Only for a workload in a file that
 * kustomization builds: kustomize renames the ConfigMap with its hash suffix and rewrites the
 * workload's reference to it, so the names match before the suffix.
 */
function generatedFound(ev: Evidence, workloadFile: string, name: string, key: string): Found | undefined {
  for (const k of ev.kustomizations ?? []) {
    const file = k.origin.source.path;
    const dir = file.lastIndexOf('/') >= 0 ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    if (!ev.kustomizeBuilds?.get(dir)?.has(workloadFile)) continue;
    for (const e of generatorEntries(k.value, dir, (p) => ev.texts?.get(p), (p) => throughLinks(ev, p))) {
      if (e.kind !== 'ConfigMap' || e.name !== name || e.behavior !== 'create') continue;
      for (const x of e.keys) {
        if (x.file === undefined || x.key !== key || x.value === undefined) continue;
        if (e.reads.find((r) => r.path === x.file)?.outside === true) continue;
        return { text: x.value, what: `${x.file}, the file of configMapGenerator ${JSON.stringify(name)} (${formatPosition(originAt(k.origin, 'configMapGenerator', e.index, 'name'))}) under key ${JSON.stringify(key)}` };
      }
    }
  }
  return undefined;
}

/** The ConfigMaps and Secrets of the files by kind, namespace and name: one pass over the objects. */
function objectsOf(ev: Evidence): Map<string, K8s> {
  const out = new Map<string, K8s>();
  // A generated ConfigMap is read from its generator's file (generatedFound), which names the entry.
  for (const c of ev.kubernetes) if ((c.value.kind === 'ConfigMap' || c.value.kind === 'Secret') && !kustomizeGenerated(c.value) && (isObject(c.value.data) || isObject(c.value.stringData))) out.set(`${c.value.kind}\u0000${c.value.metadata.namespace ?? ''}\u0000${c.value.metadata.name}`, c);
  return out;
}

/**
 * The file at an absolute `path` of a ConfigMap or Secret mounted there by the manager workload (or,
 * where it is not known, by a workload of the files, said as a guess), or a configMapGenerator's in a
 * kustomize build.
 */
function fromMounted(ev: Evidence, path: string, manager: K8s | undefined): PatchFile | undefined {
  const want = normalPath(path);
  const objects = objectsOf(ev);
  const generators = (ev.kustomizations ?? []).some((k) => Array.isArray(k.value.configMapGenerator));
  if (objects.size === 0 && !generators) return undefined;
  for (const w of manager ? [manager] : ev.kubernetes) {
    const spec = isObject(w.value.spec) ? w.value.spec : undefined;
    const pod = spec && isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : w.value.kind === 'Pod' ? spec : undefined;
    if (!pod) continue;
    const ns = w.value.metadata.namespace ?? '';
    const hit = inPod(pod, want, (kind, name, key) => {
      const o = objects.get(`${kind}\u0000${ns}\u0000${name}`);
      return (o ? keyFound(o, key) : undefined) ?? (generators && kind === 'ConfigMap' ? generatedFound(ev, w.origin.source.path, name, key) : undefined);
    });
    if (hit) return { ...(hit.text !== undefined ? { text: hit.text } : {}), from: `${hit.what}, mounted at ${hit.mountedAt} by ${w.value.kind} ${w.value.metadata.namespace !== undefined ? `${w.value.metadata.namespace}/` : ''}${w.value.metadata.name}${manager ? '' : " (no workload of the files is shown to run this config.toml: taken to be the manager's, a guess)"}` };
  }
  return undefined;
}

/** The file at an absolute `path` of the manager pod a gitlab-runner chart release makes: its `configMaps` at /configmaps, its `volumes`/`volumeMounts`. */
function fromRelease(ev: Evidence, path: string, release: PatchRelease | undefined): PatchFile | undefined {
  if (!release) return undefined;
  const want = normalPath(path);
  const values = release.values.value;
  // templates/configmap.yaml merges .Values.configMaps into the ConfigMap the manager mounts at /configmaps.
  if (want.startsWith('/configmaps/') && isObject(values.configMaps)) {
    const key = want.slice('/configmaps/'.length);
    const text = Object.hasOwn(values.configMaps, key) ? values.configMaps[key] : undefined;
    if (typeof text === 'string') return { text, from: `the chart value configMaps.${key} (${formatPosition(originAt(release.values.origin, 'configMaps', key))}), which the chart puts in the ConfigMap it mounts at /configmaps in the manager` };
  }
  if (!Array.isArray(values.volumes) || !Array.isArray(values.volumeMounts)) return undefined;
  const objects = objectsOf(ev);
  if (objects.size === 0) return undefined;
  const pod = { volumes: values.volumes, containers: [{ volumeMounts: values.volumeMounts }] };
  // The release's namespace where known; else the one object of that kind and name the files hold (a guess, said so).
  const ns = release.namespace;
  if (ns !== undefined) {
    const hit = inPod(pod, want, (kind, name, key) => { const o = objects.get(`${kind}\u0000${ns}\u0000${name}`); return o ? keyFound(o, key) : undefined; });
    if (hit) return releaseHit(hit, release, false);
  }
  const byName = new Map<string, K8s | null>();
  for (const o of objects.values()) {
    const k = `${o.value.kind}\u0000${o.value.metadata.name}`;
    byName.set(k, byName.has(k) ? null : o);
  }
  const hit = inPod(pod, want, (kind, name, key) => { const o = byName.get(`${kind}\u0000${name}`); return o ? keyFound(o, key) : undefined; });
  return hit ? releaseHit(hit, release, true) : undefined;
}

function releaseHit(hit: Found & { mountedAt: string }, release: PatchRelease, guessed: boolean): PatchFile {
  return { ...(hit.text !== undefined ? { text: hit.text } : {}), from: `${hit.what}, mounted at ${hit.mountedAt} in the manager by the chart values volumes/volumeMounts (${formatPosition(originAt(release.values.origin, 'volumeMounts'))})${guessed ? ' (not in the namespace the release is taken to have: taken to be the only object of that name the files give, a guess)' : ''}` };
}
