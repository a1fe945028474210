import type { AwsSpec } from '../spec/schema.js';
import type { AzureSpec } from '../spec/azure.js';
import type {
  AppliedOutputs,
  CloudIdentity,
  KubernetesNames,
  ResolvedCache,
  ResolvedCluster,
  ResolvedFleet,
  RunnerCacheRef,
} from '../model/types.js';
import type { RunnerSpec } from '../spec/schema.js';
import { crossAccountIntent, idTokenIntent, type CrossAccountIntent, type IdTokenIntent } from './reach/intent.js';

/**
 * What verification proves the documents against: which party should hold which identity and
 * reach which cache. Two producers, one consumer:
 * - a generated fleet: `intentOf(resolved)` (this file), the documents from `emit`;
 * - an existing deployment: `runner-fleet doctor` infers it from the documents it read
 *   (src/doctor/intent.ts): the chart's service account is the manager's, `config.toml`'s job
 *   service account is the jobs', the bucket in `[runners.cache.s3]` is the cache.
 * Proofs and rules (src/verify, the platform and cache plugins' verify hooks) read an intent and
 * documents, never a spec or a resolved fleet, so one implementation serves both.
 */
export interface FleetIntent {
  /** Name prefix of the fleet (generated) or a label of the deployment (doctor). */
  name: string;
  /**
   * Account, region and partition the identities live in. `accountShown: false` (doctor): no
   * document states the account, `accountId` is a stand-in equal only to itself and never shown.
   */
  aws?: AwsSpec & { accountShown?: false };
  azure?: AzureSpec;
  /** Values known only after an apply (Azure client ids), given by the user. */
  applied?: AppliedOutputs;
  /** Where managers and jobs run; `spec` holds the platform's settings (issuer, identity mechanism, …). */
  clusters: ResolvedCluster[];
  caches: ResolvedCache[];
  runners: IntentRunner[];
  /** Who should become which identity: each names its intended subject in `binding`. */
  identities: CloudIdentity[];
  /** Deploy targets in other accounts: which job role should reach which role there (verify/reach). */
  crossAccount?: CrossAccountIntent;
  /** GitLab ID-token roles: which project and refs should get which role (verify/reach). */
  idTokens?: IdTokenIntent;
  /**
   * The doctor only: platforms whose document rules (`verifyDocuments`) run though no runner of
   * theirs is proven (a VM manager with no instance profile still boots its instance).
   */
  documentPlatforms?: string[];
}

/** One runner chain: a manager, its jobs, their identities and cache. */
export interface IntentRunner {
  name: string;
  /** Position in `runners`; findings about this runner use the path `runners[index]`. */
  index: number;
  cluster: string;
  platform: string;
  /** Declared settings the rules read: GitLab locking, job permissions, privileged jobs, accepted risks. */
  spec: RunnerSpec;
  kubernetes?: KubernetesNames;
  cache?: RunnerCacheRef;
  /** Key (in `identities`) of the identity the manager should hold. */
  managerIdentity: string;
  /** Key of the identity the jobs should hold; undefined: the jobs should hold none. */
  jobIdentity?: string;
  /** Names of a non-Kubernetes platform's resources (security groups, parameters, …). */
  platformNames?: Record<string, string>;
  /**
   * The doctor only: why the runner's GitLab registration (locked, access level) is not shown by
   * the documents. `spec.gitlab` then holds assumed values, and what depends on them is said to be
   * unknown (RF903), never claimed.
   */
  registrationUnknown?: string;
  /**
   * The doctor only, VM runners: why the documents do not show where the runner token is kept (no
   * SSM parameter that the user data reads). The token proofs are then not made (RF903), never
   * made against a parameter runner-fleet would have named.
   */
  tokenStoreUnknown?: string;
  /**
   * The doctor only, VM runners registered at boot: the `gitlab-runner register` flag the user data
   * passes its token parameter's value to, which says what the parameter holds (`token`: the runner
   * authentication token; `registration-token`: a legacy registration token). Undefined: runner-fleet's
   * own (the runner token), as for a generated fleet.
   */
  tokenParameterFlag?: 'token' | 'registration-token';
  /**
   * The doctor only, VM runners of several Terraform roots: the region of the aws provider of the
   * runner's own root, where it states one (the runner's ARNs are built in it; `aws.region` is one
   * root's). Undefined: `aws.region`.
   */
  region?: string;
  /**
   * The doctor only, runners of several Terraform roots: the account of the aws provider of the
   * runner's own root, where it is not `aws.accountId` (prod/ in one account, staging/ in another).
   * The runner's ARNs and its compute's account are in it. Undefined: `aws.accountId`.
   */
  account?: string;
  /**
   * The doctor only, runners of several Azure deployments given together (staging/ and prod/, each
   * with its own terraform/azure): the tenant, subscription, location and resource group of the
   * runner's own deployment, where they are not `azure`'s (that of the first deployment read). The
   * runner's identities, federated credentials and role assignments are then those of its own
   * deployment's Azure root (`FleetDocuments.runnerAzure`). Undefined: `azure`.
   */
  azure?: AzureSpec;
  /** With `account`: the documents do not show it (the own root's provider states none; its ARNs read it from data.aws_caller_identity). */
  accountShown?: false;
  /**
   * The doctor only, VM runners of several Terraform roots: the KMS key of the runner's own token
   * parameter, where it is not its cluster's `tokenKmsKeyArn` (that of the first runner read).
   */
  tokenKmsKeyArn?: string;
}

/** The intent of a generated fleet: who the spec says should hold what. */
export function intentOf(fleet: ResolvedFleet): FleetIntent {
  const intent: FleetIntent = {
    name: fleet.name,
    clusters: fleet.clusters,
    caches: fleet.caches,
    identities: fleet.identities,
    runners: fleet.runners.map((r) => {
      const out: IntentRunner = { name: r.name, index: r.index, cluster: r.cluster, platform: r.platform, spec: r.spec, managerIdentity: r.managerIdentity };
      if (r.kubernetes) out.kubernetes = r.kubernetes;
      if (r.cache) out.cache = r.cache;
      if (r.jobIdentity !== undefined) out.jobIdentity = r.jobIdentity;
      if (r.platformNames) out.platformNames = r.platformNames;
      return out;
    }),
  };
  if (fleet.aws) intent.aws = fleet.aws;
  if (fleet.azure) intent.azure = fleet.azure;
  if (fleet.applied) intent.applied = fleet.applied;
  const cross = crossAccountIntent(fleet);
  if (cross) intent.crossAccount = cross;
  const idt = idTokenIntent(fleet);
  if (idt) intent.idTokens = idt;
  return intent;
}
