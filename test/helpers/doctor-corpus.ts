import { readFileSync } from 'node:fs';
import { caseNames } from './corpus-case.js';
import { join } from 'node:path';

const CORPUS = join(import.meta.dirname, '..', 'doctor', 'corpus');

/** Codes the hand-made doctor corpus (test/doctor/corpus/<case>/expected.json) pins with a position. */
export function doctorCorpusCodes(): Set<string> {
  const out = new Set<string>();
  for (const name of caseNames(CORPUS)) {
    const expected = JSON.parse(readFileSync(join(CORPUS, name, 'expected.json'), 'utf8')) as { findings: { code: string }[] };
    for (const f of expected.findings) out.add(f.code);
  }
  return out;
}
