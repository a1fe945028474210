import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { terraformToK8sObject } from '../src/doctor/kubernetes-terraform.js';
import { corpusFiles, PROVIDER_CASE_MANIFESTS_HEAD } from './helpers/doctor.js';

/**
 * A runner manager deployed without the gitlab-runner chart: a Deployment running the
 * gitlab-runner image, its config.toml a key of a ConfigMap the Deployment mounts. Written as
 * hashicorp/kubernetes resources (kubernetes_deployment_v1, kubernetes_config_map_v1) or as YAML
 * manifests, the doctor finds the manager, reads the config.toml it runs with and proves its chain.
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'eks-kubernetes-provider-deployment');
const files = (): InputFile[] => corpusFiles(CASE);
const text = (f: InputFile) => Buffer.from(f.bytes).toString('utf8');
/** The case with `from` replaced by `to` in one file (`from` must be there). */
function edited(file: string, from: string, to: string): InputFile[] {
  return files().map((f) => {
    if (f.path !== file) return f;
    expect(text(f)).toContain(from);
    return { path: f.path, bytes: Buffer.from(text(f).replace(from, to)) };
  });
}
const codes = (r: ReturnType<typeof doctor>) => r.findings.map((f) => f.code);
const TRUST = 'only cluster:gitlab-runner/gitlab-runner-manager can assume the manager role gitlab-runner-manager (4 service accounts tried)';

