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

/**
 * The template split into literal pieces and interpolations, as Terraform renders it: `$${` and
 * `%%{` are literal `${` and `%{`, and a strip marker (`${~`, `~}`) removes the white space next to
 * it. Undefined when an interpolation does not end, or the template has directives (`%{…}`).
 */
function pieces(template: string): Piece[] | undefined {
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
    } else if (two === '%{') return undefined;
    else if (two === '${') {
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
  const list = pieces(template);
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
