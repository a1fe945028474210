import { HclSyntaxError, type Attribute, type Block, type Body, type Expr, type Span } from './ast.js';

/**
 * A recursive-descent parser for HCL native syntax (what Terraform `.tf` files are written in):
 * bodies of attributes and blocks, and expressions — literals, quoted templates with `${}`
 * interpolation, heredocs, tuples, objects, references with attribute/index/splat traversal,
 * function calls (with `...` expansion), `for` expressions, conditionals, unary and binary
 * operators — with `#`, `//` and `/* *\/` comments. It keeps the offsets of every node.
 * Templates keep their directives (`%{if}`, `%{for}`) as nodes, with strip markers (`~`) applied.
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

/**
 * Where a file's HCL comments are (`#`, `//` to the end of the line, `/* … *\/`), as [start, end)
 * offsets, read by the parser itself: text inside a string or a heredoc is never a comment.
 * Undefined when the file is not valid HCL.
 */
export function hclComments(text: string): [number, number][] | undefined {
  const p = new Parser(text);
  p.comments = [];
  try {
    p.file();
  } catch (e) {
    if (e instanceof HclSyntaxError) return undefined;
    throw e;
  }
  // A backtracking parse may skip one comment twice: sorted, once each.
  const seen = new Set<number>();
  return p.comments.filter(([start]) => !seen.has(start) && seen.add(start) !== undefined).sort((a, b) => a[0] - b[0]);
}

/** Parses one template expression as it appears in a `.tf.json` string (`"${local.x}-suffix"`). */
export function parseJsonTemplate(text: string): Expr {
  const p = new Parser(text);
  return p.templateUntil(text.length, false);
}

/**
 * Where the `${…}` tag that opens at `at` of a template's text ends (the offset after its closing
 * `}`), read by the parser: a `}` inside a quoted string, an object or a nested template does not
 * close it. One around a directive's tag (`${%{ for k, v in var.x }}`, how the evaluator writes a
 * directive over what only apply knows) ends after its own `}`. `body` is where the tag's expression
 * or directive starts when the caller has read a prefix of its own after the `${` (the module
 * address the evaluator puts before a module's symbol, `${module.runner.jsonencode({ a = 1 })}`).
 * Undefined where it does not parse.
 */
export function interpolationEnd(text: string, at: number, body = at + 2): number | undefined {
  const read = readInterpolation(text, at, body);
  return 'end' in read ? read.end : undefined;
}

/**
 * interpolationEnd, and where the parser refuses the tag, how far it read the text before it did
 * (`reach`: where it stopped, or the end of a `/*` comment or a heredoc it looked for): a reader of
 * every `${` of a text goes on from there, so a line of 20,000 refused `${` is read once, not once
 * per `${`.
 */
export function readInterpolation(text: string, at: number, body = at + 2): { end: number } | { reach: number } {
  if (!text.startsWith('${', at)) return { reach: at };
  const p = new Parser(text);
  try {
    if (text.startsWith('%{', body)) {
      p.i = body;
      p.directiveTag(text.length);
    } else if (body === at + 2) {
      p.i = at;
      return { end: p.interpolation(text.length).end };
    } else {
      p.i = body;
      p.nl.push(true);
      p.ws();
      p.expr();
      p.ws();
    }
    return p.peek('}') ? { end: p.i + 1 } : { reach: Math.max(p.reach, p.i) };
  } catch (e) {
    if (e instanceof HclSyntaxError) return { reach: Math.max(p.reach, p.i, e.offset) };
    throw e;
  }
}

/** Where the `%{…}` directive tag that opens at `at` ends (the offset after its own `}`), read by the parser; undefined where it does not parse. */
export function directiveTagEnd(text: string, at: number): number | undefined {
  if (!text.startsWith('%{', at)) return undefined;
  const p = new Parser(text);
  p.i = at;
  try {
    return p.directiveTag(text.length).end;
  } catch (e) {
    if (e instanceof HclSyntaxError) return undefined;
    throw e;
  }
}

