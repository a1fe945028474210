import { afterEach, describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { trimEnd, trimEndAny } from '../src/model/trim.js';
import { scopeCovers } from '../src/spec/azure.js';
import { placeholderKeyBlock } from '../src/verify/credentials.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { seeded } from './helpers/rng.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * `/\/+$/` and `/["',]+$/` are quadratic on a long run of those characters that does not reach the
 * end of the text (V8 starts the run again from each of its characters). Scopes and ids of Azure
 * resources (a spec's, or a deployment's the doctor reads) and lines after a private-key header went
 * through such patterns; they are trimmed by a loop from the end now. Work is counted, never timed:
 * while a case runs, a regex of that shape (a run of a class at the end, not anchored at the start)
 * run over a text longer than LONG is counted, and not run (it would take minutes): the count must be 0.
 */
const LONG = 10_000;
const HOSTILE = `${'/'.repeat(200_000)}x`;

let restore: (() => void)[] = [];
afterEach(() => {
  for (const r of restore.reverse()) r();
  restore = [];
});

/** Runs `run` and returns how many times a trailing-run regex was asked to search a long text (each refused). */
function trailingRunSearches(run: () => void): number {
  let count = 0;
  // The pattern is one run at the end of the text (a character or a class, repeated), perhaps after an
  // alternative anchored at the start: /\/+$/, /["',\\]+$/, /^["']|["',]+$/g. A longer pattern that
  // starts with literal text (/\/providers\/…[^/]+$/) fails within a few characters at each slash.
  const trailingRun = (re: RegExp) => /^(?:\^[^|]*\|)?(?:\\.|\[[^\]]*\]|[^\\[\]])[+*]\$$/.test(re.source);
  const proto = RegExp.prototype as unknown as Record<PropertyKey, (this: RegExp, ...a: unknown[]) => unknown>;
  for (const key of ['exec', 'test', Symbol.replace, Symbol.match, Symbol.matchAll, Symbol.split] as PropertyKey[]) {
    const original = proto[key]!;
    proto[key] = function (this: RegExp, ...args: unknown[]) {
      if (typeof args[0] === 'string' && args[0].length > LONG && trailingRun(this)) {
        count++;
        throw new Error(`a trailing-run regex /${this.source}/ over ${args[0].length} characters`);
      }
      return original.apply(this, args);
    };
    restore.push(() => (proto[key] = original));
  }
  try {
    run();
  } catch (e) {
    if (count === 0) throw e;
  }
  for (const r of restore.reverse()) r();
  restore = [];
  return count;
}

/** Normal texts: Azure-ish ids with and without trailing slashes, quotes and commas. */
function normalTexts(seed: number, n: number): string[] {
  const r = seeded(seed);
  const alphabet = ['/', '/', 'a', 'B', '-', '.', '"', "'", ',', '\\', ' ', 'subscriptions', 'resourceGroups', '0f'];
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(r() * 14) }, () => alphabet[Math.floor(r() * alphabet.length)]!).join(''));
}

