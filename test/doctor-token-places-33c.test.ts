import { describe, expect, it } from 'vitest';
import type { DoctorResult, InputFile } from '../src/doctor/index.js';
import { doctor } from '../src/doctor/index.js';
import { doctorEdited, doctorTexts } from './helpers/doctor.js';
import { exampleFiles } from './helpers/fleet.js';
import { secretKeyNameOnLine } from '../src/verify/credentials.js';

/**
 * Issue 33c: runner tokens in more places. The legacy `kubernetes_secret` is the same resource as
 * `kubernetes_secret_v1`; a registration token (`runners_token`) given to the chart's runnerToken
 * or runnerRegistrationToken; a register command in a `.tf.json` user_data string; a `secret_key`
 * beside a Secret's name in text read line by line.
 */

const run = doctorTexts;
/** The paths of a code's findings, in the order given. */
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);
/** What the doctor says, without the words that name a resource type. */
const said = (r: DoctorResult) => ({
  findings: r.findings.map((f) => `${f.code} ${f.path} ${f.message.replace(/kubernetes_secret(_v1)?\./g, 'SECRET.')}`),
  proofs: r.proofs.map((p) => `${p.holds} ${p.claim}`),
  exitCode: r.exitCode,
});

describe('1. the legacy kubernetes_secret is read as kubernetes_secret_v1 is', () => {
  const CASE = 'test/doctor/corpus/kubernetes-provider-metadata-refs';
  const tokenLine = '    "runner-token" = var.runner_token\n';
  const legacy: [string, string][] = [
    ['resource "kubernetes_secret_v1" "runner_token"', 'resource "kubernetes_secret" "runner_token"'],
    ['secret = kubernetes_secret_v1.runner_token.metadata[0].name', 'secret = kubernetes_secret.runner_token.metadata[0].name'],
  ];
  const given = (data: string, extra: string, edits: [string, string][] = []) => doctorEdited(CASE, [[tokenLine, data], ['variable "runner_token" {', `${extra}variable "runner_token" {`], ...edits]);
  const project = 'resource "gitlab_project" "ci" {\n  name = "ci"\n}\n\n';

  it("the chart's token Secret as kubernetes_secret given a project's runners_token: RF912 at that key, as with kubernetes_secret_v1", () => {
    const data = '    "runner-registration-token" = gitlab_project.ci.runners_token\n    "runner-token"              = ""\n';
    const r = given(data, project, legacy);
    expect(at(r, 'RF912')).toEqual(['main.tf:45:35']);
    expect(r.findings.find((f) => f.code === 'RF912')!.message).toContain("gives runner-registration-token the project's registration token (gitlab_project.ci.runners_token)");
    expect(said(r)).toEqual(said(given(data, project)));
  });

  it('twin: kubernetes_secret given a gitlab_user_runner token is the registration the doctor reads, no RF912, the same as kubernetes_secret_v1', () => {
    const data = '    "runner-token" = gitlab_user_runner.ci.token\n';
    const runner = 'resource "gitlab_user_runner" "ci" {\n  runner_type = "project_type"\n  project_id  = 12\n  access_level = "ref_protected"\n  locked = true\n}\n\n';
    const r = given(data, runner, legacy);
    expect(at(r, 'RF912')).toEqual([]);
    expect(said(r)).toEqual(said(given(data, runner)));
  });

  it("generated fleets with their token Secrets as kubernetes_secret: the doctor says what it says of kubernetes_secret_v1 (the registration, the clusters by provider)", () => {
    for (const example of ['eks-irsa', 'mixed-eks-vm', 'mixed-aws-azure', 'aks-workload-identity']) {
      const files: InputFile[] = exampleFiles(example).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }));
      const renamed = files.map((f) => {
        if (!f.path.endsWith('.tf.json')) return f;
        const text = new TextDecoder().decode(f.bytes);
        const root = JSON.parse(text) as { resource?: Record<string, unknown> };
        if (!root.resource?.kubernetes_secret_v1) return f;
        root.resource.kubernetes_secret = root.resource.kubernetes_secret_v1;
        delete root.resource.kubernetes_secret_v1;
        return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(root, null, 2).replace(/\bkubernetes_secret_v1\./g, 'kubernetes_secret.')) };
      });
      expect(renamed.some((f, i) => f !== files[i])).toBe(true);
      const original = doctor(files);
      expect(said(doctor(renamed))).toEqual(said(original));
    }
  });
  it("the token rotator: a runner whose token Secret a kubernetes_secret writes is registered by Terraform, not rotated, as with kubernetes_secret_v1", () => {
    const files: InputFile[] = exampleFiles('eks-api-rotation').map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }));
    const secret = (type: string): InputFile => ({ path: 'terraform/gitlab/secret.tf', bytes: new TextEncoder().encode(`resource "${type}" "dev" {\n  metadata {\n    name      = "dev-runner-token"\n    namespace = "ci-dev"\n  }\n  data = {\n    "runner-token" = var.token\n  }\n}\n\nvariable "token" {\n  type = string\n}\n`) });
    const v1 = doctor([...files, secret('kubernetes_secret_v1')]);
    // The rotator's RoleBinding in ci-dev no longer reaches a runner it rotates (RF129).
    expect(v1.findings.filter((f) => f.code === 'RF129').map((f) => f.message)).toEqual([expect.stringMatching(/binds the token rotator's user in namespace ci-dev, where it rotates/)]);
    expect(said(doctor([...files, secret('kubernetes_secret')]))).toEqual(said(v1));
  });
});