class Parser {
  readonly text: string;
  i = 0;
  depth = 0;
  /** Whether newlines are insignificant here (inside parentheses, brackets, interpolations). */
  readonly nl: boolean[] = [false];
  /** Where the comments skipped are, when asked for (hclComments). */
  comments: [number, number][] | undefined;
  /** The furthest offset a search of the text looked at (a `/*` comment's end, a heredoc's closing line): how far a refused parse read. */
  reach = 0;

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
        const start = this.i;
        while (this.i < t.length && t[this.i] !== '\n') this.i++;
        this.comments?.push([start, this.i]);
      } else if (c === '/' && t[this.i + 1] === '*') {
        const end = t.indexOf('*/', this.i + 2);
        this.reach = Math.max(this.reach, end < 0 ? t.length : end + 2);
        if (end < 0) this.fail('unterminated /* comment');
        this.comments?.push([this.i, end + 2]);
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
    this.reach = Math.max(this.reach, end < 0 ? this.text.length : this.i);
    if (end < 0) this.fail(`the heredoc opened here is not closed: no line holds only ${marker}`, at);
    const after = this.i;
    this.i = start;
    const tpl = this.templateUntil(end, false, at, indent);
    this.i = after;
    return { ...tpl, at, end: this.i };
  }

  /**
   * A template: literal text with `${expr}` interpolations and `%{…}` directives. `stop` is the
   * offset where it ends (heredocs, JSON strings) or -1 for a quoted string ending at `"`. As HCL
   * does, the text is read as a flat run of literals, interpolations and directive tags first; then
   * strip markers (`${~`, `~}`, `%{~`) trim the white space (newlines too) of the literal next to
   * them, a `<<-` heredoc's lines lose their common indentation (`flush`), and the tags are nested into
   * `%{if}` and `%{for}` nodes.
   */
  templateUntil(stop: number, quoted: boolean, at = this.i, flush = false): Expr {
    const t = this.text;
    const run: Token[] = [];
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
      if ((c === '$' || c === '%') && t[this.i + 1] === '{') {
        run.push(lit);
        lit = '';
        run.push(c === '$' ? this.interpolation(limit) : this.directiveTag(limit));
        continue;
      }
      lit += c;
      this.i++;
    }
    run.push(lit);
    // HCL scans the literal text of a heredoc or a bare template (a file templatefile() reads, a
    // `.tf.json` string) as one token per line (each ends after its newline), a quoted string's as
    // one token. A strip marker trims the token next to it (Unicode white space, a newline too): so
    // `~}` at the end of a line takes that line's newline, not the indentation of the next line.
    const tokens = run.map((x, k) => (k % 2 === 1 || x === '' ? [] : quoted ? [x as string] : (x as string).split(/(?<=\n)/)));
    for (let k = 1; k < run.length; k += 2) {
      const tag = run[k] as Tag;
      const before = tokens[k - 1]!;
      const after = tokens[k + 1]!;
      if (tag.stripLeft && before.length > 0) before[before.length - 1] = before[before.length - 1]!.trimEnd();
      if (tag.stripRight && after.length > 0) after[0] = after[0]!.trimStart();
    }
    if (flush) flushHeredoc(tokens);
    for (let k = 0; k < run.length; k += 2) run[k] = tokens[k]!.join('');
    const cursor = { k: 0 };
    const out = this.nest(run, cursor, at, undefined);
    this.depth--;
    return { k: 'tpl', parts: out.parts.length === 0 ? [''] : out.parts, at, end: this.i };
  }

  /** `${ expr }` (with strip markers) from its `$`. */
  interpolation(limit: number): Tag {
    const open = this.i;
    this.i += 2;
    const stripLeft = this.peek('~');
    if (stripLeft) this.i++;
    this.nl.push(true);
    this.ws();
    const x = this.expr();
    this.ws();
    const stripRight = this.peek('~');
    if (stripRight) this.i++;
    if (!this.peek('}')) this.fail(this.i >= limit ? 'the interpolation opened here is not closed: expected }' : `expected } to close the interpolation, found ${this.describe()}`, this.i >= limit ? open : this.i);
    this.i++;
    this.nl.pop();
    return { tag: 'interp', x, stripLeft, stripRight, at: open, end: this.i };
  }

  /** `%{ if cond }`, `%{ else }`, `%{ endif }`, `%{ for k, v in coll }`, `%{ endfor }` (with strip markers) from its `%`. */
  directiveTag(limit: number): Tag {
    const open = this.i;
    this.i += 2;
    const stripLeft = this.peek('~');
    if (stripLeft) this.i++;
    this.nl.push(true);
    this.ws();
    const kwAt = this.i;
    const kw = this.ident() ?? '';
    const tag: Tag = { tag: 'if', stripLeft, stripRight: false, at: open, end: open };
    switch (kw) {
      case 'if':
        this.ws();
        tag.x = this.expr();
        break;
      case 'for': {
        this.ws();
        const first = this.ident();
        if (first === undefined) this.fail(`expected a variable name after %{for, found ${this.describe()}`);
        this.ws();
        tag.tag = 'for';
        tag.valVar = first;
        if (this.peek(',')) {
          this.i++;
          this.ws();
          const second = this.ident();
          if (second === undefined) this.fail(`expected a second variable name after , in %{for, found ${this.describe()}`);
          tag.keyVar = first;
          tag.valVar = second;
          this.ws();
        }
        const kwIn = this.i;
        if (this.ident() !== 'in') this.fail(`expected in after the variables of %{for, found ${(this.i = kwIn, this.describe())}`, kwIn);
        this.ws();
        tag.x = this.expr();
        break;
      }
      case 'else':
      case 'endif':
      case 'endfor':
        tag.tag = kw;
        break;
      default:
        this.fail(`expected if, else, endif, for or endfor after %{, found ${(this.i = kwAt, this.describe())} (write %%{ for a literal %{)`, kwAt);
    }
    this.ws();
    tag.stripRight = this.peek('~');
    if (tag.stripRight) this.i++;
    if (!this.peek('}')) this.fail(this.i >= limit ? `the %{${tag.tag}} directive opened here is not closed: expected }` : `expected } to close the %{${tag.tag}} directive, found ${this.describe()}`, this.i >= limit ? open : this.i);
    this.i++;
    this.nl.pop();
    tag.end = this.i;
    return tag;
  }

  /**
   * The parts of a template from `cursor.k` of the flat run (literals at even indexes, tags at odd
   * ones) up to the tag that closes `opener` (`else`/`endif` for an if, `endfor` for a for), nested.
   */
  nest(run: Token[], cursor: { k: number }, at: number, opener: Tag | undefined): { parts: (string | Expr)[]; end: Tag | undefined; at: number; stop: number } {
    const parts: (string | Expr)[] = [];
    const push = (s: string) => {
      if (s === '') return;
      const last = parts[parts.length - 1];
      if (typeof last === 'string') parts[parts.length - 1] = last + s;
      else parts.push(s);
    };
    for (; cursor.k < run.length; cursor.k++) {
      const tok = run[cursor.k]!;
      if (typeof tok === 'string') {
        push(tok);
        continue;
      }
      if (tok.tag === 'interp') {
        parts.push(tok.x!);
        continue;
      }
      if (tok.tag === 'else' || tok.tag === 'endif' || tok.tag === 'endfor') {
        const fits = opener !== undefined && (opener.tag === 'for' ? tok.tag === 'endfor' : tok.tag === 'endif' || (tok.tag === 'else' && opener.tag === 'if'));
        if (!fits) this.fail(opener === undefined ? `unexpected %{${tok.tag}}: no %{${tok.tag === 'endfor' ? 'for' : 'if'}} is open` : `unexpected %{${tok.tag}} inside %{${opener.tag}}: expected %{${opener.tag === 'for' ? 'endfor' : opener.tag === 'if' ? 'else} or %{endif' : 'endif'}}`, tok.at);
        return { parts, end: tok, at, stop: tok.at };
      }
      // %{if} or %{for}: its body (and else) up to its closing tag.
      this.enter(tok.at);
      cursor.k++;
      const body = this.nest(run, cursor, tok.end, tok);
      if (body.end === undefined) this.fail(`the %{${tok.tag}} opened here is not closed: expected %{${tok.tag === 'for' ? 'endfor' : 'endif'}}`, tok.at);
      const tpl = (b: { parts: (string | Expr)[]; at: number; stop: number }): Expr & { k: 'tpl' } => ({ k: 'tpl', parts: b.parts, at: b.at, end: b.stop });
      const span = (x: Tag): Span => ({ at: x.at, end: x.end });
      if (tok.tag === 'for') {
        const node: Expr = { k: 'tfor', valVar: tok.valVar!, coll: tok.x!, body: tpl(body), open: span(tok), close: span(body.end), at: tok.at, end: body.end.end };
        if (tok.keyVar !== undefined) node.keyVar = tok.keyVar;
        parts.push(node);
      } else {
        let close = body.end;
        const node: Expr = { k: 'tif', cond: tok.x!, then: tpl(body), open: span(tok), close: span(close), at: tok.at, end: close.end };
        if (close.tag === 'else') {
          cursor.k++;
          const els = this.nest(run, cursor, close.end, close);
          if (els.end === undefined) this.fail('the %{if} opened here is not closed: expected %{endif}', tok.at);
          node.mid = span(close);
          node.else = tpl(els);
          close = els.end;
          node.close = span(close);
          node.end = close.end;
        }
        parts.push(node);
      }
      this.depth--;
    }
    return { parts, end: undefined, at, stop: this.i };
  }
}

