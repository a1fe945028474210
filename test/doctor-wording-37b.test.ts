import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * Wordings and names the sweep of stop 46 over public runner repositories found wrong (task 37b).
 * Each fixture is hand-written to the shape seen; none is a repository's text.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const messages = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.message);

describe('RF912 says what a glrt- token given as --registration-token does only where it applies', () => {
  const rf912 = (script: string) => messages(doctor(files({ 'boot.sh': `${script}\n` })), 'RF912');
  it('no settings flag: the deprecation alone', () => {
    const [m] = rf912('gitlab-runner register --non-interactive --url https://gitlab.example.com/ --registration-token "$REG" --executor shell');
    expect(m).toMatch(/registration-token flow is deprecated/);
    expect(m).not.toMatch(/glrt-|legacy-compatible/);
  });
  it('a literal registration token (not glrt-) with settings flags: GitLab applies them, nothing about glrt-', () => {
    const [m] = rf912('gitlab-runner register --url https://gitlab.example.com/ --registration-token GR1348941fakefakefakefake --executor shell --tag-list a,b --locked=false');
    expect(m).not.toMatch(/glrt-|legacy-compatible/);
  });
  it('a token the files do not show with settings flags: the clause as a condition, naming the flags', () => {
    const [m] = rf912('gitlab-runner register --url https://gitlab.example.com/ --registration-token "$REG" --executor shell --tag-list "$TAGS" --locked=false --run-untagged=false');
    expect(m).toMatch(/; where the token given is a runner authentication token \(glrt-\), register takes it by the legacy-compatible flow and ignores --tag-list, --locked \(the runner's settings in GitLab\)$/);
  });
  it('a glrt- token given as --registration-token with settings flags: said as a fact, the token never shown', () => {
    const token = 'glrt-fakefakefakefakefake';
    const r = doctor(files({ 'boot.sh': `gitlab-runner register --url https://gitlab.example.com/ --registration-token ${token} --executor shell --tag-list a\n` }));
    expect(messages(r, 'RF912')[0]).toMatch(/; the token given is a runner authentication token \(glrt-\), which register takes by the legacy-compatible flow: it ignores --tag-list/);
    expect(JSON.stringify(r)).not.toContain(token);
  });
});

describe('a runner name with a part only Terraform knows is not taken for the runner\'s name', () => {
  const instance = (description: string) => `variable "region" {}\nresource "aws_instance" "gitlab_runner" {\n  ami       = "ami-0123456789abcdef0"\n  user_data = <<-EOT\n    #!/bin/bash\n    gitlab-runner register --non-interactive --url https://gitlab.example.com/ --token "$T" --executor docker --docker-image alpine:3 --description "${description}"\n  EOT\n}\n`;
  const named = (r: ReturnType<typeof doctor>) => [...new Set(r.findings.flatMap((f) => [...f.message.matchAll(/\brunner ([\w.:/-]+)/g)].map((m) => m[1]!)).filter((n) => /gitlab|docker|var|region/.test(n)))];
  it('"Docker runner ${var.region}": named by its resource (gitlab_runner, as a name the shell fills in), not docker-runner-var-region', () => {
    const r = doctor(files({ 'main.tf': instance('Docker runner ${var.region}') }));
    expect(JSON.stringify(r.findings)).not.toContain('var-region');
    expect(named(r)).toEqual(['gitlab_runner']);
  });
  it('a literal description still names the runner', () => {
    const r = doctor(files({ 'main.tf': instance('Docker runner eu') }));
    expect(named(r)).toContain('docker-runner-eu');
  });
});

describe('RF904 of a ServiceAccount a script or Makefile makes with kubectl create serviceaccount', () => {
  const binding = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: runner\n  namespace: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: runner\nsubjects:\n  - kind: ServiceAccount\n    name: ci-runner\n    namespace: ci\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: ci\nrules:\n  - apiGroups: [""]\n    resources: [pods]\n    verbs: [get]\n';
  const rf904 = (extra: Record<string, string>) => messages(doctor(files({ 'rbac.yaml': binding, ...extra })), 'RF904');
  it('a Makefile whose recipe makes it from its variables, and annotates it: RF904 names both lines and says the doctor does not run them', () => {
    const make = 'NS := ci\nSA ?= ci-runner\n\nsetup:\n\tkubectl create namespace $(NS)\n\tkubectl create serviceaccount $(SA) \\\n\t\t--namespace $(NS)\n\tkubectl annotate serviceaccount $(SA) -n $(NS) example.com/role=x\n';
    const [m] = rf904({ Makefile: make });
    expect(m).toMatch(/binds service account ci\/ci-runner, which does not exist among the objects given; `kubectl create serviceaccount` at Makefile:6 makes it, a command the doctor does not run: it reads the objects given, so the ServiceAccount is not read, nor the annotations `kubectl annotate serviceaccount` gives it \(Makefile:8\)$/);
  });
  it('a shell script with kubectl create sa and no namespace: the context\'s namespace, said so', () => {
    const [m] = rf904({ 'setup.sh': '#!/bin/sh\nkubectl create sa ci-runner\n' });
    expect(m).toMatch(/`kubectl create serviceaccount` at setup\.sh:2 makes it \(in the namespace of kubectl's context, which the files do not show\), a command the doctor does not run/);
  });
  it('another namespace, another name, a commented-out command or a name the file does not set: RF904 as before', () => {
    for (const script of ['kubectl create serviceaccount ci-runner -n other\n', 'kubectl create serviceaccount other-runner -n ci\n', '# kubectl create serviceaccount ci-runner -n ci\n', 'kubectl create serviceaccount "$SA" -n ci\n']) {
      const [m] = rf904({ 'setup.sh': script });
      expect(m).toMatch(/binds service account ci\/ci-runner, which does not exist among the objects given$/);
    }
  });
  it('a folder walk reads a Makefile as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-37b-make-'));
    try {
      writeFileSync(join(dir, 'Makefile'), 'all:\n\tkubectl create serviceaccount ci-runner -n ci\n');
      writeFileSync(join(dir, 'rbac.yaml'), binding);
      const { files: walked } = await walkFiles([dir], 1 << 20);
      expect(walked.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['Makefile', 'rbac.yaml']);
      expect(messages(doctor(walked), 'RF904')[0]).toContain(`kubectl create serviceaccount\` at ${dir}/Makefile:2 makes it`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RF910 of an instance that installs gitlab-runner and never registers one', () => {
  const tf = 'resource "aws_instance" "ci" {\n  ami       = "ami-0123456789abcdef0"\n  user_data = file("${path.module}/boot.sh")\n}\n';
  const rf910 = (boot: string) => doctor(files({ 'main.tf': tf, 'boot.sh': boot })).findings.find((f) => f.code === 'RF910');
  it('a package install and gitlab-runner install, no register, no config.toml: RF910 says so at the line, with a fix to register', () => {
    const f = rf910('#!/bin/bash\ncurl -sL https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | bash\napt-get install -y gitlab-runner\ngitlab-runner start\n');
    expect(f?.message).toMatch(/; aws_instance\.ci installs gitlab-runner \(boot\.sh:3\) but registers no runner and writes no config\.toml$/);
    expect(f?.fix).toMatch(/^register the runner in the same user data/);
  });
  it('the binary made a service with gitlab-runner install: said at that line', () => {
    expect(rf910('#!/bin/bash\n# gitlab-runner install comes below\nchmod +x /usr/local/bin/gitlab-runner\ngitlab-runner install --user=gitlab-runner\n')?.message).toMatch(/aws_instance\.ci installs gitlab-runner \(boot\.sh:4\) but registers no runner/);
  });
  it('user data with nothing of gitlab-runner: RF910 as before, no such clause', () => {
    const f = rf910('#!/bin/bash\napt-get install -y nginx\n');
    expect(f?.message).not.toMatch(/installs gitlab-runner/);
    expect(f?.fix).not.toMatch(/^register the runner/);
  });
});

describe('a role of one name written once in each of several roots given together', () => {
  const role = (resource: string) => `resource "aws_iam_role" "${resource}" {\n  name               = "ci-manager"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n`;
  const call = 'module "runner" {\n  source = "../../"\n}\n';
  const rf903 = (m: Record<string, string>) => messages(doctor(files(m)), 'RF903').filter((x) => x.startsWith('role ci-manager'));
  it('two example roots calling one module: one per root, said so, not "also written" as if one deployment wrote it twice', () => {
    const r = doctor(files({ 'main.tf': role('manager'), 'examples/a/main.tf': call, 'examples/b/main.tf': call }));
    const found = r.findings.filter((f) => f.code === 'RF903' && f.message.startsWith('role ci-manager'));
    expect(found.map((f) => f.message)).toEqual(['role ci-manager is written once in each of 2 roots given together, each a deployment of its own (here, and by module.runner.aws_iam_role.manager in the other): the doctor tells IAM roles apart by their name, so the proofs read one root\'s copy for the runners of every root, and what each copy may do and who may assume it is not proven for its own root (in 2 roots of examples/: a, b)']);
    expect(found[0]!.fix).toMatch(/^give the doctor each root \(folder\) on its own to prove each copy; roots that deploy to one account cannot both create it/);
  });
  it('one root writing the role twice: "also written", as before', () => {
    expect(rf903({ 'main.tf': `${role('one')}${role('two')}` })).toEqual([
      'role ci-manager is also written by aws_iam_role.two: the doctor tells IAM roles apart by their name, so what 2 roles of one name may do and who may assume them is not proven for each (the proofs read one of them)',
      'role ci-manager is also written by aws_iam_role.one: the doctor tells IAM roles apart by their name, so what 2 roles of one name may do and who may assume them is not proven for each (the proofs read one of them)',
    ]);
  });
  // Each copy has a finding of its own: the message names the first three others and counts the rest,
  // as naming every other in each made the output grow with the square of the roots (stop 52).
  it('seven roots: each names three others and counts the rest; five roots: each names its four others', () => {
    const roots = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`env-${i + 1}/main.tf`, role('manager')]));
    const seven = rf903(roots(7));
    expect(seven).toHaveLength(7);
    expect(seven[0]).toMatch(/^role ci-manager is written once in each of 7 roots given together, each a deployment of its own \(here, and by env-2\/aws_iam_role\.manager, env-3\/aws_iam_role\.manager, env-4\/aws_iam_role\.manager and 3 more in the others\): /);
    expect(seven[6]).toMatch(/\(here, and by env-1\/aws_iam_role\.manager, env-2\/aws_iam_role\.manager, env-3\/aws_iam_role\.manager and 3 more in the others\)/);
    expect(rf903(roots(5))[4]).toMatch(/\(here, and by env-1\/aws_iam_role\.manager, env-2\/aws_iam_role\.manager, env-3\/aws_iam_role\.manager, env-4\/aws_iam_role\.manager in the others\)/);
  });
  it('one root writing the role six times: "also written by" three and 2 more', () => {
    const six = rf903({ 'main.tf': ['a', 'b', 'c', 'd', 'e', 'f'].map(role).join('') });
    // Each copy's finding names the first three of the others (a's: b, c, d; b's: a, c, d; c's: a, b, d; the rest: a, b, c).
    const listed = six.map((m) => /^role ci-manager is also written by (.*?): the doctor tells IAM roles apart/.exec(m)?.[1]).sort();
    const as = (xs: string) => `${[...xs].map((x) => `aws_iam_role.${x}`).join(', ')} and 2 more`;
    expect(listed).toEqual([as('abc'), as('abc'), as('abc'), as('abd'), as('acd'), as('bcd')]);
  });
});
