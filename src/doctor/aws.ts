import { parse as parseToml } from 'smol-toml';
import { MARKED_ADDRESS, rootMark } from './hcl/eval.js';
import { ROOTS_SHOWN } from './across-roots.js';
import { findWith } from '../model/lookup.js';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import { get } from '../verify/get.js';
import { PolicyGrammarError, compilePolicy, policyKindProblem } from '../verify/iam/evaluator.js';
import { ROLE_ARN_ANNOTATION } from '../platforms/eks/names.js';
import { SourceFile, formatPosition, originAt, type Origin } from './source.js';
import type { Evidence, RoleEvidence } from './evidence.js';
import type { Inferred } from './infer.js';
import { AWS_READ_ACTIONS, AwsReadError, type AwsReadOperation, type AwsReadPort } from './aws-port.js';
import { grammarPath, pathIn } from './policy-document.js';
import { isObject } from '../model/is-object.js';
import { chartNamespaceRead, legacyNamespaceReach } from './chart-values.js';

/**
 * `doctor --aws`: the AWS names the evidence mentions, read live through a read-only port and
 * turned into the same evidence the file readers produce (roles with URL-decoded trust and
 * permission documents, pod identity associations, access entries and OIDC providers as the
 * Terraform resources a plan would show), so the same inference, proofs and rules run on them.
 * Each document read carries a source of its own (`aws:iam:role/NAME#trust`), so findings point
 * into it with line and column of the document as AWS returned it, pretty-printed.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && !v.includes('${') ? v : undefined);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[^/]+\/)*)([\w+=,.@-]+)$/;
const OIDC_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/;

/** The name of a Terraform resource entry (`[key, body]`), a constant for findWith's index. */
const nameOfEntry = ([, b]: [string, Record<string, unknown>]): unknown => b.name;

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** A role the evidence names: its name, the ARN as written (when it is one), and where it is named. */
export interface NamedRole {
  name: string;
  ref: string;
  account?: string;
  named?: Origin;
}

/** The AWS names the evidence mentions that live reads can resolve. */
export interface AwsNames {
  roles: Map<string, NamedRole>;
  /** EKS cluster names (Terraform clusters, associations, access entries, and any given with --eks-cluster). */
  clusters: Set<string>;
}

function addRole(into: Map<string, NamedRole>, value: unknown, named: Origin | undefined): void {
  const s = str(value);
  if (!s) return;
  const m = ROLE_ARN.exec(s);
  const name = m ? m[4]! : /^[\w+=,.@-]{1,64}$/.test(s) ? s : undefined;
  if (!name || into.has(name)) return;
  const r: NamedRole = { name, ref: s };
  if (m) r.account = m[2]!;
  if (named) r.named = named;
  into.set(name, r);
}

/** Role ARNs in service-account annotations (objects and chart values) and in Terraform bindings; EKS cluster names. */
export function awsNamesOf(ev: Evidence, clusters: readonly string[] = []): AwsNames {
  const roles = new Map<string, NamedRole>();
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'ServiceAccount') continue;
    addRole(roles, o.value.metadata.annotations?.[ROLE_ARN_ANNOTATION], { ...o.origin, path: [...o.origin.path, 'metadata', 'annotations', ROLE_ARN_ANNOTATION] });
  }
  for (const v of ev.helmValues) {
    for (const key of [['serviceAccount', 'annotations'], ['rbac', 'serviceAccountAnnotations']]) {
      addRole(roles, get(v.value, ...key, ROLE_ARN_ANNOTATION), { ...v.origin, path: [...v.origin.path, ...key, ROLE_ARN_ANNOTATION] });
    }
  }
  const tf = ev.terraform.resource;
  const at = (key: string, attr: string): Origin | undefined => {
    const o = ev.terraform.origins.get(key);
    return o ? { ...o, path: [...o.path, attr] } : undefined;
  };
  const bindings: [string, string][] = [
    ['aws_eks_pod_identity_association', 'role_arn'],
    ['aws_iam_instance_profile', 'role'],
    ['aws_ecs_task_definition', 'task_role_arn'],
    ['aws_ecs_task_definition', 'execution_role_arn'],
  ];
  for (const [type, attr] of bindings) for (const [k, b] of Object.entries(tf[type] ?? {})) addRole(roles, b[attr], at(`${type}.${k}`, attr));
  const names = new Set(clusters);
  for (const b of Object.values(tf.aws_eks_cluster ?? {})) if (str(b.name)) names.add(str(b.name)!);
  for (const type of ['aws_eks_pod_identity_association', 'aws_eks_access_entry']) for (const b of Object.values(tf[type] ?? {})) if (str(b.cluster_name)) names.add(str(b.cluster_name)!);
  return { roles, clusters: names };
}

