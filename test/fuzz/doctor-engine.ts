/**
 * A seeded mutation fuzzer for the doctor's front door: the deployments of the doctor corpus
 * (test/doctor/corpus, test/doctor/azure: Terraform HCL and JSON, Helm values, Kubernetes YAML,
 * config.toml, IAM JSON, eksctl configs; test/golden: what `synth` writes for every example),
 * damaged at the text level: truncation, deleted and duplicated lines and spans, junk tokens
 * (brackets, quotes, interpolations, `null`, names of Object.prototype, bidi and NUL characters,
 * long strings), re-indented lines, values replaced by wildcards or other types, and lists holding
 * nulls; and at the file level: a file left out, or a file of another deployment given too (a
 * folder holding two deployments, as `doctor .` in a repository does).
 *
 * Each case runs `doctor()` in-process and is sorted into classes that must stay empty:
 * - crash: an exception escaped (the CLI would exit 70);
 * - hang: one case used more than `hangMs` of CPU time;
 * - bad-position: a finding's path is neither empty nor `file:line:column` inside a given file;
 * - warning: the case made Node print a process warning (a library complaining on stderr);
 * - pollution: the case left a new property on a built-in prototype (Object, Array, Function,
 *   String), which changes every later run in the process. The property is removed again, so the
 *   case that polluted is the one reported, not every case after it.
 */
import { join } from 'node:path';
import { doctor, type InputFile } from '../../src/doctor/index.js';
import { seeded } from '../helpers/rng.js';
import { caseNames } from '../helpers/corpus-case.js';
import { corpusFiles } from '../helpers/doctor.js';
import { caseClock, crashDetail, hangDetail, type FuzzReport } from './engine.js';

export const DOCTOR_CLASSES = ['crash', 'hang', 'bad-position', 'warning', 'pollution'] as const;
export type DoctorFuzzClass = (typeof DOCTOR_CLASSES)[number];

export interface DoctorFuzzOptions {
  seed: number;
  cases: number;
  /** Folders of deployments, each folder one deployment (its `expected.json` is skipped). */
  corpusDirs: string[];
  hangMs?: number;
  first?: number;
  onCase?: (n: number, caseSeed: number) => void;
  /** Called for every failure (the report keeps only the first five of a class). */
  onFail?: (cls: DoctorFuzzClass, caseSeed: number, mutations: string[], detail: string, files: readonly InputFile[]) => void;
}

/** The spec fuzzer's report (test/fuzz/engine.ts), with the doctor's classes. */
export type DoctorFuzzReport = Omit<FuzzReport, 'counts' | 'samples'> & {
  counts: Record<DoctorFuzzClass, number>;
  samples: { cls: DoctorFuzzClass; caseSeed: number; mutations: string[]; detail: string }[];
};

/** The seed of case `n` (the same formula as the spec fuzzer, so a case replays alone). */
export const doctorCaseSeedOf = (seed: number, n: number): number => (seed * 1_000_003 + n) >>> 0;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const JUNK = [
  '', '{', '}', '[', ']', '"', "'", ':', '=', ',', '(', ')', '${', '}}', '\n', '\t', '#', '//', '/*', '*/', '<<EOF\n', '\nEOF\n',
  'null', '~', '-1', '1e999', '0x1F', '[[', ']]', '- ', '- null', '&a ', '*a', '!!binary ', '? ', '\u202e', '\u0000', '\ufeff',
  'constructor', '__proto__', 'toString', 'hasOwnProperty', '"*"', '*', '?', 'true', '{}', '[]', '${var.x}', '${each.key}',
  'for_each', 'count', 'dynamic', 'jsonencode(', 'aws_iam_role', 'Statement', 'Condition', 'StringLike', 'Principal',
  'Federated', 'sts:AssumeRoleWithWebIdentity', 'arn:aws:iam::*:role/*', 'system:serviceaccount:*:*',
];

