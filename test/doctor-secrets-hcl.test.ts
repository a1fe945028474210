import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport } from '../src/doctor/format.js';
import type { Finding } from '../src/spec/findings.js';

// Fake credentials in the documented example shapes (never real keys); the scan takes AWS's own
// example key id for a key, as it does in YAML and JSON files.
const AWS_ID = 'AKIAIOSFODNN7QW3RT5Y';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';
const AZURE_SECRET = 'abc8Q~ExampleExampleExampleExampleExa';
const RUNNER_TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
const ALL = [AWS_ID, AWS_SECRET, AZURE_SECRET, RUNNER_TOKEN];

const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
const secretFindings = (findings: readonly Finding[]) => findings.filter((f) => ['RF940', 'RF304', 'RF912'].includes(f.code));
const outputs = (r: ReturnType<typeof run>) => [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');

/** `file:line:column` of the first occurrence of `needle` (at its first character) in `text`. */
function at(file: string, text: string, needle: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`test: ${needle} not in ${file}`);
  return `${file}:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
}

describe('credentials written in Terraform HCL (.tf): RF940 at the value, never the value', () => {
  const cases: { name: string; tf: string; found: { needle: string; at: RegExp; fix: RegExp }[] }[] = [
    {
      name: 'an aws provider with access_key and secret_key',
      tf: `provider "aws" {\n  region     = "eu-west-1"\n  access_key = "${AWS_ID}"\n  secret_key = "${AWS_SECRET}"\n}\n`,
      found: [
        { needle: `"${AWS_ID}"`, at: /at provider\.aws\.access_key/, fix: /provider block.*keyless|provider block.*identity of where Terraform runs.*assume_role/ },
        { needle: `"${AWS_SECRET}"`, at: /at provider\.aws\.secret_key/, fix: /provider block.*assume_role/ },
      ],
    },
    {
      name: 'a backend "s3" block with access_key and secret_key',
      tf: `terraform {\n  backend "s3" {\n    bucket     = "state"\n    key        = "runner.tfstate"\n    region     = "eu-west-1"\n    access_key = "${AWS_ID}"\n    secret_key = "${AWS_SECRET}"\n  }\n}\n`,
      found: [
        { needle: `"${AWS_ID}"`, at: /at terraform\.backend\.s3\.access_key/, fix: /backend block.*environment.*assume_role/ },
        { needle: `"${AWS_SECRET}"`, at: /at terraform\.backend\.s3\.secret_key/, fix: /backend block.*environment.*assume_role/ },
      ],
    },
    {
      name: 'a variable whose default is a key',
      tf: `variable "aws_secret_access_key" {\n  type      = string\n  sensitive = true\n  default   = "${AWS_SECRET}"\n}\n`,
      found: [{ needle: `"${AWS_SECRET}"`, at: /at variable\.aws_secret_access_key\.default/, fix: /remove the default.*sensitive = true without a default.*secret store/ }],
    },
    {
      name: 'locals holding a key id in a map, and a runner token',
      tf: `locals {\n  env = {\n    AWS_ACCESS_KEY_ID = "${AWS_ID}"\n  }\n  token = "${RUNNER_TOKEN}"\n}\n`,
      found: [
        { needle: `"${AWS_ID}"`, at: /an AWS access key id .* at locals\.env\.AWS_ACCESS_KEY_ID/, fix: /keyless identity/ },
        { needle: `"${RUNNER_TOKEN}"`, at: /a GitLab runner authentication token .* at locals\.token/, fix: /Secret or a SecureString parameter/ },
      ],
    },
    {
      name: 'an azurerm provider with a client_secret',
      tf: `provider "azurerm" {\n  features {}\n  client_id     = "00000000-0000-0000-0000-000000000000"\n  client_secret = "${AZURE_SECRET}"\n}\n`,
      found: [{ needle: `"${AZURE_SECRET}"`, at: /an Azure client secret .* at provider\.azurerm\.client_secret/, fix: /use_oidc or use_msi/ }],
    },
    {
      name: 'user data (a heredoc) exporting a secret key, next to a reference',
      tf: `resource "aws_instance" "runner" {\n  ami           = "ami-12345678"\n  instance_type = "t3.micro"\n  user_data     = <<-EOF\n    #!/bin/bash\n    export AWS_ACCESS_KEY_ID=\${var.key_id}\n    export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n  EOF\n}\n`,
      found: [{ needle: 'AWS_SECRET_ACCESS_KEY=', at: /at resource\.aws_instance\.runner\.user_data\.AWS_SECRET_ACCESS_KEY/, fix: /keyless identity/ }],
    },
    {
      // Guards (they hold on the code before directives were evaluated too): the texts of directives are still scanned.
      name: 'user data (a heredoc) with keys inside %{if} and %{for} directives',
      tf: `resource "aws_instance" "runner" {\n  ami           = "ami-12345678"\n  instance_type = "t3.micro"\n  user_data     = <<-EOF\n    #!/bin/bash\n    %{ if true ~}\n    export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n    %{ endif ~}\n    %{ for k in ["a"] ~}\n    export AWS_ACCESS_KEY_ID=${AWS_ID} # \${k}\n    %{ endfor ~}\n  EOF\n}\n`,
      found: [
        { needle: 'AWS_SECRET_ACCESS_KEY=', at: /at resource\.aws_instance\.runner\.user_data\.AWS_SECRET_ACCESS_KEY/, fix: /keyless identity/ },
        { needle: AWS_ID, at: /an AWS access key id .* at resource\.aws_instance\.runner\.user_data/, fix: /keyless identity/ },
      ],
    },
    {
      name: 'a runner token in the text of a %{if} directive of a quoted string',
      tf: `locals {\n  token = "%{ if true }${RUNNER_TOKEN}%{ endif }"\n}\n`,
      found: [{ needle: RUNNER_TOKEN, at: /a GitLab runner authentication token .* at locals\.token/, fix: /Secret or a SecureString parameter/ }],
    },
    {
      name: 'a Kubernetes env block with a literal value',
      tf: `resource "kubernetes_deployment" "app" {\n  spec {\n    template {\n      spec {\n        container {\n          env {\n            name  = "AWS_SECRET_ACCESS_KEY"\n            value = "${AWS_SECRET}"\n          }\n        }\n      }\n    }\n  }\n}\n`,
      found: [{ needle: `"${AWS_SECRET}"`, at: /a static credential \(AWS_SECRET_ACCESS_KEY\)/, fix: /keyless identity/ }],
    },
  ];

  it.each(cases)('$name', ({ tf, found }) => {
    const r = run({ 'main.tf': tf });
    const got = secretFindings(r.findings);
    expect(got.map((f) => f.code)).toEqual(found.map(() => 'RF940'));
    for (const want of found) {
      const f = got.find((g) => g.path === at('main.tf', tf, want.needle));
      expect(f, `RF940 at ${at('main.tf', tf, want.needle)}; got ${got.map((g) => g.path).join(', ')}`).toBeDefined();
      expect(f!.message).toMatch(want.at);
      expect(f!.message).toContain('(value not shown)');
      expect(f!.fix).toMatch(want.fix);
    }
    for (const s of ALL) expect(outputs(r).includes(s), `output holds ${s.slice(0, 6)}…`).toBe(false);
  });

  it('references, a variable without a default, placeholders and a non-credential default are not literal credentials (one literal key beside them is)', () => {
    const tf = [
      `locals {\n  control = "${AWS_ID}"\n}`,
      'variable "aws_secret_access_key" {\n  type      = string\n  sensitive = true\n}',
      'variable "region" {\n  default = "eu-west-1"\n}',
      'variable "client_secret" {\n  default = "changeme"\n}',
      'data "aws_ssm_parameter" "key" {\n  name = "/ci/key"\n}',
      'provider "aws" {\n  region     = var.region\n  access_key = data.aws_ssm_parameter.key.value\n  secret_key = var.aws_secret_access_key\n}',
      'provider "azurerm" {\n  features {}\n  client_secret = "${var.client_secret}"\n}',
      'resource "aws_instance" "runner" {\n  ami       = "ami-12345678"\n  user_data = <<-EOF\n    export AWS_SECRET_ACCESS_KEY=${var.aws_secret_access_key}\n    export AWS_ACCESS_KEY_ID=$(aws ssm get-parameter --name /ci/id --query Parameter.Value --output text)\n  EOF\n}',
      '',
    ].join('\n');
    expect(secretFindings(run({ 'main.tf': tf }).findings).map((f) => f.path)).toEqual(['main.tf:2:13']);
  });

  it('one finding per credential per file: the other places of the same value are named', () => {
    const tf = `provider "aws" {\n  access_key = "${AWS_ID}"\n}\n\nlocals {\n  same = "${AWS_ID}"\n}\n`;
    const got = secretFindings(run({ 'main.tf': tf }).findings);
    expect(got.map((f) => f.path)).toEqual([at('main.tf', tf, `"${AWS_ID}"`)]);
    expect(got[0]!.message).toContain(`also written at main.tf:6:10`);
  });

  it('a runner token written literally in a helm_release (set_sensitive) is the chart value RF940 at its place (RF304 before issue 35b), the scan RF940 not said twice; a key in the provider is RF940', () => {
    const tf = `provider "aws" {\n  access_key = "${AWS_ID}"\n}\n\nresource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab"\n  set_sensitive {\n    name  = "runnerToken"\n    value = "${RUNNER_TOKEN}"\n  }\n}\n`;
    const r = run({ 'main.tf': tf });
    const got = secretFindings(r.findings).map((f) => [f.code, f.path]);
    expect(got.sort()).toEqual([
      ['RF940', at('main.tf', tf, `"${RUNNER_TOKEN}"`)],
      ['RF940', at('main.tf', tf, `"${AWS_ID}"`)],
    ].sort());
    for (const s of ALL) expect(outputs(r).includes(s)).toBe(false);
  });

  it('a quoted string in an interpolation inside a heredoc (`${"…"}`) is one value: one RF940 at the string, no second place', () => {
    const tf = `resource "kubernetes_config_map" "cfg" {\n  metadata {\n    name = "cfg"\n  }\n  data = {\n    "script.sh" = <<-EOT\n      echo start\n      TOKEN=\${"${RUNNER_TOKEN}"}\n      export AWS_ACCESS_KEY_ID=${AWS_ID}\n    EOT\n  }\n}\n`;
    const r = run({ 'main.tf': tf });
    const got = secretFindings(r.findings);
    expect(got.map((f) => [f.code, f.path])).toEqual([
      ['RF940', at('main.tf', tf, `"${RUNNER_TOKEN}"`)],
      ['RF940', at('main.tf', tf, AWS_ID)],
    ]);
    for (const f of got) expect(f.message).not.toContain('also written at');
    for (const s of ALL) expect(outputs(r).includes(s)).toBe(false);
  });

  it('a runner token in an interpolation of a values heredoc (`runnerToken: ${"…"}`): the chart value RF940 stands for it (RF304 before issue 35b), the scan RF940 is not said beside it', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab"\n  values = [<<-YAML\n    gitlabUrl: https://gitlab.example.com/\n    runnerToken: \${"${RUNNER_TOKEN}"}\n    YAML\n  ]\n}\n`;
    const r = run({ 'main.tf': tf });
    expect(secretFindings(r.findings).map((f) => f.code)).toEqual(['RF940']);
    expect(secretFindings(r.findings)[0]!.message).toMatch(/^runnerToken holds/);
    for (const s of ALL) expect(outputs(r).includes(s)).toBe(false);
  });

  it('a runner token in a values heredoc of a helm_release: RF940 at its line in the heredoc stands for it (RF304 before issue 35b); a cloud key on another line of it is RF940 at its line', () => {
    const tf = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab"\n  values = [<<-YAML\n    gitlabUrl: https://gitlab.example.com/\n    runnerToken: ${RUNNER_TOKEN}\n    runners:\n      config: |\n        [[runners]]\n          [runners.cache.s3]\n            AccessKey = "${AWS_ID}"\n    YAML\n  ]\n}\n`;
    const r = run({ 'main.tf': tf });
    const got = secretFindings(r.findings).map((f) => [f.code, f.path]);
    expect(got.sort()).toEqual([
      ['RF940', at('main.tf', tf, AWS_ID)],
      ['RF940', at('main.tf', tf, RUNNER_TOKEN)],
    ].sort());
    for (const s of ALL) expect(outputs(r).includes(s)).toBe(false);
  });
});

