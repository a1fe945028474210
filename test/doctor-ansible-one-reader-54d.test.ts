import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * Stop 54 (54d): the Ansible readers walk the documents read.ts parsed (yaml-documents.ts), so a
 * task file read.ts reads after repairing its quoting (quoted-indent.ts: a quoted scalar continued
 * at column 0, as PyYAML takes it) has its tasks read too. Fixtures are our own, tokens none.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);
const lineCol = (text: string, needle: string): string => {
  const at = text.indexOf(needle);
  const before = text.slice(0, at);
  return `${before.split('\n').length}:${at - before.lastIndexOf('\n')}`;
};
const PATH = 'roles/runner/tasks/main.yml';

/** A repository line whose quoted value goes on at column 0 (`continued`), then a task that registers with --docker-privileged. */
const tasks = (continued: boolean) => [
  '- name: add the runner repository',
  '  apt_repository:',
  '    repo: "deb https://packages.example.test/runner/\\',
  `${continued ? '' : '      '}{{ ansible_distribution_release }} main"`,
  '    state: present',
  '- name: register the runner',
  '  command: >',
  '    gitlab-runner register --non-interactive',
  '    --url https://gitlab.example.test',
  '    --token "{{ runner_token }}"',
  '    --executor docker',
  '    --docker-privileged',
  '',
].join('\n');

describe('a task file read after its quoting is repaired (54d item 1)', () => {
  it('its register task is read: RF301 at --docker-privileged, where it is written, and RF910 names the command', () => {
    const text = tasks(true);
    const r = run({ [PATH]: text });
    expect(codes(r, 'RF901')).toEqual([]);
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:${lineCol(text, '--docker-privileged')}`]);
    expect(codes(r, 'RF910')[0]?.message).toContain(`\`gitlab-runner register\` (${PATH}:8:5)`);
  });

  it('the same file with its quoted line indented: read the same way (as before)', () => {
    const text = tasks(false);
    const r = run({ [PATH]: text });
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:${lineCol(text, '--docker-privileged')}`]);
  });

  it('a flag on a repaired line (a quoted shell command continued at column 0) is placed where the user wrote it', () => {
    const text = ['- name: register', '  shell: "gitlab-runner register --executor docker \\', '--docker-privileged"', ''].join('\n');
    const r = run({ [PATH]: text });
    expect(codes(r, 'RF901')).toEqual([]);
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:3:1`]);
  });

  it('a task file that is no YAML even repaired: RF901, and its commands are read as the text is written', () => {
    const text = ['- name: broken', '  shell: gitlab-runner register --executor docker --docker-privileged', '  args: [unclosed', ''].join('\n');
    const r = run({ [PATH]: text });
    expect(codes(r, 'RF901').length).toBe(1);
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:${lineCol(text, '--docker-privileged')}`]);
  });
});
