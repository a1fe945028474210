import type { Finding, FindingRequest } from '../spec/findings.js';
import { awsFacts, roleRequest } from '../verify/aws-docs.js';
import { evaluatePolicies } from '../verify/iam/evaluator.js';
import type { Evidence } from './evidence.js';
import type { Inferred } from './infer.js';
import { formatPosition, originAt } from './source.js';
import { firstKeyWhere } from './key-index.js';

/**
 * Findings the proofs make about a runner (their path is the runner's, its Helm values or its
 * helm_release) whose fix is an edit somewhere else: there, from the finding's `subject` (the role
 * and, for a permission it must not have, the requests), never from its message.
 *
 * - About a role's trust (`trust`: RF101 audience not pinned, RF102 wildcard subject, RF103 others
 *   may assume it, RF105 the jobs' role admitted by the manager's trust, RF722 a service trust
 *   without source conditions, at the statement that names the service): the role's trust policy,
 *   where assume_role_policy is written (or the data document that renders it).
 * - About a permission (`grant`: RF202 the manager beyond its cache prefix, RF712 other runners'
 *   parameters, RF714 other task families or roles, RF203 the cache bucket for jobs, RF105 job
 *   permissions that take the manager role over): the first policy of the role that alone allows
 *   one of the requests, which the message then names.
 *
 * The `subject` of a finding placed here is dropped: it is not part of what the doctor reports.
 * Other subjects are left for the doctor's later steps, which drop them in turn.
 */
export function atEditSite(f: Finding, ev: Evidence, inferred: Inferred): Finding {
  const { subject, ...out } = f;
  if (subject?.kind === 'grant') return grantSite(out, subject.role, subject.requests, ev, inferred);
  if (subject?.kind === 'trust') return trustSite(out, subject.role, subject.at ?? [], ev, inferred);
  return f;
}

function roleKeyOf(inferred: Inferred, name: string): string | undefined {
  return firstKeyWhere(inferred.docs.terraformAws?.resource.aws_iam_role, 'name', name);
}

function trustSite(f: Finding, roleName: string, at: readonly (string | number)[], ev: Evidence, inferred: Inferred): Finding {
  const key = roleKeyOf(inferred, roleName);
  const origin = key !== undefined ? (ev.terraform.origins.get(`aws_iam_role.${key}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${key}`)) : undefined;
  // Inside the document where its text shows the place (JSON, jsonencode); else the document (a data source's statements).
  return origin ? { ...f, path: formatPosition(originAt(origin, ...at)) } : f;
}

/** A message with the policy that grants what it says: in brackets, or after a semicolon where the message already ends in one. */
const grantedBy = (message: string, via: string): string => (message.endsWith(')') ? `${message}; granted by ${via}` : `${message} (granted by ${via})`);

function grantSite(f: Finding, roleName: string, requests: readonly FindingRequest[], ev: Evidence, inferred: Inferred): Finding {
  const aws = inferred.intent.aws;
  const role = aws ? awsFacts(inferred.docs)?.roles.get(roleName) : undefined;
  if (!role || !aws || requests.length === 0) return f;
  const arn = `arn:${aws.partition}:iam::${aws.accountId}:role${role.path}${role.name}`;
  // The first policy of the role that alone allows one of them is where the grant is written.
  const i = role.policiesCompiled.findIndex((p) => requests.some((r) => evaluatePolicies({ identity: [p] }, roleRequest(role, arn, r.action, r.resource, r.context)) === 'allow'));
  const via = i >= 0 ? role.policiesVia[i] : undefined;
  const origin = via !== undefined ? (ev.terraform.origins.get(via) ?? ev.terraform.origins.get(via.split('.').slice(0, 2).join('.'))) : undefined;
  if (!origin || via === undefined) return f;
  const argument = standInArgument(via, ev, inferred);
  if (argument) return { ...f, path: argument.at, message: grantedBy(f.message, `${via}, ${argument.name} = ${JSON.stringify(argument.value)} at ${argument.at}`) };
  const path = formatPosition(originAt(origin));
  // A policy document given as a file (aws iam output, saved JSON) has no address: its file is the position.
  if (/^aws_iam_role_policy\.doctor_\d+_\d+$/.test(via)) return { ...f, path };
  // A managed policy the doctor attached as an inline one is named by its attachment in the user's files.
  const named = /^aws_iam_role_policy\.doctor_attached_(.+)$/.exec(via);
  // A role's own inline_policy block, read as an inline policy, is named by that block.
  const block = /^aws_iam_role_policy\.doctor_inline_(.+)_\d+$/.exec(via);
  const shown = named ? `aws_iam_role_policy_attachment.${named[1]!}` : block ? `aws_iam_role.${block[1]!}.inline_policy` : via;
  return { ...f, path, message: grantedBy(f.message, shown) };
}

/**
 * An attachment a registry module's stand-in makes (registry-modules.ts) has no line of its own, only
 * the module block: the argument of the call that carries its policy ARN (`role_policy_arns.s3`) is
 * where the grant is written.
 */
function standInArgument(via: string, ev: Evidence, inferred: Inferred): { name: string; value: string; at: string } | undefined {
  const call = ev.terraform.moduleCalls?.get(via);
  if (!call?.standIn || !via.startsWith('aws_iam_role_policy_attachment.')) return undefined;
  const arn = inferred.docs.terraformAws?.resource.aws_iam_role_policy_attachment?.[via.slice('aws_iam_role_policy_attachment.'.length)]?.policy_arn;
  if (typeof arn !== 'string') return undefined;
  for (const [name, arg] of call.args) {
    const v = arg.value();
    const entries: [(string | number)[], unknown][] = v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([k, x]) => [[k], x]) : [[[], v]];
    const hit = entries.find(([, x]) => x === arn);
    if (!hit) continue;
    const at = hit[0].length > 0 ? arg.partAt(hit[0]) : arg.at;
    return { name: `${name}${hit[0].map((k) => `.${String(k)}`).join('')}`, value: arn, at: `${at.file}:${at.line}:${at.column}` };
  }
  return undefined;
}
