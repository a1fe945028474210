import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, placeOf } from './helpers/doctor.js';

/**
 * Stop 57d: a sudoers file rendered by an Ansible `template:` task (dest /etc/sudoers.d/*, or
 * validate: visudo): the NOPASSWD lines of the template's source, found as Ansible finds it (the
 * role's templates/, the playbook's), are read as 56c reads copy:/lineinfile: content. RF309 at the
 * task, naming the template and its line.
 */

const REGISTER = (executor: string) => `    - name: register\n      ansible.builtin.command: >\n        gitlab-runner register --non-interactive --url https://gitlab.example.com\n        --token "{{ runner_token }}" --executor ${executor}${executor === 'docker' ? ' --docker-image alpine:3.22' : ''}\n`;
const TASK = (src: string, dest = '/etc/sudoers.d/gitlab-runner') => `    - name: sudoers\n      ansible.builtin.template:\n        src: ${src}\n        dest: ${dest}\n        validate: visudo -cf %s\n        mode: "0440"\n`;
const play = (tasks: string, executor = 'shell') => `- hosts: runners\n  become: true\n  tasks:\n${tasks}${REGISTER(executor)}`;
const SUDOERS = '# managed by Ansible\nDefaults:gitlab-runner !requiretty\ngitlab-runner ALL=(ALL) NOPASSWD: ALL\n';
const rf309 = (files: Record<string, string>) => codesIn(doctorWalked(files), 'RF309');

describe('sudoers written by an Ansible template: task', () => {
  it('a playbook\'s templates/sudoers.j2 with a NOPASSWD line for gitlab-runner: RF309 at the task, naming the template line', () => {
    const yml = play(TASK('sudoers.j2'));
    const found = rf309({ 'site.yml': yml, 'templates/sudoers.j2': SUDOERS });
    expect(found.map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'ansible.builtin.template')]);
    expect(found[0]!.message).toContain('templates/sudoers.j2, whose line 3 is a NOPASSWD entry');
    expect(found[0]!.message).toContain('passwordless sudo');
  });

  it('a role\'s templates/ and the one-line form: RF309 at the task', () => {
    const tasks = `---\n- template: src=gitlab-runner.sudoers.j2 dest=/etc/sudoers.d/gitlab-runner validate='visudo -cf %s'\n${REGISTER('shell').replace(/^ {4}/gm, '')}`;
    const found = rf309({ 'roles/runner/tasks/main.yml': tasks, 'roles/runner/templates/gitlab-runner.sudoers.j2': SUDOERS });
    expect(found.map((f) => f.path)).toEqual([placeOf('roles/runner/tasks/main.yml', tasks, 'template:')]);
  });

  it('a group NOPASSWD line in the template for a group gitlab-runner joins: RF309 at the join', () => {
    const join = '    - user: name=gitlab-runner groups=ci append=yes\n';
    const yml = play(TASK('sudoers.j2') + join);
    const found = rf309({ 'site.yml': yml, 'templates/sudoers.j2': '%ci ALL=(ALL) NOPASSWD: ALL\n' });
    expect(found.map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'user: name=gitlab-runner')]);
    expect(found[0]!.message).toContain('the ci group');
  });

  it('guards: a template without NOPASSWD, for another user, not onto sudoers, a src with markup, the template not given, a docker runner: none', () => {
    expect(rf309({ 'site.yml': play(TASK('sudoers.j2')), 'templates/sudoers.j2': 'gitlab-runner ALL=(ALL) ALL\n' })).toEqual([]);
    expect(rf309({ 'site.yml': play(TASK('sudoers.j2')), 'templates/sudoers.j2': 'deploy ALL=(ALL) NOPASSWD: ALL\n' })).toEqual([]);
    expect(rf309({ 'site.yml': play(TASK('sudoers.j2', '/etc/motd').replace('        validate: visudo -cf %s\n', '')), 'templates/sudoers.j2': SUDOERS })).toEqual([]);
    expect(rf309({ 'site.yml': play(TASK('"{{ sudoers_template }}"')), 'templates/sudoers.j2': SUDOERS })).toEqual([]);
    expect(rf309({ 'site.yml': play(TASK('sudoers.j2')) })).toEqual([]);
    expect(rf309({ 'site.yml': play(TASK('sudoers.j2'), 'docker'), 'templates/sudoers.j2': SUDOERS })).toEqual([]);
  });

  it('hostile: a template of 200,000 blank lines before its line, and a 200,000-character word: read', () => {
    const yml = play(TASK('sudoers.j2'));
    const found = rf309({ 'site.yml': yml, 'templates/sudoers.j2': `${'\n'.repeat(200_000)}${SUDOERS}` });
    expect(found[0]!.message).toContain('whose line 200003 is a NOPASSWD entry');
    expect(rf309({ 'site.yml': yml, 'templates/sudoers.j2': `${'x'.repeat(200_000)} ALL=(ALL) NOPASSWD: ALL\n` })).toEqual([]);
    expect(rf309({ 'site.yml': yml, 'templates/sudoers.j2': `gitlab-runner ${' '.repeat(200_000)}ALL\n` })).toEqual([]);
  });

  it('hostile, the script lines the same patterns read (vm.ts): 200,000 blanks after a name, a 200,000-character group list; then a real line is still read', () => {
    const sh = (line: string) => `#!/bin/sh\n${line}\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n`;
    expect(rf309({ 'setup.sh': sh(`echo "%ci ${' '.repeat(200_000)}ALL" >> /etc/sudoers.d/ci`) })).toEqual([]);
    expect(rf309({ 'setup.sh': sh(`usermod -aG ${'x'.repeat(200_000)} deploy`) })).toEqual([]);
    expect(rf309({ 'setup.sh': sh('usermod -aG docker gitlab-runner') }).map((f) => f.path)).toEqual(['setup.sh:2:1']);
  });
});
