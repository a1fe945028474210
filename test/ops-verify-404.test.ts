import { describe, expect, it } from 'vitest';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * What a 404 means around runner-fleet's token check (task 29b), from GitLab's own sources:
 * - POST /runners/verify (gitlabhq/gitlabhq lib/api/ci/runner.rb, `post '/verify'`): GitLab answers
 *   200 with the runner's details, 403 where `authenticate_runner!` finds no runner for the token
 *   (`forbidden! unless current_runner`: a token never issued, reset, revoked, or of a deleted
 *   runner), and 422 'Runner is orphaned'; doc/api/runners.md documents 200 and 403. GitLab itself
 *   never answers it 404: a 404 comes from the way there (a GitLab URL without the path GitLab is
 *   served under, a proxy in front of it).
 * - DELETE /runners/managers (GitLab 16.0, gitlab-org/gitlab!118212; lib/api/ci/runner.rb):
 *   `not_found!('Runner manager not found') unless runner_manager`, which GitLab's API helper renders
 *   as the message '404 Runner manager not found Not Found': the endpoint is there, and the runner
 *   has no manager by that system_id, so none is left behind. Another 404 (no such route: a GitLab
 *   before 16.0) leaves the check's manager in GitLab.
 * The double answers as GitLab does; the answers GitLab never gives are made by a stand-in for
 * what sits in front of it.
 */
const file = writeSpec(opsSpec());

async function registered(): Promise<Harness> {
  const h = harness(file, { tokenLifetimeMs: 30 * 86_400_000 });
  expect((await h.run('register', { approve: true })).code).toBe(0);
  h.double.verifyCalls = 0;
  return h;
}

const notFound = (message: string) => Promise.resolve(new Response(JSON.stringify({ message }), { status: 404, headers: { 'content-type': 'application/json' } }));

describe('POST /runners/verify answered 404: not the token, not a deleted runner; the way to GitLab', () => {
  it('status --verify-tokens says GitLab answers this call 200 or 403, so the 404 comes from the URL or a proxy', async () => {
    const h = await registered();
    const inner = h.double.fetch;
    h.world.fetch = (url, init) => (url.endsWith('/runners/verify') ? notFound('404 Not Found') : inner(url, init));
    const r = await h.run('status', { verifyTokens: true });
    const said = r.out + r.err;
    expect(said).toContain('GitLab answered 404 to POST /runners/verify');
    expect(said).toContain('GitLab itself answers POST /runners/verify 200, or 403 for a token it does not accept (never issued, reset, revoked, or of a deleted runner): a 404 is not about the token; it comes from the way to GitLab (the GitLab URL without the path GitLab is served under, or a proxy in front of it)');
    expect(said).not.toContain(CANARY);
  });
});

describe('DELETE /runners/managers answered 404 after the check', () => {
  it("GitLab's 'Runner manager not found': the endpoint is there and no manager is kept, so nothing is said to be kept", async () => {
    const h = await registered();
    const inner = h.double.fetch;
    // The manager the check made is gone before the DELETE (another run removed it): GitLab's own 404.
    h.world.fetch = (url, init) => {
      if (url.endsWith('/runners/managers') && init?.method === 'DELETE') for (const x of h.double.runners.values()) x.verifyManagers = {};
      return inner(url, init);
    };
    const r = await h.run('status', { verifyTokens: true });
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('GitLab keeps the runner manager');
    expect(h.double.managerDeletes.length).toBe(4);
  });

  it('a 404 from no such route (a GitLab before 16.0): the check\'s manager is kept, and said so once (passing twin)', async () => {
    const h = await registered();
    Object.assign(h.double.opts, { noManagerDeleteEndpoint: 404 });
    const r = await h.run('status', { verifyTokens: true });
    expect(r.code).toBe(0);
    expect(r.err.split('GitLab keeps the runner manager runner-fleet-verify').length - 1).toBe(1);
  });
});

const unprocessable = (message: string) => Promise.resolve(new Response(JSON.stringify({ message }), { status: 422, headers: { 'content-type': 'application/json' } }));

describe("POST /runners/verify answered 422 ('Runner is orphaned'): the token is known, its runner's project is gone", () => {
  it('status --verify-tokens says what GitLab means by it and what to do, not only the status', async () => {
    const h = await registered();
    const inner = h.double.fetch;
    // GitLab's unprocessable_entity!('Runner is orphaned') for a project runner whose project is gone.
    h.world.fetch = (url, init) => (url.endsWith('/runners/verify') ? unprocessable('Runner is orphaned') : inner(url, init));
    const r = await h.run('status', { verifyTokens: true });
    const said = r.out + r.err;
    expect(said).toContain('GitLab answered 422 to POST /runners/verify');
    expect(said).toContain('GitLab knows this token, but its runner is orphaned: a project runner whose owning project no longer exists, which takes no jobs. Delete the runner in GitLab and run runner-fleet register');
    expect(said).not.toContain(CANARY);
  });
});

