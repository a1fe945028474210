#!/usr/bin/env node
'use strict';
// runner-fleet's command line. `npm run build` bundles the CLI into scripts in dist/cli-start: the
// CLI itself (runner-fleet.js: plan, synth, schema) and two parts that only their commands load,
// the doctor (runner-fleet-doctor.js) and the operations commands (runner-fleet-ops.js). It runs
// each once over the examples and saves V8's compiled code for it next to it (runner-fleet.cache,
// runner-fleet-doctor.cache, runner-fleet-ops.cache). Every start compiles the CLI script with its
// code cache, and a part with its own when the CLI first asks for it (`__runnerFleetPart`), so
// nothing is parsed or compiled twice, and a `plan` does not read what only `doctor` or an
// operations command runs. V8 refuses a cache made by another Node version or with other V8 flags;
// the script is then compiled from its source, which is only slower. A cache made for another build of its script, or damaged, is refused here
// (its first line names the build and the checksum of the rest). A part takes modules from the CLI
// script by number (scripts/bundle.js): a part made with another build of the CLI script is refused
// (exit 70), since its numbers would name other modules.
//
// Before it compiles, it raises V8's thresholds for optimising a function (tiering, below).
//
// RUNNER_FLEET_NO_CODE_CACHE=1 starts without the cache; RUNNER_FLEET_DEFAULT_JIT=1 keeps Node's
// tiering; RUNNER_FLEET_DEBUG_START=1 tells on stderr which tiering applies and whether each cache
// was used, and why not.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const dir = join(__dirname, '..', 'dist', 'cli-start');
/** Bytes of the cache's first line: a 16-digit build id, a space, a SHA-256 in hex, spaces up to
 *  95 and a newline. 96 keeps V8's data 8-byte aligned in the buffer, so V8 need not copy it. */
const HEAD = 96;

/**
 * V8 tiering by V8 major version: 8x the work (V8 11: bytecode run; V8 12 and 13: calls) before V8
 * optimises a function with Maglev or TurboFan. A run of runner-fleet calls hundreds of functions
 * once per runner and ends in seconds: V8's background threads spent more CPU optimising them
 * than the optimised code saved. Measured on 1,000 runners (BENCHMARKS.md): 21-27 % less CPU
 * and 6-13 % less wall time on Node 20, 14-17 % less CPU on Node 22 and 24. Only versions measured are
 * listed (a flag V8 does not know is an error on stderr); others keep Node's defaults. Tiering
 * changes when code is optimised, never what it computes.
 */
const TIERING = {
  11: '--interrupt-budget=540672',
  12: '--invocation-count-for-maglev=3200 --invocation-count-for-turbofan=24000',
  13: '--invocation-count-for-maglev=3200 --invocation-count-for-turbofan=24000',
};
let tiering;

/** Sets the tiering of this V8 (once), before anything is compiled; returns what applies. */
function tune() {
  if (tiering) return tiering;
  const flags = TIERING[process.versions.v8.split('.')[0]];
  if (process.env.RUNNER_FLEET_DEFAULT_JIT) tiering = "Node's defaults (RUNNER_FLEET_DEFAULT_JIT is set)";
  else if (!flags) tiering = `Node's defaults (none measured for V8 ${process.versions.v8})`;
  else if (process.execArgv.some((a) => /^--(interrupt-budget|invocation-count-for-)/.test(a))) tiering = "as given on node's command line";
  else {
    // node:v8 loads Node's stream modules (internal/heap_utils needs Readable), and with them
    // internal/abort_controller, as node:crypto (the cache's check, below) and process.stdout do: a
    // `plan` loads them at its first line of output whatever is done here (BENCHMARKS.md, stop 57).
    require('node:v8').setFlagsFromString(flags);
    tiering = flags;
  }
  return tiering;
}

/** The parameters of the function each script of dist/cli-start is the body of (scripts/bundle.js). */
const PARAMS = 'require, __runnerFleetUrl, __runnerFleetImport, __runnerFleetPart, __runnerFleetShared';

/**
 * Compiles one script of dist/cli-start, `runner-fleet` (the CLI) or a part (`runner-fleet-doctor`),
 * with its code cache unless told not to. Returns the script, its file, what became of the cache and
 * the build ids on its last line: its own and, for a part, the CLI script's it was made with.
 */