describe('doctor: a kubernetes_deployment_v1 running gitlab-runner is the manager', () => {
  it('reads the Deployment, its service account and the config.toml of the ConfigMap it mounts, and proves the chain', () => {
    const r = doctor(files());
    expect(codes(r)).not.toContain('RF910');
    // The manager container writes no security_context: its pod does not meet restricted, said at the container block.
    const rf308 = r.findings.find((f) => f.code === 'RF308');
    expect(rf308?.path).toBe('k8s.tf:116:9');
    expect(rf308?.message).toBe('kubernetes_deployment_v1.manager: the manager pod does not meet Pod Security restricted: runAsNonRoot is not true; allowPrivilegeEscalation is not false; capabilities.drop does not include ALL; seccompProfile.type is (missing), not RuntimeDefault or Localhost');
    expect(rf308?.fix).toContain('in the container block gitlab-runner of kubernetes_deployment_v1.manager, set security_context { run_as_non_root = true, allow_privilege_escalation = false, capabilities { drop = ["ALL"] }, seccomp_profile { type = "RuntimeDefault" } }');
    expect([...r.chains.values()]).toEqual([[
      'manager gitlab-runner/gitlab-runner-manager (k8s.tf:100:1) → role gitlab-runner-manager',
      // The jobs' service account, at its line in the ConfigMap's heredoc.
      'jobs gitlab-runner/gitlab-runner-jobs (k8s.tf:86:11)',
      'cache s3://platform-runner-cache/cache',
    ]]);
    const proofs = Object.fromEntries(r.proofs.map((p) => [p.claim, p.holds]));
    expect(proofs[TRUST]).toBe(true);
    expect(proofs['the manager reads and writes cache/ in cache platform-runner-cache and nothing else there']).toBe(true);
    expect(proofs['jobs cannot reach cache platform-runner-cache directly']).toBe(true);
  });

  it('no RF308 when the pod and container security_context blocks meet restricted (read in the API\'s camelCase)', () => {
    const r = doctor(edited('k8s.tf', '        service_account_name = kubernetes_service_account_v1.manager.metadata[0].name\n', [
      '        service_account_name = kubernetes_service_account_v1.manager.metadata[0].name',
      '        security_context {',
      '          run_as_non_root = true',
      '          run_as_user     = 100',
      '          seccomp_profile {',
      '            type = "RuntimeDefault"',
      '          }',
      '        }',
      '',
    ].join('\n')).map((f) => (f.path === 'k8s.tf' ? { path: f.path, bytes: Buffer.from(text(f).replace('          args  = ["run", "--config", "/etc/gitlab-runner/config.toml"]\n', [
      '          args  = ["run", "--config", "/etc/gitlab-runner/config.toml"]',
      '          security_context {',
      '            allow_privilege_escalation = false',
      '            capabilities {',
      '              drop = ["ALL"]',
      '            }',
      '          }',
      '',
    ].join('\n'))) } : f)));
    expect(codes(r)).not.toContain('RF308');
    expect(codes(r).sort()).toEqual(['RF208', 'RF307', 'RF911']);
  });

  it('RF308 names what the container writes wrong: privileged = true in its security_context', () => {
    const r = doctor(edited('k8s.tf', '          args  = ["run", "--config", "/etc/gitlab-runner/config.toml"]\n', [
      '          args  = ["run", "--config", "/etc/gitlab-runner/config.toml"]',
      '          security_context {',
      '            run_as_non_root            = true',
      '            allow_privilege_escalation = false',
      '            privileged                 = true',
      '            capabilities {',
      '              drop = ["ALL"]',
      '            }',
      '            seccomp_profile {',
      '              type = "RuntimeDefault"',
      '            }',
      '          }',
      '',
    ].join('\n')));
    const rf308 = r.findings.find((f) => f.code === 'RF308');
    expect(rf308?.message).toBe('kubernetes_deployment_v1.manager: the manager pod does not meet Pod Security restricted: privileged is true');
    expect(rf308?.path).toBe('k8s.tf:120:11');
    expect(rf308?.fix).toContain('set security_context { privileged = false }');
  });

  it('RF104 when the Deployment runs as a service account the role\'s trust does not admit', () => {
    const r = doctor(edited('k8s.tf', 'resource "kubernetes_service_account_v1" "jobs" {', [
      'resource "kubernetes_service_account_v1" "other" {',
      '  metadata {',
      '    name      = "gitlab-runner"',
      '    namespace = kubernetes_namespace_v1.runner.metadata[0].name',
      '    annotations = {',
      '      "eks.amazonaws.com/role-arn" = aws_iam_role.manager.arn',
      '    }',
      '  }',
      '}',
      '',
      'resource "kubernetes_service_account_v1" "jobs" {',
    ].join('\n')).map((f) => (f.path === 'k8s.tf' ? { path: f.path, bytes: Buffer.from(text(f).replace('service_account_name = kubernetes_service_account_v1.manager.metadata[0].name', 'service_account_name = kubernetes_service_account_v1.other.metadata[0].name')) } : f)));
    const rf104 = r.findings.find((f) => f.code === 'RF104');
    expect(rf104?.message).toContain('ServiceAccount gitlab-runner/gitlab-runner');
    expect(rf104?.message).toContain('admits only system:serviceaccount:gitlab-runner:gitlab-runner-manager');
    // At the role annotation of the service account (before: k8s.tf:23:3, its `metadata {`).
    expect(rf104?.path).toBe('k8s.tf:27:38');
    expect([...r.chains.values()][0]![0]).toBe('manager gitlab-runner/gitlab-runner (k8s.tf:110:1) → role gitlab-runner-manager');
    expect(r.proofs.find((p) => p.claim.startsWith('only cluster:gitlab-runner/gitlab-runner can assume'))?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('a setting of the mounted config.toml is judged where the ConfigMap writes it (privileged jobs: RF301 at its heredoc line)', () => {
    const r = doctor(edited('k8s.tf', 'privileged = false', 'privileged = true'));
    const rf301 = r.findings.find((f) => f.code === 'RF301');
    expect(rf301?.path).toBe('k8s.tf:87:11');
  });

  it('a Deployment that mounts no ConfigMap with a config.toml: the config is not shown (RF903), the manager is still found', () => {
    const r = doctor(edited('k8s.tf', 'name = kubernetes_config_map_v1.runner_config.metadata[0].name', 'name = "elsewhere"'));
    expect(codes(r)).not.toContain('RF910');
    expect(r.findings.find((f) => f.code === 'RF903' && f.message.includes('its config.toml'))?.path).toBe('k8s.tf:100:1');
  });

  it('a config.toml that is not TOML is RF901 at the ConfigMap key', () => {
    const r = doctor(edited('k8s.tf', 'concurrent = 4', 'concurrent = = 4'));
    const rf901 = r.findings.find((f) => f.code === 'RF901');
    expect(rf901?.message).toContain('ConfigMap gitlab-runner/gitlab-runner-config: config.toml is not valid TOML');
    expect(rf901?.path).toMatch(/^k8s\.tf:\d+:\d+$/);
  });
});

describe('terraformToK8sObject: a kubernetes_deployment_v1 as the Deployment it creates', () => {
  it('a key named like an Object.prototype member is a key like any other (kept as written)', () => {
    const o = terraformToK8sObject('kubernetes_deployment_v1', { metadata: [{ name: 'm', namespace: 'ci' }], spec: [{ constructor: 'x', to_string: 'y', __proto__: 'z' }] });
    const spec = (o as unknown as { spec: Record<string, unknown> }).spec;
    expect(Object.keys(spec).sort()).toEqual(['constructor', 'toString']);
    expect(spec.constructor).toBe('x');
  });
  it('takes the provider\'s lists of one block (terraform show -json) to the API\'s objects, list blocks to lists, keys to camelCase', () => {
    const body = {
      metadata: [{ name: 'gitlab-runner', namespace: 'ci', labels: { 'app.kubernetes.io/name': 'gitlab-runner' } }],
      spec: [{
        replicas: 1,
        selector: [{ match_labels: { app_name: 'gitlab-runner' } }],
        template: [{
          metadata: [{ labels: { app_name: 'gitlab-runner' } }],
          spec: [{
            service_account_name: 'runner',
            security_context: [{ run_as_non_root: true, run_as_user: 100, seccomp_profile: [{ type: 'RuntimeDefault' }] }],
            container: [
              { name: 'gitlab-runner', image: 'gitlab/gitlab-runner:v17.5.0', security_context: [{ allow_privilege_escalation: false, capabilities: [{ drop: ['ALL'], add: [] }] }], volume_mount: [{ name: 'config', mount_path: '/etc/gitlab-runner' }] },
              { name: 'sidecar', image: 'busybox', volume_mount: [] },
            ],
            volume: [{ name: 'config', config_map: [{ name: 'runner-config', items: [{ key: 'runner.toml', path: 'config.toml' }] }] }, { name: 'token', secret: [{ secret_name: 'runner-token' }] }],
          }],
        }],
      }],
    };
    const o = terraformToK8sObject('kubernetes_deployment_v1', body)!;
    expect(o).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gitlab-runner', namespace: 'ci', labels: { 'app.kubernetes.io/name': 'gitlab-runner' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app_name: 'gitlab-runner' } },
        template: {
          metadata: { labels: { app_name: 'gitlab-runner' } },
          spec: {
            serviceAccountName: 'runner',
            securityContext: { runAsNonRoot: true, runAsUser: 100, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              { name: 'gitlab-runner', image: 'gitlab/gitlab-runner:v17.5.0', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, volumeMounts: [{ name: 'config', mountPath: '/etc/gitlab-runner' }] },
              { name: 'sidecar', image: 'busybox', volumeMounts: [] },
            ],
            volumes: [{ name: 'config', configMap: { name: 'runner-config', items: [{ key: 'runner.toml', path: 'config.toml' }] } }, { name: 'token', secret: { secretName: 'runner-token' } }],
          },
        },
      },
    });
    expect(terraformToK8sObject('kubernetes_deployment', body)?.kind).toBe('Deployment');
    expect(terraformToK8sObject('kubernetes_config_map_v1', { metadata: [{ name: 'c', namespace: 'ci' }], data: { 'config.toml': 'concurrent = 1\n' } })).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ci' }, data: { 'config.toml': 'concurrent = 1\n' } });
  });
});

