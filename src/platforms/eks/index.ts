import { identityOf, partyNamespace } from '../../model/types.js';
import type { PlatformPlugin, ReadmeStep, RunnerEmission } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import type { CloudIdentity, IdentitySubject, KubernetesSubject, ResolvedCluster } from '../../model/types.js';
import { identityRef } from '../../model/types.js';
import type { Artifact, K8sObject, TerraformResources } from '../../emit/artifacts.js';
import { byName, merged, tfName } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent } from '../../verify/intent.js';
import { clusterAws, runnerAws } from '../../verify/runner-aws.js';
import type { PolicyDocument, Request } from '../../verify/iam/types.js';
import { evaluatePolicies, evaluatePoliciesFor, prepareRequest, type PolicySet, type PreparedRequest } from '../../verify/iam/evaluator.js';
import { RequestIndex } from '../../verify/iam/candidates.js';
import { associationRole, awsFacts, podIdentityAssociations, roleArn, type PodIdentityAssociation, type PodIdentitySessionTags } from '../../verify/aws-docs.js';
import { runnerObjects, commonLabels, ownsNamespace, imdsNetworkPolicy, IMDS_IPV6_EC2 } from '../../emit/kubernetes/objects.js';
import { kubernetesExecutor } from '../../emit/toml/kubernetes-executor.js';
import { chartRunnerToml, helmValues } from '../../emit/helm/values.js';
import { verifyKubernetesChain, findServiceAccount, kubernetesDecoys, kubernetesSubjects } from '../../verify/kubernetes-chain.js';
import { awsIdentityCheckJob } from '../aws-identity-check.js';
import { documentedNodePools } from './doctor-cluster.js';
import { eksClusterArn, eksRotatorAccess } from './rotator.js';
import { checkCreate, clusterResources, eksNodePools, verifyCreatedCluster } from './cluster.js';
import { CLUSTER_ROLE_FOR_POLICY, EKS_ACCESS_POLICIES, eksClusterSchema, type EksAccessSpec, type EksClusterSpec } from './schema.js';
import {
  AUDIENCE_ANNOTATION,
  IRSA_AUDIENCE,
  POD_IDENTITY_PRINCIPAL,
  ROLE_ARN_ANNOTATION,
  clusterRegion,
  eksClusterName,
  eksSpec,
  authenticationMode,
  clusterKey,
  createsOidcProvider,
  isCreated,
  issuerHostPath,
  issuerOf,
  oidcProviderArn,
  oidcProviderArnPrefix,
} from './names.js';

function providerFor(fleet: FleetIntent, cluster: ResolvedCluster): Record<string, string> {
  const region = clusterRegion(fleet, cluster);
  return region !== fleet.aws?.region ? { provider: `aws.${tfName(region)}` } : {};
}

/** The cluster name as Terraform should read it: a reference for a created cluster, so everything waits for it. */
function clusterNameRef(cluster: ResolvedCluster): string {
  return isCreated(cluster) ? `\${aws_eks_cluster.${clusterKey(cluster)}.name}` : eksClusterName(cluster);
}

function accessVia(mode: EksClusterSpec['authenticationMode'], a: EksAccessSpec): 'access-entry' | 'aws-auth' {
  return a.via ?? (mode === 'CONFIG_MAP' ? 'aws-auth' : 'access-entry');
}

function usernameOf(a: EksAccessSpec): string {
  return a.username ?? a.principal.split('/').pop()!;
}

/** The audience of the web-identity token a pod of this service account gets (its annotation; default sts.amazonaws.com). */
function tokenAudience(sa: K8sObject): string {
  const a = sa.metadata.annotations?.[AUDIENCE_ANNOTATION];
  return typeof a === 'string' ? a : IRSA_AUDIENCE;
}

/** The audiences a trust's `<issuer>:aud` conditions name (every statement, every operator). */
function trustAudiences(trust: PolicyDocument, hp: string): string[] {
  const out: string[] = [];
  for (const st of Array.isArray(trust.Statement) ? trust.Statement : [trust.Statement]) {
    for (const block of Object.values(st?.Condition ?? {})) {
      for (const [k, v] of Object.entries(block ?? {})) if (k.toLowerCase() === `${hp}:aud`.toLowerCase()) out.push(...(Array.isArray(v) ? v : [v]).map(String));
    }
  }
  return [...new Set(out)];
}

