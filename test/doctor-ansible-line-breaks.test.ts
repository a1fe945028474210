import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';

/**
 * A `\` at the end of a line of an Ansible task's command (public Ansible roles write `gitlab-runner
 * register \` and a flag a line): it continues the line only where the shell reads the line break
 * right after it, a literal block `|` of ansible.builtin.shell. A YAML folded block `>` whose lines
 * are equally indented turns each line break into a blank before the shell reads the text, and
 * ansible.builtin.command runs no shell (its words are split as Python's shlex does): there `\` is
 * followed by a blank (or the line break itself), which it escapes, so the blank and the next flag
 * are one word that is no flag. RF927 used to name the word `\` alone; it names the word as the
 * command gets it, and the fix says where the line breaks are read. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (text: string) => doctor([{ path: 'roles/runner/tasks/main.yml', bytes: enc(text) } satisfies InputFile]);
const rf927 = (text: string) => run(text).findings.filter((f) => f.code === 'RF927');
const flags = (text: string) => registerCommands('roles/runner/tasks/main.yml', text).map((c) => c.flags.map((f) => f.name));

const task = (module: string, block: '>' | '|') => `- name: Register the runner
  ${module}:
    cmd: ${block}
      gitlab-runner register --non-interactive \\
      --url https://gitlab.example.com \\
      --token "{{ runner_token }}" \\
      --executor docker \\
      --docker-image alpine:3
`;

describe('a backslash at a line end of an Ansible task\'s register command', () => {
  it('shell, folded block `>`: the shell gets `\\ --url`, one word that stops the flags; RF927 names it, the flags after it, and the fix', () => {
    const text = task('ansible.builtin.shell', '>');
    expect(flags(text)).toEqual([['non-interactive']]);
    const [f, ...more] = rf927(text);
    expect(more).toEqual([]);
    expect(f!.path).toBe(`roles/runner/tasks/main.yml:4:48`);
    expect(f!.received).toBe('\\ --url');
    expect(f!.message).toContain('stops reading its flags at `\\ --url` (`\\` before a blank escapes the blank');
    expect(f!.message).toContain('--url, --token, --executor, --docker-image after it are not set');
    expect(f!.fix).toContain('remove the `\\` at the line ends');
    expect(f!.fix).toContain('literal block `|` of ansible.builtin.shell');
  });

  it('command, literal block `|`: no shell, `\\` and the line break make one word; RF927 with the same fix', () => {
    const text = task('ansible.builtin.command', '|');
    expect(flags(text)).toEqual([['non-interactive']]);
    const [f] = rf927(text);
    expect(f!.path).toBe(`roles/runner/tasks/main.yml:4:48`);
    expect(f!.message).toContain('ansible.builtin.command, which runs no shell');
    expect(f!.message).toContain('--url, --token, --executor, --docker-image after it are not set');
    expect(f!.fix).toContain('remove the `\\` at the line ends');
  });

  it('the passing twins: shell with a literal block `|`, and a folded block whose flags are more indented (their line breaks kept), read every flag and say no RF927', () => {
    const literal = task('ansible.builtin.shell', '|');
    expect(flags(literal)).toEqual([['non-interactive', 'url', 'token', 'executor', 'docker-image']]);
    expect(rf927(literal)).toEqual([]);
    const indented = `- name: Register the runner\n  ansible.builtin.shell: >\n    gitlab-runner register --non-interactive \\\n      --url https://gitlab.example.com \\\n      --executor docker\n`;
    expect(flags(indented)).toEqual([['non-interactive', 'url', 'executor']]);
    expect(rf927(indented)).toEqual([]);
  });

  it('a stray word after a boolean flag still names that word and its own fix (`remove \\`foo\\``)', () => {
    const [f] = rf927('- ansible.builtin.shell: gitlab-runner register --non-interactive foo --url https://g.example.com --executor shell\n');
    expect(f!.received).toBe('foo');
    expect(f!.fix).toBe('remove `foo`, or write --non-interactive=value');
  });
});
