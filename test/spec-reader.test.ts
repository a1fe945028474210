import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planText } from '../src/core.js';
import { readSpecText, SPEC_LIMITS } from '../src/spec/parse.js';
import { nestingBeyond } from '../src/spec/reader.js';
import { formatFinding, safeText, showValue } from '../src/spec/findings.js';

const EXAMPLE = readFileSync(new URL('../examples/eks-irsa.yaml', import.meta.url), 'utf8');
const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}: ${i}`).join('\n');
const bomb = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]', ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');

/** Every way spec text can be damaged: each is an RF001 finding, fast, and names where. */
const CASES: [name: string, text: string, message: RegExp][] = [
  ['syntax error', 'apiVersion: x\nmetadata: {name: acme\n', /^f\.yaml:\d+:\d+: /],
  ['undefined alias', EXAMPLE.replace('name: acme', 'name: *nope'), /f\.yaml:7:\d+: the alias \*nope names no anchor/],
  ['alias used before its anchor', 'a: *x\nb: &x 1\n', /f\.yaml:1:4: the alias \*x names no anchor/],
  ['alias bomb', bomb, /aliases expand to more than 100 nodes/],
  ['duplicate key', 'apiVersion: a\nkind: Fleet\nkind: Fleet\n', /f\.yaml:3:1: the key "kind" appears twice/],
  ['duplicate among 5,000 keys', `${keys(5_000)}\nk5: again`, /the key "k5" appears twice/],
  ['deep flow nesting', `a: ${'['.repeat(5000)}${']'.repeat(5000)}`, /nests deeper than 64 levels/],
  ['deep block nesting', Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), /nests deeper than 64 levels/],
  ['deep sequence entries', `${'- '.repeat(3000)}a`, /nests deeper than 64 levels/],
  ['deep JSON', `{"a": ${'{"b": '.repeat(2000)}1${'}'.repeat(2000)}}`, /nests deeper than 64 levels/],
  ['tab indentation', 'a:\n\tb: 1\n', /f\.yaml:2:\d+: .*[Tt]ab/],
  ['a megabyte and more', `a: "${'x'.repeat(SPEC_LIMITS.maxBytes)}"`, /bytes; a spec may have at most 1,048,576 bytes/],
  ['two documents', 'a: 1\n---\nb: 2\n', /more than one YAML document/],
  ['a list as a mapping key', `${EXAMPLE}? [a, b]\n: 1\n`, /f\.yaml:70:3: a mapping key is a list, not a name: \["a","b"\]/],
  ['a map as a mapping key', 'apiVersion: a\nmetadata:\n  ? {x: 1}\n  : 2\n', /f\.yaml:3:5: a mapping key is a map, not a name/],
];

describe('the spec reader turns every YAML problem into RF001', () => {
  it.each(CASES)('%s', (_name, text, message) => {
    const t = performance.now();
    const read = readSpecText(text, 'f.yaml');
    expect(performance.now() - t).toBeLessThan(3000);
    expect(read.value).toBeUndefined();
    expect(read.findings.length).toBeGreaterThan(0);
    expect(read.findings.every((f) => f.code === 'RF001' && f.severity === 'error')).toBe(true);
    expect(read.findings[0]!.message).toMatch(message);
    expect(read.findings[0]!.fix).toBeDefined();
    // The plan of the same text is exit 2 with the same findings, never an exception.
    expect(planText(text, 'f.yaml').exitCode).toBe(2);
  });

  it('one error the parser reports twice at one place is one finding (found from the built bin: `runners: {{` at the end)', () => {
    const read = readSpecText('apiVersion: runner-fleet/v1alpha1\nkind: Fleet\nmetadata: {name: x}\nrunners: {{\n', 'f.yaml');
    const texts = read.findings.map((f) => `${f.message}|${f.fix ?? ''}`);
    expect(texts.length).toBeGreaterThan(0);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('a list or a map as a mapping key prints no process warning (the library would, on stderr)', () => {
    const warned: unknown[] = [];
    const emitWarning = process.emitWarning.bind(process);
    process.emitWarning = (w: string | Error) => void warned.push(w);
    try {
      for (const text of [`${EXAMPLE}? [a, b]\n: 1\n`, 'a:\n  ? {x: 1}\n  : 2\n', '? - a\n: 1\n']) {
        const read = readSpecText(text, 'f.yaml');
        expect(read.findings[0]?.message).toMatch(/a mapping key is a (list|map)/);
        expect(read.findings[0]?.fix).toMatch(/plain name/);
      }
    } finally {
      process.emitWarning = emitWarning;
    }
    expect(warned).toEqual([]);
  });

  it('the fix names the offending snippet', () => {
    const read = readSpecText('apiVersion: a\nkind: Fleet\nkind: Fleet\n', 'f.yaml');
    expect(read.findings[0]!.fix).toContain('line 3: kind: Fleet');
  });

  it('a line of 40,000 bad tokens gives a few findings with a count, quickly', () => {
    const t = performance.now();
    const read = readSpecText(`a: ${'] '.repeat(40_000)}`, 'f.yaml');
    expect(performance.now() - t).toBeLessThan(3000);
    expect(read.findings.length).toBeLessThanOrEqual(SPEC_LIMITS.maxFindingsPerKind + 1);
    expect(read.findings.some((f) => /more of: |reading stopped after 100 errors/.test(f.message))).toBe(true);
  });

  // Plain block YAML is read by the plain reader; an alias sends the same mapping to the library's
  // composer (its own duplicate-key check, uniqueKeys, is quadratic: the reader turns it off and
  // finds duplicates itself). Each path in turn.
  it.each([
    ['plain text (the plain reader)', ''],
    ['text with an alias (the library composer)', 'anchor: &a 1\nalias: *a\n'],
  ])('big mappings are read in linear time: %s', (_, head) => {
    const time = (n: number) => {
      const text = head + keys(n);
      const t = performance.now();
      const read = readSpecText(text, 'f.yaml');
      expect(read.findings).toEqual([]);
      expect(Object.keys(read.value as object)).toHaveLength(n + (head === '' ? 0 : 2));
      return performance.now() - t;
    };
    time(2_000); // warm-up
    // The least of three runs each: a loaded machine (CI beside other work) only ever adds time,
    // and one stalled run must not decide the ratio.
    const least = (n: number) => Math.min(time(n), time(n), time(n));
    const small = least(2_000);
    const big = least(32_000);
    // 16x the keys: about 16x the time when linear, 256x when quadratic. The line sits 4x from
    // each: under load 4x was once stretched past a line at 10x (16,000 keys against 4,000).
    expect(big / small).toBeLessThan(64);
  });

  it('a byte order mark is not content; anchors and aliases within the limit work', () => {
    expect(readSpecText('\uFEFFa: 1\n').value).toEqual({ a: 1 });
    expect(readSpecText('a: &x {b: 1}\nc: *x\n').value).toEqual({ a: { b: 1 }, c: { b: 1 } });
  });

  it('the nesting estimate ignores brackets inside strings and comments, and counts real nesting', () => {
    expect(nestingBeyond('a: "[[[[[["\nb: x # [[[[[\nc: it [is] fine\n', 2)).toBeUndefined();
    expect(nestingBeyond('a:\n  b:\n    c: [1, [2]]\n', 4)).toBeDefined();
    expect(nestingBeyond('a:\n  b:\n    c: [1, [2]]\n', 5)).toBeUndefined();
  });
});

// eslint-disable-next-line no-control-regex
const UNSAFE_SHOWN = /[\u001b\u202e\u200b\u2028]/;

describe('echoed values are safe to print', () => {
  it.each([
    ['a bidi override', 'admin\u202Eexe.txt', '\\u202e'],
    ['a terminal escape', '\u001b[31mred', '\\u001b'],
    ['a zero-width space', 'a\u200Bb', '\\u200b'],
    ['a line separator', 'a\u2028b', '\\u2028'],
  ])('%s is escaped', (_name, value, shown) => {
    expect(safeText(value)).toContain(shown);
    expect(showValue(value)).toContain(shown);
    expect(formatFinding({ code: 'RF002', severity: 'error', path: 'x', message: `bad ${value}`, received: showValue(value) })).not.toMatch(UNSAFE_SHOWN);
  });

  it('long values and keys are cut', () => {
    expect(showValue('x'.repeat(100_000)).length).toBeLessThanOrEqual(120);
    expect(showValue({ ['k'.repeat(10_000)]: 'v'.repeat(10_000) }).length).toBeLessThanOrEqual(120);
    expect(showValue(Array.from({ length: 100_000 }, (_, i) => i)).length).toBeLessThanOrEqual(120);
  });
});

/** The RF001 fix names a snippet even where the error's line has nothing on it. */
describe('RF001 snippets at empty lines and the end of the file', () => {
  it.each([
    ['an unclosed flow sequence at the end of the file', 'version: 1\nfleet:\n  name: x\nrunners: [\n', '(the end of the file, after: runners: [)'],
    ['the same with trailing blank lines', 'version: 1\nrunners: [\n\n\n', '(the end of the file, after: runners: [)'],
    ['an error on a line with content', 'a: 1\n  b: [\n', 'a: 1'],
  ])('%s', (_name, text, snippet) => {
    const r = readSpecText(text, 'spec.yaml');
    expect(r.findings[0]?.code).toBe('RF001');
    expect(r.findings[0]?.fix).toContain(snippet);
    expect(r.findings[0]?.fix).not.toMatch(/: $/);
  });
});
