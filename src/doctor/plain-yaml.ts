/**
 * A fast reader for the plain block YAML that generators write (runner-fleet's synth output, Helm
 * values, kubectl's `-o yaml`): block mappings and sequences, plain, quoted and `|` / `|-` block
 * scalars, comments, `---` between documents. It gives the values the `yaml` library gives under
 * YAML 1.2's core schema, or `undefined` for anything else (anchors, aliases, tags, flow
 * collections other than `[]` / `{}`, multi-line plain or quoted scalars, folded scalars, tabs,
 * duplicate keys, non-string keys, anything invalid), and the caller then uses the library, which
 * also reports positions and errors. Positions of findings always come from the library.
 *
 * Why: the library builds a full syntax tree per file; over the ~750 YAML files of a 150-runner
 * fleet that was about half of the doctor's CPU. test/plain-yaml.test.ts compares both readers on
 * every example's output, the doctor corpus and a table of edge cases.
 */

/** Thrown (one preallocated instance, no stack per throw) when the text is not plain YAML; never leaves this module. */
class NotPlain extends Error {}
const BAIL = new NotPlain('not plain YAML');

/** Nesting beyond this is left to the library (and the reader's depth check). */
const MAX_NESTING = 100;

export function readPlainYaml(text: string): unknown[] | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new Reader(text, false).documents();
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

/**
 * Where each value starts, as the `yaml` library's node ranges say (a mapping at its first key, a
 * sequence at its first `-`, a scalar at its first character, `|` at the indicator); undefined
 * where this reader does not know it (an empty value), and the library is asked instead.
 */
export interface PlainOffsets {
  docs: unknown[];
  starts: (number | undefined)[];
  children: WeakMap<object, Map<string | number, number | undefined>>;
}

