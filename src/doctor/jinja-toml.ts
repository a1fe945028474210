import { parse as parseToml } from 'smol-toml';
import type { Finding } from '../spec/findings.js';
import { LineIndex } from './hcl/ast.js';
import { conditionalClause, jinjaBlocks, jinjaBranchesAt, jinjaBranches, jinjaLoopsAt, loopClause, type TemplateEngine } from './jinja-branch.js';
import { SourceFile, spanLine, type Position } from './source.js';

/**
 * A config.toml written as a Jinja template (an Ansible role's `templates/config.toml.j2`, rendered by
 * its `template:` task onto the host): what is written outside Jinja's markup is the file the runner
 * reads, so its `[[runners]]` get the checks of a config.toml given alone, each at its line of the
 * template. What the markup gives is not known here and never guessed: a value or key only a `{{ … }}`
 * writes (`privileged = {{ x }}`, `devices = ["{{ d }}"]`) is left out, a `{{ … }}` alone on its line (a
 * whole table `{{ x | to_toml }}`) and `{% … %}` or `{# … #}` tags are read as blank; a string the
 * markup only fills in part (`"/var/run/docker.sock:{{ x }}"`) is read as written. What
 * an `{% if %}` branch holds is rendered only where its condition holds: a finding there says so (the
 * condition and the tag's place), as for a register flag (jinja-branch.ts). Where both branches of an
 * if set the same key (TOML refuses a key twice), each branch is read in a reading of its own (the
 * `if` branches in one, the `{% else %}`/`{% elif %}` branches in the next), each finding said as
 * conditional; a template that is TOML in no reading is not read (RF902, as before).
 * A Terraform template file no Terraform given reads (`config.toml.tpl`, a setup script's heredoc in
 * `user-data.sh.tftpl`: script-toml.ts) is read the same way, its `${…}` as Jinja's `{{ … }}` and its
 * `%{ if … }` … `%{ endif }` branches as Jinja's (Terraform has no elif).
 */

/**
 * The template's config.toml read, its keys located in the template's own lines (`before`: the lines
 * of the file above the template's text; or, for a body joined from several heredocs of a script,
 * the span whose `lines` give the script line of each body line, heredocSpan).
 */
export class TemplateTomlSource extends SourceFile {
  readonly #template: string;
  readonly #engine: TemplateEngine;
  readonly #span: { from: number; lines?: readonly number[] };
  readonly #lines: LineIndex;
  constructor(path: string, rendered: string, template: string, engine: TemplateEngine, before: number | { from: number; lines?: readonly number[] } = 0) {
    super(path, rendered, 'toml');
    this.#template = template;
    this.#engine = engine;
    this.#span = typeof before === 'number' ? { from: before } : before;
    this.#lines = new LineIndex(template);
  }

