import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { runnerPins } from '../src/doctor/runner-version.js';
import { pinsWritten, releaseBefore, versionNumbers } from '../src/platforms/aws-vm/runner-pins.js';
import { heredocSpan } from '../src/platforms/aws-vm/script-files.js';
import { unexpandedTokens } from '../src/platforms/aws-vm/user-data.js';

/**
 * The VM platforms' RF723 and the doctor read boot scripts with one set of readers (stop 66): the
 * files a script writes (script-files.ts heredocSpan, which now says which body lines the shell
 * expands, and reads a `<<\EOF` marker as quoted) and the gitlab-runner version it pins
 * (runner-pins.ts, the doctor's pin shapes, comments skipped). Each case below was read differently
 * by the two readers before.
 */
const TOML = ['concurrent = 2', '[[runners]]', '  name = "a"', '  token = "$CI_SERVER_TOKEN"', '  executor = "docker"', '  [runners.docker]', '    image = "alpine"'];
const script = (install: string[], open = "cat > /etc/gitlab-runner/config.toml <<'TOML'", body = TOML) => ['#!/bin/bash', 'set -euo pipefail', ...install, open, ...body, 'TOML', 'systemctl restart gitlab-runner'].join('\n');

describe('heredocSpan: which lines the shell expands', () => {
  it.each([
    ["<<'TOML'", false],
    ['<<"TOML"', false],
    ['<<\\TOML', false],
    ['<<-\\TOML', false],
    ['<<TOML', true],
  ] as const)('a marker %s: expanded = %s', (marker, expands) => {
    const span = heredocSpan(script([], `cat > /etc/gitlab-runner/config.toml ${marker}`), 'config.toml');
    expect(span?.body).toBe(`${TOML.join('\n')}\n`);
    expect(span?.expanded).toEqual(expands ? TOML.map((_, i) => i) : undefined);
  });
  it('an unquoted append after a quoted write: only the append\'s lines are expanded', () => {
    const text = script([], "cat > /etc/gitlab-runner/config.toml <<'TOML'", ['concurrent = 2', 'TOML', 'cat >> /etc/gitlab-runner/config.toml <<TOML', '[[runners]]', '  token = "$T"']);
    const span = heredocSpan(text, 'config.toml');
    expect(span?.body).toBe('concurrent = 2\n[[runners]]\n  token = "$T"\n');
    expect(span?.expanded).toEqual([1, 2]);
  });
});

describe('runner-pins: one reader of the version a script installs', () => {
  it('reads the pin shapes, skips comments, leaves variables to the caller', () => {
    expect(pinsWritten('dnf install -y gitlab-runner-18.9.0-1')).toEqual([{ written: '18.9.0-1' }]);
    expect(pinsWritten('# dnf install -y gitlab-runner-18.9.0-1')).toEqual([]);
    expect(pinsWritten('docker run -d gitlab/gitlab-runner:alpine-v17.1.0')).toEqual([{ written: 'v17.1.0' }]);
    expect(pinsWritten('apt-get install gitlab-runner=${v}')).toEqual([{ written: '${v}', variable: 'v' }]);
    expect(pinsWritten('dnf install gitlab-runner-helper-images-18.9.0-1')).toEqual([]);
  });
  it('versions compare as numbers', () => {
    expect(versionNumbers('v18.10.1-1')).toEqual([18, 10, 1]);
    expect(versionNumbers('latest')).toBeUndefined();
    expect(releaseBefore([18, 9, 0], [18, 10, 0])).toBe(true);
    expect(releaseBefore([18, 10, 0], [18, 10, 0])).toBe(false);
    expect(releaseBefore([19, 0, 0], [18, 10, 0])).toBe(false);
  });
  it('the doctor\'s runnerPins reads the same pins', () => {
    expect([...runnerPins('dnf install -y gitlab-runner-18.9.0-1 # gitlab-runner-17.0.0').versions]).toEqual(['18.9.0']);
    expect(runnerPins('apt-get install gitlab-runner=${v}', new Map([['v', new Set(['17.1.0'])]])).versions).toEqual(new Set(['17.1.0']));
  });
});

describe('unexpandedTokens through the shared readers', () => {
  const OLD = ['dnf install -y gitlab-runner-18.9.0-1'];
  it('finds the token line of a [[runners]] entry (line 8 of the script)', () => {
    expect(unexpandedTokens(script(OLD))).toEqual([{ line: 8, written: '$CI_SERVER_TOKEN', version: '18.9.0' }]);
  });
  it('a pin in a comment is no pin (the old reader took it)', () => {
    expect(unexpandedTokens(script(['# dnf install -y gitlab-runner-18.9.0-1', 'dnf install -y gitlab-runner']))).toEqual([]);
  });
  it('two versions pinned: which one runs is not known here, so nothing is said (the old reader took the last)', () => {
    expect(unexpandedTokens(script(['dnf install -y gitlab-runner-18.9.0-1', 'docker pull gitlab/gitlab-runner:v18.10.1']))).toEqual([]);
  });
  it('the image pin counts as an install (the old reader read packages and downloads only)', () => {
    expect(unexpandedTokens(script(['docker pull gitlab/gitlab-runner:v18.9.0']))).toHaveLength(1);
  });
  it('a token under another table is not a runner\'s token', () => {
    const body = ['[[runners]]', '  name = "a"', '  [runners.custom]', '    token = "$X"'];
    expect(unexpandedTokens(script(OLD, undefined, body))).toEqual([]);
  });
  it('a file not named config.toml is not the runner\'s configuration', () => {
    expect(unexpandedTokens(script(OLD, "cat > /tmp/template.toml <<'TOML'"))).toEqual([]);
  });
  it('the expanded part of a joined file is not read; the quoted part is', () => {
    const text = script(OLD, "cat > /etc/gitlab-runner/config.toml <<'TOML'", ['[[runners]]', '  token = "$A"', 'TOML', 'cat >> /etc/gitlab-runner/config.toml <<TOML', '[[runners]]', '  token = "$B"']);
    expect(unexpandedTokens(text).map((t) => t.written)).toEqual(['$A']);
  });
  it('a cloud-config user data: its write_files config.toml and its runcmd pin', () => {
    const cc = ['#cloud-config', 'write_files:', '  - path: /etc/gitlab-runner/config.toml', '    content: |', '      [[runners]]', '        token = "$CI_SERVER_TOKEN"', 'runcmd:', '  - dnf install -y gitlab-runner-18.9.0-1'].join('\n');
    expect(unexpandedTokens(cc)).toEqual([{ line: 6, written: '$CI_SERVER_TOKEN', version: '18.9.0' }]);
    expect(unexpandedTokens(cc.replace('18.9.0', '18.10.0'))).toEqual([]);
  });
});

describe('the doctor reads a config.toml written with <<\\EOF', () => {
  const tf = (marker: string) => `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.small"
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    cat > /etc/gitlab-runner/config.toml ${marker}
    concurrent = 1
    [[runners]]
      name = "vm"
      url = "https://gitlab.com"
      executor = "docker"
      [runners.docker]
        image = "alpine"
        privileged = true
    EOF
  EOT
}
`;
  const codes = (marker: string) => doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(tf(marker)) }]).findings.map((f) => f.code);
  it('privileged jobs in it are RF301 as with <<\'EOF\'', () => {
    expect(codes("<<'EOF'")).toContain('RF301');
    expect(codes('<<\\EOF')).toContain('RF301');
  });
});
