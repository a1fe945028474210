import type { AwsSpec, RunnerSpec, AwsStatementSpec } from '../spec/schema.js';
import type { PolicyDocument, Statement } from '../verify/iam/types.js';
import type { AzureRoleAssignmentSpec, AzureSpec } from '../spec/azure.js';
import type { ResolvedReach } from './reach.js';

/**
 * The resolved fleet: the written spec with every default applied and every derived name
 * computed once. Emitters and verification read names from here and nowhere else.
 */

export interface ResolvedCluster {
  name: string;
  type: string;
  cloud: 'aws' | 'azure';
  /** Platform-specific settings, already defaulted by the plugin's schema. */
  spec: Record<string, unknown> & { name: string; type: string };
}

export interface ResolvedCache {
  name: string;
  type: string;
  spec: Record<string, unknown> & { name: string; type: string };
}

/** Kubernetes names of one runner (platforms with `kubernetes: true`). */
export interface KubernetesNames {
  /** The manager's namespace (its Helm release, service account, RBAC subject, token Secret). */
  namespace: string;
  /**
   * The namespace job pods run in (`[runners.kubernetes] namespace`) where it is not the manager's:
   * a deployment the doctor reads may run jobs apart from the manager (GitLab's advice). Absent: `namespace`.
   */
  jobNamespace?: string;
  managerServiceAccount: string;
  jobServiceAccount: string;
  role: string;
  roleBinding: string;
  tokenSecret: string;
  helmRelease: string;
}

/** The namespace of a runner party: the jobs' own where they run apart from the manager, else the runner's. */
export function partyNamespace(names: KubernetesNames, purpose: IdentityPurpose): string {
  return purpose === 'jobs' ? (names.jobNamespace ?? names.namespace) : names.namespace;
}

export interface RunnerCacheRef {
  cache: string;
  /** `[runners.cache] Path` */
  path: string;
  shared: boolean;
}

export type IdentityPurpose = 'manager' | 'jobs';

/** A keyless cloud identity and who may become it. */
export interface AwsRoleIdentity {
  cloud: 'aws';
  /** Stable key inside the fleet, e.g. `dev-manager`. Terraform resource names derive from it. */
  key: string;
  runner: string;
  purpose: IdentityPurpose;
  roleName: string;
  rolePath: string;
  arn: string;
  /** How the identity is bound; the platform that owns the mechanism builds the trust policy. */
  binding: IdentityBinding;
  /** Permissions as IAM statements (the cache backend adds the manager's cache access). */
  statements: Statement[];
}

/**
 * A user-assigned managed identity (Azure Workload Identity). `roleName` is the identity's
 * name: the shared proofs ask "which identity does this service account become" by that name.
 */
export interface AzureManagedIdentity {
  cloud: 'azure';
  key: string;
  runner: string;
  purpose: IdentityPurpose;
  roleName: string;
  resourceGroup: string;
  /** `/subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>` */
  resourceId: string;
  binding: IdentityBinding;
  /** Role assignments the spec grants (the cache backend adds the manager's own). */
  roleAssignments: AzureRoleAssignmentSpec[];
}

export type CloudIdentity = AwsRoleIdentity | AzureManagedIdentity;

/** A printable identifier of any identity (ARN or Azure resource id). */
export function identityRef(id: CloudIdentity): string {
  return id.cloud === 'aws' ? id.arn : id.resourceId;
}

