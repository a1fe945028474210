import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';
import { registerConfig } from '../src/doctor/register-config.js';
import { assignedInForce } from '../src/doctor/shell-vars.js';
import { nearestRegisterFlag, REGISTER_BOOLEAN_FLAGS, REGISTER_FLAGS } from '../src/doctor/register-flags.js';
import { REGISTER_BOOL_POINTER_FLAGS, REGISTER_LONG_FLAGS, REGISTER_SHORT_FLAGS } from '../src/doctor/register-flags-data.js';

/**
 * Every flag `gitlab-runner register` defines (generated from gitlab-runner 19.4.0's struct tags,
 * src/doctor/register-flags-data.ts), what it does with one it does not define (urfave/cli v1.22.17
 * over Go's flag package: "flag provided but not defined", exit 1: RF919), and its short names and
 * aliases (`-n`, `-name`).
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string, path = 'boot.sh') => registerCommands(path, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const REGISTER = 'gitlab-runner register --non-interactive --url https://g.example.com --token "$TOKEN" --executor docker --docker-image alpine';
const rf919 = (boot: string, path = 'boot.sh') => doctor(files({ [path]: boot })).findings.filter((f) => f.code === 'RF919');
const MANAGER = `resource "aws_iam_role" "r" {\n  name = "runner"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\nresource "aws_iam_instance_profile" "r" {\n  name = "runner"\n  role = aws_iam_role.r.name\n}\nresource "aws_launch_template" "r" {\n  name = "runner"\n  iam_instance_profile { name = aws_iam_instance_profile.r.name }\n  metadata_options {\n    http_tokens = "required"\n    http_put_response_hop_limit = 1\n  }\n  user_data = filebase64("\${path.module}/boot.sh")\n}\n`;

describe('the flags register defines (generated from gitlab-runner 19.4.0)', () => {
  it('360 long names, none twice, with the namespaced, underscored and nested ones; the short names and urfave/cli\'s help flag', () => {
    expect(REGISTER_LONG_FLAGS.length).toBe(360);
    expect(new Set(REGISTER_LONG_FLAGS).size).toBe(360);
    for (const name of ['url', 'token', 'registration-token', 'executor', 'description', 'tag-list', 'template-config', 'docker-privileged', 'docker-services_privileged', 'cache-s3-authentication_type', 'kubernetes-host_aliases', 'custom_build_dir-enabled', 'machine-machine-options', 'feature-flags', 'c', 'n', 'r', 'u', 't', 'name', 'help', 'h']) expect(REGISTER_FLAGS.has(name), name).toBe(true);
    for (const name of ['docker-privilege', 'tag-lists', 'docker-services-privileged', 'debug', 'log-level', 'version']) expect(REGISTER_FLAGS.has(name), name).toBe(false);
    expect([...REGISTER_SHORT_FLAGS]).toEqual([['c', 'config'], ['n', 'non-interactive'], ['r', 'registration-token'], ['name', 'description'], ['u', 'url'], ['t', 'token']]);
  });

  it('booleans: the bool fields (and -n, help), not the *bool ones', () => {
    expect(REGISTER_BOOLEAN_FLAGS.has('docker-privileged') && REGISTER_BOOLEAN_FLAGS.has('n') && REGISTER_BOOLEAN_FLAGS.has('help')).toBe(true);
    expect(REGISTER_BOOL_POINTER_FLAGS).toContain('kubernetes-privileged');
    for (const name of REGISTER_BOOL_POINTER_FLAGS) expect(REGISTER_BOOLEAN_FLAGS.has(name), name).toBe(false);
  });

  it('the nearest defined flag: a typo, an underscore written as a dash; none for a name far from every flag', () => {
    expect(nearestRegisterFlag('docker-privilege')).toBe('docker-privileged');
    expect(nearestRegisterFlag('tag-lists')).toBe('tag-list');
    expect(nearestRegisterFlag('docker-services-privileged')).toBe('docker-services_privileged');
    expect(nearestRegisterFlag('docker-privilged')).toBe('docker-privileged');
    expect(nearestRegisterFlag('zzzzzzzzzzzz')).toBeUndefined();
  });
});

describe('a flag register does not define (RF919): "flag provided but not defined", exit 1 before registering', () => {
  it('--docker-privilege: RF919 at the flag, "did you mean --docker-privileged?"; not read as privileged; the manager is not proven', () => {
    const boot = `${REGISTER} --docker-privilege\n`;
    const r = doctor(files({ 'main.tf': MANAGER, 'boot.sh': boot }));
    const hits = r.findings.filter((f) => f.code === 'RF919');
    expect(hits.map((f) => [f.path, f.severity, f.received])).toEqual([[`boot.sh:1:${REGISTER.length + 2}`, 'error', '--docker-privilege']]);
    expect(hits[0]!.message).toContain('flag provided but not defined: -docker-privilege');
    expect(hits[0]!.message).toContain('exits 1 before registering');
    expect(hits[0]!.fix).toBe('did you mean --docker-privileged? write it so, or remove --docker-privilege');
    expect(r.findings.filter((f) => f.code === 'RF301')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('refuses its flags at boot (RF919');
    expect(r.proofs).toEqual([]);
    expect(r.exitCode).toBe(1);
  });

  it('--tag-lists: did you mean --tag-list?; a name far from every flag: remove it', () => {
    expect(rf919(`${REGISTER} --tag-lists docker\n`).map((f) => f.fix)).toEqual(['did you mean --tag-list? write it so, or remove --tag-lists']);
    expect(rf919(`${REGISTER} --zzzzzzzzzzzz 1\n`).map((f) => f.fix)).toEqual(['remove --zzzzzzzzzzzz, or write a flag `gitlab-runner register --help` lists']);
  });

  it('written before defined flags: urfave/cli moves the defined ones before it, so they are read and it ends them', () => {
    const boot = 'gitlab-runner register --tag-lists docker --url https://g.example.com --executor shell\n';
    expect(flags(boot)).toEqual([['url=https://g.example.com', 'executor=shell', 'tag-lists']]);
    expect(rf919(boot).map((f) => f.path)).toEqual(['boot.sh:1:24']);
  });

  it('right after a boolean flag: reached, RF919; as the value of a flag that takes one: a value, no finding', () => {
    expect(rf919('gitlab-runner register --non-interactive --tag-lists docker --url https://g.example.com\n').map((f) => f.received)).toEqual(['--tag-lists']);
    expect(rf919('gitlab-runner register --docker-image --docker-privilege --executor docker\n')).toEqual([]);
  });

  it('after a word that stops the flags (`--locked false`): never reached, no RF919 (RF927 names it)', () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register --url https://g.example.com --locked false --tag-lists docker\n' }));
    expect(r.findings.filter((f) => f.code === 'RF919')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF927')?.message).toContain('--tag-lists');
  });

  it('only a literal name of a certain `gitlab-runner register`: not a name from a variable, not unregister/verify, not a comment, not documentation', () => {
    expect(rf919('gitlab-runner register --url https://g.example.com --docker-${OPTION} x --$FLAG y $EXTRA_FLAGS\n')).toEqual([]);
    expect(rf919('gitlab-runner unregister --all-runners --typo\ngitlab-runner verify --delete --typo\n')).toEqual([]);
    expect(rf919('# gitlab-runner register --url https://g.example.com --docker-privilege\n')).toEqual([]);
    expect(rf919('gitlab-runner register --url https://g.example.com --docker-privilege\n', 'README.md')).toEqual([]);
  });

  it('every defined flag, its short name and help: no RF919', () => {
    const all = REGISTER_LONG_FLAGS.map((f) => `--${f}=x`).join(' ');
    expect(rf919(`gitlab-runner register ${all}\n`)).toEqual([]);
    expect(rf919('gitlab-runner register -n -c /etc/gitlab-runner/config.toml -u https://g.example.com -t "$T" -name ci-1 --help -h\n')).toEqual([]);
  });
});

describe('short names and aliases, from the source (`short:` tags)', () => {
  it('-name and --name are --description (RunnerSettings.Name: short:"name" long:"description"): the runner\'s name', () => {
    expect(flags('gitlab-runner register -name ci-1 --name=ci-2 -n -u https://g.example.com\n')).toEqual([['description=ci-1', 'description=ci-2', 'non-interactive', 'url=https://g.example.com']]);
    const script = 'gitlab-runner register -n -u https://g.example.com -t "$TOKEN" --executor shell -name ci-7\n';
    const [c] = registerCommands('boot.sh', script);
    expect((registerConfig(c!, assignedInForce(script, c!.at)).toml.runners as Record<string, unknown>[])[0]).toMatchObject({ name: 'ci-7' });
  });

  it('-n is boolean: the word after it stops the flags (RF927), as after --non-interactive', () => {
    const r = doctor(files({ 'boot.sh': 'gitlab-runner register -n true --url https://g.example.com --token "$T"\n' }));
    expect(r.findings.find((f) => f.code === 'RF927')?.message).toContain("the boolean flag -n (register's --non-interactive) takes a value only as -n=value");
  });
});

describe('a flag is named in a message as the command writes it (register\'s long name beside it where that says what it is)', () => {
  const said = (boot: string, code: string, tf?: string) => doctor(files({ 'boot.sh': boot, ...(tf !== undefined ? { 'main.tf': tf } : {}) })).findings.filter((f) => f.code === code).map((f) => [f.message, f.fix]);
  it('RF927: the flags not set after the stop, -name as written (not --description)', () => {
    const [[message, fix]] = said('gitlab-runner register --url https://g.example.com -t "$T" -n false -name ci-1 --executor shell\n', 'RF927') as [[string, string]];
    expect(message).toContain("the boolean flag -n (register's --non-interactive) takes a value only as -n=value, so urfave/cli keeps `false` right after it and Go's flag parsing stops at that word; -name, --executor after it are not set");
    expect(message).not.toContain('--description');
    expect(fix).toBe('write -n=false');
  });
  it('RF912: -r, with what it is', () => {
    expect(said('gitlab-runner register --url https://g.example.com -r "$REG" --executor shell\n', 'RF912')).toEqual([[expect.stringMatching(/^gitlab-runner register -r \(register's --registration-token\): the registration-token flow is /), expect.any(String)]]);
  });
  it('RF919: a GitLab setting after -t, and a flag register does not define, with one dash as written', () => {
    expect(said('gitlab-runner register --url https://g.example.com -t glrt-FAKE0000000000000000 -paused\n', 'RF919')).toEqual([[expect.stringMatching(/^gitlab-runner register -t … -paused: with a runner authentication token/), expect.stringMatching(/^remove -paused from the command/)]]);
    expect(said('gitlab-runner register --url https://g.example.com -t "$T" -docker-privilege\n', 'RF919')).toEqual([[expect.stringMatching(/^gitlab-runner register knows no flag -docker-privilege: /), 'did you mean --docker-privileged? write it so, or remove -docker-privilege']]);
  });
  it('RF301 and RF906 of a manager that registers at boot: the flag as written', () => {
    const boot = 'gitlab-runner register -n -u https://g.example.com -t "$T" --executor docker -docker-image "$IMAGE" -docker-privileged\n';
    expect(said(boot, 'RF301', MANAGER).map(([m]) => m)).toContainEqual(expect.stringMatching(/^gitlab-runner register -docker-privileged: every job runs privileged/));
    expect(said(boot, 'RF906', MANAGER).map(([m]) => m)).toEqual([expect.stringContaining('its -docker-image "$IMAGE" is known only at boot')]);
  });
  it('the passing twin: flags written long are named as before', () => {
    expect(said('gitlab-runner register --url https://g.example.com --registration-token "$REG" --executor shell\n', 'RF912')).toEqual([[expect.stringMatching(/^gitlab-runner register --registration-token: the registration-token flow is /), expect.any(String)]]);
  });
});

describe('*bool flags (open question: the golang-cli-helpers version gitlab-runner pins was not obtainable)', () => {
  it('today\'s reading kept: the word after a *bool flag is its value, and does not stop the flags', () => {
    expect(flags('gitlab-runner register --kubernetes-privileged true --executor kubernetes\n')).toEqual([['kubernetes-privileged=true', 'executor=kubernetes']]);
    expect(doctor(files({ 'boot.sh': 'gitlab-runner register --docker-services_privileged false --url https://g.example.com\n' })).findings.filter((f) => f.code === 'RF927' || f.code === 'RF919')).toEqual([]);
  });
});
