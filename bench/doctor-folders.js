// Benchmark: `runner-fleet doctor` over many deployments given together, each in its own folder: a
// platform team's repository of clusters or accounts. Each case is a doctor corpus deployment copied
// into N folders, in memory: the EKS one (irsa-guide-sound: values, manifests, the roles' Terraform)
// keeps its names in every folder (namespace gitlab-runner, service account gitlab-runner, the same
// Terraform addresses); the VM ones (docker-autoscaler, Fargate) name their resources per folder
// (`gitlab-` becomes `gitlab-<n>-`), as one module applied per environment does. Yardstick: the same
// doctor over a quarter as many folders, in the same process; linear is 4x.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';

createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
const { doctor } = await import('../dist/doctor/index.js');

const CASES = [
  { name: 'irsa-guide-sound', platform: 'eks', perFolder: undefined },
  { name: 'ec2-autoscaler-hand-written', platform: 'ec2-autoscaler', perFolder: /gitlab-/g },
  { name: 'ecs-fargate-hand-written', platform: 'ecs-fargate', perFolder: /gitlab-/g },
];
// The bench reads plain corpus cases only (no base.json: test/doctor/corpus/README.md); a case made
// base + patch would need the TypeScript loader of test/helpers/corpus-case.ts.
const corpus = (name) => {
  const dir = fileURLToPath(new URL(`../test/doctor/corpus/${name}`, import.meta.url));
  if (existsSync(join(dir, 'base.json'))) throw new Error(`bench/doctor-folders.js: corpus case ${name} names a base (base.json); give the bench a plain case`);
  return dir;
};
const filesOf = (root, dir = root) => readdirSync(dir).sort().flatMap((name) => {
  const p = join(dir, name);
  if (statSync(p).isDirectory()) return filesOf(root, p);
  return name === 'expected.json' ? [] : [{ path: relative(root, p), text: readFileSync(p, 'utf8') }];
});
const enc = new TextEncoder();
const folders = (c, one, n) => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(c.perFolder ? f.text.replace(c.perFolder, (m) => `${m}${i + 1}-`) : f.text) }))).flat();

const n = Number(process.argv[2] ?? 400);
for (const c of CASES) {
  const one = filesOf(corpus(c.name));
  const alone = doctor(folders(c, one, 1));
  const measure = (k) => {
    const files = folders(c, one, k);
    const c0 = process.cpuUsage();
    const r = doctor(files);
    const cpu = process.cpuUsage(c0);
    // Each folder is a runner chain with its proofs, as alone (what they find may differ: the hand-written
    // Fargate case grants its manager other runners' parameters, which now exist).
    if (r.chains.size !== k || r.proofs.length !== k * alone.proofs.length) throw new Error(`${c.name}, ${k} folders: ${r.chains.size} chains, ${r.proofs.length} proofs; alone ${alone.chains.size}, ${alone.proofs.length}`);
    return { folders: k, chains: r.chains.size, proofs: r.proofs.length, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  };
  measure(4);
  const small = measure(n / 4);
  const big = measure(n);
  console.log(JSON.stringify({ case: c.name, platform: c.platform, namesPerFolder: c.perFolder !== undefined, small, big, growth: Number((big.cpuMs / small.cpuMs).toFixed(1)) }));
}
