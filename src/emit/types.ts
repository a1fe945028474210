import type { Artifact, K8sObject, TerraformRoot } from './artifacts.js';
import type { ResolvedFleet } from '../model/types.js';

/** Everything `emit` produced, kept as data so verification can read it before anything is written. */
export interface EmittedFleet {
  /** The inputs the documents were made from (account, issuers): proofs need them, not the spec's intent. */
  fleet: ResolvedFleet;
  artifacts: Artifact[];
  terraformAws?: TerraformRoot;
  /** `terraform/azure/main.tf.json`: managed identities, federated credentials, role assignments, cache storage. */
  terraformAzure?: TerraformRoot;
  /** `terraform/gitlab/main.tf.json`: runner registration and token Secrets. */
  terraformGitlab?: TerraformRoot;
  /** By runner name. */
  runners: Map<string, EmittedRunner>;
}

export interface EmittedRunner {
  manifests: K8sObject[];
  helmValues?: Record<string, unknown>;
  /** The full `config.toml` as data. */
  configToml: Record<string, unknown>;
  /** The `[[runners]]` TOML handed to the Helm chart as `runners.config`, as text. */
  helmRunnerToml?: string;
  pipeline: Record<string, unknown>;
}
