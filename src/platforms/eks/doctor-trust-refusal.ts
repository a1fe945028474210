import type { CloudIdentity } from '../../model/types.js';
import type { FleetIntent } from '../../verify/intent.js';
import type { PolicyDocument } from '../../verify/iam/types.js';
import { compilePolicy, evaluatePolicies, PolicyGrammarError } from '../../verify/iam/evaluator.js';
import type { FleetDocuments } from '../../emit/types.js';
import { associationRole, awsFacts, podIdentityAssociations } from '../../verify/aws-docs.js';
import { POD_IDENTITY_PRINCIPAL } from './names.js';
import { associationOn, podIdentityAdmits, podIdentityContext } from './index.js';

const PER_POD = /^aws:RequestTag\/kubernetes-pod-(name|uid)$/i;

/**
 * Why a Pod Identity trust that names a service account still refuses its pods: each condition of
 * an Allow statement is evaluated alone, by the IAM evaluator, against what EKS Pod Identity's
 * request for that pod carries (podIdentityContext); those that refuse are said with the value the
 * request has. A condition on the pod's name or uid (session tags that change with every pod) is
 * said as not shown to hold. Undefined when no condition refuses (the refusal has another cause,
 * said by its own finding).
 */
export function podIdentityTrustRefusal(trust: unknown, intent: FleetIntent, id: CloudIdentity): { text: string; fix: string } | undefined {
  const s = id.binding.subject;
  if (id.binding.mechanism !== 'pod-identity' || s.kind !== 'kubernetes') return undefined;
  const cluster = intent.clusters.find((c) => c.name === s.cluster);
  if (!cluster) return undefined;
  const context = podIdentityContext(intent, cluster, s);
  const refusing: string[] = [];
  const fixes: string[] = [];
  for (const st of list((trust as { Statement?: unknown } | null)?.Statement)) {
    const { Effect, Condition } = (st ?? {}) as { Effect?: unknown; Condition?: unknown };
    if (Effect !== 'Allow' || Condition === null || typeof Condition !== 'object') continue;
    for (const [op, block] of Object.entries(Condition as Record<string, unknown>)) {
      if (block === null || typeof block !== 'object') continue;
      for (const [key, written] of Object.entries(block as Record<string, unknown>)) {
        const values = list(written).map(String).join(', ');
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
