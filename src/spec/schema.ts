import { z } from 'zod';
import { ACCEPTABLE_CODES } from './codes.js';
import { azureRoleAssignmentSchema, azureSchema, resourceGroupSchema } from './azure.js';
import { iamConditionsSchema } from './iam-conditions.js';
import { GROUP_PATH, PROJECT_PATH, awsAccountIdSchema, iamResourceSchema, nameSchema, specMap } from './primitives.js';
import { awsTagsSchema } from './tags.js';
import { deployTargetSchema, idTokensSchema } from './reach.js';
import { operationsSchema } from './operations.js';

export { awsAccountIdSchema, nameSchema, specMap } from './primitives.js';

/**
 * The written spec: what a person types. Every optional key documents its default.
 * Platform plugins and cache backends contribute the schemas of their own entries
 * (`clusters[]`, `caches[]`); this file holds what every fleet shares.
 */

export const API_VERSION = 'runner-fleet/v1alpha1';

/**
 * Keys that were renamed within v1alpha1: old key → new key and why. A spec that still uses the
 * old key gets one finding that names the new key (not "unknown" plus "missing").
 */
export const RENAMED_KEYS: ReadonlyMap<string, { to: string; why: string }> = new Map([
  ['on', { to: 'placement', why: 'YAML 1.1 readers (PyYAML, yamllint, Ruby, go-yaml v2) read the key `on` as the boolean true' }],
]);
export const KIND = 'Fleet';

export const dnsLabelSchema = z
  .string()
  .max(63, { message: 'at most 63 characters' })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'a DNS-1123 label: lower-case letters, digits and hyphens' });

export const quantitySchema = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, { message: 'a Kubernetes quantity such as 500m, 1, 512Mi or 2Gi' });

export const labelKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    message: 'a Kubernetes label key: [prefix/]name, the name up to 63 letters, digits, -, _ and ., starting and ending with a letter or digit',
  });
export const labelValue = z
  .string()
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, { message: 'a Kubernetes label value (up to 63 characters)' });

export const awsRegionSchema = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/, { message: 'an AWS region such as eu-central-1' });
export const iamPrincipalArnSchema = z
  .string()
  .regex(/^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(user|role)\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, {
    message: 'an IAM user or role ARN such as arn:aws:iam::123456789012:role/ops',
  });

const acceptRiskSchema = z.strictObject({
  code: z.enum(ACCEPTABLE_CODES as [string, ...string[]]).describe('The finding code whose risk is accepted.'),
  reason: z.string().min(10, { message: 'say why, in at least 10 characters' }).describe('Why this risk is acceptable here; printed with the finding.'),
});
export const acceptRisksSchema = z
  .array(acceptRiskSchema)
  .default([])
  .describe('Risks this entry accepts on purpose. Each turns the matching error finding into a warning that carries the reason.');

export const tolerationSchema = z.strictObject({
  key: z.string().min(1),
  operator: z.enum(['Equal', 'Exists']).default('Equal').describe('Default Equal.'),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const resourcesSchema = z.strictObject({
  cpu: quantitySchema.describe('CPU request; also the limit unless cpuLimit is set.'),
  memory: quantitySchema.describe('Memory request and limit.'),
  cpuLimit: quantitySchema.optional().describe('CPU limit. Default: equal to cpu.'),
  ephemeralStorage: quantitySchema.optional().describe('Ephemeral storage request and limit. Default: unset.'),
});

const awsStatementSchema = z.strictObject({
  sid: z.string().regex(/^[A-Za-z0-9]+$/, { message: 'letters and digits only' }).optional(),
  effect: z.enum(['Allow', 'Deny']).default('Allow').describe('Default Allow.'),
  actions: z.array(z.string().regex(/^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/, { message: 'an IAM action such as s3:GetObject, ec2:Describe* or *' })).min(1),
  resources: z.array(iamResourceSchema).min(1),
  conditions: iamConditionsSchema
    .optional()
    .describe('IAM condition block: operator → key → value(s).'),
});

export const jobsSchema = z
  .strictObject({
    image: z.string().min(1).default('alpine:3.22').describe('Default image of job containers. Default alpine:3.22.'),
    privileged: z.boolean().default(false).describe('Run job containers privileged. Default false; true raises RF301.'),
    resources: resourcesSchema.default({ cpu: '500m', memory: '1Gi' }).describe('Build container resources. Default 500m CPU, 1Gi memory.'),
    helperResources: resourcesSchema.default({ cpu: '100m', memory: '128Mi' }).describe('Helper container resources. Default 100m CPU, 128Mi memory.'),
    serviceResources: resourcesSchema.default({ cpu: '250m', memory: '512Mi' }).describe('Service container resources. Default 250m CPU, 512Mi memory.'),
    nodeSelector: specMap(labelKey, labelValue).default({}).describe('Node labels job pods must match. Default none.'),
    tolerations: z.array(tolerationSchema).default([]).describe('Taints job pods tolerate. Default none.'),
    serviceAccountOverwriteAllowed: z
      .string()
      .optional()
      .describe('Regex of service accounts a job may pick with KUBERNETES_SERVICE_ACCOUNT_OVERWRITE. Default: overwrite off. Setting it raises RF107.'),
    environment: specMap(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'an environment variable name' }), z.string())
      .default({})
      .describe('Variables added to every job. Never put credentials here (RF304).'),
    permissions: z
      .strictObject({
        aws: z.array(awsStatementSchema).default([]).describe('IAM statements of the job role. Default none: the role can do nothing.'),
        azure: z
          .array(azureRoleAssignmentSchema)
          .default([])
          .describe('Azure role assignments of the job managed identity. Default none: the identity can do nothing.'),
      })
      .default({ aws: [], azure: [] })
      .describe('What the job identity may do in the cloud.'),
    deployTargets: z
      .array(deployTargetSchema)
      .default([])
      .describe('Roles in other AWS accounts the job role assumes (sts:AssumeRole), one Terraform root per account. Default none.'),
  })
  .describe('The pods, containers or tasks that run CI jobs.');

