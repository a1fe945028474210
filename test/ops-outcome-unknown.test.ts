import { describe, expect, it } from 'vitest';
import { markerText } from '../src/ops/marker.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * A POST whose answer is cut after GitLab acted (the connection closed after the first bytes of
 * its 201): GitLab created the runner, and its token was in the part that was lost. Before, the
 * client said "try again" and register's step failed (exit 1), with a runner in GitLab and no
 * token anywhere; now the outcome is unknown, and register lists the marker before creating
 * another: it finds the runner it created, resets its token by id and stores it, with one runner
 * per entry and exit 0. The fake GitLab creates the runner, then cuts the answer.
 */
const file = writeSpec(opsSpec());

describe('a POST /user/runners whose answer is cut after GitLab created the runner', () => {
  it('register finds the runner by its marker, creates no second one, and stores a working token', async () => {
    const h = harness(file);
    let cut = 0;
    h.double.script = (method, path) => (method === 'POST' && path === '/api/v4/user/runners' && cut++ === 0 ? 'lost-cut' : undefined);
    const r = await h.run('register', { approve: true });
    expect(cut).toBeGreaterThan(1);
    expect(r.err).toMatch(/the outcome of POST \/user\/runners is unknown: GitLab answered 201 and the connection closed after 8 bytes \(the connection closed before the answer ended \[UND_ERR_SOCKET\]\), so it acted: the answer with what it did was lost \(GitLab may have created the runner: register lists its marker before creating another\); listing runners with the marker of \w+ before trying again/);
    expect(r.code).toBe(0);
    // One runner per entry, and each store holds a token GitLab accepts for that runner.
    expect(h.double.runners.size).toBe(4);
    for (const [name, store] of h.stores) {
      const mine = [...h.double.runners.values()].filter((x) => x.description.includes(`/${name}]`));
      expect(mine).toHaveLength(1);
      expect(store.value?.runnerId).toBe(mine[0]!.id);
      expect(h.double.contact(store.value!.token)).toBe(true);
    }
    // The next run has nothing to do.
    const again = await h.run('register', { approve: true });
    expect(again.code).toBe(0);
    expect(h.double.runners.size).toBe(4);
    expect(again.out).toMatch(/nothing to do/);
    expect(r.out + r.err + again.out + again.err).not.toContain('CANARY');
  });

  it('twin: the whole answer: one create per runner, no listing before trying again', async () => {
    const h = harness(file);
    const r = await h.run('register', { approve: true });
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/outcome of/);
    expect(h.double.runners.size).toBe(4);
    expect([...h.double.runners.values()].filter((x) => x.description.endsWith(markerText('acme', 'k8s')))).toHaveLength(1);
  });
});
