import type { Finding } from '../spec/findings.js';
import type { Proof } from '../verify/index.js';
import type { Position } from './source.js';
import { mayHoldSecrets } from './secrets.js';

/**
 * Values `terraform show -json` marks sensitive (`sensitive_values`, a plan's `after_sensitive`):
 * the document prints them in plain text, so the doctor reads them as evidence (a service account
 * name, a namespace) but never shows them. Every string they hold, and every place in a file they
 * are written at, is remembered here; what the doctor says (messages, received values, fixes,
 * proof claims, chain lines) is cleaned of them at the end.
 */
export interface SensitiveMarks {
  /** The strings held by sensitive values (non-empty). */
  texts: Set<string>;
  /** Where sensitive values are written: a file, a line, the columns from..to (inclusive). */
  places: { file: string; line: number; from: number; to: number }[];
  /** Of `texts`, those never shown even where the files show them in clear: values of variables declared sensitive, given in a variable definitions file. */
  hidden?: Set<string>;
}

export const SENSITIVE_SHOWN = '(sensitive, not shown)';

/** The part of a `sensitive_values`/`after_sensitive` tree at `path`: `true` where it or a value holding it is marked; undefined where nothing is. */
function marksAt(marks: unknown, path: readonly (string | number)[]): unknown {
  let cur = marks;
  for (const k of path) {
    if (cur === true) return true;
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && typeof k === 'string' && Object.hasOwn(cur, k)) cur = (cur as Record<string, unknown>)[k];
    else return undefined;
  }
  return cur;
}

/** Whether a `sensitive_values`/`after_sensitive` tree marks the value at `path`, or one holding it. */
export function markedAt(marks: unknown, ...path: (string | number)[]): boolean {
  return marksAt(marks, path) === true;
}

/** Whether anything under `path` is marked (a values item whose own string is sensitive, or a part of it). */
export function anyMarkedUnder(marks: unknown, ...path: (string | number)[]): boolean {
  const cur = marksAt(marks, path);
  const stack = [cur];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === true) return true;
    if (v !== null && typeof v === 'object') stack.push(...Object.values(v as Record<string, unknown>));
  }
  return false;
}

/**
 * The strings a sensitive value holds: every string leaf (keys in `skip` left out: a runner token
 * is never kept, not even here), and inside a multi-line string (a config.toml) its quoted parts
 * and `key = value` right-hand sides too, as findings about it quote them.
 */
export function addSensitiveValue(marks: SensitiveMarks, value: unknown, skip: readonly string[] = []): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.trim() === '') continue;
      marks.texts.add(v);
      if (v.includes('\n')) {
        for (const m of v.matchAll(/"((?:[^"\\\n]|\\.)+)"|'([^'\n]+)'/g)) marks.texts.add(m[1] ?? m[2]!);
        for (const m of v.matchAll(/^[^=\n]*=[ \t]*([^"'\s[{][^\n]*?)[ \t]*$/gm)) if (!/^(true|false|[-+]?\d[\d._:eE+-]*)$/.test(m[1]!)) marks.texts.add(m[1]!);
        for (const line of v.split('\n')) if (line.trim() !== '') marks.texts.add(line.trim());
      }
    } else if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!skip.includes(k)) stack.push(x);
  }
}

/** The place of a sensitive value written at `at` in `text` (a JSON file): its string's columns, or the token's. */
export function addSensitivePlace(marks: SensitiveMarks, text: string, at: Position): void {
  let start = 0;
  for (let line = 1; line < at.line; line++) {
    start = text.indexOf('\n', start) + 1;
    if (start === 0) return;
  }
  const open = start + at.column - 1;
  let end = open;
  if (text[open] === '"') {
    for (end = open + 1; end < text.length && text[end] !== '"' && text[end] !== '\n'; end++) if (text[end] === '\\') end++;
  } else while (end + 1 < text.length && /[^,\]}\s]/.test(text[end + 1]!)) end++;
  marks.places.push({ file: at.file, line: at.line, from: at.column, to: at.column + (end - open) });
}

const WORD = /[A-Za-z0-9_-]/;

/**
 * Whether `needle`, found at `i` in `text`, stands as a whole word there: not part of a longer
 * name (`gitlab` in `gitlab-runner` is not). The one rule for hiding a sensitive string and for
 * finding it in clear (clear-strings.ts).
 */
export function wholeWordAt(text: string, i: number, needle: string): boolean {
  const before = i > 0 ? text[i - 1]! : '';
  const after = text[i + needle.length] ?? '';
  return !(before !== '' && WORD.test(before) && WORD.test(needle[0]!)) && !(after !== '' && WORD.test(after) && WORD.test(needle[needle.length - 1]!));
}

