import type { Severity } from '../spec/findings.js';
import { isObject } from '../model/is-object.js';
import { hostMountEscape, type MountWords } from './docker-escape.js';

/**
 * `[[runners.kubernetes.volumes.host_path]]` mounts of a config.toml: a path of the node mounted into
 * every job pod, judged as `[runners.docker] volumes` bind mounts are (docker-escape.ts volumeReach),
 * since a job chooses its image and its script and so does whatever the mount lets a container do.
 *
 * Keys are gitlab-runner's (`KubernetesHostPath` in common/config.go: `name`, `mount_path`,
 * `sub_path`, `host_path`, `read_only`, `mount_propagation`; docs/executors/kubernetes/_index.md,
 * "Host path volume": `host_path` is the path on the host, and "if not specified, then this is set to
 * the same path as `mount_path`"). The struct has no `long:` tag, so `gitlab-runner register` has no
 * flag for it: only a config.toml (a chart's `runners.config`, a `--template-config`) writes one.
 * Other volume kinds (`pvc`, `config_map`, `secret`, `empty_dir`, `csi`) are no host mount.
 *
 * Kubernetes-specific paths, beyond the Docker rule:
 * - the container runtime's socket (`/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`,
 *   `/var/run/docker.sock`, or a folder holding it): its API starts containers on the node with any
 *   settings, privileged included, read-only too (the socket takes calls whatever the mount's mode);
 * - `/var/lib/kubelet`: the kubelet's folder, with every pod's volumes on the node (projected service
 *   account tokens, mounted Secrets), the runner manager's token included where it runs on that node,
 *   and the kubelet's own credentials (`pki`); read-only too, a job reads them;
 * - `/etc/kubernetes`: the kubelet's kubeconfig and certificates (the node's identity to the API server).
 */
export interface HostPathMount {
  /** The TOML path of the key naming the node's path, `['runners', i, 'kubernetes', 'volumes', 'host_path', n, 'host_path']` (`mount_path` where host_path is left out; no `n` for a single table). */
  at: (string | number)[];
  /** The node path as written (host_path, else mount_path). */
  host: string;
  readOnly: boolean;
  /** What it lets a job do. */
  lets: string;
  /** The job stays in its pod's containers by it (a read-only mount of secrets, a host settings file): what it does on the node is not said. */
  contained: boolean;
  severity?: Severity;
  fix: string;
}

/** The node's words for what a mount hands a job (docker-escape.ts MountWords). */
export const NODE_WORDS: MountWords = { machine: 'node', runtime: 'the container runtime', into: ' into every job pod,' };
const ROOT_ON_NODE = 'and with it becomes root on the node';
const RUNTIME_SOCKET = /\/(docker|containerd|crio|podman|cri-dockerd)\.sock$/;
const KUBELET: readonly [string, string][] = [
  ['/var/lib/kubelet', "the kubelet's folder: every pod's volumes on the node (their service account tokens and mounted Secrets, the runner manager's included where it runs there) and the kubelet's own certificates"],
  ['/etc/kubernetes', "the kubelet's kubeconfig and certificates, the node's identity to the API server"],
];

/** `/a/./b/../c` → `/a/c`; undefined for a path that is not absolute. */
function normalized(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return `/${segments.join('/')}`;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`) || dir.startsWith(`${path === '/' ? '' : path}/`);

/** The entry's host_path table rendered for a fix. */
const ENTRY = '[[runners.kubernetes.volumes.host_path]]';
const REMOVE = `remove the ${ENTRY} entry; for image builds use a daemonless builder (BuildKit rootless, kaniko, buildah), and give jobs files through a pvc, config_map or secret volume`;

/** What one host_path mount hands every job, or undefined where it is harmless (a read-only mount of public files, a path of no system folder). */
export function hostPathReach(hostPathText: string, readOnly: boolean): Omit<HostPathMount, 'at' | 'host' | 'readOnly'> | undefined {
  const host = normalized(hostPathText.trim());
  if (host === undefined) return undefined;
  if (RUNTIME_SOCKET.test(host) || ['/', '/var', '/run', '/var/run', '/run/containerd', '/var/run/containerd', '/run/crio', '/var/run/crio', '/run/docker', '/var/run/docker'].includes(host)) {
    return { lets: `mounts the node's container runtime socket (${host}) into every job pod: a job calls the runtime's API and starts a privileged container on the node ${ROOT_ON_NODE} (mounted read-only too: the socket still takes API calls)`, contained: false, fix: REMOVE };
  }
  const kubelet = KUBELET.filter(([dir]) => under(host, dir)).map(([, what]) => what);
  if (kubelet.length > 0 && host !== '/etc') {
    if (readOnly) return { lets: `mounts the node's ${host} read-only into every job pod: a job cannot change the files there, but reads ${kubelet.join('; ')}, and acts as those service accounts and as the node`, contained: true, fix: REMOVE };
    return { lets: `mounts the node's ${host} read-write into every job pod: a job reads and changes ${kubelet.join('; ')} ${ROOT_ON_NODE}`, contained: false, fix: REMOVE };
  }
  // The rest by the Docker executor's rule for a bind mount of the same path and mode (system
  // folders, the host's settings files, secrets read-only), said in the node's words.
  const reach = hostMountEscape(host, readOnly, NODE_WORDS);
  if (reach === undefined) return undefined;
  const fix = reach.contained && reach.severity !== undefined ? `set read_only = true in the ${ENTRY} entry, or remove it` : REMOVE;
  return { lets: `mounts ${reach.lets}`, contained: reach.contained, ...(reach.severity !== undefined ? { severity: reach.severity } : {}), fix };
}

/** Every `[[runners.kubernetes.volumes.host_path]]` mount of `[[runners]]` entry `i` that hands jobs the node or its secrets. */
export function kubernetesHostPathMounts(toml: unknown, i: number): HostPathMount[] {
  const runners: unknown[] = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  const entry = runners[i];
  const kubernetes = isObject(entry) ? entry.kubernetes : undefined;
  const volumes = isObject(kubernetes) ? kubernetes.volumes : undefined;
  const list = isObject(volumes) ? volumes.host_path : undefined;
  const tables: [unknown, number | undefined][] = Array.isArray(list) ? list.map((t, n) => [t, n]) : isObject(list) ? [[list, undefined]] : [];
  const out: HostPathMount[] = [];
  for (const [t, n] of tables) {
    if (!isObject(t)) continue;
    // host_path left out mounts the node's mount_path (the docs, above): the finding is at the key that names the node's path.
    const key = typeof t.host_path === 'string' && t.host_path.trim() !== '' ? 'host_path' : 'mount_path';
    const host = t[key];
    if (typeof host !== 'string') continue;
    const readOnly = t.read_only === true;
    const reach = hostPathReach(host, readOnly);
    if (reach) out.push({ at: ['runners', i, 'kubernetes', 'volumes', 'host_path', ...(n !== undefined ? [n] : []), key], host, readOnly, ...reach });
  }
  return out;
}
