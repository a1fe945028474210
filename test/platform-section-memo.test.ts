import { describe, expect, it } from 'vitest';
// The platforms' modules import each other: load them through the registry, as the CLI does.
import '../src/platforms/registry.js';
import { autoscalerOf } from '../src/platforms/ec2-autoscaler/index.js';
import { autoscalerRunnerSchema } from '../src/platforms/aws-vm/schema.js';
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
