// Builds the command line for a fast start: dist/cli-start/runner-fleet.js, the whole CLI in one
// script, and dist/cli-start/runner-fleet.cache, V8's compiled code for it after one run over the
// examples. bin/runner-fleet.cjs compiles the script with that cache, so a start neither parses
// nor compiles what the run needs (see the comments there). A run that fails fails the build: it
// is the bundle's first run, and a crash there is the bundle's (scripts/warm-up.js).
//
// (A V8 start-up snapshot of the whole CLI was used before. Deserialising its 9-13 MB at every
// start cost more than it saved on a machine where page faults are slow: BENCHMARKS.md.)
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { warmUp } from './warm-up.js';

const dir = 'dist/cli-start';
rmSync(dir, { recursive: true, force: true });
// Earlier builds' start-up files.
rmSync('dist/cli-bundle', { recursive: true, force: true });
rmSync('dist/cli-snapshot', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: `${dir}/runner-fleet.js`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Live clients' heavy dependencies stay in node_modules and load (require(), below) only when an
  // operations command or `doctor --aws` needs them.
  external: ['@aws-sdk/*', '@smithy/*', '@azure/*', 'undici'],
  plugins: [englishOnlyZod(), lazyChildProcessInCommander()],
  // The script becomes the body of a function (bin/runner-fleet.cjs) that returns the CLI's exports.
  // import() of the SDKs becomes require(): a function compiled from a code cache cannot call
  // import() (see src/io/dynamic-import.ts, which a spec written as a JavaScript module goes through).
  supported: { 'dynamic-import': false },
  format: 'iife',
  globalName: '__runnerFleet',
  footer: { js: 'return __runnerFleet;' },
  // The bin passes the script's own URL; the CLI uses it to find package.json.
  define: { 'import.meta.url': '__runnerFleetUrl' },
  // Every start reads the whole source: minified it is 1.0 MB instead of 2.4 MB. Internal errors
  // print their message, not a stack, so the shorter names cost nothing there.
  minify: true,
});

const file = `${dir}/runner-fleet.js`;
const source = readFileSync(file);
const wide = source.findIndex((b) => b > 0x7f);
if (wide >= 0) throw new Error(`${file} is not ASCII at byte ${wide}: bin/runner-fleet.cjs reads it as Latin-1`);
const id = createHash('sha256').update(source).digest('hex').slice(0, 16);
writeFileSync(file, Buffer.concat([source, Buffer.from(`// runner-fleet build ${id}\n`)]));

// The code cache, made by one run of the bundle over the examples (scripts/warm-up.js). That run is
// the bundle's first: if it fails, so does the build.
const failed = warmUp({ id });
if (failed !== undefined) {
  console.error(`runner-fleet build: ${failed}`);
  process.exit(1);
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
