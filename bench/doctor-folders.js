// Benchmark: `runner-fleet doctor` over many deployments given together, each in its own folder: a
// platform team's repository of clusters or accounts. Each case is a doctor corpus deployment copied
// into N folders, in memory, one per platform: the EKS one (irsa-guide-sound: values, manifests, the
// roles' Terraform) keeps its names in every folder (namespace gitlab-runner, service account
// gitlab-runner, the same Terraform addresses); the others (docker-autoscaler, Fargate, EC2 Docker,
// AKS) name their resources per folder (`gitlab-` becomes `gitlab-<n>-`), as one module applied per
// environment does; the AKS one (aks-az-cli, what the Azure CLI printed) also gets its own ids per
// folder (each GUID ends in the folder's number), as each environment's identity, tenant and cluster
// have. Yardstick: the same doctor over a quarter as many folders, in the same process; linear is 4x.
// `node bench/doctor-folders.js <n> [platform...]`: n folders (and n/4), every case or the platforms named
// (`eks-deployment`: the EKS manager written as a Deployment and a ConfigMap).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';

createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
const { doctor } = await import('../dist/doctor/index.js');

// Folder n's names: `gitlab-` becomes `gitlab-<n>-`; where the case names its resources `ci`, `ci-…`
// or `/ci/…` (role, parameter path, cluster, resource group; not a Terraform address), `ci` becomes
// `ci-<n>`; each GUID ends in n.
const names = (text, n) => text.replace(/gitlab-/g, (m) => `${m}${n}-`);
const ciNames = (text, n) => names(text, n).replace(/(?<![\w.-])ci(?=[-/]|"(?!\s*:))/g, `ci-${n}`);
const ids = (text, n) => text.replace(/\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}\b/g, (_, head) => `${head}${String(n).padStart(12, '0')}`);
const CASES = [
  { name: 'irsa-guide-sound', platform: 'eks', perFolder: undefined },
  { name: 'ec2-autoscaler-hand-written', platform: 'ec2-autoscaler', perFolder: names },
  { name: 'ecs-fargate-hand-written', platform: 'ecs-fargate', perFolder: names },
  { name: 'ec2-docker-hand-written', platform: 'ec2-docker', perFolder: ciNames },
  { name: 'aks-az-cli', platform: 'aks', perFolder: (text, n) => ids(ciNames(text, n), n) },
  // A manager written without the chart: a Deployment running gitlab-runner whose config.toml is a
  // ConfigMap's key, the roles' Terraform beside it (the case's prod folder alone). It keeps its names
  // in every folder (namespace, Deployment, ConfigMap, service accounts, Terraform addresses), as the
  // case's two clusters do: each folder's objects are then told apart only by their folder, the work
  // that grew with the square where a manager is a Deployment (stop 51).
  { name: 'two-clusters-same-names-manifests', under: 'prod', platform: 'eks-deployment', perFolder: undefined },
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
const folders = (c, one, n) => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(c.perFolder ? c.perFolder(f.text, i + 1) : f.text) }))).flat();

const n = Number(process.argv[2] ?? 400);
const only = process.argv.slice(3);
for (const c of CASES.filter((c) => only.length === 0 || only.includes(c.platform))) {
  const one = filesOf(c.under ? join(corpus(c.name), c.under) : corpus(c.name));
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
