import type { Artifact, K8sObject, TerraformRoot } from '../emit/artifacts.js';
import type { CloudIdentity, ResolvedCluster } from '../model/types.js';
import type { FleetIntent, IntentRunner } from '../verify/intent.js';
import type { FleetDocuments } from '../emit/types.js';
import type { Origin } from './source.js';
import type { Located } from './evidence.js';
import type { AzureEvidence } from './azure.js';
import type { AwsSpec, RunnerSpec } from '../spec/schema.js';
import type { RotatorKubeIntent } from '../verify/reach/intent.js';

/** A service account as the evidence shows it (the object itself, or one the chart will create). */
export interface ServiceAccountEvidence {
  namespace: string;
  name: string;
  object?: Located<K8sObject>;
  /**
   * Whether a Terraform resource (by address) that binds a service account of this namespace is of
   * this runner's deployment: none of the runners of the namespace lies nearer to its file (several
   * deployments given together, each binding gitlab-runner/gitlab-runner). Undefined: every one is.
   */
  owns?: (address: string) => boolean;
}

/** How the documents bind a service account to a cloud identity. */
export interface DoctorBinding {
  /** The platform that owns the mechanism (`eks`, …). */
  platform: string;
  mechanism: string;
  /** Role (or managed identity) name the binding names. */
  roleName: string;
  rolePath: string;
  /** ARN or resource id as written. */
  ref: string;
  account?: string;
  partition?: string;
  /** Where the binding is written (the annotation, the association). */
  origin?: Origin;
  /** Platform settings the binding implies (EKS cluster name of a Pod Identity association). */
  clusterName?: string;
  /** The Terraform resource that writes the binding (a Pod Identity association), by address. */
  address?: string;
  /** Whether the identity's own documents are in the evidence. Default: an IAM role of that name is. */
  inEvidence?: boolean;
  /** What the identity is called in messages. Default `role`. */
  noun?: string;
  /** How to give the identity's documents when they are missing. Default: the `aws iam` commands. */
  evidenceFix?: string;
  /** The OIDC issuer the identity trusts for this service account (Azure: its federated credential's). */
  issuer?: string;
  /**
   * Where the account is a namespace's `default` (RF103): how every pod that runs as it gets the
   * identity, in the platform's words, and the fix's part that binds the identity to an account of
   * the manager's own. Default: every such pod gets the role; bind the role to the new account alone.
   */
  sharedDefault?: { how: string; rebind: (account: string) => string };
}

/** What a platform's reader is given: the normalized documents. */
export interface DoctorContext {
  root: TerraformRoot;
  /** Kubernetes provider alias of each namespace, read from Terraform roots that create Secrets there. */
  namespaceCluster: Map<string, string>;
  /** The azurerm part of the Terraform evidence, normalized (src/doctor/azure.ts): the chain's own deployment's where several Azure deployments are given together (azureDeployments), else all of it. */
  azure: AzureEvidence;
  /** Every Kubernetes object of the evidence (manifests, and kubernetes provider resources). */
  objects: readonly Located<K8sObject>[];
}

