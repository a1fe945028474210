import type { IdentitySubject } from '../model/types.js';
import type { PolicyDocument, Statement } from './iam/types.js';
import { actionPatterns } from './iam/evaluator.js';

/**
 * Principals a runner role's trust admits besides the compute it was made for. The all-pairs
 * proof tries every subject of the fleet (service accounts, instance profiles, task definitions);
 * a trust statement can also name principals that are no such subject: an IAM role or user, an
 * account (its root ARN or bare id: then every principal of it allowed sts:AssumeRole), anyone
 * (`*`), or another AWS service. Any of them lets someone else obtain the role's credentials.
 */

export interface ForeignPrincipal {
  /** `AWS`, `*` or `Service`. */
  type: 'AWS' | '*' | 'Service';
  value: string;
  /** For AWS principals: the account (root ARN or bare id) when the whole account is admitted. */
  account?: string;
}

/** The STS actions that hand out a role's credentials. */
const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML'];

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether an Allow statement covers an assume action (Action or NotAction), matched as the evaluator matches actions. */
function coversAssume(st: Statement): boolean {
  const covers = (patterns: unknown) => {
    const set = actionPatterns(list(patterns).map(String));
    return ASSUME_ACTIONS.filter((x) => set.test(x.toLowerCase()));
  };
  if (st.Action !== undefined) return covers(st.Action).length > 0;
  if (st.NotAction !== undefined) return covers(st.NotAction).length < ASSUME_ACTIONS.length;
  return false;
}

/**
 * The services a trust may name for a subject: an instance profile or a task definition names its
 * own service; a platform adds the services it binds through (EKS Pod Identity's agent), so no
 * platform's service is written here.
 */
export function trustServicesOf(subject: IdentitySubject, platformServices: readonly string[] = []): string[] {
  return [...new Set([...(subject.kind === 'aws-service' ? [subject.service] : []), ...platformServices])];
}

const ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;

/**
 * Allow statements of a trust that admit an assume action to a principal that is not the subject's
 * kind: every AWS principal and `*`, and services other than the subject's. Deny statements are
 * not subtracted (a trust that admits and then denies a principal still names it: reported).
 * `services` are the ones the subject's platform binds through (`trustServicesOf`).
 */
export function foreignTrustPrincipals(trust: PolicyDocument | undefined, services: readonly string[]): ForeignPrincipal[] {
  const out: ForeignPrincipal[] = [];
  const seen = new Set<string>();
  const add = (p: ForeignPrincipal) => {
    const k = `${p.type}|${p.value}`;
    if (!seen.has(k)) out.push(p);
    seen.add(k);
  };
  for (const st of list(trust?.Statement)) {
    if (st.Effect !== 'Allow' || st.Principal === undefined || !coversAssume(st)) continue;
    if (st.Principal === '*') {
      add({ type: '*', value: '*' });
      continue;
    }
    for (const v of list(st.Principal.AWS).map(String)) {
      if (v === '*') add({ type: '*', value: '*' });
      else {
        const account = /^\d{12}$/.test(v) ? v : ROOT.exec(v)?.[1];
        add({ type: 'AWS', value: v, ...(account !== undefined ? { account } : {}) });
      }
    }
    for (const v of list(st.Principal.Service).map(String)) if (!services.includes(v)) add({ type: 'Service', value: v });
  }
  return out;
}

export function foreignLabel(p: ForeignPrincipal): string {
  if (p.type === '*') return 'anyone (Principal "*")';
  if (p.type === 'Service') return `service ${p.value}`;
  return p.account !== undefined ? `account ${p.account} (${p.value}: every role and user there allowed sts:AssumeRole)` : `AWS principal ${p.value}`;
}
