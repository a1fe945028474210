// Instruction counts of plan + synth, independent of machine load: `node bench/instructions.js
// <fleet> [small] [large]` runs `bench/run.js --one <fleet> <n>` under valgrind's callgrind with V8's
// --predictable (one thread, no time-based heuristics), so the same tree gives the same count to
// within ~0.5 % however busy the machine is. Prints each size's instructions and the marginal cost
// per runner, (Ir(large) - Ir(small)) / (large - small), which leaves out start-up and module load.
// Use it for before/after comparisons of a change on a shared machine; `npm run bench` stays the
// measure of CPU time. valgrind missing: prints SKIPPED and exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [fleetName, small = '20', large = '200'] = process.argv.slice(2);
if (!fleetName) {
  console.error('usage: node bench/instructions.js <fleet> [small=20] [large=200]   (fleet names as in bench/run.js, e.g. ecs-fargate, "eks (IRSA + Pod Identity)")');
  process.exit(2);
}
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('SKIPPED: valgrind is not installed, so instructions cannot be counted');
  process.exit(0);
}
const run = fileURLToPath(new URL('./run.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rf-ir-'));
function instructions(n) {
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, `cg.${n}`)}`, process.execPath, '--predictable', run, '--one', fleetName, String(n)], { encoding: 'utf8' });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind run failed for ${fleetName} ${n}: ${r.stderr.slice(-2000)}`);
  return Number(m[1].replaceAll(',', ''));
}
try {
  const a = instructions(Number(small));
  const b = instructions(Number(large));
  const perRunner = (b - a) / (Number(large) - Number(small));
  console.log(JSON.stringify({ fleet: fleetName, [`Ir${small}`]: a, [`Ir${large}`]: b, IrPerRunner: Math.round(perRunner) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
