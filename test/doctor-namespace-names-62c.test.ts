import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, doctorWalked, irsaRoleTf, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Stop 62c: RF948, a namespace (or service account name) the doctor reads as a literal that
 * Kubernetes refuses (src/doctor/namespace-names.ts): at the place it is written, with the value,
 * the rule and the fix; and the manager's chain is not carried on in that namespace.
 */

const VALUES = `gitlabUrl: https://gitlab.example.com/
serviceAccount:
  name: gitlab-runner
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
`;
const RULE = "a namespace must be a lower-case RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const makefile = (ns: string) => `deploy:\n\thelm upgrade --install r gitlab/gitlab-runner -n ${ns} -f values.yaml\n`;
const managers = (r: ReturnType<typeof doctorTexts>) => [...r.chains.values()].flat().filter((l) => l.startsWith('manager '));

describe('RF948: helm -n with a namespace Kubernetes refuses', () => {
  it("a Makefile recipe's -n '$$NS' gives the literal $NS: RF948 at it, and no manager in namespace $NS", () => {
    const mk = makefile("'$$NS'");
    const r = doctorTexts({ Makefile: mk, 'values.yaml': VALUES });
    const f = codesIn(r, 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('Makefile', mk, "'$$NS'")]);
    expect(f[0]!.message).toBe(`helm upgrade r: the namespace "$NS" is one Kubernetes refuses (it holds "$", and only lower-case letters, digits and '-' are allowed): ${RULE}; helm stops before it installs anything (the API server refuses the namespace), so no manager runs from this command; its chain is not read with that namespace`);
    expect(f[0]!.received).toBe('$NS');
    // Stop 63a: in a Makefile the fix says what was most likely meant (test/doctor-namespace-names-63a.test.ts).
    expect(f[0]!.fix).toContain('write -n $(NS)');
    expect(managers(r).some((l) => l.includes('$NS'))).toBe(false);
  });

  it('twin: -n "$$NS" with NS set in the Makefile, or -n ci, is a namespace: no RF948', () => {
    expect(codesIn(doctorTexts({ Makefile: makefile('ci'), 'values.yaml': VALUES }), 'RF948')).toEqual([]);
    const r = doctorTexts({ Makefile: `NS := runners\n${makefile('"$(NS)"')}`, 'values.yaml': VALUES });
    expect(codesIn(r, 'RF948')).toEqual([]);
    expect(managers(r).some((l) => l.startsWith('manager runners/'))).toBe(true);
  });

  it('an upper-case namespace: RF948 naming the letter', () => {
    const mk = makefile('CI');
    const f = codesIn(doctorTexts({ Makefile: mk, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('Makefile', mk, 'CI ')]);
    expect(f[0]!.message).toContain('the namespace "CI" is one Kubernetes refuses (it holds "C" (an upper-case letter)');
    expect(f[0]!.fix).toBe('write the namespace as Kubernetes names it (e.g. "ci")');
  });
});

