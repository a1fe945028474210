// Benchmark: `runner-fleet doctor` over the synth output of a 150-runner fleet (bench/fleet.js,
// the fleet bench/run.js measures), in memory. Yardstick: plan + verify of the same fleet in the same
// process. Prints one JSON line; BENCHMARKS.md records a run with the machine described.
import { cpus } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { TextDecoder, TextEncoder } from 'node:util';
import { createRequire } from 'node:module';
import { fleet } from './fleet.js';

// The CLI's V8 tiering, as `runner-fleet doctor` runs (bin/runner-fleet.cjs).
createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();

const { planValue, synthFiles } = await import('../dist/core.js');
const { doctor } = await import('../dist/doctor/index.js');

const enc = new TextEncoder();
const inputs = (plan) => synthFiles(plan).map((f) => ({ path: f.path, bytes: enc.encode(f.content) }));
// Warm-up on a small fleet so module loading and JIT warm-up are not counted.
doctor(inputs(planValue(fleet(4))));

const n = Number(process.argv[2] ?? 150);
const p0 = process.cpuUsage();
const t0 = performance.now();
const plan = planValue(fleet(n));
const t1 = performance.now();
const planCpu = process.cpuUsage(p0);
const files = inputs(plan);
const documents = files.reduce((s, f) => {
  const p = f.path;
  if (/\.(ya?ml)$/.test(p)) return s + parseAllDocuments(new TextDecoder().decode(f.bytes)).length;
  if (/\.tf\.json$/.test(p)) return s + Object.values(JSON.parse(new TextDecoder().decode(f.bytes)).resource ?? {}).reduce((a, byName) => a + Object.keys(byName).length, 0);
  return s + 1;
}, 0);
const c0 = process.cpuUsage();
const t2 = performance.now();
const result = doctor(files);
const t3 = performance.now();
const cpu = process.cpuUsage(c0);
const same = result.proofs.length === plan.proofs.length && result.findings.every((f) => f.severity !== 'error');
console.log(JSON.stringify({ machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`, runners: n, files: files.length, documents, bytes: files.reduce((s, f) => s + f.bytes.length, 0), doctorMs: Math.round(t3 - t2), doctorCpuMs: Math.round((cpu.user + cpu.system) / 1000), planVerifyMs: Math.round(t1 - t0), planVerifyCpuMs: Math.round((planCpu.user + planCpu.system) / 1000), proofs: result.proofs.length, planProofs: plan.proofs.length, sameProofsNoErrors: same }));
if (!same) process.exit(1);
