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
  /**
   * Where in the spec file `path` is written (a finding of `plan`/`synth` on a YAML or JSON spec: the
   * key of an unknown key, the value of a wrong one, the nearest existing parent of a missing one).
   * Absent for a spec given as a module, for the whole spec (`path` ''), and for findings about the
   * generated documents.
   */
  position?: { file: string; line: number; column: number };
  /** The value received, rendered for people (never a secret). */
  received?: string;
  allowed?: string;
  fix?: string;
  /**
   * The fix for a deployment runner-fleet did not write, where `fix` speaks of runner-fleet's own
   * output (regenerate, synth again): the doctor shows this one instead. Never printed by plan.
   */
  deploymentFix?: string;
  /** What a deployment the doctor reads has instead, where `received` speaks of a spec value; shown by the doctor in its place. */
  deploymentReceived?: string;
  /** What a deployment may have instead, where `allowed` speaks of a spec value; shown by the doctor in its place. */
  deploymentAllowed?: string;
  /** Set when the spec accepted this risk (see `acceptRisks`); the reason it gave. */
  acceptedBecause?: string;
  /**
   * The doctor's: the folders of the Terraform roots this one finding holds for, where several roots
   * given together say the same about a module file they share (doctor/across-roots.ts). Sorted.
   */
  roots?: string[];
  /**
   * What the finding is about, as data: the doctor reads it to point at the place the user edits
   * (src/doctor/edit-site.ts) instead of reading the message. Never printed or serialised: verify
   * drops it for plan, the doctor once it has placed the finding.
   */
  subject?: FindingSubject;
}

/**
 * What a finding is about, as data the doctor reads instead of the message (whose wording may change):
 * - `trust`: the role's trust policy (who may assume it) is the edit, at `at` where one place is;
 * - `grant`: a permission the role must not have: the edit is the policy of the role that allows one of `requests`;
 * - `lacks`: the role's permission policies do not allow `requests`, which it needs (`can`: those in words);
 * - `assume`: the intended subject of identity `identity` (the intent's key) cannot assume it;
 * - `audience`: the service account of identity `identity` asks for a token audience its trust refuses;
 * - `service-account`: service account `namespace`/`name` does not exist among the documents;
 * - `credential`: federated credential `credential` of managed identity `identity` (its name) is the edit;
 * - `assignments`: the role assignments (`role` on `scope`) of managed identity `identity` (its name) are the edit;
 * - `identity`: managed identity `name` is what the finding is about;
 * - `resource`: the Terraform resource or data source `address` (as the root keys it: `aws_s3_bucket.cache`,
 *   `data.aws_iam_policy_document.x`) is the edit;
 * - `secret`: one credential written in a file (the doctor's RF940), at each of `places` (every copy of
 *   the same value in that file: where its value starts and ends). Never the value itself.
 * - `role-not-given`: the role `ref` (a name or an ARN, as written) is not in the evidence given (RF903);
 *   `whose` runner identity it is (the manager's, the jobs'), called `noun` (`role`) in the message.
 *   The doctor's AWS read turns it into "does not exist" (RF904) where the account has no such role.
 */
export type FindingSubject =
  | {
      kind: 'trust';
      /** The role's name (`name` of its aws_iam_role). */
      role: string;
      /** Where in the trust policy (its JSON form: Statement, index, Condition, operator, key) the fault is written, where one place is. */
      at?: (string | number)[];
    }
  | {
      kind: 'grant';
      role: string;
      /** Requests the role's permission policies must not allow, as the proof asked them (real account ids). */
      requests: FindingRequest[];
    }
  | {
      kind: 'lacks';
      role: string;
      /** Requests the role's permission policies do not allow, as the proof asked them. */
      requests: FindingRequest[];
      /** What the role cannot do, in words (as the message says it). */
      can: string;
    }
  | { kind: 'assume' | 'audience'; identity: string }
  | { kind: 'role-not-given'; ref: string; whose?: 'manager' | 'jobs'; noun: string }
  | { kind: 'service-account'; namespace: string; name: string }
  | { kind: 'credential'; identity: string; credential: string }
  | { kind: 'assignments'; identity: string; assignments: { role: string; scope: string }[] }
  | { kind: 'identity'; name: string }
  | {
      kind: 'resource';
      address: string;
      /**
       * A line of the resource's user data (1-based, of the text as the rules read it: decoded, a
       * cloud-config's commands at their own lines) the finding is about, and the words of the
       * message that name it (`said`: `line 5`), which the doctor replaces with the place the user
       * wrote it (src/doctor/user-data-place.ts).
       */
      userDataLine?: { line: number; said?: string };
      /** The user data is known only when Terraform runs; `said`: the words of the message that show it, after which the doctor says why. */
      userDataUnknown?: { said: string };
      /**
       * The user data is a file (`filebase64("${path.module}/<written>")`) that is not among the
       * documents: the doctor says so in the deployment's terms (the file as the files given name it).
       */
      userDataFile?: { written: string };
    }
  | { kind: 'secret'; places: SecretPlace[]; /** A cloud credential (not a GitLab token or a private key). */ cloud?: true };

/** Where a value is written in a file: from its first character (line, column) to its last (endLine, endColumn). */
export interface SecretPlace {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The whole value the credential is a part of, when the place is one line of it (a heredoc): a finding at that value may stand for it. */
  within?: { line: number; column: number; endLine: number; endColumn: number };
  /** The Terraform resource argument the value is written in, as written (`aws_instance.ci.user_data`), where it is one. */
  of?: string;
}

