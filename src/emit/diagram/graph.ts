/**
 * Identity-chain diagrams: who can become whom inside a runner fleet.
 *
 * A fleet can hold ~1,000 runners (~6,000 nodes), so nothing here uses a
 * general graph-layout algorithm. The SVG layout is a fixed column-per-layer,
 * band-per-group grid computed in one pass over the nodes and one over the
 * edges. Both renderers are pure and deterministic: identical input gives
 * byte-identical output (only insertion-ordered Maps/Sets, no clock, no
 * randomness, numbers rounded to one decimal).
 */

export type NodeKind = 'runner' | 'service-account' | 'identity' | 'resource' | 'permission' | 'cluster' | 'platform';

export interface DiagramNode {
  id: string;
  label: string;
  kind: NodeKind;
  /** Column index: 0 is leftmost. Any finite numbers work; they are ranked. */
  layer: number;
  /** Nodes sharing a group are framed together (SVG) or put in one subgraph (Mermaid). */
  group?: string;
  sublabel?: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label?: string;
  style?: 'solid' | 'dashed';
}

export interface DiagramGraph {
  title: string;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** Groups that are one runner's chain each, with the runner's name (see collapse.ts). */
  chains?: ReadonlyMap<string, string>;
  /** How many runners a chain group stands for, where more than one (a collapsed band). */
  chainRunners?: ReadonlyMap<string, number>;
}

/** Fixed order so the classDef block never depends on the input. */
const KINDS: readonly NodeKind[] = ['runner', 'service-account', 'identity', 'resource', 'permission', 'cluster', 'platform'];

interface KindStyle {
  fill: string;
  stroke: string;
  text: string;
}

// A Record keyed by NodeKind makes the compiler insist on a style for every kind.
const KIND_STYLE: Record<NodeKind, KindStyle> = {
  runner: { fill: '#e8f1fd', stroke: '#1f6feb', text: '#0b3d91' },
  'service-account': { fill: '#eaf7ec', stroke: '#2da44e', text: '#0f5323' },
  identity: { fill: '#fff4e0', stroke: '#d4870b', text: '#6b3f00' },
  resource: { fill: '#f3eefe', stroke: '#8250df', text: '#3e1f79' },
  permission: { fill: '#f6f8fa', stroke: '#8c959f', text: '#24292f' },
  cluster: { fill: '#e3f6f5', stroke: '#0e8a84', text: '#06413e' },
  platform: { fill: '#fdecee', stroke: '#cf222e', text: '#6e0b12' },
};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/**
 * Validates the graph and returns a lookup by id. Duplicate ids and dangling
 * edges are caller bugs; failing loudly beats drawing a misleading diagram.
 */
function indexGraph(g: DiagramGraph): Map<string, DiagramNode> {
  const byId = new Map<string, DiagramNode>();
  g.nodes.forEach((n, i) => {
    if (byId.has(n.id)) {
      throw new Error(`diagram node #${i} has duplicate id ${JSON.stringify(n.id)}`);
    }
    if (!Number.isFinite(n.layer)) {
      throw new Error(`diagram node ${JSON.stringify(n.id)} has non-finite layer ${String(n.layer)}`);
    }
    byId.set(n.id, n);
  });
  g.edges.forEach((e, i) => {
    for (const end of [e.from, e.to]) {
      if (!byId.has(end)) {
        throw new Error(
          `diagram edge #${i} ${JSON.stringify(e.from)} -> ${JSON.stringify(e.to)} refers to unknown node id ${JSON.stringify(end)}`,
        );
      }
    }
  });
  return byId;
}

/**
 * Makes arbitrary text safe to embed on one line: control characters (which
 * are illegal in XML even when escaped, and would break Mermaid's line-based
 * syntax) become spaces; unpaired surrogates and U+FFFE/U+FFFF become U+FFFD.
 * Written as a scan rather than a regex so no control characters appear in
 * source (eslint no-control-regex).
 */
