import { describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments, isMap } from 'yaml';
import { SourceFile } from '../src/doctor/source.js';
import { plainYamlLocator } from '../src/spec/plain-yaml.js';

/**
 * Locating a finding per key of one large mapping (a ConfigMap or Secret of many credentials, a
 * values file): each lookup must not read the mapping's keys again. Counted in operations, never
 * timed: the pairs of the mapping read (JSON, through the yaml library), the characters of the
 * lines read (plain YAML, through the fast reader).
 */

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);

describe('locating many keys of one JSON mapping', () => {
  /** The JSON text of a ConfigMap with `n` data keys, its documents parsed with a line counter and the data mapping's pairs counted as they are read. */
  function configMap(n: number) {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'many' }, data: Object.fromEntries(keys(n).map((k) => [k, `value-${k}`])) }, null, 2);
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
    const docList = Array.isArray(docs) ? docs : [];
    const root = docList[0]!.contents;
    if (!isMap(root)) throw new Error('not a mapping');
    const data = root.items.find((p) => (p.key as { value?: unknown }).value === 'data')!.value;
    if (!isMap(data)) throw new Error('not a mapping');
    const read = { pairs: 0 };
    data.items = new Proxy(data.items, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) read.pairs++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const source = new SourceFile('cm.json', text, 'json');
    source.adoptYaml(docList, lines);
    return { text, source, read };
  }

  it('reads the pairs of the mapping once for all lookups (n lookups into n keys: linear, not quadratic)', () => {
    const n = 2000;
    const { text, source, read } = configMap(n);
    for (const k of keys(n)) source.locate(0, ['data', k]);
    expect(read.pairs).toBeLessThanOrEqual(2 * n);
    // Positions stay those of the values.
    const last = source.locate(0, ['data', `k${n - 1}`]);
    const line = text.split('\n')[last.line - 1]!;
    expect(line.slice(last.column - 1)).toBe(`"value-k${n - 1}"`);
  });

  it('keeps the first pair of a key written twice (as a lookup in written order)', () => {
    const text = '{\n  "data": {\n    "a": "one",\n    "a": "two"\n  }\n}\n';
    const source = new SourceFile('dup.json', text, 'json');
    expect(source.locate(0, ['data', 'a'])).toEqual({ file: 'dup.json', line: 3, column: 10 });
  });
});

describe('locating many keys of one plain YAML mapping', () => {
  /** Characters of the text read (String.prototype.charCodeAt, which the fast reader reads lines with) while locating every key of a mapping of `n` keys. */
  function charactersRead(n: number): number {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\ndata:\n${keys(n)
      .map((k) => `  ${k}: value-${k}\n`)
      .join('')}`;
    const locator = plainYamlLocator(text);
    const original = Object.getOwnPropertyDescriptor(String.prototype, 'charCodeAt')!;
    const read = (s: string, i: number): number => (original.value as (this: string, i: number) => number).call(s, i);
    let count = 0;
    Object.defineProperty(String.prototype, 'charCodeAt', {
      ...original,
      value(this: string, i: number) {
        count++;
        return read(this, i);
      },
    });
    try {
      for (const k of keys(n)) locator.locate(0, ['data', k]);
    } finally {
      Object.defineProperty(String.prototype, 'charCodeAt', original);
    }
    return count;
  }

  it('twice the keys (and twice the lookups) cost about twice the reading, not four times', () => {
    const small = charactersRead(500);
    const large = charactersRead(1000);
    expect(large / small).toBeLessThan(2.6);
  });

  it('finds each key at its value, the first of a key written twice, and nothing for a key not there', () => {
    const text = 'data:\n  a: one\n  b:\n    c: two\n  a: three\nlist:\n  - x\n  - y: 1\n';
    const locator = plainYamlLocator(text);
    const at = (path: (string | number)[]) => locator.locate(0, path);
    expect(at(['data', 'a'])).toBe(text.indexOf('one'));
    expect(at(['data', 'b', 'c'])).toBe(text.indexOf('two'));
    expect(at(['list', 1, 'y'])).toBe(text.indexOf('1\n'));
    expect(at(['data', 'zz'])).toBe(text.indexOf('a: one'));
    expect(at(['list', 2])).toBe(text.indexOf('- x'));
  });
});
