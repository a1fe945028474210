import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { baseDeployment, deploymentFiles } from './helpers/doctor.js';
import type * as Format from '../src/doctor/format.js';

/**
 * An internal error (a bug: exit 70) while the doctor writes its SARIF report. The seam is this
 * file's mock of the report writer, which throws as a bug would; the command itself is unchanged.
 * A CI job that uploads the report must still get one valid SARIF document saying the analysis did
 * not finish, never an empty or half-written one (README: an internal error prints it on stdout).
 */
vi.mock('../src/doctor/format.js', async (importOriginal) => {
  const original = await importOriginal<typeof Format>();
  return {
    ...original,
    sarifReport: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'uri')");
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'rf-doctor-sarif-70-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deployment(): string {
  const root = join(dir, 'deployment');
  for (const f of deploymentFiles(baseDeployment())) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
  }
  return root;
}

interface Sarif {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: unknown[] } };
    invocations: { executionSuccessful: boolean; exitCode: number; exitCodeDescription: string; toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
    results: unknown[];
  }[];
}

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['doctor', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** One SARIF 2.1.0 document (§3.13 sarifLog: version, runs; §3.14 run: tool.driver.name; §3.20 invocation) that says the doctor failed with exit 70. */
function failedSarif(out: string): Sarif {
  expect(out.trim().startsWith('{')).toBe(true);
  const sarif = JSON.parse(out) as Sarif;
  expect(sarif.version).toBe('2.1.0');
  expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
  expect(sarif.runs).toHaveLength(1);
  const run0 = sarif.runs[0]!;
  expect(run0.tool.driver.name).toBe('runner-fleet doctor');
  expect(typeof run0.tool.driver.version).toBe('string');
  // No results: and the invocation says they are no clean bill.
  expect(run0.results).toEqual([]);
  expect(run0.invocations).toHaveLength(1);
  const inv = run0.invocations[0]!;
  expect(inv.executionSuccessful).toBe(false);
  expect(inv.exitCode).toBe(70);
  expect(inv.exitCodeDescription).toBe('internal error: the analysis did not finish');
  expect(inv.toolExecutionNotifications).toEqual([{ level: 'error', message: { text: "internal error: Cannot read properties of undefined (reading 'uri')" } }]);
  return sarif;
}

describe('doctor --format sarif: an internal error while the report is written', () => {
  const root = deployment();

  it('exit 70, one valid SARIF document on stdout with a failed invocation and exitCode 70, the error on stderr, no stack trace', async () => {
    const r = await run([root, '--format', 'sarif']);
    expect(r.code).toBe(70);
    failedSarif(r.out);
    expect(r.err).toContain("runner-fleet: internal error: Cannot read properties of undefined (reading 'uri')\nPlease report this");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('--format=sarif with --output: the report is on stdout (as the README says of an internal error), the --output file is not written half', async () => {
    const file = join(dir, 'doctor.sarif');
    const r = await run([root, '--format=sarif', '--output', file]);
    expect(r.code).toBe(70);
    failedSarif(r.out);
    expect(existsSync(file)).toBe(false);
  });
});
