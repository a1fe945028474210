import type { ParsedSpec } from './fleet.js';
import type { Finding } from './findings.js';
import { dnsLabel, fitName, iamRoleName } from './names.js';
import type { AwsRoleIdentity, CloudIdentity, IdentityBinding, IdentityPurpose, KubernetesNames, ResolvedCluster, ResolvedFleet, ResolvedRunner } from '../model/types.js';
import { toIamStatements } from '../model/types.js';
import { platformFor } from '../platforms/registry.js';
import { cacheBackendFor } from '../caches/registry.js';
import { resolveReach } from './resolve-reach.js';
import { resolveOperations } from './resolve-operations.js';
import { findBy } from '../model/lookup.js';

export const ROLE_PATH = '/runner-fleet/';

/**
 * Applies every derived name once. Both ends of every reference (trust subject and service
 * account, annotation and role, Helm values and config.toml) read the values computed here.
 * Expects a spec that passed `checkSpec`.
 */
export function resolveFleet(spec: ParsedSpec): { fleet: ResolvedFleet; findings: Finding[] } {
  const clusters: ResolvedCluster[] = spec.clusters.map((c) => ({ name: c.name, type: c.type, cloud: platformFor(c.type).cloud, spec: c }));
  const caches = spec.caches.map((c) => ({ name: c.name, type: c.type, spec: c }));
  const fleet: ResolvedFleet = {
    apiVersion: spec.apiVersion,
    kind: spec.kind,
    name: spec.metadata.name,
    gitlabUrl: spec.gitlab.url,
    ...(spec.aws ? { aws: spec.aws } : {}),
    ...(spec.azure ? { azure: spec.azure } : {}),
    clusters,
    caches,
    runners: [],
    identities: [],
  };
  const aws = spec.aws;
  const identity = (runner: string, purpose: 'manager' | 'jobs', binding: AwsRoleIdentity['binding']): AwsRoleIdentity => {
    const roleName = iamRoleName(`${fleet.name}-${runner}-${purpose}`, `-${purpose}`);
    return {
      cloud: 'aws',
      key: `${runner}-${purpose}`,
      runner,
      purpose,
      roleName,
      rolePath: ROLE_PATH,
      arn: `arn:${aws?.partition ?? 'aws'}:iam::${aws?.accountId ?? '000000000000'}:role${ROLE_PATH}${roleName}`,
      binding,
      statements: [],
    };
  };

  // checkSpec guarantees every reference resolves.
  spec.runners.forEach((r, index) => {
    const cluster = findBy(clusters, 'name', r.placement.cluster)!;
    const platform = platformFor(cluster.type);
    const kubernetes: KubernetesNames | undefined = platform.kubernetes
      ? {
          namespace: r.placement.namespace ?? dnsLabel(`gitlab-runner-${r.name}`),
          managerServiceAccount: dnsLabel(`${r.name}-manager`),
          jobServiceAccount: dnsLabel(`${r.name}-jobs`),
          role: dnsLabel(`${r.name}-executor`),
          roleBinding: dnsLabel(`${r.name}-executor`),
          tokenSecret: dnsLabel(`${r.name}-runner-token`),
          helmRelease: fitName(r.name, 53),
        }
      : undefined;
    const platformNames = platform.runnerNames?.(fleet.name, r, cluster);
    // Optional keys assigned in place (same key order as before) rather than spread from throw-away objects.
    const runner: ResolvedRunner = {
      name: r.name,
      index,
      description: r.description ?? `${fleet.name}/${r.name} (runner-fleet)`,
      cluster: cluster.name,
      platform: platform.type,
      spec: r,
    } as ResolvedRunner;
    if (kubernetes) runner.kubernetes = kubernetes;
    if (r.cache) runner.cache = { cache: r.cache.name, path: r.cache.path ?? r.name, shared: r.cache.shared };
    runner.managerIdentity = `${r.name}-manager`;
    if (platformNames) runner.platformNames = platformNames;
    // Platforms that are not AWS build their own identity kind; AWS platforms get an IAM role.
    const make = (purpose: IdentityPurpose, binding: IdentityBinding): CloudIdentity =>
      platform.identity ? platform.identity(fleet, cluster, runner, purpose, binding) : identity(r.name, purpose, binding);
    const managerBinding = platform.bind(fleet, cluster, runner, 'manager');
    if (!managerBinding) throw new Error(`internal: platform ${platform.type} bound no manager identity`);
    const manager = make('manager', managerBinding);
    const jobsBinding = platform.bind(fleet, cluster, runner, 'jobs');
    const jobs = jobsBinding ? make('jobs', jobsBinding) : undefined;
    if (jobs) runner.jobIdentity = jobs.key;
    if (runner.cache && manager.cloud === 'aws') {
      const cache = findBy(caches, 'name', runner.cache.cache)!;
      manager.statements.push(...cacheBackendFor(cache.type).managerStatements(fleet, cache, runner.cache));
    }
    if (jobs?.cloud === 'aws') jobs.statements.push(...toIamStatements(r.jobs.permissions.aws));
    fleet.runners.push(runner);
    fleet.identities.push(manager);
    if (jobs) fleet.identities.push(jobs);
  });
  const reach = resolveReach(spec, fleet);
  if (reach.reach) fleet.reach = reach.reach;
  const operations = resolveOperations(spec, fleet);
  return { fleet, findings: [...collisions(fleet), ...reach.findings, ...operations] };
}

/** Shortened names could collide in theory; say so instead of emitting one resource for two runners. */
function collisions(fleet: ResolvedFleet): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, CloudIdentity>();
  for (const id of fleet.identities) {
    const other = seen.get(id.roleName);
    if (other) {
      out.push({ code: 'RF008', severity: 'error', path: `runners[${findBy(fleet.runners, 'name', id.runner)!.index}].name`, message: `role name ${id.roleName} is also derived for runner ${other.runner}`, fix: 'shorten or change one of the runner names' });
    }
    seen.set(id.roleName, id);
  }
  return out;
}
