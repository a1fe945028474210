// The output of every bench fleet as one sha256 per fleet: findings, proofs and every synth file's
// path and bytes. `node bench/fingerprint.js [n=60]` on two trees tells whether a performance change
// altered anything a user sees (it must not). Prints one line per fleet and a combined digest.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { planValue, synthFiles } from '../dist/core.js';
import { fleet } from './fleet.js';
import { FLEETS, replicate } from './fleets.js';

const n = Number(process.argv[2] ?? 60);
const all = createHash('sha256');
for (const [name, example] of Object.entries(FLEETS)) {
  const spec = example === null ? fleet(n) : replicate(parse(readFileSync(new URL(`../examples/${example}.yaml`, import.meta.url), 'utf8')), n);
  const plan = planValue(spec);
  const h = createHash('sha256');
  h.update(JSON.stringify({ exitCode: plan.exitCode, findings: plan.findings, proofs: plan.proofs }));
  for (const f of synthFiles(plan)) h.update(`\0${f.path}\0${f.content}`);
  const digest = h.digest('hex');
  all.update(digest);
  console.log(`${digest.slice(0, 16)}  ${name} (${n} runners)`);
}
console.log(`${all.digest('hex').slice(0, 16)}  all`);
