import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, CorpusCaseError, applyPatch, baseSpec, caseDir, caseFiles, caseNames } from './helpers/corpus-case.js';
import { corpusFiles } from './helpers/doctor.js';

/** The doctor corpus's base + patch format (test/doctor/corpus/README.md), on a corpus made here. */
function corpus(cases: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'runner-fleet-corpus-test-'));
  for (const [name, files] of Object.entries(cases)) {
    for (const [path, text] of Object.entries({ 'expected.json': '{"findings":[]}\n', ...files })) {
      mkdirSync(dirname(join(root, name, path)), { recursive: true });
      writeFileSync(join(root, name, path), text);
    }
  }
  return root;
}
const text = (files: Map<string, Buffer>) => Object.fromEntries([...files].map(([k, v]) => [k, v.toString('utf8')]));

const BASE_TF = ['resource "a" "one" {', '  x = 1', '}', '', 'resource "a" "two" {', '  y = 2', '}', '', 'resource "a" "three" {', '  z = 3', '}', ''].join('\n');

describe('applyPatch: a unified diff, applied strictly', () => {
  it('adds and removes lines in two hunks', () => {
    const patch = ['--- base/main.tf', '+++ case/main.tf', '@@ -1,3 +1,4 @@', ' resource "a" "one" {', '-  x = 1', '+  x = 10', '+  w = 0', ' }', '@@ -9,3 +10,2 @@', ' resource "a" "three" {', '-  z = 3', ' }', ''].join('\n');
    expect(applyPatch(BASE_TF, patch, 'here')).toBe(['resource "a" "one" {', '  x = 10', '  w = 0', '}', '', 'resource "a" "two" {', '  y = 2', '}', '', 'resource "a" "three" {', '}', ''].join('\n'));
  });

  it('adds after the last line, and to an empty hunk position (count 0)', () => {
    const patch = ['@@ -11,0 +12,2 @@', '+', '+output "o" { value = 1 }', ''].join('\n');
    expect(applyPatch(BASE_TF, patch, 'here')).toBe(`${BASE_TF}\noutput "o" { value = 1 }\n`);
  });

  it('"\\ No newline at end of file" on the new side drops the last newline', () => {
    const patch = ['@@ -10,2 +10,2 @@', '   z = 3', '-}', '+}', '\\ No newline at end of file', ''].join('\n');
    expect(applyPatch(BASE_TF, patch, 'here')).toBe(BASE_TF.slice(0, -1));
  });

  it('a context line that differs from the base: an error naming the place, the hunk, both lines', () => {
    const patch = ['@@ -1,3 +1,3 @@', ' resource "a" "one" {', '-  x = 1', '+  x = 10', ' }', '@@ -5,3 +5,3 @@', ' resource "a" "two" {', '-  y = 22', '+  y = 3', ' }', ''].join('\n');
    expect(() => applyPatch(BASE_TF, patch, 'corpus case c: main.tf.patch (base b)')).toThrow(new CorpusCaseError('corpus case c: main.tf.patch (base b): hunk 2 (@@ -5,3 +5,3 @@) does not apply: base line 6 is "  y = 2", the patch expects "  y = 22" (the base changed under the patch: remake the patch with diff -u)'));
  });

  it('no offset, no fuzz: a hunk one line off does not apply', () => {
    const patch = ['@@ -2,3 +2,3 @@', ' resource "a" "one" {', '-  x = 1', '+  x = 10', ' }', ''].join('\n');
    expect(() => applyPatch(BASE_TF, patch, 'p')).toThrow(/^p: hunk 1 \(@@ -2,3 \+2,3 @@\) does not apply: base line 2 is " {2}x = 1", the patch expects "resource \\"a\\" \\"one\\" {"/);
  });

  it('a hunk past the end, a count its header does not match, text that is no diff: errors', () => {
    expect(() => applyPatch(BASE_TF, '@@ -40,1 +40,1 @@\n-x\n+y\n', 'p')).toThrow('p: hunk 1 (@@ -40,1 +40,1 @@) does not apply: it starts at line 40, the base file has 11 lines');
    expect(() => applyPatch(BASE_TF, '@@ -1,2 +1,2 @@\n-resource "a" "one" {\n+resource "a" "uno" {\n', 'p')).toThrow('p: hunk 1 (@@ -1,2 +1,2 @@) has 1 base and 1 new lines, its header says 2 and 2');
    expect(() => applyPatch(BASE_TF, 'x = 1\n', 'p')).toThrow('p: line 1 is "x = 1" before the first hunk; a unified diff has only ---/+++ headers there');
    expect(() => applyPatch(BASE_TF, '--- a\n+++ b\n', 'p')).toThrow(/^p: no hunk/);
  });
});

