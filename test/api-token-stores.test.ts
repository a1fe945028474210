import { describe, expect, it } from 'vitest';
import { apiTokenStores, desiredRunners } from '../src/ops/desired.js';
import { exampleNames, planExample } from './helpers/fleet.js';
import { seeded } from './helpers/rng.js';

/**
 * Issue 7m: resolveOperations and the rotator intent read the API-registered runners' token stores
 * through apiTokenStores, which skips building every runner's GitLab settings. It must give what
 * the original expression gave: desiredRunners filtered to registration api, as name and store,
 * with the registration default written out here as it was (so a drift of either side shows).
 */
const oracle = (fleet: Parameters<typeof desiredRunners>[0]) =>
  desiredRunners(fleet)
    .filter((d, i) => {
      const r = fleet.runners[i]!;
      const g = r.spec.gitlab;
      expect(d.registration).toBe(g.registration ?? (r.kubernetes && !g.tokenStore?.keyVault ? 'terraform' : 'api'));
      return d.registration === 'api';
    })
    .map((d) => ({ name: d.name, store: d.store }));

describe('apiTokenStores against desiredRunners', () => {
  it('every example, and seeded changes of each runner\'s registration', () => {
    let api = 0;
    let other = 0;
    for (const name of exampleNames()) {
      const fleet = planExample(name).fleet;
      if (!fleet) continue;
      expect(apiTokenStores(fleet), name).toEqual(oracle(fleet));
      const r = seeded(7 + name.length);
      for (let round = 0; round < 20; round++) {
        for (const runner of fleet.runners) {
          const g = runner.spec.gitlab as { registration?: 'api' | 'terraform' };
          const roll = r();
          if (roll < 0.33) delete g.registration;
          else g.registration = roll < 0.66 ? 'api' : 'terraform';
        }
        const want = oracle(fleet);
        expect(apiTokenStores(fleet), `${name} round ${round}`).toEqual(want);
        api += want.length;
        other += fleet.runners.length - want.length;
      }
    }
    // Both outcomes are exercised.
    expect(api).toBeGreaterThan(50);
    expect(other).toBeGreaterThan(50);
  });
});
