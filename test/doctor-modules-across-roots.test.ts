import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { jsonDoctorReport, textDoctorReport } from '../src/doctor/format.js';
import { corpusFiles, doctorTexts } from './helpers/doctor.js';
import { oneAcrossRoots, saidInRoot } from '../src/doctor/across-roots.js';
import { runnerLabels } from '../src/doctor/index.js';
import type { Finding } from '../src/spec/findings.js';

/**
 * Several roots calling one module say what they find in its files once (with the roots
 * it holds for); a nested module's address is not mangled in messages; cloudposse/label/null's
 * `enabled` (and what a disabled label gives) is evaluated from the call's arguments.
 */

const run = doctorTexts;
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** A module whose policy needs its bucket's ARN, known only after apply: RF906 about the module's own text. */
const MODULE = `variable "prefix" {
  type    = string
  default = "ci"
}
resource "aws_s3_bucket" "cache" {
  bucket_prefix = "runner-cache"
}
resource "aws_iam_policy" "cache" {
  name   = "runner-cache"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = ["arn:aws:s3:::\${var.prefix}/*", "\${aws_s3_bucket.cache.arn}/*"] }] })
}
`;
const example = (prefix?: string) => `${prefix !== undefined ? 'resource "random_id" "own" {\n  byte_length = 4\n}\n' : ''}module "runner" {\n  source = "../.."\n${prefix !== undefined ? `  prefix = ${prefix}\n` : ''}}\n`;
const SHARED = 'module.runner.aws_iam_policy.cache.policy is not statically known: module.runner.aws_s3_bucket.cache.arn is known only after apply';

describe('1. roots calling one module: a finding about the module file is said once', () => {
  it('five examples: one RF906 naming the module address as written, with its five roots (three listed, the rest counted)', () => {
    const r = run({ 'main.tf': MODULE, ...Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((x) => [`examples/${x}/main.tf`, example()])) });
    const f = of(r, 'RF906');
    expect(f.map((x) => x.message)).toEqual([`${SHARED} (in 5 roots of examples/: a, b, c (+2 more))`]);
    expect(f[0]!.roots).toEqual(['examples/a', 'examples/b', 'examples/c', 'examples/d', 'examples/e']);
    // The JSON report carries the one finding with its roots; the summary counts it once.
    const json = JSON.parse(jsonDoctorReport(r)) as { findings: { code: string; roots?: string[] }[] };
    expect(json.findings.filter((x) => x.code === 'RF906').map((x) => x.roots)).toEqual([['examples/a', 'examples/b', 'examples/c', 'examples/d', 'examples/e']]);
    expect(textDoctorReport(r)).toContain(': 0 error(s), 1 warning(s), ');
  });

  it('roots that are not all under one folder are listed by their own folders', () => {
    const r = run({ 'mod/main.tf': MODULE, 'prod/main.tf': example().replace('../..', '../mod'), 'staging/main.tf': example().replace('../..', '../mod') });
    expect(of(r, 'RF906').map((x) => x.message)).toEqual([`${SHARED} (in 2 roots: prod, staging)`]);
  });

  it('a root whose value makes the finding say something else keeps its own finding, named with its folder', () => {
    const r = run({ 'main.tf': MODULE, 'examples/a/main.tf': example(), 'examples/b/main.tf': example(), 'examples/c/main.tf': example('random_id.own.hex') });
    const f = of(r, 'RF906');
    expect(f).toHaveLength(2);
    expect(f.find((x) => x.roots !== undefined)?.message).toBe(`${SHARED} (in 2 roots of examples/: a, b)`);
    const own = f.find((x) => x.roots === undefined)!;
    expect(own.message).toContain('examples/c/module.runner.aws_iam_policy.cache.policy is not statically known');
    expect(own.message).not.toContain('roots');
  });

  it('one root alone: the finding as before, no roots', () => {
    const r = run({ 'main.tf': MODULE, 'examples/a/main.tf': example() });
    expect(of(r, 'RF906').map((x) => [x.message, x.roots])).toEqual([[SHARED, undefined]]);
  });
});

