import type { K8sObject } from '../artifacts.js';
import type { RotatorKubernetes } from '../../model/types.js';

type Target = RotatorKubernetes['targets'][number];

/**
 * Exactly the requests `runner-fleet rotate` makes (src/live/kubernetes.ts): GET and PUT of the
 * token Secret (PUT is RBAC verb update; a rotation never creates the Secret — register does), a
 * strategic-merge PATCH of the manager Deployment's pod template (the rollout restart) and a GET
 * of that Deployment (whether the manager is deployed: a restart-owed store whose manager is not
 * owes no restart, which status and the plans read; RBAC verb get for a GET of one named object,
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb).
 * Each rule names its object, so no other Secret or Deployment of the namespace is reachable, and
 * no Deployment is listed or watched. A Key Vault store's Secret is only read (the restart waits
 * for the CSI driver's sync): `secretVerbs` get.
 * No imports beyond types: platforms build these objects too, without an import cycle through the registry.
 */
export function rotatorRules(secret: string, deployment: string, secretVerbs: readonly string[] = ['get', 'update']) {
  return [
    { apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: [...secretVerbs] },
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [deployment], verbs: ['get', 'patch'] },
  ];
}

/**
 * The token rotator's grants in one runner namespace: a Role with exactly rotate's requests on
 * the runner's token Secret and manager Deployment (by resourceNames), bound to the rotator's
 * Kubernetes user. Nothing cluster-wide, no other object of the namespace.
 */
export function rotatorObjects(fleetName: string, kube: RotatorKubernetes, t: Target): K8sObject[] {
  const labels = { 'app.kubernetes.io/managed-by': 'runner-fleet', 'app.kubernetes.io/part-of': fleetName, 'runner-fleet.dev/runner': t.runner, 'app.kubernetes.io/component': 'token-rotator' };
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: t.role, namespace: t.namespace, labels }, rules: rotatorRules(t.secret, t.deployment, t.secretVerbs) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: t.roleBinding, namespace: t.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: t.role },
      subjects: [{ kind: 'User', name: kube.username, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  ];
}
