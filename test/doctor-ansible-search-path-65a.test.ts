import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { ansibleSearchPath } from '../src/doctor/ansible.js';

/**
 * Stop 65a: one search path for the Ansible readers (ansible.ts ansibleSearchPath, used by the k8s/helm
 * task reader and the template reader), a src file two k8s tasks apply into two namespaces, and a helm
 * task whose chart_ref is Jinja.
 *
 * The documented order (docs.ansible.com, "Search paths in Ansible", Resolving local relative paths):
 * Ansible looks for a relative local file 1. in the current role, first in its subfolder of the kind of
 * file (`files`, `templates`, …), then directly in its folder; 2. likewise in a parent role; 3. likewise
 * in the current task file's folder; 4. likewise in the play file's folder; the first match wins.
 * Fixtures are hand-written.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const evidence = (files: Record<string, string>) => readEvidence(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const accounts = (files: Record<string, string>) =>
  evidence(files)
    .kubernetes.filter((o) => o.value.kind === 'ServiceAccount')
    .map((o) => `${o.value.metadata.namespace ?? '-'}/${o.value.metadata.name}`)
    .sort();
const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
const k8sTasks = (src: string, ns = 'gitlab-runner') => `- name: service account\n  kubernetes.core.k8s:\n    src: ${src}\n    namespace: ${ns}\n`;
const k8sPlay = (src: string) => `- hosts: localhost\n  tasks:\n    - kubernetes.core.k8s:\n        src: ${src}\n        namespace: gitlab-runner\n`;

/** Line 8: privileged = true. */
const TEMPLATE = `concurrent = 2
[[runners]]
  name = "{{ inventory_hostname }}"
  url = "https://gitlab.example.com"
  token = "{{ runner_token }}"
  executor = "docker"
  [runners.docker]
    privileged = true
`;
const templateTask = (src: string) => `- name: runner settings\n  ansible.builtin.template:\n    src: ${src}\n    dest: /etc/gitlab-runner/config.toml\n`;

describe('ansibleSearchPath: the documented order', () => {
  it("a role's task file in a subfolder of tasks/: the role's files/ and folder, the task file's folder (its files/ first), the play's beside roles/", () => {
    expect(ansibleSearchPath('deploy/roles/x/tasks/sub/k8s.yml', 'files')).toEqual(['deploy/roles/x/files/', 'deploy/roles/x/', 'deploy/roles/x/tasks/sub/files/', 'deploy/roles/x/tasks/sub/', 'deploy/files/', 'deploy/']);
    expect(ansibleSearchPath('site.yml', 'templates')).toEqual(['templates/', '']);
    // A repository that is a role: tasks/ at its top.
    expect(ansibleSearchPath('tasks/main.yml', 'files')).toEqual(['files/', '', 'tasks/files/', 'tasks/']);
  });
});

describe('one search path: the differences between the two readers that changed what is read', () => {
  it("template reader: a role's task renders a template of the play's templates/ (step 4): read (before: the play's folder was not searched for a role's task)", () => {
    const r = run({ 'roles/ci/tasks/main.yml': templateTask('runner-settings.j2'), 'templates/runner-settings.j2': TEMPLATE });
    expect(of(r, 'RF301').map((f) => f.path)).toEqual(['templates/runner-settings.j2:8:5']);
  });

  it("template reader: a playbook's template in its templates/ and beside it: the templates/ one (the subfolder first; before: the one beside it)", () => {
    const r = run({ 'site.yml': `- hosts: all\n  tasks:\n${templateTask('config.j2').replace(/^/gm, '    ')}`, 'templates/config.j2': TEMPLATE, 'config.j2': TEMPLATE.replace('privileged = true', 'privileged = false') });
    expect(of(r, 'RF301').map((f) => f.path)).toEqual(['templates/config.j2:8:5']);
  });

  it("k8s reader: a repository that is a role (tasks/main.yml at its top): its src in the role's files/ is found (before: RF903, not among the files given)", () => {
    const files = { 'tasks/main.yml': k8sTasks('sa.yaml'), 'files/sa.yaml': sa('gitlab-runner') };
    expect(accounts(files)).toEqual(['gitlab-runner/gitlab-runner']);
    expect(of(run(files), 'RF903')).toEqual([]);
  });

  it("k8s reader: a role's task file whose src is in its own tasks/ folder and in the play's folder: the task file's folder (step 3) before the play's (step 4)", () => {
    const files = { 'roles/r/tasks/main.yml': k8sTasks('sa.yaml'), 'roles/r/tasks/sa.yaml': sa('from-tasks'), 'sa.yaml': sa('from-play') };
    expect(accounts(files)).toEqual(['-/from-play', 'gitlab-runner/from-tasks']);
  });

  it("k8s reader: a playbook's src in its files/ and beside it: the files/ one (the subfolder first; before: the one beside it)", () => {
    const files = { 'deploy/site.yml': k8sPlay('sa.yaml'), 'deploy/files/sa.yaml': sa('in-files'), 'deploy/sa.yaml': sa('beside') };
    expect(accounts(files)).toEqual(['-/beside', 'gitlab-runner/in-files']);
  });
});

