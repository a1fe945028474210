import type { ParsedSpec } from './fleet.js';
import type { Finding } from './findings.js';
import { showValue } from './findings.js';
import { iamRoleName, fitName } from './names.js';
import { AZURE_WI_AUDIENCE, userAssignedIdentityId } from './azure.js';
import { toIamStatements, type ResolvedFleet } from '../model/types.js';
import { ROLE_PATH } from './resolve.js';
import { gitlabSub, type ResolvedDeployTarget, type ResolvedIdTokenRole, type ResolvedReach } from '../model/reach.js';
import { findBy } from '../model/lookup.js';

/** The audience AWS roles expect by default in a GitLab ID token (`id_tokens: … aud:`). */
export const AWS_ID_TOKEN_AUDIENCE = 'sts.amazonaws.com';

export function targetRootPath(accountId: string): string {
  return `terraform/aws-${accountId}/main.tf.json`;
}

const err = (code: string, path: string, message: string, extra: Partial<Finding> = {}): Finding => ({ code, severity: 'error', path, message, ...extra });

/** Cross-field checks of deploy targets and ID-token roles (spec errors, exit 2). */
export function checkReach(spec: ParsedSpec): Finding[] {
  const out: Finding[] = [];
  spec.runners.forEach((r, i) => {
    const seen = new Map<string, number>();
    r.jobs.deployTargets.forEach((t, j) => {
      const tp = `runners[${i}].jobs.deployTargets[${j}]`;
      const prev = seen.get(t.name);
      if (prev !== undefined) out.push(err('RF005', `${tp}.name`, `the name is already used by deployTargets[${prev}] of this runner`, { received: showValue(t.name), fix: 'give each target its own name' }));
      seen.set(t.name, j);
      if (!spec.aws) out.push(err('RF004', 'aws', `deploy targets are assumed from a job role in the fleet's AWS account (${tp})`, { fix: 'add aws: { accountId, region }' }));
      else if (t.accountId === spec.aws.accountId) {
        out.push(err('RF010', `${tp}.accountId`, 'the target is in the fleet\'s own account', { received: showValue(t.accountId), allowed: 'another account', fix: 'grant same-account rights in jobs.permissions.aws' }));
      }
      const e = t.externalId;
      if (e && (e.variable === undefined) === (e.ssmParameter === undefined)) {
        out.push(err('RF010', `${tp}.externalId`, 'the External ID needs exactly one source', { received: showValue(e), allowed: 'variable or ssmParameter', fix: 'name a Terraform variable or an SSM parameter; never write the value itself' }));
      }
    });
  });
  const it = spec.idTokens;
  if (!it) return out;
  const names = new Map<string, number>();
  const runnerNames = spec.runners.map((r) => r.name);
  it.roles.forEach((role, i) => {
    const rp = `idTokens.roles[${i}]`;
    const prev = names.get(role.name);
    if (prev !== undefined) out.push(err('RF005', `${rp}.name`, `the name is already used by idTokens.roles[${prev}]`, { received: showValue(role.name), fix: 'give each role its own name' }));
    names.set(role.name, i);
    if (role.cloud === 'aws' && !spec.aws) out.push(err('RF004', 'aws', `an AWS ID-token role needs the aws section (${rp})`, { fix: 'add aws: { accountId, region }' }));
    if (role.cloud === 'azure' && !spec.azure) out.push(err('RF004', 'azure', `an Azure ID-token identity needs the azure section (${rp})`, { fix: 'add azure: { tenantId, subscriptionId, location, resourceGroup }' }));
    const other = role.cloud === 'aws' ? 'azure' : 'aws';
    if (role.permissions[other].length > 0) {
      out.push(err('RF010', `${rp}.permissions.${other}`, `a ${role.cloud} role cannot use ${other} permissions`, { received: showValue(role.permissions[other]), allowed: `permissions.${role.cloud}`, fix: `move the grants to permissions.${role.cloud}` }));
    }
    if (role.runner !== undefined && !runnerNames.includes(role.runner)) {
      out.push(err('RF006', `${rp}.runner`, 'no runner has this name', { received: showValue(role.runner), allowed: runnerNames.join(', '), fix: 'name an entry of runners, or remove runner' }));
    }
    role.subjects.forEach((s, j) => {
      const sp = `${rp}.subjects[${j}]`;
      if ((s.project === undefined) === (s.group === undefined)) {
        out.push(err(s.project === undefined ? 'RF004' : 'RF010', sp, 'a subject names exactly one of project or group', { received: showValue({ project: s.project, group: s.group }), allowed: 'project: <group>/<project>, or group: <group>', fix: 'keep one of them' }));
      }
      if (s.refs.length === 0 && !s.anyRef) out.push(err('RF004', `${sp}.refs`, 'name the protected branches (or tags) whose pipelines get the role', { allowed: 'refs: [main]', fix: 'list the refs, e.g. refs: [main]; anyRef: true admits every ref (RF122)' }));
      if (s.refs.length > 0 && s.anyRef) out.push(err('RF010', `${sp}.anyRef`, 'anyRef admits every ref, so refs would mean nothing', { received: 'true', fix: 'remove anyRef or refs' }));
      if (role.cloud === 'azure' && (s.group !== undefined || s.anyRef)) {
        out.push(err('RF010', sp, 'Azure federated credentials match the subject exactly: no group or every-ref wildcard', { received: showValue(s), allowed: 'project and refs', fix: 'name each project and ref' }));
      }
    });
  });
  return out;
}

