import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import type { IdTokenRoleIntent } from './reach/intent.js';
import type { ManagerPods } from '../platforms/types.js';
import { identityOf } from '../model/types.js';
import { MANAGEMENT_GROUP_SCOPE, POWERFUL_AZURE_ROLES, azureRoleInfo, parseAzureScope, scopeCovers, userAssignedIdentityId } from '../spec/azure.js';
import { assignmentsOf, assignmentsRead, azureFacts, ownAzure, type AzureFacts, type RoleAssignmentFacts } from './azure-docs.js';
import { trimEnd } from '../model/trim.js';

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

/**
 * What one role assignment may do to a managed identity inside its scope, the one reading both
 * job and ID-token identities get: nothing that takes an identity over (`harmless`), not known
 * (`unknown`: a role runner-fleet does not know may allow anything), or how it becomes the
 * identity. `writer`: an assignment of the same holder that lets it create compute, which is what
 * Managed Identity Operator needs to attach an identity to something it runs.
 */
export type Verdict<T> = 'harmless' | 'unknown' | { how: (target: T) => string };
export type IdentityVerdict = Verdict<string>;

export function roleOverIdentity(role: string, writer: RoleAssignmentFacts | undefined): IdentityVerdict {
  const info = azureRoleInfo(role);
  if (!info) return 'unknown';
  if (info.grants) return { how: (identity) => `it may assign roles there (Microsoft.Authorization/roleAssignments/write), so it may give itself Managed Identity Contributor and add a federated credential to ${identity}` };
  if (info.identityCredentials) return { how: (identity) => `it may add a federated credential to ${identity} (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write) that trusts a token the jobs hold` };
  if (info.identityAssign && writer) return { how: (identity) => `it may attach ${identity} (Microsoft.ManagedIdentity/userAssignedIdentities/assign/action) to a VM or container the jobs create with ${writer.role} on ${writer.scope}` };
  return 'harmless';
}

/**
 * What one role assignment may do in the namespace of a runner manager, on a cluster that
 * authorizes Kubernetes calls with Azure RBAC: create pods there that run as the manager's service
 * account (the workload identity webhook then gives them the manager identity's tokens), directly
 * or by assigning itself a role that may; `unknown` for a role runner-fleet does not know.
 */
export function roleOverPods(role: string): Verdict<ManagerPods> {
  const info = azureRoleInfo(role);
  if (!info) return 'unknown';
  const run = (p: ManagerPods) => `create pods in namespace ${p.namespace} of cluster ${p.cluster} that run as the manager's service account ${p.serviceAccount} (Microsoft.ContainerService/managedClusters/pods/write under Azure RBAC for Kubernetes authorization), which the workload identity webhook gives the manager identity's tokens`;
  if (info.kubernetesPods) return { how: (p) => `it may ${run(p)}` };
  if (info.grants) return { how: (p) => `it may assign itself Azure Kubernetes Service RBAC Writer there (Microsoft.Authorization/roleAssignments/write) and then ${run(p)}` };
  return 'harmless';
}

/** The holder's first assignment that may create compute (or is not known), for Managed Identity Operator. */
function computeWriter(mine: readonly RoleAssignmentFacts[]): RoleAssignmentFacts | undefined {
  return mine.find((a) => azureRoleInfo(a.role)?.manages !== false);
}

/** A runner manager identity of the fleet, with the runners it serves (fleet order). */
interface ManagerEntry {
  name: string;
  /** Its resource id; undefined when the documents do not show it (resource group or subscription not a literal). */
  id: string | undefined;
  runners: string[];
}

/**
 * The fleet's Azure manager identities by scope: every prefix of each identity's resource id that
 * ends before a `/` (the subscription, the resource group, ...) and the id itself, in lower case,
 * maps to the managers under it, in fleet order. Built once per fleet and document set; a role
 * assignment's scope is then one lookup, whatever the fleet's size.
 */
interface ManagerIndex {
  all: ManagerEntry[];
  byName: Map<string, ManagerEntry>;
  byScope: Map<string, ManagerEntry[]>;
  /** Managers whose resource id is not known: no scope below a management group is shown to contain them or not. */
  unknownId: ManagerEntry[];
}

const managerIndexes = new WeakMap<AzureFacts, { fleet: FleetIntent; index: ManagerIndex }>();

