import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * The job settings of the chart's `runners.config` are what its jobs run with, whether or not the
 * rest of the chain is in the files given:
 * - the chart registers the runner with `--executor` from `runners.executor` (default "kubernetes"),
 *   so a template that writes no `executor` (the chart's own example) still runs its
 *   `[runners.kubernetes]` settings: `privileged = true` there is RF301;
 * - a chain that stops before its proofs (the manager's role not given, the usual case for values
 *   kept apart from the IAM) still deploys that config.toml: its privileged jobs and its service
 *   account overwrite are said, as for a config.toml no manager took.
 */

const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'irsa-guide-sound');
const enc = (s: string) => new TextEncoder().encode(s);

/** The sound IRSA case's files, its values changed by `edit`; `withIam: false` leaves the roles out. */
function run(edit: (values: string) => string, withIam = true): DoctorResult {
  const files: { path: string; bytes: Uint8Array }[] = [];
  files.push({ path: 'values.yaml', bytes: enc(edit(readFileSync(join(CASE, 'values.yaml'), 'utf8'))) });
  files.push({ path: 'k8s.yaml', bytes: readFileSync(join(CASE, 'k8s.yaml')) });
  if (withIam) for (const f of readdirSync(join(CASE, 'iam'))) files.push({ path: `iam/${f}`, bytes: readFileSync(join(CASE, 'iam', f)) });
  return doctor(files);
}

const noExecutor = (v: string) => v.replace('      executor = "kubernetes"\n', '');
const privileged = (v: string) => v.replace('privileged = false', 'privileged = true');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

describe('runners.config without an executor runs the chart\'s executor', () => {
  const values = privileged(noExecutor(readFileSync(join(CASE, 'values.yaml'), 'utf8')));

  it('privileged = true in [runners.kubernetes] is RF301 at its line, the chain proven', () => {
    const r = run((v) => privileged(noExecutor(v)));
    expect(r.proofs.length).toBeGreaterThan(0);
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.path).toBe(`values.yaml:${lineOf(values, 'privileged = true')}:9`);
  });

  it('privileged = false is not (guard)', () => {
    expect(codes(run(noExecutor), 'RF301')).toEqual([]);
  });

  it('runners.executor in the values names another executor: the doctor says it reads Kubernetes runners, not RF301', () => {
    const r = run((v) => privileged(noExecutor(v)).replace('runners:\n', 'runners:\n  executor: docker\n'));
    expect(codes(r, 'RF301')).toEqual([]);
    expect(r.findings.some((f) => f.code === 'RF902' && f.message.includes('"docker" executor'))).toBe(true);
  });
});

describe('a chain not proven still has its job settings checked', () => {
  it('the manager role not given: privileged = true is RF301, naming the runner and saying the chain is not proven', () => {
    const r = run(privileged, false);
    expect(r.proofs).toEqual([]);
    const rf301 = codes(r, 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.message).toContain('its chain is not proven');
    expect(rf301[0]!.path).toMatch(/^values\.yaml:\d+:9$/);
  });

  it('the same without an executor in runners.config', () => {
    expect(codes(run((v) => privileged(noExecutor(v)), false), 'RF301')).toHaveLength(1);
  });

  it('service_account_overwrite_allowed = ".*" is RF107 at its key', () => {
    const r = run((v) => v.replace('privileged = false', 'privileged = false\n        service_account_overwrite_allowed = ".*"'), false);
    const rf107 = codes(r, 'RF107');
    expect(rf107).toHaveLength(1);
    expect(rf107[0]!.message).toContain('its chain is not proven');
  });

  it('sound settings are said nothing of (guard)', () => {
    const r = run((v) => v, false);
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF107')).toEqual([]);
  });
});
