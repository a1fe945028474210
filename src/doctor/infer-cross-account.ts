import type { TerraformRoot } from '../emit/artifacts.js';
import { ownChild, setOwn } from '../emit/artifacts.js';
import { findBy } from '../model/lookup.js';
import type { CrossAccountIntent, IdTokenIntent } from '../verify/reach/intent.js';
import type { FleetIntent } from '../verify/intent.js';
import type { AwsRoleIdentity } from '../model/types.js';
import type { PolicyDocument, Statement } from '../verify/iam/types.js';
import { compilePolicy, evaluatePolicies } from '../verify/iam/evaluator.js';
import { terraformSymbols } from '../verify/reach/roles.js';
import { roleRequest, roleTags } from '../verify/aws-docs.js';
import { formatPosition, originAt } from './source.js';
import type { Evidence } from './evidence.js';
import { isObject } from '../model/is-object.js';
import { terraformFileKind } from './terraform-files.js';
import { audienceOf } from '../verify/runner-audience.js';

/**
 * Deploy targets in other accounts, read back from documents (never a spec). Every Terraform
 * folder is a root; a root whose aws provider names an account (allowed_account_ids) holds roles of
 * that account. A role whose trust admits (Principal AWS) the ARN of a runner's job role of another
 * account (the fleet's, or the runner's own root's where it is not the fleet's) is that runner's
 * deploy target; a role of the job role's own account is not; what the trust demands besides is
 * the intent the proofs hold it to: its sts:ExternalId (a `${var.x}` given at apply time is one
 * symbol, as plan treats it), its aws:PrincipalOrgID. A target whose policies explicitly deny
 * delete-like actions is held to denying every delete-like action of every service it grants.
 * The cross-account rules then apply unchanged: no External ID and no org/account pin (RF116),
 * other principals admitted (RF110), job roles that may assume other roles (RF114, RF115).
 */

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const dirOf = (path: string) => path.split(/[\\/]/).slice(0, -1).join('/');
const DELETE_LIKE = /:(Delete|BatchDelete|Terminate|Remove|Detach|Deregister)/i;

/**
 * Account of each Terraform folder: its `.tf.json` aws provider's allowed_account_ids, else the one
 * the unaliased aws provider of its root (`.tf` too, as the HCL reader evaluated it) states.
 */
function folderAccounts(ev: Evidence): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of ev.artifacts) {
    if (terraformFileKind(a.path) !== 'config-json' || !Array.isArray(a.content)) continue;
    for (const doc of a.content as unknown[]) {
      const aws = isObject(doc) && isObject(doc.provider) ? doc.provider.aws : undefined;
      for (const p of list(aws)) {
        const id = isObject(p) ? list(p.allowed_account_ids as unknown[])[0] : undefined;
        if (typeof id === 'string' && /^\d{12}$/.test(id) && !out.has(dirOf(a.path))) out.set(dirOf(a.path), id);
      }
    }
  }
  for (const [dir, id] of ev.terraform.folderAccounts ?? []) if (!out.has(dir)) out.set(dir, id);
  return out;
}

/** Whether an Allow statement of a trust admits every principal of an account (root ARN, bare id) or anyone. */
function admitsAccount(st: Statement, account: string): boolean {
  if (st.Effect !== 'Allow') return false;
  if (st.Principal === '*') return true;
  if (!isObject(st.Principal)) return false;
  return list((st.Principal as Record<string, string | string[]>).AWS)
    .map(String)
    .some((a) => a === '*' || a === account || new RegExp(`^arn:[^:]+:iam::${account}:root$`).test(a));
}

