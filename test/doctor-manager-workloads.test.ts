import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { baseDeployment, corpusFiles, deploymentFiles, PROVIDER_CASE_MANIFESTS_HEAD } from './helpers/doctor.js';

/**
 * A runner manager deployed without the chart as a StatefulSet (stable identity) or, wrongly, a
 * DaemonSet (one manager per node), as kubernetes provider resources or YAML manifests: read like
 * a Deployment (its pod template, service account, the config.toml of the ConfigMap it mounts,
 * security contexts, namespace). Several manager pods on one runner's config.toml and token (a
 * DaemonSet, or replicas above 1) are RF918. The chain proof names the workload and its ConfigMap,
 * not Helm values. Built on the corpus case eks-kubernetes-provider-deployment.
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'eks-kubernetes-provider-deployment');
const text = (f: InputFile) => Buffer.from(f.bytes).toString('utf8');
/** The case's files with each `[from, to]` replaced in k8s.tf (each `from` must be there). */
function edited(...edits: [string, string][]): InputFile[] {
  return corpusFiles(CASE).map((f) => {
    if (f.path !== 'k8s.tf') return f;
    let t = text(f);
    for (const [from, to] of edits) {
      expect(t).toContain(from);
      t = t.replace(from, to);
    }
    return { path: f.path, bytes: Buffer.from(t) };
  });
}
const codes = (r: ReturnType<typeof doctor>) => r.findings.map((f) => f.code);
const chainClaim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.startsWith('every reference resolves'));
const TRUST = 'only cluster:gitlab-runner/gitlab-runner-manager can assume the manager role gitlab-runner-manager (4 service accounts tried)';
const AS_STATEFUL_SET: [string, string] = ['resource "kubernetes_deployment_v1" "manager" {', 'resource "kubernetes_stateful_set_v1" "manager" {'];
// The provider requires service_name in a stateful set's spec (registry: kubernetes_stateful_set_v1).
const SERVICE_NAME: [string, string] = ['    replicas = 1\n', '    replicas     = 1\n    service_name = "gitlab-runner"\n'];
const AS_DAEMON_SET: [string, string][] = [['resource "kubernetes_deployment_v1" "manager" {', 'resource "kubernetes_daemon_set_v1" "manager" {'], ['    replicas = 1\n', '']];

describe('doctor: a manager written as kubernetes_stateful_set_v1 is read like a Deployment', () => {
  it('its service account, mounted config.toml, security context and namespace: the same chain, proofs and findings', () => {
    const r = doctor(edited(AS_STATEFUL_SET, SERVICE_NAME));
    expect(codes(r)).not.toContain('RF910');
    expect(codes(r).filter((c) => c !== 'RF208').sort()).toEqual(['RF307', 'RF308', 'RF911']);
    const rf308 = r.findings.find((f) => f.code === 'RF308');
    expect(rf308?.message).toContain('kubernetes_stateful_set_v1.manager: the manager pod does not meet Pod Security restricted');
    expect(rf308?.fix).toContain('in the container block gitlab-runner of kubernetes_stateful_set_v1.manager, set security_context {');
    expect(rf308?.path).toBe('k8s.tf:117:9');
    expect([...r.chains.values()]).toEqual([[
      'manager gitlab-runner/gitlab-runner-manager (k8s.tf:100:1) → role gitlab-runner-manager',
      'jobs gitlab-runner/gitlab-runner-jobs (k8s.tf:86:11)',
      'cache s3://platform-runner-cache/cache',
    ]]);
    expect(r.proofs.find((p) => p.claim === TRUST)?.holds).toBe(true);
    expect(chainClaim(r)).toEqual({ runner: 'gitlab-runner', claim: "every reference resolves: service account ↔ role ↔ trust subject ↔ kubernetes_stateful_set_v1.manager's config.toml (kubernetes_config_map_v1.runner_config)", holds: true });
  });

  it('replicas = 3: three managers on one token (RF918 at replicas, in the provider\'s terms)', () => {
    const r = doctor(edited(AS_STATEFUL_SET, SERVICE_NAME, ['    replicas     = 1\n', '    replicas     = 3\n']));
    const rf918 = r.findings.filter((f) => f.code === 'RF918');
    expect(rf918).toHaveLength(1);
    expect(rf918[0]!.severity).toBe('warning');
    expect(rf918[0]!.path).toBe('k8s.tf:106:20');
    expect(rf918[0]!.message).toBe('kubernetes_stateful_set_v1.manager: replicas is 3, so 3 gitlab-runner manager pods run with one config.toml and runner token: GitLab lists each as another manager of the same runner, and each runs up to 4 jobs at once (concurrent = 4), 12 in all');
    expect(rf918[0]!.fix).toBe('set replicas = 1 in the spec block of kubernetes_stateful_set_v1.manager; to run more jobs at once, raise concurrent in its config.toml (kubernetes_config_map_v1.runner_config) instead');
    expect(rf918[0]!.received).toBe('3');
  });

  it('the provider\'s replicas as terraform show -json writes it (a string, "2") is read as the number', () => {
    const files = edited(AS_STATEFUL_SET, SERVICE_NAME, ['    replicas     = 1\n', '    replicas     = "2"\n']);
    expect(doctor(files).findings.find((f) => f.code === 'RF918')?.message).toContain('replicas is 2, so 2 gitlab-runner manager pods');
  });

  it('replicas not statically known (a variable) is not judged', () => {
    const r = doctor(edited(AS_STATEFUL_SET, SERVICE_NAME, ['    replicas     = 1\n', '    replicas     = var.manager_replicas\n'], ['variable "runner_token" {', 'variable "manager_replicas" {\n  type = number\n}\n\nvariable "runner_token" {']));
    expect(codes(r)).not.toContain('RF918');
    expect(codes(r)).not.toContain('RF910');
  });
});