describe('2. a nested module call\'s address in a message', () => {
  const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written');
  /** The corpus' EC2 Docker runner as a module whose launch template takes its instance profile's name from its caller. */
  const inner = (): InputFile[] =>
    corpusFiles(CASE).map((f) => {
      if (f.path !== 'main.tf.json') return { ...f, path: `inner/${f.path}` };
      const doc = JSON.parse(f.bytes.toString()) as { provider?: unknown; variable?: unknown; resource: { aws_launch_template: { ci: { iam_instance_profile: { name: string } } } } };
      delete doc.provider;
      doc.variable = { profile: {} };
      doc.resource.aws_launch_template.ci.iam_instance_profile.name = '${var.profile}';
      return { path: 'inner/main.tf.json', bytes: Buffer.from(JSON.stringify(doc, null, 2)) };
    });
  it('module.ci_runner.module.label.id (a call name with an underscore, as a type has) is shown as written', () => {
    const r = doctor([
      { path: 'main.tf', bytes: Buffer.from('provider "aws" {\n  region = "eu-west-1"\n}\n\nmodule "ci_runner" {\n  source = "./outer"\n}\n') },
      { path: 'outer/main.tf', bytes: Buffer.from('module "label" {\n  source  = "cloudposse/label/null"\n  version = "0.25.0"\n  name    = "runner"\n}\nmodule "inner_vm" {\n  source  = "../inner"\n  profile = module.label.id\n}\n') },
      ...inner(),
    ]);
    const f = of(r, 'RF903').filter((x) => x.message.includes('instance profile'));
    expect(f.map((x) => x.message)).toEqual(['the instance profile "${module.ci_runner.module.label.id}" of runner docker-ci\'s manager is not in the evidence given']);
  });
});

describe('3. cloudposse/label/null: enabled, and what a disabled label gives', () => {
  const label = (args: string, version = '0.25.0', name = 'label') => `module "${name}" {\n  source  = "cloudposse/label/null"\n  version = "${version}"\n${args}}\n`;
  /** A policy made only where the label is enabled, which names it: RF906 (its bucket's ARN) shows it is made. */
  const POLICY = `resource "aws_s3_bucket" "cache" {
  bucket_prefix = "runner-cache"
}
resource "aws_iam_policy" "cache" {
  count  = module.label.enabled ? 1 : 0
  name   = "\${module.label.id}x"
  tags   = module.label.tags
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "\${aws_s3_bucket.cache.arn}/*" }] })
}
`;
  const rf906 = (r: DoctorResult) => of(r, 'RF906').map((x) => x.message);
  const made = 'aws_iam_policy.cache[0].policy is not statically known: aws_s3_bucket.cache.arn is known only after apply';

  it('enabled by default: the policy is made (its count is known), no "not evaluated"', () => {
    expect(rf906(run({ 'main.tf': label('  name = "runner"\n') + POLICY }))).toEqual([made]);
  });

  it('enabled = false, or a context whose enabled is false (passed on from another label): nothing is made', () => {
    expect(rf906(run({ 'main.tf': label('  enabled = false\n') + POLICY }))).toEqual([]);
    const chained = label('  enabled = false\n', '0.25.0', 'this') + label('  context = module.this.context\n  name    = "runner"\n');
    expect(rf906(run({ 'main.tf': chained + POLICY }))).toEqual([]);
    // A variable set to null (cloudposse's context.tf) falls back on the context, whose default is enabled.
    const root = 'variable "enabled" {\n  type    = bool\n  default = null\n}\n';
    expect(rf906(run({ 'main.tf': root + label('  enabled = var.enabled\n') + POLICY }))).toEqual([made]);
  });

  it('the label itself (id) is not evaluated where the label is enabled: RF906 says so', () => {
    const r = run({ 'main.tf': label('') + POLICY.replace('count  = module.label.enabled ? 1 : 0\n', '').replace('"${aws_s3_bucket.cache.arn}/*"', '"arn:aws:s3:::${module.label.id}/*"') });
    expect(rf906(r)).toEqual(["aws_iam_policy.cache.policy is not statically known: output id of module.label (cloudposse/label/null) is computed from the module's inputs, which the doctor does not evaluate (the module creates no resources)"]);
  });

  it('releases that compute enabled otherwise (0.15.0 to 0.19.0) stay not evaluated', () => {
    expect(rf906(run({ 'main.tf': label('  enabled = false\n', '~> 0.19.0') + POLICY }))[0]).toContain('count of aws_iam_policy.cache is not statically known: output enabled of module.label (cloudposse/label/null) is computed from the module');
  });
});

