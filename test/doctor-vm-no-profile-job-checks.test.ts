import { describe, expect, it } from 'vitest';
import { ec2RunnerRoleTf } from './helpers/doctor.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * Issue 49b: an EC2 manager whose chain is not built (no instance profile, RF911; a profile or role
 * not among the files, RF903) still boots its config.toml, and what that lets jobs do does not
 * depend on the manager's identity: privileged = true is RF301 and a way out of the container RF309,
 * at the key's line, as with a profile. A register command's flags are said once, where written.
 */
const ROLE = ec2RunnerRoleTf;
const heredoc = (docker: string) => `    cat > /etc/gitlab-runner/config.toml <<'EOF'
    concurrent = 1
    [[runners]]
      name = "docker"
      url = "https://gitlab.example.com"
      executor = "docker"
      [runners.docker]
        image = "alpine:3.20"
${docker}    EOF
`;
const PRIVILEGED = '        privileged = true\n        network_mode = "host"\n';
const REGISTER = '    gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token)" --executor docker --docker-image alpine:3.20 --docker-privileged\n';
const instance = (profile: string, userData: string) => `${ROLE}resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.medium"
${profile}  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
${userData}  EOT
}
`;
const codes = (tf: string, extra: InputFile[] = []) => doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(tf) }, ...extra]).findings.filter((f) => ['RF301', 'RF309', 'RF911', 'RF903'].includes(f.code)).map((f) => `${f.code} ${f.path}`);

describe('job checks of a manager without an instance profile', () => {
  it('no iam_instance_profile, privileged = true and network_mode = "host" in the heredoc: RF301 and RF309 at their lines, beside RF911', () => {
    expect(codes(instance('', heredoc(PRIVILEGED)))).toEqual(['RF301 main.tf:27:9', 'RF309 main.tf:28:9', 'RF911 main.tf:9:1']);
  });
  it('a profile that is not among the files given (RF903): the same RF301 and RF309', () => {
    const found = codes(instance('  iam_instance_profile = "made-elsewhere"\n', heredoc(PRIVILEGED)));
    expect(found.filter((c) => c.startsWith('RF301') || c.startsWith('RF309'))).toEqual(['RF301 main.tf:28:9', 'RF309 main.tf:29:9']);
    expect(found.some((c) => c.startsWith('RF903 main.tf:12:'))).toBe(true);
  });
  it('with the profile: RF301 and RF309 once each, as before (the chain says them)', () => {
    const found = codes(instance('  iam_instance_profile = aws_iam_instance_profile.ci.name\n', heredoc(PRIVILEGED)));
    expect(found.filter((c) => c.startsWith('RF301') || c.startsWith('RF309'))).toEqual(['RF301 main.tf:28:9', 'RF309 main.tf:29:9']);
  });
  it('twin: no profile and an unprivileged config.toml: only RF911', () => {
    expect(codes(instance('', heredoc('')))).toEqual(['RF911 main.tf:9:1']);
  });
  it('no profile, --docker-privileged on a register command: RF301 once, at the flag', () => {
    expect(codes(instance('', REGISTER))).toEqual(['RF301 main.tf:19:152', 'RF911 main.tf:9:1']);
  });
});
