import type { K8sObject, TerraformRoot } from '../emit/artifacts.js';
import type { Origin } from './source.js';
import type { Located } from './evidence.js';

/** A service account as the evidence shows it (the object itself, or one the chart will create). */
export interface ServiceAccountEvidence {
  namespace: string;
  name: string;
  object?: Located<K8sObject>;
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
}

/** What a platform's reader is given: the normalized documents. */
export interface DoctorContext {
  root: TerraformRoot;
  /** Kubernetes provider alias of each namespace, read from Terraform roots that create Secrets there. */
  namespaceCluster: Map<string, string>;
}

/**
 * How a Kubernetes platform reads its own documents back for the doctor: which identity a service
 * account gets, and the cluster settings (issuer, identity mechanism) that the proofs need.
 */
export interface DoctorReader {
  bindingOf(sa: ServiceAccountEvidence, ctx: DoctorContext): DoctorBinding | undefined;
  /** Cluster settings for these bindings (one cluster), as a `clusters[]` entry of this platform. */
  clusterSpec(name: string, bindings: readonly DoctorBinding[], ctx: DoctorContext, trustOf: (roleName: string) => unknown): Record<string, unknown> & { name: string; type: string };
  /** Groups bindings by cluster: the key of the cluster each binding belongs to. */
  clusterKey(binding: DoctorBinding, trustOf: (roleName: string) => unknown): string;
}

export type { K8sObject };
