// Benchmark: `runner-fleet doctor` over many deployments given together, each in its own folder and
// all repeating one set of names (namespace gitlab-runner, service account gitlab-runner, the same
// Terraform addresses): a platform team's repository of clusters. The doctor corpus case
// irsa-guide-sound (values, manifests and the Terraform of the roles) is copied into N folders, in
// memory. Yardstick: the same doctor over a quarter as many folders, in the same process; linear is 4x.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
const { doctor } = await import('../dist/doctor/index.js');

const CASE = fileURLToPath(new URL('../test/doctor/corpus/irsa-guide-sound', import.meta.url));
const filesOf = (dir) => readdirSync(dir).sort().flatMap((name) => {
  const p = join(dir, name);
  if (statSync(p).isDirectory()) return filesOf(p);
  return name === 'expected.json' ? [] : [{ path: relative(CASE, p), bytes: readFileSync(p) }];
});
const one = filesOf(CASE);
const folders = (n) => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `cluster-${i + 1}/${f.path}`, bytes: f.bytes }))).flat();

const measure = (n) => {
  const files = folders(n);
  const c0 = process.cpuUsage();
  const r = doctor(files);
  const c = process.cpuUsage(c0);
  if (r.chains.size !== n || r.findings.some((f) => f.severity === 'error')) throw new Error(`${n} folders: ${r.chains.size} chains, ${r.findings.filter((f) => f.severity === 'error').length} errors`);
  return { folders: n, chains: r.chains.size, proofs: r.proofs.length, cpuMs: Math.round((c.user + c.system) / 1000) };
};
measure(4);
const n = Number(process.argv[2] ?? 400);
const small = measure(n / 4);
const big = measure(n);
console.log(JSON.stringify({ small, big, growth: Number((big.cpuMs / small.cpuMs).toFixed(1)) }));
