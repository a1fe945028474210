import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCTOR_CLASSES, fuzzDoctor, positionInInput, prototypeBaseline, takePollution } from './fuzz/doctor-engine.js';

/**
 * A bounded smoke of the doctor's mutation fuzzer (test/fuzz/doctor-engine.ts) over every
 * deployment of the doctor corpus; the long run is `npm run fuzz -- --doctor --seed N --cases N`.
 */
const CORPUS = [join(import.meta.dirname, 'doctor', 'corpus'), join(import.meta.dirname, 'doctor', 'azure'), join(import.meta.dirname, 'golden')];

describe('fuzzed doctor', () => {
  it('the position check accepts positions inside a given file and refuses others', () => {
    const files = [{ path: 'k8s/a.yaml', bytes: Buffer.from('a: 1\nb: 2\n') }];
    expect(positionInInput('', files)).toBe(true);
    expect(positionInInput('k8s/a.yaml:2:1', files)).toBe(true);
    expect(positionInInput('k8s/a.yaml:4:1', files)).toBe(false);
    expect(positionInInput('k8s/b.yaml:1:1', files)).toBe(false);
    expect(positionInInput('runners[0]', files)).toBe(false);
  });

  it('the pollution check reports a property left on a built-in prototype, and removes it', () => {
    const baseline = prototypeBaseline();
    expect(takePollution(baseline)).toEqual([]);
    (Object.prototype as Record<string, unknown>).jobs = { name: 'x' };
    (Array.prototype as unknown as Record<string, unknown>).evil = true;
    try {
      expect(takePollution(baseline)).toEqual(['Object.prototype.jobs = {"name":"x"}', 'Array.prototype.evil = true']);
      expect('jobs' in {}).toBe(false);
      expect('evil' in []).toBe(false);
      expect(takePollution(baseline)).toEqual([]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).jobs;
      delete (Array.prototype as unknown as Record<string, unknown>).evil;
    }
  });

  it('a seeded smoke of mutated deployments: no crash, hang, stray position, library warning or polluted prototype', () => {
    const seed = Number(process.env.RUNNER_FLEET_FUZZ_SEED ?? 7);
    const report = fuzzDoctor({ seed, cases: Number(process.env.RUNNER_FLEET_DOCTOR_FUZZ_CASES ?? 1000), corpusDirs: CORPUS, hangMs: 5000 });
    const failed = Object.fromEntries(DOCTOR_CLASSES.map((c) => [c, report.counts[c]]));
    expect(failed, JSON.stringify(report.samples, null, 2)).toEqual(Object.fromEntries(DOCTOR_CLASSES.map((c) => [c, 0])));
    // The damage reaches both outcomes, so the smoke tests something.
    expect(Object.keys(report.exits).sort()).toEqual(['0', '1']);
  }, 300_000);
});
