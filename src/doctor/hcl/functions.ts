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
  try {
    return new RegExp(pattern, 'gu');
  } catch (e) {
    return `the regular expression /${pattern}/ is not read: ${e instanceof Error ? e.message : String(e)}`;
  }
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
  // try() is evaluated by the evaluator (eval.ts tryCall): it needs to tell an error from a value only apply knows.
};

/** undefined: the doctor does not evaluate this function. */
export function callFunction(name: string, args: Value[]): Value | undefined {
  const n = name.replace(/^provider::terraform::/, '');
  return Object.hasOwn(FUNCTIONS, n) ? FUNCTIONS[n]!(args) : undefined;
}
