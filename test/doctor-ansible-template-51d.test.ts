import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { doctorCommand } from '../src/cli/doctor.js';

/**
 * A config.toml template named without `.toml` (`runner-settings.j2`, `config.j2`) that an Ansible
 * `template:` task renders onto /etc/gitlab-runner/config.toml. Before, it was not read: one of the
 * files "of a kind the doctor does not read" in a folder walk, "not a YAML, JSON, TOML or Terraform
 * file" named alone. Now the task's src → dest makes it a config.toml template, read as
 * config.toml.j2 is. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** Line 8: privileged = true. */
const TEMPLATE = `concurrent = {{ runner_concurrent }}
[[runners]]
  name = "{{ inventory_hostname }}"
  url = "https://gitlab.example.com"
  token = "{{ runner_token }}"
  executor = "docker"
  [runners.docker]
    privileged = true
`;
const mappingTask = (src: string, dest: string) => `- name: runner settings\n  ansible.builtin.template:\n    src: ${src}\n    dest: ${dest}\n    mode: "0600"\n`;

describe('a template a template: task renders onto config.toml', () => {
  it('a role: tasks/main.yml renders templates/runner-settings.j2 to /etc/gitlab-runner/config.toml: RF301 at its line', () => {
    const r = doctor(files({ 'roles/ci/tasks/main.yml': mappingTask('runner-settings.j2', '/etc/gitlab-runner/config.toml'), 'roles/ci/templates/runner-settings.j2': TEMPLATE }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['roles/ci/templates/runner-settings.j2:8:5']);
    expect(at(r, 'RF902')).toEqual([]);
  });

  it('the passing twin: the same template rendered to /etc/motd is no config.toml, not read (RF902), no RF301', () => {
    const r = doctor(files({ 'roles/ci/tasks/main.yml': mappingTask('runner-settings.j2', '/etc/motd'), 'roles/ci/templates/runner-settings.j2': TEMPLATE }));
    expect(at(r, 'RF301')).toEqual([]);
    expect(at(r, 'RF902').map((f) => f.path)).toEqual(['roles/ci/templates/runner-settings.j2:1:1']);
  });

  it('the one-line key=value form of the short module name, in a playbook with templates/ beside it', () => {
    const play = `- hosts: runners\n  become: true\n  tasks:\n    - name: settings\n      template: src=config.j2 dest="{{ runner_dir }}/config.toml" mode=0600\n`;
    const r = doctor(files({ 'ansible/site.yml': play, 'ansible/templates/config.j2': TEMPLATE }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['ansible/templates/config.j2:8:5']);
  });

  it('a folder walk reads the template the task names (it was one of the files not read); another .j2 stays unread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-51d-'));
    try {
      mkdirSync(join(dir, 'roles/ci/tasks'), { recursive: true });
      mkdirSync(join(dir, 'roles/ci/templates'), { recursive: true });
      writeFileSync(join(dir, 'roles/ci/tasks/main.yml'), `${mappingTask('config.j2', '/etc/gitlab-runner/config.toml')}- name: motd\n  template: src=motd.j2 dest=/etc/motd\n`);
      writeFileSync(join(dir, 'roles/ci/templates/config.j2'), TEMPLATE);
      writeFileSync(join(dir, 'roles/ci/templates/motd.j2'), 'Welcome to {{ inventory_hostname }}\n');
      let out = '';
      await doctorCommand([dir], { format: 'json' }, { out: (s) => (out += s), err: () => {} }, '0.0.0');
      const found = (JSON.parse(out) as { findings: { code: string; path: string; message: string }[] }).findings;
      expect(found.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([`${dir}/roles/ci/templates/config.j2:8:5`]);
      const unread = found.filter((f) => f.code === 'RF902');
      expect(unread).toHaveLength(1);
      expect(unread[0]!.message).toContain('motd.j2');
      expect(unread[0]!.message).not.toContain('config.j2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