/** Resolves targets and ID-token roles once, after the runners' identities exist. */
export function resolveReach(spec: ParsedSpec, fleet: ResolvedFleet): { reach?: ResolvedReach; findings: Finding[] } {
  const findings: Finding[] = [];
  const targets: ResolvedDeployTarget[] = [];
  const partition = spec.aws?.partition ?? 'aws';
  for (const runner of fleet.runners) {
    const list = runner.spec.jobs.deployTargets;
    if (list.length === 0) continue;
    const jobs = runner.jobIdentity === undefined ? undefined : findBy(fleet.identities, 'key', runner.jobIdentity);
    if (jobs?.cloud !== 'aws') {
      findings.push(err('RF010', `runners[${runner.index}].jobs.deployTargets`, `jobs of runner ${runner.name} have no IAM role of their own to assume deploy targets from`, { allowed: 'a runner whose jobs get an IAM role (EKS, ECS Fargate, ec2-docker with jobsReachInstanceCredentials)', fix: 'use GitLab ID tokens (idTokens) for jobs without a role, or move the runner' }));
      continue;
    }
    list.forEach((t, j) => {
      const roleName = t.roleName ?? iamRoleName(`${fleet.name}-${runner.name}-${t.name}-deploy`, `-${t.name}-deploy`);
      targets.push({
        key: `${runner.name}-${t.name}`,
        name: t.name,
        runner: runner.name,
        path: `runners[${runner.index}].jobs.deployTargets[${j}]`,
        accountId: t.accountId,
        region: t.region ?? spec.aws!.region,
        partition,
        roleName,
        rolePath: ROLE_PATH,
        arn: `arn:${partition}:iam::${t.accountId}:role${ROLE_PATH}${roleName}`,
        jobRoleArn: jobs.arn,
        jobRoleName: jobs.roleName,
        ...(t.externalId
          ? {
              externalId: {
                variable: t.externalId.variable ?? `external_id_${runner.name}_${t.name}`.replace(/-/g, '_'),
                ...(t.externalId.ssmParameter ? { ssmParameter: t.externalId.ssmParameter } : {}),
                ciVariable: t.externalId.ciVariable ?? `RUNNER_FLEET_EXTERNAL_ID_${runner.name}_${t.name}`.toUpperCase().replace(/-/g, '_'),
              },
            }
          : {}),
        ...(t.principalOrgId ? { principalOrgId: t.principalOrgId } : {}),
        denyDeletes: t.denyDeletes,
        statements: toIamStatements(t.permissions),
        ...(t.permissionsBoundary ? { permissionsBoundary: t.permissionsBoundary } : {}),
        maxSessionDurationSeconds: t.maxSessionDurationSeconds,
        rootPath: targetRootPath(t.accountId),
      });
    });
  }
  // One root per account: two roles of the same name there would be one resource.
  const byAccountName = new Map<string, ResolvedDeployTarget>();
  for (const t of targets) {
    const k = `${t.accountId}|${t.roleName}`;
    const other = byAccountName.get(k);
    if (other) findings.push(err('RF008', `${t.path}.roleName`, `role ${t.roleName} in account ${t.accountId} is also the role of ${other.path}`, { fix: 'give one of them another roleName or target name' }));
    byAccountName.set(k, t);
  }

  let idTokens: ResolvedReach['idTokens'];
  if (spec.idTokens) {
    const issuer = spec.idTokens.issuer ?? spec.gitlab.url;
    const hp = issuer.replace(/^https:\/\//, '');
    const roles: ResolvedIdTokenRole[] = spec.idTokens.roles.map((r, i) => {
      const aws = r.cloud === 'aws';
      const roleName = aws ? iamRoleName(`${fleet.name}-idt-${r.name}`) : fitName(`${fleet.name}-idt-${r.name}`, 128);
      const az = spec.azure;
      return {
        key: `idt-${r.name}`,
        name: r.name,
        path: `idTokens.roles[${i}]`,
        cloud: r.cloud,
        roleName,
        ref: aws ? `arn:${partition}:iam::${spec.aws!.accountId}:role${ROLE_PATH}${roleName}` : userAssignedIdentityId(az!.subscriptionId, az!.resourceGroup, roleName),
        issuer,
        issuerHostPath: hp,
        ...(aws ? { providerArn: `arn:${partition}:iam::${spec.aws!.accountId}:oidc-provider/${hp}` } : {}),
        audience: r.audience ?? (aws ? AWS_ID_TOKEN_AUDIENCE : AZURE_WI_AUDIENCE),
        subjects: r.subjects.map((s) => {
          const path = s.project ?? `${s.group!}/*`;
          const refs = s.anyRef ? ['*'] : s.refs;
          return { ...(s.project ? { project: s.project } : {}), ...(s.group ? { group: s.group } : {}), refType: s.refType, refs: s.refs, anyRef: s.anyRef, subs: refs.map((ref) => gitlabSub(path, s.refType, ref)), wildcard: s.group !== undefined || s.anyRef };
        }),
        ...(r.runner !== undefined ? { runner: r.runner } : {}),
        statements: toIamStatements(r.permissions.aws),
        roleAssignments: r.permissions.azure.map((a) => ({ ...a })),
        maxSessionDurationSeconds: r.maxSessionDurationSeconds,
        ...(az && !aws ? { resourceGroup: az.resourceGroup } : {}),
      };
    });
    for (const r of roles) {
      if (fleet.identities.some((id) => id.roleName === r.roleName || id.key === r.key)) {
        findings.push(err('RF008', `${r.path}.name`, `role name ${r.roleName} is also derived for a runner of the fleet`, { fix: 'rename the ID-token role or the runner' }));
      }
    }
    idTokens = { issuer, issuerHostPath: hp, oidcProvider: spec.idTokens.oidcProvider, roles };
  }
  if (targets.length === 0 && !idTokens) return { findings };
  return { reach: { targets, ...(idTokens ? { idTokens } : {}) }, findings };
}
