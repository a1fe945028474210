import { describe, expect, it } from 'vitest';
import { renderMermaid, renderSvg } from '../src/emit/diagram/graph.js';
import type { DiagramEdge, DiagramGraph, DiagramNode } from '../src/emit/diagram/graph.js';

/** One runner's identity chain: 6 nodes, 5 edges, all in the runner's group. */
function runnerChain(i: number): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
  const g = `runner-${i}`;
  const id = (s: string): string => `${g}/${s}`;
  return {
    nodes: [
      { id: id('runner'), label: `gitlab-runner ${i}`, kind: 'runner', layer: 0, group: g, sublabel: 'tags: docker' },
      { id: id('mgr-sa'), label: `fleet-${i}-manager`, kind: 'service-account', layer: 1, group: g },
      { id: id('mgr-role'), label: `arn:aws:iam::123456789012:role/fleet-${i}-manager`, kind: 'identity', layer: 2, group: g },
      { id: id('cache'), label: `s3://fleet-cache/runner-${i}/`, kind: 'resource', layer: 3, group: g },
      { id: id('job-sa'), label: `fleet-${i}-job`, kind: 'service-account', layer: 1, group: g },
      { id: id('job-role'), label: `fleet-${i}-job-role`, kind: 'identity', layer: 2, group: g },
    ],
    edges: [
      { from: id('runner'), to: id('mgr-sa'), label: 'runs as' },
      { from: id('mgr-sa'), to: id('mgr-role'), label: 'assumes' },
      { from: id('mgr-role'), to: id('cache'), label: 'read/write' },
      { from: id('runner'), to: id('job-sa'), label: 'spawns jobs as', style: 'dashed' },
      { from: id('job-sa'), to: id('job-role'), label: 'assumes' },
    ],
  };
}

function fleet(runners: number): DiagramGraph {
  const g: DiagramGraph = { title: `Fleet with ${runners} runners`, nodes: [], edges: [] };
  for (let i = 0; i < runners; i++) {
    const c = runnerChain(i);
    g.nodes.push(...c.nodes);
    g.edges.push(...c.edges);
  }
  return g;
}

const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;

/** Text and attribute values must not contain raw `<`, and every `&` must start an entity. */
function checkChars(s: string, where: string): void {
  // Plain ifs rather than expect() per call: the 1,000-runner SVG has ~100k tokens.
  if (s.includes('<')) expect.fail(`raw '<' in ${where}: ${s}`);
  for (let i = s.indexOf('&'); i !== -1; i = s.indexOf('&', i + 1)) {
    if (!ENTITY.test(s.slice(i, i + 12))) expect.fail(`bare '&' in ${where}: ${s.slice(i, i + 20)}`);
  }
}

/**
 * Minimal XML well-formedness check: tags balance on a stack, there is exactly
 * one root element, attributes are double-quoted and unique, and character
 * data is escaped. Anything that doesn't lex as a tag shows up as a raw '<'.
 */
function assertWellFormedXml(xml: string): void {
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = token.exec(xml)) !== null) {
    const text = xml.slice(last, m.index);
    checkChars(text, 'text');
    if (stack.length === 0 && text.trim() !== '') expect.fail(`text outside root: ${text}`);
    last = token.lastIndex;
    const [, closing, name, attrs, selfClosing] = m;
    if (name === undefined) continue; // comment or processing instruction
    if (closing) {
      const open = stack.pop();
      if (open !== name) expect.fail(`</${name}> closes <${open ?? '(nothing)'}>`);
      continue;
    }
    const seen = new Set<string>();
    for (const a of (attrs ?? '').matchAll(/([A-Za-z_][\w:.-]*)="([^"]*)"/g)) {
      const [, attrName = '', value = ''] = a;
      if (seen.has(attrName)) expect.fail(`duplicate attribute ${attrName} on <${name}>`);
      seen.add(attrName);
      checkChars(value, `attribute ${attrName}`);
    }
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(name);
  }
  const tail = xml.slice(last);
  checkChars(tail, 'trailing text');
  expect(tail.trim()).toBe('');
  expect(stack, 'unclosed elements').toEqual([]);
  expect(roots).toBe(1);
}

function count(haystack: string, needle: string | RegExp): number {
  if (typeof needle === 'string') return haystack.split(needle).length - 1;
  return [...haystack.matchAll(needle)].length;
}

function escXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The y of the node rectangle drawn for a given data-id. */
function nodeY(svg: string, id: string): number {
  const m = new RegExp(`data-id="${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"><title>[^<]*</title><rect x="[\\d.]+" y="([\\d.]+)"`).exec(svg);
  expect(m, `node ${id} in svg`).not.toBeNull();
  return Number(m?.[1]);
}

describe('assertWellFormedXml (test helper)', () => {
  it('rejects malformed documents so the SVG checks mean something', () => {
    expect(() => assertWellFormedXml('<svg><g></svg>')).toThrow();
    expect(() => assertWellFormedXml('<svg><g></g>')).toThrow();
    expect(() => assertWellFormedXml('<svg>a < b</svg>')).toThrow();
    expect(() => assertWellFormedXml('<svg>a & b</svg>')).toThrow();
    expect(() => assertWellFormedXml('<svg x="1" x="2"/>')).toThrow();
    expect(() => assertWellFormedXml("<svg x='1'/>")).toThrow();
    expect(() => assertWellFormedXml('<svg/><svg/>')).toThrow();
    expect(() => assertWellFormedXml('<svg><g a="&amp;">&lt;ok&gt;</g></svg>')).not.toThrow();
  });
});

describe('renderSvg', () => {
  it('is deterministic and well-formed', () => {
    const g = fleet(3);
    const a = renderSvg(g);
    const b = renderSvg(structuredClone(g));
    expect(a).toBe(b);
    assertWellFormedXml(a);
    expect(a.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(a).toMatch(/viewBox="0 0 \d+ \d+"/);
    expect(a).toMatch(/ width="\d+" height="\d+"/);
    expect(a).toContain('font-family="system-ui');
    expect(a).toContain('<text class="title"');
    expect(a.endsWith('</svg>\n')).toBe(true);
  });

  it('contains every node label, the arrow marker once, dashed edges and group frames', () => {
    const g = fleet(2);
    const svg = renderSvg(g);
    for (const n of g.nodes) expect(svg).toContain(`>${escXml(n.label)}<`);
    expect(count(svg, '<marker ')).toBe(1);
    expect(count(svg, 'marker-end="url(#rf-arrow)"')).toBe(g.edges.length);
    expect(count(svg, 'stroke-dasharray')).toBe(2);
    expect(count(svg, '<g class="group">')).toBe(2);
    expect(svg).toContain('>runner-0</text>');
    expect(svg).toContain('>spawns jobs as</text>');
    // No number in the output has more than one decimal.
    expect(svg).not.toMatch(/\d\.\d\d/);
  });

  it('lays out layers as columns and keeps a runner chain on one row', () => {
    const svg = renderSvg(fleet(2));
    const row = ['runner', 'mgr-sa', 'mgr-role', 'cache'].map((s) => nodeY(svg, `runner-0/${s}`));
    expect(new Set(row).size).toBe(1);
    // The job chain sits on the next row of the same band.
    expect(nodeY(svg, 'runner-0/job-sa')).toBeGreaterThan(row[0] ?? 0);
    expect(nodeY(svg, 'runner-0/job-role')).toBe(nodeY(svg, 'runner-0/job-sa'));
    // The second runner's band starts below the first.
    expect(nodeY(svg, 'runner-1/runner')).toBeGreaterThan(nodeY(svg, 'runner-0/job-sa'));
    const xs = ['runner', 'mgr-sa', 'mgr-role', 'cache'].map((s) => {
      const m = new RegExp(`data-id="runner-0/${s}"><title>[^<]*</title><rect x="([\\d.]+)"`).exec(svg);
      return Number(m?.[1]);
    });
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
  });

  it('escapes XML special characters in labels, sublabels, groups, ids, edge labels and title', () => {
    const nasty = `a<b>&"c'`;
    const g: DiagramGraph = {
      title: `T ${nasty}`,
      nodes: [
        { id: `x${nasty}`, label: nasty, sublabel: nasty, kind: 'permission', layer: 0, group: nasty },
        { id: 'y', label: 'y', kind: 'resource', layer: 1 },
      ],
      edges: [{ from: `x${nasty}`, to: 'y', label: nasty }],
    };
    const svg = renderSvg(g);
    assertWellFormedXml(svg);
    const escaped = 'a&lt;b&gt;&amp;&quot;c&apos;';
    expect(svg).toContain(`>${escaped}</text>`);
    expect(svg).toContain(`data-id="x${escaped}"`);
    expect(svg).toContain(`<title>T ${escaped}</title>`);
    expect(svg).not.toContain(nasty);
  });

  it('replaces control characters so the output stays well-formed XML', () => {
    const g: DiagramGraph = {
      title: 'ctl',
      nodes: [{ id: 'a', label: `bell\u0007 tab\t nl\n`, kind: 'runner', layer: 0 }],
      edges: [],
    };
    const svg = renderSvg(g);
    assertWellFormedXml(svg);
    expect(svg).toContain('>bell  tab  nl <');
  });

  it('truncates long labels with an ellipsis and keeps the full text in <title>', () => {
    const long = `arn:aws:iam::123456789012:role/${'very-long-role-name-'.repeat(5)}end`;
    const g: DiagramGraph = { title: 't', nodes: [{ id: 'r', label: long, kind: 'identity', layer: 0 }], edges: [] };
    const svg = renderSvg(g);
    expect(svg).toContain(`<title>${long}</title>`);
    const shown = /font-weight="600" text-anchor="middle"[^>]*>([^<]*)<\/text>/.exec(svg)?.[1] ?? '';
    expect(shown.endsWith('…')).toBe(true);
    expect(shown.length).toBeLessThan(long.length);
    expect(long.startsWith(shown.slice(0, -1))).toBe(true);
  });

  it('does not split surrogate pairs when truncating', () => {
    const g: DiagramGraph = { title: 't', nodes: [{ id: 'e', label: '🚀'.repeat(100), kind: 'runner', layer: 0 }], edges: [] };
    const shown = /text-anchor="middle"[^>]*>([^<]*)<\/text>/.exec(renderSvg(g))?.[1] ?? '';
    expect(shown.endsWith('…')).toBe(true);
    // Every code point before the ellipsis is a whole rocket, none half a pair.
    expect(Array.from(shown.slice(0, -1)).every((c) => c === '🚀')).toBe(true);
  });

  it('renders an empty graph as valid SVG containing just the title', () => {
    const svg = renderSvg({ title: 'Empty fleet', nodes: [], edges: [] });
    assertWellFormedXml(svg);
    expect(svg).toContain('>Empty fleet</text>');
    expect(count(svg, '<rect')).toBe(1); // background only
    expect(svg).not.toContain('marker-end=');
    expect(svg).not.toContain('<g class="node ');
  });

  it('throws, naming the edge, when an edge refers to an unknown node', () => {
    const g: DiagramGraph = {
      title: 't',
      nodes: [{ id: 'a', label: 'a', kind: 'runner', layer: 0 }],
      edges: [{ from: 'a', to: 'ghost' }],
    };
    expect(() => renderSvg(g)).toThrow(/edge #0 "a" -> "ghost".*unknown node id "ghost"/);
    expect(() => renderMermaid(g)).toThrow(/edge #0 "a" -> "ghost"/);
  });

  it('throws on duplicate node ids', () => {
    const n: DiagramNode = { id: 'a', label: 'a', kind: 'runner', layer: 0 };
    expect(() => renderSvg({ title: 't', nodes: [n, { ...n }], edges: [] })).toThrow(/duplicate id "a"/);
  });
});

describe('renderMermaid', () => {
  it('is deterministic and starts with front matter then flowchart LR', () => {
    const g = fleet(2);
    const a = renderMermaid(g);
    expect(a).toBe(renderMermaid(structuredClone(g)));
    expect(a.split('\n').slice(0, 4)).toEqual(['---', 'title: "Fleet with 2 runners"', '---', 'flowchart LR']);
    expect(a.endsWith('\n')).toBe(true);
  });

  it('sanitises ids uniquely and consistently across nodes and edges', () => {
    const g: DiagramGraph = {
      title: 't',
      nodes: [
        { id: 'a-b', label: 'dash', kind: 'permission', layer: 0 },
        { id: 'a_b', label: 'underscore', kind: 'permission', layer: 1 },
        { id: 'a.b', label: 'dot', kind: 'permission', layer: 2 },
        { id: 'end', label: 'reserved', kind: 'permission', layer: 3 },
        { id: '9lives', label: 'digit', kind: 'permission', layer: 3 },
      ],
      edges: [
        { from: 'a-b', to: 'a_b' },
        { from: 'a_b', to: 'a.b' },
        { from: 'a.b', to: 'end' },
      ],
    };
    const m = renderMermaid(g);
    expect(m).toContain('  a_b["dash"]:::k_permission\n');
    expect(m).toContain('  a_b_2["underscore"]:::k_permission\n');
    expect(m).toContain('  a_b_3["dot"]:::k_permission\n');
    expect(m).toContain('  n_end["reserved"]:::k_permission\n');
    expect(m).toContain('  n_9lives["digit"]:::k_permission\n');
    expect(m).toContain('  a_b --> a_b_2\n');
    expect(m).toContain('  a_b_2 --> a_b_3\n');
    expect(m).toContain('  a_b_3 --> n_end\n');
    const ids = [...m.matchAll(/^ +(\w+)\["/gm)].map((x) => x[1]);
    expect(ids.every((id) => /^[A-Za-z0-9_]+$/.test(id ?? ''))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes quotes and other syntax characters in labels', () => {
    const g: DiagramGraph = {
      title: 'say "hi"',
      nodes: [
        { id: 'a', label: 'say "hi" <b> & #1 | `x`', kind: 'runner', layer: 0, group: 'g "1"' },
        { id: 'b', label: 'b', kind: 'permission', layer: 1 },
      ],
      edges: [{ from: 'a', to: 'b', label: 'a|"b"' }],
    };
    const m = renderMermaid(g);
    expect(m).toContain('a(["say #quot;hi#quot; #lt;b#gt; #amp; #35;1 #124; #96;x#96;"]):::k_runner');
    expect(m).toContain('subgraph sg_g__1_["g #quot;1#quot;"]');
    expect(m).toContain('a -->|"a#124;#quot;b#quot;"| b');
    expect(m).toContain('title: "say \\"hi\\""');
  });

  it('uses kind shapes, dashed arrows, subgraphs per group and classDefs', () => {
    const g = fleet(2);
    g.nodes.push({ id: 'perm', label: 's3:GetObject', kind: 'permission', layer: 4, sublabel: 'cache bucket' });
    g.edges.push({ from: 'runner-0/job-role', to: 'perm' });
    const m = renderMermaid(g);
    expect(m).toContain('runner_0_runner(["gitlab-runner 0<br/>tags: docker"]):::k_runner');
    expect(m).toContain('runner_0_mgr_role{{"arn:aws:iam::123456789012:role/fleet-0-manager"}}:::k_identity');
    expect(m).toContain('runner_0_cache[("s3://fleet-cache/runner-0/")]:::k_resource');
    expect(m).toContain('perm["s3:GetObject<br/>cache bucket"]:::k_permission');
    expect(m).toContain('  runner_0_runner -.->|"spawns jobs as"| runner_0_job_sa\n');
    expect(m).toContain('  runner_0_runner -->|"runs as"| runner_0_mgr_sa\n');
    expect(m).toContain('  runner_0_job_role --> perm\n');
    // Groups become subgraphs in first-seen order, each closed with `end`.
    const subgraphs = [...m.matchAll(/^ {2}subgraph (\w+)\["([^"]*)"\]$/gm)].map((x) => x[2]);
    expect(subgraphs).toEqual(['runner-0', 'runner-1']);
    expect(count(m, /^ {2}end$/gm)).toBe(2);
    // Ungrouped nodes stay at top level, ahead of the subgraphs.
    expect(m.indexOf('  perm[')).toBeLessThan(m.indexOf('subgraph'));
    for (const k of ['runner', 'service_account', 'identity', 'resource', 'permission', 'cluster', 'platform']) {
      expect(m).toMatch(new RegExp(`^ {2}classDef k_${k} fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$`, 'm'));
    }
  });
});

describe('large fleet', () => {
  it('renders 1,000 runners (6,000 nodes, 5,000 edges)', () => {
    const g = fleet(1000);
    const t0 = performance.now();
    const svg = renderSvg(g);
    const t1 = performance.now();
    const mermaid = renderMermaid(g);
    const t2 = performance.now();
    console.log(
      `diagram: 1000 runners -> svg ${(t1 - t0).toFixed(1)} ms (${svg.length} chars), mermaid ${(t2 - t1).toFixed(1)} ms (${mermaid.length} chars)`,
    );
    expect(count(svg, '<g class="node ')).toBe(6000);
    expect(count(svg, 'marker-end="url(#rf-arrow)"')).toBe(5000);
    expect(count(svg, '<g class="group">')).toBe(1000);
    assertWellFormedXml(svg);
    expect(count(mermaid, /:::k_\w+$/gm)).toBe(6000);
    expect(count(mermaid, /^ {2}\w+ (?:-->|-\.->)/gm)).toBe(5000);
    expect(count(mermaid, /^ {2}subgraph /gm)).toBe(1000);
  });
});
