import type { ResolvedFleet } from '../../model/types.js';
import { policyDocument } from '../../model/types.js';
import type { ResolvedDeployTarget, ResolvedIdTokenRole, ResolvedReach } from '../../model/reach.js';
import type { PolicyDocument, Statement } from '../../verify/iam/types.js';
import { denyDeletesStatement, grantedServices } from '../../model/deletes.js';
import { fitName, shortHash } from '../../spec/names.js';
import { DO_NOT_EDIT, tfName, type TerraformResources, type TerraformRoot } from '../artifacts.js';
import { AWS_PROVIDER_CONSTRAINT, awsTags } from './aws.js';
import { azureTags } from './azure.js';
import { ROLE_PATH } from '../../spec/resolve.js';
import { findBy } from '../../model/lookup.js';

/**
 * Terraform for jobs that reach beyond their own identity:
 * - one standalone root per target account (`terraform/aws-<account>/`), holding the deploy roles
 *   that trust exactly their runner's job role (with sts:ExternalId when set);
 * - in the fleet's own root, the job role's sts:AssumeRole on exactly those role ARNs, and the
 *   IAM OIDC provider and roles for GitLab ID tokens;
 * - in the Azure root, managed identities with one federated credential per exact subject.
 * Every policy is a literal JSON document, as in the rest of the output: what is proven is applied.
 */

/** The provider variable of a target root: the role Terraform assumes to reach that account. */
export const ASSUME_ROLE_VARIABLE = 'assume_role_arn';

/** `${var.x}` or `${data.aws_ssm_parameter.x.value}`: the symbol the trust carries for the External ID. */
export function externalIdExpression(t: ResolvedDeployTarget): string | undefined {
  const e = t.externalId;
  if (!e) return undefined;
  return e.ssmParameter ? `\${data.aws_ssm_parameter.${tfName(t.key, 'external_id')}.value}` : `\${var.${e.variable}}`;
}

export function deployTargetTrust(t: ResolvedDeployTarget): PolicyDocument {
  const equals: Record<string, string> = {};
  const ext = externalIdExpression(t);
  if (ext) equals['sts:ExternalId'] = ext;
  if (t.principalOrgId) equals['aws:PrincipalOrgID'] = t.principalOrgId;
  const st: Statement = { Sid: 'RunnerJobRole', Effect: 'Allow', Principal: { AWS: t.jobRoleArn }, Action: 'sts:AssumeRole' };
  if (Object.keys(equals).length > 0) st.Condition = { StringEquals: equals };
  return policyDocument([st]);
}

export function deployTargetPolicy(t: ResolvedDeployTarget): PolicyDocument {
  return policyDocument([...t.statements, ...(t.denyDeletes ? [denyDeletesStatement(grantedServices(t.statements))] : [])]);
}

