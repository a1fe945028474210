/**
 * Findings: everything runner-fleet has to say about a spec or a fleet.
 * A finding names a stable code, the spec path it is about, the value received,
 * what is allowed and the fix, so a person can act on it without reading our code.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  /** Dot path into the written spec, e.g. `runners[2].cache.name`; '' for the whole spec. */
  path: string;
  message: string;
  /** The value received, rendered for people (never a secret). */
  received?: string;
  allowed?: string;
  fix?: string;
  /** Set when the spec accepted this risk (see `acceptRisks`); the reason it gave. */
  acceptedBecause?: string;
}

/** Raised for a spec that cannot be read at all (exit 2). Carries every finding at once. */
export class SpecError extends Error {
  readonly findings: Finding[];
  constructor(findings: Finding[]) {
    super(findings.map(formatFinding).join('\n'));
    this.name = 'SpecError';
    this.findings = findings;
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

export function formatFinding(f: Finding): string {
  const where = f.path === '' ? '' : ` ${f.path}:`;
  const lines = [`${f.severity.toUpperCase()} ${f.code}${where} ${f.message}`];
  if (f.received !== undefined) lines.push(`  received: ${f.received}`);
  if (f.allowed !== undefined) lines.push(`  allowed:  ${f.allowed}`);
  if (f.fix !== undefined) lines.push(`  fix:      ${f.fix}`);
  if (f.acceptedBecause !== undefined) lines.push(`  accepted: ${f.acceptedBecause}`);
  return lines.join('\n');
}

/** Renders a received value briefly and safely for an error message. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return [...findings].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || a.path.localeCompare(b.path) || a.code.localeCompare(b.code),
  );
}
