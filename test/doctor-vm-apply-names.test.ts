import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * Names and user data of a hand-written VM fleet that only apply settles, as
 * phpboyscout/terraform-aws-gitlab-runner-fleet writes them (read once 25a evaluated its template
 * directives): an instance profile with `name_prefix` gave RF106 "instance profile undefined carries no
 * role", and a worker launch template whose user data is a local only apply knows gave RF106 "an
 * expression runner-fleet cannot read" — two false errors. The base is the sound corpus case
 * ec2-autoscaler-hand-written (no finding).
 */
const BASE = readFileSync(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-autoscaler-hand-written', 'main.tf'), 'utf8');
const run = (edit: (t: string) => string) => {
  const text = edit(BASE);
  expect(text).not.toBe(BASE);
  return doctor([{ path: 'main.tf', bytes: new TextEncoder().encode(text) }]);
};

describe('a VM fleet whose names or user data only apply settles', () => {
  // A guard: this shape (the profile and its role by name_prefix, in a module) was right before too; the
  // fix of infer-vm.ts (a stand-in name for a profile named at apply) was seen on phpboyscout's files
  // themselves (three "instance profile undefined" messages before, none after), which this base does
  // not reproduce.
  it('the manager\'s instance profile (and its role) named by name_prefix, in a module: no RF106, no "undefined"', () => {
    const prefixed = BASE.replace('  name = "gitlab-runner-autoscaler-manager"\n  role = aws_iam_role.manager.name', '  name_prefix = "gitlab-runner-autoscaler-manager-"\n  role        = aws_iam_role.manager.name').replace('resource "aws_iam_role" "manager" {\n  name = "gitlab-runner-autoscaler-manager"\n', 'resource "aws_iam_role" "manager" {\n  name_prefix = "gitlab-runner-mgr-"\n');
    expect(prefixed).not.toBe(BASE);
    const r = doctor([{ path: 'main.tf', bytes: new TextEncoder().encode('module "fleet" {\n  source = "./fleet"\n}\n') }, { path: 'fleet/main.tf', bytes: new TextEncoder().encode(prefixed) }]);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toContain('undefined');
  });

  it('the workers\' user data only apply knows: RF906 (not checked), not RF106', () => {
    const r = run((t) => t.replace('  name_prefix            = "gitlab-ci-worker-"\n', '  name_prefix            = "gitlab-ci-worker-"\n  user_data              = base64encode(var.worker_script)\n') + 'variable "worker_script" {}\n');
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF906' && /its user data is known only when Terraform runs/.test(f.message)).map((f) => f.path)).toEqual(['main.tf:48:1']);
  });
});