describe('a src file two k8s tasks apply', () => {
  it('each task applies its objects into its own namespace', () => {
    const play = `- hosts: localhost\n  tasks:\n${k8sTasks('sa.yaml', 'team-a').replace(/^/gm, '    ').trimEnd()}\n${k8sTasks('sa.yaml', 'team-b').replace(/^/gm, '    ')}`;
    expect(accounts({ 'site.yml': play, 'files/sa.yaml': sa('gitlab-runner') })).toEqual(['team-a/gitlab-runner', 'team-b/gitlab-runner']);
    // The same namespace twice: the objects once.
    const same = `- hosts: localhost\n  tasks:\n${k8sTasks('sa.yaml', 'team-a').replace(/^/gm, '    ').trimEnd()}\n${k8sTasks('sa.yaml', 'team-a').replace(/^/gm, '    ')}`;
    expect(accounts({ 'site.yml': same, 'files/sa.yaml': sa('gitlab-runner') })).toEqual(['team-a/gitlab-runner']);
  });
});

describe('a helm task whose chart_ref is Jinja', () => {
  const helm = (params: string) => `- hosts: localhost\n  tasks:\n    - name: install\n      kubernetes.core.helm:\n${params.replace(/^/gm, '        ').trimEnd()}\n`;
  it('its values carry the runner chart\'s keys (inline, or a values file given): RF903 at the chart_ref', () => {
    const inline = helm('name: ci\nchart_ref: "{{ chart }}"\nrelease_namespace: ci\nvalues:\n  gitlabUrl: https://gitlab.example.com/\n  rbac:\n    create: true\n');
    const r = run({ 'site.yml': inline });
    expect(of(r, 'RF903').map((f) => f.path)).toEqual(['site.yml:6:20']);
    expect(of(r, 'RF903')[0]!.message).toContain('its values set gitlabUrl, a value of the runner chart');
    const file = helm('name: ci\nchart_ref: "{{ chart }}"\nrelease_namespace: ci\nvalues_files:\n  - ci.yaml\n');
    const f = run({ 'site.yml': file, 'ci.yaml': 'runners:\n  privileged: false\n' });
    expect(of(f, 'RF903').map((x) => x.path)).toEqual(['site.yml:6:20']);
    expect(of(f, 'RF903')[0]!.message).toContain('its values file ci.yaml sets runners');
  });

  it('nothing of it names the runner chart: silent', () => {
    const other = helm('name: web\nchart_ref: "{{ chart }}"\nrelease_namespace: web\nvalues:\n  replicaCount: 2\nvalues_files:\n  - web.yaml\n');
    expect(of(run({ 'site.yml': other, 'web.yaml': 'image:\n  tag: "1.2"\n' }), 'RF903')).toEqual([]);
  });
});

/**
 * Play variables: a value that is one Jinja variable alone, whose only definitions the files show
 * (the play's vars and vars_files, the role's defaults/main.yml and vars/main.yml, group_vars) give
 * one literal, is read as it. Ansible's precedence (docs.ansible.com, Understanding variable
 * precedence): role defaults < group vars < play vars < play vars_files < role vars < … < extra vars
 * (-e), which the files do not show: so two definitions that disagree, a filter or an expression, stay
 * not known (RF903 as before).
 */
