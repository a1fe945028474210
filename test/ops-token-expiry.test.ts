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
