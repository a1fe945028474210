import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 64b: Ansible's Kubernetes tasks. A `kubernetes.core.helm` task (also community.kubernetes.helm,
 * short `helm`) of the gitlab-runner chart is read as the release it makes (name, release_namespace,
 * chart_version, values_files then values then set_values), as a helm_release or an Argo CD
 * Application is; a `kubernetes.core.k8s` task's objects (definition inline or as YAML text, or a src
 * file) are read as a manifest's, taking the task's namespace where they name none. Jinja is not
 * known here: said (RF903), never guessed; a `template:` is not read (RF902). RF948 at a
 * release_namespace or a k8s namespace Kubernetes refuses.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const managers = (r: DoctorResult): string[] => [...r.chains.values()].flat().filter((l) => l.startsWith('manager '));
const holds = (r: DoctorResult, claim: RegExp) => r.proofs.filter((p) => claim.test(p.claim)).map((p) => p.holds);

// The IAM half: the hand-written IRSA role of the doctor corpus (trust: system:serviceaccount:gitlab-runner:gitlab-runner).
const IAM = readFileSync(join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', 'iam', 'main.tf'), 'utf8');
const ROLE_ARN = 'arn:aws:iam::111122223333:role/gitlab-runner-manager';
const VALUES = `gitlabUrl: https://gitlab.example.com/
serviceAccount:
  create: true
  name: gitlab-runner
rbac:
  create: true
  rules:
    - apiGroups: [""]
      resources: ["pods", "pods/exec", "pods/attach", "secrets", "configmaps"]
      verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
runners:
  secret: gitlab-runner-token
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "gitlab-runner"
        image = "alpine:3.20"
      [runners.cache]
        Type = "s3"
        Path = "runner"
        Shared = true
        [runners.cache.s3]
          BucketName = "acme-runner-cache"
          BucketLocation = "eu-west-1"
          AuthenticationType = "iam"
`;
const helmTask = (params: string, module = 'kubernetes.core.helm') => `- hosts: localhost
  tasks:
    - name: install the runner
      ${module}:
${params.replace(/^/gm, '        ').trimEnd()}
`;
const PARAMS = `name: gitlab-runner
chart_ref: gitlab/gitlab-runner
chart_version: 0.80.0
release_namespace: gitlab-runner
values_files:
  - values.yaml
values:
  serviceAccount:
    annotations:
      eks.amazonaws.com/role-arn: ${ROLE_ARN}
`;
const MANAGER_CLAIM = /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/;

describe('kubernetes.core.helm', () => {
  it('a full chain: values_files and inline values of the task, the IRSA role in Terraform: the manager role is proven, the manager placed at the task', () => {
    const play = helmTask(PARAMS);
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play, 'deploy/values.yaml': VALUES });
    expect(managers(r)).toEqual([`manager gitlab-runner/gitlab-runner (deploy/site.yml:${lineOf(play, 'kubernetes.core.helm')}:7) → role gitlab-runner-manager`]);
    expect(holds(r, MANAGER_CLAIM)).toEqual([true]);
    expect(holds(r, /^every reference resolves/)).toEqual([true]);
    expect(of(r, 'RF910')).toEqual([]);
    expect(of(r, 'RF903')).toEqual([]);
  });

  it('the short module name and the community.kubernetes one read the same', () => {
    for (const module of ['helm', 'community.kubernetes.helm']) {
      const r = run({ 'iam.tf': IAM, 'deploy/site.yml': helmTask(PARAMS, module), 'deploy/values.yaml': VALUES });
      expect(holds(r, MANAGER_CLAIM)).toEqual([true]);
    }
  });

  it("a broken link: the values' service account is not the one the IAM trust names, the same finding as through a helm_release", () => {
    const values = VALUES.replace('name: gitlab-runner', 'name: other-runner');
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': helmTask(PARAMS), 'deploy/values.yaml': values });
    expect(holds(r, MANAGER_CLAIM)).toEqual([]);
    expect(holds(r, /^only cluster:gitlab-runner\/other-runner can assume the manager role gitlab-runner-manager/)).toEqual([false]);
    // The same deployment through Terraform's helm_release: the same finding codes of the chain.
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  version    = "0.80.0"\n  namespace  = "gitlab-runner"\n  values     = [file("\${path.module}/values.yaml")]\n  set {\n    name  = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn"\n    value = "${ROLE_ARN}"\n  }\n}\n`;
    const viaTf = run({ 'iam.tf': IAM, 'runner.tf': tf, 'values.yaml': values });
    expect(holds(viaTf, /^only cluster:gitlab-runner\/other-runner can assume the manager role/)).toEqual([false]);
    const errors = (x: DoctorResult) => [...new Set(x.findings.filter((f) => f.severity === 'error').map((f) => f.code))].sort();
    expect(errors(r)).toEqual(errors(viaTf));
    expect(errors(r).length).toBeGreaterThan(0);
  });

  it('set_values (raw, json) layer over values and values_files, each key placed at its item\'s value', () => {
    const play = helmTask(`${PARAMS}set_values:\n  - value: serviceAccount.name=other-runner\n    value_type: raw\n`);
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play, 'deploy/values.yaml': VALUES });
    const claim = /^only cluster:gitlab-runner\/other-runner can assume the manager role/;
    expect(holds(r, claim)).toEqual([false]);
    expect(r.chains.get('gitlab-runner')?.[0]).toContain('gitlab-runner/other-runner');
    const json = helmTask(`${PARAMS}set_values:\n  - value: 'serviceAccount={"create":true,"name":"json-runner"}'\n    value_type: json\n`);
    expect(run({ 'iam.tf': IAM, 'deploy/site.yml': json, 'deploy/values.yaml': VALUES }).chains.get('gitlab-runner')?.[0]).toContain('gitlab-runner/json-runner');
  });

  it('a task in a role (roles/x/tasks/main.yml), inside a block, with its values file in the role\'s files/', () => {
    const tasks = `- block:\n    - name: runner\n      kubernetes.core.helm:\n${PARAMS.replace(/^/gm, '        ').trimEnd()}\n`;
    const r = run({ 'iam.tf': IAM, 'ansible/site.yml': '- hosts: all\n  roles:\n    - runner\n', 'ansible/roles/runner/tasks/main.yml': tasks, 'ansible/roles/runner/files/values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager gitlab-runner/gitlab-runner (ansible/roles/runner/tasks/main.yml:3:7) → role gitlab-runner-manager']);
    expect(holds(r, MANAGER_CLAIM)).toEqual([true]);
  });

  it('a values file not given is RF903 at it, and the release is still read (valuesUnread)', () => {
    const play = helmTask(PARAMS.replace('- values.yaml', '- missing.yaml'));
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play });
    expect(of(r, 'RF903').filter((f) => f.message.includes('missing.yaml')).map((f) => f.path)).toEqual([`deploy/site.yml:${lineOf(play, '- missing.yaml')}:13`]);
    expect(of(r, 'RF910')).toEqual([]);
  });

  it('state absent (release_state or its alias state): no release is read', () => {
    for (const key of ['release_state', 'state']) {
      // The values inline: a values file given is read alone as chart values whatever installs it.
      const inline = helmTask(`name: gitlab-runner\nchart_ref: gitlab/gitlab-runner\nrelease_namespace: gitlab-runner\nvalues:\n${VALUES.replace(/^/gm, '  ').trimEnd()}\n${key}: absent\n`);
      expect(managers(run({ 'iam.tf': IAM, 'deploy/site.yml': inline.replace(`${key}: absent`, '') }))).toHaveLength(1);
      const r = run({ 'iam.tf': IAM, 'deploy/site.yml': inline });
      expect(managers(r)).toEqual([]);
      expect(of(r, 'RF910')).toHaveLength(1);
    }
  });

  it('a chart not the runner\'s is not read', () => {
    const inline = `name: web\nchart_ref: gitlab/gitlab-runner\nrelease_namespace: web\nvalues:\n${VALUES.replace(/^/gm, '  ').trimEnd()}\n`;
    expect(managers(run({ 'deploy/site.yml': helmTask(inline) }))).toHaveLength(1);
    expect(managers(run({ 'deploy/site.yml': helmTask(inline.replace('gitlab/gitlab-runner', 'bitnami/nginx')) }))).toEqual([]);
  });
});

