import { describe, expect, it } from 'vitest';
import { shellInstanceTf } from './helpers/doctor.js';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 55d: an EC2 manager with the shell executor runs each job as the gitlab-runner user, which
 * cannot read config.toml or change the runner. User data that gives that user passwordless sudo
 * (a NOPASSWD sudoers line naming it, or a group it joins) or the docker group makes every job root
 * on the instance: RF309 at the line that grants it. Joining sudo without a NOPASSWD rule asks a
 * password the user does not have (none); a Docker executor's jobs run in containers (none).
 */

const instance = (executor: string, setup: string) =>
  shellInstanceTf(`<<-EOT
    #!/bin/bash
    set -euo pipefail
${setup}    gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$(cat /run/token)" --executor ${executor}${executor === 'docker' ? ' --docker-image alpine:3.22' : ''}
  EOT`);
const run = (tf: string): DoctorResult => doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(tf) }]);
const rf309 = (tf: string) => run(tf).findings.filter((f) => f.code === 'RF309');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('a shell manager whose user data makes gitlab-runner root-equivalent', () => {
  it('a NOPASSWD sudoers line for gitlab-runner: RF309 (error) at that line, every job root on the instance', () => {
    const tf = instance('shell', `    echo "gitlab-runner ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/gitlab-runner\n`);
    const found = rf309(tf);
    expect(found.map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, 'NOPASSWD')}:5`]);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.message).toContain('passwordless sudo');
    expect(found[0]!.message).toContain('every job is root on the instance');
  });

  it('usermod -aG docker gitlab-runner: RF309 at that line', () => {
    const tf = instance('shell', '    usermod -aG docker gitlab-runner\n');
    const found = rf309(tf);
    expect(found.map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, 'usermod')}:5`]);
    expect(found[0]!.message).toContain('the docker group');
  });

  it('the sudo group: none alone (no password to give), RF309 once a sudoers line makes %sudo passwordless', () => {
    expect(rf309(instance('shell', '    usermod -aG sudo gitlab-runner\n'))).toEqual([]);
    const tf = instance('shell', '    echo "%sudo ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/sudo-group\n    usermod -aG sudo gitlab-runner\n');
    const found = rf309(tf);
    expect(found.map((f) => f.path)).toEqual([`main.tf:${lineOf(tf, 'usermod')}:5`]);
    expect(found[0]!.message).toContain('the sudo group');
  });

  it('guards: the docker executor with the docker group, and a shell manager granting nothing, are no RF309', () => {
    expect(rf309(instance('docker', '    usermod -aG docker gitlab-runner\n'))).toEqual([]);
    expect(rf309(instance('shell', ''))).toEqual([]);
  });
});
