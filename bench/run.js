// Benchmarks: plan (parse → check → resolve → emit → verify, with all-pairs trust proofs) and
// synth (serialize every file) for generated fleets of 10, 100 and 1,000 runners, each size in a
// fresh process so peak memory is its own; then CLI start-up against `node -e 0`.
// Writes the table to stdout; BENCHMARKS.md records a run with the machine described.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fleet } from './fleet.js';
import { FLEETS, replicate } from './fleets.js';

const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--one') {
  // The CLI's V8 tiering (bin/runner-fleet.cjs), before anything is compiled, so the figures are
  // what a user of the CLI gets; RUNNER_FLEET_DEFAULT_JIT=1 measures Node's defaults.
  const tiering = createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
  const name = process.argv[3];
  const n = Number(process.argv[4]);
  // GC pauses on the main thread, by phase (the collector's helper threads are not in them).
  const { PerformanceObserver } = await import('node:perf_hooks');
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ['gc'] });
  const { setImmediate: flushGc } = await import('node:timers/promises');
  const cpu = (c) => (c.user + c.system) / 1000;
  const cLoad = process.cpuUsage();
  const { planValue, synthFiles } = await import('../dist/core.js');
  const { parse } = await import('yaml');
  const { readFileSync } = await import('node:fs');
  const loadCpuMs = cpu(process.cpuUsage(cLoad));
  const make = (count) => (FLEETS[name] === null ? fleet(count) : replicate(parse(readFileSync(new URL(`../examples/${FLEETS[name]}.yaml`, import.meta.url), 'utf8')), count));
  // One warm-up on a small fleet so module loading and JIT warm-up are not counted.
  const cWarm = process.cpuUsage();
  synthFiles(planValue(make(2)));
  const warmupCpuMs = cpu(process.cpuUsage(cWarm));
  const cSpec = process.cpuUsage();
  const spec = make(n);
  const specCpuMs = cpu(process.cpuUsage(cSpec));
  await flushGc();
  gcMs = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = planValue(spec);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  await flushGc();
  const planGcMs = gcMs;
  if (plan.exitCode !== 0) throw new Error(`bench fleet ${name} has findings: ${JSON.stringify(plan.findings.filter((f) => f.severity === 'error').slice(0, 3))}`);
  const c1b = process.cpuUsage();
  const t1b = performance.now();
  const files = synthFiles(plan);
  const t2 = performance.now();
  const c2 = process.cpuUsage(c1b);
  await flushGc();
  const synthGcMs = gcMs - planGcMs;
  const bytes = files.reduce((sum, f) => sum + f.content.length, 0);
  // CPU of the whole process: node start-up, module load, spec generation, warm-up and the measured work.
  const processCpuMs = cpu(process.cpuUsage());
  console.log(JSON.stringify({ name, n, planMs: t1 - t0, synthMs: t2 - t1b, planCpuMs: cpu(c1), synthCpuMs: cpu(c2), totalCpuMs: cpu(c1) + cpu(c2), planGcMs, synthGcMs, loadCpuMs, warmupCpuMs, specCpuMs, processCpuMs, files: files.length, bytes, roles: plan.fleet.identities.length, maxRssMiB: process.resourceUsage().maxRSS / 1024, tiering }));
  process.exit(0);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(cmd, args, runs) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