function managerIndex(docs: FleetDocuments, fleet: FleetIntent, facts: AzureFacts): ManagerIndex {
  const hit = managerIndexes.get(facts);
  if (hit?.fleet === fleet) return hit.index;
  const index: ManagerIndex = { all: [], byName: new Map(), byScope: new Map(), unknownId: [] };
  // Several Azure deployments given together (the doctor): each manager identity's id is its own
  // deployment's, and two deployments' identities of one name are two managers.
  const byId = docs.runnerAzure ? new Map<string, ManagerEntry>() : undefined;
  for (const r of fleet.runners) {
    const m = identityOf(fleet, r.managerIdentity);
    if (m.cloud !== 'azure') continue;
    const own = byId ? ownAzure(docs, fleet, r) : undefined;
    const ownId = own ? managerIdentityId(own.docs, own.fleet, m.roleName) : undefined;
    const known = byId ? byId.get(`${m.roleName}|${ownId ?? ''}`) : index.byName.get(m.roleName);
    if (known) {
      known.runners.push(r.name);
      continue;
    }
    const entry: ManagerEntry = { name: m.roleName, id: own ? ownId : managerIdentityId(docs, fleet, m.roleName), runners: [r.name] };
    byId?.set(`${m.roleName}|${ownId ?? ''}`, entry);
    index.all.push(entry);
    if (!index.byName.has(entry.name)) index.byName.set(entry.name, entry);
    if (entry.id === undefined) {
      index.unknownId.push(entry);
      continue;
    }
    const id = trimEnd(entry.id.toLowerCase(), '/');
    for (let i = 1; i <= id.length; i++) {
      if (i < id.length && id[i] !== '/') continue;
      const key = id.slice(0, i);
      const list = index.byScope.get(key);
      if (list) list.push(entry);
      else index.byScope.set(key, [entry]);
    }
  }
  managerIndexes.set(facts, { fleet, index });
  return index;
}

/** A runner manager's namespace on an AKS cluster, with the runners whose manager runs there as that service account. */
interface PodsEntry {
  pods: ManagerPods;
  /** The manager identity those pods get. */
  manager: string;
  runners: string[];
}

/**
 * The fleet's manager namespaces by Azure RBAC scope, as ManagerIndex does for identities: every
 * prefix of `<cluster id>/namespaces/<ns>` that ends before a `/` (the cluster, its resource
 * group, ...) maps to the manager service accounts under it, in fleet order. Built once per fleet
 * and document set, so each job role assignment is one lookup, whatever the fleet's size.
 */
interface PodsIndex {
  byScope: Map<string, PodsEntry[]>;
  /** A runner's own entry. */
  byRunner: Map<string, PodsEntry>;
}

const podsIndexes = new WeakMap<AzureFacts, { fleet: FleetIntent; index: PodsIndex }>();

function podsIndex(fleet: FleetIntent, facts: AzureFacts, podsOf: (runner: IntentRunner) => ManagerPods | undefined): PodsIndex {
  const hit = podsIndexes.get(facts);
  if (hit?.fleet === fleet) return hit.index;
  const index: PodsIndex = { byScope: new Map(), byRunner: new Map() };
  const seen = new Map<string, PodsEntry>();
  for (const r of fleet.runners) {
    const pods = podsOf(r);
    const m = identityOf(fleet, r.managerIdentity);
    if (!pods || m.cloud !== 'azure') continue;
    const scope = trimEnd(pods.scope.toLowerCase(), '/');
    const key = `${scope}|${pods.serviceAccount}`;
    const known = seen.get(key);
    if (known) {
      known.runners.push(r.name);
      index.byRunner.set(r.name, known);
      continue;
    }
    const entry: PodsEntry = { pods, manager: m.roleName, runners: [r.name] };
    seen.set(key, entry);
    index.byRunner.set(r.name, entry);
    for (let i = 1; i <= scope.length; i++) {
      if (i < scope.length && scope[i] !== '/') continue;
      const k = scope.slice(0, i);
      const list = index.byScope.get(k);
      if (list) list.push(entry);
      else index.byScope.set(k, [entry]);
    }
  }
  podsIndexes.set(facts, { fleet, index });
  return index;
}

