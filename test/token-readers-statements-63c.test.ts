import { afterEach, describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { intentOf } from '../src/verify/intent.js';
import { proveTokenReaders } from '../src/platforms/aws-vm/token-readers.js';
import { awsFacts } from '../src/verify/aws-docs.js';
import { replicatedExample } from './helpers/fleet.js';

/**
 * Stop 63 (63c): the token-reader index (token-readers.ts `analyse`, once per fleet) reads each
 * role's Allow statements in place for the read actions they grant: a role that grants none (most
 * of a fleet's) has no list of its statements made, nor an action list copied per statement. Counted
 * as the lists flatMap makes while the index is built, at two fleet sizes: they grow by
 * one per role that grants a read, not by the lists of every role's statements. The proofs and findings are those of plan (test/token-readers.test.ts
 * holds the rule's cases).
 */

const restore: (() => void)[] = [];
afterEach(() => {
  for (const r of restore.splice(0).reverse()) r();
});

function copiesWhileIndexing(copies: number): { copies: number; roles: number; holds: boolean[] } {
  const plan = planValue(replicatedExample('ecs-fargate', copies));
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).toBe(0);
  // A fresh copy of the documents: the index is built once per documents, at their first runner.
  const docs = structuredClone(plan.emitted!);
  const intent = intentOf(plan.fleet!);
  const roles = Object.keys(docs.terraformAws!.resource.aws_iam_role ?? {}).length;
  // The facts of the documents first (they are not the index's): then only the index and the first runner's proof run counted.
  expect(awsFacts(docs)).toBeDefined();
  const proto = Array.prototype as unknown as Record<'flatMap', (...a: unknown[]) => unknown>;
  const flatMap = proto.flatMap;
  let n = 0;
  proto.flatMap = function (this: unknown[], ...a: unknown[]) {
    n++;
    return flatMap.apply(this, a);
  };
  restore.push(() => (proto.flatMap = flatMap));
  const first = proveTokenReaders(docs, intent, intent.runners[0]!);
  proto.flatMap = flatMap;
  const holds = [first.holds, ...intent.runners.slice(1).map((r) => proveTokenReaders(docs, intent, r).holds)];
  return { copies: n, roles, holds };
}

describe('token readers: the index lists no statements of roles that read nothing', () => {
  it('ecs-fargate x3 and x12: no statement list per role while the index is built (one list per reading role), every proof holds', () => {
    const small = copiesWhileIndexing(3);
    const large = copiesWhileIndexing(12);
    expect(large.roles).toBeGreaterThanOrEqual(4 * small.roles - 4);
    expect(small.holds.every(Boolean)).toBe(true);
    expect(large.holds.every(Boolean)).toBe(true);
    // A few lists whatever the fleet's size (the roles' identities, the wide readers), and one per role
    // that grants a read (each manager's, its reading of the stand-in parameter): 9 for the 9 more
    // runners. Before stop 63 the index also listed every role's statements and actions: 63.
    expect(large.copies - small.copies).toBeLessThanOrEqual(12 - 3);
  });
});
