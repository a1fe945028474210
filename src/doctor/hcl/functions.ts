import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Value } from './eval.js';
import { stringify as yamlStringify } from 'yaml';
import { yamlData } from '../yaml-data.js';
import { setOwn } from '../../emit/artifacts.js';

/**
 * The Terraform functions the doctor evaluates: the ones hand-written IAM and runner Terraform
 * uses to build names and policy documents. Arguments are fully known (the evaluator checks);
 * undefined means "not evaluated here"; a throw means the arguments are wrong.
 */

type Obj = { [k: string]: Value };

/**
 * Lists that are Terraform sets (toset(), a variable of type set(…)). A set is kept as its sorted
 * list; iterating it gives key == value (a `dynamic` iterator, a `for` expression), a list gives
 * the index.
 */
const SETS = new WeakSet<Value[]>();
export function asSet(items: Value[]): Value[] {
  SETS.add(items);
  return items;
}
export const isSet = (v: Value): boolean => Array.isArray(v) && SETS.has(v);

const isObj = (v: Value | undefined): v is Obj => v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v);

function str(v: Value | undefined, fn: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${fn} needs a string, got ${JSON.stringify(v)}`);
}

function list(v: Value | undefined, fn: string): Value[] {
  if (Array.isArray(v)) return v;
  throw new Error(`${fn} needs a list, got ${JSON.stringify(v)}`);
}

function obj(v: Value | undefined, fn: string): Obj {
  if (isObj(v)) return v;
  throw new Error(`${fn} needs a map or object, got ${JSON.stringify(v)}`);
}

/** jsonencode writes object keys in lexical order, as Terraform does. */
function sortKeys(v: Value): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k]!)]));
  return v;
}

/**
 * parseint(text, base) as Terraform documents it: a base from 2 to 62, digits 0-9 then a-z (and
 * A-Z alike up to base 36; above it, A-Z are the digits 36 to 61), an optional sign. Undefined (not
 * evaluated) for a number past JavaScript's exact integers, where Terraform keeps every digit.
 */
function parseInteger(text: Value | undefined, b: Value | undefined): Value | undefined {
  if (typeof text !== 'string') throw new Error(`parseint needs a string, got ${JSON.stringify(text)}`);
  const base = Number(b);
  if (!Number.isInteger(base) || base < 2 || base > 62) throw new Error(`parseint takes a base from 2 to 62, got ${JSON.stringify(b)}`);
  const sign = text.startsWith('-') ? -1n : 1n;
  const digits = text.replace(/^[+-]/, '');
  if (digits === '') throw new Error(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`);
  let n = 0n;
  for (const c of digits) {
    const code = c.charCodeAt(0);
    const d = c >= '0' && c <= '9' ? code - 48 : c >= 'a' && c <= 'z' ? code - 87 : c >= 'A' && c <= 'Z' ? code - 65 + (base <= 36 ? 10 : 36) : 99;
    if (d >= base) throw new Error(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`);
    n = n * BigInt(base) + BigInt(d);
  }
  const out = sign * n;
  return out <= BigInt(Number.MAX_SAFE_INTEGER) && out >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(out) : undefined;
}

/** Terraform's format verbs: %s %d %f %v %q %t %%. */
function format(spec: string, args: Value[]): string {
  let i = 0;
  return spec.replace(/%(%|[-+ #0]*\d*(?:\.\d+)?[sdfvqt])/g, (m, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) throw new Error(`format has more verbs than arguments`);
    const a = args[i++]!;
    const v = verb.slice(-1);
    if (v === 'd') return String(Math.trunc(Number(a)));
    if (v === 'q') return JSON.stringify(str(a, 'format'));
    if (v === 'v' && typeof a !== 'string') return JSON.stringify(a);
    void m;
    return str(a, 'format');
  });
}

function uniq(values: Value[]): Value[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = JSON.stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * RE2 syntax JavaScript reads otherwise or not at all: Python-style named groups `(?P<`, inline flags
 * `(?i)`, look-around and back-references (RE2 has none, so Terraform refuses them), `\A \z \Q \E \C`,
 * POSIX classes `[[:alpha:]]`, `\s` (RE2: ASCII space only). A pattern holding any of these is left
 * unevaluated rather than read differently (the check is on the text, so an escaped backslash before
 * one of them is refused too: never a wrong value, at worst an unknown one).
 */
const NOT_LIKE_RE2 = /\(\?(?:P|[=!]|<[=!]|[A-Za-z-])|\\[AzQECs1-9pP]|\[\[:/;

/**
 * Terraform's regular expression (a `replace` search string wrapped in slashes; RE2 syntax) as a
 * JavaScript RegExp, or why it is not read. The `u` flag makes `.` and classes step by code point as
 * RE2 steps by UTF-8 character, and refuses escapes JavaScript would read as a literal letter.
 */
export function re2(pattern: string): RegExp | string {
  if (NOT_LIKE_RE2.test(pattern)) return `the regular expression /${pattern}/ uses syntax the doctor does not read the way RE2 does`;
  // RE2 matches in linear time; JavaScript backtracks, and a repeated group that itself repeats or
  // alternates (`(a+)+`, `(a|aa)*`) can take exponential time on a short text. Not evaluated.
  if (backtracks(pattern)) return `the regular expression /${pattern}/ repeats a group that repeats or alternates, which the doctor's engine (unlike RE2) may take exponential time on`;
  try {
    return new RegExp(pattern, 'gu');
  } catch (e) {
    return `the regular expression /${pattern}/ is not read: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Whether a pattern repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) a group that holds a repetition or an alternation. */
function backtracks(pattern: string): boolean {
  // Per open group: whether it holds a quantifier or a `|`.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const risky = stack.pop() ?? false;
      const next = pattern.slice(i + 1);
      const repeated = /^(?:[*+]|\{\d*,\d*\}|\{\d*[2-9]\d*\})/.test(next);
      if (risky && repeated) return true;
      // The group (repeated or not) makes the group around it hold a repetition too.
      if (stack.length > 0 && (risky || repeated || next.startsWith('?'))) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|' || c === '?') && stack.length > 0) stack[stack.length - 1] = true;
  }
  return false;
}

/**
 * Go's Regexp.Expand, which Terraform's replace uses for the replacement of a regular expression:
 * `$1`, `${1}`, `$name`, `${name}` (a name is the longest run of letters, digits and `_`), `$$` a
 * dollar; a group that does not exist or did not take part is empty; a malformed `$` stays as it is.
 */
function expand(template: string, groups: (string | undefined)[], named: Record<string, string | undefined> | undefined): string {
  return template.replace(/\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))?/g, (m, braced: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) return '$';
    if (/^\d+$/.test(name)) return groups[Number(name)] ?? '';
    return named !== undefined && Object.hasOwn(named, name) ? (named[name] ?? '') : '';
  });
}

/**
 * Terraform's replace(string, search, replacement): a search wrapped in slashes is a regular
 * expression (https://developer.hashicorp.com/terraform/language/functions/replace), else every
 * occurrence of the text.
 */
export function replaceText(s: string, sub: string, rep: string): string {
  const m = /^\/(.*)\/$/s.exec(sub);
  if (!m) return s.split(sub).join(rep);
  const re = re2(m[1]!);
  if (typeof re === 'string') throw new Error(re);
  let after = -1;
  return s.replace(re, (...args: unknown[]) => {
    const named = typeof args[args.length - 1] === 'object' ? (args[args.length - 1] as Record<string, string | undefined>) : undefined;
    const end = named !== undefined ? args.length - 3 : args.length - 2;
    const match = args[0] as string;
    const offset = args[end] as number;
    // Go skips an empty match right after a match; JavaScript replaces it: not read the same, so not read.
    if (match === '' && offset === after) throw new Error(`the regular expression ${sub} matches empty text right after a match, which RE2 and JavaScript replace differently`);
    if (match !== '') after = offset + match.length;
    return expand(rep, args.slice(0, end) as (string | undefined)[], named);
  });
}

function num(v: Value | undefined, fn: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new Error(`${fn} needs a number, got ${JSON.stringify(v)}`);
}

/** A whole number, for the arguments Terraform takes as integers (slice, indent, cidrsubnet). */
function int(v: Value | undefined, fn: string): number {
  const n = num(v, fn);
  if (!Number.isInteger(n)) throw new Error(`${fn} needs a whole number, got ${JSON.stringify(v)}`);
  return n;
}

/** An element of alltrue/anytrue: a bool, or the strings "true"/"false" Terraform converts; null is not evaluated. */
function bool(v: Value, fn: string): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  if (v === null) return undefined;
  throw new Error(`${fn} needs a list of bools, got ${JSON.stringify(v)}`);
}

/**
 * The elements of setunion/setintersection/setsubtract as a Terraform set: strings in lexical order,
 * numbers in numeric order; undefined (not evaluated) for other or mixed element types, whose
 * conversion and order the doctor does not model.
 */
function typedSet(items: Value[]): Value[] | undefined {
  const u = uniq(items);
  if (u.every((x) => typeof x === 'string')) return asSet(u.sort());
  if (u.every((x) => typeof x === 'number')) return asSet(u.sort((a, b) => a - b));
  return undefined;
}

function setArgs(a: Value[], fn: string): Value[][] {
  if (a.length === 0) throw new Error(`${fn} needs at least one set`);
  return a.map((x) => list(x, fn));
}

const finite = (n: number): number | undefined => (Number.isFinite(n) ? n : undefined);

const keyOf = (v: Value): string => JSON.stringify(v);

/**
 * Go's separator for strings.Title: an ASCII character other than a letter, digit or `_`; beyond
 * ASCII, a space only (a dash or a symbol there joins the word).
 */
const separates = (c: string): boolean => (c.charCodeAt(0) < 0x80 ? !/[A-Za-z0-9_]/.test(c) : /\s/u.test(c) && !/[\p{L}\p{Nd}]/u.test(c));

/**
 * title() as Go's strings.Title, which Terraform uses: a letter after a separator takes its upper
 * case; nothing else changes. Undefined (not evaluated) for the few letters whose title case is not
 * their upper case (ǆ, ß …).
 */
function title(s: string): string | undefined {
  let out = '';
  let prev = ' ';
  for (const c of s) {
    if (separates(prev) && /\p{L}/u.test(c)) {
      const up = c.toUpperCase();
      if ([...up].length !== 1 || /[\u01C4-\u01CC\u01F1-\u01F3]/u.test(c)) return undefined;
      out += up;
    } else out += c;
    prev = c;
  }
  return out;
}

/** Go's url.QueryEscape, which Terraform's urlencode is: A-Z a-z 0-9 - _ . ~ stay, a space is +, every other UTF-8 byte %XX. */
function urlencode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** range(limit), range(start, limit), range(start, limit, step), as Terraform documents it, at most 1024 numbers. */
function range(a: Value[]): Value[] {
  if (a.length < 1 || a.length > 3) throw new Error(`range takes 1 to 3 numbers, got ${a.length}`);
  const [start, limit] = a.length === 1 ? [0, num(a[0], 'range')] : [num(a[0], 'range'), num(a[1], 'range')];
  const step = a.length === 3 ? num(a[2], 'range') : limit < start ? -1 : 1;
  if (step === 0) throw new Error('range: the step must not be zero');
  const out: number[] = [];
  for (let n = start; step > 0 ? n < limit : n > limit; n += step) {
    if (out.length === 1024) throw new Error('range: more than 1024 numbers');
    out.push(n);
  }
  return out;
}

/**
 * Terraform's regex()/regexall() pattern: RE2 syntax read as JavaScript where both read it alike
 * (`(?P<name>` is JavaScript's `(?<name>`); undefined for anything else (see NOT_LIKE_RE2).
 */
function regexPattern(pattern: string, fn: string): RegExp | undefined {
  // `(?P<` is translated only where it opens a group: not escaped (`\(?P<` is a literal parenthesis), not in a class.
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      // A `]` first in a class is a literal one.
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) return undefined;
      out += c;
    } else if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else out += c;
  }
  const re = re2(out);
  if (typeof re === 'string') return undefined;
  // Terraform refuses a pattern mixing named and unnamed groups whether it matches or not.
  const probe = new RegExp(`(?:${out})|`, 'u').exec('')!;
  const named = probe.groups === undefined ? 0 : Object.keys(probe.groups).length;
  if (named > 0 && named !== probe.length - 1) throw new Error(`${fn}: a pattern cannot mix named and unnamed capture groups`);
  return re;
}

/**
 * One match in the shape the regex function documents: the matched text without capture groups,
 * the list of groups when unnamed, the map of groups when named. Undefined when a group took no part
 * in the match (the doctor does not model the value Terraform gives it).
 */
function matchShape(m: RegExpExecArray): Value | undefined {
  if (m.length === 1) return m[0];
  const names = m.groups === undefined ? [] : Object.keys(m.groups);
  if (m.slice(1).some((g) => g === undefined)) return undefined;
  if (names.length === 0) return m.slice(1);
  const out: Obj = {};
  for (const k of names) setOwn(out, k, m.groups![k]!);
  return out;
}

/**
 * Every match, as Go's FindAllStringSubmatch: an empty match right after a match is skipped
 * (JavaScript would report it).
 */
function regexAll(re: RegExp, s: string): Value[] | undefined {
  const out: Value[] = [];
  let after = -1;
  for (const m of s.matchAll(re)) {
    if (m[0] === '' && m.index === after) continue;
    if (m[0] !== '') after = m.index + m[0].length;
    const v = matchShape(m);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** An IPv4 CIDR prefix as [address, prefix length]; undefined for IPv6 (not evaluated). */
function ipv4Prefix(v: Value | undefined, fn: string): [number, number] | undefined {
  const text = str(v, fn);
  if (text.includes(':')) return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const parts = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : 99;
  if (!m || parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0'))) || bits > 32) throw new Error(`${fn}: invalid CIDR address ${JSON.stringify(text)}, expected a.b.c.d/n`);
  const addr = parts.reduce((acc, p) => acc * 256 + p, 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return [Number(BigInt(addr) & BigInt(mask)), bits];
}

const ipv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

function cidrsubnet(a: Value[]): Value | undefined {
  const p = ipv4Prefix(a[0], 'cidrsubnet');
  if (p === undefined) return undefined;
  const newbits = int(a[1], 'cidrsubnet');
  const netnum = int(a[2], 'cidrsubnet');
  const len = p[1] + newbits;
  if (newbits < 0 || len > 32) throw new Error(`cidrsubnet: ${newbits} new bits on a /${p[1]} prefix make more than 32 bits`);
  if (netnum < 0 || netnum >= 2 ** newbits) throw new Error(`cidrsubnet: prefix extension of ${newbits} bits does not accommodate a subnet numbered ${netnum}`);
  return `${ipv4(p[0] + netnum * 2 ** (32 - len))}/${len}`;
}

function cidrhost(a: Value[]): Value | undefined {
  const p = ipv4Prefix(a[0], 'cidrhost');
  if (p === undefined) return undefined;
  let host = int(a[1], 'cidrhost');
  const size = 2 ** (32 - p[1]);
  if (host < 0) host += size;
  if (host < 0 || host >= size) throw new Error(`cidrhost: prefix of ${p[1]} bits does not accommodate host number ${JSON.stringify(a[1])}`);
  return ipv4(p[0] + host);
}

const hash = (algo: string, enc: 'hex' | 'base64') => (a: Value[]) => createHash(algo).update(str(a[0], algo), 'utf8').digest(enc);

const FUNCTIONS: Record<string, (a: Value[]) => Value | undefined> = {
  jsonencode: (a) => JSON.stringify(sortKeys(a[0]!)),
  // Block YAML with sorted keys, as Terraform writes it; strings a YAML 1.1 reader would take for
  // another type (yes, on, 0x1f) are quoted, so the text reads back as the same data either way.
  yamlencode: (a) => yamlStringify(sortKeys(a[0]!), { version: '1.1', lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false }),
  yamldecode: (a) => yamlData(str(a[0], 'yamldecode'), '1.2') as Value,
  jsondecode: (a) => JSON.parse(str(a[0], 'jsondecode')) as Value,
  replace: (a) => replaceText(str(a[0], 'replace'), str(a[1], 'replace'), str(a[2], 'replace')),
  format: (a) => format(str(a[0], 'format'), a.slice(1)),
  formatlist: (a) => {
    const lists = a.slice(1);
    const n = Math.max(0, ...lists.map((x) => (Array.isArray(x) ? x.length : 0)));
    return Array.from({ length: n }, (_, i) => format(str(a[0], 'formatlist'), lists.map((x) => (Array.isArray(x) ? x[i]! : x))));
  },
  lower: (a) => str(a[0], 'lower').toLowerCase(),
  upper: (a) => str(a[0], 'upper').toUpperCase(),
  trimspace: (a) => str(a[0], 'trimspace').trim(),
  trimprefix: (a) => {
    const s = str(a[0], 'trimprefix');
    const p = str(a[1], 'trimprefix');
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimsuffix: (a) => {
    const s = str(a[0], 'trimsuffix');
    const p = str(a[1], 'trimsuffix');
    return p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s;
  },
  startswith: (a) => str(a[0], 'startswith').startsWith(str(a[1], 'startswith')),
  endswith: (a) => str(a[0], 'endswith').endsWith(str(a[1], 'endswith')),
  substr: (a) => {
    const s = str(a[0], 'substr');
    const off = Number(a[1]);
    const len = Number(a[2]);
    return s.substr(off < 0 ? s.length + off : off, len < 0 ? undefined : len);
  },
  join: (a) => list(a[1], 'join').map((x) => str(x, 'join')).join(str(a[0], 'join')),
  split: (a) => str(a[1], 'split').split(str(a[0], 'split')),
  concat: (a) => a.flatMap((x) => list(x, 'concat')),
  merge: (a) => {
    const out: Obj = {};
    // Key by key as own properties: Object.assign would make a `__proto__` key the prototype.
    for (const x of a) if (x !== null) for (const [k, v] of Object.entries(obj(x, 'merge'))) setOwn(out, k, v);
    return out;
  },
  tolist: (a) => [...list(a[0], 'tolist')],
  toset: (a) => {
    const items = uniq(list(a[0], 'toset'));
    return asSet(items.every((x) => typeof x === 'string') ? [...items].sort() : items);
  },
  tomap: (a) => ({ ...obj(a[0], 'tomap') }),
  tostring: (a) => (a[0] === null ? null : str(a[0], 'tostring')),
  tonumber: (a) => {
    if (a[0] === null) return null;
    const n = Number(a[0]);
    if (Number.isNaN(n)) throw new Error(`tonumber cannot convert ${JSON.stringify(a[0])}`);
    return n;
  },
  tobool: (a) => (a[0] === null ? null : a[0] === true || a[0] === 'true'),
  parseint: (a) => parseInteger(a[0], a[1]),
  length: (a) => (typeof a[0] === 'string' ? [...a[0]].length : Array.isArray(a[0]) ? a[0].length : Object.keys(obj(a[0], 'length')).length),
  element: (a) => {
    const l = list(a[0], 'element');
    if (l.length === 0) throw new Error('element of an empty list');
    return l[Number(a[1]) % l.length]!;
  },
  keys: (a) => Object.keys(obj(a[0], 'keys')).sort(),
  values: (a) => {
    const o = obj(a[0], 'values');
    return Object.keys(o).sort().map((k) => o[k]!);
  },
  lookup: (a) => {
    const o = obj(a[0], 'lookup');
    const k = str(a[1], 'lookup');
    if (k in o) return o[k]!;
    if (a.length > 2) return a[2]!;
    throw new Error(`lookup: no key ${k}`);
  },
  contains: (a) => list(a[0], 'contains').some((x) => JSON.stringify(x) === JSON.stringify(a[1])),
  distinct: (a) => uniq(list(a[0], 'distinct')),
  flatten: (a) => {
    const flat = (v: Value): Value[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
    return flat(list(a[0], 'flatten'));
  },
  compact: (a) => list(a[0], 'compact').filter((x) => x !== null && x !== ''),
  coalesce: (a) => {
    const v = a.find((x) => x !== null && x !== '');
    if (v === undefined) throw new Error('coalesce: every argument is null or empty');
    return v;
  },
  coalescelist: (a) => a.find((x) => Array.isArray(x) && x.length > 0) ?? [],
  sort: (a) => list(a[0], 'sort').map((x) => str(x, 'sort')).sort(),
  reverse: (a) => [...list(a[0], 'reverse')].reverse(),
  zipmap: (a) => {
    const k = list(a[0], 'zipmap');
    const v = list(a[1], 'zipmap');
    const out: Obj = {};
    k.forEach((x, i) => (out[str(x, 'zipmap')] = v[i] ?? null));
    return out;
  },
  // User data of launch templates and instances: base64 of the text's UTF-8 bytes, as Terraform does.
  base64encode: (a) => Buffer.from(str(a[0], 'base64encode'), 'utf8').toString('base64'),
  // Compressed user data (cloud-init reads gzip): Go's gzip and zlib write different bytes for one
  // text, so the value is not Terraform's byte for byte; the user data reader only decompresses it.
  base64gzip: (a) => gzipSync(Buffer.from(str(a[0], 'base64gzip'), 'utf8')).toString('base64'),
  base64decode: (a) => {
    const text = str(a[0], 'base64decode');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('base64decode needs base64 text');
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64'));
  },
  min: (a) => Math.min(...a.map(Number)),
  max: (a) => Math.max(...a.map(Number)),
  abs: (a) => Math.abs(Number(a[0])),
  floor: (a) => Math.floor(num(a[0], 'floor')),
  ceil: (a) => Math.ceil(num(a[0], 'ceil')),
  signum: (a) => Math.sign(num(a[0], 'signum')),
  // An infinite or undefined result (pow(0, -1), log(0, 10)) is not evaluated: JSON has no number for it.
  pow: (a) => finite(num(a[0], 'pow') ** num(a[1], 'pow')),
  log: (a) => finite(Math.log(num(a[0], 'log')) / Math.log(num(a[1], 'log'))),
  title: (a) => title(str(a[0], 'title')),
  // Every newline sequence (\n, \r\n, \r) at the end goes.
  chomp: (a) => str(a[0], 'chomp').replace(/(?:\r\n?|\n)+$/, ''),
  // Each line after the first gains the spaces (a newline at the end too).
  indent: (a) => {
    const n = int(a[0], 'indent');
    if (n < 0) throw new Error(`indent needs a count of spaces, got ${n}`);
    return str(a[1], 'indent').split('\n').join(`\n${' '.repeat(n)}`);
  },
  trim: (a) => {
    const cut = new Set(str(a[1], 'trim'));
    const cs = [...str(a[0], 'trim')];
    let i = 0;
    let j = cs.length;
    while (i < j && cut.has(cs[i]!)) i++;
    while (j > i && cut.has(cs[j - 1]!)) j--;
    return cs.slice(i, j).join('');
  },
  // By user-perceived character (grapheme cluster), as Terraform reverses: "é" written as e + accent stays whole.
  strrev: (a) => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(str(a[0], 'strrev'))].map((x) => x.segment).reverse().join(''),
  alltrue: (a) => {
    const bs = list(a[0], 'alltrue').map((x) => bool(x, 'alltrue'));
    return bs.includes(undefined) ? undefined : bs.every((x) => x);
  },
  anytrue: (a) => {
    const bs = list(a[0], 'anytrue').map((x) => bool(x, 'anytrue'));
    return bs.includes(undefined) ? undefined : bs.some((x) => x);
  },
  sum: (a) => {
    const l = list(a[0], 'sum');
    if (l.length === 0) throw new Error('sum of an empty list');
    return l.reduce<number>((acc, x) => acc + num(x, 'sum'), 0);
  },
  one: (a) => {
    const l = list(a[0], 'one');
    if (l.length > 1) throw new Error(`one needs a list of at most one element, got ${l.length}`);
    return l.length === 1 ? l[0]! : null;
  },
  slice: (a) => {
    const l = list(a[0], 'slice');
    const from = int(a[1], 'slice');
    const to = int(a[2], 'slice');
    if (from < 0 || to > l.length || from > to) throw new Error(`slice(${from}, ${to}) is out of the list's ${l.length} elements (0 <= start <= end <= length)`);
    return l.slice(from, to);
  },
  range: (a) => range(a),
  setunion: (a) => typedSet(setArgs(a, 'setunion').flat()),
  setintersection: (a) => {
    const [first, ...rest] = setArgs(a, 'setintersection');
    const others = rest.map((l) => new Set(l.map(keyOf)));
    return typedSet(first!.filter((x) => others.every((o) => o.has(keyOf(x)))));
  },
  setsubtract: (a) => {
    if (a.length !== 2) throw new Error(`setsubtract takes two sets, got ${a.length}`);
    const drop = new Set(list(a[1], 'setsubtract').map(keyOf));
    return typedSet(list(a[0], 'setsubtract').filter((x) => !drop.has(keyOf(x))));
  },
  // transpose(map of lists of strings): each string becomes a key listing the keys it was under, in key order.
  transpose: (a) => {
    const m = obj(a[0], 'transpose');
    const out: Record<string, string[]> = {};
    for (const k of Object.keys(m).sort()) for (const v of list(m[k], 'transpose')) {
      const s = str(v, 'transpose');
      if (Object.hasOwn(out, s)) out[s]!.push(k);
      else setOwn(out, s, [k]);
    }
    return out;
  },
  // Sensitivity is not modelled by the value: the value itself, as Terraform's result is.
  sensitive: (a) => a[0]!,
  nonsensitive: (a) => a[0]!,
  md5: hash('md5', 'hex'),
  sha1: hash('sha1', 'hex'),
  sha256: hash('sha256', 'hex'),
  sha512: hash('sha512', 'hex'),
  base64sha256: hash('sha256', 'base64'),
  base64sha512: hash('sha512', 'base64'),
  urlencode: (a) => urlencode(str(a[0], 'urlencode')),
  regex: (a) => {
    const re = regexPattern(str(a[0], 'regex'), 'regex');
    if (re === undefined) return undefined;
    const m = re.exec(str(a[1], 'regex'));
    if (m === null) throw new Error(`regex: the pattern ${JSON.stringify(a[0])} does not match ${JSON.stringify(a[1])}`);
    return matchShape(m);
  },
  regexall: (a) => {
    const re = regexPattern(str(a[0], 'regexall'), 'regexall');
    return re === undefined ? undefined : regexAll(re, str(a[1], 'regexall'));
  },
  cidrsubnet: (a) => cidrsubnet(a),
  cidrhost: (a) => cidrhost(a),
  // try() is evaluated by the evaluator (eval.ts tryCall): it needs to tell an error from a value only apply knows.
};

/** undefined: the doctor does not evaluate this function. */
export function callFunction(name: string, args: Value[]): Value | undefined {
  const n = name.replace(/^provider::terraform::/, '');
  return Object.hasOwn(FUNCTIONS, n) ? FUNCTIONS[n]!(args) : undefined;
}