/** A Kubernetes service account: gets credentials through IRSA or EKS Pod Identity. */
export interface KubernetesSubject {
  kind: 'kubernetes';
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

/**
 * Compute that an AWS service acts for: an EC2 instance through its instance profile
 * (`ec2.amazonaws.com`) or an ECS task through its task definition (`ecs-tasks.amazonaws.com`).
 */
export interface AwsServiceSubject {
  kind: 'aws-service';
  cluster: string;
  service: string;
  /** What attaches the role to the compute. */
  attachment: 'instance-profile' | 'task-definition';
  /** Instance profile name or task definition family. */
  name: string;
  /** Account the compute runs in; a foreign account is a probe, never a real subject. */
  account: string;
  /**
   * No document states the account (the doctor over roles without account ids and no provider
   * naming it): `account` is then a stand-in equal only to itself, never shown as an id.
   */
  accountNotShown?: true;
}

/** Whoever can obtain an identity's credentials. Platforms enumerate them from the documents. */
export type IdentitySubject = KubernetesSubject | AwsServiceSubject;

export function subjectLabel(s: IdentitySubject): string {
  switch (s.kind) {
    case 'kubernetes':
      return `${s.cluster}:${s.namespace}/${s.serviceAccount}`;
    case 'aws-service':
      return `${s.cluster}:${s.attachment} ${s.name} (${s.service}, ${s.accountNotShown ? 'an account the documents do not show' : `account ${s.account}`})`;
    default: {
      const never: never = s;
      throw new Error(`internal: unknown subject ${JSON.stringify(never)}`);
    }
  }
}

export interface IdentityBinding {
  /** The mechanism, e.g. `irsa`, `pod-identity`, `instance-profile`, `task-role`. Owned by a platform plugin. */
  mechanism: string;
  subject: IdentitySubject;
}

export interface ResolvedRunner {
  name: string;
  index: number;
  /** `[[runners]] name` and the GitLab description. */
  description: string;
  cluster: string;
  platform: string;
  spec: RunnerSpec;
  kubernetes?: KubernetesNames;
  cache?: RunnerCacheRef;
  managerIdentity: string;
  /** Undefined when jobs get no cloud identity of their own (Docker on a VM with IMDS closed to containers). */
  jobIdentity?: string;
  /** Names a non-Kubernetes platform derives for this runner (security groups, parameters, …), computed once here. */
  platformNames?: Record<string, string>;
}

export interface ResolvedFleet {
  apiVersion: string;
  kind: string;
  name: string;
  gitlabUrl: string;
  aws?: AwsSpec;
  azure?: AzureSpec;
  /** Values known only after an apply, passed in by the user (e.g. `synth --azure-outputs`). */
  applied?: AppliedOutputs;
  clusters: ResolvedCluster[];
  caches: ResolvedCache[];
  runners: ResolvedRunner[];
  identities: CloudIdentity[];
  /** Cross-account deploy targets and GitLab ID-token roles (model/reach.ts). */
  reach?: ResolvedReach;
  /** Scheduled token rotation of API-registered runners (operations.rotation). */
  rotation?: ResolvedRotation;
}

export interface ResolvedRotation {
  project: string;
  ref: string;
  /** The one `sub` the rotator identity admits. */
  sub: string;
  audience: string;
  /** The rotator IAM role (SSM token stores), also in reach.idTokens.roles with purpose rotator. */
  awsRoleArn?: string;
  awsRoleName?: string;
  /** Kubernetes Secret stores: the user the rotator role maps to and what it may touch (resolve-operations.ts). */
  kubernetes?: RotatorKubernetes;
  /** AKS runners (Key Vault or Secret stores): the rotator's user-assigned managed identity (issue 12d). */
  azure?: RotatorAzure;
}

/** The token rotator's managed identity: federated with the GitLab issuer for the schedule's sub, with the grants rotation needs. */
export interface RotatorAzure {
  /** Key and name of its ID-token role entry (reach.idTokens.roles, cloud azure). */
  key: string;
  identityName: string;
  resourceId: string;
  audience: string;
  /** Key Vault secrets it reads and writes: `<vault id>/secrets/<name>` (Key Vault Secrets Officer on each, nothing on a vault). */
  secretScopes: string[];
  /** AKS clusters whose endpoint and CA it reads (Azure Kubernetes Service Cluster User Role on each cluster resource). */
  clusterIds: string[];
  /** The Kubernetes side on AKS: username = the identity's principal (object) id, as a Terraform symbol. */
  kubernetes?: RotatorKubernetes;
}

export interface RotatorKubernetes {
  /** The Kubernetes user name the rotator role is mapped to (an EKS access entry's username). */
  username: string;
  /** Clusters the rotator reaches (entry names) with the --kube-api value of the rotation job. */
  clusters: { cluster: string; kubeApi: string }[];
  /** Per runner: the Role and RoleBinding granting exactly rotate's requests on its Secret and Deployment. */
  targets: { runner: string; cluster: string; namespace: string; secret: string; deployment: string; role: string; roleBinding: string; secretVerbs: string[] }[];
}

export interface AppliedOutputs {
  /** Client id of each Azure managed identity, by identity name. */
  azureClientIds?: Record<string, string>;
}

/** Statements the spec grants jobs, converted to IAM grammar. */
export function toIamStatements(statements: readonly AwsStatementSpec[]): Statement[] {
  return statements.map((s) => {
    const out: Statement = { Effect: s.effect, Action: s.actions, Resource: s.resources };
    if (s.sid !== undefined) out.Sid = s.sid;
    if (s.conditions !== undefined) out.Condition = s.conditions;
    return out;
  });
}

export function policyDocument(statements: Statement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** Anything that lists identities: a resolved fleet or an intent. */
interface HasIdentities {
  identities: CloudIdentity[];
}

/** Per identity list, not per fleet: views of one fleet (a runner's own Azure context) share its list. */
const identityIndex = new WeakMap<readonly CloudIdentity[], Map<string, CloudIdentity>>();

/** The identity with this key (identities are looked up per runner, so this is indexed once per fleet). */
/** A runner's job identity, or undefined when its jobs have none of their own. */
export function jobIdentityOf(fleet: HasIdentities, runner: { jobIdentity?: string | undefined }): CloudIdentity | undefined {
  return runner.jobIdentity === undefined ? undefined : identityOf(fleet, runner.jobIdentity);
}

export function identityOf(fleet: HasIdentities, key: string): CloudIdentity {
  let index = identityIndex.get(fleet.identities);
  if (!index || index.size !== fleet.identities.length) {
    index = new Map(fleet.identities.map((i) => [i.key, i]));
    identityIndex.set(fleet.identities, index);
  }
  const id = index.get(key);
  if (!id) throw new Error(`internal: no identity ${key}`);
  return id;
}
