import type { Finding, FindingRequest } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { PolicyDocument, Statement } from './iam/types.js';
import { unknownAction } from './iam/action-catalogue.js';

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A resource the statement names, wildcards filled, to ask which policy allows the action there (the doctor's edit site). */
function requestFor(st: Statement, action: string): FindingRequest | undefined {
  const first = asList(st.Resource).find((r) => typeof r === 'string');
  if (first === undefined) return undefined;
  return { action, resource: first === '*' ? '*' : first.replace(/[*?]/g, 'x') };
}

/**
 * RF312: actions in a role's policies (Action and NotAction, Allow and Deny) that name nothing in a
 * service the catalogue covers (src/verify/iam/action-catalogue.ts). IAM accepts such a policy and
 * matches the name against nothing: an Allow grants nothing by it (the job fails with AccessDenied
 * later), a Deny denies nothing by it, a NotAction excludes nothing (so the statement covers more
 * than its writer meant). A Deny's wildcard is not checked (see below). Each action once per role, in the order written; `pathOf` says where a
 * finding points (the spec's statement and action index for plan, the role's list for the doctor).
 */
export function unknownActionFindings(roleName: string, what: string, policies: readonly PolicyDocument[], pathOf: (action: string) => string): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const policy of policies) {
    for (const st of asList(policy.Statement)) {
      for (const [key, list] of [['Action', st.Action], ['NotAction', st.NotAction]] as const) {
        for (const action of asList(list)) {
          if (typeof action !== 'string' || seen.has(action)) continue;
          const wildcard = /[*?]/.test(action.slice(action.indexOf(':') + 1));
          // A Deny's wildcard that matches nothing today denies nothing that exists, and may be meant for
          // actions a service adds later (denyDeletes writes `s3:Terminate*` for every granted service).
          if (wildcard && st.Effect === 'Deny' && key === 'Action') continue;
          const unknown = unknownAction(action);
          if (!unknown) continue;
          seen.add(action);
          const effect = key === 'NotAction' ? 'the NotAction excludes nothing by it, so the statement covers more than meant' : st.Effect === 'Deny' ? 'the Deny denies nothing by it' : 'the Allow grants nothing by it and the jobs fail with AccessDenied where they need it';
          const request = key === 'Action' && st.Effect === 'Allow' ? requestFor(st, action) : undefined;
          out.push({
            code: 'RF312',
            severity: CODES.RF312.severity,
            path: pathOf(action),
            message: `${what} ${roleName}: ${wildcard ? `the wildcard ${action} matches no action` : `${action} is no action`} of ${action.slice(0, action.indexOf(':'))} (IAM accepts the name and matches it against nothing: ${effect})${unknown.didYouMean !== undefined ? `; did you mean ${unknown.didYouMean}?` : ''}`,
            received: JSON.stringify(action),
            fix: unknown.didYouMean !== undefined ? `write ${unknown.didYouMean}` : `name an action the Service Authorization Reference lists for ${action.slice(0, action.indexOf(':'))}`,
            ...(request ? { subject: { kind: 'grant' as const, role: roleName, requests: [request] } } : {}),
          });
        }
      }
    }
  }
  return out;
}