/** Whether the inline policies of a role of the CI root allow it sts:AssumeRole on a role ARN. */
function jobMayAssume(root: TerraformRoot, roleName: string, target: string, principal: string): boolean {
  const [key, body] = Object.entries(root.resource.aws_iam_role ?? {}).find(([, b]) => b.name === roleName) ?? [];
  if (key === undefined || body === undefined) return false;
  const refs = new Set([`\${aws_iam_role.${key}.name}`, `\${aws_iam_role.${key}.id}`, roleName]);
  const compiled = Object.values(root.resource.aws_iam_role_policy ?? {}).flatMap((b) => {
    if (typeof b.role !== 'string' || !refs.has(b.role)) return [];
    try {
      return [compilePolicy(JSON.parse(String(b.policy)) as PolicyDocument)];
    } catch {
      return [];
    }
  });
  return evaluatePolicies({ identity: compiled }, roleRequest(roleTags(root, body, key), principal, 'sts:AssumeRole', target)) === 'allow';
}

export function inferCrossAccount(ev: Evidence, root: TerraformRoot, intent: FleetIntent, idTokens: IdTokenIntent | undefined): { crossAccount?: CrossAccountIntent; accountRoots: Map<string, TerraformRoot> } {
  const accountRoots = new Map<string, TerraformRoot>();
  const aws = intent.aws;
  if (!aws) return { accountRoots };
  const p = aws.partition;
  const ci = aws.accountId;
  const accounts = folderAccounts(ev);
  const generated = ev.terraform.generatedByRunnerFleet;
  const roleArn = (account: string, body: Record<string, unknown>) => `arn:${p}:iam::${account}:role${typeof body.path === 'string' ? body.path : '/'}${String(body.name)}`;
  const jobIds = intent.identities.filter((i): i is AwsRoleIdentity => i.cloud === 'aws' && i.purpose === 'jobs');
  const jobByArn = new Map(jobIds.map((i) => [i.arn, i]));
  // Each job role's account: its runner's own (a root in another account than the fleet's), else the fleet's.
  const jobAccount = new Map(jobIds.map((i) => [i.arn, /^arn:[^:]+:iam::(\d{12}):/.exec(i.arn)?.[1] ?? ci]));

  const targets: CrossAccountIntent['targets'] = [];
  for (const [key, body] of Object.entries(root.resource.aws_iam_role ?? {})) {
    const origin = ev.terraform.origins.get(`aws_iam_role.${key}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${key}`);
    // Its own provider configuration's account (provider = aws.<alias>, a module's providers = { … }); else its folder's.
    const own = ev.terraform.accounts;
    const account = own?.has(`aws_iam_role.${key}`) ? own.get(`aws_iam_role.${key}`) : origin ? accounts.get(dirOf(origin.source.path)) : undefined;
    // A role of the account a job role is in is no deploy target of it (the same account); of another, it may be.
    if (account === undefined || ![...jobAccount.values()].some((a) => a !== account)) continue;
    let trust: PolicyDocument;
    try {
      trust = JSON.parse(String(body.assume_role_policy)) as PolicyDocument;
    } catch {
      continue;
    }
    let job: (typeof jobIds)[number] | undefined;
    let externalId: string | undefined;
    let orgId: string | undefined;
    // A trust that admits the whole CI account (its root ARN or bare id) or anyone names no job
    // role: the target is then the runner's whose job role may sts:AssumeRole on it (the proofs
    // then find the account admitted, RF110), never left out of the proofs.
    const awsOf = (st: Statement) => (isObject(st.Principal) ? list((st.Principal as Record<string, string | string[]>).AWS).map(String) : []);
    const foreign = (arn: string) => jobByArn.has(arn) && jobAccount.get(arn) !== account;
    const named = list(trust.Statement).some((st) => st.Effect === 'Allow' && awsOf(st).some(foreign));
    const admitsJobAccount = (st: Statement) => jobIds.find((i) => jobAccount.get(i.arn) !== account && admitsAccount(st, jobAccount.get(i.arn)!) && jobMayAssume(root, i.roleName, roleArn(account, body), i.arn));
    const viaAccount = !named ? list(trust.Statement).map(admitsJobAccount).find((x) => x !== undefined) : undefined;
    for (const st of list(trust.Statement)) {
      if (st.Effect !== 'Allow') continue;
      const hit = viaAccount !== undefined ? (admitsAccount(st, jobAccount.get(viaAccount.arn)!) ? viaAccount : undefined) : awsOf(st).filter(foreign).map((a) => jobByArn.get(a)).find((x) => x !== undefined);
      if (!hit) continue;
      job ??= hit;
      for (const block of Object.values(st.Condition ?? {})) {
        for (const [k, v] of Object.entries(block)) {
          if (k.toLowerCase() === 'sts:externalid') externalId ??= list(v as string | string[]).map(String)[0];
          if (k.toLowerCase() === 'aws:principalorgid') orgId ??= list(v as string | string[]).map(String)[0];
        }
      }
    }
    if (!job) continue;
    // The target's own root: the role and its inline policies.
    const sub: TerraformRoot = (() => {
      const r = accountRoots.get(account) ?? { terraform: {}, resource: {} };
      accountRoots.set(account, r);
      return r;
    })();
    setOwn(ownChild(sub.resource, 'aws_iam_role'), key, body);
    const refs = new Set([`\${aws_iam_role.${key}.name}`, `\${aws_iam_role.${key}.id}`, String(body.name)]);
    const policies = Object.entries(root.resource.aws_iam_role_policy ?? {}).filter(([, b]) => typeof b.role === 'string' && refs.has(b.role));
    for (const [k, b] of policies) setOwn(ownChild(sub.resource, 'aws_iam_role_policy'), k, b);
    const denies = policies.some(([, b]) => {
      try {
        return list((JSON.parse(String(b.policy)) as PolicyDocument).Statement).some((s) => s.Effect === 'Deny' && list(s.Action).some((a) => DELETE_LIKE.test(String(a))));
      } catch {
        return false;
      }
    });
    const runner = findBy(intent.runners, 'name', job.runner)!;
    targets.push({
      path: origin ? formatPosition(originAt(origin)) : '',
      runner: job.runner,
      name: generated && key.startsWith('deploy-') ? key.slice('deploy-'.length) : String(body.name),
      accountId: account,
      roleName: String(body.name),
      roleArn: roleArn(account, body),
      jobRoleArn: job.arn,
      jobRoleName: job.roleName,
      ...(jobAccount.get(job.arn) !== ci ? { jobAccount: jobAccount.get(job.arn)! } : {}),
      ...(externalId !== undefined ? { externalId: terraformSymbols(externalId) } : {}),
      ...(orgId !== undefined ? { principalOrgId: orgId } : {}),
      denyDeletes: denies,
      runnerGitlab: { path: `runners[${runner.index}].gitlab`, ...audienceOf(runner.spec.gitlab), ...(runner.registrationUnknown !== undefined ? { unknown: runner.registrationUnknown } : {}) },
    });
  }
  // Without targets the rule on job roles that may assume any role (RF115) still applies, as in plan.
  if (jobIds.length === 0 && targets.length === 0) return { accountRoots };
  const ciRole = (name: string) => Object.values(root.resource.aws_iam_role ?? {}).find((b) => b.name === name);
  const fleetRoles = [
    ...intent.identities.flatMap((i) => (i.cloud === 'aws' ? [{ name: i.roleName, arn: i.arn }] : [])),
    ...(idTokens?.roles ?? []).flatMap((r) => {
      const body = r.cloud === 'aws' ? ciRole(r.roleName) : undefined;
      return body ? [{ name: r.roleName, arn: roleArn(ci, body) }] : [];
    }),
  ];
  const jobRoles = jobIds.map((i) => {
    const r = findBy(intent.runners, 'name', i.runner)!;
    return { path: `runners[${r.index}].jobs.permissions.aws`, runner: i.runner, name: i.roleName, arn: i.arn };
  });
  return { crossAccount: { partition: p, ciAccount: ci, targets, fleetRoles, jobRoles }, accountRoots };
}
