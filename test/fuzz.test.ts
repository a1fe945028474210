import { describe, expect, it } from 'vitest';
import { CLASSES, fuzz, pathPointsIntoInput } from './fuzz/engine.js';
import { EXAMPLES_DIR } from './helpers/fleet.js';

/**
 * A bounded smoke of the mutation fuzzer (test/fuzz/engine.ts) on every example; the long run is
 * `npm run fuzz -- --seed N --cases N`. Every class must stay empty.
 */
describe('fuzzed front door', () => {
  it('the path check accepts paths into the input and refuses others', () => {
    const input = { runners: [{ name: 'a', gitlab: {} }], 'odd key': { x: 1 } };
    expect(pathPointsIntoInput(input, 'runners[0].gitlab.tags')).toBe(true);
    expect(pathPointsIntoInput(input, '["odd key"].x')).toBe(true);
    expect(pathPointsIntoInput(input, 'runners[1].name')).toBe(false);
    expect(pathPointsIntoInput(input, 'runners[0].placement.cluster')).toBe(false);
  });

  it('a seeded smoke of mutated examples: no crash, hang, silent exit 2, stray path or write on a bad spec', async () => {
    const seed = Number(process.env.RUNNER_FLEET_FUZZ_SEED ?? 7);
    const report = await fuzz({ seed, cases: Number(process.env.RUNNER_FLEET_FUZZ_CASES ?? 2000), examplesDir: EXAMPLES_DIR, hangMs: 5000, synthEvery: 200, serializeEvery: 10 });
    const failed = Object.fromEntries(CLASSES.map((c) => [c, report.counts[c]]));
    expect(failed, JSON.stringify(report.samples, null, 2)).toEqual(Object.fromEntries(CLASSES.map((c) => [c, 0])));
    // The mutations reach every outcome, so the smoke tests something.
    expect(Object.keys(report.exits).sort()).toEqual(['0', '1', '2']);
    // 25-60 s alone; beside the rest of the suite on a loaded 2-core machine it passed 120 s.
  }, 300_000);
});
