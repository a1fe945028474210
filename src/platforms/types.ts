import type { z } from 'zod';
import type { Finding } from '../spec/findings.js';
import type {
  CloudIdentity,
  IdentityBinding,
  IdentityPurpose,
  KubernetesNames,
  KubernetesSubject,
  ResolvedCluster,
  ResolvedFleet,
  ResolvedRunner,
} from '../model/types.js';
import type { Artifact, K8sObject, TerraformResources } from '../emit/artifacts.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import type { EmittedFleet } from '../emit/types.js';
import type { AzureSpec } from '../spec/azure.js';

/** What a spec check sees: the parsed spec (defaults applied) and where each entry sits. */
export interface SpecCheckContext {
  fleet: { aws?: { accountId: string; region: string; partition: string } | undefined; azure?: AzureSpec | undefined };
  cluster: ResolvedCluster['spec'];
  clusterPath: string;
  /** Runners placed on this cluster, with their spec paths. */
  runners: { spec: ResolvedRunner['spec']; path: string }[];
}

/** Everything a platform contributes for one runner. */
export interface RunnerEmission {
  files: Artifact[];
  /** The executor part of `[[runners]]`: `executor` plus its section (e.g. `kubernetes`). */
  executorToml: Record<string, unknown>;
  /** Kubernetes objects of this runner (platforms with `kubernetes: true`). */
  manifests: K8sObject[];
  helmValues?: Record<string, unknown>;
  /** The `[[runners]]` TOML text handed to the Helm chart as `runners.config`. */
  helmRunnerToml?: string;
  terraformAws?: TerraformResources;
  /** Resources for `terraform/azure/main.tf.json` (platforms on Azure). */
  terraformAzure?: TerraformResources;
}

/** The smoke-test job that checks the job identity, in `.gitlab-ci.yml` form. */
export interface IdentityCheckJob {
  image: string | { name: string; entrypoint: string[] };
  script: string[];
}

/**
 * A platform: where managers and jobs run and how they get a cloud identity.
 * The core never asks which platform it has; it calls these hooks.
 */
export interface PlatformPlugin {
  readonly type: string;
  readonly cloud: 'aws' | 'azure';
  readonly title: string;
  /** Runners on this platform run in Kubernetes (namespaces and service accounts apply). */
  readonly kubernetes: boolean;
  /** Identity mechanisms this platform binds (`irsa`, `pod-identity`, …). */
  readonly identityMechanisms: readonly string[];
  /** Cache backends this platform's runners can use. */
  readonly cacheTypes: readonly string[];
  /** Schema of a `clusters[]` entry; must have `name` and `type: z.literal(<type>)`. */
  readonly clusterSchema: z.ZodObject;

  /** Spec checks that need more than the schema (exit 2 on error). */
  checkSpec(ctx: SpecCheckContext): Finding[];

  /**
   * Builds the identity of one runner purpose. Optional: without it the identity is an IAM role
   * (every AWS platform). Azure platforms return a managed identity.
   */
  identity?(fleet: ResolvedFleet, cluster: ResolvedCluster, runner: ResolvedRunner, purpose: IdentityPurpose, binding: IdentityBinding): CloudIdentity;

  /** Binds a Kubernetes subject to a cloud identity on this cluster. */
  bind(cluster: ResolvedCluster, subject: KubernetesSubject): IdentityBinding;

  /** Trust policy of an AWS role bound by one of this platform's mechanisms. */
  trustPolicy(fleet: ResolvedFleet, cluster: ResolvedCluster, identity: CloudIdentity): PolicyDocument;

  /** Per-runner outputs. */
  emitRunner(
    fleet: ResolvedFleet,
    cluster: ResolvedCluster,
    runner: ResolvedRunner & { kubernetes: KubernetesNames },
    ctx: { runnerExtras: Record<string, unknown> },
  ): RunnerEmission;

  /** Cluster-wide outputs (OIDC provider, cluster access, …). */
  emitCluster(fleet: ResolvedFleet, cluster: ResolvedCluster): { files: Artifact[]; terraformAws?: TerraformResources; terraformAzure?: TerraformResources };

  /** Spec-independent findings about the cluster's own settings (cluster access and the like). */
  clusterFindings(fleet: ResolvedFleet, cluster: ResolvedCluster, clusterPath: string): Finding[];

  /** The smoke-test job proving that jobs run as their own identity. */
  identityCheckJob(fleet: ResolvedFleet, runner: ResolvedRunner, jobIdentity: CloudIdentity): IdentityCheckJob;

  /**
   * Proof: which of `subjects` can obtain `roleName`'s credentials, decided from the emitted
   * documents only (trust policy, annotations, associations).
   */
  whoCanAssume(docs: EmittedFleet, cluster: ResolvedCluster, roleName: string, subjects: readonly KubernetesSubject[]): KubernetesSubject[];

  /** Proof: every reference of this runner's chain resolves in the emitted documents. */
  verifyChain(docs: EmittedFleet, fleet: ResolvedFleet, runner: ResolvedRunner, runnerPath: string): Finding[];

  /** The role a service account ends up with, read from the emitted documents (undefined: none). */
  roleOfServiceAccount(docs: EmittedFleet, cluster: ResolvedCluster, subject: KubernetesSubject): string | undefined;
}
