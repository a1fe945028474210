import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Stop 61e: kustomizations that list each other in a cycle through other folders (overlay → base →
 * ../overlay). kustomize's loader refuses a root that is, or holds, the root of one loading it
 * through its referrers (api/internal/loader FileLoader.errIfArgEqualOrHigher: "cycle detected:
 * candidate root '…' contains visited root '…'"). 60e said only `.` and `..` (a folder holding the
 * kustomization); before, a cycle of two or more folders was read as a build and nothing was said.
 */

const run = doctorTexts;
const dep = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gitlab-runner\nspec:\n  template:\n    spec:\n      serviceAccountName: gitlab-runner\n      containers:\n        - name: r\n          image: gitlab/gitlab-runner:v17.0.0\n';
const rf946 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF946');

describe('kustomize cycles through other builds', () => {
  it('a 2-cycle (overlay → base → ../overlay): RF946 at the entry that closes it, naming the cycle', () => {
    const r = run({ 'overlay/kustomization.yaml': 'resources:\n  - ../base\n', 'base/kustomization.yaml': 'resources:\n  - dep.yaml\n  - ../overlay\n', 'base/dep.yaml': dep });
    const f = rf946(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('base/kustomization.yaml:3:5');
    expect(f[0]!.message).toContain('a cycle (overlay → base → overlay)');
    expect(f[0]!.message).toContain("cycle detected: candidate root 'overlay' contains visited root 'overlay'");
  });

  it('a 3-cycle (a → b → c → a): one RF946, the three folders named', () => {
    const r = run({ 'a/kustomization.yaml': 'resources:\n  - ../b\n', 'b/kustomization.yaml': 'resources:\n  - ../c\n', 'c/kustomization.yaml': 'resources:\n  - dep.yaml\n  - ../a\n', 'c/dep.yaml': dep });
    const f = rf946(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('c/kustomization.yaml:3:5');
    expect(f[0]!.message).toContain('a cycle (a → b → c → a)');
  });

  it('twin: overlay → base with no way back, and two overlays over one base: no RF946', () => {
    const r = run({ 'overlay/kustomization.yaml': 'resources:\n  - ../base\n', 'other/kustomization.yaml': 'resources:\n  - ../base\n', 'base/kustomization.yaml': 'resources:\n  - dep.yaml\n', 'base/dep.yaml': dep });
    expect(rf946(r)).toEqual([]);
  });

  it('a chain of 400 kustomizations that is not a cycle: no RF946, no recursion-depth error', () => {
    const files: Record<string, string> = { 'k0/dep.yaml': dep, 'k0/kustomization.yaml': 'namespace: ci\nresources:\n  - dep.yaml\n' };
    // 400 (61e's first size was 2,000, quadratic then: 38 s of the suite under load). Builds are linear since 62b,
    // and test/kustomize-chain-linear-62b.test.ts counts a chain of 2,000; here the cycle's message needs a long one.
    for (let i = 1; i < 400; i++) files[`k${i}/kustomization.yaml`] = `resources:\n  - ../k${i - 1}\n`;
    const r = run(files);
    expect(rf946(r)).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    // Twin: the chain closed at its end (k0 lists k399): one RF946, the cycle shortened in its message.
    files['k0/kustomization.yaml'] = 'namespace: ci\nresources:\n  - dep.yaml\n  - ../k399\n';
    const closed = rf946(run(files));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.message).toMatch(/a cycle \(k0 → k399 → k398 → k397 → … 394 more … → k2 → k1 → k0\)/);
    expect(closed[0]!.message.length).toBeLessThan(2_000);
  }, 60_000);

  it('hostile text: 200,000 blank lines in a kustomization and a 200,000-character folder name: the same answer', () => {
    const blank = '\n'.repeat(200_000);
    const r = run({ 'overlay/kustomization.yaml': `${blank}resources:\n  - ../base\n${blank}`, 'base/kustomization.yaml': 'resources:\n  - dep.yaml\n  - ../overlay\n', 'base/dep.yaml': dep });
    expect(rf946(r)).toHaveLength(1);
    const word = 'w'.repeat(200_000);
    const long = run({ [`${word}/kustomization.yaml`]: 'resources:\n  - ../base\n', 'base/kustomization.yaml': `resources:\n  - dep.yaml\n  - ../${word}\n`, 'base/dep.yaml': dep });
    expect(rf946(long)).toHaveLength(1);
    expect(rf946(long)[0]!.message.length).toBeLessThan(2_000);
  });
});
