import type { AzureManagedIdentity, CloudIdentity, KubernetesNames, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import type { K8sObject } from '../../emit/artifacts.js';
import { runnerObjects } from '../../emit/kubernetes/objects.js';
import { AZURE_CLIENT_ID_ANNOTATION, AZURE_TENANT_ID_ANNOTATION } from '../../spec/azure.js';
import { findBy } from '../../model/lookup.js';

export interface RunnerIdentities {
  manager: AzureManagedIdentity;
  jobs: AzureManagedIdentity;
}

export function runnerIdentities(fleet: { identities: readonly CloudIdentity[] }, runner: { name: string; managerIdentity: string; jobIdentity?: string | undefined }): RunnerIdentities {
  const ids = runnerIdentitiesRead(fleet, runner);
  if (ids.jobs === undefined) throw new Error(`internal: AKS runner ${runner.name} has no job identity`);
  return { manager: ids.manager, jobs: ids.jobs };
}

/**
 * The identities of a runner as the proofs read them: a deployment the doctor reads may give its
 * jobs none (they run as a service account without a client id, such as the namespace's `default`);
 * `plan` always emits both.
 */
export function runnerIdentitiesRead(fleet: { identities: readonly CloudIdentity[] }, runner: { name: string; managerIdentity: string; jobIdentity?: string | undefined }): { manager: AzureManagedIdentity; jobs?: AzureManagedIdentity } {
  const find = (key: string) => {
    const id = findBy(fleet.identities, 'key', key);
    if (!id || id.cloud !== 'azure') throw new Error(`internal: runner ${runner.name} has no Azure identity ${key}`);
    return id;
  };
  return { manager: find(runner.managerIdentity), ...(runner.jobIdentity !== undefined ? { jobs: find(runner.jobIdentity) } : {}) };
}

/**
 * The Kubernetes objects of one AKS runner. `clientId` says where each service account's
 * client id comes from: a Terraform data-source reference, or the applied value.
 */
export function aksRunnerObjects(
  fleet: ResolvedFleet,
  runner: ResolvedRunner & { kubernetes: KubernetesNames },
  clientId: (id: AzureManagedIdentity) => string,
): { namespace: K8sObject; serviceAccounts: K8sObject[]; rbac: K8sObject[] } {
  const ids = runnerIdentities(fleet, runner);
  const annotate = (id: AzureManagedIdentity) => ({
    annotations: { [AZURE_CLIENT_ID_ANNOTATION]: clientId(id), [AZURE_TENANT_ID_ANNOTATION]: fleet.azure!.tenantId },
  });
  return runnerObjects(fleet, runner, runner.kubernetes, annotate(ids.manager), annotate(ids.jobs));
}
