import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';
import { registerConfig } from '../src/doctor/register-config.js';
import { assignedInForce } from '../src/doctor/shell-vars.js';
import { join } from 'node:path';
import { corpusFiles } from './helpers/doctor.js';

/**
 * The gaps of the `gitlab-runner register` reader (task 28b), each checked against gitlab-runner's
 * source: the parser (urfave/cli over Go's `flag` package), the `long:` tags of common/config.go and
 * cache/cacheconfig, and commands/register.go (ensureServerConfigArgsEmpty, one [[runners]] entry
 * appended per register).
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string) => registerCommands('boot.sh', text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const entry = (script: string) => {
  const [c] = registerCommands('boot.sh', script);
  return (registerConfig(c!, assignedInForce(script, c!.at)).toml.runners as Record<string, unknown>[])[0];
};
const MANAGER = () => `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;
const REGISTER = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine';

describe('a flag whose value starts with -- (Go\'s flag package takes the next word)', () => {
  it('a flag that takes a value takes the next word, --x included; a boolean flag does not; a flag register does not define is read after the defined ones (reorderArgs leaves it in place) and ends them', () => {
    expect(flags('gitlab-runner register --docker-image --docker-privileged --executor docker\n')).toEqual([['docker-image=--docker-privileged', 'executor=docker']]);
    expect(flags('gitlab-runner register --maintenance-note --paused --locked --executor docker\n')).toEqual([['maintenance-note=--paused', 'locked', 'executor=docker']]);
    expect(flags('gitlab-runner register --docker-privileged --executor docker\n')).toEqual([['docker-privileged', 'executor=docker']]);
    expect(flags('gitlab-runner register --some-new-flag --executor docker\n')).toEqual([['executor=docker', 'some-new-flag']]);
  });

  it('--docker-image --docker-privileged: no RF301 (privileged is the image name, not a flag)', () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register --token "$TOKEN" --executor docker --docker-image --docker-privileged\n' }));
    expect(r.findings.filter((f) => f.code === 'RF301')).toEqual([]);
  });
});

describe('register flags the proofs read, with their config.toml names (common/config.go long: tags)', () => {
  it('--builds-dir, --cache-dir, --output-limit; the Docker settings the job-escape check reads', () => {
    const e = entry(`${REGISTER} --builds-dir /b --cache-dir /c --output-limit 8192 --docker-network-mode host --docker-pid-mode host --docker-ipcmode host --docker-userns host --docker-device-cgroup-rules 'c 1:* rwm' --docker-volumes-from data --docker-cache-dir /dc --docker-allowed-images 'alpine:*' --docker-allowed-privileged-images docker:dind --docker-allowed-services 'postgres:*'\n`);
    expect(e).toMatchObject({ builds_dir: '/b', cache_dir: '/c', output_limit: 8192 });
    expect(e!.docker).toMatchObject({ network_mode: 'host', pid_mode: 'host', ipcmode: 'host', userns_mode: 'host', device_cgroup_rules: ['c 1:* rwm'], volumes_from: ['data'], cache_dir: '/dc', allowed_images: ['alpine:*'], allowed_privileged_images: ['docker:dind'], allowed_services: ['postgres:*'] });
  });

  it('--docker-network-mode host on a proven manager is the job-escape finding at that flag', () => {
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': `${REGISTER} --docker-network-mode host\n` }));
    const hit = r.findings.filter((f) => f.message.includes('network_mode'));
    expect(hit.map((f) => f.path)).toEqual([`boot.sh:1:${REGISTER.length + 2}`]);
  });
});

describe('a flag spelling gitlab-runner does not know (RF919): register stops at boot', () => {
  it('--docker-services-privileged: RF919 at the flag with the spelling gitlab-runner has; not honoured as privileged; the manager is not proven', () => {
    const boot = `${REGISTER} --docker-services-privileged\n`;
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    const rf919 = r.findings.filter((f) => f.code === 'RF919');
    expect(rf919.map((f) => [f.path, f.severity, f.fix])).toEqual([[`boot.sh:1:${REGISTER.length + 2}`, 'error', 'write --docker-services_privileged']]);
    expect(r.findings.filter((f) => f.code === 'RF301')).toEqual([]);
    expect(r.proofs).toEqual([]);
    expect(r.exitCode).toBe(1);
  });

  it('--cache-s3-authentication-type (dashed) too; the underscore spellings are no finding', () => {
    const bad = doctor(files({ 'boot.sh': `${REGISTER} --cache-s3-authentication-type iam\n` }));
    expect(bad.findings.filter((f) => f.code === 'RF919').map((f) => f.fix)).toEqual(['write --cache-s3-authentication_type']);
    const good = doctor(files({ 'boot.sh': `${REGISTER} --cache-s3-authentication_type iam --docker-services_privileged=false\n` }));
    expect(good.findings.filter((f) => f.code === 'RF919')).toEqual([]);
  });
});

describe("the runner's GitLab settings given to register (commands/register.go ensureServerConfigArgsEmpty)", () => {
  it('with --token: each of --tag-list, --run-untagged, --locked=false, --access-level, --paused, --maintenance-note, --maximum-timeout is RF919 at its flag (register exits with a glrt- token)', () => {
    const boot = `${REGISTER} --tag-list a,b --run-untagged --locked=false --access-level ref_protected --paused --maintenance-note hi --maximum-timeout 600\n`;
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    const rf919 = r.findings.filter((f) => f.code === 'RF919');
    expect(rf919.map((f) => f.received)).toEqual(['--tag-list=a,b', '--run-untagged', '--locked=false', '--access-level=ref_protected', '--paused', '--maintenance-note=hi', '--maximum-timeout=600']);
    expect(rf919[0]!.path).toBe(`boot.sh:1:${REGISTER.length + 2}`);
    expect(rf919[0]!.message).toContain('exits with an error');
    expect(r.proofs).toEqual([]);
  });

  it('defaults are no finding (--locked, --run-untagged=false, --paused=false, --maximum-timeout 0); with --registration-token they are sent, no RF919', () => {
    const defaults = doctor(files({ 'boot.sh': `${REGISTER} --locked --run-untagged=false --paused=false --maximum-timeout 0\n` }));
    expect(defaults.findings.filter((f) => f.code === 'RF919')).toEqual([]);
    const legacy = doctor(files({ 'boot.sh': 'gitlab-runner register --url https://g.example.com --registration-token "$REG" --executor docker --tag-list a --locked=false\n' }));
    expect(legacy.findings.filter((f) => f.code === 'RF919')).toEqual([]);
  });
});

describe("a runner's GitLab setting whose value only boot knows (--tag-list \"${TAGS:-}\")", () => {
  it('one variable alone, or with an empty default, may be empty: RF903 (not proven), not RF919; with words of its own or a non-empty default, RF919', () => {
    const maybe = doctor(files({ 'boot.sh': `${REGISTER} --tag-list "\${RUNNER_TAGS:-}" --maintenance-note $NOTE --locked=$LOCKED\n` }));
    expect(maybe.findings.filter((f) => f.code === 'RF919')).toEqual([]);
    const said = maybe.findings.filter((f) => f.code === 'RF903' && f.message.includes('known only at boot'));
    expect(said.map((f) => f.received)).toEqual(['--tag-list=${RUNNER_TAGS:-}', '--maintenance-note=$NOTE', '--locked=$LOCKED']);
    expect(said[0]!.message).toContain('(RUNNER_TAGS); when it is not empty');
    expect(said[2]!.message).toContain('(LOCKED); when it is not true');
    const never = doctor(files({ 'boot.sh': `${REGISTER} --tag-list "\${RUNNER_TAGS:-docker}" --maintenance-note "by $USER"\n` }));
    expect(never.findings.filter((f) => f.code === 'RF919').map((f) => f.received)).toEqual(['--tag-list=${RUNNER_TAGS:-docker}', '--maintenance-note=by $USER']);
  });
});

describe('a runner\'s GitLab setting that Terraform renders into the command (digio/terraform-google-gitlab-runner)', () => {
  // A startup script in a heredoc: `--tag-list "${var.ci_runner_gitlab_tags}"`, whose default is "".
  // It was RF919 "register exits with an error": true only when a caller sets tags.
  const tf = (tags: string) => `variable "tags" {\n  type    = string\n  default = ""\n}\nvariable "token" {\n  type = string\n}\nresource "google_compute_instance" "runner" {\n  name = "runner"\n  metadata_startup_script = <<EOF\n#!/bin/bash\ngitlab-runner register -n --url https://gitlab.example.com --token \${var.token} --executor docker --docker-image alpine --tag-list "${tags}"\nEOF\n}\n`;
  it('a Terraform reference alone may render empty: RF903 naming it, not RF919', () => {
    const r = doctor(files({ 'main.tf': tf('${var.tags}') }));
    expect(r.findings.filter((f) => f.code === 'RF919')).toEqual([]);
    const said = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('--tag-list'));
    expect(said.map((f) => f.message)).toEqual([expect.stringContaining('the value is what Terraform renders from var.tags; when it is not empty, register with a runner authentication token (glrt-) exits with an error')]);
  });
  it('with words of its own it is never empty: RF919', () => {
    const r = doctor(files({ 'main.tf': tf('docker,${var.tags}') }));
    expect(r.findings.filter((f) => f.code === 'RF919').map((f) => f.received)).toEqual(['--tag-list=docker,${var.tags}']);
  });
});

describe('a second runner in the same user data: never silently dropped', () => {
  it('two register commands: the first is proven, the second is RF903 at its command', () => {
    const boot = `${REGISTER}\n${REGISTER.replace('alpine', 'debian')}\n`;
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF903' && f.message.includes('second `gitlab-runner register`')).map((f) => f.path)).toEqual(['boot.sh:2:1']);
    expect(r.proofs.length).toBeGreaterThan(0);
  });

  it('a config.toml heredoc with its [[runners]], then register: RF903 says the runner register appends is not proven', () => {
    const boot = `cat > /etc/gitlab-runner/config.toml <<'EOF'\nconcurrent = 1\n[[runners]]\n  name = "a"\n  url = "https://g.example.com"\n  token = "$TOKEN"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine"\nEOF\n${REGISTER}\n`;
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF903' && f.message.includes('also runs `gitlab-runner register`')).length).toBe(1);
  });
});

const corpus = (name: string, edit: (path: string, text: string) => string): InputFile[] =>
  corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name)).map((f) => ({ path: f.path, bytes: enc(edit(f.path, new TextDecoder().decode(f.bytes))) }));

describe('what the token parameter holds, named by the flag register reads it into', () => {
  const withFlag = (flag: string) => doctor(corpus('ec2-docker-register-flags', (p, t) => (p.endsWith('user-data.sh') ? t.replace('--token "$token"', `--${flag} "$token"`) : t)));
  it('--registration-token from the SSM parameter: RF912 (once, at the flag) names the parameter as holding a legacy registration token, with the fix; the chain says so', () => {
    const r = withFlag('registration-token');
    const rf912 = r.findings.filter((f) => f.code === 'RF912');
    expect(rf912.map((f) => f.path)).toEqual([expect.stringMatching(/user-data\.sh:8:3$/)]);
    expect(rf912[0]!.message).toContain('the SSM parameter /ci/docker-ci/token that the user data passes to gitlab-runner register --registration-token holds a legacy registration token, not a runner authentication token');
    expect(rf912[0]!.fix).toContain('keep its glrt- authentication token in /ci/docker-ci/token, and register with --token');
    expect(r.chains.get('docker-ci')).toContain('token parameter /ci/docker-ci/token → gitlab-runner register --registration-token: a legacy registration token');
  });
  it('--token from the SSM parameter: no RF912; the chain names a runner authentication token', () => {
    const r = withFlag('token');
    expect(r.findings.filter((f) => f.code === 'RF912')).toEqual([]);
    expect(r.chains.get('docker-ci')).toContain('token parameter /ci/docker-ci/token → gitlab-runner register --token: the runner authentication token (glrt-)');
  });
});

describe('with a registration token register sends --locked and --access-level: the registration proof reads them', () => {
  // The Fargate corpus manager, its job role made powerful (iam:CreateRole on *), registering with a registration token.
  const REG = 'GR1348941abcdefghijklmnopqrst';
  const run = (token: string, extra: string) => doctor(corpus('ecs-fargate-register-flags', (p, t) => (p.endsWith('main.tf') ? t.replace('Action = ["ecr:GetAuthorizationToken"]', 'Action = ["ecr:GetAuthorizationToken", "iam:CreateRole"]').replace('--token "$TOKEN" \\', `--registration-token ${token} ${extra}\\`) : t)));
  const about = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => (f.code === 'RF303' || f.code === 'RF903') && f.message.includes('powerful role')).map((f) => f.code);
  it('a literal registration token, --access-level ref_protected (locked by default): no RF303, no "not shown"', () => {
    expect(about(run(REG, '--access-level ref_protected '))).toEqual([]);
  });
  it('a literal registration token without --access-level: RF303 (unprotected branches), not "not shown"', () => {
    expect(about(run(REG, ''))).toEqual(['RF303']);
  });
  it('a registration token only boot knows: RF903, saying which settings depend on what it is', () => {
    const r = run('"$TOKEN"', '--access-level ref_protected ');
    expect(about(r)).toEqual(['RF903']);
    expect(r.findings.find((f) => f.code === 'RF903' && f.message.includes('powerful role'))!.message).toContain('it registers with --registration-token from a value only boot knows');
    expect(JSON.stringify(r)).not.toContain(REG);
  });
});

describe('assignedInForce beyond one NAME=value a line: read as the shell does, or not known, never a wrong value', () => {
  const vars = (script: string) => Object.fromEntries(assignedInForce(script, script.indexOf('gitlab-runner register')));
  it('NAME+=, NAME[i]=, read, for NAME in, unset, printf -v, mapfile, let: the name is not known after them', () => {
    for (const change of ['B+=-cache', 'B[0]=x', 'read B < /etc/bucket', 'read -r B', 'for B in a b; do :; done', 'unset B', 'printf -v B "%s" x', 'mapfile -t B < f', 'let B=1']) {
      expect(vars(`B=ci\n${change}\ngitlab-runner register --executor docker\n`), change).toEqual({});
    }
  });
  it('source, . and eval may set any name: nothing before them is known', () => {
    for (const change of ['source /etc/env', '. /etc/env', 'eval "$(cat /etc/env)"']) expect(vars(`B=ci\n${change}\ngitlab-runner register\n`), change).toEqual({});
  });
  it('a quote or $(…) over several lines is one command: a NAME=value line inside it assigns nothing; a quoted value over lines is read whole', () => {
    expect(vars('X="first\nB=evil\n"\ngitlab-runner register\n')).toEqual({ X: 'first\nB=evil\n' });
    expect(vars("X='a\nB=evil'\ngitlab-runner register\n")).toEqual({ X: 'a\nB=evil' });
    expect(vars('B=ci\nX=$(echo\nB=evil\n)\ngitlab-runner register\n')).toEqual({ B: 'ci' });
    expect(vars('T=$(aws ssm get-parameter \\\n  --name x)\nB=ci\ngitlab-runner register\n')).toEqual({ B: 'ci' });
  });
  it('B=ci \\ then a command on the next line: B is that command\'s environment, not the script\'s', () => {
    expect(vars('B=ci \\\n  some-command\ngitlab-runner register\n')).toEqual({});
  });
  it('one-line if …; then B=…; fi: B not known (it may not have run); a comment with a quote opens nothing', () => {
    expect(vars('B=ci\nif [ -n "$X" ]; then B=other; fi\ngitlab-runner register\n')).toEqual({});
    expect(vars("# don't\nB=ci\ngitlab-runner register\n")).toEqual({ B: 'ci' });
  });
  it('the doctor: a bucket name appended to (B+=) is RF906 at its flag, not the value before', () => {
    const boot = `BUCKET=ci-cache\nBUCKET+=-prod\n${REGISTER} --cache-type s3 --cache-s3-bucket-name "$BUCKET"\n`;
    const r = doctor(files({ 'main.tf': MANAGER(), 'boot.sh': boot }));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => f.message.includes('--cache-s3-bucket-name "$BUCKET" is known only at boot'))).toEqual([true]);
    expect(JSON.stringify(r)).not.toContain('ci-cache/');
    expect(r.proofs).toEqual([]);
  });
});