describe('4. across roots: findings about a runner, findings that name no root, RF903 of every root, module addresses of counts', () => {
  /** A manager module (after cmdlabs/terraform-aws-gitlab-runner-scale): privileged jobs, IMDSv2 as `var.tokens` says. */
  const MANAGER = [
    'variable "runner_token" {\n  type      = string\n  sensitive = true\n}',
    'variable "tokens" {\n  type    = string\n  default = null\n}',
    'resource "aws_iam_role" "m" {\n  name               = "manager"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}',
    'resource "aws_iam_instance_profile" "m" {\n  name = "manager"\n  role = aws_iam_role.m.name\n}',
    [
      'resource "aws_launch_template" "m" {',
      '  name          = "manager"',
      '  image_id      = "ami-0123456789abcdef0"',
      '  instance_type = "t3.micro"',
      '  iam_instance_profile {\n    name = aws_iam_instance_profile.m.name\n  }',
      '  metadata_options {\n    http_tokens = var.tokens\n  }',
      '  user_data = base64encode(<<-EOT',
      '    #!/bin/bash',
      '    set -euo pipefail',
      "    cat > /etc/gitlab-runner/config.toml <<'EOF'",
      '    [[runners]]',
      '      name = "ci"',
      '      url = "https://gitlab.example.com"',
      '      token = "${var.runner_token}"',
      '      executor = "docker"',
      '      [runners.docker]',
      '        image = "alpine:3.22"',
      '        privileged = true',
      '    EOF',
      '  EOT',
      '  )',
      '}',
    ].join('\n'),
    'resource "aws_autoscaling_group" "m" {\n  name                = "manager"\n  min_size            = 1\n  max_size            = 1\n  vpc_zone_identifier = ["subnet-0123456789abcdef0"]\n  launch_template {\n    id = aws_launch_template.m.id\n  }\n}',
  ].join('\n');
  const call = (args = '') => `module "runner" {\n  source       = "../../mod"\n  runner_token = "x"\n${args}}\n`;
  const roots = (calls: Record<string, string>, mod = MANAGER) => run({ 'mod/main.tf': mod, ...Object.fromEntries(Object.entries(calls).map(([r, c]) => [`examples/${r}/main.tf`, c])) });

  it("the same finding about each root's runner, whose name carries its root's folder: said once, naming the runner as its files do, with its roots", () => {
    const r = roots({ a: call(), b: call(), c: call() });
    // Each root's runner is still proven as its own.
    expect([...new Set(r.proofs.map((p) => p.runner))]).toEqual(['examples/a/ci', 'examples/b/ci', 'examples/c/ci']);
    const rf301 = of(r, 'RF301');
    expect(rf301.map((f) => f.roots)).toEqual([['examples/a', 'examples/b', 'examples/c']]);
    expect(rf301[0]!.message).toMatch(/^runner ci, line 38 of mod\/main\.tf: job containers run privileged: .* \(in 3 roots of examples\/: a, b, c\)$/);
    const rf713 = of(r, 'RF713');
    expect(rf713.map((f) => f.roots)).toEqual([['examples/a', 'examples/b', 'examples/c']]);
    expect(rf713[0]!.message).toMatch(/^the manager of runner ci, launch template module\.runner\.aws_launch_template\.m, does not require IMDSv2 \(http_tokens not set\)/);
    expect(rf713[0]!.fix).not.toContain('examples/');
    // The text report says it once too.
    const text = textDoctorReport(r);
    expect(text.match(/RF301/g)).toHaveLength(1);
    expect(text).toContain('(in 3 roots of examples/: a, b, c)');
    const json = JSON.parse(jsonDoctorReport(r)) as { findings: { code: string; roots?: string[] }[] };
    expect(json.findings.filter((f) => f.code === 'RF713').map((f) => f.roots)).toEqual([['examples/a', 'examples/b', 'examples/c']]);
  });

  it('a root whose finding about its runner says something else keeps its own, named with its folder', () => {
    const r = roots({ a: call(), b: call(), c: call('  tokens       = "optional"\n') });
    const rf713 = of(r, 'RF713');
    expect(rf713).toHaveLength(2);
    expect(rf713.find((f) => f.roots !== undefined)?.roots).toEqual(['examples/a', 'examples/b']);
    const own = rf713.find((f) => f.roots === undefined)!;
    expect(own.message).toContain('the manager of runner examples/c/ci, launch template examples/c/module.runner.aws_launch_template.m');
    expect(own.message).not.toContain(' roots');
  });

  it('identical findings of a shared module file that name no root: one, with every root (before: one, naming none)', () => {
    const mod = 'module "vpc" {\n  source = "github.com/example/terraform-aws-vpc?ref=1.0.0"\n}\n';
    const r = roots({ a: call(), b: call() }, `${MANAGER}\n${mod}`);
    const remote = of(r, 'RF903').filter((f) => f.message.includes('module "vpc"'));
    expect(remote.map((f) => [f.path, f.roots])).toEqual([[`mod/main.tf:${MANAGER.split('\n').length + 1}:1`, ['examples/a', 'examples/b']]]);
    expect(remote[0]!.message).toMatch(/^not in the evidence given: module "vpc" from github\.com\/example\/terraform-aws-vpc\?ref=1\.0\.0 is not read .* \(in 2 roots of examples\/: a, b\)$/);
  });

  it('an RF903 at one place of a shared module names every root it holds for, not the first root alone', () => {
    const mod = MANAGER.replace('  name               = "manager"\n  assume_role_policy', '  name_prefix        = "manager"\n  assume_role_policy');
    const r = roots({ a: call(), b: call(), c: call() }, mod);
    const named = of(r, 'RF903').filter((f) => f.message.startsWith('the name of '));
    expect(named.map((f) => f.roots)).toEqual([['examples/a', 'examples/b', 'examples/c']]);
    expect(named[0]!.message).toMatch(/^the name of module\.runner\.aws_iam_role\.m is not shown: .* \(in 3 roots of examples\/: a, b, c\)$/);
    expect(named[0]!.message).not.toContain('examples/a/');
  });

  it('RF903s at one place that each name several roots (a role name three roots write) stay one, as before', () => {
    const role = 'resource "aws_iam_role" "m" {\n  name               = "manager"\n  assume_role_policy = "{}"\n}\n';
    const r = roots({ a: call(), b: call(), c: call() }, role);
    const also = of(r, 'RF903').filter((f) => f.message.includes(' is written once in each of '));
    expect(also.map((f) => [f.path, f.roots])).toEqual([['mod/main.tf:1:1', undefined]]);
    expect(also[0]!.message).toMatch(/^role manager is written once in each of 3 roots given together, each a deployment of its own \(here, and by examples\/b\/module\.runner\.aws_iam_role\.m, examples\/c\/module\.runner\.aws_iam_role\.m in the others\): /);
  });

  it("RF906 about a count or for_each names the module call's address, and is said once across roots", () => {
    const COUNTED = 'resource "aws_s3_bucket" "b" {\n  bucket_prefix = "cache"\n}\nresource "aws_iam_role" "this" {\n  count              = aws_s3_bucket.b.id == "" ? 0 : 1\n  name               = "r"\n  assume_role_policy = "{}"\n}\nresource "aws_iam_role" "each" {\n  for_each           = toset([aws_s3_bucket.b.id])\n  name               = "e"\n  assume_role_policy = "{}"\n}\n';
    const one = run({ 'main.tf': 'module "runners" {\n  for_each = toset(["x"])\n  source   = "./mod"\n}\n', 'mod/main.tf': COUNTED });
    expect(of(one, 'RF906').map((f) => f.message).sort()).toEqual([
      'count of module.runners["x"].aws_iam_role.this is not statically known: module.runners["x"].aws_s3_bucket.b.id is known only after apply',
      'for_each of module.runners["x"].aws_iam_role.each is not statically known: module.runners["x"].aws_s3_bucket.b.id is known only after apply',
    ]);
    const two = run({ 'mod/main.tf': COUNTED, 'examples/a/main.tf': 'module "runner" {\n  source = "../../mod"\n}\n', 'examples/b/main.tf': 'module "runner" {\n  source = "../../mod"\n}\n' });
    const counted = of(two, 'RF906').find((f) => f.message.startsWith('count of '));
    expect([counted?.message, counted?.roots]).toEqual(['count of module.runner.aws_iam_role.this is not statically known: module.runner.aws_s3_bucket.b.id is known only after apply (in 2 roots of examples/: a, b)', ['examples/a', 'examples/b']]);
  });
});

