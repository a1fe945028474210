import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The static imports among the modules under `<root>/src`, as esbuild sees them when it bundles the
 * CLI (scripts/bundle.js): one bundle of a stdin entry that imports every src/**\/*.ts, with the
 * root's tsconfig.json (verbatimModuleSyntax: every import but `import type` is kept, by tsc for
 * dist/ and by esbuild alike). Dynamic import() is left out: it runs after every module has loaded.
 * Keys and targets are paths relative to root (`src/spec/resolve.ts`).
 */
export async function importGraph(root: string): Promise<Map<string, string[]>> {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `src/${f.split('\\').join('/')}`)
    .sort();
  const r = await build({
    stdin: { contents: files.map((f) => `import './${f}';`).join('\n'), resolveDir: root, loader: 'ts', sourcefile: 'every-module.ts' },
    absWorkingDir: root,
    tsconfig: join(root, 'tsconfig.json'),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outfile: 'every-module.js',
    packages: 'external',
    logLevel: 'silent',
  });
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const input = r.metafile.inputs[f];
    graph.set(f, input ? [...new Set(input.imports.filter((i) => i.kind === 'import-statement' && !i.external && i.path.startsWith('src/')).map((i) => i.path))].sort() : []);
  }
  return graph;
}

/**
 * The edges that close an import cycle: every edge between two modules of one strongly connected
 * component (Tarjan's algorithm, iterative, linear in modules + imports). An edge u → v closes a
 * cycle exactly when v reaches u, so a new cycle always brings at least one new such edge.
 */
export function cycleEdges(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let next = 0;
  let components = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const out = graph.get(top.v) ?? [];
      if (top.i < out.length) {
        const w = out[top.i++]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.set(w, components);
        } while (w !== top.v);
        components++;
      }
    }
  }
  const edges: string[] = [];
  for (const [u, out] of graph) for (const v of out) if (component.get(u) === component.get(v)) edges.push(`${u} -> ${v}`);
  return edges.sort();
}

/** One import cycle through the edge `u -> v`: v's shortest path back to u, as `u -> v -> … -> u`. */
export function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, edge: string): string {
  const [u, v] = edge.split(' -> ') as [string, string];
  const from = new Map<string, string>([[v, '']]);
  const queue = [v];
  for (let k = 0; k < queue.length && !from.has(u); k++) {
    for (const w of graph.get(queue[k]!) ?? []) {
      if (from.has(w)) continue;
      from.set(w, queue[k]!);
      queue.push(w);
    }
  }
  if (u === v) return `${u} -> ${u}`;
  const back: string[] = [];
  for (let w = u; w !== v; w = from.get(w)!) back.push(w);
  return [u, v, ...back.reverse()].join(' -> ');
}
