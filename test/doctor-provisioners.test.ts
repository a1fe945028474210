import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctorTexts, placeOf } from './helpers/doctor.js';

/**
 * An instance set up by its Terraform provisioners (`remote-exec` lines and scripts, `file` uploads)
 * after its user data: public jean553/simple-gitlab-runner-terraform registers its runners in a
 * remote-exec `inline` list, huynhduchuyit/terraform-azure-gitlab-runner-docker-autoscaler uploads its
 * config.toml with a `file` provisioner and moves it into place, anlcan/gitlab-runner-terraform
 * uploads a script by path and runs it. Small hand-written fixtures of those shapes.
 */
const codes = (files: Record<string, string>) => doctorTexts(files).findings.map((f) => f.code);

const instance = (provisioners: string, userData = '') => `variable "runner_token" {}
resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
${userData}${provisioners}}
`;

const REGISTER_INLINE = `  provisioner "remote-exec" {
    inline = [
      "sudo apt-get install -y gitlab-runner",
      "sudo gitlab-runner register --non-interactive --url https://gitlab.example.com --token \${var.runner_token} --executor docker --docker-image alpine:3.20",
    ]
  }
`;

describe('provisioners set up an instance: a register command or a config.toml they write makes it a runner manager', () => {
  it('a remote-exec inline register command: the instance is a manager (RF911: no instance profile), not RF910', () => {
    const got = codes({ 'main.tf': instance(REGISTER_INLINE) });
    expect(got).toContain('RF911');
    expect(got).not.toContain('RF910');
  });

  it('the same provisioner run at destroy (when = destroy), or a local-exec: no setup, no manager (RF910)', () => {
    const atDestroy = REGISTER_INLINE.replace('provisioner "remote-exec" {\n', 'provisioner "remote-exec" {\n    when = destroy\n');
    expect(codes({ 'main.tf': instance(atDestroy) })).toContain('RF910');
    const local = REGISTER_INLINE.replace('"remote-exec"', '"local-exec"').replace(/inline = \[[\s\S]*?\]/, 'command = "gitlab-runner register --non-interactive --url https://gitlab.example.com --token x --executor docker --docker-image alpine:3.20"');
    expect(codes({ 'main.tf': instance(local) })).toContain('RF910');
  });

  it('a config.toml written by a file provisioner and moved into place: the manager\'s config.toml (its runner named as it says); a file written elsewhere is none', () => {
    const toml = 'concurrent = 2\n\n[[runners]]\n  name = "docker-ci"\n  url = "https://gitlab.example.com"\n  token = "${var.runner_token}"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n';
    const file = (destination: string) => `  provisioner "file" {
    content     = <<-EOT
${toml.split('\n').map((l) => (l === '' ? '' : `      ${l}`)).join('\n')}
    EOT
    destination = "${destination}"
  }
  provisioner "remote-exec" {
    inline = ["sudo mv /tmp/config.toml /etc/gitlab-runner/config.toml"]
  }
`;
    const read = doctorTexts({ 'main.tf': instance(file('/tmp/config.toml')) }).findings;
    expect(read.find((f) => f.code === 'RF911')?.message).toContain('the manager of runner docker-ci (instance aws_instance.runner)');
    expect(read.map((f) => f.code)).not.toContain('RF910');
    expect(codes({ 'main.tf': instance(file('/tmp/notes.txt')) })).toContain('RF910');
  });

  it('a script uploaded by path (relative to the working directory) and run: read where given; not given, RF910 names it', () => {
    const steps = `  provisioner "file" {
    source      = "scripts/runner.sh"
    destination = "/tmp/runner.sh"
  }
  provisioner "remote-exec" {
    inline = ["sudo sh /tmp/runner.sh"]
  }
`;
    const script = '#!/bin/sh\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$TOKEN" --executor docker --docker-image alpine:3.20\n';
    const given = doctorTexts({ 'main.tf': instance(steps), 'scripts/runner.sh': script }).findings;
    expect(given.map((f) => f.code)).not.toContain('RF910');
    const missing = doctorTexts({ 'main.tf': instance(steps) }).findings.find((f) => f.code === 'RF910');
    expect(missing?.message).toContain(`aws_instance.runner (${placeOf('main.tf', instance(steps), '"scripts/runner.sh"')}): its provisioner "file" uploads scripts/runner.sh, which is not among the files given`);
  });

  it('user data first: a register in the user data is the manager\'s runner, the provisioner\'s a second one (RF903)', () => {
    const userData = '  user_data = <<-EOT\n    #!/bin/sh\n    gitlab-runner register --non-interactive --url https://gitlab.example.com --token ${var.runner_token} --executor docker --docker-image alpine:3.20 --name first\n  EOT\n';
    const main = instance(REGISTER_INLINE, userData);
    const f = doctorTexts({ 'main.tf': main }).findings.filter((x) => x.code === 'RF903' && x.message.includes('second `gitlab-runner register`'));
    expect(f).toHaveLength(1);
    // At the provisioner's own string, not at the resource.
    expect(f[0]!.path).toBe(placeOf('main.tf', main, 'gitlab-runner register', main.indexOf('inline')));
    expect(codes({ 'main.tf': instance('', userData) })).not.toContain('RF903');
  });

  it('the second register named by where it is written: a remote-exec line is the remote-exec provisioner of the instance, a user data line its user data', () => {
    const userData = '  user_data = <<-EOT\n    #!/bin/sh\n    gitlab-runner register --non-interactive --url https://gitlab.example.com --token ${var.runner_token} --executor docker --docker-image alpine:3.20 --name first\n  EOT\n';
    const second = (main: string) => doctorTexts({ 'main.tf': main }).findings.find((x) => x.code === 'RF903' && x.message.includes('second `gitlab-runner register`'))?.message;
    expect(second(instance(REGISTER_INLINE, userData))).toMatch(/^the remote-exec provisioner of aws_instance\.runner runs a second `gitlab-runner register`/);
    // Both in the user data: the user data's.
    const twice = userData.replace('--name first\n', '--name first\n    gitlab-runner register --non-interactive --url https://gitlab.example.com --token ${var.runner_token} --executor docker --docker-image alpine:3.20 --name second\n');
    expect(second(instance('', twice))).toMatch(/^the user data of aws_instance\.runner runs a second `gitlab-runner register`/);
  });

  it('a register flag a remote-exec line leaves unknown: RF906 names the remote-exec provisioner and its line, not the user data', () => {
    const steps = (setup: string) => `  provisioner "remote-exec" {
    inline = [
      "${setup}",
      "sudo gitlab-runner register --non-interactive --url https://gitlab.example.com --token \${var.runner_token} --executor docker --docker-image alpine:3.20 --cache-type s3 --cache-s3-bucket-name \\"$BUCKET\\"",
    ]
  }
`;
    const main = instance(steps('read -r BUCKET < /etc/bucket'));
    const f = doctorTexts({ 'main.tf': main }).findings.filter((x) => x.code === 'RF906');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain(`BUCKET is set by \`read\` in the remote-exec provisioner of aws_instance.runner at ${placeOf('main.tf', main, '"read -r BUCKET')}: this runner manager is not proven`);
    expect(f[0]!.message).not.toContain('user data');
    expect(doctorTexts({ 'main.tf': instance(steps('BUCKET=ci-cache')) }).findings.map((x) => x.code)).not.toContain('RF906');
  });
});

