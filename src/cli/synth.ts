import { loadAndPlan } from './load.js';
import { jsonReport, summaryLine, textReport } from './report.js';
import { synthFiles } from '../core.js';
import { OutputError, writeOutput } from '../io/write.js';
import { safeText } from '../spec/findings.js';

export async function synthCommand(spec: string, opts: { out: string; json?: boolean; azureOutputs?: string }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const plan = await loadAndPlan(spec, opts.azureOutputs !== undefined ? { azureOutputs: opts.azureOutputs } : {});
  if (plan.exitCode !== 0) {
    // Nothing is written for a spec with errors: a half-right fleet is worse than none.
    if (opts.json) io.out(jsonReport(plan, { written: [] }));
    else io.err(`${textReport(plan)}nothing written to ${opts.out}\n`);
    return plan.exitCode;
  }
  // The output directory is a command argument: a wrong one is exit 2 (RF011), like a wrong spec.
  const refuse = (message: string, fix: string) => {
    if (opts.json) io.out(jsonReport({ ...plan, exitCode: 2, findings: [...plan.findings, { code: 'RF011', severity: 'error', path: '--out', message, fix }] }, { written: [] }));
    else io.err(`ERROR RF011 ${message}\n  fix:      ${fix}\n`);
    return 2;
  };
  // An empty --out would write the fleet into the current folder.
  if (opts.out.trim() === '') return refuse('--out is empty', 'pass the directory to write to, e.g. --out out');
  let report;
  try {
    report = writeOutput(opts.out, synthFiles(plan));
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    // A full device: nothing was written (writeOutput undoes a run it cannot finish), and another folder on it would fail too.
    const full = e.code === 'ENOSPC' || e.code === 'EDQUOT';
    return refuse(`--out ${safeText(opts.out, 200)}: ${safeText(e.target === opts.out ? e.reason : e.message, 400)}`, full ? 'free space on its device, or pass a directory on another (nothing was written)' : 'pass a directory you may write to (it is created if missing), not a file or a path under one');
  }
  if (opts.json) io.out(jsonReport(plan, report as unknown as Record<string, unknown>));
  else {
    const warnings = plan.findings.length > 0 ? textReport(plan) : '';
    const leftAlone = report.leftAlone.length > 0 ? `${opts.out}/.runner-fleet-manifest.json listed ${report.leftAlone.length} path(s) outside the output folder or not files (${report.leftAlone.slice(0, 5).map((p) => JSON.stringify(safeText(p, 120))).join(', ')}${report.leftAlone.length > 5 ? ', …' : ''}): left alone, and not listed again\n` : '';
    io.out(`${warnings}${leftAlone}${recoveredText(opts.out, report.recovered)}${opts.out}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed (${summaryLine(plan)})\n`);
  }
  return 0;
}

/** What synth put right of an earlier run stopped part-way (src/io/write.ts, recoverLeftovers), said before the counts. */
function recoveredText(out: string, r: { removed: string[]; restored: string[] }): string {
  if (r.removed.length === 0 && r.restored.length === 0) return '';
  const names = (paths: string[]) => `${paths.slice(0, 5).map((p) => JSON.stringify(safeText(p, 120))).join(', ')}${paths.length > 5 ? ', …' : ''}`;
  const parts = [
    ...(r.removed.length > 0 ? [`removed ${r.removed.length} file(s) it left (an earlier file set aside whose new one was in place: .runner-fleet-old; a file staged and not renamed in: .runner-fleet-tmp): ${names(r.removed)}`] : []),
    ...(r.restored.length > 0 ? [`put back ${r.restored.length} earlier file(s) it had set aside before renaming its new one in (${names(r.restored)}), then wrote this run's`] : []),
  ];
  return `${safeText(out, 200)}: an earlier synth into this folder was stopped part-way (killed or crashed): ${parts.join('; ')}\n`;
}
