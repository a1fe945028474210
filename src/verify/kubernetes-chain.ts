import type { Finding, FindingSubject } from '../spec/findings.js';
import type { IdentitySubject, KubernetesSubject, ResolvedCluster } from '../model/types.js';
import { partyNamespace } from '../model/types.js';
import { CODES } from '../spec/codes.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import { get, shown } from './get.js';
import { allBy } from '../model/lookup.js';
import { tomlOrUndefined } from './toml-read.js';

export function findServiceAccount(docs: FleetDocuments, runner: string, namespace: string, name: string): K8sObject | undefined {
  return docs.runners.get(runner)?.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === namespace && o.metadata.name === name);
}

const BUILTIN_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);

/**
 * Path suffixes (after `runners[i]`) of the chain's findings about documents the doctor read
 * (`readFrom` set): the doctor points each at the key it is about.
 */
export const CHAIN_KEYS = {
  managerServiceAccount: '.kubernetes.managerServiceAccount',
  jobServiceAccount: '.kubernetes.jobServiceAccount',
  namespace: '.kubernetes.namespace',
  /** Where the jobs' namespace is decided (RF935): the config's namespace line, or the chart value. */
  jobNamespace: '.kubernetes.jobNamespace',
  roleBinding: '.kubernetes.roleBinding',
  tokenSecret: '.kubernetes.tokenSecret',
} as const;

/**
 * The Kubernetes half of the chain, read from the emitted documents: service accounts exist,
 * the RoleBinding names the manager, Helm values and both TOML documents name the same
 * namespace and service accounts. For documents the doctor read (`readFrom`), messages name the
 * user's files and fixes the keys to change in them.
 */
