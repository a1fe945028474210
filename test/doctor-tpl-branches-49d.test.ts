import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * A Terraform template file (`.tpl`, `.tftpl`) that no Terraform given reads through templatefile(),
 * writing a config.toml whole or in a setup script's heredoc, with `%{ if … ~}` … `%{ endif ~}`
 * directives: before, the directive lines made it no TOML and nothing of it was read (RF910 only).
 * Now both branches are read, a finding inside one said as conditional (the condition and the
 * directive's place), and a value only `${…}` gives is unknown, not a finding. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const TOML = 'templates/config.toml.tpl';
/** privileged on line 10; the socket volume on line 12 inside `%{ if mount_socket ~}` (line 11). */
const config = (privileged: string) => `concurrent = \${concurrent}

[[runners]]
  name = "\${runner_name}"
  url = "https://gitlab.example.com"
  token = "\${runner_token}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
    privileged = ${privileged}
%{ if mount_socket ~}
    volumes = ["/var/run/docker.sock:/var/run/docker.sock", "/cache"]
%{ else ~}
    volumes = ["/cache"]
%{ endif ~}
`;

describe('a loose Terraform template of a config.toml with %{ if } directives', () => {
  it('the socket inside %{ if mount_socket ~}: RF309 said as conditional; privileged = true outside: RF301, unconditional', () => {
    const r = doctor(files({ [TOML]: config('true') }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual([`${TOML}:10:5`]);
    expect(at(r, 'RF301')[0]!.message).not.toContain('only where');
    expect(at(r, 'RF309').map((f) => f.path)).toEqual([`${TOML}:12:16`]);
    expect(at(r, 'RF309')[0]!.message).toContain(`; only where \`mount_socket\` is true: it is written inside the Terraform template directive %{ if mount_socket ~} (${TOML}:11:1), which templatefile() renders only then`);
    expect(at(r, 'RF910')[0]!.message).toContain(`the settings of ${TOML} were checked on their own`);
  });

  it('the passing twins: privileged = ${privileged} is unknown, not a finding; privileged = false says nothing', () => {
    for (const value of ['${privileged}', 'false']) expect(at(doctor(files({ [TOML]: config(value) })), 'RF301')).toEqual([]);
  });

  it('a template the given Terraform reads through templatefile() is read there, not a second time here', () => {
    const tf = `resource "local_file" "config" {\n  filename = "config.toml"\n  content  = templatefile("\${path.module}/templates/config.toml.tpl", { concurrent = 1, runner_name = "a", runner_token = "t", privileged = false, mount_socket = false })\n}\n`;
    const r = doctor(files({ [TOML]: config('true'), 'main.tf': tf }));
    expect(at(r, 'RF301')).toEqual([]);
  });
});

describe("a loose Terraform template of a setup script: its config.toml heredoc's %{ if } branches", () => {
  const script = `#!/bin/bash
set -euo pipefail
cat > /etc/gitlab-runner/config.toml <<EOF
[[runners]]
  name = "\${runner_name}"
  url = "https://gitlab.example.com"
  token = "\${runner_token}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
%{ if docker_privileged ~}
    privileged = true
%{ endif ~}
EOF
systemctl restart gitlab-runner
`;
  it('privileged = true inside %{ if docker_privileged ~}: RF301 at the script line, said as conditional', () => {
    const r = doctor(files({ 'user-data/manager.sh.tftpl': script }));
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['user-data/manager.sh.tftpl:12:5']);
    expect(at(r, 'RF301')[0]!.message).toContain("; only where `docker_privileged` is true: it is written inside the Terraform template directive %{ if docker_privileged ~} (user-data/manager.sh.tftpl:11:1), which templatefile() renders only then");
  });
  it('the passing twin: without the privileged line, nothing', () => {
    expect(at(doctor(files({ 'user-data/manager.sh.tftpl': script.replace('    privileged = true\n', '') })), 'RF301')).toEqual([]);
  });
});
