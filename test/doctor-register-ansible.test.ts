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
    // Not a task file: read as written, as any other text is.
    expect(flags(manifest, 'pod.yaml')).toHaveLength(1);
    expect(flags(manifest, 'pod.yaml')).toEqual(flags(manifest, 'pod.sh'));
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
