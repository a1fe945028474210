import { createHash } from 'node:crypto';
import { formatFinding, type Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { DoctorResult } from './index.js';

export const DOCTOR_FORMATS = ['text', 'json', 'sarif', 'codequality'] as const;
export type DoctorFormat = (typeof DOCTOR_FORMATS)[number];

function summary(r: DoctorResult): string {
  const n = (s: string) => r.findings.filter((f) => f.severity === s).length;
  // Chains read but nothing proven (the evidence stops short): said, so exit 0 is not taken for a pass.
  const proofs = r.proofs.length > 0 ? `, ${r.proofs.filter((p) => p.holds).length}/${r.proofs.length} proofs hold` : r.chains.size > 0 ? ', no proof made' : '';
  return `${r.files} file(s), ${r.chains.size} runner chain(s): ${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} info${proofs}`;
}

/** Text grouped by runner chain, with the proof lines `plan` prints. */
export function textDoctorReport(r: DoctorResult): string {
  const lines: string[] = [];
  for (const [name, facts] of r.chains) {
    lines.push(`runner ${name}:`);
    for (const f of facts) lines.push(`  ${f}`);
    const mine = r.proofs.filter((x) => x.runner === name);
    for (const p of mine) lines.push(`  ${p.holds ? 'ok  ' : 'FAIL'} ${p.claim}`);
    if (mine.length === 0) lines.push('  no proof made: the files given do not show enough of this chain (the findings below say what is missing)');
    lines.push('');
  }
  for (const f of r.findings) lines.push(formatFinding(f));
  if (r.findings.length > 0) lines.push('');
  lines.push(summary(r));
  return `${lines.join('\n')}\n`;
}

export function jsonDoctorReport(r: DoctorResult): string {
  return `${JSON.stringify({ exitCode: r.exitCode, files: r.files, chains: Object.fromEntries(r.chains), findings: r.findings, proofs: r.proofs }, null, 2)}\n`;
}

/** `file:line:column` of a finding, when it has one. */
export function splitPosition(path: string): { file: string; line: number; column: number } | undefined {
  const m = /^(.*):(\d+):(\d+)$/.exec(path);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]) } : undefined;
}

const describe = (f: Finding) => [f.message, f.received !== undefined ? `received: ${f.received}` : '', f.allowed !== undefined ? `expected: ${f.allowed}` : '', f.fix !== undefined ? `fix: ${f.fix}` : ''].filter(Boolean).join('\n');

/** SARIF 2.1.0 for code scanning. */
export function sarifReport(r: DoctorResult, version: string): string {
  const codes = [...new Set(r.findings.map((f) => f.code))].sort();
  const level = (s: Finding['severity']) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'runner-fleet doctor',
            version,
            informationUri: 'https://gitlab.com',
            rules: codes.map((c) => ({ id: c, shortDescription: { text: (CODES[c as Code] as { title: string } | undefined)?.title ?? c } })),
          },
        },
        results: r.findings.map((f) => {
          const pos = splitPosition(f.path);
          return {
            ruleId: f.code,
            ruleIndex: codes.indexOf(f.code),
            level: level(f.severity),
            message: { text: describe(f) },
            ...(pos ? { locations: [{ physicalLocation: { artifactLocation: { uri: pos.file }, region: { startLine: pos.line, startColumn: pos.column } } }] } : {}),
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** GitLab Code Quality report (a JSON array; shown inline in merge requests). */
export function codeQualityReport(r: DoctorResult): string {
  const severity = (s: Finding['severity']) => (s === 'error' ? 'critical' : s === 'warning' ? 'major' : 'info');
  const items = r.findings.map((f) => {
    const pos = splitPosition(f.path);
    return {
      description: `${f.code}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`,
      check_name: f.code,
      fingerprint: createHash('sha256').update(`${f.code}\0${f.path}\0${f.message}`).digest('hex'),
      severity: severity(f.severity),
      location: { path: pos?.file ?? '.', lines: { begin: pos?.line ?? 1 } },
    };
  });
  return `${JSON.stringify(items, null, 2)}\n`;
}