describe('credentials in .tf.json', () => {
  it('.tf.json: a variable default counts by the variable name; provider and variable fixes say what to use instead', () => {
    const json = JSON.stringify({ variable: { aws_secret_access_key: { type: 'string', default: AWS_SECRET }, region: { default: 'eu-west-1' }, key: { default: '${var.x}' } }, provider: { aws: [{ region: 'eu-west-1', access_key: AWS_ID }] } }, null, 2);
    const got = secretFindings(run({ 'main.tf.json': json }).findings);
    expect(got.map((f) => [f.code, f.path]).sort()).toEqual(
      [
        ['RF940', at('main.tf.json', json, `"${AWS_SECRET}"`)],
        ['RF940', at('main.tf.json', json, `"${AWS_ID}"`)],
      ].sort(),
    );
    expect(got.find((f) => f.message.includes('aws_secret_access_key'))!.fix).toMatch(/remove the default.*secret store/);
    expect(got.find((f) => f.message.includes('access_key (value'))!.fix).toMatch(/provider block/);
  });
});

describe('credentials in .tf.json, named as in .tf', () => {
  it('the message names the address and key path (not the last key alone), the position the value, as the .tf scan does', () => {
    const json = JSON.stringify({ provider: { aws: [{ region: 'eu-west-1', access_key: AWS_ID }] }, variable: { token: { default: RUNNER_TOKEN } }, resource: { kubernetes_config_map: { cfg: { metadata: { name: 'cfg' }, data: { token: AZURE_SECRET } } } } }, null, 2);
    const tf = `provider "aws" {\n  region     = "eu-west-1"\n  access_key = "${AWS_ID}"\n}\nvariable "token" {\n  default = "${RUNNER_TOKEN}"\n}\nresource "kubernetes_config_map" "cfg" {\n  metadata {\n    name = "cfg"\n  }\n  data = { token = "${AZURE_SECRET}" }\n}\n`;
    const named = (files: Record<string, string>) =>
      secretFindings(run(files).findings)
        .map((f) => [f.path, /written in \S+ at (\S+) \(value not shown\)/.exec(f.message)?.[1]])
        .sort((a, b) => Number(a[0]!.split(':')[1]) - Number(b[0]!.split(':')[1]));
    expect(named({ 'main.tf.json': json })).toEqual([
      [at('main.tf.json', json, `"${AWS_ID}"`), 'provider.aws[0].access_key'],
      [at('main.tf.json', json, `"${RUNNER_TOKEN}"`), 'variable.token.default'],
      [at('main.tf.json', json, `"${AZURE_SECRET}"`), 'resource.kubernetes_config_map.cfg.data.token'],
    ]);
    // The same configuration in HCL: the same names (HCL has no list index for a single block).
    expect(named({ 'main.tf': tf })).toEqual([
      [at('main.tf', tf, `"${AWS_ID}"`), 'provider.aws.access_key'],
      [at('main.tf', tf, `"${RUNNER_TOKEN}"`), 'variable.token.default'],
      [at('main.tf', tf, `"${AZURE_SECRET}"`), 'resource.kubernetes_config_map.cfg.data.token'],
    ]);
  });
});

