import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * A config.toml template an Ansible task renders by a template lookup and writes onto config.toml:
 * `copy: content: "{{ lookup('template', 'x.j2') }}" dest: …/config.toml`, or a shell line echoing the
 * lookup into it. Before, the template was not read (RF902 "not read", no RF301 for what it writes);
 * now it is read as a config.toml template, as one a `template:` task renders. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** Line 7: privileged = true. */
const TEMPLATE = `[[runners]]
  name = "{{ runner_name }}"
  url = "https://gitlab.example.com"
  token = "{{ runner_token }}"
  executor = "docker"
  [runners.docker]
    privileged = true
`;
const copyTask = (lookup: string, dest: string) => `- name: runner settings\n  ansible.builtin.copy:\n    content: "{{ ${lookup} }}"\n    dest: ${dest}\n    mode: "0600"\n`;

describe('a template lookup written onto config.toml', () => {
  it("copy content lookup('template', …) to /etc/gitlab-runner/config.toml: the template is read, RF301 at its line", () => {
    const r = doctor(files({ 'roles/ci/tasks/main.yml': copyTask("lookup('template', 'runner.j2')", '/etc/gitlab-runner/config.toml'), 'roles/ci/templates/runner.j2': TEMPLATE }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['roles/ci/templates/runner.j2:7:5']);
    expect(at(r, 'RF902')).toEqual([]);
  });

  it("lookup('ansible.builtin.template', …) in double quotes, and the template's path relative to the role", () => {
    const task = `- name: settings\n  copy:\n    content: '{{ lookup("ansible.builtin.template", "templates/runner.j2") }}'\n    dest: "{{ runner_home }}/config.toml"\n`;
    const r = doctor(files({ 'roles/ci/tasks/settings.yml': task, 'roles/ci/templates/runner.j2': TEMPLATE }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['roles/ci/templates/runner.j2:7:5']);
  });

  it('a shell line echoing the lookup >> config.toml', () => {
    const task = `- name: append runner\n  shell: |\n    echo '{{ lookup("template", "runner.j2") }}' >> /etc/gitlab-runner/config.toml\n  become: true\n`;
    const r = doctor(files({ 'roles/ci/tasks/main.yml': task, 'roles/ci/templates/runner.j2': TEMPLATE }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['roles/ci/templates/runner.j2:7:5']);
  });

  it('the passing twins: the lookup copied to /etc/motd, or echoed to another file, is no config.toml (not read, RF902; no RF301)', () => {
    for (const task of [copyTask("lookup('template', 'runner.j2')", '/etc/motd'), `- shell: echo '{{ lookup("template", "runner.j2") }}' > /tmp/notes.txt\n`]) {
      const r = doctor(files({ 'roles/ci/tasks/main.yml': task, 'roles/ci/templates/runner.j2': TEMPLATE }));
      expect(at(r, 'RF301')).toEqual([]);
      expect(at(r, 'RF902').map((f) => f.path)).toEqual(['roles/ci/templates/runner.j2:1:1']);
    }
  });
});
