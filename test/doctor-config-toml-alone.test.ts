import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { exampleFiles, exampleNames } from './helpers/fleet.js';

/**
 * Issue 28c: a config.toml given without its manager (the file from a runner host). The doctor
 * checks what the file alone shows, for every [[runners]] entry, at the key: privileged jobs
 * (RF301), ways out of the job container (RF309, the chains' classification), the job service
 * account overwrite (RF107), cloud keys in [runners.machine] MachineOptions (RF940) and the
 * deprecated docker+machine executor (RF925); RF910 says what is not proven without the manager.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const alone = (toml: string, path = 'config.toml'): DoctorResult => doctor([{ path, bytes: enc(toml) }]);
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

// Placeholders the credential scan still takes for credentials (an access key id shape; a secret key by its option).
const ACCESS_KEY = 'AKIAEXAMPLE7Q2W3E4RT';
const SECRET_KEY = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12';
const AZURE_SECRET = 'abc8Q~EXAMPLEexampleEXAMPLEexample0123';

const docker = (executor: string, lines: string, machine = '') => `concurrent = 2

[[runners]]
  name = "one"
  url = "https://gitlab.example.com"
  executor = "${executor}"
  [runners.docker]
    image = "alpine:3.20"
${lines}
${machine}`;
const machine = (options: string[], driver = 'amazonec2') => `  [runners.machine]
    MachineDriver = "${driver}"
    MachineName = "ci-%s"
    MachineOptions = [${options.map((o) => JSON.stringify(o)).join(', ')}]
`;

describe('a config.toml alone: each rule fails and passes', () => {
  it.each([
    ['RF301', 'privileged Docker jobs', docker('docker', '    privileged = true'), ['config.toml:9:5']],
    ['RF309', 'the Docker socket mounted', docker('docker', '    volumes = ["/var/run/docker.sock:/var/run/docker.sock", "/cache"]'), ['config.toml:9:16']],
    ['RF309', 'the host network', docker('docker-autoscaler', '    network_mode = "host"'), ['config.toml:9:5']],
    ['RF925', 'the docker+machine executor', docker('docker+machine', '    privileged = false'), ['config.toml:6:3']],
    ['RF940', 'an AWS secret key in MachineOptions', docker('docker+machine', '    privileged = false', machine([`amazonec2-secret-key=${SECRET_KEY}`, 'amazonec2-region=us-west-1'])), ['config.toml:13:23']],
    ['RF940', 'an AWS session token in MachineOptions', docker('docker+machine', '    privileged = false', machine(['amazonec2-session-token=FwoGZXIvYXdzEXAMPLEtokenEXAMPLE'])), ['config.toml:13:23']],
    ['RF940', 'an Azure client secret in MachineOptions', docker('docker+machine', '    privileged = false', machine([`azure-client-secret=${AZURE_SECRET}`, 'azure-client-id=00000000-0000-0000-0000-000000000000'], 'azure')), ['config.toml:13:23']],
    ['RF301', 'privileged Kubernetes jobs', '[[runners]]\n  executor = "kubernetes"\n  [runners.kubernetes]\n    namespace = "ci"\n    privileged = true\n', ['config.toml:5:5']],
    ['RF107', 'jobs may pick any service account', '[[runners]]\n  executor = "kubernetes"\n  [runners.kubernetes]\n    namespace = "ci"\n    service_account_overwrite_allowed = ".*"\n', ['config.toml:5:5']],
  ])('%s: %s', (code, _what, toml, places) => {
    const r = alone(toml);
    expect(at(r, code)).toEqual(places);
    // A cloud key is said as the MachineOptions option it is (the scan alone finds some by their shape, with no option named).
    if (code === 'RF940') for (const f of r.findings.filter((x) => x.code === code)) expect(f.message).toContain('[runners.machine] MachineOptions ');
    expect(r.exitCode).toBe(r.findings.some((f) => f.severity === 'error') ? 1 : 0);
  });

  it.each([
    ['RF301', 'unprivileged Docker jobs', docker('docker', '    privileged = false')],
    ['RF309', 'a volume of its own and a read-only time zone', docker('docker', '    volumes = ["/cache", "/etc/localtime:/etc/localtime:ro"]')],
    ['RF925', 'the docker-autoscaler executor', docker('docker-autoscaler', '    privileged = false')],
    ['RF940', 'keys from the environment and an instance profile', docker('docker+machine', '    privileged = false', machine(['amazonec2-access-key=$AWS_ACCESS_KEY_ID', 'amazonec2-secret-key=${AWS_SECRET_ACCESS_KEY}', 'amazonec2-iam-instance-profile=ci-machines', 'amazonec2-region=us-west-1']))],
    ['RF940', 'the google driver (Application Default Credentials)', docker('docker+machine', '    privileged = false', machine(['google-project=example', 'google-zone=europe-west1-b'], 'google'))],
    ['RF301', 'unprivileged Kubernetes jobs', '[[runners]]\n  executor = "kubernetes"\n  [runners.kubernetes]\n    namespace = "ci"\n    privileged = false\n'],
    ['RF107', 'an empty overwrite pattern', '[[runners]]\n  executor = "kubernetes"\n  [runners.kubernetes]\n    namespace = "ci"\n    service_account_overwrite_allowed = ""\n'],
  ])('%s does not fire: %s', (code, _what, toml) => {
    expect(at(alone(toml), code)).toEqual([]);
  });

  it('every [[runners]] entry is checked, each finding at its own key and naming its entry', () => {
    const toml = `${docker('docker', '    privileged = false')}
[[runners]]
  name = "two"
  executor = "docker"
  [runners.docker]
    privileged = true
    cap_add = ["SYS_ADMIN"]

[[runners]]
  name = "three"
  executor = "docker+machine"
  [runners.docker]
    devices = ["/dev/kvm"]
${machine([`amazonec2-secret-key=${SECRET_KEY}`])}`;
    const r = alone(toml);
    expect(at(r, 'RF301')).toEqual(['config.toml:15:5']);
    expect(at(r, 'RF309').sort()).toEqual(['config.toml:16:16', 'config.toml:22:16']);
    expect(at(r, 'RF925')).toEqual(['config.toml:20:3']);
    expect(at(r, 'RF940')).toEqual(['config.toml:26:23']);
    expect(r.findings.find((f) => f.code === 'RF301')!.message).toContain('of [[runners]] entry 1');
    expect(r.findings.find((f) => f.code === 'RF925')!.message).toContain('of [[runners]] entry 2');
  });

  it('RF309 says what the chains say of the setting (one classification, dockerHostEscapes)', () => {
    const f = alone(docker('docker', '    volumes = ["/var/run/docker.sock:/var/run/docker.sock"]')).findings.find((x) => x.code === 'RF309')!;
    expect(f.message).toMatch(/^config\.toml \[runners\.docker\] volumes entry "\/var\/run\/docker\.sock:\/var\/run\/docker\.sock" bind-mounts the Docker API of the host/);
    expect(f.fix).toMatch(/^remove the bind mount/);
  });

  it('cloud keys: never shown, the fix names the keyless way, and the scan says the access key id once', () => {
    const r = alone(docker('docker+machine', '    privileged = false', machine([`amazonec2-access-key=${ACCESS_KEY}`, `amazonec2-secret-key=${SECRET_KEY}`])));
    const keys = r.findings.filter((f) => f.code === 'RF940');
    expect(keys.map((f) => f.message.split(' is written')[0])).toEqual(['an AWS access key id', 'an AWS secret access key']);
    for (const f of keys) {
      expect(f.message).toContain('(value not shown)');
      expect(f.fix).toContain('amazonec2-iam-instance-profile');
      expect(f.fix).toContain('instance profile');
    }
    const shown = JSON.stringify(r);
    expect(shown).not.toContain(ACCESS_KEY);
    expect(shown).not.toContain(SECRET_KEY);
  });

  it('the access key id written twice: one finding, the other copy named', () => {
    const toml = `[[runners]]
  executor = "docker+machine"
  environment = ["AWS_ACCESS_KEY_ID=${ACCESS_KEY}"]
  [runners.docker]
    privileged = false
${machine([`amazonec2-access-key=${ACCESS_KEY}`])}`;
    const keys = alone(toml).findings.filter((f) => f.code === 'RF940');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.message).toContain('[runners.machine] MachineOptions amazonec2-access-key');
    expect(keys[0]!.path).toBe('config.toml:9:23');
    expect(keys[0]!.message).toMatch(/the same value is also written at config\.toml:3:18/);
  });

  it('RF910 says the settings were checked alone and what is not proven without the manager', () => {
    const r = alone(docker('docker', '    privileged = false'), 'host/config.toml');
    const f = r.findings.find((x) => x.code === 'RF910')!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain('the settings of host/config.toml were checked on their own');
    expect(f.message).toContain('the identity chain is not proven');
    expect(r.exitCode).toBe(0);
  });

  it('without a config.toml, RF910 says nothing of one', () => {
    const r = doctor([{ path: 'values.yaml', bytes: enc('image: {}\n') }]);
    expect(r.findings.find((x) => x.code === 'RF910')?.message).not.toContain('checked on their own');
  });

  it('a stray config.toml beside a chain is checked alone; the chain keeps its findings', () => {
    const files = exampleFiles('ec2-docker').map((f) => ({ path: f.path, bytes: enc(f.content) }));
    const before = doctor(files);
    const r = doctor([...files, { path: 'old-host/config.toml', bytes: enc(docker('docker+machine', '    privileged = true')) }]);
    expect(at(r, 'RF925')).toEqual(['old-host/config.toml:6:3']);
    expect(at(r, 'RF301')).toEqual(['old-host/config.toml:9:5']);
    expect(r.findings.filter((f) => !f.path.startsWith('old-host/'))).toEqual(before.findings);
  });
});

/**
 * Guard (cannot fail on the code before issue 28c, which recorded it): a config.toml that joins a
 * chain (each example's synth output: chart chains by namespace, VM managers by executor and
 * folder, and the runners/<r>/config.toml copy beside a launch template's user data) gives exactly
 * the findings it gave before, none of them twice. The golden was written by the code at 14f0b9d
 * (RUNNER_FLEET_WRITE_GUARD=1).
 */
