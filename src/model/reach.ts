import type { Statement } from '../verify/iam/types.js';
import type { AzureRoleAssignmentSpec } from '../spec/azure.js';

/**
 * Resolved cross-account deploy targets and GitLab ID-token roles: every name, ARN and
 * condition value computed once. Emitters, the diagram and the intent of the proofs read these.
 */

export interface ResolvedExternalId {
  /** Terraform variable of the target root that carries the value (declared there, sensitive). */
  variable: string;
  /** When set, the target root reads the value from this SSM parameter instead of the variable. */
  ssmParameter?: string;
  /** CI/CD variable the smoke job reads the value from. */
  ciVariable: string;
}

export interface ResolvedDeployTarget {
  /** `<runner>-<target>`, unique in the fleet; Terraform names derive from it. */
  key: string;
  name: string;
  runner: string;
  /** Spec path of the target, e.g. `runners[0].jobs.deployTargets[1]`. */
  path: string;
  accountId: string;
  region: string;
  partition: string;
  roleName: string;
  rolePath: string;
  arn: string;
  /** The one principal the target trusts: the runner's job role. */
  jobRoleArn: string;
  jobRoleName: string;
  externalId?: ResolvedExternalId;
  principalOrgId?: string;
  denyDeletes: boolean;
  /** Statements the spec grants, in IAM grammar (the delete guardrail is added by the emitter). */
  statements: Statement[];
  permissionsBoundary?: string;
  maxSessionDurationSeconds: number;
  /** `terraform/aws-<account>/main.tf.json` */
  rootPath: string;
}

export interface ResolvedIdTokenSubject {
  project?: string;
  group?: string;
  refType: 'branch' | 'tag';
  refs: string[];
  anyRef: boolean;
  /** The `sub` values (patterns when `wildcard`) the trust admits for this entry. */
  subs: string[];
  wildcard: boolean;
}

export interface ResolvedIdTokenRole {
  key: string;
  name: string;
  path: string;
  cloud: 'aws' | 'azure';
  /** IAM role name, or the managed identity's name. */
  roleName: string;
  /** Role ARN, or the managed identity's resource id. */
  ref: string;
  issuer: string;
  /** The issuer without `https://`: prefix of the `:sub` / `:aud` condition keys and of the provider ARN. */
  issuerHostPath: string;
  /** IAM OIDC provider ARN (aws). */
  providerArn?: string;
  audience: string;
  subjects: ResolvedIdTokenSubject[];
  runner?: string;
  statements: Statement[];
  roleAssignments: AzureRoleAssignmentSpec[];
  maxSessionDurationSeconds: number;
  resourceGroup?: string;
  /** `rotator`: the identity of the scheduled token rotation (operations.rotation), generated, not written in idTokens. */
  purpose?: 'rotator';
}

export interface ResolvedReach {
  targets: ResolvedDeployTarget[];
  idTokens?: {
    issuer: string;
    issuerHostPath: string;
    oidcProvider: 'existing' | 'create';
    roles: ResolvedIdTokenRole[];
  };
}

/** `project_path:<path>:ref_type:<type>:ref:<ref>`: GitLab's default `sub` of an ID token. */
export function gitlabSub(projectPath: string, refType: string, ref: string): string {
  return `project_path:${projectPath}:ref_type:${refType}:ref:${ref}`;
}