describe('RF948: namespaces written in manifests, kustomizations, GitOps objects and Terraform', () => {
  const M = plainManager({ namespace: 'ci' });

  it('a kustomization namespace with an underscore: RF948 at it', () => {
    const k = 'namespace: ci_runners\nresources:\n  - manager.yaml\n';
    const r = doctorWalked({ 'app/kustomization.yaml': k, 'app/manager.yaml': M.text });
    const f = codesIn(r, 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('app/kustomization.yaml', k, 'ci_runners')]);
    expect(f[0]!.message).toMatch(/^the kustomization app\/kustomization\.yaml: the namespace "ci_runners" is one Kubernetes refuses \(it holds "_", and only lower-case letters, digits and '-' are allowed\): .*`kustomize build` sets it on every namespaced object it builds/);
  });

  it("the objects it builds are not deployed: no chain in ci_runners, so no trust mismatch (RF104) or binding finding on top", () => {
    const irsa = plainManager({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/ci-gitlab-runner' } });
    const files = (ns: string) => ({ 'app/kustomization.yaml': `namespace: ${ns}\nresources:\n  - manager.yaml\n`, 'app/manager.yaml': irsa.text, 'iam.tf': irsaRoleTf('system:serviceaccount:ci:gitlab-runner') });
    const r = doctorWalked(files('ci_runners'));
    expect(r.findings.map((f) => f.code).filter((c) => ['RF104', 'RF106', 'RF910'].includes(c))).toEqual([]);
    // Stop 63a: the chain is read (what holds whatever the namespace is still checked), and stops before its matching.
    expect(managers(r)).toEqual([expect.stringContaining('the namespace "ci_runners" is one Kubernetes refuses (RF948): not deployed, its accounts and bindings not matched')]);
    // Twin: ci-runners is a namespace, and the trust that admits only ci is said (RF104).
    expect(codesIn(doctorWalked(files('ci-runners')), 'RF104').length).toBe(1);
  });

  it('twin: a kustomization namespace ci-runners: no RF948', () => {
    expect(codesIn(doctorWalked({ 'app/kustomization.yaml': 'namespace: ci-runners\nresources:\n  - manager.yaml\n', 'app/manager.yaml': M.text }), 'RF948')).toEqual([]);
  });

  it("a manifest's metadata.namespace ending in '-': RF948 at it; an envsubst placeholder ${NS} is not judged", () => {
    const bad = plainManager({ namespace: 'ci-' }).text;
    const f = codesIn(doctorTexts({ 'm.yaml': bad }), 'RF948');
    // Stop 63a: one finding per file and value, at the first place, the others by line.
    const places = [...bad.matchAll(/namespace: ci-\n/g)].map((m) => placeOf('m.yaml', bad, 'ci-', m.index));
    expect(f.map((x) => x.path)).toEqual([places[0]]);
    // Stop 64c: the others named by kind, name and line.
    expect(f[0]!.message).toContain(`(and 2 more places in this file that write it: ConfigMap runner-config (line ${places[1]!.split(':')[1]}) and Deployment gitlab-runner (line ${places[2]!.split(':')[1]}))`);
    expect(f[0]!.message).toContain('"ci-" is one Kubernetes refuses (it starts or ends with something other than a lower-case letter or digit)');
    expect(codesIn(doctorTexts({ 'm.yaml': plainManager({ namespace: '${NS}' }).text }), 'RF948')).toEqual([]);
  });

  it('a namespace of 64 characters: RF948; of 63: none', () => {
    const long = `a${'b'.repeat(63)}`;
    expect(codesIn(doctorTexts({ 'm.yaml': plainManager({ namespace: long }).text }), 'RF948')[0]?.message).toContain('it is 64 characters long, more than the 63 of an RFC 1123 label');
    expect(codesIn(doctorTexts({ 'm.yaml': plainManager({ namespace: long.slice(1) }).text }), 'RF948')).toEqual([]);
  });

  it("an Argo CD Application's destination.namespace and a Flux HelmRelease's targetNamespace", () => {
    const app = `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: runner\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://charts.gitlab.io\n    chart: gitlab-runner\n    targetRevision: 0.70.0\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: Runners\n`;
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: runner\n  namespace: flux-system\nspec:\n  interval: 5m\n  targetNamespace: ci.runners\n  chart:\n    spec:\n      chart: gitlab-runner\n      sourceRef:\n        kind: HelmRepository\n        name: gitlab\n`;
    const r = doctorTexts({ 'app.yaml': app, 'hr.yaml': hr });
    expect(codesIn(r, 'RF948').map((f) => f.path).sort()).toEqual([placeOf('app.yaml', app, 'Runners'), placeOf('hr.yaml', hr, 'ci.runners')].sort());
    expect(codesIn(r, 'RF948').find((f) => f.path.startsWith('app.yaml'))!.message).toContain('Argo CD syncs the objects into that namespace, and the API server refuses them');
    expect(managers(r).some((l) => /Runners|ci\.runners/.test(l))).toBe(false);
    const fixed = doctorTexts({ 'app.yaml': app.replace('Runners', 'runners'), 'hr.yaml': hr.replace('ci.runners', 'ci-runners') });
    expect(codesIn(fixed, 'RF948')).toEqual([]);
  });

  it('a Terraform helm_release namespace: RF948 at it, and the release not read in that namespace', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "GitLab"\n  values = [file("values.yaml")]\n}\n`;
    const r = doctorTexts({ 'main.tf': tf, 'values.yaml': VALUES });
    expect(codesIn(r, 'RF948').map((f) => f.path)).toEqual([placeOf('main.tf', tf, '"GitLab"')]);
    expect(managers(r).some((l) => l.includes('GitLab/'))).toBe(false);
    expect(codesIn(doctorTexts({ 'main.tf': tf.replace('GitLab', 'gitlab'), 'values.yaml': VALUES }), 'RF948')).toEqual([]);
  });

  it("a ServiceAccount's name and a serviceAccountName with '_': RF948 (an RFC 1123 subdomain); with '.': none", () => {
    const bad = plainManager({ namespace: 'ci', serviceAccount: 'gitlab_runner' }).text;
    const f = codesIn(doctorTexts({ 'm.yaml': bad }), 'RF948');
    // Stop 63a: the name written twice in one file is one finding, at the first place, naming the other's line.
    expect(f.map((x) => x.path)).toEqual([placeOf('m.yaml', bad, 'gitlab_runner')]);
    expect(f[0]!.message).toContain(`(and 1 more place in this file that writes it: Deployment gitlab-runner (line ${placeOf('m.yaml', bad, 'gitlab_runner', bad.indexOf('serviceAccountName')).split(':')[1]}))`);
    expect(f[0]!.message).toContain("the service account name \"gitlab_runner\" is one Kubernetes refuses (it holds \"_\", and only lower-case letters, digits and '-' and '.' are allowed): a service account's name must be a lower-case RFC 1123 subdomain");
    expect(codesIn(doctorTexts({ 'm.yaml': plainManager({ namespace: 'ci', serviceAccount: 'gitlab.runner' }).text }), 'RF948')).toEqual([]);
  });
});
