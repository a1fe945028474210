import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { COLLAPSE_CHAINS_ABOVE, collapseChains } from '../src/emit/diagram/collapse.js';
import type { DiagramEdge, DiagramGraph, DiagramNode } from '../src/emit/diagram/graph.js';
import { exampleValue, replicatedExample } from './helpers/fleet.js';

/** One runner's band as identityGraph draws it: runner → service account → role → permission. */
function chain(name: string, permission = 's3:GetObject on arn:aws:s3:::inputs/*', scope = 'group acme'): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
  const group = `runner ${name}`;
  return {
    nodes: [
      { id: `runner:${name}`, label: `GitLab runner ${name}`, kind: 'runner', layer: 0, group, sublabel: scope },
      { id: `sa:${name}`, label: `ns-${name}/${name}-jobs`, kind: 'service-account', layer: 1, group, sublabel: 'jobs service account (eks)' },
      { id: `role:${name}`, label: `acme-${name}-jobs`, kind: 'identity', layer: 2, group, sublabel: 'jobs role' },
      { id: `perm:${name}`, label: permission, kind: 'permission', layer: 3, group },
    ],
    edges: [
      { from: `runner:${name}`, to: `sa:${name}`, label: 'job pods run as' },
      { from: `sa:${name}`, to: `role:${name}`, label: 'IRSA' },
      { from: `role:${name}`, to: `perm:${name}` },
    ],
  };
}

function graph(count: number, vary: (i: number) => Parameters<typeof chain>[1] = () => undefined, scope: (i: number) => string | undefined = () => undefined): DiagramGraph {
  const g: DiagramGraph = { title: 't', nodes: [], edges: [], chains: new Map() };
  for (let i = 0; i < count; i++) {
    const c = chain(`r${i}`, vary(i), scope(i));
    g.nodes.push(...c.nodes);
    g.edges.push(...c.edges);
    (g.chains as Map<string, string>).set(`runner r${i}`, `r${i}`);
  }
  return g;
}

const runnerNodes = (g: DiagramGraph) => g.nodes.filter((n) => n.kind === 'runner');

describe('collapsing alike runner chains', () => {
  it.each([
    ['at the threshold: every runner drawn', COLLAPSE_CHAINS_ABOVE, COLLAPSE_CHAINS_ABOVE],
    ['one above it: alike chains drawn once', COLLAPSE_CHAINS_ABOVE + 1, 1],
    ['200 runners', 200, 1],
  ])('%s', (_name, count, bands) => {
    const g = graph(count);
    const c = collapseChains(g);
    expect(runnerNodes(c)).toHaveLength(bands);
    if (bands === count) expect(c).toBe(g);
    else {
      expect(c.title).toContain(`${count} runners in ${bands} band${bands === 1 ? '' : 's'}:`);
      expect(runnerNodes(c)[0]!.label).toBe(`r0 + ${count - bands} alike`);
      expect(runnerNodes(c)[0]!.group).toMatch(new RegExp(`^${count} runners alike, drawn once with r0's names: r0, r1, .* \\+${count - 8} more$`));
      // Every edge kept joins two kept nodes.
      const ids = new Set(c.nodes.map((n) => n.id));
      expect(c.edges.every((e) => ids.has(e.from) && ids.has(e.to))).toBe(true);
      expect(c.edges).toHaveLength(3 * bands);
    }
  });

  it.each([
    ['a different permission', graph(60, (i) => (i === 7 ? 's3:PutObject on arn:aws:s3:::inputs/*' : undefined)), 2],
    ['a different runner scope (who may use it)', graph(60, () => undefined, (i) => (i % 3 === 0 ? 'group acme, protected only' : undefined)), 2],
    ['a permission per runner', graph(60, (i) => `s3:GetObject on arn:aws:s3:::inputs-${i}/*`), 60],
  ])('never hides %s', (_name, g, bands) => {
    expect(runnerNodes(collapseChains(g))).toHaveLength(bands);
  });

  it('draws a chain with an edge to another group on its own', () => {
    const g = graph(60);
    g.nodes.push({ id: 'idt:deploy', label: 'deploy', kind: 'identity', layer: 2, group: 'GitLab ID tokens' });
    g.edges.push({ from: 'runner:r5', to: 'idt:deploy', label: 'jobs may use (id_tokens)', style: 'dashed' });
    const c = collapseChains(g);
    expect(runnerNodes(c).map((n) => n.label)).toEqual(['r0 + 58 alike', 'GitLab runner r5']);
    expect(c.edges).toContainEqual(g.edges.at(-1));
  });

  it('leaves graphs without runner chains alone', () => {
    const g = graph(200);
    delete g.chains;
    expect(collapseChains(g)).toBe(g);
  });
});

describe('the identity diagram of a 60-runner fleet (above the threshold; planning 200 would cost seconds)', () => {
  it('draws each class of alike runners once, in both renderings', () => {
    const base = exampleValue('aks-workload-identity').runners as Record<string, any>[];
    const spec = replicatedExample('aks-workload-identity', 60);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(0);
    const files = new Map(synthFiles(plan).map((f) => [f.path, f.content]));
    const svg = files.get('diagram/identity.svg')!;
    const mmd = files.get('diagram/identity.mmd')!;
    expect(svg.match(/class="node k-runner"/g)).toHaveLength(base.length);
    expect(svg).toContain(`60 runners in ${base.length} bands`);
    expect(mmd.match(/:::k_runner$/gm)).toHaveLength(base.length);
    expect(mmd).toContain(`${String(base[0]!.name)}-0 + ${60 / base.length - 1} alike`);
    // Small: the per-runner drawing of this fleet is about 300 KB.
    expect(svg.length).toBeLessThan(20_000);
  });
});