/** Issue 12: where an AKS runner keeps its token when it is not the chart's Kubernetes Secret alone. */
export const tokenStoreSchema = z
  .strictObject({
    keyVault: z
      .strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/, { message: 'a Key Vault name: 3 to 24 letters, digits and single hyphens, starting with a letter' })
          .describe('Name of an existing Key Vault with the Azure RBAC permission model, in the tenant of the azure section.'),
        resourceGroup: resourceGroupSchema.optional().describe('Resource group of the vault (for its resource id, the scope of the role assignment). Default: azure.resourceGroup.'),
        secretName: z.string().regex(/^[0-9A-Za-z-]{1,127}$/, { message: 'a Key Vault secret name: 1 to 127 letters, digits and hyphens' }).optional().describe('Secret that holds the runner token. Default: <fleet>-<runner>-runner-token.'),
      })
      .describe('Keep the runner token in an Azure Key Vault secret (AKS runners, registration api): runner-fleet register/rotate write it there; the Secrets Store CSI driver syncs it into the Kubernetes Secret the chart reads, with the manager\'s workload identity, which gets Key Vault Secrets User on that one secret.'),
  })
  .describe('Where the runner token is kept. Default: the Kubernetes Secret the chart reads (Kubernetes runners) or the SSM parameter the manager reads (VM runners).');

export const runnerGitlabSchema = z
  .strictObject({
    group: z.string().regex(GROUP_PATH, { message: 'a group full path such as acme/platform' }).optional().describe('Register a group runner for this group path.'),
    project: z.string().regex(PROJECT_PATH, { message: 'a project full path such as acme/platform/api' }).optional().describe('Register a project runner for this project path.'),
    instance: z.boolean().optional().describe('Register an instance runner (needs an administrator).'),
    tags: z
      .array(
        z
          .string()
          .min(1)
          .max(255)
          // GitLab's runner API coerces tag_list with CommaSeparatedToArray: each element split at commas and stripped.
          .refine((t) => !t.includes(',') && t.trim() === t, { message: 'GitLab splits a tag at commas and strips the spaces around it, so the runner would carry other tags than the spec says (and status would report drift on every run)', params: { allowed: 'a tag without commas and without spaces at its ends', fix: 'write each tag as its own list entry: tags: [a, b]' } }),
      )
      .default([])
      .describe('Runner tags (no commas: GitLab splits tags at commas). Default none.'),
    runUntagged: z.boolean().default(false).describe('Pick up jobs without tags. Default false.'),
    locked: z.boolean().default(true).describe('Lock a project runner to its project (GitLab ignores locked on group and instance runners, which serve every project of their group or instance). Default true.'),
    protectedOnly: z.boolean().default(false).describe('Run jobs for protected branches and tags only (access_level ref_protected). Default false.'),
    paused: z.boolean().default(false).describe('Register paused. Default false.'),
    maximumTimeoutSeconds: z.number().int().min(600).max(2_592_000).optional().describe('Upper bound for job timeouts. Default: none.'),
    // Operations (issue 12): who creates the runner and owns its token, so the two paths never fight over one runner.
    registration: z
      .enum(['terraform', 'api'])
      .optional()
      .describe('Who registers the runner and owns its token: terraform (the generated terraform/gitlab root, Kubernetes runners only) or api (runner-fleet register/rotate). Default: terraform for Kubernetes runners, api for VM runners and for runners whose tokenStore is keyVault.'),
    tokenStore: tokenStoreSchema.optional(),
  })
  .describe('How the runner is registered in GitLab.');

