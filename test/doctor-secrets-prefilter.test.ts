import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { parse as parseToml, stringify as tomlStringify } from 'smol-toml';
import { findSecrets, mayHoldSecrets } from '../src/doctor/secrets.js';
import { seeded } from './helpers/rng.js';

/**
 * The secret scan walks a file's documents only when one test over its raw text (`mayHoldSecrets`)
 * says a credential could be in it. Oracle: the walk over every document, as before the prefilter.
 * Random documents with planted credentials and credential keys, written as YAML (plain, quoted,
 * folded, with hex escapes and escaped line breaks), JSON (with \u escapes) and TOML: wherever the
 * walk finds something, the prefilter must say so.
 */

// Fake credentials in the documented example shapes (never real keys).
const PLANTS = [
  'AKIAIOSFODNN7QW3RT5Y',
  'ASIAIOSFODNN7QW3RT5Y',
  'abc8Q~ExampleExampleExampleExampleExa',
  'glrt-EXAMPLEexampleEXAMPLE12',
  'GR1348941EXAMPLEexampleEXAMPLE',
  'glpat-EXAMPLEexample1234',
  '-----BEGIN RSA PRIVATE KEY-----',
  'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=' + 'A'.repeat(86) + '==',
];
const KEYS = ['AWS_SECRET_ACCESS_KEY', 'AccessKey', 'client_secret', 'ARM_CLIENT_SECRET', 'secret_key'];
const WORDS = ['runner', 'gitlab', 'ns-1', 'alpine:3.22', 'arn:aws:iam::123456789012:role/x', 'a b c', 'x=y', 'Q', '~', 'AKI', 'A-KIA', 'glrt', 'BEGIN', '-----', ''];

function randomDoc(rnd: () => number, depth = 0): unknown {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const scalar = (): string => {
    const r = rnd();
    if (r < 0.08) return pick(PLANTS);
    if (r < 0.12) return `${pick(KEYS)}=${pick(WORDS) || 'v'}`;
    if (r < 0.2) return `${pick(WORDS)} ${pick(PLANTS)} ${pick(WORDS)}`;
    return Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(WORDS)).join(rnd() < 0.5 ? ' ' : '');
  };
  if (depth > 3 || rnd() < 0.3) return scalar();
  if (rnd() < 0.3) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomDoc(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) {
    const r = rnd();
    const key = r < 0.15 ? pick(KEYS) : `k${Math.floor(rnd() * 100)}`;
    o[key] = r > 0.9 ? { name: pick(KEYS), value: scalar() } : randomDoc(rnd, depth + 1);
  }
  return o;
}

/** Letters written as escapes: `\x41` (YAML) or `\u0041` (JSON, YAML), so the raw text no longer spells them. */
function escapeSome(text: string, rnd: () => number, style: 'x' | 'u'): string {
  // Only inside double-quoted strings: outside them an escape would change the syntax.
  return text.replace(/"((?:[^"\\\n]|\\.)*)"/g, (_m, body: string) => {
    const out = body.replace(/[A-Za-z~=-]/g, (c) => (rnd() < 0.3 ? (style === 'x' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : c));
    return `"${out}"`;
  });
}

type Writer = (doc: unknown, rnd: () => number) => { text: string; read: (text: string) => unknown[] } | undefined;

const yamlRead = (text: string) => parseAllDocuments(text, { uniqueKeys: false }).map((d) => d.toJS() as unknown);
const WRITERS: [string, Writer][] = [
  ['YAML, plain', (doc) => ({ text: yamlStringify(doc), read: yamlRead })],
  ['YAML, folded at 20 columns', (doc) => ({ text: yamlStringify(doc, { lineWidth: 20, minContentWidth: 0 }), read: yamlRead })],
  ['YAML, double-quoted, folded (escaped line breaks)', (doc) => ({ text: yamlStringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 20, minContentWidth: 0 }), read: yamlRead })],
  ['YAML, double-quoted with \\x escapes', (doc, rnd) => ({ text: escapeSome(yamlStringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'QUOTE_DOUBLE', lineWidth: 0 }), rnd, 'x'), read: yamlRead })],
  ['JSON with \\u escapes', (doc, rnd) => ({ text: escapeSome(JSON.stringify(doc, null, 2), rnd, 'u'), read: (t) => [JSON.parse(t) as unknown] })],
  ['TOML', (doc) => (doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? { text: tomlStringify(doc), read: (t) => [parseToml(t)] } : undefined)],
];

describe('the secret scan prefilter never skips a file the walk finds a credential in', () => {
  it.each(WRITERS)('%s: 150 seeded random documents', (_name, write) => {
    const rnd = seeded(940);
    let found = 0;
    let skipped = 0;
    for (let i = 0; i < 150; i++) {
      const written = write(randomDoc(rnd), rnd);
      if (!written) continue;
      const docs = written.read(written.text);
      const walk = docs.flatMap((d) => findSecrets(d));
      const withPrefilter = mayHoldSecrets(written.text) ? walk : [];
      expect(withPrefilter, written.text).toEqual(walk);
      if (walk.length > 0) found++;
      else if (!mayHoldSecrets(written.text)) skipped++;
    }
    // The cases exercise both sides: credentials found, and files the prefilter spares the walk.
    expect(found).toBeGreaterThan(10);
    expect(skipped).toBeGreaterThan(10);
  });

  it.each([
    ['a key spelled with hex escapes', 'k: "\\x41KIAIOSFODNN7QW3RT5Y"\n'],
    ['a key name spelled with a unicode escape', '{"AWS_SECRET_ACCESS_KE\\u0059": "abc"}'],
    ['a token joined across an escaped line break', 'k: "glr\\\n  t-EXAMPLEexampleEXAMPLE12"\n'],
    ['a private key header folded over two lines', 'k: -----BEGIN RSA\n  PRIVATE KEY-----\n'],
  ])('%s is walked', (_name, text) => {
    const docs = yamlRead(text);
    expect(docs.flatMap((d) => findSecrets(d)).length).toBe(1);
    expect(mayHoldSecrets(text)).toBe(true);
  });

  it('plain generated documents without credentials are not walked', () => {
    expect(mayHoldSecrets('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: "a \\"b\\""\n')).toBe(false);
  });
});
