import type { DiagramEdge, DiagramNode } from './graph.js';
import type { ResolvedFleet } from '../../model/types.js';
import type { Statement } from '../../verify/iam/types.js';
import { findBy } from '../../model/lookup.js';

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function grant(s: Statement): string {
  const a = list(s.Action);
  return `${a.length > 2 ? `${a.slice(0, 2).join(', ')} +${a.length - 2}` : a.join(', ')} on ${list(s.Resource)[0] ?? '*'}${list(s.Resource).length > 1 ? ` +${list(s.Resource).length - 1}` : ''}`;
}

/**
 * Cross-account edges (job role → deploy target, labelled with what the trust demands) and
 * ID-token edges (project and ref → role, labelled with issuer, audience and sub).
 */
export function reachGraph(fleet: ResolvedFleet): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const reach = fleet.reach;
  if (!reach) return { nodes, edges };
  for (const t of reach.targets) {
    const runner = findBy(fleet.runners, 'name', t.runner)!;
    const id = `target:${t.key}`;
    nodes.push({ id, label: t.roleName, kind: 'identity', layer: 3, group: `runner ${t.runner}`, sublabel: `deploy target, account ${t.accountId}${t.denyDeletes ? ', deletes denied' : ''}` });
    const conditions = [t.externalId ? `ExternalId (${t.externalId.ssmParameter ? `SSM ${t.externalId.ssmParameter}` : `var.${t.externalId.variable}`})` : undefined, t.principalOrgId ? `PrincipalOrgID ${t.principalOrgId}` : undefined].filter((x) => x !== undefined);
    edges.push({ from: `role:${runner.jobIdentity!}`, to: id, label: `sts:AssumeRole${conditions.length > 0 ? ` + ${conditions.join(' + ')}` : ''}` });
  }
  const it = reach.idTokens;
  for (const role of it?.roles ?? []) {
    const group = 'GitLab ID tokens';
    const roleId = `idt:${role.key}`;
    nodes.push({ id: roleId, label: role.roleName, kind: 'identity', layer: 2, group, sublabel: role.cloud === 'aws' ? 'ID-token role' : 'ID-token managed identity' });
    role.subjects.forEach((s, i) => {
      const subjectId = `idt:${role.key}:subject:${i}`;
      nodes.push({ id: subjectId, label: s.project ?? `${s.group!}/* (every project)`, kind: 'runner', layer: 1, group, sublabel: s.anyRef ? `every ${s.refType}` : `${s.refType} ${s.refs.join(', ')}` });
      const how = role.cloud === 'aws' ? `AssumeRoleWithWebIdentity: iss ${it!.issuerHostPath}, aud ${role.audience}, sub ${s.wildcard ? 'like' : '='} ${s.subs.join(' | ')}` : `federated credential: iss ${role.issuer}, aud ${role.audience}, sub = ${s.subs.join(' | ')}`;
      edges.push({ from: subjectId, to: roleId, label: how });
    });
    const grants = role.cloud === 'aws' ? role.statements.map(grant) : role.roleAssignments.map((a) => `${a.role} on ${a.scope}`);
    grants.forEach((g, i) => {
      nodes.push({ id: `${roleId}:perm:${i}`, label: g, kind: 'permission', layer: 3, group });
      edges.push({ from: roleId, to: `${roleId}:perm:${i}` });
    });
    if (role.runner !== undefined) edges.push({ from: `runner:${role.runner}`, to: roleId, label: 'jobs may use (id_tokens)', style: 'dashed' });
  }
  return { nodes, edges };
}