export const runnerSchema = z.strictObject({
  name: nameSchema(40).describe('Runner name, unique in the fleet; prefix of its generated names.'),
  description: z.string().max(255).optional().describe('Shown in GitLab. Default: "<fleet>/<runner> (runner-fleet)".'),
  placement: z
    .strictObject({
      cluster: z.string().min(1).describe('Name of an entry in clusters.'),
      namespace: dnsLabelSchema.optional().describe('Kubernetes namespace of the manager and its jobs, its own (not default, kube-system, kube-public or kube-node-lease). Default: gitlab-runner-<runner>.'),
    })
    .describe('Where the runner manager and its jobs run.'),
  gitlab: runnerGitlabSchema,
  concurrent: z.number().int().min(1).max(1000).default(4).describe('Jobs at once. Default 4.'),
  checkIntervalSeconds: z.number().int().min(1).max(3600).default(3).describe('Seconds between job polls. Default 3.'),
  pollTimeoutSeconds: z.number().int().min(30).max(3600).default(180).describe('How long to wait for a job pod to start. Default 180.'),
  cache: z
    .strictObject({
      name: z.string().min(1).describe('Name of an entry in caches.'),
      shared: z.boolean().default(false).describe('Share cache between runners of the same path (Shared = true). Default false.'),
      path: z
        .string()
        .regex(/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/, { message: 'lower-case path segments separated by /' })
        .optional()
        .describe('Object key prefix. Default: <runner name>.'),
    })
    .optional()
    .describe('The shared cache this runner uses. Default: no cache.'),
  manager: z
    .strictObject({
      logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Default info.'),
      metrics: z.boolean().default(true).describe('Expose Prometheus metrics on :9252. Default true.'),
      terminationGracePeriodSeconds: z.number().int().min(30).max(86_400).default(3600).describe('Time for running jobs to finish on shutdown. Default 3600; raised to gitlab.maximumTimeoutSeconds + 60 when shorter.'),
      nodeSelector: specMap(labelKey, labelValue).default({}).describe('Node labels the manager pod must match. Default none.'),
      tolerations: z.array(tolerationSchema).default([]).describe('Taints the manager pod tolerates. Default none.'),
    })
    .default({ logLevel: 'info', metrics: true, terminationGracePeriodSeconds: 3600, nodeSelector: {}, tolerations: [] })
    .describe('The runner manager process.'),
  jobs: jobsSchema.prefault({}),
  acceptRisks: acceptRisksSchema,
});

export const fleetMetaSchema = z.strictObject({
  name: nameSchema(20).describe('Fleet name: prefix of every generated cloud name.'),
});

export const awsSchema = z
  .strictObject({
    accountId: awsAccountIdSchema,
    region: awsRegionSchema.describe('Default region of clusters and caches.'),
    partition: z.enum(['aws', 'aws-cn', 'aws-us-gov']).default('aws').describe('Default aws.'),
    tags: awsTagsSchema.default({}).describe('Tags on every AWS resource: at most 48 (runner-fleet adds managed-by and runner-fleet-fleet, which the spec cannot set); keys of 1-128 and values of up to 256 letters, digits, spaces and _ . : / = + - @, neither starting with aws:. Default none.'),
  })
  .describe('The AWS account the fleet lives in.');

export const gitlabSchema = z.strictObject({
  url: z
    .string()
    .regex(/^https:\/\/[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~-]+)*$/, { message: 'an https URL without a trailing slash, such as https://gitlab.com' })
    .describe('GitLab instance URL.'),
});

export function buildFleetSchema<C extends z.ZodType, K extends z.ZodType>(cluster: C, cache: K, runnerKeys: Record<string, z.ZodType> = {}) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    metadata: fleetMetaSchema,
    gitlab: gitlabSchema,
    aws: awsSchema.optional().describe('Required when any cluster or cache is on AWS.'),
    azure: azureSchema.optional().describe('Required when any cluster or cache is on Azure.'),
    idTokens: idTokensSchema.optional(),
    operations: operationsSchema.optional(),
    clusters: z.array(cluster).min(1).describe('Where runners run.'),
    caches: z.array(cache).default([]).describe('Shared caches. Default none.'),
    // Platform keys are validated here; their values are read by the platform that owns them.
    runners: z.array(runnerSchema.extend(runnerKeys) as unknown as typeof runnerSchema).min(1).describe('The runners of the fleet.'),
  });
}

export type RunnerSpec = z.output<typeof runnerSchema>;
export type AwsSpec = z.output<typeof awsSchema>;
export type AwsStatementSpec = z.output<typeof awsStatementSchema>;
export type TolerationSpec = z.output<typeof tolerationSchema>;
export type ResourcesSpec = z.output<typeof resourcesSchema>;
