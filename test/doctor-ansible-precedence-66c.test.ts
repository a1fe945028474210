import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 66c: a task parameter that is one Jinja variable (`namespace: "{{ ns }}"`) read by Ansible's
 * variable precedence (docs.ansible.com, "Using variables", Understanding variable precedence), lowest
 * first: role defaults, inventory group/host vars, play vars, play vars_files, role vars, block vars,
 * task vars, include_vars, set_fact / registered vars, role (and include_role) params, include params,
 * extra vars. The highest definition the files give decides; where it is not a literal (Jinja, a folder
 * of include_vars, a set_fact of an expression, a registered result) the value is not known and RF903
 * names that definition, never a lower one's value. Fixtures are hand-written.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const accounts = (files: Record<string, string>) =>
  readEvidence(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })))
    .kubernetes.filter((o) => o.value.kind === 'ServiceAccount')
    .map((o) => `${o.value.metadata.namespace ?? '-'}/${o.value.metadata.name}`)
    .sort();
const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n';
const indent = (s: string, n: number) => s.replace(/^(?=.)/gm, ' '.repeat(n));
/** A k8s task applying sa.yaml into `{{ ns }}`, with `extra` lines of the task (vars:, when:). */
const k8s = (extra = '') => `- name: service account\n  kubernetes.core.k8s:\n    src: sa.yaml\n    namespace: "{{ ns }}"\n${extra}`;
/** A play with `vars` lines (indented 2) and `tasks` (a task list, indented 4). */
const play = (vars: string, tasks: string) => `- hosts: localhost\n${vars}  tasks:\n${indent(tasks, 4)}`;
const helm = '- name: runner\n  kubernetes.core.helm:\n    name: gitlab-runner\n    chart_ref: gitlab/gitlab-runner\n    release_namespace: "{{ ns }}"\n    values:\n      gitlabUrl: https://gitlab.example.com/\n';
const nsFindings = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('release_namespace'));
const PLAY_VARS = '  vars:\n    ns: team-a\n';

describe("a task's and a block's own vars beat the play's", () => {
  it("task vars: the task's value (was the play's)", () => {
    expect(accounts({ 'site.yml': play(PLAY_VARS, k8s('  vars:\n    ns: team-b\n')), 'files/sa.yaml': sa })).toEqual(['team-b/runner']);
  });

  it("block vars: the block's value for the tasks in it (was the play's)", () => {
    const tasks = `- block:\n${indent(k8s(), 4)}  vars:\n    ns: team-b\n`;
    expect(accounts({ 'site.yml': play(PLAY_VARS, tasks), 'files/sa.yaml': sa })).toEqual(['team-b/runner']);
  });

  it("a task var that is Jinja hides the play's literal: RF903, naming the task's vars (was read as the play's)", () => {
    const r = run({ 'site.yml': play(PLAY_VARS, helm + '  vars:\n    ns: "{{ env }}-runner"\n') });
    const f = nsFindings(r);
    expect(f.map((x) => x.path)).toEqual(['site.yml:9:28']);
    expect(f[0]!.message).toContain("ns is not known here: the task's vars at site.yml:5 decides it, above the other definitions the files give");
  });
});

describe('role params, role entry vars and include_role vars beat the role defaults', () => {
  const role = { 'roles/r/tasks/main.yml': k8s(), 'roles/r/defaults/main.yml': 'ns: team-a\n', 'roles/r/files/sa.yaml': sa };
  it('`- { role: r, ns: team-b }`: the param (was the default)', () => {
    expect(accounts({ ...role, 'site.yml': '- hosts: all\n  roles:\n    - { role: r, ns: team-b }\n' })).toEqual(['team-b/runner']);
  });
  it("a role entry's vars: (was the default)", () => {
    expect(accounts({ ...role, 'site.yml': '- hosts: all\n  roles:\n    - role: r\n      vars:\n        ns: team-c\n' })).toEqual(['team-c/runner']);
  });
  it("an include_role task's vars: (was the default)", () => {
    expect(accounts({ ...role, 'site.yml': play('', '- ansible.builtin.include_role:\n    name: r\n  vars:\n    ns: team-d\n') })).toEqual(['team-d/runner']);
  });
  it("the calling play's vars beat the role defaults (was the default)", () => {
    expect(accounts({ ...role, 'site.yml': '- hosts: all\n  vars:\n    ns: team-e\n  roles:\n    - r\n' })).toEqual(['team-e/runner']);
  });
  it('two calls that give different values: not known (the namespace stays as written); the same value twice: read', () => {
    expect(accounts({ ...role, 'site.yml': '- hosts: a\n  roles:\n    - { role: r, ns: x }\n- hosts: b\n  roles:\n    - { role: r, ns: y }\n' })).toEqual(['{{ ns }}/runner']);
    expect(accounts({ ...role, 'site.yml': '- hosts: a\n  roles:\n    - { role: r, ns: x }\n- hosts: b\n  roles:\n    - { role: r, ns: x }\n' })).toEqual(['x/runner']);
  });
  it('a role called with no value of its own: its default, as before', () => {
    expect(accounts({ ...role, 'site.yml': '- hosts: all\n  roles:\n    - r\n' })).toEqual(['team-a/runner']);
  });
});

