import { describe, expect, it } from 'vitest';
import { dnsLabel, fitName, iamRoleName, isDnsLabel, shortHash } from '../src/spec/names.js';
import { defineFleet, planValue, synthFiles, type WrittenSpec } from '../src/index.js';
import { minimalFleet } from './helpers/fleet.js';

describe('derived names', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly-ten', 11, 'exactly-ten'],
  ])('%s fits in %i unchanged', (name, max, expected) => expect(fitName(name, max)).toBe(expected));

  it('shortens long names with a stable hash and keeps them distinct', () => {
    const a = iamRoleName(`fleet-${'x'.repeat(60)}-manager`);
    const b = iamRoleName(`fleet-${'x'.repeat(60)}-jobs`);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(iamRoleName(`fleet-${'x'.repeat(60)}-manager`)).toBe(a);
    expect(a.endsWith(shortHash(`fleet-${'x'.repeat(60)}-manager`))).toBe(true);
  });

  it('keeps DNS-1123 labels valid when shortening (no trailing hyphen before the hash)', () => {
    const long = `${'a'.repeat(55)}-${'b'.repeat(20)}`;
    const label = dnsLabel(long);
    expect(label.length).toBeLessThanOrEqual(63);
    expect(isDnsLabel(label)).toBe(true);
    expect(label).not.toContain('--');
  });

  it('a 40-character runner name gives valid Kubernetes and IAM names end to end', () => {
    const name = `r${'x'.repeat(39)}`;
    const spec = minimalFleet();
    spec.metadata.name = 'a-fleet-name-of-20ch';
    spec.runners[0].name = name;
    const plan = planValue(defineFleet(spec as WrittenSpec));
    expect(plan.exitCode).toBe(0);
    const ids = plan.fleet!.identities;
    for (const id of ids) expect(id.roleName.length).toBeLessThanOrEqual(64);
    expect(isDnsLabel(plan.fleet!.runners[0]!.kubernetes!.namespace)).toBe(true);
    expect(synthFiles(plan).length).toBeGreaterThan(5);
  });
});
