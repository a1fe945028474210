import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked } from './helpers/doctor.js';

/**
 * Stop 57d: a systemd unit running `gitlab-runner run` with no `User=` and no `--user` runs its shell
 * jobs as root (systemd.exec(5): a system service runs as root unless User= is set): RF309 at
 * ExecStart=. Not said for the unit `gitlab-runner install --user X` writes (quoted `"--user" "X"`),
 * `--init-user` (User=X), a `--user` given through a variable, a drop-in setting User=, a user unit,
 * DynamicUser=, nor for a docker runner. `gitlab-runner install` without `--user` is not said: as root
 * it stops ("Please specify user that will run gitlab-runner service", commands/service.go).
 */

const SHELL = '#!/bin/sh\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell\n';
const unit = (exec: string, service = '', install = 'multi-user.target') => `[Unit]\nDescription=GitLab Runner\nAfter=network.target\n[Service]\n${service}ExecStart=${exec}\nRestart=always\n[Install]\nWantedBy=${install}\n`;
const rf309 = (files: Record<string, string>) => codesIn(doctorWalked(files), 'RF309');

describe('a systemd unit with no User= running gitlab-runner run without --user', () => {
  it('RF309 at ExecStart, naming User= and --user in the fix; with --user root too', () => {
    const found = rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner run --working-directory /home/ci --config /etc/gitlab-runner/config.toml'), 'setup.sh': SHELL });
    expect(found.map((f) => [f.path, f.severity])).toEqual([['gitlab-runner.service:5:1', 'error']]);
    expect(found[0]!.message).toContain('sets no User=');
    expect(found[0]!.fix).toContain('User=gitlab-runner');
    expect(found[0]!.fix).toContain('--user gitlab-runner');
    expect(rf309({ 'gitlab-runner.service': unit('/usr/local/bin/gitlab-runner "run" "--user" "root"'), 'setup.sh': SHELL }).map((f) => f.path)).toEqual(['gitlab-runner.service:5:1']);
  });

  it('a script writing the unit in a heredoc: RF309 at its ExecStart line', () => {
    const sh = `${SHELL}cat > /etc/systemd/system/gitlab-runner.service <<EOF\n${unit('/usr/bin/gitlab-runner run --working-directory /home/ci')}EOF\n`;
    expect(rf309({ 'setup.sh': sh }).map((f) => f.path)).toEqual(['setup.sh:8:1']);
  });

  it('guards: the unit install --user writes (quoted), --init-user (User=), --user through a variable, a drop-in with User=, a user unit, DynamicUser=, a docker runner: none', () => {
    const pkg = '/usr/bin/gitlab-runner "run" "--config" "/etc/gitlab-runner/config.toml" "--working-directory" "/home/gitlab-runner" "--service" "gitlab-runner" "--user" "gitlab-runner"';
    expect(rf309({ 'gitlab-runner.service': unit(pkg), 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner "run" "--config" "/home/gitlab-runner/config.toml"', 'User=gitlab-runner\n'), 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner run --user=${RUNNER_USER}'), 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner run -u {{ runner_user }}'), 'setup.sh': SHELL })).toEqual([]);
    const bare = unit('/usr/bin/gitlab-runner run --working-directory /home/ci');
    expect(rf309({ 'systemd/gitlab-runner.service': bare, 'systemd/gitlab-runner.service.d/override.conf': '[Service]\nUser=ci\n', 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'home/.config/systemd/user/gitlab-runner.service': bare, 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner run', '', 'default.target'), 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': unit('/usr/bin/gitlab-runner run', 'DynamicUser=yes\n'), 'setup.sh': SHELL })).toEqual([]);
    expect(rf309({ 'gitlab-runner.service': bare, 'setup.sh': SHELL.replace('--executor shell', '--executor docker --docker-image alpine:3.22') })).toEqual([]);
    expect(rf309({ 'README.md': `${bare}`, 'setup.sh': SHELL })).toEqual([]);
  });

  it('gitlab-runner install without --user: not said (as root it stops and installs no service)', () => {
    expect(rf309({ 'setup.sh': `${SHELL}gitlab-runner install --working-directory /home/ci\ngitlab-runner start\n` })).toEqual([]);
  });

  it('hostile: a unit after 200,000 blank lines, and a 200,000-character ExecStart word: read at their lines', () => {
    const bare = unit('/usr/bin/gitlab-runner run --working-directory /home/ci');
    expect(rf309({ 'gitlab-runner.service': `${'\n'.repeat(200_000)}${bare}`, 'setup.sh': SHELL }).map((f) => f.path)).toEqual(['gitlab-runner.service:200005:1']);
    const long = unit(`/usr/bin/gitlab-runner run --working-directory /${'x'.repeat(200_000)}`);
    expect(rf309({ 'gitlab-runner.service': long, 'setup.sh': SHELL }).map((f) => f.path)).toEqual(['gitlab-runner.service:5:1']);
    expect(rf309({ 'gitlab-runner.service': `[Service]\nExecStart=${'-u'.repeat(100_000)}\n`, 'setup.sh': SHELL })).toEqual([]);
  });
});