describe('doctor: the same runner as YAML manifests reads the config.toml of the ConfigMap the Deployment mounts', () => {
  const manifests = (cmKey: string) => [
    ...PROVIDER_CASE_MANIFESTS_HEAD,
    '  name: gitlab-runner-config',
    '  namespace: gitlab-runner',
    'data:',
    `  ${cmKey}: |`,
    '    concurrent = 4',
    '    [[runners]]',
    '      name = "eks"',
    '      executor = "kubernetes"',
    '      [runners.kubernetes]',
    '        namespace = "gitlab-runner"',
    '        service_account = "gitlab-runner-jobs"',
    '      [runners.cache]',
    '        Type = "s3"',
    '        Path = "cache"',
    '        Shared = true',
    '        [runners.cache.s3]',
    '          BucketName = "platform-runner-cache"',
    '          BucketLocation = "us-west-2"',
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: gitlab-runner',
    '  namespace: gitlab-runner',
    'spec:',
    '  template:',
    '    spec:',
    '      serviceAccountName: gitlab-runner-manager',
    '      containers:',
    '        - name: gitlab-runner',
    '          image: gitlab/gitlab-runner:v17.5.0',
    '          securityContext:',
    '            runAsNonRoot: true',
    '            allowPrivilegeEscalation: false',
    '            capabilities: { drop: [ALL] }',
    '            seccompProfile: { type: RuntimeDefault }',
    '          volumeMounts:',
    '            - name: config',
    '              mountPath: /etc/gitlab-runner',
    '      volumes:',
    '        - name: config',
    '          configMap:',
    '            name: gitlab-runner-config',
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    '  name: gitlab-runner-manager',
    '  namespace: gitlab-runner',
    'rules:',
    '  - apiGroups: [""]',
    '    resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]',
    '    verbs: [get, list, watch, create, patch, update, delete]',
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: RoleBinding',
    'metadata:',
    '  name: gitlab-runner-manager',
    '  namespace: gitlab-runner',
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: Role',
    '  name: gitlab-runner-manager',
    'subjects:',
    '  - kind: ServiceAccount',
    '    name: gitlab-runner-manager',
    '    namespace: gitlab-runner',
    '',
  ].join('\n');
  const iam = files().find((f) => f.path === 'iam.tf')!;

  it('jobs, cache and proofs from the ConfigMap; findings about its settings at their line in the literal block', () => {
    const r = doctor([iam, { path: 'runner/k8s.yaml', bytes: Buffer.from(manifests('config.toml')) }]);
    expect([...r.chains.values()]).toEqual([[
      'manager gitlab-runner/gitlab-runner-manager (runner/k8s.yaml:44:1) → role gitlab-runner-manager',
      'jobs gitlab-runner/gitlab-runner-jobs (runner/k8s.yaml:35:9)',
      'cache s3://platform-runner-cache/cache',
    ]]);
    expect(r.findings.find((f) => f.code === 'RF911')?.path).toBe('runner/k8s.yaml:35:9');
    expect(r.proofs.find((p) => p.claim === TRUST)?.holds).toBe(true);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('a ConfigMap key the Deployment does not mount as config.toml is not the config (RF903)', () => {
    const r = doctor([iam, { path: 'runner/k8s.yaml', bytes: Buffer.from(manifests('other.toml')) }]);
    expect(r.findings.some((f) => f.code === 'RF903' && f.message.includes('its config.toml'))).toBe(true);
  });
});