function compile(base, codeCache) {
  const file = join(dir, `${base}.js`);
  let source;
  try {
    source = readFileSync(file, 'latin1'); // the build checks that the bundle is ASCII
  } catch (e) {
    process.stderr.write(`runner-fleet: cannot read ${file} (${e.code ?? e.message}): run \`npm run build\` in the runner-fleet package\n`);
    process.exit(70);
  }
  const [, build, madeWith] = /\/\/ runner-fleet build ([0-9a-f]{16})(?: for ([0-9a-f]{16}))?\n?$/.exec(source.slice(-96)) ?? [];
  let cachedData;
  let state = 'not used (RUNNER_FLEET_NO_CODE_CACHE is set)';
  if (codeCache) {
    try {
      const data = readFileSync(join(dir, `${base}.cache`));
      // The cache starts with a line of its own: the build id of the script it was made for and the
      // SHA-256 of V8's data after the line. V8 does not check its data: a damaged cache can crash
      // node or, worse, run other code than the script's.
      const [madeFor, sha256] = data.toString('latin1', 0, HEAD).split(/[ \n]+/);
      const v8Data = data.subarray(HEAD);
      if (!build || madeFor !== build) state = 'refused: it was made for another build of the script';
      else if (sha256 !== require('node:crypto').createHash('sha256').update(v8Data).digest('hex')) state = 'refused: it is damaged (its SHA-256 does not match)';
      else cachedData = v8Data;
    } catch (e) {
      state = `absent (${e.code ?? e.message})`;
    }
  }
  const script = new vm.Script(`(function (${PARAMS}) {${source}\n})`, { filename: file, cachedData });
  if (cachedData) state = script.cachedDataRejected ? 'refused by V8 (another Node version or other V8 flags)' : 'used';
  return { script, file, state, build, madeWith };
}

/**
 * Compiles and runs the bundled CLI; returns its exports, its script, what became of its cache, and
 * the parts loaded so far (name → { script, state }). A part (the doctor, the operations commands)
 * is compiled, with its own cache, when the CLI first asks for it: a `plan` never reads it.
 */
function load({ codeCache = !process.env.RUNNER_FLEET_NO_CODE_CACHE } = {}) {
  // V8 takes a code cache only under the flags it was made with: the build makes it through here.
  tune();
  const cliScript = compile('runner-fleet', codeCache);
  // import() as this file may call it: for a spec written as a JavaScript module (src/io/dynamic-import.ts).
  const importHere = (specifier) => import(specifier);
  const parts = new Map();
  let cli;
  const part = (name) => {
    const p = compile(`runner-fleet-${name}`, codeCache);
    // A part takes modules from the CLI script by number: only from the build it was made with.
    if (p.madeWith !== cliScript.build) {
      process.stderr.write(`runner-fleet: ${p.file} was not built with ${cliScript.file}: run \`npm run build\` in the runner-fleet package\n`);
      process.exit(70);
    }
    parts.set(name, p);
    if (process.env.RUNNER_FLEET_DEBUG_START) process.stderr.write(`runner-fleet: code cache of the ${name} part ${p.state}\n`);
    return p.script.runInThisContext()(require, pathToFileURL(p.file).href, importHere, undefined, cli.__runnerFleetShared);
  };
  cli = cliScript.script.runInThisContext()(require, pathToFileURL(cliScript.file).href, importHere, part, undefined);
  return { cli, script: cliScript.script, state: cliScript.state, parts };
}

if (require.main === module) {
  const { cli, state } = load();
  if (process.env.RUNNER_FLEET_DEBUG_START) process.stderr.write(`runner-fleet: V8 tiering ${tune()}\nrunner-fleet: code cache ${state}\n`);
  // A reader that stops early (`runner-fleet schema | head -1`) closes the pipe: the command ends
  // with its own exit code instead of an 'error' event and a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // The command is done: a spec written as a module may have left a timer or a socket open, which
    // would keep the process alive. It ends as soon as what was printed has been written.
    let pending = 2;
    const flushed = () => {
      if (--pending === 0) process.exit(code);
    };
    process.stdout.write('', flushed);
    process.stderr.write('', flushed);
  });
} else {
  module.exports = { load, tune, dir, HEAD };
}