export function verifyKubernetesChain(docs: FleetDocuments, _fleet: FleetIntent, runner: IntentRunner, runnerPath: string): Finding[] {
  const names = runner.kubernetes!;
  const emitted = docs.runners.get(runner.name);
  const out: Finding[] = [];
  const from = emitted?.readFrom;
  // `deploymentFix`: what to change in documents runner-fleet did not write, where no key of theirs is named.
  // The doctor's wording of a fix is its `deploymentFix` (verify shows it for deployments): the key of theirs to change, else the advice given.
  const broken = (message: string, theirs?: { key: keyof typeof CHAIN_KEYS; fix: string }, deploymentFix?: string, subject?: FindingSubject) => {
    const forThem = theirs?.fix ?? deploymentFix;
    out.push({ code: 'RF106', severity: 'error', path: from && theirs ? `${runnerPath}${CHAIN_KEYS[theirs.key]}` : runnerPath, message, fix: 'regenerate; the names must come from one resolved value', ...(forThem !== undefined ? { deploymentFix: forThem } : {}), ...(subject ? { subject } : {}) });
  };
  if (!emitted) {
    broken(`nothing was emitted for runner ${runner.name}`, undefined, `give the chart values, config.toml and Kubernetes objects of runner ${runner.name}`);
    return out;
  }
  const valuesFile = from?.helmValues ?? 'the Helm values';
  // Job pods run in the jobs' namespace, which a deployment may keep apart from the manager's.
  const jobNamespace = partyNamespace(names, 'jobs');
  for (const [sa, key, ns] of [[names.managerServiceAccount, 'managerServiceAccount', names.namespace], [names.jobServiceAccount, 'jobServiceAccount', jobNamespace]] as const) {
    // Kubernetes creates `default` in every namespace: pods that name no service account run as it.
    if (sa === 'default' || findServiceAccount(docs, runner.name, ns, sa)) continue;
    broken(`service account ${ns}/${sa} is not in ${from ? from.objects : `kubernetes/${runner.name}/service-accounts.yaml`}`, {
      key,
      fix: key === 'managerServiceAccount' ? `create ServiceAccount ${ns}/${sa}, or set serviceAccount.create: true in ${valuesFile}` : `create ServiceAccount ${ns}/${sa}, or name an existing one in [runners.kubernetes] service_account`,
    }, undefined, { kind: 'service-account', namespace: ns, name: sa });
  }
  // The manager's RoleBinding: the one whose subject is the manager and whose Role is in the
  // documents (a ClusterRole too, bound by a RoleBinding or a ClusterRoleBinding).
  const bindsManager = (o: K8sObject) =>
    (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
    ((get(o, 'subjects') as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === names.managerServiceAccount && (s.namespace ?? o.metadata.namespace) === names.namespace);
  const roleOf = (o: K8sObject) => {
    const kind = get(o, 'roleRef', 'kind');
    const name = get(o, 'roleRef', 'name');
    if (kind !== 'ClusterRole' && (kind !== 'Role' || o.kind !== 'RoleBinding')) return undefined;
    // The user-facing ClusterRoles Kubernetes creates in every cluster (a binding to cluster-admin is RF907's business).
    if (kind === 'ClusterRole' && typeof name === 'string' && BUILTIN_CLUSTER_ROLES.has(name)) return o;
    return emitted.manifests.find((r) => r.kind === kind && r.metadata.name === name && (kind === 'ClusterRole' || r.metadata.namespace === o.metadata.namespace));
  };
  const bindings = emitted.manifests.filter((o) => bindsManager(o) && roleOf(o) !== undefined);
  const binding = bindings[0];
  // The manager creates job pods (and their Secrets, Services) in the jobs' namespace: a Role bound
  // only in its own namespace does not reach there; a ClusterRoleBinding, or a RoleBinding there, does.
  if (binding && jobNamespace !== names.namespace && !bindings.some((o) => o.kind === 'ClusterRoleBinding' || o.metadata.namespace === jobNamespace)) {
    const where = [...new Set(bindings.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`))].join(', ');
    const chartJobNamespace = from?.helmValues !== undefined ? ` (with rbac.create: true, runners.jobNamespace: ${jobNamespace} in ${from.helmValues} makes the chart create its Role there, chart 0.84 and later)` : '';
    out.push({
      code: 'RF935',
      severity: CODES.RF935.severity,
      // At what decides it: the jobs' namespace as written (the Role's place is in the message).
      path: from ? `${runnerPath}${CHAIN_KEYS.jobNamespace}` : runnerPath,
      message: `the manager's service account ${names.namespace}/${names.managerServiceAccount} is given a Role only in namespace ${[...new Set(bindings.map((o) => o.metadata.namespace ?? ''))].join(', ')} (${where}), but its job pods run in namespace ${jobNamespace}: the manager cannot create job pods there, and every job fails`,
      received: where,
      allowed: `a RoleBinding in namespace ${jobNamespace} (or a ClusterRoleBinding) to ${names.namespace}/${names.managerServiceAccount}`,
      fix: 'regenerate; the manager\'s Role is emitted in the namespace its jobs run in',
      deploymentFix: `create a Role with the executor's resources and verbs in namespace ${jobNamespace} and a RoleBinding there to ServiceAccount ${names.namespace}/${names.managerServiceAccount}${chartJobNamespace}`,
    });
  }
  if (!binding) {
    if (!from) broken(`no RoleBinding binds ${names.role ? `Role ${names.role}` : 'a Role of the documents'} to ${names.namespace}/${names.managerServiceAccount}`);
    else {
      const chart = from.helmValues !== undefined ? `, and the chart creates none (rbac.create is not true in ${from.helmValues})` : '';
      // Jobs apart from the manager: the Role and its binding belong where the job pods are created.
      const there = jobNamespace !== names.namespace ? ` in namespace ${jobNamespace}, where its job pods run` : '';
      broken(`no RoleBinding in ${from.objects} gives the manager's service account ${names.namespace}/${names.managerServiceAccount} a Role${there}${chart}: the manager cannot create job pods`, {
        key: 'roleBinding',
        fix: from.helmValues !== undefined ? `set rbac.create: true in ${from.helmValues} with rbac.rules listing the executor's resources and verbs${there !== '' ? ` and runners.jobNamespace: ${jobNamespace}` : ''}, or create a Role and a RoleBinding to ${names.namespace}/${names.managerServiceAccount}${there}` : `create a Role with the executor's resources and verbs and a RoleBinding to ${names.namespace}/${names.managerServiceAccount}${there}`,
      });
    }
  }
  const values = emitted.helmValues;
  if (values) {
    // Older charts (before serviceAccount.*) name it rbac.serviceAccountName.
    const named = get(values, 'serviceAccount', 'name') ?? get(values, 'rbac', 'serviceAccountName');
    // Values the doctor read that neither name nor create one: the chart (0.86.0 _helpers.tpl,
    // gitlab-runner.serviceAccountName) renders an empty serviceAccountName, so the manager runs as
    // its namespace's `default`. runner-fleet's own values always name it.
    const creates = get(values, 'serviceAccount', 'create') === true || (get(values, 'serviceAccount', 'create') === undefined && get(values, 'rbac', 'create') === true);
    const valuesSa: unknown = named ?? (from && !creates ? 'default' : undefined);
    if (valuesSa !== names.managerServiceAccount) broken(from ? `${valuesFile}: serviceAccount.name is ${String(valuesSa)}, but the manager runs as ${names.managerServiceAccount}` : `helm values serviceAccount.name is ${String(valuesSa)}, expected ${names.managerServiceAccount}`, { key: 'managerServiceAccount', fix: `set serviceAccount.name: ${names.managerServiceAccount} in ${valuesFile}` });
    // The doctor reads a runner whose values name no Secret (runnerToken: the chart makes its own) as such.
    if (get(values, 'runners', 'secret') !== names.tokenSecret && !(from && names.tokenSecret === '')) broken(from ? `${valuesFile}: runners.secret is ${shown(get(values, 'runners', 'secret'))}, not ${names.tokenSecret}` : `helm values runners.secret is ${shown(get(values, 'runners', 'secret'))}, expected ${names.tokenSecret}`, { key: 'tokenSecret', fix: `set runners.secret: ${names.tokenSecret} in ${valuesFile}` });
    const chartToml = get(values, 'runners', 'config');
    // The doctor reads a config.toml given beside values without runners.config (or says it is missing, RF903).
    if (typeof chartToml !== 'string') {
      if (!from) broken('helm values runners.config is missing');
    } else {
      const parsed = emitted.helmRunnerToml === chartToml && emitted.helmRunnerTomlValue !== undefined ? emitted.helmRunnerTomlValue : tomlOrUndefined(chartToml);
      // Documents runner-fleet did not write may hold broken TOML (the doctor reports the parse
      // error on the file itself): the chain is broken there, never an internal error.
      if (parsed === undefined) broken('helm values runners.config is not valid TOML', undefined, 'fix the TOML in runners.config of the chart values');
      else out.push(...tomlNames(parsed, from ? `${valuesFile}: runners.config` : 'helm runners.config', from ? `runners.config in ${valuesFile}` : undefined));
    }
  }
  // The doctor's config.toml is the values' runners.config where they hold one: checked above.
  const toml = emitted.configToml;
  if (!from || toml !== emitted.helmRunnerTomlValue) out.push(...tomlNames(toml, from ? `${from.configToml ?? 'config.toml'}:` : `runners/${runner.name}/config.toml`, from ? (from.configToml ?? 'config.toml') : undefined));
  return out;

  /**
   * The jobs' service account and namespace a config.toml names. Without `service_account` job
   * pods run as the namespace's `default`; without `namespace` (documents the doctor read) the
   * chart runs them in its release namespace, which the doctor takes for the runner's.
   */
  function tomlNames(toml: unknown, label: string, file: string | undefined): Finding[] {
    const found: Finding[] = [];
    const flag = (message: string, key: 'jobServiceAccount' | 'namespace', fix: string) =>
      found.push({ code: 'RF106', severity: 'error', path: file !== undefined ? `${runnerPath}${CHAIN_KEYS[key]}` : runnerPath, message, fix: 'regenerate; the names must come from one resolved value', deploymentFix: fix });
    const written = get(toml, 'runners', '0', 'kubernetes', 'service_account') ?? 'default';
    const sa = typeof written === 'string' ? written : JSON.stringify(written);
    if (sa !== names.jobServiceAccount) flag(file !== undefined ? `${label} [runners.kubernetes] service_account is ${String(sa)}, but the jobs run as ${names.jobServiceAccount}` : `${label} service_account is not ${names.jobServiceAccount}`, 'jobServiceAccount', `set service_account = "${names.jobServiceAccount}" in [runners.kubernetes] of ${file ?? ''}`);
    const ns = get(toml, 'runners', '0', 'kubernetes', 'namespace');
    if (ns !== jobNamespace && !(file !== undefined && ns === undefined)) flag(file !== undefined ? `${label} [runners.kubernetes] namespace is ${String(ns)}, not ${jobNamespace}` : `${label} namespace is not ${jobNamespace}`, 'namespace', `set namespace = "${jobNamespace}" in [runners.kubernetes] of ${file ?? ''}`);
    return found;
  }
}

/** The runners of a cluster, in the fleet's order (an index per runner list: asked per cluster). */
export function runnersOfCluster(runners: readonly IntentRunner[], cluster: string): readonly IntentRunner[] {
  return allBy(runners, 'cluster', cluster);
}

/** Candidates of the all-pairs proof on a Kubernetes cluster: every service account the documents create, plus each namespace's `default`. */
export function kubernetesSubjects(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster): KubernetesSubject[] {
  const out: KubernetesSubject[] = [];
  const seen = new Set<string>();
  const add = (s: KubernetesSubject) => {
    const k = `${s.cluster}|${s.namespace}|${s.serviceAccount}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(s);
    }
  };
  for (const runner of runnersOfCluster(fleet.runners, cluster.name)) {
    const emitted = docs.runners.get(runner.name);
    if (!emitted) continue;
    for (const o of emitted.manifests) {
      if (o.kind === 'ServiceAccount' && o.metadata.namespace) add({ kind: 'kubernetes', cluster: runner.cluster, namespace: o.metadata.namespace, serviceAccount: o.metadata.name });
      if (o.kind === 'Namespace') add({ kind: 'kubernetes', cluster: runner.cluster, namespace: o.metadata.name, serviceAccount: 'default' });
    }
  }
  return out;
}

/** The same service account name in another namespace must never get the role. */
export function kubernetesDecoys(subject: IdentitySubject): IdentitySubject[] {
  return subject.kind === 'kubernetes' ? [{ ...subject, namespace: `${subject.namespace}-other` }] : [];
}
