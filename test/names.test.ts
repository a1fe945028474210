import { describe, expect, it } from 'vitest';
import { dnsLabel, fitName, iamRoleName, isDnsLabel, shortHash } from '../src/spec/names.js';
import { defineFleet, planValue, synthFiles, type WrittenSpec } from '../src/index.js';
import { exampleValue, minimalFleet } from './helpers/fleet.js';

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

  it('a shortened role name keeps what the role is for: the middle is cut, the hash goes before the suffix', () => {
    // Two names that differ only past the cut used to be told apart by the hash alone, and neither said manager or jobs.
    const long = `acme-${'r'.repeat(60)}`;
    const manager = iamRoleName(`${long}-manager`, '-manager');
    const jobs = iamRoleName(`${long}-jobs`, '-jobs');
    expect([manager.length, jobs.length]).toEqual([64, 64]);
    expect(manager).toMatch(/^acme-r+-[0-9a-f]{6}-manager$/);
    expect(jobs).toMatch(/^acme-r+-[0-9a-f]{6}-jobs$/);
    expect(manager).toBe(`acme-${'r'.repeat(44)}-${shortHash(`${long}-manager`)}-manager`);
    expect(iamRoleName('acme-short-manager', '-manager')).toBe('acme-short-manager');
  });

  it('the roles of a 20-character fleet and 40-character runners end in -manager and -jobs, and two runners that differ only at the end stay distinct', () => {
    const spec = minimalFleet();
    spec.metadata.name = 'a-fleet-name-of-20ch';
    const base = spec.runners[0];
    spec.runners = [
      { ...base, name: `r${'x'.repeat(38)}a` },
      { ...base, name: `r${'x'.repeat(38)}b`, placement: { ...base.placement, namespace: 'ci-b' } },
    ];
    const plan = planValue(defineFleet(spec as WrittenSpec));
    expect(plan.exitCode).toBe(0);
    const names = plan.fleet!.identities.filter((id) => id.cloud === 'aws').map((id) => `${id.purpose} ${id.roleName}`);
    expect(names).toHaveLength(4);
    for (const n of names) {
      const [purpose, role] = n.split(' ');
      expect(role!.endsWith(`-${purpose}`), n).toBe(true);
      expect(role!.length).toBeLessThanOrEqual(64);
    }
    expect(new Set(names).size).toBe(4);
  });

  it('a shortened deploy-target role keeps its target name and -deploy', () => {
    const spec = exampleValue('cross-account-deploy');
    spec.metadata.name = 'a-fleet-name-of-20ch';
    spec.runners[1].name = `d${'x'.repeat(39)}`;
    const plan = planValue(spec);
    expect(plan.exitCode).not.toBe(2);
    const roles = (plan.fleet!.reach?.targets ?? []).map((t) => t.roleName);
    expect(roles).toHaveLength(2);
    expect(roles[0]).toMatch(/^a-fleet-name-of-20ch-dx+-[0-9a-f]{6}-staging-deploy$/);
    expect(roles[1]).toMatch(/^a-fleet-name-of-20ch-dx+-[0-9a-f]{6}-production-deploy$/);
    for (const r of roles) expect(r.length).toBe(64);
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
