import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';

/**
 * A runner registered by an Ansible task (wqyeo/AWS-Gitlab-Runners-Infrastructure's role
 * configure_gitlab_runner: `ansible.builtin.command: >` with `gitlab-runner register` and its flags on
 * the lines below): the command is read as the module receives it, not as the YAML text is written
 * (the raw text ends the command at the first line break, so no flag was read and the doctor said
 * only "no runner manager", RF910, as if nothing registered). Fixtures are hand-written in the shapes
 * Ansible's command, shell and raw modules take: the free-form value, `cmd:`, `argv:`, a block's tasks.
 * Tokens are fake (`glrt-` + FAKE), as elsewhere in the tests.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string, path = 'roles/runner/tasks/main.yml') => registerCommands(path, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);
const lineCol = (text: string, needle: string, nth = 0): string => {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  const before = text.slice(0, at);
  return `${before.split('\n').length}:${at - before.lastIndexOf('\n')}`;
};

const FOLDED = `- name: Register GitLab runner
  ansible.builtin.command: >
    gitlab-runner register
      --non-interactive
      --url "https://gitlab.example.com/"
      --token "{{ gitlab_runner_auth_token }}"
      --executor "docker"
      --docker-image alpine
      --docker-privileged
  register: gitlab_runner_registration
`;

describe('the register commands of Ansible tasks', () => {
  it("a folded `command:` whose flags are more indented (wqyeo's shape): every flag, `{{ … }}` one value as written", () => {
    expect(flags(FOLDED)).toEqual([['non-interactive', 'url=https://gitlab.example.com/', 'token={{ gitlab_runner_auth_token }}', 'executor=docker', 'docker-image=alpine', 'docker-privileged']]);
    // The same text read as a script (not a task file): the command ends at the line break, no flag.
    expect(flags(FOLDED, 'register.sh')).toEqual([]);
  });

  it('shell with cmd: (a literal block, backslash-continued), argv: words, a block, the short names, an unquoted {{ x }}', () => {
    const text = `---
- hosts: runners
  become: true
  tasks:
    - block:
        - name: shell
          ansible.builtin.shell:
            cmd: |
              gitlab-runner register --non-interactive \\
                --executor docker --docker-volumes /var/run/docker.sock:/var/run/docker.sock
          loop: "{{ runners }}"
    - name: argv
      ansible.builtin.command:
        argv: [gitlab-runner, register, --executor, shell, --description, "two words"]
    - name: short
      shell: gitlab-runner register --executor shell --tag-list {{ item.tags }} --locked=false
    - name: not a register command
      ansible.builtin.debug:
        msg: gitlab-runner register --docker-privileged
`;
    expect(flags(text)).toEqual([
      ['non-interactive', 'executor=docker', 'docker-volumes=/var/run/docker.sock:/var/run/docker.sock'],
      ['executor=shell', 'description=two words'],
      ['executor=shell', 'tag-list={{ item.tags }}', 'locked=false'],
    ]);
  });

  it('a `command` task has no shell: a newline in its literal block is a blank; in `shell` it ends the command', () => {
    const block = (module: string) => `- ${module}: |\n    gitlab-runner register --executor docker\n    --docker-privileged\n`;
    expect(flags(block('command'))).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags(block('shell'))).toEqual([['executor=docker']]);
  });

  it('a YAML comment that names the command is no command; nor is a Kubernetes manifest read as tasks', () => {
    expect(flags('- name: x\n  # runs gitlab-runner register --docker-privileged later\n  ansible.builtin.debug: { msg: hi }\n')).toEqual([]);
    const manifest = 'apiVersion: v1\nkind: Pod\nmetadata: { name: r }\nspec:\n  containers:\n    - name: r\n      image: gitlab/gitlab-runner\n      command: ["sh", "-c", "gitlab-runner register --executor docker --docker-privileged"]\n';
    // Not a task file: read as any other YAML text is, its flow list's items as YAML reads them (task 36c: before, as a
    // script's raw text, which took the closing `"]` into the last flag, `docker-privileged]`).
    expect(flags(manifest, 'pod.yaml')).toEqual([['executor=docker', 'docker-privileged']]);
  });
});

describe('the doctor over a role that registers', () => {
  const path = 'ansible/roles/configure_gitlab_runner/tasks/main.yaml';

  it('wqyeo\'s shape: the command is named in RF910 and its flags are checked where they are written (RF301 at --docker-privileged)', () => {
    const r = doctor(files({ [path]: FOLDED }));
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${path}:${lineCol(FOLDED, '--docker-privileged')}`]);
    expect(codes(r, 'RF910')[0]!.message).toContain(`\`gitlab-runner register\` (${path}:3:5)`);
    expect(codes(r, 'RF910')[0]!.message).toContain('an Ansible task, run on the hosts its inventory picks');
  });

  it('--registration-token "{{ token }}" is RF912 at the flag; a {{ x }} --tag-list beside --token is RF903 (the template fills it in), a literal one RF919', () => {
    const text = `- name: legacy
  command: gitlab-runner register --non-interactive --url https://g.example.com --registration-token "{{ registration_token }}" --executor shell
- name: new
  shell: >
    gitlab-runner register --non-interactive --url https://g.example.com
    --token "{{ runner_token }}" --executor shell --tag-list "{{ runner_tags }}"
- name: literal tags
  shell: gitlab-runner register --non-interactive --url https://g.example.com --token "{{ runner_token }}" --executor shell --tag-list docker
`;
    const r = doctor(files({ [path]: text }));
    expect(codes(r, 'RF912').map((f) => f.path)).toEqual([`${path}:${lineCol(text, '--registration-token')}`]);
    const rf903 = codes(r, 'RF903').filter((f) => f.path.startsWith(path));
    expect(rf903.map((f) => f.path)).toEqual([`${path}:${lineCol(text, '--tag-list')}`]);
    expect(rf903[0]!.message).toContain('fills in for {{ runner_tags }} when it runs');
    expect(codes(r, 'RF919').map((f) => f.path)).toEqual([`${path}:${lineCol(text, '--tag-list', 1)}`]);
  });

  it('a clear token in the vars of a play, a role\'s defaults or group_vars is RF940 there (value not shown); one from a {{ var }} is not', () => {
    const token = 'glrt-FAKEFAKEFAKEFAKEFAKE1';
    const r = doctor(files({
      'site.yml': `- hosts: runners\n  vars:\n    runner_token: "${token}"\n  roles: [runner]\n`,
      'roles/runner/defaults/main.yml': 'registration_token: GR1348941FAKEFAKEFAKEFAKE\n',
      'roles/runner/tasks/main.yml': '- command: gitlab-runner register --non-interactive --url https://g.example.com --token "{{ runner_token }}" --executor shell\n',
    }));
    expect(codes(r, 'RF940').map((f) => f.path).sort()).toEqual(['roles/runner/defaults/main.yml:1:21', 'site.yml:3:19']);
    expect(JSON.stringify(r)).not.toContain(token);
  });
});

describe('tokens an Ansible file gives by name, whatever their shape (task 36c)', () => {
  // Shapeless on purpose: a legacy registration token or a personal access token of an older GitLab has no prefix.
  const SHAPELESS = 'FAKEfake0123456789ab';

  it('a runner token variable (`*_registration_token`, `runner_token`) in group_vars, host_vars or a role\'s defaults: RF940 at it, value not shown', () => {
    const r = doctor(files({
      'group_vars/all.yml': `gitlab_runner_registration_token: ${SHAPELESS}\n`,
      'host_vars/ci1.yml': `runner_token: "${SHAPELESS}"\n`,
      'roles/runner/defaults/main.yml': `gitlab_runner_coordinator_url: https://g.example.com\nrunner_authentication_token: ${SHAPELESS}\n`,
    }));
    expect(codes(r, 'RF940').map((f) => f.path).sort()).toEqual(['group_vars/all.yml:1:35', 'host_vars/ci1.yml:1:15', 'roles/runner/defaults/main.yml:2:30']);
    expect(codes(r, 'RF940')[0]!.message).toContain('a GitLab runner token (');
    expect(JSON.stringify(r)).not.toContain(SHAPELESS);
  });

  it('the passing twins: Jinja, an Ansible Vault value, a placeholder, `token` alone, a name that is no runner token\'s, the same file outside a vars folder', () => {
    const r = doctor(files({
      'group_vars/all.yml': [
        'gitlab_runner_registration_token: "{{ vault_registration_token }}"',
        'runner_token: "prefix-{{ suffix }}"',
        'runners_token: !vault |',
        '  $ANSIBLE_VAULT;1.1;AES256',
        '  62313365396662343061393464336163383764373764613633653634306231386433626436623361',
        'authentication_token: CHANGEME',
        `token: ${SHAPELESS}`,
        `github_token_name: ${SHAPELESS}`,
        '',
      ].join('\n'),
      'notes/all.yml': `gitlab_runner_registration_token: ${SHAPELESS}\n`,
    }));
    expect(codes(r, 'RF940')).toEqual([]);
  });

  it('a community.general.gitlab_runner task (and the short name): a clear api_token or registration_token is RF940 at it; {{ x }} is not', () => {
    const tasks = `- name: Register the runner in GitLab
  community.general.gitlab_runner:
    api_url: https://g.example.com
    api_token: ${SHAPELESS}
    registration_token: "{{ registration_token }}"
    description: docker-runner
    state: present
    run_untagged: false
- name: Register another
  gitlab_runner:
    api_url: https://g.example.com
    api_token: "{{ access_token }}"
    registration_token: ${SHAPELESS}2
    description: shell-runner
`;
    const r = doctor(files({ 'roles/runner/tasks/main.yml': tasks }));
    const found = codes(r, 'RF940').sort((a, b) => a.message.localeCompare(b.message));
    expect(found.map((f) => f.path)).toEqual([`roles/runner/tasks/main.yml:${lineCol(tasks, SHAPELESS)}`, `roles/runner/tasks/main.yml:${lineCol(tasks, SHAPELESS, 1)}`]);
    expect(found[0]!.message).toContain('a GitLab API token (community.general.gitlab_runner.api_token)');
    expect(found[1]!.message).toContain('a GitLab runner token (gitlab_runner.registration_token)');
    expect(JSON.stringify(r)).not.toContain(SHAPELESS);
    const jinja = tasks.split(/FAKEfake0123456789ab2?/).join('{{ from_vault }}');
    expect(codes(doctor(files({ 'roles/runner/tasks/main.yml': jinja })), 'RF940')).toEqual([]);
  });

  it('RF910 names the gitlab_runner tasks (they create the runner in GitLab, no config.toml); a file without one says nothing of it', () => {
    const tasks = `- name: Register the runner in GitLab
  community.general.gitlab_runner:
    api_url: https://g.example.com
    api_token: "{{ access_token }}"
    description: docker-runner
    state: present
`;
    const rf910 = codes(doctor(files({ 'roles/runner/tasks/main.yml': tasks })), 'RF910');
    expect(rf910).toHaveLength(1);
    expect(rf910[0]!.message).toContain(`an Ansible gitlab_runner task (roles/runner/tasks/main.yml:${lineCol(tasks, 'community.general.gitlab_runner')} (docker-runner)) registers a runner through GitLab's API (community.general.gitlab_runner): it creates the runner in GitLab and writes no config.toml`);
    const other = codes(doctor(files({ 'roles/runner/tasks/main.yml': '- name: install\n  ansible.builtin.package:\n    name: gitlab-runner\n' })), 'RF910');
    expect(other[0]!.message).not.toContain('gitlab_runner task');
  });
});

describe('a register command built with set_fact and run by a later task (riemers/ansible-gitlab-runner\'s shape, task 36c)', () => {
  const built = (run: string, fact = `    register_cmd: >-
      gitlab-runner register
      --non-interactive
      --url https://g.example.com
      --executor docker
      --docker-privileged
`) => `- name: Construct the register command
  ansible.builtin.set_fact:
${fact}    image_flags: ["--docker-image", "alpine:3.20"]
- name: Register the runner
  ansible.builtin.command: "${run}"
`;

  it('a plain string fact, a joined list fact and literals put together with ~: every flag read, each at the fact where it is written', () => {
    const text = built("{{ register_cmd ~ ' --tag-list ci ' ~ image_flags | join(' ') }} --token {{ runner_token }}");
    expect(flags(text)).toEqual([['non-interactive', 'url=https://g.example.com', 'executor=docker', 'docker-privileged', 'tag-list=ci', 'docker-image=alpine:3.20', 'token={{ runner_token }}']]);
    const r = doctor(files({ 'roles/runner/tasks/main.yml': text }));
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`roles/runner/tasks/main.yml:${lineCol(text, '--docker-privileged')}`]);
  });

  it('the passing twins: a fact built with a Jinja statement ({% if %}), a filter, or a variable no set_fact sets stays a value known only when the task runs', () => {
    const statement = `    register_cmd: >-
      gitlab-runner register
      {% if privileged %}--docker-privileged{% endif %}
`;
    expect(flags(built('{{ register_cmd }} --executor docker', statement))).toEqual([]);
    expect(flags(built("{{ register_cmd | default('') }}"))).toEqual([]);
    expect(flags(built('{{ other_cmd }}'))).toEqual([]);
    const set = built('gitlab-runner register --executor docker {{ image_flags }}');
    expect(flags(set)).toEqual([['executor=docker']]);
  });
});

describe('RF940 in an Ansible file: its fix says the Ansible way (Ansible Vault, an env lookup), then revoke', () => {
  const SHAPELESS = 'FAKEfake0123456789ab';
  const TOKEN = 'glrt-FAKEFAKEFAKEFAKEFAKE1';
  const fixAt = (m: Record<string, string>, path: string) => codes(doctor(files(m)), 'RF940').find((f) => f.path.startsWith(`${path}:`))?.fix ?? '';

  it('a token variable in group_vars: encrypt_string with its name, or a lookup of the environment; then rotate it', () => {
    const fix = fixAt({ 'group_vars/all.yml': `gitlab_runner_registration_token: ${SHAPELESS}\n` }, 'group_vars/all.yml');
    expect(fix).toMatch(/^keep the token out of the file in clear: .*; then rotate it: .* revoke it and use a new one$/);
    expect(fix).toContain('`ansible-vault encrypt_string --name gitlab_runner_registration_token`');
    expect(fix).toContain('`ansible-vault encrypt`');
    expect(fix).toContain("lookup('ansible.builtin.env', 'GITLAB_RUNNER_REGISTRATION_TOKEN')");
    expect(fix).not.toContain('SecureString');
  });

  it('a gitlab_runner task\'s api_token, and a token-shaped value in a play\'s vars: the same Ansible fix, by the parameter\'s or variable\'s name', () => {
    const tasks = `- name: Register the runner in GitLab\n  community.general.gitlab_runner:\n    api_url: https://g.example.com\n    api_token: ${SHAPELESS}\n    description: docker-runner\n`;
    expect(fixAt({ 'roles/runner/tasks/main.yml': tasks }, 'roles/runner/tasks/main.yml')).toContain('`ansible-vault encrypt_string --name api_token`');
    const play = `- hosts: runners\n  vars:\n    ci_token: "${TOKEN}"\n  tasks: []\n`;
    expect(fixAt({ 'site.yml': play }, 'site.yml')).toContain('`ansible-vault encrypt_string --name ci_token`');
  });

  it('a token inside a task\'s command: a variable of the play takes its place ("{{ runner_token }}" from Ansible Vault or the environment), not the module\'s name', () => {
    const tasks = `- name: Register\n  ansible.builtin.command: gitlab-runner register --non-interactive --url https://g.example.com --token ${TOKEN} --executor shell\n`;
    const fix = fixAt({ 'roles/runner/tasks/main.yml': tasks }, 'roles/runner/tasks/main.yml');
    expect(fix).toContain('write "{{ runner_token }}" in its place and give runner_token from Ansible Vault (`ansible-vault encrypt_string --name runner_token`');
    expect(fix).toContain("lookup('ansible.builtin.env', 'RUNNER_TOKEN')");
    expect(fix).not.toContain('--name command');
  });

  it('the passing twins: the same token in a YAML file that is no Ansible file keeps the Secret / SecureString fix; a cloud key in group_vars keeps the keyless-identity fix', () => {
    const other = fixAt({ 'notes/all.yml': `ci_token: "${TOKEN}"\n` }, 'notes/all.yml');
    expect(other).toContain('keep runner tokens in a Secret or a SecureString parameter');
    expect(other).not.toContain('ansible-vault');
    const cloud = fixAt({ 'group_vars/all.yml': 'aws_access_key_id: AKIAQ7W3E9R2T5Y8U1I4\n' }, 'group_vars/all.yml');
    expect(cloud).toContain('keyless identity');
    expect(cloud).not.toContain('ansible-vault');
  });
});
