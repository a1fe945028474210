import { describe, expect, it } from 'vitest';
import { shellRunnerRoleTf } from './helpers/doctor.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * An EC2 runner manager with the shell executor: its jobs are processes on the instance, so the
 * IMDS hop limit does not keep them from the instance profile (RF713 where it has one); no platform
 * proves such a runner, so the doctor says so (RF903) instead of "no runner manager" (RF910).
 */

const IMDS = `  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
`;
const ROLE = shellRunnerRoleTf;
const register = (executor: string) => `    #!/bin/bash
    set -euo pipefail
    gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token)" --executor ${executor}${executor === 'docker' ? ' --docker-image alpine:3.22' : ''}
`;
const instance = (executor: string, profile: boolean) => `${ROLE}resource "aws_instance" "runner" {
  ami                  = "ami-0123456789abcdef0"
  instance_type        = "t3.medium"
${profile ? '  iam_instance_profile = aws_iam_instance_profile.ci.name\n' : ''}${IMDS}  user_data = <<-EOT
${register(executor)}  EOT
}
`;
const files = (tf: string): InputFile[] => [{ path: 'main.tf', bytes: new TextEncoder().encode(tf) }];
const said = (tf: string) => doctor(files(tf)).findings.filter((f) => ['RF713', 'RF903', 'RF910'].includes(f.code));

describe('EC2 managers with the shell executor', () => {
  it('registered in the user data, with an instance profile: RF713 at the profile (every job takes the role), RF903 not proven, no RF910', () => {
    const found = said(instance('shell', true));
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual(['RF713 main.tf:12:26', 'RF903 main.tf:17:15']);
    expect(found[0]!.message).toBe(
      "the runner manager aws_instance.runner runs its jobs with the shell executor, as processes on the instance itself: every job can ask the instance metadata service for the credentials of its instance profile ci-shell-runner (role ci-shell-runner), which are the manager's, whatever the IMDS hop limit (that only counts hops past the instance)",
    );
    expect(found[1]!.message).toMatch(/^aws_instance\.runner is a runner manager with the shell executor; the doctor proves EC2 runners whose jobs run in Docker containers/);
  });

  it('without an instance profile: no RF713 (no credentials to take), still RF903 and no RF910', () => {
    expect(said(instance('shell', false)).map((f) => f.code)).toEqual(['RF903']);
  });

  it('a config.toml heredoc with executor "shell" in a launch template is read the same way', () => {
    const tf = `${ROLE}resource "aws_launch_template" "runner" {
  name     = "ci-shell"
  image_id = "ami-0123456789abcdef0"
  iam_instance_profile { name = aws_iam_instance_profile.ci.name }
${IMDS}  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    cat > /etc/gitlab-runner/config.toml <<'EOF'
    concurrent = 1
    [[runners]]
      name = "shell"
      url = "https://gitlab.example.com"
      executor = "shell"
    EOF
  EOT
  )
}
`;
    expect(said(tf).map((f) => f.code)).toEqual(['RF713', 'RF903']);
  });

  it('twin: the same instance with the docker executor is a proven Docker manager, none of these words', () => {
    const found = said(instance('docker', true));
    expect(found.filter((f) => f.code === 'RF910' || f.message.includes('shell executor'))).toEqual([]);
    expect(doctor(files(instance('docker', true))).proofs.length).toBeGreaterThan(0);
  });

  it('a user data that registers a shell runner and then a Docker one: the Docker manager is the one read and proven (as before shell was read)', () => {
    const both = `${ROLE}resource "aws_instance" "runner" {
  ami                  = "ami-0123456789abcdef0"
  instance_type        = "t3.medium"
  iam_instance_profile = aws_iam_instance_profile.ci.name
${IMDS}  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token)" --executor shell
    gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token2)" --executor docker --docker-image alpine:3.22
  EOT
}
`;
    const r = doctor(files(both));
    expect(r.findings.filter((f) => f.message.includes('shell executor'))).toEqual([]);
    expect(r.proofs.length).toBeGreaterThan(0);
  });
});


/**
 * Issue 49b: the other executors that run jobs outside the platforms' containers. ssh runs them on
 * the machine [runners.ssh] host names, not on the instance (no RF713; RF903 says where); virtualbox
 * runs them in VMs whose NAT sends their connections on from the instance's own VirtualBox process
 * (RF713 as for shell); parallels is read as a manager, with no claim either way about the profile.
 */
describe('EC2 managers with the ssh, virtualbox and parallels executors', () => {
  it('ssh, registered with --ssh-host and an instance profile: no RF713, RF903 names the SSH host, no RF910', () => {
    const found = said(instance('ssh --ssh-host build.example.com --ssh-user ci', true));
    expect(found.map((f) => f.code)).toEqual(['RF903']);
    expect(found[0]!.message).toMatch(/^aws_instance\.runner is a runner manager with the ssh executor, which runs its jobs on another machine over SSH \(--ssh-host build\.example\.com\), not on the instance, so its instance profile is not theirs; the doctor proves/);
  });
  it('ssh in a config.toml heredoc: the host as [runners.ssh] host; without a profile nothing is said of it', () => {
    const tf = `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.medium"
${IMDS}  user_data = <<-EOT
    #!/bin/bash
    cat > /etc/gitlab-runner/config.toml <<'EOF'
    concurrent = 1
    [[runners]]
      name = "over-ssh"
      url = "https://gitlab.example.com"
      executor = "ssh"
      [runners.ssh]
        host = "10.0.3.7"
        user = "ci"
    EOF
  EOT
}
`;
    const found = said(tf);
    expect(found.map((f) => f.code)).toEqual(['RF903']);
    expect(found[0]!.message).toContain('runs its jobs on another machine over SSH ([runners.ssh] host = "10.0.3.7"), not on the instance; the doctor proves');
  });
  it('virtualbox with an instance profile: RF713 says the VMs reach the metadata service through the NAT', () => {
    const found = said(instance('virtualbox --virtualbox-base-name ubuntu-ci', true));
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual(['RF713 main.tf:12:26', 'RF903 main.tf:17:15']);
    expect(found[0]!.message).toContain("runs its jobs with the virtualbox executor, in VirtualBox VMs on the instance, whose NAT sends the VMs' connections on from the instance's own VirtualBox process: every job can ask the instance metadata service for the credentials of its instance profile ci-shell-runner");
  });
  it('parallels with an instance profile: read (RF903, no RF910), nothing said of the profile', () => {
    const found = said(instance('parallels --parallels-base-name macos-ci', true));
    expect(found.map((f) => f.code)).toEqual(['RF903']);
    expect(found[0]!.message).toContain('with the parallels executor, which runs its jobs in Parallels VMs on the instance; the doctor proves');
  });
  it('custom stays unread here: no RF713, no RF903 of this kind', () => {
    expect(said(instance('custom', true)).filter((f) => f.code === 'RF713' || f.message.includes('custom executor, which runs'))).toEqual([]);
  });
});
