// Builds the CLI for fast start-up:
// 1. dist/cli-bundle/  an ESM bundle with one chunk per lazily loaded command (always used as
//    the fallback, and by `node bin/runner-fleet.mjs`);
// 2. dist/cli-snapshot/node-<version>-<arch>.blob  a V8 startup snapshot of the whole CLI for the
//    Node that ran the build: `bin/runner-fleet` starts from it, skipping module loading and
//    compilation. If the snapshot cannot be built, the bundle is used and nothing is lost.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { machine } from 'node:os';

// Live clients' heavy dependencies stay in node_modules and load only when an operations command needs them.
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', external: ['@aws-sdk/*', '@smithy/*', '@azure/*', 'undici'] };

await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli-bundle',
  splitting: true,
  format: 'esm',
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: { js: "import { createRequire as __rfCreateRequire } from 'node:module'; const require = __rfCreateRequire(import.meta.url);" },
});

const dir = 'dist/cli-snapshot';
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: `${dir}/entry.js`,
  format: 'iife',
  globalName: '__runnerFleet',
  // The snapshot has no module URL; the CLI only uses it to find package.json.
  define: { 'import.meta.url': '__runnerFleetUrl' },
  banner: { js: `var __runnerFleetUrl = require('node:url').pathToFileURL(require('node:path').resolve(process.cwd(), 'dist/cli-bundle/main.js')).href;` },
});
// Warm-up while building: plan and synth the examples once, so the snapshot holds the compiled
// code of the whole pipeline rather than functions that still need compiling at every start.
appendFileSync(
  `${dir}/entry.js`,
  `\n;(async () => { const quiet = { out() {}, err() {} }; for (const f of require('node:fs').readdirSync('examples').filter((x) => x.endsWith('.yaml'))) { await __runnerFleet.main(['plan', 'examples/' + f, '--json'], quiet); } })();\n`,
);
appendFileSync(
  `${dir}/entry.js`,
  `\n;require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {\n  __runnerFleetUrl = require('node:url').pathToFileURL(process.env.RUNNER_FLEET_HOME + '/dist/cli-bundle/main.js').href;\n  __runnerFleet.main(process.argv.slice(1)).then((code) => { process.exitCode = code; });\n});\n`,
);
const blob = `${dir}/node-${process.version}-${machine()}.blob`;
const r = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', `${dir}/entry.js`], { encoding: 'utf8' });
if (r.status !== 0) {
  rmSync(blob, { force: true });
  console.warn(`runner-fleet: no start-up snapshot for Node ${process.version} (the CLI still works, it starts slower): ${(r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`}`);
}
