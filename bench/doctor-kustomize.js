// Benchmark: `runner-fleet doctor` (the built CLI, bin/runner-fleet.cjs, in a child process) over a
// chain of kustomizations in their own folders: k0 holds the runner manager's ServiceAccount and
// Deployment and sets `namespace: ci`; each k<i> lists `../k<i-1>` as its one resource, so every
// object is built through the whole chain. At N/2 and N kustomizations, each in a fresh process:
// linear is 2x. CPU is the child's user + system time (start-up included), read by the child itself
// when it exits. `node bench/doctor-kustomize.js [n=2000]`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/runner-fleet.cjs', import.meta.url));
const MANAGER = [
  'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gitlab-runner\nspec:\n  selector:\n    matchLabels:\n      app: gitlab-runner\n  template:\n    metadata:\n      labels:\n        app: gitlab-runner\n    spec:\n      serviceAccountName: gitlab-runner\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: gitlab-runner\n          image: gitlab/gitlab-runner:v17.0.0\n          securityContext:\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [ALL]\n',
].join('---\n');

/** Writes a chain of n kustomizations under a new temp folder and returns the folder. */
export function writeChain(n) {
  const dir = mkdtempSync(join(tmpdir(), 'rf-kchain-'));
  mkdirSync(join(dir, 'k0'));
  writeFileSync(join(dir, 'k0', 'manager.yaml'), MANAGER);
  writeFileSync(join(dir, 'k0', 'kustomization.yaml'), 'namespace: ci\nresources:\n  - manager.yaml\n');
  for (let i = 1; i < n; i++) {
    mkdirSync(join(dir, `k${i}`));
    writeFileSync(join(dir, `k${i}`, 'kustomization.yaml'), `resources:\n  - ../k${i - 1}\n`);
  }
  return dir;
}

// The child is `node bin/runner-fleet.cjs doctor <dir> --format json` with a preload that writes the
// child's own CPU time to fd 3 as it exits (the doctor exits 1 when it has findings).
const PRELOAD = "process.on('exit', () => { const c = process.cpuUsage(); require('node:fs').writeSync(3, String(Math.round((c.user + c.system) / 1000))); });\n";

let preload;
const measure = (n) => {
  const dir = writeChain(n);
  try {
    const r = spawnSync(process.execPath, ['--require', preload, bin, 'doctor', dir, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`doctor-kustomize: ${n} kustomizations exited ${r.status}: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    const errors = report.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) throw new Error(`doctor-kustomize: ${n} kustomizations gave errors: ${errors.map((f) => f.code).join(', ')}`);
    return { kustomizations: n, cpuMs: Number(r.output[3]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pre = mkdtempSync(join(tmpdir(), 'rf-kchain-cpu-'));
  preload = join(pre, 'cpu.cjs');
  writeFileSync(preload, PRELOAD);
  const n = Number(process.argv[2] ?? 2000);
  const small = measure(Math.round(n / 2));
  const big = measure(n);
  rmSync(pre, { recursive: true, force: true });
  console.log(JSON.stringify({ small, big, growth: Number((big.cpuMs / small.cpuMs).toFixed(1)) }));
}