describe('a Jinja value that is one variable the files define', () => {
  const nsPlay = (ns: string, vars: string) => `- hosts: localhost\n${vars}  tasks:\n    - kubernetes.core.k8s:\n        src: sa.yaml\n        namespace: "${ns}"\n`;
  const helmPlay = (vars: string) => `- hosts: localhost\n${vars}  tasks:\n    - name: runner\n      kubernetes.core.helm:\n        name: gitlab-runner\n        chart_ref: gitlab/gitlab-runner\n        release_namespace: "{{ runner_ns }}"\n        values:\n          gitlabUrl: https://gitlab.example.com/\n`;
  const namespaceFindings = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('release_namespace'));

  it("the play's vars: a helm task's release_namespace is read (no RF903), the task named with what was read and that -e may override it", () => {
    const r = run({ 'site.yml': helmPlay('  vars:\n    runner_ns: gitlab-runner\n') });
    expect(namespaceFindings(r)).toEqual([]);
    expect([...r.chains.values()].flat().filter((l) => l.startsWith('manager ')).map((l) => l.split(' (')[0])).toEqual(['manager gitlab-runner/default']);
    expect([...r.chains.values()].flat().join('\n')).toContain('its release_namespace {{ runner_ns }}: runner_ns is read as "gitlab-runner" from the play\'s vars in site.yml, what the files say; an extra var given with -e when the play runs would override it');
    // The twin with no definition: RF903 at the release_namespace, as before.
    expect(namespaceFindings(run({ 'site.yml': helmPlay('') })).map((f) => f.path)).toEqual(['site.yml:7:28']);
  });

  it("a vars_files file given, the role's defaults/main.yml, a group_vars file: read", () => {
    expect(accounts({ 'site.yml': nsPlay('{{ ns }}', '  vars_files:\n    - vars/ci.yml\n'), 'vars/ci.yml': 'ns: from-file\n', 'files/sa.yaml': sa('runner') })).toEqual(['from-file/runner']);
    expect(accounts({ 'roles/r/tasks/main.yml': k8sTasks('sa.yaml', '"{{ ns }}"'), 'roles/r/defaults/main.yml': 'ns: team-a\n', 'roles/r/files/sa.yaml': sa('runner') })).toEqual(['team-a/runner']);
    // The same literal in the role's vars and in group_vars: one value, read.
    expect(accounts({ 'roles/r/tasks/main.yml': k8sTasks('sa.yaml', '"{{ ns }}"'), 'roles/r/vars/main.yml': 'ns: team-a\n', 'group_vars/all.yml': 'ns: team-a\n', 'roles/r/files/sa.yaml': sa('runner') })).toEqual(['team-a/runner']);
  });

  it('two definitions that disagree, a filter, a vars_files entry not given: not read (the namespace stays as written)', () => {
    // Stop 66c: by Ansible's precedence the role's vars beat its defaults (read: team-b); two group_vars files that disagree stay unknown (which a host gets depends on its groups).
    expect(accounts({ 'roles/r/tasks/main.yml': k8sTasks('sa.yaml', '"{{ ns }}"'), 'roles/r/defaults/main.yml': 'ns: team-a\n', 'roles/r/vars/main.yml': 'ns: team-b\n', 'roles/r/files/sa.yaml': sa('runner') })).toEqual(['team-b/runner']);
    expect(accounts({ 'roles/r/tasks/main.yml': k8sTasks('sa.yaml', '"{{ ns }}"'), 'group_vars/a.yml': 'ns: team-a\n', 'group_vars/b.yml': 'ns: team-b\n', 'roles/r/files/sa.yaml': sa('runner') })).toEqual(['{{ ns }}/runner']);
    expect(accounts({ 'site.yml': nsPlay("{{ ns | default('x') }}", '  vars:\n    ns: team-a\n'), 'files/sa.yaml': sa('runner') })).toEqual(["{{ ns | default('x') }}/runner"]);
    expect(accounts({ 'site.yml': nsPlay('{{ ns }}', '  vars:\n    ns: team-a\n  vars_files:\n    - secret.yml\n'), 'files/sa.yaml': sa('runner') })).toEqual(['{{ ns }}/runner']);
    expect(namespaceFindings(run({ 'site.yml': helmPlay('  vars:\n    runner_ns: "{{ env }}-runner"\n') }))).toHaveLength(1);
  });
});
