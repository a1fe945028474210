// Benchmark: `runner-fleet doctor` over one Kubernetes YAML file of many documents (`kubectl get -o
// yaml` of a big namespace, a Helm template rendered whole: ConfigMaps, ServiceAccounts, RoleBindings),
// at N/4 and N documents in the same process: linear is 4x. The sibling of bench/doctor-hcl.js for
// YAML; it keeps the per-document cost in view. A warm-up of N/16 documents comes first: at a few
// hundred documents the first run is mostly V8 compiling, and the growth it shows is noise.
// `node bench/doctor-yaml.js [n=16000]`.
import { createRequire } from 'node:module';
import { TextEncoder } from 'node:util';

createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
const { doctor } = await import('../dist/doctor/index.js');

const doc = (i) =>
  i % 3 === 0
    ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ci\ndata:\n  key: "value-${i}"\n`
    : i % 3 === 1
      ? `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-${i}\n  namespace: ci\n`
      : `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-${i}\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: reader\nsubjects:\n  - kind: ServiceAccount\n    name: sa-${i - 1}\n    namespace: ci\n`;
const ROLE = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: ci\nrules:\n  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get]\n';
const file = (n) => [{ path: 'all.yaml', bytes: new TextEncoder().encode([ROLE, ...Array.from({ length: n }, (_, i) => doc(i))].join('---\n')) }];
const measure = (n) => {
  const files = file(n);
  const c0 = process.cpuUsage();
  const r = doctor(files);
  const cpu = process.cpuUsage(c0);
  if (r.findings.some((f) => f.severity === 'error')) throw new Error(`doctor-yaml: ${n} documents gave errors: ${r.findings.filter((f) => f.severity === 'error').map((f) => f.code).join(', ')}`);
  return { documents: n, bytes: files[0].bytes.byteLength, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
};
const n = Number(process.argv[2] ?? 16000);
measure(Math.max(50, Math.round(n / 16)));
const small = measure(n / 4);
const big = measure(n);
console.log(JSON.stringify({ small, big, growth: Number((big.cpuMs / small.cpuMs).toFixed(1)) }));
