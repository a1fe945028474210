// Benchmark: `runner-fleet doctor` over one hand-written Terraform file of many blocks (HCL read and
// evaluated: a local referenced by every block, a jsonencode'd trust policy each), at N and 4N role
// blocks in the same process: linear is 4x. A guard against work that grows with the square of a
// file's blocks (test/doctor-hcl.test.ts checks the reading itself, without a clock).
import { createRequire } from 'node:module';
import { TextEncoder } from 'node:util';

createRequire(import.meta.url)('../bin/runner-fleet.cjs').tune();
const { doctor } = await import('../dist/doctor/index.js');

const block = (i) => `resource "aws_iam_role" "r${i}" {\n  name = "role-\${local.p}-${i}"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n`;
const file = (n) => [{ path: 'big.tf', bytes: new TextEncoder().encode(`locals {\n  p = "x"\n}\n${Array.from({ length: n }, (_, i) => block(i)).join('')}`) }];
const measure = (n) => {
  const files = file(n);
  const c0 = process.cpuUsage();
  const r = doctor(files);
  const cpu = process.cpuUsage(c0);
  if (r.findings.some((f) => f.severity === 'error')) throw new Error(`doctor-hcl: ${n} blocks gave errors: ${r.findings.filter((f) => f.severity === 'error').map((f) => f.code).join(', ')}`);
  return { blocks: n, lines: n * 4 + 3, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
};
const n = Number(process.argv[2] ?? 1000);
measure(50);
const small = measure(n / 4);
const big = measure(n);
console.log(JSON.stringify({ small, big, growth: Number((big.cpuMs / small.cpuMs).toFixed(1)) }));
