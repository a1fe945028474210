import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 50d. Kustomize builds the doctor read wrongly after 49c: JSON 6902 patches without a target,
 * references kustomize cannot decide between, YAML 1.1 scalars of kustomization.yaml, one object
 * added twice through an inner kustomization, extensionless resource files, folders reached twice
 * through a link, and the token Secret of a prefixed helmCharts chart.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
/** The files as a walk of their folder gives them (the folder read whole). */
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));
const managers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);

const M = plainManager();
const app = (k: string, more: Record<string, string> = {}) => ({ 'app/kustomization.yaml': k, 'app/manager.yaml': M.text, ...more });
const ops = '- op: add\n  path: /metadata/annotations/x\n  value: y\n';

describe('4. a JSON 6902 patch with no target (RF946)', () => {
  it('an inline patches entry that is a list of operations, no target: RF946 at the entry, the build not read', () => {
    const k = `namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - patch: |-\n${ops.replace(/^/gm, '      ')}`;
    const r = walked(app(k));
    const f = codes(r, 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'patch: |-')]);
    expect(f[0]!.message).toContain('patches[0] is a JSON 6902 patch (a list of operations) with no target');
    expect(f[0]!.message).toContain('must specify a target for JSON patch [patch: "- op: add');
    expect(f[0]!.fix).toContain('give patches[0] of app/kustomization.yaml a target');
    expect(managers(r)).toEqual([]);
  });

  it('a patches entry whose file is a list of operations, no target: RF946 naming the path', () => {
    const k = 'namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - path: ops.yaml\n';
    const f = codes(walked(app(k, { 'app/ops.yaml': ops })), 'RF946');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'path: ops.yaml')]);
    expect(f[0]!.message).toContain('must specify a target for JSON patch [path: "ops.yaml"]');
  });

  it('a patchesJson6902 entry with no target, and one whose target has no name: RF946', () => {
    const a = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n';
    const fa = codes(walked(app(a, { 'app/ops.yaml': ops })), 'RF946');
    expect(fa.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', a, 'path: ops.yaml')]);
    expect(fa[0]!.message).toContain('patchesJson6902[0] has no target');
    const b = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n    target:\n      version: v1\n      kind: Deployment\n';
    const fb = codes(walked(app(b, { 'app/ops.yaml': ops })), 'RF946');
    expect(fb.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', b, 'version: v1')]);
    expect(fb[0]!.message).toContain('must specify the target name');
  });

  it('twins: with a target the JSON patch builds; a strategic-merge patch needs none', () => {
    const a = `namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - target:\n      kind: Deployment\n      name: gitlab-runner\n    patch: |-\n${ops.replace(/^/gm, '      ')}`;
    const ra = walked(app(a));
    expect(codes(ra, 'RF946')).toEqual([]);
    expect(managers(ra)[0]).toMatch(/^manager ci\/gitlab-runner /);
    const b = 'namespace: ci\nresources:\n  - manager.yaml\npatchesJson6902:\n  - path: ops.yaml\n    target:\n      version: v1\n      kind: Deployment\n      name: gitlab-runner\n';
    expect(codes(walked(app(b, { 'app/ops.yaml': ops })), 'RF946')).toEqual([]);
    const c = 'namespace: ci\nresources:\n  - manager.yaml\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: gitlab-runner\n        annotations:\n          x: y\n';
    expect(codes(walked(app(c)), 'RF946')).toEqual([]);
  });
});
