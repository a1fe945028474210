import { cpSync, mkdirSync, mkdtempSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fleet.js';
import { cycleEdges, cycleThrough, importGraph } from './helpers/import-graph.js';

/**
 * Import cycles among src/ modules. esbuild bundles the CLI into one scope and evaluates a cycle's
 * modules in an order of its own: a module whose loading reads a binding of another in its cycle
 * can find it undefined in the bundle only, while vitest (which loads src/ another way) passes.
 * Helper 23a met one: platforms/eks/names.ts imported clusterAws from verify/intent.ts, which
 * reaches the platform registry, and the bundled doctor failed on every Pod Identity deployment
 * (test/bundle-parity.test.ts runs the bundle over the corpus).
 *
 * The cycles of today are listed below, edge by edge, each group with why its modules load in any
 * order. A new import that closes a cycle fails here with the cycle: break it (move what both
 * sides need into a module of its own, as verify/runner-aws.ts did for 23a's), or, when nothing
 * in the cycle is read while its modules load, add the edge to a group and say so.
 */
const ALLOWED: { reason: string; edges: string[] }[] = [
  {
    reason: 'the modules outside platforms/ import only platformFor from the registry, a function called when a fleet is resolved, emitted or verified; PLATFORMS is not read while they load',
    edges: [
      'src/emit/readme/reach.ts -> src/emit/terraform/reach.ts',
      'src/emit/readme/readme.ts -> src/emit/readme/reach.ts',
      'src/emit/readme/readme.ts -> src/platforms/registry.ts',
      'src/emit/terraform/aws.ts -> src/platforms/registry.ts',
      'src/emit/terraform/reach.ts -> src/emit/terraform/aws.ts',
      'src/emit/terraform/reach.ts -> src/spec/resolve.ts',
      'src/platforms/aks/index.ts -> src/platforms/aks/key-vault-verify.ts',
      'src/platforms/aks/index.ts -> src/platforms/aks/verify.ts',
      'src/platforms/aks/key-vault-verify.ts -> src/platforms/aks/verify.ts',
      'src/platforms/aks/verify.ts -> src/verify/index.ts',
      'src/platforms/aws-vm/platform.ts -> src/emit/readme/readme.ts',
      'src/platforms/ec2-autoscaler/index.ts -> src/platforms/aws-vm/platform.ts',
      'src/platforms/ec2-docker/index.ts -> src/platforms/aws-vm/platform.ts',
      'src/platforms/ecs-fargate/index.ts -> src/platforms/aws-vm/platform.ts',
      'src/platforms/registry.ts -> src/platforms/aks/index.ts',
      'src/platforms/registry.ts -> src/platforms/ec2-autoscaler/index.ts',
      'src/platforms/registry.ts -> src/platforms/ec2-docker/index.ts',
      'src/platforms/registry.ts -> src/platforms/ecs-fargate/index.ts',
      'src/spec/resolve-operations.ts -> src/platforms/registry.ts',
      'src/spec/resolve-operations.ts -> src/spec/resolve-reach.ts',
      'src/spec/resolve-operations.ts -> src/spec/resolve.ts',
      'src/spec/resolve-reach.ts -> src/spec/resolve.ts',
      'src/spec/resolve.ts -> src/platforms/registry.ts',
      'src/spec/resolve.ts -> src/spec/resolve-operations.ts',
      'src/spec/resolve.ts -> src/spec/resolve-reach.ts',
      'src/verify/index.ts -> src/platforms/registry.ts',
      'src/verify/index.ts -> src/verify/reach/index.ts',
      'src/verify/reach/id-tokens.ts -> src/verify/reach/rotator-azure.ts',
      'src/verify/reach/index.ts -> src/verify/reach/id-tokens.ts',
      'src/verify/reach/index.ts -> src/verify/reach/intent.ts',
      'src/verify/reach/intent.ts -> src/emit/terraform/reach.ts',
      'src/verify/reach/intent.ts -> src/spec/resolve-operations.ts',
      'src/verify/reach/rotator-azure.ts -> src/spec/resolve-operations.ts',
    ],
  },
];
const allowed = new Set(ALLOWED.flatMap((g) => g.edges));

/** What the guard says about the src/ under root: cycles not allowed (each with one cycle through it), allowed edges no longer in a cycle. */
async function guard(root: string) {
  const graph = await importGraph(root);
  const edges = cycleEdges(graph);
  const inCycle = new Set(edges);
  return {
    modules: graph.size,
    newCycles: edges.filter((e) => !allowed.has(e)).map((e) => cycleThrough(graph, e)),
    stale: [...allowed].filter((e) => !inCycle.has(e)),
  };
}

describe('import cycles among src/ modules', () => {
  it('no new cycle: every import that closes one is in the list above, with its reason', async () => {
    const r = await guard(ROOT);
    expect(r.modules).toBeGreaterThan(150);
    expect(r.newCycles, 'import cycles not allowed (break them, or allow them with a reason)').toEqual([]);
  });

  it('the list holds only imports that still close a cycle (one that no longer does is taken out)', async () => {
    expect((await guard(ROOT)).stale).toEqual([]);
  });

  it("finds 23a's cycle: platforms/eks/names.ts importing from verify/intent.ts, on a copy of src/", async () => {
    const copy = mkdtempSync(join(tmpdir(), 'runner-fleet-cycle-'));
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
    cpSync(join(ROOT, 'tsconfig.json'), join(copy, 'tsconfig.json'));
    // The import as 23a wrote it, of something intent.ts exports today.
    appendFileSync(join(copy, 'src', 'platforms', 'eks', 'names.ts'), "import { intentOf } from '../../verify/intent.js';\nexport const intentOfForEks = intentOf;\n");
    const r = await guard(copy);
    expect(r.stale).toEqual([]);
    const through = r.newCycles.find((c) => c.startsWith('src/platforms/eks/names.ts -> src/verify/intent.ts -> '));
    expect(through, r.newCycles.join('\n')).toBeDefined();
    expect(through!.endsWith(' -> src/platforms/eks/names.ts')).toBe(true);
    // The registry's import of the EKS platform now closes a cycle too, as in the bundle that failed.
    expect(r.newCycles.find((c) => c.startsWith('src/platforms/registry.ts -> src/platforms/eks/index.ts -> '))).toBeDefined();
  });

  it('counts what the bundle keeps: a value import closes a cycle, an `import type` does not', async () => {
    const root = mkdtempSync(join(tmpdir(), 'runner-fleet-cycle-'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { verbatimModuleSyntax: true } }));
    writeFileSync(join(root, 'src', 'a.ts'), "import { b } from './b.js';\nexport interface A { n: number }\nexport const a = () => b();\n");
    writeFileSync(join(root, 'src', 'b.ts'), "import type { A } from './a.js';\nexport const b = (): A => ({ n: 1 });\n");
    expect(cycleEdges(await importGraph(root))).toEqual([]);
    writeFileSync(join(root, 'src', 'b.ts'), "import { a, type A } from './a.js';\nexport const b = (): A => ({ n: 1 });\nexport const c = a;\n");
    const graph = await importGraph(root);
    expect(cycleEdges(graph)).toEqual(['src/a.ts -> src/b.ts', 'src/b.ts -> src/a.ts']);
    expect(cycleThrough(graph, 'src/a.ts -> src/b.ts')).toBe('src/a.ts -> src/b.ts -> src/a.ts');
  });
});

describe('layers: the I/O edge imports nothing of the doctor', () => {
  it('no module under src/io/ imports a module under src/doctor/ (the doctor may use io, never the other way)', async () => {
    const graph = await importGraph(ROOT);
    const upward = [...graph].flatMap(([from, to]) => (from.startsWith('src/io/') ? to.filter((t) => t.startsWith('src/doctor/')).map((t) => `${from} -> ${t}`) : []));
    expect(upward).toEqual([]);
  });
});
