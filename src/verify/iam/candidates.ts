/**
 * Candidate narrowing for the all-pairs proofs: which of many prepared requests a policy could
 * possibly allow, without evaluating each one.
 *
 * A request is allowed only through an Allow statement that applies to its action and whose
 * every condition holds. A positive `StringEquals` (no IfExists, no ForAllValues:) holds only when
 * the request carries the key with one of the statement's literal values. So when every applicable
 * Allow statement has such a condition, only the requests indexed under one of those key/value
 * pairs can be allowed; every other request is implicitly denied, and needs no evaluation. When
 * some Allow statement has no such condition (StringLike with a wildcard, a negated operator, no
 * condition at all), nothing is narrowed and every request is a candidate.
 *
 * The caller still evaluates every candidate with the evaluator: the index only decides which
 * requests cannot be allowed, never which are.
 */
import type { CompiledCondition, CompiledPolicy, PreparedRequest } from './evaluator.js';

/** A condition that holds only if the request has its key with one of its literal values. */
function narrows(c: CompiledCondition): c is CompiledCondition & { literals: readonly string[] } {
  return c.literals !== undefined && !c.negated && !c.onMissing && c.setMode !== 'all';
}

export class RequestIndex {
  /** The one action every request has (undefined: mixed, nothing is narrowed). */
  private readonly action: string | undefined;
  /** `key \n value` (key lower-cased as in the request context) → ascending request positions. */
  private readonly byKeyValue = new Map<string, number[]>();
  readonly size: number;

  constructor(requests: readonly (PreparedRequest | undefined)[]) {
    this.size = requests.length;
    let action: string | undefined;
    let mixed = false;
    requests.forEach((r, i) => {
      if (r === undefined) return;
      if (action === undefined) action = r.action;
      else if (action !== r.action) mixed = true;
      for (const [key, values] of r.context) {
        for (const v of new Set(values)) {
          const k = `${key}\n${v}`;
          const list = this.byKeyValue.get(k);
          if (list) list.push(i);
          else this.byKeyValue.set(k, [i]);
        }
      }
    });
    this.action = mixed ? undefined : action;
  }

  /** The position lists of the requests carrying one of the condition's values under its key. */
  private lists(c: CompiledCondition & { literals: readonly string[] }): number[][] {
    const out: number[][] = [];
    for (const v of new Set(c.literals)) {
      const list = this.byKeyValue.get(`${c.key}\n${v}`);
      if (list) out.push(list);
    }
    return out;
  }

  /**
   * Ascending positions of the requests `policy` could allow; undefined when it cannot be
   * narrowed (then every request is a candidate).
   */
  candidates(policy: CompiledPolicy): number[] | undefined {
    if (this.action === undefined) return undefined;
    const found = new Set<number>();
    for (const s of policy.statementsFor(this.action)) {
      if (s.deny) continue;
      // The most selective of the statement's narrowing conditions (a subject, not the audience).
      let best: number[][] | undefined;
      let bestSize = Infinity;
      for (const c of s.conditions) {
        if (!narrows(c)) continue;
        const lists = this.lists(c);
        const size = lists.reduce((n, l) => n + l.length, 0);
        if (size < bestSize) {
          best = lists;
          bestSize = size;
        }
      }
      if (best === undefined) return undefined;
      for (const list of best) for (const i of list) found.add(i);
    }
    return [...found].sort((a, b) => a - b);
  }
}
