import type { CloudIdentity } from '../../model/types.js';
import type { FleetIntent } from '../../verify/intent.js';
import type { PolicyDocument } from '../../verify/iam/types.js';
import { compilePolicy, evaluatePolicies, PolicyGrammarError } from '../../verify/iam/evaluator.js';
import type { FleetDocuments } from '../../emit/types.js';
import { associationRole, awsFacts, podIdentityAssociations } from '../../verify/aws-docs.js';
import { POD_IDENTITY_PRINCIPAL } from './names.js';
import { associationOn, podIdentityAdmits, podIdentityContext } from './index.js';

const PER_POD = /^aws:RequestTag\/kubernetes-pod-(name|uid)$/i;
/** A condition key whose value comes from the session tags EKS Pod Identity adds (none where an association disables them). */
const SESSION_TAG = /^aws:(RequestTag|PrincipalTag)\/(eks-cluster-arn|eks-cluster-name|kubernetes-namespace|kubernetes-service-account|kubernetes-pod-name|kubernetes-pod-uid)$/i;

/** Where a resource (by address), or one of its attributes, is written in the files given: `file:line:column`. */
export type WrittenAt = (address: string, attribute?: string) => string | undefined;

/**
 * Why a Pod Identity trust refuses its service account's pods. Where the associations that bind
 * them add session tags and the trust lets pods.eks.amazonaws.com call sts:AssumeRole but not
 * sts:TagSession: the missing TagSession (EKS Pod Identity calls both unless the association
 * disables session tags). Else each condition of an Allow statement is evaluated alone, by the IAM
 * evaluator, against what EKS Pod Identity's request for that pod carries (podIdentityContext, with
 * no session tags where every association binding them disables them); those that refuse are said
 * with the value the request has, or, for a session tag the association disables, with the
 * association's disable_session_tags. A condition on the pod's name or uid (session tags that
 * change with every pod) is said as not shown to hold. Undefined when neither is the cause (the
 * refusal has another cause, said by its own finding).
 */
export function podIdentityTrustRefusal(trust: unknown, docs: FleetDocuments, intent: FleetIntent, id: CloudIdentity, at: WrittenAt): { text: string; fix: string } | undefined {
  const s = id.binding.subject;
  if (id.binding.mechanism !== 'pod-identity' || s.kind !== 'kubernetes') return undefined;
  const cluster = intent.clusters.find((c) => c.name === s.cluster);
  if (!cluster) return undefined;
  const facts = awsFacts(docs);
  const bound = facts ? podIdentityAssociations(facts.root).filter((a) => associationRole(facts.root, a) === id.roleName && associationOn(docs, a, cluster) && a.namespace === s.namespace && a.serviceAccount === s.serviceAccount) : [];
  const named = (address: string, attribute?: string) => {
    const where = at(address, attribute);
    return where ? `${address} (${where})` : address;
  };
  const trustAt = facts?.roles.get(id.roleName) ? at(`aws_iam_role.${facts.roles.get(id.roleName)!.key}`, 'assume_role_policy') : undefined;
  const ofTrust = `the trust policy of ${id.roleName}${trustAt ? ` (${trustAt})` : ''}`;
  // Session tags added: AssumeRole and TagSession; a trust that allows only the first refuses.
  if (bound.length > 0 && bound.every((a) => a.sessionTags === 'added')) {
    const context = podIdentityContext(intent, cluster, s);
    const compiled = facts?.roles.get(id.roleName)?.trustCompiled;
    const allows = (action: string) => compiled !== undefined && evaluatePolicies({ resource: [compiled] }, { principal: { type: 'Service', id: POD_IDENTITY_PRINCIPAL }, action, resource: '*', context }) === 'allow';
    if (allows('sts:AssumeRole') && !allows('sts:TagSession')) {
      const where = bound.map((a) => named(a.address)).join(', ');
      return {
        text: `: EKS Pod Identity calls sts:AssumeRole and sts:TagSession (to add its session tags) unless the association disables session tags, and ${where} does not (it sets no disable_session_tags = true), while the trust allows ${POD_IDENTITY_PRINCIPAL} sts:AssumeRole but not sts:TagSession`,
        fix: `add sts:TagSession to the actions of the statement for ${POD_IDENTITY_PRINCIPAL} in ${ofTrust}${bound.length === 1 ? `, or set disable_session_tags = true in ${bound[0]!.address} if nothing conditions on the session tags` : ''}`,
      };
    }
  }
  const disabled = bound.length > 0 && bound.every((a) => a.sessionTags === 'disabled') ? bound : undefined;
  const context = podIdentityContext(intent, cluster, s, disabled ? 'disabled' : 'added');
  const refusing: string[] = [];
  const fixes: string[] = [];
  for (const st of list((trust as { Statement?: unknown } | null)?.Statement)) {
    const { Effect, Condition } = (st ?? {}) as { Effect?: unknown; Condition?: unknown };
    if (Effect !== 'Allow' || Condition === null || typeof Condition !== 'object') continue;
    for (const [op, block] of Object.entries(Condition as Record<string, unknown>)) {
      if (block === null || typeof block !== 'object') continue;
      for (const [key, written] of Object.entries(block as Record<string, unknown>)) {
        const values = list(written).map(String).join(', ');
        if (disabled && SESSION_TAG.test(key) && !admits(op, key, written, context)) {
          const off = disabled.map((a) => named(a.address, 'disable_session_tags')).join(', ');
          refusing.push(`its condition ${op} ${key} = ${values} refuses it: the association disables session tags (${off} sets disable_session_tags = true), so EKS Pod Identity's request carries no ${key}`);
          fixes.push(`remove the ${key} condition, or enable session tags: remove disable_session_tags = true from ${off} and let the trust allow sts:TagSession too`);
          continue;
        }
        if (PER_POD.test(key)) {
          refusing.push(`its condition ${op} ${key} = ${values} is not shown to admit it (the pod's ${/uid$/i.test(key) ? 'uid' : 'name'} changes with every pod)`);
          fixes.push(`remove the ${key} condition`);
          continue;
        }
        if (admits(op, key, written, context)) continue;
        const carried = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
        refusing.push(`its condition ${op} ${key} = ${values} refuses it (EKS Pod Identity's request for this cluster carries ${carried ? `${carried[0]} = ${carried[1]}` : `no ${key}`})`);
        fixes.push(carried ? `set ${key} to ${carried[1]}` : `remove the ${key} condition`);
      }
    }
  }
  if (refusing.length === 0) return undefined;
  return { text: `: ${refusing.join('; ')}`, fix: `in the trust policy of ${id.roleName}, ${fixes.join(', and ')}` };
}

