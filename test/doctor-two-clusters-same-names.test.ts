import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Two clusters' deployments given in one call that reuse namespace gitlab-runner and service
 * accounts gitlab-runner and gitlab-runner-jobs (corpus two-clusters-same-names: prod/ and staging/).
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'two-clusters-same-names');
const text = (f: InputFile): string => new TextDecoder().decode(f.bytes);
const edit = (files: InputFile[], path: string, change: (s: string) => string): InputFile[] =>
  files.map((f) => (f.path === path ? { path, bytes: new TextEncoder().encode(change(text(f))) } : f));

describe('doctor: two clusters whose deployments reuse names', () => {
  it("prod's manager annotated with staging's role: RF104 at prod's annotation only, whichever folder comes first", () => {
    const files = edit(corpusFiles(CASE), 'prod/k8s.yaml', (s) => s.replace('role/gitlab-runner-manager-prod', 'role/gitlab-runner-manager-staging'));
    const r = doctor(files);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual(['RF104 prod/k8s.yaml:15:33']);
    const rf104 = r.findings.find((f) => f.code === 'RF104')!;
    expect(rf104.message).toContain('bound to role gitlab-runner-manager-staging');
    expect(rf104.message).toContain("its jobs' role gitlab-runner-jobs-prod names another cluster");
    expect(rf104.message).toContain('ServiceAccount gitlab-runner/gitlab-runner, prod/k8s.yaml:9:1 for this one');
  });

  it('both clusters\' manifests side by side in one folder: which ServiceAccount a runner runs as is not shown (RF903), none is guessed', () => {
    const moved = corpusFiles(CASE).map((f) => (f.path.endsWith('/k8s.yaml') ? { ...f, path: `manifests/${f.path.split('/')[0]!}.yaml` } : f));
    const r = doctor(moved);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const notShown = r.findings.filter((f) => f.code === 'RF903');
    expect(notShown.map((f) => f.path).sort()).toEqual(['prod/main.tf:60:1', 'staging/main.tf:60:1']);
    for (const f of notShown) expect(f.message).toContain('ServiceAccount gitlab-runner/gitlab-runner is given 2 times (manifests/prod.yaml:9:1, manifests/staging.yaml:9:1)');
    // No proof is made with the other cluster's role (on main the prod runner was proven with staging's: a false RF201).
    expect(r.findings.some((f) => f.code === 'RF201')).toBe(false);
  });
});