describe('doctor: a Deployment with replicas above 1 is RF918 too', () => {
  it('kubernetes_deployment_v1 with replicas = 2', () => {
    const r = doctor(edited(['    replicas = 1\n', '    replicas = 2\n']));
    const rf918 = r.findings.find((f) => f.code === 'RF918');
    expect(rf918?.path).toBe('k8s.tf:106:16');
    expect(rf918?.message).toContain('kubernetes_deployment_v1.manager: replicas is 2, so 2 gitlab-runner manager pods run with one config.toml and runner token');
  });

  it('replicas = 1 (as the corpus case writes it) is one manager: no RF918', () => {
    expect(codes(doctor(corpusFiles(CASE)))).not.toContain('RF918');
  });
});

describe('doctor: chart values with replicas above 1 are RF918 too', () => {
  it('replicas: 3 with concurrent: 10 in the values: at replicas, with the fix in the values file', () => {
    const d = baseDeployment();
    d.values.replicas = 3;
    const rf918 = doctor(deploymentFiles(d)).findings.filter((f) => f.code === 'RF918');
    expect(rf918).toHaveLength(1);
    expect(rf918[0]!.path).toMatch(/^deploy\/values\.yaml:\d+:\d+$/);
    expect(rf918[0]!.message).toBe('replicas is 3, so the chart runs 3 gitlab-runner manager pods with one config.toml and runner token: GitLab lists each as another manager of the same runner, and each runs up to 10 jobs at once (concurrent = 10), 30 in all');
    expect(rf918[0]!.fix).toBe('set replicas: 1 in deploy/values.yaml; to run more jobs at once, raise concurrent there instead');
  });

  it('without concurrent in the values, the chart\'s default (10) is said', () => {
    const d = baseDeployment();
    d.values.replicas = 2;
    delete d.values.concurrent;
    expect(doctor(deploymentFiles(d)).findings.find((f) => f.code === 'RF918')?.message).toContain("each runs up to 10 jobs at once (concurrent = 10, the chart's default), 20 in all");
  });
});

describe('doctor: a manager written as kubernetes_daemon_set_v1', () => {
  it('is read as the manager (chain proven), and RF918 says one manager per node shares the token', () => {
    const r = doctor(edited(...AS_DAEMON_SET));
    expect(codes(r)).not.toContain('RF910');
    expect(r.proofs.find((p) => p.claim === TRUST)?.holds).toBe(true);
    expect(chainClaim(r)?.claim).toBe("every reference resolves: service account ↔ role ↔ trust subject ↔ kubernetes_daemon_set_v1.manager's config.toml (kubernetes_config_map_v1.runner_config)");
    const rf918 = r.findings.find((f) => f.code === 'RF918');
    expect(rf918?.severity).toBe('warning');
    expect(rf918?.path).toBe('k8s.tf:100:1');
    expect(rf918?.message).toBe('kubernetes_daemon_set_v1.manager: a DaemonSet runs a gitlab-runner manager pod on every node it schedules to, all with one config.toml and runner token: GitLab lists each pod as another manager of the same runner, each runs up to 4 jobs at once (concurrent = 4), and their number follows the nodes (nodes added for jobs add managers), not the config');
    expect(rf918?.fix).toBe('replace kubernetes_daemon_set_v1.manager by a kubernetes_deployment_v1 (or a kubernetes_stateful_set_v1 with replicas = 1) with the same template; to run more jobs at once, raise concurrent in its config.toml (kubernetes_config_map_v1.runner_config) instead');
    // The pod's security is judged as for a Deployment.
    expect(r.findings.find((f) => f.code === 'RF308')?.message).toContain('kubernetes_daemon_set_v1.manager: the manager pod does not meet Pod Security restricted');
  });
});

