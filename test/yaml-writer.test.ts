import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml, toYamlWithLibrary } from '../src/emit/serialize.js';
import { writeYaml } from '../src/emit/yaml-writer.js';
import { seeded } from './helpers/rng.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/fleet.js';

// The direct YAML writer (src/emit/yaml-writer.ts) against the `yaml` library: the same bytes
// for every generated value, and every output read back as exactly the input by the real parser
// under YAML 1.2 and YAML 1.1 (the 1.1 view is what GitLab's and go-yaml's readers see).

const rng = seeded;

// Strings a YAML writer gets wrong: 1.1 booleans and nulls, numbers in every base and notation,
// dates and sexagesimals, indicators, `: ` and ` #`, spaces and line breaks at the edges,
// document markers, quotes of both kinds, control, format and non-BMP characters.
const NASTY = [
  '', ' ', '  ', '\t', '\n', '\n\n', ' \n', '\n ', 'on', 'off', 'On', 'OFF', 'yes', 'no', 'Yes', 'NO', 'y', 'n', 'Y', 'N', 'true', 'False',
  'TRUE', 'null', 'Null', 'NULL', '~', '-', '?', ':', '- a', '? a', ': a', 'a:', 'a: b', 'a :b', 'a #b', 'a#b', '#a', '0755', '0o17', '0x1F', '0b101',
  '1e3', '1E3', '1.5', '.5', '5.', '-1', '+1', '1_000', '.inf', '-.Inf', '.NaN', '1:30', '190:20:30', '2024-01-01', '2001-12-14t21:59:43.10-05:00',
  '12e03', '0.', '-0', '1,000', '[a]', '{a}', 'a,b', '&a', '*a', '!a', '!!str', '|', '>', "'", '"', "it's", 'say "hi"', `'"`, '%YAML', '@a',
  '`a`', '---', '...', '--- a', '...a', 'a\n---\nb', 'a\n...', '<<', '=', 'a b', ' a', 'a ', 'a\tb', '\ta', 'a\t', 'line1\nline2',
  'line1\nline2\n', 'line1\nline2\n\n', 'a\n\n\nb', '\nleading', '\n\nleading', ' indented\nnext', '  x\n y\n', 'trailing \nspace',
  'x\n ', 'x\n\t', 'tab\tin\nblock', '#!/bin/sh\necho hi\n', 'key = "value"\n[table]\n', 'a\u0000b', 'bell\u0007', 'esc\u001b[0m',
  'vt\u000b', 'del\u007f', 'nel\u0085x', 'c1\u009b', 'nbsp\u00a0x', 'ls\u2028ps\u2029', '\ufeffbom', 'é', 'ü: x', '日本語', '😀',
  'rtl\u202eevil', 'zw\u200bj', 'lone\ud800', '\udc00', 'cr\r\nlf', 'a\rb', 'x'.repeat(120), `${'long words '.repeat(10)}\n${'more '.repeat(12)}`,
  'a very long line that is longer than forty characters\nwith a second line', ' a very long line that is longer than forty characters \n with edges ',
];

const PIECES = ['a', 'Z', '0', '9', ' ', '  ', '\t', '\n', ':', '#', '-', '?', '"', "'", ',', '[', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '.', '~', 'on', 'yes', '1e3', '0x', '_', '\u0001', 'é', '😀', '---', '...', '\\', '/'];

function randomString(r: () => number): string {
  if (r() < 0.35) return NASTY[Math.floor(r() * NASTY.length)]!;
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]!;
  return s;
}

const NUMBERS = [0, -0, 1, -1, 42, 1.5, -0.25, 1e21, 1e-7, 123456789012, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 0.1 + 0.2, NaN, Infinity, -Infinity];

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.45) {
    const y = r();
    if (y < 0.7) return randomString(r);
    if (y < 0.82) return NUMBERS[Math.floor(r() * NUMBERS.length)];
    if (y < 0.92) return r() < 0.5;
    return null;
  }
  if (x < 0.7) {
    const n = Math.floor(r() * 4);
    return Array.from({ length: n }, () => randomValue(r, depth + 1));
  }
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) o[randomString(r)] = randomValue(r, depth + 1);
  return o;
}

/** What a reader should get back: undefined map values are left out, undefined items are null. */
function expected(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : expected(x)));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, expected(x)]));
  return v;
}

// Where the writer differs from the library on purpose (see the writer): characters it escapes,
// a `<<` key, strings of only blanks and line breaks.
const DELIBERATE = /[\x7f-\x9f\u2028\u2029\ufeff]|^[\t\n ]*[\t ][\t\n ]*$/;
function deliberate(v: unknown): boolean {
  if (typeof v === 'string') return DELIBERATE.test(v);
  if (Array.isArray(v)) return v.some(deliberate);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => k === '<<' || deliberate(k) || deliberate(x));
  return false;
}

