import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { plainYamlLocator, readPlainYaml } from '../src/spec/plain-yaml.js';
import { plainYamlLocate, plainYamlOffsets, readPlainYaml as oracleRead } from './helpers/plain-yaml-oracle.js';
import { seeded } from './helpers/rng.js';
import { SourceFile } from '../src/doctor/source.js';
import { exampleFiles, exampleNames } from './helpers/fleet.js';

/** What the doctor read before the fast reader: the library's documents, or its first error. */
function library(text: string): unknown[] | 'error' {
  const docs = parseAllDocuments(text, { uniqueKeys: false, version: '1.2' });
  if (!Array.isArray(docs)) return [];
  if (docs.some((d) => d.errors.length > 0)) return 'error';
  return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFilesUnder(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

describe('the plain YAML reader reads what the yaml library reads, or leaves the file to it', () => {
  it.each(exampleNames())('every YAML file of the synth output of %s: same values, none left to the library', (name) => {
    const files = exampleFiles(name).filter((f) => /\.ya?ml$/.test(f.path));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const fast = readPlainYaml(f.content);
      expect(fast, f.path).toBeDefined();
      expect(fast, f.path).toStrictEqual(library(f.content));
    }
  });

  it('the doctor corpus and the examples: same values wherever the fast reader answers', () => {
    const paths = [...yamlFilesUnder('test/doctor'), ...yamlFilesUnder('examples')];
    expect(paths.length).toBeGreaterThan(30);
    let answered = 0;
    for (const p of paths) {
      const text = readFileSync(p, 'utf8');
      const fast = readPlainYaml(text);
      if (fast === undefined) continue;
      answered++;
      expect(fast, p).toStrictEqual(library(text));
    }
    // Most hand-written files are plain block YAML too.
    expect(answered).toBeGreaterThan(paths.length / 2);
  });

  // [case, whether the fast reader must answer it]
  const CASES: [string, boolean][] = [
    ['a: 1\nb: true\nc: ~\nd: null\ne: False\nf: text with spaces\n', true],
    ['a: "x\\ty\\u00e9\\x41\\"\\\\ \\/"\nb: \'it\'\'s\'\n', true],
    ['a: x # comment\n# whole line\nb: "y" # c\n', true],
    ['a:\n  - 1\n  - two\n  -\n    k: v\n  - k: v\n    l: w\n', true],
    ['a:\n- compact\n- seq\nb: 2\n', true],
    ['- a\n- - nested\n', false],
    ['k:\n  - name: x\n    args:\n    - a\n    - b\n  - name: y\n', true],
    ['a: |\n  line 1\n\n  line 3\n\nb: |-\n  kept\n  # not a comment\nc: 3\n', true],
    ['a: |\n    deeper\n  shallower\n', false],
    ['a: >\n  folded\n', false],
    ['a: |+\n  keep\n\n', false],
    ['a: |2\n   x\n', false],
    ['a: |\n  no newline at the end', false],
    ['a: []\nb: {}\nc: [1, "two", \'three\', four five]\nd: [ x ]\n', true],
    ['a: [1, [2]]\n', false],
    ['a: [1, 2,]\n', false],
    ['a: [1, 2\n', false],
    ['a: [x #c]\n', false],
    ['a: [1.5]\n', false],
    ['a: {b: 1}\n', false],
    ['a: &x 1\nb: *x\n', false],
    ['a: !!str 1\n', false],
    ['a: plain\n  continued\n', false],
    ['a: "open\n  close"\n', false],
    ['a: 1\na: 2\n', false],
    ['1: a\n', false],
    ['true: a\n', false],
    ['a: 1.5\nb: 0x1F\n', false],
    ['a: -1\n', false],
    ['a: 007\nb: 123456789012345\n', true],
    ['a: 1234567890123456789\n', false],
    ['a:\tb\n', false],
    ['a: 1\r\nb: 2\r\n', false],
    ['---\na: 1\n---\nb: 2\n', true],
    ['# head\n---\na: 1\n', true],
    ['a: 1\n---\n', false],
    ['---\n---\na: 1\n', false],
    ['%YAML 1.2\n---\na: 1\n', false],
    ['a: 1\n...\n', false],
    ['just a scalar\n', false],
    ['', false],
    ['# only a comment\n', false],
    ['a: b: c\n', false],
    ['a:\n  b: 1\n   c: 2\n', false],
    ['a:\n   b: 1\n  c: 2\n', false],
    ['  a: 1\n', false],
    ['"quoted key": 1\n\'single\': 2\nurl: https://example.com:443/x\n', true],
    ['__proto__: 1\n', false],
    ['a: "\\q"\n', false],
    ['a: x#not-a-comment\n', true],
    ['- a: 1\n  b:\n- c\n', true],
    ['a:\n  b:\n    c:\n      d: deep\ne: 1\n', true],
    ['a: -x\nb: --flag\nc: .hidden/\nd: 1Gi\ne: :x\n', true],
    ['a: - x\n', false],
    ['a: "x": y\n', false],
    ['? complex\n: key\n', false],
  ];
  /** The fast reader answers with the library's value, or leaves the text to it; never a value where the library errs. */
  function expectCase(text: string, answers: boolean, options: Parameters<typeof readPlainYaml>[1] = {}): void {
    const fast = readPlainYaml(text, options);
    const lib = library(text);
    if (answers) {
      expect(fast).toBeDefined();
      expect(fast).toStrictEqual(lib);
    } else expect(fast).toBeUndefined();
    if (lib === 'error') expect(fast).toBeUndefined();
  }
  it.each(CASES)('%j', (text, answers) => expectCase(text, answers));

  // Fleet specs' one-line flow collections, read only with `flowMappings` (the spec reader's).
  const FLOW_CASES: [string, boolean][] = [
    ['placement: { cluster: devops, namespace: ci-build }\ncache: { name: shared, shared: true }\n', true],
    ['a: {b: 1}\nc: { d: "q: x", e: \'it\'\'s\', f: ~, g: 007 }\n', true],
    ['gitlab: { group: acme/platform, tags: [k8s, "build"] }\n', true],
    ['taints: [{ key: dedicated, value: ci, effect: NoSchedule }, { key: b, value: c }]\n', true],
    ['runners:\n  - { name: a, tags: [x] }\n  - name: b\n', true],
    ['a: { url: https://gitlab.com:443/x, size: 1Gi } # comment\n', true],
    ['a: { my key: v w , b: c}\n', true],
    ['a: {}\nb: [ ]\nc: [{}]\n', true],
    ['a: { b: { c: 1 } }\n', false],
    ['a: { b: [c, [d]] }\n', false],
    ['a: { b: 1, }\n', false],
    ['a: { b: 1, b: 2 }\n', false],
    ['a: { b }\n', false],
    ['a: { b: }\n', false],
    ['a: { b: , c: 1 }\n', false],
    ['a: { "b": 1 }\n', false],
    ['a: { b: 1 #c }\n', false],
    ['a: { b: 1\n  , c: 2 }\n', false],
    ['a: { b: 1 }x\n', false],
    ['a: { b: 1.5 }\n', false],
    ['a: { 1: b }\n', false],
    ['a: { true: b }\n', false],
    ['a: { __proto__: b }\n', false],
    ['a: { ? b : c }\n', false],
    ['a: { b: &x c }\n', false],
    ['a: &x 1\nb: { c: *x }\n', false],
    ['a: { b: !!str 1 }\n', false],
    ['a: { b:c: d }\n', false],
    ['a: { b: c: d }\n', false],
    ['a: { b: "c": d }\n', false],
    ['a: [{ b: 1 }, {c: 2},]\n', false],
    ['a: { b: -1 }\n', false],
    ['{ a: 1 }\n', false],
  ];
  it.each(FLOW_CASES)('with flow mappings: %j', (text, answers) => {
    expectCase(text, answers, { flowMappings: true });
    // The doctor's reader still leaves every flow mapping but {} to the library.
    if (/\{ *[^} ]/.test(text)) expect(readPlainYaml(text)).toBeUndefined();
  });

  it.each(exampleNames())('the example spec %s: read plain with flow mappings, same value as the library', (name) => {
    const text = readFileSync(`examples/${name}.yaml`, 'utf8');
    const fast = readPlainYaml(text, { flowMappings: true });
    expect(fast).toBeDefined();
    expect(fast).toStrictEqual(library(text));
  });

  it('4,000 seeded damages of the example specs: wherever the plain reader answers, the library reads the same value without errors', () => {
    const rnd = seeded(0xf10e);
    const texts = exampleNames().map((name) => readFileSync(`examples/${name}.yaml`, 'utf8'));
    const CHARS = [' ', ':', ',', '{', '}', '[', ']', '#', '"', "'", '-', '\n', 'x', '1', '.', '&', '*', '!', '|', '>', '?', '%', '@', '`', '\\', '~'];
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      let t = pick(texts);
      for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
        const at = Math.floor(rnd() * t.length);
        const op = rnd();
        if (op < 0.3) t = t.slice(0, at) + t.slice(at + 1);
        else if (op < 0.6) t = t.slice(0, at) + pick(CHARS) + t.slice(at);
        else if (op < 0.8) t = t.slice(0, at) + pick(CHARS) + t.slice(at + 1);
        else {
          const lines = t.split('\n');
          const a = Math.floor(rnd() * lines.length);
          if (op < 0.9) lines.splice(a, 0, lines[Math.floor(rnd() * lines.length)]!);
          else lines.splice(a, 1);
          t = lines.join('\n');
        }
      }
      const fast = readPlainYaml(t, { flowMappings: true });
      if (fast === undefined) {
        refused++;
        continue;
      }
      answered++;
      const lib = library(t);
      expect(lib, t).not.toBe('error');
      expect(fast, t).toStrictEqual(lib);
    }
    // Both paths are exercised: many damages still read (a changed name or value), many are refused.
    expect(answered).toBeGreaterThan(800);
    expect(refused).toBeGreaterThan(800);
  });

  it('deep nesting is left to the library (no stack overflow)', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expect(readPlainYaml(text)).toBeUndefined();
  });

  /** Every path into a value, plus a missing key and an index past the end under each container. */
  function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
    const out: (string | number)[][] = [at, [...at, 'no-such-key'], [...at, 0, 'deeper']];
    if (Array.isArray(v)) {
      out.push([...at, v.length]);
      v.forEach((x, i) => out.push(...paths(x, [...at, i])));
    } else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
    return out;
  }

  it('positions of plain-read files are the library\'s, for every path (synth output of three examples, the corpus)', () => {
    const texts: [string, string][] = [
      ...['eks-irsa', 'aks-workload-identity', 'ec2-docker'].flatMap((name) => exampleFiles(name).filter((f) => /\.ya?ml$/.test(f.path)).map((f): [string, string] => [f.path, f.content])),
      ...yamlFilesUnder('test/doctor').map((p): [string, string] => [p, readFileSync(p, 'utf8')]),
      ['cases.yaml', 'a:\n  b: 1\n  c:\n    - x\n    - k: v\n    -\n    - \n  d: |\n    t\n  e:\n  f:\n  - 1\n  g: "q"\n  h:   # empty\n  i: []\n---\n- a\n- b: {}\n'],
    ];
    let compared = 0;
    let answered = 0;
    for (const [path, text] of texts) {
      const docs = readPlainYaml(text);
      if (!docs) continue;
      const plain = new SourceFile(path, text, 'yaml');
      plain.adoptPlainYaml();
      const lib = new SourceFile(path, text, 'yaml');
      const offsets = plainYamlOffsets(text)!;
      const locator = plainYamlLocator(text);
      for (let d = 0; d <= docs.length; d++) {
        for (const p of paths(docs[d])) {
          expect(plain.locate(d, p), `${path} doc ${d} ${JSON.stringify(p)}`).toEqual(lib.locate(d, p));
          compared++;
          const at = locator.locate(d, p);
          expect(at, `${path} doc ${d} ${JSON.stringify(p)}`).toBe(plainYamlLocate(offsets, d, p));
          if (at !== undefined) answered++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    // The plain offsets answer most of them (the library is asked for empty values and what is under them).
    // The share follows the corpus's mix of files: with the corpus of 2026-12-03 evening it is 79.99 %
    // (22,685 of 28,358), where the Kubernetes manifests the new cases add are answered at 71 %; the
    // locator before and after 23b answers the same 20,527 of the corpus's 26,191 paths. 75 % keeps the
    // guard (a locator that gave up on a construct would fall far below) without tracking the mix.
    expect(answered).toBeGreaterThan(compared * 0.75);
  });

  /** A random value as generators write them: nested mappings and sequences, scalars of every kind the plain reader takes. */
  function randomValue(rnd: () => number, depth = 0): unknown {
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const r = rnd();
    if (depth > 4 || r < 0.35) return pick<unknown>(['x', 'two words', '', 'a: b', '# not a comment', 'it\'s', 'line 1\nline 2\n', 'line\n', 42, true, null, [], {}, ['a', 'b'], ['q r', 7], 'k8s:v1', '-dash', '"quoted"']);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 5); i > 0; i--) o[pick(['a', 'b', 'name', 'with space', 'x.y/z', 'c-d', `k${Math.floor(rnd() * 50)}`])] = randomValue(rnd, depth + 1);
    return o;
  }

  it('the locator answers as the first reader\'s offset tables (the oracle) on 300 seeded random files, every path', () => {
    const rnd = seeded(9);
    let files = 0;
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const docs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
        const v = randomValue(rnd);
        return v !== null && typeof v === 'object' && Object.keys(v).length > 0 ? v : { a: v };
      });
      const opts = { indentSeq: rnd() < 0.5, indent: rnd() < 0.7 ? 2 : 4, flowCollectionPadding: false };
      const text = `${rnd() < 0.3 ? '# head\n' : ''}${docs.map((d) => `${docs.length > 1 || rnd() < 0.5 ? '---\n' : ''}${yamlStringify(d, opts)}`).join('')}`;
      const read = oracleRead(text);
      if (!read) continue;
      expect(readPlainYaml(text), text).toStrictEqual(read);
      files++;
      const offsets = plainYamlOffsets(text)!;
      const locator = plainYamlLocator(text);
      for (let d = -1; d <= read.length; d++) {
        for (const p of paths(read[d])) {
          expect(locator.locate(d, p), `${text}\ndoc ${d} ${JSON.stringify(p)}`).toBe(plainYamlLocate(offsets, d, p));
          compared++;
        }
      }
    }
    expect(files).toBeGreaterThan(150);
    expect(compared).toBeGreaterThan(5000);
  });
});
