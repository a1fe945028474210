// The long run of the mutation fuzzer: `npm run fuzz -- --seed N --cases N [--fast]`.
// Bundles test/fuzz/engine.ts with esbuild (Node 20 cannot run TypeScript), runs it, and prints
// the counts per class. Exit 1 when any class is not empty.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, cases: { type: 'string', default: '10000' }, fast: { type: 'boolean', default: false } } });
const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}node_modules/.cache/runner-fleet-fuzz`;
mkdirSync(outdir, { recursive: true });
await build({ entryPoints: [`${root}test/fuzz/engine.ts`], outfile: `${outdir}/engine.mjs`, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
const { fuzz, CLASSES } = await import(pathToFileURL(`${outdir}/engine.mjs`).href);
const seed = Number(values.seed);
const cases = Number(values.cases);
const report = await fuzz({ seed, cases, slow: !values.fast, examplesDir: `${root}examples`, hangMs: 10_000, synthEvery: 10 });
console.log(`fuzz: seed ${seed}, ${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s; exit codes ${JSON.stringify(report.exits)}`);
for (const c of CLASSES) console.log(`  ${c.padEnd(22)} ${report.counts[c]}`);
for (const s of report.samples) console.log(`\n[${s.cls}] case seed ${s.caseSeed}: ${s.mutations.join(' + ')}\n  ${s.detail.split('\n').slice(0, 6).join('\n  ')}`);
process.exitCode = CLASSES.some((c) => report.counts[c] > 0) ? 1 : 0;
