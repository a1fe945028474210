import type { Expr } from './hcl/ast.js';
import { LineIndex } from './hcl/ast.js';
import type { ConfigBlock, Loc } from './hcl/config.js';
import type { Env, ModuleEvaluator } from './hcl/eval.js';
import type { Position } from './source.js';
import { interpolationLineOf, templateLineOf } from './template-map.js';

/**
 * Where the user data of a launch template or instance is written as text the user reads: a file
 * read as it is (`file()`, `filebase64()`), a template file (`templatefile()`), a heredoc in the
 * Terraform file (`base64encode(<<-EOT … EOT)`), or base64 written literally. The rules read the
 * text Terraform makes of it; this is what a line of that text is traced back to.
 */
export type UserDataSource =
  | {
      kind: 'file' | 'template';
      /** The file the text is written in, by its path as given. */
      file: string;
      /** The file's text (`file`), or the template as written, a `<<-` heredoc's lines without the indentation they lose (`template`). */
      text: string;
      /** 0-based line of `file` where `text` starts (a heredoc's first line), 0 for a whole file. */
      line: number;
      /** The indentation a `<<-` heredoc's lines lose (0 otherwise). */
      flush: number;
      /**
       * A `templatefile()`'s variables whose values are texts of their own files (another
       * `templatefile()`, a `file()`, through locals): a line that `${name}` renders is traced into
       * that file. Only a bare `${name}` is followed (a function of it, `indent(2, name)`, changes the text).
       */
      inner?: ReadonlyMap<string, UserDataSource>;
    }
  /** Base64 written literally (in a `.tf.json`, a plan): the lines of its decoded text are the user data's. */
  | { kind: 'literal' }
  /** Another expression (a concatenation, a function of several texts): its lines are not traced. */
  | { kind: 'expression' };

/** Calls whose value is their argument's text, encoded: the user data is that text. */
const ENCODERS = new Set(['base64encode', 'base64gzip']);

/**
 * The source of a `user_data` expression as written (unwrapping base64encode/base64gzip, a local of
 * the same module, parentheses, a `data "template_file"`'s `rendered`, whose template is read with
 * file() or written as a heredoc); undefined where it is another expression (a concatenation, a
 * function of several texts), whose lines the doctor does not trace.
 */
