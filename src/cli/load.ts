import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../spec/findings.js';
import { planText, planValue, type PlanResult } from '../core.js';
import type { AppliedOutputs } from '../model/types.js';
import { parseAzureOutputs } from '../spec/applied.js';

/** Reads `--azure-outputs`; a missing or malformed file is a command error (exit 2). */
async function loadApplied(opts: LoadOptions): Promise<{ applied?: AppliedOutputs; failed?: PlanResult }> {
  if (opts.azureOutputs === undefined) return {};
  let text: string;
  try {
    text = await readFile(opts.azureOutputs, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return { failed: { exitCode: 2, findings: [{ code: 'RF610', severity: 'error', path: '--azure-outputs', message: `cannot read ${opts.azureOutputs}: ${reason}`, fix: 'terraform -chdir=terraform/azure output -json > azure-outputs.json' }], proofs: [] } };
  }
  const read = parseAzureOutputs(text, opts.azureOutputs);
  if (read.findings.length > 0) return { failed: { exitCode: 2, findings: read.findings, proofs: [] } };
  return read.applied ? { applied: read.applied } : {};
}

export interface LoadOptions {
  /** `terraform output -json` of terraform/azure: client ids of applied managed identities. */
  azureOutputs?: string;
}

/** Reads and plans a spec file. Unreadable files become RF001 findings (exit 2), not exceptions. */
export async function loadAndPlan(file: string, opts: LoadOptions = {}): Promise<PlanResult> {
  const { applied, failed } = await loadApplied(opts);
  if (failed) return failed;
  if (/\.(m?js)$/.test(file)) {
    try {
      const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
      return planValue(mod.default, applied);
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
  return planText(text, file, applied);
}

function unreadable(file: string, e: unknown): PlanResult {
  const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message.split('\n')[0]! : String(e);
  const finding: Finding = { code: 'RF001', severity: 'error', path: '', message: `cannot read ${file}: ${reason}`, fix: 'pass the path of a fleet spec (.yaml, .yml, .json, .js or .mjs)' };
  return { exitCode: 2, findings: [finding], proofs: [] };
}
