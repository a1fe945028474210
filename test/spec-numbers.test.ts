import { describe, expect, it } from 'vitest';
import { planText, planValue, type PlanResult } from '../src/core.js';
import { exampleText, minimalFleet } from './helpers/fleet.js';

/**
 * Numbers the schema cannot take: NaN, ±Infinity (YAML .nan/.inf, 1e400, a JavaScript spec),
 * a fraction where a whole number is needed, an integer beyond 2^53 - 1. Each is one finding that
 * says what was received, what is allowed (with the range) and the fix; never "expected number,
 * got number".
 */

const concurrent = (value: string) => planText(exampleText('eks-irsa').replace('    concurrent: 10\n', `    concurrent: ${value}\n`), 'fleet.yaml');

function only(plan: PlanResult, path: string) {
  expect(plan.exitCode).toBe(2);
  const at = plan.findings.filter((f) => f.path === path);
  expect(at, JSON.stringify(plan.findings, null, 1)).toHaveLength(1);
  const f = at[0]!;
  expect(f.code).toBe('RF002');
  expect(`${f.message} ${f.received}`).not.toMatch(/expected number, got number|expected int|null/);
  return f;
}

const RANGE = 'a whole number from 1 to 1000';

describe('non-finite numbers', () => {
  it.each([
    ['YAML .nan', '.nan', '.nan (read as NaN)', /NaN is not a number/],
    ['YAML .inf', '.inf', '.inf (read as Infinity)', /Infinity is not a finite number/],
    ['YAML -.inf', '-.inf', '-.inf (read as -Infinity)', /-Infinity is not a finite number/],
    ['YAML 1e400', '1e400', '1e400 (read as Infinity)', /too large to hold such as 1e400/],
  ])('%s where a number is needed: the text written and the value read', (_name, written, received, message) => {
    const f = only(concurrent(written), 'runners[0].concurrent');
    expect(f.message).toMatch(message);
    expect(f.received).toBe(received);
    expect(f.allowed).toBe(RANGE);
    expect(f.fix).toBe(`write runners[0].concurrent as ${RANGE}`);
  });

  it('the text written is found in a spec whose aliases make a cycle', () => {
    const text = exampleText('eks-irsa').replace('metadata:\n  name: acme\n', 'metadata: &m\n  name: acme\n  self: *m\n').replace('    concurrent: 10\n', '    concurrent: 1e400\n');
    const f = only(planText(text, 'fleet.yaml'), 'runners[0].concurrent');
    expect(f.received).toBe('1e400 (read as Infinity)');
  });

  it('JSON 1e400', () => {
    const json = JSON.stringify(minimalFleet()).replace('"name":"dev"', '"name":"dev","concurrent":1e400');
    const f = only(planText(json, 'fleet.json'), 'runners[0].concurrent');
    expect(f.received).toBe('1e400 (read as Infinity)');
    expect(f.allowed).toBe(RANGE);
  });

  it.each([
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['-Infinity', -Infinity, '-Infinity'],
  ])('%s from a JavaScript spec module, with the schema range', (_name, value, received) => {
    const spec = minimalFleet();
    spec.clusters[0].create = { nodeGroups: [{ name: 'ci', instanceTypes: ['m6i.large'], scaling: { min: 1, max: value } }] };
    const f = only(planValue(spec), 'clusters[0].create.nodeGroups[0].scaling.max');
    expect(f.received).toBe(received);
    expect(f.allowed).toBe(RANGE);
  });

  it('NaN as an IAM condition value (a union of forms) names the forms', () => {
    const spec = minimalFleet();
    spec.runners[0].jobs = { permissions: { aws: [{ actions: ['s3:GetObject'], resources: ['*'], conditions: { NumericLessThan: { 'aws:MultiFactorAuthAge': NaN } } }] } };
    const f = only(planValue(spec), 'runners[0].jobs.permissions.aws[0].conditions.NumericLessThan["aws:MultiFactorAuthAge"]');
    expect(f.message).toMatch(/NaN is not a number/);
    expect(f.received).toBe('NaN');
    expect(f.allowed).toBe('one of: string, number (finite), boolean, array');
  });

  it('a NaN nested in a received value is shown as NaN, not null', () => {
    const spec = minimalFleet();
    spec.runners[0].gitlab.tags = { a: NaN };
    const f = planValue(spec).findings.find((x) => x.path === 'runners[0].gitlab.tags');
    expect(f?.received).toBe('{"a":NaN}');
  });
});

describe('finite numbers the schema does not take', () => {
  it('a fraction where a whole number is needed', () => {
    const f = only(concurrent('2.5'), 'runners[0].concurrent');
    expect(f.message).toBe('2.5 is not a whole number');
    expect(f.received).toBe('2.5');
    expect(f.allowed).toBe(RANGE);
    expect(f.fix).toBe(`write runners[0].concurrent as ${RANGE}, such as 2 or 3`);
  });

  it('2.5 replicas (a node group\'s desired size)', () => {
    const spec = minimalFleet();
    spec.clusters[0].create = { nodeGroups: [{ name: 'ci', instanceTypes: ['m6i.large'], scaling: { min: 0, max: 3, desired: 2.5 } }] };
    const f = only(planValue(spec), 'clusters[0].create.nodeGroups[0].scaling.desired');
    expect(f.message).toBe('2.5 is not a whole number');
    expect(f.allowed).toBe('a whole number from 0 to 1000');
  });

  it('the whole numbers offered are in range', () => {
    const f = only(concurrent('0.5'), 'runners[0].concurrent');
    expect(f.fix).toBe(`write runners[0].concurrent as ${RANGE}, such as 1`);
  });

  it('an integer beyond 2^53 - 1: one finding, the range, and that it is not read exactly', () => {
    const f = only(concurrent('9007199254740993'), 'runners[0].concurrent');
    expect(f.message).toMatch(/is more than 1000 .*beyond 9007199254740991, 2\^53 - 1, numbers are not read exactly/);
    expect(f.received).toBe('9007199254740993 (read as 9007199254740992)');
    expect(f.allowed).toBe(RANGE);
  });

  it('out of range below: the range, not zod words', () => {
    const f = only(concurrent('-5'), 'runners[0].concurrent');
    expect(f.message).toBe('-5 is less than 1');
    expect(f.allowed).toBe(RANGE);
  });
});
