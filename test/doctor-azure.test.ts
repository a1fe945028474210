import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { CODES } from '../src/spec/codes.js';
import { AZURE_CORPUS } from './helpers/doctor-azure.js';

/**
 * Hand-made Azure deployments (test/doctor/azure/<case>/), written after public patterns: the Azure
 * Workload Identity quick start, the gitlab-runner chart on AKS, a typical blog setup. Each folder's
 * `expected.json` lists every finding (code and file:line:column, paths relative to the folder)
 * and the exit code.
 */
const CORPUS = AZURE_CORPUS;

interface Expected {
  exitCode: 0 | 1;
  findings: { code: string; at: string }[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const cases = readdirSync(CORPUS).sort();

describe.each(cases)('doctor over test/doctor/azure/%s', (name) => {
  const dir = join(CORPUS, name);
  const files: InputFile[] = walk(dir)
    .filter((p) => !p.endsWith('expected.json'))
    .sort()
    .map((p) => ({ path: relative(dir, p), bytes: new Uint8Array(readFileSync(p)) }));

  it('reports exactly the expected findings at their file:line:column', () => {
    const r = doctor(files);
    const got: Expected = { exitCode: r.exitCode, findings: r.findings.map((f) => ({ code: f.code, at: f.path })) };
    const file = join(dir, 'expected.json');
    if (process.env.UPDATE_DOCTOR_CORPUS === '1' || !existsSync(file)) {
      writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
      console.log(`${name}\n${r.findings.map((f) => `  ${f.severity} ${f.code} ${f.path} ${f.message}`).join('\n')}`);
    }
    const expected = JSON.parse(readFileSync(file, 'utf8')) as Expected;
    expect(got).toEqual(expected);
    for (const f of expected.findings) expect(Object.hasOwn(CODES, f.code), f.code).toBe(true);
  });
});
