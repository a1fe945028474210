import { describe, expect, it } from 'vitest';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * Every POST /user/runners of one entry times out before GitLab acts (the double answers nothing
 * and creates nothing). Each time register lists the entry's marker, finds no runner, and tries
 * again; after the last attempt the listing has shown that GitLab created none, so the error says
 * so (it said "the outcome … is unknown (GitLab may have created the runner …)", sending the user
 * to look for a runner that does not exist).
 */
const file = writeSpec(opsSpec());

describe('a create that never gets an answer, and GitLab created nothing', () => {
  it('the last failure says GitLab created no runner and nothing is left to repair', async () => {
    const h = harness(file);
    let posts = 0;
    h.double.script = (method, path) => (method === 'POST' && path === '/api/v4/user/runners' ? (posts++, 'timeout') : undefined);
    const r = await h.run('register', { approve: true });
    expect(r.code).toBe(1);
    expect(posts).toBeGreaterThan(1);
    expect(h.double.runners.size).toBe(0);
    // The step's failure, in the applied list on stdout: one per entry.
    expect(r.out.match(/failed {2}create \w+: creating the runner of/g)).toHaveLength(4);
    expect(r.out).toMatch(/creating the runner of \w+ was tried \d+ times and no answer said what GitLab did \(the last: [^)]*\); after each, listing runners with its marker found none, so GitLab created no runner and there is nothing to repair: run the same register again once POST \/user\/runners gets an answer/);
    expect(r.out).not.toMatch(/failed .*GitLab may have created the runner/);
    expect(r.out + r.err).not.toContain('CANARY');
  });

  it('twin: a create whose first answer is lost but which GitLab never made succeeds on the next try', async () => {
    const h = harness(file);
    let posts = 0;
    h.double.script = (method, path) => (method === 'POST' && path === '/api/v4/user/runners' && posts++ === 0 ? 'timeout' : undefined);
    const r = await h.run('register', { approve: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/no runner carries the marker of \w+: GitLab did not create it; creating again/);
    expect(r.err).not.toMatch(/created no runner and there is nothing to repair/);
    expect(h.double.runners.size).toBe(4);
  });
});