describe('a line of a remote-exec `script` / `scripts` file is named by that script and its provisioner, not the user data', () => {
  const USER_DATA = '  user_data = <<-EOT\n    #!/bin/sh\n    gitlab-runner register --non-interactive --url https://gitlab.example.com --token ${var.runner_token} --executor docker --docker-image alpine:3.20 --name first\n  EOT\n';
  const REGISTER = 'gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$TOKEN" --executor docker --docker-image alpine:3.20';

  it('a second register in a `script` file: "the script … of the remote-exec provisioner of aws_instance.runner", at its line in the script', () => {
    const main = instance('  provisioner "remote-exec" {\n    script = "scripts/setup.sh"\n  }\n', USER_DATA);
    const script = `#!/bin/sh\napt-get install -y gitlab-runner\n${REGISTER} --name second\n`;
    const f = doctorTexts({ 'main.tf': main, 'scripts/setup.sh': script }).findings.filter((x) => x.code === 'RF903' && x.message.includes('second `gitlab-runner register`'));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/^the script scripts\/setup\.sh of the remote-exec provisioner of aws_instance\.runner runs a second `gitlab-runner register`/);
    expect(f[0]!.path).toBe('scripts/setup.sh:3:1');
  });

  it('a register flag a line of one of its `scripts` leaves unknown: RF906 names that line of that script and its provisioner', () => {
    const main = instance('  provisioner "remote-exec" {\n    scripts = ["scripts/a.sh", "scripts/setup.sh"]\n  }\n');
    const setup = `#!/bin/sh\nread -r BUCKET < /etc/bucket\n${REGISTER} --cache-type s3 --cache-s3-bucket-name "$BUCKET"\n`;
    const f = doctorTexts({ 'main.tf': main, 'scripts/a.sh': '#!/bin/sh\necho first\n', 'scripts/setup.sh': setup }).findings.filter((x) => x.code === 'RF906');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('BUCKET is set by `read` on line 2 of the script scripts/setup.sh of the remote-exec provisioner of aws_instance.runner: this runner manager is not proven');
    expect(f[0]!.message).not.toContain('user data');
  });

  it('RF720 of a proven manager: a download piped into a shell on a line of a script file, or of an inline list, is named by its provisioner at its place; one in the user data keeps the user data\'s line', () => {
    const base = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
    const curl = '    curl -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | bash\n';
    expect(base).toContain(curl);
    const steps = '  provisioner "remote-exec" {\n    script = "setup.sh"\n  }\n  provisioner "remote-exec" {\n    inline = ["curl -L https://example.com/tools.sh | bash"]\n  }\n}';
    const main = base.replace(curl, '').replace(/ {2}EOT\n {2}\)\n\}/, (m) => `${m.slice(0, -1)}${steps}`);
    expect(main).toContain('script = "setup.sh"');
    const setup = '#!/bin/sh\necho setup\ncurl -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | bash\n';
    const f = doctorTexts({ 'main.tf': main, 'setup.sh': setup }).findings.filter((x) => x.code === 'RF720');
    expect(f.map((x) => x.path).sort()).toEqual([placeOf('main.tf', main, '"curl -L https://example.com'), 'setup.sh:3:1']);
    expect(f.find((x) => x.path === 'setup.sh:3:1')?.message).toMatch(/^the script setup\.sh of the remote-exec provisioner of aws_instance\.runner pipes a download into a shell \(line 3 of setup\.sh: curl /);
    expect(f.find((x) => x.path.startsWith('main.tf'))?.message).toMatch(/^the remote-exec provisioner of aws_instance\.runner pipes a download into a shell \(line \d+ of main\.tf: curl -L https:\/\/example\.com/);
    // The same download in the user data: the user data's, at its line there.
    const inUserData = doctorTexts({ 'main.tf': base }).findings.filter((x) => x.code === 'RF720');
    expect(inUserData.map((x) => x.path)).toEqual([placeOf('main.tf', base, 'curl -L https://packages')]);
    expect(inUserData[0]!.message).toMatch(/^the user data of aws_instance\.runner pipes a download into a shell/);
  });
});

