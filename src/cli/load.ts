import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../spec/findings.js';
import { planText, planValue, type PlanResult } from '../core.js';

/** Reads and plans a spec file. Unreadable files become RF001 findings (exit 2), not exceptions. */
export async function loadAndPlan(file: string): Promise<PlanResult> {
  if (/\.(m?js)$/.test(file)) {
    try {
      const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
      return planValue(mod.default);
    } catch (e) {
      return unreadable(file, e);
    }
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return unreadable(file, e);
  }
  return planText(text, file);
}

function unreadable(file: string, e: unknown): PlanResult {
  const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message.split('\n')[0]! : String(e);
  const finding: Finding = { code: 'RF001', severity: 'error', path: '', message: `cannot read ${file}: ${reason}`, fix: 'pass the path of a fleet spec (.yaml, .yml, .json, .js or .mjs)' };
  return { exitCode: 2, findings: [finding], proofs: [] };
}
