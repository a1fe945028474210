/**
 * A seeded mutation fuzzer for the front door: every example spec, damaged at the value level
 * (deleted keys, wrong types, nulls, huge and unicode/control strings, duplicate and dangling
 * references, swapped sections, names of Object.prototype) and at the text level (truncation,
 * duplicate keys, aliases and alias bombs, tabs, BOM, deep nesting, megabyte files, byte flips).
 *
 * Each case is planned in-process (and, for a sample, synthesised through the CLI into an empty
 * directory) and sorted into classes that must stay empty:
 * - crash: an exception escaped (the CLI would exit 70);
 * - hang: one case used more than `hangMs` of CPU time (CPU, not wall-clock time, so that a loaded
 *   machine does not turn slow cases into hangs; the long run also has a wall-clock watchdog that
 *   counts a case which never returns, see scripts/fuzz.js);
 * - exit2-without-finding: exit 2 with no error finding to say why;
 * - bad-path: a finding names a path whose parent is not in the input;
 * - synth-wrote: `synth` wrote something for a spec with errors;
 * - warning: the case made Node print a process warning (a library complaining on stderr, e.g. the
 *   YAML library about a list or a map as a mapping key).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { planValue, synthFiles, type PlanResult } from '../../src/core.js';
import { main } from '../../src/cli/main.js';
import { readSpecText } from '../../src/spec/parse.js';
import { seeded } from '../helpers/rng.js';

export const CLASSES = ['crash', 'hang', 'exit2-without-finding', 'bad-path', 'synth-wrote', 'warning'] as const;
export type FuzzClass = (typeof CLASSES)[number];

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Include the slow mutations (megabyte files, huge mappings). */
  slow?: boolean;
  /** A case that uses more CPU time than this is a hang. */
  hangMs?: number;
  /** Index of the first case (the long run restarts after a case that never returned). Default 0. */
  first?: number;
  /** Called before each case with its index and seed (the long run's watchdog listens). */
  onCase?: (n: number, caseSeed: number) => void;
  /** Every n-th case with errors also goes through `runner-fleet synth` into an empty directory. */
  synthEvery?: number;
  /** Every n-th case without errors is also serialised (all files, in memory). Default 1. */
  serializeEvery?: number;
  examplesDir: string;
}

export interface FuzzReport {
  cases: number;
  exits: Record<string, number>;
  counts: Record<FuzzClass, number>;
  /** First few failures per class, with the seed of the case to reproduce it. */
  samples: { cls: FuzzClass; caseSeed: number; mutations: string[]; detail: string }[];
  ms: number;
  /** The slowest case, by CPU time and by wall-clock time (ms), with its seed. */
  slowest: { cpuMs: number; wallMs: number; caseSeed: number; mutations: string[] };
}

/** Starts timing one case; the returned function gives its CPU and wall-clock time so far (ms). */
export function caseClock(): () => { cpuMs: number; wallMs: number } {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu0);
    return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start };
  };
}

/** What a crash sample records: the message and the stack. */
export const crashDetail = (e: unknown): string => (e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));

/** What a hang sample records. */
export const hangDetail = (t: { cpuMs: number; wallMs: number }): string => `${t.cpuMs.toFixed(0)} ms of CPU (${t.wallMs.toFixed(0)} ms wall-clock)`;

/** The seed of case `n` of a run with `seed` (so a case can be reproduced alone). */
export const caseSeedOf = (seed: number, n: number): number => (seed * 1_000_003 + n) >>> 0;

/** The project's seeded PRNG (test/helpers/rng.ts), under the fuzzer's name. */
export const rng = seeded;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container path in a value, with the container. */
function containers(v: Json, path: (string | number)[] = [], out: { path: (string | number)[]; node: Json[] | Record<string, Json> }[] = []) {
  if (v !== null && typeof v === 'object') {
    out.push({ path, node: v });
    if (Array.isArray(v)) v.forEach((x, i) => containers(x, [...path, i], out));
    else for (const [k, x] of Object.entries(v)) containers(x, [...path, k], out);
  }
  return out;
}