/** The roots of the target accounts, by account id (sorted). */
export function deployTargetRoots(fleet: ResolvedFleet): Map<string, TerraformRoot> {
  const out = new Map<string, TerraformRoot>();
  const targets = fleet.reach?.targets ?? [];
  const accounts = [...new Set(targets.map((t) => t.accountId))].sort();
  const tags = awsTags(fleet);
  for (const account of accounts) {
    const mine = targets.filter((t) => t.accountId === account);
    const variable: Record<string, unknown> = {
      [ASSUME_ROLE_VARIABLE]: {
        type: 'string',
        default: '',
        description: `Role in account ${account} that Terraform assumes to apply this root (for example OrganizationAccountAccessRole). Empty: the credentials in the environment, which must be account ${account}'s.`,
      },
    };
    const data: Record<string, Record<string, unknown>> = {};
    const roles: Record<string, Record<string, unknown>> = {};
    const policies: Record<string, Record<string, unknown>> = {};
    const output: Record<string, unknown> = {};
    for (const t of mine) {
      const k = tfName(t.key);
      const e = t.externalId;
      if (e?.ssmParameter) data[tfName(t.key, 'external_id')] = { name: e.ssmParameter, with_decryption: true };
      else if (e) {
        variable[e.variable] = {
          type: 'string',
          sensitive: true,
          description: `External ID runner ${t.runner}'s jobs present to assume ${t.roleName}. Pass it as TF_VAR_${e.variable}; never write it in a file.`,
          validation: [{ condition: `\${length(var.${e.variable}) >= 2 && length(var.${e.variable}) <= 1224 && can(regex("^[\\\\w+=,.@:/-]+$", var.${e.variable}))}`, error_message: 'An External ID is 2-1224 characters of letters, digits and +=,.@:/-' }],
        };
      }
      roles[k] = {
        name: t.roleName,
        path: t.rolePath,
        description: `Deploy target ${t.name} of runner ${fleet.name}/${t.runner}: assumed by its job role only (runner-fleet)`,
        assume_role_policy: JSON.stringify(deployTargetTrust(t)),
        max_session_duration: t.maxSessionDurationSeconds,
        ...(t.permissionsBoundary ? { permissions_boundary: t.permissionsBoundary } : {}),
      };
      policies[k] = { name: 'runner-deploy-target', role: `\${aws_iam_role.${k}.name}`, policy: JSON.stringify(deployTargetPolicy(t)) };
      output[tfName(t.key, 'role_arn')] = { value: `\${aws_iam_role.${k}.arn}`, description: `deploy target ${t.name} of runner ${t.runner}` };
    }
    const root: TerraformRoot = {
      '//': DO_NOT_EDIT,
      terraform: { required_version: '>= 1.5.0', required_providers: { aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_CONSTRAINT } } },
      provider: {
        aws: [
          {
            region: mine[0]!.region,
            allowed_account_ids: [account],
            default_tags: { tags },
            dynamic: { assume_role: { for_each: `\${var.${ASSUME_ROLE_VARIABLE} == "" ? [] : [var.${ASSUME_ROLE_VARIABLE}]}`, content: { role_arn: '${assume_role.value}', session_name: 'runner-fleet' } } },
          },
        ],
      },
      variable,
      ...(Object.keys(data).length > 0 ? { data: { aws_ssm_parameter: data } } : {}),
      resource: { aws_iam_role: roles, aws_iam_role_policy: policies },
      output,
    };
    out.set(account, root);
  }
  return out;
}

/** The `sts:AssumeRole` grant of each job role on exactly its targets' ARNs. */
export function assumeTargetsStatement(targets: readonly ResolvedDeployTarget[]): Statement {
  return { Sid: 'AssumeDeployTargets', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: targets.map((t) => t.arn).sort() };
}

export function idTokenTrust(role: ResolvedIdTokenRole): PolicyDocument {
  const hp = role.issuerHostPath;
  const exact = role.subjects.filter((s) => !s.wildcard).flatMap((s) => s.subs);
  const wild = role.subjects.filter((s) => s.wildcard).flatMap((s) => s.subs);
  const statement = (op: 'StringEquals' | 'StringLike', subs: string[], sid: string): Statement => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: { Federated: role.providerArn! },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition:
      op === 'StringEquals'
        ? { StringEquals: { [`${hp}:aud`]: role.audience, [`${hp}:sub`]: subs.length === 1 ? subs[0]! : subs } }
        : { StringEquals: { [`${hp}:aud`]: role.audience }, StringLike: { [`${hp}:sub`]: subs.length === 1 ? subs[0]! : subs } },
  });
  return policyDocument([...(exact.length > 0 ? [statement('StringEquals', exact, 'GitLabIdTokenExact')] : []), ...(wild.length > 0 ? [statement('StringLike', wild, 'GitLabIdTokenPattern')] : [])]);
}

/** Federated credential names: up to 120 of letters, digits, '-' and '_'. */
export function federatedCredentialName(role: ResolvedIdTokenRole, sub: string): string {
  const readable = sub.replace(/^project_path:/, '').replace(/:ref_type:/, '-').replace(/:ref:/, '-').replace(/[^A-Za-z0-9_-]/g, '-');
  return fitName(`gitlab-${readable}-${shortHash(sub, 6)}`, 120);
}

