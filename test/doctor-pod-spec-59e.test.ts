import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kubernetesRunnerToml } from './helpers/doctor.js';

/**
 * Stop 59e: `[[runners.kubernetes.pod_spec]]` tables the runner refuses, and patch_path files read
 * from more of the places the files show. A table with both `patch` and `patch_path` makes
 * gitlab-runner's PodSpecPatch (common/config.go) return "ambiguous patch: both patch path and patch
 * provided"; setupBuildPod returns it for every job with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on,
 * before the pod is made: RF947 at patch_path.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const FLAG_ON = '  [runners.feature_flags]\n    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = true\n  [runners.kubernetes]\n';
const FLAG_OFF = FLAG_ON.replace('= true', '= false');
const flagged = (t: string, flags: string) => t.replace('  [runners.kubernetes]\n', flags);

const both = kubernetesRunnerToml(`    [[runners.kubernetes.pod_spec]]
      name = "both"
      patch = "hostNetwork: true"
      patch_path = "/etc/gitlab-runner/pod.yaml"
`);

describe('pod_spec with both patch and patch_path (RF947)', () => {
  it('flag on in the entry: RF947 (error) at patch_path, the runner\'s error and every job failing; the inline patch is not judged as applied', () => {
    const t = flagged(both, FLAG_ON);
    const r = run({ 'config.toml': t });
    const f = of(r, 'RF947');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.path).toBe(`config.toml:${lineOf(t, 'patch_path')}:7`);
    expect(f[0]!.message).toContain('[[runners.kubernetes.pod_spec]] "both" with both patch and patch_path = "/etc/gitlab-runner/pod.yaml"');
    expect(f[0]!.message).toContain('ambiguous patch: both patch path and patch provided');
    expect(f[0]!.message).toContain('every job of this entry fails before its pod is created');
    expect(f[0]!.fix).toContain('keep one of the two');
    // The runner applies no patch of the entry, so hostNetwork from the inline patch is not said, nor the file's RF903.
    expect(of(r, 'RF309')).toEqual([]);
    expect(of(r, 'RF903').filter((x) => x.message.includes('patch_path'))).toEqual([]);
  });

  it('flag not set: RF947 (warning), the jobs that turn the flag on fail', () => {
    const r = run({ 'config.toml': both });
    const f = of(r, 'RF947');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.message).toContain('every job that turns FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on with a variable fails');
  });

  it('one ambiguous table of several: RF947 at it, and the other tables are not judged as applied', () => {
    const t = kubernetesRunnerToml(`    [[runners.kubernetes.pod_spec]]
      name = "fine"
      patch = "hostPID: true"
    [[runners.kubernetes.pod_spec]]
      name = "both"
      patch = "hostIPC: true"
      patch_path = "pod.yaml"
`);
    const r = run({ 'config.toml': t });
    expect(of(r, 'RF947').map((f) => f.path)).toEqual([`config.toml:${lineOf(t, 'patch_path')}:7`]);
    expect(of(r, 'RF947')[0]!.message).toContain('(entry 1)');
    expect(of(r, 'RF309')).toEqual([]);
  });

  it('twins: patch alone is judged (RF309), patch_path alone is RF903; an empty patch beside patch_path is not "both"; flag false says nothing', () => {
    const patchOnly = run({ 'config.toml': both.replace(/ *patch_path = .*\n/, '') });
    expect(of(patchOnly, 'RF947')).toEqual([]);
    expect(of(patchOnly, 'RF309')).toHaveLength(1);
    const pathOnly = run({ 'config.toml': both.replace(/ *patch = .*\n/, '') });
    expect(of(pathOnly, 'RF947')).toEqual([]);
    expect(of(pathOnly, 'RF903').filter((x) => x.message.includes('patch_path'))).toHaveLength(1);
    // gitlab-runner tests s.Patch != "": an empty patch is none.
    expect(of(run({ 'config.toml': both.replace('patch = "hostNetwork: true"', 'patch = ""') }), 'RF947')).toEqual([]);
    expect(run({ 'config.toml': flagged(both, FLAG_OFF) }).findings.filter((f) => f.code === 'RF947' || f.code === 'RF309')).toEqual([]);
  });

  it('a second [[runners]] entry with both: RF947 naming the entry', () => {
    const t = `${kubernetesRunnerToml('')}
[[runners]]
  name = "second"
  url = "https://gitlab.example.com"
  executor = "kubernetes"
  [runners.kubernetes]
    namespace = "ci"
    [[runners.kubernetes.pod_spec]]
      patch = "hostNetwork: true"
      patch_path = "x.yaml"
`;
    const f = of(run({ 'config.toml': t }), 'RF947');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('of [[runners]] entry 1');
  });
});
