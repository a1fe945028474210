import type { z } from 'zod';
import { CODES } from './codes.js';
import { type Finding, formatPath, quoted, safeText, showValue } from './findings.js';
import { API_VERSION, KIND, RENAMED_KEYS } from './schema.js';

/** Reads spec text (YAML or JSON): see reader.ts (limits, linear duplicate-key check, RF001 findings). */
export { readSpecText, SPEC_LIMITS } from './reader.js';

/** Checks apiVersion and kind before the schema, so a wrong file gets one clear message. */
export function checkHeader(value: unknown): Finding[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ code: 'RF002', severity: 'error', path: '', message: 'the spec must be a mapping', received: showValue(value), allowed: `a mapping with apiVersion: ${API_VERSION} and kind: ${KIND}`, fix: 'start the file with `apiVersion: runner-fleet/v1alpha1` and `kind: Fleet`' }];
  }
  const v = value as Record<string, unknown>;
  const out: Finding[] = [];
  if (v.apiVersion !== API_VERSION) {
    out.push({ code: 'RF009', severity: 'error', path: 'apiVersion', message: CODES.RF009.title, received: showValue(v.apiVersion), allowed: API_VERSION, fix: `set apiVersion: ${API_VERSION}` });
  }
  if (v.kind !== KIND) {
    out.push({ code: 'RF009', severity: 'error', path: 'kind', message: CODES.RF009.title, received: showValue(v.kind), allowed: KIND, fix: `set kind: ${KIND}` });
  }
  return out;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

interface ZodDefLike {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  values?: unknown[];
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** Unwraps optional/default/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable' || d.type === 'readonly') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The schema that applies at `path` of `input` (following discriminated unions by the input's value). */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(schema);
  let cur = input;
  for (const p of path) {
    if (s === undefined) return undefined;
    s = pickUnionOption(s, cur);
    const d = defOf(s);
    if (d.type === 'object' && d.shape && typeof p === 'string') s = d.shape[p];
    else if (d.type === 'array' && d.element) s = d.element;
    else if (d.type === 'record' && d.valueType) s = d.valueType;
    else return undefined;
    if (s !== undefined) s = unwrap(s);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[p] : undefined;
  }
  return s === undefined ? undefined : pickUnionOption(s, cur);
}

function pickUnionOption(s: z.ZodType, value: unknown): z.ZodType {
  const d = defOf(s);
  if (d.type !== 'union' || !d.options) return s;
  if (d.discriminator && value !== null && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[d.discriminator];
    for (const o of d.options) {
      const od = defOf(unwrap(o));
      const lit = od.shape?.[d.discriminator];
      if (lit && defOf(unwrap(lit)).values?.includes(tag)) return unwrap(o);
    }
  }
  return s;
}

