import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';
import { jinjaTomlText } from '../src/doctor/jinja-toml.js';

/**
 * A config.toml an Ansible role writes from a Jinja template (`templates/config.toml.j2`, the source of
 * its `template:` task). Before, it was not read: RF902 (named on the command line, "not a YAML, JSON,
 * TOML or Terraform file"; in a folder, one of the files "of a kind the doctor does not read"). Now what
 * is written outside the markup is read as a config.toml given alone; a `{{ … }}` value stays unknown
 * (no finding), and a finding inside an `{% if %}` branch names the condition and the tag. Fixtures are
 * hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const PATH = 'roles/runner/templates/config.toml.j2';
/** Line 12: privileged; line 14: the socket volume inside the if (its tag on line 13); line 16: the else's volumes. */
const template = (privileged: string) => `concurrent = {{ gitlab_runner_concurrent }}
check_interval = 0
{# one entry per runner of the inventory #}
{% for runner in gitlab_runners %}
[[runners]]
  name = "{{ runner.name }}"
  url = {{ gitlab_url | tojson }}
  token = "{{ runner.token }}"
  executor = "docker"
  [runners.docker]
    image = 'alpine:3'
    privileged = ${privileged}
{% if runner_mount_docker_socket %}
    volumes = ["/var/run/docker.sock:/var/run/docker.sock", "/cache"]
{% else %}
    volumes = ["/cache"]
{% endif %}
{{ runner.extra_tables | to_toml }}
{% endfor %}
`;

describe('a config.toml written as a Jinja template', () => {
  it('privileged = true outside any if: RF301 at its line, unconditional; the socket inside {% if %}: RF309 said as conditional', () => {
    const r = doctor(files({ [PATH]: template('true') }));
    expect(at(r, 'RF902')).toEqual([]);
    expect(at(r, 'RF301').map((f) => f.path)).toEqual([`${PATH}:12:5`]);
    expect(at(r, 'RF301')[0]!.message).not.toContain('only where');
    const rf309 = at(r, 'RF309');
    expect(rf309.map((f) => f.path)).toEqual([`${PATH}:14:16`]);
    expect(rf309[0]!.message).toContain(`; only where \`runner_mount_docker_socket\` is true: it is written inside Jinja's {% if runner_mount_docker_socket %} (${PATH}:13:1), which renders it only then`);
    expect(at(r, 'RF910')[0]!.message).toContain(`the settings of ${PATH} were checked on their own`);
  });

  it('the passing twins: privileged = {{ var }} is unknown, not a finding; privileged = false says nothing', () => {
    for (const value of ['{{ runner.privileged | default(false) | lower }}', 'false']) {
      const r = doctor(files({ [PATH]: template(value) }));
      expect(at(r, 'RF301')).toEqual([]);
      expect(at(r, 'RF902')).toEqual([]);
    }
  });

  it('a template that is TOML in neither reading stays RF902 (not read), at the line the parser stopped on', () => {
    const r = doctor(files({ [PATH]: '[[runners]]\n  name = {{ a }} {{ b }}\n' }));
    expect(at(r, 'RF902').map((f) => f.path)).toEqual([`${PATH}:2:18`]);
    expect(at(r, 'RF902')[0]!.message).toContain('is a template of another tool, not TOML as written: {{ a }}');
    expect(at(r, 'RF301')).toEqual([]);
  });

  it('the markup made TOML of the same length, line for line', () => {
    const text = template('true');
    const toml = jinjaTomlText(text);
    expect(toml.length).toBe(text.length);
    expect(toml.split('\n').map((l) => l.length)).toEqual(text.split('\n').map((l) => l.length));
    expect(toml).toContain(`url = '{ gitlab_url | tojson }'`);
    expect(toml).toContain('name = "{{ runner.name }}"');
    expect(toml).not.toMatch(/\{%|\{#|to_toml/);
  });

  it('a folder walk reads config.toml.j2 (it was one of the files not read); other .j2 files stay unread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-49d-'));
    try {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'templates', 'config.toml.j2'), template('true'));
      writeFileSync(join(dir, 'templates', 'motd.j2'), 'Welcome to {{ inventory_hostname }}\n');
      const { files: walked } = await walkFiles([dir], 1 << 20);
      expect(walked.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1))).toEqual(['templates/config.toml.j2']);
      expect(walked.filter((f) => f.notRead === true).map((f) => f.path.slice(dir.length + 1))).toEqual(['templates/motd.j2']);
      expect(at(doctor(walked), 'RF301').map((f) => f.path)).toEqual([`${dir}/templates/config.toml.j2:12:5`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('values only the markup gives are unknown, never a finding', () => {
  const entry = (docker: string) => `[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  token = "{{ t }}"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3"\n${docker}\n`;
  it('devices = {{ x | tojson }}, devices = ["{{ d }}"], a services_devices table of {{ key }} = {{ value }}: nothing', () => {
    for (const docker of ['    devices = {{ gitlab_runner.docker_devices | default([]) | tojson }}', '    devices = ["{{ device }}"]', '  [runners.docker.services_devices]\n    "{{ key }}" = {{ value | tojson }}']) {
      expect(doctor(files({ [PATH]: entry(docker) })).findings.filter((f) => f.code === 'RF309' || f.code === 'RF301')).toEqual([]);
    }
  });
  it('the failing twins: a device written, and the socket filled in only in part, are RF309 at their places', () => {
    const r = doctor(files({ [PATH]: entry('    devices = ["{{ device }}", "/dev/kvm"]\n    volumes = ["/var/run/docker.sock:{{ socket_in_job }}"]') }));
    expect(at(r, 'RF309').map((f) => f.path)).toEqual([`${PATH}:8:32`, `${PATH}:9:16`]);
  });
});

describe('an array element that is no string keeps the places of the others (docker-escape.ts)', () => {
  it('devices = [0, "/dev/kvm"] in a plain config.toml: RF309 at "/dev/kvm" itself, not at the first element', () => {
    const text = `[[runners]]\n  name = "a"\n  url = "https://gitlab.example.com"\n  token = "x"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3"\n    devices = [0, "/dev/kvm"]\n`;
    expect(at(doctor(files({ 'c/config.toml': text })), 'RF309').map((f) => f.path)).toEqual(['c/config.toml:8:19']);
  });
});