/** A template read flat: literal text at even indexes, interpolations and directive tags between. */
type Token = string | Tag;
interface Tag extends Span {
  tag: 'interp' | 'if' | 'else' | 'endif' | 'for' | 'endfor';
  /** The interpolated expression, the if's condition, the for's collection. */
  x?: Expr;
  keyVar?: string;
  valVar?: string;
  stripLeft: boolean;
  stripRight: boolean;
}

/**
 * The flush rule of a `<<-` heredoc as HCL applies it, after strip markers: every line that starts
 * with a literal token (not a blank line) counts its leading white space, a line that starts with an
 * interpolation or a directive counts 0, and that many characters leave every counted line.
 * `tokens` are the line tokens of the literal texts (even indexes) with the tags between (odd ones).
 */
function flushHeredoc(tokens: string[][]): void {
  let min = Infinity;
  let newline = true;
  const adjust: [number, number][] = [];
  for (let k = 0; k < tokens.length; k++) {
    if (k % 2 === 1) {
      if (newline) min = 0;
      newline = false;
      continue;
    }
    const line = tokens[k]!;
    for (let j = 0; j < line.length; j++) {
      const tok = line[j]!;
      if (newline) {
        const rest = tok.trimStart();
        if (!(rest === '' && tok.endsWith('\n'))) {
          min = Math.min(min, tok.length - rest.length);
          adjust.push([k, j]);
        }
      }
      newline = tok.endsWith('\n');
    }
  }
  if (min === Infinity || min === 0) return;
  for (const [k, j] of adjust) tokens[k]![j] = tokens[k]![j]!.slice(min);
}
