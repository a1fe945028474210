import type { DiagramEdge, DiagramGraph, DiagramNode } from './graph.js';
import type { CloudIdentity, IdentitySubject, ResolvedFleet } from '../../model/types.js';
import type { Statement } from '../../verify/iam/types.js';
import { cacheBackendFor } from '../../caches/registry.js';
import { PLATFORMS } from '../../platforms/registry.js';
import { reachGraph } from './reach.js';

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function permissionLabel(s: Statement): string {
  const actions = list(s.Action);
  const resources = list(s.Resource);
  const a = actions.length > 2 ? `${actions.slice(0, 2).join(', ')} +${actions.length - 2}` : actions.join(', ');
  const r = resources.length > 1 ? `${resources[0]!} +${resources.length - 1}` : (resources[0] ?? '*');
  return `${s.Effect === 'Deny' ? 'deny ' : ''}${a} on ${r}`;
}

/** How each mechanism is drawn, as its platform names it. */
const mechanismLabel = (mechanism: string): string => PLATFORMS.map((p) => p.identityMechanisms[mechanism]).find((l) => l !== undefined) ?? mechanism;

/** What one job identity may do, one label per grant, whatever the cloud. */
function grants(id: CloudIdentity): { label: string; dashed: boolean }[] {
  if (id.cloud === 'aws') return id.statements.map((s) => ({ label: permissionLabel(s), dashed: s.Effect === 'Deny' }));
  return id.roleAssignments.map((a) => ({ label: `${a.role} on ${a.scope}`, dashed: false }));
}

/** The node a subject is drawn as. Kubernetes labels stay as they were; AWS compute gets its own kind. */
function subjectNode(s: IdentitySubject, purpose: string, cluster: string): Pick<DiagramNode, 'label' | 'kind' | 'sublabel'> {
  switch (s.kind) {
    case 'kubernetes':
      return { label: `${s.namespace}/${s.serviceAccount}`, kind: 'service-account', sublabel: `${purpose} service account (${cluster})` };
    case 'aws-service':
      return { label: `${s.attachment} ${s.name}`, kind: 'platform', sublabel: `${purpose} (${s.service}, ${cluster})` };
    default: {
      const never: never = s;
      throw new Error(`internal: unknown subject ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Node groups a runner's pods fit, by runner and purpose: drawn only for runners whose pods select
 * or tolerate something on a cluster created here (where a node group decides where they run).
 */
export type Placements = ReadonlyMap<string, { manager?: readonly string[]; jobs?: readonly string[] }>;

/** Who can become whom, and reach what: one band per runner. */
export function identityGraph(fleet: ResolvedFleet, placements: Placements = new Map()): DiagramGraph {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const byKey = new Map<string, CloudIdentity>(fleet.identities.map((i) => [i.key, i]));
  const poolNodes = new Set<string>();
  for (const r of fleet.runners) {
    const group = `runner ${r.name}`;
    const runnerId = `runner:${r.name}`;
    const g = r.spec.gitlab;
    const scope = g.group ? `group ${g.group}` : g.project ? `project ${g.project}` : 'instance';
    nodes.push({ id: runnerId, label: `GitLab runner ${r.name}`, kind: 'runner', layer: 0, group, sublabel: `${scope}${g.protectedOnly ? ', protected only' : ''}${g.locked ? ', locked' : ''}` });
    if (r.jobIdentity === undefined) {
      // Jobs without an identity of their own: say so in the picture rather than leave a gap.
      const noneId = `jobs:${r.name}:none`;
      nodes.push({ id: noneId, label: 'jobs: no role of their own', kind: 'permission', layer: 1, group, sublabel: 'see README: how jobs get credentials' });
      edges.push({ from: runnerId, to: noneId, label: 'jobs run as', style: 'dashed' });
    }
    for (const [purpose, key] of [
      ['manager', r.managerIdentity],
      ['jobs', r.jobIdentity],
    ] as const) {
      if (key === undefined) continue;
      const id = byKey.get(key)!;
      const saId = `sa:${r.name}:${purpose}`;
      const roleId = `role:${id.key}`;
      nodes.push({ id: saId, ...subjectNode(id.binding.subject, purpose, r.cluster), layer: 1, group });
      nodes.push({ id: roleId, label: id.roleName, kind: 'identity', layer: 2, group, sublabel: id.cloud === 'aws' ? `${purpose} role` : `${purpose} managed identity` });
      edges.push({ from: runnerId, to: saId, label: purpose === 'manager' ? 'manager runs as' : id.binding.subject.kind === 'kubernetes' ? 'job pods run as' : 'jobs run as' });
      edges.push({ from: saId, to: roleId, label: mechanismLabel(id.binding.mechanism) });
      for (const pool of placements.get(r.name)?.[purpose] ?? []) {
        const poolId = `pool:${r.name}:${r.cluster}:${pool}`;
        if (!poolNodes.has(poolId)) {
          poolNodes.add(poolId);
          nodes.push({ id: poolId, label: `node group ${pool}`, kind: 'cluster', layer: 2, group, sublabel: `cluster ${r.cluster}` });
        }
        edges.push({ from: saId, to: poolId, label: `${purpose === 'manager' ? 'manager pod' : 'job pods'} scheduled on`, style: 'dashed' });
      }
      if (purpose === 'manager' && r.cache) {
        const cache = fleet.caches.find((c) => c.name === r.cache!.cache)!;
        const cacheId = `cache:${r.name}`;
        const backend = cacheBackendFor(cache.type);
        const label = backend.diagramLabel ? backend.diagramLabel(cache, r.cache) : `${typeof cache.spec.bucket === 'string' ? cache.spec.bucket : cache.name}/${r.cache.path}/*`;
        nodes.push({ id: cacheId, label, kind: 'resource', layer: 3, group, sublabel: backend.diagramLabel ? 'cache container (SAS URLs)' : 'cache prefix (presigned URLs)' });
        edges.push({ from: roleId, to: cacheId, label: 'read/write' });
      }
      if (purpose === 'jobs') {
        const granted = grants(id);
        granted.forEach((g, i) => {
          const pid = `perm:${id.key}:${i}`;
          nodes.push({ id: pid, label: g.label, kind: 'permission', layer: 3, group });
          edges.push({ from: roleId, to: pid, style: g.dashed ? 'dashed' : 'solid' });
        });
        if (granted.length === 0) {
          const pid = `perm:${id.key}:none`;
          nodes.push({ id: pid, label: 'no cloud permissions', kind: 'permission', layer: 3, group });
          edges.push({ from: roleId, to: pid, style: 'dashed' });
        }
      }
    }
  }
  const reach = reachGraph(fleet);
  const chains = new Map(fleet.runners.map((r) => [`runner ${r.name}`, r.name]));
  return { title: `runner-fleet ${fleet.name}: identity chain`, nodes: [...nodes, ...reach.nodes], edges: [...edges, ...reach.edges], chains };
}