describe('Jinja in a helm task', () => {
  it('a Jinja release_namespace: RF903 at it, the namespace not guessed, no manager chain (and no RF910)', () => {
    const play = helmTask(PARAMS.replace('release_namespace: gitlab-runner', 'release_namespace: "{{ runner_ns }}"'));
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play, 'deploy/values.yaml': VALUES });
    const said = of(r, 'RF903').filter((f) => f.message.includes('{{ runner_ns }}'));
    expect(said.map((f) => f.path)).toEqual([`deploy/site.yml:${lineOf(play, 'release_namespace')}:28`]);
    expect(said[0]!.message).toContain('known only then');
    expect(managers(r)).toEqual([]);
    expect(of(r, 'RF910')).toEqual([]);
  });

  it('values as a Jinja expression as a whole (a template lookup): RF903 at the task, the release read with its values unread', () => {
    const play = helmTask(`name: gitlab-runner\nchart_ref: gitlab/gitlab-runner\nrelease_namespace: gitlab-runner\nvalues: "{{ lookup('template', 'values.j2') | from_yaml }}"\n`);
    const r = run({ 'deploy/site.yml': play });
    const said = of(r, 'RF903').filter((f) => f.message.includes('values (a Jinja expression as a whole)'));
    expect(said.map((f) => f.path)).toEqual([`deploy/site.yml:${lineOf(play, 'kubernetes.core.helm')}:7`]);
    expect(of(r, 'RF910')).toEqual([]);
  });

  it('a Jinja value inside values is not read (named in the RF903); the rest is', () => {
    const play = helmTask(`${PARAMS}  rbac:\n    create: "{{ rbac_on }}"\n`);
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play, 'deploy/values.yaml': VALUES });
    expect(of(r, 'RF903').some((f) => f.message.includes('values rbac.create'))).toBe(true);
    expect(holds(r, MANAGER_CLAIM)).toEqual([true]);
  });

  it('a Jinja chart_ref naming gitlab-runner: RF903 at it, a chart not read (no RF910)', () => {
    const play = helmTask('name: gitlab-runner\nchart_ref: "{{ runner_chart }}"\nrelease_namespace: gitlab-runner\n');
    const r = run({ 'deploy/site.yml': play });
    expect(of(r, 'RF903').filter((f) => f.message.includes('chart_ref')).map((f) => f.path)).toEqual([`deploy/site.yml:${lineOf(play, 'chart_ref')}:20`]);
    expect(of(r, 'RF910')).toEqual([]);
  });
});

