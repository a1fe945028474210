import { describe, expect, it } from 'vitest';
// The platforms' modules import each other: load them through the registry, as the CLI does.
import '../src/platforms/registry.js';
import { z } from 'zod';
import { autoscalerOf } from '../src/platforms/ec2-autoscaler/index.js';
import { fargateOf } from '../src/platforms/ecs-fargate/index.js';
import { autoscalerRunnerSchema, fargateRunnerSchema } from '../src/platforms/aws-vm/schema.js';
import { sectionReader } from '../src/platforms/section.js';
import { seeded } from './helpers/rng.js';

/**
 * autoscalerOf parses a runner's `autoscaler` section once per distinct text: runners whose
 * sections are equal (a large fleet repeats one) share the parsed value, and every other section
 * is parsed on its own, with the schema's defaults and checks.
 */
describe('autoscalerOf: one parse per distinct section text', () => {
  const section = () => ({ maxInstances: 10, capacityPerInstance: 1, maxUseCount: 1, idleCount: 2, instanceTypes: ['m6i.large', 'm5.large'], spot: { enabled: true, onDemandBase: 2 } });

  it('runners with equal sections (each its own object) share one parsed value', () => {
    const a = autoscalerOf({ spec: { autoscaler: section() } });
    const b = autoscalerOf({ spec: { autoscaler: section() } });
    expect(b).toBe(a);
    expect(a).toEqual(autoscalerRunnerSchema.unwrap().parse(section()));
  });

  it('a section that differs in one value is parsed on its own', () => {
    const a = autoscalerOf({ spec: { autoscaler: section() } });
    const c = autoscalerOf({ spec: { autoscaler: { ...section(), maxInstances: 3 } } });
    expect(c).not.toBe(a);
    expect(c.maxInstances).toBe(3);
    expect(a.maxInstances).toBe(10);
  });

  it('an absent section takes the defaults', () => {
    expect(autoscalerOf({ spec: {} })).toEqual(autoscalerRunnerSchema.unwrap().parse({}));
    expect(autoscalerOf({ spec: {} }).maxInstances).toBe(4);
  });

  it('an invalid section is refused every time it is asked', () => {
    expect(() => autoscalerOf({ spec: { autoscaler: { maxInstances: 0 } } })).toThrow();
    expect(() => autoscalerOf({ spec: { autoscaler: { maxInstances: 0 } } })).toThrow();
  });

  it('equals the schema parse on 500 seeded sections asked in a random order, each twice', () => {
    const rnd = seeded(0x5ec7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const sections = Array.from({ length: 250 }, () => {
      const s: Record<string, unknown> = {};
      if (rnd() < 0.7) s.maxInstances = pick([1, 2, 4, 10, 1000]);
      if (rnd() < 0.5) s.capacityPerInstance = pick([1, 2, 8]);
      if (rnd() < 0.5) s.idleCount = pick([0, 1, 5]);
      if (rnd() < 0.3) s.idleTime = pick(['20m0s', '5m', '1h']);
      if (rnd() < 0.3) s.instanceTypes = pick([['m5.large'], ['m6i.large', 'm5.large']]);
      if (rnd() < 0.3) s.spot = pick([{ enabled: true }, { enabled: false, onDemandBase: 1 }]);
      return s;
    });
    const asked = [...sections, ...sections].sort(() => rnd() - 0.5);
    for (const s of asked) expect(autoscalerOf({ spec: { autoscaler: structuredClone(s) } })).toEqual(autoscalerRunnerSchema.unwrap().parse(s));
  });
});

describe('autoscalerOf: a section JSON writes like another is not taken for it', () => {
  it('an unknown key set to undefined is refused, after the empty section was parsed', () => {
    expect(autoscalerOf({ spec: { autoscaler: {} } }).maxInstances).toBe(4);
    // JSON.stringify writes both as {}: the strict schema refuses the unknown key all the same.
    expect(() => autoscalerOf({ spec: { autoscaler: { maxInstnaces: undefined } } })).toThrow(/maxInstnaces/);
    expect(() => autoscalerOf({ spec: { autoscaler: { maxInstnaces: undefined } } })).toThrow(/maxInstnaces/);
  });
});

describe('fargateOf: one parse per distinct section text', () => {
  const section = () => ({ cpu: 512, memoryMiB: 1024, assignPublicIp: false });

  it('runners with equal sections share one parsed value; another section is parsed on its own', () => {
    const a = fargateOf({ spec: { fargate: section() } });
    expect(fargateOf({ spec: { fargate: section() } })).toBe(a);
    expect(a).toEqual(fargateRunnerSchema.unwrap().parse(section()));
    const b = fargateOf({ spec: { fargate: { ...section(), cpu: 2048 } } });
    expect(b).not.toBe(a);
    expect(b.cpu).toBe(2048);
  });

  it('an invalid section is refused every time it is asked', () => {
    expect(() => fargateOf({ spec: { fargate: { cpu: 300 } } })).toThrow();
    expect(() => fargateOf({ spec: { fargate: { cpu: 300 } } })).toThrow();
  });
});

/** The rule both readers keep, on a small schema of its own: what JSON.stringify writes alike is parsed apart. */
describe('sectionReader', () => {
  const schema = z.strictObject({ n: z.number().nullable().default(1), at: z.string().optional() });

  it('parses a runner spec once, whatever is asked of it later', () => {
    let calls = 0;
    const read = sectionReader('s', schema.transform((x) => (calls++, x)));
    const spec = { s: { n: 2 } };
    read({ spec });
    read({ spec });
    read({ spec: { s: { n: 2 } } });
    expect(calls).toBe(1);
  });

  it('NaN and Infinity are not null, -0 is not 0, undefined is not absent', () => {
    const read = sectionReader('s', schema);
    expect(read({ spec: { s: { n: null } } }).n).toBeNull();
    expect(() => read({ spec: { s: { n: Number.NaN } } })).toThrow();
    expect(() => read({ spec: { s: { n: Number.POSITIVE_INFINITY } } })).toThrow();
    expect(read({ spec: { s: { n: 0 } } }).n).toBe(0);
    expect(Object.is(read({ spec: { s: { n: -0 } } }).n, -0)).toBe(true);
    expect(read({ spec: { s: {} } }).n).toBe(1);
    expect(() => read({ spec: { s: { x: undefined } } })).toThrow(/x/);
  });

  it('a Date or a toJSON is not taken for the text it writes', () => {
    const read = sectionReader('s', schema);
    expect(read({ spec: { s: { at: '2026-01-01T00:00:00.000Z' } } }).at).toBe('2026-01-01T00:00:00.000Z');
    expect(() => read({ spec: { s: { at: new Date('2026-01-01T00:00:00.000Z') } } })).toThrow();
    expect(read({ spec: { s: {} } }).n).toBe(1);
    expect(() => read({ spec: { s: { n: 'many', toJSON: () => ({}) } } })).toThrow();
  });

  it('equals the schema parse on 400 seeded sections, plain and not, asked in a random order, each twice', () => {
    const rnd = seeded(0x53a1);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const read = sectionReader('s', schema);
    const sections = Array.from({ length: 200 }, () => {
      const s: Record<string, unknown> = {};
      if (rnd() < 0.7) s.n = pick([0, -0, 1, 2.5, null, Number.NaN, Number.NEGATIVE_INFINITY, 'x', undefined]);
      if (rnd() < 0.4) s.at = pick(['a', '', undefined, null, new Date(0)]);
      if (rnd() < 0.1) s.extra = pick([undefined, 1]);
      return s;
    });
    const asked = [...sections, ...sections].sort(() => rnd() - 0.5);
    for (const s of asked) {
      const want = schema.safeParse(s);
      if (want.success) expect(read({ spec: { s: { ...s } } })).toStrictEqual(want.data);
      else expect(() => read({ spec: { s: { ...s } } })).toThrow();
    }
  });
});
