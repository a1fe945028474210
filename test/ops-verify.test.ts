import { describe, expect, it } from 'vitest';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';

/**
 * GitLab's POST /runners/verify (the runner's own token in the body): whose token a store holds
 * and when it expires, from GitLab itself. `rotate --if-expiring-within` asks it when neither the
 * store nor GET /runners/:id knows the expiry; `status --verify-tokens` asks it for every stored
 * token. And one rule for which expiry wins, in status and rotate: GitLab's, over the store's record.
 */
const file = writeSpec(opsSpec());

interface Row { name: string; tokenExpiresAt: string | null; tokenExpiry: string | null; tokenExpirySource: string | null; tokenExpiryMismatch?: string; store?: { state: string; detail: string; runnerId: number | null } }

async function registered(opts: { lifetimeMs?: number | null; detailsTokenExpiry?: boolean; forget?: boolean } = {}): Promise<Harness> {
  const h = harness(file, { tokenLifetimeMs: opts.lifetimeMs === undefined ? 30 * 86_400_000 : opts.lifetimeMs });
  Object.assign(h.double.opts, { detailsTokenExpiry: opts.detailsTokenExpiry === true });
  expect((await h.run('register', { approve: true })).code).toBe(0);
  if (opts.forget) for (const s of h.stores.values()) if (s.value) delete s.value.expiresAt;
  h.double.verifyCalls = 0;
  return h;
}

const k8sOf = (out: string) => (JSON.parse(out) as { runners: Row[] }).runners.find((r) => r.name === 'k8s')!;
const runnerOf = (h: Harness, name: string) => [...h.double.runners.values()].find((r) => r.token === h.stores.get(name)!.value!.token)!;

/** The one wording of a store whose token GitLab says is runner #other's while the store records #mine (status and rotate). */
const otherRunners = (other: number, mine: number) =>
  `holds the token of runner #${other} (GitLab says so: POST /runners/verify), but records it as the token of #${mine}, which is acme/k8s in GitLab: the manager that reads it runs as #${other}, and a token reset with it would reset #${other}, so runner-fleet does not rotate it. Empty this store and run runner-fleet register (it resets the token of #${mine} by id and stores it); if #${other} is a runner of yours, its own store needs that token`;

function noTokenAnywhere(h: Harness) {
  expect(h.output.join('\n')).not.toContain(CANARY);
  expect(h.double.urls.join('\n')).not.toContain(CANARY);
}

describe('rotate --if-expiring-within: POST /runners/verify when the store and GET /runners/:id do not know the expiry', () => {
  it('verify says the token expires after the window: not rotated (it was rotated "because unknown" before)', async () => {
    const h = await registered({ forget: true });
    const before = h.stores.get('k8s')!.value!.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/plan: nothing to do/);
    expect(h.stores.get('k8s')!.value!.token).toBe(before);
    expect(h.double.verifyCalls).toBe(1);
    noTokenAnywhere(h);
  });

  it('verify says it expires within the window: rotated, and the step names verify as the source', async () => {
    const h = await registered({ lifetimeMs: 3 * 86_400_000, forget: true });
    const before = h.stores.get('k8s')!.value!.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('rotate k8s');
    expect(r.out).toContain('token expires 2026-06-04T00:00:00.000Z (GitLab\'s POST /runners/verify); POST /runners/reset_authentication_token');
    expect(h.stores.get('k8s')!.value!.token).not.toBe(before);
    noTokenAnywhere(h);
  });

  it('without an access token (the scheduled pipeline): verify needs none, and settles it', async () => {
    const h = await registered({ forget: true });
    h.world.env = {};
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/plan: nothing to do/);
    expect(h.double.verifyCalls).toBe(1);
  });

  it('verify says the token never expires: not rotated', async () => {
    const h = await registered({ lifetimeMs: null, forget: true });
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.out).toMatch(/plan: nothing to do/);
  });

  it('GitLab refuses the stored token (reset elsewhere): the plan says so and repairs by id; the new token works', async () => {
    const h = await registered({ forget: true });
    const runner = runnerOf(h, 'k8s');
    Object.assign(runner, h.double.issueToken());
    const plan = await h.run('rotate', { ifExpiringWithin: '7d', runner: 'k8s' });
    expect(plan.out).toContain(`repair-token k8s #${runner.id}: GitLab refuses the stored token (POST /runners/verify answered 403: GitLab knows no runner by this token, which was reset, revoked or expired, or whose runner was deleted in GitLab): reset by id and store`);
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.stores.get('k8s')!.value!.token).toBe(runner.token);
    noTokenAnywhere(h);
  });

  it('the store holds the token of another runner but records this one: a conflict, and neither token is reset', async () => {
    const h = await registered({ forget: true });
    const mine = runnerOf(h, 'k8s');
    const other = h.double.seedRunner({ runner_type: 'instance_type', description: 'someone else' });
    const otherToken = other.token;
    const value = h.stores.get('k8s')!.value!;
    h.stores.get('k8s')!.value = { ...value, token: otherToken };
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`conflict k8s #${mine.id}: memory store of k8s ${otherRunners(other.id, mine.id)}`);
    expect(other.token).toBe(otherToken);
    expect(h.stores.get('k8s')!.value!.token).toBe(otherToken);
    noTokenAnywhere(h);
  });
});

