import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kubernetesRunnerToml, patchPathChartValues } from './helpers/doctor.js';

/**
 * Stop 60e: the file a `[[runners.kubernetes.pod_spec]] patch_path` names is on the runner manager's
 * own filesystem (gitlab-runner common/config.go PodSpecPatch, os.ReadFile), so only the manager's
 * mounts put it there: another workload of the namespace mounting a ConfigMap at the same path is
 * another pod's file. A chart release's manager is the chart's Deployment (its values' volumes), and a
 * VM's is no pod at all. Where no workload is shown to run the config.toml, a mount of another
 * workload is still read, said as a guess.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const notRead = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('patch_path'));
const said = (r: DoctorResult, what: string) => of(r, 'RF309').filter((f) => f.message.includes('patch_path') && f.message.includes(what));

const toml = kubernetesRunnerToml(`    [[runners.kubernetes.pod_spec]]
      name = "from-file"
      patch_path = "/etc/patches/pod.yaml"
`);
const configMap = (name: string, body: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ci
data:
  pod.yaml: |
    ${body}
`;
const workload = (name: string, image: string, cm: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ci
spec:
  template:
    spec:
      containers:
        - name: main
          image: ${image}
          volumeMounts:
            - name: patches
              mountPath: /etc/patches
      volumes:
        - name: patches
          configMap:
            name: ${cm}
`;
const MANAGER_IMAGE = 'gitlab/gitlab-runner:v17.5.0';
// The other workload's file comes first: the doctor must not take the first mount it meets.
const twoWorkloads = (managerCm: string) => ({
  'a-other.yaml': workload('other', 'busybox', 'other-patches'),
  'b-manager.yaml': workload('manager', MANAGER_IMAGE, managerCm),
  'config.toml': toml,
  'cm-other.yaml': configMap('other-patches', 'hostPID: true'),
  'cm-manager.yaml': configMap('manager-patches', 'hostIPC: true'),
});

describe("patch_path: the manager's mount, not another workload's", () => {
  it("two workloads mount different ConfigMaps at /etc/patches: the manager's is read (hostIPC), the other's (hostPID) is not", () => {
    const r = run(twoWorkloads('manager-patches'));
    expect(said(r, 'hostPID: true')).toEqual([]);
    const f = said(r, 'hostIPC: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('read from ConfigMap ci/manager-patches data "pod.yaml" (cm-manager.yaml:7:13), mounted at /etc/patches by Deployment ci/manager)');
    expect(f[0]!.message).not.toContain('a guess');
  });

  it('twin: the manager mounts the hostPID ConfigMap itself: read, RF309', () => {
    const r = run(twoWorkloads('other-patches'));
    const f = said(r, 'hostPID: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('mounted at /etc/patches by Deployment ci/manager)');
  });

  it('only another workload mounts a ConfigMap there, the manager nothing: not read, RF903 names the path', () => {
    const files: Record<string, string> = { ...twoWorkloads('manager-patches') };
    files['b-manager.yaml'] = files['b-manager.yaml']!.replace(/ {10}volumeMounts:[\s\S]*$/, '');
    const r = run(files);
    expect(said(r, 'hostPID: true')).toEqual([]);
    expect(notRead(r)).toHaveLength(1);
  });

  it('twin: no workload runs the config.toml (no manager Deployment): the other workload\'s mount is read, said as a guess', () => {
    const files: Record<string, string> = twoWorkloads('manager-patches');
    delete files['b-manager.yaml'];
    const f = said(run(files), 'hostPID: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("mounted at /etc/patches by Deployment ci/other (no workload of the files is shown to run this config.toml: taken to be the manager's, a guess)");
  });
});

describe("patch_path of a chart release: the chart's manager pod, not a workload of the files", () => {
  const values = patchPathChartValues('/etc/patches/pod.yaml');
  const mounts = 'volumeMounts:\n  - name: patches\n    mountPath: /etc/patches\nvolumes:\n  - name: patches\n    configMap:\n      name: other-patches\n';

  it("a Deployment of the files mounts a ConfigMap at the path, the chart values mount nothing there: not read, RF903", () => {
    const r = run({ 'values.yaml': values, 'other.yaml': workload('other', 'busybox', 'other-patches'), 'cm.yaml': configMap('other-patches', 'hostPID: true') });
    expect(said(r, 'hostPID: true')).toEqual([]);
    expect(notRead(r)).toHaveLength(1);
  });

  it("twin: the chart values' volumes mount it: read, RF309", () => {
    const r = run({ 'values.yaml': `${values}${mounts}`, 'other.yaml': workload('other', 'busybox', 'other-patches'), 'cm.yaml': configMap('other-patches', 'hostPID: true') });
    const f = said(r, 'hostPID: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('in the manager by the chart values volumes/volumeMounts');
  });
});