describe('doctor: the same managers as YAML manifests', () => {
  const iam = corpusFiles(CASE).find((f) => f.path === 'iam.tf')!;
  const manifests = (workload: string[]) => [
    ...PROVIDER_CASE_MANIFESTS_HEAD,
    '  name: runner-config',
    '  namespace: gitlab-runner',
    'data:',
    '  config.toml: |',
    '    concurrent = 2',
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
    ...workload,
    '  selector:',
    '    matchLabels: { app: gitlab-runner }',
    '  template:',
    '    metadata:',
    '      labels: { app: gitlab-runner }',
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
    '            name: runner-config',
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
    'roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: gitlab-runner-manager }',
    'subjects:',
    '  - kind: ServiceAccount',
    '    name: gitlab-runner-manager',
    '    namespace: gitlab-runner',
    '',
  ].join('\n');
  const workload = (kind: string, spec: string[] = []) => ['apiVersion: apps/v1', `kind: ${kind}`, 'metadata:', '  name: runner', '  namespace: gitlab-runner', 'spec:', ...spec];
  const run = (kind: string, spec: string[] = []) => doctor([iam, { path: 'runner/k8s.yaml', bytes: Buffer.from(manifests(workload(kind, spec))) }]);

  it('a StatefulSet with one replica: proven, and the chain proof names the StatefulSet and its ConfigMap', () => {
    const r = run('StatefulSet', ['  serviceName: gitlab-runner', '  replicas: 1']);
    expect(codes(r)).not.toContain('RF918');
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(['RF911']);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    expect(chainClaim(r)?.claim).toBe("every reference resolves: service account ↔ role ↔ trust subject ↔ the StatefulSet gitlab-runner/runner's config.toml (ConfigMap runner-config)");
  });

  it('a Deployment: the chain proof names the Deployment, not Helm values', () => {
    const r = run('Deployment');
    expect(chainClaim(r)?.claim).toBe("every reference resolves: service account ↔ role ↔ trust subject ↔ the Deployment gitlab-runner/runner's config.toml (ConfigMap runner-config)");
    expect(chainClaim(r)?.claim).not.toContain('Helm values');
  });

  it('a StatefulSet with replicas: 2 is RF918 at spec.replicas, in the manifest\'s terms', () => {
    const r = run('StatefulSet', ['  serviceName: gitlab-runner', '  replicas: 2']);
    const rf918 = r.findings.find((f) => f.code === 'RF918');
    expect(rf918?.path).toBe('runner/k8s.yaml:51:13');
    expect(rf918?.message).toBe('StatefulSet gitlab-runner/runner: replicas is 2, so 2 gitlab-runner manager pods run with one config.toml and runner token: GitLab lists each as another manager of the same runner, and each runs up to 2 jobs at once (concurrent = 2), 4 in all');
    expect(rf918?.fix).toBe('set spec.replicas: 1 on StatefulSet gitlab-runner/runner; to run more jobs at once, raise concurrent in its config.toml (ConfigMap runner-config) instead');
  });

  it('a DaemonSet is RF918 at its kind, with the fix in the manifest\'s terms; its chain is read and proven', () => {
    const r = run('DaemonSet');
    const rf918 = r.findings.find((f) => f.code === 'RF918');
    expect(rf918?.path).toBe('runner/k8s.yaml:45:7');
    expect(rf918?.message).toContain('DaemonSet gitlab-runner/runner: a DaemonSet runs a gitlab-runner manager pod on every node it schedules to');
    expect(rf918?.fix).toBe('run the manager as a Deployment (or a StatefulSet with replicas: 1) with the same pod template instead of DaemonSet gitlab-runner/runner; to run more jobs at once, raise concurrent in its config.toml (ConfigMap runner-config) instead');
    expect(r.proofs.every((p) => p.holds)).toBe(true);
    expect(chainClaim(r)?.claim).toContain("the DaemonSet gitlab-runner/runner's config.toml (ConfigMap runner-config)");
  });
});

describe('doctor: the chain proof does not hold where the manager\'s config.toml is not shown', () => {
  it('a Deployment mounting a ConfigMap not given: the claim says config.toml is not given, and it does not hold', () => {
    const r = doctor(edited(['name = kubernetes_config_map_v1.runner_config.metadata[0].name', 'name = "elsewhere"']));
    expect(chainClaim(r)).toEqual({ runner: 'gitlab-runner', claim: 'every reference resolves: service account ↔ role ↔ trust subject ↔ kubernetes_deployment_v1.manager ↔ config.toml (not given)', holds: false });
    expect(r.findings.some((f) => f.code === 'RF903' && f.message.includes('its config.toml'))).toBe(true);
  });
});
