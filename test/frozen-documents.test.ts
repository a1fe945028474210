import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { fleetSchema } from '../src/spec/fleet.js';
import { resolveFleet } from '../src/spec/resolve.js';
import { emitFleet } from '../src/emit/index.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * Documents and intents are not changed after they are made (the rule at emitFleet): the indexes
 * verify builds once per set of documents (awsFacts, the VM attachment index, lookup.ts's indexes
 * by list) would answer for documents that are no longer there. Frozen all the way down, any write
 * to them throws (ES modules run in strict mode), so verify and synth over frozen documents and a
 * frozen intent show that neither writes.
 */
function deepFreeze(root: unknown): number {
  const refuse = () => {
    throw new TypeError('a frozen document\'s Map or Set was written to');
  };
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) continue;
    seen.add(v);
    // Object.freeze does not stop a Map's set or a Set's add: their writers are replaced by ones that throw.
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
      Object.defineProperties(v, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
    } else if (v instanceof Set) {
      for (const x of v) stack.push(x);
      Object.defineProperties(v, { add: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
    }
    for (const k of Reflect.ownKeys(v)) stack.push((v as Record<PropertyKey, unknown>)[k]);
    Object.freeze(v);
  }
  return seen.size;
}

/** Several runners of the example, each its own (as the bench fleets replicate them). */
function fleetOf(example: string, copies: number) {
  const spec = exampleValue(example);
  const base = spec.runners as Record<string, unknown>[];
  spec.runners = Array.from({ length: copies }, (_, i) => ({ ...structuredClone(base[i % base.length]!), name: `${String(base[i % base.length]!.name)}-${i}` }));
  return spec;
}

const FLEETS = ['eks-irsa', 'eks-pod-identity', 'aks-workload-identity', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm', 'mixed-aws-azure'];

describe('verify and synth do not write to the documents and intent they are given', () => {
  for (const example of FLEETS) {
    it(`${example}: frozen documents and intent give the proofs, findings and files of the plan`, () => {
      const value = fleetOf(example, 6);
      const plan = planValue(structuredClone(value));
      expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).toBe(0);
      const { fleet } = resolveFleet(fleetSchema.parse(value));
      const emitted = emitFleet(fleet);
      const intent = intentOf(fleet);
      expect(deepFreeze(emitted) + deepFreeze(intent)).toBeGreaterThan(500);
      expect(Object.isFrozen(emitted.artifacts[0]!.content)).toBe(true);
      const verification = verifyFleet(intent, emitted);
      expect(verification.proofs).toEqual(plan.proofs);
      expect(verification.findings).toEqual(plan.verification!.findings);
      const files = synthFiles({ ...plan, fleet, emitted, verification });
      expect(files).toEqual(synthFiles(plan));
    });
  }

  it('a write to a frozen document throws', () => {
    const { fleet } = resolveFleet(fleetSchema.parse(fleetOf('ec2-docker', 1)));
    const emitted = emitFleet(fleet);
    deepFreeze(emitted);
    expect(() => {
      (emitted.terraformAws!.resource.aws_iam_role as Record<string, unknown>).extra = {};
    }).toThrow(TypeError);
    expect(() => emitted.runners.set('x', emitted.runners.values().next().value!)).toThrow(TypeError);
  });
});
