import { Parser } from 'yaml';

/**
 * Quoted scalars whose continuation lines are indented less than YAML 1.2 asks.
 *
 * YAML 1.2 wants each continuation line of a multi-line quoted scalar in block context indented
 * past the block collection holding it (s-flow-line-prefix), and the YAML library refuses one that
 * is not ("Missing closing "quote"). libyaml's scanner does not check that indentation
 * (yaml_parser_scan_flow_scalar stops only at a document marker or the end of the text), so the
 * readers built on it take such a scalar: PyYAML, with which Ansible reads its vars and task files
 * (`repo: "deb https://…/\` over lines starting at column 0), and go-yaml, a port of it. A file they
 * read is no syntax error of the user's.
 *
 * The continuation lines' leading blanks are no part of a quoted scalar's value (flow folding
 * drops them), so indenting those lines enough leaves every value as those readers read it; no line
 * is added or removed, so every line number stays. A line that starts with a document marker
 * (`---`, `...`) ends the scalar for libyaml too ("found unexpected document indicator"): never
 * indented, the error stays.
 */

/** The error the YAML library gives for such a scalar: its quote found no close on the lines indented enough. */
const UNCLOSED_QUOTE = /^Missing closing ['"]quote/;

/** The longest chain of such scalars repaired in one file before the error given is kept as it is. */
const MAX_REPAIRS = 50;

/**
 * Each repair reads the whole text again (twice): the characters read over all of them are bounded,
 * so a large file with many such scalars keeps its error rather than taking seconds (40 repairs of a
 * 95 KB file took 34 s on a loaded two-core machine). The vars and task files that hold such scalars
 * are a few KB.
 */
const MAX_CHARS_READ = 256 * 1024;

interface QuotedToken { type: 'double-quoted-scalar' | 'single-quoted-scalar'; offset: number; indent: number; source: string }

/** The quoted scalar tokens of a text's concrete syntax tree, wherever they sit. */
function quotedTokens(text: string): QuotedToken[] {
  const out: QuotedToken[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 200 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const t = v as Record<string, unknown>;
    if ((t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') && typeof t.offset === 'number' && typeof t.source === 'string') {
      out.push(t as unknown as QuotedToken);
      return;
    }
    for (const x of Object.values(t)) walk(x, depth + 1);
  };
  for (const token of new Parser().parse(text)) walk(token, 0);
  return out;
}

/** Where the quoted scalar opened at `start` closes in `text` (the offset after its closing quote), or undefined when it does not. */
function closingQuote(text: string, start: number): number | undefined {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (q === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c !== q) continue;
    if (q === "'" && text[i + 1] === "'") {
      i++;
      continue;
    }
    return i + 1;
  }
  return undefined;
}

/**
 * `text` with the continuation lines of the quoted scalar whose token ends at `end` (where the YAML
 * library stopped) indented one column past its collection; undefined where there is nothing to
 * indent, the scalar does not close, or a line in it starts with a document marker. A line led by
 * a tab (which YAML 1.2 does not take for indentation, and libyaml does not ask for) gets the spaces
 * before its tab: the tab is then blank space inside the line, dropped with the rest.
 */
function indentedAt(text: string, end: number): string | undefined {
  const token = quotedTokens(text).find((t) => t.offset + t.source.length === end);
  if (!token) return undefined;
  const close = closingQuote(text, token.offset);
  if (close === undefined) return undefined;
  const need = token.indent + 1;
  const lines = text.slice(token.offset, close).split('\n');
  let changed = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (/^(?:---|\.\.\.)(?:[ \t]|$)/.test(line)) return undefined;
    if (line.trim() === '') continue;
    const blanks = /^ */.exec(line)![0].length;
    if (blanks >= need) continue;
    lines[i] = ' '.repeat(need - blanks) + lines[i]!;
    changed = true;
  }
  return changed ? text.slice(0, token.offset) + lines.join('\n') + text.slice(close) : undefined;
}

/**
 * The text as libyaml's readers read it when the YAML library refuses it only for quoted scalars
 * whose continuation lines are not indented enough: `parse` (the caller's YAML reading, which
 * returns the first error or undefined) succeeds on the returned text; undefined otherwise, and the
 * caller reports its own error.
 */
export function withQuotedLinesIndented(text: string, parse: (t: string) => { message: string; pos: readonly [number, number] } | undefined): string | undefined {
  let current = text;
  for (let n = 0; n < MAX_REPAIRS; n++) {
    if ((n + 1) * current.length > MAX_CHARS_READ) return undefined;
    const error = parse(current);
    if (error === undefined) return n === 0 ? undefined : current;
    if (!UNCLOSED_QUOTE.test(error.message)) return undefined;
    const next = indentedAt(current, error.pos[0]);
    if (next === undefined) return undefined;
    current = next;
  }
  return undefined;
}