function cleanText(s: string): string {
  // Most labels need nothing: find the first character to replace before building a copy.
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      out += ' ';
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s.charAt(i) + s.charAt(i + 1);
        i++;
      } else {
        out += '\uFFFD';
      }
    } else if ((c >= 0xdc00 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) {
      out += '\uFFFD';
    } else {
      out += s.charAt(i);
    }
  }
  return out;
}

/** Groups nodes by `group` in first-seen order; ungrouped nodes share one bucket keyed `undefined`. */
function bucketByGroup(nodes: readonly DiagramNode[]): Map<string | undefined, DiagramNode[]> {
  const buckets = new Map<string | undefined, DiagramNode[]>();
  for (const n of nodes) {
    let list = buckets.get(n.group);
    if (list === undefined) {
      list = [];
      buckets.set(n.group, list);
    }
    list.push(n);
  }
  return buckets;
}

// ---------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------

// Words Mermaid's flowchart lexer treats as keywords; used as bare ids they
// break parsing (`end` is the notorious one), so such ids get a prefix.
const MERMAID_RESERVED = new Set([
  'end', 'graph', 'flowchart', 'subgraph', 'direction', 'style', 'linkstyle',
  'classdef', 'class', 'click', 'call', 'href', 'default', 'interpolate',
]);

/**
 * Returns a function mapping raw ids to unique Mermaid-safe ids. Uniqueness is
 * resolved by numeric suffix in call order, so the mapping is deterministic for
 * a given input order. A per-base counter keeps heavy collisions O(n).
 */
const MERMAID_ID_UNSAFE = /[^A-Za-z0-9_]/;

function mermaidIdAllocator(): (raw: string) => string {
  const used = new Set<string>();
  const nextSuffix = new Map<string, number>();
  return (raw) => {
    let base = MERMAID_ID_UNSAFE.test(raw) ? raw.replace(/[^A-Za-z0-9_]/g, '_') : raw;
    if (base === '' || /^[0-9]/.test(base) || MERMAID_RESERVED.has(base.toLowerCase())) base = `n_${base}`;
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
    let k = nextSuffix.get(base) ?? 2;
    while (used.has(`${base}_${k}`)) k++;
    nextSuffix.set(base, k + 1);
    const id = `${base}_${k}`;
    used.add(id);
    return id;
  };
}

// Mermaid decodes `#name;` / `#123;` entity codes inside labels. Quotes would
// end the string, `<`/`>`/`&` would be read as HTML, `|` ends edge text, a
// leading backtick switches to markdown mode, and `#` itself must be escaped
// so user text is never mistaken for an entity code.
const MERMAID_ENTITY: Record<string, string> = {
  '#': '#35;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
  '&': '#amp;',
  '|': '#124;',
  '`': '#96;',
};

