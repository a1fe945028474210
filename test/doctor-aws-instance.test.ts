import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { corpusCaseFile } from './helpers/corpus-case.js';

/**
 * A runner manager on one EC2 instance (`aws_instance` with user data), as many teams write it by
 * hand: read as the launch template the VM proofs look up, named as written.
 */
const INSTANCE = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
const run = (tf: string): DoctorResult => doctor([{ path: 'runner/main.tf', bytes: new TextEncoder().encode(tf) }]);
const swap = (text: string, from: string | RegExp, to: string) => {
  expect(text).toMatch(from);
  return text.replace(from, to);
};

describe('doctor: a runner manager on an aws_instance', () => {
  it('is found and proven like a launch template (before: RF910 "no runner manager", exit 0, nothing proven)', () => {
    const r = run(INSTANCE);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.proofs.find((p) => p.claim === 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)')?.holds).toBe(true);
    expect(r.proofs.find((p) => p.claim.startsWith('only vm:instance-profile gitlab-runner-docker'))?.holds).toBe(true);
  });

  it('names the instance as written, and says each thing once (one RF715 for its root volume, none about a launch template key)', () => {
    const r = run(INSTANCE);
    const text = JSON.stringify(r.findings);
    expect(text).toContain('aws_instance.runner');
    expect(text).not.toMatch(/aws_launch_template\.|docker_manager/);
    expect(r.findings.filter((f) => f.code === 'RF715')).toHaveLength(1);
    expect(r.findings.find((f) => f.code === 'RF715')?.message).toContain('instance aws_instance.runner has a root volume');
    expect(text).not.toContain('launch template aws_instance');
    // Encrypted root volume: no RF715.
    const encrypted = swap(INSTANCE, '  metadata_options {', '  root_block_device {\n    encrypted = true\n  }\n  metadata_options {');
    expect(run(encrypted).findings.filter((f) => f.code === 'RF715')).toEqual([]);
  });

  it('IMDSv1 on the instance is RF711 and RF713, once each', () => {
    const r = run(swap(INSTANCE, /http_tokens\s+= "required"/, 'http_tokens = "optional"'));
    expect(r.findings.filter((f) => f.code === 'RF711')).toHaveLength(1);
    expect(r.findings.filter((f) => f.code === 'RF713')).toHaveLength(1);
  });

  it('metadata endpoint disabled: no IMDSv1 to reach, so no RF711; the instance profile gets no credentials, RF959 at the instance', () => {
    const disabled = swap(INSTANCE, /http_tokens\s+= "required"/, 'http_endpoint = "disabled"\n    http_tokens = "optional"');
    const r = run(disabled);
    expect(r.findings.filter((f) => f.code === 'RF711')).toEqual([]);
    const hit = r.findings.filter((f) => f.code === 'RF959');
    expect(hit.map((f) => [f.severity, f.received])).toEqual([['warning', '"disabled"']]);
    expect(hit[0]!.message).toContain('instance aws_instance.runner has metadata_options.http_endpoint = "disabled" and an instance profile');
    // Without an instance profile nothing needs the endpoint: nothing said.
    const bare = run(swap(disabled, /\n\s*iam_instance_profile\s*=\s*aws_iam_instance_profile\.runner\.name/, ''));
    expect(bare.findings.filter((f) => f.code === 'RF959' || f.code === 'RF711')).toEqual([]);
  });

  it('a script with a part only apply knows (url from a variable) is still read', () => {
    const tf = `${swap(INSTANCE, 'url = "https://gitlab.example.com"', 'url = "${var.gitlab_url}"')}\nvariable "gitlab_url" {\n  type = string\n}\n`;
    const r = run(tf);
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.findings.map((f) => f.code)).not.toContain('RF906');
  });

  it('user_data_base64 is read as it is', () => {
    const script = /user_data = \(<<-EOT\n([\s\S]*?)\n {2}EOT\n {2}\)/.exec(INSTANCE)![1]!.replace(/^ {4}/gm, '');
    const tf = swap(INSTANCE, /user_data = \(<<-EOT\n[\s\S]*?\n {2}EOT\n {2}\)/, `user_data_base64 = "${Buffer.from(`${script}\n`).toString('base64')}"`);
    const r = run(tf);
    expect([...r.chains.keys()]).toEqual(['docker']);
  });

  it('an instance without an instance profile: RF911 at the instance, as for a launch template', () => {
    const r = run(swap(INSTANCE, '  iam_instance_profile = aws_iam_instance_profile.runner.name\n', ''));
    const f = r.findings.find((x) => x.code === 'RF911');
    expect(f?.message).toContain('has no instance profile');
    // Named as written: an instance, not the launch template the doctor reads it as.
    expect(f?.message).toMatch(/\(instance aws_instance\.\w+\) has no instance profile/);
  });

  describe("the instance's security groups: vpc_security_group_ids, security_groups (names or ids), or its network interfaces' groups", () => {
    // The hand-written Fargate runner with its manager on an aws_instance: the tasks admit SSH from aws_security_group.manager.
    const FARGATE = corpusCaseFile('ecs-fargate-hand-written', 'main.tf');
    const onInstance = (groups: string, extra = '') => {
      let t = swap(FARGATE, 'resource "aws_launch_template" "manager" {\n  name_prefix            = "gitlab-runner-fargate-"\n  image_id               = "ami-0123456789abcdef0"', 'resource "aws_instance" "manager" {\n  ami                    = "ami-0123456789abcdef0"\n  subnet_id              = var.subnet_id');
      t = swap(t, '  vpc_security_group_ids = [aws_security_group.manager.id]\n', groups);
      t = swap(t, '  iam_instance_profile {\n    name = aws_iam_instance_profile.manager.name\n  }\n', '  iam_instance_profile   = aws_iam_instance_profile.manager.name\n');
      t = swap(t, 'user_data = base64encode(<<-EOT', 'user_data = (<<-EOT');
      return `${t.slice(0, t.indexOf('resource "aws_autoscaling_group"'))}${extra}`;
    };
    const ssh = (r: DoctorResult) => r.proofs.find((p) => p.claim === 'job tasks accept SSH from the manager only')?.holds;
    const rf716 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF716').map((f) => f.message);
    const eni = (groups: string) => `resource "aws_network_interface" "manager" {\n  subnet_id       = var.subnet_id\n  security_groups = ${groups}\n}\n`;
    const other = 'resource "aws_security_group" "other" {\n  name   = "other"\n  vpc_id = "vpc-0123456789abcdef0"\n}\n';
    const nic = '  network_interface {\n    network_interface_id = aws_network_interface.manager.id\n    device_index         = 0\n  }\n';

    it.each([
      ['vpc_security_group_ids (guard: read before too)', '  vpc_security_group_ids = [aws_security_group.manager.id]\n', ''],
      ['security_groups naming the group by reference to its name', '  security_groups        = [aws_security_group.manager.name]\n', ''],
      ['security_groups naming the group by its literal name', '  security_groups        = ["gitlab-runner-fargate-manager"]\n', ''],
      ['security_groups naming the group by its id', '  security_groups        = [aws_security_group.manager.id]\n', ''],
      ['a network interface whose security_groups are the manager group', nic, eni('[aws_security_group.manager.id]')],
    ])('%s: the manager is the group the tasks admit (before: RF716, a false finding)', (_what, groups, extra) => {
      const r = run(onInstance(groups, extra));
      expect([...r.chains.keys()]).toEqual(['fargate']);
      expect(rf716(r)).toEqual([]);
      expect(ssh(r)).toBe(true);
    });

    it.each([
      ['security_groups naming another group', '  security_groups        = [aws_security_group.other.id]\n', other],
      ['security_groups naming another group by its literal name', '  security_groups        = ["other"]\n', other],
      ['a network interface in another group', nic, `${other}${eni('[aws_security_group.other.id]')}`],
    ])('%s: the tasks admit a group the manager is not in (RF716)', (_what, groups, extra) => {
      const r = run(onInstance(groups, extra));
      expect(rf716(r)).toEqual(['aws_security_group.tasks has an inline ingress rule for tcp 22-22 from ${aws_security_group.manager.id}']);
      expect(ssh(r)).toBe(false);
    });

    it('a network interface not in the documents: the same findings as a launch template naming a group the documents do not have', () => {
      const r = run(onInstance('  network_interface {\n    network_interface_id = "eni-0123456789abcdef0"\n    device_index         = 0\n  }\n'));
      const lt = run(swap(FARGATE, 'vpc_security_group_ids = [aws_security_group.manager.id]', 'vpc_security_group_ids = ["sg-0123456789abcdef0"]'));
      expect(ssh(r)).toBe(false);
      expect(r.findings.map((f) => f.code).filter((c) => c === 'RF716' || c === 'RF903')).toEqual(lt.findings.map((f) => f.code).filter((c) => c === 'RF716' || c === 'RF903'));
    });
  });
});