describe('status --verify-tokens', () => {
  it('a token GitLab accepts: ok, and its expiry is GitLab\'s answer; without the flag no verify is made (GitLab counts it as a contact)', async () => {
    const h = await registered({ forget: true });
    expect((await h.run('status', {})).code).toBe(0);
    expect(h.double.verifyCalls).toBe(0);
    const r = await h.run('status', { json: true, verifyTokens: true });
    expect(r.code).toBe(0);
    expect(k8sOf(r.out)).toMatchObject({ tokenExpiresAt: '2026-07-01T00:00:00.000Z', tokenExpiry: 'expires', tokenExpirySource: 'gitlab', store: { state: 'ok' } });
    // One verify per API runner whose store holds its token.
    expect(h.double.verifyCalls).toBe(4);
    noTokenAnywhere(h);
  });

  it('a token GitLab refuses: "invalid", with the fix, exit 1', async () => {
    const h = await registered();
    const runner = runnerOf(h, 'k8s');
    Object.assign(runner, h.double.issueToken());
    const json = await h.run('status', { json: true, verifyTokens: true });
    expect(json.code).toBe(1);
    expect(k8sOf(json.out).store).toMatchObject({ state: 'invalid' });
    const text = await h.run('status', { verifyTokens: true });
    expect(text.out).toContain(`drift token store (invalid) memory store of k8s: holds a token GitLab refuses (POST /runners/verify answered 403: GitLab knows no runner by this token, which was reset, revoked or expired, or whose runner was deleted in GitLab), so the manager of #${runner.id} cannot take jobs with it: runner-fleet rotate --approve resets the token of #${runner.id} by id and stores the new one`);
    noTokenAnywhere(h);
  });

  it('a token of another runner recorded as this one\'s: "other-runner", said plainly, exit 1', async () => {
    const h = await registered();
    const mine = runnerOf(h, 'k8s');
    const other = h.double.seedRunner({ runner_type: 'instance_type', description: 'someone else' });
    h.stores.get('k8s')!.value = { ...h.stores.get('k8s')!.value!, token: other.token };
    const plain = await h.run('status', { json: true });
    expect(k8sOf(plain.out).store).toMatchObject({ state: 'ok' });
    const r = await h.run('status', { verifyTokens: true });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`drift token store (other-runner) memory store of k8s: ${otherRunners(other.id, mine.id)}\n`);
    noTokenAnywhere(h);
  });
});