describe('RF948 in Ansible Kubernetes tasks', () => {
  it('a release_namespace Kubernetes refuses: RF948 at it, and no manager in it', () => {
    const play = helmTask(PARAMS.replace('release_namespace: gitlab-runner', 'release_namespace: GitLab_Runner'));
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': play, 'deploy/values.yaml': VALUES });
    expect(of(r, 'RF948').map((f) => f.path)).toEqual([`deploy/site.yml:${lineOf(play, 'release_namespace')}:28`]);
    expect(of(r, 'RF948')[0]!.message).toContain('kubernetes.core.helm task gitlab-runner');
    expect(managers(r)).toEqual([]);
  });

  it('a release_namespace Kubernetes takes, and a Jinja one: no RF948', () => {
    const takes = run({ 'deploy/site.yml': helmTask(PARAMS), 'deploy/values.yaml': VALUES });
    expect(of(takes, 'RF948')).toEqual([]);
    expect(managers(takes)).toEqual([`manager gitlab-runner/gitlab-runner (deploy/site.yml:${lineOf(helmTask(PARAMS), 'kubernetes.core.helm')}:7)`]);
    expect(of(run({ 'deploy/site.yml': helmTask(PARAMS.replace('release_namespace: gitlab-runner', 'release_namespace: "{{ NS }}"')), 'deploy/values.yaml': VALUES }), 'RF948')).toEqual([]);
  });

  it("a k8s task's namespace Kubernetes refuses: RF948 at it; one it takes: none", () => {
    const k8s = (ns: string) => `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        namespace: ${ns}\n        definition:\n          apiVersion: v1\n          kind: ServiceAccount\n          metadata:\n            name: gitlab-runner\n`;
    const bad = run({ 'site.yml': k8s('Runners') });
    expect(of(bad, 'RF948').map((f) => f.path)).toEqual(['site.yml:4:20']);
    expect(of(run({ 'site.yml': k8s('runners') }), 'RF948')).toEqual([]);
    expect(of(run({ 'site.yml': k8s('"{{ ns }}"') }), 'RF948')).toEqual([]);
  });
});

