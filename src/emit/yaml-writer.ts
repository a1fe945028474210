/**
 * A direct YAML writer for the documents runner-fleet emits: plain objects, arrays, strings,
 * numbers, booleans and null. It writes, byte for byte, what the `yaml` library writes with
 * `{ version: '1.1', lineWidth: 0 }` and every ambiguous single-line string double-quoted
 * (serialize.ts), but without building a Document tree first, which cost most of `synth` at
 * 1,000 runners. test/yaml-writer.test.ts compares both on thousands of generated values and
 * parses every output back with the real parser (YAML 1.1 and 1.2).
 *
 * One deliberate difference: characters a YAML 1.1 reader (libyaml in GitLab, go-yaml in Helm
 * and kubectl) does not accept raw or reads as a line break — C1 controls U+007F–U+009F
 * (including NEL), U+2028, U+2029, U+FEFF — are always written escaped inside double quotes.
 * The library writes them raw. Two more fixes over the library, both found by the round-trip
 * test: a key `<<` is quoted (plain, YAML 1.1 readers take it for a merge key), and a string of
 * only blanks and line breaks is quoted (as a block scalar its blanks were lost).
 *
 * Anything else (a scalar document, a Map, a class instance, a key too long for an implicit
 * key) makes `writeYaml` return undefined, and the caller falls back to the library.
 */

import { flat } from './flat.js';

const STEP = '  ';

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('unsupported by the direct YAML writer');

/** `isAmbiguous(s)`: s, written plain, reads as something other than s in YAML 1.1 or 1.2. */
export function writeYaml(doc: unknown, isAmbiguous: (s: string) => boolean): string | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  try {
    return flat(`${new Writer(isAmbiguous).node(doc, '')}\n`);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

// Characters that force double quotes: C0 controls but tab and line feed, C1 controls and DEL,
// lone surrogates (the library's rule), plus U+2028, U+2029 and U+FEFF (see above).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_DOUBLE = /[\0-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\p{Cs}/u;
// Raw characters JSON.stringify leaves alone that YAML 1.1 readers must see escaped.
const ESCAPE_AFTER_JSON = /[\x7f-\x9f\u2028\u2029\ufeff]/g;
const AFTER_JSON: ReadonlyMap<string, string> = new Map([
  ['\x85', '\\N'],
  ['\u2028', '\\L'],
  ['\u2029', '\\P'],
  ['\ufeff', '\\ufeff'],
]);

// A plain scalar may not start with an indicator (or with `? `/`- `, or be `?`/`-` alone),
// may not contain `: ` or ` #` or a space before a line break, and may not end in a space or `:`.
const PLAIN_UNSAFE = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
// `%`, `---` or `...` at a line start would read as a directive or a document marker.
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/m;
// Simple strings (the vast majority) take one test: a letter, then name-like characters.
const SIMPLE = /^[A-Za-z][A-Za-z0-9_./=+@-]*$/;
const BOOL_OR_NULL = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
// A quoted-style multi-line string can't have whitespace next to a line break in single quotes.
const WS_AT_BREAK = /[ \t]\n|\n[ \t]/;
// Multi-line strings ending in a line of only blanks cannot be block scalars.
const BLANK_LAST_LINE = /\n[\t ]+$/;
const ONLY_BLANKS_WITH_SPACE = /^[\t\n ]*[\t ][\t\n ]*$/;
const MIN_MULTILINE_DOUBLE = 40;

class Writer {
  constructor(private readonly isAmbiguous: (s: string) => boolean) {}

  /** A value whose own lines after the first are indented by `indent`. */
  node(v: unknown, indent: string): string {
    switch (typeof v) {
      case 'string':
        return this.string(v, indent, false);
      case 'number':
        return number(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'undefined':
        // An array hole or undefined item; the library writes null (as JSON does).
        return 'null';
      case 'object': {
        if (v === null) return 'null';
        if (Array.isArray(v)) return this.seq(v, indent);
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) throw UNSUPPORTED;
        return this.map(v as Record<string, unknown>, indent);
      }
      case 'bigint':
      case 'function':
      case 'symbol':
        throw UNSUPPORTED;
    }
  }

  private seq(items: readonly unknown[], indent: string): string {
    if (items.length === 0) return '[]';
    const itemIndent = indent + STEP;
    let out = '';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += `\n${indent}`;
      out += `- ${this.node(items[i], itemIndent)}`;
    }
    return out;
  }

  private map(obj: Record<string, unknown>, indent: string): string {
    const inner = indent + STEP;
    let out = '';
    let first = true;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      // Like the library (and JSON), an undefined value leaves its key out.
      if (v === undefined) continue;
      const k = this.string(key, inner, true);
      // Longer implicit keys are not allowed; the library writes an explicit `? key`.
      if (k.length > 1024) throw UNSUPPORTED;
      if (!first) out += `\n${indent}`;
      first = false;
      const text = this.node(v, inner);
      // A collection with entries starts on the next line; an empty one (`{}`, `[]`) stays inline.
      const nested = typeof v === 'object' && v !== null && text !== '{}' && text !== '[]';
      out += `${k}:${nested ? `\n${inner}` : ' '}${text}`;
    }
    return first ? '{}' : out;
  }

  /** A string scalar; `indent` is that of its own continuation lines. */
  private string(s: string, indent: string, implicitKey: boolean): string {
    if (SIMPLE.test(s) && !BOOL_OR_NULL.test(s)) return s;
    if (implicitKey && s === '<<') return '"<<"';
    const multiLine = s.includes('\n');
    if (NEEDS_DOUBLE.test(s) || (!multiLine && this.isAmbiguous(s))) return doubleQuoted(s, indent, implicitKey);
    if (implicitKey && multiLine) return quoted(s, indent, implicitKey);
    if (PLAIN_UNSAFE.test(s)) return implicitKey || !multiLine ? quoted(s, indent, implicitKey) : block(s, indent);
    if (multiLine) return block(s, indent);
    // A top-level key must not look like a directive or a document marker.
    if (implicitKey && indent === STEP && DOCUMENT_MARKER.test(s)) return quoted(s, indent, implicitKey);
    return s;
  }
}

