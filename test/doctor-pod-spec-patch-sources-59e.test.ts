import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kubernetesRunnerToml, patchPathChartValues } from './helpers/doctor.js';

/**
 * Stop 59e: a `[[runners.kubernetes.pod_spec]] patch_path` read from more of the places the files show
 * (pod-spec-patch-path.ts): a Secret volume (data base64, stringData), a projected volume's
 * configMap/secret sources, `items` that put a key at another path, the gitlab-runner chart's
 * `configMaps` (at /configmaps) and `volumes`/`volumeMounts` values, and a kustomize
 * configMapGenerator's built ConfigMap. Each read is judged as an inline patch; a twin each where the
 * file is not there stays RF903.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const notRead = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('patch_path'));
const said = (r: DoctorResult, what: string) => of(r, 'RF309').filter((f) => f.message.includes('patch_path') && f.message.includes(what));

const toml = (path: string) =>
  kubernetesRunnerToml(`    [[runners.kubernetes.pod_spec]]
      name = "from-file"
      patch_path = ${JSON.stringify(path)}
`);
const indent = (s: string, n: number) => s.split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');
const object = (kind: string, field: string, key: string, value: string, name = 'pod-patches') => `apiVersion: v1
kind: ${kind}
metadata:
  name: ${name}
  namespace: ci
${field}:
  ${key}: |
${indent(value, 4)}
`;
const deployment = (volume: string, mountPath: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: manager
  namespace: ci
spec:
  template:
    spec:
      containers:
        - name: runner
          image: gitlab/gitlab-runner
          volumeMounts:
            - name: patches
              mountPath: ${mountPath}
      volumes:
        - name: patches
${indent(volume, 10)}
`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('Secret volumes', () => {
  it('a secret volume (data): found, and said as not read, since the doctor keeps no Secret values; named by Secret key and workload', () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: pod-patches\n  namespace: ci\ndata:\n  pod.yaml: ${b64('hostPID: true\n')}\n`;
    const r = run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'secret.yaml': secret, 'deploy.yaml': deployment('secret:\n  secretName: pod-patches', '/etc/patches') });
    expect(of(r, 'RF309')).toEqual([]);
    const f = notRead(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('names Secret ci/pod-patches data "pod.yaml" (secret.yaml:7:13), mounted at /etc/patches by Deployment ci/manager');
    expect(f[0]!.message).toContain("the doctor keeps no Secret's values");
    expect(f[0]!.fix).toContain('keep the patch in a ConfigMap');
    expect(JSON.stringify(r.findings)).not.toContain(b64('hostPID: true\n'));
  });

  it('stringData too; twin: a Secret of another name is not the file (the plain RF903)', () => {
    const secret = object('Secret', 'stringData', 'pod.yaml', 'hostNetwork: true');
    const found = notRead(run({ 'config.toml': toml('/etc/patches/pod.yaml'), 's.yaml': secret, 'd.yaml': deployment('secret:\n  secretName: pod-patches', '/etc/patches') }));
    expect(found.map((f) => f.message.includes('Secret ci/pod-patches stringData "pod.yaml"'))).toEqual([true]);
    const other = notRead(run({ 'config.toml': toml('/etc/patches/pod.yaml'), 's.yaml': secret, 'd.yaml': deployment('secret:\n  secretName: other', '/etc/patches') }));
    expect(other.map((f) => f.message.includes('no file given shows it'))).toEqual([true]);
  });
});

describe('projected volumes and items', () => {
  const projected = (items: string) => `projected:\n  sources:\n    - configMap:\n        name: pod-patches${items}\n    - secret:\n        name: unrelated`;
  it('a projected configMap source with items putting key "patch" at pod.yaml: read from key "patch"', () => {
    const r = run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'patch', 'hostIPC: true'), 'd.yaml': deployment(projected('\n        items:\n          - key: patch\n            path: pod.yaml'), '/etc/patches') });
    const f = said(r, 'sets hostIPC: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ConfigMap ci/pod-patches data "patch"');
  });

  it('twins: items that list another path, or none with the key named otherwise, put no file there (RF903)', () => {
    const listed = run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'pod.yaml', 'hostIPC: true'), 'd.yaml': deployment(projected('\n        items:\n          - key: pod.yaml\n            path: other.yaml'), '/etc/patches') });
    expect(of(listed, 'RF309')).toEqual([]);
    expect(notRead(listed)).toHaveLength(1);
    const plain = run({ 'config.toml': toml('/etc/patches/pod.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'patch', 'hostIPC: true'), 'd.yaml': deployment(projected(''), '/etc/patches') });
    expect(notRead(plain)).toHaveLength(1);
  });

  it('a configMap volume with items at a folder below the mount (sub/pod.yaml)', () => {
    const r = run({ 'config.toml': toml('/etc/patches/sub/pod.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'k', 'hostPID: true'), 'd.yaml': deployment('configMap:\n  name: pod-patches\n  items:\n    - key: k\n      path: sub/pod.yaml', '/etc/patches') });
    expect(said(r, 'hostPID: true')).toHaveLength(1);
  });
});

const values = patchPathChartValues;

describe('the gitlab-runner chart\'s values', () => {
  it('configMaps: /configmaps/<key> is the chart value, said as it', () => {
    const v = values('/configmaps/pod.yaml', 'configMaps:\n  pod.yaml: |\n    hostNetwork: true\n');
    const r = run({ 'values.yaml': v });
    const f = said(r, 'hostNetwork: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('the chart value configMaps.pod.yaml');
    expect(notRead(r)).toEqual([]);
  });

  it('twin: configMaps without that key, or the path elsewhere than /configmaps: RF903', () => {
    expect(notRead(run({ 'values.yaml': values('/configmaps/pod.yaml', 'configMaps:\n  other.yaml: |\n    hostNetwork: true\n') }))).toHaveLength(1);
    expect(notRead(run({ 'values.yaml': values('/etc/pod.yaml', 'configMaps:\n  pod.yaml: |\n    hostNetwork: true\n') }))).toHaveLength(1);
  });

  it('volumes/volumeMounts naming a ConfigMap of the files: read from it, naming the chart values', () => {
    const more = 'volumeMounts:\n  - name: patches\n    mountPath: /etc/patches\nvolumes:\n  - name: patches\n    configMap:\n      name: pod-patches\n';
    const r = run({ 'values.yaml': values('/etc/patches/pod.yaml', more), 'cm.yaml': object('ConfigMap', 'data', 'pod.yaml', 'hostPID: true') });
    const f = said(r, 'hostPID: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('in the manager by the chart values volumes/volumeMounts');
    // Twin: mounted elsewhere.
    expect(notRead(run({ 'values.yaml': values('/etc/patches/pod.yaml', more.replace('/etc/patches', '/opt')), 'cm.yaml': object('ConfigMap', 'data', 'pod.yaml', 'hostPID: true') }))).toHaveLength(1);
  });
});

describe('a kustomize configMapGenerator', () => {
  it('the generated ConfigMap (name with its hash, the reference rewritten) is read from the file the generator names', () => {
    const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ci
resources:
  - deploy.yaml
configMapGenerator:
  - name: pod-patches
    files:
      - pod.yaml
`;
    const r = run({ 'k/config.toml': toml('/etc/patches/pod.yaml'), 'k/kustomization.yaml': kustomization, 'k/deploy.yaml': deployment('configMap:\n  name: pod-patches', '/etc/patches'), 'k/pod.yaml': 'hostPID: true\n' });
    const f = said(r, 'hostPID: true');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('(read from k/pod.yaml, the file of configMapGenerator "pod-patches" (k/kustomization.yaml:7:11) under key "pod.yaml", mounted at /etc/patches by Deployment ci/manager)');
  });

  it('twins: a generator of another name, or a file above the kustomization\'s folder (kustomize\'s load restrictor refuses it), is not read: RF903', () => {
    const files = (gen: string, file: string) => ({ 'k/config.toml': toml('/etc/patches/pod.yaml'), 'k/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ci\nresources:\n  - deploy.yaml\nconfigMapGenerator:\n  - name: ${gen}\n    files:\n      - ${file}\n`, 'k/deploy.yaml': deployment('configMap:\n  name: pod-patches', '/etc/patches'), 'k/pod.yaml': 'hostPID: true\n', 'pod.yaml': 'hostPID: true\n' });
    for (const [gen, file] of [['other', 'pod.yaml'], ['pod-patches', '../pod.yaml']]) {
      const r = run(files(gen!, file!));
      expect(of(r, 'RF309').filter((f) => f.message.includes('patch_path'))).toEqual([]);
      expect(notRead(r)).toHaveLength(1);
    }
  });
});

describe('hostile inputs', () => {
  it('200,000 blank lines in a ConfigMap key before hostPID; a 200,000-character key and mount path match nothing and cost one pass', () => {
    const cm = object('ConfigMap', 'data', 'pod.yaml', `${'\n'.repeat(200_000)}hostPID: true`);
    expect(said(run({ 'config.toml': toml('/etc/patches/pod.yaml'), 's.yaml': cm, 'd.yaml': deployment('projected:\n  sources:\n    - configMap:\n        name: pod-patches', '/etc/patches') }), 'hostPID: true')).toHaveLength(1);
    const word = 'w'.repeat(200_000);
    const r = run({ 'config.toml': toml(`/etc/patches/${word}`), 's.yaml': object('Secret', 'stringData', `${word}x`, 'hostPID: true'), 'd.yaml': deployment('secret:\n  secretName: pod-patches', `/etc/patches/${word}`) });
    expect(of(r, 'RF309')).toEqual([]);
    expect(notRead(r)).toHaveLength(1);
  });

  it('items paths climbing out (../) and a patch_path climbing above the mount match nothing', () => {
    const climb = run({ 'config.toml': toml('/etc/x.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'k', 'hostPID: true'), 'd.yaml': deployment('configMap:\n  name: pod-patches\n  items:\n    - key: k\n      path: ../x.yaml', '/etc/patches') });
    expect(of(climb, 'RF309')).toEqual([]);
    const up = run({ 'config.toml': toml('/etc/patches/../pod.yaml'), 'cm.yaml': object('ConfigMap', 'data', 'pod.yaml', 'hostPID: true'), 'd.yaml': deployment('configMap:\n  name: pod-patches', '/etc/patches') });
    expect(of(up, 'RF309')).toEqual([]);
  });
});
