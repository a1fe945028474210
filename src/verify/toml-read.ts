import { parse as parseToml } from 'smol-toml';
import { isObject } from '../model/is-object.js';

/**
 * TOML read back by the chain proofs: the text is really parsed, never taken on trust from the
 * value it was written from. Most of it is what runner-fleet's own writer (src/emit/toml/writer.ts)
 * wrote, so a reader for exactly that writer's layout comes first — `key = value` lines, `[table]`
 * and `[[array]]` headers with dotted paths, basic strings with the escapes the writer uses, safe
 * integers, finite floats, booleans, inline arrays `[ a, b ]` and inline tables `{ k = v }` — with
 * TOML's rules on redefinition (a key or table defined twice, a header into an inline value).
 * Anything else (comments, other spacing, literal or multi-line strings, dates, dotted keys, an
 * escape outside the writer's set, a lone surrogate) gives up, and smol-toml parses the text
 * instead. Either way the result is what smol-toml returns (objects without a prototype);
 * test/toml-read.test.ts compares both on seeded written and damaged documents.
 */
export function parseTomlText(text: string): Record<string, unknown> {
  return readWrittenToml(text) ?? parseToml(text);
}

/** `parseTomlText`, undefined for text that is not valid TOML. */
export function tomlOrUndefined(text: string): Record<string, unknown> | undefined {
  try {
    return parseTomlText(text);
  } catch {
    return undefined;
  }
}

class GiveUp extends Error {}
const GIVE_UP = new GiveUp('outside the written subset');

type Table = Record<string, unknown>;

const INT = /^-?(?:0|[1-9][0-9]*)$/;
const FLOAT = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?$/;
const MAX_DEPTH = 100;