describe("2. a group's or project's registration token given to the chart's runnerToken or runnerRegistrationToken", () => {
  const release = (name: string, rest: string) => `resource "helm_release" "${name}" {
  name       = "${name}"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.86.0"
  namespace  = "gitlab"
${rest}}
`;
  const gitlab = 'resource "gitlab_project" "p" {\n  name = "p"\n}\n\ndata "gitlab_group" "g" {\n  full_path = "g"\n}\n\nvariable "runner_token" {\n  type      = string\n  sensitive = true\n}\n\n';
  /** `main.tf:line:column` of the first `needle` after the line holding `after`. */
  const place = (tf: string, after: string, needle: string) => {
    const lines = tf.split('\n');
    const from = lines.findIndex((l) => l.includes(after));
    const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
    expect(i).toBeGreaterThanOrEqual(0);
    return `main.tf:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
  };

  it('runnerToken in yamlencode values, a set and a set_sensitive: RF912 at each reference, saying the chart hands it to register as --token and register fails', () => {
    const tf = gitlab
      + release('by-values', '  values = [yamlencode({ gitlabUrl = "https://gitlab.example.com/", runnerToken = gitlab_project.p.runners_token })]\n')
      + release('by-set', '  set {\n    name  = "runnerToken"\n    value = gitlab_project.p.runners_token\n  }\n')
      + release('by-sensitive', '  set_sensitive {\n    name  = "runnerToken"\n    value = data.gitlab_group.g.runners_token\n  }\n');
    const r = run({ 'main.tf': tf });
    expect(at(r, 'RF912').sort()).toEqual([
      place(tf, '"by-values"', 'gitlab_project.p.runners_token'),
      place(tf, '"by-set"', 'gitlab_project.p.runners_token'),
      place(tf, '"by-sensitive"', 'data.gitlab_group.g.runners_token'),
    ].sort());
    const byValues = r.findings.find((f) => f.code === 'RF912' && f.message.startsWith('helm_release.by-values: '))!;
    expect(byValues.message).toContain("runnerToken is given the project's registration token (gitlab_project.p.runners_token), where the chart expects a runner authentication token (glrt-)");
    expect(byValues.message).toContain('as CI_SERVER_TOKEN (its --token)');
    expect(byValues.message).toContain('GitLab refuses a registration token there (403), so register fails on every attempt');
    expect(byValues.severity).toBe('warning');
    expect(r.findings.find((f) => f.code === 'RF912' && f.message.startsWith('helm_release.by-sensitive: '))!.message).toContain("runnerToken is given the group's registration token (data.gitlab_group.g.runners_token)");
  });

  it('runnerToken written in a values template that templatefile() fills with a runners_token: RF912 at the template\'s line', () => {
    const tf = gitlab + release('by-template', '  values = [templatefile("${path.module}/values.yaml.tftpl", { token = gitlab_project.p.runners_token })]\n');
    const r = run({ 'main.tf': tf, 'values.yaml.tftpl': 'gitlabUrl: https://gitlab.example.com/\nrunnerToken: ${token}\n' });
    expect(at(r, 'RF912')).toEqual(['values.yaml.tftpl:2:14']);
    expect(r.findings.find((f) => f.code === 'RF912')!.message).toContain("runnerToken is given the project's registration token (gitlab_project.p.runners_token)");
  });

  it('runnerRegistrationToken given a runners_token: RF912 of the registration-token flow', () => {
    const tf = gitlab + release('legacy', '  set_sensitive {\n    name  = "runnerRegistrationToken"\n    value = gitlab_project.p.runners_token\n  }\n');
    const r = run({ 'main.tf': tf });
    expect(at(r, 'RF912')).toEqual([place(tf, '"legacy"', 'gitlab_project.p.runners_token')]);
    expect(r.findings.find((f) => f.code === 'RF912')!.message).toMatch(/^helm_release\.legacy: runnerRegistrationToken is given the project's registration token \(gitlab_project\.p\.runners_token\): the runner registers itself by the registration-token flow, deprecated by GitLab/);
  });

  it('twin: runnerToken given a variable, a gitlab_user_runner token or another attribute of the project is no RF912 (runnerRegistrationToken given a variable is, since issue 34d: the next describe)', () => {
    for (const value of ['var.runner_token', 'gitlab_user_runner.r.token', 'gitlab_project.p.id']) {
      const tf = `${gitlab}resource "gitlab_user_runner" "r" {\n  runner_type = "project_type"\n  project_id  = 1\n}\n\n${release('ok', `  values = [yamlencode({ runnerToken = ${value} })]\n  set_sensitive {\n    name  = "runnerRegistrationToken"\n    value = ${value}\n  }\n`)}`;
      // The set_sensitive's `value = var.runner_token` (a sensitive variable): RF912 for the flow there.
      const lines = tf.split('\n');
      const given = lines.findIndex((l) => l.trim() === 'value = var.runner_token');
      expect(at(run({ 'main.tf': tf }), 'RF912')).toEqual(value.startsWith('var.') ? [`main.tf:${given + 1}:${lines[given]!.indexOf('var.') + 1}`] : []);
    }
  });
});

describe('2b. runnerRegistrationToken given a variable (issue 34d): RF912 as for register --registration-token ${var.x} in user data; a value nothing marks sensitive is said to be printed by plan and apply', () => {
  const tf = (declared: string, given: string) => `variable "reg" {\n  type = string\n${declared}}\n\nresource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab-runner"\n${given}}\n`;
  const SET = '  set {\n    name  = "runnerRegistrationToken"\n    value = var.reg\n  }\n';
  const rf912 = (text: string) => run({ 'main.tf': text }).findings.filter((f) => f.code === 'RF912');

  it('a set from a variable not declared sensitive: one RF912 (warning) at the value, saying the flow and that plan and apply print the token', () => {
    const text = tf('', SET);
    const [f, ...more] = rf912(text);
    expect(more).toEqual([]);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('value = var.reg'));
    expect(f!.path).toBe(`main.tf:${line + 1}:${lines[line]!.indexOf('var.reg') + 1}`);
    expect(f!.severity).toBe('warning');
    expect(f!.message).toMatch(/^helm_release\.runner: runnerRegistrationToken is given var\.reg: the runner registers itself by the registration-token flow, deprecated by GitLab/);
    expect(f!.message).toContain('Nothing marks it sensitive (var.reg is not declared sensitive = true, and the value is not given by set_sensitive or through sensitive()), so terraform plan and apply print the token in clear');
    expect(f!.fix).toContain('declare var.reg sensitive = true');
  });

  it('the same in yamlencode values: RF912 at the reference, with the same clause', () => {
    const [f] = rf912(tf('', '  values = [yamlencode({ runnerRegistrationToken = var.reg })]\n'));
    expect(f!.message).toContain('Nothing marks it sensitive');
  });

  it('twin: marked sensitive (the variable, set_sensitive, or sensitive() in the values): RF912 for the flow alone, nothing said of plan output', () => {
    for (const text of [
      tf('  sensitive = true\n', SET),
      tf('', SET.replace('set {', 'set_sensitive {')),
      tf('', '  values = [yamlencode({ runnerRegistrationToken = sensitive(var.reg) })]\n'),
    ]) {
      const found = rf912(text);
      expect(found.map((f) => f.message.startsWith('helm_release.runner: runnerRegistrationToken is given var.reg: the runner registers itself by the registration-token flow')), text).toEqual([true]);
      expect(found[0]!.message).not.toContain('Nothing marks it sensitive');
      expect(found[0]!.fix).not.toContain('sensitive = true');
    }
  });

  it("the glrt- clause (a glrt- token in the registration flow ignores the runner's settings) only where the values set such a setting, which it names", () => {
    const settings = '  values = [yamlencode({ runners = { tags = "k8s", locked = false, name = "ci" } })]\n';
    const [f] = rf912(tf('  sensitive = true\n', SET + settings));
    expect(f!.message).toMatch(/; a glrt- token given so uses the legacy-compatible flow, which ignores the runner settings the values set \(runners\.tags, runners\.locked\)$/);
    const set = '  set {\n    name  = "runners.runUntagged"\n    value = "true"\n  }\n';
    expect(rf912(tf('  sensitive = true\n', SET + set))[0]!.message).toContain('ignores the runner settings the values set (runners.runUntagged)');
    // None set (runners.name is no GitLab setting): no clause.
    for (const given of [SET, SET + '  values = [yamlencode({ runners = { name = "ci" } })]\n']) expect(rf912(tf('  sensitive = true\n', given))[0]!.message).not.toContain('legacy-compatible');
  });
});

