import type { z } from 'zod';
import type { Finding } from '../spec/findings.js';
import type {
  CloudIdentity,
  IdentityBinding,
  IdentitySubject,
  IdentityPurpose,
  ResolvedCluster,
  ResolvedFleet,
  ResolvedRunner,
} from '../model/types.js';
import type { Artifact, K8sObject, TerraformResources } from '../emit/artifacts.js';
import type { PolicyDocument, Statement } from '../verify/iam/types.js';
import type { EmittedFleet, FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from '../verify/intent.js';
import type { FleetSubjectIndex } from '../verify/index.js';
import type { AzureSpec } from '../spec/azure.js';
import type { NodePool } from '../verify/scheduling.js';

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
  /** Global `config.toml` keys this platform sets (e.g. `concurrent` of an autoscaler). */
  globalToml?: Record<string, unknown>;
  /** Kubernetes objects of this runner (platforms with `kubernetes: true`). */
  manifests: K8sObject[];
  helmValues?: Record<string, unknown>;
  /** The `[[runners]]` TOML text handed to the Helm chart as `runners.config`. */
  helmRunnerToml?: string;
  terraformAws?: TerraformResources;
  /** Resources for `terraform/azure/main.tf.json` (platforms on Azure). */
  terraformAzure?: TerraformResources;
}

/** One numbered step of the output README's apply order. */
export interface ReadmeStep {
  /** Printed in bold. */
  title: string;
  /** Follows the title on its line. */
  text?: string;
  lines: string[];
  /** `cluster`: right after the cloud roots, before anything is installed in clusters; default `runners`: after the runner managers are installed. */
  phase?: 'cluster' | 'runners';
}

/** The smoke-test job that checks the job identity, in `.gitlab-ci.yml` form. */
export interface IdentityCheckJob {
  /** Omitted where the platform ignores `image:` (the Fargate driver runs the task definition's image). */
  image?: string | { name: string; entrypoint: string[] };
  script: string[];
  /**
   * Kubernetes platforms: a script, run in the same image, that fails if a job pod reaches the
   * node's metadata service (the node's identity); the pipeline's `job-no-imds` job.
   */
  imdsCheck?: string[];
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
  readonly identityMechanisms: Readonly<Record<string, string>>;
  /** Cache backends this platform's runners can use. */
  readonly cacheTypes: readonly string[];
  /** Schema of a `clusters[]` entry; must have `name` and `type: z.literal(<type>)`. */
  readonly clusterSchema: z.ZodObject;
  /**
   * Optional runner keys this platform reads (e.g. `autoscaler`), each optional and without a
   * default. A runner on another platform that sets one of them is a spec error (RF701).
   */
  readonly runnerKeys?: Readonly<Record<string, z.ZodType>>;
  /**
   * Runner settings (dotted paths under `runners[]`, e.g. `jobs.nodeSelector`) this platform cannot
   * honour. Writing one is a spec error (RF701) rather than a setting that silently does nothing.
   */
  readonly unsupportedRunnerSettings?: readonly string[];
  /** What the all-pairs proof calls its candidates, e.g. `service accounts`. */
  readonly subjectNoun: string;
  /** The claim of the chain proof, e.g. `service account ↔ role ↔ …`. */
  readonly chainClaim: string;
  /**
   * The chain proof's claim where the manager's configuration is not chart values (a workload and
   * its ConfigMap the doctor read): `managerConfig` stands where `chainClaim` says "Helm values ↔ config.toml".
   */
  readonly chainClaimFor?: (managerConfig: string) => string;

  /** Spec checks that need more than the schema (exit 2 on error). */
  checkSpec(ctx: SpecCheckContext): Finding[];

  /** Names of a runner's non-Kubernetes resources, derived once during resolve. */
  runnerNames?(fleetName: string, runner: { name: string }, cluster: ResolvedCluster): Record<string, string>;

  /**
   * Binds the manager or the jobs of a runner to a cloud identity on this cluster; undefined
   * when that party gets no identity of its own (then no role is created for it).
   */
  bind(fleet: ResolvedFleet, cluster: ResolvedCluster, runner: ResolvedRunner, purpose: IdentityPurpose): IdentityBinding | undefined;

  /**
   * Builds the identity of one runner purpose. Optional: without it the identity is an IAM role
   * (every AWS platform). Azure platforms return a managed identity.
   */
  identity?(fleet: ResolvedFleet, cluster: ResolvedCluster, runner: ResolvedRunner, purpose: IdentityPurpose, binding: IdentityBinding): CloudIdentity;