describe('doctor: compressed user data (base64gzip), as cattle-ops/terraform-aws-gitlab-runner writes it', () => {
  const FARGATE_TF = corpusCaseFile('ecs-fargate-hand-written', 'main.tf');
  const chains = (tf: string) => [...run(tf).chains.keys()];
  const before = chains(FARGATE_TF);

  it('a launch template whose user data is base64gzip(<<-EOT … EOT) is read as base64encode() of it is', () => {
    expect(before).toHaveLength(1);
    const r = run(swap(FARGATE_TF, 'user_data = base64encode(<<-EOT', 'user_data = base64gzip(<<-EOT'));
    expect([...r.chains.keys()]).toEqual(before);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
  });

  it('and so is a script with a part only apply knows (the GitLab URL from a variable without default)', () => {
    let tf = swap(FARGATE_TF, 'user_data = base64encode(<<-EOT', 'user_data = base64gzip(<<-EOT');
    tf = `${swap(tf, 'url = "https://gitlab.com"', 'url = "${var.gitlab_url}"')}\nvariable "gitlab_url" {\n  type = string\n}\n`;
    expect(chains(tf)).toEqual(before);
  });

  it('gzip data that does not decompress is said so (RF910 names why), never a crash', () => {
    const broken = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).toString('base64');
    const r = run(swap(FARGATE_TF, /user_data = base64encode\(<<-EOT[\s\S]*?\n {2}EOT\n {2}\)/, `user_data = "${broken}"`));
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toMatch(/gzip data that does not decompress/);
  });
});

