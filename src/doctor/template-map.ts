import type { Position } from './source.js';

/** A piece of a template: text written literally (as it renders), or an interpolation `${…}`. */
interface Piece {
  /** Offsets in the template. */
  from: number;
  to: number;
  /** What a literal piece renders as (`$${` renders `${`); undefined for an interpolation. */
  text?: string;
}

/** The end (exclusive) of the interpolation whose `${` starts at `start`; -1 when it does not end. */
function interpolationEnd(template: string, start: number): number {
  let depth = 0;
  let inString = false;
  let nested = 0;
  for (let i = start + 2; i < template.length; i++) {
    const c = template[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '$' && template[i + 1] === '{') {
        nested++;
        i++;
      } else if (c === '}' && nested > 0) nested--;
      else if (c === '"' && nested === 0) inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
  }
  return -1;
}

/** The word a directive tag `%{~ if x ~}` starts with (`if`), from its `%{` at `start` to its end. */
function directiveWord(template: string, start: number, end: number): string {
  return /^%\{~?\s*([a-z]*)/.exec(template.slice(start, end))?.[1] ?? '';
}

/**
 * The template split into literal pieces and interpolations, as Terraform renders it: `$${` and
 * `%%{` are literal `${` and `%{`, and a strip marker (`${~`, `~}`) removes the white space next to
 * it. Undefined when an interpolation does not end, or the template has directives (`%{…}`) and
 * `directives` is not `opaque`; with it, a whole `%{ if }…%{ endif }` or `%{ for }…%{ endfor }`
 * is one piece whose text is not known, as an interpolation's.
 */
function pieces(template: string, directives?: 'opaque'): Piece[] | undefined {
  const out: Piece[] = [];
  let lit = 0;
  const literal = (to: number) => {
    if (to > lit) out.push({ from: lit, to, text: template.slice(lit, to) });
  };
  for (let i = 0; i < template.length; i++) {
    const two = template.slice(i, i + 2);
    const three = template.slice(i, i + 3);
    if (three === '$${' || three === '%%{') {
      literal(i);
      out.push({ from: i, to: i + 3, text: three.slice(1) });
      lit = i + 3;
      i += 2;
    } else if (two === '%{') {
      if (directives !== 'opaque') return undefined;
      // The block the tag opens, to the tag that closes it (nested blocks inside).
      let depth = 0;
      let at = i;
      let end: number;
      for (;;) {
        const tagEnd = interpolationEnd(template, at);
        if (tagEnd < 0) return undefined;
        const word = directiveWord(template, at, tagEnd);
        if (word === 'if' || word === 'for') depth++;
        else if (word === 'endif' || word === 'endfor') depth--;
        else if (word !== 'else') return undefined;
        if (depth <= 0) {
          end = tagEnd;
          break;
        }
        // The next tag (a `%%{` is literal text).
        let next = template.indexOf('%{', tagEnd);
        while (next > 0 && template[next - 1] === '%') next = template.indexOf('%{', next + 2);
        if (next < 0) return undefined;
        at = next;
      }
      if (depth < 0) return undefined;
      literal(i);
      out.push({ from: i, to: end });
      lit = end;
      i = end - 1;
    } else if (two === '${') {
      const end = interpolationEnd(template, i);
      if (end < 0) return undefined;
      literal(i);
      out.push({ from: i, to: end });
      lit = end;
      i = end - 1;
    }
  }
  literal(template.length);
  // Strip markers trim the white space of the literal pieces next to them.
  out.forEach((p, k) => {
    if (p.text !== undefined) return;
    const prev = out[k - 1];
    const next = out[k + 1];
    if (template[p.from + 2] === '~' && prev?.text !== undefined) {
      const kept = prev.text.replace(/\s+$/, '');
      prev.to = prev.from + kept.length;
      prev.text = kept;
    }
    if (template[p.to - 2] === '~' && next?.text !== undefined) {
      const kept = next.text.replace(/^\s+/, '');
      next.from = next.to - kept.length;
      next.text = kept;
    }
  });
  return out;
}

const lineStarts = (text: string): number[] => {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
};

/**
 * Maps positions in the text `templatefile()` rendered back to the template file: a position in
 * literal text to the same character of the template, one inside an interpolated value to the
 * `${` that produced it. The rendered text is the one parsed (an interpolation may add lines or
 * keys, so the template itself may not even parse as YAML); the user reads the template.
 * Undefined when the rendered text cannot be aligned with the template's literal pieces.
 */
export function templatePositions(path: string, template: string, rendered: string): ((at: Position) => Position) | undefined {
  const spans = align(template, rendered);
  if (!spans) return undefined;
  const renderedStarts = lineStarts(rendered);
  const templateStarts = lineStarts(template);
  const toPosition = (offset: number): Position => {
    let line = 0;
    while (line + 1 < templateStarts.length && templateStarts[line + 1]! <= offset) line++;
    return { file: path, line: line + 1, column: offset - templateStarts[line]! + 1 };
  };
  return (at) => {
    if (at.file !== path || at.line < 1 || at.line > renderedStarts.length) return at;
    const offset = renderedStarts[at.line - 1]! + at.column - 1;
    const span = spans.find((s) => offset >= s.from && offset < s.to) ?? spans.findLast((s) => s.from <= offset);
    if (!span) return at;
    return toPosition(span.piece.text !== undefined ? span.piece.from + (offset - span.from) : span.piece.from);
  };
}

/**
 * The line of the template that writes line `line` (1-based) of the text it rendered, and the
 * column there of the rendered line's first character that is not white space: only where the
 * whole rendered line comes from one line of the template (literal text, and interpolations written
 * on that line whose values hold no line break). Undefined where it does not: the line is (or
 * crosses into) the value of an interpolation or a directive block that spans lines, or the
 * rendered text cannot be aligned with the template's literal pieces. Directive blocks are
 * opaque (their lines are never claimed).
 */
export function templateLineOf(template: string, rendered: string): ((line: number) => { line: number; column: number } | undefined) | undefined {
  const spans = align(template, rendered, 'opaque');
  if (!spans) return undefined;
  const renderedStarts = lineStarts(rendered);
  const templateStarts = lineStarts(template);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = templateStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (templateStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return (line) => {
    if (line < 1 || line > renderedStarts.length) return undefined;
    const from = renderedStarts[line - 1]!;
    const to = line < renderedStarts.length ? renderedStarts[line]! - 1 : rendered.length;
    const first = from + (/^[ \t]*/.exec(rendered.slice(from, to))?.[0].length ?? 0);
    let at: number | undefined;
    let templateLine: number | undefined;
    for (const s of spans) {
      // The pieces that make the rendered line: those overlapping it (an empty one only inside it).
      const inside = s.from === s.to ? s.from > from && s.from < to : s.from < to && s.to > from;
      if (!inside) continue;
      let a: number;
      let b: number;
      if (s.piece.text !== undefined) {
        a = s.piece.from + (Math.max(s.from, from) - s.from);
        b = s.piece.from + (Math.min(s.to, to) - s.from);
        if (at === undefined && first >= s.from && first < s.to) at = s.piece.from + (first - s.from);
      } else {
        // An interpolation's value that starts before the line or goes on after it spans lines.
        if (s.from < from || s.to > to) return undefined;
        a = s.piece.from;
        b = s.piece.to;
        if (at === undefined && first >= s.from && first < s.to) at = a;
      }
      const l = lineOf(a);
      if (lineOf(Math.max(a, b - 1)) !== l || (templateLine !== undefined && templateLine !== l)) return undefined;
      templateLine = l;
    }
    if (templateLine === undefined) return undefined;
    const column = (at ?? templateStarts[templateLine]!) - templateStarts[templateLine]! + 1;
    return { line: templateLine + 1, column };
  };
}

/** Rendered offsets of each piece of the template; undefined when the rendered text cannot be aligned with the literal pieces. */
function align(template: string, rendered: string, directives?: 'opaque'): { piece: Piece; from: number; to: number }[] | undefined {
  const list = pieces(template, directives);
  if (!list) return undefined;
  // Rendered offsets of each piece: literals must appear in order; an interpolation spans up to the next literal.
  const spans: { piece: Piece; from: number; to: number }[] = [];
  let r = 0;
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    if (p.text !== undefined) {
      if (!rendered.startsWith(p.text, r)) return undefined;
      spans.push({ piece: p, from: r, to: r + p.text.length });
      r += p.text.length;
      continue;
    }
    // The next literal piece (after any interpolations right after this one) is where the values end.
    let n = k + 1;
    while (n < list.length && list[n]!.text === undefined) n++;
    const next = list[n];
    const end = next === undefined ? rendered.length : rendered.indexOf(next.text!, r);
    if (end < 0) return undefined;
    spans.push({ piece: p, from: r, to: end });
    for (let m = k + 1; m < n; m++) spans.push({ piece: list[m]!, from: end, to: end });
    r = end;
    k = n - 1;
  }
  if (r !== rendered.length) return undefined;
  return spans;
}

/**
 * The interpolation whose value holds the whole of line `line` (1-based) of the text `template`
 * rendered: the expression written between its `${` and `}` (strip markers and white space taken
 * off), its value as rendered, and the line of that value the rendered line is (1-based). A line
 * that starts before the value (text of the template in front of it, unless the value starts the
 * line) or goes on after it is not one value's line. Undefined also where the rendered text cannot
 * be aligned with the template (directive blocks are opaque, so a line inside one is never a value's).
 */
export function interpolationLineOf(template: string, rendered: string, line: number): { expr: string; value: string; line: number } | undefined {
  const spans = align(template, rendered, 'opaque');
  if (!spans) return undefined;
  const starts = lineStarts(rendered);
  if (line < 1 || line > starts.length) return undefined;
  const from = starts[line - 1]!;
  const to = line < starts.length ? starts[line]! - 1 : rendered.length;
  const span = spans.find((s) => s.piece.text === undefined && s.from <= from && s.to >= to && s.from < s.to);
  if (!span || template.startsWith('%{', span.piece.from)) return undefined;
  const value = rendered.slice(span.from, span.to);
  let within = 1;
  for (let i = span.from; i < from; i++) if (rendered.charCodeAt(i) === 10) within++;
  const expr = template
    .slice(span.piece.from + 2, span.piece.to - 1)
    .replace(/^~/, '')
    .replace(/~$/, '')
    .trim();
  return { expr, value, line: within };
}
