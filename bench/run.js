// Benchmarks: plan (parse → check → resolve → emit → verify, with all-pairs trust proofs) and
// synth (serialize every file) for generated fleets of 10, 100 and 1,000 runners, each size in a
// fresh process so peak memory is its own; then CLI start-up against `node -e 0`.
// Writes the table to stdout; BENCHMARKS.md records a run with the machine described.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--one') {
  const n = Number(process.argv[3]);
  const { planValue, synthFiles } = await import('../dist/core.js');
  const spec = fleet(n);
  // One warm-up on a small fleet so module loading and JIT warm-up are not counted.
  synthFiles(planValue(fleet(2)));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = planValue(spec);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const files = synthFiles(plan);
  const t2 = performance.now();
  const c2 = process.cpuUsage(c0);
  if (plan.exitCode !== 0) throw new Error(`bench fleet has findings: ${JSON.stringify(plan.findings.slice(0, 3))}`);
  const bytes = files.reduce((s, f) => s + f.content.length, 0);
  const subjects = plan.proofs.find((p) => p.claim.includes('service accounts tried'))?.claim.match(/\((\d+) service accounts tried\)/)?.[1];
  console.log(JSON.stringify({ n, planMs: t1 - t0, synthMs: t2 - t1, planCpuMs: (c1.user + c1.system) / 1000, totalCpuMs: (c2.user + c2.system) / 1000, files: files.length, bytes, proofs: plan.proofs.length, subjects: Number(subjects), roles: plan.fleet.identities.length, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

function fleet(n) {
  const runners = [];
  for (let i = 0; i < n; i++) {
    runners.push({
      name: `r${i}`,
      placement: { cluster: i % 2 === 0 ? 'irsa' : 'podid', namespace: `ns-${i % 50}` },
      gitlab: { group: `acme/team-${i % 20}`, tags: [`t${i}`], protectedOnly: i % 10 === 0 },
      cache: { name: 'shared' },
      jobs: { permissions: { aws: [{ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }, { actions: ['s3:GetObject'], resources: [`arn:aws:s3:::inputs-${i}/*`] }] } },
    });
  }
  return {
    apiVersion: 'runner-fleet/v1alpha1',
    kind: 'Fleet',
    metadata: { name: 'bench' },
    gitlab: { url: 'https://gitlab.com' },
    aws: { accountId: '123456789012', region: 'eu-central-1' },
    clusters: [
      { name: 'irsa', type: 'eks', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF' },
      { name: 'podid', type: 'eks', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/FEDCBA9876543210FEDCBA9876543210', identity: 'pod-identity' },
    ],
    caches: [{ name: 'shared', type: 's3', bucket: 'bench-runner-cache' }],
    runners,
  };
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
console.log('| runners | roles | subjects tried per role | plan + verify (ms) | synth (ms) | total (ms) | total CPU (ms) | files | output (MB) | peak RSS (MiB) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of [10, 100, 1000]) {
  const r = spawnSync(process.execPath, [`${here}run.js`, '--one', String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`| ${n} | ${m.roles} | ${m.subjects} | ${m.planMs.toFixed(0)} | ${m.synthMs.toFixed(0)} | ${(m.planMs + m.synthMs).toFixed(0)} | ${m.totalCpuMs.toFixed(0)} | ${m.files} | ${(m.bytes / 1e6).toFixed(1)} | ${m.maxRssMiB.toFixed(0)} |`);
}
const bin = fileURLToPath(new URL('../bin/runner-fleet', import.meta.url));
const example = fileURLToPath(new URL('../examples/eks-irsa.yaml', import.meta.url));
time(bin, ['plan', example], 2);
const bare = time(process.execPath, ['-e', '0'], 15);
const cli = time(bin, ['plan', example], 15);
console.log('');
console.log(`CLI start-up (median of 15): node -e 0 ${bare.toFixed(0)} ms; runner-fleet plan examples/eks-irsa.yaml ${cli.toFixed(0)} ms = ${(cli / bare).toFixed(2)}x (target < 2.5x)`);
