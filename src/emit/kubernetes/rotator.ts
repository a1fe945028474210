import type { K8sObject, TerraformResources } from '../artifacts.js';
import { tfName } from '../artifacts.js';
import type { ResolvedFleet, RotatorKubernetes } from '../../model/types.js';
import { platformFor } from '../../platforms/registry.js';
import { ROTATOR_KEY } from '../../spec/resolve-operations.js';
import { rotatorObjects as objectsOf } from './rotator-objects.js';

type Target = RotatorKubernetes['targets'][number];

/** The token rotator's Role and RoleBinding in one runner namespace (rotator-objects.ts). */
export function rotatorObjects(fleet: ResolvedFleet, kube: RotatorKubernetes, t: Target): K8sObject[] {
  return objectsOf(fleet.name, kube, t);
}

/** The cluster side of the rotator's identity in terraform/aws (EKS: an access entry per cluster). */
export function rotatorClusterResources(fleet: ResolvedFleet, kube: RotatorKubernetes): TerraformResources[] {
  return kube.clusters.map(({ cluster: name }) => {
    const cluster = fleet.clusters.find((c) => c.name === name)!;
    return platformFor(cluster.type).rotatorAccess!.terraformAws!(fleet, cluster, `\${aws_iam_role.${tfName(ROTATOR_KEY)}.arn}`, kube.username);
  });
}
