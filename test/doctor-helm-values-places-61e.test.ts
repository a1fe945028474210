import { describe, expect, it } from 'vitest';
import { doctorTexts } from './helpers/doctor.js';
import { argoApplication as application, rf907, runnerIam as iam, runnerValues as values, umbrellaChart, underKey } from './helpers/umbrella.js';

/**
 * Stop 61e: where a value of layered Helm values is said to be written. A later layer that adds a key
 * inside a map an earlier layer wrote whole took over the place of that map's other keys (the inner
 * map was marked with the later layer), so a finding about a value written in values.yaml pointed into
 * the Argo CD Application. A key keeps the place of the layer that wrote it; a map no layer marked
 * takes its nearest marked parent's place.
 */

const run = doctorTexts;
// The parent's values.yaml writes rbac.create, which RF907 points at (line 5: runner:, then the values indented, rbac: on 4).
const chart = umbrellaChart('    alias: runner\n');
const parent = underKey('runner');
const files = (app: string, parentValues = parent) => ({ 'argo/app.yaml': app, 'platform/Chart.yaml': chart, 'platform/values.yaml': parentValues, 'iam/main.tf': iam });

describe('layered Helm values: a key keeps the place of the layer that wrote it', () => {
  it('the Application adds a sibling key (rbac.clusterWideAccess) in the map values.yaml wrote whole: RF907 on rbac.create points at values.yaml', () => {
    expect(parent.split('\n')[4]).toBe('    create: true');
    const f = rf907(run(files(application('        runner:\n          rbac:\n            clusterWideAccess: true'))));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ClusterRole');
    expect(f[0]!.path).toBe('platform/values.yaml:5:13');
  });

  it('twin: the Application writes rbac.create itself: RF907 points at the Application', () => {
    const f = rf907(run(files(application('        runner:\n          rbac:\n            create: true'))));
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toMatch(/^argo\/app\.yaml:16:/);
  });

  it('no sibling added: RF907 points at rbac.create in values.yaml (before: the section as a whole, its first key)', () => {
    const f = rf907(run(files(application('        other: {}'))));
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('platform/values.yaml:5:13');
  });

  it('twin: the runner chart of the Application with a values.yaml of its own (no umbrella): rbac.create of the sibling-added map keeps its place', () => {
    const own = { 'argo/app.yaml': application('        rbac:\n          clusterWideAccess: true').replace('path: platform', 'path: charts/gitlab-runner'), 'charts/gitlab-runner/Chart.yaml': 'apiVersion: v1\nname: gitlab-runner\nversion: 0.71.0\n', 'charts/gitlab-runner/values.yaml': values, 'iam/main.tf': iam };
    const f = rf907(run(own));
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('charts/gitlab-runner/values.yaml:4:11');
  });
});
