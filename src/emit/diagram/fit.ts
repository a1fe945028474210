import { renderMermaid, type DiagramGraph, type DiagramNode } from './graph.js';

/**
 * Mermaid's defaults (mermaid.js.org, config schema: `maxTextSize` 50,000 and `maxEdges` 500).
 * A diagram above either is not drawn at all: the viewer shows "Maximum text size in diagram
 * exceeded" or "Too many edges" instead, and GitLab, GitHub and mermaid.live keep the defaults.
 */
export const MERMAID_MAX_TEXT = 50_000;
export const MERMAID_MAX_EDGES = 500;

const fitted = new WeakMap<DiagramGraph, DiagramGraph>();
/** Mermaid texts drawn while fitting, so the Mermaid file is not drawn a second time. */
const drawn = new WeakMap<DiagramGraph, string>();

function mermaid(g: DiagramGraph): string {
  let text = drawn.get(g);
  if (text === undefined) drawn.set(g, (text = renderMermaid(g)));
  return text;
}

/** The Mermaid text of the fitted graph (drawn once: fitting a graph draws it to measure it). */
export function fittedMermaid(g: DiagramGraph): string {
  return mermaid(fitMermaidLimits(g));
}

/**
 * The graph as Mermaid draws it with its default limits: the graph itself when its Mermaid text
 * and edges are within them; otherwise the first runner chains (`graph.chains`, in drawing order)
 * that fit, with everything outside the chains kept, and a title that says how many runners are
 * drawn and where the rest is proven. Chains that differ only in names are already one band
 * (collapse.ts), so only fleets of many runners with different permissions reach this. Both
 * renderings draw the fitted graph, so the SVG and the Mermaid file show the same runners.
 */
export function fitMermaidLimits(g: DiagramGraph, maxText: number = MERMAID_MAX_TEXT, maxEdges: number = MERMAID_MAX_EDGES): DiagramGraph {
  const defaults = maxText === MERMAID_MAX_TEXT && maxEdges === MERMAID_MAX_EDGES;
  const cached = defaults ? fitted.get(g) : undefined;
  if (cached !== undefined) return cached;
  const out = fit(g, maxText, maxEdges);
  if (defaults) fitted.set(g, out);
  return out;
}

function fit(g: DiagramGraph, maxText: number, maxEdges: number): DiagramGraph {
  const chains = g.chains;
  if (chains === undefined || chains.size === 0) return g;
  // Within both limits: drawn whole. (Labels are free text, so the text is measured.)
  if (g.edges.length <= maxEdges && mermaid(g).length <= maxText) return g;

  // Bands in drawing order (the order of their first node) and, per node, its band's position.
  const bandOf = new Map<string, number>();
  const bands: string[] = [];
  const position = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.group === undefined || !chains.has(n.group)) continue;
    let b = position.get(n.group);
    if (b === undefined) {
      b = bands.length;
      position.set(n.group, b);
      bands.push(n.group);
    }
    bandOf.set(n.id, b);
  }
  // An edge is drawn with the first k bands when its later end's band is below k (-1: no band).
  const lastBand = g.edges.map((e) => Math.max(bandOf.get(e.from) ?? -1, bandOf.get(e.to) ?? -1));
  const runnersIn = (group: string) => g.chainRunners?.get(group) ?? 1;
  const totalRunners = bands.reduce((sum, b) => sum + runnersIn(b), 0);

  // One graph per k, so the one returned is the one measured (and its text is kept).
  const trims = new Map<number, DiagramGraph>();
  const trimmed = (k: number): DiagramGraph => {
    const hit = trims.get(k);
    if (hit !== undefined) return hit;
    const nodes: DiagramNode[] = g.nodes.filter((n) => (bandOf.get(n.id) ?? -1) < k);
    const edges = g.edges.filter((_e, i) => lastBand[i]! < k);
    const shown = bands.slice(0, k).reduce((sum, b) => sum + runnersIn(b), 0);
    const t: DiagramGraph = {
      title: `${g.title} (${thousands(shown)} of ${thousands(totalRunners)} runners drawn: more would exceed Mermaid's default limits of ${thousands(maxText)} characters and ${thousands(maxEdges)} edges; README.md lists every runner and its proofs)`,
      nodes,
      edges,
      chains: new Map(bands.slice(0, k).map((b) => [b, chains.get(b)!])),
      chainRunners: g.chainRunners,
    };
    trims.set(k, t);
    return t;
  };
  const fits = (t: DiagramGraph) => t.edges.length <= maxEdges && mermaid(t).length <= maxText;

  // The largest k that fits: text and edges grow with k, and all bands do not fit (above). The
  // edge limit bounds k without drawing: edges drawn with the first k bands, counted per band.
  const perBand = new Array<number>(bands.length + 1).fill(0);
  for (const b of lastBand) perBand[b + 1]!++;
  let hi = 0;
  for (let drawn = perBand[0]!; hi < bands.length - 1 && drawn + perBand[hi + 1]! <= maxEdges; hi++) drawn += perBand[hi + 1]!;
  let lo = 0;
  // Invariant: every k above hi is too large; k = lo fits, or is 0 (what lies outside the chains
  // is always drawn, even alone above a limit).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(trimmed(mid))) lo = mid;
    else hi = mid - 1;
  }
  return trimmed(lo);
}

/** 50000 → "50,000" (no locale data needed). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}