export function objectKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const d = defOf(unwrap(schema));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The values a discriminated union accepts for its discriminator. */
export function discriminatorValues(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const d = defOf(unwrap(schema));
  if (d.type !== 'union' || !d.options || !d.discriminator) return [];
  const disc = d.discriminator;
  return d.options.flatMap((o) => (defOf(unwrap(o)).shape?.[disc] ? (defOf(unwrap(defOf(unwrap(o)).shape![disc]!)).values ?? []) : [])).map(String);
}

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // nothing that long is a misspelling, and distance is quadratic
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Translates schema issues into findings a person can act on. */
export function issuesToFindings(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[], written?: ReadonlyMap<string, string>): Finding[] {
  /** A number as received: with the text written when the reader could not hold it (1e400 read as Infinity). */
  const shownNumber = (at: string, n: number) => {
    const text = written?.get(at);
    return text !== undefined && text !== String(n) ? `${safeText(text)} (read as ${showValue(n)})` : showValue(n);
  };
  const out: Finding[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const at = formatPath(path as (string | number)[]);
    const received = valueAt(input, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = objectKeys(schemaAt(schema, path, input));
        const listed = issue.keys.slice(0, MAX_PER_ISSUE);
        if (issue.keys.length > listed.length) {
          out.push({ code: 'RF003', severity: 'error', path: at, message: `${issue.keys.length - listed.length} more unknown keys here (not listed)`, allowed: allowed.join(', '), fix: 'remove the keys the spec reference does not list' });
        }
        for (const key of listed) {
          const renamed = RENAMED_KEYS.get(key);
          if (renamed && allowed.includes(renamed.to)) {
            out.push({
              code: 'RF003',
              severity: 'error',
              path: formatPath([...(path as (string | number)[]), key]),
              message: `the key "${key}" was renamed to "${renamed.to}": ${renamed.why}`,
              received: showValue(valueAt(input, [...path, key])),
              allowed: allowed.join(', '),
              fix: `rename "${key}:" to "${renamed.to}:"`,
            });
            continue;
          }
          const suggestion = closest(key, allowed);
          const parent = valueAt(input, path);
          const missing = suggestion !== undefined && parent !== null && typeof parent === 'object' && !Object.hasOwn(parent, suggestion);
          out.push({
            code: 'RF003',
            severity: 'error',
            path: formatPath([...(path as (string | number)[]), key]),
            // A misspelt required key is reported once, here, not also as missing (RF004).
            message: `unknown key ${quoted(key)}${missing ? ` (and ${JSON.stringify(suggestion)} is not set)` : ''}`,
            received: showValue(valueAt(input, [...path, key])),
            allowed: allowed.join(', '),
            fix: suggestion ? `did you mean "${suggestion}"?` : 'remove the key',
          });
        }
        break;
      }
      case 'invalid_type': {
        if (received === undefined && (isRenamedTarget(input, path) || isMisspeltTarget(schema, input, path))) break; // reported once, as the written key
        if (received === undefined) {
          out.push({ code: 'RF004', severity: 'error', path: at, message: `required key is missing`, allowed: `a value of type ${issue.expected}`, fix: `add ${at.split('.').pop() ?? at}` });
        } else if (typeof received === 'number' && (issue.expected === 'number' || issue.expected === 'int')) {
          // NaN, ±Infinity, or a fraction where a whole number is needed: zod calls all of them "number".
          out.push(badNumber(at, received, shownNumber(at, received), numberBounds(schemaAt(schema, path, input))));
        } else {
          out.push({ code: 'RF002', severity: 'error', path: at, message: `expected ${issue.expected}, got ${describeType(received)}`, received: showValue(received), allowed: issue.expected, fix: `give ${at} a value of type ${issue.expected}` });
        }
        break;
      }
      case 'invalid_value': {
        if (received === undefined && isMisspeltTarget(schema, input, path)) break;
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
        const suggestion = typeof received === 'string' ? closest(received, issue.values.map(String)) : undefined;
        out.push({ code: received === undefined ? 'RF004' : 'RF002', severity: 'error', path: at, message: received === undefined ? 'required key is missing' : 'value is not one of the allowed values', received: showValue(received), allowed, fix: suggestion ? `did you mean ${JSON.stringify(suggestion)}?` : `use one of ${allowed}` });
        break;
      }
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string }).discriminator;
        if (disc !== undefined) {
          // zod 4 reports the discriminator's own path; older versions reported the union's.
          const parentPath = path[path.length - 1] === disc ? path.slice(0, -1) : path;
          const unionSchema = schemaAtUnion(schema, parentPath, input);
          const values = discriminatorValues(unionSchema);
          const got = valueAt(input, [...parentPath, disc]);
          const parent = valueAt(input, parentPath);
          const misspelt = got === undefined && parent !== null && typeof parent === 'object' ? Object.keys(parent).slice(0, MAX_PER_ISSUE).find((k) => k !== disc && closest(k, [disc]) === disc) : undefined;
          if (misspelt !== undefined) {
            out.push({ code: 'RF003', severity: 'error', path: formatPath([...(parentPath as (string | number)[]), misspelt]), message: `unknown key ${quoted(misspelt)} (and ${JSON.stringify(disc)} is not set)`, received: showValue(valueAt(input, [...parentPath, misspelt])), allowed: `${disc}: ${values.join(', ')}`, fix: `did you mean "${disc}"?` });
            break;
          }
          out.push({ code: got === undefined ? 'RF004' : 'RF002', severity: 'error', path: formatPath([...(parentPath as (string | number)[]), disc]), message: got === undefined ? `required key is missing` : `unsupported ${disc}`, received: showValue(got), allowed: values.join(', '), fix: `set ${disc} to one of: ${values.join(', ')}` });
        } else if (typeof received === 'number' && !Number.isFinite(received)) {
          // A value of several forms (an IAM condition value): say why the number is none of them.
          out.push({ ...badNumber(at, received, shownNumber(at, received), { integer: false }), allowed: `one of: ${unionForms(issue).map((t) => (t === 'number' ? 'number (finite)' : t)).join(', ')}` });
        } else {
          out.push({ code: 'RF002', severity: 'error', path: at, message: issue.message, received: showValue(received), fix: 'see the spec reference for the accepted forms' });
        }
        break;
      }
      case 'invalid_format': {
        out.push({ code: 'RF007', severity: 'error', path: at, message: `wrong format: ${issue.message}`, received: showValue(received), allowed: issue.message, fix: `write ${at} as ${issue.message}` });
        break;
      }
      case 'too_big':
      case 'too_small': {
        if (typeof received === 'number') {
          const f = numberOutOfRange(at, received, shownNumber(at, received), issue, numberBounds(schemaAt(schema, path, input)));
          if (f) out.push(f);
          break;
        }
        const isLength = typeof received === 'string';
        out.push({ code: isLength && issue.code === 'too_big' ? 'RF008' : 'RF002', severity: 'error', path: at, message: issue.message, received: showValue(received), allowed: describeBound(issue), fix: `change ${at} to fit: ${describeBound(issue)}` });
        break;
      }
      case 'custom': {
        // Refinements may say what is allowed and how to fix it (params.fix, params.allowed).
        const params = (issue.params ?? {}) as { fix?: unknown; allowed?: unknown };
        out.push({ code: 'RF002', severity: 'error', path: at, message: issue.message, received: showValue(received), ...(typeof params.allowed === 'string' ? { allowed: params.allowed } : {}), fix: typeof params.fix === 'string' ? params.fix : 'see the spec reference' });
        break;
      }
      case 'invalid_key': {
        // The key of a map is what is wrong (a label key, a variable name): show it, not its value.
        const key = String(path[path.length - 1] ?? '');
        const allowed = [...new Set(issue.issues.map((i) => i.message))].join('; ');
        out.push({ code: 'RF002', severity: 'error', path: at, message: `the key ${quoted(key)} is not ${allowed}`, received: showValue(key), allowed, fix: `rename the key to ${allowed}, or remove it` });
        break;
      }
      case 'invalid_element':
      case 'not_multiple_of': {
        out.push({ code: 'RF002', severity: 'error', path: at, message: issue.message, received: showValue(received), fix: 'see the spec reference' });
        break;
      }
      default: {
        const never: never = issue;
        throw new Error(`internal: unknown schema issue ${JSON.stringify(never)}`);
      }
    }
  }
  return out;
}