const GOLDEN = join(import.meta.dirname, 'doctor', 'config-toml-in-chain.golden.json');
describe('guard: a config.toml inside a chain gives exactly the findings it gave before', () => {
  // Each example as synth wrote it, and with its runners/<r>/config.toml files made risky (privileged
  // jobs, the Docker socket mounted): were one of them read alone too, its RF301/RF309 would be extra.
  const risky = (path: string, content: string) => (/^runners\/[^/]+\/config\.toml$/.test(path) ? content.replace(/privileged = false/g, 'privileged = true').replace('volumes = [ "/cache" ]', 'volumes = [ "/cache", "/var/run/docker.sock:/var/run/docker.sock" ]').replace('disable_cache = true', 'volumes = [ "/var/run/docker.sock:/var/run/docker.sock" ]') : content);
  const all = () => Object.fromEntries(exampleNames().flatMap((name) => [false, true].map((edit) => {
    const r = doctor(exampleFiles(name).map((f) => ({ path: f.path, bytes: enc(edit ? risky(f.path, f.content) : f.content) })));
    return [`${name}${edit ? ' (config.toml files made risky)' : ''}`, { exitCode: r.exitCode, findings: r.findings.map((f) => `${f.severity} ${f.code} ${f.path} ${f.message}`) }];
  })));
  it('every example, as synth wrote it and with its config.toml files made risky', () => {
    const got = all();
    if (process.env.RUNNER_FLEET_WRITE_GUARD === '1') writeFileSync(GOLDEN, `${JSON.stringify(got, null, 2)}\n`);
    expect(existsSync(GOLDEN)).toBe(true);
    expect(got).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });
});

