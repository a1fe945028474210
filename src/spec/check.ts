import type { Finding } from './findings.js';
import { showValue } from './findings.js';
import { closest, valueAt } from './parse.js';
import type { ParsedSpec } from './fleet.js';
import { PLATFORMS, RUNNER_KEYS, platformFor } from '../platforms/registry.js';
import { cacheBackendFor } from '../caches/registry.js';
import { checkReach } from './resolve-reach.js';
import { checkTokenStores } from './check-token-store.js';
import { findBy } from '../model/lookup.js';

/**
 * Namespaces every Kubernetes cluster has for itself (default, and kube-system, kube-public,
 * kube-node-lease: "Initial namespaces" of the Kubernetes documentation on namespaces). A runner's
 * namespace is created and labelled by what runner-fleet generates, so it must be its own.
 */
const CLUSTER_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

const RUNNER_KEY_NAMES = Object.keys(RUNNER_KEYS);

/** `jobs.resources` → ['jobs', 'resources'], split once per setting (the settings are a fixed list per platform). */
const settingPaths = new Map<string, readonly string[]>();
function settingPath(setting: string): readonly string[] {
  let path = settingPaths.get(setting);
  if (!path) settingPaths.set(setting, (path = setting.split('.')));
  return path;
}

/** Cross-field checks the schema cannot express. All findings here are spec errors (exit 2). */
export function checkSpec(spec: ParsedSpec, writtenSpec?: unknown): Finding[] {
  const out: Finding[] = [];
  const dupes = (list: { name: string }[], where: string) => {
    const first = new Map<string, number>();
    list.forEach((e, i) => {
      const prev = first.get(e.name);
      if (prev !== undefined) {
        out.push({ code: 'RF005', severity: 'error', path: `${where}[${i}].name`, message: `the name is already used by ${where}[${prev}]`, received: showValue(e.name), fix: `give each entry of ${where} its own name` });
      } else first.set(e.name, i);
    });
  };
  dupes(spec.clusters, 'clusters');
  dupes(spec.caches, 'caches');
  dupes(spec.runners, 'runners');

  const clusterNames = spec.clusters.map((c) => c.name);
  const cacheNames = spec.caches.map((c) => c.name);
  const writtenRunners = valueAt(writtenSpec, ['runners']);
  spec.runners.forEach((r, i) => {
    const rp = `runners[${i}]`;
    const cluster = findBy(spec.clusters, 'name', r.placement.cluster);
    if (!cluster) {
      const hint = closest(r.placement.cluster, clusterNames);
      out.push({ code: 'RF006', severity: 'error', path: `${rp}.placement.cluster`, message: 'no cluster has this name', received: showValue(r.placement.cluster), allowed: clusterNames.join(', '), fix: hint ? `did you mean "${hint}"?` : 'name an entry of clusters' });
    }
    if (r.cache) {
      const cache = findBy(spec.caches, 'name', r.cache.name);
      if (!cache) {
        const hint = closest(r.cache.name, cacheNames);
        out.push({ code: 'RF006', severity: 'error', path: `${rp}.cache.name`, message: 'no cache has this name', received: showValue(r.cache.name), allowed: cacheNames.length > 0 ? cacheNames.join(', ') : '(the spec has no caches)', fix: hint ? `did you mean "${hint}"?` : 'name an entry of caches, or add one' });
      } else if (cluster) {
        const platform = platformFor(cluster.type);
        if (!platform.cacheTypes.includes(cache.type)) {
          out.push({ code: 'RF010', severity: 'error', path: `${rp}.cache.name`, message: `${platform.title} runners cannot use a ${cache.type} cache`, received: showValue(r.cache.name), allowed: `a cache of type ${platform.cacheTypes.join(' or ')}`, fix: 'pick a cache the platform supports' });
        }
      }
    }
    if (cluster) {
      const platform = platformFor(cluster.type);
      // Job permissions are written per cloud; those of the other cloud would be silently ignored.
      const cloud = platform.cloud;
      for (const other of ['aws', 'azure'] as const) {
        if (other !== cloud && r.jobs.permissions[other].length > 0) {
          out.push({ code: 'RF010', severity: 'error', path: `${rp}.jobs.permissions.${other}`, message: `runner ${r.name} runs on ${cluster.type} (${cloud}), so its jobs cannot use ${other} permissions`, received: showValue(r.jobs.permissions[other]), allowed: `jobs.permissions.${cloud}`, fix: `move the grants to jobs.permissions.${cloud}, or remove them` });
        }
      }
      // Settings that belong to other platforms (or to Kubernetes) are refused, not ignored.
      const written = r as unknown as Record<string, unknown>;
      for (const key of RUNNER_KEY_NAMES) {
        if (written[key] !== undefined && !(key in (platform.runnerKeys ?? {}))) {
          const owners = PLATFORMS.filter((p) => p.runnerKeys && key in p.runnerKeys).map((p) => p.type);
          out.push({ code: 'RF701', severity: 'error', path: `${rp}.${key}`, message: `${key} does not apply to ${platform.title} runners`, received: showValue(written[key]), allowed: `on platforms ${owners.join(', ')}`, fix: `remove ${key}, or place the runner on a cluster of type ${owners.join(' or ')}` });
        }
      }
      // Defaults make these invisible after parsing, so the written spec is asked.
      const writtenRunner = valueAt(writtenRunners, [i]);
      for (const setting of platform.unsupportedRunnerSettings ?? []) {
        const value = valueAt(writtenRunner, settingPath(setting));
        if (value !== undefined) {
          out.push({ code: 'RF701', severity: 'error', path: `${rp}.${setting}`, message: `${setting} has no effect on ${platform.title} runners`, received: showValue(value), allowed: 'not set on this platform', fix: `remove ${setting}` });
        }
      }
      if (!platform.kubernetes && r.gitlab.registration === 'terraform') {
        out.push({ code: 'RF701', severity: 'error', path: `${rp}.gitlab.registration`, message: `${platform.title} runners keep their token in an SSM parameter that runner-fleet register fills; terraform/gitlab registers Kubernetes runners only`, received: showValue('terraform'), allowed: 'api (the default on this platform)', fix: 'remove gitlab.registration, or set it to api' });
      }
      if (platform.kubernetes && r.placement.namespace !== undefined && CLUSTER_NAMESPACES.has(r.placement.namespace)) {
        out.push({ code: 'RF002', severity: 'error', path: `${rp}.placement.namespace`, message: `namespace ${r.placement.namespace} is one every cluster has for itself: runner-fleet creates the runner's namespace and labels it (Pod Security enforce baseline), which in ${r.placement.namespace} would ${r.placement.namespace === 'default' ? 'fail to create it and relabel the workloads already there' : "reject the privileged system pods new nodes need (networking, kube-proxy)"}, and the manager's Role would reach every Secret and pod in it`, received: showValue(r.placement.namespace), allowed: `a namespace of the runner's own (not ${[...CLUSTER_NAMESPACES].join(', ')})`, fix: `set placement.namespace to a namespace of its own, such as gitlab-runner-${r.name}, or remove it (that is the default)` });
      }
      if (!platform.kubernetes && r.placement.namespace !== undefined) {
        out.push({ code: 'RF701', severity: 'error', path: `${rp}.placement.namespace`, message: `${platform.title} runners do not run in Kubernetes, so a namespace means nothing`, received: showValue(r.placement.namespace), allowed: `on platforms ${PLATFORMS.filter((p) => p.kubernetes).map((p) => p.type).join(', ')}`, fix: 'remove placement.namespace' });
      }
    }
    const g = r.gitlab;
    const scopes = [g.group !== undefined, g.project !== undefined, g.instance === true].filter(Boolean).length;
    if (scopes !== 1) {
      out.push({ code: scopes === 0 ? 'RF004' : 'RF010', severity: 'error', path: `${rp}.gitlab`, message: scopes === 0 ? 'the runner needs exactly one of group, project or instance' : 'group, project and instance exclude each other', received: showValue({ group: g.group, project: g.project, instance: g.instance }), allowed: 'exactly one of group, project, instance: true', fix: 'keep one of them' });
    }
    const overwrite = r.jobs.serviceAccountOverwriteAllowed;
    if (overwrite !== undefined) {
      try {
        new RegExp(overwrite);
      } catch {
        out.push({ code: 'RF007', severity: 'error', path: `${rp}.jobs.serviceAccountOverwriteAllowed`, message: 'not a valid regular expression', received: showValue(overwrite), fix: 'write a Go-compatible regular expression, or remove the key' });
      }
    }
  });

  spec.caches.forEach((c, i) => out.push(...cacheBackendFor(c.type).checkSpec(spec, c, `caches[${i}]`)));
  // The runners of each cluster name, in spec order, built in one pass over the runners.
  const runnersByCluster = new Map<string, { spec: ParsedSpec['runners'][number]; path: string }[]>();
  spec.runners.forEach((r, j) => {
    const list = runnersByCluster.get(r.placement.cluster);
    const entry = { spec: r, path: `runners[${j}]` };
    if (list) list.push(entry);
    else runnersByCluster.set(r.placement.cluster, [entry]);
  });
  spec.clusters.forEach((c, i) => {
    const platform = PLATFORMS.find((p) => p.type === c.type)!;
    const runners = runnersByCluster.get(c.name)?.slice() ?? [];
    out.push(...platform.checkSpec({ fleet: spec, cluster: c, clusterPath: `clusters[${i}]`, runners }));
  });
  out.push(...checkReach(spec));
  out.push(...checkTokenStores(spec));
  // The aws section is required once; platforms and caches may each ask for it.
  const seen = new Set<string>();
  return out.filter((f) => {
    const k = `${f.code}|${f.path}|${f.message}`;
    if (f.path === 'aws' && [...seen].some((s) => s.startsWith(`${f.code}|aws|`))) return false;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