/** Unknown keys listed one by one per mapping; the rest are counted. */
const MAX_PER_ISSUE = 20;

/** True when `path` names a missing key that an unknown key of the same mapping is a misspelling of. */
function isMisspeltTarget(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  const parentPath = path.slice(0, -1);
  const parent = valueAt(input, parentPath);
  if (typeof last !== 'string' || parent === null || typeof parent !== 'object' || Array.isArray(parent)) return false;
  const allowed = objectKeys(schemaAt(schema, parentPath, input));
  const known = new Set(allowed);
  let n = 0;
  for (const k of Object.keys(parent)) {
    if (known.has(k)) continue;
    if (++n > MAX_PER_ISSUE) break; // only the listed unknown keys can carry the report
    if (closest(k, allowed) === last) return true;
  }
  return false;
}

/** True when `path` names a key whose old name is present in the same mapping. */
function isRenamedTarget(input: unknown, path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  const parent = valueAt(input, path.slice(0, -1));
  if (typeof last !== 'string' || parent === null || typeof parent !== 'object') return false;
  for (const [from, { to }] of RENAMED_KEYS) if (to === last && Object.hasOwn(parent, from)) return true;
  return false;
}

function schemaAtUnion(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): z.ZodType | undefined {
  // schemaAt would already pick an option by discriminator; here we want the union itself.
  if (path.length === 0) return unwrap(schema);
  const parent = schemaAt(schema, path.slice(0, -1), input);
  if (!parent) return undefined;
  const d = defOf(unwrap(parent));
  const last = path[path.length - 1];
  let s: z.ZodType | undefined;
  if (d.type === 'object' && d.shape && typeof last === 'string') s = d.shape[last];
  else if (d.type === 'array' && d.element) s = d.element;
  return s ? unwrap(s) : undefined;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describeBound(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : '';
  if (issue.code === 'too_big') return `at most ${String(issue.maximum)}${unit}`;
  return `at least ${String(issue.minimum)}${unit}`;
}

/** The bounds of a number schema that matter to a person (not the ±2^53 - 1 every integer has). */
interface NumberBounds {
  integer: boolean;
  min?: number;
  max?: number;
}

function numberBounds(schema: z.ZodType | undefined): NumberBounds {
  const n = schema as { minValue?: unknown; maxValue?: unknown; isInt?: unknown } | undefined;
  const bound = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const min = bound(n?.minValue);
  const max = bound(n?.maxValue);
  return { integer: n?.isInt === true, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** What a number schema accepts, in words: "a whole number from 1 to 1000". */
function describeNumber(b: NumberBounds): string {
  const kind = b.integer ? 'a whole number' : 'a finite number';
  if (b.min !== undefined && b.max !== undefined) return `${kind} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `${kind} of at least ${b.min}`;
  if (b.max !== undefined) return `${kind} of at most ${b.max}`;
  return kind;
}

/** Beyond 2^53 - 1 a YAML, JSON or JavaScript number is not read exactly. */
function inexact(n: number): string {
  return Number.isFinite(n) && Math.abs(n) > Number.MAX_SAFE_INTEGER ? ` (beyond ${Number.MAX_SAFE_INTEGER}, 2^53 - 1, numbers are not read exactly: this one reads as ${showValue(n)})` : '';
}

/** NaN, ±Infinity or a fraction where the schema wants a (whole) number. */
function badNumber(at: string, n: number, received: string, b: NumberBounds): Finding {
  const allowed = describeNumber(b);
  let message: string;
  let example = '';
  if (Number.isNaN(n)) message = 'NaN is not a number (YAML .nan, or NaN from a JavaScript spec)';
  else if (!Number.isFinite(n)) message = `${n} is not a finite number (YAML ${n > 0 ? '.inf' : '-.inf'}, a number too large to hold such as 1e400, or ${n} from a JavaScript spec)`;
  else {
    message = `${showValue(n)} is not a whole number`;
    const near = [...new Set([Math.floor(n), Math.ceil(n)])].filter((x) => (b.min === undefined || x >= b.min) && (b.max === undefined || x <= b.max));
    if (near.length > 0) example = `, such as ${near.join(' or ')}`;
  }
  return { code: 'RF002', severity: 'error', path: at, message, received, allowed, fix: `write ${at} as ${allowed}${example}` };
}

/** A number outside the schema's range; undefined for zod's own ±2^53 - 1 bound when the schema's bound also fails. */
function numberOutOfRange(at: string, n: number, received: string, issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, b: NumberBounds): Finding | undefined {
  const allowed = describeNumber(b);
  const big = issue.code === 'too_big';
  const limit = big ? b.max : b.min;
  // zod checks integers against ±(2^53 - 1) too; when the schema's own bound is tighter, that one is reported.
  if (issue.origin === 'int' && Math.abs(Number(big ? issue.maximum : issue.minimum)) === Number.MAX_SAFE_INTEGER && limit !== undefined) return undefined;
  const bound = limit ?? (big ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER);
  return { code: 'RF002', severity: 'error', path: at, message: `${showValue(n)} is ${big ? 'more' : 'less'} than ${bound}${inexact(n)}`, received, allowed, fix: `write ${at} as ${allowed}` };
}

/** The types a (nested) union accepts, from the issues of its options: string, number, boolean, array. */
function unionForms(issue: z.core.$ZodIssueInvalidUnion): string[] {
  const out = new Set<string>();
  const walk = (i: z.core.$ZodIssue) => {
    if (i.code === 'invalid_type') out.add(i.expected);
    else if (i.code === 'invalid_union') for (const e of i.errors.flat()) walk(e);
  };
  walk(issue);
  return [...out];
}
