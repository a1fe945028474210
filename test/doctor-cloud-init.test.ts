import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { heredocSpan } from '../src/platforms/aws-vm/script-files.js';
import { cloudConfigCommands } from '../src/platforms/aws-vm/cloud-init.js';
import { unverifiedDownloads } from '../src/platforms/aws-vm/common.js';
import { corpusFiles } from './helpers/doctor.js';

// A manager booted by cloud-init: its config.toml written by a `write_files` entry of a #cloud-config
// user data (pyranja/terraform-aws-gitlab-runner writes its register template so). The corpus case
// ec2-docker-cloud-init-write-files is the whole runner; these are the reader's edges.
const CONFIG = 'config.toml';
const cloudConfig = (entry: string) => `#cloud-config\npackages:\n  - docker\nwrite_files:\n  - path: /etc/motd\n    content: |\n      hello\n${entry}runcmd:\n  - systemctl restart gitlab-runner\n`;

describe('a file a cloud-init user data writes (write_files)', () => {
  it('a block scalar: its text, de-indented, and the user data lines it spans', () => {
    const script = cloudConfig('  - path: /etc/gitlab-runner/config.toml\n    permissions: "0600"\n    content: |\n      concurrent = 4\n      [[runners]]\n        executor = "docker"\n');
    const span = heredocSpan(script, CONFIG);
    expect(span?.body).toBe('concurrent = 4\n[[runners]]\n  executor = "docker"\n');
    const lines = script.split('\n');
    expect(lines.slice(span!.from, span!.to).map((l) => l.trim())).toEqual(['concurrent = 4', '[[runners]]', 'executor = "docker"']);
  });

  it.each([
    ['base64 content', '  - path: /etc/gitlab-runner/config.toml\n    encoding: b64\n    content: Y29uY3VycmVudCA9IDQK\n'],
    ['a quoted content', '  - path: /etc/gitlab-runner/config.toml\n    content: "concurrent = 4\\n"\n'],
    ['a folded block', '  - path: /etc/gitlab-runner/config.toml\n    content: >\n      concurrent = 4\n'],
  ])('%s is not read (not a file whose lines are the user data\'s)', (_what, entry) => {
    expect(heredocSpan(cloudConfig(entry), CONFIG)).toBeUndefined();
  });

  it('user data that is not #cloud-config, or not valid YAML, is not read as one', () => {
    const entry = '  - path: /etc/gitlab-runner/config.toml\n    content: |\n      concurrent = 4\n';
    expect(heredocSpan(cloudConfig(entry).replace('#cloud-config', '#!/bin/bash'), CONFIG)).toBeUndefined();
    expect(heredocSpan(`${cloudConfig(entry)}  bad: [\n`, CONFIG)).toBeUndefined();
    // A shell heredoc is read as before.
    expect(heredocSpan('#!/bin/bash\ncat > /etc/gitlab-runner/config.toml <<EOF\nconcurrent = 4\nEOF\n', CONFIG)?.body).toBe('concurrent = 4\n');
  });

  it('the runner booted so is proven, and privileged jobs in that config.toml are RF301', () => {
    const dir = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-cloud-init-write-files');
    const r = doctor(corpusFiles(dir));
    expect(r.proofs.map((p) => p.holds)).toEqual([true, true, true, true, true, true, true]);
    const privileged = doctor(corpusFiles(dir).map((f) => (f.path === 'main.tf' ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace('default = false', 'default = true')) } : f)));
    expect(privileged.findings.filter((f) => f.code === 'RF301')).toHaveLength(1);
  });
});

describe('the downloads of a cloud-init user data (runcmd, bootcmd): RF720 at the user data line', () => {
  const userData = '#cloud-config\nbootcmd:\n  - echo boot\nruncmd:\n  - [bash, -c, "curl -fsSL https://get.example.com/install.sh | bash"]\n  - curl -fsSL -o /tmp/x.rpm https://dl.example.com/x.rpm\n  - |\n    dnf install -y /tmp/x.rpm\n    systemctl start x\n';
  it('commands at their lines, list items as their script', () => {
    const lines = cloudConfigCommands(userData)!.split('\n');
    expect(lines[2]).toBe('echo boot');
    expect(lines[4]).toBe('curl -fsSL https://get.example.com/install.sh | bash');
    expect(lines[5]).toBe('curl -fsSL -o /tmp/x.rpm https://dl.example.com/x.rpm');
    expect(lines.slice(7, 9)).toEqual(['dnf install -y /tmp/x.rpm', 'systemctl start x']);
  });
  it('a download piped into a shell and one never checked are RF720, with the user data\'s line numbers; no set -euo pipefail is asked', () => {
    expect(unverifiedDownloads(cloudConfigCommands(userData)!, { shell: false })).toEqual([
      'pipes a download into a shell (line 5: curl -fsSL https://get.example.com/install.sh | bash)',
      expect.stringMatching(/^downloads without checking a pinned SHA-256 \(line 6: curl -fsSL -o \/tmp\/x\.rpm/),
    ]);
  });
  it('the corpus runner checks its download against a pinned SHA-256 in the next command: no RF720; with the check removed, RF720', () => {
    const dir = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-cloud-init-write-files');
    expect(doctor(corpusFiles(dir)).findings.filter((f) => f.code === 'RF720')).toEqual([]);
    const unchecked = doctor(corpusFiles(dir).map((f) => (f.path.endsWith('.tftpl') ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace(/echo "0123[^\n]*sha256sum -c - && /, '')) } : f)));
    expect(unchecked.findings.filter((f) => f.code === 'RF720').map((f) => f.message)).toEqual([expect.stringContaining('cloud-init commands (runcmd, bootcmd) in the user data of aws_launch_template.runner downloads without checking a pinned SHA-256 (line ')]);
    // The line is the template's, where the command is written (test/doctor-user-data-place.test.ts), not the rendered text's.
    expect(unchecked.findings.find((f) => f.code === 'RF720')?.message).toContain('curl -fsSL -o /tmp/gitlab-runner.rpm');
  });
});
