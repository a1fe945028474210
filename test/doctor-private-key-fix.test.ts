import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * A private key (an SSH or TLS key's PEM block) committed outside Ansible files: RF940's fix said the
 * runner token's ("remove the token … keep runner tokens in a Secret or a SecureString parameter"),
 * which neither replaces the key nor says where a key belongs. It now says to replace the key pair,
 * remove the old public key where it is trusted, and keep the new one out of the repository. The key
 * bodies are fake (not base64 of a key).
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const KEY = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAx0FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE', '-----END RSA PRIVATE KEY-----'];
const rf940 = (m: Record<string, string>, path: string) => doctor(files(m)).findings.filter((f) => f.code === 'RF940' && f.path.startsWith(`${path}:`));

describe("a committed private key's fix", () => {
  it.each([
    ['a YAML value', 'values.yaml', `ssh_key: |\n${KEY.map((l) => `  ${l}`).join('\n')}\n`],
    ['a heredoc of a shell script', 'setup.sh', `#!/bin/bash\ncat > /root/.ssh/id_rsa <<EOF\n${KEY.join('\n')}\nEOF\n`],
    ['a Terraform resource argument', 'main.tf', `resource "aws_instance" "x" {\n  ami = "ami-0123456789abcdef0"\n  connection {\n    private_key = <<-EOT\n${KEY.join('\n')}\n    EOT\n  }\n}\n`],
  ])('%s: replace the key pair and keep it out of the repository, not the token fix', (_, path, text) => {
    const [f, ...more] = rf940({ [path]: text }, path);
    expect(more).toEqual([]);
    expect(f!.message).toContain('a private key');
    expect(f!.fix).toContain('remove the private key from the repository and replace it: make a new key pair and remove the old public key');
    expect(f!.fix).not.toContain('runner tokens');
  });

  it('a Terraform variable default: sensitive without a default, and the key replaced', () => {
    const [f] = rf940({ 'variables.tf': `variable "ssh_private_key" {\n  default = <<-EOT\n${KEY.join('\n')}\n  EOT\n}\n` }, 'variables.tf');
    expect(f!.fix).toContain('declare the variable sensitive = true without a default');
    expect(f!.fix).toContain('make a new key pair');
    expect(f!.fix).not.toContain('revoke the token');
  });

  it('the passing twins: a runner token keeps the token fix; a key in an Ansible vars file keeps the Ansible Vault fix', () => {
    const [token] = rf940({ 'values.yaml': 'runnerToken: glrt-FAKEFAKEFAKEFAKEFAKE\n' }, 'values.yaml');
    expect(token!.fix).toBe('remove the token from the file and revoke it; keep runner tokens in a Secret or a SecureString parameter and reference them');
    const [ansible] = rf940({ 'group_vars/all.yml': `deploy_key: |\n${KEY.map((l) => `  ${l}`).join('\n')}\n` }, 'group_vars/all.yml');
    expect(ansible!.fix).toContain('ansible-vault encrypt_string');
  });
});
