import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { jsonDoctorReport, textDoctorReport } from '../src/doctor/format.js';
import { corpusFiles, doctorTexts } from './helpers/doctor.js';

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
