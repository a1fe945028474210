// Builds the command line for a fast start in dist/cli-start/: three scripts, each with V8's compiled
// code for it after a run over the examples (runner-fleet*.cache, scripts/warm-up.js).
// bin/runner-fleet.cjs compiles a script with its cache, so a start neither parses nor compiles what
// the run needs (see the comments there). A run that fails fails the build: it is the bundle's first
// run, and a crash there is the bundle's.
//
// - runner-fleet.js: the CLI (src/cli/main.ts) with plan, synth, schema and everything they use.
//   Every start loads it.
// - runner-fleet-doctor.js: `doctor` (src/cli/doctor.ts) and what only the doctor uses (all of
//   src/doctor/**, its readers), loaded only when `doctor` runs: ~0.8 MB of source that `plan` does
//   not read at every start (BENCHMARKS.md, stops 56 and 57). The platforms' and caches' doctor
//   readers (src/platforms/*/doctor.ts, src/caches/*/doctor.ts) are in it too: the doctor's registry
//   src/doctor/platform-readers.ts names them, not the plugins `plan` loads (test/plan-without-doctor).
// - runner-fleet-ops.js: the operations commands (src/cli/ops.ts, src/ops/**, the GitLab and
//   token-store clients), loaded only when one of them runs.
//
// A part does not carry its own copy of what the CLI script holds (the spec, the pipeline, zod,
// yaml): such a module is one instance, the CLI script's, so its state (zod's configuration) and
// its classes (instanceof) are the same on both sides. The CLI script exports a function that returns
// a module by number (`__runnerFleetShared`); in a part, an import of that module becomes a module
// made here that takes its exports from there. The numbers hold only between the scripts of one
// build: each part ends with the build id of the CLI script it was made with, and the bin refuses a
// part made for another build.
//
// (A V8 start-up snapshot of the whole CLI was used before. Deserialising its 9-13 MB at every
// start cost more than it saved on a machine where page faults are slow: BENCHMARKS.md.)
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { warmUp } from './warm-up.js';

const dir = 'dist/cli-start';
rmSync(dir, { recursive: true, force: true });
// Earlier builds' start-up files.
rmSync('dist/cli-bundle', { recursive: true, force: true });
rmSync('dist/cli-snapshot', { recursive: true, force: true });

/** The parts: loaded only when their command runs (bin/runner-fleet.cjs, `part`). */
const PARTS = { doctor: 'src/cli/doctor.ts', ops: 'src/cli/ops.ts' };
const partOf = new Map(Object.entries(PARTS).map(([name, entry]) => [resolve(entry), name]));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Live clients' heavy dependencies stay in node_modules and load (require(), below) only when an
  // operations command or `doctor --aws` needs them.
  external: ['@aws-sdk/*', '@smithy/*', '@azure/*', 'undici'],
  // A script becomes the body of a function (bin/runner-fleet.cjs) that returns its exports.
  // import() of the SDKs becomes require(): a function compiled from a code cache cannot call
  // import() (see src/io/dynamic-import.ts, which a spec written as a JavaScript module goes through).
  supported: { 'dynamic-import': false },
  format: 'iife',
  globalName: '__runnerFleet',
  footer: { js: 'return __runnerFleet;' },
  // The bin passes the script's own URL; the CLI uses it to find package.json.
  define: { 'import.meta.url': '__runnerFleetUrl' },
  // Every start reads the whole source: minified it is less than half. Internal errors print their
  // message, not a stack, so the shorter names cost nothing there.
  minify: true,
  metafile: true,
};

// 1. Which modules the CLI script holds: src/cli/main.ts without the parts.
const cliModules = new Set(Object.keys((await build({ ...common, entryPoints: ['src/cli/main.ts'], write: false, plugins: [...plugins(), partsLoadLater()] })).metafile.inputs));

// 2. The export names of each of them (one build with all of them as entry points), for the modules
// that stand in for them in the parts.
const esm = [...cliModules].filter((p) => !p.includes(':'));
const names = new Map();
const split = await build({ ...common, entryPoints: esm, format: 'esm', splitting: true, outdir: '/nonexistent', write: false, footer: {}, globalName: undefined, plugins: plugins() });
for (const out of Object.values(split.metafile.outputs)) if (out.entryPoint) names.set(out.entryPoint, out.exports);
const formats = new Map(Object.entries(split.metafile.inputs).map(([p, i]) => [p, i.format]));

// 3. The parts, each taking from the CLI script what it holds (numbered in `shared`).
const shared = new Map();
const metafiles = {};
for (const [name, entry] of Object.entries(PARTS)) {
  metafiles[`runner-fleet-${name}`] = (await build({ ...common, entryPoints: [entry], outfile: `${dir}/runner-fleet-${name}.js`, plugins: [...plugins(), fromTheCli()] })).metafile;
}

