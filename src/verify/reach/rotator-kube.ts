import type { K8sObject } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { FleetIntent } from '../intent.js';
import { awsFacts, parseRef, resolveValue } from '../aws-docs.js';
import type { RotatorKubeIntent } from './intent.js';
import { adviceThenRegenerate } from '../../spec/findings.js';

/**
 * The token rotator's Kubernetes identity, proven from the documents: the access entry that maps
 * its role to a user (no access policy, no group, that username: RF134), and the RBAC bound to
 * that user, evaluated like the API server's RBAC authorizer for rotate's requests (RF127 when
 * one is refused) and for look-alikes — another Secret, a list, a delete, another Deployment,
 * exec into a pod, another namespace, escalation (RF129 when one is allowed).
 */

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}
interface Grant {
  /** undefined: every namespace (ClusterRoleBinding). */
  namespace?: string;
  rules: Rule[];
}
interface Access {
  namespace: string;
  group: string;
  resource: string;
  verb: string;
  name?: string;
}

const PROBE = 'runner-fleet-probe';
const has = (list: string[] | undefined, v: string) => (list ?? []).includes(v) || (list ?? []).includes('*');

function ruleAllows(rule: Rule, a: Access): boolean {
  if (!has(rule.apiGroups, a.group) || !has(rule.resources, a.resource) || !has(rule.verbs, a.verb)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

/** The grants of one cluster: cluster-wide, and by namespace (each request reads its namespace's alone). */
interface Grants {
  everywhere: Grant[];
  byNamespace: Map<string, Grant[]>;
}
function addGrant(grants: Grants, g: Grant): void {
  if (g.namespace === undefined) {
    grants.everywhere.push(g);
    return;
  }
  const list = grants.byNamespace.get(g.namespace);
  if (list) list.push(g);
  else grants.byNamespace.set(g.namespace, [g]);
}
const allowedBy = (list: readonly Grant[] | undefined, a: Access) => (list ?? []).some((g) => g.rules.some((r) => ruleAllows(r, a)));
const allows = (grants: Grants, a: Access) => allowedBy(grants.everywhere, a) || allowedBy(grants.byNamespace.get(a.namespace), a);
const describe = (a: Access) => `${a.verb} ${a.group === '' ? '' : `${a.group}/`}${a.resource}${a.name !== undefined ? `/${a.name}` : ''} in ${a.namespace}`;

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** RBAC objects of one cluster: the manifests of its runners, each object once. */
function clusterObjects(docs: FleetDocuments, intent: FleetIntent, cluster: string): K8sObject[] {
  const seen = new Set<string>();
  const out: K8sObject[] = [];
  for (const r of intent.runners) {
    if (r.cluster !== cluster) continue;
    for (const o of docs.runners.get(r.name)?.manifests ?? []) {
      if (!/^(Cluster)?Role(Binding)?$/.test(o.kind)) continue;
      const k = `${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(o);
    }
  }
  return out;
}

/** The rotator's RoleBinding in a namespace: the one binding its user, else none (`bindings`: the namespace's RoleBindings, in order). */
function rotatorBindingName(bindings: readonly K8sObject[], username: string): string | undefined {
  return bindings.find((o) => ((o.subjects as { kind: string; name: string }[] | undefined) ?? []).some((s) => s.kind === 'User' && s.name === username))?.metadata.name;
}

/** The same list by a key, each key's objects in the list's order (undefined: left out). */
function groupBy<K>(objects: readonly K8sObject[], key: (o: K8sObject) => K | undefined): Map<K, K8sObject[]> {
  const out = new Map<K, K8sObject[]>();
  for (const o of objects) {
    const k = key(o);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(o);
    else out.set(k, [o]);
  }
  return out;
}

export function verifyRotatorKubernetes(docs: FleetDocuments, intent: FleetIntent, kube: RotatorKubeIntent, roleName: string, path: string): { findings: Finding[]; claim: string } {
  const findings: Finding[] = [];
  // Access entries: the role's mapping to a Kubernetes user, on every cluster it rotates in.
  const facts = awsFacts(docs);
  const root = docs.terraformAws;
  const isRotator = (principal: unknown) => {
    const ref = parseRef(principal);
    if (ref?.type === 'aws_iam_role') return facts?.roleKeys.get(ref.name) === roleName;
    if (ref?.type === 'aws_eks_access_entry' && root) return isRotatorEntry(root.resource.aws_eks_access_entry?.[ref.name]?.principal_arn);
    return typeof principal === 'string' && principal.endsWith(`/${roleName}`);
  };
  const isRotatorEntry = (principal: unknown) => {
    const ref = parseRef(principal);
    return ref?.type === 'aws_iam_role' ? facts?.roleKeys.get(ref.name) === roleName : typeof principal === 'string' && principal.endsWith(`/${roleName}`);
  };
  const aks = kube.mapping === 'aks-entra-id';
  // AKS: the managed identity is the user its principal id names; there is no access entry to prove.
  const entries = root && !aks ? Object.entries(root.resource.aws_eks_access_entry ?? {}).filter(([, b]) => isRotatorEntry(b.principal_arn)) : [];
  for (const c of aks ? [] : kube.clusters) {
    if (!entries.some(([, b]) => root && resolveValue(root, b.cluster_name) === c.apiName)) {
      findings.push(f('RF127', path, `the token rotator ${roleName} has no access entry on EKS cluster ${c.apiName}, so it cannot reach the Secrets and Deployments there`, { fix: 'regenerate terraform/aws', deploymentFix: `add an aws_eks_access_entry for the token rotator ${roleName} on cluster ${c.apiName}, with the user name its RoleBindings name` }));
    }
  }
  for (const [key, b] of entries) {
    const groups = (b.kubernetes_groups as string[] | undefined) ?? [];
    const type = (b.type as string | undefined) ?? 'STANDARD';
    const user = b.user_name as string | undefined;
    if (type !== 'STANDARD' || groups.length > 0 || user !== kube.username) {
      findings.push(
        f('RF134', path, `access entry ${key} of the token rotator ${roleName} ${type !== 'STANDARD' ? `has type ${type}` : groups.length > 0 ? `puts it in Kubernetes groups ${groups.join(', ')}` : `maps it to user ${String(user)}`}`, {
          received: JSON.stringify({ type, kubernetes_groups: groups, user_name: user ?? null }),
          allowed: `type STANDARD, no kubernetes_groups, user_name ${kube.username}`,
          ...adviceThenRegenerate('the rotator gets its rights from the RoleBindings in its runners\' namespaces only'),
        }),
      );
    }
  }
  for (const [key, b] of aks ? [] : Object.entries(root?.resource.aws_eks_access_policy_association ?? {})) {
    if (isRotator(b.principal_arn)) {
      findings.push(f('RF134', path, `access policy association ${key} grants the token rotator ${roleName} ${String(b.policy_arn)}`, { received: String(b.policy_arn), allowed: 'no access policy', fix: 'remove the association; the RoleBindings grant what rotate needs' }));
    }
  }
  // RBAC bound to the rotator's user, per cluster.
  let probes = 0;
  for (const c of kube.clusters) {
    const targets = kube.targets.filter((t) => t.cluster === c.cluster);
    const objects = clusterObjects(docs, intent, c.cluster);
    // Indexed once per cluster: each binding and each target looks its objects up (a scan of every
    // object per binding and per target grew with the square of the runners).
    // By kind, then by the name as given (a Map key compares as === does, for any value the doctor read).
    const byKindName = new Map<string, Map<unknown, K8sObject[]>>();
    for (const [kind, list] of groupBy(objects, (o) => o.kind)) byKindName.set(kind, groupBy(list, (o) => o.metadata.name as unknown));
    const roleBindingsIn = groupBy(objects, (o) => (o.kind === 'RoleBinding' ? o.metadata.namespace : undefined));
    const find = (kind: string, name: string, namespace?: string) => (byKindName.get(kind)?.get(name) ?? []).find((o) => namespace === undefined || o.metadata.namespace === namespace);
    const grants: Grants = { everywhere: [], byNamespace: new Map() };
    for (const b of objects) {
      if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
      const subjects = (b.subjects as { kind: string; name: string }[] | undefined) ?? [];
      if (!subjects.some((s) => s.kind === 'User' && s.name === kube.username)) continue;
      // A binding without a roleRef or its name (the doctor reads what users wrote) grants nothing:
      // the API server refuses to create one.
      const ref = b.roleRef as { kind?: string; name?: string } | null | undefined;
      if (!ref || typeof ref.name !== 'string') continue;
      const refName = ref.name;
      const where = b.kind === 'ClusterRoleBinding' ? 'cluster-wide' : `in ${b.metadata.namespace ?? '?'}`;
      if (b.kind === 'ClusterRoleBinding') findings.push(f('RF129', path, `ClusterRoleBinding ${b.metadata.name} binds the token rotator's user ${kube.username} to ${ref.kind} ${ref.name} in every namespace of cluster ${c.cluster}`, { received: `ClusterRoleBinding ${b.metadata.name}`, allowed: 'a RoleBinding in each runner namespace', ...adviceThenRegenerate('bind the rotator per namespace to a Role naming its Secret and Deployment') }));
      const role = ref.kind === 'Role' ? find('Role', refName, b.metadata.namespace) : find('ClusterRole', refName);
      if (!role) {
        if (ref.kind === 'ClusterRole') findings.push(f('RF129', path, `${b.kind} ${b.metadata.name} (${where}) binds the token rotator to ClusterRole ${ref.name}, whose rules are in no document here`, { received: `ClusterRole ${ref.name}`, allowed: 'a Role naming the token Secret and the manager Deployment', fix: 'regenerate', deploymentFix: `bind the token rotator's user ${kube.username} in ${b.kind === 'RoleBinding' ? `namespace ${b.metadata.namespace ?? '?'}` : 'each runner namespace'} to a Role whose rules name the token Secret and the manager Deployment (resourceNames), not to ClusterRole ${ref.name}` }));
        continue;
      }
      addGrant(grants, { ...(b.kind === 'RoleBinding' ? { namespace: b.metadata.namespace ?? '' } : {}), rules: (role.rules as Rule[] | undefined) ?? [] });
    }
    for (const t of targets) {
      const secretVerbs = t.secretVerbs ?? ['get', 'update'];
      // AKS: the rotator's own RoleBinding must name its managed identity's principal id, as a User (RF133).
      if (aks) {
        const inNamespace = roleBindingsIn.get(t.namespace) ?? [];
        const own = find('RoleBinding', rotatorBindingName(inNamespace, kube.username) ?? '', t.namespace) ?? inNamespace.find((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator');
        const subjects = (own?.subjects as { kind: string; name: string }[] | undefined) ?? [];
        const wrong = subjects.filter((s) => s.kind !== 'User' || s.name !== kube.username);
        if (own && (wrong.length > 0 || !subjects.some((s) => s.kind === 'User' && s.name === kube.username))) {
          findings.push(
            f('RF133', path, `RoleBinding ${t.namespace}/${own.metadata.name} of the token rotator names ${wrong.map((s) => `${s.kind} ${s.name}`).join(', ') || 'no subject'}, not its managed identity (AKS authenticates it as the User named by its principal id)`, {
              received: JSON.stringify(subjects),
              allowed: `[{ kind: User, name: ${kube.username} }]`,
              fix: 'bind the rotator\'s Role to its principal id only (no groups, no client id); regenerate terraform/azure-k8s',
            }),
          );
        }
      }
      // Not `get` of the Deployment: a Role written before stop 57 has patch alone, and rotate then
      // says a restart-owed store's manager is "not known" to be deployed (it restarts it) — correct, not a gap.
      const need: Access[] = [
        ...secretVerbs.map((verb) => ({ namespace: t.namespace, group: '', resource: 'secrets', verb, name: t.secret })),
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'patch', name: t.deployment },
      ];
      for (const a of need) if (!allows(grants, a)) findings.push(f('RF127', path, `the token rotator's user ${kube.username} cannot ${describe(a)} (runner ${t.runner})`, { fix: 'regenerate kubernetes/<runner>/token-rotator.yaml and apply it', deploymentFix: `grant the token rotator's user ${kube.username} ${describe(a)} with a Role and RoleBinding in the runner's namespace` }));
      const lookalikes: Access[] = [
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'get', name: `${PROBE}-other-secret` },
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'update', name: `${PROBE}-other-secret` },
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'list' },
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'watch' },
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'create' },
        { namespace: t.namespace, group: '', resource: 'secrets', verb: 'delete', name: t.secret },
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'patch', name: `${PROBE}-other-deployment` },
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'get', name: `${PROBE}-other-deployment` },
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'list' },
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'update', name: t.deployment },
        { namespace: t.namespace, group: 'apps', resource: 'deployments', verb: 'delete', name: t.deployment },
        { namespace: t.namespace, group: '', resource: 'pods/exec', verb: 'create', name: `${PROBE}-pod` },
        { namespace: t.namespace, group: '', resource: 'pods', verb: 'create' },
        { namespace: t.namespace, group: 'rbac.authorization.k8s.io', resource: 'roles', verb: 'escalate', name: `${PROBE}-role` },
        { namespace: t.namespace, group: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create' },
        { namespace: t.namespace, group: '', resource: 'serviceaccounts/token', verb: 'create', name: `${PROBE}-sa` },
        { namespace: `${PROBE}-namespace`, group: '', resource: 'secrets', verb: 'get', name: t.secret },
        { namespace: 'kube-system', group: '', resource: 'secrets', verb: 'get', name: t.secret },
        // A Key Vault store's Secret is the CSI driver's: the rotator only reads it.
        ...(secretVerbs.includes('update') ? [] : [{ namespace: t.namespace, group: '', resource: 'secrets', verb: 'update', name: t.secret }, { namespace: t.namespace, group: '', resource: 'secrets', verb: 'patch', name: t.secret }]),
      ];
      probes += lookalikes.length;
      for (const a of lookalikes) {
        if (allows(grants, a)) findings.push(f('RF129', path, `the token rotator's user ${kube.username} may ${describe(a)} (runner ${t.runner})`, { received: describe(a), allowed: `${secretVerbs.join(', ')} secrets/${t.secret} and get, patch apps/deployments/${t.deployment} in ${t.namespace}`, ...adviceThenRegenerate('grant the rotator a Role with resourceNames and exactly those verbs') }));
      }
    }
    // RoleBindings of the rotator in namespaces it rotates nothing in.
    const namespaces = new Set(targets.map((t) => t.namespace));
    for (const b of objects) {
      if (b.kind !== 'RoleBinding' || namespaces.has(b.metadata.namespace ?? '')) continue;
      const subjects = (b.subjects as { kind: string; name: string }[] | undefined) ?? [];
      if (subjects.some((s) => s.kind === 'User' && s.name === kube.username)) findings.push(f('RF129', path, `RoleBinding ${b.metadata.name} binds the token rotator's user in namespace ${b.metadata.namespace ?? '?'}, where it rotates no runner`, { received: `${b.metadata.namespace ?? '?'}/${b.metadata.name}`, ...adviceThenRegenerate('remove the binding') }));
    }
  }
  const entriesText = kube.clusters.map((c) => c.apiName).join(', ');
  const readOnly = kube.targets.filter((t) => !(t.secretVerbs ?? ['get', 'update']).includes('update')).length;
  const secretsText = readOnly === 0 ? `get and update ${kube.targets.length} token Secret(s)` : readOnly === kube.targets.length ? `get ${kube.targets.length} synced token Secret(s)` : `get ${kube.targets.length} token Secret(s) and update ${kube.targets.length - readOnly} of them`;
  return {
    findings,
    claim: aks
      ? `token rotator ${roleName} is the Kubernetes user named by its managed identity's principal id (Entra ID on AKS ${entriesText}; RoleBindings only, no group, no ClusterRole) and may only ${secretsText} and get and patch their manager Deployments, by name (a patch may rewrite a Deployment's pod template: any image, command and service account of its namespace); ${probes} look-alike requests refused`
      : `token rotator ${roleName} is Kubernetes user ${kube.username} (access entry without policy or group on ${entriesText}) and may only ${secretsText} and get and patch their manager Deployments, by name (a patch may rewrite a Deployment's pod template: any image, command and service account of its namespace); ${probes} look-alike requests refused`,
  };
}
