import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { Statement } from '../iam/types.js';
import { preparedRoleRequest, roleRequest, type RoleTags } from '../aws-docs.js';
import { compilePolicy, evaluatePolicies } from '../iam/evaluator.js';
import { DELETE_EXTRA_ACTIONS, DELETE_VERB_PREFIXES, grantedServices } from '../../model/deletes.js';
import type { CrossAccountIntent, ReachDocuments } from './intent.js';
import { asList, rootRoles, type RootRole } from './roles.js';
import { adviceThenRegenerate } from '../../spec/findings.js';
import { accountPowers, powersConsequence } from '../powers.js';
import { unknownActionFindings } from '../unknown-actions.js';
import { runnerClosed, sharedRunnerPower } from '../runner-audience.js';

/**
 * Proofs for deploy targets in other accounts, from the target roots' trust and permission
 * documents and the job roles' policies in the fleet's root:
 * - exactly the runner's job role may assume the target (with the External ID and org when set);
 * - without the External ID, or with another, the trust refuses;
 * - every other role of the fleet, the accounts' roots and a look-alike role elsewhere are refused;
 * - every delete-like action of every granted service ends in an explicit Deny, also where an
 *   Allow grants it (the Deny wins);
 * - the job role may assume its targets and nothing else.
 * Rules: a trust with neither an External ID nor an organization/account pin (RF116, warning);
 * a target role that may escalate in its account or reach every secret or instance there, by the
 * same probes as a job role in its own account (RF306, warning); an action its policies name that
 * names nothing (RF312, warning);
 * a job role that may assume any role (RF115); a runner reaching other accounts that is not
 * locked and protected-only (RF303).
 */

export interface ReachProof {
  runner: string;
  claim: string;
  holds: boolean;
}

const FOREIGN_ACCOUNT = '999999999999';
const ACCOUNT_OF_ROLE = /^arn:[^:]+:iam::(\d{12}):/;

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** Keys that tie a trust to the caller's account or organization (a confused-deputy guard). */
const PIN_KEYS = new Set(['sts:externalid', 'aws:principalorgid', 'aws:principalaccount', 'aws:sourceaccount', 'aws:principalorgpaths']);

function pins(trust: RootRole['trust']): boolean {
  return asList(trust.Statement).some((s) => s.Effect === 'Allow' && Object.values(s.Condition ?? {}).some((block) => Object.keys(block).some((k) => PIN_KEYS.has(k.toLowerCase()))));
}

/** A concrete resource an Allow pattern covers (wildcards filled), to ask whether the Deny wins over it. */
function concrete(pattern: string): string {
  return pattern === '*' ? '*' : pattern.replace(/[*?]/g, 'x');
}