function number(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n < 0 ? '-.inf' : '.inf';
  if (Object.is(n, -0)) return '-0';
  return Number.isInteger(n) ? n.toString(10) : JSON.stringify(n);
}

/** The library's choice between quote styles: single quotes only to avoid escaping `"`. */
function quoted(s: string, indent: string, implicitKey: boolean): string {
  return s.includes('"') && !s.includes("'") ? singleQuoted(s, indent, implicitKey) : doubleQuoted(s, indent, implicitKey);
}

function singleQuoted(s: string, indent: string, implicitKey: boolean): string {
  if ((implicitKey && s.includes('\n')) || WS_AT_BREAK.test(s)) return doubleQuoted(s, indent, implicitKey);
  const ind = indent || (DOCUMENT_MARKER.test(s) ? STEP : '');
  // In single quotes a line break is folded: n breaks are written as n + 1.
  return `'${s.replace(/'/g, "''").replace(/\n+/g, (m) => `${m}\n${ind}`)}'`;
}

/**
 * JSON's escapes are YAML's, with YAML's short forms for some controls. Outside keys, a long
 * string's line breaks are written as real (folded) line breaks, as the library does.
 */
function doubleQuoted(s: string, indent: string, implicitKey: boolean): string {
  const json = JSON.stringify(s);
  const ind = indent !== '' ? indent : DOCUMENT_MARKER.test(s) ? STEP : '';
  const fold = !implicitKey && json.length >= MIN_MULTILINE_DOUBLE;
  let out = '';
  let start = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x20 /* space */ && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // A space before a line break would be folded away: escape it.
      out += `${json.slice(start, i)}\\ `;
      start = i + 1;
      continue;
    }
    if (ch !== 0x5c /* backslash */) continue;
    const next = json[i + 1];
    if (next === 'u') {
      const code = json.slice(i + 2, i + 6);
      out += `${json.slice(start, i)}${shortEscape(code) ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : json.slice(i, i + 6))}`;
      i += 5;
      start = i + 1;
    } else if (next === 'n' && fold && json[i + 2] !== '"') {
      // A folded line break is written as two; every further break as one more.
      out += `${json.slice(start, i)}\n\n`;
      while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
        out += '\n';
        i += 2;
      }
      out += ind;
      // A space at the start of a continuation line would be folded away: escape it.
      if (json[i + 2] === ' ') out += '\\';
      i += 1;
      start = i + 1;
    } else {
      i += 1;
    }
  }
  out += json.slice(start);
  return out.replace(ESCAPE_AFTER_JSON, (c) => AFTER_JSON.get(c) ?? `\\x${c.charCodeAt(0).toString(16)}`);
}

function shortEscape(code: string): string | undefined {
  switch (code) {
    case '0000':
      return '\\0';
    case '0007':
      return '\\a';
    case '000b':
      return '\\v';
    case '001b':
      return '\\e';
    default:
      return undefined;
  }
}

/** A literal block scalar (`|`), with the chomping and indentation indicators it needs. */
function block(s: string, indent: string): string {
  if (BLANK_LAST_LINE.test(s) || ONLY_BLANKS_WITH_SPACE.test(s)) return quoted(s, indent, false);
  // Trailing blanks and line breaks decide the chomping indicator.
  let endStart = s.length;
  while (endStart > 0) {
    const c = s[endStart - 1];
    if (c !== '\n' && c !== '\t' && c !== ' ') break;
    endStart--;
  }
  let end = s.slice(endStart);
  const firstBreak = end.indexOf('\n');
  const chomp = firstBreak === -1 ? '-' : s === end || firstBreak !== end.length - 1 ? '+' : '';
  let body = s;
  if (end) {
    body = s.slice(0, endStart);
    if (end.endsWith('\n')) end = end.slice(0, -1);
    // Line breaks inside the tail (not at its very end) start an indented line.
    end = end.replace(/(^|(?<!\n))\n+(?!\n|$)/g, (m) => `${m}${indent}`);
  }
  // Leading blank lines are kept as they are; a leading space needs an indentation indicator.
  let startWithSpace = false;
  let startEnd = 0;
  let lastLeadingBreak = -1;
  for (; startEnd < body.length; startEnd++) {
    const c = body[startEnd];
    if (c === ' ') startWithSpace = true;
    else if (c === '\n') lastLeadingBreak = startEnd;
    else break;
  }
  let start = body.slice(0, lastLeadingBreak + 1);
  if (start) {
    body = body.slice(start.length);
    start = start.replace(/\n+/g, (m) => `${m}${indent}`);
  }
  const header = `${startWithSpace ? (indent ? '2' : '1') : ''}${chomp}`;
  return `|${header}\n${indent}${start}${body.replace(/\n+/g, (m) => `${m}${indent}`)}${end}`;
}
