import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseNames } from './helpers/corpus-case.js';

/**
 * Hand-made deployments written from public documentation patterns (EKS IRSA guide, gitlab-runner
 * chart values, eksctl iamserviceaccount, typical blog setups with their drifts, a hand-written EC2
 * runner). Each folder's expected.json lists the error and warning findings: code and file:line:col.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');


const cases = caseNames(CORPUS);

describe.each(cases)('doctor corpus: %s', (name) => {
  it('reports exactly the expected findings, at their positions', () => {
    const expected = JSON.parse(readFileSync(join(CORPUS, name, 'expected.json'), 'utf8')) as { findings: { code: string; at: string }[] };
    const r = doctor(corpusFiles(join(CORPUS, name)));
    const got = r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`).sort();
    expect(got).toEqual(expected.findings.map((f) => `${f.code} ${f.at}`).sort());
    for (const f of expected.findings) expect(f.at).toMatch(/:\d+:\d+$/);
    expect(r.exitCode).toBe(expected.findings.length > 0 && r.findings.some((f) => f.severity === 'error') ? 1 : 0);
  });
});
