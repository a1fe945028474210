import type { Statement } from '../verify/iam/types.js';

/**
 * Action-name prefixes that destroy or detach things, per AWS's own verb conventions. Denied for
 * every service a deploy target grants (`denyDeletes`), so destroying stays a human decision.
 *
 * In: Delete/BatchDelete (objects, stacks, clusters, images), Terminate (instances, environments),
 * Remove (permissions, tags, targets, members), Detach (policies, volumes, gateways), Deregister
 * (images, task definitions, targets), Disassociate (addresses, route tables, role policies),
 * Revoke (security-group rules, grants), Purge (queues), Destroy (a few services use it), Release
 * (Elastic IPs and dedicated hosts: gone once released), ScheduleKeyDeletion (KMS keys, whose
 * loss destroys every ciphertext).
 * Out, on purpose: Stop/Disable/Cancel (reversible), Put/Update (overwrites a deploy must make;
 * lifecycle rules that expire objects are a Put — review those grants yourself).
 */
export const DELETE_VERB_PREFIXES = ['Delete', 'BatchDelete', 'Terminate', 'Remove', 'Detach', 'Deregister', 'Disassociate', 'Revoke', 'Purge', 'Destroy', 'Release'] as const;
export const DELETE_EXTRA_ACTIONS = ['ScheduleKeyDeletion'] as const;

/** Services named by the Allow statements (the service prefix of each action). */
export function grantedServices(statements: readonly Statement[]): string[] {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    for (const a of Array.isArray(s.Action) ? s.Action : s.Action === undefined ? [] : [s.Action]) {
      const svc = /^([a-z0-9-]+):/.exec(a)?.[1];
      if (svc) out.add(svc);
    }
  }
  return [...out].sort();
}

/** The explicit Deny of every delete-like action of `services`. */
export function denyDeletesStatement(services: readonly string[]): Statement {
  return {
    Sid: 'DenyDeletes',
    Effect: 'Deny',
    Action: services.flatMap((svc) => [...DELETE_VERB_PREFIXES.map((v) => `${svc}:${v}*`), ...(svc === 'kms' ? DELETE_EXTRA_ACTIONS.map((a) => `${svc}:${a}`) : [])]),
    Resource: '*',
  };
}