export function verifyCrossAccount(docs: ReachDocuments, intent: CrossAccountIntent): { findings: Finding[]; proofs: ReachProof[] } {
  const findings: Finding[] = [];
  const proofs: ReachProof[] = [];
  const ci = docs.ciRoot ? rootRoles(docs.ciRoot).roles : new Map<string, RootRole>();
  const p = intent.partition;

  // RF115: no job role may assume any role whatever (sts:AssumeRole on *), targets or not.
  const anyRole = `arn:${p}:iam::${FOREIGN_ACCOUNT}:role/runner-fleet-any-role-probe`;
  for (const j of intent.jobRoles) {
    const role = ci.get(j.name);
    if (!role) continue;
    if (evaluatePolicies({ identity: role.policiesCompiled }, preparedRoleRequest(role, j.arn, 'sts:AssumeRole', anyRole)) === 'allow') {
      findings.push(f('RF115', j.path, `job role ${j.name} may assume any role in any account (sts:AssumeRole on *), so every job of runner ${j.runner} can become any role that trusts this account`, { received: `sts:AssumeRole allowed on ${anyRole}`, allowed: 'sts:AssumeRole on the ARNs of named roles', fix: 'list the roles jobs assume as jobs.deployTargets; they get sts:AssumeRole on exactly those' }));
    }
  }

  const byRunner = new Map<string, CrossAccountIntent['targets']>();
  for (const t of intent.targets) byRunner.set(t.runner, [...(byRunner.get(t.runner) ?? []), t]);

  for (const t of intent.targets) {
    const root = docs.accountRoots.get(t.accountId);
    const role = root ? rootRoles(root).roles.get(t.roleName) : undefined;
    const where = `${t.accountId}:${t.roleName}`;
    if (!role) {
      findings.push(f('RF111', t.path, `no role ${t.roleName} in terraform/aws-${t.accountId}/main.tf.json`, { fix: 'this is a bug in runner-fleet; please report it with the spec' }));
      proofs.push({ runner: t.runner, claim: `only job role ${t.jobRoleName} can assume deploy target ${t.name} (${where})`, holds: false });
      continue;
    }
    // The account the job role asks from: its runner's (a root in another account than the fleet's), else the CI account.
    const from = t.jobAccount ?? intent.ciAccount;
    const ctx = (withExternalId: string | undefined): Record<string, string> => ({
      'aws:PrincipalAccount': from,
      ...(t.principalOrgId ? { 'aws:PrincipalOrgID': t.principalOrgId } : {}),
      ...(withExternalId !== undefined ? { 'sts:ExternalId': withExternalId } : {}),
    });
    // A role of the CI root asks with its tags (aws:PrincipalTag/<key>); the roots and foreign probes carry none.
    const NO_TAGS: RoleTags = { tags: {}, unknownTags: new Set() };
    const trustAllows = (principal: string, externalId: string | undefined, account = from, tags: RoleTags = NO_TAGS): boolean =>
      evaluatePolicies({ resource: [role.trustCompiled] }, roleRequest(tags, principal, 'sts:AssumeRole', t.roleArn, { ...ctx(externalId), 'aws:PrincipalAccount': account })) === 'allow';

    // 1. The intended caller: the trust admits it and its own policy lets it ask.
    const jobRole = ci.get(t.jobRoleName);
    const jobTags = jobRole ?? NO_TAGS;
    const identityAllows = jobRole !== undefined && evaluatePolicies({ identity: jobRole.policiesCompiled }, preparedRoleRequest(jobRole, t.jobRoleArn, 'sts:AssumeRole', t.roleArn)) === 'allow';
    const trustOk = trustAllows(t.jobRoleArn, t.externalId, from, jobTags);
    if (!trustOk || !identityAllows) {
      findings.push(f('RF111', t.path, `job role ${t.jobRoleName} cannot assume ${where}: ${!trustOk ? 'the target trust refuses it' : 'its own policy does not allow sts:AssumeRole on the target ARN'}`, { ...adviceThenRegenerate('the target trust must name the job role ARN and the job role must be granted sts:AssumeRole on the target ARN') }));
    }

    // 2. The External ID is a second factor: without it, or with another, the trust refuses.
    let externalOk = true;
    if (t.externalId !== undefined) {
      const without = trustAllows(t.jobRoleArn, undefined, from, jobTags);
      const wrong = trustAllows(t.jobRoleArn, 'runner-fleet-wrong-external-id', from, jobTags);
      externalOk = !without && !wrong;
      if (!externalOk) findings.push(f('RF112', t.path, `${where} can be assumed ${without ? 'without an External ID' : 'with another External ID'}`, { fix: 'require sts:ExternalId with StringEquals in the target trust' }));
    } else if (!pins(role.trust)) {
      findings.push(f('RF116', t.path, `the trust of ${where} names a role of another account but demands no External ID and pins no organization or account`, { fix: 'set externalId (a Terraform variable or SSM parameter) or principalOrgId', deploymentFix: `add a condition to the trust of ${where}: StringEquals sts:ExternalId (a Terraform variable or SSM parameter), or aws:PrincipalOrgID of your organization` }));
    }

    // 3. Nobody else: every other role of the fleet, both accounts' roots, the same role name elsewhere.
    const others = [
      ...intent.fleetRoles.filter((r) => r.arn !== t.jobRoleArn).map((r) => ({ arn: r.arn, account: ACCOUNT_OF_ROLE.exec(r.arn)?.[1] ?? intent.ciAccount, tags: ci.get(r.name) })),
      { arn: `arn:${p}:iam::${intent.ciAccount}:root`, account: intent.ciAccount },
      ...(from !== intent.ciAccount && from !== t.accountId ? [{ arn: `arn:${p}:iam::${from}:root`, account: from }] : []),
      { arn: `arn:${p}:iam::${t.accountId}:root`, account: t.accountId },
      { arn: t.jobRoleArn.replace(`:${from}:`, `:${FOREIGN_ACCOUNT}:`), account: FOREIGN_ACCOUNT },
    ];
    const admitted = others.filter((o) => trustAllows(o.arn, t.externalId, o.account, 'tags' in o ? o.tags : undefined)).map((o) => o.arn);
    if (admitted.length > 0) findings.push(f('RF110', t.path, `${where} can also be assumed by ${admitted.join(', ')}`, { fix: 'trust exactly the runner\'s job role ARN' }));
    proofs.push({
      runner: t.runner,
      claim: `only job role ${t.jobRoleName} can assume deploy target ${t.name} (${where})${t.externalId !== undefined ? ', and only with the External ID' : ''}; ${others.length + 1} principals tried`,
      holds: trustOk && identityAllows && externalOk && admitted.length === 0,
    });

    // The target role's powers in its own account, as a job role's in the fleet's (RF306): whoever runs a job of the runner holds them.
    const powers = accountPowers((action, resource) => evaluatePolicies({ identity: role.policiesCompiled }, preparedRoleRequest(role, t.roleArn, action, resource)) === 'allow', p, t.region ?? 'us-east-1', t.accountId);
    const powerful = [...powers.escalation, ...powers.reach];
    if (powerful.length > 0) {
      findings.push(f('RF306', t.path, `deploy target role ${where} can ${powerful.join(', ')}: whoever can run a job of runner ${t.runner} can ${powersConsequence(powers.escalation.length > 0, powers.gives, `account ${t.accountId}`)}`, { fix: 'narrow the permissions of the deploy target, or keep this runner for protected deployments only', deploymentFix: `narrow the permission policies of ${where}` }));
    }
    findings.push(...unknownActionFindings(t.roleName, 'deploy target role', role.policies, () => `${t.path}.permissions`));

    // 4. Deletes: every delete-like action of every granted service ends in an explicit Deny.
    if (t.denyDeletes) {
      const statements = role.policies.flatMap((d) => asList(d.Statement));
      const allows = statements.filter((s: Statement) => s.Effect === 'Allow');
      const allowOnly = compilePolicy({ Version: '2012-10-17', Statement: allows.length > 0 ? allows : [{ Effect: 'Deny', Action: 'none:None', Resource: '*' }] });
      const services = grantedServices(statements);
      const resources = [...new Set(allows.flatMap((s) => asList(s.Resource)).map(concrete))];
      let probes = 0;
      let overridden = 0;
      const leaks: string[] = [];
      for (const svc of services) {
        const actions = [...DELETE_VERB_PREFIXES.map((v) => `${svc}:${v}RunnerFleetProbe`), ...(svc === 'kms' ? DELETE_EXTRA_ACTIONS.map((a) => `${svc}:${a}`) : [])];
        for (const action of actions) {
          for (const resource of resources.length > 0 ? resources : ['*']) {
            probes++;
            const req = preparedRoleRequest(role, t.roleArn, action, resource);
            const decision = evaluatePolicies({ identity: role.policiesCompiled }, req);
            if (decision !== 'explicit-deny') leaks.push(`${action} on ${resource} (${decision})`);
            else if (evaluatePolicies({ identity: [allowOnly] }, req) === 'allow') overridden++;
          }
        }
      }
      if (leaks.length > 0) {
        findings.push(f('RF113', t.path, `${where}: delete-like actions are not explicitly denied: ${leaks.slice(0, 5).join(', ')}${leaks.length > 5 ? ` and ${leaks.length - 5} more` : ''}`, { fix: 'keep denyDeletes: true; do not add statements that override it', deploymentFix: `deny every delete-like action of the granted services in a Deny statement of ${where}'s policies (${leaks.slice(0, 3).join(', ')}${leaks.length > 3 ? ', …' : ''})` }));
      }
      proofs.push({ runner: t.runner, claim: `deploy target ${t.name} (${where}) is explicitly denied every delete-like action of ${services.join(', ')} (${probes} probes, ${overridden} of them allowed by a grant and overridden by the Deny)`, holds: leaks.length === 0 });
    }
  }

  // 5. Each job role with targets may assume exactly those.
  for (const [runner, targets] of byRunner) {
    const t0 = targets[0]!;
    // Reaching another account is power: only protected refs of the runner's own projects should have it.
    const g = t0.runnerGitlab;
    const shared = g.unknown === undefined ? sharedRunnerPower(g, g.path, `jobs of runner ${runner} can assume roles in other accounts (${targets.map((t) => t.accountId).join(', ')})`, 'aws') : undefined;
    if (shared) findings.push(shared);
    if (!runnerClosed(g) && g.unknown !== undefined) {
      // The doctor without the registration: what it would show is unknown, not a takes-unprotected-jobs claim.
      findings.push(f('RF903', g.path, `jobs of runner ${runner} can assume roles in other accounts (${targets.map((t) => t.accountId).join(', ')}); whether the runner is locked and takes jobs from protected branches only is not shown: ${g.unknown}`, { fix: 'give the GitLab registration too (the Terraform of gitlab_user_runner and the token Secret the chart mounts)' }));
    } else if (!runnerClosed(g)) {
      findings.push(f('RF303', g.path, `jobs of runner ${runner} can assume roles in other accounts (${targets.map((t) => t.accountId).join(', ')}) but the runner takes jobs from ${g.protectedOnly ? 'other projects (not locked)' : 'unprotected branches'}`, { received: JSON.stringify({ locked: g.locked, protectedOnly: g.protectedOnly }), allowed: '{"locked":true,"protectedOnly":true}', fix: 'set gitlab.locked: true and gitlab.protectedOnly: true', deploymentFix: `register the runner locked to its project and for protected refs only (gitlab_user_runner: locked = true, access_level = "ref_protected"; or the runner's settings in GitLab)` }));
    }
    const jobRole = ci.get(t0.jobRoleName);
    const mine = new Set(targets.map((t) => t.roleArn));
    const probes = [
      ...[...new Set(targets.map((t) => t.accountId))].map((a) => `arn:${p}:iam::${a}:role/runner-fleet-other-role-probe`),
      ...targets.map((t) => t.roleArn.replace(`:${t.accountId}:`, `:${FOREIGN_ACCOUNT}:`)),
      ...intent.targets.filter((t) => t.runner !== runner && !mine.has(t.roleArn)).map((t) => t.roleArn),
      ...intent.fleetRoles.map((r) => r.arn),
      `arn:${p}:iam::${intent.ciAccount}:role/runner-fleet-other-role-probe`,
    ];
    const allowed = jobRole ? probes.filter((arn) => evaluatePolicies({ identity: jobRole.policiesCompiled }, preparedRoleRequest(jobRole, t0.jobRoleArn, 'sts:AssumeRole', arn)) === 'allow') : [];
    if (allowed.length > 0) {
      findings.push(f('RF114', t0.path.replace(/\.deployTargets\[\d+\]$/, '.deployTargets'), `job role ${t0.jobRoleName} may also assume ${allowed.join(', ')}`, { fix: 'grant sts:AssumeRole on the deploy target ARNs only' }));
    }
    proofs.push({ runner, claim: `job role ${t0.jobRoleName} may assume its ${targets.length} deploy target(s) and no other role (${probes.length} roles tried)`, holds: jobRole !== undefined && allowed.length === 0 });
  }
  return { findings, proofs };
}
