import type { DiagramEdge, DiagramGraph, DiagramNode, NodeKind } from './graph.js';

/**
 * Above this many runner chains a diagram draws chains that are alike only once. A band per
 * runner is readable for tens of runners; at 1,000 the SVG is ~8,000 boxes and ~200,000 px tall
 * and the Mermaid text exceeds Mermaid's default edge and text limits, so neither shows anything.
 * Chains that still differ are many bands; fit.ts then draws as many as Mermaid's limits allow.
 */
export const COLLAPSE_CHAINS_ABOVE = 50;

/** How many member names a collapsed band's caption lists before "+N more". */
const NAMES_SHOWN = 8;

/**
 * Kinds whose label is a per-runner name (runner, service account, role, cache prefix, compute
 * attachment): chains may differ there and still be alike. Everything else (permissions, node
 * groups, sublabels such as the runner's group and protected flag, edge labels such as the
 * identity mechanism) must be equal, so a collapsed band never hides a difference in what a
 * runner's jobs may do or how they get there.
 */
const NAMED_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['runner', 'service-account', 'identity', 'resource', 'platform']);

const collapsed = new WeakMap<DiagramGraph, DiagramGraph>();

/**
 * The graph with runner chains that are alike drawn once, when it has more than `above` chains
 * (`graph.chains`); otherwise the graph itself. A chain is the band of one runner's group; chains
 * are alike when their nodes and edges are equal in order, kind, layer, sublabel, edge label and
 * style, and in label for every kind but the named ones. A chain with an edge to or from another
 * group (an ID-token role, say) is always drawn on its own. The first chain of a class stands for
 * the class: its runner node and caption say how many runners it stands for and name them, and
 * the title says the diagram is collapsed.
 */
export function collapseChains(g: DiagramGraph, above: number = COLLAPSE_CHAINS_ABOVE): DiagramGraph {
  const chains = g.chains;
  if (chains === undefined || chains.size <= above) return g;
  const cached = collapsed.get(g);
  if (cached !== undefined && above === COLLAPSE_CHAINS_ABOVE) return cached;

  const groupOf = new Map<string, string | undefined>();
  const bandNodes = new Map<string, DiagramNode[]>();
  for (const n of g.nodes) {
    groupOf.set(n.id, n.group);
    if (n.group === undefined || !chains.has(n.group)) continue;
    let list = bandNodes.get(n.group);
    if (list === undefined) bandNodes.set(n.group, (list = []));
    list.push(n);
  }
  const bandEdges = new Map<string, DiagramEdge[]>();
  const alone = new Set<string>();
  for (const e of g.edges) {
    const a = groupOf.get(e.from);
    const b = groupOf.get(e.to);
    if (a !== undefined && a === b && bandNodes.has(a)) {
      let list = bandEdges.get(a);
      if (list === undefined) bandEdges.set(a, (list = []));
      list.push(e);
    } else {
      if (a !== undefined && bandNodes.has(a)) alone.add(a);
      if (b !== undefined && bandNodes.has(b)) alone.add(b);
    }
  }

  // Classes of alike chains, in first-seen order; the first member stands for the class.
  const classes = new Map<string, string[]>();
  for (const [group, nodes] of bandNodes) {
    const key = alone.has(group) ? `alone\u0000${group}` : signature(nodes, bandEdges.get(group) ?? []);
    const members = classes.get(key);
    if (members === undefined) classes.set(key, [group]);
    else members.push(group);
  }
  const standsFor = new Map<string, string[]>();
  for (const members of classes.values()) standsFor.set(members[0]!, members);
  if (standsFor.size === bandNodes.size) return remember(g, above, g);

  const caption = new Map<string, string>();
  for (const [rep, members] of standsFor) {
    if (members.length === 1) continue;
    const names = members.map((m) => chains.get(m) ?? m);
    const shown = names.slice(0, NAMES_SHOWN).join(', ') + (names.length > NAMES_SHOWN ? `, +${names.length - NAMES_SHOWN} more` : '');
    caption.set(rep, `${members.length} runners alike, drawn once with ${names[0]!}'s names: ${shown}`);
  }
  const nodes: DiagramNode[] = [];
  for (const n of g.nodes) {
    if (n.group === undefined || !chains.has(n.group)) {
      nodes.push(n);
      continue;
    }
    const members = standsFor.get(n.group);
    if (members === undefined) continue; // drawn by its class's first chain
    const group = caption.get(n.group) ?? n.group;
    if (members.length > 1 && n.kind === 'runner' && n === bandNodes.get(n.group)![0]) {
      nodes.push({ ...n, group, label: `${chains.get(n.group) ?? n.label} + ${members.length - 1} alike` });
    } else nodes.push(group === n.group ? n : { ...n, group });
  }
  const kept = new Set(nodes.map((n) => n.id));
  const edges = g.edges.filter((e) => kept.has(e.from) && kept.has(e.to));
  // The drawn bands stay chains (under their captions), so fitMermaidLimits can count them.
  const bands = new Map<string, string>();
  const runners = new Map<string, number>();
  for (const [rep, members] of standsFor) {
    const group = caption.get(rep) ?? rep;
    bands.set(group, chains.get(rep) ?? rep);
    if (members.length > 1) runners.set(group, members.length);
  }
  const out: DiagramGraph = {
    title: `${g.title} (${chains.size} runners in ${standsFor.size} band${standsFor.size === 1 ? '' : 's'}: runners whose chains differ only in names are drawn once)`,
    nodes,
    edges,
    chains: bands,
    chainRunners: runners,
  };
  return remember(g, above, out);
}

function remember(g: DiagramGraph, above: number, out: DiagramGraph): DiagramGraph {
  if (above === COLLAPSE_CHAINS_ABOVE) collapsed.set(g, out);
  return out;
}

/** What must be equal for two chains to be alike (names of the named kinds left out). */
function signature(nodes: readonly DiagramNode[], edges: readonly DiagramEdge[]): string {
  const index = new Map<string, number>();
  let sig = '';
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    index.set(n.id, i);
    sig += `${n.kind} ${n.layer} ${part(NAMED_KINDS.has(n.kind) ? '' : n.label)}${part(n.sublabel)}`;
  }
  for (const e of edges) sig += `${index.get(e.from)!}>${index.get(e.to)!} ${part(e.label)}${part(e.style)}`;
  return sig;
}

/** Length-prefixed, so no label can fake a boundary. */
function part(s: string | undefined): string {
  return s === undefined ? '-;' : `${s.length}:${s};`;
}
