// Where the CPU of plan + synth goes, per phase, for every bench fleet at one size (default 1,000
// runners): `node bench/phases.js [n]`. Each fleet runs in a fresh process with the CLI's V8 tiering,
// after the same warm-up as bench/run.js, and calls the steps planValue calls, in its order (header
// and schema, spec checks, resolve, emit, intent, verify), then synthFiles; the proofs and findings
// must match planValue's on the same spec, so a change to planValue that this script does not follow
// fails here instead of measuring something else. Each phase's CPU includes the garbage collection
// it causes (bench/run.js reports GC pauses for plan and synth as a whole).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { fleet } from './fleet.js';
import { FLEETS, replicate } from './fleets.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const PHASES = ['schema', 'check', 'resolve', 'emit', 'intent', 'verify', 'synth'];

if (process.argv[2] === '--one') {
  createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
  const name = process.argv[3];
  const n = Number(process.argv[4]);
  const { planValue, synthFiles } = await import('../dist/core.js');
  const { fleetSchema } = await import('../dist/spec/fleet.js');
  const { checkHeader } = await import('../dist/spec/parse.js');
  const { checkSpec } = await import('../dist/spec/check.js');
  const { resolveFleet } = await import('../dist/spec/resolve.js');
  const { emitFleet } = await import('../dist/emit/index.js');
  const { verifyFleet } = await import('../dist/verify/index.js');
  const { intentOf } = await import('../dist/verify/intent.js');
  const make = (count) => (FLEETS[name] === null ? fleet(count) : replicate(parse(readFileSync(new URL(`../examples/${FLEETS[name]}.yaml`, import.meta.url), 'utf8')), count));
  synthFiles(planValue(make(2)));
  const value = make(n);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const out = {};
  let last = cpu();
  const mark = (phase) => {
    const now = cpu();
    out[phase] = now - last;
    last = now;
  };
  if (checkHeader(value).length > 0) throw new Error(`bench fleet ${name}: header findings`);
  const parsed = fleetSchema.safeParse(value);
  if (!parsed.success) throw new Error(`bench fleet ${name}: schema findings`);
  mark('schema');
  checkSpec(parsed.data, value);
  mark('check');
  const { fleet: resolved } = resolveFleet(parsed.data);
  mark('resolve');
  const emitted = emitFleet(resolved);
  mark('emit');
  const intent = intentOf(resolved);
  mark('intent');
  const verification = verifyFleet(intent, emitted);
  mark('verify');
  // synthFiles needs a PlanResult: the one planValue returns, checked against the steps above.
  const plan = planValue(make(n));
  if (plan.proofs.length !== verification.proofs.length || plan.exitCode !== 0) throw new Error(`bench fleet ${name}: the phases made ${verification.proofs.length} proofs, planValue ${plan.proofs.length} (exit ${plan.exitCode}): bench/phases.js no longer follows planValue`);
  last = cpu();
  synthFiles({ ...plan, fleet: resolved, emitted, verification });
  mark('synth');
  console.log(JSON.stringify({ name, n, phases: out }));
  process.exit(0);
}

const n = Number(process.argv[2] ?? 1000);
const f = (x) => x.toFixed(0);
console.log(`CPU ms per phase at ${n} runners, garbage collection included; each fleet in a fresh process`);
console.log('');
console.log(`| fleet | ${PHASES.join(' | ')} | total |`);
console.log(`|---|${PHASES.map(() => '---:').join('|')}|---:|`);
for (const name of Object.keys(FLEETS)) {
  const r = spawnSync(process.execPath, [`${here}phases.js`, '--one', name, String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  const total = PHASES.reduce((s, p) => s + m.phases[p], 0);
  console.log(`| ${name} | ${PHASES.map((p) => f(m.phases[p])).join(' | ')} | ${f(total)} |`);
}