export function userDataSourceOf(evaluator: ModuleEvaluator, expr: Expr, loc: Loc, env: Env, given: (path: string) => { path: string; text: string } | undefined, depth = 0): UserDataSource | undefined {
  if (depth > 4) return undefined;
  switch (expr.k) {
    case 'paren':
      return userDataSourceOf(evaluator, expr.x, loc, env, given, depth + 1);
    case 'lit':
      return typeof expr.v === 'string' ? { kind: 'literal' } : undefined;
    case 'json':
      // A `.tf.json` string: literal text, or the expression it interpolates (`"${filebase64(…)}"`).
      return userDataSourceOf(evaluator, expr.x, loc, env, given, depth + 1);
    case 'attr': {
      // `data.template_file.<name>.rendered` (or `[i].rendered`): its `template`, rendered with its vars.
      const data = expr.name === 'rendered' ? templateFileOf(evaluator, expr.obj) : undefined;
      if (data) {
        const written = data.body.attrs.find((a) => a.name === 'template');
        const inner = written ? userDataSourceOf(evaluator, written.expr, written.loc, { loc: written.loc, vars: new Map() }, given, depth + 1) : undefined;
        // Read with file(): the file is the template.
        if (inner?.kind === 'file') return { ...inner, kind: 'template' };
        // A heredoc is a Terraform template first: one without interpolations or directives of its own
        // is, line for line, the template template_file renders (`$${x}` its `${x}`, `%%{` its `%{`).
        if (inner?.kind === 'template' && !/(?<!\$)\$\{|(?<!%)%\{/.test(inner.text)) return { ...inner, text: inner.text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{') };
        return undefined;
      }
      if (expr.obj.k !== 'var' || expr.obj.name !== 'local') return undefined;
      const local = evaluator.mod.locals.get(expr.name);
      return local ? userDataSourceOf(evaluator, local.expr, local.loc, { loc: local.loc, vars: new Map() }, given, depth + 1) : undefined;
    }
    case 'call': {
      if (ENCODERS.has(expr.name) && expr.args.length === 1) return userDataSourceOf(evaluator, expr.args[0]!, loc, env, given, depth + 1);
      if (expr.name !== 'file' && expr.name !== 'filebase64' && expr.name !== 'templatefile') return undefined;
      const path = evaluator.filePath(expr.args[0], env);
      const file = typeof path === 'string' ? given(path) : undefined;
      if (!file) return undefined;
      if (expr.name !== 'templatefile') return { kind: 'file', file: file.path, text: file.text, line: 0, flush: 0 };
      const inner = new Map<string, UserDataSource>();
      const vars = expr.args[1];
      if (vars?.k === 'object') {
        for (const item of vars.items) {
          const key = item.key;
          const name = key.k === 'var' ? key.name : key.k === 'lit' && typeof key.v === 'string' ? key.v : key.k === 'tpl' && key.parts.length === 1 && typeof key.parts[0] === 'string' ? key.parts[0] : undefined;
          if (name === undefined) continue;
          const source = userDataSourceOf(evaluator, item.value, loc, env, given, depth + 1);
          if (source?.kind === 'file' || source?.kind === 'template') inner.set(name, source);
        }
      }
      return { kind: 'template', file: file.path, text: file.text, line: 0, flush: 0, ...(inner.size > 0 ? { inner } : {}) };
    }
    case 'tpl': {
      // `"${expr}"` is expr's value.
      if (expr.parts.length === 1 && typeof expr.parts[0] !== 'string') return userDataSourceOf(evaluator, expr.parts[0]!, loc, env, given, depth + 1);
      // Only a heredoc: a quoted string's escapes (`\n`) put several lines of user data on one line of the file.
      if (loc.json !== undefined || !loc.text.startsWith('<<', expr.at)) return expr.parts.every((p) => typeof p === 'string') && !loc.text.startsWith('<<', expr.at) ? { kind: 'literal' } : undefined;
      return heredocSource(loc, expr.at);
    }
    case 'var':
    case 'index':
    case 'splat':
    case 'tuple':
    case 'object':
    case 'for':
    case 'cond':
    case 'bin':
    case 'un':
    case 'tif':
    case 'tfor':
      return undefined;
  }
}

/** The `data "template_file"` block of this module that `data.template_file.<name>` (or `[i]` of it) names. */
export function templateFileOf(evaluator: ModuleEvaluator, ref: Expr): ConfigBlock | undefined {
  const named = ref.k === 'index' ? ref.obj : ref;
  if (named.k !== 'attr' || named.obj.k !== 'attr' || named.obj.name !== 'template_file' || named.obj.obj.k !== 'var' || named.obj.obj.name !== 'data') return undefined;
  return evaluator.mod.blocks.find((b) => b.mode === 'data' && b.type === 'template_file' && b.name === named.name);
}

/** The heredoc that starts at offset `at` of `loc`'s file (`<<EOT`, `<<-EOT`): its lines as a template, where they start, what a `<<-` takes off. */
function heredocSource(loc: Loc, at: number): UserDataSource | undefined {
  const text = loc.text;
  const head = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(text.slice(at, at + 200));
  if (!head) return undefined;
  const start = at + head[0].length;
  const marker = head[2]!;
  const lines: string[] = [];
  let end = -1;
  for (let lineStart = start; lineStart <= text.length; ) {
    const nl = text.indexOf('\n', lineStart);
    const line = text.slice(lineStart, nl < 0 ? text.length : nl);
    if (line.trim() === marker) {
      end = lineStart;
      break;
    }
    lines.push(line);
    if (nl < 0) break;
    lineStart = nl + 1;
  }
  if (end < 0) return undefined;
  // `<<-`: HCL takes off the least indentation of the lines that are not blank (a line starting with `${` or `%{` has none).
  let flush = 0;
  if (head[1] === '-') {
    const counted = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
    flush = counted.length > 0 ? Math.min(...counted) : 0;
  }
  const body = lines.map((l) => (l.trim() === '' ? l : l.slice(flush))).join('\n');
  return { kind: 'template', file: loc.file, text: lines.length > 0 ? `${body}\n` : '', line: new LineIndex(text).pos(start).line - 1, flush };
}

/**
 * Where line `line` (1-based) of `rendered`, the text Terraform made of `source`, is written:
 * the file, line and column of its first character that is not white space. Undefined where no one
 * line of the source writes it (it comes from an interpolation or a directive block, or the text
 * does not align with the source); then no line is claimed.
 */
export function userDataLinePlace(source: UserDataSource, rendered: string, line: number): Position | undefined {
  if (source.kind === 'literal' || source.kind === 'expression') return undefined;
  if (source.kind === 'file') {
    // Read as it is: the same text, line for line.
    if (source.text !== rendered) return undefined;
    const written = rendered.split('\n')[line - 1];
    if (written === undefined) return undefined;
    return { file: source.file, line: source.line + line, column: /^[ \t]*/.exec(written)![0].length + 1 };
  }
  const place = templateLineOf(source.text, rendered)?.(line);
  if (place) return { file: source.file, line: source.line + place.line, column: place.column + source.flush };
  // A line of a `${name}` whose value is another file's text: that file's line.
  if (!source.inner) return undefined;
  const held = interpolationLineOf(source.text, rendered, line);
  const inner = held ? source.inner.get(held.expr) : undefined;
  return inner && held ? userDataLinePlace(inner, held.value, held.line) : undefined;
}

/**
 * Lines of `checked` (the user data the rules read, its config.toml put in canonical form) that are
 * lines of `read` (the user data as Terraform makes it): those before and after the part that
 * differs, and a line of that part whose text, indentation aside, stands once in each. Undefined for
 * any other line of that part.
 */
export function readLineOf(read: string, checked: string, line: number): number | undefined {
  if (read === checked) return line;
  const a = read.split('\n');
  const b = checked.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  if (line <= head) return line;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const fromEnd = b.length - line;
  if (fromEnd < tail) return a.length - fromEnd;
  // Inside the part that differs (a config.toml the doctor rewrote without its indentation, a rendered
  // interpolation): the line is the user's only where its text, indentation aside, stands once in
  // each, so no other line could be meant.
  const text = b[line - 1]?.trim();
  if (text === undefined || text === '') return undefined;
  const once = (lines: readonly string[]): number => {
    let at = -1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== text) continue;
      if (at >= 0) return -1;
      at = i;
    }
    return at;
  };
  const at = once(a);
  return at >= 0 && once(b) === line - 1 ? at + 1 : undefined;
}

/**
 * Line `line` (1-based) of `rendered`, the user data as Terraform makes it of `source`, as a finding
 * names it: where the user wrote it (`place`, and `line 7 of boot.sh`), else no place and words that
 * say why no line of theirs is claimed. `rendering` names the user data (`the user data of
 * aws_launch_template.x`) for a line only the rendered text has.
 */
export function userDataLineShown(source: UserDataSource | undefined, rendered: string, line: number, rendering: string): { place?: Position; words: string } {
  const place = source ? userDataLinePlace(source, rendered, line) : undefined;
  if (place) return { place, words: `line ${place.line} of ${place.file}` };
  const written = source?.kind === 'file' || source?.kind === 'template' ? ` as Terraform renders it, which no one line of ${source.file} writes: an interpolation or a directive renders it` : '';
  return { words: `line ${line} of ${rendering}${written}` };
}