const SHOWN_BARE = SENSITIVE_SHOWN.slice(1, -1);
const SHOWN_THEN_GROUP = /\(sensitive, not shown\) \(([^()]*)\)/g;
const GROUP_THEN_SHOWN = /\(([^()]*)\) \(sensitive, not shown\)/g;
const POSITION = /^[^\s()]+:\d+:\d+$/;

/**
 * `text` where what is not shown stands next to a bracketed group (a message's `name (plan.json:3:4)`,
 * `bucket name (aws_s3_bucket.cache)`) or opens one: one group (`(sensitive, not shown, at
 * plan.json:3:4)`, `(sensitive, not shown; aws_s3_bucket.cache)`), so nothing says two brackets in a row.
 */
function oneGroup(text: string): string {
  if (!text.includes(SENSITIVE_SHOWN)) return text;
  return text
    .replace(SHOWN_THEN_GROUP, (_m, g: string) => `(${SHOWN_BARE}${POSITION.test(g) ? ', at ' : '; '}${g})`)
    .replace(GROUP_THEN_SHOWN, (_m, g: string) => `(${g}; ${SHOWN_BARE})`)
    .replaceAll(`(${SENSITIVE_SHOWN}`, `(${SHOWN_BARE}`);
}

/** `text` with every sensitive string (as a whole word: not part of a longer name) shown as not shown. */
function scrub(text: string, needles: readonly string[]): string {
  return oneGroup(replaced(text, needles));
}

function replaced(text: string, needles: readonly string[]): string {
  let out = text;
  for (const n of needles) {
    if (!out.includes(n)) continue;
    let from = 0;
    for (;;) {
      const i = out.indexOf(n, from);
      if (i < 0) break;
      if (!wholeWordAt(out, i, n)) {
        from = i + 1;
        continue;
      }
      out = `${out.slice(0, i)}${SENSITIVE_SHOWN}${out.slice(i + n.length)}`;
      from = i + SENSITIVE_SHOWN.length;
    }
  }
  return out;
}

/** The needles to look for: longest first, each also as JSON writes it inside a string; none the files show in clear (`clear`), unless it holds a credential's shape. */
function needlesOf(marks: SensitiveMarks, clear: { has(s: string): boolean } | undefined): string[] {
  const out = new Set<string>();
  for (const t of marks.texts) {
    if (clear?.has(t) === true && !mayHoldSecrets(t) && marks.hidden?.has(t) !== true) continue;
    out.add(t);
    const json = JSON.stringify(t).slice(1, -1);
    if (json !== t) out.add(json);
  }
  return [...out].filter((n) => n !== SENSITIVE_SHOWN).sort((a, b) => b.length - a.length);
}

/** Whether a finding's position is inside a sensitive value's place. */
function inPlace(marks: SensitiveMarks, path: string): boolean {
  const m = /^(.*):(\d+):(\d+)$/.exec(path);
  if (!m) return false;
  const line = Number(m[2]);
  const column = Number(m[3]);
  return marks.places.some((p) => p.file === m[1] && p.line === line && column >= p.from && column <= p.to);
}

/**
 * What the doctor says, cleaned of sensitive values: findings, proofs, chain lines. A string the
 * files also show in clear (`clear`, clear-strings.ts) hides nothing and is shown; a finding at a
 * sensitive value's place never shows what it received.
 */
export function withoutSensitive<T extends { findings: Finding[]; proofs: Proof[]; chains: Map<string, string[]> }>(result: T, marks: SensitiveMarks | undefined, clear?: { has(s: string): boolean }): T {
  if (!marks || (marks.texts.size === 0 && marks.places.length === 0)) return result;
  const needles = needlesOf(marks, clear);
  const clean = (s: string): string => scrub(s, needles);
  // A received value cut short (120 characters) is the start of a sensitive string, not all of it.
  const cleanReceived = (f: Finding, s: string): string => (inPlace(marks, f.path) || needles.some((n) => s.length >= 3 && n.length > s.length && n.startsWith(s)) ? SENSITIVE_SHOWN : clean(s));
  const TEXT_FIELDS = ['message', 'fix', 'allowed', 'deploymentFix', 'deploymentReceived', 'deploymentAllowed', 'acceptedBecause'] as const;
  const findings = result.findings.map((f) => {
    const out: Finding = { ...f };
    for (const k of TEXT_FIELDS) if (typeof out[k] === 'string') out[k] = clean(out[k]);
    if (typeof out.received === 'string') out.received = cleanReceived(f, out.received);
    return out;
  });
  const proofs = result.proofs.map((p) => ({ ...p, runner: clean(p.runner), claim: clean(p.claim) }));
  const chains = new Map([...result.chains].map(([name, lines]) => [clean(name), lines.map(clean)]));
  return { ...result, findings, proofs, chains };
}
