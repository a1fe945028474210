import type { K8sObject, TerraformResources } from '../artifacts.js';
import { tfName } from '../artifacts.js';
import type { ResolvedFleet, RotatorKubernetes } from '../../model/types.js';
import { platformFor } from '../../platforms/registry.js';
import { rotatorRules } from '../../spec/resolve-operations.js';
import { ROTATOR_KEY } from '../../spec/resolve-operations.js';

type Target = RotatorKubernetes['targets'][number];

/**
 * The token rotator's grants in one runner namespace: a Role with exactly rotate's requests on
 * the runner's token Secret and manager Deployment (by resourceNames), bound to the rotator's
 * Kubernetes user. Nothing cluster-wide, no other object of the namespace.
 */
export function rotatorObjects(fleet: ResolvedFleet, kube: RotatorKubernetes, t: Target): K8sObject[] {
  const labels = { 'app.kubernetes.io/managed-by': 'runner-fleet', 'app.kubernetes.io/part-of': fleet.name, 'runner-fleet.dev/runner': t.runner, 'app.kubernetes.io/component': 'token-rotator' };
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: t.role, namespace: t.namespace, labels }, rules: rotatorRules(t.secret, t.deployment) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: t.roleBinding, namespace: t.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: t.role },
      subjects: [{ kind: 'User', name: kube.username, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  ];
}

/** The cluster side of the rotator's identity in terraform/aws (EKS: an access entry per cluster). */
export function rotatorClusterResources(fleet: ResolvedFleet, kube: RotatorKubernetes): TerraformResources[] {
  return kube.clusters.map(({ cluster: name }) => {
    const cluster = fleet.clusters.find((c) => c.name === name)!;
    return platformFor(cluster.type).rotatorAccess!.terraformAws(fleet, cluster, `\${aws_iam_role.${tfName(ROTATOR_KEY)}.arn}`, kube.username);
  });
}
