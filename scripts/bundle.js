// Builds the command line for a fast start: dist/cli-start/runner-fleet.js, the whole CLI in one
// script, and dist/cli-start/runner-fleet.cache, V8's compiled code for it after one run over the
// examples. bin/runner-fleet.cjs compiles the script with that cache, so a start neither parses
// nor compiles what the run needs (see the comments there). If the cache cannot be made, the CLI
// still works and starts slower.
//
// (A V8 start-up snapshot of the whole CLI was used before. Deserialising its 9-13 MB at every
// start cost more than it saved on a machine where page faults are slow: BENCHMARKS.md.)
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

// The code cache is made by a fresh node with default flags and the bin's tiering, as every start
// runs (V8 refuses a cache made under other flags), after the CLI planned every example, so it
// holds the compiled code of the whole pipeline and not only of the functions that run at load.
const bin = join(process.cwd(), 'bin', 'runner-fleet.cjs');
const warm = `
const { writeFileSync, readdirSync } = require('node:fs');
const { load, dir, HEAD } = require(${JSON.stringify(bin)});
const { cli, script } = load({ codeCache: false });
const quiet = { out() {}, err() {} };
(async () => {
  const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml'));
  for (const f of examples) await cli.main(['plan', 'examples/' + f, '--json'], quiet);
  await cli.main(['plan', 'examples/' + examples[0]], quiet);
  const data = script.createCachedData();
  const head = (${JSON.stringify(id)} + ' ' + require('node:crypto').createHash('sha256').update(data).digest('hex')).padEnd(HEAD - 1) + '\\n';
  if (head.length !== HEAD) throw new Error('cache header of ' + head.length + ' bytes');
  // Written whole and renamed, so that no start reads a half-written cache.
  const path = require('node:path').join(dir, 'runner-fleet.cache');
  writeFileSync(path + '.tmp', Buffer.concat([Buffer.from(head, 'latin1'), data]));
  require('node:fs').renameSync(path + '.tmp', path);
})().catch((e) => { console.error(e); process.exit(1); });
`;
const env = { ...process.env };
delete env.RUNNER_FLEET_DEFAULT_JIT;
const r = spawnSync(process.execPath, ['-e', warm], { encoding: 'utf8', env });
if (r.status !== 0) {
  rmSync(`${dir}/runner-fleet.cache`, { force: true });
  rmSync(`${dir}/runner-fleet.cache.tmp`, { force: true });
  console.warn(`runner-fleet: no code cache for the CLI (it still works, it starts slower): ${(r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`}`);
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
