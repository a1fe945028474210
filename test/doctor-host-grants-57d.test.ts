import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, placeOf } from './helpers/doctor.js';

/**
 * Stop 57d: a grant to gitlab-runner is RF309 on the host a shell runner is registered on, where the
 * files say which host that is (an Ansible play's `hosts:`, a role and the plays listing it, a
 * script); where they cannot tell, as before (any shell runner the files register).
 */

const rf309 = (files: Record<string, string>) => codesIn(doctorWalked(files), 'RF309');
const register = (executor: string, indent = '      ') => `${indent}gitlab-runner register --non-interactive --url https://gitlab.example.com --token "{{ runner_token }}" --executor ${executor}${executor === 'docker' ? ' --docker-image alpine:3.22' : ''}\n`;
const GRANT = '    - name: docker group\n      ansible.builtin.user:\n        name: gitlab-runner\n        groups: docker\n        append: true\n';
const play = (hosts: string, tasks: string) => `- hosts: ${hosts}\n  become: true\n  tasks:\n${tasks}`;
const registerTask = (executor: string) => `    - name: register ${executor}\n      ansible.builtin.command: >\n  ${register(executor, '      ')}`;

describe('RF309 per host: Ansible plays', () => {
  it('shell runner on one play\'s hosts, docker group granted on another play\'s docker hosts: none; on the same hosts: RF309', () => {
    const apart = `${play('shell_runners', registerTask('shell'))}${play('docker_runners', GRANT + registerTask('docker'))}`;
    expect(rf309({ 'site.yml': apart })).toEqual([]);
    const together = `${play('runners', registerTask('shell'))}${play('runners', GRANT + registerTask('docker'))}`;
    expect(rf309({ 'site.yml': together }).map((f) => f.path)).toEqual([placeOf('site.yml', together, 'ansible.builtin.user')]);
    const one = play('runners', GRANT + registerTask('docker') + registerTask('shell'));
    expect(rf309({ 'site.yml': one }).map((f) => f.path)).toEqual([placeOf('site.yml', one, 'ansible.builtin.user')]);
  });

  it('where the files cannot tell, as before: a play for all, a grant whose play registers no runner, a shell config.toml: RF309', () => {
    const all = `${play('shell_runners', registerTask('shell'))}${play('all', GRANT + registerTask('docker'))}`;
    expect(rf309({ 'site.yml': all })).toHaveLength(1);
    const grantOnly = `${play('shell_runners', registerTask('shell'))}${play('docker_runners', GRANT)}`;
    expect(rf309({ 'site.yml': grantOnly })).toHaveLength(1);
    const docker = play('docker_runners', GRANT + registerTask('docker'));
    const toml = 'concurrent = 1\n[[runners]]\n  name = "s"\n  url = "https://gitlab.example.com"\n  executor = "shell"\n';
    expect(rf309({ 'site.yml': docker, 'config.toml': toml })).toHaveLength(1);
  });
});

describe('RF309 per host: roles and scripts', () => {
  const roleTasks = (tasks: string) => `---\n${tasks.replace(/^ {4}/gm, '')}`;
  const files = (site: string) => ({
    'roles/docker_runner/tasks/main.yml': roleTasks(GRANT + registerTask('docker')),
    'roles/shell_runner/tasks/main.yml': roleTasks(registerTask('shell')),
    'site.yml': site,
  });

  it('a role granting docker for its docker runner, another role registering a shell runner, on plays for other hosts: none; one play with both roles: RF309', () => {
    const apart = '- hosts: docker_hosts\n  roles: [docker_runner]\n- hosts: shell_hosts\n  roles:\n    - role: shell_runner\n';
    expect(rf309(files(apart))).toEqual([]);
    const together = '- hosts: ci\n  roles:\n    - docker_runner\n    - shell_runner\n';
    expect(rf309(files(together)).map((f) => f.path)).toEqual([expect.stringMatching(/^roles\/docker_runner\/tasks\/main\.yml:\d+:\d+$/)]);
  });

  it('a script granting docker for the docker runner it registers, another registering a shell runner: none; a grant in a script registering nothing: RF309', () => {
    const docker = `#!/bin/bash\nusermod -aG docker gitlab-runner\n${register('docker', '')}`;
    const shell = `#!/bin/bash\n${register('shell', '')}`;
    expect(rf309({ 'docker-host.sh': docker, 'shell-host.sh': shell })).toEqual([]);
    expect(rf309({ 'docker-host.sh': docker + register('shell', ''), 'shell-host.sh': shell }).map((f) => f.path)).toEqual(['docker-host.sh:2:1']);
    expect(rf309({ 'groups.sh': '#!/bin/bash\nusermod -aG docker gitlab-runner\n', 'shell-host.sh': shell }).map((f) => f.path)).toEqual(['groups.sh:2:1']);
  });

  it('hostile: 200,000 blank lines and a 200,000-character word before the plays: read, same answer', () => {
    const apart = `${play('shell_runners', registerTask('shell'))}${play('docker_runners', GRANT + registerTask('docker'))}`;
    expect(rf309({ 'site.yml': `${'\n'.repeat(200_000)}${apart}` })).toEqual([]);
    expect(rf309({ 'site.yml': `# ${'x'.repeat(200_000)}\n${apart}` })).toEqual([]);
    const together = `${play('runners', registerTask('shell'))}${play('runners', GRANT + registerTask('docker'))}`;
    expect(rf309({ 'site.yml': `${'\n'.repeat(200_000)}${together}` })).toHaveLength(1);
  });
});
