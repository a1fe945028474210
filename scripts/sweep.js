// The public-deployment sweep: `node scripts/sweep.js [--cli <bin>] [--jobs N] [--timeout S] <out-dir> <repo-dir>…`
// runs `node <bin> doctor . --format json` in each repository's folder (a child process per
// repository, at most --jobs at a time, default 2; a run longer than --timeout seconds, default 60,
// is killed and counted as a hang). <bin> defaults to this checkout's bin/runner-fleet.cjs; give
// another checkout's to sweep an older build. Per repository it writes <out-dir>/<name>.json (the
// doctor's JSON as printed) and a record in <out-dir>/sweep.json: exit code, stderr, wall and CPU
// time (the child's own, every thread), finding counts per code and severity. It prints one line per
// repository and a summary; exit 0 when every run ended with exit 0 or 1 and nothing on stderr,
// else 1; 2 for bad arguments. The corpus is listed in bench/sweep-corpus.tsv (README, "Sweeping
// the public deployments"); scripts/sweep-compare.js compares two out-dirs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

function usage(message) {
  console.error(`sweep: ${message}`);
  console.error('usage: node scripts/sweep.js [--cli <path to runner-fleet.cjs>] [--jobs N (1-16)] [--timeout SECONDS (1-3600)] <out-dir> <repo-dir>…');
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { cli: { type: 'string' }, jobs: { type: 'string' }, timeout: { type: 'string' } },
  });
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const { values, positionals } = parsed;
if (positionals.length < 2) usage('give an out-dir and at least one repository folder');

/** A whole number in [min, max] for an option, or the usage error naming option, value and range. */
function intOption(name, raw, min, max, dflt) {
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) usage(`--${name} is ${JSON.stringify(raw)}: give a whole number from ${min} to ${max}`);
  return Number(raw);
}
const jobs = intOption('jobs', values.jobs, 1, 16, 2);
const timeoutMs = intOption('timeout', values.timeout, 1, 3600, 60) * 1000;
const cli = resolve(values.cli ?? join(here, '..', 'bin', 'runner-fleet.cjs'));
if (!existsSync(cli)) usage(`--cli ${cli} does not exist: build first (npm run build) or name a checkout's bin/runner-fleet.cjs`);
const preload = pathToFileURL(join(here, 'sweep-cpu.js')).href;

const [outArg, ...repoArgs] = positionals;
const out = resolve(outArg);
const repos = repoArgs.map((r) => resolve(r));
const names = new Map();
for (const dir of repos) {
  let st;
  try {
    st = statSync(dir);
  } catch {
    usage(`${dir} does not exist: give the folders the corpus was checked out into`);
  }
  if (!st.isDirectory()) usage(`${dir} is not a folder: give repository folders`);
  const name = basename(dir);
  if (names.has(name)) usage(`${dir} and ${names.get(name)} have the same name ${name}: their results would overwrite each other`);
  names.set(name, dir);
}
try {
  mkdirSync(out, { recursive: true });
} catch (e) {
  usage(`cannot make the out-dir ${out}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Finding counts by "CODE severity", sorted by key. */
function countFindings(findings) {
  const counts = {};
  for (const f of findings) {
    const k = `${f.code} ${f.severity}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Runs the doctor in one repository folder; resolves to its record. */
function sweepOne(name, dir) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', preload, cli, 'doctor', '.', '--format', 'json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const stdout = [];
    const stderr = [];
    const cpu = [];
    child.stdout.on('data', (b) => stdout.push(b));
    child.stderr.on('data', (b) => stderr.push(b));
    child.stdio[3].on('data', (b) => cpu.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Math.round(performance.now() - t0);
      const text = Buffer.concat(stdout).toString('utf8');
      writeFileSync(join(out, `${name}.json`), text);
      let report;
      let parseError;
      try {
        report = JSON.parse(text);
      } catch (e) {
        parseError = e instanceof Error ? e.message : String(e);
      }
      const findings = Array.isArray(report?.findings) ? report.findings : [];
      const cpuText = Buffer.concat(cpu).toString('utf8');
      done({
        repo: name,
        dir,
        exit: code,
        signal,
        timedOut,
        stderr: Buffer.concat(stderr).toString('utf8'),
        wallMs,
        cpuMs: /^\d+$/.test(cpuText) ? Number(cpuText) : null,
        files: Array.isArray(report?.files) ? report.files.length : null,
        findings: findings.length,
        counts: countFindings(findings),
        ...(parseError ? { parseError } : {}),
      });
    });
  });
}

const records = [];
let next = 0;
async function worker() {
  while (next < repos.length) {
    const dir = repos[next++];
    const name = basename(dir);
    const r = await sweepOne(name, dir);
    records.push(r);
    const flags = [r.timedOut ? `KILLED after ${timeoutMs / 1000} s` : '', r.stderr ? 'STDERR' : '', r.parseError ? 'NOT JSON' : ''].filter(Boolean).join(' ');
    console.log(`${String(records.length).padStart(4)}/${repos.length} ${name}: exit ${r.exit ?? r.signal}, ${r.findings} findings, ${r.wallMs} ms wall, ${r.cpuMs ?? '?'} ms CPU${flags ? ` ${flags}` : ''}`);
  }
}
const started = new Date().toISOString();
await Promise.all(Array.from({ length: Math.min(jobs, repos.length) }, worker));
records.sort((a, b) => a.repo.localeCompare(b.repo));

const byExit = {};
for (const r of records) byExit[r.exit ?? r.signal] = (byExit[r.exit ?? r.signal] ?? 0) + 1;
const slowest = records.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
const busiest = records.reduce((a, b) => ((b.cpuMs ?? 0) > (a.cpuMs ?? 0) ? b : a));
const summary = {
  started,
  cli,
  node: process.version,
  repos: records.length,
  exit0: byExit[0] ?? 0,
  exit1: byExit[1] ?? 0,
  otherExit: records.filter((r) => r.exit !== 0 && r.exit !== 1).map((r) => `${r.repo} (${r.exit ?? r.signal})`),
  stderr: records.filter((r) => r.stderr).map((r) => r.repo),
  notJson: records.filter((r) => r.parseError).map((r) => r.repo),
  timedOut: records.filter((r) => r.timedOut).map((r) => r.repo),
  maxWall: { repo: slowest.repo, ms: slowest.wallMs },
  maxCpu: { repo: busiest.repo, ms: busiest.cpuMs },
  findings: records.reduce((n, r) => n + r.findings, 0),
};
writeFileSync(join(out, 'sweep.json'), `${JSON.stringify({ summary, records }, null, 1)}\n`);

const list = (a) => (a.length ? `${a.length}: ${a.join(', ')}` : '0');
console.log(`\n${summary.repos} repositories: ${summary.exit0} exit 0, ${summary.exit1} exit 1, other ${list(summary.otherExit)}`);
console.log(`stderr not empty: ${list(summary.stderr)}; not JSON: ${list(summary.notJson)}; killed at ${timeoutMs / 1000} s: ${list(summary.timedOut)}`);
console.log(`max wall ${summary.maxWall.ms} ms (${summary.maxWall.repo}); max CPU ${summary.maxCpu.ms ?? '?'} ms (${summary.maxCpu.repo}); ${summary.findings} findings; results in ${out}`);
process.exit(summary.otherExit.length || summary.stderr.length || summary.notJson.length ? 1 : 0);
