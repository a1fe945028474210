// Compares two sweeps: `node scripts/sweep-compare.js <dir-a> <dir-b>` reads each out-dir of
// scripts/sweep.js (sweep.json and <repo>.json) and prints, per repository that changed, the exit
// code change, stderr new in b, and the findings removed (-) and added (+): code, severity, place
// (file:line or path) and the first 160 characters of the message. A finding whose code, place and
// message stay but whose fix changed is one line (~) with the new fix. Then the totals. Exit 0 when
// nothing changed, 1 when something did, 2 for bad arguments.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function fail(message) {
  console.error(`sweep-compare: ${message}`);
  console.error('usage: node scripts/sweep-compare.js <dir-a> <dir-b>   (out-dirs of scripts/sweep.js)');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 2) fail(`give two out-dirs of scripts/sweep.js, not ${args.length} argument(s)`);
const [dirA, dirB] = args.map((d) => resolve(d));

/** The sweep's records by repository name. */
function readSweep(dir) {
  const file = join(dir, 'sweep.json');
  if (!existsSync(file)) fail(`${file} does not exist: give a folder scripts/sweep.js wrote`);
  let data;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file} is not JSON (${e instanceof Error ? e.message : String(e)}): was the sweep stopped before its end?`);
  }
  if (!Array.isArray(data?.records)) fail(`${file} has no records list: give a folder scripts/sweep.js wrote`);
  return { summary: data.summary ?? {}, records: new Map(data.records.map((r) => [r.repo, r])) };
}

/** The findings of one repository's doctor JSON ([] when it was not JSON). */
function findingsOf(dir, repo) {
  try {
    const report = JSON.parse(readFileSync(join(dir, `${repo}.json`), 'utf8'));
    return Array.isArray(report?.findings) ? report.findings : [];
  } catch {
    return [];
  }
}

const short = (s, n = 160) => {
  const t = String(s ?? '').replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n)}…` : t;
};
const idOf = (f) => `${f.code}\u0000${f.severity}\u0000${f.path}\u0000${f.message}`;
const line = (f) => `${f.code} ${f.severity} ${f.path || '(no file)'}: ${short(f.message)}`;

/** Multiset difference by whole finding (fix included): what is in a and not in b. */
function minus(a, b) {
  const left = new Map();
  for (const f of b) {
    const k = `${idOf(f)}\u0000${f.fix}`;
    left.set(k, (left.get(k) ?? 0) + 1);
  }
  const out = [];
  for (const f of a) {
    const k = `${idOf(f)}\u0000${f.fix}`;
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else out.push(f);
  }
  return out;
}

const a = readSweep(dirA);
const b = readSweep(dirB);
const names = [...new Set([...a.records.keys(), ...b.records.keys()])].sort((x, y) => x.localeCompare(y));
const totals = { repos: names.length, changed: 0, added: 0, removed: 0, fixChanged: 0, exitChanged: 0, newStderr: 0, onlyA: 0, onlyB: 0 };
const byCode = new Map();
const tally = (code, k) => {
  const c = byCode.get(code) ?? { added: 0, removed: 0, fix: 0 };
  c[k]++;
  byCode.set(code, c);
};

for (const name of names) {
  const ra = a.records.get(name);
  const rb = b.records.get(name);
  if (!ra || !rb) {
    console.log(`${name}: only in ${ra ? dirA : dirB}`);
    totals[ra ? 'onlyA' : 'onlyB']++;
    totals.changed++;
    continue;
  }
  const fa = findingsOf(dirA, name);
  const fb = findingsOf(dirB, name);
  const removed = minus(fa, fb);
  const added = minus(fb, fa);
  // A removed and an added finding with the same code, severity, place and message: only the fix changed.
  const fixChanged = [];
  for (const r of [...removed]) {
    const i = added.findIndex((x) => idOf(x) === idOf(r));
    if (i >= 0) {
      fixChanged.push(added[i]);
      added.splice(i, 1);
      removed.splice(removed.indexOf(r), 1);
    }
  }
  const out = [];
  if (ra.exit !== rb.exit) {
    out.push(`  exit ${ra.exit ?? ra.signal} -> ${rb.exit ?? rb.signal}`);
    totals.exitChanged++;
  }
  if (rb.stderr && rb.stderr !== ra.stderr) {
    out.push(`  new stderr: ${short(rb.stderr, 400)}`);
    totals.newStderr++;
  }
  if (rb.timedOut && !ra.timedOut) out.push('  killed at the time limit (was not)');
  for (const f of removed) {
    out.push(`  - ${line(f)}`);
    tally(f.code, 'removed');
  }
  for (const f of added) {
    out.push(`  + ${line(f)}`);
    tally(f.code, 'added');
  }
  for (const f of fixChanged) {
    out.push(`  ~ ${f.code} ${f.severity} ${f.path || '(no file)'}: fix now: ${short(f.fix)}`);
    tally(f.code, 'fix');
  }
  if (out.length) {
    totals.changed++;
    totals.added += added.length;
    totals.removed += removed.length;
    totals.fixChanged += fixChanged.length;
    console.log(`${name}: ${fa.length} -> ${fb.length} findings`);
    for (const l of out) console.log(l);
  }
}

const codes = [...byCode.entries()]
  .sort(([x], [y]) => x.localeCompare(y))
  .map(([code, c]) => `${code} +${c.added} -${c.removed}${c.fix ? ` ~${c.fix}` : ''}`);
const sum = (s) => `${s.repos ?? '?'} repos, ${s.exit0 ?? '?'} exit 0, ${s.exit1 ?? '?'} exit 1, max wall ${s.maxWall?.ms ?? '?'} ms (${s.maxWall?.repo ?? '?'}), max CPU ${s.maxCpu?.ms ?? '?'} ms (${s.maxCpu?.repo ?? '?'})`;
console.log(`\na: ${dirA}: ${sum(a.summary)}`);
console.log(`b: ${dirB}: ${sum(b.summary)}`);
console.log(`${totals.repos} repositories, ${totals.changed} changed (${totals.onlyA} only in a, ${totals.onlyB} only in b): ${totals.added} findings added, ${totals.removed} removed, ${totals.fixChanged} with only the fix changed; exit code changed in ${totals.exitChanged}; new stderr in ${totals.newStderr}`);
if (codes.length) console.log(`by code: ${codes.join(', ')}`);
process.exit(totals.changed ? 1 : 0);
