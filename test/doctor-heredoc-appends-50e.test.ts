import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';

/**
 * Issue 50e: a script that writes config.toml with a heredoc and then appends to it (`cat >> f
 * <<EOF`, `tee -a f <<EOF`) builds the file from all of them, in order: before, only the first
 * heredoc was read, so a setting an append adds (privileged = true, network_mode = "host") was not
 * checked. Each key is placed on the line of the heredoc that writes it. A second heredoc that
 * writes the file anew still ends what is read (the first write is the one read, as before).
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const WRITE = `cat > /etc/gitlab-runner/config.toml <<'EOF'
concurrent = 2

[[runners]]
  name = "builds"
  url = "https://gitlab.example.com"
  token = "\${RUNNER_TOKEN}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
EOF
`;
/** The write on lines 3-13, a command on line 14, the append from line 15 (its first body line 16). */
const script = (append: string) => `#!/bin/bash
set -euo pipefail
${WRITE}mkdir -p /srv/cache
${append}systemctl restart gitlab-runner
`;
const codes = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF301' || f.code === 'RF309').map((f) => `${f.code} ${f.path}`);

describe('config.toml written, then appended to', () => {
  it('cat >>: the append\'s keys continue [runners.docker] (privileged = true on line 16, RF301 there)', () => {
    const r = doctor(files({ 'setup.sh': script("cat >> /etc/gitlab-runner/config.toml <<'EOF'\n    privileged = true\nEOF\n") }));
    expect(codes(r)).toEqual(['RF301 setup.sh:16:5']);
  });
  it('tee -a, then a second append: both read, in order, each key at its own heredoc\'s line', () => {
    const r = doctor(files({ 'setup.sh': script("sudo tee -a /etc/gitlab-runner/config.toml > /dev/null <<EOF\n    network_mode = \"host\"\nEOF\ncat >> /etc/gitlab-runner/config.toml <<EOF\n  [runners.cache]\n    Type = \"s3\"\n[[runners]]\n  name = \"second\"\n  url = \"https://gitlab.example.com\"\n  executor = \"docker\"\n  [runners.docker]\n    image = \"alpine:3\"\n    privileged = true\nEOF\n") }));
    expect(codes(r)).toEqual(['RF309 setup.sh:16:5', 'RF301 setup.sh:27:5']);
  });
  it('twin: an append of settings that let jobs out of nothing (a cache table): no RF301 or RF309', () => {
    const r = doctor(files({ 'setup.sh': script("cat >> /etc/gitlab-runner/config.toml <<'EOF'\n  [runners.cache]\n    Type = \"s3\"\nEOF\n") }));
    expect(codes(r)).toEqual([]);
  });
  it('a second write starts the file anew: the first write is read, the later one not joined to it', () => {
    const r = doctor(files({ 'setup.sh': script("cat > /etc/gitlab-runner/config.toml <<'EOF'\n    privileged = true\nEOF\n") }));
    expect(codes(r)).toEqual([]);
  });
});

describe('in the user data of an EC2 manager', () => {
  const tf = (append: string) => `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.medium"
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
${(WRITE + 'mkdir -p /srv/cache\n' + append).replace(/^(?=.)/gm, '    ')}  EOT
}
`;
  it('privileged = true in the append: RF301 at its line in main.tf', () => {
    const r = doctor(files({ 'main.tf': tf("cat >> /etc/gitlab-runner/config.toml <<'EOF'\n    privileged = true\nEOF\n") }));
    expect(codes(r)).toEqual(['RF301 main.tf:24:9']);
    expect(r.findings.find((f) => f.code === 'RF301')!.message).toMatch(/^runner builds, line 24 of main\.tf: /);
  });
  it('twin: the append adds a cache table only: no RF301', () => {
    expect(codes(doctor(files({ 'main.tf': tf("cat >> /etc/gitlab-runner/config.toml <<'EOF'\n  [runners.cache]\n    Type = \"s3\"\nEOF\n") })))).toEqual([]);
  });
});