/** Resources of the fleet's own AWS root (job roles' AssumeRole grants, ID-token provider and roles). */
export function reachAwsResources(fleet: ResolvedFleet, reach: ResolvedReach): TerraformResources {
  const out: TerraformResources = {};
  const policies: Record<string, Record<string, unknown>> = {};
  const byJobRole = new Map<string, ResolvedDeployTarget[]>();
  for (const t of reach.targets) byJobRole.set(t.runner, [...(byJobRole.get(t.runner) ?? []), t]);
  for (const [runnerName, targets] of byJobRole) {
    const runner = findBy(fleet.runners, 'name', runnerName)!;
    const k = tfName(runner.jobIdentity!);
    policies[tfName(runner.jobIdentity!, 'deploy_targets')] = { name: 'runner-jobs-deploy-targets', role: `\${aws_iam_role.${k}.name}`, policy: JSON.stringify(policyDocument([assumeTargetsStatement(targets)])) };
  }
  const it = reach.idTokens;
  const awsRoles = it?.roles.filter((r) => r.cloud === 'aws') ?? [];
  if (it && awsRoles.length > 0) {
    const roles: Record<string, Record<string, unknown>> = {};
    if (it.oidcProvider === 'create') {
      out.aws_iam_openid_connect_provider = { gitlab_id_tokens: { url: it.issuer, client_id_list: [...new Set(awsRoles.map((r) => r.audience))].sort() } };
    }
    for (const r of awsRoles) {
      const k = tfName(r.key);
      roles[k] = {
        name: r.roleName,
        path: ROLE_PATH,
        description:
          r.purpose === 'rotator'
            ? `Token rotator of ${fleet.name}: the rotation schedule of ${r.subjects[0]?.project ?? '?'} on ${r.subjects[0]?.refs[0] ?? '?'} (runner-fleet)`
            : `GitLab ID-token role ${r.name} of ${fleet.name}: pipelines of the named projects and refs (runner-fleet)`,
        assume_role_policy: JSON.stringify(idTokenTrust(r)),
        max_session_duration: r.maxSessionDurationSeconds,
        ...(it.oidcProvider === 'create' ? { depends_on: ['aws_iam_openid_connect_provider.gitlab_id_tokens'] } : {}),
      };
      if (r.statements.length > 0) policies[k] = { name: 'gitlab-id-token-role', role: `\${aws_iam_role.${k}.name}`, policy: JSON.stringify(policyDocument(r.statements)) };
    }
    out.aws_iam_role = roles;
  }
  if (Object.keys(policies).length > 0) out.aws_iam_role_policy = policies;
  return out;
}

/** Resources of the Azure root: an identity per Azure ID-token role, a federated credential per exact subject. */
export function reachAzureResources(fleet: ResolvedFleet, reach: ResolvedReach): TerraformResources {
  const roles = reach.idTokens?.roles.filter((r) => r.cloud === 'azure') ?? [];
  if (roles.length === 0) return {};
  const identities: Record<string, Record<string, unknown>> = {};
  const credentials: Record<string, Record<string, unknown>> = {};
  const assignments: Record<string, Record<string, unknown>> = {};
  for (const r of roles) {
    const k = tfName(r.key);
    identities[k] = { name: r.roleName, resource_group_name: r.resourceGroup!, location: fleet.azure!.location, tags: azureTags(fleet) };
    for (const sub of r.subjects.flatMap((s) => s.subs)) {
      credentials[tfName(r.key, shortHash(sub, 8))] = {
        name: federatedCredentialName(r, sub),
        resource_group_name: r.resourceGroup!,
        parent_id: `\${azurerm_user_assigned_identity.${k}.id}`,
        issuer: r.issuer,
        subject: sub,
        audience: [r.audience],
      };
    }
    for (const a of r.roleAssignments) {
      assignments[tfName(r.key, shortHash(`${a.role}|${a.scope.toLowerCase()}`, 8))] = {
        scope: a.scope,
        role_definition_name: a.role,
        principal_id: `\${azurerm_user_assigned_identity.${k}.principal_id}`,
        principal_type: 'ServicePrincipal',
        description: `${a.role} for GitLab ID-token identity ${r.name} of ${fleet.name} (runner-fleet)`,
      };
    }
  }
  return {
    azurerm_user_assigned_identity: identities,
    azurerm_federated_identity_credential: credentials,
    ...(Object.keys(assignments).length > 0 ? { azurerm_role_assignment: assignments } : {}),
  };
}