const STRANGE_STRINGS = [
  '',
  ' ',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'admin\u202Eexe.txt',
  '\u001b[31mred\u001b[0m',
  'line\nbreak',
  'nul\u0000byte',
  '\uFEFFbom',
  'zero\u200Bwidth',
  '日本語',
  '😀🚀',
  '${aws:username}',
  '*',
  '../../etc/passwd',
  'a'.repeat(300),
  '-1',
  '1e309',
  'true',
  'null',
  'on',
  '0x1F',
];
const STRANGE_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 1e308, 2 ** 53 + 1, [], {}, [null], { x: 1 }, ...STRANGE_STRINGS];

type ValueMutation = (r: Rand, v: Json) => string;

/** Value-level mutations: each returns a label, and changes `v` in place. */
const VALUE_MUTATIONS: Record<string, ValueMutation> = {
  deleteKey(r, v) {
    const maps = containers(v).filter((c) => !Array.isArray(c.node) && Object.keys(c.node).length > 0);
    if (maps.length === 0) return 'deleteKey(none)';
    const c = pick(r, maps);
    const k = pick(r, Object.keys(c.node));
    delete (c.node as Record<string, Json>)[k];
    return `deleteKey(${[...c.path, k].join('.')})`;
  },
  wrongValue(r, v) {
    const all = containers(v);
    const c = pick(r, all);
    const keys = Array.isArray(c.node) ? c.node.map((_, i) => i) : Object.keys(c.node);
    if (keys.length === 0) return 'wrongValue(none)';
    const k = pick(r, keys as (string | number)[]);
    (c.node as Record<string | number, Json>)[k] = structuredClone(pick(r, STRANGE_VALUES));
    return `wrongValue(${[...c.path, k].join('.')})`;
  },
  hugeString(r, v) {
    const c = pick(r, containers(v));
    const keys = Array.isArray(c.node) ? c.node.map((_, i) => i) : Object.keys(c.node);
    if (keys.length === 0) return 'hugeString(none)';
    const k = pick(r, keys as (string | number)[]);
    (c.node as Record<string | number, Json>)[k] = `${pick(r, STRANGE_STRINGS)}${'x'.repeat(Math.floor(r() * (r() < 0.1 ? 200_000 : 2_000)))}`;
    return `hugeString(${[...c.path, k].join('.')})`;
  },
  strangeKey(r, v) {
    const maps = containers(v).filter((c) => !Array.isArray(c.node));
    const c = pick(r, maps);
    const k = pick(r, STRANGE_STRINGS.filter((s) => s !== '__proto__'));
    (c.node as Record<string, Json>)[k] = pick(r, STRANGE_VALUES);
    return `strangeKey(${c.path.join('.')})`;
  },
  duplicateRunner(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length === 0) return 'duplicateRunner(none)';
    runners.push(structuredClone(pick(r, runners)));
    return 'duplicateRunner';
  },
  danglingReference(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length === 0) return 'dangling(none)';
    const run = pick(r, runners) as Record<string, Record<string, Json>>;
    if (r() < 0.5 && run.placement) run.placement.cluster = pick(r, ['nope', 'constructor', '']);
    else run.cache = { name: pick(r, ['nope', 'toString', '']) };
    return 'danglingReference';
  },
  sameNamespace(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length < 2) return 'sameNamespace(none)';
    const [a, b] = [runners[0] as Record<string, Record<string, Json>>, runners[1] as Record<string, Record<string, Json>>];
    if (a.placement && b.placement) b.placement.namespace = a.placement.namespace ?? 'shared';
    return 'sameNamespace';
  },
  prototypeNames(r, v) {
    const name = pick(r, ['constructor', 'tostring', 'valueof', 'hasownproperty']);
    const o = v as Record<string, Json[]>;
    const target = pick(r, ['runners', 'clusters', 'caches'] as const);
    const list = o[target];
    if (!Array.isArray(list) || list.length === 0) return 'prototypeNames(none)';
    const entry = list[0] as Record<string, Json>;
    const old = entry.name;
    entry.name = name;
    // Keep references pointing at the renamed entry, so the spec may still be valid.
    for (const run of (o.runners ?? []) as Record<string, Record<string, Json>>[]) {
      if (target === 'clusters' && run.placement?.cluster === old) run.placement!.cluster = name;
      if (target === 'caches' && run.cache?.name === old) run.cache!.name = name;
    }
    return `prototypeNames(${target})`;
  },
  swapSections(r, v) {
    const o = v as Record<string, Json>;
    const keys = Object.keys(o);
    const a = pick(r, keys);
    const b = pick(r, keys);
    [o[a], o[b]] = [o[b]!, o[a]!];
    return `swapSections(${a},${b})`;
  },
  iamConditions(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length === 0) return 'iamConditions(none)';
    const run = pick(r, runners) as Record<string, Json>;
    const op = pick(r, ['StringEquals', 'stringequals', 'DateLessThan', 'IpAddress', 'NotIpAddress', 'Bool', 'NumericLessThan', 'ArnLike', 'BinaryEquals', 'Foo', 'NullIfExists', 'ForAnyValue:StringLike']);
    const value = pick(r, [...STRANGE_VALUES, '2030-01-01T00:00:00Z', '10.0.0.0/8', 'arn:aws:iam::123456789012:role/x', 'QmluYXJ5', 'true', '5']);
    run.jobs = { permissions: { aws: [{ actions: ['s3:GetObject'], resources: ['*'], conditions: r() < 0.1 ? {} : { [op]: r() < 0.1 ? {} : { [pick(r, ['aws:SourceIp', 'aws:x', '', 'bad key'])]: value } } }] } };
    return `iamConditions(${op})`;
  },
  riskyChoice(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length === 0) return 'riskyChoice(none)';
    const run = pick(r, runners) as Record<string, Json>;
    run.acceptRisks = [];
    if (r() < 0.5) (run.gitlab as Record<string, Json>).protectedOnly = false;
    else run.jobs = { ...(run.jobs as Record<string, Json>), permissions: { aws: [{ actions: ['*'], resources: ['*'] }] } };
    return 'riskyChoice';
  },
  manyRunners(r, v) {
    const runners = (v as { runners?: Json }).runners;
    if (!Array.isArray(runners) || runners.length === 0) return 'manyRunners(none)';
    const n = 2 + Math.floor(r() * 20);
    const base = runners[0] as Record<string, Json>;
    for (let i = 0; i < n; i++) runners.push({ ...structuredClone(base), name: `${typeof base.name === 'string' ? base.name : 'r'}-${i}` });
    return `manyRunners(${n})`;
  },
};

