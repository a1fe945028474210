import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 34b: several roots calling one module say what they find in its files once (with the roots
 * it holds for); a nested module's address is not mangled in messages; cloudposse/label/null's
 * `enabled` (and what a disabled label gives) is evaluated from the call's arguments.
 */

const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

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
