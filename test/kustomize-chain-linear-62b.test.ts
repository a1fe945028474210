import { beforeEach, describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { kustomizeBuildWork } from '../src/doctor/kustomize-build.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Stop 62b: each kustomization built once per doctor run, however many list it. Before, `built`
 * (kustomize-build.ts) and `closedBuild` (kustomize-namespace.ts) started again from each
 * kustomization that lists one, so a chain of n (k(n-1) lists k(n-2), …, k1 lists k0) was n²/2
 * builds: 2,000 took 40 s. The counts here are kustomizeBuildWork, the work a run did, not its time.
 */

const run = doctorTexts;
const dep = (name: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      serviceAccountName: gitlab-runner\n      containers:\n        - name: r\n          image: gitlab/gitlab-runner:v17.0.0\n`;
const rf946 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF946');
const chain = (n: number): Record<string, string> => {
  const files: Record<string, string> = { 'k0/dep.yaml': dep('gitlab-runner'), 'k0/kustomization.yaml': 'namespace: ci\nresources:\n  - dep.yaml\n' };
  for (let i = 1; i < n; i++) files[`k${i}/kustomization.yaml`] = `resources:\n  - ../k${i - 1}\n`;
  return files;
};

beforeEach(() => {
  kustomizeBuildWork.built = 0;
  kustomizeBuildWork.closedBuild = 0;
  kustomizeBuildWork.resourcesOf = 0;
});

describe('kustomize builds: each kustomization once per run', () => {
  it('a chain of 2,000: 1,999 builds (each listed one once) and 2,000 closed builds, not n²/2; no finding of the build', () => {
    const r = run(chain(2_000));
    expect(kustomizeBuildWork.built).toBe(1_999);
    expect(kustomizeBuildWork.closedBuild).toBe(2_000);
    expect(rf946(r)).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    // The namespace k0 sets reaches the object through the 1,999 above it.
    expect(r.findings.some((f) => f.path === 'k0/dep.yaml:1:1')).toBe(true);
  });

  it('twice the chain, twice the builds: 500 and 1,000 (linear: at most twice the builds, plus 2)', () => {
    run(chain(500));
    const small = kustomizeBuildWork.built + kustomizeBuildWork.closedBuild;
    kustomizeBuildWork.built = 0;
    kustomizeBuildWork.closedBuild = 0;
    run(chain(1_000));
    const large = kustomizeBuildWork.built + kustomizeBuildWork.closedBuild;
    expect(large).toBeLessThanOrEqual(2 * small + 2);
  });

  // k0 lists k1 (namePrefix a-) and k2 (namePrefix b-), both list k3; top lists k0 and a file.
  const diamond = (other: string): Record<string, string> => ({
    'top/kustomization.yaml': 'resources:\n  - ../k0\n  - other.yaml\n',
    'top/other.yaml': dep(other),
    'k0/kustomization.yaml': 'resources:\n  - ../k1\n  - ../k2\n',
    'k1/kustomization.yaml': 'namePrefix: a-\nresources:\n  - ../k3\n',
    'k2/kustomization.yaml': 'namePrefix: b-\nresources:\n  - ../k3\n',
    'k3/kustomization.yaml': 'resources:\n  - dep.yaml\n',
    'k3/dep.yaml': dep('gitlab-runner'),
  });

  it("a diamond: k3 built once, its objects given to k1 and k2 each with that one's prefix; a file of top holding a- of them is the same id twice (RF946 at top)", () => {
    const r = run(diamond('a-gitlab-runner'));
    // k0, k1, k2 and k3, each once (k3 listed twice).
    expect(kustomizeBuildWork.built).toBe(4);
    const f = rf946(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('top/kustomization.yaml:3:5');
    expect(f[0]!.message).toContain('top/kustomization.yaml resources[1] (other.yaml) writes Deployment default/a-gitlab-runner (apps/v1), which resources[0] (../k0) builds');
    expect(f[0]!.message).toContain('top/other.yaml:4:9; k3/dep.yaml:4:9');
  });

  it('twin: the same diamond with a file of another name: no RF946', () => {
    const r = run(diamond('c-gitlab-runner'));
    expect(rf946(r)).toEqual([]);
  });

  it('a diamond whose two sides give k3 no other name: one RF946, at k0 (the id twice), none at top', () => {
    const files = diamond('c-gitlab-runner');
    files['k1/kustomization.yaml'] = 'resources:\n  - ../k3\n';
    files['k2/kustomization.yaml'] = 'resources:\n  - ../k3\n';
    const f = rf946(run(files));
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('k0/kustomization.yaml:3:5');
    expect(f[0]!.message).toContain('k0/kustomization.yaml resources[1] (../k2) builds (its kustomization, after its namespace, namePrefix and nameSuffix) Deployment default/gitlab-runner (apps/v1), which resources[0] (../k1) builds');
  });

  it('a cycle (a → b → c → a) and d listing a: one RF946 naming the cycle, each kustomization built at most once', () => {
    const r = run({
      'd/kustomization.yaml': 'resources:\n  - ../a\n',
      'a/kustomization.yaml': 'resources:\n  - ../b\n',
      'b/kustomization.yaml': 'resources:\n  - ../c\n',
      'c/kustomization.yaml': 'resources:\n  - dep.yaml\n  - ../a\n',
      'c/dep.yaml': dep('gitlab-runner'),
    });
    const f = rf946(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('c/kustomization.yaml:3:5');
    expect(f[0]!.message).toContain('a cycle (a → b → c → a)');
    expect(kustomizeBuildWork.built).toBeLessThanOrEqual(4);
  });
});