/** Text mutations by name: each returns the damaged text. */
const MUTATIONS: Record<string, (r: Rand, t: string) => string> = {
  truncate: (r, t) => t.slice(0, Math.floor(r() * t.length)),
  insertJunk: (r, t) => {
    const i = Math.floor(r() * (t.length + 1));
    return t.slice(0, i) + pick(r, JUNK) + t.slice(i);
  },
  insertLongString: (r, t) => {
    const i = Math.floor(r() * (t.length + 1));
    return t.slice(0, i) + 'x'.repeat(1000 + Math.floor(r() * 20_000)) + t.slice(i);
  },
  deleteSpan: (r, t) => {
    const i = Math.floor(r() * t.length);
    return t.slice(0, i) + t.slice(i + 1 + Math.floor(r() * 200));
  },
  duplicateSpan: (r, t) => {
    const i = Math.floor(r() * t.length);
    const j = Math.min(t.length, i + 1 + Math.floor(r() * 300));
    return t.slice(0, j) + t.slice(i, j) + t.slice(j);
  },
  duplicateLine: (r, t) => {
    const lines = t.split('\n');
    lines.splice(Math.floor(r() * lines.length), 0, pick(r, lines));
    return lines.join('\n');
  },
  deleteLine: (r, t) => {
    const lines = t.split('\n');
    lines.splice(Math.floor(r() * lines.length), 1);
    return lines.join('\n');
  },
  reindentLine: (r, t) => {
    const lines = t.split('\n');
    const a = Math.floor(r() * lines.length);
    lines[a] = '  '.repeat(Math.floor(r() * 8)) + lines[a]!.trim();
    return lines.join('\n');
  },
  replaceQuoted: (r, t) => {
    const lines = t.split('\n');
    const a = Math.floor(r() * lines.length);
    lines[a] = lines[a]!.replace(/"[^"\n]*"/, JSON.stringify(pick(r, JUNK)));
    return lines.join('\n');
  },
  replaceWord: (r, t) => {
    const words = [...t.matchAll(/[A-Za-z0-9_.:-]{3,}/g)];
    if (words.length === 0) return t;
    const w = pick(r, words);
    return t.slice(0, w.index) + pick(r, JUNK) + t.slice(w.index + w[0].length);
  },
  // Lists that hold nulls or scalars where objects are expected (YAML and JSON forms).
  nullItem: (r, t) => {
    const lines = t.split('\n');
    const items = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*- /.test(l));
    if (items.length === 0) return t.replace(/\[/, pick(r, ['[null, ', '[1, ', '["x", ', '[[], ']));
    const [line, i] = pick(r, items);
    lines.splice(i, 0, `${line.slice(0, line.indexOf('-'))}- ${pick(r, ['null', '~', '1', '"x"', '[]'])}`);
    return lines.join('\n');
  },
  valueToOtherType: (r, t) => t.replace(/(:\s*|=\s*)("[^"\n]*"|[A-Za-z0-9_.-]+)/, (_m, sep: string) => `${sep}${pick(r, ['null', '[]', '{}', '1', 'true', '[null]', '{"a":null}'])}`),
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

/** The built-in prototypes a pollution check watches, and their own property names before any case. */
const PROTOTYPES: readonly [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];

/** `Object.prototype.x, …` added since `baseline`; each is deleted again so later cases run clean. */
export function takePollution(baseline: readonly ReadonlySet<string>[]): string[] {
  const found: string[] = [];
  PROTOTYPES.forEach(([name, proto], i) => {
    for (const key of Reflect.ownKeys(proto)) {
      if (typeof key !== 'string' || baseline[i]!.has(key)) continue;
      found.push(`${name}.${key} = ${String(JSON.stringify((proto as Record<string, unknown>)[key]) ?? typeof (proto as Record<string, unknown>)[key]).slice(0, 200)}`);
      delete (proto as Record<string, unknown>)[key];
    }
  });
  return found;
}

export function prototypeBaseline(): ReadonlySet<string>[] {
  return PROTOTYPES.map(([, proto]) => new Set(Reflect.ownKeys(proto).filter((k): k is string => typeof k === 'string')));
}

/** A finding's path is empty, or `file:line:column` with the file among the inputs and the line inside it. */
export function positionInInput(path: string, files: readonly { path: string; bytes: Uint8Array }[]): boolean {
  if (path === '') return true;
  const m = /^(.*):(\d+):(\d+)$/.exec(path);
  if (!m) return false;
  const file = files.find((f) => f.path === m[1]);
  if (!file) return false;
  const line = Number(m[2]);
  let lines = 1;
  for (const b of file.bytes) if (b === 0x0a) lines++;
  return line >= 1 && line <= lines && Number(m[3]) >= 1;
}

export function fuzzDoctor(opts: DoctorFuzzOptions): DoctorFuzzReport {
  const hangMs = opts.hangMs ?? 10_000;
  const deployments = opts.corpusDirs.flatMap((root) =>
    caseNames(root)
      .map((d) => ({ name: d, files: corpusFiles(join(root, d)) })),
  );
  const counts = Object.fromEntries(DOCTOR_CLASSES.map((c) => [c, 0])) as Record<DoctorFuzzClass, number>;
  const exits: Record<string, number> = {};
  const samples: DoctorFuzzReport['samples'] = [];
  let files: InputFile[] = [];
  const fail = (cls: DoctorFuzzClass, caseSeed: number, mutations: string[], detail: string) => {
    counts[cls]++;
    opts.onFail?.(cls, caseSeed, mutations, detail, files);
    if (samples.filter((s) => s.cls === cls).length < 5) samples.push({ cls, caseSeed, mutations, detail: detail.slice(0, 600) });
  };
  let slowest: DoctorFuzzReport['slowest'] = { cpuMs: 0, wallMs: 0, caseSeed: 0, mutations: [] };
  // Process warnings are emitted on the next tick: count the calls themselves, synchronously.
  const warnings: string[] = [];
  const baseline = prototypeBaseline();
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (w: string | Error) => {
    warnings.push(typeof w === 'string' ? w : w.message);
  };
  const t0 = performance.now();
  try {
    for (let n = opts.first ?? 0; n < opts.cases; n++) {
      const caseSeed = doctorCaseSeedOf(opts.seed, n);
      opts.onCase?.(n, caseSeed);
      const r = seeded(caseSeed);
      const deployment = pick(r, deployments);
      files = deployment.files.map((f) => ({ ...f }));
      const mutations = [deployment.name];
      // Sometimes the evidence is not one whole deployment: a file left out, or one of another
      // deployment given too (under a folder of its own, so no path is given twice).
      const shape = r();
      if (shape < 0.1 && files.length > 1) {
        const [gone] = files.splice(Math.floor(r() * files.length), 1);
        mutations.push(`${gone!.path}:leftOut`);
      } else if (shape < 0.25) {
        const other = pick(r, deployments);
        const extra = pick(r, other.files);
        const path = `other/${other.name}/${extra.path}`;
        files.push({ ...extra, path });
        mutations.push(`${path}:addedFrom ${other.name}`);
      }
      // Damage one file, sometimes two, with one to three mutations each.
      for (let k = r() < 0.2 ? 2 : 1; k > 0; k--) {
        const f = pick(r, files);
        let text = Buffer.from(f.bytes).toString('utf8');
        for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
          const name = pick(r, MUTATION_NAMES);
          mutations.push(`${f.path}:${name}`);
          text = MUTATIONS[name]!(r, text);
        }
        f.bytes = Buffer.from(text, 'utf8');
      }
      warnings.length = 0;
      const clock = caseClock();
      let result: ReturnType<typeof doctor>;
      try {
        result = doctor(files);
      } catch (e) {
        fail('crash', caseSeed, mutations, crashDetail(e));
        continue;
      } finally {
        // Checked after every case, crashed or not: a polluted prototype breaks every later case.
        const pollution = takePollution(baseline);
        if (pollution.length > 0) fail('pollution', caseSeed, mutations, pollution.join('\n'));
      }
      const time = clock();
      if (time.cpuMs > slowest.cpuMs) slowest = { ...time, caseSeed, mutations };
      if (time.cpuMs > hangMs) fail('hang', caseSeed, mutations, hangDetail(time));
      exits[result.exitCode] = (exits[result.exitCode] ?? 0) + 1;
      const stray = result.findings.find((f) => !positionInInput(f.path, files));
      if (stray) fail('bad-position', caseSeed, mutations, `${stray.code} ${stray.path}: ${stray.message}`);
      if (warnings.length > 0) fail('warning', caseSeed, mutations, warnings.join('\n'));
    }
  } finally {
    process.emitWarning = emitWarning;
  }
  return { cases: opts.cases - (opts.first ?? 0), exits, counts, samples, ms: performance.now() - t0, slowest };
}