/** The offsets of a file readPlainYaml reads (it is read again, recording them). */
export function plainYamlOffsets(text: string): PlainOffsets | undefined {
  try {
    const r = new Reader(text, true);
    const docs = r.documents();
    return { docs, starts: r.docStarts, children: r.children };
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

/** The start offset of the value at `path` (or its nearest existing ancestor), as the library's locate; undefined: ask the library. */
export function plainYamlLocate(o: PlainOffsets, doc: number, path: readonly (string | number)[]): number | undefined {
  if (doc < 0 || doc >= o.docs.length) return 0;
  let node: unknown = o.docs[doc];
  let offset = o.starts[doc];
  for (const key of path) {
    if (node === null || typeof node !== 'object') break;
    let child: unknown;
    if (Array.isArray(node)) {
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= node.length) break;
      child = node[key];
    } else {
      if (typeof key !== 'string' || !Object.hasOwn(node, key)) break;
      child = (node as Record<string, unknown>)[key];
    }
    offset = o.children.get(node)?.get(key);
    if (offset === undefined) return undefined;
    node = child;
  }
  return offset;
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

class Reader {
  readonly text: string;
  readonly lines: string[];
  readonly indent: number[];
  readonly n: number;
  /** Recording offsets (plainYamlOffsets) or not (readPlainYaml). */
  readonly record: boolean;
  readonly lineStarts: number[] = [];
  readonly docStarts: number[] = [];
  readonly children = new WeakMap<object, Map<string | number, number | undefined>>();

  constructor(text: string, record: boolean) {
    this.text = text;
    this.record = record;
    this.lines = text.split('\n');
    if (record) {
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
      const [value, next] = this.#node(j, 0, 0);
      out.push(value);
      if (this.record) this.docStarts.push(this.lineStarts[j]!);
      j = this.#nextContent(next);
      if (j < this.n && this.lines[j] !== '---') throw BAIL;
    }
    if (out.length === 0) throw BAIL;
    return out;
  }

  /** The offset where the value read from line j, column col starts. */
  #at(j: number, col: number): number {
    return this.lineStarts[j]! + col;
  }

  #seqItemAt(j: number, col: number): boolean {
    const l = this.lines[j]!;
    return l.charCodeAt(col) === 45 /* - */ && (col + 1 === l.length || l.charCodeAt(col + 1) === SPACE);
  }

  /** A block node starting at line j, column col: a sequence or a mapping. */
  #node(j: number, col: number, depth: number): [unknown, number] {
    if (depth > MAX_NESTING) throw BAIL;
    return this.#seqItemAt(j, col) ? this.#sequence(j, col, depth) : this.#mapping(j, col, depth);
  }

  /** The value after `key:` or `- ` when nothing follows on the line: a nested node, or null. */
  #nestedOrNull(j: number, col: number, depth: number, compactSeq: boolean, emptyAt: number | undefined): [unknown, number, number | undefined] {
    const nj = this.#nextContent(j + 1);
    if (nj < this.n && this.indent[nj]! > col) return [...this.#node(nj, this.indent[nj]!, depth + 1), this.record ? this.#at(nj, this.indent[nj]!) : undefined];
    if (compactSeq && nj < this.n && this.indent[nj] === col && !(col === 0 && this.#marker(nj)) && this.#seqItemAt(nj, col)) return [...this.#sequence(nj, col, depth + 1), this.record ? this.#at(nj, col) : undefined];
    return [null, j + 1, emptyAt];
  }

  /** The start offsets of a new mapping's or sequence's children, when positions are recorded. */
  #startsOf(container: object): Map<string | number, number | undefined> | undefined {
    if (!this.record) return undefined;
    const starts = new Map<string | number, number | undefined>();
    this.children.set(container, starts);
    return starts;
  }

  /** Whether the block at column col ends before content line j (bails on a line indented deeper). */
  #blockEnds(j: number, col: number): boolean {
    if (j >= this.n || this.indent[j]! < col || (col === 0 && this.#marker(j))) return true;
    if (this.indent[j]! > col) throw BAIL;
    return false;
  }

  #mapping(j: number, col: number, depth: number): [Record<string, unknown>, number] {
    const obj: Record<string, unknown> = {};
    const starts = this.#startsOf(obj);
    let first = true;
    for (;;) {
      if (!first) {
        j = this.#nextContent(j);
        if (this.#blockEnds(j, col)) break;
      }
      const l = this.lines[j]!;
      if (this.#seqItemAt(j, col)) throw BAIL;
      const key = this.#key(l, col);
      if (!key || key.key === '__proto__' || Object.hasOwn(obj, key.key)) throw BAIL;
      let k = key.after;
      while (l.charCodeAt(k) === SPACE) k++;
      let value: unknown;
      let start: number | undefined;
      // An empty value starts right after the colon when nothing else is on the line (as the library says).
      if (k === l.length || l.charCodeAt(k) === HASH) [value, j, start] = this.#nestedOrNull(j, col, depth, true, this.record && key.after === l.length ? this.#at(j, key.after) : undefined);
      else {
        start = this.record ? this.#at(j, k) : undefined;
        [value, j] = this.#inline(j, k, col);
      }
      obj[key.key] = value;
      starts?.set(key.key, start);
      first = false;
    }
    return [obj, j];
  }

  #sequence(j: number, col: number, depth: number): [unknown[], number] {
    const arr: unknown[] = [];
    const starts = this.#startsOf(arr);
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
      let start: number | undefined = this.record ? this.#at(j, k) : undefined;
      if (k === l.length || l.charCodeAt(k) === HASH) [value, j, start] = this.#nestedOrNull(j, col, depth, false, undefined);
      else if (this.#seqItemAt(j, k)) throw BAIL;
      else if (this.#key(l, k)) [value, j] = this.#mapping(j, k, depth + 1);
      else [value, j] = this.#inline(j, k, col);
      starts?.set(arr.length, start);
      arr.push(value);
      first = false;
    }
    return [arr, j];
  }

  /** `key:` at column p (plain or quoted key, then `:` and a space or the line's end); undefined when the line has none. */
  #key(l: string, p: number): { key: string; after: number } | undefined {
    const c = l[p];
    if (c === '"' || c === "'") {
      const q = c === '"' ? doubleQuoted(l, p) : singleQuoted(l, p);
      if (l.charCodeAt(q.end) === 58 /* : */ && (q.end + 1 === l.length || l.charCodeAt(q.end + 1) === SPACE)) return { key: q.value, after: q.end + 1 };
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
    // Only keys that are plain strings under the core schema; anything else is left to the library.
    if (key.length === 0 || key.length > 1000 || INDICATOR.has(key[0]!) || key.endsWith(' ') || /^[-+.0-9~]/.test(key) || NULLS.has(key) || TRUE.has(key) || FALSE.has(key)) throw BAIL;
    return { key, after: m + 1 };
  }

  /** A scalar written after `key: ` or `- ` at line j, column k; col is the enclosing block's indentation. */
  #inline(j: number, k: number, col: number): [unknown, number] {
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
      if (!/^\{\} *(?: #.*)?$/.test(l.slice(k))) throw BAIL;
      value = {};
    } else if (c === '[') {
      value = flowSequence(l, k);
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
    return [value, j + 1];
  }

  /** A `|` (clip) or `|-` (strip) block scalar whose header is on line j; its content is indented more than col. */
  #literal(j: number, col: number, strip: boolean): [string, number] {
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
    return [strip ? body : `${body}\n`, e];
  }
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
  const out: unknown[] = [];
  let i = k + 1;
  const skip = () => {
    while (l.charCodeAt(i) === SPACE) i++;
  };
  skip();
  if (l[i] === ']') i++;
  else {
    for (;;) {
      skip();
      const c = l[i];
      if (c === undefined) throw BAIL;
      if (c === '"' || c === "'") {
        const q = c === '"' ? doubleQuoted(l, i) : singleQuoted(l, i);
        out.push(q.value);
        i = q.end;
      } else {
        let e = i;
        while (e < l.length && !',[]{}#'.includes(l[e]!)) e++;
        const s = l.slice(i, e).trimEnd();
        if (s.length === 0 || INDICATOR.has(s[0]!) || s.includes(': ') || s.endsWith(':')) throw BAIL;
        out.push(plainScalar(s));
        i = e;
      }
      skip();
      if (l[i] === ']') {
        i++;
        break;
      }
      if (l[i] !== ',') throw BAIL;
      i++;
      skip();
      if (l[i] === ']') throw BAIL;
    }
  }
  if (!/^ *(?: #.*)?$/.test(l.slice(i))) throw BAIL;
  return out;
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
