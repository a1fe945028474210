import { z } from 'zod';

/**
 * Day-two operations the generated fleet supports (issue 12). Schema only; resolve-operations.ts
 * derives the rotator identity from it.
 */
export const rotationSchema = z
  .strictObject({
    project: z
      .string()
      .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*\/[A-Za-z0-9_.-]+$/, { message: 'a project full path such as acme/platform/runner-fleet' })
      .describe('Full path of the project whose pipeline schedule runs pipelines/rotate-tokens.gitlab-ci.yml. The rotator identity trusts this project only.'),
    ref: z
      .string()
      .regex(/^[A-Za-z0-9_.\-/]+$/, { message: 'a branch name (no wildcards)' })
      .default('main')
      .describe('The (protected) branch the schedule runs on; the rotator identity trusts this branch only. Default main.'),
    audience: z.string().min(1).optional().describe('aud of the ID token the rotation job requests. Default sts.amazonaws.com for the IAM role, api://AzureADTokenExchange for the managed identity (AKS).'),
  })
  .describe(
    'The scheduled token rotation of API-registered runners: which project and branch run it. With it, synth generates a keyless rotator identity that only that project and branch can assume (an IAM role trusted through the GitLab OIDC provider for SSM token stores; for Kubernetes Secret stores on EKS the same role, mapped by an access entry to a Kubernetes user bound in each runner namespace to a Role on exactly the token Secret and the manager Deployment; for AKS runners (Key Vault or Secret stores) a user-assigned managed identity federated for that project and branch, with Key Vault Secrets Officer on exactly the token secrets and a Role bound to its principal id; AKS clusters not declared entraId are refused, RF128) and the pipeline that uses it. Without it, no rotation pipeline is generated (RF124).',
  );

export const operationsSchema = z
  .strictObject({
    rotation: rotationSchema.optional(),
  })
  .describe('Day-two operations of API-registered runners (runner-fleet register/rotate/drain).');

export type RotationSpec = z.output<typeof rotationSchema>;
export type OperationsSpec = z.output<typeof operationsSchema>;
