import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { writeToml } from '../src/emit/toml/writer.js';
import { parseTomlText, readWrittenToml, tomlDifference, tomlPathText } from '../src/verify/toml-read.js';
import { planText } from '../src/core.js';
import { seeded } from './helpers/rng.js';

// The chain proofs' TOML reader (src/verify/toml-read.ts) against smol-toml's parser: on seeded
// documents runner-fleet's writer wrote, and on the same texts damaged, the fast reader either
// gives up or returns exactly what smol-toml returns; parseTomlText (reader, then smol-toml)
// returns what smol-toml returns, or throws where it throws.

const STRINGS = [
  '', ' ', 'a', 'a b', 'key', 'Key_9-x', 'a.b', 'a=b', '"', "'", '\\', '\\"', 'say "hi"', 'tab\there', 'line1\nline2', 'cr\r\n', '\u0000', '\u0007', '\b\f',
  '\u001f', '\u007f', '\u0080', 'é', '日本語', '😀', 'lone\ud800', '$CI_SERVER_TOKEN', '/opt/gitlab-runner/builds', '[table]', '[[runners]]', '# comment', 'x = 1', '0', '1e3', 'true', 'inf', '\u2028', '\ufeff',
];
const KEYS = ['a', 'name', 'url', 'log_level', 'check-interval', 'A9', '_', '-', '0', 'a.b', 'with space', '', '"q"', 'é', 'runners', 'kubernetes', '__proto__', 'constructor'];
const NUMBERS = [0, 1, -1, 42, 3600, 1.5, -0.25, 1e21, 1e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 123.456e10];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 4 || x < 0.5) {
    const y = r();
    return y < 0.6 ? pick(r, STRINGS) : y < 0.85 ? pick(r, NUMBERS) : r() < 0.5;
  }
  if (x < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  // Arrays of tables, as config.toml's [[runners]]; and inline tables inside arrays.
  if (x < 0.75) return Array.from({ length: Math.floor(r() * 3) }, () => table(r, depth + 1));
  if (x < 0.8) return [value(r, depth + 1), table(r, depth + 1)];
  return table(r, depth + 1);
}

function table(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) Object.defineProperty(o, pick(r, KEYS), { value: value(r, depth + 1), enumerable: true, writable: true, configurable: true });
  return o;
}

/** The text with one piece of damage: TOML-significant characters inserted or deleted, lines repeated, swapped or cut. */
function damage(r: () => number, text: string): string {
  const at = Math.floor(r() * (text.length + 1));
  const lines = text.split('\n');
  const l = Math.floor(r() * lines.length);
  switch (Math.floor(r() * 7)) {
    case 0:
      return text.slice(0, at) + pick(r, ['[', ']', '"', '=', '.', ',', ' ', '\n', '{', '}', '\\', '#', "'", '-', '0', 'e', '\t', '\u007f', '\ud800']) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    case 2:
      return [...lines.slice(0, l + 1), lines[l]!, ...lines.slice(l + 1)].join('\n');
    case 3: {
      const m = Math.floor(r() * lines.length);
      const out = [...lines];
      [out[l], out[m]] = [out[m]!, out[l]!];
      return out.join('\n');
    }
    case 4:
      return text.slice(0, at);
    case 5:
      // A header repeated at the end: tables defined twice, arrays of tables extended.
      return `${text}\n${lines.find((x) => x.startsWith('[')) ?? '[a]'}\n${pick(r, ['a = 1', 'name = "x"', ''])}\n`;
    default:
      return `${pick(r, ['[a]\n', '[[a]]\n', 'a = 1\n', 'a = {}\n', 'a = []\n', '[a.b]\n', '"" = 1\n'])}${text}`;
  }
}

/**
 * A value as plain data for comparison, prototypes included: keys such as `constructor` and
 * `__proto__` (own properties here) would confuse a structural matcher.
 */
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return ['array', v.map(canon)];
  if (v !== null && typeof v === 'object') return [Object.getPrototypeOf(v) === null ? 'null-prototype' : 'object', Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])];
  return Object.is(v, -0) ? '-0' : v;
}

function library(text: string): { value: unknown } | { error: true } {
  try {
    return { value: canon(parse(text)) };
  } catch {
    return { error: true };
  }
}

function ours(text: string): { value: unknown } | { error: true } {
  try {
    return { value: canon(parseTomlText(text)) };
  } catch {
    return { error: true };
  }
}

