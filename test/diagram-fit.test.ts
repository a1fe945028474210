import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { collapseChains } from '../src/emit/diagram/collapse.js';
import { fitMermaidLimits, fittedMermaid, MERMAID_MAX_EDGES, MERMAID_MAX_TEXT } from '../src/emit/diagram/fit.js';
import { renderMermaid, type DiagramGraph } from '../src/emit/diagram/graph.js';
import { replicatedExample } from './helpers/fleet.js';

/** n runner chains (runner → service account → role → permission), each with its own permission unless `alike`. */
function graph(n: number, permission: (i: number) => string = (i) => `s3:GetObject on arn:aws:s3:::inputs-${i}/*`): DiagramGraph {
  const g: DiagramGraph = { title: 'runner-fleet t: identity chain', nodes: [], edges: [], chains: new Map() };
  // Outside every chain: the shared cache, which every manager reaches.
  g.nodes.push({ id: 'cache', label: 'cache shared', kind: 'resource', layer: 4 });
  for (let i = 0; i < n; i++) {
    const group = `runner r${i}`;
    g.nodes.push(
      { id: `runner:r${i}`, label: `GitLab runner r${i}`, kind: 'runner', layer: 0, group, sublabel: 'group acme' },
      { id: `sa:r${i}`, label: `ns-${i}/r${i}-jobs`, kind: 'service-account', layer: 1, group },
      { id: `role:r${i}`, label: `acme-r${i}-jobs`, kind: 'identity', layer: 2, group, sublabel: 'jobs role' },
      { id: `perm:r${i}`, label: permission(i), kind: 'permission', layer: 3, group },
    );
    g.edges.push(
      { from: `runner:r${i}`, to: `sa:r${i}`, label: 'job pods run as' },
      { from: `sa:r${i}`, to: `role:r${i}`, label: 'IRSA' },
      { from: `role:r${i}`, to: `perm:r${i}` },
      { from: `runner:r${i}`, to: 'cache', label: 'presigns', style: 'dashed' },
    );
    (g.chains as Map<string, string>).set(group, `r${i}`);
  }
  return g;
}

const runners = (g: DiagramGraph) => g.nodes.filter((n) => n.kind === 'runner').map((n) => n.label);
const edgesJoinKeptNodes = (g: DiagramGraph) => {
  const ids = new Set(g.nodes.map((n) => n.id));
  return g.edges.every((e) => ids.has(e.from) && ids.has(e.to));
};