describe('3. a register command in a .tf.json user_data string is read as the same command in HCL', () => {
  const script = '#!/bin/bash\nset -e\ngitlab-runner register --non-interactive --url https://gitlab.example.com --registration-token ${gitlab_project.p.runners_token} --executor docker --docker-image alpine:3.20\n';
  const hcl = `resource "gitlab_project" "p" {\n  name = "p"\n}\n\nresource "aws_instance" "runner" {\n  ami           = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n  user_data     = <<-EOT\n    ${script.trimEnd().split('\n').join('\n    ')}\n  EOT\n}\n`;
  const json = (s: string) => JSON.stringify({ resource: { gitlab_project: { p: { name: 'p' } }, aws_instance: { runner: { ami: 'ami-0123456789abcdef0', instance_type: 't3.micro', user_data: s } } } }, null, 2);

  it('--registration-token ${gitlab_project.p.runners_token} in .tf.json: RF912 at the flag in the JSON string, as in .tf', () => {
    const text = json(script);
    const line = text.split('\n').findIndex((l) => l.includes('"user_data"'));
    const column = text.split('\n')[line]!.indexOf('--registration-token') + 1;
    const r = run({ 'main.tf.json': text });
    expect(at(r, 'RF912')).toEqual([`main.tf.json:${line + 1}:${column}`]);
    const h = run({ 'main.tf': hcl });
    const hclLine = hcl.split('\n').findIndex((l) => l.includes('--registration-token'));
    expect(at(h, 'RF912')).toEqual([`main.tf:${hclLine + 1}:${hcl.split('\n')[hclLine]!.indexOf('--registration-token') + 1}`]);
    expect(r.findings.find((f) => f.code === 'RF912')!.message).toBe(h.findings.find((f) => f.code === 'RF912')!.message);
  });

  it('twin: --token in .tf.json is no RF912; a command after a \\n escape with an unknown flag is RF919 at that flag', () => {
    expect(at(run({ 'main.tf.json': json(script.replace('--registration-token', '--token')) }), 'RF912')).toEqual([]);
    const text = json(script.replace('--executor docker', '--executor docker --no-such-flag'));
    const line = text.split('\n').findIndex((l) => l.includes('"user_data"'));
    expect(at(run({ 'main.tf.json': text }), 'RF919')).toEqual([`main.tf.json:${line + 1}:${text.split('\n')[line]!.indexOf('--no-such-flag') + 1}`]);
  });
});

