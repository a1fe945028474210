import { afterEach, describe, expect, it, vi } from 'vitest';
import { TextEncoder } from 'node:util';
import { readEvidence } from '../src/doctor/index.js';
import { SourceFile } from '../src/doctor/source.js';

/**
 * Stop 62: RF948's check (refusedNamespaceFindings, 62c) located every object's namespace before
 * asking whether Kubernetes refuses it. Locating a value of a plain-read YAML file walks the text to
 * its document, so a file of n documents took n² line steps: bench/doctor-yaml.js's 16,000
 * documents went from 432 to 4,061 ms of CPU. Now a name Kubernetes takes is not located at all; the
 * work is counted here (calls of SourceFile.locate), not timed.
 */
const doc = (i: number, ns: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-${i}\n  namespace: ${ns}\n`;
const file = (docs: string[]) => [{ path: 'all.yaml', bytes: new TextEncoder().encode(docs.join('---\n')) }];

describe('RF948 locates only the names Kubernetes refuses', () => {
  afterEach(() => vi.restoreAllMocks());

  it('2,000 documents in good namespaces: no RF948, and none of their namespaces or names located', () => {
    const locate = vi.spyOn(SourceFile.prototype, 'locate');
    const ev = readEvidence(file(Array.from({ length: 2000 }, (_, i) => doc(i, 'ci'))));
    expect(ev.findings.filter((f) => f.code === 'RF948')).toEqual([]);
    const ours = locate.mock.calls.filter(([, path]) => {
      const p = path.join('.');
      return p.endsWith('metadata.namespace') || p.endsWith('metadata.name');
    });
    // Before: 4,000 (each document's namespace and the ServiceAccount's name).
    expect(ours.length).toBe(0);
  });

  it('its twin: one refused namespace among them is still said, at its line', () => {
    const docs = Array.from({ length: 50 }, (_, i) => doc(i, i === 20 ? 'CI_Runners' : 'ci'));
    const ev = readEvidence(file(docs));
    const found = ev.findings.filter((f) => f.code === 'RF948');
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(`all.yaml:${20 * 6 + 5}:14`);
    expect(found[0]!.message).toContain('"CI_Runners"');
  });

  it('stop 63a: 2,000 documents all in a refused namespace: one RF948, and at most 9 of their namespaces located', () => {
    const locate = vi.spyOn(SourceFile.prototype, 'locate');
    const ev = readEvidence(file(Array.from({ length: 2000 }, (_, i) => doc(i, 'CI_Runners'))));
    const found = ev.findings.filter((f) => f.code === 'RF948');
    expect(found.map((f) => f.path)).toEqual(['all.yaml:5:14']);
    // Stop 64c: the others named by kind, name and line.
    expect(found[0]!.message).toContain('(and 1999 more places in this file that write it: ServiceAccount sa-1 (line 11), ServiceAccount sa-2 (line 17), ServiceAccount sa-3 (line 23), ServiceAccount sa-4 (line 29), ServiceAccount sa-5 (line 35), ServiceAccount sa-6 (line 41), ServiceAccount sa-7 (line 47), ServiceAccount sa-8 (line 53) and 1991 more)');
    // Before: 2,000 (each refused namespace located, one finding each).
    expect(locate.mock.calls.filter(([, path]) => path.join('.').endsWith('metadata.namespace')).length).toBeLessThanOrEqual(9);
  });
});