describe('which expiry wins: GitLab\'s, in status and rotate alike', () => {
  it('the store records an expiry within the window, GitLab says later: status shows GitLab\'s and says both; rotate does not rotate', async () => {
    const h = await registered({ detailsTokenExpiry: true });
    h.stores.get('k8s')!.value!.expiresAt = '2026-06-03T00:00:00.000Z';
    const json = await h.run('status', { json: true });
    expect(json.code).toBe(0);
    const k8s = k8sOf(json.out);
    expect(k8s).toMatchObject({ tokenExpiresAt: '2026-07-01T00:00:00.000Z', tokenExpiry: 'expires', tokenExpirySource: 'gitlab' });
    expect(k8s.tokenExpiryMismatch).toContain('the token store records that the token expires 2026-06-03T00:00:00.000Z, GitLab says it expires 2026-07-01T00:00:00.000Z: GitLab\'s is used');
    const text = await h.run('status', {});
    expect(text.out).toContain('  token expiry: the token store records that the token expires 2026-06-03T00:00:00.000Z, GitLab says it expires 2026-07-01T00:00:00.000Z');
    const before = h.stores.get('k8s')!.value!.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.out).toMatch(/plan: nothing to do/);
    expect(r.err).toContain('GitLab says it expires 2026-07-01T00:00:00.000Z');
    expect(h.stores.get('k8s')!.value!.token).toBe(before);
    // The same instant written differently is no disagreement.
    h.stores.get('k8s')!.value!.expiresAt = '2026-07-01T00:00:00Z';
    expect(k8sOf((await h.run('status', { json: true })).out).tokenExpiryMismatch).toBeUndefined();
  });

  it('the store says never, GitLab says soon: both commands go by GitLab (rotated)', async () => {
    const h = await registered({ lifetimeMs: 3 * 86_400_000, detailsTokenExpiry: true });
    h.stores.get('k8s')!.value!.expiresAt = null;
    const k8s = k8sOf((await h.run('status', { json: true })).out);
    expect(k8s).toMatchObject({ tokenExpiry: 'expires', tokenExpiresAt: '2026-06-04T00:00:00.000Z', tokenExpirySource: 'gitlab' });
    expect(k8s.tokenExpiryMismatch).toContain('the token store records that the token never expires, GitLab says it expires 2026-06-04T00:00:00.000Z');
    const before = h.stores.get('k8s')!.value!.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.stores.get('k8s')!.value!.token).not.toBe(before);
  });
});

describe('POST /runners/verify under faults: the token stays in request bodies', () => {
  it('5xx, 429, timeouts and resets: verify is retried like a read, and no token reaches an output or a URL', async () => {
    const h = harness(file, { seed: 5, faultRate: 0.25 });
    expect((await h.run('register', { approve: true })).code).toBe(0);
    for (const s of h.stores.values()) if (s.value) delete s.value.expiresAt;
    const status = await h.run('status', { json: true, verifyTokens: true });
    expect(status.code).toBe(0);
    const rotate = await h.run('rotate', { approve: true, ifExpiringWithin: '7d' });
    expect(rotate.code).toBe(0);
    expect(rotate.out).toMatch(/plan: nothing to do/);
    expect(h.double.faultLog.length).toBeGreaterThan(0);
    expect(h.double.verifyCalls).toBeGreaterThanOrEqual(8);
    noTokenAnywhere(h);
  });
});

