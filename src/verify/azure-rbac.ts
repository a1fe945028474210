import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import { identityOf } from '../model/types.js';
import { MANAGEMENT_GROUP_SCOPE, POWERFUL_AZURE_ROLES, azureRoleInfo, parseAzureScope, scopeCovers, userAssignedIdentityId, type AzureRoleInfo } from '../spec/azure.js';
import { assignmentsOf, azureFacts, type RoleAssignmentFacts } from './azure-docs.js';

/**
 * Azure RBAC over the fleet's own resources: what a runner's job identity may do, through its
 * role assignments, to the runner's manager identity. A role assigned at a scope applies to every
 * resource whose id starts with that scope and `/` (subscription ⊃ resource group ⊃ resource;
 * a management group holds subscriptions), compared case-insensitively. What each built-in role
 * allows is in AZURE_BUILTIN_ROLES (spec/azure.ts); a role not known there allows what cannot be
 * shown, so no proof that depends on it holds.
 */

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** Whether a role assignment at `scope` applies to the resource `id`; undefined when the resource's id is not known. */
export function scopeContains(scope: string, id: string | undefined): boolean | undefined {
  if (MANAGEMENT_GROUP_SCOPE.test(scope)) return true; // Which subscriptions the group holds is not in the documents.
  if (id === undefined) return undefined;
  return scopeCovers(scope, id);
}

/** The spec path of a job role assignment: its index in jobs.permissions.azure when the spec lists it (plan), else the list. */
export function jobAssignmentPath(runner: IntentRunner, rp: string, a: RoleAssignmentFacts): string {
  const list = runner.spec.jobs.permissions.azure as readonly { role: string; scope: string }[] | undefined;
  const i = list?.findIndex((p) => p.role === a.role && p.scope.toLowerCase() === a.scope.toLowerCase()) ?? -1;
  return i >= 0 ? `${rp}.jobs.permissions.azure[${i}]` : `${rp}.jobs.permissions.azure`;
}

/** Already reported by the platform as administering a subscription (RF601/RF602): said there, not again. */
function administersSubscription(a: RoleAssignmentFacts): boolean {
  const wide = MANAGEMENT_GROUP_SCOPE.test(a.scope) || parseAzureScope(a.scope)?.level === 'subscription';
  return wide && (POWERFUL_AZURE_ROLES as readonly string[]).includes(a.role);
}

/** The manager identity's resource id, from the identity's block (its resource group) and the fleet's subscription. */
function managerIdentityId(docs: FleetDocuments, fleet: FleetIntent, name: string): string | undefined {
  const rg = azureFacts(docs)?.identities.get(name)?.resourceGroup;
  const sub = fleet.azure?.subscriptionId;
  if (rg === undefined || rg === '' || rg.includes('${') || sub === undefined) return undefined;
  return userAssignedIdentityId(sub, rg, name);
}

/** How a role takes an identity over; undefined if it cannot. `writer`: an assignment that lets the holder create compute. */
function takeover(info: AzureRoleInfo, identity: string, writer: RoleAssignmentFacts | undefined): string | undefined {
  if (info.grants) return `it may assign roles there (Microsoft.Authorization/roleAssignments/write), so it may give itself Managed Identity Contributor and add a federated credential to ${identity}`;
  if (info.identityCredentials) return `it may add a federated credential to ${identity} (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write) that trusts a token the jobs hold`;
  if (info.identityAssign && writer) return `it may attach ${identity} (Microsoft.ManagedIdentity/userAssignedIdentities/assign/action) to a VM or container the jobs create with ${writer.role} on ${writer.scope}`;
  return undefined;
}

export interface AzureJobsOverManager {
  findings: Finding[];
  /** The jobs can become the manager identity, or that they cannot is not shown. */
  refuted: boolean;
}

/**
 * Whether a runner's Azure job identity may become its manager identity through its role
 * assignments: a role that writes federated credentials (or assigns roles, or attaches identities
 * to compute the jobs may create) at a scope that contains the manager identity. One pass over the
 * job identity's own assignments (indexed once per document set): constant work per assignment.
 * Undefined when the runner's identities are not Azure managed identities.
 */