describe('5. oneAcrossRoots: what makes findings of several roots one', () => {
  const F = (message: string): Finding => ({ code: 'RF301', severity: 'error', path: 'mod/main.tf:3:1', message });
  const tagged = (message: string, root: string): Finding => {
    const f = F(message);
    saidInRoot(f, root);
    return f;
  };
  const none = () => undefined;
  const labels = runnerLabels(['examples/a/ci', 'examples/b/ci', 'examples/a/ci-2'], ['examples/a', 'examples/b']);

  it("findings that differ by their root's own runner label only: one, naming the runner as written", () => {
    const out = oneAcrossRoots([F('runner examples/a/ci: privileged'), F('runner examples/b/ci: privileged')], none, labels);
    expect(out.map((f) => [f.message, f.roots])).toEqual([['runner ci: privileged (in 2 roots of examples/: a, b)', ['examples/a', 'examples/b']]]);
  });

  it("a label of another root, or another runner of the root, is substance: kept one per root", () => {
    const other = [F('runner examples/a/ci: privileged'), F('runner examples/b/ci: privileged, as runner examples/a/ci')];
    expect(oneAcrossRoots(other, none, labels).map((f) => f.roots)).toEqual([undefined, undefined]);
    const longer = [F('runner examples/a/ci-2: privileged'), F('runner examples/b/ci: privileged')];
    expect(oneAcrossRoots(longer, none, labels).map((f) => f.message)).toEqual(longer.map((f) => f.message));
    // A runner named so in its own right is not the other root's label.
    const plain = [F('runner examples/a/ci: privileged'), tagged('runner ci: privileged', 'examples/b')];
    expect(oneAcrossRoots(plain, none, labels).map((f) => f.roots)).toEqual([undefined, undefined]);
  });

  it('identical findings said by the evaluation of different roots: one, with their roots, and no tag in the report', () => {
    const out = oneAcrossRoots([tagged('a module call is not read', 'prod'), tagged('a module call is not read', 'staging')], none);
    expect(out.map((f) => [f.message, f.roots])).toEqual([['a module call is not read (in 2 roots: prod, staging)', ['prod', 'staging']]]);
    expect(Object.getOwnPropertySymbols(out[0]!)).toEqual([]);
    // Of one root, or of none known, they stay as they are.
    expect(oneAcrossRoots([tagged('x', 'prod'), tagged('x', 'prod')], none).map((f) => [f.message, f.roots, Object.getOwnPropertySymbols(f).length])).toEqual([['x', undefined, 0], ['x', undefined, 0]]);
    expect(oneAcrossRoots([F('x'), F('x')], none).map((f) => f.roots)).toEqual([undefined, undefined]);
  });
});