describe('variable definitions files (.tfvars): scanned for credentials only', () => {
  it('a key and a runner token in terraform.tfvars: RF940 at each value, the fix names the file and a secret store; a reference-free ordinary value is nothing', () => {
    const tfvars = `region = "eu-west-1"\naws_secret_access_key = "${AWS_SECRET}"\nrunner_token = "${RUNNER_TOKEN}"\n`;
    const r = run({ 'main.tf': 'variable "region" {}\n', 'terraform.tfvars': tfvars });
    const found = secretFindings(r.findings);
    expect(found.map((f) => `${f.code} ${f.path}`)).toEqual([`RF940 ${at('terraform.tfvars', tfvars, `"${AWS_SECRET}"`)}`, `RF940 ${at('terraform.tfvars', tfvars, `"${RUNNER_TOKEN}"`)}`]);
    for (const f of found) expect(f.fix).toContain('remove it from terraform.tfvars and revoke it');
    const shown = outputs(r);
    for (const secret of ALL) expect(shown).not.toContain(secret);
  });

  it('a .tfvars file that is not valid HCL is RF901 at its position; one without credentials says nothing', () => {
    expect(run({ 'bad.tfvars': 'region = "eu-west-1"\nnope = \n' }).findings.filter((f) => f.code === 'RF901').map((f) => f.path)).toEqual(['bad.tfvars:2:8']);
    expect(run({ 'main.tf': 'variable "region" {}\n', 'prod.tfvars': 'region = "eu-west-1"\n' }).findings.filter((f) => f.code !== 'RF910')).toEqual([]);
  });
});
