import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';

/**
 * A manager that registers at boot (`gitlab-runner register` in user data, cloud-init or a script
 * Terraform renders) makes its config.toml from the command's flags. Seen on five of twelve public
 * runner repositories (naciriii/terraform-ec2-gitlab-runner: --docker-privileged and the Docker socket;
 * pyranja/terraform-aws-gitlab-runner: the Docker socket): the doctor said only "no runner manager"
 * (RF910), a silent miss. The risky flags are now findings where they are written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string, path = 'boot.sh') => registerCommands(path, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));

describe('reading gitlab-runner register commands', () => {
  it('words over continued lines, quotes removed, =values, boolean flags that take no value, ${…} as written', () => {
    const text = 'sudo gitlab-runner register \\\n  --non-interactive \\\n  --url "https://gitlab.example.com/" \\\n  --docker-privileged \\\n  --docker-volumes \'/cache\' --locked=false --description "${runner name}" --executor docker\necho done --docker-privileged\n';
    expect(flags(text)).toEqual([['non-interactive', 'url=https://gitlab.example.com/', 'docker-privileged', 'docker-volumes=/cache', 'locked=false', 'description=${runner name}', 'executor=docker']]);
  });

  it('the command ends at a newline, ;, &&, |, a comment or a template directive; unregister and documentation are not commands', () => {
    expect(flags('gitlab-runner register --executor shell; echo --docker-privileged')).toEqual([['executor=shell']]);
    expect(flags('gitlab-runner register --executor shell && x --docker-privileged')).toEqual([['executor=shell']]);
    expect(flags('gitlab-runner register --executor shell # --docker-privileged')).toEqual([['executor=shell']]);
    expect(flags('gitlab-runner register --url https://g/#x --executor shell')).toEqual([['url=https://g/#x', 'executor=shell']]);
    expect(flags('gitlab-runner register --executor docker %{ if x }--docker-privileged%{ endif }')).toEqual([['executor=docker']]);
    expect(flags('gitlab-runner unregister --all-runners')).toEqual([]);
    expect(flags('gitlab-runner register --docker-privileged', 'README.md')).toEqual([]);
    expect(flags('the `gitlab-runner register`.')).toEqual([]);
    // A description that ends with the words (woodjme/autoscaling-ec2-gitlab-runners-fargate's CloudFormation): no flag, no command.
    expect(flags('    Description: Optional parameters to be passed to gitlab-runner register\n    Default: ""\n', 'template.yml')).toEqual([]);
  });

  it('a long command is read up to a bound: linear in the text', () => {
    const text = `gitlab-runner register ${'--tag-list a '.repeat(200_000)}\n`.repeat(3);
    const read = registerCommands('big.sh', text);
    expect(read).toHaveLength(3);
    // Each command reads at most 16 KiB of words, so the work is bounded by the text's length, not its square.
    expect(read[0]!.flags.length).toBeLessThan(2_000);
  });
});

describe('gitlab-ci-multi-runner, the name before 10.0', () => {
  // public gstlt/terraform-gitlab-runner: `sudo gitlab-ci-multi-runner register -n --registration-token "$GITLAB_KEY" …`.
  it('is read as register; other programs ending in -runner are not', () => {
    expect(flags('sudo gitlab-ci-multi-runner register -n --executor docker --docker-privileged')).toEqual([['non-interactive', 'executor=docker', 'docker-privileged']]);
    expect(flags('my-gitlab-ci-multi-runner register --executor docker')).toEqual([]);
    expect(flags('gitlab-ci-runner register --executor docker')).toEqual([]);
  });
  it('in an instance\'s user data it makes the instance a manager (RF911: no instance profile), not RF910', () => {
    const tf = 'resource "aws_instance" "ci" {\n  ami       = "ami-0123456789abcdef0"\n  user_data = <<-EOT\n    #!/bin/bash\n    sudo gitlab-ci-multi-runner register -n --url https://gitlab.example.com/ --token "$T" --executor docker --docker-privileged\n  EOT\n}\n';
    const r = doctor(files({ 'main.tf': tf }));
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.findings.filter((f) => f.code === 'RF911').map((f) => f.path)).toEqual(['main.tf:1:1']);
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['main.tf:5:110']);
  });
});

const LAUNCH_TEMPLATE = (script: string) => `resource "aws_launch_template" "runner" {\n  name      = "runner"\n  user_data = base64encode(<<-EOT\n${script}\n  EOT\n  )\n}\n`;

describe('the doctor over a manager that registers at boot', () => {
  it('--docker-privileged and the Docker socket in user data: RF301 and RF309 at the flags; the launch template is now a manager (RF911: no instance profile), not "no runner manager"', () => {
    const script = '    #!/bin/bash\n    gitlab-runner register --non-interactive --url https://gitlab.example.com/ \\\n      --token "$TOKEN" --executor docker \\\n      --docker-privileged \\\n      --docker-volumes /var/run/docker.sock:/var/run/docker.sock';
    const r = doctor(files({ 'main.tf': LAUNCH_TEMPLATE(script) }));
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['main.tf:7:7']);
    expect(r.findings.filter((f) => f.code === 'RF309').map((f) => [f.path, f.received])).toEqual([['main.tf:8:7', '/var/run/docker.sock:/var/run/docker.sock']]);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.findings.filter((f) => f.code === 'RF911').map((f) => f.path)).toEqual(['main.tf:1:1']);
    expect(r.exitCode).toBe(1);
  });

  it('a command no launch template or instance runs: RF910 says where it is and why nothing is proven', () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register --non-interactive --url https://gitlab.example.com/ --token "$TOKEN" --executor docker --docker-privileged\n' }));
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual(['boot.sh:1:111']);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toMatch(/`gitlab-runner register` \(boot\.sh:1:1\) makes a config\.toml at boot from its flags, and none of them is a manager the doctor could prove/);
  });

  it('a script Terraform renders: --docker-cap-add, --docker-devices (RF309); the registration token (RF912, a literal one RF940 too, never shown)', () => {
    const token = 'GR1348941abcdefghijklmnopqrst';
    const r = doctor(files({ 'main.tf': 'resource "aws_instance" "m" {\n  user_data = templatefile("${path.module}/boot.sh.tpl", {})\n}\n', 'boot.sh.tpl': `gitlab-runner register --registration-token ${token} --docker-cap-add SYS_ADMIN --docker-devices /dev/kvm\n` }));
    expect(r.findings.filter((f) => ['RF309', 'RF912', 'RF940'].includes(f.code)).map((f) => `${f.code} ${f.path}`).sort()).toEqual(['RF309 boot.sh.tpl:1:102', 'RF309 boot.sh.tpl:1:75', 'RF912 boot.sh.tpl:1:24', 'RF940 boot.sh.tpl:1:45']);
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it('nothing risky: no finding of these codes (privileged off, a value only apply knows, a socket not mounted, a glrt- token by --token)', () => {
    const script = '    gitlab-runner register --token "$TOKEN" --executor docker --docker-privileged=false --docker-services-privileged="${privileged}" --docker-volumes /cache';
    const r = doctor(files({ 'main.tf': LAUNCH_TEMPLATE(script), 'README.md': 'gitlab-runner register --docker-privileged --registration-token x\n' }));
    expect(r.findings.filter((f) => ['RF301', 'RF309', 'RF912'].includes(f.code))).toEqual([]);
  });
});
