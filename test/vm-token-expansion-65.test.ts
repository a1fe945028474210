import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { RUNNER_VERSION } from '../src/platforms/aws-vm/common.js';
import { TOKEN_EXPANSION_SINCE, unexpandedTokens } from '../src/platforms/aws-vm/user-data.js';
import { readLineOf } from '../src/doctor/user-data-place.js';
import { damagedFiles, exampleFiles } from './helpers/fleet.js';

/**
 * A VM manager's config.toml says `token = "$CI_SERVER_TOKEN"` and its systemd unit reads the token
 * into that variable (EnvironmentFile). gitlab-runner expands variables in config.toml's token only
 * from 18.10.0 (its CHANGELOG: MR !6068; common/config.go loadConfig calls os.ExpandEnv on token and
 * url, absent at tag v18.9.0). The VM managers installed 18.9.0, the chart's appVersion, so each would
 * have asked GitLab for jobs with the text "$CI_SERVER_TOKEN" (found by a new user's review, 65e).
 * RF723 now checks the documents; plan installs 18.10.1.
 */
const VM = ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler'] as const;
const version = (v: string) => v.split('.').map(Number);
const atLeast = (v: string, since: readonly number[]) => {
  const a = version(v);
  for (let i = 0; i < 3; i++) if (a[i] !== since[i]) return a[i]! > since[i]!;
  return true;
};

describe('VM managers: the token variable in config.toml is one gitlab-runner expands', () => {
  it('the version installed on VMs expands it (18.10.0 or later)', () => {
    expect(atLeast(RUNNER_VERSION, TOKEN_EXPANSION_SINCE)).toBe(true);
    expect(atLeast('18.9.0', TOKEN_EXPANSION_SINCE)).toBe(false);
  });

  it.each(VM)('%s: the generated user data writes the variable, pins the version, and raises no RF723', (example) => {
    const files = exampleFiles(example);
    const script = files.find((f) => /^ec2\/[^/]+\/user-data\.sh$/.test(f.path))!.content;
    expect(script).toContain('token = "$CI_SERVER_TOKEN"');
    expect(script).toContain(`RUNNER_VERSION='${RUNNER_VERSION}'`);
    expect(unexpandedTokens(script)).toEqual([]);
    // The same script with the release before: the token line is named.
    const old = unexpandedTokens(script.replace(`RUNNER_VERSION='${RUNNER_VERSION}'`, "RUNNER_VERSION='18.9.0'"));
    expect(old).toEqual([{ line: script.split('\n').findIndex((l) => l.trim() === 'token = "$CI_SERVER_TOKEN"') + 1, written: '$CI_SERVER_TOKEN', version: '18.9.0' }]);
  });

  it.each(VM)('%s: the generated root with gitlab-runner 18.9.0 in its launch template is RF723 (the rule reads the documents)', (example) => {
    const codes = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF723');
    const good = doctor(exampleFiles(example).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
    expect(codes(good)).toEqual([]);
    const files = damagedFiles(example, 'terraform/aws/main.tf.json', (root) => {
      const managers = Object.values(root.resource.aws_launch_template ?? {}).filter((lt) => Buffer.from(String(lt.user_data), 'base64').toString('utf8').startsWith('#!'));
      expect(managers.length).toBeGreaterThan(0);
      for (const lt of managers) {
        const text = Buffer.from(String(lt.user_data), 'base64').toString('utf8');
        expect(text).toContain(`RUNNER_VERSION='${RUNNER_VERSION}'`);
        lt.user_data = Buffer.from(text.replace(`RUNNER_VERSION='${RUNNER_VERSION}'`, "RUNNER_VERSION='18.9.0'")).toString('base64');
      }
    });
    const bad = codes(doctor(files));
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]!.message).toContain('installs gitlab-runner 18.9.0, which sends that text as the token');
    expect(bad[0]!.allowed).toBe('gitlab-runner 18.10.0 or later');
  });
});

