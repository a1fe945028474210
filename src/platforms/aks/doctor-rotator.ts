import type { DoctorContext } from '../../doctor/types.js';
import type { ResolvedCluster } from '../../model/types.js';
import type { RotatorKubeIntent } from '../../verify/reach/intent.js';
import { tfName } from '../../emit/artifacts.js';
import { aksSpec, isCreatedAks } from './names.js';

/** `aks:<cluster name>@<resource group>`: the rotation job's `--kube-api` value for an AKS cluster. */
const AKS_KUBE_API = /^aks:([^@\s]+)@(\S+)$/;

/**
 * The token rotator on AKS clusters, read back (the doctor's side of rotator.ts): the clusters the
 * rotation job names with `--kube-api <cluster>=aks:<name>@<resource group>` that are clusters of
 * the evidence, each with its resource id (where the rotator must hold Azure Kubernetes Service
 * Cluster User Role), and its Kubernetes user: AKS-managed Entra ID authenticates the managed
 * identity as the User named by its principal id, so the user is the principal id reference that
 * the RoleBindings name (`${data.azurerm_user_assigned_identity.<k>.principal_id}` of an identity
 * of that name, or the resource's). A token-rotator RoleBinding naming something else still gives
 * the identity's own reference (the proof then says RF133); no RoleBinding at all: no user.
 */
export function aksRotatorKubernetes(ctx: DoctorContext, rotator: { identityName: string; kubeApi: ReadonlyMap<string, string> }, clusters: readonly ResolvedCluster[], subscriptionId: string): { username?: string; clusters: RotatorKubeIntent['clusters'] } | undefined {
  const out: RotatorKubeIntent['clusters'] = [];
  for (const [key, value] of rotator.kubeApi) {
    const m = AKS_KUBE_API.exec(value);
    if (!m) continue;
    const [, name, rg] = m as unknown as [string, string, string];
    const cluster = clusters.find((c) => c.name === key) ?? clusters.find((c) => (aksSpec(c).clusterName ?? c.name) === name);
    if (!cluster || out.some((c) => c.cluster === cluster.name)) continue;
    const id = isCreatedAks(cluster) ? `\${azurerm_kubernetes_cluster.${tfName(cluster.name)}.id}` : `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
    out.push({ cluster: cluster.name, apiName: `${name}@${rg}`, arn: id });
  }
  if (out.length === 0) return undefined;
  // References to the identity's principal id: every reference the evidence has to the identity (resource or data source).
  const refs = [...ctx.azure.clientIdRefs].filter(([, n]) => n === rotator.identityName).map(([ref]) => ref.replace(/\.client_id\}$/, '.principal_id}'));
  const bindings = ctx.objects.map((o) => o.value).filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
  const users = bindings.flatMap((b) => ((b.subjects as { kind: string; name: string }[] | undefined) ?? []).filter((s) => s.kind === 'User').map((s) => s.name));
  const named = users.find((u) => refs.includes(u));
  const labelled = bindings.some((b) => b.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator');
  const own = refs.find((r) => r.startsWith('${data.')) ?? refs[0];
  const username = named ?? (labelled ? own : undefined);
  return { ...(username !== undefined ? { username } : {}), clusters: out };
}