describe('TOML reader for written documents', () => {
  it('reads what smol-toml reads, on 1,500 seeded written documents and 3,000 damaged ones', () => {
    const r = seeded(11);
    let read = 0;
    let gaveUp = 0;
    let damagedRead = 0;
    for (let i = 0; i < 1500; i++) {
      const text = writeToml(table(r, 0));
      if (text === undefined) continue;
      const fast = readWrittenToml(text);
      if (fast === undefined) gaveUp++;
      else {
        read++;
        expect(canon(fast), text).toEqual(canon(parse(text)));
      }
      for (let d = 0; d < 2; d++) {
        const broken = damage(r, text);
        const quick = readWrittenToml(broken);
        const lib = library(broken);
        if (quick !== undefined) {
          damagedRead++;
          expect(lib, broken).toEqual({ value: canon(quick) });
        }
        expect(ours(broken), broken).toEqual(lib);
      }
    }
    // The fast path takes nearly every written document, and damaged ones both ways.
    expect(read).toBeGreaterThan(1300);
    expect(gaveUp).toBeLessThan(read / 20);
    expect(damagedRead).toBeGreaterThan(300);
  });

  it.each([
    ['a key defined twice', 'a = 1\na = 2\n'],
    ['a table defined twice', '[a]\nx = 1\n\n[a]\ny = 2\n'],
    ['a header into an inline table', 'a = { b = 1 }\n\n[a.c]\nx = 1\n'],
    ['a header into a static array', 'a = [ 1 ]\n\n[[a]]\nx = 1\n'],
    ['an array of tables over a table', '[a]\nx = 1\n\n[[a]]\ny = 1\n'],
    ['a duplicate key in an inline table', 'a = { b = 1, b = 2 }\n'],
    ['a lone surrogate escape', 'a = "\\ud800"\n'],
    ['an unsafe integer', 'a = 12345678901234567890\n'],
  ])('gives up, and smol-toml refuses too: %s', (_what, text) => {
    expect(readWrittenToml(text)).toBeUndefined();
    expect(() => parseTomlText(text)).toThrow();
  });

  it.each([
    ['a comment', 'a = 1 # one\n', { a: 1 }],
    ['a literal string', "a = 'x'\n", { a: 'x' }],
    ['other spacing', 'a=1\n', { a: 1 }],
    ['a dotted key', 'a.b = 1\n', { a: { b: 1 } }],
    ['minus zero', 'a = -0\n', { a: 0 }],
  ])('leaves valid TOML outside its subset to smol-toml: %s', (_what, text, expected) => {
    expect(readWrittenToml(text)).toBeUndefined();
    expect(JSON.parse(JSON.stringify(parseTomlText(text)))).toEqual(expected);
  });

  it('reads every chart runners.config the examples emit without falling back', () => {
    let n = 0;
    for (const file of readdirSync('examples').filter((f) => /^(eks|aks)-.*\.yaml$/.test(f))) {
      const plan = planText(readFileSync(`examples/${file}`, 'utf8'), `examples/${file}`);
      for (const runner of plan.emitted?.runners.values() ?? []) {
        if (runner.helmRunnerToml === undefined) continue;
        n++;
        const fast = readWrittenToml(runner.helmRunnerToml);
        expect(fast, `${file}: ${runner.helmRunnerToml}`).toBeDefined();
        expect(canon(fast)).toEqual(canon(parse(runner.helmRunnerToml)));
      }
    }
    expect(n).toBeGreaterThan(5);
  });
});

describe('tomlDifference (one comparison for the doctor and the VM user-data check)', () => {
  it('finds the first differing path, in the first document\'s key order, and nothing for equal documents', () => {
    const a = parseTomlText('[[runners]]\nname = "a"\n[runners.docker]\nvolumes = ["/cache"]\nprivileged = false\n');
    expect(tomlDifference(a, parseTomlText('[[runners]]\nname = "a"\n[runners.docker]\nvolumes = ["/cache"]\nprivileged = false\n'))).toBeUndefined();
    const more = tomlDifference(a, parseTomlText('[[runners]]\nname = "a"\n[runners.docker]\nvolumes = ["/cache", "/var/run/docker.sock:/var/run/docker.sock"]\nprivileged = true\n'));
    expect(more).toEqual({ path: ['runners', 0, 'docker', 'volumes', 1], a: undefined, b: '/var/run/docker.sock:/var/run/docker.sock' });
    expect(tomlPathText(more!.path)).toBe('runners[0].docker.volumes[1]');
    const key = tomlDifference(a, parseTomlText('[[runners]]\nname = "a"\n[runners.docker]\nvolumes = ["/cache"]\nprivileged = false\nnetwork_mode = "host"\n'));
    expect(tomlPathText(key!.path)).toBe('runners[0].docker.network_mode');
    expect(tomlPathText(['runners', 0, 'kubernetes', 'pod_labels', 'app.kubernetes.io/part-of'])).toBe('runners[0].kubernetes.pod_labels."app.kubernetes.io/part-of"');
    expect(tomlDifference(parseTomlText('d = 1979-05-27'), parseTomlText('d = 1979-05-27'))).toBeUndefined();
    expect(tomlDifference(parseTomlText('d = 1979-05-27'), parseTomlText('d = 1979-05-28'))?.path).toEqual(['d']);
  });
});
