import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mappingKeyProblems } from '../src/spec/yaml-keys.js';
import { readSpecText } from '../src/spec/reader.js';
import { yamlData } from '../src/doctor/yaml-data.js';

/**
 * One check of YAML mapping keys plain data cannot hold (a key twice in one mapping, a key that is a
 * list or a map), read by the spec reader and by the doctor's YAML inside Terraform, each in its words.
 */
const problems = (text: string) => mappingKeyProblems(parseDocument(text, { uniqueKeys: false }));

describe('mappingKeyProblems', () => {
  it('duplicates (at the second key) and collection keys, at any depth, in the order of the text', () => {
    const text = 'a: 1\nb:\n  - c: 1\n    c: 2\n  - ? [x, y]\n    : 3\na: 4\n{ k: v }: 5\n';
    expect(problems(text)).toEqual([
      { kind: 'duplicate', offset: text.indexOf('c: 2'), key: 'c' },
      { kind: 'collection', offset: text.indexOf('[x, y]'), key: '["x","y"]', shape: 'list' },
      { kind: 'duplicate', offset: text.lastIndexOf('a: 4'), key: 'a' },
      { kind: 'collection', offset: text.indexOf('{ k: v }'), key: '{"k":"v"}', shape: 'map' },
    ]);
  });

  it('an alias of a list or a map as a key is a collection key; an alias of a scalar is not (doctor fuzzer, seed 20264102: a process warning)', () => {
    const text = 'a: &l [1, 2]\nb: &m { k: v }\nc: &s word\nd:\n  *l : 1\n  *m : 2\n  *s : 3\n';
    expect(problems(text)).toEqual([
      { kind: 'collection', offset: text.indexOf('*l :'), key: '*l', shape: 'list' },
      { kind: 'collection', offset: text.indexOf('*m :'), key: '*m', shape: 'map' },
    ]);
    expect(() => yamlData('a: &x [1]\nb:\n  *x : 2\n', '1.2')).toThrow('a mapping key is a list or a map (*x), which plain data cannot hold');
    expect(readSpecText('a: &x { k: v }\nb:\n  *x : 2\n', 'f.yaml').findings?.[0]?.message).toMatch(/^f\.yaml:3:3: a mapping key is a map, not a name: \*x/);
  });

  it('a !!binary key, or a YAML 1.1 timestamp key, is no name either (doctor fuzzer, seed 20264102: "!!binary     type: RuntimeDefault" warned)', () => {
    const text = 'a:\n  !!binary aGVsbG8=: 1\n  b: 2\n';
    expect(problems(text)).toEqual([{ kind: 'collection', offset: text.indexOf('aGVsbG8='), key: 'aGVsbG8=', shape: 'binary value' }]);
    expect(() => yamlData(text, '1.2')).toThrow('a mapping key is a binary value (aGVsbG8=), which plain data cannot hold');
    expect(() => yamlData('2001-12-14: 1\n', '1.1')).toThrow('a mapping key is a date (2001-12-14), which plain data cannot hold');
    // The same key in YAML 1.2 is a string: no problem.
    expect(() => yamlData('2001-12-14: 1\n', '1.2')).not.toThrow();
    expect(readSpecText('a:\n  !!binary aGVsbG8=: 1\n', 'f.yaml').findings?.[0]?.message).toMatch(/^f\.yaml:2:12: a mapping key is a binary value, not a name/);
  });

  it('plain keys, once each, and equal keys in different mappings are no problem', () => {
    expect(problems('a: 1\nb: { a: 2 }\nc: [ { a: 3 }, { a: 4 } ]\n')).toEqual([]);
  });
});

describe('its two readers keep their own words', () => {
  it('spec: RF001 at the key, "appears twice" / "not a name"', () => {
    expect(readSpecText('a: 1\na: 2\n', 'f.yaml').findings?.[0]?.message).toBe('f.yaml:2:1: the key "a" appears twice in one mapping');
    expect(readSpecText('? [a, b]\n: 1\n', 'f.yaml').findings?.[0]?.message).toMatch(/^f\.yaml:1:3: a mapping key is a list, not a name: \["a","b"\]/);
  });

  it('doctor: the first collection key in the text, shortened to 40 characters', () => {
    expect(() => yamlData('a:\n  - { b: 1 }: 2\n? [c]\n: 3\n', '1.2')).toThrow('a mapping key is a list or a map ({"b":1}), which plain data cannot hold');
    expect(() => yamlData(`? [${'x'.repeat(50)}]\n: 1\n`, '1.2')).toThrow(`a mapping key is a list or a map (["${'x'.repeat(38)}…), which plain data cannot hold`);
  });
});
