import type { DoctorReader, DoctorBinding, DoctorContext } from '../../doctor/types.js';
import { associationRole, parseRef, podIdentityAssociations, type PodIdentityAssociation } from '../../verify/aws-docs.js';
import { POD_IDENTITY_PRINCIPAL, ROLE_ARN_ANNOTATION } from './names.js';
import { eksClusterNames, eksRotatorKubernetes } from './doctor-cluster.js';
import { podIdentitySessionTagsNotShown, podIdentityTrustRefusal } from './doctor-trust-refusal.js';

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/;

function statements(doc: unknown): Record<string, unknown>[] {
  const st = (doc as { Statement?: unknown } | undefined)?.Statement;
  return (Array.isArray(st) ? st : st ? [st] : []) as Record<string, unknown>[];
}

/** The issuer a role's trust admits web-identity tokens from (`…:oidc-provider/<host/path>`). */
export function trustedIssuer(trust: unknown): string | undefined {
  for (const s of statements(trust)) {
    const fed = (s.Principal as { Federated?: unknown } | undefined)?.Federated;
    for (const f of [fed].flat()) {
      const m = typeof f === 'string' ? /:oidc-provider\/(.+)$/.exec(f) : null;
      if (m) return `https://${m[1]!}`;
    }
  }
  return undefined;
}

/** Pod Identity associations by namespace and service account, in the root's order (built once per doctor run: every service account asks). */
const associationIndex = new WeakMap<DoctorContext, Map<string, Map<string, PodIdentityAssociation[]>>>();
function associationsOf(ctx: DoctorContext, namespace: string, serviceAccount: string): readonly PodIdentityAssociation[] {
  let index = associationIndex.get(ctx);
  if (!index) {
    index = new Map();
    for (const a of podIdentityAssociations(ctx.root)) {
      if (typeof a.body.namespace !== 'string' || typeof a.body.service_account !== 'string') continue;
      let byName = index.get(a.namespace);
      if (!byName) index.set(a.namespace, (byName = new Map<string, PodIdentityAssociation[]>()));
      let list = byName.get(a.serviceAccount);
      if (!list) byName.set(a.serviceAccount, (list = []));
      list.push(a);
    }
    associationIndex.set(ctx, index);
  }
  return index.get(namespace)?.get(serviceAccount) ?? [];
}

/** Whether a trust policy lets EKS Pod Identity (the service principal) assume the role. */
function trustsPodIdentity(trust: unknown): boolean {
  return statements(trust).some((st) => st.Effect === 'Allow' && [(st.Principal as { Service?: unknown } | undefined)?.Service].flat().includes(POD_IDENTITY_PRINCIPAL));
}

/** Whether a trust admits web-identity tokens of exactly `subject` (StringEquals on an OIDC provider's `:sub`). */
function trustsSubject(trust: unknown, subject: string): boolean {
  return statements(trust).some((st) => {
    if (st.Effect !== 'Allow') return false;
    const fed = [(st.Principal as { Federated?: unknown } | undefined)?.Federated].flat();
    if (!fed.some((f) => typeof f === 'string' && f.includes(':oidc-provider/'))) return false;
    const equals = (st.Condition as Record<string, Record<string, unknown>> | undefined)?.StringEquals ?? {};
    return Object.entries(equals).some(([k, v]) => k.endsWith(':sub') && [v].flat().includes(subject));
  });
}

/** Deployments given together (prod/ and staging/) may each have a role meant for the service account: the runner's are those of its own folder. */
function nearest<T>(roles: [string, T][], near: ((address: string) => number | undefined) | undefined): [string, T][] {
  if (roles.length < 2 || !near) return roles;
  const depth = roles.map(([key]) => near(`aws_iam_role.${key}`) ?? -1);
  const best = Math.max(...depth);
  return roles.filter((_, i) => depth[i] === best);
}

/**
 * IRSA meant for a service account that carries no role annotation: the one role of the files whose
 * trust admits exactly its web-identity tokens. Shown where the service account itself is in the
 * evidence (its annotations are then all there); where another service account carries the
 * annotation naming that role, the message says which.
 */