describe('unexpandedTokens: what a boot script shows', () => {
  const script = (install: string, heredoc: string, token = '$CI_SERVER_TOKEN') =>
    ['#!/bin/bash', 'set -euo pipefail', 'V=18.9.0', install, `cat > /etc/gitlab-runner/config.toml ${heredoc}`, 'concurrent = 2', '[[runners]]', '  name = "a"', `  token = "${token}"`, '  executor = "docker"', 'TOML', 'systemctl restart gitlab-runner'].join('\n');
  it.each([
    ['dnf pin', 'dnf install -y gitlab-runner-18.9.0-1', "<<'TOML'", 1],
    ['apt pin', 'apt-get install -y gitlab-runner=18.9.0-1 docker.io', "<<'TOML'", 1],
    ['pin through a variable', 'yum install -y "gitlab-runner-${V}-1"', '<<"TOML"', 1],
    ['a .deb of the version', 'curl -LO https://gitlab-runner-downloads.s3.amazonaws.com/v18.9.0/deb/gitlab-runner_18.9.0_amd64.deb', '<<\\TOML', 1],
    ['the binary from the download bucket', 'curl -L -o /usr/local/bin/gitlab-runner https://gitlab-runner-downloads.s3.amazonaws.com/v18.9.0/binaries/gitlab-runner-linux-amd64', "<<-'TOML'", 1],
    ['18.10.0 expands it', 'dnf install -y gitlab-runner-18.10.0-1', "<<'TOML'", 0],
    ['unpinned: the release is not known here', 'apt-get install -y gitlab-runner', "<<'TOML'", 0],
    ['a heredoc the shell expands: the file holds the value', 'dnf install -y gitlab-runner-18.9.0-1', '<<TOML', 0],
  ] as const)('%s', (_name, install, heredoc, n) => {
    const found = unexpandedTokens(script(install, heredoc));
    expect(found).toHaveLength(n);
    if (n === 1) expect(found[0]).toEqual({ line: 9, written: '$CI_SERVER_TOKEN', version: '18.9.0' });
  });
  it('${VAR} is a variable too; a literal token is not this rule (RF712 is)', () => {
    expect(unexpandedTokens(script('dnf install -y gitlab-runner-18.9.0-1', "<<'TOML'", '${RUNNER_TOKEN}'))).toHaveLength(1);
    expect(unexpandedTokens(script('dnf install -y gitlab-runner-18.9.0-1', "<<'TOML'", 'not-a-variable'))).toEqual([]);
  });
  it('a heredoc without [[runners]] is not a config.toml', () => {
    const text = script('dnf install -y gitlab-runner-18.9.0-1', "<<'TOML'").replace('[[runners]]', '[other]');
    expect(unexpandedTokens(text)).toEqual([]);
  });
});

describe('doctor: a hand-written manager on gitlab-runner 18.9.0', () => {
  const INSTANCE = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
  const run = (tf: string) => doctor([{ path: 'runner/main.tf', bytes: new TextEncoder().encode(tf) }]).findings.filter((f) => f.code === 'RF723');
  const withToken = (install: string) => {
    expect(INSTANCE).toContain('apt-get install -y gitlab-runner docker.io');
    expect(INSTANCE).toContain('      name = "docker"\n');
    return INSTANCE.replace('apt-get install -y gitlab-runner docker.io', install).replace('      name = "docker"\n', '      name = "docker"\n      token = "$CI_SERVER_TOKEN"\n');
  };
  it('is RF723 at the token line of main.tf (the config.toml the doctor reads is rewritten without indentation: found by its text)', () => {
    const tf = withToken('apt-get install -y gitlab-runner=18.9.0-1 docker.io');
    const found = run(tf);
    expect(found).toHaveLength(1);
    const line = tf.split('\n').findIndex((l) => l.includes('token = "$CI_SERVER_TOKEN"')) + 1;
    expect(found[0]!.path).toBe(`runner/main.tf:${line}:7`);
  });
  it('18.10.0 and an unpinned install are not', () => {
    expect(run(withToken('apt-get install -y gitlab-runner=18.10.0-1 docker.io'))).toEqual([]);
    expect(run(withToken('apt-get install -y gitlab-runner docker.io'))).toEqual([]);
  });
});

describe('readLineOf: a line of the part that differs', () => {
  const read = ['a', 'cat <<X', 'concurrent = 1', '[[runners]]', '  name = "x"', '  token = "$T"', 'X', 'z'].join('\n');
  const checked = ['a', 'cat <<X', '# generated', 'concurrent = 1', '', '[[runners]]', 'name = "x"', 'token = "$T"', 'X', 'z'].join('\n');
  it('is the user\'s where its text, indentation aside, stands once in each', () => {
    expect(readLineOf(read, checked, 8)).toBe(6);
    expect(readLineOf(read, checked, 7)).toBe(5);
  });
  it('is not claimed where the text stands twice or only in the checked text', () => {
    const twice = read.replace('  name = "x"', '  token = "$T"');
    expect(readLineOf(twice, checked, 8)).toBeUndefined();
    expect(readLineOf(read, checked, 3)).toBeUndefined();
    expect(readLineOf(read, checked, 5)).toBeUndefined();
  });
});
