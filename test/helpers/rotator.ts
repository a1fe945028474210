import { expect, it } from 'vitest';
import type { PlanResult } from '../../src/core.js';
import type { EmittedFleet } from '../../src/emit/types.js';
import { verifyFleet } from '../../src/verify/index.js';
import { intentOf } from '../../src/verify/intent.js';

/** Codes of the token rotator (operations.rotation), each with a failing and a passing case in test/ops-rotator.test.ts. */
export const ROTATOR_TESTED = ['RF124', 'RF125', 'RF126', 'RF127'] as const;
/** Codes of the rotator's Kubernetes identity, each with a failing and a passing case in test/ops-rotator-kube.test.ts. */
export const ROTATOR_KUBE_TESTED = ['RF126', 'RF127', 'RF128', 'RF129', 'RF134'] as const;
/** Codes of the rotator's managed identity on AKS, each with a failing and a passing case in test/ops-rotator-aks.test.ts. */
export const ROTATOR_AKS_TESTED = ['RF125', 'RF127', 'RF128', 'RF129', 'RF132', 'RF133'] as const;

/** A rule case: the code, what is broken, and how the emitted documents are broken. */
export type RotatorCase = [code: string, what: string, mutate: (d: EmittedFleet) => void];

/**
 * The rule table of one rotator identity: it covers every code of `tested` (with `alsoTested`,
 * checked elsewhere), and each case passes on the emitted documents, then fails with its code and
 * a refuted proof of `proofRunner` once its mutation is applied.
 */
export function rotatorRuleCases(plan: PlanResult, cases: RotatorCase[], tested: readonly string[], alsoTested: string[], proofRunner: string, what: string): void {
  const codes = (findings: { code: string }[]) => findings.map((f) => f.code);
  it(`the tables cover every code of ${what}`, () => {
    expect(new Set([...cases.map((c) => c[0]), ...alsoTested])).toEqual(new Set(tested));
  });
  it.each(cases)('%s: %s is refuted; the emitted documents pass', (code, _what, mutate) => {
    expect(codes(verifyFleet(intentOf(plan.fleet!), plan.emitted!).findings)).not.toContain(code);
    const docs = structuredClone(plan.emitted!);
    mutate(docs);
    const v = verifyFleet(intentOf(plan.fleet!), docs);
    expect(codes(v.findings)).toContain(code);
    expect(v.proofs.filter((p) => p.runner === proofRunner).some((p) => !p.holds)).toBe(true);
  });
}
