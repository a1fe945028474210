import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { normalPath } from './hcl/eval.js';
import { formatPosition, originAt } from './source.js';

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
 * - a ConfigMap of the files with a data key of the path's base name, mounted by a workload of its
 *   namespace at the path's folder (a configMap volume) or at the path itself (its `subPath` that key);
 * - else, for a relative path of a config.toml given as a file, the file of the given folder at that
 *   path beside the config.toml: a guess (the working directory is not shown), said as one. A path
 *   that leaves the given folder (`../../etc/passwd`) or is absolute matches no file: the doctor reads
 *   only the files it was given.
 */
export interface PatchFile {
  text: string;
  /** Where it was read and why it is taken for the file, for the finding. */
  from: string;
}
export type PatchFileReader = (path: string) => PatchFile | undefined;

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const folder = (p: string): string => (p.lastIndexOf('/') > 0 ? p.slice(0, p.lastIndexOf('/')) : p.startsWith('/') ? '/' : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The reader for the config.toml at `tomlPath` (a path as given; a chart's values file where runners.config holds it). */
export function patchFileReader(ev: Evidence, tomlPath: string): PatchFileReader {
  return (path: string) => {
    if (path === '' || path.length > 4096) return undefined;
    const mounted = fromConfigMap(ev, path);
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

/** The data of a ConfigMap mounted where an absolute `path` is. */
function fromConfigMap(ev: Evidence, path: string): PatchFile | undefined {
  if (!path.startsWith('/')) return undefined;
  const want = normalPath(path);
  const key = base(want);
  const dir = folder(want);
  // The ConfigMaps holding that key, by namespace and name: one pass over the objects.
  const holding = new Map<string, (typeof ev.kubernetes)[number]>();
  for (const c of ev.kubernetes) if (c.value.kind === 'ConfigMap' && isObject(c.value.data) && typeof c.value.data[key] === 'string') holding.set(`${c.value.metadata.namespace ?? ''}\u0000${c.value.metadata.name}`, c);
  if (holding.size === 0) return undefined;
  for (const o of ev.kubernetes) {
    const spec = isObject(o.value.spec) ? o.value.spec : undefined;
    const pod = spec && isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : o.value.kind === 'Pod' ? spec : undefined;
    if (!pod) continue;
    const ns = o.value.metadata.namespace;
    for (const v of list(pod.volumes)) {
      if (!isObject(v) || typeof v.name !== 'string' || !isObject(v.configMap) || typeof v.configMap.name !== 'string') continue;
      const cmName = v.configMap.name;
      const cm = holding.get(`${ns ?? ''}\u0000${cmName}`);
      if (!cm) continue;
      const mountedHere = [...list(pod.containers), ...list(pod.initContainers)].some((c) =>
        isObject(c) && list(c.volumeMounts).some((m) => isObject(m) && m.name === v.name && typeof m.mountPath === 'string' && (normalPath(m.mountPath) === dir && (m.subPath === undefined || m.subPath === '') || (normalPath(m.mountPath) === want && m.subPath === key))));
      if (!mountedHere) continue;
      const text = (cm.value.data as Record<string, string>)[key]!;
      return { text, from: `ConfigMap ${ns !== undefined ? `${ns}/` : ''}${cmName} data ${JSON.stringify(key)} (${formatPosition(originAt(cm.origin, 'data', key))}), mounted at ${dir} by ${o.value.kind} ${ns !== undefined ? `${ns}/` : ''}${o.value.metadata.name}` };
    }
  }
  return undefined;
}