describe('plain rotate: whose token the store holds is asked before a reset with it', () => {
  // POST /runners/reset_authentication_token with a token resets the token's own runner: with
  // another runner's token in the store, it would break that runner and leave this one as it was.
  for (const access of [true, false]) {
    it(`the store holds another runner's token but records this one (${access ? 'with' : 'without'} an access token): a conflict, nothing reset or written, exit 1`, async () => {
      const h = await registered();
      const mine = runnerOf(h, 'k8s');
      const mineToken = mine.token;
      const other = h.double.seedRunner({ runner_type: 'instance_type', description: 'someone else' });
      const otherToken = other.token;
      h.stores.get('k8s')!.value = { ...h.stores.get('k8s')!.value!, token: otherToken };
      const held = structuredClone(h.stores.get('k8s')!.value);
      if (!access) h.world.env = {};
      const r = await h.run('rotate', { approve: true, runner: 'k8s' });
      expect(r.code).toBe(1);
      expect(r.out).toContain(`failed  conflict k8s #${mine.id}: rotate refused: memory store of k8s ${otherRunners(other.id, mine.id)}\n`);
      expect(other.token).toBe(otherToken);
      expect(mine.token).toBe(mineToken);
      expect(h.stores.get('k8s')!.value).toEqual(held);
      noTokenAnywhere(h);
    });
  }

  it('a GitLab whose verify names no runner (before 15.10): with an access token the reset is by id; without one, with the stored token, said on stderr', async () => {
    for (const access of [true, false]) {
      const h = await registered();
      Object.assign(h.double.opts, { verifyBare: true });
      if (!access) h.world.env = {};
      const mine = runnerOf(h, 'k8s');
      const r = await h.run('rotate', { approve: true, runner: 'k8s' });
      expect(r.code).toBe(0);
      expect(h.stores.get('k8s')!.value!.token).toBe(mine.token);
      expect(r.err).toContain(access ? `GitLab's POST /runners/verify does not say whose the stored token of k8s is (GitLab before 15.10); resetting #${mine.id} by runner id` : `and without an access token #${mine.id} cannot be reset by id: resetting with the stored token, recorded as #${mine.id}'s`);
      expect(h.double.urls.some((u) => u.endsWith(`/runners/${mine.id}/reset_authentication_token`))).toBe(access);
      noTokenAnywhere(h);
    }
  });

  it('the store holds this runner\'s token: verified, then reset with it; the new token works', async () => {
    const h = await registered();
    const mine = runnerOf(h, 'k8s');
    const r = await h.run('rotate', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.double.verifyCalls).toBe(1);
    expect(h.stores.get('k8s')!.value!.token).toBe(mine.token);
    noTokenAnywhere(h);
  });
});

describe('rotate waits for the restarted manager, not for verify\'s contact', () => {
  it('a GitLab without GET /runners/:id/managers (404): the runner\'s contact is read, as before the verify', async () => {
    const h = await registered();
    const inner = h.double.fetch;
    h.world.fetch = (url, init) => (/\/runners\/\d+\/managers/.test(url) ? Promise.resolve(new Response(JSON.stringify({ message: '404 Not Found' }), { status: 404, headers: { 'content-type': 'application/json' } })) : inner(url, init));
    h.clock.t += 60_000;
    const r = await h.run('rotate', { approve: true, runner: 'k8s', json: true });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { results: { detail: string }[] }).results[0]!.detail).toMatch(/manager restarted and online with the new token/);
    noTokenAnywhere(h);
  });
});

describe('status after a token check on a GitLab that keeps its manager (no DELETE /runners/managers, before 16.0): the manager is labelled', () => {
  it('the runner-fleet-verify manager is said to be runner-fleet\'s token check, not a manager that runs jobs', async () => {
    const h = await registered();
    Object.assign(h.double.opts, { noManagerDeleteEndpoint: 404 });
    expect((await h.run('status', { verifyTokens: true })).code).toBe(0);
    const json = await h.run('status', { json: true });
    const managers = (JSON.parse(json.out) as { runners: { name: string; managers: { systemId: string; tokenCheck?: boolean }[] }[] }).runners.find((r) => r.name === 'k8s')!.managers;
    expect(managers.map((m) => [m.systemId, m.tokenCheck === true])).toEqual([[expect.stringMatching(/^s_/), false], ['runner-fleet-verify', true]]);
    const text = await h.run('status', {});
    expect(text.out).toMatch(/\n {2}manager runner-fleet-verify: not a runner manager, left by runner-fleet's token check \(POST \/runners\/verify, last at 2026-06-01T00:00:00.000Z\); GitLab keeps it, one per runner\n/);
    expect(text.out).toMatch(/\n {2}manager s_\w+: online, 18\.9\.0/);
  });
});

describe('status --verify-tokens --no-stores', () => {
  it('is a wrong command (exit 2, said plainly), not a silent no-op; nothing is asked of GitLab', async () => {
    const h = await registered();
    const calls = h.double.urls.length;
    const r = await h.run('status', { verifyTokens: true, stores: false });
    expect(r.code).toBe(2);
    expect(r.err).toContain('runner-fleet status: --verify-tokens checks the tokens the token stores hold, and --no-stores does not read the stores: drop one of them');
    expect(h.double.urls.length).toBe(calls);
    expect(h.double.verifyCalls).toBe(0);
    const json = await h.run('status', { json: true, verifyTokens: true, stores: false });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ failedAt: 'input', exitCode: 2 });
  });
});

