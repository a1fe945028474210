import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, doctorWalked, placeOf, plainManager } from './helpers/doctor.js';
import { managerLine } from '../src/doctor/infer.js';

/**
 * Stop 64c: RF948 (src/doctor/namespace-names.ts) said once per mistake in Terraform (per .tf file
 * and value, or at the local the value is read from) and in scripts and Makefiles (at the one
 * assignment of the variable `-n` reads); a grouped finding names each other place by what writes
 * it and its line; a chain's refused namespace is a field of the chain, printed on its line.
 */

const VALUES = 'gitlabUrl: https://gitlab.example.com/\nrunners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "ci"\n';
const cm = (name: string, ns: string) => `resource "kubernetes_config_map_v1" "${name}" {\n  metadata {\n    name      = "${name}"\n    namespace = ${ns}\n  }\n}\n`;
const release = (ns: string) => `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = ${ns}\n}\n`;
const at = (file: string, text: string, needle: string, n: number): string => {
  let from = -1;
  for (let i = 0; i <= n; i++) from = text.indexOf(needle, from + 1);
  return placeOf(file, text, needle, from);
};
const lineOf = (p: string) => p.split(':')[1];

describe('RF948 in Terraform: one finding per .tf file and value', () => {
  it('12 kubernetes_config_map_v1 writing namespace = "Runners": one RF948 at the first, 8 more named with their lines, 3 counted', () => {
    const tf = Array.from({ length: 12 }, (_, i) => cm(`c${i}`, '"Runners"')).join('\n');
    const f = codesIn(doctorTexts({ 'k8s.tf': tf }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([at('k8s.tf', tf, '"Runners"', 0)]);
    const named = Array.from({ length: 8 }, (_, i) => `kubernetes_config_map_v1.c${i + 1} (line ${lineOf(at('k8s.tf', tf, '"Runners"', i + 1))})`);
    expect(f[0]!.message).toBe(`kubernetes_config_map_v1.c0 (and 11 more places in this file that write it: ${named.join(', ')} and 3 more): the namespace "Runners" is one Kubernetes refuses (it holds "R" (an upper-case letter), and only lower-case letters, digits and '-' are allowed): a namespace must be a lower-case RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters; the kubernetes provider fails to create each of them (the API server refuses it), so \`terraform apply\` stops at the first and what depends on them is not deployed`);
  });

  it('twin: "runners" is a namespace (no RF948); two files are a finding each', () => {
    expect(codesIn(doctorTexts({ 'k8s.tf': [cm('a', '"runners"'), cm('b', '"runners"')].join('\n') }), 'RF948')).toEqual([]);
    const a = [cm('a', '"Runners"'), cm('b', '"Runners"')].join('\n');
    const b = cm('c', '"Runners"');
    const f = codesIn(doctorTexts({ 'a.tf': a, 'b.tf': b }), 'RF948');
    expect(f.map((x) => x.path).sort()).toEqual([at('a.tf', a, '"Runners"', 0), at('b.tf', b, '"Runners"', 0)]);
    expect(f.find((x) => x.path.startsWith('b.tf'))!.message).toMatch(/^kubernetes_config_map_v1\.c: the namespace "Runners"/);
  });

  it('a resource with count = 3 writing "Runners" once: one RF948 naming no other place (the instances are one place written)', () => {
    const tf = cm('a', '"Runners"').replace('metadata {', 'count = 3\n  metadata {');
    const f = codesIn(doctorTexts({ 'k8s.tf': tf }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('k8s.tf', tf, '"Runners"')]);
    expect(f[0]!.message).not.toContain('more place');
  });

  it('a helm_release and a kubernetes resource of one file writing "GitLab": one RF948, at the first read', () => {
    const tf = `${release('"GitLab"')}\n${cm('a', '"GitLab"')}`;
    const f = codesIn(doctorTexts({ 'main.tf': tf, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([at('main.tf', tf, '"GitLab"', 0)]);
    expect(f[0]!.message).toMatch(new RegExp(`^helm_release\\.runner \\(and 1 more place in this file that writes it: kubernetes_config_map_v1\\.a \\(line ${lineOf(at('main.tf', tf, '"GitLab"', 1))}\\)\\): the namespace "GitLab"`));
  });
});

describe('RF948 at a Terraform local the namespace is read from', () => {
  const tf = (ns: string) => `locals {\n  ns = "${ns}"\n}\n\n${release('local.ns')}\n${cm('a', 'local.ns')}\n${cm('b', '"${local.ns}"')}`;

  it('locals { ns = "Runners" } read by a helm_release and two resources: one RF948 at the local, naming the three', () => {
    const text = tf('Runners');
    const f = codesIn(doctorTexts({ 'main.tf': text, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', text, '"Runners"')]);
    const uses = [['helm_release.runner', 'namespace  = local.ns'], ['kubernetes_config_map_v1.a', 'namespace = local.ns'], ['kubernetes_config_map_v1.b', 'namespace = "${local.ns}"']].map(([name, needle]) => `${name} (line ${lineOf(placeOf('main.tf', text, needle!))})`);
    expect(f[0]!.message).toMatch(new RegExp(`^local\\.ns \\(read as the namespace by 3 places: ${uses[0]!.replace(/[.()$]/g, '\\$&')}, ${uses[1]!.replace(/[.()$]/g, '\\$&')} and ${uses[2]!.replace(/[.()$]/g, '\\$&')}\\): the namespace "Runners" is one Kubernetes refuses`));
  });

  it('twin: locals { ns = "runners" }: no RF948', () => {
    expect(codesIn(doctorTexts({ 'main.tf': tf('runners'), 'values.yaml': VALUES }), 'RF948')).toEqual([]);
  });
});

describe('RF948 at the root variable the namespace is read from', () => {
  const tf = (def: string) => `variable "ns" {\n  type    = string\n  default = "${def}"\n}\n\n${cm('a', 'var.ns')}\n${cm('b', 'var.ns')}`;

  it('variable "ns" { default = "Runners" } read by two resources: one RF948 at the default', () => {
    const text = tf('Runners');
    const f = codesIn(doctorTexts({ 'main.tf': text }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', text, '"Runners"')]);
    expect(f[0]!.message).toMatch(new RegExp(`^var\\.ns \\(read as the namespace by 2 places: kubernetes_config_map_v1\\.a \\(line ${lineOf(at('main.tf', text, 'var.ns', 0))}\\) and kubernetes_config_map_v1\\.b \\(line ${lineOf(at('main.tf', text, 'var.ns', 1))}\\)\\): the namespace "Runners"`));
  });

  it('a terraform.tfvars giving ns = "GitLab" over the default "runners": RF948 at the tfvars value', () => {
    const vars = 'ns = "GitLab"\n';
    const f = codesIn(doctorWalked({ 'main.tf': tf('runners'), 'terraform.tfvars': vars }), 'RF948');
    expect(f.map((x) => x.path)).toEqual([placeOf('terraform.tfvars', vars, '"GitLab"')]);
    expect(f[0]!.message).toMatch(/^var\.ns \(read as the namespace by 2 places: kubernetes_config_map_v1\.a \(main\.tf:\d+\) and kubernetes_config_map_v1\.b \(main\.tf:\d+\)\)/);
  });

  it('twin: default "runners" and no tfvars: no RF948', () => {
    expect(codesIn(doctorTexts({ 'main.tf': tf('runners') }), 'RF948')).toEqual([]);
  });
});

describe('a grouped manifest RF948 names the other objects', () => {
  it('a ServiceAccount, a ConfigMap and a Role in CI: the first, and the others by kind, name and line', () => {
    const m = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n  namespace: CI\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runner-config\n  namespace: CI\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner-pods\n  namespace: CI\n';
    const f = codesIn(doctorTexts({ 'm.yaml': m }), 'RF948');
    expect(f.map((x) => x.path)).toEqual(['m.yaml:5:14']);
    expect(f[0]!.message).toMatch(/^ServiceAccount runner in m\.yaml \(and 2 more places in this file that write it: ConfigMap runner-config \(line 11\) and Role runner-pods \(line 17\)\): the namespace "CI"/);
  });

  it('twin: one object: no list', () => {
    const f = codesIn(doctorTexts({ 'm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runner-config\n  namespace: CI\n' }), 'RF948');
    expect(f.map((x) => x.message.split(':')[0])).toEqual(['ConfigMap runner-config in m.yaml']);
  });
});

describe('RF948 at the one assignment of the variable helm -n reads', () => {
  const script = (assign: string) => `#!/bin/sh\n${assign}\nhelm upgrade --install r gitlab/gitlab-runner -n "$NS" -f values.yaml\nhelm upgrade --install s gitlab/gitlab-runner --namespace $NS -f values.yaml\n`;

  it('NS=Runners read by two helm commands: one RF948 at the assignment, naming both commands', () => {
    const sh = script('NS=Runners');
    const f = codesIn(doctorTexts({ 'deploy.sh': sh, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual(['deploy.sh:2:4']);
    expect(f[0]!.message).toMatch(/^the variable NS \(read as the namespace by 2 places: helm upgrade r \(line 3\) and helm upgrade s \(line 4\)\): the namespace "Runners" is one Kubernetes refuses .*; helm stops before it installs anything for each of these commands/);
  });

  it("a Makefile's NS := Runners read by $(NS) in two recipes: one RF948 at its value", () => {
    const mk = 'NS := Runners\ndeploy:\n\thelm upgrade --install r gitlab/gitlab-runner -n $(NS) -f values.yaml\ntemplate:\n\thelm template s gitlab/gitlab-runner --namespace $(NS) -f values.yaml\n';
    const f = codesIn(doctorTexts({ Makefile: mk, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual(['Makefile:1:7']);
    expect(f[0]!.message).toMatch(/^the variable NS \(read as the namespace by 2 places: helm upgrade r \(line 3\) and helm template s \(line 5\)\)/);
  });

  it('twin: NS assigned twice: one RF948 at the second, the one in force where both commands run (stop 65b; before, at the first command); NS=runners: none', () => {
    const sh = script('NS=Runners\nNS=Runners');
    const f = codesIn(doctorTexts({ 'deploy.sh': sh, 'values.yaml': VALUES }), 'RF948');
    expect(f.map((x) => x.path)).toEqual(['deploy.sh:3:4']);
    expect(f[0]!.message).toMatch(/^the variable NS \(read as the namespace by 2 places: helm upgrade r \(line 4\) and helm upgrade s \(line 5\)\)/);
    expect(codesIn(doctorTexts({ 'deploy.sh': script('NS=runners'), 'values.yaml': VALUES }), 'RF948')).toEqual([]);
  });
});

describe("the chain's refused namespace is a field printed on its line", () => {
  it('managerLine: the place, a GitOps note and the refused namespace, in that order', () => {
    expect(managerLine({ namespace: 'Runners', managerSa: 'gitlab-runner', namespaceNote: 'helm.namespace over destination.namespace', refusedNamespace: 'Runners' }, 'app.yaml:3:5')).toBe('manager Runners/gitlab-runner (app.yaml:3:5; helm.namespace over destination.namespace; the namespace "Runners" is one Kubernetes refuses (RF948): not deployed, its accounts and bindings not matched)');
    expect(managerLine({ namespace: 'ci', managerSa: 'gitlab-runner' }, 'm.yaml:1:1')).toBe('manager ci/gitlab-runner (m.yaml:1:1)');
  });

  it("a manager in ci_runners: the chain's line says it, as before; in ci-runners: not", () => {
    const line = (ns: string) => [...doctorWalked({ 'app/kustomization.yaml': `namespace: ${ns}\nresources:\n  - m.yaml\n`, 'app/m.yaml': plainManager({ namespace: 'ci' }).text }).chains.values()].flat().filter((l) => l.startsWith('manager '));
    expect(line('ci_runners')).toEqual([expect.stringMatching(/^manager ci_runners\/gitlab-runner \(app\/m\.yaml:\d+:\d+; the namespace "ci_runners" is one Kubernetes refuses \(RF948\): not deployed, its accounts and bindings not matched\)$/)]);
    expect(line('ci-runners')).toEqual([expect.stringMatching(/^manager ci-runners\/gitlab-runner \(app\/m\.yaml:\d+:\d+\)$/)]);
  });
});