describe('RF937: a static cloud key handed to a runner host through Terraform', () => {
  const CREDENTIALS = `  provisioner "remote-exec" {
    inline = [
      "sudo mkdir /root/.aws",
      "sudo sh -c \\"echo '[default]\\naws_access_key_id=\${var.access_key}\\naws_secret_access_key=\${var.secret_key}' > /root/.aws/credentials\\"",
    ]
  }
`;
  const vars = 'variable "access_key" {}\nvariable "secret_key" {}\nprovider "aws" {\n  access_key = var.access_key\n  secret_key = var.secret_key\n  region     = "eu-west-1"\n}\n';

  it('a remote-exec line of a runner manager writing keys from variables: one warning per key, at the key, naming it and not any value; the provider\'s own keys are no RF937', () => {
    const main = vars + instance(CREDENTIALS + REGISTER_INLINE);
    const f = doctorTexts({ 'main.tf': main }).findings.filter((x) => x.code === 'RF937');
    expect(f.map((x) => [x.severity, x.path])).toEqual([
      ['warning', placeOf('main.tf', main, 'aws_access_key_id=')],
      ['warning', placeOf('main.tf', main, 'aws_secret_access_key=')],
    ]);
    expect(f[0]!.message).toBe("aws_instance.runner: a line its remote-exec provisioner runs sets aws_access_key_id from a Terraform value (var.access_key): a static cloud key that never expires lands on the runner host, where every job that reaches the host's files can read it");
    expect(f[0]!.fix).toContain('instance profile');
  });

  it('the same lines on an instance that runs no runner: no RF937; keys from a shell variable ($KEY, not Terraform): none', () => {
    expect(codes({ 'main.tf': vars + instance(CREDENTIALS) })).not.toContain('RF937');
    const shell = CREDENTIALS.replace('${var.access_key}', '$KEY').replace('${var.secret_key}', '$SECRET');
    expect(codes({ 'main.tf': vars + instance(shell + REGISTER_INLINE) })).not.toContain('RF937');
  });

  it('in the user data of a launch template that boots a manager: at the line of the heredoc, saying it is readable from instance metadata', () => {
    const lt = (line: string) => `variable "secret" {}
variable "runner_token" {}
resource "aws_launch_template" "runner" {
  image_id  = "ami-0123456789abcdef0"
  user_data = base64encode(<<-EOT
    #!/bin/sh
    ${line}
    gitlab-runner register --non-interactive --url https://gitlab.example.com --token \${var.runner_token} --executor docker --docker-image alpine:3.20
  EOT
  )
}
`;
    const main = lt('export AWS_SECRET_ACCESS_KEY="${var.secret}"');
    const f = doctorTexts({ 'main.tf': main }).findings.filter((x) => x.code === 'RF937');
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, 'AWS_SECRET_ACCESS_KEY')]);
    expect(f[0]!.message).toContain('aws_launch_template.runner: its user data sets AWS_SECRET_ACCESS_KEY from a Terraform value (var.secret)');
    expect(f[0]!.message).toContain('readable from the instance metadata and kept in the Terraform state');
    expect(codes({ 'main.tf': lt('export AWS_REGION="eu-west-1"') })).not.toContain('RF937');
  });
});
