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

  // Issue 53d: inside nested {% if %}s a finding named only the innermost condition, as if the outer
  // one did not hold it back; now it names the chain, innermost tag first, each at its place.
  it('nested {% if %}s: the finding names every condition of the chain and each tag (before: the innermost only)', () => {
    const rf301 = run(task('      {% if docker_runner %}\n      {% if runner_privileged %}\n      --docker-privileged\n      {% endif %}\n      {% endif %}')).find((f) => f.code === 'RF301')!;
    expect(rf301.message).toContain(`; only where \`docker_runner\` is true and \`runner_privileged\` is true: it is written inside Jinja's {% if runner_privileged %} (${PATH}:10:7), itself inside {% if docker_runner %} (${PATH}:9:7), which renders it only then`);
  });

  it("nested in an {% else %}: the outer branch's condition first, then the else's", () => {
    const rf301 = run(task('      {% if docker_runner %}\n      {% if rootless %}\n      --docker-volumes /cache\n      {% else %}\n      --docker-privileged\n      {% endif %}\n      {% endif %}')).find((f) => f.code === 'RF301')!;
    expect(rf301.message).toContain('only where `docker_runner` is true and `rootless` is false: it is written inside Jinja\'s {% else %}');
  });

  it('the passing twin: a flag after the inner {% endif %} names the outer condition only', () => {
    const rf301 = run(task('      {% if docker_runner %}\n      {% if tags %}\n      --tag-list "{{ tags }}"\n      {% endif %}\n      --docker-privileged\n      {% endif %}')).find((f) => f.code === 'RF301')!;
    expect(rf301.message).toContain(`; only where \`docker_runner\` is true: it is written inside Jinja's {% if docker_runner %} (${PATH}:9:7), which renders it only then`);
    expect(rf301.message).not.toContain('tags');
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

/** Issue 53d: the same chain for a role's config.toml template (jinja-toml.ts) and a Terraform template. */
describe('a config.toml template key inside nested branches', () => {
  const J2 = 'roles/ci/templates/config.toml.j2';
  const TPL = 'templates/config.toml.tpl';
  const toml = (open: [string, string], close: string) => `[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n${open[0]}\n${open[1]}\n    privileged = true\n${close}\n${close}\n`;
  const rf301 = (path: string, text: string) => doctor([{ path, bytes: new TextEncoder().encode(text) }]).findings.find((f) => f.code === 'RF301')!;

  it("Jinja: both conditions, the inner {% if %} first (before: only `dind` named)", () => {
    const f = rf301(J2, toml(['{% if docker %}', '{% if dind %}'], '{% endif %}'));
    expect(f.path).toBe(`${J2}:8:5`);
    expect(f.message).toContain(`; only where \`docker\` is true and \`dind\` is true: it is written inside Jinja's {% if dind %} (${J2}:7:1), itself inside {% if docker %} (${J2}:6:1), which renders it only then`);
  });

  it('Terraform: %{ if } inside %{ if } names both as well', () => {
    const f = rf301(TPL, toml(['%{ if docker }', '%{ if dind }'], '%{ endif }'));
    expect(f.message).toContain(`; only where \`docker\` is true and \`dind\` is true: it is written inside the Terraform template directive %{ if dind } (${TPL}:7:1), itself inside %{ if docker } (${TPL}:6:1), which templatefile() renders only then`);
  });
});
