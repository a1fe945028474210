/**
 * A fast reader for the plain block YAML that generators write (runner-fleet's synth output, Helm
 * values, kubectl's `-o yaml`): block mappings and sequences, plain, quoted and `|` / `|-` block
 * scalars, comments, `---` between documents. It gives the values the `yaml` library gives under
 * YAML 1.2's core schema, or `undefined` for anything else (anchors, aliases, tags, flow
 * collections other than one-line sequences of scalars, `{}` and, for fleet specs, one-line flow
 * mappings; multi-line plain or quoted scalars, folded scalars, tabs,
 * duplicate keys, non-string keys, anything invalid), and the caller then uses the library, which
 * also reports positions and errors. Positions in a plain-read file come from `plainYamlLocator`
 * (the library's node ranges, found by a walk along the path), or the library where it says so.
 *
 * Why: the library builds a full syntax tree per file; over the ~750 YAML files of a 150-runner
 * fleet that was about half of the doctor's CPU, and reading a 1,000-runner spec took 0.3-1 s.
 * test/plain-yaml.test.ts compares both readers on every example's output and spec, the doctor
 * corpus, tables of edge cases and seeded damages of the example specs, and the locator with the
 * library and with the first reader's offset tables (test/helpers/plain-yaml-oracle.ts).
 */

/** Thrown (one preallocated instance, no stack per throw) when the text is not plain YAML; never leaves this module. */
class NotPlain extends Error {}
const BAIL = new NotPlain('not plain YAML');

/** Nesting beyond this is left to the library (and the reader's depth check). */
const MAX_NESTING = 100;

export interface PlainYamlOptions {
  /**
   * Also read one-line flow mappings of plain keys and scalar or flow-sequence values (`{ name:
   * shared, tags: [a, b] }`), alone or as items of a one-line flow sequence, as hand-written
   * fleet specs use them. Off for the doctor: its locator does not descend into them.
   */
  flowMappings?: boolean;
}

export function readPlainYaml(text: string, options: PlainYamlOptions = {}): unknown[] | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new Reader(text, false, options.flowMappings === true).documents();
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

/**
 * Positions in a file `readPlainYaml` read: the start offset of the value at a path, as the `yaml`
 * library's node ranges say (a mapping at its first key, a sequence at its first `-`, a scalar at
 * its first character, `|` at the indicator). Only the lines along the path are looked at: no
 * value is built, so a finding's position costs a scan, not a second read of the file.
 */
export interface PlainLocator {
  /** The start offset of the value at `path` in document `doc` (or its nearest existing ancestor); undefined: ask the library (an empty value, or inside a flow sequence). */
  locate(doc: number, path: readonly (string | number)[]): number | undefined;
  /**
   * The same, and how many elements of the path lead there (fewer than all: a part is missing, or a
   * scalar is reached), and `key`: the offset of the key of the last element reached, where that is a
   * key of a block mapping.
   */
  locateDeep(doc: number, path: readonly (string | number)[]): { offset: number; consumed: number; key?: number } | undefined;
}

/** A locator over a text that `readPlainYaml` read (for any other text its answers mean nothing). */
export function plainYamlLocator(text: string): PlainLocator {
  const r = new Reader(text, true);
  return { locate: (doc, path) => r.locateDeep(doc, path)?.offset, locateDeep: (doc, path) => r.locateDeep(doc, path) };
}

const SPACE = 32;
const HASH = 35;

/** Characters a plain scalar or key may not start with (in block context). */
const INDICATOR = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);
const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
const ESCAPES: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Where a value starts, and what kind of node it is (a block mapping or sequence at `line`/`col`, a flow sequence, or nothing to descend into). */
type Place = { kind: 'map' | 'seq'; line: number; col: number; offset: number } | { kind: 'flow'; length: number; offset: number } | { kind: 'leaf'; offset: number | undefined };

class Reader {
  readonly text: string;
  readonly lines: string[];
  readonly indent: number[];
  readonly n: number;
  /** Line start offsets (only a locator needs them). */
  readonly lineStarts: number[] = [];
  /** The line after the node just read (set by every read). */
  #next = 0;
  /** The column after the colon of the key `#key` just read. */
  #after = 0;
  readonly #flowMappings: boolean;
  /** Locating: the keys and the items of the blocks located in so far, by their first line and column (#keysOf, #itemsOf). */
  readonly #keyLines = new Map<string, Map<string, number>>();
  readonly #itemLines = new Map<string, number[]>();

