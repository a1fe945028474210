import type { ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import type { ResolvedDeployTarget, ResolvedIdTokenRole } from '../../model/reach.js';
import { grantedServices } from '../../model/deletes.js';
import { AWS_CLI_IMAGE } from '../../platforms/aws-identity-check.js';
import { assumedRoleArnPrefix } from '../../verify/aws-docs.js';

/**
 * Smoke-test jobs for jobs that reach beyond their own identity: assume each deploy target
 * (External ID from a masked CI/CD variable) and check the session ARN, then show that a delete
 * is refused; and, for GitLab ID-token roles, exchange the job's ID token and check the ARN.
 */

export const ID_TOKEN_VARIABLE = 'RUNNER_FLEET_ID_TOKEN';
const AZURE_CLI_IMAGE = 'mcr.microsoft.com/azure-cli:2.67.0';
const cli = { name: AWS_CLI_IMAGE, entrypoint: [''] };

const fail = (msg: string) => `{ echo "FAIL: ${msg}" >&2; exit 1; }`;

/** A delete call per service that cannot succeed, and the error an explicit Deny gives. */
const DELETE_PROBES: ReadonlyMap<string, (region: string) => string> = new Map([
  ['ec2', (r: string) => `aws ec2 delete-security-group --group-id sg-00000000000000000 --dry-run --region ${r}`],
  ['ecs', (r: string) => `aws ecs delete-cluster --cluster runner-fleet-smoke-no-such-cluster --region ${r}`],
  ['ecr', (r: string) => `aws ecr delete-repository --repository-name runner-fleet-smoke/no-such-repository --region ${r}`],
  ['lambda', (r: string) => `aws lambda delete-function --function-name runner-fleet-smoke-no-such-function --region ${r}`],
  ['cloudformation', (r: string) => `aws cloudformation delete-stack --stack-name runner-fleet-smoke-no-such-stack --region ${r}`],
  ['s3', () => 'aws s3api delete-bucket --bucket runner-fleet-smoke-no-such-bucket'],
]);

/** Puts the assumed credentials into the environment without printing them. */
const exportCredentials = (call: string): string[] => [
  `set -- $(${call} --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)`,
  'export AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2" AWS_SESSION_TOKEN="$3"',
];

const arnCheck = (expectedPrefix: string, what: string): string[] => [
  'arn="$(aws sts get-caller-identity --query Arn --output text)"',
  'echo "now running as: $arn"',
  `case "$arn" in "${expectedPrefix}"*) echo "OK: ${what}" ;; *) ${fail(`expected a session of ${what}`)} ;; esac`,
];

export function deployTargetJob(t: ResolvedDeployTarget): Record<string, unknown> {
  const ext = t.externalId;
  const script: string[] = [];
  if (ext) script.push(`test -n "\${${ext.ciVariable}:-}" || ${fail(`set the masked CI/CD variable ${ext.ciVariable} to the External ID of ${t.roleName}`)}`);
  script.push(...exportCredentials(`aws sts assume-role --role-arn ${t.arn} --role-session-name "runner-fleet-smoke-$CI_JOB_ID"${ext ? ` --external-id "$${ext.ciVariable}"` : ''}`));
  script.push(...arnCheck(assumedRoleArnPrefix(t.partition, t.accountId, t.roleName), `deploy target ${t.roleName} in ${t.accountId}`));
  const svc = grantedServices(t.statements).find((s) => DELETE_PROBES.has(s));
  if (t.denyDeletes && svc) {
    script.push(
      `out="$(${DELETE_PROBES.get(svc)!(t.region)} 2>&1 || true)"`,
      `case "$out" in *UnauthorizedOperation*|*AccessDenied*|*"explicit deny"*) echo "OK: ${svc} delete refused" ;; *) ${fail(`a ${svc} delete was not refused: $out`)} ;; esac`,
    );
  } else if (t.denyDeletes) {
    script.push(`echo "no harmless delete call for ${grantedServices(t.statements).join(', ')}: the Deny is proven from the documents (README)"`);
  }
  return { stage: 'reach', image: cli, script };
}

/** The `rules:` that run a job only where the role admits it (its first subject: a smoke test needs one place to run). */
function idTokenRules(role: ResolvedIdTokenRole): Record<string, unknown>[] {
  const s = role.subjects[0]!;
  const project = s.project !== undefined ? `$CI_PROJECT_PATH == "${s.project}"` : `$CI_PROJECT_NAMESPACE =~ /^${s.group!.replace(/[/.]/g, (c) => `\\${c}`)}(\\/|$)/`;
  const refVar = s.refType === 'branch' ? '$CI_COMMIT_BRANCH' : '$CI_COMMIT_TAG';
  const ref = s.anyRef ? refVar : s.refs.length === 1 ? `${refVar} == "${s.refs[0]!}"` : `(${s.refs.map((r) => `${refVar} == "${r}"`).join(' || ')})`;
  return [{ if: `${project} && ${ref}` }];
}

export function idTokenJob(fleet: ResolvedFleet, role: ResolvedIdTokenRole): Record<string, unknown> {
  const id_tokens = { [ID_TOKEN_VARIABLE]: { aud: role.audience } };
  if (role.cloud === 'aws') {
    const aws = fleet.aws!;
    return {
      stage: 'reach',
      image: cli,
      id_tokens,
      rules: idTokenRules(role),
      script: [
        ...exportCredentials(`aws sts assume-role-with-web-identity --role-arn ${role.ref} --role-session-name "gitlab-$CI_PROJECT_ID-$CI_JOB_ID" --web-identity-token "$${ID_TOKEN_VARIABLE}"`),
        ...arnCheck(assumedRoleArnPrefix(aws.partition, aws.accountId, role.roleName), `ID-token role ${role.roleName}`),
      ],
    };
  }
  const clientIdVar = `RUNNER_FLEET_CLIENT_ID_${role.name.toUpperCase().replace(/-/g, '_')}`;
  return {
    stage: 'reach',
    image: AZURE_CLI_IMAGE,
    id_tokens,
    rules: idTokenRules(role),
    script: [
      `test -n "\${${clientIdVar}:-}" || ${fail(`set the CI/CD variable ${clientIdVar} to the client id of ${role.roleName} (not a secret: az identity show --name ${role.roleName} --resource-group ${role.resourceGroup ?? '<group>'} --query clientId)`)}`,
      `az login --service-principal -u "$${clientIdVar}" --tenant ${fleet.azure!.tenantId} --federated-token "$${ID_TOKEN_VARIABLE}" --allow-no-subscriptions --output none`,
      'who="$(az account show --query user.name --output tsv)"',
      `test "$who" = "$${clientIdVar}" && echo "OK: managed identity ${role.roleName}" || ${fail(`signed in as $who, expected ${role.roleName}`)}`,
    ],
  };
}

/** Jobs the runner's smoke pipeline gains: its deploy targets and the ID-token roles that name it. */
export function reachSmokeJobs(fleet: ResolvedFleet, runner: ResolvedRunner): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const t of fleet.reach?.targets ?? []) if (t.runner === runner.name) out.push([`deploy-target-${t.name}`, deployTargetJob(t)]);
  for (const r of fleet.reach?.idTokens?.roles ?? []) if (r.runner === runner.name) out.push([`id-token-${r.name}`, idTokenJob(fleet, r)]);
  return out;
}
