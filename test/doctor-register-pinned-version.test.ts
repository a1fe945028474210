import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { addedAfter, definesFlag, removedFlag, runnerVersion } from '../src/doctor/register-flags.js';
import { REGISTER_ADDED_FLAGS, REGISTER_HISTORY_FROM, REGISTER_HISTORY_MINORS, REGISTER_REMOVED_FLAGS } from '../src/doctor/register-flags-history-data.js';
import { pinnedRunnerVersion } from '../src/doctor/runner-version.js';

/**
 * The gitlab-runner version a script installs (`yum install gitlab-runner-11.3.1`) and the flags
 * register had in the releases before the current table (register-flags-history-data.ts, generated
 * by scripts/register-flags.js --history from the minor release tags): a flag that version has and a
 * later one removed is RF934 (it works until an upgrade), not RF919; RF919 names the version it
 * checked the flags against.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const REGISTER = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine';
const MANAGER = `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;
const OFF_PEAK = '--machine-off-peak-timezone UTC';
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);

describe('the flags of earlier releases (generated from the minor release tags, checked by hand in the source)', () => {
  it('--machine-off-peak-timezone: in v10.0.0 … v13.12.0 (common/config.go DockerMachine `long:"off-peak-timezone"`), gone in v14.0.0', () => {
    expect(REGISTER_HISTORY_FROM).toBe('10.0');
    expect(REGISTER_REMOVED_FLAGS.get('machine-off-peak-timezone')).toEqual([['10.0', '14.0']]);
    expect(REGISTER_REMOVED_FLAGS.get('machine-off-peak-periods')).toEqual([['10.0', '14.0']]);
    expect(REGISTER_HISTORY_MINORS.indexOf('14.0') - REGISTER_HISTORY_MINORS.indexOf('13.12')).toBe(1);
    expect(removedFlag('machine-off-peak-timezone', runnerVersion('11.3.1')!)).toEqual({ removedIn: '14.0', last: '13.12' });
    expect(removedFlag('machine-off-peak-timezone', runnerVersion('13.12.3')!)).toEqual({ removedIn: '14.0', last: '13.12' });
    expect(removedFlag('machine-off-peak-timezone', runnerVersion('14.0.0')!)).toBeUndefined();
    expect(definesFlag('machine-off-peak-timezone')).toBe(false);
    expect(definesFlag('machine-off-peak-timezone', runnerVersion('11.3.1'))).toBe(true);
  });

  it('--pre-clone-script: in v10.0.0 … v16.11.0 (RunnerSettings `long:"pre-clone-script"`), gone in v17.0.0; a current flag is in no list', () => {
    expect(REGISTER_REMOVED_FLAGS.get('pre-clone-script')).toEqual([['10.0', '17.0']]);
    expect(removedFlag('pre-clone-script', runnerVersion('16.11.1')!)).toEqual({ removedIn: '17.0', last: '16.11' });
    expect(REGISTER_REMOVED_FLAGS.has('docker-privileged')).toBe(false);
    expect(REGISTER_REMOVED_FLAGS.has('docker-privilege')).toBe(false);
  });

  it('a version the tables do not cover is no version: older than 10.0, newer than the current table, not a version', () => {
    expect(runnerVersion('9.5.0')).toBeUndefined();
    expect(runnerVersion('25.0.0')).toBeUndefined();
    expect(runnerVersion('latest')).toBeUndefined();
    expect(runnerVersion('v16.5.0')).toEqual({ text: '16.5.0', minor: '16.5' });
    expect(runnerVersion('16.5.0-1')).toEqual({ text: '16.5.0', minor: '16.5' });
  });
});

describe('the version a script installs', () => {
  it('a package (rpm, deb, a .deb file), the binary of a version, the image of one', () => {
    expect(pinnedRunnerVersion('yum install gitlab-runner-11.3.1 -y\n')?.text).toBe('11.3.1');
    expect(pinnedRunnerVersion('yum install -y gitlab-runner-16.5.0-1.x86_64\n')?.text).toBe('16.5.0');
    expect(pinnedRunnerVersion('apt-get install -y gitlab-runner=16.5.0-1\n')?.text).toBe('16.5.0');
    expect(pinnedRunnerVersion('curl -LO https://example.com/gitlab-runner_16.5.0_amd64.deb\ndpkg -i gitlab-runner_16.5.0_amd64.deb\n')?.text).toBe('16.5.0');
    expect(pinnedRunnerVersion('curl -Lo /usr/local/bin/gitlab-runner https://gitlab-runner-downloads.s3.amazonaws.com/v16.5.0/binaries/gitlab-runner-linux-amd64\n')?.text).toBe('16.5.0');
    expect(pinnedRunnerVersion('docker run -d gitlab/gitlab-runner:alpine-v16.5.0\n')?.text).toBe('16.5.0');
    expect(pinnedRunnerVersion('image: registry.gitlab.com/gitlab-org/gitlab-runner:v16.5.0\n')?.text).toBe('16.5.0');
  });

  it('a template variable with one value where the Terraform renders the template', () => {
    expect(pinnedRunnerVersion('yum install gitlab-runner-${v} -y\n', new Map([['v', new Set(['11.3.1'])]]))?.text).toBe('11.3.1');
  });

  it('no pin: none written, the latest, a variable with no value or two, two versions, a version not covered, another package', () => {
    expect(pinnedRunnerVersion('yum install -y gitlab-runner\n')).toBeUndefined();
    expect(pinnedRunnerVersion('curl -Lo /usr/local/bin/gitlab-runner https://gitlab-runner-downloads.s3.amazonaws.com/latest/binaries/gitlab-runner-linux-amd64\n')).toBeUndefined();
    expect(pinnedRunnerVersion('docker run gitlab/gitlab-runner:latest\n')).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-${v} -y\n')).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-${v} -y\n', new Map([['v', new Set(['11.3.1', '16.5.0'])]]))).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-${v} -y\n', new Map([['v', new Set([null])]]))).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-11.3.1\ndocker pull gitlab/gitlab-runner:v16.5.0\n')).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-9.5.0\n')).toBeUndefined();
    expect(pinnedRunnerVersion('yum install gitlab-runner-helper-images gitlab-runner-linux-amd64\n')).toBeUndefined();
    expect(pinnedRunnerVersion('docker pull gitlab/gitlab-runner-helper:x86_64-v16.5.0\n')).toBeUndefined();
  });
});

describe('a flag the installed version has and a later one removed: RF934, not RF919', () => {
  it('gitlab-runner 11.3.1 with --machine-off-peak-timezone: RF934 (warning) at the flag, the manager registers and is proven', () => {
    const boot = `yum install -y gitlab-runner-11.3.1\n${REGISTER} ${OFF_PEAK}\n`;
    const r = doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot }));
    expect(codes(r, 'RF919')).toEqual([]);
    const hits = codes(r, 'RF934');
    expect(hits.map((f) => [f.path, f.severity, f.received])).toEqual([[`boot.sh:2:${REGISTER.length + 2}`, 'warning', '--machine-off-peak-timezone']]);
    expect(hits[0]!.message).toBe('gitlab-runner 11.3.1, the version the script installs, registers with --machine-off-peak-timezone, but gitlab-runner 14.0 removed it: an upgrade past 13.12 makes register exit with an error ("flag provided but not defined: -machine-off-peak-timezone") and no runner is registered');
    expect(hits[0]!.fix).toContain('[[runners.machine.autoscaling]]');
    expect(hits[0]!.fix).toContain('keep the installed gitlab-runner at 13.12 or older');
    expect(r.findings.some((f) => f.code === 'RF910' && f.message.includes('refuses its flags'))).toBe(false);
    expect(r.proofs.length).toBeGreaterThan(0);
  });

  it('the four off-peak flags 14.0 removed: one RF934 at the first, naming all four', () => {
    const boot = `yum install -y gitlab-runner-11.3.1\n${REGISTER} ${OFF_PEAK} --machine-off-peak-idle-count 0 --machine-off-peak-idle-time 600 --machine-off-peak-periods "* * 0-8 * * mon-fri *"\n`;
    const hits = codes(doctor(files({ 'boot.sh': boot })), 'RF934');
    expect(hits.map((f) => [f.path, f.received])).toEqual([[`boot.sh:2:${REGISTER.length + 2}`, '--machine-off-peak-timezone, --machine-off-peak-idle-count, --machine-off-peak-idle-time and --machine-off-peak-periods']]);
    expect(hits[0]!.message).toContain('but gitlab-runner 14.0 removed them');
  });

  it('pinned by a data "template_file" (Terraform 0.11, `"${file(…)}"`) whose variable is a variable\'s default', () => {
    const tf = 'variable "gitlab_runner_version" {\n  default = "11.3.1"\n}\ndata "template_file" "boot" {\n  template = "${file("${path.module}/boot.tpl")}"\n  vars {\n    gitlab_runner_version = "${var.gitlab_runner_version}"\n  }\n}\nresource "aws_instance" "m" {\n  user_data = "${data.template_file.boot.rendered}"\n}\n';
    const r = doctor(files({ 'main.tf': tf, 'boot.tpl': `yum install gitlab-runner-\${gitlab_runner_version} -y\n${REGISTER} ${OFF_PEAK}\n` }));
    expect(codes(r, 'RF919')).toEqual([]);
    expect(codes(r, 'RF934').map((f) => [f.path, f.received])).toEqual([[`boot.tpl:2:${REGISTER.length + 2}`, '--machine-off-peak-timezone']]);
  });

  it('pinned by templatefile() with a literal; the same template rendered with two versions is no pin (RF919, 19.4.0)', () => {
    const one = 'resource "aws_instance" "m" {\n  user_data = templatefile("${path.module}/boot.tpl", { v = "13.12.0" })\n}\n';
    const tpl = `yum install gitlab-runner-\${v} -y\n${REGISTER} ${OFF_PEAK}\n`;
    const r = doctor(files({ 'main.tf': one, 'boot.tpl': tpl }));
    expect(codes(r, 'RF934').map((f) => f.message.slice(0, 40))).toEqual(['gitlab-runner 13.12.0, the version the s']);
    expect(codes(r, 'RF919')).toEqual([]);
    const two = `${one}resource "aws_instance" "n" {\n  user_data = templatefile("\${path.module}/boot.tpl", { v = "16.5.0" })\n}\n`;
    const r2 = doctor(files({ 'main.tf': two, 'boot.tpl': tpl }));
    expect(codes(r2, 'RF934')).toEqual([]);
    expect(codes(r2, 'RF919').map((f) => f.message.endsWith('(flags of gitlab-runner 19.4.0)'))).toEqual([true]);
  });
});

describe('RF919 names the version whose flags it checked', () => {
  it('a flag removed before the installed version (16.5.0): RF919 naming 16.5.0 and the release that removed it; the manager is not proven', () => {
    const boot = `apt-get install -y gitlab-runner=16.5.0-1\n${REGISTER} ${OFF_PEAK}\n`;
    const r = doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot }));
    expect(codes(r, 'RF934')).toEqual([]);
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => [f.path, f.severity])).toEqual([[`boot.sh:2:${REGISTER.length + 2}`, 'error']]);
    expect(hits[0]!.message).toContain('so the runner is never registered (flags of gitlab-runner 16.5.0, the version the script installs; gitlab-runner 14.0 removed --machine-off-peak-timezone)');
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('refuses its flags at boot (RF919');
    expect(r.proofs).toEqual([]);
  });

  it('a typo with an old version installed: RF919 naming 11.3.1 (it never had the flag); a removed flag before it is still RF934', () => {
    const boot = `yum install -y gitlab-runner-11.3.1\n${REGISTER} ${OFF_PEAK} --tag-lists x\n`;
    const r = doctor(files({ 'boot.sh': boot }));
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => f.received)).toEqual(['--tag-lists']);
    expect(hits[0]!.message).toContain('(flags of gitlab-runner 11.3.1, the version the script installs)');
    expect(codes(r, 'RF934').map((f) => f.received)).toEqual(['--machine-off-peak-timezone']);
  });

  it('no version installed in the files: the message of the current flags, as before, and no RF934', () => {
    const r = doctor(files({ 'boot.sh': `yum install -y gitlab-runner\n${REGISTER} ${OFF_PEAK}\n` }));
    expect(codes(r, 'RF934')).toEqual([]);
    expect(codes(r, 'RF919').map((f) => f.message)).toEqual(['gitlab-runner register knows no flag --machine-off-peak-timezone: Go\'s flag parsing stops with "flag provided but not defined: -machine-off-peak-timezone", urfave/cli prints the usage and gitlab-runner exits 1 before registering, so the runner is never registered (flags of gitlab-runner 19.4.0)']);
  });
});

describe('flags added after the pinned version (REGISTER_ADDED_FLAGS, every release tag read, patch releases included)', () => {
  const v = (text: string) => runnerVersion(text)!;

  it('--maintenance-note: RunnerSettings `long:"maintenance-note"` first in v14.8.0; --token (RunnerCredentials `long:"token"`) is in v10.0.0 already', () => {
    expect(REGISTER_ADDED_FLAGS.get('maintenance-note')).toEqual([['14.8']]);
    expect(definesFlag('maintenance-note', v('11.3.1'))).toBe(false);
    expect(definesFlag('maintenance-note', v('14.8.0'))).toBe(true);
    expect(addedAfter('maintenance-note', v('11.3.1'))).toEqual({ firstIn: '14.8' });
    expect(REGISTER_ADDED_FLAGS.has('token')).toBe(false);
    expect(definesFlag('token', v('10.0.0'))).toBe(true);
    expect(definesFlag('maintenance-note')).toBe(true);
  });

  it('a flag a patch release added before the next minor (a backport): read at the patch tags', () => {
    // v16.3.1 … v16.3.3 define KubernetesConfig `long:"cleanup_resources_timeout"`; v16.3.0 does not.
    expect(REGISTER_ADDED_FLAGS.get('kubernetes-cleanup_resources_timeout')).toEqual([['16.3.1']]);
    expect(definesFlag('kubernetes-cleanup_resources_timeout', v('16.3.0'))).toBe(false);
    expect(definesFlag('kubernetes-cleanup_resources_timeout', v('16.3.2'))).toBe(true);
    expect(addedAfter('kubernetes-cleanup_resources_timeout', v('16.3.0'))).toEqual({ firstIn: '16.3.1' });
    // --kubernetes-cap-add: in v13.2.4, v13.3.2, v13.4.1 (backports), then every release from v13.5.0.
    expect(REGISTER_ADDED_FLAGS.get('kubernetes-cap-add')).toEqual([['13.2.4', '13.3'], ['13.3.2', '13.4'], ['13.4.1']]);
    expect(definesFlag('kubernetes-cap-add', v('13.3.1'))).toBe(false);
    expect(definesFlag('kubernetes-cap-add', v('13.3.2'))).toBe(true);
    expect(addedAfter('kubernetes-cap-add', v('13.3.0'))).toEqual({ firstIn: '13.3.2' });
  });

  it("v15.10's `long:\"devices,omitempty\"`: urfave/cli splits a flag's name at commas, so --docker-devices stays defined and --omitempty is a 15.10-only flag", () => {
    expect(REGISTER_REMOVED_FLAGS.has('docker-devices,omitempty')).toBe(false);
    expect(REGISTER_ADDED_FLAGS.has('docker-devices')).toBe(false);
    expect(definesFlag('docker-devices', v('15.10.1'))).toBe(true);
    expect(REGISTER_REMOVED_FLAGS.get('omitempty')).toEqual([['15.10', '15.11']]);
    expect(definesFlag('omitempty', v('15.10.0'))).toBe(true);
    expect(definesFlag('omitempty', v('15.11.0'))).toBe(false);
  });

  it('a flag that came and went after the pin: the range it was in', () => {
    expect(addedAfter('post-clone-script', v('11.3.1'))).toEqual({ firstIn: '14.9', until: '16.11' });
    expect(addedAfter('kubernetes-cap-add', v('13.3.0'))).toEqual({ firstIn: '13.3.2' });
    expect(addedAfter('post-clone-script', v('17.0.0'))).toBeUndefined();
  });
});

describe('RF919 for a flag newer than the pinned version', () => {
  it('gitlab-runner 11.3.1 with --docker-cpu-shares (DockerConfig `long:"cpu-shares"`, first in v12.6.0): RF919 (error) naming 11.3.1 and 12.6, the fix to pin 12.6 or later; the manager is not proven', () => {
    const boot = `yum install -y gitlab-runner-11.3.1\n${REGISTER} --docker-cpu-shares 512\n`;
    const r = doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot }));
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => [f.path, f.severity, f.received])).toEqual([[`boot.sh:2:${REGISTER.length + 2}`, 'error', '--docker-cpu-shares']]);
    expect(hits[0]!.message).toBe('gitlab-runner register knows no flag --docker-cpu-shares before gitlab-runner 12.6: Go\'s flag parsing stops with "flag provided but not defined: -docker-cpu-shares", urfave/cli prints the usage and gitlab-runner exits 1 before registering, so the runner is never registered (flags of gitlab-runner 11.3.1, the version the script installs; the first release after it with --docker-cpu-shares is 12.6)');
    expect(hits[0]!.fix).toBe('pin gitlab-runner 12.6 or later where the script installs it, or remove --docker-cpu-shares');
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('refuses its flags at boot (RF919');
    expect(r.proofs).toEqual([]);
  });

  it('the same flag with 12.6.0 installed, or no version pinned: no RF919', () => {
    expect(codes(doctor(files({ 'boot.sh': `yum install -y gitlab-runner-12.6.0\n${REGISTER} --docker-cpu-shares 512\n` })), 'RF919')).toEqual([]);
    expect(codes(doctor(files({ 'boot.sh': `yum install -y gitlab-runner\n${REGISTER} --docker-cpu-shares 512\n` })), 'RF919')).toEqual([]);
  });

  it('a backport: --kubernetes-cleanup_resources_timeout with 16.3.0 is RF919 naming 16.3.1; with 16.3.1 it is defined', () => {
    const cmd = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor kubernetes --kubernetes-cleanup_resources_timeout 5m';
    const r = doctor(files({ 'boot.sh': `apt-get install -y gitlab-runner=16.3.0-1\n${cmd}\n` }));
    expect(codes(r, 'RF919').map((f) => [f.message.startsWith('gitlab-runner register knows no flag --kubernetes-cleanup_resources_timeout before gitlab-runner 16.3.1:'), f.message.endsWith('(flags of gitlab-runner 16.3.0, the version the script installs; the first release after it with --kubernetes-cleanup_resources_timeout is 16.3.1)')])).toEqual([[true, true]]);
    expect(codes(doctor(files({ 'boot.sh': `apt-get install -y gitlab-runner=16.3.1-1\n${cmd}\n` })), 'RF919')).toEqual([]);
  });

  it('an older equivalent: --pre-get-sources-script with 14.0.0 installed says to write --pre-clone-script', () => {
    const r = doctor(files({ 'boot.sh': `yum install -y gitlab-runner-14.0.0\n${REGISTER} --pre-get-sources-script "echo hi"\n` }));
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => f.received)).toEqual(['--pre-get-sources-script']);
    expect(hits[0]!.message).toContain('before gitlab-runner 15.9');
    expect(hits[0]!.fix).toBe("pin gitlab-runner 15.9 or later where the script installs it, or write --pre-clone-script (gitlab-runner 14.0.0's flag for it)");
  });
});

describe('a pin in another file of the same folder', () => {
  const INSTALL = 'apt-get install -y gitlab-runner=11.3.1\n';
  const note = `${REGISTER} --docker-cpu-shares 512\n`;

  it('install.sh pins 11.3.1, register.sh registers: read against 11.3.1, named as the version install.sh installs', () => {
    const r = doctor(files({ 'scripts/install.sh': INSTALL, 'scripts/register.sh': note }));
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => [f.path, f.received])).toEqual([[`scripts/register.sh:1:${REGISTER.length + 2}`, '--docker-cpu-shares']]);
    expect(hits[0]!.message).toContain('(flags of gitlab-runner 11.3.1, the version scripts/install.sh installs; the first release after it with --docker-cpu-shares is 12.6)');
    expect(hits[0]!.fix).toBe('pin gitlab-runner 12.6 or later where scripts/install.sh installs it, or remove --docker-cpu-shares');
    const off = doctor(files({ 'scripts/install.sh': INSTALL, 'scripts/register.sh': `${REGISTER} ${OFF_PEAK}\n` }));
    expect(codes(off, 'RF919')).toEqual([]);
    expect(codes(off, 'RF934').map((f) => f.message.startsWith('gitlab-runner 11.3.1, the version scripts/install.sh installs, registers with --machine-off-peak-timezone, but gitlab-runner 14.0 removed it'))).toEqual([true]);
  });

  it('a Dockerfile FROM gitlab/gitlab-runner:alpine-v13.12.0 beside the entrypoint that registers', () => {
    const r = doctor(files({ 'image/Dockerfile': 'FROM gitlab/gitlab-runner:alpine-v13.12.0\nCOPY entrypoint.sh /entrypoint.sh\n', 'image/entrypoint.sh': `${REGISTER} ${OFF_PEAK}\n` }));
    expect(codes(r, 'RF919')).toEqual([]);
    expect(codes(r, 'RF934').map((f) => [f.path, f.message.startsWith('gitlab-runner 13.12.0, the version image/Dockerfile installs, registers with --machine-off-peak-timezone')])).toEqual([[`image/entrypoint.sh:1:${REGISTER.length + 2}`, true]]);
  });

  it('a pin in another folder is another deployment: not read', () => {
    const r = doctor(files({ 'a/install.sh': INSTALL, 'b/register.sh': note }));
    expect(codes(r, 'RF919')).toEqual([]);
  });

  it('the script\'s own pin wins over the folder\'s', () => {
    const r = doctor(files({ 'install.sh': INSTALL, 'register.sh': `yum install -y gitlab-runner-12.6.0\n${note}` }));
    expect(codes(r, 'RF919')).toEqual([]);
  });

  it('two versions in the folder: no pin is read, and RF919 with the current flags says why', () => {
    const m = { 'install.sh': INSTALL, Dockerfile: 'FROM gitlab/gitlab-runner:alpine-v16.5.0\n' };
    expect(codes(doctor(files({ ...m, 'register.sh': note })), 'RF919')).toEqual([]);
    const r = doctor(files({ ...m, 'register.sh': `${REGISTER} ${OFF_PEAK}\n` }));
    expect(codes(r, 'RF934')).toEqual([]);
    expect(codes(r, 'RF919').map((f) => f.message.replace(/^.*\(flags of/, '(flags of'))).toEqual(['(flags of gitlab-runner 19.4.0; the files beside it pin gitlab-runner 11.3.1 (install.sh) and 16.5.0 (Dockerfile), so no pin is read)']);
  });

  it('a pin only the build knows (FROM gitlab/gitlab-runner:alpine-${V}, a template variable with no value): no pin is read', () => {
    const r = doctor(files({ Dockerfile: 'FROM gitlab/gitlab-runner:alpine-${V}\n', 'install.sh': INSTALL, 'register.sh': note }));
    expect(codes(r, 'RF919')).toEqual([]);
  });

  it('a manager whose user data pins nothing, beside a script that installs 11.3.1: the command is refused and the manager not proven', () => {
    const r = doctor(files({ 'main.tf': MANAGER, 'install.sh': INSTALL, 'boot.sh': note }));
    expect(codes(r, 'RF919').map((f) => f.path)).toEqual([`boot.sh:1:${REGISTER.length + 2}`]);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('refuses its flags at boot (RF919');
    expect(r.proofs).toEqual([]);
  });
});

describe('a pin in a comment installs nothing', () => {
  const note = `${REGISTER} --docker-cpu-shares 512\n`;

  it('a commented-out pin (shell, Dockerfile, YAML `#`) is no pin; the line that installs is', () => {
    expect(pinnedRunnerVersion('# yum install gitlab-runner-11.3.1\nyum install -y gitlab-runner\n')).toBeUndefined();
    expect(pinnedRunnerVersion('#FROM gitlab/gitlab-runner:alpine-v11.3.1\nFROM gitlab/gitlab-runner:latest\n')).toBeUndefined();
    expect(pinnedRunnerVersion('runcmd:\n  - apt-get install -y gitlab-runner # was gitlab-runner=11.3.1\n')).toBeUndefined();
    expect(pinnedRunnerVersion('# docker pull gitlab/gitlab-runner:v11.3.1\ndocker pull gitlab/gitlab-runner:v16.5.0\n')?.text).toBe('16.5.0');
    // `#` inside a word or quotes begins no comment.
    expect(pinnedRunnerVersion('echo "# note" && yum install gitlab-runner-11.3.1\n')?.text).toBe('11.3.1');
  });

  it('a Dockerfile whose FROM 11.3.1 is commented out beside the script that registers: read against the current flags, no RF919', () => {
    const r = doctor(files({ 'image/Dockerfile': '# FROM gitlab/gitlab-runner:alpine-v11.3.1\nFROM gitlab/gitlab-runner:latest\n', 'image/register.sh': note }));
    expect(codes(r, 'RF919')).toEqual([]);
    const pinned = doctor(files({ 'image/Dockerfile': 'FROM gitlab/gitlab-runner:alpine-v11.3.1\n', 'image/register.sh': note }));
    expect(codes(pinned, 'RF919').map((f) => f.received)).toEqual(['--docker-cpu-shares']);
  });
});

describe('--token by the version installed (commands/register.go askRunner at the release tags)', () => {
  const boot = (pin: string, extra = '') => `yum install -y gitlab-runner-${pin}\n${REGISTER}${extra}\n`;
  const at = `boot.sh:2:${REGISTER.indexOf('--token') + 1}`;

  it('15.10.1 with --token and no --registration-token: RF919 at --token (register still asks for the registration token and exits), the fix to pin 15.11.0; the manager is not proven', () => {
    const r = doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot('15.10.1') }));
    const hits = codes(r, 'RF919');
    expect(hits.map((f) => [f.path, f.severity, f.received])).toEqual([[at, 'error', '--token']]);
    expect(hits[0]!.message).toContain('gitlab-runner 15.10.1, the version the script installs, does not register with --token alone');
    expect(hits[0]!.message).toContain('"The registration-token needs to be entered"');
    expect(hits[0]!.fix).toBe('pin gitlab-runner 15.11.0 or later where the script installs it');
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('refuses its flags at boot (RF919');
    expect(r.proofs).toEqual([]);
    // A glrt- token written out is refused the same; the pin in the folder's install script names that file.
    const glrt = doctor(files({ 'install.sh': 'yum install -y gitlab-runner-15.10.0\n', 'register.sh': 'gitlab-runner register --non-interactive --url https://g.example.com --token glrt-FAKEFAKEFAKEFAKEFAKE --executor shell\n' }));
    expect(codes(glrt, 'RF919').map((f) => [f.received, f.fix])).toEqual([['--token', 'pin gitlab-runner 15.11.0 or later where install.sh installs it']]);
  });

  it('15.11.0, 15.9.0, or --registration-token beside it: no RF919 for the token; 15.9.0 proves the manager as 15.11.0 does', () => {
    expect(codes(doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot('15.11.0') })), 'RF919')).toEqual([]);
    expect(codes(doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot('15.9.0') })), 'RF919')).toEqual([]);
    expect(codes(doctor(files({ 'boot.sh': boot('15.10.1', ' --registration-token "$REG"') })), 'RF919')).toEqual([]);
    // A token that is no glrt- one, written out: 15.10 verifies it, as earlier releases do.
    expect(codes(doctor(files({ 'boot.sh': 'yum install -y gitlab-runner-15.10.1\ngitlab-runner register --non-interactive --url https://g.example.com --token legacy-runner-token --executor shell\n' })), 'RF919')).toEqual([]);
    expect(doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot('15.9.0') })).proofs.length).toBe(doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot('15.11.0') })).proofs.length);
  });

  it("the runner's GitLab settings beside --token: refused from 15.11 (and without a pin), ignored before (the token is verified, askRunner returns first)", () => {
    const tags = ' --tag-list docker';
    expect(codes(doctor(files({ 'boot.sh': boot('15.11.0', tags) })), 'RF919').map((f) => f.received)).toEqual(['--tag-list=docker']);
    expect(codes(doctor(files({ 'boot.sh': `${REGISTER}${tags}\n` })), 'RF919').map((f) => f.received)).toEqual(['--tag-list=docker']);
    expect(codes(doctor(files({ 'boot.sh': boot('15.9.0', tags) })), 'RF919')).toEqual([]);
    expect(codes(doctor(files({ 'boot.sh': boot('11.3.1', ' --locked=false') })), 'RF919')).toEqual([]);
    // 15.10: the token is refused first; the settings are never reached.
    expect(codes(doctor(files({ 'boot.sh': boot('15.10.1', tags) })), 'RF919').map((f) => f.received)).toEqual(['--token']);
  });
});
