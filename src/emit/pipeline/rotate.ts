import type { ResolvedFleet } from '../../model/types.js';
import { apiTokenStores } from '../../ops/desired.js';

/** The rotator's client id from `synth --azure-outputs` (workload_identity_client_ids carries it by identity name). */
function appliedRotatorClientId(fleet: ResolvedFleet): string | undefined {
  const ids = fleet.applied?.azureClientIds;
  const name = fleet.rotation?.azure?.identityName;
  return ids && name !== undefined && Object.hasOwn(ids, name) ? ids[name] : undefined;
}

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
  const api = apiTokenStores(fleet);
  if (api.length === 0 || !rotation) return undefined;
  const arn = rotation.awsRoleArn;
  // Kubernetes Secret stores: the job reaches each cluster's API as the rotator role (EKS: a token
  // presigned with the role's credentials, endpoint and CA from eks:DescribeCluster).
  const kube = rotation.kubernetes;
  const kubeArgs = [...(kube?.clusters ?? []), ...(rotation.azure?.kubernetes?.clusters ?? [])].map((c) => ` --kube-api ${c.cluster}=${c.kubeApi}`).join('');
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
  // AKS runners: the rotator's managed identity, signed in with the GitLab ID token as a federated
  // assertion (@azure/identity's workload identity credential reads these three variables): no secret.
  const azure = rotation.azure;
  if (azure) {
    job.id_tokens = { ...(job.id_tokens ?? {}), AZURE_ID_TOKEN: { aud: azure.audience } };
    const clientId = appliedRotatorClientId(fleet);
    // The client id exists only after terraform/azure is applied: rendered with --azure-outputs, else a CI/CD variable (not a secret).
    if (clientId !== undefined) variables.RUNNER_FLEET_ROTATOR_CLIENT_ID = clientId;
    variables.AZURE_CLIENT_ID = '$RUNNER_FLEET_ROTATOR_CLIENT_ID';
    variables.AZURE_TENANT_ID = fleet.azure!.tenantId;
    variables.AZURE_FEDERATED_TOKEN_FILE = '$CI_BUILDS_DIR/.azure-federated-token';
    (job.script as string[]).unshift(
      'test -n "$AZURE_CLIENT_ID" || { echo "FAIL: set the CI/CD variable RUNNER_FLEET_ROTATOR_CLIENT_ID to terraform -chdir=terraform/azure output -raw rotator_client_id" >&2; exit 1; }',
      'printf \'%s\' "$AZURE_ID_TOKEN" > "$AZURE_FEDERATED_TOKEN_FILE"',
    );
  }
  return {
    content: { 'rotate-runner-tokens': job },
    comment: `Scheduled token rotation for ${fleet.name} (${api.map((d) => d.name).join(', ')}): add a pipeline schedule (e.g. daily) in ${rotation.project} on ${rotation.ref}. Needs no GitLab access token.${azure ? ` Azure access: the GitLab ID token (aud ${azure.audience}) signs in as the managed identity ${azure.identityName} (terraform/azure output rotator_client_id), which trusts only ${rotation.sub} and may only write the Key Vault secrets of its runners, read the endpoints of their AKS clusters and, as Kubernetes user <its principal id>, ${azure.kubernetes ? 'read (or update) their token Secrets and restart their manager Deployments' : 'nothing in Kubernetes'}.` : ''}${arn ? ` AWS access: the GitLab ID token (aud ${rotation.audience}) for the rotator role ${arn} (terraform/aws output rotator_role_arn), which trusts only ${rotation.sub} and may only ${kube ? `get and update the token Secrets and restart the Deployments of ${kube.targets.map((t) => `${t.namespace}`).join(', ')} as Kubernetes user ${kube.username}` : ''}${kube && rotation.awsRoleArn && arnHasSsm(fleet) ? ', and ' : ''}${arnHasSsm(fleet) ? 'read, write, tag and label the token parameters and restart the managers through SSM Run Command' : ''}.` : ''}`,
  };
}

function arnHasSsm(fleet: ResolvedFleet): boolean {
  return apiTokenStores(fleet).some((d) => d.store.kind === 'ssm-parameter');
}
