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

/** Code and position of every finding (info too) at a file under `folder/`. */
const at = (findings: readonly { code: string; path: string }[], folder: string): string[] => findings.filter((f) => f.path.startsWith(`${folder}/`)).map((f) => `${f.code} ${f.path}`).sort();
const only = (files: InputFile[], folder: string): InputFile[] => files.filter((f) => f.path.startsWith(`${folder}/`));

describe('doctor: two clusters whose deployments reuse names, written without the chart or with their Secrets', () => {
  const MANIFESTS = join(import.meta.dirname, 'doctor', 'corpus', 'two-clusters-same-names-manifests');
  const TOKEN = join(import.meta.dirname, 'doctor', 'corpus', 'two-clusters-same-names-token-secret');

  it('each raw-manifest manager is a runner of its own, reading the ConfigMap of its own folder', () => {
    const r = doctor(corpusFiles(MANIFESTS));
    expect([...r.chains.keys()].sort()).toEqual(['prod', 'staging']);
    const prod = r.chains.get('prod')!.join('\n');
    expect(prod).toContain('jobs gitlab-runner/gitlab-runner-jobs (prod/manager.yaml:18:9) → role gitlab-runner-jobs-prod');
    expect(prod).toContain('cache s3://example-prod-runner-cache/runner');
    expect(r.chains.get('staging')!.join('\n')).toContain('cache s3://example-staging-runner-cache/runner');
    expect(r.findings.some((f) => f.code === 'RF903')).toBe(false);
  });

  it('what is found at each folder is what that folder given alone gives', () => {
    for (const dir of [MANIFESTS, TOKEN]) {
      const files = corpusFiles(dir);
      const together = doctor(files);
      for (const folder of ['prod', 'staging']) expect(at(together.findings, folder)).toEqual(at(doctor(only(files, folder)).findings, folder));
    }
  });

  it("a chart's values and its rendered Deployment in prod/ are one runner; staging's plain Deployment is another", () => {
    const chart = corpusFiles(CASE).filter((f) => f.path.startsWith('prod/'));
    const rendered = corpusFiles(MANIFESTS).filter((f) => f.path === 'prod/manager.yaml' || f.path.startsWith('staging/'));
    const r = doctor([...chart, ...rendered]);
    expect(r.chains.size).toBe(2);
    expect([...r.chains.values()].map((s) => s[0]!.replace(/ →.*/, '')).sort()).toEqual(['manager gitlab-runner/gitlab-runner (prod/main.tf:60:1)', 'manager gitlab-runner/gitlab-runner (staging/manager.yaml:29:1)']);
    expect(at(r.findings, 'staging')).toEqual(at(doctor(only(rendered, 'staging')).findings, 'staging'));
  });

  it("staging's token Secret, written from its gitlab_user_runner, does not register prod's runner (prod creates none)", () => {
    // Staging's registration takes no job (no tags, untagged = false: RF305 at staging); prod's is not shown.
    const registered = (s: string): string => `${s}
resource "gitlab_user_runner" "staging" {
  runner_type  = "instance_type"
  untagged     = false
  locked       = true
  access_level = "ref_protected"
}
`.replace('"runner-token" = var.runner_token', '"runner-token" = gitlab_user_runner.staging.token');
    const files = edit(corpusFiles(TOKEN), 'staging/main.tf', registered).filter((f) => f.path !== 'prod/main.tf').concat(corpusFiles(CASE).filter((f) => f.path === 'prod/main.tf'));
    const together = doctor(files);
    expect(together.findings.filter((f) => f.code === 'RF305').map((f) => f.path)).toEqual(['staging/main.tf:60:1']);
    expect(at(together.findings, 'prod')).toEqual(at(doctor(only(files, 'prod')).findings, 'prod'));
  });
});

describe('doctor: two AKS deployments whose ServiceAccounts reuse names', () => {
  it("prod's ServiceAccount annotated with an identity that does not trust it: RF931 at prod's copy, though staging's copy (read last) has no annotation", () => {
    const aks = corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'aks-az-cli'));
    const deployer = (annotated: boolean): string => `
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: deployer
  namespace: gitlab-runner
${annotated ? '  annotations:\n    azure.workload.identity/client-id: 3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\n' : ''}`;
    const files = [
      ...edit(aks, 'sa.yaml', (s) => s + deployer(true)).map((f) => ({ ...f, path: `prod/${f.path}` })),
      ...edit(aks, 'sa.yaml', (s) => s + deployer(false)).map((f) => ({ ...f, path: `staging/${f.path}` })),
    ];
    const rf931 = doctor(files).findings.filter((f) => f.code === 'RF931');
    expect(rf931.map((f) => f.path)).toEqual(['prod/sa.yaml:22:40']);
    expect(rf931[0]!.message).toContain('ServiceAccount gitlab-runner/deployer (prod/sa.yaml:22:40) → managed identity gitlab-runner-manager');
  });

  it("a manager Deployment without the workload identity label is judged by its own deployment's ServiceAccount (RF106), whichever one names an identity", () => {
    const aks = corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'aks-az-cli'));
    const manager = `
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gitlab-runner
  namespace: gitlab-runner
spec:
  selector:
    matchLabels:
      app: gitlab-runner
  template:
    metadata:
      labels:
        app: gitlab-runner
    spec:
      serviceAccountName: gitlab-runner
      containers:
        - name: gitlab-runner
          image: registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0
`;
    const unannotated = (s: string): string => s.replace(/ {2}annotations:\n {4}azure\.workload\.identity\/client-id: [0-9a-f-]+\n/, '');
    const deployment = (folder: string, annotated: boolean) => edit(aks, 'sa.yaml', (s) => (annotated ? s : unannotated(s)) + manager).map((f) => ({ ...f, path: `${folder}/${f.path}` }));
    const rf106 = (files: InputFile[]) => doctor(files).findings.filter((f) => f.code === 'RF106').map((f) => f.path);
    // Only staging's ServiceAccount names an identity: prod's Deployment needs no label (no false RF106 at prod).
    expect(rf106([...deployment('prod', false), ...deployment('staging', true)])).toEqual(['staging/sa.yaml:27:7']);
    // Only prod's does: its missing label is said though staging's copy, read last, names none.
    expect(rf106([...deployment('prod', true), ...deployment('staging', false)])).toEqual(['prod/sa.yaml:27:7']);
  });
});