function meantForIrsa(sa: Parameters<NonNullable<DoctorReader['unboundIdentity']>>[0], ctx: DoctorContext, trustOf: (roleName: string) => unknown): ReturnType<NonNullable<DoctorReader['unboundIdentity']>> {
  const subject = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const meant = nearest(Object.entries(ctx.root.resource.aws_iam_role ?? {}).filter(([, b]) => typeof b.name === 'string' && !b.name.includes('${') && trustsSubject(trustOf(b.name), subject)), sa.near);
  if (meant.length !== 1) return undefined;
  const [key, role] = meant[0]!;
  const roleName = String(role.name);
  const namesRole = (v: unknown) => typeof v === 'string' && (ROLE_ARN.exec(v)?.[4] === roleName || parseRef(v)?.name === key);
  const elsewhere = ctx.objects.filter((o) => o.value.kind === 'ServiceAccount' && namesRole(o.value.metadata.annotations?.[ROLE_ARN_ANNOTATION])).map((o) => `${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`).filter((x) => x !== `${sa.namespace}/${sa.name}`);
  return {
    roleName,
    address: `aws_iam_role.${key}`,
    shown: sa.given === true,
    identity: `role ${roleName} (aws_iam_role.${key}) trusts the web-identity tokens of ${sa.namespace}/${sa.name} (${subject})`,
    missing: `service account ${sa.namespace}/${sa.name} carries no ${ROLE_ARN_ANNOTATION} annotation${elsewhere.length > 0 ? ` (the annotation naming ${roleName} is on ${elsewhere.join(', ')}, whose tokens its trust refuses)` : ''}`,
    without: "the pod gets no credentials of that role and runs with the node's role",
    fix: `annotate service account ${sa.namespace}/${sa.name} with ${ROLE_ARN_ANNOTATION} = the ARN of aws_iam_role.${key} (chart values: serviceAccount.annotations; a helm_release: set { name = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn", value = aws_iam_role.${key}.arn })${elsewhere.length > 0 ? `, and remove it from ${elsewhere.join(', ')}` : ''}`,
  };
}

