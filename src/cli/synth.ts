import { loadAndPlan } from './load.js';
import { jsonReport, summaryLine, textReport } from './report.js';
import { synthFiles } from '../core.js';
import { writeOutput } from '../io/write.js';

export async function synthCommand(spec: string, opts: { out: string; json?: boolean; azureOutputs?: string }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const plan = await loadAndPlan(spec, opts.azureOutputs !== undefined ? { azureOutputs: opts.azureOutputs } : {});
  if (plan.exitCode !== 0) {
    // Nothing is written for a spec with errors: a half-right fleet is worse than none.
    if (opts.json) io.out(jsonReport(plan, { written: [] }));
    else io.err(`${textReport(plan)}nothing written to ${opts.out}\n`);
    return plan.exitCode;
  }
  const report = writeOutput(opts.out, synthFiles(plan));
  if (opts.json) io.out(jsonReport(plan, report as unknown as Record<string, unknown>));
  else {
    const warnings = plan.findings.length > 0 ? textReport(plan) : '';
    io.out(`${warnings}${opts.out}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed (${summaryLine(plan)})\n`);
  }
  return 0;
}
