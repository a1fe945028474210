import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kubernetesRunnerToml } from './helpers/doctor.js';

/**
 * Stop 58c: `[[runners.kubernetes.pod_spec]] patch_path`. The runner manager reads the file from its
 * own filesystem (gitlab-runner common/config.go PodSpecPatch, os.ReadFile), so the doctor reads it
 * only where the files show it: a ConfigMap mounted at that path, or (a guess, said so) the file at
 * that relative path beside a config.toml given. Read, it is judged as an inline patch; else one RF903
 * (info) names the path. A path that leaves the folder given matches nothing.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const patchPathNotes = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('patch_path'));
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const toml = (path: string) =>
  kubernetesRunnerToml(`    [[runners.kubernetes.pod_spec]]
      name = "from-file"
      patch_path = ${JSON.stringify(path)}
      patch_type = "strategic"
`);

const configMap = (key: string, body: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: pod-patches
  namespace: ci
data:
  ${key}: |
${body.split('\n').map((l) => `    ${l}`).join('\n')}
`;
const deployment = (mountPath: string, subPath = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
  namespace: ci
spec:
  template:
    spec:
      containers:
        - name: app
          image: busybox
          volumeMounts:
            - name: patches
              mountPath: ${mountPath}${subPath !== '' ? `\n              subPath: ${subPath}` : ''}
      volumes:
        - name: patches
          configMap:
            name: pod-patches
`;

describe('patch_path', () => {
  it('a file not given: one RF903 (info) at patch_path naming the path; nothing else said of it', () => {
    const t = toml('/etc/gitlab-runner/pod.yaml');
    const r = run({ 'config.toml': t });
    const f = patchPathNotes(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('info');
    expect(f[0]!.path).toBe(`config.toml:${lineOf(t, 'patch_path')}:7`);
    expect(f[0]!.message).toContain('patch_path = "/etc/gitlab-runner/pod.yaml" names a file the runner manager reads from its own filesystem');
    expect(of(r, 'RF309')).toEqual([]);
  });

  it('a relative path with the file beside the config.toml: read (said as a guess), its hostNetwork is RF309 at patch_path', () => {
    const t = toml('patches/pod.yaml');
    const r = run({ 'runner/config.toml': t, 'runner/patches/pod.yaml': 'hostNetwork: true\n' });
    const f = of(r, 'RF309');
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe(`runner/config.toml:${lineOf(t, 'patch_path')}:7`);
    expect(f[0]!.message).toContain('patch_path = "patches/pod.yaml" (read from runner/patches/pod.yaml, the file at that path beside runner/config.toml');
    expect(f[0]!.message).toContain("the node's network namespace");
    expect(patchPathNotes(r)).toEqual([]);
  });

  it('an absolute path where a ConfigMap is mounted at its folder: read from the ConfigMap key, naming the workload', () => {
    const t = toml('/etc/patches/pod.yaml');
    const r = run({ 'config.toml': t, 'cm.yaml': configMap('pod.yaml', 'hostPID: true'), 'deploy.yaml': deployment('/etc/patches') });
    const f = of(r, 'RF309').filter((x) => x.message.includes('patch_path'));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('read from ConfigMap ci/pod-patches data "pod.yaml" (cm.yaml:7:13)');
    expect(f[0]!.message).toContain('mounted at /etc/patches by Deployment ci/other');
    expect(f[0]!.message).toContain('sets hostPID: true');
  });

  it('mounted at the path itself with subPath the key: read too', () => {
    const r = run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': configMap('pod.yaml', 'hostIPC: true'), 'deploy.yaml': deployment('/etc/patches/pod.yaml', 'pod.yaml') });
    expect(of(r, 'RF309').filter((x) => x.message.includes('sets hostIPC: true'))).toHaveLength(1);
  });

  it('guards: the ConfigMap mounted elsewhere, or the key another, is not the file: RF903', () => {
    expect(patchPathNotes(run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': configMap('pod.yaml', 'hostPID: true'), 'deploy.yaml': deployment('/opt/other') }))).toHaveLength(1);
    expect(patchPathNotes(run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': configMap('other.yaml', 'hostPID: true'), 'deploy.yaml': deployment('/etc/patches') }))).toHaveLength(1);
  });

  it('a patch read that sets nothing risky: no RF309, no RF903', () => {
    const r = run({ 'config.toml': toml('pod.yaml'), 'pod.yaml': 'containers:\n  - name: build\n    resources:\n      requests:\n        cpu: 500m\n' });
    expect(of(r, 'RF309')).toEqual([]);
    expect(patchPathNotes(r)).toEqual([]);
  });

  it('guard: FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = false: no patch applies, nothing said', () => {
    const t = toml('/x/pod.yaml').replace('  [runners.kubernetes]\n', '  [runners.feature_flags]\n    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = false\n  [runners.kubernetes]\n');
    expect(patchPathNotes(run({ 'config.toml': t }))).toEqual([]);
  });
});

describe('hostile inputs', () => {
  it('a path leaving the folder given (../../etc/passwd) reads nothing, not even a file of that name given: RF903', () => {
    const r = run({ 'deploy/config.toml': toml('../../etc/passwd'), 'etc/passwd': 'hostNetwork: true\n' });
    expect(of(r, 'RF309')).toEqual([]);
    expect(patchPathNotes(r)).toHaveLength(1);
  });

  it('a patch file of 200,000 blank lines before hostPID is read through; a 200,000-character path is cut short in the finding', () => {
    const r = run({ 'config.toml': toml('pod.yaml'), 'pod.yaml': `${'\n'.repeat(200_000)}hostPID: true\n` });
    expect(of(r, 'RF309').filter((f) => f.message.includes('sets hostPID: true'))).toHaveLength(1);
    const long = run({ 'config.toml': toml('p'.repeat(200_000)) });
    const f = patchPathNotes(long);
    expect(f).toHaveLength(1);
    expect(f[0]!.message.length).toBeLessThan(2000);
    expect(f[0]!.received!.length).toBeLessThanOrEqual(200);
  });
});