export function azureJobsOverManager(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string): AzureJobsOverManager | undefined {
  if (runner.jobIdentity === undefined) return undefined;
  const manager = identityOf(fleet, runner.managerIdentity);
  const jobs = identityOf(fleet, runner.jobIdentity);
  const facts = azureFacts(docs);
  if (manager.cloud !== 'azure' || jobs.cloud !== 'azure' || !facts) return undefined;
  const managerId = managerIdentityId(docs, fleet, manager.roleName);
  const mine = assignmentsOf(facts, jobs.roleName);
  // Managed Identity Operator takes an identity over only with a role that creates compute (or one not known).
  const writer = mine.find((a) => azureRoleInfo(a.role)?.manages !== false);
  const findings: Finding[] = [];
  let refuted = false;
  for (const a of mine) {
    const info = azureRoleInfo(a.role);
    if (info && !info.grants && !info.identityCredentials && !info.identityAssign) continue;
    const contains = scopeContains(a.scope, managerId);
    if (contains === false) continue;
    const path = jobAssignmentPath(runner, rp, a);
    const what = `manager identity ${manager.roleName}`;
    if (contains === undefined) {
      refuted = true;
      findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, and the resource id of ${what} is not in the documents (its resource group or the subscription is not a literal): that the jobs cannot become the manager is not proven`, { received: `${a.role} on ${a.scope}`, fix: 'give the managed identity its resource group literally, or narrow the job role assignment to resources outside the runner identities' }));
      continue;
    }
    if (!info) {
      refuted = true;
      findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains ${what}; runner-fleet does not know what ${a.role} allows, so that the jobs cannot become the manager (by adding a federated credential to it) is not proven`, { received: a.role, fix: `use a built-in role runner-fleet knows, or scope the assignment outside the resource group of the runner identities (${managerId ?? 'the manager identity'})` }));
      continue;
    }
    const how = takeover(info, 'it', writer);
    if (how === undefined) continue;
    refuted = true;
    // A role administering a whole subscription is RF601/RF602 already, which says what it allows.
    if (administersSubscription(a)) continue;
    findings.push(f('RF105', path, `the jobs can become the manager: job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains ${what}; ${how}, and then get the manager's tokens`, { received: `${a.role} on ${a.scope}`, fix: `scope the job role assignments to the resources the jobs deploy, outside ${managerId ? `the resource group of the runner identities (${managerId.split('/providers/')[0]})` : 'the resource group of the runner identities'}, or use a role without write access there` }));
  }
  return { findings, refuted };
}

/**
 * Whether a GitLab ID-token role's managed identity may become a runner manager identity of the
 * fleet, through its role assignments (the same roles and scopes as for job identities above): a
 * pipeline that gets the ID-token role would then hold the manager's tokens. The role's
 * assignments are few and independent of the fleet's size; each is tried against the fleet's
 * Azure manager identities by scope.
 */
export function azureIdTokenOverManagers(docs: FleetDocuments, fleet: FleetIntent, role: { cloud: 'aws' | 'azure'; roleName: string; path: string }): Finding[] {
  if (role.cloud !== 'azure') return [];
  const facts = azureFacts(docs);
  if (!facts) return [];
  const mine = assignmentsOf(facts, role.roleName);
  if (mine.length === 0) return [];
  const managers = new Map<string, string | undefined>();
  for (const r of fleet.runners) {
    const m = identityOf(fleet, r.managerIdentity);
    if (m.cloud === 'azure' && m.roleName !== role.roleName && !managers.has(m.roleName)) managers.set(m.roleName, managerIdentityId(docs, fleet, m.roleName));
  }
  if (managers.size === 0) return [];
  const writer = mine.find((a) => azureRoleInfo(a.role)?.manages !== false);
  const findings: Finding[] = [];
  const path = `${role.path}.permissions.azure`;
  for (const a of mine) {
    const info = azureRoleInfo(a.role);
    if (info && !info.grants && !info.identityCredentials && !info.identityAssign) continue;
    const inside: string[] = [];
    const unknownId: string[] = [];
    for (const [name, id] of managers) {
      const contains = scopeContains(a.scope, id);
      if (contains === true) inside.push(name);
      else if (contains === undefined) unknownId.push(name);
    }
    const some = (names: string[]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
    if (unknownId.length > 0) findings.push(f('RF903', path, `ID-token identity ${role.roleName} holds ${a.role} on ${a.scope}, and the resource ids of manager identities ${some(unknownId)} are not in the documents (a resource group or the subscription is not a literal): that it cannot become one of them is not proven`, { received: `${a.role} on ${a.scope}`, fix: 'give the managed identities their resource group literally, or narrow the assignment to the resources the pipelines deploy' }));
    if (inside.length === 0) continue;
    if (!info) {
      findings.push(f('RF903', path, `ID-token identity ${role.roleName} holds ${a.role} on ${a.scope}, which contains manager identities ${some(inside)}; runner-fleet does not know what ${a.role} allows, so that the pipelines cannot become a runner manager is not proven`, { received: a.role, fix: 'use a built-in role runner-fleet knows, or scope the assignment outside the resource group of the runner identities' }));
      continue;
    }
    const how = takeover(info, `manager identity ${inside[0]!}`, writer);
    if (how === undefined) continue;
    findings.push(f('RF105', path, `pipelines that get ID-token identity ${role.roleName} can become a runner manager: it holds ${a.role} on ${a.scope}, which contains manager identities ${some(inside)}; ${how}, and then get the manager's tokens`, { received: `${a.role} on ${a.scope}`, fix: 'scope the ID-token role assignments to the resources the pipelines deploy, outside the resource group of the runner identities, or use a role without write access there' }));
  }
  return findings;
}
