import type { K8sObject } from '../emit/artifacts.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import { identityOf, partyNamespace, type CloudIdentity } from '../model/types.js';
import { CODES } from '../spec/codes.js';
import type { Finding } from '../spec/findings.js';
import { get } from './get.js';
import { jobSettings } from './runner-toml.js';
import { awsFacts } from './aws-docs.js';

/**
 * Runners whose job pods share a namespace share their job identities.
 *
 * Kubernetes takes the service account of a pod from the pod's spec, and a pod may name any
 * service account of its own namespace: whoever may create pods in a namespace may run them as
 * any service account there (Kubernetes, "Role Based Access Control Good Practices", Workload
 * creation; kubernetes/kubernetes#76954, the maintainers: "the ACL boundary for the content of pod
 * specs is the namespace level"). IRSA (the role-arn annotation of the service account), EKS Pod
 * Identity (an association names namespace and service account) and AKS workload identity (a
 * federated credential whose subject is system:serviceaccount:<ns>:<sa>) all hand the cloud
 * identity to any pod that runs as that service account. So the proof "only <ns>/<sa> can assume
 * the jobs role" is true of the cloud and silent about who may become <ns>/<sa>: every runner
 * manager whose Role lets it create pods in <ns>.
 *
 * Who can use that path, from gitlab-runner (v18.10.1, executors/kubernetes/overwrites.go and
 * kubernetes.go): the job pod's spec.serviceAccountName is `service_account` of config.toml, or
 * the job's KUBERNETES_SERVICE_ACCOUNT_OVERWRITE where `service_account_overwrite_allowed` is set
 * and matches it (evaluateOverwrite; overwriteRegexCheck uses Go's regexp.MatchString, which is
 * not anchored). So:
 * - overwrite off (or not matching): whoever controls the other runner's manager (its pod, its
 *   service account's token, its config.toml) holds the identity: a warning;
 * - overwrite matching the service account: any job of the other runner does: an error.
 * Said when the identities differ: two runners whose jobs hold the same role (or the same service
 * account) have nothing to take from each other, and what each runner's jobs may do is judged for
 * that runner (RF303, RF306). A runner whose jobs hold no identity still has a manager that can
 * take the other's: said too.
 */

/** Kubernetes' own ClusterRoles that let their holder create pods (admin, edit; cluster-admin: everything). */
const POD_CREATING_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit']);

const has = (list: unknown, ...values: string[]) => Array.isArray(list) && list.some((x) => values.includes(x as string));

/** Whether a Role's or ClusterRole's rules allow `create` on core `pods` (resourceNames cannot restrict create). */
export function allowsPodCreate(role: K8sObject): boolean {
  const rules = get(role, 'rules');
  return Array.isArray(rules) && rules.some((r) => has(get(r, 'apiGroups'), '', '*') && has(get(r, 'resources'), 'pods', '*') && has(get(r, 'verbs'), 'create', '*'));
}

interface PodCreator {
  runner: IntentRunner;
  /** Its config.toml's service_account_overwrite_allowed, read once per runner. */
  pattern: string | undefined;
  /** The binding and role that let it, as `RoleBinding ns/name → Role name`. */
  via: string;
}

/**
 * Per cluster and namespace, the runner managers the documents let create pods there: a
 * RoleBinding in that namespace (or a ClusterRoleBinding) of the manager's service account to a
 * Role or ClusterRole whose rules allow create on pods. Built once per fleet from every runner's
 * objects on the cluster (a deployment may keep one runner's binding among another's files).
 */