/** The managers a scope contains, but those named in `except`: how many, and the first few (constant work per scope). */
function managersWithin(index: ManagerIndex, scope: string, except: readonly string[]): { count: number; first: ManagerEntry[]; unknownId: { count: number; first: ManagerEntry[] } } {
  const group = MANAGEMENT_GROUP_SCOPE.test(scope);
  const list = group ? index.all : (index.byScope.get(trimEnd(scope.toLowerCase(), '/')) ?? []);
  const excluded = except.filter((n, i) => except.indexOf(n) === i && index.byName.has(n) && (group || scopeContains(scope, index.byName.get(n)!.id) === true));
  const pick = (from: readonly ManagerEntry[]) => {
    const out: ManagerEntry[] = [];
    for (const e of from) {
      if (out.length === 4) break;
      if (!except.includes(e.name)) out.push(e);
    }
    return out;
  };
  // Under a management group every manager is contained, those with unknown ids too.
  const unknown = group ? [] : index.unknownId;
  const unknownExcluded = group ? 0 : except.filter((n, i) => except.indexOf(n) === i && index.byName.has(n) && index.byName.get(n)!.id === undefined).length;
  return { count: list.length - excluded.length, first: pick(list), unknownId: { count: unknown.length - unknownExcluded, first: pick(unknown) } };
}

/** "a, b, c and 2 more" of the first few of `count` names. */
function some(names: readonly string[], count: number): string {
  return `${names.slice(0, 3).join(', ')}${count > 3 ? ` and ${count - 3} more` : ''}`;
}

/** "x (runner a), y (runners b, c)": managers with the runners they serve. */
function managersOfRunners(entries: readonly ManagerEntry[], count: number): string {
  return some(entries.map((e) => `${e.name} (runner${e.runners.length > 1 ? 's' : ''} ${some(e.runners, e.runners.length)})`), count);
}

export interface AzureJobsOverManager {
  findings: Finding[];
  /** The jobs can become the manager identity, or that they cannot is not shown. */
  refuted: boolean;
  /** Paths of job role assignments that administer a subscription holding the manager: RF601/RF602 say those, not `findings`. */
  administered: string[];
}

/**
 * Whether a runner's Azure job identity may become its manager identity, or another runner's,
 * through its role assignments: a role that writes federated credentials (or assigns roles, or
 * attaches identities to compute the jobs may create) at a scope that contains the manager
 * identity. One pass over the job identity's own assignments (indexed once per document set), each
 * looked up in the fleet's manager identities indexed by scope (once per fleet): constant work per
 * assignment. `refuted` is about the runner's own manager; another runner's is RF105 as well (the
 * jobs get that manager's tokens and what it may do). Undefined when the runner's identities are
 * not Azure managed identities.
 */