/** The fast reader alone: the document, or undefined where smol-toml must decide. Exported for its test. */
export function readWrittenToml(text: string): Record<string, unknown> | undefined {
  try {
    return new Reader(text).document();
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

class Reader {
  private i = 0;
  /** Tables a header defined (each may be defined once), and arrays `[[...]]` made. */
  private readonly defined = new Set<Table>();
  private readonly tableArrays = new Set<unknown[]>();
  /** Tables made implicitly as a header's intermediate keys (a later header may define them once). */
  private readonly implicit = new Set<Table>();
  constructor(private readonly s: string) {}

  document(): Table {
    const root = Object.create(null) as Table;
    let current = root;
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        continue;
      }
      if (c === 91 /* [ */) current = this.header(root);
      else {
        const k = this.key();
        this.expect(' = ');
        if (Object.prototype.hasOwnProperty.call(current, k)) throw GIVE_UP;
        current[k] = this.value(0);
      }
      this.endOfLine();
    }
    return root;
  }

  private endOfLine(): void {
    if (this.i === this.s.length) return;
    if (this.s.charCodeAt(this.i) !== 10) throw GIVE_UP;
    this.i++;
  }

  private expect(lit: string): void {
    if (!this.s.startsWith(lit, this.i)) throw GIVE_UP;
    this.i += lit.length;
  }

  /** `[a.b]` or `[[a.b]]`: the table that following lines fill. */
  private header(root: Table): Table {
    const array = this.s.charCodeAt(this.i + 1) === 91;
    this.i += array ? 2 : 1;
    const path: string[] = [this.key()];
    while (this.s.charCodeAt(this.i) === 46 /* . */) {
      this.i++;
      path.push(this.key());
    }
    this.expect(array ? ']]' : ']');
    let t = root;
    for (let p = 0; p < path.length - 1; p++) {
      const k = path[p]!;
      if (!Object.prototype.hasOwnProperty.call(t, k)) {
        const made = Object.create(null) as Table;
        this.implicit.add(made);
        t[k] = made;
        t = made;
        continue;
      }
      const v = t[k];
      if (Array.isArray(v)) {
        if (!this.tableArrays.has(v)) throw GIVE_UP;
        t = v[v.length - 1] as Table;
      } else if (this.defined.has(v as Table) || this.implicit.has(v as Table)) t = v as Table;
      else throw GIVE_UP;
    }
    const last = path[path.length - 1]!;
    const had = Object.prototype.hasOwnProperty.call(t, last);
    const v = had ? t[last] : undefined;
    const made = Object.create(null) as Table;
    this.defined.add(made);
    if (array) {
      if (!had) {
        const list: unknown[] = [made];
        this.tableArrays.add(list);
        t[last] = list;
      } else if (Array.isArray(v) && this.tableArrays.has(v)) v.push(made);
      else throw GIVE_UP;
      return made;
    }
    if (!had) {
      t[last] = made;
      return made;
    }
    // A table made implicitly by an earlier header may be defined once.
    if (!this.implicit.has(v as Table)) throw GIVE_UP;
    this.implicit.delete(v as Table);
    this.defined.add(v as Table);
    return v as Table;
  }

  private key(): string {
    const s = this.s;
    const start = this.i;
    if (s.charCodeAt(start) === 34) return this.string();
    let j = start;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45)) break;
    }
    if (j === start) throw GIVE_UP;
    this.i = j;
    return s.slice(start, j);
  }

  /** A basic string with the writer's escapes: `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, `\uXXXX` (not a surrogate). */
  private string(): string {
    const s = this.s;
    const start = this.i;
    let escaped = false;
    let j = start + 1;
    for (;;) {
      if (j >= s.length) throw GIVE_UP;
      const c = s.charCodeAt(j);
      if (c === 34) break;
      if (c < 0x20 || c === 0x7f) throw GIVE_UP;
      if (c >= 0xd800 && c <= 0xdfff) {
        // A surrogate pair is one character; a lone surrogate is left to smol-toml.
        const low = s.charCodeAt(j + 1);
        if (c >= 0xdc00 || !(low >= 0xdc00 && low <= 0xdfff)) throw GIVE_UP;
        j += 2;
        continue;
      }
      if (c === 92) {
        escaped = true;
        const e = s.charCodeAt(j + 1);
        if (e === 117 /* u */) {
          const hex = s.slice(j + 2, j + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw GIVE_UP;
          const code = parseInt(hex, 16);
          if (code >= 0xd800 && code <= 0xdfff) throw GIVE_UP;
          j += 6;
          continue;
        }
        if (e !== 34 && e !== 92 && e !== 98 && e !== 116 && e !== 110 && e !== 102 && e !== 114) throw GIVE_UP;
        j += 2;
        continue;
      }
      j++;
    }
    this.i = j + 1;
    // The escapes accepted above are JSON's too, with the same meaning.
    return escaped ? (JSON.parse(s.slice(start, j + 1)) as string) : s.slice(start + 1, j);
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw GIVE_UP;
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 34) return this.string();
    if (c === 91 /* [ */) {
      const out: unknown[] = [];
      if (s.charCodeAt(this.i + 1) === 93) {
        this.i += 2;
        return out;
      }
      this.expect('[ ');
      for (;;) {
        out.push(this.value(depth + 1));
        if (s.startsWith(' ]', this.i)) {
          this.i += 2;
          return out;
        }
        this.expect(', ');
      }
    }
    if (c === 123 /* { */) {
      const out = Object.create(null) as Table;
      if (s.charCodeAt(this.i + 1) === 125) {
        this.i += 2;
        return out;
      }
      this.expect('{ ');
      for (;;) {
        const k = this.key();
        this.expect(' = ');
        if (Object.prototype.hasOwnProperty.call(out, k)) throw GIVE_UP;
        out[k] = this.value(depth + 1);
        if (s.startsWith(' }', this.i)) {
          this.i += 2;
          return out;
        }
        this.expect(', ');
      }
    }
    let j = this.i;
    for (; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 10 || d === 32 || d === 44 || d === 93 || d === 125) break;
    }
    const token = s.slice(this.i, j);
    this.i = j;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (INT.test(token)) {
      const n = Number(token);
      if (!Number.isSafeInteger(n) || Object.is(n, -0)) throw GIVE_UP;
      return n;
    }
    if (FLOAT.test(token)) {
      const n = Number(token);
      if (!Number.isFinite(n) || Object.is(n, -0)) throw GIVE_UP;
      return n;
    }
    throw GIVE_UP;
  }
}

/** A path into a parsed TOML document: table keys and array indexes. */
export type TomlPath = (string | number)[];

/**
 * The first place where two parsed TOML values differ: keys in `a`'s order, then keys only `b`
 * has; arrays index by index; dates by their text. Undefined when they are equal. The values are
 * returned for the caller to show or withhold (a key may hold a credential).
 */
export function tomlDifference(a: unknown, b: unknown, path: TomlPath = []): { path: TomlPath; a: unknown; b: unknown } | undefined {
  if (a instanceof Date || b instanceof Date) return String(a) === String(b) && typeof a === typeof b ? undefined : { path, a, b };
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = tomlDifference(a[i], b[i], [...path, i]);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = tomlDifference(Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, [...path, k]);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : { path, a, b };
}

/** `runners[0].kubernetes.pod_labels."app.kubernetes.io/part-of"`: a TOML path as a reader writes it ('' for the whole document). */
export function tomlPathText(path: TomlPath): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)}`)).join('');
}