export function podCreatorsIndex(docs: FleetDocuments, fleet: FleetIntent): Map<string, PodCreator[]> {
  const out = new Map<string, PodCreator[]>();
  const clusterObjects = new Map<string, K8sObject[]>();
  const runnersOn = new Map<string, IntentRunner[]>();
  // Each runner's documents read once: its objects, and its overwrite pattern.
  const patterns = new Map<string, string | undefined>();
  for (const r of fleet.runners) {
    if (!r.kubernetes) continue;
    const emitted = docs.runners.get(r.name);
    patterns.set(r.name, jobSettings(emitted?.configToml, 0).serviceAccountOverwrite);
    const on = runnersOn.get(r.cluster);
    if (on) on.push(r);
    else runnersOn.set(r.cluster, [r]);
    const manifests = emitted?.manifests;
    if (!manifests || manifests.length === 0) continue;
    const list = clusterObjects.get(r.cluster);
    if (list) list.push(...manifests);
    else clusterObjects.set(r.cluster, [...manifests]);
  }
  for (const [cluster, objects] of clusterObjects) {
    const roles = new Map<string, K8sObject>();
    for (const o of objects) if (o.kind === 'Role' || o.kind === 'ClusterRole') roles.set(`${o.kind}|${o.kind === 'Role' ? (o.metadata.namespace ?? '') : ''}|${o.metadata.name}`, o);
    // Manager service account (`ns|name`) → the runners whose manager it is.
    const managers = new Map<string, IntentRunner[]>();
    for (const r of runnersOn.get(cluster) ?? []) {
      if (r.cluster !== cluster || !r.kubernetes) continue;
      const k = `${r.kubernetes.namespace}|${r.kubernetes.managerServiceAccount}`;
      const list = managers.get(k);
      if (list) list.push(r);
      else managers.set(k, [r]);
    }
    const seen = new Set<string>();
    for (const b of objects) {
      if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
      const kind = get(b, 'roleRef', 'kind');
      const name = get(b, 'roleRef', 'name');
      if (typeof name !== 'string' || (kind !== 'ClusterRole' && (kind !== 'Role' || b.kind !== 'RoleBinding'))) continue;
      const creates = kind === 'ClusterRole' && POD_CREATING_CLUSTER_ROLES.has(name) ? true : (() => {
        const role = roles.get(`${kind}|${kind === 'Role' ? (b.metadata.namespace ?? '') : ''}|${name}`);
        return role !== undefined && allowsPodCreate(role);
      })();
      if (!creates) continue;
      // A ClusterRoleBinding lets it create pods in every namespace: keyed `*`.
      const where = b.kind === 'ClusterRoleBinding' ? '*' : (b.metadata.namespace ?? '');
      const subjects = get(b, 'subjects');
      for (const s of Array.isArray(subjects) ? subjects : []) {
        if (get(s, 'kind') !== 'ServiceAccount') continue;
        const sns = (get(s, 'namespace') as string | undefined) ?? b.metadata.namespace ?? '';
        for (const r of managers.get(`${sns}|${String(get(s, 'name'))}`) ?? []) {
          const key = `${cluster}|${where}|${r.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const entry = { runner: r, pattern: patterns.get(r.name), via: `${b.kind} ${b.metadata.namespace !== undefined ? `${b.metadata.namespace}/` : ''}${b.metadata.name} → ${kind} ${name}` };
          const k = `${cluster}|${where}`;
          const list = out.get(k);
          if (list) list.push(entry);
          else out.set(k, [entry]);
        }
      }
    }
  }
  // Managers whose jobs may overwrite their service account first: sharedNamespaceFindings reads them all, the rest only until it has named enough.
  for (const list of out.values()) list.sort((a, b) => Number(a.pattern === undefined) - Number(b.pattern === undefined));
  return out;
}

/** Whether gitlab-runner lets a job overwrite its service account with `sa`: Go's regexp.MatchString, unanchored. */
export function overwriteMatches(pattern: string, sa: string): boolean {
  // RE2's leading (?i) (and other flag groups) is a flag in JavaScript; a pattern JavaScript cannot read is taken to match.
  const flags = /^\(\?([imsU]+)\)/.exec(pattern);
  const body = flags ? pattern.slice(flags[0].length) : pattern;
  try {
    return new RegExp(body, flags?.[1]?.includes('i') === true ? 'i' : '').test(sa);
  } catch {
    return true;
  }
}

/** Two AWS roles whose permission policies the documents show in full and alike: the one gains nothing from the other. */
function sameAwsPermissions(docs: FleetDocuments, a: CloudIdentity, b: CloudIdentity): boolean {
  if (a.cloud !== 'aws' || b.cloud !== 'aws') return false;
  const ta = policiesText(docs, a.roleName);
  return ta !== undefined && ta === policiesText(docs, b.roleName);
}

/** A role's permission policies as one text (undefined: not all known), made once per role and documents. */
const policyTexts = new WeakMap<object, Map<string, string | undefined>>();
function policiesText(docs: FleetDocuments, roleName: string): string | undefined {
  const facts = awsFacts(docs);
  if (!facts) return undefined;
  let texts = policyTexts.get(facts);
  if (!texts) policyTexts.set(facts, (texts = new Map<string, string | undefined>()));
  if (texts.has(roleName)) return texts.get(roleName);
  const role = facts.roles.get(roleName);
  const text = role && role.unknownPolicies.length === 0 ? role.policies.map((d) => JSON.stringify(d)).sort().join('\n') : undefined;
  texts.set(roleName, text);
  return text;
}

const protectedOnly = (r: IntentRunner) => r.spec.gitlab.locked && r.spec.gitlab.protectedOnly;

function takesWhat(r: IntentRunner): string {
  if (r.registrationUnknown !== undefined) return 'whose registration is not shown';
  return protectedOnly(r) ? 'locked, protected refs only' : r.spec.gitlab.protectedOnly ? 'protected refs, not locked to its project' : 'unprotected refs too';
}

/** Runners named in one finding; the rest are counted. */
const MAX_NAMED = 5;

interface Sharer {
  other: IntentRunner;
  via: string;
  otherJobs: CloudIdentity | undefined;
  pattern: string | undefined;
}

const MECHANISM: Record<string, string> = { irsa: 'IRSA', 'pod-identity': 'EKS Pod Identity', 'azure-workload-identity': 'AKS workload identity (its federated credential names the service account)' };

/**
 * The other runners whose manager may create pods as the service account that holds `runner`'s
 * job identity, and the findings that say so (RF310). `index`: podCreatorsIndex of the fleet.
 */
export function sharedNamespaceFindings(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string, index: Map<string, PodCreator[]>): Finding[] {
  if (!runner.jobIdentity || !runner.kubernetes) return [];
  const id: CloudIdentity = identityOf(fleet, runner.jobIdentity);
  const subject = id.binding.subject;
  if (subject.kind !== 'kubernetes') return [];
  const ns = subject.namespace;
  const sa = subject.serviceAccount;
  const out: Finding[] = [];
  const named = new Set<string>();
  const byJobs: Sharer[] = [];
  const byManager: Sharer[] = [];
  // Past MAX_NAMED runners of the manager path, those are said to be more, not counted: the work
  // per runner stays bounded however many runners share the namespace. Each list holds the
  // managers whose jobs may overwrite their service account first, so none of those is missed.
  let more = false;
  for (const creators of [index.get(`${runner.cluster}|${ns}`) ?? [], index.get(`${runner.cluster}|*`) ?? []]) {
    for (const { runner: other, via, pattern } of creators) {
      if (byManager.length > MAX_NAMED && pattern === undefined) {
        more = true;
        break;
      }
      if (other.name === runner.name || named.has(other.name)) continue;
      const otherJobs = other.jobIdentity !== undefined ? identityOf(fleet, other.jobIdentity) : undefined;
      // The same identity (the same role, or the same service account): nothing to take.
      if (otherJobs && (otherJobs.roleName === id.roleName || (otherJobs.binding.subject.kind === 'kubernetes' && otherJobs.binding.subject.namespace === ns && otherJobs.binding.subject.serviceAccount === sa))) continue;
      // Equivalent identities: two AWS roles whose permissions are the same documents, all known.
      if (otherJobs && sameAwsPermissions(docs, id, otherJobs)) continue;
      // A runner that takes unprotected refs: any developer's branch already holds its job identity
      // through its own jobs, so a locked, protected-only runner's manager taking it adds no one.
      if (runner.registrationUnknown === undefined && other.registrationUnknown === undefined && !protectedOnly(runner) && protectedOnly(other)) continue;
      named.add(other.name);
      // The other runner's jobs: where its job pods run in this namespace and the overwrite matches the service account.
      const jobsToo = pattern !== undefined && partyNamespace(other.kubernetes!, 'jobs') === ns && overwriteMatches(pattern, sa);
      (jobsToo ? byJobs : byManager).push({ other, via, otherJobs, pattern });
    }
  }
  const what = id.cloud === 'aws' ? `role ${id.roleName}` : `managed identity ${id.roleName}`;
  const how = MECHANISM[id.binding.mechanism] ?? id.binding.mechanism;
  // One finding per path (jobs, managers) and runner, however many runners share the namespace:
  // the first few named, the count of the rest.
  for (const [group, jobs] of [[byJobs, true], [byManager, false]] as const) {
    if (group.length === 0) continue;
    const names = group.map((g) => g.other.name);
    const listed = names.length <= MAX_NAMED ? names.join(' or ') : `${names.slice(0, MAX_NAMED).join(', ')} or ${jobs || !more ? `${names.length - MAX_NAMED} more` : 'more'}`;
    const who = jobs
      ? `any job of runner ${listed} can run pods as ${ns}/${sa} (KUBERNETES_SERVICE_ACCOUNT_OVERWRITE=${sa}, which its service_account_overwrite_allowed matches)`
      : `whoever controls the manager of runner ${listed} (its pod, its service account's token or its config.toml) can run pods as ${ns}/${sa}`;
    const details = group.slice(0, MAX_NAMED).map(({ other, via, otherJobs, pattern }) => `${other.name}: ${takesWhat(other)}; its manager may create pods in ${ns} (${via})${jobs ? `; service_account_overwrite_allowed ${JSON.stringify(pattern)}` : ''}; its own jobs hold ${otherJobs ? `${otherJobs.cloud === 'aws' ? 'role' : 'managed identity'} ${otherJobs.roleName}` : 'no cloud identity'}`);
    const others = names.slice(0, MAX_NAMED).map((n, i) => `runners[${group[i]!.other.index}].placement.namespace`);
    const narrow = jobs ? `; and narrow the service account overwrite of ${listed} to its own job service account, anchored (${group.slice(0, MAX_NAMED).map((g) => `^${g.other.kubernetes!.jobServiceAccount}$`).join(', ')})` : '';
    out.push({
      code: 'RF310',
      severity: jobs ? 'error' : CODES.RF310.severity,
      path: `${rp}.placement.namespace`,
      message: `runner ${runner.name} shares namespace ${ns} with ${listed}, and a pod may name any service account of its namespace: ${who} and so hold ${what}, the job identity of runner ${runner.name} (${takesWhat(runner)}), through ${how}. ${details.join('. ')}`,
      received: ns,
      allowed: `a namespace of runner ${runner.name}'s own`,
      fix: `give runner ${runner.name} its own namespace (${rp}.placement.namespace), or runner ${listed} (${others.join(', ')})${narrow.replace('service account overwrite', 'jobs.serviceAccountOverwriteAllowed')}`,
      deploymentFix: `install runner ${runner.name} (or ${listed}) in a namespace of its own (the Helm release's namespace and [runners.kubernetes] namespace), so no other runner's manager may create pods where ${sa} is${narrow.replace('service account overwrite', 'service_account_overwrite_allowed')}`,
    });
  }
  return out;
}
