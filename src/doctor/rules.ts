import { madeByCommandClause, serviceAccountsMadeByCommands } from './kubectl-create.js';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import { get } from '../verify/get.js';
import { formatPosition, originAt, type Origin } from './source.js';
import type { Evidence } from './evidence.js';
import type { Inferred } from './infer.js';

function finding(code: Code, origin: Origin | undefined, path: (string | number)[], message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path: origin ? formatPosition(originAt(origin, ...path)) : '', message, ...extra };
}

const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/**
 * Rules over the evidence itself that a generated fleet cannot break (runner-fleet never writes
 * these documents): references in both directions, cluster-wide RBAC, aws-auth, cross-account
 * trust. The identity-chain proofs themselves are in `verifyFleet`, shared with `plan`.
 */
export function doctorRules(ev: Evidence, inferred: Inferred): Finding[] {
  // ServiceAccounts a script's `kubectl create serviceaccount` makes, read once where RF904 needs them.
  let made: ReturnType<typeof serviceAccountsMadeByCommands> | undefined;
  const out: Finding[] = [];
  const objects = ev.kubernetes;
  const serviceAccounts = new Set(objects.filter((o) => o.value.kind === 'ServiceAccount').map((o) => `${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`));
  // The namespaces the objects cover; an eksctl ClusterConfig is a file of eksctl's, not an object of any namespace.
  const namespaces = new Set(objects.filter((o) => !o.value.apiVersion.startsWith('eksctl.io/')).map((o) => o.value.metadata.namespace ?? 'default'));
  const managerSas = new Set(inferred.intent.runners.map((r) => `${r.kubernetes?.namespace ?? ''}/${r.kubernetes?.managerServiceAccount ?? ''}`));
  // Every manager found, its chain proven or not: RBAC that gives one every verb is said either way.
  const rbacManagers = new Set([...managerSas, ...inferred.managerServiceAccounts]);
  const roleKey = (kind: string, ns: string | undefined, name: string) => `${kind}|${kind === 'ClusterRole' ? '' : (ns ?? 'default')}|${name}`;
  const roles = new Map(objects.filter((o) => o.value.kind === 'Role' || o.value.kind === 'ClusterRole').map((o) => [roleKey(o.value.kind, o.value.metadata.namespace, o.value.metadata.name), o]));

  for (const b of objects.filter((o) => o.value.kind === 'RoleBinding' || o.value.kind === 'ClusterRoleBinding')) {
    const ref = get(b.value, 'roleRef') as { kind?: string; name?: string } | undefined;
    const ns = b.value.metadata.namespace;
    const target = ref?.kind && ref.name ? roles.get(roleKey(ref.kind, ns, ref.name)) : undefined;
    // Built-in ClusterRoles (cluster-admin, admin, edit, view, system:*) are not in files.
    const builtin = ref?.kind === 'ClusterRole' && /^(cluster-admin|admin|edit|view|system:.*)$/.test(ref.name ?? '');
    if (!target && !builtin && ref?.name) {
      out.push(finding('RF904', b.origin, ['roleRef', 'name'], `${b.value.kind} ${ns ? `${ns}/` : ''}${b.value.metadata.name} binds ${ref.kind ?? 'Role'} ${ref.name}, which is not among the objects given`, { received: ref.name, fix: `create ${ref.kind ?? 'Role'} ${ref.name}, or bind an existing one` }));
    }
    list(get(b.value, 'subjects')).forEach((s, i) => {
      const subj = s as { kind?: string; name?: string; namespace?: string };
      if (subj.kind !== 'ServiceAccount' || !subj.name) return;
      const sns = subj.namespace ?? ns ?? 'default';
      // The chart's own service account exists once the release is installed, as does every namespace's `default`.
      const exists = serviceAccounts.has(`${sns}/${subj.name}`) || inferred.chartServiceAccounts.has(`${sns}/${subj.name}`) || inferred.unplacedServiceAccounts.has(subj.name) || subj.name === 'default';
      if (namespaces.has(sns) && !exists) {
        out.push(finding('RF904', b.origin, ['subjects', i, 'name'], `${b.value.kind} ${b.value.metadata.name} binds service account ${sns}/${subj.name}, which does not exist among the objects given${madeByCommandClause((made ??= serviceAccountsMadeByCommands(ev.texts)), sns, subj.name)}`, { received: subj.name, fix: 'bind the service account the manager runs as', subject: { kind: 'service-account', namespace: sns, name: subj.name } }));
      }
      // RBAC * on * for a manager.
      if (rbacManagers.has(`${sns}/${subj.name}`) && target) {
        const rules = list(get(target.value, 'rules')) as { verbs?: unknown; resources?: unknown }[];
        if (rules.some((r) => list(r.verbs).includes('*') && list(r.resources).includes('*'))) {
          out.push(finding('RF907', target.origin, ['rules'], `${ref?.kind ?? 'Role'} ${ref?.name ?? ''} gives the manager ${sns}/${subj.name} every verb on every resource`, { fix: 'grant the executor verbs only: pods, pods/exec, pods/attach, pods/log, secrets, configmaps, services (see the gitlab-runner Kubernetes executor docs)' }));
        }
      }
      if (rbacManagers.has(`${sns}/${subj.name}`) && ref?.kind === 'ClusterRole' && ref.name === 'cluster-admin') {
        out.push(finding('RF907', b.origin, ['roleRef', 'name'], `${b.value.kind} ${b.value.metadata.name} makes the manager ${sns}/${subj.name} cluster-admin`, { fix: 'bind a namespaced Role with the executor verbs only' }));
      }
    });
  }
  // Helm values: rbac.rules with * on * (the chart creates that Role for the manager).
  for (const v of ev.helmValues) {
    const rules = list(get(v.value, 'rbac', 'rules')) as { verbs?: unknown; resources?: unknown }[];
    const i = rules.findIndex((r) => r !== null && typeof r === 'object' && list(r.verbs).includes('*') && list(r.resources).includes('*'));
    if (i >= 0 && get(v.value, 'rbac', 'create') === true) out.push(finding('RF907', v.origin, ['rbac', 'rules', i], 'rbac.rules gives the manager every verb on every resource', { fix: 'list the executor verbs and resources only' }));
    // No rules at all: the chart's default rule is every verb on every resource of the core API group (templates/role.yaml).
    if (rules.length === 0 && get(v.value, 'rbac', 'create') === true) {
      const wide = get(v.value, 'rbac', 'clusterWideAccess') === true;
      out.push(finding('RF907', v.origin, ['rbac', 'create'], `rbac.create: true without rbac.rules: the chart's ${wide ? 'ClusterRole' : 'Role'} then gives the manager every verb on every resource of the core API group (Secrets included) ${wide ? 'in every namespace' : 'in its namespace'}`, { fix: 'list the executor resources and verbs in rbac.rules (pods, pods/exec, pods/attach, pods/log, secrets, configmaps, services; see the gitlab-runner Kubernetes executor docs)' }));
    }
  }
  // aws-auth: system:masters.
  for (const o of objects.filter((x) => x.value.kind === 'ConfigMap' && x.value.metadata.name === 'aws-auth')) {
    for (const key of ['mapRoles', 'mapUsers']) {
      const text = get(o.value, 'data', key);
      if (typeof text === 'string' && /system:masters/.test(text)) {
        const who = /(?:rolearn|userarn):\s*(\S+)[\s\S]*?system:masters/.exec(text)?.[1] ?? 'an entry';
        out.push(finding('RF908', o.origin, ['data', key], `aws-auth ${key} maps ${who} to system:masters: it is cluster-admin, cannot be narrowed by RBAC, and is invisible to access-entry audits`, { fix: 'map it to a group bound to a narrower ClusterRole, or move to an EKS access entry with a scoped access policy' }));
      }
    }
  }
  // Pod Identity associations naming a service account that does not exist in a namespace the objects cover.
  for (const [key, body] of Object.entries(ev.terraform.resource.aws_eks_pod_identity_association ?? {})) {
    const ns = body.namespace;
    const sa = body.service_account;
    if (typeof ns !== 'string' || typeof sa !== 'string' || !namespaces.has(ns) || serviceAccounts.has(`${ns}/${sa}`) || managerSas.has(`${ns}/${sa}`) || inferred.chartServiceAccounts.has(`${ns}/${sa}`)) continue;
    const present = [...new Set([...serviceAccounts, ...managerSas])].filter((k) => k.startsWith(`${ns}/`)).map((k) => k.slice(ns.length + 1)).sort();
    out.push(finding('RF904', ev.terraform.origins.get(`aws_eks_pod_identity_association.${key}`), ['service_account'], `Pod Identity association aws_eks_pod_identity_association.${key} binds service account ${ns}/${sa}, which does not exist among the objects given (namespace ${ns} has ${present.length > 0 ? present.join(', ') : 'no service account'}): no pod gets its role through it`, { received: sa, ...(present.length > 0 ? { allowed: present.join(', ') } : {}), fix: 'name the service account the pods run as in service_account', subject: { kind: 'service-account', namespace: ns, name: sa } }));
  }
  // Trust: cross-account without ExternalId; trust subjects naming service accounts that do not exist.
  const root = inferred.docs.terraformAws;
  // The fleet's accounts, made once for every role (per role, a list of every runner per role).
  let ownAccounts: Set<string> | undefined;
  for (const [k, body] of Object.entries(root?.resource.aws_iam_role ?? {})) {
    let trust: { Statement?: unknown };
    try {
      trust = JSON.parse(String(body.assume_role_policy)) as { Statement?: unknown };
    } catch {
      continue;
    }
    // Where the trust itself is written when the evidence says (HCL attribute, rendered data document), else the role.
    const trustAt = ev.terraform.origins.get(`aws_iam_role.${k}.assume_role_policy`);
    const origin = trustAt ?? ev.terraform.origins.get(`aws_iam_role.${k}`);
    // The fleet's accounts: its own and each runner's (roots in several accounts); a trust between
    // them is not of another account here (a deploy target's is proven apart, RF110-RF116).
    const own = (ownAccounts ??= new Set([inferred.intent.aws?.accountId, ...inferred.intent.runners.map((r) => r.account)].filter((a) => a !== undefined)));
    list(trust.Statement).forEach((s, i) => {
      const st = s as { Principal?: { AWS?: unknown }; Condition?: Record<string, Record<string, unknown>>; Effect?: string };
      if (st.Effect !== 'Allow') return;
      for (const p of list(st.Principal?.AWS).map(String)) {
        const acct = /^(\d{12})$|^arn:[^:]+:iam::(\d{12}):/.exec(p);
        const other = acct ? (acct[1] ?? acct[2]) : undefined;
        const hasExternalId = Object.values(st.Condition ?? {}).some((block) => Object.keys(block).some((key) => key.toLowerCase() === 'sts:externalid'));
        if ((p === '*' || (other !== undefined && !own.has(other))) && !hasExternalId) {
          out.push(finding('RF909', origin, [], `role ${String(body.name)} trusts ${p} without an sts:ExternalId condition`, { received: p, fix: 'add Condition StringEquals sts:ExternalId, or trust a named role of the other account with conditions' }));
        }
      }
      for (const [op, block] of Object.entries(st.Condition ?? {})) {
        for (const [key, v] of Object.entries(block)) {
          if (!/:sub$/.test(key)) continue;
          for (const sub of list(v).map(String)) {
            const m = /^system:serviceaccount:([^:*?]+):([^:*?]+)$/.exec(sub);
            if (m && namespaces.has(m[1]!) && !serviceAccounts.has(`${m[1]!}/${m[2]!}`) && !managerSas.has(`${m[1]!}/${m[2]!}`) && !inferred.chartServiceAccounts.has(`${m[1]!}/${m[2]!}`)) {
              out.push(finding('RF904', origin, trustAt ? [...(Array.isArray(trust.Statement) ? ['Statement', i] : ['Statement']), 'Condition', op, key] : [], `role ${String(body.name)} trusts ${sub}, but namespace ${m[1]!} has no service account ${m[2]!} among the objects given`, { received: sub, fix: 'name the service account the pods really run as (check for suffixes the chart adds)' }));
            }
          }
        }
      }
    });
  }
  return out;
}