describe('set_fact, register and include_vars earlier in the play', () => {
  it("a set_fact of a literal: its value (was the play's)", () => {
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- ansible.builtin.set_fact:\n    ns: team-f\n${k8s()}`), 'files/sa.yaml': sa })).toEqual(['team-f/runner']);
    // The one-line form.
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- set_fact: ns=team-g\n${k8s()}`), 'files/sa.yaml': sa })).toEqual(['team-g/runner']);
  });

  it("a set_fact of an expression: RF903 naming it (was read as the play's)", () => {
    const r = run({ 'site.yml': play(PLAY_VARS, `- set_fact:\n    ns: "{{ lookup('env', 'NS') }}"\n${helm}`) });
    const f = nsFindings(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('ns is not known here: the set_fact at site.yml:5 decides it');
  });

  it('a conditional set_fact: read where it sets the value the play gives too, else not known', () => {
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- set_fact:\n    ns: team-a\n  when: x\n${k8s()}`), 'files/sa.yaml': sa })).toEqual(['team-a/runner']);
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- set_fact:\n    ns: team-b\n  when: x\n${k8s()}`), 'files/sa.yaml': sa })).toEqual(['{{ ns }}/runner']);
  });

  it("a set_fact after the task changes nothing of it; a register of the name before it: not known (was the play's)", () => {
    expect(accounts({ 'site.yml': play(PLAY_VARS, `${k8s()}- set_fact:\n    ns: team-b\n`), 'files/sa.yaml': sa })).toEqual(['team-a/runner']);
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- command: cat ns\n  register: ns\n${k8s()}`), 'files/sa.yaml': sa })).toEqual(['{{ ns }}/runner']);
  });

  it("include_vars of a file given: its value (was the play's); of a folder or a Jinja name: RF903 naming it", () => {
    expect(accounts({ 'site.yml': play(PLAY_VARS, `- include_vars: vars/ci.yml\n${k8s()}`), 'vars/ci.yml': 'ns: team-h\n', 'files/sa.yaml': sa })).toEqual(['team-h/runner']);
    const folder = nsFindings(run({ 'site.yml': play(PLAY_VARS, `- include_vars:\n    dir: vars\n${helm}`) }));
    expect(folder).toHaveLength(1);
    expect(folder[0]!.message).toContain('the include_vars at site.yml:5, a folder decides it');
    const jinja = nsFindings(run({ 'site.yml': play(PLAY_VARS, `- include_vars: "{{ ansible_os_family }}.yml"\n${helm}`) }));
    expect(jinja[0]!.message).toContain('the include_vars at site.yml:5, a file named by Jinja decides it');
  });

  it("a play's literal with nothing above it: read, no RF903 (the twin of the cases above)", () => {
    expect(nsFindings(run({ 'site.yml': play(PLAY_VARS, helm) }))).toEqual([]);
  });
});

describe("register commands read Ansible variables with the same reader (register-command.ts)", () => {
  const task = ['- name: register', '  ansible.builtin.command: >-', '    gitlab-runner register', '      --non-interactive', '      --url https://gitlab.example.test', '      --token {{ role_token }}', '      --executor docker', '      --docker-image alpine:3.20', '      --locked="{{ role_locked }}"', ''].join('\n');
  const locked = (r: DoctorResult) => r.findings.filter((f) => (f.code === 'RF903' || f.code === 'RF919') && f.message.includes('--locked'));

  it('group_vars giving "true" over a role default of false: no finding (the looser reader read the default: RF919)', () => {
    expect(locked(run({ 'roles/r/tasks/main.yml': task, 'roles/r/defaults/main.yml': 'role_locked: false\n', 'group_vars/all.yml': 'role_locked: true\n' }))).toEqual([]);
    // The twin: the default alone still gives RF919.
    expect(locked(run({ 'roles/r/tasks/main.yml': task, 'roles/r/defaults/main.yml': 'role_locked: false\n' })).map((f) => f.code)).toEqual(['RF919']);
  });

  it("a play's vars in a playbook: read (the looser reader read only a role's files: RF903)", () => {
    const r = locked(run({ 'site.yml': play('  vars:\n    role_locked: false\n', task) }));
    expect(r.map((f) => f.code)).toEqual(['RF919']);
    expect(r[0]!.message).toContain("the play's vars in site.yml gives {{ role_locked }} the value False");
  });
});
