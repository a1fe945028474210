import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { jinjaBranchAt, jinjaBranches } from '../src/doctor/jinja-branch.js';

/**
 * A register flag inside a Jinja `{% if %}` of an Ansible task's command (public
 * robertdebock/ansible-role-gitlab_runner's shape: `{% if privileged %}` around --docker-privileged
 * and the Docker socket): Ansible renders the branch only where its condition holds, so the finding
 * says that condition and where the `{% if %}` is written, not "every job runs privileged" alone.
 * Fixtures are hand-written; tokens are fake.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const PATH = 'roles/runner/tasks/main.yml';
const run = (text: string) => doctor([{ path: PATH, bytes: enc(text) } satisfies InputFile]).findings;

const task = (privileged: string) => `- name: Register the runner
  ansible.builtin.command:
    cmd: >
      gitlab-runner register --non-interactive
      --url https://gitlab.example.com
      --token "{{ runner_token }}"
      --executor docker
      --docker-image alpine:3
${privileged}
`;

describe('a register flag inside a Jinja {% if %} branch', () => {
  it('{% if x %}: RF301 and RF309 say they hold only where x is true, with the {% if %} at its file:line:column', () => {
    const fs = run(task('      {% if runner_privileged %}\n      --docker-privileged\n      --docker-volumes /var/run/docker.sock:/var/run/docker.sock\n      {% endif %}'));
    const rf301 = fs.find((f) => f.code === 'RF301')!;
    expect(rf301.path).toBe(`${PATH}:10:7`);
    expect(rf301.message).toContain(`; only where \`runner_privileged\` is true: it is written inside Jinja's {% if runner_privileged %} (${PATH}:9:7), which renders it only then`);
    const rf309 = fs.find((f) => f.code === 'RF309')!;
    expect(rf309.message).toContain('only where `runner_privileged` is true');
    expect(rf301.severity).toBe('error');
  });

  it('{% else %} and {% elif %}: the conditions before the branch are false', () => {
    const elseBranch = run(task('      {% if rootless %}\n      --docker-volumes /cache\n      {% else %}\n      --docker-privileged\n      {% endif %}')).find((f) => f.code === 'RF301')!;
    expect(elseBranch.message).toContain("only where `rootless` is false: it is written inside Jinja's {% else %}");
    const elif = run(task('      {%- if mode == "a" %}\n      --docker-volumes /cache\n      {% elif mode == "b" -%}\n      --docker-privileged\n      {% endif %}')).find((f) => f.code === 'RF301')!;
    expect(elif.message).toContain('only where `mode == "a"` is false and `mode == "b"` is true');
  });

  it('a --registration-token inside the branch: RF912 is conditional too', () => {
    const text = task('      {% if legacy %}\n      --registration-token "{{ reg_token }}"\n      {% endif %}');
    expect(run(text).find((f) => f.code === 'RF912')!.message).toContain('only where `legacy` is true');
  });

  it('the passing twins: a flag after {% endif %}, or in a task with no Jinja statement, is said as before, with no condition', () => {
    const after = run(task('      {% if tags %}\n      --tag-list "{{ tags }}"\n      {% endif %}\n      --docker-privileged')).find((f) => f.code === 'RF301')!;
    expect(after.message).not.toContain('only where');
    expect(after.path).toBe(`${PATH}:12:7`);
    const plain = run(task('      --docker-privileged')).find((f) => f.code === 'RF301')!;
    expect(plain.message).not.toContain('Jinja');
  });

  it('jinjaBranches: nested blocks, the innermost wins; a branch not closed holds to the end', () => {
    const text = '{% if a %}x{% if b %}y{% endif %}z{% endif %}w{% if c %}v';
    const b = jinjaBranches(text);
    expect(jinjaBranchAt(b, text.indexOf('x'))!.condition).toBe('`a` is true');
    expect(jinjaBranchAt(b, text.indexOf('y'))!.condition).toBe('`b` is true');
    expect(jinjaBranchAt(b, text.indexOf('z'))!.condition).toBe('`a` is true');
    expect(jinjaBranchAt(b, text.indexOf('w'))).toBeUndefined();
    expect(jinjaBranchAt(b, text.indexOf('v'))!.tag).toBe('{% if c %}');
    expect(jinjaBranches('no statements {{ x }}')).toEqual([]);
  });
});
