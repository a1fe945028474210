import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, doctorWalked, irsaRoleTf, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Stop 63a: RF948 (src/doctor/namespace-names.ts) keeps the findings that hold whatever the
 * namespace (the manager pod's security, its config.toml's job settings) for objects in a namespace
 * Kubernetes refuses, and matches nothing by that namespace; and it is said once per file and value.
 */

const ROLE = { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/ci-gitlab-runner' };
const manager = (ns: string) => plainManager({ namespace: ns, serviceAccountAnnotations: ROLE, kubernetes: ['namespace = "ci"', 'privileged = true'] }).text;
const run = (ns: string) => doctorTexts({ 'm.yaml': manager(ns), 'iam.tf': irsaRoleTf('system:serviceaccount:ci:gitlab-runner') });

describe('RF948: objects in a refused namespace keep what does not depend on it', () => {
  it('a manager in ci_runners: RF308 at its pod and RF301 at its config.toml still said; no trust or binding finding (RF104, RF106, RF911)', () => {
    const text = manager('ci_runners');
    const r = run('ci_runners');
    const f308 = codesIn(r, 'RF308');
    expect(f308.map((f) => f.path)).toEqual([placeOf('m.yaml', text, 'name: gitlab-runner', text.indexOf('containers:'))]);
    expect(f308[0]!.message).toMatch(/^Deployment ci_runners\/gitlab-runner: the manager pod does not meet Pod Security restricted: runAsNonRoot is not true/);
    const f301 = codesIn(r, 'RF301');
    expect(f301.map((f) => f.path)).toEqual([placeOf('m.yaml', text, 'privileged = true')]);
    expect(f301[0]!.message).toBe('runner ci_runners (its chain is not proven): config.toml [runners.kubernetes] privileged = true: job containers run privileged, and a job can take over the node it runs on and every credential on it');
    expect(r.findings.map((f) => f.code).filter((c) => ['RF104', 'RF106', 'RF904', 'RF911'].includes(c))).toEqual([]);
    expect(codesIn(r, 'RF948')).toHaveLength(1);
  });

  it('twin: the same manager in ci: the same RF308, and its binding (RF106) is matched and said; no RF948', () => {
    const r = run('ci');
    expect(codesIn(r, 'RF308')).toHaveLength(1);
    expect(codesIn(r, 'RF106').map((f) => f.message)).toEqual(["no RoleBinding in m.yaml gives the manager's service account ci/gitlab-runner a Role: the manager cannot create job pods"]);
    expect(codesIn(r, 'RF948')).toEqual([]);
  });
});

describe('RF948: one finding per file and value written', () => {
  const accounts = (n: number, ns: string) => Array.from({ length: n }, (_, i) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-${i}\n  namespace: ${ns}\n`).join('---\n');

  it('12 objects of one file in CI: one RF948 at the first, 8 more by line and 3 counted', () => {
    const text = accounts(12, 'CI');
    const f = codesIn(doctorTexts({ 'all.yaml': text }), 'RF948');
    expect(f.map((x) => x.path)).toEqual(['all.yaml:5:14']);
    // Stop 64c: the others named by kind, name and line.
    expect(f[0]!.message).toMatch(/^ServiceAccount sa-0 in all\.yaml \(and 11 more places in this file that write it: ServiceAccount sa-1 \(line 11\), ServiceAccount sa-2 \(line 17\), ServiceAccount sa-3 \(line 23\), ServiceAccount sa-4 \(line 29\), ServiceAccount sa-5 \(line 35\), ServiceAccount sa-6 \(line 41\), ServiceAccount sa-7 \(line 47\), ServiceAccount sa-8 \(line 53\) and 3 more\): the namespace "CI" is one Kubernetes refuses/);
  });

  it('twin: two files, or two values in one file, are a finding each', () => {
    const two = codesIn(doctorTexts({ 'a.yaml': accounts(3, 'CI'), 'b.yaml': accounts(2, 'CI') }), 'RF948');
    expect(two.map((x) => x.path).sort()).toEqual(['a.yaml:5:14', 'b.yaml:5:14']);
    const values = codesIn(doctorTexts({ 'a.yaml': `${accounts(2, 'CI')}---\n${accounts(1, 'Ci_x')}` }), 'RF948');
    expect(values.map((x) => `${x.path} ${x.received}`).sort()).toEqual(['a.yaml:17:14 Ci_x', 'a.yaml:5:14 CI']);
    expect(values.find((x) => x.received === 'Ci_x')!.message).not.toContain('more place');
  });

  it('a kustomization that writes ci_runners once and builds 7 objects: one RF948, at its namespace:', () => {
    const k = 'namespace: ci_runners\nresources:\n  - sa.yaml\n';
    const f = codesIn(doctorWalked({ 'app/kustomization.yaml': k, 'app/sa.yaml': accounts(7, 'ci') }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'ci_runners')]);
  });
});

describe("RF948's fix for a Makefile recipe's '$$NS'", () => {
  const VALUES = 'gitlabUrl: https://gitlab.example.com/\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n';

  it("-n '$$RUNNER_NS' in a Makefile: the fix names make's $(RUNNER_NS), or the shell's set in the same recipe line", () => {
    const mk = "RUNNER_NS := ci\ndeploy:\n\thelm upgrade --install r gitlab/gitlab-runner -n '$$RUNNER_NS' -f values.yaml\n";
    const f = codesIn(doctorTexts({ Makefile: mk, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('Makefile', mk, "'$$RUNNER_NS'")]);
    expect(f[0]!.fix).toBe('in a Makefile recipe `$$RUNNER_NS` is the shell\'s variable RUNNER_NS, not make\'s, and inside single quotes the shell keeps it as written: if RUNNER_NS is a make variable (RUNNER_NS := ci, or `make RUNNER_NS=ci`), write -n $(RUNNER_NS); if it is the shell\'s, set it in the same recipe line and double-quote it (RUNNER_NS=ci; helm … -n "$$RUNNER_NS"), as each recipe line runs in a shell of its own');
  });

  it("twin: -n '$NS' in a shell script keeps the script's fix (double quotes and set the variable)", () => {
    const sh = "#!/bin/sh\nhelm upgrade --install r gitlab/gitlab-runner -n '$NS' -f values.yaml\n";
    const f = codesIn(doctorTexts({ 'deploy.sh': sh, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('deploy.sh', sh, "'$NS'")]);
    expect(f[0]!.fix).toContain('quote it with double quotes (-n "$$NS" in a recipe, -n "$NS" in a script) and set the variable');
  });
});

describe('RF948 in Terraform kubernetes resources and kustomize generator entries', () => {
  const tf = (ns: string, sa: string) => `resource "kubernetes_namespace_v1" "runners" {\n  metadata {\n    name = "${ns}"\n  }\n}\n\nresource "kubernetes_service_account" "runner" {\n  metadata {\n    name      = "${sa}"\n    namespace = "${ns}"\n  }\n}\n`;

  it('a kubernetes_namespace_v1 named GitLab, and a kubernetes_service_account gitlab_runner in it: RF948 at each value', () => {
    const text = tf('GitLab', 'gitlab_runner');
    const f = codesIn(doctorTexts({ 'k8s.tf': text }), 'RF948');
    // Stop 64c: one finding per .tf file and value, the namespace's name and the account's namespace alike.
    expect(f.map((x) => `${x.path} ${x.received}`).sort()).toEqual([`${placeOf('k8s.tf', text, '"GitLab"')} GitLab`, `${placeOf('k8s.tf', text, '"gitlab_runner"')} gitlab_runner`].sort());
    expect(f.find((x) => x.path === placeOf('k8s.tf', text, '"GitLab"'))!.message).toBe(`kubernetes_namespace_v1.runners (and 1 more place in this file that writes it: kubernetes_service_account.runner (line 10)): the namespace "GitLab" is one Kubernetes refuses (it holds "G" (an upper-case letter), and only lower-case letters, digits and '-' are allowed): a namespace must be a lower-case RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters; the kubernetes provider fails to create each of them (the API server refuses it), so \`terraform apply\` stops at the first and what depends on them is not deployed`);
  });

  it('twin: gitlab and gitlab-runner, or a namespace Terraform fills in (${var.ns}): no RF948', () => {
    expect(codesIn(doctorTexts({ 'k8s.tf': tf('gitlab', 'gitlab-runner') }), 'RF948')).toEqual([]);
    expect(codesIn(doctorTexts({ 'k8s.tf': tf('${var.ns}', 'gitlab-runner') }), 'RF948')).toEqual([]);
  });

  it("a configMapGenerator entry's namespace CI: RF948 at it; ci: none", () => {
    const k = (ns: string) => `resources:\n  - sa.yaml\nconfigMapGenerator:\n  - name: runner-config\n    namespace: ${ns}\n    literals:\n      - a=b\n`;
    const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: ci\n';
    const f = codesIn(doctorWalked({ 'app/kustomization.yaml': k('CI'), 'app/sa.yaml': sa }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k('CI'), 'CI')]);
    expect(f[0]!.message).toMatch(/^the configMapGenerator entry runner-config of app\/kustomization\.yaml: the namespace "CI" is one Kubernetes refuses .*`kustomize build` makes the ConfigMap in that namespace, and the API server refuses it: it is not deployed$/);
    expect(codesIn(doctorWalked({ 'app/kustomization.yaml': k('ci'), 'app/sa.yaml': sa }), 'RF948')).toEqual([]);
  });
});