describe('direct YAML writer', () => {
  it('writes the library bytes and reads back as the input, for 500 generated documents', () => {
    const r = rng(7);
    let compared = 0;
    for (let i = 0; i < 500; i++) {
      const doc = i % 2 === 0 ? { [randomString(r)]: randomValue(r, 0), k: randomValue(r, 1) } : [randomValue(r, 0), randomValue(r, 1)];
      const ours = writeYaml(doc, () => false) === undefined ? undefined : toYaml(doc);
      expect(ours, JSON.stringify(doc)).toBeDefined();
      const text = ours!;
      if (!deliberate(doc)) {
        expect(text, JSON.stringify(doc)).toBe(toYamlWithLibrary(doc));
        compared++;
      }
      for (const version of ['1.1', '1.2'] as const) expect(parse(text, { version }), `${version}: ${JSON.stringify(doc)}\n${text}`).toEqual(expected(doc));
    }
    expect(compared).toBeGreaterThan(380);
  });

  it.each(NASTY.map((s) => [JSON.stringify(s), s]))('string %s as a value, a key and a list item', (_name, s) => {
    for (const doc of [{ v: s }, { [s]: 'v' }, { nested: { deeper: [s, { [s]: s }] } }, [s]]) {
      const text = toYaml(doc);
      if (!deliberate(doc)) expect(text).toBe(toYamlWithLibrary(doc));
      for (const version of ['1.1', '1.2'] as const) expect(parse(text, { version }), `${version}\n${text}`).toEqual(doc);
    }
  });

  it.each([
    ['on', '"on"'],
    ['y', '"y"'],
    ['~', '"~"'],
    ['0755', '"0755"'],
    ['1e3', '"1e3"'],
    ['.inf', '".inf"'],
    ['1:30', '"1:30"'],
    ['', '""'],
    [' lead', '" lead"'],
    ['a: b', '"a: b"'],
    ['a #b', '"a #b"'],
    ['"hi" there', `'"hi" there'`],
    ['say "hi"', 'say "hi"'],
    ['-', '"-"'],
    ['ubuntu:24.04', 'ubuntu:24.04'],
    ['line1\nline2', '|-\n  line1\n  line2'],
    ['line1\nline2\n', '|\n  line1\n  line2'],
    ['line1\n\n', '|+\n  line1\n'],
    [' indented\nnext', '|2-\n   indented\n  next'],
    ['nel\u0085', '"nel\\N"'],
    ['ls\u2028', '"ls\\L"'],
    ['\ufeffbom', '"\\ufeffbom"'],
    ['c1\u009b', '"c1\\x9b"'],
  ])('writes %j as %s', (s, written) => {
    expect(toYaml({ v: s })).toBe(`v: ${written}\n`);
  });

  it('writes nested collections, empty collections and nulls as block YAML', () => {
    const doc = { a: { b: [1, { c: null, d: [] }, [true, 'x']], e: {} }, f: [], g: [[]] };
    expect(toYaml(doc)).toBe('a:\n  b:\n    - 1\n    - c: null\n      d: []\n    - - true\n      - x\n  e: {}\nf: []\ng:\n  - []\n');
    expect(toYaml(doc)).toBe(toYamlWithLibrary(doc));
  });

  it('leaves what it does not write to the library: Maps, Dates, class instances, scalar documents, very long keys', () => {
    const cases: unknown[] = [new Map([['a', 1]]), { when: new Date(0) }, { set: new Set([1]) }, 'scalar', 42, null, { [`k${'x'.repeat(1100)}`]: 1 }, { n: 10n }];
    for (const doc of cases) {
      expect(writeYaml(doc, () => false)).toBeUndefined();
      expect(toYaml(doc)).toBe(toYamlWithLibrary(doc));
    }
  });

  it('returns one flat string, not a tree of its pieces: 2,000 kept documents take about a byte per character', () => {
    // Measured in a node with --expose-gc over the built writer. The yardstick, the same text
    // built line by line with +=, shows that the measure sees a string kept as pieces.
    const writer = pathToFileURL(join(ROOT, 'dist', 'emit', 'yaml-writer.js')).href;
    const script = `
const { writeYaml } = await import(${JSON.stringify(writer)});
const doc = (i) => ({ runners: { name: 'build-' + i, tags: ['a', 'b', 't-' + i], config: { image: 'alpine:3.20', env: Array.from({ length: 40 }, (_, j) => 'VAR_' + j + '=value-' + i + '-' + j) } } });
const kept = (make) => { gc(); gc(); const before = process.memoryUsage().heapUsed; const keep = []; let chars = 0; for (let i = 0; i < 2000; i++) { const s = make(i); chars += s.length; keep.push(s); } gc(); gc(); const bytes = process.memoryUsage().heapUsed - before; globalThis.keep = keep; return bytes / chars; };
const written = kept((i) => writeYaml(doc(i), () => false));
const rope = kept((i) => { let s = ''; for (const line of writeYaml(doc(i), () => false).split('\\n')) s += line + '\\n'; return s; });
console.log(JSON.stringify({ written, rope }));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { written, rope } = JSON.parse(r.stdout) as { written: number; rope: number };
    expect(rope).toBeGreaterThan(3);
    expect(written).toBeLessThan(1.5);
  });
});
