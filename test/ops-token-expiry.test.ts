import { describe, expect, it } from 'vitest';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * status and the token's expiry. GitLab's documented `GET /runners/:id` (the RunnerDetails
 * entity) has no token_expires_at; newer GitLabs add it, null for a token that never expires.
 * A null that only means "not returned" must not read as "never expires".
 */
const file = writeSpec(opsSpec());

interface Row { name: string; tokenExpiresAt: string | null; tokenExpiry: string | null; tokenExpirySource: string | null }

async function status(opts: { lifetimeMs: number | null; detailsTokenExpiry: boolean; stores?: boolean; storedExpiry?: 'forgotten' }) {
  const h = harness(file, { tokenLifetimeMs: opts.lifetimeMs });
  Object.assign(h.double.opts, { detailsTokenExpiry: opts.detailsTokenExpiry });
  expect((await h.run('register', { approve: true })).code).toBe(0);
  // A store that records no expiry: written from an answer without token_expires_at, or before "never" was recorded apart.
  if (opts.storedExpiry === 'forgotten') for (const s of h.stores.values()) if (s.value) delete s.value.expiresAt;
  const json = await h.run('status', { json: true, ...(opts.stores === false ? { stores: false } : {}) });
  const text = await h.run('status', opts.stores === false ? { stores: false } : {});
  const k8s = (JSON.parse(json.out) as { runners: Row[] }).runners.find((r) => r.name === 'k8s')!;
  const line = text.out.split('\n').find((l) => l.startsWith('runner k8s '))!;
  return { h, k8s, line, code: json.code };
}

