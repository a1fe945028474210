import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * A config.toml template whose if and else branches set the same key (TOML refuses the two together,
 * so the template was read with its if branches only and what the else sets was dropped). Now each
 * branch is read in a reading of its own and a finding in either is said as conditional, naming its
 * own tag; what is outside the branches is said once. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const J2 = 'roles/ci/templates/config.toml.j2';
/** Line 8: privileged; line 10 the if's device (tag line 9), line 12 the else's (tag line 11). */
const jinja = (elseDevice: string) => `concurrent = 2
[[runners]]
  name = "builds"
  url = "https://gitlab.example.com"
  token = "{{ runner_token }}"
  executor = "docker"
  [runners.docker]
    privileged = true
{% if use_gpu %}
    devices = ["/dev/nvidia0"]
{% else %}
    devices = [${elseDevice}]
{% endif %}
`;

describe('Jinja: an else branch setting the key its if sets', () => {
  it('the else device is RF309 at its line, said as conditional on the if being false; the if device as before; privileged once', () => {
    const r = doctor(files({ [J2]: jinja('"/dev/kvm"') }));
    expect(at(r, 'RF902')).toEqual([]);
    expect(at(r, 'RF301').map((f) => f.path)).toEqual([`${J2}:8:5`]);
    const rf309 = at(r, 'RF309');
    expect(rf309.map((f) => f.path)).toEqual([`${J2}:10:16`, `${J2}:12:16`]);
    expect(rf309[0]!.message).toContain(`; only where \`use_gpu\` is true: it is written inside Jinja's {% if use_gpu %} (${J2}:9:1)`);
    expect(rf309[1]!.message).toContain(`; only where \`use_gpu\` is false: it is written inside Jinja's {% else %} (${J2}:11:1), which renders it only then`);
    expect(at(r, 'RF910')).toHaveLength(1);
  });

  it('the passing twin: an else with no device says nothing of its own', () => {
    const r = doctor(files({ [J2]: jinja('') }));
    expect(at(r, 'RF309').map((f) => f.path)).toEqual([`${J2}:10:16`]);
    expect(at(r, 'RF301')).toHaveLength(1);
  });

  it('an elif and an else: each branch in its reading, each said with its own condition', () => {
    const text = `[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n{% if mode == "gpu" %}\n    devices = ["/dev/nvidia0"]\n{% elif mode == "kvm" %}\n    devices = ["/dev/kvm"]\n{% else %}\n    devices = ["/dev/fuse"]\n{% endif %}\n`;
    const rf309 = at(doctor(files({ [J2]: text })), 'RF309');
    const byPath = new Map(rf309.map((f) => [f.path, f.message]));
    expect([...byPath.keys()].sort()).toEqual([`${J2}:11:16`, `${J2}:7:16`, `${J2}:9:16`]);
    expect(byPath.get(`${J2}:9:16`)).toContain('only where `mode == "gpu"` is false and `mode == "kvm"` is true');
    expect(byPath.get(`${J2}:11:16`)).toContain('only where `mode == "gpu"` and `mode == "kvm"` are false');
  });
});

describe('Terraform template: %{ else } setting the key its %{ if } sets', () => {
  const TPL = 'templates/config.toml.tpl';
  const tpl = (elseValue: string) => `[[runners]]\n  name = "\${name}"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n%{ if trusted }\n    privileged = true\n%{ else }\n    privileged = ${elseValue}\n%{ endif }\n`;
  it('privileged = true in the else too: RF301 at both lines, each conditional', () => {
    const rf301 = at(doctor(files({ [TPL]: tpl('true') })), 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([`${TPL}:7:5`, `${TPL}:9:5`]);
    expect(rf301[1]!.message).toContain('only where `trusted` is false: it is written inside the Terraform template directive %{ else }');
  });
  it('the passing twin: privileged = false in the else, RF301 at the if only', () => {
    expect(at(doctor(files({ [TPL]: tpl('false') })), 'RF301').map((f) => f.path)).toEqual([`${TPL}:7:5`]);
  });
});