const MERMAID_SPECIAL = /[#"<>&|`]/;

function mermaidText(s: string): string {
  const clean = cleanText(s);
  return MERMAID_SPECIAL.test(clean) ? clean.replace(/[#"<>&|`]/g, (c) => MERMAID_ENTITY[c] ?? c) : clean;
}

const MERMAID_CLASS = new Map<NodeKind, string>(KINDS.map((kind) => [kind, `k_${kind.replace(/-/g, '_')}`]));

function mermaidClass(kind: NodeKind): string {
  return MERMAID_CLASS.get(kind) ?? `k_${kind.replace(/-/g, '_')}`;
}

function mermaidShape(kind: NodeKind): readonly [string, string] {
  switch (kind) {
    case 'runner':
      return ['(["', '"])'];
    case 'identity':
      return ['{{"', '"}}'];
    case 'resource':
      return ['[("', '")]'];
    case 'service-account':
    case 'permission':
    case 'cluster':
    case 'platform':
      return ['["', '"]'];
  }
}

/**
 * Renders the graph as a Mermaid `flowchart LR`. The title goes into YAML
 * front matter (JSON string syntax is valid YAML), groups become subgraphs in
 * first-seen order, and each node carries a `:::` class for its kind.
 */
export function renderMermaid(g: DiagramGraph): string {
  indexGraph(g);
  const alloc = mermaidIdAllocator();
  // Node ids are allocated before group ids so they don't shift when groups change.
  const idOf = new Map<string, string>();
  for (const n of g.nodes) idOf.set(n.id, alloc(n.id));
  const mid = (raw: string): string => idOf.get(raw) ?? raw; // always present after indexGraph

  const lines: string[] = ['---', `title: ${JSON.stringify(cleanText(g.title))}`, '---', 'flowchart LR'];

  const nodeLine = (n: DiagramNode, indent: string): string => {
    const [open, close] = mermaidShape(n.kind);
    const text = mermaidText(n.label) + (n.sublabel ? `<br/>${mermaidText(n.sublabel)}` : '');
    return `${indent}${mid(n.id)}${open}${text}${close}:::${mermaidClass(n.kind)}`;
  };

  const buckets = bucketByGroup(g.nodes);
  // Ungrouped nodes first at top level, then one subgraph per group.
  for (const n of buckets.get(undefined) ?? []) lines.push(nodeLine(n, '  '));
  for (const [group, members] of buckets) {
    if (group === undefined) continue;
    lines.push(`  subgraph ${alloc(`sg_${group}`)}["${mermaidText(group)}"]`);
    for (const n of members) lines.push(nodeLine(n, '    '));
    lines.push('  end');
  }

  for (const e of g.edges) {
    const arrow = e.style === 'dashed' ? '-.->' : '-->';
    const label = e.label ? `|"${mermaidText(e.label)}"|` : '';
    lines.push(`  ${mid(e.from)} ${arrow}${label} ${mid(e.to)}`);
  }

  // No trailing `;`: Mermaid would read `#rrggbb;` as an entity code.
  for (const kind of KINDS) {
    const s = KIND_STYLE[kind];
    lines.push(`  classDef ${mermaidClass(kind)} fill:${s.fill},stroke:${s.stroke},color:${s.text}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// SVG
// ---------------------------------------------------------------------------

const NODE_W = 260;
const NODE_H = 48;
const ROW_GAP = 12;
const COL_GAP = 140; // room for bezier curves and their labels
const MARGIN = 24;
const TITLE_H = 40;
const GROUP_PAD = 12;
const GROUP_CAPTION = 18;
const BAND_GAP = 16;
const NODE_TEXT_PAD = 10;

const TITLE_FONT = 18;
const LABEL_FONT = 13;
const SUB_FONT = 11;
const CAPTION_FONT = 11;
const EDGE_FONT = 10;
// Average glyph advance for a system sans-serif, in em. Slightly generous so
// estimated text rarely overflows its box; we cannot measure text here.
const CHAR_EM = 0.58;

const FONT_FAMILY = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif';
const EDGE_COLOR = '#6e7781';
const MUTED_TEXT = '#57606a';

/** Rounds to one decimal; String(-0) is "0", so no sign artefacts. */
function num(v: number): string {
  // Whole numbers (most coordinates) skip the slower shortest-decimal conversion.
  if (Number.isInteger(v)) return String(v);
  return String(Math.round(v * 10) / 10);
}

const XML_SPECIAL = /[&<>"']/;
const XML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes already-cleaned text for use in XML content or attribute values. */
function escXml(s: string): string {
  if (!XML_SPECIAL.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) => XML_ENTITY[c] ?? c);
}

function approxWidth(chars: number, fontSize: number): number {
  return chars * fontSize * CHAR_EM;
}

/**
 * Cleans `text` and shortens it to an estimated `maxPx`, ending in '…'.
 * Works on code points so surrogate pairs are never split.
 */
function fit(text: string, maxPx: number, fontSize: number): { shown: string; truncated: boolean; full: string } {
  const full = cleanText(text);
  const max = Math.max(1, Math.floor(maxPx / (fontSize * CHAR_EM)));
  // UTF-16 length bounds the code-point count from above: cheap fast path.
  if (full.length <= max) return { shown: full, truncated: false, full };
  // Index just past the first max - 1 code points, and whether more than max exist.
  let end = 0;
  let count = 0;
  let i = 0;
  while (i < full.length) {
    if (count === max - 1) end = i;
    const c = full.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < full.length ? 2 : 1;
    count++;
    if (count > max) break;
  }
  if (count <= max) return { shown: full, truncated: false, full };
  return { shown: `${full.slice(0, end).trimEnd()}…`, truncated: true, full };
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

interface Placed {
  x: number;
  y: number;
}

interface Frame {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Renders the graph as a standalone SVG document.
 *
 * Layout: distinct layers, sorted, become columns. Groups (first-seen order,
 * ungrouped nodes forming one unframed band) become horizontal bands whose
 * height is the group's largest per-column node count, so the first node of a
 * group in every column sits on the same row and a runner's chain reads left
 * to right. Everything is O(nodes + edges) apart from sorting distinct layers.
 */
export function renderSvg(g: DiagramGraph): string {
  indexGraph(g);

  const layers = [...new Set(g.nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const colOf = new Map<number, number>(layers.map((l, i) => [l, i]));
  const cols = layers.length;
  const colX = (c: number): number => MARGIN + GROUP_PAD + c * (NODE_W + COL_GAP);
  const rowStep = NODE_H + ROW_GAP;

  const pos = new Map<string, Placed>();
  const frames: Frame[] = [];
  let y = MARGIN + TITLE_H;
  let placedAny = false;

  for (const [group, members] of bucketByGroup(g.nodes)) {
    // Per-band column counters live in a Map so sparse, wide layer sets stay cheap.
    const slots = new Map<number, number>();
    let minCol = Number.POSITIVE_INFINITY;
    let maxCol = Number.NEGATIVE_INFINITY;
    const framed = group !== undefined;
    const contentTop = framed ? y + GROUP_PAD + GROUP_CAPTION : y;
    let rows = 0;
    for (const n of members) {
      const c = colOf.get(n.layer) ?? 0;
      const slot = slots.get(c) ?? 0;
      slots.set(c, slot + 1);
      rows = Math.max(rows, slot + 1);
      minCol = Math.min(minCol, c);
      maxCol = Math.max(maxCol, c);
      pos.set(n.id, { x: colX(c), y: contentTop + slot * rowStep });
    }
    const contentH = rows * rowStep - ROW_GAP;
    const bandH = framed ? contentH + 2 * GROUP_PAD + GROUP_CAPTION : contentH;
    if (framed) {
      const fx = colX(minCol) - GROUP_PAD;
      frames.push({ name: group, x: fx, y, w: colX(maxCol) + NODE_W + GROUP_PAD - fx, h: bandH });
    }
    y += bandH + BAND_GAP;
    placedAny = true;
  }

  const title = cleanText(g.title);
  const gridW = cols === 0 ? 0 : 2 * (MARGIN + GROUP_PAD) + cols * NODE_W + (cols - 1) * COL_GAP;
  const titleW = 2 * MARGIN + approxWidth(codePointLength(title), TITLE_FONT);
  const width = Math.ceil(Math.max(320, gridW, titleW));
  const height = Math.ceil(placedAny ? y - BAND_GAP + MARGIN : MARGIN + TITLE_H);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}" role="img">`,
  );
  out.push(`<title>${escXml(title)}</title>`);
  // Marker id is prefixed: SVGs inlined into one HTML page share an id namespace.
  out.push(
    `<defs><marker id="rf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${EDGE_COLOR}"/></marker></defs>`,
  );
  // Opaque background so the diagram stays legible in dark-mode viewers.
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text class="title" x="${num(MARGIN)}" y="${num(MARGIN + TITLE_FONT)}" font-size="${TITLE_FONT}" font-weight="600" fill="#1f2328">${escXml(title)}</text>`,
  );

  // Paint order: frames, edge curves, nodes (covering curve ends), edge labels on top.
  out.push('<g class="groups">');
  for (const f of frames) {
    const cap = fit(f.name, f.w - 2 * GROUP_PAD, CAPTION_FONT);
    out.push(
      `<g class="group"><rect x="${num(f.x)}" y="${num(f.y)}" width="${num(f.w)}" height="${num(f.h)}" rx="10" fill="#f6f8fa" stroke="#d0d7de"/>` +
        (cap.truncated ? `<title>${escXml(cap.full)}</title>` : '') +
        `<text x="${num(f.x + GROUP_PAD)}" y="${num(f.y + GROUP_PAD + CAPTION_FONT - 1)}" font-size="${CAPTION_FONT}" font-weight="600" fill="${MUTED_TEXT}">${escXml(cap.shown)}</text></g>`,
    );
  }
  out.push('</g>');

  const labels: string[] = [];
  out.push('<g class="edges">');
  for (const e of g.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (a === undefined || b === undefined) continue; // unreachable: indexGraph validated endpoints
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    // Horizontal tangents at both ends; a minimum pull keeps back/same-column edges visible.
    const pull = Math.max(40, Math.abs(x2 - x1) / 2);
    const c1x = x1 + pull;
    const c2x = x2 - pull;
    const dash = e.style === 'dashed' ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<path d="M${num(x1)},${num(y1)} C${num(c1x)},${num(y1)} ${num(c2x)},${num(y2)} ${num(x2)},${num(y2)}" fill="none" stroke="${EDGE_COLOR}" stroke-width="1.4"${dash} marker-end="url(#rf-arrow)"/>`,
    );
    if (e.label) {
      // Cubic bezier at t = 0.5 is (P0 + 3·P1 + 3·P2 + P3) / 8; with horizontal
      // tangents (P1.y = P0.y, P2.y = P3.y) the y part reduces to the mean.
      const mx = (x1 + 3 * c1x + 3 * c2x + x2) / 8;
      const my = (y1 + y2) / 2;
      const t = fit(e.label, COL_GAP - 16, EDGE_FONT);
      const w = approxWidth(codePointLength(t.shown), EDGE_FONT) + 8;
      const h = EDGE_FONT + 6;
      labels.push(
        `<g class="edge-label">` +
          (t.truncated ? `<title>${escXml(t.full)}</title>` : '') +
          `<rect x="${num(mx - w / 2)}" y="${num(my - h / 2)}" width="${num(w)}" height="${num(h)}" rx="3" fill="#ffffff" fill-opacity="0.9"/>` +
          `<text x="${num(mx)}" y="${num(my + EDGE_FONT / 2 - 1.5)}" font-size="${EDGE_FONT}" text-anchor="middle" fill="${MUTED_TEXT}">${escXml(t.shown)}</text></g>`,
      );
    }
  }
  out.push('</g>');

  out.push('<g class="nodes">');
  for (const n of g.nodes) {
    const p = pos.get(n.id);
    if (p === undefined) continue; // unreachable: every node was placed above
    const s = KIND_STYLE[n.kind];
    const cx = p.x + NODE_W / 2;
    const label = fit(n.label, NODE_W - 2 * NODE_TEXT_PAD, LABEL_FONT);
    const sub = n.sublabel ? fit(n.sublabel, NODE_W - 2 * NODE_TEXT_PAD, SUB_FONT) : undefined;
    // Full text always goes into <title> so hovering shows what truncation hid.
    const hover = sub ? `${label.full}\n${sub.full}` : label.full;
    const labelY = sub ? p.y + 21 : p.y + NODE_H / 2 + 4.5;
    let node =
      `<g class="node k-${n.kind}" data-id="${escXml(cleanText(n.id))}"><title>${escXml(hover)}</title>` +
      `<rect x="${num(p.x)}" y="${num(p.y)}" width="${NODE_W}" height="${NODE_H}" rx="8" fill="${s.fill}" stroke="${s.stroke}" stroke-width="1.5"/>` +
      `<text x="${num(cx)}" y="${num(labelY)}" font-size="${LABEL_FONT}" font-weight="600" text-anchor="middle" fill="${s.text}">${escXml(label.shown)}</text>`;
    if (sub) {
      node += `<text x="${num(cx)}" y="${num(p.y + 37)}" font-size="${SUB_FONT}" text-anchor="middle" fill="${MUTED_TEXT}">${escXml(sub.shown)}</text>`;
    }
    out.push(`${node}</g>`);
  }
  out.push('</g>');

  out.push('<g class="edge-labels">');
  for (const l of labels) out.push(l);
  out.push('</g>');

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
