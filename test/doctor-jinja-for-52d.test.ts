import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { jinjaBlocks } from '../src/doctor/jinja-branch.js';

/**
 * A config.toml template whose `[[runners]]` are written by a `{% for %}` loop: the body is read once,
 * what names the loop's variable unknown (left out where the markup alone writes it, read as written
 * where a string only holds it); a finding inside the body is said once, as once per item of the loop,
 * naming its tag (before, it was said as if the body were written once, unconditionally). Fixtures
 * are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const J2 = 'roles/ci/templates/config.toml.j2';
/** The loop tag on line 2; privileged on line 10, the volume on line 11. */
const looped = (privileged: string, volume: string) => `concurrent = 4
{% for item in gitlab_runners %}
[[runners]]
  name = "{{ item.name }}"
  url = "https://gitlab.example.com"
  token = "{{ item.token }}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.19"
    privileged = ${privileged}
    volumes = [${volume}]
{% endfor %}
`;

describe('Jinja: [[runners]] written by a for loop', () => {
  it('a Docker socket mount whatever the item is: RF309 once, said as once per item of the loop, at its tag', () => {
    const r = doctor(files({ [J2]: looped('{{ item.privileged }}', '"/var/run/docker.sock:{{ item.socket_target }}"') }));
    const rf309 = at(r, 'RF309');
    expect(rf309.map((f) => f.path)).toEqual([`${J2}:11:16`]);
    expect(rf309[0]!.message).toContain(`; once for each item of \`gitlab_runners\`: it is written inside Jinja's {% for item in gitlab_runners %} (${J2}:2:1), which renders it once per item; what names \`item\` is not known here`);
    // privileged comes from the item: unknown, so not said.
    expect(at(r, 'RF301')).toEqual([]);
    expect(at(r, 'RF902')).toEqual([]);
  });

  it('privileged = true in the body: RF301, conditional on the loop; the passing twin (false, no socket) says neither', () => {
    const bad = at(doctor(files({ [J2]: looped('true', '"{{ item.cache }}:/cache"') })), 'RF301');
    expect(bad.map((f) => f.path)).toEqual([`${J2}:10:5`]);
    expect(bad[0]!.message).toContain('once for each item of `gitlab_runners`');
    const good = doctor(files({ [J2]: looped('false', '"{{ item.cache }}:/cache"') }));
    expect(at(good, 'RF301')).toEqual([]);
    expect(at(good, 'RF309')).toEqual([]);
  });

  it('an if inside the loop: the finding says both the branch and the loop', () => {
    const text = `{% for r in runners %}\n[[runners]]\n  name = "{{ r.name }}"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n{% if r.trusted %}\n    privileged = true\n{% endif %}\n{% endfor %}\n`;
    const rf301 = at(doctor(files({ [J2]: text })), 'RF301');
    expect(rf301).toHaveLength(1);
    expect(rf301[0]!.message).toContain(`only where \`r.trusted\` is true: it is written inside Jinja's {% if r.trusted %} (${J2}:7:1)`);
    expect(rf301[0]!.message).toContain(`; once for each item of \`runners\`: it is written inside Jinja's {% for r in runners %} (${J2}:1:1)`);
  });

  it('outside the loop a finding is said as before, with no loop clause', () => {
    const text = `[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    privileged = true\n{% for v in extra %}\n    # {{ v }}\n{% endfor %}\n`;
    const rf301 = at(doctor(files({ [J2]: text })), 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([`${J2}:6:5`]);
    expect(rf301[0]!.message).not.toContain('once for each');
  });

  it('Terraform %{ for }: said as once per element', () => {
    const TPL = 'templates/config.toml.tpl';
    const text = `%{ for r in runners ~}\n[[runners]]\n  name = "\${r.name}"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    privileged = true\n%{ endfor ~}\n`;
    const rf301 = at(doctor(files({ [TPL]: text })), 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([`${TPL}:7:5`]);
    expect(rf301[0]!.message).toContain(`; once for each element of \`runners\`: it is written inside the Terraform template directive %{ for r in runners ~} (${TPL}:1:1), which templatefile() renders once per element; what names \`r\` is not known here`);
  });
});

describe('jinjaBlocks', () => {
  it("a for loop's else is a branch of its own, not the else of the if around the loop", () => {
    const text = '{% if a %}x{% for i in xs %}y{% else %}z{% endfor %}w{% else %}v{% endif %}';
    const { branches, loops } = jinjaBlocks(text);
    expect(loops.map((l) => [text.slice(l.from, l.to), l.loop.variables, l.loop.iterable])).toEqual([['y', ['i'], 'xs']]);
    const held = branches.map((b) => [text.slice(b.from, b.to), b.branch.condition]);
    expect(held).toContainEqual(['z', '`xs` has no item']);
    expect(held).toContainEqual(['v', '`a` is false']);
    expect(held).toContainEqual(['x{% for i in xs %}y{% else %}z{% endfor %}w', '`a` is true']);
  });
  it('loop variables of a pair loop and an iterable with a filter condition', () => {
    const [l] = jinjaBlocks('{% for k, v in env.items() if v %}{{ k }}{% endfor %}').loops;
    expect(l!.loop.variables).toEqual(['k', 'v']);
    expect(l!.loop.iterable).toBe('env.items()');
  });
});