  constructor(text: string, locating: boolean, flowMappings = false) {
    this.text = text;
    this.#flowMappings = flowMappings;
    this.lines = text.split('\n');
    if (locating) {
      let at = 0;
      for (const l of this.lines) {
        this.lineStarts.push(at);
        at += l.length + 1;
      }
    }
    this.n = this.lines.length;
    this.indent = this.lines.map((l) => {
      let k = 0;
      while (l.charCodeAt(k) === SPACE) k++;
      return k;
    });
  }

  /** Blank (spaces only) or a comment line. */
  #skippable(j: number): boolean {
    const k = this.indent[j]!;
    const l = this.lines[j]!;
    return k === l.length || l.charCodeAt(k) === HASH;
  }

  #nextContent(j: number): number {
    while (j < this.n && this.#skippable(j)) j++;
    return j;
  }

  #nextNonBlank(j: number): number {
    while (j < this.n && this.indent[j] === this.lines[j]!.length) j++;
    return j;
  }

  /** A document marker or directive at column 0 ends every block. */
  #marker(j: number): boolean {
    const l = this.lines[j]!;
    return l.startsWith('---') || l.startsWith('...') || l.startsWith('%');
  }

  documents(): unknown[] {
    const out: unknown[] = [];
    let j = this.#nextContent(0);
    while (j < this.n) {
      if (this.lines[j] === '---') {
        j = this.#nextContent(j + 1);
        if (j >= this.n) throw BAIL;
      } else if (out.length > 0) throw BAIL;
      if (this.#marker(j) || this.indent[j] !== 0) throw BAIL;
      out.push(this.#node(j, 0, 0));
      j = this.#nextContent(this.#next);
      if (j < this.n && this.lines[j] !== '---') throw BAIL;
    }
    if (out.length === 0) throw BAIL;
    return out;
  }

  #seqItemAt(j: number, col: number): boolean {
    const l = this.lines[j]!;
    return l.charCodeAt(col) === 45 /* - */ && (col + 1 === l.length || l.charCodeAt(col + 1) === SPACE);
  }

  /** A block node starting at line j, column col: a sequence or a mapping. */
  #node(j: number, col: number, depth: number): unknown {
    if (depth > MAX_NESTING) throw BAIL;
    return this.#seqItemAt(j, col) ? this.#sequence(j, col, depth) : this.#mapping(j, col, depth);
  }

  /** The value after `key:` or `- ` when nothing follows on the line: a nested node, or null. */
  #nestedOrNull(j: number, col: number, depth: number, compactSeq: boolean): unknown {
    const nj = this.#nextContent(j + 1);
    if (nj < this.n && this.indent[nj]! > col) return this.#node(nj, this.indent[nj]!, depth + 1);
    if (compactSeq && nj < this.n && this.indent[nj] === col && !(col === 0 && this.#marker(nj)) && this.#seqItemAt(nj, col)) return this.#sequence(nj, col, depth + 1);
    this.#next = j + 1;
    return null;
  }

  /** Whether the block at column col ends before content line j (bails on a line indented deeper). */
  #blockEnds(j: number, col: number): boolean {
    if (j >= this.n || this.indent[j]! < col || (col === 0 && this.#marker(j))) return true;
    if (this.indent[j]! > col) throw BAIL;
    return false;
  }

  #mapping(j: number, col: number, depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    let first = true;
    for (;;) {
      if (!first) {
        j = this.#nextContent(j);
        if (this.#blockEnds(j, col)) break;
      }
      const l = this.lines[j]!;
      if (this.#seqItemAt(j, col)) throw BAIL;
      const key = this.#key(l, col);
      if (key === undefined || key === '__proto__' || Object.hasOwn(obj, key)) throw BAIL;
      let k = this.#after;
      while (l.charCodeAt(k) === SPACE) k++;
      obj[key] = k === l.length || l.charCodeAt(k) === HASH ? this.#nestedOrNull(j, col, depth, true) : this.#inline(j, k, col);
      j = this.#next;
      first = false;
    }
    this.#next = j;
    return obj;
  }

  #sequence(j: number, col: number, depth: number): unknown[] {
    const arr: unknown[] = [];
    let first = true;
    for (;;) {
      if (!first) {
        j = this.#nextContent(j);
        if (this.#blockEnds(j, col)) break;
        if (!this.#seqItemAt(j, col)) break;
      }
      const l = this.lines[j]!;
      let k = col + 1;
      while (l.charCodeAt(k) === SPACE) k++;
      let value: unknown;
      if (k === l.length || l.charCodeAt(k) === HASH) value = this.#nestedOrNull(j, col, depth, false);
      else if (this.#seqItemAt(j, k)) throw BAIL;
      else if (l[k] === '{') value = this.#inline(j, k, col);
      else if (this.#key(l, k) !== undefined) value = this.#mapping(j, k, depth + 1);
      else value = this.#inline(j, k, col);
      arr.push(value);
      j = this.#next;
      first = false;
    }
    this.#next = j;
    return arr;
  }

  /** `key:` at column p (plain or quoted key, then `:` and a space or the line's end), with `#after` set past the colon; undefined when the line has none. */
  #key(l: string, p: number): string | undefined {
    const c = l[p];
    if (c === '"' || c === "'") {
      const q = c === '"' ? doubleQuoted(l, p) : singleQuoted(l, p);
      if (l.charCodeAt(q.end) === 58 /* : */ && (q.end + 1 === l.length || l.charCodeAt(q.end + 1) === SPACE)) {
        this.#after = q.end + 1;
        return q.value;
      }
      return undefined;
    }
    let m = p;
    for (; m < l.length; m++) {
      const ch = l.charCodeAt(m);
      if (ch === 58 && (m + 1 === l.length || l.charCodeAt(m + 1) === SPACE)) break;
      if (ch === HASH && l.charCodeAt(m - 1) === SPACE) return undefined;
    }
    if (m === l.length) return undefined;
    const key = l.slice(p, m);
    if (!plainKey(key)) throw BAIL;
    this.#after = m + 1;
    return key;
  }

  /** A scalar written after `key: ` or `- ` at line j, column k; col is the enclosing block's indentation. */
  #inline(j: number, k: number, col: number): unknown {
    const l = this.lines[j]!;
    const c = l[k]!;
    let value: unknown;
    if (c === '|') {
      const header = /^\|(-?)(?: +#.*| *)$/.exec(l.slice(k));
      if (!header) throw BAIL;
      return this.#literal(j, col, header[1] === '-');
    }
    if (c === '"' || c === "'") {
      const q = c === '"' ? doubleQuoted(l, k) : singleQuoted(l, k);
      if (!/^ *(?: #.*)?$/.test(l.slice(q.end))) throw BAIL;
      value = q.value;
    } else if (c === '{') {
      if (/^\{\} *(?: #.*)?$/.test(l.slice(k))) value = {};
      else if (!this.#flowMappings) throw BAIL;
      else {
        const m = flowMapping(l, k);
        if (!/^ *(?: #.*)?$/.test(l.slice(m.end))) throw BAIL;
        value = m.value;
      }
    } else if (c === '[') {
      if (this.#flowMappings) {
        const q = flowSequenceAt(l, k, true);
        if (!/^ *(?: #.*)?$/.test(l.slice(q.end))) throw BAIL;
        value = q.value;
      } else value = flowSequence(l, k);
    } else {
      if (INDICATOR.has(c) && !((c === '-' || c === '?' || c === ':') && k + 1 < l.length && l[k + 1] !== ' ')) throw BAIL;
      const hash = l.indexOf(' #', k);
      const s = (hash < 0 ? l.slice(k) : l.slice(k, hash)).trimEnd();
      if (s.includes(': ') || s.endsWith(':')) throw BAIL;
      value = plainScalar(s);
    }
    // A more indented line after a one-line scalar continues it (or is an error): the library decides.
    const nj = this.#nextNonBlank(j + 1);
    if (nj < this.n && this.indent[nj]! > col) throw BAIL;
    this.#next = j + 1;
    return value;
  }

  /** A `|` (clip) or `|-` (strip) block scalar whose header is on line j; its content is indented more than col. */
  #literal(j: number, col: number, strip: boolean): string {
    let first = j + 1;
    let leading = 0;
    while (first < this.n && this.indent[first] === this.lines[first]!.length) leading = Math.max(leading, this.lines[first++]!.length);
    if (first >= this.n) throw BAIL;
    const m = this.indent[first]!;
    if (m <= col || leading > m) throw BAIL;
    const parts: string[] = [];
    let e = j + 1;
    for (; e < this.n; e++) {
      const l = this.lines[e]!;
      if (this.indent[e] === l.length) {
        if (l.length > m) throw BAIL;
        parts.push('');
      } else if (this.indent[e]! >= m) parts.push(l.slice(m));
      else break;
    }
    if (e === this.n && !this.text.endsWith('\n')) throw BAIL;
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    const body = parts.join('\n');
    this.#next = e;
    return strip ? body : `${body}\n`;
  }

  // Locating (a text `documents()` read): the same grammar, walked along one path, building no value.

  locateDeep(doc: number, path: readonly (string | number)[]): { offset: number; consumed: number; key?: number } | undefined {
    const start = doc < 0 ? -1 : this.#docStart(doc);
    if (start < 0) return { offset: 0, consumed: 0 };
    let place: Place = this.#block(start, 0);
    if (place.offset === undefined) return undefined;
    let offset: number = place.offset;
    let consumed = 0;
    let keyAt: number | undefined;
    for (const key of path) {
      let child: Place | undefined;
      let childKey: number | undefined;
      if (place.kind === 'map') {
        if (typeof key !== 'string') break;
        child = this.#valueOf(place.line, place.col, key);
        const j = this.#keysOf(place.line, place.col).get(key);
        if (j !== undefined) childKey = this.lineStarts[j]! + place.col;
      } else if (place.kind === 'seq') {
        if (typeof key !== 'number' || !Number.isInteger(key) || key < 0) break;
        child = this.#itemOf(place.line, place.col, key);
      } else if (place.kind === 'flow') {
        // Items of a flow sequence: the library knows where they are.
        if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= place.length) break;
        return undefined;
      } else break;
      if (!child) break;
      if (child.offset === undefined) return undefined;
      offset = child.offset;
      keyAt = childKey;
      place = child;
      consumed++;
    }
    return keyAt === undefined ? { offset, consumed } : { offset, consumed, key: keyAt };
  }

  /** The first line of document `doc` (documents are separated by `---` lines: no other line of a plain text is one); -1: fewer documents. */
  #docStart(doc: number): number {
    let j = this.#nextContent(0);
    if (j < this.n && this.lines[j] === '---') j = this.#nextContent(j + 1);
    for (let d = 0; d < doc && j < this.n; d++) {
      let e = j + 1;
      while (e < this.n && this.lines[e] !== '---') e++;
      j = e < this.n ? this.#nextContent(e + 1) : this.n;
    }
    return j < this.n ? j : -1;
  }

  #block(j: number, col: number): Place {
    return { kind: this.#seqItemAt(j, col) ? 'seq' : 'map', line: j, col, offset: this.lineStarts[j]! + col };
  }

  /** The next line of the block at column col after line j: skips what is nested deeper (and, with `compact`, a sequence written at the key's column); -1 at the block's end. */
  #following(j: number, col: number, compact: boolean): number {
    j = this.#nextContent(j + 1);
    while (j < this.n && (this.indent[j]! > col || (compact && this.indent[j] === col && this.#seqItemAt(j, col)))) j = this.#nextContent(j + 1);
    return j >= this.n || this.indent[j]! < col || (col === 0 && this.#marker(j)) ? -1 : j;
  }

  /** The value of `key` in the mapping whose first key is at line `first`, column col. */
  #valueOf(first: number, col: number, key: string): Place | undefined {
    const j = this.#keysOf(first, col).get(key);
    if (j === undefined) return undefined;
    const l = this.lines[j]!;
    this.#key(l, col);
    const after = this.#after;
    let k = after;
    while (l.charCodeAt(k) === SPACE) k++;
    if (k < l.length && l.charCodeAt(k) !== HASH) return this.#inlinePlace(j, k);
    const nj = this.#nextContent(j + 1);
    if (nj < this.n && this.indent[nj]! > col) return this.#block(nj, this.indent[nj]!);
    if (nj < this.n && this.indent[nj] === col && !(col === 0 && this.#marker(nj)) && this.#seqItemAt(nj, col)) return this.#block(nj, col);
    // An empty value starts right after the colon when nothing else is on the line (as the library says).
    return { kind: 'leaf', offset: after === l.length ? this.lineStarts[j]! + after : undefined };
  }

  /** Item `index` of the sequence whose first `-` is at line `first`, column col. */
  #itemOf(first: number, col: number, index: number): Place | undefined {
    const j = this.#itemsOf(first, col)[index];
    if (j === undefined) return undefined;
    const l = this.lines[j]!;
    let k = col + 1;
    while (l.charCodeAt(k) === SPACE) k++;
    if (k === l.length || l.charCodeAt(k) === HASH) {
      const nj = this.#nextContent(j + 1);
      return nj < this.n && this.indent[nj]! > col ? this.#block(nj, this.indent[nj]!) : { kind: 'leaf', offset: undefined };
    }
    if (this.#key(l, k) !== undefined) return { kind: 'map', line: j, col: k, offset: this.lineStarts[j]! + k };
    return this.#inlinePlace(j, k);
  }

  /**
   * The keys of the block mapping whose first key is at line j, column col: key → its line (the
   * first line of a key written twice). Made once per mapping on its first lookup, so locating a
   * finding per key of a mapping of N keys reads its lines once, not N times.
   */
  #keysOf(j: number, col: number): Map<string, number> {
    const at = `${j} ${col}`;
    let keys = this.#keyLines.get(at);
    if (!keys) {
      keys = new Map();
      for (; j >= 0; j = this.#following(j, col, true)) {
        const key = this.#key(this.lines[j]!, col);
        if (key !== undefined && !keys.has(key)) keys.set(key, j);
      }
      this.#keyLines.set(at, keys);
    }
    return keys;
  }

  /** The lines of the items of the block sequence whose first `-` is at line j, column col (made once per sequence, as #keysOf). */
  #itemsOf(j: number, col: number): number[] {
    const at = `${j} ${col}`;
    let items = this.#itemLines.get(at);
    if (!items) {
      items = [];
      while (j >= 0) {
        items.push(j);
        j = this.#following(j, col, false);
        if (j >= 0 && !this.#seqItemAt(j, col)) break;
      }
      this.#itemLines.set(at, items);
    }
    return items;
  }

  /** A value written on its line at column k: a flow sequence with items, or nothing to descend into. */
  #inlinePlace(j: number, k: number): Place {
    const l = this.lines[j]!;
    const offset = this.lineStarts[j]! + k;
    if (l[k] === '[') {
      const length = flowSequence(l, k).length;
      if (length > 0) return { kind: 'flow', length, offset };
    }
    return { kind: 'leaf', offset };
  }
}

/** A key that is a plain string under the core schema (anything else is left to the library); never `__proto__`. */
function plainKey(key: string): boolean {
  return !(key.length === 0 || key.length > 1000 || INDICATOR.has(key[0]!) || key.endsWith(' ') || /^[-+.0-9~]/.test(key) || NULLS.has(key) || TRUE.has(key) || FALSE.has(key) || key === '__proto__');
}

function plainScalar(s: string): unknown {
  if (NULLS.has(s)) return null;
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  if (/^[0-9]{1,15}$/.test(s)) return Number(s);
  // The core schema's other numbers (yaml's schema/core tests) are left to the library.
  if (/^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$|^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$|^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$|^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) throw BAIL;
  return s;
}

/** `[a, "b", 'c']` on one line: a flow sequence of scalars (nothing nested, no comment inside). */
function flowSequence(l: string, k: number): unknown[] {
  const { value, end } = flowSequenceAt(l, k);
  if (!/^ *(?: #.*)?$/.test(l.slice(end))) throw BAIL;
  return value;
}

/** A flow item that is a scalar at l[i]: quoted, or plain up to a flow indicator. */
function flowScalar(l: string, i: number): { value: unknown; end: number } {
  const c = l[i];
  if (c === '"' || c === "'") {
    const q = c === '"' ? doubleQuoted(l, i) : singleQuoted(l, i);
    return { value: q.value, end: q.end };
  }
  let e = i;
  while (e < l.length && !',[]{}#'.includes(l[e]!)) e++;
  const s = l.slice(i, e).trimEnd();
  if (s.length === 0 || INDICATOR.has(s[0]!) || s.includes(': ') || s.endsWith(':')) throw BAIL;
  return { value: plainScalar(s), end: e };
}

/**
 * The items of a one-line flow collection opened at l[k] and closed by `close` on the same line,
 * each read by `item` from its first character (returning where it ends); and where the
 * collection ends. No empty item, no trailing comma, no comment inside.
 */
function flowItems(l: string, k: number, close: ']' | '}', item: (i: number) => number): number {
  let i = k + 1;
  const skip = () => {
    while (l.charCodeAt(i) === SPACE) i++;
  };
  skip();
  if (l[i] === close) return i + 1;
  for (;;) {
    skip();
    if (l[i] === undefined) throw BAIL;
    i = item(i);
    skip();
    if (l[i] === close) return i + 1;
    if (l[i] !== ',') throw BAIL;
    i++;
    skip();
    if (l[i] === close) throw BAIL;
  }
}

/**
 * `{ a: b, c: "d", e: [f, g] }` on one line: plain keys (as block keys may be) with scalar or
 * flow-sequence-of-scalars values; nothing nested deeper, no empty value.
 */
function flowMapping(l: string, k: number): { value: Record<string, unknown>; end: number } {
  const out: Record<string, unknown> = {};
  const end = flowItems(l, k, '}', (i) => {
    let e = i;
    while (e < l.length && !(l.charCodeAt(e) === 58 /* : */ && l.charCodeAt(e + 1) === SPACE) && !',[]{}#"\''.includes(l[e]!)) e++;
    if (l.charCodeAt(e) !== 58) throw BAIL;
    const key = l.slice(i, e);
    if (!plainKey(key) || key.includes(':') || Object.hasOwn(out, key)) throw BAIL;
    let v = e + 2;
    while (l.charCodeAt(v) === SPACE) v++;
    const c = l[v];
    if (c === undefined || c === '{' || c === '}' || c === ',') throw BAIL;
    const item = c === '[' ? flowSequenceAt(l, v) : flowScalar(l, v);
    out[key] = item.value;
    return item.end;
  });
  return { value: out, end };
}

/** A flow sequence of scalars (and with `maps`, one-line flow mappings) at l[k] closed on the same line, and where it ends. */
function flowSequenceAt(l: string, k: number, maps = false): { value: unknown[]; end: number } {
  const out: unknown[] = [];
  const end = flowItems(l, k, ']', (i) => {
    const item = maps && l[i] === '{' ? flowMapping(l, i) : flowScalar(l, i);
    out.push(item.value);
    return item.end;
  });
  return { value: out, end };
}

/** A double-quoted scalar starting at l[k] and closed on the same line. */
function doubleQuoted(l: string, k: number): { value: string; end: number } {
  let out = '';
  let i = k + 1;
  for (;;) {
    let stop = i;
    while (stop < l.length && l[stop] !== '"' && l[stop] !== '\\') stop++;
    if (stop >= l.length) throw BAIL;
    out += l.slice(i, stop);
    if (l[stop] === '"') return { value: out, end: stop + 1 };
    const esc = l[stop + 1];
    if (esc === undefined) throw BAIL;
    const hex = HEX_LENGTH[esc];
    if (hex !== undefined) {
      const digits = l.slice(stop + 2, stop + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw BAIL;
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) throw BAIL;
      out += String.fromCodePoint(code);
      i = stop + 2 + hex;
    } else {
      const ch = ESCAPES[esc];
      if (ch === undefined) throw BAIL;
      out += ch;
      i = stop + 2;
    }
  }
}

/** A single-quoted scalar starting at l[k] and closed on the same line (`''` is a quote). */
function singleQuoted(l: string, k: number): { value: string; end: number } {
  let out = '';
  let i = k + 1;
  for (;;) {
    const q = l.indexOf("'", i);
    if (q < 0) throw BAIL;
    out += l.slice(i, q);
    if (l[q + 1] === "'") {
      out += "'";
      i = q + 2;
    } else return { value: out, end: q + 1 };
  }
}