const SA = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: gitlab-runner
  annotations:
    eks.amazonaws.com/role-arn: ${ROLE_ARN}
`;
/** The chart using a service account it does not create: the one the k8s task applies. */
const NO_SA_PARAMS = `name: gitlab-runner
chart_ref: gitlab/gitlab-runner
release_namespace: gitlab-runner
values_files:
  - values.yaml
`;
const USES_SA = VALUES.replace('create: true', 'create: false');

describe('kubernetes.core.k8s', () => {
  it('an inline definition: the object is read with the task\'s namespace, placed at the task, and proves the chain with the chart', () => {
    const play = `- hosts: localhost\n  tasks:\n    - name: service account\n      kubernetes.core.k8s:\n        namespace: gitlab-runner\n        definition:\n${SA.replace(/^/gm, '          ').trimEnd()}\n`;
    const ev = readEvidence([{ path: 'site.yml', bytes: enc(play) }]);
    const sa = ev.kubernetes.filter((o) => o.value.kind === 'ServiceAccount');
    expect(sa.map((o) => `${o.value.metadata.namespace}/${o.value.metadata.name}`)).toEqual(['gitlab-runner/gitlab-runner']);
    expect(sa[0]!.origin.source.locate(sa[0]!.origin.doc, ['metadata', 'name'])).toMatchObject({ file: 'site.yml', line: lineOf(play, 'name: gitlab-runner') });
    const r = run({ 'iam.tf': IAM, 'site.yml': `${play}${helmTask(NO_SA_PARAMS).split('\n').slice(2).join('\n')}`, 'values.yaml': USES_SA });
    expect(holds(r, MANAGER_CLAIM)).toEqual([true]);
  });

  it('a definition as YAML text of two documents, and a list of objects: each read', () => {
    const text = `- hosts: localhost\n  tasks:\n    - k8s:\n        namespace: ci\n        definition: |\n          apiVersion: v1\n          kind: ServiceAccount\n          metadata:\n            name: a\n          ---\n          apiVersion: v1\n          kind: ServiceAccount\n          metadata:\n            name: b\n            namespace: other\n    - community.kubernetes.k8s:\n        definition:\n          - apiVersion: v1\n            kind: ServiceAccount\n            metadata: { name: c, namespace: ci }\n          - apiVersion: v1\n            kind: Namespace\n            metadata: { name: ci }\n`;
    const ev = readEvidence([{ path: 'site.yml', bytes: enc(text) }]);
    expect(ev.kubernetes.map((o) => `${o.value.kind} ${o.value.metadata.namespace ?? '-'}/${o.value.metadata.name}`)).toEqual(['ServiceAccount ci/a', 'ServiceAccount other/b', 'ServiceAccount ci/c', 'Namespace -/ci']);
  });

  it('src: a manifest among the files given (a role\'s files/) takes the task\'s namespace, and proves the chain', () => {
    const tasks = '- name: service account\n  kubernetes.core.k8s:\n    src: sa.yaml\n    namespace: gitlab-runner\n- name: runner\n  kubernetes.core.helm:\n' + NO_SA_PARAMS.replace(/^/gm, '    ').trimEnd() + '\n';
    const files = { 'iam.tf': IAM, 'roles/runner/tasks/main.yml': tasks, 'roles/runner/files/sa.yaml': SA, 'roles/runner/files/values.yaml': USES_SA };
    const ev = readEvidence(Object.entries(files).map(([path, t]) => ({ path, bytes: enc(t) })));
    expect(ev.kubernetes.filter((o) => o.value.kind === 'ServiceAccount').map((o) => `${o.value.metadata.namespace}/${o.value.metadata.name}`)).toEqual(['gitlab-runner/gitlab-runner']);
    expect(holds(run(files), MANAGER_CLAIM)).toEqual([true]);
  });

  it('src not among the files given, or named by Jinja: RF903 at it', () => {
    const play = (src: string) => `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        src: ${src}\n`;
    expect(of(run({ 'site.yml': play('manifests/sa.yaml') }), 'RF903').map((f) => f.path)).toEqual(['site.yml:4:14']);
    expect(of(run({ 'site.yml': play('"{{ manifest }}"') }), 'RF903').map((f) => f.path)).toEqual(['site.yml:4:14']);
  });

  it('state absent: the objects are not read', () => {
    const play = `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        state: absent\n        definition:\n${SA.replace(/^/gm, '          ').trimEnd()}\n`;
    expect(readEvidence([{ path: 'site.yml', bytes: enc(play) }]).kubernetes).toEqual([]);
    expect(readEvidence([{ path: 'site.yml', bytes: enc(play.replace('state: absent', 'state: present')) }]).kubernetes).toHaveLength(1);
  });

  it('template: a Jinja template, said not read (RF902 at it); a definition of Jinja: RF903', () => {
    const play = `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        template: runner.yaml.j2\n        namespace: ci\n`;
    const r = run({ 'site.yml': play });
    expect(of(r, 'RF902').map((f) => f.path)).toEqual(['site.yml:4:19']);
    const lookup = `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        definition: "{{ lookup('template', 'sa.j2') | from_yaml }}"\n`;
    expect(of(run({ 'site.yml': lookup }), 'RF903').map((f) => f.path)).toEqual(['site.yml:4:21']);
  });
});

describe('set-json text that is not JSON (one reading for the Ansible task and the helm command: helm-command.ts setKindValue)', () => {
  it('RF901 at the item, in both readers, and the key is not set; the twins with JSON set it', () => {
    const bad = helmTask(`${PARAMS}set_values:\n  - value: 'serviceAccount={create: true}'\n    value_type: json\n`);
    const r = run({ 'iam.tf': IAM, 'deploy/site.yml': bad, 'deploy/values.yaml': VALUES });
    expect(of(r, 'RF901').map((f) => [f.path.replace(/:\d+$/, ''), f.message])).toEqual([[`deploy/site.yml:${lineOf(bad, 'serviceAccount={create')}`, 'the kubernetes.core.helm task gitlab-runner at deploy/site.yml:4: set_values serviceAccount (value_type json) is not given JSON; helm refuses it']]);
    expect(r.chains.get('gitlab-runner')?.[0]).toContain('gitlab-runner/gitlab-runner');
    const cmd = (json: string) => `#!/bin/sh\nhelm upgrade --install gitlab-runner gitlab/gitlab-runner -n gitlab-runner -f values.yaml --set-json '${json}'\n`;
    const sh = run({ 'iam.tf': IAM, 'deploy/deploy.sh': cmd('serviceAccount={create: true}'), 'deploy/values.yaml': VALUES });
    expect(of(sh, 'RF901').map((f) => f.message)).toEqual([expect.stringMatching(/--set-json serviceAccount is not given JSON; helm refuses it$/)]);
    const good = run({ 'iam.tf': IAM, 'deploy/deploy.sh': cmd('serviceAccount={"create":true,"name":"json-runner"}'), 'deploy/values.yaml': VALUES });
    expect(of(good, 'RF901')).toEqual([]);
    expect(good.chains.get('gitlab-runner')?.[0]).toContain('gitlab-runner/json-runner');
  });
});