export function azureJobsOverManager(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string, pods?: ManagerPods, podsOf?: (runner: IntentRunner) => ManagerPods | undefined): AzureJobsOverManager | undefined {
  if (runner.jobIdentity === undefined) return undefined;
  const manager = identityOf(fleet, runner.managerIdentity);
  const jobs = identityOf(fleet, runner.jobIdentity);
  const facts = azureFacts(docs);
  if (manager.cloud !== 'azure' || jobs.cloud !== 'azure' || !facts) return undefined;
  const index = managerIndex(docs, fleet, facts);
  const managerId = docs.runnerAzure ? managerIdentityId(docs, fleet, manager.roleName) : (index.byName.get(manager.roleName)?.id ?? managerIdentityId(docs, fleet, manager.roleName));
  const mine = assignmentsRead(facts, jobs.roleName);
  // Managed Identity Operator takes an identity over only with a role that creates compute (or one not known).
  const writer = computeWriter(mine);
  const findings: Finding[] = [];
  let refuted = false;
  // Assignments that administer a subscription holding the manager: RF601/RF602 (aks/verify.ts) say so, at these paths.
  const administered: string[] = [];
  for (const a of mine) {
    const verdict = roleOverIdentity(a.role, writer);
    // The Kubernetes route: pods in the manager's namespace, where the identity itself is out of scope.
    // (A role that takes over identities at a scope holding the manager identity is said below, once.)
    if (pods && (verdict === 'harmless' || scopeContains(a.scope, managerId) === false) && !administersSubscription(a) && scopeContains(a.scope, pods.scope) === true) {
      const viaPods = podsFinding(a, pods, jobs.roleName, jobAssignmentPath(runner, rp, a));
      if (viaPods) {
        refuted = true;
        findings.push(viaPods);
      }
    }
    if (verdict === 'harmless') {
      // A role without power over identities may still run pods in another runner's manager namespace.
      if (podsOf && !administersSubscription(a)) {
        const viaPods = otherPodsFinding(a, podsIndex(fleet, facts, podsOf), runner.name, manager.roleName, jobs.roleName, jobAssignmentPath(runner, rp, a));
        if (viaPods) findings.push(viaPods);
      }
      continue;
    }
    const contains = scopeContains(a.scope, managerId);
    const path = jobAssignmentPath(runner, rp, a);
    const what = `manager identity ${manager.roleName}`;
    if (contains === undefined) {
      refuted = true;
      findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, and the resource id of ${what} is not in the documents (its resource group or the subscription is not a literal): that the jobs cannot become the manager is not proven`, { received: `${a.role} on ${a.scope}`, fix: 'give the managed identity its resource group literally, or narrow the job role assignment to resources outside the runner identities', subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      continue;
    }
    if (contains) {
      if (verdict === 'unknown') {
        refuted = true;
        findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains ${what}; runner-fleet does not know what ${a.role} allows, so that the jobs cannot become the manager (by adding a federated credential to it) is not proven`, { received: a.role, fix: `use a built-in role runner-fleet knows, or scope the assignment outside the resource group of the runner identities (${managerId ?? 'the manager identity'})`, subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
        continue;
      }
      refuted = true;
      // A role administering a whole subscription is RF601/RF602 already, which says what it allows.
      if (administersSubscription(a)) {
        administered.push(path);
        continue;
      }
      findings.push(f('RF105', path, `the jobs can become the manager: job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains ${what}; ${verdict.how('it')}, and then get the manager's tokens`, { received: `${a.role} on ${a.scope}`, fix: `scope the job role assignments to the resources the jobs deploy, outside ${managerId ? `the resource group of the runner identities (${managerId.split('/providers/')[0]})` : 'the resource group of the runner identities'}, or use a role without write access there`, subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      continue;
    }
    // Not its own manager's scope: one that holds other runners' managers (their identity, their resource group).
    if (administersSubscription(a)) continue;
    const others = managersWithin(index, a.scope, [manager.roleName, jobs.roleName]);
    // The Kubernetes route to other runners' managers: their namespaces, where their identities are out of scope.
    if (podsOf && others.count === 0) {
      const viaPods = otherPodsFinding(a, podsIndex(fleet, facts, podsOf), runner.name, manager.roleName, jobs.roleName, jobAssignmentPath(runner, rp, a));
      if (viaPods) findings.push(viaPods);
    }
    if (others.unknownId.count > 0) {
      findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, and the resource ids of manager identities ${managersOfRunners(others.unknownId.first, others.unknownId.count)} are not in the documents (a resource group or the subscription is not a literal): that the jobs cannot become another runner's manager is not proven`, { received: `${a.role} on ${a.scope}`, fix: 'give the managed identities their resource group literally, or narrow the job role assignment to the resources the jobs deploy', subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
    }
    if (others.count === 0) continue;
    const inside = managersOfRunners(others.first, others.count);
    const first = others.first[0]!;
    if (verdict === 'unknown') {
      findings.push(f('RF903', path, `job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains manager identit${others.count > 1 ? 'ies' : 'y'} ${inside}; runner-fleet does not know what ${a.role} allows, so that the jobs cannot become another runner's manager is not proven`, { received: a.role, fix: `use a built-in role runner-fleet knows, or scope the assignment outside the resource group of the runner identities (${first.id!.split('/providers/')[0]})`, subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      continue;
    }
    findings.push(f('RF105', path, `the jobs can become another runner's manager: job identity ${jobs.roleName} holds ${a.role} on ${a.scope}, which contains manager identit${others.count > 1 ? 'ies' : 'y'} ${inside}; ${verdict.how(`manager identity ${first.name}`)}, and then get that manager's tokens and do what runner ${first.runners[0]!}'s manager may do`, { received: `${a.role} on ${a.scope}`, fix: `scope the job role assignments to the resources the jobs deploy, outside the resource group of the runner identities (${first.id!.split('/providers/')[0]}) and the identities themselves, or use a role without write access there`, subject: { kind: 'assignments', identity: jobs.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
  }
  return { findings, refuted, administered };
}

/** RF105 or RF903 for a job role assignment over the manager's namespace (roleOverPods); undefined when it can do nothing there. */
function podsFinding(a: RoleAssignmentFacts, pods: ManagerPods, jobs: string, path: string): Finding | undefined {
  const verdict = roleOverPods(a.role);
  // Without Azure RBAC for Kubernetes authorization, Azure roles grant nothing inside the cluster.
  if (verdict === 'harmless' || pods.cloudRbac === false) return undefined;
  const where = `job identity ${jobs} holds ${a.role} on ${a.scope}, which contains namespace ${pods.namespace} of cluster ${pods.cluster}, where the manager runs`;
  const outside = `scope the assignment outside the manager's namespace (${pods.scope}): give the jobs Kubernetes permissions in a namespace of their own, or through Kubernetes RBAC`;
  if (verdict === 'unknown') return f('RF903', path, `${where}; runner-fleet does not know what ${a.role} allows, so that the jobs cannot create pods there as the manager's service account ${pods.serviceAccount} (and get its tokens) is not proven`, { received: a.role, fix: `use a built-in role runner-fleet knows, or ${outside}`, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
  if (pods.cloudRbac === undefined) return f('RF903', path, `${where}; whether cluster ${pods.cluster} authorizes Kubernetes calls with Azure RBAC (azure_rbac_enabled) is not in the documents, and if it does, ${verdict.how(pods)}: that the jobs cannot become the manager is not proven`, { received: `${a.role} on ${a.scope}`, fix: `${outside}; a cluster runner-fleet creates shows its authorization in the documents`, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
  return f('RF105', path, `the jobs can become the manager through Kubernetes: ${where}; ${verdict.how(pods)}`, { received: `${a.role} on ${a.scope}`, fix: outside, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
}

/**
 * RF105 or RF903 for a job role assignment over the namespace of another runner's manager
 * (roleOverPods), on a cluster that authorizes Kubernetes calls with Azure RBAC: the jobs may run a
 * pod there as that manager's service account and get its identity's tokens. One lookup in the
 * fleet's manager namespaces by scope; the first few are named. Undefined when none is in scope.
 */
function otherPodsFinding(a: RoleAssignmentFacts, index: PodsIndex, runner: string, manager: string, jobs: string, path: string): Finding | undefined {
  const verdict = roleOverPods(a.role);
  if (verdict === 'harmless') return undefined;
  const list = index.byScope.get(trimEnd(a.scope.toLowerCase(), '/')) ?? [];
  const own = index.byRunner.get(runner);
  // Without Azure RBAC for Kubernetes authorization the role grants nothing inside a cluster; the
  // runner's own namespace is podsFinding's, and a namespace whose pods get the job identity itself is no escalation.
  const hits: PodsEntry[] = [];
  const unsure: PodsEntry[] = [];
  let count = 0;
  let unsureCount = 0;
  for (const e of list) {
    if (e === own || e.manager === manager || e.manager === jobs || e.pods.cloudRbac === false) continue;
    if (e.pods.cloudRbac === undefined) {
      if (unsure.length < 4) unsure.push(e);
      unsureCount++;
    } else {
      if (hits.length < 4) hits.push(e);
      count++;
    }
  }
  const where = (es: PodsEntry[], n: number) => some(es.map((e) => `namespace ${e.pods.namespace} of cluster ${e.pods.cluster} (manager service account ${e.pods.serviceAccount}, manager identity ${e.manager}, runner${e.runners.length > 1 ? 's' : ''} ${some(e.runners, e.runners.length)})`), n);
  const fix = `scope the assignment to the jobs' own namespace (or outside the cluster), not one where another runner's manager runs: give the jobs Kubernetes permissions in a namespace of their own, or through Kubernetes RBAC`;
  if (verdict === 'unknown') {
    const all = [...hits, ...unsure].slice(0, 4);
    if (all.length === 0) return undefined;
    return f('RF903', path, `job identity ${jobs} holds ${a.role} on ${a.scope}, which contains ${where(all, count + unsureCount)}; runner-fleet does not know what ${a.role} allows, so that the jobs cannot create pods there as another runner's manager (and get its tokens) is not proven`, { received: a.role, fix: `use a built-in role runner-fleet knows, or ${fix}`, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
  }
  if (count > 0) {
    const first = hits[0]!;
    return f('RF105', path, `the jobs can become another runner's manager through Kubernetes: job identity ${jobs} holds ${a.role} on ${a.scope}, which contains ${where(hits, count)}; ${verdict.how(first.pods)}, and then do what runner ${first.runners[0]!}'s manager may do`, { received: `${a.role} on ${a.scope}`, fix, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
  }
  if (unsureCount > 0) {
    const first = unsure[0]!;
    return f('RF903', path, `job identity ${jobs} holds ${a.role} on ${a.scope}, which contains ${where(unsure, unsureCount)}; whether cluster ${first.pods.cluster} authorizes Kubernetes calls with Azure RBAC (azure_rbac_enabled) is not in the documents, and if it does, ${verdict.how(first.pods)}: that the jobs cannot become another runner's manager is not proven`, { received: `${a.role} on ${a.scope}`, fix: `${fix}; a cluster runner-fleet creates shows its authorization in the documents`, subject: { kind: 'assignments', identity: jobs, assignments: [{ role: a.role, scope: a.scope }] } });
  }
  return undefined;
}

/** The spec path of an ID-token role's assignment: its index in permissions.azure when the spec lists it (plan), else where the role is declared. */
export function idTokenAssignmentPath(role: IdTokenRoleIntent, a: RoleAssignmentFacts): string {
  const list = role.azurePermissions;
  if (!list) return role.path;
  const i = list.findIndex((p) => p.role === a.role && p.scope.toLowerCase() === a.scope.toLowerCase());
  return i >= 0 ? `${role.path}.permissions.azure[${i}]` : `${role.path}.permissions.azure`;
}

/**
 * Whether a GitLab ID-token role's managed identity may become a runner manager identity of the
 * fleet, through its role assignments (the same reading as for job identities above): a pipeline
 * that gets the ID-token role would then hold the manager's tokens. The role's assignments are
 * few and independent of the fleet's size; each is looked up in the fleet's manager identities
 * indexed by scope.
 */
export function azureIdTokenOverManagers(docs: FleetDocuments, fleet: FleetIntent, role: IdTokenRoleIntent): Finding[] {
  if (role.cloud !== 'azure') return [];
  const facts = azureFacts(docs);
  if (!facts) return [];
  const mine = assignmentsOf(facts, role.roleName);
  if (mine.length === 0) return [];
  const index = managerIndex(docs, fleet, facts);
  if (index.all.every((m) => m.name === role.roleName)) return [];
  const writer = computeWriter(mine);
  const findings: Finding[] = [];
  for (const a of mine) {
    const verdict = roleOverIdentity(a.role, writer);
    if (verdict === 'harmless') continue;
    const path = idTokenAssignmentPath(role, a);
    const within = managersWithin(index, a.scope, [role.roleName]);
    if (within.unknownId.count > 0) findings.push(f('RF903', path, `ID-token identity ${role.roleName} holds ${a.role} on ${a.scope}, and the resource ids of manager identities ${some(within.unknownId.first.map((m) => m.name), within.unknownId.count)} are not in the documents (a resource group or the subscription is not a literal): that it cannot become one of them is not proven`, { received: `${a.role} on ${a.scope}`, fix: 'give the managed identities their resource group literally, or narrow the assignment to the resources the pipelines deploy', subject: { kind: 'assignments', identity: role.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
    if (within.count === 0) continue;
    const inside = some(within.first.map((m) => m.name), within.count);
    if (verdict === 'unknown') {
      findings.push(f('RF903', path, `ID-token identity ${role.roleName} holds ${a.role} on ${a.scope}, which contains manager identities ${inside}; runner-fleet does not know what ${a.role} allows, so that the pipelines cannot become a runner manager is not proven`, { received: a.role, fix: 'use a built-in role runner-fleet knows, or scope the assignment outside the resource group of the runner identities', subject: { kind: 'assignments', identity: role.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      continue;
    }
    findings.push(f('RF105', path, `pipelines that get ID-token identity ${role.roleName} can become a runner manager: it holds ${a.role} on ${a.scope}, which contains manager identities ${inside}; ${verdict.how(`manager identity ${within.first[0]!.name}`)}, and then get the manager's tokens`, { received: `${a.role} on ${a.scope}`, fix: 'scope the ID-token role assignments to the resources the pipelines deploy, outside the resource group of the runner identities, or use a role without write access there', subject: { kind: 'assignments', identity: role.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
  }
  return findings;
}
