import type { ResolvedFleet } from '../../model/types.js';
import { desiredRunners } from '../../ops/desired.js';

export const ROTATE_PIPELINE_PATH = 'pipelines/rotate-tokens.gitlab-ci.yml';

/**
 * A scheduled pipeline that rotates the tokens of API-registered runners before they expire
 * (`runner-fleet rotate --if-expiring-within`). It holds no GitLab access token: a runner token
 * resets itself (`POST /runners/reset_authentication_token`). Its cloud access is keyless: a
 * GitLab OIDC ID token, with the audience the rotator role pins, exchanged for that role
 * (operations.rotation; its ARN is resolved once, so the pipeline and the trust name the same
 * role). The job runs only in the project and on the branch the role trusts. Undefined when no
 * runner is registered through the API or no project runs the rotation (RF124).
 */
export function rotatePipeline(fleet: ResolvedFleet, specPath = 'fleet.yaml'): { content: Record<string, unknown>; comment: string } | undefined {
  const rotation = fleet.rotation;
  const api = desiredRunners(fleet).filter((d) => d.registration === 'api');
  if (api.length === 0 || !rotation) return undefined;
  const arn = rotation.awsRoleArn;
  // Kubernetes Secret stores: the job reaches each cluster's API as the rotator role (EKS: a token
  // presigned with the role's credentials, endpoint and CA from eks:DescribeCluster).
  const kube = rotation.kubernetes;
  const kubeArgs = (kube?.clusters ?? []).map((c) => ` --kube-api ${c.cluster}=${c.kubeApi}`).join('');
  const variables: Record<string, string> = { RUNNER_FLEET_SPEC: specPath, RUNNER_FLEET_ROTATE_WITHIN: '14d' };
  const job: Record<string, unknown> = {
    image: 'node:20-alpine',
    // The identity trusts this project and branch only; elsewhere the job would fail to assume it.
    rules: [{ if: `$CI_PIPELINE_SOURCE == "schedule" && $CI_PROJECT_PATH == "${rotation.project}" && $CI_COMMIT_REF_NAME == "${rotation.ref}"` }],
    variables,
    script: [
      ...(arn ? ['printf \'%s\' "$AWS_ID_TOKEN" > "$CI_BUILDS_DIR/.aws-web-identity-token"'] : []),
      `npx --yes runner-fleet@0.1.0 rotate "$RUNNER_FLEET_SPEC" --if-expiring-within "$RUNNER_FLEET_ROTATE_WITHIN"${kubeArgs} --approve --json`,
    ],
  };
  if (arn) {
    job.id_tokens = { AWS_ID_TOKEN: { aud: rotation.audience } };
    variables.RUNNER_FLEET_ROTATOR_ROLE_ARN = arn;
    variables.AWS_ROLE_ARN = '$RUNNER_FLEET_ROTATOR_ROLE_ARN';
    variables.AWS_WEB_IDENTITY_TOKEN_FILE = '$CI_BUILDS_DIR/.aws-web-identity-token';
  }
  return {
    content: { 'rotate-runner-tokens': job },
    comment: `Scheduled token rotation for ${fleet.name} (${api.map((d) => d.name).join(', ')}): add a pipeline schedule (e.g. daily) in ${rotation.project} on ${rotation.ref}. Needs no GitLab access token.${arn ? ` AWS access: the GitLab ID token (aud ${rotation.audience}) for the rotator role ${arn} (terraform/aws output rotator_role_arn), which trusts only ${rotation.sub} and may only ${kube ? `get and update the token Secrets and restart the Deployments of ${kube.targets.map((t) => `${t.namespace}`).join(', ')} as Kubernetes user ${kube.username}` : ''}${kube && rotation.awsRoleArn && arnHasSsm(fleet) ? ', and ' : ''}${arnHasSsm(fleet) ? 'read, write and tag the token parameters and restart the managers through SSM Run Command' : ''}.` : ''}`,
  };
}

function arnHasSsm(fleet: ResolvedFleet): boolean {
  return desiredRunners(fleet).some((d) => d.registration === 'api' && d.store.kind === 'ssm-parameter');
}
