import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { exampleValue } from './helpers/fleet.js';

/** What a new user's review (65e, stop 65) found the output does not tell yet (helper 66d). */

describe('RF703: a placeholder SHA-256 of the Fargate driver', () => {
  const withSha = (sha256: string) => {
    const s = exampleValue('ecs-fargate');
    s.runners[0].fargate.driver.sha256 = sha256;
    return planValue(s);
  };
  const PATH = 'runners[0].fargate.driver.sha256';
  it.each([['0'.repeat(64)], ['f'.repeat(64)]])('%s: a warning at the checksum, with the command that computes the real one; plan still exits 0', (sha) => {
    const plan = withSha(sha);
    const hit = plan.findings.filter((f) => f.code === 'RF703');
    expect(hit.map((f) => [f.path, f.severity, f.received])).toEqual([[PATH, 'warning', sha]]);
    expect(hit[0]!.message).toContain('stops booting');
    expect(hit[0]!.fix).toContain("'https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com/v0.5.0/fargate-linux-amd64' | sha256sum");
    expect(plan.exitCode).toBe(0);
  });
  it('a checksum of mixed digits says nothing (runner-fleet cannot tell a real one from a wrong one)', () => {
    const plan = withSha('0'.repeat(63) + '1');
    expect(plan.findings.filter((f) => f.code === 'RF703')).toEqual([]);
  });
});