console.log('');
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const sizes = [10, 100, 1000];
const one = (name, n, env = process.env) => {
  const r = spawnSync(process.execPath, [`${here}run.js`, '--one', name, String(n)], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const tuned = { ...process.env };
delete tuned.RUNNER_FLEET_DEFAULT_JIT;
const nodeDefaults = { ...process.env, RUNNER_FLEET_DEFAULT_JIT: '1' };
console.log(`Every size runs in a fresh process with the CLI's V8 tiering (${one('aks', 2, tuned).tiering}); at 1,000 runners a second process right after it runs with Node's default tiering (RUNNER_FLEET_DEFAULT_JIT=1), for comparison.`);
console.log('');
// CPU counts every thread of the process (V8's concurrent GC marking and sweeping, JIT compilation
// threads), so CPU can exceed wall time on an idle machine; GC is the main thread's pauses.
console.log("| fleet | runners | roles | plan + verify CPU (ms) | synth CPU (ms) | total CPU (ms) | wall (ms) | of which GC pauses (ms) | CPU growth vs 10x fewer runners | files | output (MB) | peak RSS (MiB) | outside the measure, CPU (ms): load / spec / warm-up / whole process | with Node's default tiering: total CPU / wall (ms) |");
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
for (const name of Object.keys(FLEETS)) {
  if (only.length > 0 && !only.some((o) => name.startsWith(o))) continue;
  let previous;
  for (const n of sizes) {
    const m = one(name, n, tuned);
    const d = n === 1000 ? one(name, n, nodeDefaults) : undefined;
    const growth = previous ? `${(m.totalCpuMs / previous.totalCpuMs).toFixed(1)}x` : '';
    const f = (x) => x.toFixed(0);
    console.log(`| ${name} | ${n} | ${m.roles} | ${f(m.planCpuMs)} | ${f(m.synthCpuMs)} | ${f(m.totalCpuMs)} | ${f(m.planMs + m.synthMs)} | ${f(m.planGcMs + m.synthGcMs)} | ${growth} | ${m.files} | ${(m.bytes / 1e6).toFixed(1)} | ${m.maxRssMiB.toFixed(0)} | ${f(m.loadCpuMs)} / ${f(m.specCpuMs)} / ${f(m.warmupCpuMs)} / ${f(m.processCpuMs)} | ${d ? `${f(d.totalCpuMs)} / ${f(d.planMs + d.synthMs)}` : ''} |`);
    previous = m;
  }
}
// Doctor over the synth output of a 150-runner fleet (bench/doctor.js), in a fresh process.
if (only.length === 0 || only.includes('doctor')) {
  const r = spawnSync(process.execPath, [`${here}doctor.js`, '150'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log('');
  console.log(`doctor over the synth output of a ${m.runners}-runner fleet (${m.files} files, ${m.documents} documents): ${m.doctorCpuMs} ms CPU, ${m.doctorMs} ms wall (target < 1,000 ms CPU); yardstick in the same process: plan + verify of that fleet ${m.planVerifyCpuMs} ms CPU, ${m.planVerifyMs} ms wall`);
}
// Doctor over many deployments given together, one folder each (bench/doctor-folders.js), one case per
// platform: EKS with one set of names in every folder, docker-autoscaler, Fargate, EC2 Docker and AKS
// with names per folder.
if (only.length === 0 || only.includes('doctor')) {
  const r = spawnSync(process.execPath, [`${here}doctor-folders.js`, '400'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  for (const line of r.stdout.trim().split('\n')) {
    const m = JSON.parse(line);
    console.log(`doctor over ${m.big.folders} ${m.platform} deployments in their own folders (${m.case}, ${m.namesPerFolder ? 'names per folder' : 'the same names in every folder'}; ${m.big.chains} chains, ${m.big.proofs} proofs): ${m.big.cpuMs} ms CPU; yardstick in the same process: ${m.small.folders} folders ${m.small.cpuMs} ms CPU; growth ${m.growth}x for 4x the folders (linear: 4x)`);
  }
}
// Doctor over one hand-written Terraform file of many blocks (bench/doctor-hcl.js).
if (only.length === 0 || only.includes('doctor')) {
  const r = spawnSync(process.execPath, [`${here}doctor-hcl.js`, '4000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`doctor over one .tf file of ${m.big.blocks} resource blocks (${m.big.lines} lines): ${m.big.cpuMs} ms CPU; yardstick in the same process: ${m.small.blocks} blocks ${m.small.cpuMs} ms CPU; growth ${m.growth}x for 4x the blocks (linear: 4x)`);
}
// Doctor over one Kubernetes YAML file of many documents (bench/doctor-yaml.js).
if (only.length === 0 || only.includes('doctor')) {
  const r = spawnSync(process.execPath, [`${here}doctor-yaml.js`, '16000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`doctor over one YAML file of ${m.big.documents} Kubernetes documents (${(m.big.bytes / 1024 / 1024).toFixed(1)} MB): ${m.big.cpuMs} ms CPU; yardstick in the same process: ${m.small.documents} documents ${m.small.cpuMs} ms CPU; growth ${m.growth}x for 4x the documents (linear: 4x)`);
}
// Doctor (the built CLI) over a chain of kustomizations, each listing the one before it (bench/doctor-kustomize.js).
if (only.length === 0 || only.includes('doctor')) {
  const r = spawnSync(process.execPath, [`${here}doctor-kustomize.js`, '2000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`doctor (CLI, start-up included) over a chain of ${m.big.kustomizations} kustomizations, each listing the one before it: ${m.big.cpuMs} ms CPU; yardstick: ${m.small.kustomizations} kustomizations ${m.small.cpuMs} ms CPU; growth ${m.growth}x for 2x the kustomizations (linear: 2x)`);
}
if (process.argv.includes('--no-startup')) process.exit(0);
const bin = fileURLToPath(new URL('../bin/runner-fleet.cjs', import.meta.url));
const example = fileURLToPath(new URL('../examples/eks-irsa.yaml', import.meta.url));
// Paired runs: each CLI run right after a `node -e 0`, so a busy machine slows both alike.
time(bin, ['plan', example], 2);
const ratios = [];
const bare = [];
const cli = [];
// 31 pairs: with 15 the median ratio of one tree moved between 2.36x and 2.53x from run to run.
const PAIRS = 31;
for (let i = 0; i < PAIRS; i++) {
  const b = time(process.execPath, ['-e', '0'], 1);
  const c = time(bin, ['plan', example], 1);
  bare.push(b);
  cli.push(c);
  ratios.push(c / b);
}
console.log('');
console.log(`CLI start-up (${PAIRS} paired runs, medians): node -e 0 ${median(bare).toFixed(0)} ms; runner-fleet plan examples/eks-irsa.yaml ${median(cli).toFixed(0)} ms; median ratio ${median(ratios).toFixed(2)}x (target <= 2.5x)`);