describe('doctor: a config.toml in user data that is TOML only once Terraform fills it in', () => {
  const FARGATE_TF = corpusCaseFile('ecs-fargate-hand-written', 'main.tf');
  // cattle-ops/terraform-aws-gitlab-runner writes `${tls_ca_file}` on a line of its own in [[runners]]: before
  // this, a false RF901 error "not valid TOML: illegal character in key".
  const withLine = (line: string) => `${swap(FARGATE_TF, '    [[runners]]\n', `    [[runners]]\n      ${line}\n`)}\nvariable "tls_line" {\n  type = string\n}\n`;

  it('a part only apply knows where a key goes is RF906 (not proven), not RF901', () => {
    const r = run(withLine('${var.tls_line}'));
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    const f = r.findings.find((x) => x.code === 'RF906' && /is TOML only once Terraform fills in \$\{var\.tls_line\}/.test(x.message));
    expect(f?.severity).toBe('warning');
    expect(r.chains.size).toBe(0);
  });

  it('a config.toml broken in its literal text is still RF901', () => {
    const r = run(withLine('this is = = not toml'));
    expect(r.findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([expect.stringMatching(/is not valid TOML/)]);
  });
});

describe('doctor: user data written in a local (base64encode(local.user_data)), as cattle-ops/terraform-aws-gitlab-runner writes it', () => {
  const FARGATE_TF = corpusCaseFile('ecs-fargate-hand-written', 'main.tf');
  const throughLocal = (tf: string) => {
    const m = /user_data = base64encode\((<<-EOT[\s\S]*?\n {2}EOT\n) {2}\)/.exec(tf)!;
    return `${tf.replace(m[0], 'user_data = base64encode(local.user_data)')}\nlocals {\n  user_data = ${m[1]}}\n`;
  };
  const before = [...run(FARGATE_TF).chains.keys()];

  it('is read as written in place: the same runner, the same findings', () => {
    const direct = run(FARGATE_TF);
    const viaLocal = run(throughLocal(FARGATE_TF));
    expect([...viaLocal.chains.keys()]).toEqual(before);
    // RF720 is at the line of the command, which moved with the heredoc into the local (task 29a).
    const others = (r: typeof direct) => r.findings.filter((f) => f.code !== 'RF720').map((f) => `${f.code} ${f.path}`).sort();
    expect(others(viaLocal)).toEqual(others(direct));
    const text = throughLocal(FARGATE_TF);
    const curl = text.split('\n').findIndex((l) => l.trim().startsWith('curl -fsSL -o /opt/gitlab-runner/fargate')) + 1;
    expect(viaLocal.findings.filter((f) => f.code === 'RF720').map((f) => f.path)).toEqual([`runner/main.tf:${curl}:5`]);
    expect(direct.findings.filter((f) => f.code === 'RF720').map((f) => f.path)).toEqual(['runner/main.tf:200:5']);
  });

  it('and so with a part only apply knows (the GitLab URL from a variable without default)', () => {
    const tf = `${throughLocal(swap(FARGATE_TF, 'url = "https://gitlab.com"', 'url = "${var.gitlab_url}"'))}\nvariable "gitlab_url" {\n  type = string\n}\n`;
    expect([...run(tf).chains.keys()]).toEqual(before);
  });
});

describe('doctor: the `$${…}` an instance\'s user data writes for the shell is the script\'s own text', () => {
  // Terraform renders `$${CACHE_DIR}` in a heredoc as `${CACHE_DIR}`: a shell expansion, known to the
  // evaluator as text. Before, read as a part only apply knows: RF906, then RF910 "could not be read".
  const instance = (volume: string, extra = '') => `${extra}resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = <<-EOT
    #!/bin/bash
    cat > /etc/gitlab-runner/config.toml <<EOF
    concurrent = 2
    [[runners]]
      name = "docker"
      url = "https://gitlab.example.com"
      token = "$TOKEN"
      executor = "docker"
      [runners.docker]
        image = "alpine:3.20"
        volumes = ["${volume}:/cache"]
    EOF
  EOT
}
`;
  it('a shell expansion written `$${CACHE_DIR}`: the manager is read (its runner named), no RF906 or RF910', () => {
    const r = run(instance('$${CACHE_DIR}'));
    const codes = r.findings.map((f) => f.code);
    expect(codes).not.toContain('RF906');
    expect(codes).not.toContain('RF910');
    expect(r.findings.find((f) => f.code === 'RF911')?.message).toContain('the manager of runner docker (instance aws_instance.runner)');
  });

  it('a variable without a default in the same place is still known only at apply: RF906 names it', () => {
    const r = run(instance('${var.cache_dir}', 'variable "cache_dir" {\n  type = string\n}\n'));
    expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('runners[0].docker.volumes[0]');
    expect(r.findings.map((f) => f.code)).not.toContain('RF911');
  });
});

/**
 * Issue 52d: the instance rules (RF711 IMDSv2, RF715 root volume, RF716 key pair) were said of every
 * aws_instance of the root, so a NAT instance beside the runner manager got runner findings (public
 * ppawlowski/gitlab_runner_aws). Now they are said of an instance something shows running
 * gitlab-runner: its user data or provisioners, its name or tags, its AMI, or a resource that reaches
 * it, naming GitLab or a runner.
 */
describe('doctor: instance rules only on instances that run gitlab-runner', () => {
  const nat = (name: string, tags: string, userData = '') => `
data "aws_ami" "nat" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-*-x86_64"]
  }
}
resource "aws_instance" "${name}" {
  ami               = data.aws_ami.nat.id
  instance_type     = "t3.nano"
  key_name          = "ops"
  source_dest_check = false
  tags = {
    Name = "${tags}"
  }
${userData}}
`;
  const says = (r: DoctorResult, address: string) => r.findings.filter((f) => ['RF711', 'RF715', 'RF716'].includes(f.code) && f.message.includes(address)).map((f) => f.code).sort();

  it('a NAT instance beside the manager: no RF711/RF715/RF716 of its own; the manager keeps its', () => {
    const r = run(INSTANCE + nat('nat', 'egress-nat'));
    expect(says(r, 'aws_instance.nat')).toEqual([]);
    expect(says(r, 'aws_instance.runner')).toEqual(['RF715']);
  });

  it('a NAT instance whose user data sets up forwarding (no runner in it): not said either', () => {
    const r = run(INSTANCE + nat('nat', 'egress-nat', '  user_data = "#!/bin/sh\\nsysctl -w net.ipv4.ip_forward=1\\n"\n'));
    expect(says(r, 'aws_instance.nat')).toEqual([]);
  });

  it('the failing twins: an instance whose tag or name says it is a runner is checked (RF711, RF715, RF716)', () => {
    expect(says(run(INSTANCE + nat('nat', 'gitlab-runner-spare')), 'aws_instance.nat')).toEqual(['RF711', 'RF715', 'RF716']);
    expect(says(run(INSTANCE + nat('ci_runner', 'spare')), 'aws_instance.ci_runner')).toEqual(['RF711', 'RF715', 'RF716']);
  });

  it('a root where no instance shows a runner: every instance keeps the rules (none can be told from the manager)', () => {
    // The manager is found by the config.toml beside them, and neither instance names GitLab or a runner
    // (their user data fetches a script): the doctor cannot tell which runs it, so both are checked.
    const plain = (name: string) => `resource "aws_instance" "${name}" {\n  ami = "ami-0123456789abcdef0"\n  instance_type = "t3.nano"\n  key_name = "ops"\n  user_data = "#!/bin/sh\\naws s3 cp s3://acme-setup/boot.sh - | sh\\n"\n}\n`;
    const toml = 'concurrent = 2\n[[runners]]\n  name = "docker"\n  url = "https://gitlab.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine"\n';
    const r = doctor([
      { path: 'infra/main.tf', bytes: new TextEncoder().encode(plain('box') + plain('spare')) },
      { path: 'infra/config.toml', bytes: new TextEncoder().encode(toml) },
    ]);
    expect(says(r, 'aws_instance.box')).toEqual(['RF711', 'RF715', 'RF716']);
    expect(says(r, 'aws_instance.spare')).toEqual(['RF711', 'RF715', 'RF716']);
  });

  // Issue 53d: the NAT instance's subnet, VPC and security group are the runners' (`aws_subnet.gitlab_private`):
  // the words of a network resource's name are no evidence of what the instance runs. Before, such a
  // reference in its body, or in a route that sends the subnet's traffic to it, took it for a runner's.
  const network = `resource "aws_vpc" "gitlab" {\n  cidr_block = "10.0.0.0/16"\n}\nresource "aws_subnet" "gitlab_private" {\n  vpc_id = aws_vpc.gitlab.id\n  cidr_block = "10.0.1.0/24"\n}\nresource "aws_security_group" "gitlab_nat" {\n  vpc_id = aws_vpc.gitlab.id\n}\n`;
  const inSubnet = (tags: string) => swap(nat('nat', tags), '  source_dest_check = false\n', '  source_dest_check = false\n  subnet_id = aws_subnet.gitlab_private.id\n  vpc_security_group_ids = [aws_security_group.gitlab_nat.id]\n');
  const route = `resource "aws_route_table" "gitlab_private" {\n  vpc_id = aws_vpc.gitlab.id\n}\nresource "aws_route" "egress" {\n  route_table_id = aws_route_table.gitlab_private.id\n  destination_cidr_block = "0.0.0.0/0"\n  network_interface_id = aws_instance.nat.primary_network_interface_id\n}\n`;

  it("a NAT instance in the runners' subnet and group (gitlab_private, gitlab_nat): not said (before: RF711, RF715, RF716)", () => {
    expect(says(run(INSTANCE + network + inSubnet('egress-nat')), 'aws_instance.nat')).toEqual([]);
  });

  it("a route of the runners' route table to the NAT instance is no evidence either (before: RF711, RF715, RF716)", () => {
    expect(says(run(INSTANCE + network + nat('nat', 'egress-nat') + route), 'aws_instance.nat')).toEqual([]);
  });

  it("a NAT instance placed by variables and a module's output that name GitLab: not said (before: RF711, RF715, RF716)", () => {
    const byVariable = swap(nat('nat', 'egress-nat'), '  source_dest_check = false\n', '  source_dest_check = false\n  subnet_id = var.gitlab_private_subnet_id\n  vpc_security_group_ids = [module.gitlab_network.nat_group_id]\n');
    const variable = 'variable "gitlab_private_subnet_id" {\n  type = string\n}\n';
    expect(says(run(INSTANCE + variable + byVariable), 'aws_instance.nat')).toEqual([]);
  });

  it('the failing twin: the same instance in that subnet whose tag names a runner is checked', () => {
    expect(says(run(INSTANCE + network + inSubnet('gitlab-runner-spare')), 'aws_instance.nat')).toEqual(['RF711', 'RF715', 'RF716']);
  });

  it('an instance a null_resource sets up with gitlab-runner over SSH is checked', () => {
    const bootstrap = `resource "null_resource" "bootstrap" {\n  connection {\n    host = aws_instance.box.public_ip\n  }\n  provisioner "remote-exec" {\n    inline = ["curl -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | sudo bash"]\n  }\n}\n`;
    expect(says(run(INSTANCE + nat('box', 'spare') + bootstrap), 'aws_instance.box')).toEqual(['RF711', 'RF715', 'RF716']);
  });
});
