import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionPatterns, compilePolicy, evaluatePolicies, prepareRequest } from '../src/verify/iam/evaluator.js';
import { seeded } from './helpers/rng.js';

/** IAM's glob, written out: `*` any run of characters, `?` one character, the rest literal. */
const globMatches = (pattern: string, s: string): boolean => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(s);

/** A pattern with one `*` inside it (an Auto Scaling group ARN's `:*:`) is matched by its two ends, not by a RegExp of each policy. */
describe('a pattern with one * inside it', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is matched as IAM matches it on 3,000 seeded patterns and texts (overlapping ends, empty ends, several patterns)', () => {
    const rnd = seeded(0x53a4);
    const text = (n: number, alphabet: string) => Array.from({ length: Math.floor(rnd() * n) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    let matched = 0;
    for (let i = 0; i < 3000; i++) {
      const patterns = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `${text(4, 'ab:')}${rnd() < 0.9 ? '*' : '?'}${text(4, 'ab:')}${rnd() < 0.15 ? '*' : ''}`);
      const s = text(9, 'ab:');
      const want = patterns.some((p) => globMatches(p, s));
      expect(actionPatterns(patterns).test(s), `${JSON.stringify(patterns)} on ${s}`).toBe(want);
      if (want) matched++;
    }
    expect(matched, 'the texts match some patterns and miss others').toBeGreaterThan(300);
  });

  it('decides a policy Resource with it as the glob does', () => {
    const group = 'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/ci-workers';
    const policy = compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'autoscaling:SetDesiredCapacity', Resource: group }] });
    const ask = (resource: string) => evaluatePolicies({ identity: [policy] }, prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/m' }, action: 'autoscaling:SetDesiredCapacity', resource }));
    for (const resource of [
      'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:0123:autoScalingGroupName/ci-workers',
      'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup::autoScalingGroupName/ci-workers',
      'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:0123:autoScalingGroupName/another-group',
      'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:autoScalingGroupName/ci-workers',
      'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:0123:autoScalingGroupName/ci-workers-2',
    ]) {
      expect(ask(resource), resource).toBe(globMatches(group, resource) ? 'allow' : 'implicit-deny');
    }
  });

  it('compiles no RegExp', () => {
    const made = vi.spyOn(globalThis, 'RegExp');
    const set = actionPatterns(['autoscaling:*desiredcapacity', 'ec2:describe*s', 's3:get*']);
    expect(set.test('autoscaling:setdesiredcapacity')).toBe(true);
    expect(set.test('ec2:describeinstances')).toBe(true);
    expect(set.test('ec2:describeinstance')).toBe(false);
    expect(made).not.toHaveBeenCalled();
  });
});