  /** Trust policy of an AWS role bound by one of this platform's mechanisms. */
  trustPolicy(fleet: ResolvedFleet, cluster: ResolvedCluster, identity: CloudIdentity): PolicyDocument;

  /** Per-runner outputs. */
  emitRunner(
    fleet: ResolvedFleet,
    cluster: ResolvedCluster,
    runner: ResolvedRunner,
    ctx: {
      runnerExtras: Record<string, unknown>;
      /** The full `config.toml` the core writes for these executor and global keys. */
      configToml: (executorToml: Record<string, unknown>, globalToml?: Record<string, unknown>) => Record<string, unknown>;
    },
  ): RunnerEmission;

  /** Cluster-wide outputs (OIDC provider, cluster access, …). */
  emitCluster(
    fleet: ResolvedFleet,
    cluster: ResolvedCluster,
  ): {
    files: Artifact[];
    terraformAws?: TerraformResources;
    /** `locals` of the AWS root (symbols for values known only after apply, such as a created cluster's issuer). */
    terraformAwsLocals?: Record<string, string>;
    terraformAzure?: TerraformResources;
  };

  /**
   * Node pools of a cluster created here, read from the emitted documents (with the labels and
   * taints the cloud adds), for the scheduling proof. Undefined for an existing cluster: its
   * nodes are in no document, so nothing is claimed.
   */
  nodePools?(docs: FleetDocuments, cluster: ResolvedCluster, clusterPath: string): { poolsPath: string; pools: NodePool[] } | undefined;

  /** Findings about the cluster's own settings (cluster access and the like). */
  clusterFindings(intent: FleetIntent, cluster: ResolvedCluster, clusterPath: string): Finding[];

  /** The smoke-test job proving that jobs run as their own identity (or, without one, get none). */
  identityCheckJob(fleet: ResolvedFleet, runner: ResolvedRunner, jobIdentity: CloudIdentity | undefined): IdentityCheckJob;

  // Verification hooks: each reads documents (emitted, or imported by the doctor) and an intent
  // (who should hold what), never the spec, so one implementation proves both.

  /**
   * Candidates of the all-pairs proof on this cluster, read from the documents
   * (service accounts, instance profiles, task definitions).
   */
  subjects(docs: FleetDocuments, intent: FleetIntent, cluster: ResolvedCluster): IdentitySubject[];

  /**
   * AWS services a role trust of this platform may name for `subject` to hand it the role (an
   * instance profile's `ec2.amazonaws.com`, a task's `ecs-tasks.amazonaws.com`, EKS Pod Identity's
   * agent). Any other principal in such a trust is someone else who can obtain the role (RF103).
   * Optional: without it, a service subject's own service and nothing for a Kubernetes subject.
   */
  trustServices?(subject: IdentitySubject): readonly string[];

  /** Look-alikes of an intended subject that must not get its role (same name in another namespace, another account). */
  decoys(subject: IdentitySubject): IdentitySubject[];

  /**
   * Proof: which of `subjects` (this cluster's, or decoys of them) can obtain `roleName`'s
   * credentials, decided from the documents only (trust policy, annotations,
   * associations, instance profiles, task definitions).
   */
  whoCanAssume(docs: FleetDocuments, intent: FleetIntent, cluster: ResolvedCluster, roleName: string, subjects: readonly IdentitySubject[]): IdentitySubject[];

  /**
   * The names of this platform's clusters whose subjects (or decoys of them) `roleName`'s trust may
   * admit at all: whoCanAssume answers none for the others, so the all-pairs proof asks only these
   * (not every cluster per identity, which grew with the square of the clusters). Undefined: ask each.
   */
  clustersThatMayAssume?(docs: FleetDocuments, intent: FleetIntent, roleName: string): ReadonlySet<string>;

  /**
   * Proof: every reference of this runner's chain resolves in the documents. `subjects`: the fleet's
   * subject index verifyFleet made for the all-pairs proof (a platform whose chain proof reads the
   * fleet's subjects takes them from it; a caller without one leaves it out, and they are made).
   */
  verifyChain(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner, runnerPath: string, subjects?: FleetSubjectIndex): Finding[];

  /**
   * What a job that leaves its container takes over on this platform, for the privileged-jobs
   * finding (RF301): "a job can take over <this>". Optional: without it, the node and every
   * credential on it (a Kubernetes node).
   */
  privilegedJobsTakeOver?(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner): string;