describe('status on a GitLab without GET /runners/:id/managers (404)', () => {
  it('says the managers are not listed by this GitLab; the rest of status is read and the exit code is unchanged', async () => {
    const h = await registered();
    Object.assign(h.double.opts, { noManagersEndpoint: true });
    const text = await h.run('status', {});
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/runner k8s \(.*\): #\d+ online, last contact/);
    expect(text.out).toContain('  managers: not listed (this GitLab answered 404 to GET /runners/:id/managers: it has no runner managers API)');
    const json = await h.run('status', { json: true });
    expect(json.code).toBe(0);
    const k8s = (JSON.parse(json.out) as { runners: { name: string; managers: unknown[]; managersListed?: boolean }[] }).runners.find((r) => r.name === 'k8s')!;
    expect(k8s.managers).toEqual([]);
    expect(k8s.managersListed).toBe(false);
    noTokenAnywhere(h);
  });
});

describe('rotate --if-expiring-within: one verify per runner per run', () => {
  it('the expiry is unknown: the plan\'s verify establishes whose token it is, and the reset uses that answer (one contact, not two)', async () => {
    const h = await registered({ lifetimeMs: 3 * 86_400_000, forget: true });
    const mine = runnerOf(h, 'k8s');
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('rotate k8s');
    expect(h.double.verifyCalls).toBe(1);
    expect(h.stores.get('k8s')!.value!.token).toBe(mine.token);
    noTokenAnywhere(h);
  });

  it('the plan\'s verify says the token is another runner\'s: a conflict, nothing reset (the safety of the verify before a reset is kept)', async () => {
    const h = await registered({ lifetimeMs: 3 * 86_400_000, forget: true });
    const mine = runnerOf(h, 'k8s');
    const other = [...h.double.runners.values()].find((x) => x.id !== mine.id)!;
    const before = { mine: mine.token, other: other.token };
    h.stores.get('k8s')!.value!.token = other.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`holds the token of runner #${other.id} (GitLab says so: POST /runners/verify)`);
    expect(mine.token).toBe(before.mine);
    expect(other.token).toBe(before.other);
    expect(h.double.verifyCalls).toBe(1);
    noTokenAnywhere(h);
  });
});

describe('status after a token check on a GitLab that keeps its manager: the runner\'s last contact is said to be the check\'s', () => {
  it('the runner-fleet-verify manager has the runner\'s contact time: the runner line says so instead of presenting the runner as online', async () => {
    const h = await registered();
    Object.assign(h.double.opts, { noManagerDeleteEndpoint: 404 });
    const mine = runnerOf(h, 'k8s');
    h.clock.t += 3 * 3600_000;
    expect((await h.run('status', { verifyTokens: true })).code).toBe(0);
    const text = await h.run('status', {});
    const line = text.out.split('\n').find((l) => l.startsWith('runner k8s '))!;
    expect(line).toContain(`#${mine.id} last contact ${mine.contacted_at} was runner-fleet's token check (POST /runners/verify), not a manager of the runner: GitLab's "online" reflects it for about 2 h; the runner's own managers last contacted GitLab at 2026-06-01T00:00:00.000Z`);
    const json = await h.run('status', { json: true });
    const k8s = (JSON.parse(json.out) as { runners: { name: string; contactIsTokenCheck?: boolean }[] }).runners.find((r) => r.name === 'k8s')!;
    expect(k8s.contactIsTokenCheck).toBe(true);
    noTokenAnywhere(h);
  });

  it('the manager contacted GitLab after the check: the runner line is as before', async () => {
    const h = await registered();
    Object.assign(h.double.opts, { noManagerDeleteEndpoint: 404 });
    expect((await h.run('status', { verifyTokens: true })).code).toBe(0);
    const mine = runnerOf(h, 'k8s');
    h.clock.t += 60_000;
    mine.contacted_at = new Date(h.clock.t).toISOString();
    mine.managerContactedAt = mine.contacted_at;
    const text = await h.run('status', {});
    expect(text.out).toMatch(new RegExp(`runner k8s \\(.*\\): #${mine.id} online, last contact ${mine.contacted_at.replace(/\./g, '\\.')}, `));
    expect(text.out).not.toContain('was runner-fleet\'s token check');
  });
});

