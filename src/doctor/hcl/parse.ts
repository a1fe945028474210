import { HclSyntaxError, type Attribute, type Block, type Body, type Expr } from './ast.js';

/**
 * A recursive-descent parser for HCL native syntax (what Terraform `.tf` files are written in):
 * bodies of attributes and blocks, and expressions — literals, quoted templates with `${}`
 * interpolation, heredocs, tuples, objects, references with attribute/index/splat traversal,
 * function calls (with `...` expansion), `for` expressions, conditionals, unary and binary
 * operators — with `#`, `//` and `/* *\/` comments. It keeps the offsets of every node.
 * Template directives (`%{if}`, `%{for}`) are recognised and skipped, never evaluated.
 *
 * Errors throw `HclSyntaxError` at the offending offset. Nesting is limited so that hostile input
 * (a megabyte of brackets) fails fast instead of exhausting the stack.
 */

export const MAX_HCL_DEPTH = 200;

const IDENT = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

const BINARY_LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];

export function parseHcl(text: string): Body {
  return new Parser(text).file();
}

/** Parses one template expression as it appears in a `.tf.json` string (`"${local.x}-suffix"`). */
export function parseJsonTemplate(text: string): Expr {
  const p = new Parser(text);
  return p.templateUntil(text.length, false);
}

