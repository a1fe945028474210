/**
 * The syntax tree of HCL native syntax as the doctor reads it (Terraform `.tf` files). Every node
 * carries the offsets of its source text, so findings point at `file:line:column` and an
 * expression that cannot be evaluated can be shown as written.
 */

export interface Span {
  /** Offset of the first character. */
  at: number;
  /** Offset after the last character. */
  end: number;
}

export type Expr = Span &
  (
    | { k: 'lit'; v: null | boolean | number | string }
    /** A quoted string or heredoc: literal text and interpolated expressions. */
    | { k: 'tpl'; parts: (string | Expr)[] }
    /**
     * A template's `%{if cond}…%{else}…%{endif}`: `then` and `else` are the texts between the tags
     * (strip markers applied), `open`, `mid` and `close` the spans of the three tags.
     */
    | { k: 'tif'; cond: Expr; then: Expr & { k: 'tpl' }; else?: Expr & { k: 'tpl' }; open: Span; mid?: Span; close: Span }
    /** A template's `%{for v in coll}…%{endfor}` (`%{for k, v in coll}`): `body` is rendered once per element. */
    | { k: 'tfor'; keyVar?: string; valVar: string; coll: Expr; body: Expr & { k: 'tpl' }; open: Span; close: Span }
    | { k: 'var'; name: string }
    | { k: 'attr'; obj: Expr; name: string }
    | { k: 'index'; obj: Expr; key: Expr }
    /** `list[*].a.b` or `list.*.a`: `chain` applied to every element. */
    | { k: 'splat'; obj: Expr; chain: ({ attr: string } | { index: Expr })[] }
    | { k: 'call'; name: string; args: Expr[]; expand: boolean }
    | { k: 'tuple'; items: Expr[] }
    | { k: 'object'; items: { key: Expr; value: Expr; bareKey: boolean }[] }
    | { k: 'for'; keyVar?: string; valVar: string; coll: Expr; keyExpr?: Expr; valExpr: Expr; cond?: Expr; group: boolean; object: boolean }
    | { k: 'cond'; test: Expr; then: Expr; else: Expr }
    | { k: 'bin'; op: string; l: Expr; r: Expr }
    | { k: 'un'; op: '!' | '-'; x: Expr }
    | { k: 'paren'; x: Expr }
    /** A template written in a `.tf.json` string: `x`'s offsets index `text`, not the file. */
    | { k: 'json'; text: string; x: Expr }
  );

export interface Attribute extends Span {
  name: string;
  expr: Expr;
}

export interface Block extends Span {
  type: string;
  labels: string[];
  body: Body;
}

export interface Body {
  attrs: Attribute[];
  blocks: Block[];
}

/** A syntax error at an offset of the file. */
export class HclSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'HclSyntaxError';
    this.offset = offset;
  }
}

/** Offsets to 1-based line and column (columns count UTF-16 code units, as the other readers do). */
export class LineIndex {
  readonly #starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }
  pos(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#starts[lo]! + 1 };
  }
  /** The offset of a 1-based line and column (the end of the text past its last line). */
  offset(line: number, column: number): number {
    const start = this.#starts[Math.min(Math.max(line, 1), this.#starts.length) - 1]!;
    return start + column - 1;
  }
}

/** The interpolations of a template's parts in the order written, inside its directives' texts too. */
export function* interpolations(parts: readonly (string | Expr)[]): Generator<Expr> {
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if (p.k === 'tif') {
      yield* interpolations(p.then.parts);
      if (p.else) yield* interpolations(p.else.parts);
    } else if (p.k === 'tfor') yield* interpolations(p.body.parts);
    else yield p;
  }
}