describe('RF723 for a config.toml file: token = "$VAR" beside files that pin a gitlab-runner older than 18.10.0 (review 65e)', () => {
  const TOML = `concurrent = 1

[[runners]]
  name = "one"
  url = "https://gitlab.example.com"
  token = "$RUNNER_TOKEN"
  executor = "shell"
`;
  const folder = (beside: Record<string, string>, toml = TOML): DoctorResult =>
    doctor([{ path: 'runner/config.toml', bytes: enc(toml) }, ...Object.entries(beside).map(([path, text]) => ({ path, bytes: enc(text) }))]);
  const rf723 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF723');
  it.each([
    ['a Dockerfile FROM gitlab/gitlab-runner:v18.9.0', { 'runner/Dockerfile': 'FROM gitlab/gitlab-runner:v18.9.0\nCOPY config.toml /etc/gitlab-runner/config.toml\n' }, '18.9.0', 'runner/Dockerfile'],
    ['a compose file with image gitlab/gitlab-runner:alpine-v17.11.3', { 'runner/docker-compose.yml': 'services:\n  runner:\n    image: gitlab/gitlab-runner:alpine-v17.11.3\n    volumes: ["./config.toml:/etc/gitlab-runner/config.toml:ro"]\n' }, '17.11.3', 'runner/docker-compose.yml'],
    ['a script that pins the dnf package', { 'runner/install.sh': '#!/bin/bash\nset -euo pipefail\ndnf install -y gitlab-runner-18.9.0-1\ncp config.toml /etc/gitlab-runner/config.toml\n' }, '18.9.0', 'runner/install.sh'],
  ])('%s: RF723 at the token line', (_name, beside, version, file) => {
    const hit = rf723(folder(beside));
    expect(hit.map((f) => [f.path, f.received])).toEqual([['runner/config.toml:6:3', `gitlab-runner ${version}`]]);
    expect(hit[0]!.message).toContain(`token = "$RUNNER_TOKEN", and ${file} installs gitlab-runner ${version}`);
  });
  it.each([
    ['an unpinned image (latest)', { 'runner/Dockerfile': 'FROM gitlab/gitlab-runner:latest\n' }],
    ['a release that expands the token (18.10.0)', { 'runner/Dockerfile': 'FROM gitlab/gitlab-runner:v18.10.0\n' }],
    ['an unpinned package', { 'runner/install.sh': '#!/bin/bash\nset -euo pipefail\ndnf install -y gitlab-runner\n' }],
    ['an old pin in another folder', { 'other/Dockerfile': 'FROM gitlab/gitlab-runner:v18.9.0\n' }],
  ])('%s: nothing said (which release reads the file is not known, or it expands the token)', (_name, beside) => {
    expect(rf723(folder(beside))).toEqual([]);
  });
  it('a token written as itself beside an old pin: nothing said', () => {
    expect(rf723(folder({ 'runner/Dockerfile': 'FROM gitlab/gitlab-runner:v18.9.0\n' }, TOML.replace('"$RUNNER_TOKEN"', '"glrt-placeholder"')))).toEqual([]);
  });
});