/** The managers GitLab lists for runner k8s (status --json). */
async function k8sManagers(h: Harness): Promise<[string, boolean][]> {
  const json = await h.run('status', { json: true });
  const row = (JSON.parse(json.out) as { runners: { name: string; managers: { systemId: string; tokenCheck?: boolean }[] }[] }).runners.find((r) => r.name === 'k8s')!;
  return row.managers.map((m) => [m.systemId, m.tokenCheck === true]);
}

describe('the token check leaves no runner manager behind (DELETE /runners/managers after each verify)', () => {
  it('status --verify-tokens: every runner-fleet-verify manager is removed again, with the token checked; no other manager is touched', async () => {
    const h = await registered();
    const r = await h.run('status', { verifyTokens: true });
    expect(r.code).toBe(0);
    expect(h.double.verifyCalls).toBe(4);
    expect(h.double.managerDeletes).toEqual(Array(4).fill('runner-fleet-verify'));
    for (const x of h.double.runners.values()) expect(x.verifyManagers ?? {}).toEqual({});
    expect(await k8sManagers(h)).toEqual([[expect.stringMatching(/^s_/), false]]);
    expect(r.err).not.toContain('GitLab keeps the runner manager');
    noTokenAnywhere(h);
  });

  it('rotate --approve: the manager of the check made before the reset is removed (with the old token, before the reset); the new token works', async () => {
    const h = await registered();
    const mine = runnerOf(h, 'k8s');
    const r = await h.run('rotate', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.double.verifyCalls).toBe(1);
    expect(h.double.managerDeletes).toEqual(['runner-fleet-verify']);
    expect(mine.verifyManagers ?? {}).toEqual({});
    expect(h.stores.get('k8s')!.value!.token).toBe(mine.token);
    expect(r.err).not.toContain('GitLab keeps the runner manager');
    noTokenAnywhere(h);
  });

  it('rotate --if-expiring-within: the plan\'s check leaves no manager either', async () => {
    const h = await registered({ lifetimeMs: 3 * 86_400_000, forget: true });
    const mine = runnerOf(h, 'k8s');
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(h.double.verifyCalls).toBe(1);
    expect(mine.verifyManagers ?? {}).toEqual({});
    noTokenAnywhere(h);
  });

  for (const status of [404, 405] as const) {
    it(`a GitLab without DELETE /runners/managers (${status}, before 16.0): status and rotate work as before, said once on stderr, exit code unchanged, the manager labelled`, async () => {
      const h = await registered();
      Object.assign(h.double.opts, { noManagerDeleteEndpoint: status });
      const s = await h.run('status', { verifyTokens: true });
      expect(s.code).toBe(0);
      const said = `GitLab keeps the runner manager runner-fleet-verify that runner-fleet's token check (POST /runners/verify) creates: DELETE /runners/managers answered ${status} (GitLab added it in 16.0; an older GitLab has no such endpoint). It runs no jobs; status labels it as the token check`;
      expect(s.err.split(said).length - 1).toBe(1);
      expect(h.double.managerDeletes.length).toBe(4);
      expect(await k8sManagers(h)).toEqual([[expect.stringMatching(/^s_/), false], ['runner-fleet-verify', true]]);
      const r = await h.run('rotate', { approve: true, runner: 'k8s' });
      expect(r.code).toBe(0);
      expect(r.err.split(said).length - 1).toBe(1);
      expect(h.stores.get('k8s')!.value!.token).toBe(runnerOf(h, 'k8s').token);
      noTokenAnywhere(h);
    });
  }

  it('after the check, the runner line says its last contact was made by none of its listed managers (not presented as online)', async () => {
    const h = await registered();
    const mine = runnerOf(h, 'k8s');
    h.clock.t += 3 * 3600_000;
    expect((await h.run('status', { verifyTokens: true })).code).toBe(0);
    const text = await h.run('status', {});
    const line = text.out.split('\n').find((l) => l.startsWith('runner k8s '))!;
    expect(line).toContain(`#${mine.id} last contact ${mine.contacted_at} was made by none of the runner's managers GitLab lists (runner-fleet's token check, POST /runners/verify, is such a contact): GitLab's "online" reflects it for about 2 h; the runner's own managers last contacted GitLab at 2026-06-01T00:00:00.000Z`);
    expect(text.out).toMatch(/\n {2}manager s_\w+: offline, 18\.9\.0/);
    const json = await h.run('status', { json: true });
    const k8s = (JSON.parse(json.out) as { runners: { name: string; contactIsTokenCheck?: boolean; contactNotFromManagers?: boolean; managersContactedAt?: string | null }[] }).runners.find((r) => r.name === 'k8s')!;
    expect(k8s).toMatchObject({ contactNotFromManagers: true, managersContactedAt: '2026-06-01T00:00:00.000Z' });
    expect(k8s.contactIsTokenCheck).toBeUndefined();
    // The manager contacts GitLab again: the runner line is as usual.
    h.clock.t += 60_000;
    h.double.contact(mine.token);
    const again = await h.run('status', {});
    expect(again.out).toMatch(new RegExp(`runner k8s \\(.*\\): #${mine.id} online, last contact ${mine.contacted_at!.replace(/\./g, '\\.')}, `));
    noTokenAnywhere(h);
  });

  it('the managers\' status follows their last contact, as GitLab\'s: offline 2 h after it, stale after 7 days', async () => {
    const h = await registered();
    expect(await h.run('status', {}).then((r) => r.out)).toMatch(/\n {2}manager s_\w+: online, /);
    h.clock.t += 3 * 3600_000;
    expect(await h.run('status', {}).then((r) => r.out)).toMatch(/\n {2}manager s_\w+: offline, /);
    h.clock.t += 7 * 86_400_000;
    expect(await h.run('status', {}).then((r) => r.out)).toMatch(/\n {2}manager s_\w+: stale, /);
  });
});