describe('status: the token expiry', () => {
  it('a GitLab whose runner details have no token_expires_at: the expiry the store recorded when GitLab issued the token', async () => {
    const { h, k8s, line, code } = await status({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: false });
    expect(code).toBe(0);
    const stored = h.stores.get('k8s')!.value!.expiresAt!;
    expect(stored).toMatch(/^2026-07-01T/);
    expect(k8s).toMatchObject({ tokenExpiresAt: stored, tokenExpiry: 'expires', tokenExpirySource: 'store' });
    expect(line).toContain(`token expires ${stored} (as the token store recorded it when GitLab issued the token)`);
  });

  it('a GitLab whose runner details have no token_expires_at, that answered null when it issued the token: the store recorded "never"', async () => {
    const { h, k8s, line, code } = await status({ lifetimeMs: null, detailsTokenExpiry: false });
    expect(code).toBe(0);
    expect(h.stores.get('k8s')!.value!.expiresAt).toBeNull();
    expect(k8s).toMatchObject({ tokenExpiresAt: null, tokenExpiry: 'never', tokenExpirySource: 'store' });
    expect(line).toMatch(/, token never expires \(as the token store recorded GitLab's answer when it issued the token\)$/);
  });

  it('neither GitLab nor the store knows: "unknown", never left out as if the token never expired', async () => {
    const { k8s, line } = await status({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: false, storedExpiry: 'forgotten' });
    expect(k8s).toMatchObject({ tokenExpiresAt: null, tokenExpiry: 'unknown', tokenExpirySource: null });
    expect(line).toMatch(/, token expiry unknown \(this GitLab's GET \/runners\/:id has no token_expires_at, and the token store records none\)$/);
  });

  it('--no-stores: unknown, and the store is not named as if it had been read', async () => {
    const { k8s, line } = await status({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: false, stores: false });
    expect(k8s).toMatchObject({ tokenExpiresAt: null, tokenExpiry: 'unknown' });
    expect(line).toMatch(/, token expiry unknown \(this GitLab's GET \/runners\/:id has no token_expires_at\)$/);
  });

  it('a GitLab that returns token_expires_at: its value, and null is "never expires"', async () => {
    const never = await status({ lifetimeMs: null, detailsTokenExpiry: true });
    expect(never.k8s).toMatchObject({ tokenExpiresAt: null, tokenExpiry: 'never', tokenExpirySource: 'gitlab' });
    expect(never.line).toMatch(/, token never expires$/);
    const expires = await status({ lifetimeMs: 86_400_000, detailsTokenExpiry: true });
    expect(expires.k8s).toMatchObject({ tokenExpiresAt: '2026-06-02T00:00:00.000Z', tokenExpiry: 'expires', tokenExpirySource: 'gitlab' });
    expect(expires.line).toMatch(/, token expires 2026-06-02T00:00:00.000Z$/);
  });
});

/**
 * rotate --if-expiring-within (the scheduled rotation): a token whose expiry is not known is
 * rotated, not skipped like one that never expires; GitLab's runner details are asked first.
 */
describe('rotate --if-expiring-within: the token expiry', () => {
  async function rotate(opts: { lifetimeMs: number | null; detailsTokenExpiry: boolean; storedExpiry?: 'forgotten'; noAccessToken?: boolean; verifyBare?: boolean }) {
    const h = harness(file, { tokenLifetimeMs: opts.lifetimeMs });
    Object.assign(h.double.opts, { detailsTokenExpiry: opts.detailsTokenExpiry, verifyBare: opts.verifyBare === true });
    expect((await h.run('register', { approve: true })).code).toBe(0);
    if (opts.storedExpiry === 'forgotten') for (const s of h.stores.values()) if (s.value) delete s.value.expiresAt;
    if (opts.noAccessToken) h.world.env = {};
    const before = h.stores.get('k8s')!.value!.token;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    const line = r.out.split('\n').find((l) => l.startsWith('  rotate k8s '));
    return { h, r, line, rotated: h.stores.get('k8s')!.value!.token !== before };
  }

  it('expires soon (as the store recorded it): rotated, and the step says when it expires', async () => {
    const { h, r, line, rotated } = await rotate({ lifetimeMs: 3 * 86_400_000, detailsTokenExpiry: false });
    expect(r.code).toBe(0);
    expect(rotated).toBe(true);
    expect(line).toContain('token expires 2026-06-04T00:00:00.000Z (as the token store recorded it when GitLab issued the token); POST /runners/reset_authentication_token');
    expect(h.stores.get('k8s')!.value!.expiresAt).toBe('2026-06-04T00:00:00.000Z');
  });

  it('expires later than the window: not rotated', async () => {
    const { r, rotated } = await rotate({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: false });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/plan: nothing to do/);
    expect(rotated).toBe(false);
  });

  it('never expires (the store recorded null, or GitLab says null): not rotated', async () => {
    for (const detailsTokenExpiry of [false, true]) {
      const { r, rotated } = await rotate({ lifetimeMs: null, detailsTokenExpiry });
      expect(r.out).toMatch(/plan: nothing to do/);
      expect(rotated).toBe(false);
    }
    const fromGitLab = await rotate({ lifetimeMs: null, detailsTokenExpiry: true, storedExpiry: 'forgotten' });
    expect(fromGitLab.r.out).toMatch(/plan: nothing to do/);
    expect(fromGitLab.rotated).toBe(false);
  });

  it('the store records no expiry but GitLab\'s runner details do: GitLab decides', async () => {
    const later = await rotate({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: true, storedExpiry: 'forgotten' });
    expect(later.r.out).toMatch(/plan: nothing to do/);
    expect(later.rotated).toBe(false);
    const soon = await rotate({ lifetimeMs: 3 * 86_400_000, detailsTokenExpiry: true, storedExpiry: 'forgotten' });
    expect(soon.r.code).toBe(0);
    expect(soon.rotated).toBe(true);
    expect(soon.line).toContain('token expires 2026-06-04T00:00:00.000Z (GitLab\'s runner details); POST /runners/reset_authentication_token');
  });

  // GitLab's verify answered without the runner's details (GitLabs before 15.10): nothing else knows.
  it('known nowhere: rotated (an unseen expiry is an outage), the step says why, and the next run knows the new expiry', async () => {
    const { h, r, line, rotated } = await rotate({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: false, storedExpiry: 'forgotten', verifyBare: true });
    expect(r.code).toBe(0);
    expect(rotated).toBe(true);
    expect(line).toContain('token expiry unknown (the token store records none, this GitLab\'s GET /runners/:id has no token_expires_at, and GitLab\'s answer to POST /runners/verify has none either): rotated now so it cannot expire unseen');
    expect(h.stores.get('k8s')!.value!.expiresAt).toBe('2026-07-01T00:00:00.000Z');
    const again = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(again.out).toMatch(/plan: nothing to do/);
  });

  it('known nowhere, without an access token (the scheduled pipeline): rotated, and the step says GitLab was not asked', async () => {
    const { r, line, rotated } = await rotate({ lifetimeMs: 30 * 86_400_000, detailsTokenExpiry: true, storedExpiry: 'forgotten', noAccessToken: true, verifyBare: true });
    expect(r.code).toBe(0);
    expect(rotated).toBe(true);
    expect(line).toContain('token expiry unknown (the token store records none, GitLab\'s runner details are not read without an access token, and GitLab\'s answer to POST /runners/verify has none either): rotated now');
  });
});
