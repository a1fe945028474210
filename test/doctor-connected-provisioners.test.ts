import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * A runner manager set up by the provisioners of a null_resource (or terraform_data) whose
 * `connection` reaches an EC2 instance (public ulm0/gitlab-runner-tf: `host = self.triggers.host`,
 * the trigger `aws_instance.runner.public_ip`, and `templatefile(format("%s/files/runner.tpl",
 * path.module), …)` running `gitlab-runner register`): the commands run on that instance, so it is
 * read as the manager, as with provisioners written on the instance itself. Before, the doctor said
 * "no runner manager" (RF910). Fixtures are hand-written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));

const INSTANCE = `resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.small"
}
`;
const REGISTER = 'gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" --executor shell';

const setup = (type: string, host: string, triggers: string, lines: string[]) => `resource "${type}" "setup" {
${triggers}
  connection {
    type = "ssh"
    host = ${host}
    user = "ubuntu"
  }
  provisioner "remote-exec" {
    inline = [
${lines.map((l) => `      ${l},`).join('\n')}
    ]
  }
}
`;

const codes = (r: ReturnType<typeof doctor>) => r.findings.map((f) => f.code);
const manager = (r: ReturnType<typeof doctor>) => r.findings.find((f) => f.code === 'RF903' && f.message.startsWith('aws_instance.runner is a runner manager with the shell executor'));

describe('provisioners of a resource connected to an instance', () => {
  it('null_resource, host = self.triggers.host (ulm0\'s shape), the command from templatefile(format("%s/…", path.module)): the instance is the manager', () => {
    const r = doctor(files({
      'main.tf': INSTANCE + setup('null_resource', 'self.triggers.host', '  triggers = {\n    host = aws_instance.runner.public_ip\n  }', ['templatefile(format("%s/files/runner.tpl", path.module), {})']),
      'files/runner.tpl': `#!/bin/bash\n${REGISTER}\n`,
    }));
    expect(manager(r)).toBeDefined();
    expect(codes(r)).not.toContain('RF910');
  });

  it('terraform_data, host = aws_instance.runner.private_ip directly: the instance is the manager', () => {
    const r = doctor(files({ 'main.tf': INSTANCE + setup('terraform_data', 'aws_instance.runner.private_ip', '', [JSON.stringify(REGISTER)]) }));
    expect(manager(r)).toBeDefined();
    expect(codes(r)).not.toContain('RF910');
  });

  it('the passing twins: a host the files do not tie to an instance (a variable), or no connection, leave "no runner manager" (RF910)', () => {
    const byVariable = doctor(files({ 'main.tf': INSTANCE + setup('null_resource', 'var.runner_host', '', [JSON.stringify(REGISTER)]) + 'variable "runner_host" {\n  type = string\n}\n' }));
    expect(manager(byVariable)).toBeUndefined();
    expect(codes(byVariable)).toContain('RF910');
  });
});
