import { z } from 'zod';
import { awsAccountIdSchema, iamResourceSchema, nameSchema } from './primitives.js';
import { iamConditions } from './iam-conditions.js';
import { azureRoleAssignmentSchema } from './azure.js';

/**
 * How jobs reach beyond their own identity: roles in other AWS accounts their job role assumes
 * (`runners[].jobs.deployTargets`), and roles any job of a named project and ref assumes with a
 * GitLab ID token (`idTokens`). Schemas only; resolve/reach.ts derives the names.
 */

/** Statements of a deploy target: every action names its service, so deletes can be denied per service. */
const targetStatementSchema = z.strictObject({
  sid: z.string().regex(/^[A-Za-z0-9]+$/, { message: 'letters and digits only' }).optional(),
  effect: z.enum(['Allow', 'Deny']).default('Allow').describe('Default Allow.'),
  actions: z
    .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*?]+$/, { message: 'an IAM action with its service, such as ec2:Describe* or s3:PutObject (a bare * names no service whose deletes could be denied)' }))
    .min(1),
  resources: z.array(iamResourceSchema).min(1),
  conditions: iamConditions(z.string())
    .optional()
    .describe('IAM condition block: operator → key → value(s).'),
});

/** Where the External ID comes from. Never a literal: it is a shared secret between two accounts. */
const externalIdSchema = z
  .strictObject({
    variable: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, { message: 'a Terraform variable name: lower-case letters, digits and underscores' })
      .optional()
      .describe('Name of a sensitive Terraform variable of the target root that holds the External ID.'),
    ssmParameter: z
      .string()
      .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, { message: 'an SSM parameter name starting with /' })
      .optional()
      .describe('Name of an SSM parameter in the target account that holds the External ID (read at apply time).'),
    ciVariable: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,254}$/, { message: 'a CI/CD variable name in upper case' })
      .optional()
      .describe('Masked CI/CD variable the smoke job reads the External ID from. Default RUNNER_FLEET_EXTERNAL_ID_<TARGET>.'),
  })
  .describe('The External ID the job role must present (sts:ExternalId). Exactly one of variable, ssmParameter; the value itself is never written in the spec or any file.');

export const deployTargetSchema = z.strictObject({
  name: nameSchema(24).describe('Target name, unique per runner; part of the role name and of Terraform names.'),
  accountId: awsAccountIdSchema.describe('The AWS account the role is created in.'),
  roleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, { message: 'an IAM role name: up to 64 of letters, digits and +=,.@_-' })
    .optional()
    .describe('Name of the role in the target account. Default: <fleet>-<runner>-<target>-deploy.'),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/, { message: 'an AWS region such as eu-central-1' }).optional().describe('Provider region of the target root. Default: aws.region.'),
  permissions: z.array(targetStatementSchema).min(1).describe('IAM statements of the target role, in the form of jobs.permissions.aws (every action names its service).'),
  externalId: externalIdSchema.optional(),
  principalOrgId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, { message: 'an AWS Organizations id such as o-a1b2c3d4e5' })
    .optional()
    .describe('Also require aws:PrincipalOrgID in the trust. Default: not required.'),
  denyDeletes: z.boolean().default(true).describe('Deny every delete-like action of the services the target grants, whatever else allows them. Default true.'),
  permissionsBoundary: z.string().regex(/^arn:aws(-cn|-us-gov)?:iam::([0-9]{12}|aws):policy\/[\w+=,.@\-/]+$/, { message: 'a managed policy ARN' }).optional().describe('Permissions boundary of the target role. Default none.'),
  maxSessionDurationSeconds: z
    .number()
    .int()
    .min(900)
    .max(43_200)
    .default(3600)
    .describe('Longest session of the target role. Default 3600; a job role assuming it is role chaining, which AWS caps at one hour.'),
});

/** One `sub` the role admits, built from GitLab's own fields, never a free-form pattern. */
const idTokenSubjectSchema = z.strictObject({
  project: z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*\/[A-Za-z0-9_.-]+$/, { message: 'a project full path such as acme/platform/api' }).optional().describe('Project full path (project_path).'),
  group: z
    .string()
    .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*$/, { message: 'a group full path such as acme/platform' })
    .optional()
    .describe('Every project under this group and its subgroups. AWS only; raises RF122.'),
  refType: z.enum(['branch', 'tag']).default('branch').describe('ref_type of the pipeline. Default branch.'),
  refs: z
    .array(z.string().regex(/^[A-Za-z0-9_.\-/]+$/, { message: 'a branch or tag name (no wildcards)' }))
    .default([])
    .describe('The protected branches (or tags) whose pipelines get the role, by name. Required unless anyRef.'),
  anyRef: z.boolean().default(false).describe('Admit every ref of refType. AWS only; raises RF122. Default false.'),
});

export const idTokenRoleSchema = z.strictObject({
  name: nameSchema(32).describe('Role name suffix, unique among ID-token roles.'),
  cloud: z.enum(['aws', 'azure']).default('aws').describe('aws: an IAM role (AssumeRoleWithWebIdentity); azure: a managed identity with federated credentials. Default aws.'),
  audience: z.string().min(1).optional().describe('aud the jobs request in id_tokens. Default: sts.amazonaws.com (aws), api://AzureADTokenExchange (azure).'),
  subjects: z.array(idTokenSubjectSchema).min(1).describe('Which pipelines get the role.'),
  runner: z.string().optional().describe('Runner whose smoke pipeline gets the ID-token check job. Default: none.'),
  permissions: z
    .strictObject({
      aws: z.array(targetStatementSchema).default([]).describe('IAM statements of the role (cloud aws).'),
      azure: z.array(azureRoleAssignmentSchema).default([]).describe('Role assignments of the identity (cloud azure).'),
    })
    .default({ aws: [], azure: [] }),
  maxSessionDurationSeconds: z.number().int().min(900).max(43_200).default(3600).describe('Longest session (aws). Default 3600.'),
});

export const idTokensSchema = z
  .strictObject({
    issuer: z
      .string()
      .regex(/^https:\/\/[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~-]+)*$/, { message: 'an https URL without a trailing slash' })
      .optional()
      .describe("The GitLab instance's OIDC issuer (iss of its ID tokens). Default: gitlab.url."),
    oidcProvider: z.enum(['existing', 'create']).default('create').describe('Whether the IAM OIDC provider for the issuer is created here or already exists. Default create.'),
    roles: z.array(idTokenRoleSchema).min(1).describe('Roles jobs assume with a GitLab ID token.'),
  })
  .describe('GitLab ID tokens (id_tokens in .gitlab-ci.yml): cloud roles bound to projects and refs, on any runner.');

export type DeployTargetSpec = z.output<typeof deployTargetSchema>;
export type IdTokensSpec = z.output<typeof idTokensSchema>;
export type IdTokenRoleSpec = z.output<typeof idTokenRoleSchema>;
export type IdTokenSubjectSpec = z.output<typeof idTokenSubjectSchema>;
