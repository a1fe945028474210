// The long run of the mutation fuzzer: `npm run fuzz -- --seed N --cases N [--fast] [--stall-seconds S]`,
// over the example specs (plan and synth), or with `--doctor` over the doctor corpus (doctor), or with
// `--doctor --folders` over the corpus written to disk with hostile folders beside it (links out, loops,
// deep nesting, pipes, paths named twice, unreadable files: test/fuzz/doctor-folders.ts).
// Bundles test/fuzz/engine.ts with esbuild (Node 20 cannot run TypeScript) and runs it in a worker
// thread. A case that uses more than 10 s of CPU is a hang (counted by the engine). A case that never
// returns at all would stall an in-process run, so this script also watches the wall clock: when one
// case has run for --stall-seconds (default 120) it stops the worker, counts that case as a hang,
// and starts a new worker at the next case. Prints the counts per class; exit 1 when any class is
// not empty.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HANG_MS = 10_000;

if (!isMainThread) {
  // Worker: run cases from workerData.first, report each case as it starts, then the report.
  const { engineUrl, seed, cases, first, slow, examplesDir, doctor, folders, corpusDirs } = workerData;
  const onCase = (n, caseSeed) => parentPort.postMessage({ type: 'case', n, caseSeed });
  const engine = await import(engineUrl);
  const report = folders
    ? await engine.fuzzDoctorFolders({ seed, cases, first, corpusDirs, hangMs: HANG_MS, onCase })
    : doctor
    ? engine.fuzzDoctor({ seed, cases, first, corpusDirs, hangMs: HANG_MS, onCase })
    : await engine.fuzz({ seed, cases, first, slow, examplesDir, hangMs: HANG_MS, synthEvery: 10, onCase });
  parentPort.postMessage({ type: 'done', report });
} else {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, cases: { type: 'string', default: '10000' }, fast: { type: 'boolean', default: false }, doctor: { type: 'boolean', default: false }, folders: { type: 'boolean', default: false }, 'stall-seconds': { type: 'string', default: '120' } } });
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outdir = `${root}node_modules/.cache/runner-fleet-fuzz`;
  mkdirSync(outdir, { recursive: true });
  const doctor = values.doctor || values.folders;
  const folders = values.folders;
  const engineName = folders ? 'doctor-folders' : doctor ? 'doctor-engine' : 'engine';
  await build({ entryPoints: [`${root}test/fuzz/${engineName}.ts`], outfile: `${outdir}/${engineName}.mjs`, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const engineUrl = pathToFileURL(`${outdir}/${engineName}.mjs`).href;
  const engine = await import(engineUrl);
  const CLASSES = folders ? engine.FOLDER_CLASSES : doctor ? engine.DOCTOR_CLASSES : engine.CLASSES;
  const caseSeedOf = doctor ? engine.doctorCaseSeedOf : engine.caseSeedOf;
  const corpusDirs = [`${root}test/doctor/corpus`, `${root}test/doctor/azure`, `${root}test/golden`];
  const seed = Number(values.seed);
  const cases = Number(values.cases);
  const stallMs = Number(values['stall-seconds']) * 1000;

  const total = { cases: 0, exits: {}, skipped: {}, counts: Object.fromEntries(CLASSES.map((c) => [c, 0])), samples: [], ms: 0, slowest: { cpuMs: 0, wallMs: 0, caseSeed: 0, mutations: [] } };
  const add = (report) => {
    total.cases += report.cases;
    total.ms += report.ms;
    for (const [k, v] of Object.entries(report.exits)) total.exits[k] = (total.exits[k] ?? 0) + v;
    for (const [k, v] of Object.entries(report.skipped ?? {})) total.skipped[k] = (total.skipped[k] ?? 0) + v;
    for (const c of CLASSES) total.counts[c] += report.counts[c];
    for (const s of report.samples) if (total.samples.filter((t) => t.cls === s.cls).length < 5) total.samples.push(s);
    if (report.slowest.cpuMs > total.slowest.cpuMs) total.slowest = report.slowest;
  };
  const started = performance.now();
  let first = 0;
  while (first < cases) {
    first = await new Promise((resolve, reject) => {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { engineUrl, seed, cases, first, slow: !values.fast, examplesDir: `${root}examples`, doctor, folders, corpusDirs } });
      let current = { n: first, caseSeed: caseSeedOf(seed, first), at: performance.now() };
      const watchdog = setInterval(() => {
        if (performance.now() - current.at < stallMs) return;
        clearInterval(watchdog);
        void worker.terminate();
        // The case never returned: count it, and go on with the next one in a new worker.
        total.cases += current.n - first + 1;
        total.counts.hang++;
        if (total.samples.filter((t) => t.cls === 'hang').length < 5) total.samples.push({ cls: 'hang', caseSeed: current.caseSeed, mutations: [], detail: `did not return within ${stallMs / 1000} s (wall-clock); stopped` });
        resolve(current.n + 1);
      }, 1000);
      worker.on('message', (m) => {
        if (m.type === 'case') current = { n: m.n, caseSeed: m.caseSeed, at: performance.now() };
        else {
          clearInterval(watchdog);
          add(m.report);
          resolve(cases);
        }
      });
      worker.on('error', (e) => {
        clearInterval(watchdog);
        reject(e);
      });
    });
  }
  const wall = (performance.now() - started) / 1000;
  console.log(`fuzz${folders ? ' (doctor, hostile folders)' : doctor ? ' (doctor)' : ''}: seed ${seed}, ${total.cases} cases in ${wall.toFixed(1)} s; exit codes ${JSON.stringify(total.exits)}`);
  console.log(`  slowest case: ${total.slowest.cpuMs.toFixed(0)} ms CPU, ${total.slowest.wallMs.toFixed(0)} ms wall-clock (case seed ${total.slowest.caseSeed}: ${total.slowest.mutations.join(' + ')})`);
  for (const c of CLASSES) console.log(`  ${c.padEnd(22)} ${total.counts[c]}`);
  for (const [reason, n] of Object.entries(total.skipped)) console.log(`  SKIPPED ${n}: ${reason}`);
  for (const s of total.samples) console.log(`\n[${s.cls}] case seed ${s.caseSeed}: ${s.mutations.join(' + ')}\n  ${s.detail.split('\n').slice(0, 6).join('\n  ')}`);
  process.exitCode = CLASSES.some((c) => total.counts[c] > 0) ? 1 : 0;
}