  override locate(doc: number, path: readonly (string | number)[]): Position {
    const p = super.locate(doc, path);
    return { ...p, line: this.#fileLine(p.line) };
  }

  /** A line (1-based) of the template's text as a line of its file. */
  #fileLine(line: number): number {
    return spanLine(this.#span, line - 1) + 1;
  }

  /**
   * The finding, said as conditional where its place in this template is inside an `if` branch, and
   * as once per item where it is inside a `for` loop's body (each loop it is in, outermost first).
   */
  conditional(f: Finding): Finding {
    const m = /:(\d+):(\d+)$/.exec(f.path);
    if (m === null || f.path.slice(0, m.index) !== this.path) return f;
    const blocks = jinjaBlocks(this.#template, this.#engine);
    const at = this.#lines.offset((this.#span.lines !== undefined ? this.#span.lines.indexOf(Number(m[1]) - 1) : Number(m[1]) - 1 - this.#span.from) + 1, Number(m[2]));
    const where = (offset: number) => {
      const p = this.#lines.pos(offset);
      return `${this.path}:${this.#fileLine(p.line)}:${p.column}`;
    };
    const chain = jinjaBranchesAt(blocks.branches, at);
    const loops = jinjaLoopsAt(blocks.loops, at);
    if (chain.length === 0 && loops.length === 0) return f;
    return { ...f, message: f.message + conditionalClause(chain, where) + loops.map((l) => loopClause(l, where(l.at))).join('') };
  }
}

const blank = (s: string) => s.replace(/[^\n]/g, ' ');

/** The end of a Terraform `${…}` opened at `i`, past its own closing `}` (braces inside it counted). */
function terraformEnd(text: string, i: number): number {
  let depth = 0;
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j + 1;
  }
  return text.length;
}

/**
 * The template as TOML of the same length, line for line (so a key's line and column are the
 * template's): tags and comments blank; an expression (`{{ … }}`, `${…}`) inside a TOML string kept
 * (its quotes swapped so the string still closes), one outside a string a literal string of its own
 * width (listed in `placeholders`), one alone on its line blank.
 */
export function templateTomlText(text: string, engine: TemplateEngine = 'jinja'): { toml: string; placeholders: Set<string> } {
  const placeholders = new Set<string>();
  const toml = rewriteTomlText(text, (i, quote, out) => {
    const c = text[i]!;
    // `$${` and `%%{`: Terraform's literal `${` and `%{`.
    if (engine === 'terraform' && (c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') return { text: text.slice(i, i + 3), end: i + 3 };
    const statement = engine === 'jinja' ? c === '{' && (text[i + 1] === '%' || text[i + 1] === '#') : c === '%' && text[i + 1] === '{';
    if (statement) {
      const close = engine === 'jinja' ? text.indexOf(`${text[i + 1]}}`, i + 2) : text.indexOf('}', i + 2);
      const end = close < 0 ? text.length : close + (engine === 'jinja' ? 2 : 1);
      return { text: blank(text.slice(i, end)), end };
    }
    const expression = engine === 'jinja' ? c === '{' && text[i + 1] === '{' : c === '$' && text[i + 1] === '{';
    if (!expression) return undefined;
    const close = engine === 'jinja' ? text.indexOf('}}', i + 2) : -2;
    const end = engine === 'terraform' ? terraformEnd(text, i) : close < 0 ? text.length : close + 2;
    const expr = text.slice(i, end);
    if (expr.includes('\n')) return { text: expr, end };
    if (quote === '"') return { text: expr.replace(/["\\]/g, "'"), end };
    if (quote === "'") return { text: expr.replace(/'/g, '"'), end };
    const eol = text.indexOf('\n', end);
    const alone = out.slice(out.lastIndexOf('\n') + 1).trim() === '' && text.slice(end, eol < 0 ? text.length : eol).trim() === '';
    const inner = expr.slice(1, -1).replace(/'/g, '"');
    if (!alone) placeholders.add(inner);
    return { text: alone ? blank(expr) : `'${inner}'`, end };
  });
  return { toml, placeholders };
}

/**
 * A TOML text copied as TOML's lexer reads strings and comments — a newline ends a line's string,
 * `#` outside a string starts a comment to the end of the line, `\` escapes the next character in a
 * "…" string — with `markup` asked first at each place but a newline: what it recognises there (a
 * template's markup, a placeholder a script fills) it rewrites, returning the text to write and where
 * to go on. `quote` is the string the place is in; `out` what is written so far. The template
 * readers (templateTomlText, sed-toml.ts) keep a text's lines and columns through it.
 */
export function rewriteTomlText(text: string, markup: (i: number, quote: '"' | "'" | undefined, out: string) => { text: string; end: number } | undefined): string {
  let out = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') {
      quote = undefined;
      out += c;
      i++;
      continue;
    }
    const rewritten = markup(i, quote, out);
    if (rewritten !== undefined) {
      out += rewritten.text;
      i = rewritten.end;
      continue;
    }
    if (quote === undefined && c === '#') {
      const eol = text.indexOf('\n', i);
      const end = eol < 0 ? text.length : eol;
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (quote === '"' && c === '\\') {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") quote = quote === undefined ? c : quote === c ? undefined : quote;
    out += c;
    i++;
  }
  return out;
}

/** The Jinja template as TOML (templateTomlText). */
export function jinjaTomlText(text: string): string {
  return templateTomlText(text, 'jinja').toml;
}

/** A string of expressions only (`"{{ x }}"`, `"${x}"`): what the markup alone writes. */
const ONLY_EXPRESSIONS: Record<TemplateEngine, RegExp> = { jinja: /^\s*(?:\{\{[^\n]*?\}\}\s*)+$/, terraform: /^\s*(?:\$\{[^\n]*?\}\s*)+$/ };

/**
 * The values only the markup gives, left out (never guessed): such a key of a table is removed, such
 * an element of an array is null (its neighbours keep their places).
 */
function withoutMarkupValues(value: unknown, only: (s: string) => boolean): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string' && only(v)) value[i] = null;
      else withoutMarkupValues(v, only);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const table = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(table)) {
    if (only(k) || (typeof v === 'string' && only(v))) delete table[k];
    else withoutMarkupValues(v, only);
  }
}

/** A template's config.toml as one reading gives it. */
export interface TemplateTomlReading {
  value: Record<string, unknown>;
  source: TemplateTomlSource;
}

/**
 * The if blocks of the text that hold more than one branch, each as its branches' ranges in order
 * (the `if`, then each `elif` and the `else`): a branch ends where the next of its block begins.
 */
function multiBranchBlocks(text: string, engine: TemplateEngine): { from: number; to: number }[][] {
  const branches = jinjaBranches(text, engine);
  const blocks: { from: number; to: number }[][] = [];
  for (const b of branches) {
    if (/^(?:\{%[-+]?|%\{~?) ?(?:elif|else)\b/.test(b.branch.tag)) continue;
    const block = [b];
    for (let next = branches.find((n) => n.branch.at === b.to); next !== undefined; next = branches.find((n) => n.branch.at === block[block.length - 1]!.to)) block.push(next);
    if (block.length > 1) blocks.push(block);
  }
  return blocks;
}

/**
 * The config.toml a template writes (`before`: the lines of its file above it, for a heredoc's body);
 * `error` where it is TOML in no reading (see above). Where both branches of an if set one key (TOML
 * refuses the two together), each branch is read in a reading of its own: the first (`value`) renders
 * every block's `if` branch, the next its first `elif` or `else`, and so on (a block of fewer branches
 * keeps its last); those readings that are TOML are `alternatives`, so what an `else` sets is read too,
 * said as conditional as the `if`'s is.
 */
export function readTemplateToml(path: string, text: string, engine: TemplateEngine = 'jinja', before: number | { from: number; lines?: readonly number[] } = 0): (TemplateTomlReading & { alternatives: TemplateTomlReading[] }) | { error: unknown } {
  const { toml, placeholders } = templateTomlText(text, engine);
  const only = (s: string) => placeholders.has(s) || ONLY_EXPRESSIONS[engine].test(s);
  const read = (rendered: string): TemplateTomlReading => {
    const value = parseToml(rendered);
    withoutMarkupValues(value, only);
    return { value, source: new TemplateTomlSource(path, rendered, text, engine, before) };
  };
  try {
    return { ...read(toml), alternatives: [] };
  } catch (e) {
    const blocks = multiBranchBlocks(text, engine);
    const readings: TemplateTomlReading[] = [];
    const most = Math.max(0, ...blocks.map((b) => b.length));
    for (let k = 0; k < most; k++) {
      let one = toml;
      for (const block of blocks) {
        block.forEach((b, i) => {
          if (i !== Math.min(k, block.length - 1)) one = one.slice(0, b.from) + blank(one.slice(b.from, b.to)) + one.slice(b.to);
        });
      }
      try {
        readings.push(read(one));
      } catch {
        // This reading is not TOML either: the others are read.
      }
    }
    if (readings.length === 0) return { error: e };
    return { ...readings[0]!, alternatives: readings.slice(1) };
  }
}

/** The config.toml a Jinja template writes (readTemplateToml). */
export function readJinjaToml(path: string, text: string): ReturnType<typeof readTemplateToml> {
  return readTemplateToml(path, text, 'jinja');
}
