import type { Finding } from '../spec/findings.js';
import { awsFacts } from '../verify/aws-docs.js';
import { evaluatePolicies } from '../verify/iam/evaluator.js';
import type { Evidence } from './evidence.js';
import type { Inferred } from './infer.js';
import { formatPosition, originAt } from './source.js';

/**
 * Findings the proofs make about a runner (its path is the runner's manager) whose fix is an edit
 * somewhere else: there. A service trust without source conditions (RF722) is fixed in the role's
 * trust policy (where assume_role_policy is written, or the data document that renders it); a
 * permission the manager role must not have (RF712 other runners' parameters, RF714 other task
 * families or roles) is fixed in the policy that grants it, which the message then names.
 */
export function atEditSite(f: Finding, ev: Evidence, inferred: Inferred): Finding {
  if (f.code === 'RF722') return trustSite(f, ev, inferred);
  if (f.code === 'RF712' || f.code === 'RF714') return grantSite(f, ev, inferred);
  return f;
}

function roleKeyOf(inferred: Inferred, name: string): string | undefined {
  return Object.entries(inferred.docs.terraformAws?.resource.aws_iam_role ?? {}).find(([, b]) => b.name === name)?.[0];
}

function trustSite(f: Finding, ev: Evidence, inferred: Inferred): Finding {
  const m = /\b(?:manager|jobs) role (\S+) trusts \S+ with no aws:SourceAccount/.exec(f.message);
  const key = m ? roleKeyOf(inferred, m[1]!) : undefined;
  const origin = key !== undefined ? (ev.terraform.origins.get(`aws_iam_role.${key}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${key}`)) : undefined;
  return origin ? { ...f, path: formatPosition(originAt(origin)) } : f;
}

/** The requests a finding says the manager role must not be allowed: action, resource, context. */
function requestsOf(f: Finding, aws: { accountId: string; partition: string; region: string }): { action: string; resource: string; context?: Record<string, string> }[] {
  if (f.code === 'RF712') {
    const m = /the manager role can ((?:ssm:[A-Za-z]+(?:, )?)+) on parameters other than its own token parameter \(another runner's, such as (\S+)\)/.exec(f.message);
    if (!m) return [];
    const resource = `arn:${aws.partition}:ssm:${aws.region}:${aws.accountId}:parameter${m[2]!}`;
    return m[1]!.split(', ').map((action) => ({ action, resource }));
  }
  const m = /the manager role can also (.*)$/.exec(f.message);
  if (!m) return [];
  // The message shows an account no document names as <account id>: the proofs asked with the stand-in.
  const text = m[1]!.replaceAll('<account id>', aws.accountId);
  return [...text.matchAll(/(\S+) on (\S+) (\{[^}]*\})/g)].flatMap((x) => {
    try {
      return [{ action: x[1]!, resource: x[2]!, context: JSON.parse(x[3]!) as Record<string, string> }];
    } catch {
      return [];
    }
  });
}

function grantSite(f: Finding, ev: Evidence, inferred: Inferred): Finding {
  const runnerName = /^runner (\S+): /.exec(f.message)?.[1];
  const runner = inferred.intent.runners.find((r) => r.name === runnerName);
  const id = runner ? inferred.intent.identities.find((i) => i.key === runner.managerIdentity) : undefined;
  const aws = inferred.intent.aws;
  const role = id && aws ? awsFacts(inferred.docs)?.roles.get(id.roleName) : undefined;
  if (!role || !aws) return f;
  const requests = requestsOf(f, aws);
  if (requests.length === 0) return f;
  const principal = { type: 'AWS' as const, id: `arn:${aws.partition}:iam::${aws.accountId}:role${role.path}${role.name}` };
  // The first policy of the role that alone allows one of them is where the grant is written.
  const i = role.policiesCompiled.findIndex((p) => requests.some((r) => evaluatePolicies({ identity: [p] }, { principal, ...r }) === 'allow'));
  const via = i >= 0 ? role.policiesVia[i] : undefined;
  const origin = via !== undefined ? (ev.terraform.origins.get(via) ?? ev.terraform.origins.get(via.split('.').slice(0, 2).join('.'))) : undefined;
  if (!origin || via === undefined) return f;
  // A managed policy the doctor attached as an inline one is named by its attachment in the user's files.
  const named = /^aws_iam_role_policy\.doctor_attached_(.+)$/.exec(via);
  const shown = named ? `aws_iam_role_policy_attachment.${named[1]!}` : via;
  return { ...f, path: formatPosition(originAt(origin)), message: `${f.message} (granted by ${shown})` };
}
