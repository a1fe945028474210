import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * The other ways a shell writes a config.toml with a heredoc: `tee path <<EOF`, `cat <<EOF > path`
 * (the redirect after the marker), `cat <<'EOF' | sudo tee path > /dev/null`, and appends (`cat >>`,
 * `tee -a`). Before, only `cat > path <<EOF` was read: a standalone script in any other form said
 * nothing (RF910 "no runner manager" only), and a launch template's user data in another form was no
 * manager. Now each is read as `cat > path <<EOF` is, the findings at the script's lines; an append is
 * read from its first table header on (the keys before it land in whatever table the file already
 * ended in, which the script does not show). Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));

const body = `concurrent = 2

[[runners]]
  name = "builds"
  url = "https://gitlab.example.com"
  token = "\${RUNNER_TOKEN}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
    privileged = true
`;
/** A setup script whose heredoc opens with `open` and closes with `EOF`; privileged = true is on line 13. */
const script = (open: string) => `#!/bin/bash
set -euo pipefail
${open}
${body}EOF
systemctl restart gitlab-runner
`;
const rf301 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF301').map((f) => f.path);

describe('config.toml heredocs of a standalone script in other shell forms', () => {
  const forms = [
    'tee /etc/gitlab-runner/config.toml <<EOF',
    'sudo tee /etc/gitlab-runner/config.toml > /dev/null <<EOF',
    "cat <<'EOF' > /etc/gitlab-runner/config.toml",
    'cat <<EOF >"/etc/gitlab-runner/config.toml"',
    "cat <<'EOF' | sudo tee /etc/gitlab-runner/config.toml >/dev/null",
    'cat <<-EOF | tee /etc/gitlab-runner/config.toml',
  ];
  for (const open of forms) {
    it(`${open}: RF301 at the script's line of privileged = true`, () => {
      const r = doctor(files({ 'setup/runner.sh': script(open) }));
      expect(rf301(r)).toEqual(['setup/runner.sh:13:5']);
      expect(r.findings.find((f) => f.code === 'RF910')!.message).toContain('the settings of setup/runner.sh were checked on their own');
    });
  }

  it('the passing twins: privileged = false says nothing; a heredoc to another file (tee /etc/motd) is not a config.toml', () => {
    expect(rf301(doctor(files({ 'runner.sh': script('tee /etc/gitlab-runner/config.toml <<EOF').replace('privileged = true', 'privileged = false') })))).toEqual([]);
    const r = doctor(files({ 'runner.sh': script('tee /etc/motd <<EOF') }));
    expect(rf301(r)).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF910')!.message).not.toContain('checked on their own');
  });

  it('an append (cat >> / tee -a): read from its first table header on, at the script\'s lines', () => {
    for (const open of ['cat >> /etc/gitlab-runner/config.toml <<EOF', 'sudo tee -a /etc/gitlab-runner/config.toml <<EOF']) {
      expect(rf301(doctor(files({ 'runner.sh': script(open) })))).toEqual(['runner.sh:13:5']);
    }
  });

  it('an append of bare keys only (no table header): where they land is not shown, so nothing is read', () => {
    const text = `#!/bin/bash\ncat >> /etc/gitlab-runner/config.toml <<EOF\n    privileged = true\nEOF\n`;
    const r = doctor(files({ 'runner.sh': text }));
    expect(rf301(r)).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF910')!.message).not.toContain('checked on their own');
  });
});

describe("a launch template's user data writing its config.toml with tee", () => {
  const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile');
  const MAIN = readFileSync(join(DIR, 'main.tf'), 'utf8');
  const TEMPLATE = readFileSync(join(DIR, 'user-data.sh.tpl'), 'utf8');
  const OPEN = 'cat > /etc/gitlab-runner/config.toml <<TOML';
  const run = (template: string) =>
    doctor([
      { path: 'ec2/main.tf', bytes: enc(MAIN) },
      { path: 'ec2/user-data.sh.tpl', bytes: enc(template) },
    ]);
  it('cat <<TOML | sudo tee …: the same runner proven and the same findings as cat > … <<TOML', () => {
    expect(TEMPLATE).toContain(OPEN);
    const base = run(TEMPLATE);
    const teed = run(TEMPLATE.replace(OPEN, 'cat <<TOML | sudo tee /etc/gitlab-runner/config.toml > /dev/null'));
    expect([...teed.chains.keys()]).toEqual(['docker-ci']);
    expect(teed.findings.map((f) => [f.code, f.path])).toEqual(base.findings.map((f) => [f.code, f.path]));
  });
});

describe('a remote-exec provisioner inline writing the config.toml with sudo tee', () => {
  const toml = 'concurrent = 2\n\n[[runners]]\n  name = "docker-ci"\n  url = "https://gitlab.example.com"\n  token = "${var.runner_token}"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n';
  const main = (open: string) => `variable "runner_token" {}
resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  provisioner "remote-exec" {
    inline = [
      <<-EOT
      ${open}
${toml.split('\n').map((l) => (l === '' ? '' : `      ${l}`)).join('\n')}
      EOF
      EOT
    ]
  }
}
`;
  it('cat <<EOF | sudo tee …: the instance is the manager of runner docker-ci (RF911), not RF910; to another file, no manager', () => {
    const read = doctor(files({ 'main.tf': main('cat <<EOF | sudo tee /etc/gitlab-runner/config.toml') })).findings;
    expect(read.find((f) => f.code === 'RF911')?.message).toContain('the manager of runner docker-ci (instance aws_instance.runner)');
    expect(read.map((f) => f.code)).not.toContain('RF910');
    expect(doctor(files({ 'main.tf': main('cat <<EOF | sudo tee /tmp/notes.txt') })).findings.map((f) => f.code)).toContain('RF910');
  });
});