/** EKS reads IRSA annotations and Pod Identity associations back for the doctor. */
export const eksDoctor: DoctorReader = {
  trustRefusal: podIdentityTrustRefusal,
  trustNotShown: podIdentitySessionTagsNotShown,
  bindingOf(sa, ctx) {
    // Pod Identity: an association in the Terraform evidence names the namespace and service account.
    // Of several deployments given together, only the associations of this runner's own.
    for (const a of associationsOf(ctx, sa.namespace, sa.name)) {
      if (sa.owns && !sa.owns(a.address)) continue;
      const b = a.body;
      const ref = parseRef(b.role_arn);
      const roleBody = ref?.type === 'aws_iam_role' ? ctx.root.resource.aws_iam_role?.[ref.name] : undefined;
      const literal = typeof b.role_arn === 'string' ? ROLE_ARN.exec(b.role_arn) : null;
      const roleName = roleBody ? String(roleBody.name) : literal?.[4];
      if (roleName === undefined) continue;
      // A cluster created in the same root is named by reference (aws_eks_cluster.<x>.name): its written name is the name.
      const out: DoctorBinding = { platform: 'eks', mechanism: 'pod-identity', roleName, rolePath: literal?.[3] ?? (typeof roleBody?.path === 'string' ? roleBody.path : '/'), ref: String(b.role_arn), clusterName: a.cluster, address: a.address };
      if (literal) {
        out.partition = literal[1]!;
        out.account = literal[2]!;
      }
      return out;
    }
    const arn = sa.object?.value.metadata.annotations?.[ROLE_ARN_ANNOTATION];
    if (typeof arn !== 'string') return undefined;
    const m = ROLE_ARN.exec(arn);
    // A reference to a role of the Terraform given (a helm_release's `set` of aws_iam_role.x.arn): that role.
    const ref = m ? undefined : parseRef(arn);
    const roleBody = ref?.type === 'aws_iam_role' ? ctx.root.resource.aws_iam_role?.[ref.name] : undefined;
    const named = typeof roleBody?.name === 'string' && !roleBody.name.includes('${') ? roleBody.name : undefined;
    const out: DoctorBinding = { platform: 'eks', mechanism: 'irsa', roleName: m?.[4] ?? named ?? arn, rolePath: m?.[3] ?? (named !== undefined && typeof roleBody?.path === 'string' ? roleBody.path : '/'), ref: arn };
    if (m) {
      out.partition = m[1]!;
      out.account = m[2]!;
    } else if (named !== undefined) {
      // The role's account is the account of the OIDC provider its trust federates (IAM takes only a provider of the role's own account).
      let trust: unknown;
      try {
        trust = typeof roleBody?.assume_role_policy === 'string' ? JSON.parse(roleBody.assume_role_policy) : roleBody?.assume_role_policy;
      } catch {
        trust = undefined;
      }
      for (const st of statements(trust)) {
        const fed = (st.Principal as { Federated?: unknown } | undefined)?.Federated;
        const p = [fed].flat().map((f) => (typeof f === 'string' ? /^arn:(aws[a-z-]*):iam::(\d{12}):oidc-provider\//.exec(f) : null)).find((x) => x !== null);
        if (p) {
          out.partition = p[1]!;
          out.account = p[2]!;
          break;
        }
      }
    }
    if (sa.object) out.origin = { ...sa.object.origin, path: [...sa.object.origin.path, 'metadata', 'annotations', ROLE_ARN_ANNOTATION] };
    return out;
  },

  unboundIdentity(sa, ctx, trustOf) {
    // For `default`, the name test below would take any role named "…default…": only a trust that
    // names its tokens exactly says a role is meant for it (a manager run as its namespace's default).
    if (sa.name === 'default') return meantForIrsa(sa, ctx, trustOf);
    // Of several deployments given together, what this runner's own deployment writes.
    const mine = (address: string) => sa.owns?.(address) ?? true;
    const everyAssociation = podIdentityAssociations(ctx.root);
    const bound = new Set(everyAssociation.map((a) => associationRole(ctx.root, a)));
    const associations = everyAssociation.filter((a) => mine(a.address));
    // Roles Pod Identity may assume that no association uses, named for this service account.
    const meant = nearest(Object.entries(ctx.root.resource.aws_iam_role ?? {}).filter(([, b]) => typeof b.name === 'string' && !b.name.includes('${') && !bound.has(b.name) && b.name.includes(sa.name) && trustsPodIdentity(trustOf(b.name))), sa.near);
    if (meant.length !== 1) return meantForIrsa(sa, ctx, trustOf);
    const [key, role] = meant[0]!;
    const roleName = String(role.name);
    const clusters = eksClusterNames(ctx.root, ctx.objects);
    const cluster = clusters.length === 1 ? JSON.stringify(clusters[0]!) : '<the cluster>';
    const fix = `add resource "aws_eks_pod_identity_association" with cluster_name = ${cluster}, namespace = "${sa.namespace}", service_account = "${sa.name}" and role_arn = aws_iam_role.${key}.arn`;
    // The files hold this cluster's bindings where they hold any association, the cluster itself, or its Pod Identity add-on.
    const created = Object.keys(ctx.root.resource.aws_eks_cluster ?? {}).map((k) => `aws_eks_cluster.${k}`).filter(mine);
    const agent = Object.entries(ctx.root.resource.aws_eks_addon ?? {}).filter(([, b]) => b.addon_name === 'eks-pod-identity-agent').map(([k]) => `aws_eks_addon.${k}`).filter(mine);
    const others = associations.map((a) => `${a.address} (${a.namespace}/${a.serviceAccount})`);
    const evidence = others.length > 0 ? `the files bind ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}` : [...created, ...agent].length > 0 ? `the files create ${[...created, ...agent].join(', ')}` : undefined;
    const missing = evidence !== undefined
      ? `no aws_eks_pod_identity_association binds ${sa.namespace}/${sa.name} to it (${evidence})`
      : `no aws_eks_pod_identity_association among the files given binds ${sa.namespace}/${sa.name} to it, and none of the cluster's is given`;
    return {
      roleName,
      address: `aws_iam_role.${key}`,
      shown: evidence !== undefined,
      identity: `role ${roleName} (aws_iam_role.${key}) trusts EKS Pod Identity (${POD_IDENTITY_PRINCIPAL}) and is named for ${sa.namespace}/${sa.name}`,
      missing,
      without: "the pod gets no credentials of that role and runs with the node's role",
      fix,
    };
  },

  bindingsIn(namespace, ctx) {
    const out: { serviceAccount: string; address: string; binding: DoctorBinding }[] = [];
    for (const a of podIdentityAssociations(ctx.root)) {
      if (a.body.namespace !== namespace || typeof a.body.service_account !== 'string') continue;
      const binding = this.bindingOf({ namespace, name: a.serviceAccount }, ctx);
      if (binding) out.push({ serviceAccount: a.serviceAccount, address: a.address, binding });
    }
    return out;
  },

  clusterName(_binding, ctx) {
    // The one EKS cluster the documents name (several: the documents do not say which is this one).
    const names = eksClusterNames(ctx.root, ctx.objects);
    return names.length === 1 ? names[0] : undefined;
  },

  rotatorKubernetes(ctx, rotator, clusters, aws) {
    return eksRotatorKubernetes(ctx.root, ctx.objects, rotator, clusters, aws);
  },

  clusterKey(binding, trustOf) {
    return binding.mechanism === 'pod-identity' ? `pod-identity|${binding.clusterName ?? ''}` : `irsa|${trustedIssuer(trustOf(binding.roleName)) ?? ''}`;
  },

  clusterSpec(name, bindings, _ctx, trustOf) {
    const pod = bindings.find((b) => b.mechanism === 'pod-identity');
    const issuer = bindings.map((b) => trustedIssuer(trustOf(b.roleName))).find((x) => x !== undefined);
    const region = issuer ? /oidc\.eks\.([a-z0-9-]+)\./.exec(issuer)?.[1] : undefined;
    return {
      name,
      type: 'eks',
      ...(pod?.clusterName !== undefined && pod.clusterName !== name ? { clusterName: pod.clusterName } : {}),
      ...(region ? { region } : {}),
      // An issuer nothing trusts: every web-identity probe is then refused, as it would be in AWS.
      oidcIssuer: issuer ?? 'https://oidc.eks.invalid/id/NOTINTHEEVIDENCE',
      oidcProvider: 'existing',
      identity: pod ? 'pod-identity' : 'irsa',
      authenticationMode: 'API_AND_CONFIG_MAP',
      access: [],
      acceptRisks: [],
    };
  },
};