  /** Further per-runner proofs of this platform (IMDSv2, closed security groups, scoped permissions, …). */
  verifyRunner?(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner, runnerPath: string): RunnerVerification;

  /**
   * Where a runner's manager pods run, as the cloud's RBAC names that place, for job roles that may
   * create pods there through the cloud's RBAC (AKS: Azure RBAC for Kubernetes authorization).
   * Optional: platforms without such a route leave it out.
   */
  managerPods?(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner): ManagerPods | undefined;

  /** Fleet-wide rules over the documents, run once per platform present (identical findings are merged). */
  verifyDocuments?(docs: FleetDocuments, intent: FleetIntent): Finding[];

  /** The role a subject ends up with, read from the documents (undefined: none). */
  roleOfSubject(docs: FleetDocuments, intent: FleetIntent, cluster: ResolvedCluster, subject: IdentitySubject): string | undefined;

  /**
   * How the token rotator (operations.rotation) reaches this cluster's Kubernetes API to rotate
   * the Secret of an API-registered runner and restart its Deployment. Optional: a Kubernetes
   * platform without it refuses such runners with RF128 rather than generate a rotation that
   * cannot authenticate.
   */
  readonly rotatorAccess?: RotatorKubernetesAccess;

  // How `runner-fleet doctor` reads this platform's deployments back (its `DoctorReader` or
  // `ComputeDoctorReader`, in src/platforms/<name>/doctor.ts) is not a hook here: the doctor's own
  // registry, src/doctor/platform-readers.ts, maps the platform's type to it. The plugin is what
  // plan, synth and verify load at every start; the readers and the src/doctor modules they use are
  // loaded with the doctor only (the CLI's doctor part, scripts/bundle.js). A platform's reader is
  // one line there, as the platform is one line in registry.ts.

  /** Apply steps and notes for the output README, for this platform's runners. */
  readme?(
    fleet: ResolvedFleet,
    runners: readonly ResolvedRunner[],
    emitted: EmittedFleet,
  ): {
    steps: ReadmeStep[];
    sections: { heading: string; lines: string[] }[];
    /** Lines added to the "Kubernetes objects" step (another way this platform's objects are applied). */
    kubernetesObjects?: string[];
  };
}

/** A Kubernetes platform's part of the token rotator's identity (see PlatformPlugin.rotatorAccess). */
export interface RotatorKubernetesAccess {
  /** Whose identity the rotator uses on this cluster: the IAM role (aws) or the user-assigned managed identity (azure). */
  readonly identityCloud: 'aws' | 'azure';
  /** Why this cluster cannot map the rotator to a Kubernetes user (undefined: it can). */
  refusal(fleet: ResolvedFleet, cluster: ResolvedCluster, clusterPath: string): Finding | undefined;
  /** aws: what the rotator role needs to reach the API server (e.g. eks:DescribeCluster on this cluster). */
  statements?(fleet: ResolvedFleet, cluster: ResolvedCluster): Statement[];
  /** aws: resources mapping the rotator role (Terraform address `roleArnRef`) to the Kubernetes user `username`. */
  terraformAws?(fleet: ResolvedFleet, cluster: ResolvedCluster, roleArnRef: string, username: string): TerraformResources;
  /** azure: the cluster's resource id (the rotator reads its endpoint and CA there: Azure Kubernetes Service Cluster User Role). */
  azureClusterId?(fleet: ResolvedFleet, cluster: ResolvedCluster): string;
  /** The `--kube-api` value the rotation job passes for this cluster (the live edge builds the client from it). */
  kubeApiOption(fleet: ResolvedFleet, cluster: ResolvedCluster): string;
}

/** The namespace a runner manager runs in, as a cloud RBAC scope (see PlatformPlugin.managerPods). */
export interface ManagerPods {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** The namespace's scope in the cloud's RBAC (AKS: `<cluster resource id>/namespaces/<namespace>`). */
  scope: string;
  /** Whether the cluster authorizes Kubernetes calls with the cloud's RBAC; undefined: the documents do not show it (a cluster not created here). */
  cloudRbac: boolean | undefined;
}

/** A platform's own per-runner proofs and findings. */
export interface RunnerVerification {
  findings: Finding[];
  proofs: { claim: string; holds: boolean }[];
  /**
   * The documents let jobs obtain the manager's credentials (a container that reaches the host it
   * shares with the manager): every proof that jobs cannot reach what the manager reaches (the
   * cache) does not hold either.
   */
  jobsHoldManagerCredentials?: boolean;
}