/** One request a proof asked of a role's policies. */
export interface FindingRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

/**
 * A fix whose last clause is about runner-fleet's own output (`tail`: "regenerate", "runner-fleet
 * always does, regenerate"): plan shows both, the doctor the advice alone.
 */
export function adviceThenRegenerate(advice: string, tail = 'regenerate'): { fix: string; deploymentFix: string } {
  return { fix: `${advice}; ${tail}`, deploymentFix: advice };
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

/** The parts of a path `formatPath` wrote (`runners[2]["a b"].name`); undefined for text it does not write. */
export function parsePath(text: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '[') {
      const m = /^\[(?:(\d+)|("(?:[^"\\]|\\.)*"))\]/.exec(text.slice(i));
      if (!m) return undefined;
      out.push(m[1] !== undefined ? Number(m[1]) : (JSON.parse(m[2]!) as string));
      i += m[0].length;
    } else {
      if (out.length > 0) {
        if (text[i] !== '.') return undefined;
        i++;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

export function formatFinding(f: Finding): string {
  const place = f.position ? ` ${safeText(f.position.file, 200)}:${f.position.line}:${f.position.column}` : '';
  const where = f.path === '' ? (place === '' ? '' : `${place}:`) : `${place} ${safeText(f.path, 200)}:`;
  const lines = [`${f.severity.toUpperCase()} ${f.code}${where} ${safeText(f.message, 2000)}`];
  if (f.received !== undefined) lines.push(`  received: ${safeText(f.received, 400)}`);
  if (f.allowed !== undefined) lines.push(`  allowed:  ${safeText(f.allowed, 2000)}`);
  if (f.fix !== undefined) lines.push(`  fix:      ${safeText(f.fix, 2000)}`);
  if (f.acceptedBecause !== undefined) lines.push(`  accepted: ${safeText(f.acceptedBecause, 2000)}`);
  return lines.join('\n');
}

/** The same finding with every text made safe to print (for JSON reports read by terminals too). */
export function safeFinding(f: Finding): Finding {
  const out: Finding = { ...f, path: safeText(f.path, 200), message: safeText(f.message, 2000) };
  if (f.received !== undefined) out.received = safeText(f.received, 400);
  if (f.allowed !== undefined) out.allowed = safeText(f.allowed, 2000);
  if (f.fix !== undefined) out.fix = safeText(f.fix, 2000);
  if (f.acceptedBecause !== undefined) out.acceptedBecause = safeText(f.acceptedBecause, 2000);
  if (f.roots !== undefined) out.roots = f.roots.map((r) => safeText(r, 200));
  if (f.position !== undefined) out.position = { ...f.position, file: safeText(f.position.file, 200) };
  return out;
}

/** Longest echoed value or key, in characters, before it is cut with an ellipsis. */
export const MAX_ECHO = 120;

// C0/C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates and marks,
// zero-width characters and the BOM: anything that can hide or reorder text on a terminal.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Makes a piece of user input safe to print: unsafe characters become `\uXXXX` escapes (so a
 * bidi override or an escape sequence is shown, never obeyed) and long text is cut at `max`.
 */
export function safeText(text: string, max = MAX_ECHO): string {
  const cut = text.length > max * 4 ? text.slice(0, max * 4) : text;
  let out = cut.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (out.length > max || cut.length < text.length) out = `${out.slice(0, max - 3)}...`;
  return out;
}

/** A user-supplied key or name, quoted and made safe for a message. */
export function quoted(text: string, max = 60): string {
  return `"${safeText(text, max)}"`;
}

/** Renders a received value briefly and safely for an error message. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = shallowJson(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return safeText(text);
}

/** JSON of a value, without walking more of a huge or deep value than a message can show. */
function shallowJson(value: unknown, depth = 0): string | undefined {
  // JSON has no NaN or Infinity (it would print null): show the number as it is.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (depth > 3) return Array.isArray(value) ? '[...]' : '{...}';
  const parts: string[] = [];
  let length = 0;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    if (length > MAX_ECHO) {
      parts.push('...');
      break;
    }
    const rendered = shallowJson(v, depth + 1) ?? 'null';
    const part = typeof k === 'number' ? rendered : `${JSON.stringify(k.length > MAX_ECHO ? `${k.slice(0, MAX_ECHO)}...` : k)}:${rendered}`;
    parts.push(part);
    length += part.length + 1;
  }
  return Array.isArray(value) ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return [...findings].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || a.path.localeCompare(b.path) || a.code.localeCompare(b.code),
  );
}

/** Findings of one code listed one by one in a spec-error report; the rest are counted. */
export const MAX_FINDINGS_PER_CODE = 50;

/** Keeps the first `max` findings of each code and adds one finding per code that counts the rest. */
export function capFindings(findings: Finding[], max = MAX_FINDINGS_PER_CODE): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  for (const f of findings) {
    const n = (seen.get(f.code) ?? 0) + 1;
    seen.set(f.code, n);
    if (n <= max) out.push(f);
  }
  for (const [code, n] of seen) {
    if (n > max) out.push({ code, severity: 'error', path: '', message: `${n - max} more ${code} finding(s) not listed`, fix: 'fix the findings listed and run again' });
  }
  return out;
}
