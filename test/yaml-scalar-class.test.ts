import { describe, expect, it } from 'vitest';
import { MULTI_LINE, NEEDS_DOUBLE, SIMPLE, scalarClass } from '../src/emit/yaml-writer.js';
import { toYaml } from '../src/emit/serialize.js';
import { parse } from 'yaml';
import { seeded } from './helpers/rng.js';

// scalarClass (src/emit/yaml-writer.ts) decides in one scan of character codes what the writer
// decided before with three regular expressions and an `includes`. The old decision is kept here
// as the oracle (it is small), and both are compared on seeded hostile strings of every
// character class; the YAML the writer makes of them is read back by the real parser.

// The writer's rules before the scan (stop 60).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const OLD_NEEDS_DOUBLE = /[\0-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\p{Cs}/u;
const OLD_SIMPLE = /^[A-Za-z][A-Za-z0-9_./=+@-]*$/;

function oldClass(s: string): number {
  if (OLD_SIMPLE.test(s)) return SIMPLE;
  return (OLD_NEEDS_DOUBLE.test(s) ? NEEDS_DOUBLE : 0) | (s.includes('\n') ? MULTI_LINE : 0);
}

const HOSTILE = [
  '', 'a', 'Z', 'a-b', 'a.b/c_d=e+f@g', 'a b', 'a:b', 'a: b', 'a#b', 'a #b', '-a', '?a', '*a', '&a', '!a', '|a', '>a', '%a', '@a', '`a`',
  'yes', 'no', 'on', 'OFF', 'y', 'N', 'true', 'False', 'null', '~', '0', '1e3', '0x1F', '0o17', '.5', '-1', '+1', '1:30', '2024-01-01',
  'a\tb', '\ta', 'a\t', 'a ', ' a', 'a\n', '\n', 'a\nb', 'a\r\nb', 'a\rb', '\u2028', 'a\u2029b', '\ufeffa', 'a\u0085', '\u007f', '\u009f', '\u00a0',
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001f', '\u001b[0m', 'é', 'aé', 'Ωmega', '日本', '😀', 'a😀b', '\ud800', 'a\udc00', '\ud83d',
  '\udc00\ud800', '\ud800\ud800\udc00', 'x\ud83d\ude00\ud800', 'a\u202eb', 'a\u200bb', '---', '...', '<<', 'a,b', '[a]', '{a}', "it's", 'say "hi"',
];
const CODES = [9, 10, 13, 32, 35, 43, 44, 45, 46, 47, 48, 57, 58, 61, 63, 64, 65, 90, 95, 96, 97, 122, 123, 126, 0, 1, 8, 11, 12, 27, 31, 127, 128, 133, 159, 160, 233, 0x2028, 0x2029, 0xfeff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0x202e, 0x3042];

function randomString(r: () => number): string {
  if (r() < 0.3) return HOSTILE[Math.floor(r() * HOSTILE.length)]!;
  let s = '';
  const n = Math.floor(r() * 10);
  for (let i = 0; i < n; i++) {
    const x = r();
    // Mostly name characters, so strings that are simple up to one late character are common.
    s += x < 0.6 ? 'abcXYZ019-._/=+@'[Math.floor(r() * 16)]! : x < 0.9 ? String.fromCharCode(CODES[Math.floor(r() * CODES.length)]!) : HOSTILE[Math.floor(r() * HOSTILE.length)]!;
  }
  return s;
}

describe('scalarClass', () => {
  it('decides every hostile string as the old regular expressions did', () => {
    for (const s of HOSTILE) expect([s, scalarClass(s)]).toEqual([s, oldClass(s)]);
  });

  it('decides 50,000 seeded strings as the old regular expressions did', () => {
    const r = seeded(2026120761);
    let simple = 0;
    let double = 0;
    for (let i = 0; i < 50_000; i++) {
      const s = randomString(r);
      const got = scalarClass(s);
      if (got !== oldClass(s)) expect([s, got]).toEqual([s, oldClass(s)]);
      if (got === SIMPLE) simple++;
      if (got & NEEDS_DOUBLE) double++;
    }
    // The draw covers both sides of every decision.
    expect(simple).toBeGreaterThan(1000);
    expect(double).toBeGreaterThan(1000);
  });

  it('a lone surrogate anywhere needs double quotes; a pair does not', () => {
    expect(scalarClass('a\ud83d\ude00')).toBe(0);
    expect(scalarClass('a\ud83d')).toBe(NEEDS_DOUBLE);
    expect(scalarClass('\ude00a')).toBe(NEEDS_DOUBLE);
    expect(scalarClass('\ud83d\ud83d\ude00')).toBe(NEEDS_DOUBLE);
  });

  it('the writer output of seeded strings as values and keys reads back as the strings (YAML 1.1 and 1.2)', () => {
    const r = seeded(2026120762);
    for (let i = 0; i < 3000; i++) {
      const s = randomString(r);
      // Lone surrogates are not representable in the text a parser reads back.
      if (/\p{Cs}/u.test(s)) continue;
      const text = toYaml({ [s]: s, list: [s] });
      for (const version of ['1.1', '1.2'] as const) expect([s, parse(text, { version })]).toEqual([s, { [s]: s, list: [s] }]);
    }
  });
});