function irsaRequest(fleet: FleetIntent, cluster: ResolvedCluster, s: KubernetesSubject, audience = IRSA_AUDIENCE, issuer = issuerOf(cluster)): Request {
  const hp = issuerHostPath(issuer);
  return {
    // The provider of the subject's cluster's account (clusterAws): each deployment of several roots in its own.
    principal: { type: 'Federated' as const, id: `${oidcProviderArnPrefix(fleet, cluster)}${hp}` },
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: '*',
    context: { [`${hp}:sub`]: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`, [`${hp}:aud`]: audience },
  };
}

/** A web-identity caller of one issuer with the default audience, and the names of its `sub` and `aud` keys (as irsaRequest names them). */
interface IrsaCaller {
  caller: PreparedRequest;
  sub: string;
  aud: string;
}

/**
 * The chain proof's IRSA callers of a cluster, prepared once per fleet and cluster: its own issuer's,
 * and a stand-in issuer of another cluster in its region. Each runner's probes add the subject's
 * `sub` (and another `aud`) through evaluatePoliciesFor, which decides as evaluatePolicies of
 * irsaRequest(fleet, cluster, subject, audience, issuer) would (added keys replace the caller's), with
 * no request, context Map or prepared request per runner and probe.
 */
interface IrsaProbes {
  own: IrsaCaller;
  otherIssuer: IrsaCaller;
}
/** The issuer of a cluster that is not this one, in its region: its tokens must not work. */
const OTHER_ISSUER = (region: string) => `https://oidc.eks.${region}.amazonaws.com/id/0THERC1USTER0000000000000000000`;

const irsaProbeSets = new WeakMap<FleetIntent, WeakMap<ResolvedCluster, IrsaProbes>>();

function irsaCaller(fleet: FleetIntent, cluster: ResolvedCluster, issuer: string): IrsaCaller {
  const hp = issuerHostPath(issuer);
  const aud = `${hp}:aud`;
  const caller = prepareRequest({ principal: { type: 'Federated', id: `${oidcProviderArnPrefix(fleet, cluster)}${hp}` }, action: 'sts:AssumeRoleWithWebIdentity', resource: '*', context: { [aud]: IRSA_AUDIENCE } });
  return { caller, sub: `${hp}:sub`, aud };
}

function irsaProbesOf(fleet: FleetIntent, cluster: ResolvedCluster): IrsaProbes {
  let byCluster = irsaProbeSets.get(fleet);
  if (!byCluster) irsaProbeSets.set(fleet, (byCluster = new WeakMap()));
  let hit = byCluster.get(cluster);
  if (!hit) {
    hit = { own: irsaCaller(fleet, cluster, issuerOf(cluster)), otherIssuer: irsaCaller(fleet, cluster, OTHER_ISSUER(clusterRegion(fleet, cluster))) };
    byCluster.set(cluster, hit);
  }
  return hit;
}

/** Whether `trust` admits a web-identity token of `caller`'s issuer for service account `sub` (`system:serviceaccount:<ns>:<name>`), with audience `audience` (default sts.amazonaws.com). */
function irsaAllows(trust: PolicySet, probe: IrsaCaller, sub: string, audience?: string): boolean {
  const added = audience === undefined ? { [probe.sub]: sub } : { [probe.sub]: sub, [probe.aud]: audience };
  return evaluatePoliciesFor(trust, probe.caller, 'sts:AssumeRoleWithWebIdentity', '*', added) === 'allow';
}

const subjectKey = (cluster: string, namespace: string, serviceAccount: string) => `${cluster}|${namespace}|${serviceAccount}`;

/**
 * Indexes over one set of emitted documents, built once: the all-pairs proof asks the same
 * questions for thousands of subjects, and must not rescan the documents for each.
 */
interface EksIndex {
  clusters: Map<string, ResolvedCluster>;
  /** `eksClusterName|namespace|serviceAccount` → role names bound by a Pod Identity association (eksClusterName: as `associationName` says). */
  associations: Map<string, string[]>;
  /** Fleet clusters that the doctor's `bindingClusters` names: their associations are those it gives them. */
  scoped: Set<string>;
  /** role name → subjects (by EKS cluster name) associated with it, and whether the association adds session tags. */
  associatedTo: Map<string, { eksCluster: string; namespace: string; serviceAccount: string; sessionTags: PodIdentitySessionTags }[]>;
  /** `cluster|namespace|name` → the role-arn annotation of that service account (undefined: none). */
  annotations: Map<string, string | undefined>;
  /** `cluster|namespace|name` → the audience its projected token carries, where the service account's annotation sets one. */
  audiences: Map<string, string>;
  /** role ARN → role name, from the Terraform root. */
  roleByArn: Map<string, string>;
  /** prepared requests per subject: IRSA web identity with the audience of the subject's token. */
  irsa: WeakMap<KubernetesSubject, PreparedRequest>;
  keys: WeakMap<KubernetesSubject, string>;
  /** per subject list (the all-pairs proof passes one list for every role). */
  lists: WeakMap<readonly IdentitySubject[], SubjectListIndex>;
}

/** Lists up to this long (decoys) are decided directly, without building indexes over them. */
const SMALL_LIST = 8;

/** What the trust proof derives from one candidate list, once. */
interface SubjectListIndex {
  /** The list's Kubernetes subjects (the list itself when it has nothing else). */
  subjects: readonly KubernetesSubject[];
  /** IRSA request of each subject (undefined: its cluster is not EKS). */
  irsa: (PreparedRequest | undefined)[];
  irsaIndex: RequestIndex;
  /** association key (EKS cluster name, namespace, service account) → positions of EKS subjects. */
  byAssociation: Map<string, number[]>;
}

const indexes = new WeakMap<FleetDocuments, EksIndex>();

const POD_IDENTITY_SERVICE = { type: 'Service' as const, id: POD_IDENTITY_PRINCIPAL };

/**
 * Whether a trust lets EKS Pod Identity assume the role for pod `s` of cluster `c` through an
 * association: with session tags, AssumeRole and TagSession carrying them; with them disabled, a
 * plain AssumeRole (EKS User Guide, "Create IAM role with trust policy required by EKS Pod
 * Identity": TagSession is only for the session tags). Where it is not shown whether the
 * association disables them, only a trust that admits the pod either way admits it.
 */
export function podIdentityAdmits(evaluate: (request: Request) => boolean, fleet: FleetIntent, c: ResolvedCluster, s: KubernetesSubject, sessionTags: PodIdentitySessionTags): boolean {
  const withTags = () => {
    const context = podIdentityContext(fleet, c, s);
    return evaluate({ principal: POD_IDENTITY_SERVICE, action: 'sts:AssumeRole', resource: '*', context }) && evaluate({ principal: POD_IDENTITY_SERVICE, action: 'sts:TagSession', resource: '*', context });
  };
  const withoutTags = () => evaluate({ principal: POD_IDENTITY_SERVICE, action: 'sts:AssumeRole', resource: '*', context: podIdentityContext(fleet, c, s, 'disabled') });
  return sessionTags === 'added' ? withTags() : sessionTags === 'disabled' ? withoutTags() : withTags() && withoutTags();
}

/**
 * The trust proof's decision by brute force: every subject evaluated, every association scanned.
 * The test oracle of the indexed `whoCanAssume`.
 */
export function eksWhoCanAssumeBruteForce(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster, roleName: string, subjects: readonly IdentitySubject[]): KubernetesSubject[] {
  const facts = awsFacts(docs);
  const role = facts?.roles.get(roleName);
  if (!facts || !role) return [];
  const trust = { resource: [role.trustCompiled] };
  const associations = podIdentityAssociations(facts.root);
  return subjects.filter((s): s is KubernetesSubject => {
    if (s.kind !== 'kubernetes') return false;
    const c = fleet.clusters.find((x) => x.name === s.cluster);
    if (!c || c.type !== 'eks') return false;
    if (eksSpec(cluster).identity === 'pod-identity') {
      const bound = associations.filter((a) => associationRole(facts.root, a) === roleName && associationOn(docs, a, c) && a.namespace === s.namespace && a.serviceAccount === s.serviceAccount);
      return bound.some((a) => podIdentityAdmits((r) => evaluatePolicies(trust, r) === 'allow', fleet, c, s, a.sessionTags));
    }
    const sa = fleet.runners.flatMap((r) => (r.cluster === s.cluster ? (docs.runners.get(r.name)?.manifests ?? []) : [])).find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === s.namespace && o.metadata.name === s.serviceAccount);
    return evaluatePolicies(trust, irsaRequest(fleet, c, s, sa ? tokenAudience(sa) : IRSA_AUDIENCE)) === 'allow';
  });
}

/**
 * What EKS Pod Identity's AssumeRole and TagSession carry for a pod of `s` on cluster `c`, as far as
 * the documents know it: the session tags it adds (eks-cluster-arn, eks-cluster-name,
 * kubernetes-namespace, kubernetes-service-account; the pod's name and uid vary per pod and are
 * left out, so a trust that conditions on them is not shown to admit anyone), and, as for every
 * service principal acting for a resource, aws:SourceAccount and aws:SourceArn of the cluster
 * (EKS User Guide, "Create IAM role with trust policy required by EKS Pod Identity" and "List of
 * session tags added by EKS Pod Identity"; IAM User Guide, aws:SourceAccount / aws:SourceArn).
 * Trusts written with a confused-deputy guard (`aws:SourceAccount` = the account) are then read
 * as AWS evaluates them.
 */
export function podIdentityContext(fleet: FleetIntent, c: ResolvedCluster, s: KubernetesSubject, sessionTags: 'added' | 'disabled' = 'added'): Record<string, string> {
  const name = eksClusterName(c);
  const tags = sessionTags === 'added';
  const context: Record<string, string> = tags
    ? {
        'aws:RequestTag/eks-cluster-name': name,
        'aws:RequestTag/kubernetes-namespace': s.namespace,
        'aws:RequestTag/kubernetes-service-account': s.serviceAccount,
      }
    : {};
  if (fleet.aws) {
    // The cluster's own account (clusterAws): each deployment of several roots in its own.
    const aws = clusterAws(fleet, c.name);
    const arn = eksClusterArn(aws.partition, aws.accountId, clusterRegion(fleet, c), name);
    if (tags) context['aws:RequestTag/eks-cluster-arn'] = arn;
    context['aws:SourceAccount'] = aws.accountId;
    context['aws:SourceArn'] = arn;
  }
  return context;
}

function indexOf(docs: FleetDocuments, fleet: FleetIntent): EksIndex {
  const hit = indexes.get(docs);
  if (hit) return hit;
  const facts = awsFacts(docs);
  const associations = new Map<string, string[]>();
  const associatedTo = new Map<string, { eksCluster: string; namespace: string; serviceAccount: string; sessionTags: PodIdentitySessionTags }[]>();
  const scoped = new Set(docs.bindingClusters?.values() ?? []);
  for (const a of facts ? podIdentityAssociations(facts.root) : []) {
    const roleName = associationRole(facts!.root, a);
    if (roleName === undefined) continue;
    // Its own deployment's cluster where the doctor says which; else every cluster of the name it names.
    const scope = docs.bindingClusters?.get(a.address);
    const names = scope !== undefined ? [scopedName(a.cluster, scope)] : [a.cluster, ...fleet.clusters.filter((c) => scoped.has(c.name) && c.type === 'eks' && eksClusterName(c) === a.cluster).map((c) => scopedName(a.cluster, c.name))];
    for (const eksCluster of names) {
      const subject = { eksCluster, namespace: a.namespace, serviceAccount: a.serviceAccount, sessionTags: a.sessionTags };
      const k = subjectKey(subject.eksCluster, subject.namespace, subject.serviceAccount);
      associations.set(k, [...(associations.get(k) ?? []), roleName]);
      associatedTo.set(roleName, [...(associatedTo.get(roleName) ?? []), subject]);
    }
  }
  const annotations = new Map<string, string | undefined>();
  const audiences = new Map<string, string>();
  for (const runner of fleet.runners) {
    for (const o of docs.runners.get(runner.name)?.manifests ?? []) {
      if (o.kind !== 'ServiceAccount') continue;
      const k = subjectKey(runner.cluster, o.metadata.namespace ?? '', o.metadata.name);
      annotations.set(k, o.metadata.annotations?.[ROLE_ARN_ANNOTATION]);
      const audience = tokenAudience(o);
      if (audience !== IRSA_AUDIENCE) audiences.set(k, audience);
    }
  }
  const roleByArn = new Map<string, string>();
  if (facts && fleet.aws) {
    for (const role of facts.roles.values()) roleByArn.set(roleArn(fleet.aws.partition, fleet.aws.accountId, role.path, role.name), role.name);
    // A runner in an account of its own (IntentRunner.account, the doctor's, of several roots): its roles' ARNs are in that account.
    const own = new Map(fleet.runners.filter((r) => r.account !== undefined).map((r) => [r.name, r]));
    for (const id of own.size > 0 ? fleet.identities : []) {
      const r = own.get(id.runner);
      const role = r && id.cloud === 'aws' ? facts.roles.get(id.roleName) : undefined;
      if (!r || !role) continue;
      const a = runnerAws(fleet, r);
      roleByArn.set(roleArn(a.partition, a.accountId, role.path, role.name), role.name);
    }
  }
  // An annotation written as a reference to a role of the root (`${aws_iam_role.<key>.arn}`, as the doctor reads a helm_release's values) names that role;
  // one made by a module (key `module.<call>.<name>`) is referenced through the module's address (`${module.<call>.aws_iam_role.<name>.arn}`).
  for (const [key, body] of Object.entries(docs.terraformAws?.resource.aws_iam_role ?? {})) {
    if (typeof body.name !== 'string' || body.name.includes('${')) continue;
    roleByArn.set(key.startsWith('module.') ? `\${${key.replace(/\.([^.]+)$/, '.aws_iam_role.$1')}.arn}` : `\${aws_iam_role.${key}.arn}`, body.name);
  }
  const index: EksIndex = { clusters: new Map(fleet.clusters.map((c) => [c.name, c])), associations, scoped, associatedTo, annotations, audiences, roleByArn, irsa: new WeakMap(), keys: new WeakMap(), lists: new WeakMap() };
  indexes.set(docs, index);
  return index;
}

/** The cluster part of association keys for an association of a fleet cluster the doctor names (deployments given together). */
const scopedName = (eksCluster: string, fleetCluster: string) => `${eksCluster}\u0000${fleetCluster}`;

/** The cluster part of the association keys of fleet cluster `c`: its EKS name, and its fleet name where the doctor gives it associations of its own. */
function associationName(index: EksIndex, c: ResolvedCluster): string {
  return index.scoped.has(c.name) ? scopedName(eksClusterName(c), c.name) : eksClusterName(c);
}

/** Whether association `a` binds on fleet cluster `c` (see FleetDocuments.bindingClusters). */
export function associationOn(docs: FleetDocuments, a: PodIdentityAssociation, c: ResolvedCluster): boolean {
  const scope = docs.bindingClusters?.get(a.address);
  return a.cluster === eksClusterName(c) && (scope === undefined || scope === c.name);
}

/** The association key of a subject (EKS cluster name, namespace, service account), cached per subject. */
function eksSubjectKey(index: EksIndex, cluster: ResolvedCluster, s: KubernetesSubject): string {
  let k = index.keys.get(s);
  if (k === undefined) {
    k = subjectKey(associationName(index, cluster), s.namespace, s.serviceAccount);
    index.keys.set(s, k);
  }
  return k;
}

function listIndexOf(index: EksIndex, fleet: FleetIntent, all: readonly IdentitySubject[]): SubjectListIndex {
  let hit = index.lists.get(all);
  if (hit) return hit;
  const subjects = all.every((s) => s.kind === 'kubernetes') ? all : all.filter((s): s is KubernetesSubject => s.kind === 'kubernetes');
  const irsa = subjects.map((s) => preparedIrsa(index, fleet, s));
  const byAssociation = new Map<string, number[]>();
  subjects.forEach((s, i) => {
    const c = index.clusters.get(s.cluster);
    if (!c || c.type !== 'eks') return;
    const k = eksSubjectKey(index, c, s);
    const at = byAssociation.get(k);
    if (at) at.push(i);
    else byAssociation.set(k, [i]);
  });
  hit = { subjects, irsa, irsaIndex: new RequestIndex(irsa), byAssociation };
  index.lists.set(all, hit);
  return hit;
}

function preparedIrsa(index: EksIndex, fleet: FleetIntent, s: KubernetesSubject): PreparedRequest | undefined {
  let req = index.irsa.get(s);
  if (!req) {
    const cluster = index.clusters.get(s.cluster);
    if (!cluster || cluster.type !== 'eks') return undefined;
    req = prepareRequest(irsaRequest(fleet, cluster, s, index.audiences.get(subjectKey(s.cluster, s.namespace, s.serviceAccount))));
    index.irsa.set(s, req);
  }
  return req;
}

/**
 * The smoke job's IMDS check: neither an IMDSv2 token nor an IMDSv1 read may succeed from a job pod
 * (the NetworkPolicy network-policy.yaml, enforced, or a node hop limit of 1 with IMDSv2 required).
 */
const EC2_IMDS_CHECK = [
  'command -v curl >/dev/null || { echo "FAIL: the image has no curl to test the metadata service with" >&2; exit 1; }',
  "if curl -sf -m 3 -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' >/dev/null; then echo \"FAIL: a job got an IMDSv2 token from the node's metadata service, so it can take the node role's credentials: enable network policy in the VPC CNI (enableNetworkPolicy) so network-policy.yaml is enforced, or set the node group's metadata hop limit to 1\" >&2; exit 1; fi",
  "if curl -sf -m 3 http://169.254.169.254/latest/meta-data/ >/dev/null; then echo \"FAIL: a job read the node's metadata service without a token (IMDSv1), so it can take the node role's credentials: require IMDSv2 with hop limit 1 on the node group, or enforce network-policy.yaml\" >&2; exit 1; fi",
  'echo "OK: jobs cannot reach the node\'s metadata service"',
];

export const eksPlatform: PlatformPlugin = {
  type: 'eks',
  cloud: 'aws',
  title: 'Amazon EKS',
  kubernetes: true,
  identityMechanisms: { irsa: 'IRSA (web identity)', 'pod-identity': 'EKS Pod Identity' },
  cacheTypes: ['s3'],
  clusterSchema: eksClusterSchema,
  subjectNoun: 'service accounts',
  chainClaim: 'every reference resolves: service account ↔ role ↔ trust subject ↔ Helm values ↔ config.toml',
  chainClaimFor: (managerConfig) => `every reference resolves: service account ↔ role ↔ trust subject ↔ ${managerConfig}`,
  rotatorAccess: eksRotatorAccess,

  checkSpec(ctx) {
    const spec = ctx.cluster as unknown as EksClusterSpec;
    const out: Finding[] = [];
    const p = ctx.clusterPath;
    if (!ctx.fleet.aws) {
      out.push({ code: 'RF004', severity: 'error', path: 'aws', message: `an EKS cluster needs the aws section (${p} is type eks)`, fix: 'add aws: { accountId: "<12 digits>", region: <region> }' });
      return out;
    }
    out.push(...checkCreate(ctx));
    const region = spec.region ?? ctx.fleet.aws.region;
    const issuerRegion = /^https:\/\/oidc\.eks\.([a-z0-9-]+)\.amazonaws/.exec(spec.oidcIssuer ?? '')?.[1];
    if (issuerRegion !== undefined && issuerRegion !== region && !spec.create) {
      out.push({ code: 'RF010', severity: 'error', path: `${p}.oidcIssuer`, message: `the issuer is in ${issuerRegion} but the cluster is in ${region}`, received: spec.oidcIssuer ?? '', allowed: `https://oidc.eks.${region}.amazonaws.com/id/<ID>`, fix: `copy the issuer of this cluster, or set ${p}.region: ${issuerRegion}` });
    }
    const seen = new Map<string, number>();
    spec.access.forEach((a, i) => {
      const ap = `${p}.access[${i}]`;
      const prev = seen.get(a.principal);
      if (prev !== undefined) out.push({ code: 'RF005', severity: 'error', path: `${ap}.principal`, message: `principal is already listed at ${p}.access[${prev}]`, received: a.principal, fix: 'list each principal once' });
      seen.set(a.principal, i);
      const via = accessVia(authenticationMode(spec), a);
      const mode = authenticationMode(spec);
      if (via === 'access-entry' && mode === 'CONFIG_MAP') {
        out.push({ code: 'RF010', severity: 'error', path: `${ap}.via`, message: 'access entries need authenticationMode API or API_AND_CONFIG_MAP', received: 'access-entry', allowed: 'aws-auth (in CONFIG_MAP mode)', fix: `set via: aws-auth, or move the cluster to API_AND_CONFIG_MAP and set ${p}.authenticationMode` });
      }
      if (via === 'aws-auth' && mode === 'API') {
        out.push({ code: 'RF010', severity: 'error', path: `${ap}.via`, message: 'the aws-auth ConfigMap is ignored in authenticationMode API', received: 'aws-auth', allowed: 'access-entry', fix: 'set via: access-entry' });
      }
      const acct = /^arn:[^:]+:iam::([0-9]{12}):/.exec(a.principal)?.[1];
      if (acct !== undefined && acct !== ctx.fleet.aws?.accountId) {
        out.push({ code: 'RF010', severity: 'error', path: `${ap}.principal`, message: `principal is in account ${acct}, the cluster in ${ctx.fleet.aws?.accountId ?? '?'}`, received: a.principal, fix: 'grant a principal of the cluster account (cross-account operators assume a role in it)' });
      }
    });
    return out;
  },

  bind(_fleet, cluster, runner, purpose) {
    const names = runner.kubernetes!;
    const serviceAccount = purpose === 'manager' ? names.managerServiceAccount : names.jobServiceAccount;
    return { mechanism: eksSpec(cluster).identity, subject: { kind: 'kubernetes', cluster: cluster.name, namespace: partyNamespace(names, purpose), serviceAccount } };
  },

  trustPolicy(fleet, cluster, identity): PolicyDocument {
    const s = identity.binding.subject;
    if (s.kind !== 'kubernetes') throw new Error(`internal: EKS cannot trust ${s.kind} subjects`);
    if (identity.binding.mechanism === 'pod-identity') {
      return {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EksPodIdentity',
            Effect: 'Allow',
            Principal: { Service: POD_IDENTITY_PRINCIPAL },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: {
              StringEquals: {
                'aws:RequestTag/eks-cluster-name': eksClusterName(cluster),
                'aws:RequestTag/kubernetes-namespace': s.namespace,
                'aws:RequestTag/kubernetes-service-account': s.serviceAccount,
              },
            },
          },
        ],
      };
    }
    const hp = issuerHostPath(issuerOf(cluster));
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'IrsaServiceAccount',
          Effect: 'Allow',
          Principal: { Federated: oidcProviderArn(fleet, cluster) },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${hp}:aud`]: IRSA_AUDIENCE,
              [`${hp}:sub`]: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`,
            },
          },
        },
      ],
    };
  },

  emitRunner(fleet, cluster, runner, ctx): RunnerEmission {
    const names = runner.kubernetes!;
    const manager = identityOf(fleet, runner.managerIdentity);
    const jobs = identityOf(fleet, runner.jobIdentity!);
    const irsa = eksSpec(cluster).identity === 'irsa';
    const annotate = (id: CloudIdentity): Record<string, string> =>
      irsa ? { [ROLE_ARN_ANNOTATION]: identityRef(id), 'eks.amazonaws.com/audience': IRSA_AUDIENCE, 'eks.amazonaws.com/sts-regional-endpoints': 'true' } : {};
    const objs = runnerObjects(fleet, runner, names, { annotations: annotate(manager) }, { annotations: annotate(jobs) });
    const podLabels = { ...commonLabels(fleet, runner) };
    const executorToml = kubernetesExecutor(runner, names, merged(podLabels, { 'runner-fleet.dev/purpose': 'job' }));
    const runnerToml = chartRunnerToml(merged(executorToml, ctx.runnerExtras));
    const values = helmValues(fleet, runner, names, runnerToml, merged(podLabels, { 'runner-fleet.dev/purpose': 'manager' }));
    // Job pods may not take the node's role from IMDS (IRSA and Pod Identity do not stop that).
    const noImds = imdsNetworkPolicy(fleet, runner, names, [IMDS_IPV6_EC2]);
    const files: Artifact[] = [
      // A namespace runners share is written once, by the first of them.
      ...(ownsNamespace(fleet, runner) ? [{ path: `kubernetes/${runner.name}/namespace.yaml`, format: 'yaml' as const, content: [objs.namespace] }] : []),
      { path: `kubernetes/${runner.name}/service-accounts.yaml`, format: 'yaml', content: objs.serviceAccounts },
      { path: `kubernetes/${runner.name}/rbac.yaml`, format: 'yaml', content: objs.rbac },
      { path: `kubernetes/${runner.name}/network-policy.yaml`, format: 'yaml', content: [noImds] },
      { path: `helm/${runner.name}/values.yaml`, format: 'yaml', content: [values] },
    ];
    let terraformAws: TerraformResources | undefined;
    if (!irsa) {
      const assoc = byName<Record<string, unknown>>();
      for (const [id, sa] of [
        [manager, names.managerServiceAccount],
        [jobs, names.jobServiceAccount],
      ] as const) {
        assoc[tfName(id.key)] = {
          ...providerFor(fleet, cluster),
          cluster_name: clusterNameRef(cluster),
          namespace: names.namespace,
          service_account: sa,
          role_arn: `\${aws_iam_role.${tfName(id.key)}.arn}`,
        };
      }
      terraformAws = { aws_eks_pod_identity_association: assoc };
    }
    return { files, executorToml, manifests: [objs.namespace, ...objs.serviceAccounts, ...objs.rbac, noImds], helmValues: values, helmRunnerToml: runnerToml, ...(terraformAws ? { terraformAws } : {}) };
  },

  emitCluster(fleet, cluster) {
    const spec = eksSpec(cluster);
    const terraformAws: TerraformResources = {};
    const files: Artifact[] = [];
    const provider = providerFor(fleet, cluster);
    const aws = fleet.aws!;
    let terraformAwsLocals: Record<string, string> | undefined;
    if (isCreated(cluster)) {
      const created = clusterResources(fleet, cluster, provider);
      Object.assign(terraformAws, created.resources);
      terraformAwsLocals = created.locals;
    } else if (createsOidcProvider(spec)) {
      terraformAws.aws_iam_openid_connect_provider = {
        [tfName(cluster.name)]: { ...provider, url: issuerOf(cluster), client_id_list: [IRSA_AUDIENCE] },
      };
    }
    const entries: Record<string, Record<string, unknown>> = {};
    const policies: Record<string, Record<string, unknown>> = {};
    const mapRoles: Record<string, unknown>[] = [];
    const mapUsers: Record<string, unknown>[] = [];
    const bindings: K8sObject[] = [];
    spec.access.forEach((a, i) => {
      const k = tfName(cluster.name, 'access', String(i));
      if (accessVia(authenticationMode(spec), a) === 'access-entry') {
        entries[k] = { ...provider, cluster_name: clusterNameRef(cluster), principal_arn: a.principal, type: 'STANDARD' };
        policies[k] = {
          ...provider,
          cluster_name: clusterNameRef(cluster),
          principal_arn: `\${aws_eks_access_entry.${k}.principal_arn}`,
          policy_arn: `arn:${aws.partition}:eks::aws:cluster-access-policy/${EKS_ACCESS_POLICIES[a.policy]}`,
          access_scope: a.namespaces ? { type: 'namespace', namespaces: [...a.namespaces] } : { type: 'cluster' },
        };
      } else {
        const group = `runner-fleet:${cluster.name}:${usernameOf(a)}`;
        const entry = { [a.principal.includes(':role/') ? 'rolearn' : 'userarn']: a.principal, username: usernameOf(a), groups: [group] };
        (a.principal.includes(':role/') ? mapRoles : mapUsers).push(entry);
        const clusterRole = CLUSTER_ROLE_FOR_POLICY[a.policy];
        const labels = { 'app.kubernetes.io/managed-by': 'runner-fleet', 'app.kubernetes.io/part-of': fleet.name };
        const subjects = [{ kind: 'Group', name: group, apiGroup: 'rbac.authorization.k8s.io' }];
        const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole };
        const bindingName = `runner-fleet-${usernameOf(a).toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${a.policy}`.slice(0, 63).replace(/-+$/, '');
        if (a.namespaces) {
          for (const ns of a.namespaces) bindings.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: bindingName, namespace: ns, labels }, roleRef, subjects });
        } else {
          bindings.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: bindingName, labels }, roleRef, subjects });
        }
      }
    });
    if (Object.keys(entries).length > 0) {
      terraformAws.aws_eks_access_entry = entries;
      terraformAws.aws_eks_access_policy_association = policies;
    }
    if (mapRoles.length + mapUsers.length > 0) {
      files.push({ path: `clusters/${cluster.name}/aws-auth-entries.yaml`, format: 'yaml', content: [{ mapRoles, mapUsers }] });
      files.push({ path: `clusters/${cluster.name}/access-rbac.yaml`, format: 'yaml', content: bindings });
    }
    return { files, terraformAws, ...(terraformAwsLocals ? { terraformAwsLocals } : {}) };
  },

  nodePools(docs, cluster, clusterPath) {
    if (isCreated(cluster)) return { poolsPath: `${clusterPath}.create.nodeGroups`, pools: eksNodePools(docs.terraformAws, cluster) };
    // An existing cluster whose node groups are in the documents (the doctor's evidence: Terraform, eksctl).
    const documented = documentedNodePools(docs, eksClusterName(cluster));
    return documented ? { poolsPath: documented.where, pools: documented.pools } : undefined;
  },

  verifyDocuments(docs, fleet) {
    return fleet.clusters.flatMap((c, i) => (c.type === 'eks' && isCreated(c) ? verifyCreatedCluster(docs, fleet, c, `clusters[${i}]`) : []));
  },

  clusterFindings(_fleet, cluster, clusterPath) {
    const out: Finding[] = [];
    eksSpec(cluster).access.forEach((a, i) => {
      if (accessVia(authenticationMode(eksSpec(cluster)), a) === 'aws-auth') {
        out.push({ code: 'RF401', severity: CODES.RF401.severity, path: `${clusterPath}.access[${i}]`, message: `${a.principal} gets access through the aws-auth ConfigMap; AWS deprecates it in favour of access entries, and a bad edit of that ConfigMap locks nodes out`, fix: 'use via: access-entry (the cluster needs authenticationMode API_AND_CONFIG_MAP or API)' });
      }
      if (a.policy === 'cluster-admin' && !a.namespaces) {
        out.push({ code: 'RF402', severity: CODES.RF402.severity, path: `${clusterPath}.access[${i}]`, message: `${a.principal} is cluster-admin on the whole cluster`, fix: 'grant admin or edit with namespaces where that is enough' });
      }
    });
    return out;
  },

  identityCheckJob(fleet, _runner, jobIdentity) {
    return { ...awsIdentityCheckJob(fleet, jobIdentity!), imdsCheck: EC2_IMDS_CHECK };
  },

  subjects(docs, intent, cluster) {
    return kubernetesSubjects(docs, intent, cluster);
  },

  trustServices(subject) {
    // A service account reaches its role through the cluster's OIDC provider (a Federated
    // principal, proven by the all-pairs proof) or through the Pod Identity agent's service.
    return subject.kind === 'kubernetes' ? [POD_IDENTITY_PRINCIPAL] : [];
  },

  decoys(subject) {
    return kubernetesDecoys(subject);
  },

  whoCanAssume(docs, intent, cluster, roleName, all) {
    const role = awsFacts(docs)?.roles.get(roleName);
    if (!role) return [];
    const index = indexOf(docs, intent);
    const trust = { resource: [role.trustCompiled] };
    const podIdentity = eksSpec(cluster).identity === 'pod-identity';
    // Pod Identity: a pod gets the role only through an association; the trust must then accept
    // the agent's AssumeRole (and TagSession with that pod's session tags, unless the association disables them).
    const allows = (r: Request) => evaluatePolicies(trust, prepareRequest(r)) === 'allow';
    const podIdentityAllows = (s: KubernetesSubject, c: ResolvedCluster, states: readonly PodIdentitySessionTags[]) => states.some((st) => podIdentityAdmits(allows, intent, c, s, st));
    /** association key → how each association of this role with that key treats session tags. */
    const boundStates = () => {
      const out = new Map<string, PodIdentitySessionTags[]>();
      for (const a of index.associatedTo.get(roleName) ?? []) {
        const k = subjectKey(a.eksCluster, a.namespace, a.serviceAccount);
        out.set(k, [...(out.get(k) ?? []), a.sessionTags]);
      }
      return out;
    };
    // IRSA: anyone holding a service-account token of the right audience can call
    // AssumeRoleWithWebIdentity, so only the trust policy decides.
    const out: KubernetesSubject[] = [];
    if (all.length <= SMALL_LIST) {
      // Decoy lists are made afresh for every role: decide each subject, there is nothing to reuse.
      const bound = podIdentity ? boundStates() : undefined;
      for (const s of all) {
        if (s.kind !== 'kubernetes') continue;
        const c = index.clusters.get(s.cluster);
        if (!c || c.type !== 'eks') continue;
        const states = bound?.get(subjectKey(associationName(index, c), s.namespace, s.serviceAccount));
        // IRSA: the cluster's prepared caller with this subject's `sub` (and its token's audience, where its annotation sets one) added.
        if (bound ? states !== undefined && podIdentityAllows(s, c, states) : irsaAllows(trust, irsaProbesOf(intent, c).own, `system:serviceaccount:${s.namespace}:${s.serviceAccount}`, index.audiences.get(subjectKey(s.cluster, s.namespace, s.serviceAccount)))) out.push(s);
      }
      return out;
    }
    // The core passes each cluster the same subject list for every role: what is derived from a
    // list (its Kubernetes subjects, their requests, the indexes over them) is built once per list.
    const list = listIndexOf(index, intent, all);
    const subjects = list.subjects;
    if (podIdentity) {
      // Only the subjects an association binds to this role are candidates, found by association key.
      const positions = new Map<number, PodIdentitySessionTags[]>();
      for (const [k, states] of boundStates()) for (const i of list.byAssociation.get(k) ?? []) positions.set(i, states);
      for (const [i, states] of [...positions].sort(([x], [y]) => x - y)) {
        const s = subjects[i]!;
        if (podIdentityAllows(s, index.clusters.get(s.cluster)!, states)) out.push(s);
      }
      return out;
    }
    // The trust is evaluated for every subject its StringEquals conditions can admit (for all of
    // them when it has none, e.g. StringLike).
    const prepared = list.irsa;
    const candidates = list.irsaIndex.candidates(role.trustCompiled);
    const decide = (i: number) => {
      const req = prepared[i];
      if (req !== undefined && evaluatePolicies(trust, req) === 'allow') out.push(subjects[i]!);
    };
    if (candidates === undefined) for (let i = 0; i < subjects.length; i++) decide(i);
    else for (const i of candidates) decide(i);
    return out;
  },

  verifyChain(docs, fleet, runner, runnerPath) {
    const out = verifyKubernetesChain(docs, fleet, runner, runnerPath);
    const names = runner.kubernetes!;
    const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
    const facts = awsFacts(docs);
    const irsa = eksSpec(cluster).identity === 'irsa';
    // The doctor may find jobs without an identity of their own; then only the manager's is proven here.
    const parties: ['manager' | 'jobs', string, string][] = [['manager', runner.managerIdentity, names.managerServiceAccount]];
    if (runner.jobIdentity !== undefined) parties.push(['jobs', runner.jobIdentity, names.jobServiceAccount]);
    for (const [purpose, key, sa] of parties) {
      const identity = identityOf(fleet, key);
      // The jobs' service account is in the namespace job pods run in, which may not be the manager's.
      const ns = partyNamespace(names, purpose);
      const role = facts?.roles.get(identity.roleName);
      if (!role) {
        out.push({ code: 'RF106', severity: 'error', path: runnerPath, message: `the ${purpose} role ${identity.roleName} is not in terraform/aws/main.tf.json`, fix: 'regenerate; report a bug if it persists', deploymentFix: `give the Terraform of role ${identity.roleName} (or its aws iam get-role output)` });
        continue;
      }
      // In the runner's own account (runnerAws: the doctor's deployments of several roots in several accounts).
      const own = runnerAws(fleet, runner);
      const arn = roleArn(own.partition, own.accountId, role.path, role.name);
      const subject: KubernetesSubject = { kind: 'kubernetes', cluster: cluster.name, namespace: ns, serviceAccount: sa };
      const got = this.roleOfSubject(docs, fleet, cluster, subject);
      if (got !== role.name) {
        const fix = 'regenerate; the names must come from one resolved value';
        if (irsa) {
          const annotated = String(findServiceAccount(docs, runner.name, ns, sa)?.metadata.annotations?.[ROLE_ARN_ANNOTATION]);
          // This runner's own copy names its role, and another copy of the account on the same cluster
          // (another runner's files: two fleets with one namespace and name) names another: one account takes one annotation.
          const message =
            annotated === arn && got !== undefined
              ? `service account ${ns}/${sa} is annotated ${ROLE_ARN_ANNOTATION}=${arn} in this runner's files, but another runner's files write the same service account on cluster ${cluster.name} (the same issuer) annotated with role ${got}: one service account has one annotation, so the pods of one of them run with the other's role`
              : `service account ${ns}/${sa} is annotated ${ROLE_ARN_ANNOTATION}=${annotated}, but its ${purpose} role is ${arn}`;
          const twice = annotated === arn && got !== undefined;
          out.push({ code: 'RF106', severity: 'error', path: runnerPath, message, fix, deploymentFix: twice ? `give one of the two runners its own namespace or service account name on cluster ${cluster.name}, or deploy them to different clusters` : `annotate service account ${ns}/${sa} with ${ROLE_ARN_ANNOTATION}: ${arn}${purpose === 'manager' ? ' (serviceAccount.annotations in the chart values)' : ''}` });
        } else {
          // What the documents bind the service account to instead: nothing, another role, or several.
          const eks = eksClusterName(cluster);
          const index = indexOf(docs, fleet);
          const bound = index.associations.get(subjectKey(associationName(index, cluster), ns, sa)) ?? [];
          const message =
            bound.length === 0
              ? `no pod identity association binds ${ns}/${sa} on EKS cluster ${eks} to ${arn}`
              : bound.length === 1
                ? `the pod identity association of ${ns}/${sa} on EKS cluster ${eks} binds role ${bound[0]!}, not its ${purpose} role ${arn}`
                : `${bound.length} pod identity associations bind ${ns}/${sa} on EKS cluster ${eks} (roles ${bound.join(', ')}): which one its pods get is not shown`;
          const association = `cluster_name = "${eks}", namespace = "${ns}", service_account = "${sa}" and role_arn = "${arn}"`;
          const deploymentFix =
            bound.length === 0
              ? `add an aws_eks_pod_identity_association with ${association} (or: aws eks create-pod-identity-association --cluster-name ${eks} --namespace ${ns} --service-account ${sa} --role-arn ${arn})`
              : bound.length === 1
                ? `set role_arn = "${arn}" in the aws_eks_pod_identity_association of ${ns}/${sa}`
                : `keep one aws_eks_pod_identity_association for ${ns}/${sa}, the one with ${association}, and remove the others`;
          out.push({ code: 'RF106', severity: 'error', path: runnerPath, message, received: bound.length === 0 ? 'no association' : bound.join(', '), allowed: role.name, fix, deploymentFix });
        }
      }
      // IRSA: a token for the right subject but another audience must not work (aud pinned).
      if (irsa) {
        const trust = { resource: [role.trustCompiled] };
        const probes = irsaProbesOf(fleet, cluster);
        const sub = `system:serviceaccount:${ns}:${sa}`;
        const right = irsaAllows(trust, probes.own, sub);
        // The token the pod really gets carries the audience its service account's annotation asks for.
        const saObject = findServiceAccount(docs, runner.name, ns, sa);
        const audience = saObject ? tokenAudience(saObject) : IRSA_AUDIENCE;
        if (audience !== IRSA_AUDIENCE && !irsaAllows(trust, probes.own, sub, audience)) {
          const admitted = trustAudiences(role.trust, issuerHostPath(issuerOf(cluster)));
          out.push({
            code: 'RF106',
            severity: 'error',
            path: runnerPath,
            message: `service account ${ns}/${sa} is annotated ${AUDIENCE_ANNOTATION}=${audience} (kubernetes/${runner.name}/service-accounts.yaml), so its pods' web-identity token carries aud ${audience}, but the trust of the ${purpose} role ${role.name} (terraform/aws/main.tf.json) admits aud ${admitted.length > 0 ? admitted.join(', ') : IRSA_AUDIENCE}: the ${purpose} cannot assume its role`,
            received: audience,
            allowed: admitted.length > 0 ? admitted.join(', ') : IRSA_AUDIENCE,
            fix: `remove the ${AUDIENCE_ANNOTATION} annotation (the default is ${IRSA_AUDIENCE}), or set it to ${admitted[0] ?? IRSA_AUDIENCE}`,
            subject: { kind: 'audience', identity: key },
          });
        }
        const otherAud = irsaAllows(trust, probes.own, sub, 'https://attacker.example');
        // The trust names this cluster's issuer (for a created cluster: its symbol), and no other.
        const federated = (Array.isArray(role.trust.Statement) ? role.trust.Statement : [role.trust.Statement]).flatMap((st) => {
          const p = st.Principal;
          return p && p !== '*' && p.Federated !== undefined ? (Array.isArray(p.Federated) ? p.Federated : [p.Federated]) : [];
        });
        const foreign = federated.filter((x) => x !== oidcProviderArn(fleet, cluster));
        if (foreign.length > 0) {
          out.push({ code: 'RF108', severity: 'error', path: runnerPath, message: `role ${role.name} trusts ${foreign.join(', ')}, not the issuer of cluster ${cluster.name} (${oidcProviderArn(fleet, cluster)})`, fix: isCreated(cluster) ? 'regenerate; the issuer of a created cluster comes from its resource, never a copy' : `set ${cluster.name}'s oidcIssuer to the cluster's issuer and regenerate`, deploymentFix: `make the Federated principal of the trust of ${role.name} ${oidcProviderArn(fleet, cluster)}, the IAM OIDC provider of cluster ${cluster.name}'s issuer, and its condition keys that issuer` });
        }
        // A token of the right subject and audience from another issuer (another cluster) must not work.
        if (right && irsaAllows(trust, probes.otherIssuer, sub)) {
          out.push({ code: 'RF108', severity: 'error', path: runnerPath, message: `role ${role.name} accepts web-identity tokens of ${ns}/${sa} from another cluster's issuer`, fix: 'name the cluster issuer in the Federated principal and the condition keys' });
        }
        if (right && otherAud) {
          out.push({ code: 'RF101', severity: 'error', path: runnerPath, message: `role ${role.name} accepts web-identity tokens of any audience for ${ns}/${sa}`, fix: `pin ${issuerHostPath(issuerOf(cluster))}:aud = ${IRSA_AUDIENCE} with StringEquals`, subject: { kind: 'trust', role: role.name } });
        }
      }
    }
    return out;
  },

  readme(fleet) {
    const steps: ReadmeStep[] = [];
    const eks = fleet.clusters.filter((c) => c.type === 'eks');
    const awsAuth = eks.flatMap((c) => eksSpec(c).access.filter((a) => accessVia(authenticationMode(eksSpec(c)), a) === 'aws-auth').map((a) => ({ c, a })));
    if (awsAuth.length > 0) {
      const lines = ['```sh'];
      for (const { c, a } of awsAuth) {
        const user = usernameOf(a);
        lines.push(`eksctl create iamidentitymapping --cluster ${eksClusterName(c)} --region ${clusterRegion(fleet, c)} --arn ${a.principal} --username ${user} --group runner-fleet:${c.name}:${user}`);
      }
      for (const c of [...new Set(awsAuth.map((x) => x.c))]) lines.push(`kubectl apply -f clusters/${c.name}/access-rbac.yaml`);
      lines.push('```');
      steps.push({ phase: 'cluster', title: 'aws-auth entries', text: 'for operators granted through the ConfigMap. Merge them; never replace the ConfigMap, it also maps your nodes:', lines });
    }
    const created = eks.filter((c) => isCreated(c));
    if (created.length > 0) {
      steps.unshift({
        phase: 'cluster',
        title: 'Cluster credentials.',
        text: `terraform/aws created ${created.map((c) => `\`${eksClusterName(c)}\``).join(', ')} (the control plane takes 10–15 minutes) with its node groups and add-ons. Only the principals under \`access\` can reach it — not whoever ran Terraform. As one of them:`,
        lines: ['```sh', ...created.map((c) => `aws eks update-kubeconfig --name ${eksClusterName(c)} --region ${clusterRegion(fleet, c)} --alias ${eksClusterName(c)}`), '```'],
      });
    }
    // IRSA's AssumeRoleWithWebIdentity needs an IAM OIDC provider for the cluster's issuer in the account;
    // with oidcProvider existing (the default for an existing cluster) nothing here creates it.
    const providerNeeded = eks.filter((c) => eksSpec(c).identity === 'irsa' && !createsOidcProvider(eksSpec(c)));
    if (providerNeeded.length > 0) {
      const lines = ['```sh'];
      for (const c of providerNeeded) {
        lines.push(`aws eks describe-cluster --name ${eksClusterName(c)} --region ${clusterRegion(fleet, c)} --query cluster.identity.oidc.issuer --output text   # must print ${issuerOf(c)}`);
        lines.push(`aws iam list-open-id-connect-providers --query "OpenIDConnectProviderList[?Arn=='${oidcProviderArn(fleet, c)}'].Arn" --output text   # must print that ARN`);
      }
      lines.push('```');
      steps.push({
        phase: 'cluster',
        title: 'IAM OIDC provider.',
        text: `The roles of ${providerNeeded.length === 1 ? 'cluster' : 'clusters'} ${providerNeeded.map((c) => `\`${c.name}\``).join(', ')} trust the cluster's IAM OIDC provider, which the spec says exists already (\`oidcProvider: existing\`, the default), so terraform/aws does not create it. Without it the managers' and jobs' AssumeRoleWithWebIdentity fails with "No OpenIDConnect provider found in your account", and neither gets AWS credentials. Check before the runners start; if the second command prints nothing, set \`oidcProvider: create\` on the cluster and apply again (or create the provider for the issuer yourself):`,
        lines,
      });
    }
    const podIdentity = eks.filter((c) => eksSpec(c).identity === 'pod-identity' && !isCreated(c));
    if (podIdentity.length > 0) {
      steps.push({ phase: 'cluster', title: 'EKS Pod Identity agent.', text: `Clusters ${podIdentity.map((c) => c.name).join(', ')} need the EKS Pod Identity Agent add-on running before the runners start; the associations in terraform/aws take effect eventually (allow a minute).`, lines: [] });
    }
    return { steps, sections: [] };
  },

  roleOfSubject(docs, intent, cluster, subject: IdentitySubject) {
    if (subject.kind !== 'kubernetes') return undefined;
    const index = indexOf(docs, intent);
    if (eksSpec(cluster).identity === 'pod-identity') {
      const hits = index.associations.get(subjectKey(associationName(index, cluster), subject.namespace, subject.serviceAccount)) ?? [];
      return hits.length === 1 ? hits[0] : undefined;
    }
    const arn = index.annotations.get(subjectKey(subject.cluster, subject.namespace, subject.serviceAccount));
    return arn === undefined ? undefined : index.roleByArn.get(arn);
  },
};