describe('4. a secret_key beside a Secret name, in text read line by line', () => {
  const heredoc = (lines: string) => `resource "null_resource" "x" {\n  triggers = {\n    v = <<-EOT\n${lines}    EOT\n  }\n}\n`;

  it('an HCL heredoc, a string written with \\n, a ConfigMap script and a shell script: no RF940 and no RF933 for the key name', () => {
    expect(at(run({ 'a.tf': heredoc('      backup:\n        secret_name: pg-creds\n        secret_key: password\n') }), 'RF940')).toEqual([]);
    // The sibling after it, over a deeper line and a comment.
    expect(at(run({ 'a.tf': heredoc('      backup:\n        secret_key: password\n        # the Secret\n        labels:\n          a: b\n        secretName: pg-creds\n') }), 'RF940')).toEqual([]);
    expect(at(run({ 'b.tf': 'resource "null_resource" "y" {\n  triggers = {\n    v = "backup:\\n  secret_name: pg\\n  secret_key: password\\n"\n  }\n}\n' }), 'RF940')).toEqual([]);
    const cm = run({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  values.yaml: |\n    backups:\n      - secretName: pg-creds\n        secret_key: POSTGRES_PASSWORD\n' });
    expect([...at(cm, 'RF940'), ...at(cm, 'RF933')]).toEqual([]);
    expect(at(run({ 'backup.sh': '#!/bin/sh\nsecret_name=pg-creds\nsecret_key=password\n' }), 'RF940')).toEqual([]);
  });

  it('twin: secret_key = "minio123" with no Secret name in its block stays RF940, in each of those places', () => {
    // Alone; the Secret name in another block (shallower, after a blank line, in another list item); with access_key beside it.
    expect(at(run({ 'a.tf': heredoc('      backup:\n        endpoint: minio.local\n        secret_key: minio123\n') }), 'RF940')).toEqual(['a.tf:6:9']);
    expect(at(run({ 'a.tf': heredoc('      secret_name: pg\n      backup:\n        secret_key: minio123\n') }), 'RF940')).toEqual(['a.tf:6:9']);
    expect(at(run({ 'a.tf': heredoc('      backup:\n        secret_name: pg\n\n        secret_key: minio123\n') }), 'RF940')).toEqual(['a.tf:7:9']);
    expect(at(run({ 'a.tf': heredoc('      - secret_name: pg\n        x: 1\n      - endpoint: minio.local\n        secret_key: minio123\n') }), 'RF940')).toEqual(['a.tf:7:9']);
    expect(at(run({ 'a.tf': heredoc('      secret_name: minio-creds\n      access_key: minioadmin\n      secret_key: minio123\n') }), 'RF940')).toEqual(['a.tf:5:7', 'a.tf:6:7']);
    expect(at(run({ 'b.tf': 'resource "null_resource" "y" {\n  triggers = {\n    v = "backup:\\n  endpoint: minio.local\\n  secret_key: minio123\\n"\n  }\n}\n' }), 'RF940')).toEqual(['b.tf:3:9']);
    expect(at(run({ 'backup.sh': '#!/bin/sh\nendpoint=minio.local\nsecret_key=minio123\n' }), 'RF940')).toEqual(['backup.sh:3:1']);
    // A key's form beside a Secret name is still a credential (an issued key, not a key's name).
    expect(at(run({ 'a.tf': heredoc('      secret_name: pg\n      secret_key: q7Wm3KpL5xNv2RbY7cZt\n') }), 'RF940')).toEqual(['a.tf:5:7']);
  });

  it('secretKeyNameOnLine: the block, its value and its item', () => {
    expect(secretKeyNameOnLine(['a:', '  secret_name: x', '  secret_key: password'], 2)).toBe(true);
    expect(secretKeyNameOnLine(['- secret_key: "password",', '  existingSecret: x'], 0)).toBe(true);
    expect(secretKeyNameOnLine(['  secret_name: x', 'b:', '  secret_key: password'], 2)).toBe(false);
    expect(secretKeyNameOnLine(['  secret_name: x', '  secret_key: two words'], 1)).toBe(false);
    expect(secretKeyNameOnLine(['  secret_name: x', '  access_key: a', '  secret_key: password'], 2)).toBe(false);
    expect(secretKeyNameOnLine(['  secret_name: x', '  bucket: password'], 1)).toBe(false);
  });
});