class Parser {
  readonly text: string;
  i = 0;
  depth = 0;
  /** Whether newlines are insignificant here (inside parentheses, brackets, interpolations). */
  readonly nl: boolean[] = [false];

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, at = this.i): never {
    throw new HclSyntaxError(message, at);
  }

  enter(at: number): void {
    if (++this.depth > MAX_HCL_DEPTH) this.fail(`nesting deeper than ${MAX_HCL_DEPTH} levels`, at);
  }

  /** Skips blanks and comments; newlines too when `nl` says so (or `force`). */
  ws(force = false): void {
    const t = this.text;
    const nl = force || this.nl[this.nl.length - 1]!;
    for (;;) {
      const c = t[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\uFEFF') this.i++;
      else if (c === '\n' && nl) this.i++;
      else if (c === '#' || (c === '/' && t[this.i + 1] === '/')) {
        while (this.i < t.length && t[this.i] !== '\n') this.i++;
      } else if (c === '/' && t[this.i + 1] === '*') {
        const end = t.indexOf('*/', this.i + 2);
        if (end < 0) this.fail('unterminated /* comment');
        this.i = end + 2;
      } else return;
    }
  }

  peek(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }

  expect(s: string, what: string): void {
    this.ws();
    if (!this.peek(s)) this.fail(`expected ${what}, found ${this.describe()}`);
    this.i += s.length;
  }

  describe(): string {
    if (this.i >= this.text.length) return 'the end of the file';
    const c = this.text[this.i]!;
    return c === '\n' ? 'a newline' : JSON.stringify(this.text.slice(this.i, this.i + 12).split('\n')[0]);
  }

  ident(): string | undefined {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.text);
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  file(): Body {
    const body = this.body(undefined);
    return body;
  }

  /** A body up to the `}` that closes the block opened at `open` (or to the end of the file). */
  body(open: number | undefined): Body {
    const body: Body = { attrs: [], blocks: [] };
    const names = new Set<string>();
    for (;;) {
      this.ws(true);
      if (this.i >= this.text.length) {
        if (open !== undefined) this.fail('the block opened here is not closed: expected }', open);
        return body;
      }
      if (this.peek('}')) {
        if (open === undefined) this.fail('unexpected }: no block is open');
        this.i++;
        return body;
      }
      const at = this.i;
      const name = this.ident();
      if (name === undefined) this.fail(`expected an attribute name or a block type, found ${this.describe()}`);
      this.ws();
      if (this.peek('=') && !this.peek('==')) {
        this.i++;
        this.ws();
        const expr = this.expr();
        const attr: Attribute = { name, expr, at, end: this.i };
        if (names.has(name)) this.fail(`attribute ${name} is defined twice in this block`, at);
        names.add(name);
        body.attrs.push(attr);
      } else {
        const labels: string[] = [];
        for (;;) {
          this.ws();
          if (this.peek('"')) {
            const lab = this.primary();
            if (lab.k !== 'tpl' || lab.parts.some((p) => typeof p !== 'string')) this.fail('a block label must be a literal string', lab.at);
            labels.push(lab.parts.map((x) => (typeof x === 'string' ? x : '')).join(''));
          } else {
            const l = this.ident();
            if (l === undefined) break;
            labels.push(l);
          }
        }
        this.ws();
        if (!this.peek('{')) this.fail(`expected = or { after ${name}${labels.map((l) => ` "${l}"`).join('')}, found ${this.describe()}`);
        const open = this.i++;
        this.enter(open);
        const inner = this.body(open);
        this.depth--;
        body.blocks.push({ type: name, labels, body: inner, at, end: this.i } satisfies Block);
      }
      this.ws();
      if (this.i < this.text.length && !this.peek('\n') && !this.peek('}')) this.fail(`expected a newline after the ${name} ${body.attrs.at(-1)?.at === at ? 'attribute' : 'block'}, found ${this.describe()}`);
    }
  }

  expr(): Expr {
    const at = this.i;
    this.enter(at);
    const test = this.binary(0);
    this.ws();
    let out = test;
    if (this.peek('?')) {
      this.i++;
      this.ws();
      const then = this.expr();
      this.expect(':', ': of the conditional');
      this.ws();
      const els = this.expr();
      out = { k: 'cond', test, then, else: els, at, end: this.i };
    }
    this.depth--;
    return out;
  }

  binary(level: number): Expr {
    if (level >= BINARY_LEVELS.length) return this.unary();
    const at = this.i;
    const depth = this.depth;
    let l = this.binary(level + 1);
    for (;;) {
      this.ws();
      const op = BINARY_LEVELS[level]!.find((o) => this.peek(o) && !(o === '=' || (o === '<' && this.peek('<<'))));
      if (op === undefined) {
        this.depth = depth;
        return l;
      }
      // A chain `a + b + c` nests to the left: each link counts as a level, so evaluation stays shallow.
      this.enter(this.i);
      this.i += op.length;
      this.ws();
      const r = this.binary(level + 1);
      l = { k: 'bin', op, l, r, at, end: this.i };
    }
  }

  unary(): Expr {
    const at = this.i;
    if (this.peek('!') || (this.peek('-') && !this.peek('->'))) {
      const op = this.text[this.i] as '!' | '-';
      this.i++;
      this.enter(at);
      this.ws();
      const x = this.unary();
      this.depth--;
      return { k: 'un', op, x, at, end: this.i };
    }
    return this.postfix();
  }

  postfix(): Expr {
    const at = this.i;
    const depth = this.depth;
    let x = this.primary();
    for (;;) {
      const save = this.i;
      this.ws();
      // Each traversal step nests the expression one level deeper (a.b.c.d…).
      if (this.peek('.') || this.peek('[')) this.enter(this.i);
      if (this.peek('.*')) {
        this.i += 2;
        x = { k: 'splat', obj: x, chain: this.splatChain(false), at, end: this.i };
      } else if (this.peek('[*]')) {
        this.i += 3;
        x = { k: 'splat', obj: x, chain: this.splatChain(true), at, end: this.i };
      } else if (this.peek('.') && !this.peek('...')) {
        this.i++;
        const n = this.legacyIndexOrName();
        x = typeof n === 'string' ? { k: 'attr', obj: x, name: n, at, end: this.i } : { k: 'index', obj: x, key: n, at, end: this.i };
      } else if (this.peek('[')) {
        this.i++;
        this.nl.push(true);
        this.ws();
        const key = this.expr();
        this.expect(']', '] to close the index');
        this.nl.pop();
        x = { k: 'index', obj: x, key, at, end: this.i };
      } else {
        this.i = save;
        this.depth = depth;
        return x;
      }
    }
  }

  legacyIndexOrName(): string | Expr {
    NUMBER.lastIndex = this.i;
    const at = this.i;
    if (/[0-9]/.test(this.text[this.i] ?? '')) {
      const m = /[0-9]+/y;
      m.lastIndex = this.i;
      const d = m.exec(this.text)![0];
      this.i += d.length;
      return { k: 'lit', v: Number(d), at, end: this.i };
    }
    const n = this.ident();
    if (n === undefined) this.fail(`expected an attribute name after ., found ${this.describe()}`);
    return n;
  }

  splatChain(full: boolean): ({ attr: string } | { index: Expr })[] {
    const chain: ({ attr: string } | { index: Expr })[] = [];
    for (;;) {
      if (this.peek('.') && !this.peek('...') && !this.peek('.*')) {
        this.i++;
        const n = this.legacyIndexOrName();
        chain.push(typeof n === 'string' ? { attr: n } : { index: n });
      } else if (full && this.peek('[') && !this.peek('[*]')) {
        this.i++;
        this.nl.push(true);
        this.ws();
        const index = this.expr();
        this.expect(']', '] to close the index');
        this.nl.pop();
        chain.push({ index });
      } else return chain;
    }
  }

  primary(): Expr {
    const at = this.i;
    const t = this.text;
    const c = t[this.i];
    if (c === undefined) this.fail('expected an expression, found the end of the file');
    if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(t)!;
      this.i += m[0].length;
      return { k: 'lit', v: Number(m[0]), at, end: this.i };
    }
    if (c === '"') {
      this.i++;
      return this.templateUntil(-1, true, at);
    }
    if (this.peek('<<')) return this.heredoc();
    if (c === '(') {
      this.i++;
      this.nl.push(true);
      this.ws();
      const x = this.expr();
      this.expect(')', ') to close the parenthesis');
      this.nl.pop();
      return { k: 'paren', x, at, end: this.i };
    }
    if (c === '[') return this.tuple();
    if (c === '{') return this.object();
    const name = this.ident();
    if (name === undefined) this.fail(`expected an expression, found ${this.describe()}`);
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true', at, end: this.i };
    if (name === 'null') return { k: 'lit', v: null, at, end: this.i };
    let fn = name;
    while (this.peek('::')) {
      this.i += 2;
      const part = this.ident();
      if (part === undefined) this.fail('expected a function name after ::');
      fn += `::${part}`;
    }
    const save = this.i;
    this.ws();
    if (this.peek('(')) {
      this.i++;
      this.nl.push(true);
      const args: Expr[] = [];
      let expand = false;
      for (;;) {
        this.ws();
        if (this.peek(')')) break;
        args.push(this.expr());
        this.ws();
        if (this.peek('...')) {
          this.i += 3;
          expand = true;
          this.ws();
        }
        if (this.peek(',')) {
          if (expand) this.fail('... expands only the last argument');
          this.i++;
          continue;
        }
        if (!this.peek(')')) this.fail(`expected , or ) in the arguments of ${fn}(), found ${this.describe()}`);
      }
      this.i++;
      this.nl.pop();
      return { k: 'call', name: fn, args, expand, at, end: this.i };
    }
    this.i = save;
    if (fn !== name) this.fail(`${fn} must be called`);
    return { k: 'var', name, at, end: this.i };
  }

  /** `for` after [ or {: `for k, v in coll : value` (`k => value...` in objects) `if cond`. */
  forExpr(at: number, object: boolean): Expr {
    this.ws();
    const first = this.ident();
    if (first === undefined) this.fail('expected a variable name after for');
    this.ws();
    let keyVar: string | undefined;
    let valVar = first;
    if (this.peek(',')) {
      this.i++;
      this.ws();
      const second = this.ident();
      if (second === undefined) this.fail('expected a second variable name after ,');
      keyVar = first;
      valVar = second;
      this.ws();
    }
    if (this.ident() !== 'in') this.fail('expected in after the for variables');
    this.ws();
    const coll = this.expr();
    this.expect(':', ': after the collection of the for expression');
    this.ws();
    let keyExpr: Expr | undefined;
    let valExpr = this.expr();
    let group = false;
    this.ws();
    if (object) {
      if (!this.peek('=>')) this.fail('expected => in the object for expression');
      this.i += 2;
      this.ws();
      keyExpr = valExpr;
      valExpr = this.expr();
      this.ws();
      if (this.peek('...')) {
        this.i += 3;
        group = true;
        this.ws();
      }
    }
    let cond: Expr | undefined;
    const save = this.i;
    if (this.ident() === 'if') {
      this.ws();
      cond = this.expr();
      this.ws();
    } else this.i = save;
    const close = object ? '}' : ']';
    if (!this.peek(close)) this.fail(`expected ${close} to close the for expression, found ${this.describe()}`);
    this.i++;
    const out: Expr = { k: 'for', valVar, coll, valExpr, group, object, at, end: this.i };
    if (keyVar !== undefined) out.keyVar = keyVar;
    if (keyExpr !== undefined) out.keyExpr = keyExpr;
    if (cond !== undefined) out.cond = cond;
    return out;
  }

  isFor(): boolean {
    return /^for[\s]/.test(this.text.slice(this.i, this.i + 4));
  }

  /** After `[` or `{`: enters one nesting level; a `for` expression is parsed (and the level left) here. */
  openCollection(object: boolean): { at: number; comprehension?: Expr } {
    const at = this.i++;
    this.enter(at);
    this.nl.push(true);
    this.ws();
    if (!this.isFor()) return { at };
    this.i += 3;
    const comprehension = this.forExpr(at, object);
    this.closeCollection();
    return { at, comprehension };
  }

  closeCollection(): void {
    this.nl.pop();
    this.depth--;
  }

  tuple(): Expr {
    const { at, comprehension } = this.openCollection(false);
    if (comprehension) return comprehension;
    const items: Expr[] = [];
    for (;;) {
      this.ws();
      if (this.peek(']')) break;
      items.push(this.expr());
      this.ws();
      if (this.peek(',')) {
        this.i++;
        continue;
      }
      if (!this.peek(']')) this.fail(this.i >= this.text.length ? 'the tuple opened here is not closed: expected ]' : `expected , or ] in the tuple, found ${this.describe()}`, this.i >= this.text.length ? at : this.i);
    }
    this.i++;
    this.closeCollection();
    return { k: 'tuple', items, at, end: this.i };
  }

  object(): Expr {
    const { at, comprehension } = this.openCollection(true);
    if (comprehension) return comprehension;
    this.nl[this.nl.length - 1] = false;
    const items: { key: Expr; value: Expr; bareKey: boolean }[] = [];
    for (;;) {
      this.ws(true);
      if (this.peek('}')) break;
      if (this.i >= this.text.length) this.fail('the object opened here is not closed: expected }', at);
      const key = this.expr();
      this.ws();
      if (this.peek('=') && !this.peek('==') && !this.peek('=>')) this.i++;
      else if (this.peek(':')) this.i++;
      else this.fail(`expected = or : after the object key, found ${this.describe()}`);
      this.ws();
      const value = this.expr();
      items.push({ key, value, bareKey: key.k === 'var' });
      this.ws();
      if (this.peek(',')) this.i++;
      else if (!this.peek('\n') && !this.peek('}')) this.fail(`expected , or a newline or } after the object item, found ${this.describe()}`);
    }
    this.i++;
    this.closeCollection();
    return { k: 'object', items, at, end: this.i };
  }

  heredoc(): Expr {
    const at = this.i;
    this.i += 2;
    const indent = this.peek('-');
    if (indent) this.i++;
    const marker = this.ident();
    if (marker === undefined) this.fail('expected a heredoc marker after <<');
    const eol = this.text.indexOf('\n', this.i);
    if (eol < 0 || this.text.slice(this.i, eol).trim() !== '') this.fail(`expected a newline after <<${indent ? '-' : ''}${marker}`);
    const start = eol + 1;
    // The content ends at the first line that holds only the marker.
    let lineStart = start;
    let end = -1;
    while (lineStart <= this.text.length) {
      const nl = this.text.indexOf('\n', lineStart);
      const lineEnd = nl < 0 ? this.text.length : nl;
      if (this.text.slice(lineStart, lineEnd).trim() === marker) {
        end = lineStart;
        this.i = lineEnd;
        break;
      }
      if (nl < 0) break;
      lineStart = nl + 1;
    }
    if (end < 0) this.fail(`the heredoc opened here is not closed: no line holds only ${marker}`, at);
    const after = this.i;
    this.i = start;
    const tpl = this.templateUntil(end, false, at, true);
    this.i = after;
    if (indent && tpl.k === 'tpl') {
      const raw = this.text.slice(start, end);
      const widths = raw.split('\n').filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
      const strip = widths.length > 0 ? Math.min(...widths) : 0;
      if (strip > 0) {
        const lineStart = new RegExp(`\\n[ \\t]{0,${strip}}`, 'g');
        const first = new RegExp(`^[ \\t]{0,${strip}}`);
        tpl.parts = tpl.parts.map((p, i) => (typeof p === 'string' ? (i === 0 ? p.replace(first, '') : p).replace(lineStart, '\n') : p));
      }
    }
    return { ...tpl, at, end: this.i };
  }

  /**
   * A template: literal text with `${expr}` interpolations and `%{…}` directives. `stop` is the
   * offset where it ends (heredocs, JSON strings) or -1 for a quoted string ending at `"`.
   */
  templateUntil(stop: number, quoted: boolean, at = this.i, heredoc = false): Expr {
    const t = this.text;
    const parts: (string | Expr)[] = [];
    let lit = '';
    this.enter(at);
    const limit = stop < 0 ? t.length : stop;
    for (;;) {
      if (this.i >= limit) {
        if (stop < 0) this.fail('the string opened here is not closed: expected "', at);
        break;
      }
      const c = t[this.i]!;
      if (quoted && c === '"') {
        this.i++;
        break;
      }
      if (quoted && c === '\n') this.fail('a quoted string cannot span lines: expected "', at);
      if (quoted && c === '\\') {
        const e = t[this.i + 1];
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
        if (e !== undefined && e in simple) {
          lit += simple[e]!;
          this.i += 2;
        } else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          const hex = t.slice(this.i + 2, this.i + 2 + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(`invalid \\${e} escape`);
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff) this.fail('invalid Unicode escape');
          lit += String.fromCodePoint(cp);
          this.i += 2 + n;
        } else this.fail(`invalid escape \\${e ?? ''} in a string`);
        continue;
      }
      if ((c === '$' || c === '%') && t[this.i + 1] === c && t[this.i + 2] === '{') {
        lit += `${c}{`;
        this.i += 3;
        continue;
      }
      if (c === '$' && t[this.i + 1] === '{') {
        if (lit !== '') parts.push(lit);
        lit = '';
        const open = this.i;
        this.i += 2;
        if (this.peek('~')) this.i++;
        this.nl.push(true);
        this.ws();
        const x = this.expr();
        this.ws();
        if (this.peek('~')) this.i++;
        if (!this.peek('}')) this.fail(this.i >= limit ? 'the interpolation opened here is not closed: expected }' : `expected } to close the interpolation, found ${this.describe()}`, this.i >= limit ? open : this.i);
        this.i++;
        this.nl.pop();
        parts.push(x);
        continue;
      }
      if (c === '%' && t[this.i + 1] === '{') {
        if (lit !== '') parts.push(lit);
        lit = '';
        const open = this.i;
        const close = t.indexOf('}', this.i);
        if (close < 0 || close >= limit) this.fail('the template directive opened here is not closed', open);
        this.i = close + 1;
        parts.push({ k: 'directive', at: open, end: this.i });
        continue;
      }
      lit += c;
      this.i++;
    }
    void heredoc;
    if (lit !== '' || parts.length === 0) parts.push(lit);
    this.depth--;
    return { k: 'tpl', parts, at, end: this.i };
  }
}
