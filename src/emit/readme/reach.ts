import type { ResolvedFleet } from '../../model/types.js';
import type { ReadmeStep } from '../../platforms/types.js';
import { toYaml } from '../serialize.js';
import { idTokenJob } from '../pipeline/reach-smoke.js';
import { ASSUME_ROLE_VARIABLE } from '../terraform/reach.js';

/** README parts for deploy targets in other accounts and GitLab ID-token roles. */
export function reachReadme(fleet: ResolvedFleet): { steps: ReadmeStep[]; sections: { heading: string; lines: string[] }[]; kubernetesObjects?: string[] } {
  const steps: ReadmeStep[] = [];
  const sections: { heading: string; lines: string[] }[] = [];
  const reach = fleet.reach;
  if (!reach) return { steps, sections };
  const accounts = [...new Set(reach.targets.map((t) => t.accountId))].sort();
  if (accounts.length > 0) {
    const lines = ['```sh'];
    for (const a of accounts) {
      const vars = reach.targets.filter((t) => t.accountId === a && t.externalId && !t.externalId.ssmParameter).map((t) => t.externalId!.variable);
      for (const v of vars) lines.push(`read -rs TF_VAR_${v} && export TF_VAR_${v}   # the External ID; paste it, nothing is echoed`);
      lines.push(`terraform -chdir=terraform/aws-${a} init`, `terraform -chdir=terraform/aws-${a} apply -var ${ASSUME_ROLE_VARIABLE}=arn:aws:iam::${a}:role/<a role you may assume there>`);
    }
    lines.push('```', '', `Each root stands alone and reaches its account through \`${ASSUME_ROLE_VARIABLE}\` (leave it empty to use credentials of that account from the environment); \`allowed_account_ids\` stops it anywhere else. Apply them after \`terraform/aws\`: IAM refuses a trust that names a job role that does not exist yet.`);
    steps.push({ title: 'Deploy-target roles in other accounts.', text: 'One root per account; each role trusts exactly its runner\'s job role.', lines, phase: 'cluster' });
    const rows = ['| runner | target | role | trust demands | deletes |', '|---|---|---|---|---|'];
    for (const t of reach.targets) {
      const demands = [t.externalId ? `sts:ExternalId (${t.externalId.ssmParameter ? `SSM ${t.externalId.ssmParameter}` : `TF_VAR_${t.externalId.variable}`}; CI variable \`${t.externalId.ciVariable}\`)` : undefined, t.principalOrgId ? `aws:PrincipalOrgID ${t.principalOrgId}` : undefined].filter((x) => x !== undefined);
      rows.push(`| ${t.runner} | ${t.name} | \`${t.arn}\` | ${demands.length > 0 ? demands.join(', ') : 'the job role ARN only'} | ${t.denyDeletes ? 'denied' : '**allowed**'} |`);
    }
    sections.push({
      heading: 'Deploy targets in other accounts',
      lines: [
        ...rows,
        '',
        'The job role may call `sts:AssumeRole` on exactly these ARNs. A job assumes a target with `aws sts assume-role --role-arn <arn> --role-session-name "$CI_JOB_ID" --external-id "$<CI variable>"`; keep the External ID in a masked, protected CI/CD variable. Sessions of a role assumed from another role last one hour at most (role chaining).',
        '`denyDeletes` adds an explicit Deny of every `Delete*`, `BatchDelete*`, `Terminate*`, `Remove*`, `Detach*`, `Deregister*`, `Disassociate*`, `Revoke*`, `Purge*`, `Destroy*`, `Release*` action (and `kms:ScheduleKeyDeletion`) of each service the target grants; an explicit Deny wins over any Allow, so destroying things stays a human decision.',
      ],
    });
  }
  const it = reach.idTokens;
  if (it) {
    const awsRoles = it.roles.some((r) => r.cloud === 'aws');
    const lines: string[] = [
      // Only managed identities (e.g. the token rotator of an Azure-only fleet): no IAM provider is involved.
      !awsRoles ? `Issuer \`${it.issuer}\`. Each managed identity trusts it through federated credentials that Entra ID matches exactly: issuer, one \`sub\` (\`project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>\`, no wildcards) and the audience.` :
      `Issuer \`${it.issuer}\`. ${it.oidcProvider === 'create' ? 'The IAM OIDC provider for it is created in `terraform/aws`.' : 'The IAM OIDC provider for it must already exist in the account.'} AWS evaluates only the \`aud\` and \`sub\` claims of a GitLab token: each role pins both (docs/reference/oidc-claims.md in runner-fleet). GitLab's \`sub\` is \`project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>\` unless a project customises it; \`ref_protected\` cannot be checked by AWS, so name the protected branches in the spec.`,
      '',
    ];
    for (const role of it.roles) {
      const job = idTokenJob(fleet, role);
      delete job.stage; // a snippet joins the user's own stages
      lines.push(`### ${role.name} (${role.cloud === 'aws' ? `role \`${role.ref}\`` : `managed identity \`${role.roleName}\``})`, '', `Admits: ${role.subjects.map((s) => s.subs.map((x) => `\`${x}\``).join(', ')).join(', ')} with audience \`${role.audience}\`.`, '', '```yaml', toYaml({ [`use-${role.name}`]: job }).trimEnd(), '```', '');
    }
    sections.push({ heading: 'GitLab ID tokens: `.gitlab-ci.yml` per role', lines });
  }
  return { steps, sections };
}
