import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, placeOf, shellInstanceTf } from './helpers/doctor.js';

/**
 * Stop 56c: what makes a shell runner's jobs root on its host, read where the host is set up outside
 * Terraform's user data (55d read it there only): Ansible tasks (user: groups docker, a sudoers line
 * with NOPASSWD written by copy/lineinfile, community.general.sudoers; the mapping and the one-line
 * key=value forms), and jobs run as root outright (`gitlab-runner install --user root`, a systemd unit
 * with User=root running `gitlab-runner run` without --user). RF309 at the task or line; only for the
 * shell executor.
 */

const REGISTER = (executor: string) => `    - name: register
      ansible.builtin.command: >
        gitlab-runner register --non-interactive --url https://gitlab.example.com
        --token "{{ runner_token }}" --executor ${executor}${executor === 'docker' ? ' --docker-image alpine:3.22' : ''}
`;
const play = (tasks: string, executor = 'shell') => `- hosts: runners
  become: true
  tasks:
${tasks}${REGISTER(executor)}`;
const rf309 = (files: Record<string, string>) => codesIn(doctorWalked(files), 'RF309');

describe('Ansible tasks that make gitlab-runner root-equivalent for a shell runner', () => {
  it('user: {name: gitlab-runner, groups: docker, append: true}: RF309 (error) at the task', () => {
    const yml = play('    - name: docker group\n      ansible.builtin.user:\n        name: gitlab-runner\n        groups: docker\n        append: true\n');
    const found = rf309({ 'site.yml': yml });
    expect(found.map((f) => [f.path, f.severity])).toEqual([[placeOf('site.yml', yml, 'ansible.builtin.user'), 'error']]);
    expect(found[0]!.message).toContain('the docker group');
    expect(found[0]!.message).toContain('shell executor');
  });

  it('the one-line form (user: name=gitlab-runner groups=docker append=yes): RF309 at the task', () => {
    const yml = play('    - user: name=gitlab-runner groups=docker append=yes\n');
    expect(rf309({ 'site.yml': yml }).map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'user:')]);
  });

  it('a sudoers line with NOPASSWD for gitlab-runner written by copy (validate: visudo) or lineinfile: RF309 at the task', () => {
    const copy = play('    - ansible.builtin.copy:\n        dest: /etc/sudoers.d/gitlab-runner\n        content: "gitlab-runner ALL=(ALL) NOPASSWD: ALL\\n"\n        validate: visudo -cf %s\n');
    expect(rf309({ 'site.yml': copy }).map((f) => f.path)).toEqual([placeOf('site.yml', copy, 'ansible.builtin.copy')]);
    // The one-line form quoted whole (a plain YAML scalar cannot hold `NOPASSWD: `).
    const line = play(`    - lineinfile: "path=/etc/sudoers line='gitlab-runner ALL=(ALL) NOPASSWD: ALL' validate='visudo -cf %s'"\n`);
    expect(rf309({ 'site.yml': line }).map((f) => f.path)).toEqual([placeOf('site.yml', line, 'lineinfile')]);
  });

  it('community.general.sudoers for a group gitlab-runner joins (nopassword by default): RF309 at the join; with nopassword: false none', () => {
    const tasks = (nopassword: string) => `    - community.general.sudoers:\n        name: ci\n        group: ci\n        commands: ALL\n${nopassword}    - ansible.builtin.user:\n        name: gitlab-runner\n        groups: [ci]\n`;
    const yml = play(tasks(''));
    const found = rf309({ 'site.yml': yml });
    expect(found.map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'ansible.builtin.user')]);
    expect(found[0]!.message).toContain('the ci group');
    expect(rf309({ 'site.yml': play(tasks('        nopassword: false\n')) })).toEqual([]);
  });

  it('a usermod line in a shell task: RF309 at its line', () => {
    const yml = play('    - name: join\n      ansible.builtin.shell: |\n        set -e\n        usermod -aG docker gitlab-runner\n');
    expect(rf309({ 'site.yml': yml }).map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'usermod')]);
  });

  it('guards: the docker executor, another user, the sudo group without a NOPASSWD entry: none', () => {
    expect(rf309({ 'site.yml': play('    - user: name=gitlab-runner groups=docker append=yes\n', 'docker') })).toEqual([]);
    expect(rf309({ 'site.yml': play('    - user: name=deploy groups=docker append=yes\n') })).toEqual([]);
    expect(rf309({ 'site.yml': play('    - user: name=gitlab-runner groups=sudo append=yes\n') })).toEqual([]);
  });
});

