import type { CloudIdentity } from '../model/types.js';
import type { FleetIntent } from '../verify/intent.js';
import { podIdentityContext } from '../platforms/eks/index.js';

/**
 * Why a Pod Identity trust that names a service account still refuses its pods: the conditions on
 * the keys EKS Pod Identity's request carries (its session tags, aws:SourceAccount, aws:SourceArn)
 * whose values the request does not match, and conditions on keys it carries per pod (the pod's
 * name and uid) that files cannot show to hold. Undefined when no such condition is written (the
 * refusal then has another cause, said by its own finding).
 */
export function podIdentityGuardRefusal(trust: unknown, intent: FleetIntent, id: CloudIdentity): { text: string; fix: string } | undefined {
  const s = id.binding.subject;
  if (id.binding.mechanism !== 'pod-identity' || s.kind !== 'kubernetes') return undefined;
  const cluster = intent.clusters.find((c) => c.name === s.cluster);
  if (!cluster) return undefined;
  const context = podIdentityContext(intent, cluster, s);
  const byLowerKey = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), [k, v] as const]));
  const refusing: string[] = [];
  const fixes: string[] = [];
  for (const st of list((trust as { Statement?: unknown } | null)?.Statement)) {
    const condition = (st as { Effect?: unknown; Condition?: unknown }).Condition;
    if ((st as { Effect?: unknown }).Effect !== 'Allow' || condition === null || typeof condition !== 'object') continue;
    for (const [op, block] of Object.entries(condition as Record<string, unknown>)) {
      if (block === null || typeof block !== 'object' || /Not|IfExists$|^Null$/.test(op)) continue;
      for (const [key, written] of Object.entries(block as Record<string, unknown>)) {
        const values = list(written).map(String);
        if (/^aws:RequestTag\/kubernetes-pod-(name|uid)$/i.test(key)) {
          refusing.push(`its condition ${op} ${key} = ${values.join(', ')} is not shown to admit it (the pod's ${key.toLowerCase().endsWith('uid') ? 'uid' : 'name'} changes with every pod)`);
          fixes.push(`remove the ${key} condition`);
          continue;
        }
        const known = byLowerKey.get(key.toLowerCase());
        if (!known) continue;
        const [name, actual] = known;
        if (values.some((v) => matches(op, v, actual))) continue;
        refusing.push(`its condition ${op} ${key} = ${values.join(', ')} refuses it (EKS Pod Identity's request for this cluster carries ${name} = ${actual})`);
        fixes.push(`set ${key} to ${actual}`);
      }
    }
  }
  if (refusing.length === 0) return undefined;
  return { text: `: ${refusing.join('; ')}`, fix: `in the trust policy of ${id.roleName}, ${fixes.join(', and ')}` };
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM's string and ARN operators on one value: `*` and `?` for the Like and ARN operators. */
function matches(op: string, pattern: string, actual: string): boolean {
  const ignoreCase = /IgnoreCase/.test(op);
  if (/^StringEquals|^StringEqualsIgnoreCase/.test(op)) return ignoreCase ? pattern.toLowerCase() === actual.toLowerCase() : pattern === actual;
  if (/^(StringLike|ArnLike|ArnEquals)/.test(op)) {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
    return re.test(actual);
  }
  // Other operators (numeric, date, Bool) are not about these keys: not taken as refusing.
  return true;
}
