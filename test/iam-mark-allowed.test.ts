import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/verify/iam/evaluator.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { seeded } from './helpers/rng.js';

// CompiledPolicy.markAllowed (one pass over the statements, for RF717's index of ECR writers) against
// what it replaced: `statementsFor(action).some((s) => !s.deny)` for each action.
const ACTIONS = ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:BatchDeleteImage', 'ecr:PutImageTagMutability', 'ecr:SetRepositoryPolicy', 'ecr:DeleteRepository'];
const PATTERNS = ['ecr:*', 'ecr:Put*', 'ECR:PUTIMAGE', 'ecr:*Layer*', 'ecr:*LayerUpload', 's3:*', '*', 'ecr:?utImage', 'ecr:DeleteRepository', 'ecr:Get*', 'ecr:BatchGetImage', 'ecr:Set*', 'ecr:*Image', 'logs:PutLogEvents'];

function randomPolicy(rand: () => number): PolicyDocument {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const statements: Statement[] = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
    const actions = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(PATTERNS));
    const st: Statement = { Effect: rand() < 0.3 ? 'Deny' : 'Allow', Resource: '*' };
    if (rand() < 0.25) st.NotAction = actions;
    else st.Action = actions.length === 1 ? actions[0]! : actions;
    return st;
  });
  return { Version: '2012-10-17', Statement: statements };
}

const lower = ACTIONS.map((a) => a.toLowerCase());

describe('CompiledPolicy.markAllowed', () => {
  it('marks the actions an Allow statement covers, as statementsFor does, on 2,000 seeded policies', () => {
    const rand = seeded(58);
    let marked = 0;
    let unmarked = 0;
    for (let n = 0; n < 2000; n++) {
      const doc = randomPolicy(rand);
      const before = ACTIONS.map((a) => compilePolicy(doc).statementsFor(a).some((s) => !s.deny));
      const allowed = ACTIONS.map(() => false);
      compilePolicy(doc).markAllowed(lower, allowed);
      expect(allowed, JSON.stringify(doc)).toEqual(before);
      for (const b of before) if (b) marked++;
      else unmarked++;
    }
    // Both answers are common in the cases drawn.
    expect(marked).toBeGreaterThan(2000);
    expect(unmarked).toBeGreaterThan(2000);
  });

  it('keeps what an earlier policy marked and ignores Deny statements', () => {
    const allowed = ACTIONS.map((_, i) => i === 7);
    compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ecr:*', Resource: '*' }, { Effect: 'Allow', Action: 'ecr:Put*', Resource: '*' }] }).markAllowed(lower, allowed);
    expect(allowed).toEqual([true, false, false, false, false, true, false, true]);
  });

  it('a NotAction Allow covers every action it does not name', () => {
    const allowed = ACTIONS.map(() => false);
    compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: ['ecr:*Layer*', 'ecr:PutImage'], Resource: '*' }] }).markAllowed(lower, allowed);
    expect(allowed).toEqual([false, false, false, false, true, true, true, true]);
  });
});
