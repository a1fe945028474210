import { beforeEach, describe, expect, it } from 'vitest';
import { kustomizeBuildWork } from '../src/doctor/kustomize-build.js';
import { doctorWalked, managerLines } from './helpers/doctor.js';

/**
 * Stop 63e: a chain of kustomizations read from a folder (the CLI's `doctor <dir>`, each file
 * `inFolder`). kustomizeBuildErrors asked, for each kustomization's entry `../k<i-1>`, whether any
 * file given lies in that folder, by scanning every path given: n entries × n paths, which at 4,000
 * took 2.4 of the doctor's 4.5 s of CPU (a profile of bench/doctor-kustomize.js's chain). Now the
 * folders holding the paths given are indexed once, at the first look. The count here is
 * kustomizeBuildWork.givenScanned (paths looked at), not time.
 */

const chain = (n: number): Record<string, string> => {
  const files: Record<string, string> = {
    'k0/manager.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gitlab-runner\nspec:\n  template:\n    spec:\n      serviceAccountName: gitlab-runner\n      containers:\n        - name: r\n          image: gitlab/gitlab-runner:v17.0.0\n',
    'k0/kustomization.yaml': 'namespace: ci\nresources:\n  - manager.yaml\n',
  };
  for (let i = 1; i < n; i++) files[`k${i}/kustomization.yaml`] = `resources:\n  - ../k${i - 1}\n`;
  return files;
};

beforeEach(() => {
  kustomizeBuildWork.givenScanned = 0;
});

describe('a chain of kustomizations read from a folder: the paths given looked at once', () => {
  it('2,000 kustomizations (2,001 files): 2,001 paths looked at, not one scan per entry (before: about 2 million)', () => {
    const r = doctorWalked(chain(2_000));
    expect(kustomizeBuildWork.givenScanned).toBe(2_001);
    // The namespace k0 sets reaches the manager through the chain, and no entry is said to be missing.
    expect(managerLines(r)).toEqual(['manager ci/gitlab-runner (k0/manager.yaml:1:1)']);
    expect(r.findings.filter((f) => f.code === 'RF946')).toEqual([]);
  });

  it('twins: an entry naming a folder that is not there is still found (kustomize: the folder does not exist)', () => {
    const files = chain(3);
    files['k2/kustomization.yaml'] = 'resources:\n  - ../k1\n  - ../gone\n';
    // A file at the top, so the walk read the top folder whole and knows `gone/` is not there.
    files['README.md'] = '# chain\n';
    const r = doctorWalked(files);
    const rf946 = r.findings.filter((f) => f.code === 'RF946');
    expect(rf946.map((f) => f.path)).toEqual(['k2/kustomization.yaml:3:5']);
    expect(rf946[0]!.message).toContain('resources[1] is ../gone, which does not exist');
    expect(kustomizeBuildWork.givenScanned).toBe(5);
  });
});
