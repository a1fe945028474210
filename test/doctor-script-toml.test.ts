import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * A config.toml written by a heredoc in a standalone shell script (a setup script run by hand, not a
 * launch template's user data): before, nothing of it was read and the doctor said only "no runner
 * manager" (RF910); now its settings get the checks of a config.toml given alone, each at its line of
 * the script. Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));

const script = (docker: string, delimiter = 'EOF') => `#!/bin/bash
set -euo pipefail
mkdir -p /etc/gitlab-runner
cat > /etc/gitlab-runner/config.toml <<${delimiter}
concurrent = 2

[[runners]]
  name = "builds"
  url = "https://gitlab.example.com"
  token = "\${RUNNER_TOKEN}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
${docker}
${delimiter.replace(/'/g, '')}
systemctl restart gitlab-runner
`;

describe('a config.toml heredoc of a standalone shell script', () => {
  it('privileged = true and the Docker socket: RF301 and RF309 at their lines of the script; RF910 names the script as checked alone', () => {
    const text = script('    privileged = true\n    volumes = ["/var/run/docker.sock:/var/run/docker.sock"]');
    const r = doctor(files({ 'setup/runner.sh': text }));
    const rf301 = r.findings.filter((f) => f.code === 'RF301');
    expect(rf301.map((f) => f.path)).toEqual(['setup/runner.sh:14:5']);
    expect(rf301[0]!.message).toContain('[runners.docker] privileged = true');
    expect(r.findings.filter((f) => f.code === 'RF309').map((f) => f.path)).toEqual(['setup/runner.sh:15:16']);
    expect(r.findings.find((f) => f.code === 'RF910')!.message).toContain('the settings of setup/runner.sh were checked on their own');
  });

  it("a quoted delimiter (<<'EOF') and a script named by its #! line only are read the same", () => {
    const r = doctor(files({ 'bootstrap-runner': script('    privileged = true', "'EOF'") }));
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['bootstrap-runner:14:5']);
  });

  it('the passing twins: privileged = false says nothing; a body the shell must expand first (privileged = ${PRIV}) is not read', () => {
    expect(doctor(files({ 'runner.sh': script('    privileged = false') })).findings.filter((f) => f.code === 'RF301' || f.code === 'RF309')).toEqual([]);
    const expanded = doctor(files({ 'runner.sh': script('    privileged = ${PRIV}') }));
    expect(expanded.findings.filter((f) => f.code === 'RF301' || f.code === 'RF901')).toEqual([]);
  });

  it('a script a Terraform file reads as user data is read there, with its instance, not a second time as a script', () => {
    const text = script('    privileged = true');
    const tf = `resource "aws_instance" "runner" {\n  ami           = "ami-0123456789abcdef0"\n  instance_type = "t3.small"\n  user_data     = file("\${path.module}/runner.sh")\n}\n`;
    const r = doctor(files({ 'infra/runner.sh': text, 'infra/main.tf': tf }));
    // The instance is the manager (RF911: it has no instance profile), not a config.toml checked alone.
    expect(r.findings.map((f) => f.code)).toContain('RF911');
    expect(r.findings.filter((f) => f.code === 'RF910' || f.message.includes('checked on their own'))).toEqual([]);
  });
});