/** The chart's `runners.config`, parsed; undefined when it is no valid TOML (the inference says so). */
function tomlOf(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseToml(text);
  } catch {
    return undefined;
  }
}

/** A pretty-printed document read from AWS, as a source findings can point into. */
function liveOrigin(name: string, value: unknown): Origin {
  return { source: new SourceFile(name, `${JSON.stringify(value, null, 2)}\n`, 'json'), doc: 0, path: [] };
}

/** IAM returns policy documents URL-encoded (RFC 3986); the SDK does not decode them. */
export function decodePolicy(v: unknown): PolicyDocument | undefined {
  if (typeof v !== 'string') return isObject(v) ? (v as unknown as PolicyDocument) : undefined;
  for (const text of [v.trimStart().startsWith('%7B') || v.includes('%22') ? decodeURIComponent(v) : v, v]) {
    try {
      const doc = JSON.parse(text) as unknown;
      if (isObject(doc)) return doc as unknown as PolicyDocument;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

export interface AwsReadSummary {
  /** Every operation issued, in order (for the report and the tests). */
  calls: AwsReadOperation[];
}

/**
 * Reads, read-only, what the evidence names and adds it to the evidence: EKS pod identity
 * associations and access entries of the named clusters first (they name roles too), then each
 * role not already in the evidence (trust, inline and attached managed policies), then the OIDC
 * providers the trust policies name. Paginated throughout. A refused read is an info finding
 * naming the permission; a missing role or provider is recorded as absent, never guessed.
 */
export async function readAwsInto(ev: Evidence, port: AwsReadPort, opts: { clusters?: readonly string[]; region?: string } = {}): Promise<AwsReadSummary> {
  const calls: AwsReadOperation[] = [];
  const absent = (ev.absent ??= { roles: new Map(), oidcProviders: new Set() });
  const names = awsNamesOf(ev, opts.clusters);
  const where = (o: Origin | undefined) => (o ? formatPosition(originAt(o)) : '');
  const refused = new Set<string>();
  /** One call; undefined when it failed (a finding says why), 'not-found' when the thing does not exist. */
  const read = async (op: AwsReadOperation, input: Record<string, unknown>, about: string, named?: Origin): Promise<Record<string, unknown> | 'not-found' | undefined> => {
    calls.push(op);
    try {
      return await port.read(op, input);
    } catch (e) {
      if (!(e instanceof AwsReadError)) throw e;
      if (e.kind === 'not-found') return 'not-found';
      const action = AWS_READ_ACTIONS[op];
      if (e.kind === 'denied') {
        if (!refused.has(`${action} ${about}`)) ev.findings.push(finding('RF920', where(named), `${action} on ${about} was refused (${e.code}), so the doctor could not read it`, { received: e.code, fix: `allow ${action} to the identity running the doctor (the read-only policy is in the README, "doctor --aws")` }));
        refused.add(`${action} ${about}`);
      } else {
        ev.findings.push(finding('RF921', where(named), `${action} on ${about} failed: ${e.message}`, { fix: 'check the region, the network path to the AWS API and the credentials, and run the doctor again' }));
      }
      return undefined;
    }
  };
  /** Every page of a paginated call. */
  const pages = async (op: AwsReadOperation, input: Record<string, unknown>, token: [string, string], about: string, named?: Origin): Promise<Record<string, unknown>[] | 'not-found' | undefined> => {
    const out: Record<string, unknown>[] = [];
    let next: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await read(op, { ...input, ...(next ? { [token[0]]: next } : {}) }, about, named);
      if (r === undefined || r === 'not-found') return r;
      out.push(r);
      next = str(r[token[1]]);
      // IAM says IsTruncated; EKS just returns a nextToken.
      if (!next || r.IsTruncated === false) break;
    }
    return out;
  };

  // 1. EKS: pod identity associations of the namespaces the evidence covers, and access entries of the roles it names.
  const namespaces = new Set(ev.kubernetes.map((o) => o.value.metadata.namespace ?? 'default'));
  for (const v of ev.helmValues) {
    // A helm_release states the namespace the manager runs in; the chart's runners.config, where the jobs do.
    // The chart's own namespace values as the version installed reads them (chart-values.ts): the
    // legacy runners.namespace until 0.52 (legacyNamespaceReach), the top-level namespace from 0.79.0 (chartNamespaceRead).
    const reach = legacyNamespaceReach(v.chartVersion);
    const legacy = reach.manager || reach.jobs ? str(get(v.value, 'runners', 'namespace')) : undefined;
    const chart = chartNamespaceRead(v.chartVersion) ? str(get(v.value, 'namespace')) : undefined;
    for (const ns of [chart, legacy, str(v.namespace), str(get(tomlOf(get(v.value, 'runners', 'config')), 'runners', 0, 'kubernetes', 'namespace'))]) if (ns) namespaces.add(ns);
  }
  const tf = ev.terraform.resource;
  for (const cluster of [...names.clusters].sort()) {
    const about = `EKS cluster ${cluster}${opts.region ? ` (${opts.region})` : ''}`;
    const assoc = await pages('ListPodIdentityAssociations', { clusterName: cluster }, ['nextToken', 'nextToken'], about);
    if (assoc === 'not-found') {
      ev.findings.push(finding('RF904', '', `the evidence names EKS cluster ${cluster}, which does not exist${opts.region ? ` in ${opts.region}` : ''}`, { received: cluster, fix: 'give the region the cluster is in (--region), or fix the cluster name' }));
      continue;
    }
    for (const a of (assoc ?? []).flatMap((p) => list(p.associations)).filter(isObject)) {
      if (!namespaces.has(String(a.namespace))) continue;
      const d = await read('DescribePodIdentityAssociation', { clusterName: cluster, associationId: a.associationId }, `pod identity association ${String(a.associationId)} of ${about}`);
      const body = isObject(d) && isObject(d.association) ? d.association : undefined;
      if (!body) continue;
      const key = `aws_${cluster}_${String(a.associationId)}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const value = { cluster_name: cluster, namespace: body.namespace, service_account: body.serviceAccount, role_arn: body.roleArn, association_arn: body.associationArn, ...(typeof body.disableSessionTags === 'boolean' ? { disable_session_tags: body.disableSessionTags } : {}) };
      (tf.aws_eks_pod_identity_association ??= {})[key] = value;
      const origin = liveOrigin(`aws:eks:${cluster}/podidentityassociation/${String(a.associationId)}`, value);
      ev.terraform.origins.set(`aws_eks_pod_identity_association.${key}`, origin);
      addRole(names.roles, body.roleArn, { ...origin, path: ['role_arn'] });
    }
    const entries = await pages('ListAccessEntries', { clusterName: cluster }, ['nextToken', 'nextToken'], about);
    const principals = new Set((Array.isArray(entries) ? entries : []).flatMap((p) => list(p.accessEntries)).map(String));
    for (const role of names.roles.values()) {
      const arn = [...principals].find((p) => ROLE_ARN.exec(p)?.[4] === role.name);
      if (!arn) continue;
      const key = `aws_${cluster}_${role.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
      (tf.aws_eks_access_entry ??= {})[key] = { cluster_name: cluster, principal_arn: arn, type: 'STANDARD' };
      ev.terraform.origins.set(`aws_eks_access_entry.${key}`, liveOrigin(`aws:eks:${cluster}/access-entry/${role.name}`, { principalArn: arn }));
      const policies = await pages('ListAssociatedAccessPolicies', { clusterName: cluster, principalArn: arn }, ['nextToken', 'nextToken'], `access entry ${arn} of ${about}`);
      ((Array.isArray(policies) ? policies : []).flatMap((p) => list(p.associatedAccessPolicies)).filter(isObject)).forEach((p, i) => {
        const scope = isObject(p.accessScope) ? p.accessScope : { type: 'cluster' };
        const value = { cluster_name: cluster, principal_arn: arn, policy_arn: p.policyArn, access_scope: { type: scope.type, ...(Array.isArray(scope.namespaces) && scope.namespaces.length > 0 ? { namespaces: scope.namespaces } : {}) } };
        (tf.aws_eks_access_policy_association ??= {})[`${key}_${i}`] = value;
        ev.terraform.origins.set(`aws_eks_access_policy_association.${key}_${i}`, liveOrigin(`aws:eks:${cluster}/access-entry/${role.name}#${String(p.policyArn).split('/').pop() ?? ''}`, value));
      });
    }
  }

  // 2. Roles the evidence names but does not document.
  const documented = new Set([...ev.roles.values()].filter((r) => r.trust).map((r) => r.name));
  for (const b of Object.values(tf.aws_iam_role ?? {})) if (str(b.name)) documented.add(str(b.name)!);
  const managed = new Map<string, { document: PolicyDocument; origin: Origin } | undefined>();
  let callerAccount: string | undefined;
  for (const role of names.roles.values()) {
    if (documented.has(role.name)) continue;
    const about = role.account ? `arn:aws:iam::${role.account}:role/${role.name}` : `role ${role.name}`;
    if (role.account && callerAccount && role.account !== callerAccount) {
      ev.findings.push(finding('RF903', where(role.named), `role ${role.name} is in account ${role.account}; the credentials given read account ${callerAccount}, so it is not in the evidence`, { received: role.ref, fix: `run the doctor with credentials (--profile) of account ${role.account} too, or give aws iam get-role output` }));
      continue;
    }
    const got = await read('GetRole', { RoleName: role.name }, about, role.named);
    if (got === 'not-found') {
      absent.roles.set(role.name, { ref: role.ref, ...(callerAccount ?? role.account ? { account: callerAccount ?? role.account } : {}) });
      continue;
    }
    const r = isObject(got) && isObject(got.Role) ? got.Role : undefined;
    if (!r) continue;
    const arnAccount = ROLE_ARN.exec(String(r.Arn))?.[2];
    callerAccount ??= arnAccount;
    if (role.account && arnAccount && role.account !== arnAccount) {
      // The same name in the account the credentials read is another role.
      ev.findings.push(finding('RF903', where(role.named), `role ${role.name} is in account ${role.account}; the credentials given read account ${arnAccount}, so it is not in the evidence`, { received: role.ref, fix: `run the doctor with credentials (--profile) of account ${role.account} too` }));
      continue;
    }
    const ev_: RoleEvidence = ev.roles.get(role.name) ?? { name: role.name, path: '/', policies: [] };
    ev.roles.set(role.name, ev_);
    if (typeof r.Path === 'string') ev_.path = r.Path;
    if (arnAccount) ev_.account = arnAccount;
    const trust = decodePolicy(r.AssumeRolePolicyDocument);
    if (trust) {
      ev_.trust = trust;
      ev_.trustOrigin = liveOrigin(`aws:iam:role/${role.name}#trust`, trust);
    }
    const inline = await pages('ListRolePolicies', { RoleName: role.name }, ['Marker', 'Marker'], about, role.named);
    for (const policyName of (Array.isArray(inline) ? inline : []).flatMap((p) => list(p.PolicyNames)).map(String)) {
      const p = await read('GetRolePolicy', { RoleName: role.name, PolicyName: policyName }, `inline policy ${policyName} of ${about}`, role.named);
      const doc = isObject(p) ? decodePolicy(p.PolicyDocument) : undefined;
      if (doc) ev_.policies.push({ document: doc, origin: liveOrigin(`aws:iam:role/${role.name}#inline/${policyName}`, doc) });
    }
    const attached = await pages('ListAttachedRolePolicies', { RoleName: role.name }, ['Marker', 'Marker'], about, role.named);
    for (const a of (Array.isArray(attached) ? attached : []).flatMap((p) => list(p.AttachedPolicies)).filter(isObject)) {
      const arn = String(a.PolicyArn);
      if (!managed.has(arn)) {
        let entry: { document: PolicyDocument; origin: Origin } | undefined;
        const pol = await read('GetPolicy', { PolicyArn: arn }, `managed policy ${arn}`, role.named);
        const version = isObject(pol) && isObject(pol.Policy) ? str(pol.Policy.DefaultVersionId) : undefined;
        if (version) {
          const v = await read('GetPolicyVersion', { PolicyArn: arn, VersionId: version }, `managed policy ${arn}`, role.named);
          const doc = isObject(v) && isObject(v.PolicyVersion) ? decodePolicy(v.PolicyVersion.Document) : undefined;
          if (doc) entry = { document: doc, origin: liveOrigin(`aws:iam:policy/${arn.split(':policy/').pop() ?? arn}#${version}`, doc) };
        }
        managed.set(arn, entry);
      }
      const m = managed.get(arn);
      if (m) ev_.policies.push(m);
    }
  }

  // 3. OIDC providers the trust policies name (read or given), each once.
  const providers = new Map<string, Origin | undefined>();
  const trusts: [PolicyDocument, Origin | undefined][] = [...ev.roles.values()].filter((r) => r.trust).map((r) => [r.trust!, r.trustOrigin]);
  for (const [k, b] of Object.entries(tf.aws_iam_role ?? {})) {
    const doc = decodePolicy(b.assume_role_policy);
    if (doc) trusts.push([doc, ev.terraform.origins.get(`aws_iam_role.${k}`)]);
  }
  for (const [doc, origin] of trusts) {
    for (const st of list(doc.Statement)) for (const f of list((st as { Principal?: { Federated?: unknown } }).Principal?.Federated)) if (typeof f === 'string' && OIDC_ARN.test(f) && !providers.has(f)) providers.set(f, origin);
  }
  const given = new Set(Object.values(tf.aws_iam_openid_connect_provider ?? {}).map((b) => str(b.url)?.replace(/^https:\/\//, '')));
  for (const [arn, origin] of providers) {
    const host = OIDC_ARN.exec(arn)![1]!;
    if (given.has(host)) continue;
    const got = await read('GetOpenIDConnectProvider', { OpenIDConnectProviderArn: arn }, arn, origin);
    if (got === 'not-found') {
      absent.oidcProviders.add(arn);
      continue;
    }
    if (!isObject(got)) continue;
    const value = { url: `https://${(str(got.Url) ?? host).replace(/^https:\/\//, '')}`, client_id_list: list(got.ClientIDList).map(String), thumbprint_list: list(got.ThumbprintList).map(String), arn };
    const key = `aws_${host}`.replace(/[^A-Za-z0-9_-]/g, '_');
    (tf.aws_iam_openid_connect_provider ??= {})[key] = value;
    ev.terraform.origins.set(`aws_iam_openid_connect_provider.${key}`, liveOrigin(`aws:iam:oidc-provider/${host}`, value));
  }
  return { calls };
}

/** EKS access policies that administer the cluster (or, cluster-wide, every namespace). */
const ADMIN_POLICY = /:cluster-access-policy\/(AmazonEKSClusterAdminPolicy|AmazonEKSAdminPolicy)$/;

/**
 * Rules over the AWS evidence (live or from Terraform): roles the live read found absent (the
 * "not in the evidence" of the file readers becomes "does not exist"), OIDC providers that do not
 * exist or do not accept the pinned audience, runner roles that administer the cluster.
 */
export function awsRules(ev: Evidence, inferred: Inferred, findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const absent = ev.absent;
  // RF903 "role … is not in the evidence given" (its subject says which role, and whose) for a role the account does not have → RF904.
  const rewritten = findings.map((f) => {
    const s = f.subject?.kind === 'role-not-given' ? f.subject : undefined;
    if (f.code !== 'RF903' || !absent || absent.roles.size === 0 || s === undefined) return f;
    const name = ROLE_ARN.exec(s.ref)?.[4] ?? s.ref;
    const a = absent.roles.get(name);
    if (!a) return f;
    const who = s.whose !== undefined ? `the ${s.whose === 'manager' ? "manager's" : "jobs'"} ${s.noun}` : s.noun;
    return { ...f, code: 'RF904' as const, severity: CODES.RF904.severity, message: `${who} ${name} does not exist${a.account ? ` in account ${a.account}` : ''} (iam:GetRole: NoSuchEntity)`, fix: `create role ${name}, or name an existing role in the annotation or association` };
  });
  const root = inferred.docs.terraformAws;
  // The first role of each name (findWith: a find of every role per name grew with the square of the roots).
  let roles: [string, Record<string, unknown>][] | undefined;
  const roleAt = (name: string) => {
    const k = findWith((roles ??= Object.entries(root?.resource.aws_iam_role ?? {})), nameOfEntry, name)?.[0];
    const o = k ? ev.terraform.origins.get(`aws_iam_role.${k}`) : undefined;
    return o;
  };
  // OIDC providers: missing, or not accepting the audience the trust pins.
  const providers = new Map<string, string[]>();
  for (const b of Object.values(root?.resource.aws_iam_openid_connect_provider ?? {})) {
    const url = str(b.url);
    if (url && Array.isArray(b.client_id_list) && b.client_id_list.every((x) => typeof x === 'string' && !x.includes('${'))) providers.set(url.replace(/^https:\/\//, ''), b.client_id_list as string[]);
  }
  for (const body of Object.values(root?.resource.aws_iam_role ?? {})) {
    const trust = decodePolicy(body.assume_role_policy);
    if (!trust) continue;
    const name = String(body.name);
    list(trust.Statement).forEach((s, i) => {
      const st = s as { Effect?: string; Principal?: { Federated?: unknown }; Condition?: Record<string, Record<string, unknown>> };
      if (st.Effect !== 'Allow') return;
      for (const f of list(st.Principal?.Federated)) {
        if (typeof f !== 'string') continue;
        const host = OIDC_ARN.exec(f)?.[1];
        if (!host) continue;
        const stPath = Array.isArray(trust.Statement) ? ['Statement', i] : ['Statement'];
        const origin = roleAt(name);
        const at = (...p: (string | number)[]) => (origin ? formatPosition(originAt(origin, ...stPath, ...p)) : '');
        if (absent?.oidcProviders.has(f)) {
          out.push(finding('RF923', at('Principal', 'Federated'), `role ${name} trusts OIDC provider ${f}, which does not exist in the account: no web identity token can assume the role`, { received: f, fix: `create the IAM OIDC provider for https://${host} (eksctl utils associate-iam-oidc-provider, or aws_iam_openid_connect_provider)` }));
          continue;
        }
        const clientIds = providers.get(host);
        if (!clientIds) continue;
        for (const [op, block] of Object.entries(st.Condition ?? {})) {
          if (!/^String(Equals|Like)$/.test(op)) continue;
          const aud = block[`${host}:aud`];
          for (const a of list(aud).map(String)) {
            if (!clientIds.includes(a)) out.push(finding('RF924', at('Condition', op, `${host}:aud`), `role ${name} pins audience ${a}, but OIDC provider ${host} accepts only ${clientIds.join(', ') || 'no client id'}: AWS rejects the token`, { received: a, allowed: clientIds.join(', '), fix: `add ${a} to the provider's client ids (ClientIDList), or pin an audience it accepts` }));
          }
        }
      }
    });
  }
  // Runner roles with an administrative EKS access policy.
  const runnerRoles = new Map(inferred.intent.identities.filter((i) => i.cloud === 'aws').map((i) => [i.roleName, i]));
  for (const [k, b] of Object.entries(root?.resource.aws_eks_access_policy_association ?? {})) {
    const principal = str(b.principal_arn);
    const policy = str(b.policy_arn);
    const roleName = principal ? ROLE_ARN.exec(principal)?.[4] : undefined;
    const id = roleName ? runnerRoles.get(roleName) : undefined;
    if (!id || !policy) continue;
    const scope = str(get(b, 'access_scope', 'type')) ?? 'cluster';
    const admin = ADMIN_POLICY.exec(policy);
    if (!admin || (admin[1] === 'AmazonEKSAdminPolicy' && scope !== 'cluster')) continue;
    const origin = ev.terraform.origins.get(`aws_eks_access_policy_association.${k}`);
    out.push(finding('RF922', origin ? formatPosition(originAt(origin, 'policy_arn')) : '', `the ${id.purpose === 'manager' ? "manager's" : "jobs'"} role ${roleName!} of runner ${id.runner} has ${admin[1]!} on cluster ${String(b.cluster_name)} (scope ${scope}) through an EKS access entry: ${id.purpose === 'manager' ? 'the manager' : 'every job'} can administer the cluster`, { received: policy, fix: 'remove the access entry: the manager needs only the namespaced RBAC of the executor, and jobs need none' }));
  }
  return [...rewritten, ...out];
}

/**
 * IAM documents (from files or live reads) outside the grammar the evaluator supports are a
 * finding for that document, and are left out: the proofs then say what they cannot prove,
 * instead of the doctor stopping (an empty Statement list, an unknown element or operator).
 */
export function screenPolicies(ev: Evidence): void {
  // A trust policy is a resource policy (every statement names a principal); a permission policy
  // is an identity policy (none does): the proofs evaluate them as such.
  const problem = (doc: PolicyDocument, kind: 'identity' | 'resource'): string | undefined => {
    try {
      return policyKindProblem(compilePolicy(doc), kind);
    } catch (e) {
      if (e instanceof PolicyGrammarError) return e.message;
      throw e;
    }
  };
  // The finding points at the element the grammar names (Statement[0].Action …) where the file has it.
  const report = (origin: Origin | undefined, what: string, msg: string, doc: unknown) =>
    ev.findings.push(finding('RF901', origin ? formatPosition(originAt(origin, ...pathIn(doc, grammarPath(msg), false))) : '', `${what} is not an IAM policy document the doctor can evaluate: ${msg}`, { fix: 'give the document as IAM stores it (aws iam get-role / get-role-policy / get-policy-version)' }));
  for (const role of ev.roles.values()) {
    const t = role.trust ? problem(role.trust, 'resource') : undefined;
    if (t !== undefined) {
      report(role.trustOrigin, `the trust policy of role ${role.name}`, t, role.trust);
      delete role.trust;
      delete role.trustOrigin;
    }
    role.policies = role.policies.filter((p) => {
      const m = problem(p.document, 'identity');
      if (m !== undefined) report(p.origin, `a permission policy of role ${role.name}`, m, p.document);
      return m === undefined;
    });
  }
}

/**
 * IAM roles of one name written by several resources: one module applied in several folders (prod/
 * and staging/, each in its own account) names its roles alike. The proofs tell roles apart by name
 * (one account holds one role of a name), so they read one of the copies for every runner whose
 * role has that name: a drift in another copy would pass unseen. Each copy is RF903 (info: not
 * proven, not wrong) naming the others, and every proof of those runners is not made. A name only
 * apply knows (an interpolation) is no name here.
 */
export function rolesOfOneName(ev: Evidence, inferred: Inferred): { findings: Finding[]; runners: Set<string> } {
  const byName = new Map<string, string[]>();
  for (const [key, body] of Object.entries(ev.terraform.resource.aws_iam_role ?? {})) {
    if (typeof body.name !== 'string' || body.name === '' || body.name.includes('${')) continue;
    const keys = byName.get(body.name);
    if (keys) keys.push(key);
    else byName.set(body.name, [key]);
  }
  const findings: Finding[] = [];
  const names = new Set<string>();
  // The folder of the root a key's resource is in, where several roots were given together (its mark).
  const rootOf = (key: string): string | undefined => {
    const index = [...key.matchAll(MARKED_ADDRESS)][0]?.[3];
    return index !== undefined ? ev.terraform.rootMarks?.get(rootMark(Number(index))) : undefined;
  };
  for (const [name, keys] of byName) {
    if (keys.length < 2) continue;
    names.add(name);
    // One copy per root (examples/a and examples/b each calling the module that writes it): no root
    // writes the role twice, each is a deployment of its own, and the doctor reads them together.
    const roots = keys.map(rootOf);
    const onePerRoot = roots.every((r) => r !== undefined) && new Set(roots).size === keys.length;
    for (const key of keys) {
      const origin = ev.terraform.origins.get(`aws_iam_role.${key}`);
      // Each copy has its own finding, so the message names the first few others only (naming every
      // other in each made the output grow with the square of the roots).
      const others = keys.length - 1;
      const first = keys.slice(0, ROOTS_SHOWN + 2).filter((k) => k !== key).map((k) => `aws_iam_role.${k}`);
      const listed = others > ROOTS_SHOWN + 1 ? `${first.slice(0, ROOTS_SHOWN).join(', ')} and ${others - ROOTS_SHOWN} more` : first.join(', ');
      const message = onePerRoot
        ? `role ${name} is written once in each of ${keys.length} roots given together, each a deployment of its own (here, and by ${listed} in ${others > 1 ? 'the others' : 'the other'}): the doctor tells IAM roles apart by their name, so the proofs read one root's copy for the runners of every root, and what each copy may do and who may assume it is not proven for its own root`
        : `role ${name} is also written by ${listed}: the doctor tells IAM roles apart by their name, so what ${keys.length} roles of one name may do and who may assume them is not proven for each (the proofs read one of them)`;
      const fix = onePerRoot
        ? 'give the doctor each root (folder) on its own to prove each copy; roots that deploy to one account cannot both create it (an IAM role name is unique in an account), so name the roles per deployment there'
        : 'give the doctor each deployment (folder) on its own, or name the roles per deployment (a name suffix per environment or account)';
      findings.push({ code: 'RF903', severity: CODES.RF903.severity, path: origin ? formatPosition(originAt(origin)) : '', message, received: name, fix });
    }
  }
  const runners = new Set<string>();
  if (names.size > 0) {
    const roleOf = new Map(inferred.intent.identities.map((i) => [i.key, i.roleName]));
    for (const r of inferred.intent.runners) if ([r.managerIdentity, r.jobIdentity].some((k) => k !== undefined && names.has(roleOf.get(k) ?? ''))) runners.add(r.name);
  }
  return { findings, runners };
}
