import { parse as parseToml } from 'smol-toml';
import type { Finding } from '../spec/findings.js';
import { LineIndex } from './hcl/ast.js';
import { conditionalClause, jinjaBranchAt, jinjaBranches } from './jinja-branch.js';
import { SourceFile } from './source.js';

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
 * if set the same key (TOML refuses a key twice), the `{% else %}`/`{% elif %}` branches are left out
 * and the rest read; a template that is TOML in neither reading is not read (RF902, as before).
 */

/** The template's config.toml read, its keys located in the template's own lines. */
export class JinjaTomlSource extends SourceFile {
  readonly #template: string;
  readonly #lines: LineIndex;
  constructor(path: string, rendered: string, template: string) {
    super(path, rendered, 'toml');
    this.#template = template;
    this.#lines = new LineIndex(template);
  }

  /** The finding, said as conditional where its place in this template is inside an `{% if %}` branch. */
  conditional(f: Finding): Finding {
    const m = /:(\d+):(\d+)$/.exec(f.path);
    if (m === null || f.path.slice(0, m.index) !== this.path) return f;
    const b = jinjaBranchAt(jinjaBranches(this.#template), this.#lines.offset(Number(m[1]), Number(m[2])));
    if (b === undefined) return f;
    const p = this.#lines.pos(b.at);
    return { ...f, message: f.message + conditionalClause(b, `${this.path}:${p.line}:${p.column}`) };
  }
}

const blank = (s: string) => s.replace(/[^\n]/g, ' ');

/**
 * The template as TOML of the same length, line for line (so a key's line and column are the
 * template's): tags and comments blank; a `{{ … }}` inside a TOML string kept (its quotes swapped so
 * the string still closes), one outside a string a literal string of its own width, one alone on its
 * line blank.
 */
export function jinjaTomlText(text: string): string {
  let out = '';
  let quote: '"' | "'" | undefined;
  let lineStart = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') {
      quote = undefined;
      out += c;
      i++;
      lineStart = out.length;
      continue;
    }
    if (c === '{' && (text[i + 1] === '%' || text[i + 1] === '#')) {
      const close = text.indexOf(`${text[i + 1]}}`, i + 2);
      const end = close < 0 ? text.length : close + 2;
      out += blank(text.slice(i, end));
      if (out.includes('\n', lineStart)) lineStart = out.lastIndexOf('\n') + 1;
      i = end;
      continue;
    }
    if (c === '{' && text[i + 1] === '{') {
      const close = text.indexOf('}}', i + 2);
      const end = close < 0 ? text.length : close + 2;
      const expr = text.slice(i, end);
      if (expr.includes('\n')) out += expr;
      else if (quote === '"') out += expr.replace(/["\\]/g, "'");
      else if (quote === "'") out += expr.replace(/'/g, '"');
      else {
        const eol = text.indexOf('\n', end);
        const alone = out.slice(lineStart).trim() === '' && text.slice(end, eol < 0 ? text.length : eol).trim() === '';
        out += alone ? blank(expr) : `'${expr.slice(1, -1).replace(/'/g, '"')}'`;
      }
      i = end;
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

/** A string the markup alone writes: the placeholder of a `{{ … }}` outside a string (`{ … }`), or a string of `{{ … }}` only. */
const ONLY_MARKUP = /^(?:\{[^\n]*\}|\s*(?:\{\{[^\n]*?\}\}\s*)+)$/;

/**
 * The values only the markup gives, left out (never guessed): such a key of a table is removed, such
 * an element of an array is null (its neighbours keep their places).
 */
function withoutMarkupValues(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string' && ONLY_MARKUP.test(v)) value[i] = null;
      else withoutMarkupValues(v);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const table = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(table)) {
    if (ONLY_MARKUP.test(k) || (typeof v === 'string' && ONLY_MARKUP.test(v))) delete table[k];
    else withoutMarkupValues(v);
  }
}

function parsed(rendered: string): Record<string, unknown> {
  const value = parseToml(rendered);
  withoutMarkupValues(value);
  return value;
}

/** The config.toml a Jinja template writes, with `[[runners]]`; undefined where it is TOML in neither reading (see above). */
export function readJinjaToml(path: string, text: string): { value: Record<string, unknown>; source: JinjaTomlSource } | { error: unknown } {
  const rendered = jinjaTomlText(text);
  try {
    return { value: parsed(rendered), source: new JinjaTomlSource(path, rendered, text) };
  } catch (e) {
    // Both branches of an if setting one key: the if branches alone.
    const others = jinjaBranches(text).filter((b) => /^\{%[-+]? ?(?:elif|else)\b/.test(b.branch.tag));
    if (others.length === 0) return { error: e };
    let ifOnly = rendered;
    for (const b of others) ifOnly = ifOnly.slice(0, b.from) + blank(ifOnly.slice(b.from, b.to)) + ifOnly.slice(b.to);
    try {
      return { value: parsed(ifOnly), source: new JinjaTomlSource(path, ifOnly, text) };
    } catch {
      return { error: e };
    }
  }
}
