import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { CODES } from '../src/spec/codes.js';
import { DOCTOR_CASES, baseDeployment, deploymentFiles } from './helpers/doctor.js';

describe('doctor on a hand-wired IRSA deployment', () => {
  it('the base deployment proves its chain: no error, every proof holds', () => {
    const r = doctor(deploymentFiles(baseDeployment()));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => /^only .* can assume/.test(p.claim)).length).toBe(2);
    expect(r.proofs.some((p) => p.claim.includes('reads and writes runner/ in cache'))).toBe(true);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it.each(DOCTOR_CASES)('$code: $rule', ({ code, mutate }) => {
    const base = doctor(deploymentFiles(baseDeployment()));
    expect(base.findings.map((f) => f.code)).not.toContain(code);
    const d = baseDeployment();
    mutate(d);
    const r = doctor(deploymentFiles(d));
    const hit = r.findings.filter((f) => f.code === code);
    expect(hit.length, JSON.stringify(r.findings, null, 1)).toBeGreaterThan(0);
    // Findings about files point at file:line:column.
    for (const f of hit) if (f.path !== '') expect(f.path).toMatch(/:\d+:\d+$/);
    expect(r.exitCode).toBe(r.findings.some((f) => f.severity === 'error') ? 1 : 0);
    void CODES;
  });
});