// 4. The CLI script, exporting the modules the parts take from it.
const registry = [...shared.keys()].map((p) => `() => require(${JSON.stringify(resolve(p))})`).join(',\n');
const cliResult = await build({
  ...common,
  stdin: { contents: `export * from ${JSON.stringify(resolve('src/cli/main.ts'))};\nconst shared = [${registry}];\nexport const __runnerFleetShared = (i) => shared[i]();\n`, resolveDir: '.', sourcefile: 'cli-start.js', loader: 'js' },
  outfile: `${dir}/runner-fleet.js`,
  plugins: [...plugins(), partsLoadLater()],
});
metafiles['runner-fleet'] = cliResult.metafile;
// Which modules each script holds, and their minified sizes: RUNNER_FLEET_BUNDLE_META=<folder> writes
// esbuild's metafile of each there (<script>.json; `esbuild --analyze` reads them too).
if (process.env.RUNNER_FLEET_BUNDLE_META) {
  for (const [base, meta] of Object.entries(metafiles)) writeFileSync(join(process.env.RUNNER_FLEET_BUNDLE_META, `${base}.json`), JSON.stringify(meta));
}
const missing = Object.keys(cliResult.metafile.inputs).filter((p) => !cliModules.has(p) && p !== 'cli-start.js');
if (missing.length > 0) throw new Error(`the CLI script's modules changed between its builds: ${missing.join(', ')}`);

/** Ends a script with its build id (the start of its SHA-256) and, for a part, the CLI script's. */
function seal(file, cliId) {
  const source = readFileSync(file);
  const wide = source.findIndex((b) => b > 0x7f);
  if (wide >= 0) throw new Error(`${file} is not ASCII at byte ${wide}: bin/runner-fleet.cjs reads it as Latin-1`);
  const id = createHash('sha256').update(source).update(cliId ?? '').digest('hex').slice(0, 16);
  writeFileSync(file, Buffer.concat([source, Buffer.from(cliId ? `// runner-fleet build ${id} for ${cliId}\n` : `// runner-fleet build ${id}\n`)]));
  return id;
}
const id = seal(`${dir}/runner-fleet.js`);
const parts = Object.fromEntries(Object.keys(PARTS).map((name) => [name, seal(`${dir}/runner-fleet-${name}.js`, id)]));

// The code caches, made by one run of the scripts over the examples (scripts/warm-up.js). That run
// is their first: if it fails, so does the build.
const failed = warmUp({ id, parts });
if (failed !== undefined) {
  console.error(`runner-fleet build: ${failed}`);
  process.exit(1);
}

function plugins() {
  return [englishOnlyZod(), lazyChildProcessInCommander()];
}

// In the CLI script, `import('./doctor.js')` and `import('./ops.js')` load the part instead
// (`__runnerFleetPart`, given by the bin).
function partsLoadLater() {
  return {
    name: 'parts-load-later',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const name = partOf.get(resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts'));
        return name ? { path: name, namespace: 'runner-fleet-part' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'runner-fleet-part' }, (args) => ({ contents: `module.exports = __runnerFleetPart(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

// In a part, a module the CLI script holds is taken from it: a module of its exports stands in.
function fromTheCli() {
  return {
    name: 'from-the-cli',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'from-the-cli' || args.kind === 'entry-point') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'from-the-cli' });
        if (r.errors.length > 0 || r.external || r.namespace !== 'file') return r.errors.length > 0 ? undefined : r;
        const p = relative(process.cwd(), r.path).split('\\').join('/');
        if (!cliModules.has(p)) return r;
        if (!shared.has(p)) shared.set(p, shared.size);
        return { path: p, namespace: 'from-the-cli' };
      });
      b.onLoad({ filter: /.*/, namespace: 'from-the-cli' }, (args) => {
        const take = `__runnerFleetShared(${shared.get(args.path)})`;
        // A CommonJS module (commander) is the same object on both sides, imported alike.
        if (formats.get(args.path) !== 'esm') return { contents: `module.exports = ${take};`, loader: 'js' };
        const exported = names.get(args.path);
        if (!exported) throw new Error(`no export names for ${args.path}`);
        // The CLI script has evaluated the module when it hands it over: its exports are final
        // (src has no \`export let\`).
        const lines = [`const m = ${take};`];
        // An export may be named with a reserved word (zod's \`function\`): a local name, then renamed.
        exported.forEach((n, i) => lines.push(`const e${i} = m[${JSON.stringify(n)}];`, `export { e${i} as ${/^[A-Za-z_$][\w$]*$/.test(n) ? n : JSON.stringify(n)} };`));
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

// zod re-exports its ~250 translations of the error messages as `z.locales`; runner-fleet reads none
// of them (zod configures English from its own locales/en.js). Every start would read their ~300 KB
// of source: only English is bundled.
function englishOnlyZod() {
  return {
    name: 'english-only-zod',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: '.' }));
    },
  };
}

// commander requires node:child_process at load, only to run a subcommand that is a separate
// executable, which runner-fleet has none of. Loading it (and net, dgram and streams with it) costs
// ~5 ms of every start: the bundled commander loads it on first use instead. If a new commander
// words the line differently, the plugin changes nothing and the start is only slower.
function lazyChildProcessInCommander() {
  const eager = "const childProcess = require('node:child_process');";
  const lazy = "let childProcessLoaded; const childProcess = { spawn: (...a) => (childProcessLoaded ??= require('node:child_process')).spawn(...a) };";
  return {
    name: 'lazy-child-process-in-commander',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const uses = text.match(/childProcess\.\w+/g) ?? [];
        // Only spawn is ever called on it; anything else and the module stays as it is.
        if (!text.includes(eager) || uses.some((u) => u !== 'childProcess.spawn')) return undefined;
        return { contents: text.replace(eager, lazy), loader: 'js' };
      });
    },
  };
}