/** The party an identity is inferred for (the identity's key, runner, purpose and intended subject). */
export interface DoctorParty {
  key: string;
  runner: string;
  purpose: 'manager' | 'jobs';
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

/**
 * How a Kubernetes platform reads its own documents back for the doctor: which identity a service
 * account gets, and the cluster settings (issuer, identity mechanism) that the proofs need.
 */
export interface DoctorReader {
  bindingOf(sa: ServiceAccountEvidence, ctx: DoctorContext): DoctorBinding | undefined;
  /** Cluster settings for these bindings (one cluster), as a `clusters[]` entry of this platform. */
  clusterSpec(name: string, bindings: readonly DoctorBinding[], ctx: DoctorContext, trustOf: (roleName: string) => unknown): Record<string, unknown> & { name: string; type: string };
  /**
   * The cluster's name as this platform's own documents state it, for a cluster no Secret's
   * provider alias names (EKS: the one cluster its access entries, associations and node groups
   * name; AKS: the folder of the Kubernetes root the service account is written in). Optional.
   */
  clusterName?(binding: DoctorBinding, ctx: DoctorContext): string | undefined;
  /**
   * Bindings written for service accounts of this namespace (EKS: its Pod Identity associations),
   * each with the service account it names and its Terraform address: a party without a binding
   * of its own is shown the one written for a service account that does not exist. Optional.
   */
  bindingsIn?(namespace: string, ctx: DoctorContext): { serviceAccount: string; address: string; binding: DoctorBinding }[];
  /**
   * For a party with no binding: the identity the documents show was meant for it all the same
   * (EKS: a role that trusts Pod Identity, is named for the service account, and that no association
   * binds; a role whose trust admits exactly this service account's web-identity tokens, which no
   * annotation binds), with `shown` true where the documents show the binding missing (the files given hold
   * the bindings of that cluster: other associations, the cluster or its Pod Identity add-on) and
   * false where it may be written in a file not given. `identity` names it and why it is meant for
   * the service account, `missing` what is missing, `without` what the pod gets instead, `fix` what
   * to write. Optional.
   */
  unboundIdentity?(sa: { namespace: string; name: string; /** The service account itself is in the evidence (a manifest, or the chart creates it from the values given). */ given?: boolean; /** How near a Terraform resource (by address) is to the runner's own deployment: the folders its file shares with the runner's; undefined where not known. Several deployments given together may each have a role meant for a service account of one name. */ near?: (address: string) => number | undefined; /** As ServiceAccountEvidence.owns. */ owns?: (address: string) => boolean }, ctx: DoctorContext, trustOf: (roleName: string) => unknown): { roleName: string; address: string; shown: boolean; identity: string; missing: string; without: string; fix: string } | undefined;
  /**
   * Why the trust of `identity` refuses its service account (EKS: a Pod Identity condition on the
   * account, cluster, pod or a session tag the association disables that the request does not
   * match; sts:TagSession missing where the association adds session tags), with the fix; `at`
   * says where a resource or its attribute is written. Undefined where the trust's wording is not
   * the cause. Optional.
   */
  trustRefusal?(trust: unknown, docs: FleetDocuments, intent: FleetIntent, identity: CloudIdentity, at: (address: string, attribute?: string) => string | undefined): { text: string; fix: string } | undefined;
  /**
   * Where whether the identity's subject can assume its role rests on a value the files do not show
   * (EKS: an association's disable_session_tags): the resource that holds it (its address), the
   * message and the fix; the proof's refusal is then said as not shown (RF903). Optional.
   */
  trustNotShown?(docs: FleetDocuments, intent: FleetIntent, identity: CloudIdentity): { address: string; message: string; fix: string } | undefined;
  /** Groups bindings by cluster: the key of the cluster each binding belongs to. */
  clusterKey(binding: DoctorBinding, trustOf: (roleName: string) => unknown): string;
  /** The identity of one party. Default: an IAM role (AWS platforms). */
  identity?(party: DoctorParty, binding: DoctorBinding, ctx: DoctorContext): CloudIdentity;
  /**
   * What a pod whose service account has no identity of its own gets instead, and the fix (EKS
   * default: the node's role unless IMDS is closed to pods). Optional.
   */
  readonly podsWithoutIdentity?: { get: string; fix: string };
  /** Intent settings of this platform's cloud (Azure: tenant, subscription), from the evidence. */
  intent?(ctx: DoctorContext, clusters: readonly ResolvedCluster[]): Partial<FleetIntent>;
  /**
   * The token rotator's Kubernetes identity on these clusters of this platform, read from its own
   * documents (EKS: the access entries of the rotator role): the clusters it reaches (also those
   * the rotation job names with `--kube-api <cluster>=<value>`) and the username it maps to.
   * Undefined: it reaches none of them.
   */
  rotatorKubernetes?(ctx: DoctorContext, rotator: { roleName: string; kubeApi: ReadonlyMap<string, string> }, clusters: readonly ResolvedCluster[], aws: AwsSpec): { username?: string; clusters: RotatorKubeIntent['clusters'] } | undefined;
  /**
   * The same for a token rotator that is an Azure managed identity (AKS): the clusters the rotation
   * job's `--kube-api` options name, each with its resource id as `arn` (where the rotator holds
   * Azure Kubernetes Service Cluster User Role), and the Kubernetes user its RoleBindings name.
   */
  azureRotatorKubernetes?(ctx: DoctorContext, rotator: { identityName: string; kubeApi: ReadonlyMap<string, string> }, clusters: readonly ResolvedCluster[], subscriptionId: string): { username?: string; clusters: RotatorKubeIntent['clusters'] } | undefined;
  /**
   * Where a runner's token lives when the platform's documents say it is not the plain Secret
   * (AKS: a SecretProviderClass syncing a Key Vault secret into it), as `gitlab.tokenStore`. `own`:
   * the objects of the runner's own deployment (its manifests: where two deployments give objects of
   * one namespace and name, the copies nearest its files).
   */
  tokenStore?(ctx: DoctorContext, runner: IntentRunner, own: readonly K8sObject[]): RunnerSpec['gitlab']['tokenStore'];
  /** Documents the platform's proofs read, built from the evidence (AKS: the cluster's Kubernetes root). */
  documents?(ctx: DoctorContext, cluster: ResolvedCluster, intent: FleetIntent, docs: FleetDocuments): { artifacts: Artifact[]; terraformAzure?: TerraformRoot };
}

export type { K8sObject };