/** One condition alone, as IAM evaluates it for Pod Identity's AssumeRole with this context. */
function admits(op: string, key: string, written: unknown, context: Record<string, string>): boolean {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: POD_IDENTITY_PRINCIPAL }, Action: 'sts:AssumeRole', Condition: { [op]: { [key]: written } } }] } as unknown as PolicyDocument;
  try {
    return evaluatePolicies({ resource: [compilePolicy(doc)] }, { principal: { type: 'Service', id: POD_IDENTITY_PRINCIPAL }, action: 'sts:AssumeRole', resource: '*', context }) === 'allow';
  } catch (e) {
    // A condition the evaluator cannot read is not named as the refusing one.
    if (e instanceof PolicyGrammarError) return true;
    throw e;
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * Where the trust of a Pod Identity role admits its service account's pods with session tags but
 * not without them (or the other way round), and the association that binds them sets
 * `disable_session_tags` to a value the files do not show: whether the pods get the role is not
 * shown, so the proof's "cannot" is no finding of its own. The association and what to write.
 */
export function podIdentitySessionTagsNotShown(docs: FleetDocuments, intent: FleetIntent, id: CloudIdentity): { address: string; message: string; fix: string } | undefined {
  const s = id.binding.subject;
  if (id.binding.mechanism !== 'pod-identity' || s.kind !== 'kubernetes') return undefined;
  const cluster = intent.clusters.find((c) => c.name === s.cluster);
  const facts = awsFacts(docs);
  const role = facts?.roles.get(id.roleName);
  if (!cluster || !facts || !role) return undefined;
  const bound = podIdentityAssociations(facts.root).filter((a) => associationRole(facts.root, a) === id.roleName && associationOn(docs, a, cluster) && a.namespace === s.namespace && a.serviceAccount === s.serviceAccount);
  const unknown = bound.find((a) => a.sessionTags === 'unknown');
  if (!unknown || bound.some((a) => a.sessionTags !== 'unknown')) return undefined;
  const allows = (r: Parameters<typeof evaluatePolicies>[1]) => evaluatePolicies({ resource: [role.trustCompiled] }, r) === 'allow';
  const withTags = podIdentityAdmits(allows, intent, cluster, s, 'added');
  if (withTags === podIdentityAdmits(allows, intent, cluster, s, 'disabled')) return undefined;
  const written = unknown.body.disable_session_tags;
  const value = typeof written === 'string' ? written.replace(/^\$\{(.*)\}$/s, '$1') : JSON.stringify(written);
  return {
    address: unknown.address,
    message: `whether ${s.namespace}/${s.serviceAccount} can assume ${id.purpose} role ${id.roleName} is not shown: ${unknown.address} sets disable_session_tags = ${value}, which the files do not show, and the role's trust admits its pods only ${withTags ? 'with session tags (sts:AssumeRole and sts:TagSession)' : 'without session tags'}`,
    fix: withTags ? `set disable_session_tags = false in ${unknown.address} (or leave it out), or allow pods.eks.amazonaws.com sts:AssumeRole without session tags in the trust of ${id.roleName}` : `set disable_session_tags = true in ${unknown.address}, or allow pods.eks.amazonaws.com sts:TagSession with its session tags in the trust of ${id.roleName}`,
  };
}
