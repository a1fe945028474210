import type { ResolvedFleet } from '../../model/types.js';
import { desiredRunners } from '../../ops/desired.js';

export const ROTATE_PIPELINE_PATH = 'pipelines/rotate-tokens.gitlab-ci.yml';

/**
 * A scheduled pipeline that rotates the tokens of API-registered runners before they expire
 * (`runner-fleet rotate --if-expiring-within`). It holds no GitLab access token: a runner token
 * resets itself (`POST /runners/reset_authentication_token`). Its cloud access is keyless: a
 * GitLab OIDC ID token exchanged for the role named by the CI variable
 * RUNNER_FLEET_ROTATOR_ROLE_ARN (SSM parameters), or the in-cluster service account of the job
 * (Kubernetes Secrets). Undefined when no runner is registered through the API.
 */
export function rotatePipeline(fleet: ResolvedFleet, specPath = 'fleet.yaml'): { content: Record<string, unknown>; comment: string } | undefined {
  const api = desiredRunners(fleet).filter((d) => d.registration === 'api');
  if (api.length === 0) return undefined;
  const aws = api.some((d) => d.store.kind === 'ssm-parameter');
  const job: Record<string, unknown> = {
    image: 'node:20-alpine',
    rules: [{ if: '$CI_PIPELINE_SOURCE == "schedule"' }],
    variables: { RUNNER_FLEET_SPEC: specPath, RUNNER_FLEET_ROTATE_WITHIN: '14d' },
    script: [
      ...(aws ? ['printf \'%s\' "$AWS_ID_TOKEN" > "$CI_BUILDS_DIR/.aws-web-identity-token"'] : []),
      'npx --yes runner-fleet@0.1.0 rotate "$RUNNER_FLEET_SPEC" --if-expiring-within "$RUNNER_FLEET_ROTATE_WITHIN" --approve --json',
    ],
  };
  if (aws) {
    job.id_tokens = { AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } };
    (job.variables as Record<string, string>).AWS_ROLE_ARN = '$RUNNER_FLEET_ROTATOR_ROLE_ARN';
    (job.variables as Record<string, string>).AWS_WEB_IDENTITY_TOKEN_FILE = '$CI_BUILDS_DIR/.aws-web-identity-token';
  }
  return {
    content: { 'rotate-runner-tokens': job },
    comment: `Scheduled token rotation for ${fleet.name} (${api.map((d) => d.name).join(', ')}): add a pipeline schedule (e.g. daily). Needs no GitLab access token; AWS access through the GitLab OIDC ID token and the role in RUNNER_FLEET_ROTATOR_ROLE_ARN (ssm:GetParameter, ssm:PutParameter, ssm:AddTagsToResource, ssm:ListTagsForResource on the token parameters, ssm:SendCommand on the managers).`,
  };
}