describe('trimEnd, trimEndAny: the answers of the trailing-run regexes, in one pass', () => {
  it('agree with /\\/+$/ and /["\',\\\\]+$/ on 3,000 seeded texts', () => {
    for (const s of normalTexts(20266101, 3000)) {
      expect(trimEnd(s, '/'), JSON.stringify(s)).toBe(s.replace(/\/+$/, ''));
      expect(trimEndAny(s, `"',\\`), JSON.stringify(s)).toBe(s.replace(/["',\\]+$/, ''));
      expect(trimEndAny(s, `"',`), JSON.stringify(s)).toBe(s.replace(/["',]+$/, ''));
    }
  });

  it('leave 200,000 slashes followed by x as they are, and trim them at the end', () => {
    expect(trailingRunSearches(() => expect(trimEnd(HOSTILE, '/')).toBe(HOSTILE))).toBe(0);
    expect(trimEnd(`/subscriptions/x${'/'.repeat(200_000)}`, '/')).toBe('/subscriptions/x');
  });
});

describe('the functions that trimmed with a regex: same answers, no trailing-run search of a long text', () => {
  it('scopeCovers: seeded pairs as before; 200,000 slashes before the end of either scope', () => {
    const texts = normalTexts(20266102, 400);
    const old = (outer: string, inner: string) => {
      const o = outer.toLowerCase().replace(/\/+$/, '');
      const i = inner.toLowerCase().replace(/\/+$/, '');
      return i === o || i.startsWith(`${o}/`);
    };
    for (let k = 0; k + 1 < texts.length; k++) expect(scopeCovers(texts[k]!, texts[k + 1]!)).toBe(old(texts[k]!, texts[k + 1]!));
    const rg = '/subscriptions/6a7b8c9d-0e1f-4a2b-8c3d-000000000001/resourceGroups/rg';
    let answers: boolean[] = [];
    expect(trailingRunSearches(() => (answers = [scopeCovers(`${rg}${HOSTILE}`, `${rg}/x`), scopeCovers(rg, `${rg}${HOSTILE}`), scopeCovers(`${rg}${'/'.repeat(200_000)}`, `${rg}/a`)]))).toBe(0);
    expect(answers).toEqual([false, true, true]);
  });

  it('placeholderKeyBlock: a header followed by 200,000 quotes and x, and a body line of them', () => {
    const header = '-----BEGIN RSA PRIVATE KEY-----';
    let answers: boolean[] = [];
    expect(trailingRunSearches(() => (answers = [
      placeholderKeyBlock([`${header}${'"'.repeat(200_000)}x`, '....', '-----END RSA PRIVATE KEY-----'], 0),
      placeholderKeyBlock([`${header}"`, `"${','.repeat(200_000)}x`, '-----END RSA PRIVATE KEY-----'], 0),
      placeholderKeyBlock([`${header}${'"'.repeat(200_000)}`, `"....${'",'.repeat(100_000)}`, '-----END RSA PRIVATE KEY-----'], 0),
    ]))).toBe(0);
    expect(answers).toEqual([false, false, true]);
    // Normal blocks, as before: quoted lines of dots between the markers are placeholders.
    expect(placeholderKeyBlock([`${header}",`, '"....",', "'....'", '"-----END RSA PRIVATE KEY-----"'], 0)).toBe(true);
    expect(placeholderKeyBlock([`${header}`, '"MIIEpAIBAAKCAQEA",', '-----END RSA PRIVATE KEY-----'], 0)).toBe(false);
  });

  /** The example's plan, its role assignment scopes each followed by `slashes` slashes and x. */
  const damaged = (example: string, slashes: number) => {
    const plan = planValue(exampleValue(example));
    expect(plan.exitCode).not.toBe(2);
    const docs = structuredClone(plan.emitted!);
    const assignments = Object.values(docs.terraformAzure!.resource.azurerm_role_assignment ?? {});
    expect(assignments.length).toBeGreaterThan(0);
    for (const a of assignments) a.scope = `${String(a.scope)}${'/'.repeat(slashes)}x`;
    return { intent: intentOf(plan.fleet!), docs };
  };
  const shape = (findings: { code: string; path: string; message: string }[], slashes: number) => findings.map((x) => `${x.code} ${x.path} ${x.message.split('/'.repeat(slashes)).join('<run>')}`);

  for (const example of ['aks-key-vault', 'aks-workload-identity', 'mixed-aws-azure']) {
    it(`verifyFleet, ${example}: role assignment scopes (Key Vault, rotator, job roles) with 200,000 slashes before the end answer as with 2,000`, () => {
      const small = damaged(example, 2_000);
      const expected = verifyFleet(small.intent, small.docs);
      const big = damaged(example, 200_000);
      let got: ReturnType<typeof verifyFleet> | undefined;
      expect(trailingRunSearches(() => (got = verifyFleet(big.intent, big.docs)))).toBe(0);
      expect(shape(got!.findings, 200_000)).toEqual(shape(expected.findings, 2_000));
      expect(got!.proofs).toEqual(expected.proofs);
    });
  }

  it('plan: a job role scope or a Key Vault name of 200,000 slashes and x is refused at its path (exit 2), without a trailing-run search', () => {
    const cases: [string, (spec: Record<string, any>) => void, string][] = [
      ['aks-workload-identity', (spec) => (spec.runners[0].jobs.permissions.azure[0].scope = `/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333${HOSTILE}`), 'runners[0].jobs.permissions.azure[0].scope'],
      ['aks-key-vault', (spec) => (spec.runners[0].gitlab.tokenStore.keyVault.resourceGroup = `rg${HOSTILE}`), 'runners[0].gitlab.tokenStore.keyVault.resourceGroup'],
    ];
    for (const [example, edit, path] of cases) {
      const spec = exampleValue(example);
      edit(spec);
      let plan: ReturnType<typeof planValue> | undefined;
      expect(trailingRunSearches(() => (plan = planValue(spec)))).toBe(0);
      expect(plan!.exitCode).toBe(2);
      expect(plan!.findings.map((x) => x.path)).toContain(path);
    }
  });
});