describe("fitting a diagram to Mermaid's default limits", () => {
  it('leaves a diagram within both limits as it is', () => {
    const g = graph(20);
    expect(renderMermaid(g).length).toBeLessThan(MERMAID_MAX_TEXT);
    expect(fitMermaidLimits(g)).toBe(g);
    // The text measured while fitting is the text written.
    expect(fittedMermaid(g)).toBe(renderMermaid(g));
  });

  it('draws the first runners that fit when the text is too long, and says so', () => {
    const g = graph(200);
    expect(renderMermaid(g).length).toBeGreaterThan(MERMAID_MAX_TEXT);
    const f = fitMermaidLimits(g);
    const text = renderMermaid(f);
    expect(text.length).toBeLessThanOrEqual(MERMAID_MAX_TEXT);
    expect(f.edges.length).toBeLessThanOrEqual(MERMAID_MAX_EDGES);
    const drawn = runners(f);
    expect(drawn.length).toBeGreaterThan(0);
    // The first chains, in order, each whole (four nodes), and the shared node outside them.
    expect(drawn).toEqual(Array.from({ length: drawn.length }, (_, i) => `GitLab runner r${i}`));
    expect(f.nodes).toHaveLength(1 + 4 * drawn.length);
    expect(f.nodes[0]!.id).toBe('cache');
    expect(f.edges).toHaveLength(4 * drawn.length);
    expect(edgesJoinKeptNodes(f)).toBe(true);
    expect(f.title).toBe(`runner-fleet t: identity chain (${drawn.length} of 200 runners drawn: more would exceed Mermaid's default limits of 50,000 characters and 500 edges; README.md lists every runner and its proofs)`);
    // As many as fit: with room for one more chain (~430 characters) but not two, one more is drawn.
    expect(runners(fitMermaidLimits(g, text.length + 600))).toHaveLength(drawn.length + 1);
    // The same graph object for both renderings, and the text measured is the text written.
    expect(fitMermaidLimits(g)).toBe(f);
    expect(fittedMermaid(g)).toBe(text);
  });

  it('keeps to the edge limit when the text is short', () => {
    const g = graph(40, () => 'p');
    // 4 edges per chain: 10 chains are 40 edges, an 11th would make 44.
    const f = fitMermaidLimits(g, MERMAID_MAX_TEXT, 42);
    expect(runners(f)).toHaveLength(10);
    expect(f.edges).toHaveLength(40);
    expect(f.title).toContain('(10 of 40 runners drawn: more would exceed Mermaid\'s default limits of 50,000 characters and 42 edges;');
  });

  it('counts the runners a collapsed band stands for', () => {
    // 400 runners, 200 permissions: alike in pairs, still 200 bands and too many to draw. (Without
    // the edges to the cache: a chain with an edge out of its band is never collapsed.)
    const g = graph(400, (i) => `s3:GetObject on arn:aws:s3:::inputs-${i % 200}/*`);
    g.edges = g.edges.filter((e) => e.to !== 'cache');
    const c = collapseChains(g);
    expect(runners(c)).toHaveLength(200);
    const f = fitMermaidLimits(c);
    const bands = runners(f).length;
    expect(bands).toBeGreaterThan(0);
    expect(bands).toBeLessThan(200);
    expect(renderMermaid(f).length).toBeLessThanOrEqual(MERMAID_MAX_TEXT);
    expect(f.title).toContain(`(${2 * bands} of 400 runners drawn`);
    expect(runners(f)[0]).toBe('r0 + 1 alike');
    expect(edgesJoinKeptNodes(f)).toBe(true);
  });

  it('draws what lies outside the chains even when it alone is too long', () => {
    const g = graph(3);
    g.nodes.push({ id: 'big', label: 'x'.repeat(60), kind: 'resource', layer: 5 });
    const f = fitMermaidLimits(g, 100);
    expect(runners(f)).toEqual([]);
    expect(f.nodes.map((n) => n.id)).toEqual(['cache', 'big']);
    expect(f.edges).toEqual([]);
  });

  it('leaves a graph without runner chains alone', () => {
    const g = graph(200);
    delete g.chains;
    expect(fitMermaidLimits(g)).toBe(g);
  });
});

describe('the identity diagram of 60 runners that each reach their own bucket', () => {
  it('stays within Mermaid\'s limits, and both renderings draw the same runners', () => {
    const spec = replicatedExample('eks-irsa', 60, (r, i) => {
      r.jobs.permissions.aws = [{ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::inputs-${i}/*`] }];
    });
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(0);
    const files = new Map(synthFiles(plan).map((f) => [f.path, f.content]));
    const mmd = files.get('diagram/identity.mmd')!;
    const svg = files.get('diagram/identity.svg')!;
    expect(mmd.length).toBeLessThanOrEqual(MERMAID_MAX_TEXT);
    expect((mmd.match(/ -->| -\.->/g) ?? []).length).toBeLessThanOrEqual(MERMAID_MAX_EDGES);
    const drawn = mmd.match(/:::k_runner$/gm) ?? [];
    expect(drawn.length).toBeGreaterThan(10);
    expect(drawn.length).toBeLessThan(60);
    expect(svg.match(/class="node k-runner"/g)).toHaveLength(drawn.length);
    expect(mmd).toContain(`(${drawn.length} of 60 runners drawn:`);
    expect(svg).toContain(`(${drawn.length} of 60 runners drawn:`);
    // Every runner is still proven in the README.
    expect(spec.runners).toHaveLength(60);
    for (const r of spec.runners as { name: string }[]) expect(files.get('README.md')).toContain(`: ${r.name}: `);
  });
});
