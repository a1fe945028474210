import type { Artifact, K8sObject, TerraformRoot } from './artifacts.js';
import type { ResolvedFleet } from '../model/types.js';

/**
 * The documents verification reads: what `emit` produced for a generated fleet, or what the
 * doctor imported from an existing deployment, in the same shapes.
 */
export interface FleetDocuments {
  /** Every file as data (the static-credential scan reads them all). */
  artifacts: Artifact[];
  terraformAws?: TerraformRoot;
  /** `terraform/azure/main.tf.json`: managed identities, federated credentials, role assignments, cache storage. */
  terraformAzure?: TerraformRoot;
  /**
   * The doctor only, several Azure deployments given together: runner name → the Azure root of the
   * runner's own deployment (its identities, credentials and role assignments, whose names another
   * deployment may repeat). A runner not in it reads `terraformAzure`.
   */
  runnerAzure?: Map<string, TerraformRoot>;
  /** `terraform/gitlab/main.tf.json`: runner registration and token Secrets. */
  terraformGitlab?: TerraformRoot;
  /** `terraform/aws-<account>/main.tf.json` by account id: deploy-target roles in other accounts. */
  terraformAwsAccounts?: Map<string, TerraformRoot>;
  /** Per runner chain: its Kubernetes objects, Helm values and `config.toml`. */
  runners: Map<string, EmittedRunner>;
  /**
   * The doctor's, where deployments given together each have a cluster of one name (prod/ and
   * staging/, both `ci`): the fleet cluster that a binding written in Terraform (by address, e.g. an
   * aws_eks_pod_identity_association) belongs to. A binding not in it belongs to every cluster of
   * the name it names. Absent: bindings are matched by the cluster name they name alone.
   */
  bindingClusters?: ReadonlyMap<string, string>;
}

/** Everything `emit` produced, kept as data so verification can read it before anything is written. */
export interface EmittedFleet extends FleetDocuments {
  /** The resolved fleet the documents were made from (for the README and diagram; verification reads an intent). */
  fleet: ResolvedFleet;
}

export interface EmittedRunner {
  manifests: K8sObject[];
  helmValues?: Record<string, unknown>;
  /**
   * The chart's own values.yaml is not deployed under `helmValues` (a Flux chart's valuesFiles replace it):
   * the chart's defaults are not taken where the values leave a key out (the doctor says so, RF903).
   */
  helmDefaultsReplaced?: true;
  /** The full `config.toml` as data. */
  configToml: Record<string, unknown>;
  /** The `[[runners]]` TOML handed to the Helm chart as `runners.config`, as text. */
  helmRunnerToml?: string;
  /** `helmRunnerToml` parsed, where the producer parsed it already (the doctor read it): verify then does not parse it again. */
  helmRunnerTomlValue?: Record<string, unknown>;
  pipeline: Record<string, unknown>;
  /**
   * Set by the doctor: the documents were read from the user's files, named here, and the chart
   * creates what its values say. The chain's findings then name these files and the keys to change
   * (and carry a path suffix the doctor points at the key); absent, they speak of runner-fleet's own layout.
   */
  readFrom?: RunnerReadFrom;
}

/** Where the doctor read a runner's documents: file names for messages. */
export interface RunnerReadFrom {
  /** The Kubernetes objects of the runner's namespace (files, or "the objects given"). */
  objects: string;
  /** The Helm values file. */
  helmValues?: string;
  /** The file holding the config.toml the proofs read (the values' runners.config, or a config.toml). */
  configToml?: string;
  /**
   * A manager deployed without the chart, as the chain proof names it in place of "Helm values ↔
   * config.toml": `the Deployment ns/name's config.toml (ConfigMap c)`, or the resource addresses.
   */
  managerConfig?: string;
}
