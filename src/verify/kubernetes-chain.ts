import type { Finding } from '../spec/findings.js';
import type { IdentitySubject, KubernetesSubject, ResolvedCluster } from '../model/types.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import { get } from './get.js';
import { tomlOrUndefined } from './toml-read.js';

export function findServiceAccount(docs: FleetDocuments, runner: string, namespace: string, name: string): K8sObject | undefined {
  return docs.runners.get(runner)?.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === namespace && o.metadata.name === name);
}

/**
 * The Kubernetes half of the chain, read from the emitted documents: service accounts exist,
 * the RoleBinding names the manager, Helm values and both TOML documents name the same
 * namespace and service accounts.
 */
export function verifyKubernetesChain(docs: FleetDocuments, _fleet: FleetIntent, runner: IntentRunner, runnerPath: string): Finding[] {
  const names = runner.kubernetes!;
  const emitted = docs.runners.get(runner.name);
  const out: Finding[] = [];
  // `deploymentFix`: what to change in documents runner-fleet did not write (the doctor's).
  const broken = (message: string, deploymentFix: string) => out.push({ code: 'RF106', severity: 'error', path: runnerPath, message, fix: 'regenerate; the names must come from one resolved value', deploymentFix });
  if (!emitted) {
    broken(`nothing was emitted for runner ${runner.name}`, `give the chart values, config.toml and Kubernetes objects of runner ${runner.name}`);
    return out;
  }
  for (const sa of [names.managerServiceAccount, names.jobServiceAccount]) {
    if (!findServiceAccount(docs, runner.name, names.namespace, sa)) broken(`service account ${names.namespace}/${sa} is not in kubernetes/${runner.name}/service-accounts.yaml`, `create service account ${names.namespace}/${sa} (a ServiceAccount manifest, or serviceAccount.create in the chart values for the manager) and give it with the other files`);
  }
  // The manager's RoleBinding: the one whose subject is the manager and whose Role is in the documents.
  const bindsManager = (o: K8sObject) =>
    o.kind === 'RoleBinding' &&
    ((get(o, 'subjects') as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === names.managerServiceAccount && (s.namespace ?? o.metadata.namespace) === names.namespace);
  const binding = emitted.manifests.find((o) => bindsManager(o) && emitted.manifests.some((r) => r.kind === 'Role' && r.metadata.name === get(o, 'roleRef', 'name') && r.metadata.namespace === o.metadata.namespace));
  if (!binding) {
    broken(`no RoleBinding binds ${names.role ? `Role ${names.role}` : 'a Role of the documents'} to ${names.namespace}/${names.managerServiceAccount}`, `add a RoleBinding in namespace ${names.namespace} that binds the Role the Kubernetes executor needs (pods, pods/exec, pods/attach, secrets, …; rbac.create in the chart values writes one) to service account ${names.namespace}/${names.managerServiceAccount}, and give both with the other files`);
  }
  const values = emitted.helmValues;
  if (values) {
    if (get(values, 'serviceAccount', 'name') !== names.managerServiceAccount) broken(`helm values serviceAccount.name is ${String(get(values, 'serviceAccount', 'name'))}, expected ${names.managerServiceAccount}`, `set serviceAccount.name: ${names.managerServiceAccount} in the chart values`);
    if (get(values, 'runners', 'secret') !== names.tokenSecret) broken(`helm values runners.secret is ${String(get(values, 'runners', 'secret'))}, expected ${names.tokenSecret}`, `set runners.secret: ${names.tokenSecret} in the chart values`);
    const chartToml = get(values, 'runners', 'config');
    if (typeof chartToml !== 'string') broken('helm values runners.config is missing', "put the runner's config.toml into runners.config of the chart values");
    else {
      const parsed = emitted.helmRunnerToml === chartToml && emitted.helmRunnerTomlValue !== undefined ? emitted.helmRunnerTomlValue : tomlOrUndefined(chartToml);
      // Documents runner-fleet did not write may hold broken TOML (the doctor reports the parse
      // error on the file itself): the chain is broken there, never an internal error.
      if (parsed === undefined) broken('helm values runners.config is not valid TOML', 'fix the TOML in runners.config of the chart values');
      else {
        if (get(parsed, 'runners', '0', 'kubernetes', 'service_account') !== names.jobServiceAccount) broken(`helm runners.config service_account is not ${names.jobServiceAccount}`, `set service_account = "${names.jobServiceAccount}" in [runners.kubernetes] of runners.config in the chart values`);
        if (get(parsed, 'runners', '0', 'kubernetes', 'namespace') !== names.namespace) broken(`helm runners.config namespace is not ${names.namespace}`, `set namespace = "${names.namespace}" in [runners.kubernetes] of runners.config in the chart values`);
      }
    }
  }
  const toml = emitted.configToml;
  if (get(toml, 'runners', '0', 'kubernetes', 'service_account') !== names.jobServiceAccount) broken(`runners/${runner.name}/config.toml service_account is not ${names.jobServiceAccount}`, `set service_account = "${names.jobServiceAccount}" in [runners.kubernetes] of the runner's config.toml`);
  if (get(toml, 'runners', '0', 'kubernetes', 'namespace') !== names.namespace) broken(`runners/${runner.name}/config.toml namespace is not ${names.namespace}`, `set namespace = "${names.namespace}" in [runners.kubernetes] of the runner's config.toml`);
  return out;
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
  for (const runner of fleet.runners) {
    const emitted = docs.runners.get(runner.name);
    if (!emitted || runner.cluster !== cluster.name) continue;
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
