import { describe, expect, it } from 'vitest';
import { exampleFiles, exampleNames, planExample } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/** Platforms whose documents the doctor reads back (a platform plugin with a `doctor` reader). */
const READ_BACK = new Set(['eks']);

const asInputs = (name: string): InputFile[] => exampleFiles(name).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }));
const key = (p: { runner: string; claim: string; holds: boolean }) => `${p.runner}|${p.claim}|${String(p.holds)}`;

describe.each(exampleNames())('doctor over the synth output of %s', (name) => {
  const plan = planExample(name);
  const platforms = new Set(plan.fleet!.runners.map((r) => r.platform));
  const readable = [...platforms].every((p) => READ_BACK.has(p));

  it.runIf(readable)('reports exactly the proofs plan reports, and no error', () => {
    const result = doctor(asInputs(name));
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(result.proofs.map(key).sort()).toEqual(plan.proofs.map(key).sort());
    expect(result.exitCode).toBe(0);
  });

  it.runIf(!readable)(`SKIPPED: the doctor does not read ${[...platforms].filter((p) => !READ_BACK.has(p)).join(', ')} documents back yet; it must not crash or invent errors`, () => {
    const result = doctor(asInputs(name));
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // Every proof it does make is one plan made too (plan tried more candidates: the other platforms' subjects).
    const uncounted = (p: { runner: string; claim: string; holds: boolean }) => key(p).replace(/ \(\d+ [^)]+ tried\)/, '');
    const planned = new Set(plan.proofs.map(uncounted));
    if (platforms.has('eks')) expect(result.proofs.length).toBeGreaterThan(0);
    for (const p of result.proofs) expect(planned.has(uncounted(p)), key(p)).toBe(true);
  });
});