describe('caseFiles: a case on a base', () => {
  const root = corpus({
    base: { 'main.tf': BASE_TF, 'values.yaml': 'a: 1\n', 'k8s/sa.yaml': 'kind: ServiceAccount\n' },
    patched: {
      'base.json': '{"base": "base", "removed": ["k8s/sa.yaml"]}\n',
      'main.tf.patch': ['--- base/main.tf', '+++ patched/main.tf', '@@ -5,3 +5,3 @@', ' resource "a" "two" {', '-  y = 2', '+  y = 20', ' }', ''].join('\n'),
      'values.yaml': 'a: 2\n',
      'extra.tf': 'locals {}\n',
    },
    chained: { 'base.json': '{"base": "patched"}\n' },
    orphan: { 'base.json': '{"base": "nowhere"}\n' },
    drifted: { 'base.json': '{"base": "base"}\n', 'main.tf.patch': '@@ -6,1 +6,1 @@\n-  y = 3\n+  y = 4\n' },
    'removes-missing': { 'base.json': '{"base": "base", "removed": ["gone.tf"]}\n' },
    'patches-missing': { 'base.json': '{"base": "base"}\n', 'gone.tf.patch': '@@ -1,1 +1,1 @@\n-a\n+b\n' },
    'both-ways': { 'base.json': '{"base": "base"}\n', 'main.tf': 'x\n', 'main.tf.patch': '@@ -1,1 +1,1 @@\n-resource "a" "one" {\n+resource "a" "uno" {\n' },
    'odd-field': { 'base.json': '{"base": "base", "remove": ["main.tf"]}\n' },
  });

  it('the base\'s files with the patch, the whole file replaced, the file added and the file removed, in walk order', () => {
    const files = caseFiles(join(root, 'patched'));
    expect([...files.keys()]).toEqual(['extra.tf', 'main.tf', 'values.yaml']);
    expect(text(files)).toEqual({ 'extra.tf': 'locals {}\n', 'main.tf': BASE_TF.replace('y = 2', 'y = 20'), 'values.yaml': 'a: 2\n' });
    expect(corpusFiles(join(root, 'patched')).map((f) => f.path)).toEqual(['extra.tf', 'main.tf', 'values.yaml']);
    expect(baseSpec(join(root, 'base'))).toBeUndefined();
  });

  it('a plain case is its files (expected.json aside), sub-folders in place of their names', () => {
    expect([...caseFiles(join(root, 'base')).keys()]).toEqual(['k8s/sa.yaml', 'main.tf', 'values.yaml']);
  });

  it('caseDir writes the case as a plain folder would hold it, its own expected.json included', () => {
    const dir = caseDir(join(root, 'patched'));
    expect(dir).not.toBe(join(root, 'patched'));
    expect(readdirSync(dir).sort()).toEqual(['expected.json', 'extra.tf', 'main.tf', 'values.yaml']);
    expect(readFileSync(join(dir, 'main.tf'), 'utf8')).toBe(BASE_TF.replace('y = 2', 'y = 20'));
    expect(caseDir(join(root, 'base'))).toBe(join(root, 'base'));
  });

  it('a base that names a base of its own is refused (no chains)', () => {
    expect(() => caseFiles(join(root, 'chained'))).toThrow('corpus case chained: its base patched names a base of its own; a base must be a plain case (no chains): name patched\'s base instead, or make patched plain');
  });

  it('a base that is not there, a base file changed under the patch, a removal or patch of a file the base lacks: errors naming the case', () => {
    expect(() => caseFiles(join(root, 'orphan'))).toThrow(`corpus case orphan: base.json names base "nowhere", and there is no case ${join(root, 'nowhere')} (a folder with an expected.json)`);
    expect(() => caseFiles(join(root, 'drifted'))).toThrow('corpus case drifted: main.tf.patch (base base): hunk 1 (@@ -6,1 +6,1 @@) does not apply: base line 6 is "  y = 2", the patch expects "  y = 3"');
    expect(() => caseFiles(join(root, 'removes-missing'))).toThrow('corpus case removes-missing: base.json removes "gone.tf", which base base does not have (it has: k8s/sa.yaml, main.tf, values.yaml)');
    expect(() => caseFiles(join(root, 'patches-missing'))).toThrow('corpus case patches-missing: gone.tf.patch patches gone.tf, which base base does not have');
    expect(() => caseFiles(join(root, 'both-ways'))).toThrow('corpus case both-ways: both main.tf.patch and a whole main.tf; give one of them');
    expect(() => caseFiles(join(root, 'odd-field'))).toThrow('corpus case odd-field: base.json: unknown field "remove"; allowed: base, removed');
  });
});

describe('the doctor corpus', () => {
  // A guard over the committed corpus: every case materialises (its base is there and plain, each patch applies).
  it.each(caseNames(CORPUS))('%s: its base is a plain case and its patches apply', (name) => {
    const dir = join(CORPUS, name);
    const spec = baseSpec(dir);
    if (spec !== undefined) expect(baseSpec(join(CORPUS, spec.base)), `${name}'s base ${spec.base}`).toBeUndefined();
    expect(caseFiles(dir).size).toBeGreaterThan(0);
  });
});
