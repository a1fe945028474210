import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOLDER_CLASSES, HOSTILE, fuzzDoctorFolders } from './fuzz/doctor-folders.js';

/**
 * A bounded smoke of the doctor fuzzer's hostile folders (test/fuzz/doctor-folders.ts): every hostile
 * thing over a few deployments of the corpus, on disk; the long run is
 * `npm run fuzz -- --doctor --folders --seed N --cases N`.
 */
const CORPUS = [join(import.meta.dirname, 'doctor', 'corpus'), join(import.meta.dirname, 'doctor', 'azure')];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('fuzzed doctor over hostile folders', () => {
  for (const h of HOSTILE) {
    it(`${h}: no crash, hang, refusal, unnamed hostile thing, changed findings or stray position`, async (ctx) => {
      if (h === 'unreadable' && isRoot) ctx.skip('SKIPPED: running as root, which reads any file, so no unreadable file can be made');
      const report = await fuzzDoctorFolders({ seed: Number(process.env.RUNNER_FLEET_FUZZ_SEED ?? 7), cases: Number(process.env.RUNNER_FLEET_FOLDER_FUZZ_CASES ?? 4), corpusDirs: CORPUS, only: [h], hangMs: 8000 });
      const failed = Object.fromEntries(FOLDER_CLASSES.map((c) => [c, report.counts[c]]));
      expect(failed, JSON.stringify(report.samples, null, 2)).toEqual(Object.fromEntries(FOLDER_CLASSES.map((c) => [c, 0])));
      expect(report.skipped).toEqual({});
      expect(Object.keys(report.exits).every((k) => k === '0' || k === '1')).toBe(true);
    }, 120_000);
  }
});
