import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The hand-made Azure deployments of test/doctor/azure/, each with its expected.json. */
export const AZURE_CORPUS = join(import.meta.dirname, '..', 'doctor', 'azure');

/** Codes the corpus expects somewhere (its `quickstart-sound` case is the passing case of each). */
export function azureCorpusCodes(): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(AZURE_CORPUS)) {
    const expected = JSON.parse(readFileSync(join(AZURE_CORPUS, name, 'expected.json'), 'utf8')) as { findings: { code: string }[] };
    for (const f of expected.findings) out.add(f.code);
  }
  return out;
}