describe('shell jobs run as root outright', () => {
  it('gitlab-runner install --user root in an Ansible command task, and --user=root in a script: RF309 at the line', () => {
    const yml = play('    - command: gitlab-runner install --user root --working-directory /home/gitlab-runner\n');
    const found = rf309({ 'site.yml': yml });
    expect(found.map((f) => f.path)).toEqual([placeOf('site.yml', yml, 'gitlab-runner install')]);
    expect(found[0]!.message).toContain('--user root');
    const sh = '#!/bin/bash\ngitlab-runner install --user=root --working-directory=/opt/ci\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n';
    expect(rf309({ 'setup.sh': sh }).map((f) => f.path)).toEqual(['setup.sh:2:1']);
  });

  it('a systemd unit with User=root running gitlab-runner run without --user: RF309 at User=; with --user gitlab-runner none', () => {
    const unit = (exec: string) => `[Unit]\nDescription=GitLab Runner\n[Service]\nUser=root\nExecStart=/usr/bin/gitlab-runner run ${exec}--working-directory /home/ci\n[Install]\nWantedBy=multi-user.target\n`;
    const sh = '#!/bin/sh\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n';
    expect(rf309({ 'gitlab-runner.service': unit(''), 'setup.sh': sh }).map((f) => f.path)).toEqual(['gitlab-runner.service:4:1']);
    expect(rf309({ 'gitlab-runner.service': unit('--user gitlab-runner '), 'setup.sh': sh })).toEqual([]);
  });

  it('a unit after 200,000 blank lines, and keys indented or with CRLF: read at their lines (the key patterns took \\s, newlines too, before a key: each line start scanned every blank line after it, quadratic; review of 56c)', () => {
    const sh = '#!/bin/sh\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n';
    const unit = `${'\n'.repeat(200_000)}[Service]\n  User = root\r\n\tExecStart=/usr/bin/gitlab-runner run --working-directory /home/ci\n`;
    expect(rf309({ 'gitlab-runner.service': unit, 'setup.sh': sh }).map((f) => f.path)).toEqual(['gitlab-runner.service:200002:3']);
    expect(rf309({ 'notes.txt': '\n'.repeat(200_000), 'setup.sh': sh })).toEqual([]);
  });

  it('a standalone setup script (no Terraform) joining gitlab-runner to docker for its shell runner: RF309 at the line', () => {
    const sh = '#!/bin/bash\nusermod -aG docker gitlab-runner\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n';
    expect(rf309({ 'install.sh': sh }).map((f) => f.path)).toEqual(['install.sh:2:1']);
    expect(rf309({ 'install.sh': sh.replace('--executor shell', '--executor docker --docker-image alpine:3.22') })).toEqual([]);
  });

  it('guards: --user gitlab-runner, and --user root for a docker runner: none', () => {
    expect(rf309({ 'site.yml': play('    - command: gitlab-runner install --user gitlab-runner\n') })).toEqual([]);
    expect(rf309({ 'site.yml': play('    - command: gitlab-runner install --user root\n', 'docker') })).toEqual([]);
  });
});

describe('in the user data of a Terraform shell manager (vm.ts, 55d)', () => {
  const instance = shellInstanceTf;
  const SETUP = '#!/bin/bash\ngitlab-runner install --user root --working-directory /opt/ci\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token)" --executor shell\n';

  it('gitlab-runner install --user root in a heredoc: RF309 at its line, said as root outright', () => {
    const tf = instance(`<<-EOT\n    ${SETUP.split('\n').join('\n    ')}EOT`);
    const found = rf309({ 'main.tf': tf });
    expect(found.map((f) => f.path)).toEqual([placeOf('main.tf', tf, 'gitlab-runner install')]);
    expect(found[0]!.message).toContain('runs `gitlab-runner install --user root`');
    expect(found[0]!.message).not.toContain('as the gitlab-runner user');
  });

  it('the same script read by file(): one RF309 at its line (the user data reading and the script reading say it once)', () => {
    expect(rf309({ 'main.tf': instance('file("${path.module}/setup.sh")'), 'setup.sh': SETUP }).map((f) => f.path)).toEqual(['setup.sh:2:1']);
  });
});
