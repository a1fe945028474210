import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { freeFormArgs } from '../src/doctor/ansible.js';
import { registerCommands } from '../src/doctor/register-command.js';

/**
 * Stop 54 (54d item 2): Ansible's one-line `key=value` form, read by the one parser ansible.ts has
 * (freeFormPairs): set_fact's facts in that form reach the register reader as its mapping form does,
 * and the command/shell modules' own options written among the command's words (`creates=…`,
 * `chdir=…`) are taken out of the command, as Ansible takes them. Fixtures are our own.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);
const PATH = 'roles/runner/tasks/main.yml';
const flags = (text: string) => registerCommands(PATH, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const lineCol = (text: string, needle: string): string => {
  const at = text.indexOf(needle);
  const before = text.slice(0, at);
  return `${before.split('\n').length}:${at - before.lastIndexOf('\n')}`;
};

describe("set_fact's one-line form", () => {
  const oneLine = (module: string) => `- name: runner flags
  ${module}: extra="--docker-privileged --docker-pull-policy always" cacheable=yes
- name: register
  command: gitlab-runner register --non-interactive --url https://gitlab.example.test --executor docker {{ extra }}
`;

  it('its facts fill a later command: RF301 where --docker-privileged is written, in the set_fact line (short and ansible.builtin. names)', () => {
    for (const module of ['set_fact', 'ansible.builtin.set_fact']) {
      const text = oneLine(module);
      expect(flags(text)).toEqual([['non-interactive', 'url=https://gitlab.example.test', 'executor=docker', 'docker-privileged', 'docker-pull-policy=always']]);
      expect(codes(run({ [PATH]: text }), 'RF301').map((f) => f.path)).toEqual([`${PATH}:${lineCol(text, '--docker-privileged')}`]);
    }
  });

  it('the passing twins: a fact set twice to different values, or built with a Jinja statement, stays a value known when the play runs', () => {
    const twice = `- set_fact: extra=--docker-privileged\n- set_fact: extra=--docker-tmpfs=/tmp:rw\n- command: gitlab-runner register --executor docker {{ extra }}\n`;
    expect(flags(twice)).toEqual([['executor=docker']]);
    const statement = `- set_fact: extra="{% if p %}--docker-privileged{% endif %}"\n- command: gitlab-runner register --executor docker {{ extra }}\n`;
    expect(flags(statement)).toEqual([['executor=docker']]);
  });
});

describe("the command and shell modules' free form", () => {
  it('their own options among the words (creates=, chdir=, removes=) are no part of the command: the flags after them are read', () => {
    const text = `- command: gitlab-runner register --executor docker creates=/etc/gitlab-runner/config.toml --docker-privileged
- shell: chdir=/opt gitlab-runner register --executor shell --locked=false
- ansible.builtin.shell: >
    gitlab-runner register
    removes=/tmp/unregistered
    --executor docker --docker-privileged
  args:
    executable: /bin/bash
`;
    expect(flags(text)).toEqual([['executor=docker', 'docker-privileged'], ['executor=shell', 'locked=false'], ['executor=docker', 'docker-privileged']]);
  });

  it('an option right after a boolean flag: not the word gitlab-runner stops at (no RF927), the flags after it read (RF301)', () => {
    const text = '- command: gitlab-runner register --non-interactive creates=/etc/gitlab-runner/config.toml --url https://gitlab.example.test --executor docker --docker-privileged\n';
    const r = run({ [PATH]: text });
    expect(codes(r, 'RF927')).toEqual([]);
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:${lineCol(text, '--docker-privileged')}`]);
    // A word that is no option of the module stays the command's: there gitlab-runner does stop.
    expect(codes(run({ [PATH]: text.replace('creates=', 'target=') }), 'RF927').length).toBe(1);
  });

  it('another word with = (an environment assignment, --url=) stays in the command; `cmd:` under args and a literal block read as before', () => {
    const text = `- shell: RUNNER_DEBUG=1 gitlab-runner register --url=https://gitlab.example.test --executor shell
- command:
  args:
    cmd: >
      gitlab-runner register
      --executor docker --docker-privileged
    chdir: /opt
- shell: |
    gitlab-runner register --executor docker \\
      --docker-privileged
`;
    expect(flags(text)).toEqual([['url=https://gitlab.example.test', 'executor=shell'], ['executor=docker', 'docker-privileged'], ['executor=docker', 'docker-privileged']]);
  });
});

describe('the one key=value parser', () => {
  it('a name starts its word (`--url=x` is no pair); a Jinja value keeps its blanks; quotes are dropped', () => {
    expect([...freeFormArgs('src=a.j2 --url=https://x dest="/etc/gitlab-runner/config.toml" v={{ a | default("b c") }} w=\'one two\'')]).toEqual([
      ['src', 'a.j2'],
      ['dest', '/etc/gitlab-runner/config.toml'],
      ['v', '{{ a | default("b c") }}'],
      ['w', 'one two'],
    ]);
  });
});
