import { describe, expect, it } from 'vitest';
import { statementActions, statementActionsOf } from '../src/platforms/aws-vm/token-readers.js';
import type { Statement } from '../src/verify/iam/types.js';
import { seeded } from './helpers/rng.js';

// Action patterns around what the token-reader proof asks (ssm reads, GetParametersByPath, kms:Decrypt), in several cases and wildcards, and values that are no action.
const ACTIONS: unknown[] = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath', 'ssm:Get*', 'ssm:GetParameter?', 'SSM:getparameter', 'ssm:*', 'kms:Decrypt', 'kms:*', 'KMS:decrypt', '*', '*:*', 's*:Get*', 's3:GetObject', 'ec2:*', 'ecs:RunTask', 42, null];

describe('token readers: the actions of a statement, remembered by its Action or NotAction text', () => {
  it('answer as worked out for seeded statements, each a new object, lists repeating between them', () => {
    for (const seed of [1, 7, 56]) {
      const rnd = seeded(seed);
      const list = () => {
        const n = Math.floor(rnd() * 4);
        const items = Array.from({ length: n }, () => ACTIONS[Math.floor(rnd() * ACTIONS.length)]);
        // A single string, as IAM allows, a third of the time.
        return n === 1 && rnd() < 0.5 ? items[0] : items;
      };
      for (let i = 0; i < 2000; i++) {
        const which = rnd();
        const st = (which < 0.45 ? { Effect: 'Allow', Action: list(), Resource: '*' } : which < 0.9 ? { Effect: 'Allow', NotAction: list(), Resource: '*' } : { Effect: 'Deny', Resource: '*' }) as Statement;
        // The worked-out answer from a copy, so the memo of `st` is first filled by statementActions.
        const expected = statementActionsOf(structuredClone(st));
        expect(statementActions(st), `seed ${seed}: ${JSON.stringify(st)}`).toEqual(expected);
        expect(statementActions(st)).toEqual(expected);
      }
    }
  });

  it('an Action list and the same NotAction list give opposite answers', () => {
    const allow = statementActions({ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' });
    const notAction = statementActions({ Effect: 'Allow', NotAction: ['ssm:GetParameter'], Resource: '*' });
    expect(allow).toEqual(['ssm:GetParameter']);
    expect(notAction).toEqual(['ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath', 'kms:Decrypt']);
  });
});