type TextMutation = (r: Rand, t: string) => string;

const TEXT_MUTATIONS: Record<string, { slow?: boolean; apply: TextMutation }> = {
  truncate: { apply: (r, t) => t.slice(0, Math.floor(r() * t.length)) },
  duplicateLine: {
    apply: (r, t) => {
      const lines = t.split('\n');
      const i = Math.floor(r() * lines.length);
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    },
  },
  tabs: { apply: (r, t) => t.replace(/^( {2})+/gm, (m) => (r() < 0.3 ? '\t'.repeat(m.length / 2) : m)) },
  bom: { apply: (_r, t) => `\uFEFF${t}` },
  // A list or a map as a mapping key (`? [name]` / `? {name: 1}` on its own line, `:` below): valid YAML, no spec key.
  complexKey: {
    apply: (r, t) => {
      const lines = t.split('\n');
      const at = lines.map((l, i) => (/^( *)([A-Za-z]\w*):(.*)$/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (at.length === 0) return `${t}\n? [a, b]\n: 1\n`;
      const i = pick(r, at);
      const [, ind, key, rest] = /^( *)([A-Za-z]\w*):(.*)$/.exec(lines[i]!)!;
      lines[i] = `${ind!}? ${r() < 0.5 ? `[${key!}]` : `{${key!}: 1}`}\n${ind!}:${rest!}`;
      return lines.join('\n');
    },
  },
  undefinedAlias: { apply: (r, t) => t.replace(/: [^\n{[]+$/m, r() < 0.5 ? ': *nope' : ': &a x') },
  aliasBomb: {
    apply: (_r, t) => `${t}\nbomb0: &b0 [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 6 }, (_, i) => `bomb${i + 1}: &b${i + 1} [${Array(9).fill(`*b${i}`).join(', ')}]`).join('\n')}\n`,
  },
  validAlias: { apply: (_r, t) => t.replace(/^gitlab:/m, 'gitlab: &g').concat('\nextra: *g\n') },
  deepNesting: { apply: (r, t) => `${t}\ndeep: ${'['.repeat(50 + Math.floor(r() * 3000))}1${']'.repeat(3)}\n` },
  deepBlock: { apply: (r, t) => `${t}\n${Array.from({ length: 20 + Math.floor(r() * 120) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n` },
  longBadLine: { apply: (r, t) => `${t}\nbad: ${'] '.repeat(1000 + Math.floor(r() * 20000))}\n` },
  byteFlip: {
    apply: (r, t) => {
      const chars = [...t];
      for (let n = 0; n < 1 + Math.floor(r() * 5); n++) chars[Math.floor(r() * chars.length)] = pick(r, [':', '-', '[', '{', '"', "'", '&', '*', '!', '%', '@', '`', '|', '>', '#', '\t', '\u0000', '\u202e']);
      return chars.join('');
    },
  },
  megabyte: { slow: true, apply: (r, t) => `${t}\n# ${'x'.repeat(1024 * 1024 - (r() < 0.5 ? 2000 : -2000))}\n` },
  hugeMapping: { slow: true, apply: (r, t) => `${t}\nhuge:\n${Array.from({ length: 20_000 + Math.floor(r() * 40_000) }, (_, i) => `  k${i}: ${i}`).join('\n')}\n` },
};

/** A finding path (`a.b[0]["x y"]`) as segments. */
export function parsePath(path: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') i++;
    if (path[i] === '[') {
      const close = path[i + 1] === '"' ? path.indexOf('"]', i + 2) + 1 : path.indexOf(']', i);
      if (close <= 0) return undefined;
      const inner = path.slice(i + 1, close);
      out.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : Number(inner));
      i = close + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

/** True when every segment but the last exists in `input` (the last may name a missing key). */
export function pathPointsIntoInput(input: unknown, path: string): boolean {
  if (path === '' || path.startsWith('--')) return true;
  const segments = parsePath(path);
  if (!segments) return false;
  let cur = input;
  for (const s of segments.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, s)) return false;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur !== null && typeof cur === 'object';
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const hangMs = opts.hangMs ?? 10_000;
  const synthEvery = opts.synthEvery ?? 25;
  const examples = readdirSync(opts.examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(opts.examplesDir, f), 'utf8');
      return { name: f, text, value: parseYaml(text) as Json };
    });
  const valueNames = Object.keys(VALUE_MUTATIONS);
  const textNames = Object.keys(TEXT_MUTATIONS).filter((k) => opts.slow || !TEXT_MUTATIONS[k]!.slow);
  const counts = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<FuzzClass, number>;
  const exits: Record<string, number> = {};
  const samples: FuzzReport['samples'] = [];
  const fail = (cls: FuzzClass, caseSeed: number, mutations: string[], detail: string) => {
    counts[cls]++;
    if (samples.filter((s) => s.cls === cls).length < 5) samples.push({ cls, caseSeed, mutations, detail: detail.slice(0, 500) });
  };
  const dir = mkdtempSync(join(tmpdir(), 'rf-fuzz-'));
  // Process warnings are emitted on the next tick: count the calls themselves, synchronously.
  const warnings: string[] = [];
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (w: string | Error) => {
    warnings.push(typeof w === 'string' ? w : w.message);
  };
  const t0 = performance.now();
  let errorCases = 0;
  let okCases = 0;
  let slowest: FuzzReport['slowest'] = { cpuMs: 0, wallMs: 0, caseSeed: 0, mutations: [] };
  try {
    for (let n = opts.first ?? 0; n < opts.cases; n++) {
      const caseSeed = caseSeedOf(opts.seed, n);
      opts.onCase?.(n, caseSeed);
      const r = rng(caseSeed);
      const example = pick(r, examples);
      const mutations: string[] = [example.name];
      let text: string;
      // Value mutations first (the spec as data), then text damage on top, sometimes.
      const value = structuredClone(example.value);
      const nValue = r() < 0.85 ? 1 + Math.floor(r() * 3) : 0;
      for (let i = 0; i < nValue; i++) {
        const name = pick(r, valueNames);
        try {
          mutations.push(VALUE_MUTATIONS[name]!(r, value));
        } catch {
          mutations.push(`${name}(not applicable)`); // an earlier mutation removed what it changes
        }
      }
      text = r() < 0.2 ? JSON.stringify(value, null, r() < 0.5 ? 2 : 0) : stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
      if (nValue === 0 || r() < 0.25) {
        const m = pick(r, textNames);
        mutations.push(m);
        text = TEXT_MUTATIONS[m]!.apply(r, text);
      }
      warnings.length = 0;
      const clock = caseClock();
      let plan: PlanResult;
      let input: unknown;
      try {
        const read = readSpecText(text, 'fuzz.yaml');
        input = read.value;
        plan = read.findings.length > 0 ? { exitCode: 2, findings: read.findings, proofs: [] } : planValue(read.value);
        if (plan.exitCode === 0 && ++okCases % (opts.serializeEvery ?? 1) === 0) synthFiles(plan);
      } catch (e) {
        fail('crash', caseSeed, mutations, crashDetail(e));
        continue;
      }
      const time = clock();
      if (time.cpuMs > slowest.cpuMs) slowest = { ...time, caseSeed, mutations };
      if (time.cpuMs > hangMs) fail('hang', caseSeed, mutations, hangDetail(time));
      exits[plan.exitCode] = (exits[plan.exitCode] ?? 0) + 1;
      if (plan.exitCode === 2 && !plan.findings.some((f) => f.severity === 'error')) fail('exit2-without-finding', caseSeed, mutations, JSON.stringify(plan.findings));
      for (const f of plan.findings) {
        if (!pathPointsIntoInput(input, f.path)) {
          fail('bad-path', caseSeed, mutations, `${f.code} ${f.path}: ${f.message}`);
          break;
        }
      }
      if (plan.exitCode !== 0 && ++errorCases % synthEvery === 0) {
        const spec = join(dir, 'fleet.yaml');
        const out = join(dir, 'out');
        writeFileSync(spec, text);
        const code = await main(['synth', spec, '--out', out], { out: () => {}, err: () => {} });
        if (code === 0 || code === 70 || existsSync(out)) fail('synth-wrote', caseSeed, mutations, `synth exit ${code}, out ${existsSync(out) ? 'exists' : 'absent'}`);
        rmSync(out, { recursive: true, force: true });
      }
      if (warnings.length > 0) fail('warning', caseSeed, mutations, warnings.join('\n'));
    }
  } finally {
    process.emitWarning = emitWarning;
    rmSync(dir, { recursive: true, force: true });
  }
  return { cases: opts.cases - (opts.first ?? 0), exits, counts, samples, ms: performance.now() - t0, slowest };
}