describe('one wording for a stored token that belongs to another runner', () => {
  it('status --verify-tokens and rotate (plan and apply) say the same', async () => {
    const h = await registered({ forget: true });
    const mine = runnerOf(h, 'k8s');
    const other = h.double.seedRunner({ runner_type: 'instance_type', description: 'someone else' });
    h.stores.get('k8s')!.value = { ...h.stores.get('k8s')!.value!, token: other.token };
    const status = await h.run('status', { json: true, verifyTokens: true });
    const detail = k8sOf(status.out).store!.detail;
    expect(detail).toBe(otherRunners(other.id, mine.id));
    const plan = await h.run('rotate', { json: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect((JSON.parse(plan.out) as { plan: { detail: string }[] }).plan[0]!.detail).toBe(`memory store of k8s ${detail}`);
    const apply = await h.run('rotate', { json: true, approve: true, runner: 'k8s' });
    expect((JSON.parse(apply.out) as { results: { detail: string }[] }).results[0]!.detail).toBe(`rotate refused: memory store of k8s ${detail}`);
    noTokenAnywhere(h);
  });
});

describe('rotate: one verify per runner per run, a refused token too', () => {
  for (const within of [undefined, '7d']) {
    it(`GitLab refuses the stored token (${within === undefined ? 'plain rotate' : '--if-expiring-within, expiry unknown'}): asked once, then reset by id`, async () => {
      const h = await registered({ forget: true });
      const runner = runnerOf(h, 'k8s');
      Object.assign(runner, h.double.issueToken());
      const r = await h.run('rotate', { approve: true, runner: 'k8s', ...(within !== undefined ? { ifExpiringWithin: within } : {}) });
      expect(r.code).toBe(0);
      expect(h.double.verifyCalls).toBe(1);
      // GitLab keeps no manager for a token it refuses: nothing to remove.
      expect(h.double.managerDeletes).toEqual([]);
      expect(h.stores.get('k8s')!.value!.token).toBe(runner.token);
      noTokenAnywhere(h);
    });
  }
});
