import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Issue 33b, from public repositories: a module folder nobody given calls is read with its
 * variables' defaults (a reference broken only by them is not an error of a deployment); a public
 * module that creates nothing (cloudposse/label/null) is no "not read"; an example calling its own
 * repository's module by registry address is told how to read the module given.
 */

const run = doctorTexts;
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** A module's own subnets, as pyranja/terraform-aws-gitlab-runner modules/standalone writes them. */
const STANDALONE = `variable "subnet_id" {
  type    = string
  default = null
}
variable "subnets" {
  type    = list(string)
  default = []
}
locals {
  subnets = compact(flatten([var.subnet_id, var.subnets]))
}
data "aws_subnet" "runner" {
  id = local.subnets[0]
}
`;
const CACHE = `variable "name" {}
resource "aws_s3_bucket" "cache" {
  bucket = var.name
}
`;
const ROOT = `module "cache" {
  source = "./modules/cache"
  name   = "runner-cache"
}
`;

describe('1. a reference broken by variables\' defaults', () => {
  it('in a root: RF913 that names the defaults the value comes from', () => {
    const r = run({ 'main.tf': STANDALONE });
    const f = of(r, 'RF913');
    expect(f.map((x) => x.path)).toEqual(['main.tf:13:8']);
    expect(f[0]!.message).toBe("local.subnets[0]: index 0 is out of range (the list has 0 items); the list comes from variable subnet_id's default `null` and variable subnets's default `[]`; no variable definitions file or caller in the files given sets them");
  });

  it('in a root whose terraform.tfvars sets one of them: the other is named, as one the list depends on', () => {
    const r = run({ 'main.tf': STANDALONE, 'terraform.tfvars': 'subnets = []\n' });
    expect(of(r, 'RF913').map((x) => x.message)).toEqual(["local.subnets[0]: index 0 is out of range (the list has 0 items); the list depends on variable subnet_id's default `null`; no variable definitions file or caller in the files given sets it"]);
  });

  it('in a root whose terraform.tfvars sets both: RF913 as before, no default named', () => {
    const r = run({ 'main.tf': STANDALONE, 'terraform.tfvars': 'subnets = []\nsubnet_id = ""\n' });
    expect(of(r, 'RF913').map((x) => x.message)).toEqual(['local.subnets[0]: index 0 is out of range (the list has 0 items)']);
  });

  it('a folder under modules/ that no folder given calls: not shown (RF903), no error', () => {
    const r = run({ 'main.tf': ROOT, 'modules/cache/main.tf': CACHE, 'modules/standalone/main.tf': STANDALONE });
    expect(of(r, 'RF913')).toEqual([]);
    const f = of(r, 'RF903').filter((x) => x.path === 'modules/standalone/main.tf:13:8');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('info');
    expect(f[0]!.message).toContain("not shown: local.subnets[0]: index 0 is out of range (the list has 0 items), but the list comes from variable subnet_id's default `null` and variable subnets's default `[]`, and modules/standalone is a module (a folder under modules/) that no folder given calls");
    expect(f[0]!.message).toContain('depends on what a caller passes');
  });

  it('the same folder given alone is the root it is asked to be: RF913', () => {
    const r = run({ 'modules/standalone/main.tf': STANDALONE });
    expect(of(r, 'RF913').map((x) => x.path)).toEqual(['modules/standalone/main.tf:13:8']);
    expect(of(r, 'RF903').filter((x) => x.message.startsWith('not shown'))).toEqual([]);
  });

  it('a folder under modules/ with a terraform.tfvars of its own is applied on its own: RF913', () => {
    const r = run({ 'main.tf': ROOT, 'modules/cache/main.tf': CACHE, 'modules/standalone/main.tf': STANDALONE, 'modules/standalone/terraform.tfvars': 'name = "x"\n' });
    expect(of(r, 'RF913').map((x) => x.path)).toEqual(['modules/standalone/main.tf:13:8']);
  });

  it('a folder under modules/ nobody calls, broken whatever a caller passes: still RF913', () => {
    const broken = `locals {
  zones = ["a"]
}
resource "aws_subnet" "second" {
  availability_zone = local.zones[1]
}
`;
    const r = run({ 'main.tf': ROOT, 'modules/cache/main.tf': CACHE, 'modules/zones/main.tf': broken });
    expect(of(r, 'RF913').map((x) => `${x.path} ${x.message}`)).toEqual(['modules/zones/main.tf:5:23 local.zones[1]: index 1 is out of range (the list has 1 item)']);
  });

  it('a module whose call does not set the variable: RF913 that says the call does not set it', () => {
    const r = run({ 'main.tf': 'module "net" {\n  source = "./modules/net"\n}\n', 'modules/net/main.tf': STANDALONE });
    expect(of(r, 'RF913').map((x) => x.message)).toEqual(["local.subnets[0]: index 0 is out of range (the list has 0 items); the list comes from variable subnet_id's default `null` and variable subnets's default `[]`; the call module.net does not set them"]);
  });

  it('an instance a count of a default does not make: RF913 naming the default', () => {
    const tf = `variable "create" {
  default = false
}
resource "aws_security_group" "x" {
  count = var.create ? 1 : 0
  name  = "runners"
}
resource "aws_security_group_rule" "ssh" {
  security_group_id = aws_security_group.x[0].id
  type              = "ingress"
}
`;
    const r = run({ 'main.tf': tf });
    expect(of(r, 'RF913').map((x) => x.message)).toEqual(["aws_security_group.x has no instance 0 (instances: none); its count comes from variable create's default `false`; no variable definitions file or caller in the files given sets it"]);
  });

  it('inside try() in a module nobody calls: the fallback is taken, nothing said of it', () => {
    const tf = STANDALONE.replace('id = local.subnets[0]', 'id = try(local.subnets[0], "subnet-0123")');
    const r = run({ 'main.tf': ROOT, 'modules/cache/main.tf': CACHE, 'modules/standalone/main.tf': tf });
    expect(of(r, 'RF913')).toEqual([]);
    expect(of(r, 'RF903').filter((x) => x.path.startsWith('modules/standalone/'))).toEqual([]);
  });

  it('inside try() in a root: the fallback is taken, nothing said of it (try catches the error)', () => {
    const r = run({ 'main.tf': STANDALONE.replace('id = local.subnets[0]', 'id = try(local.subnets[0], "subnet-0123")') });
    expect(of(r, 'RF913')).toEqual([]);
  });

  it('a local broken of its own, first read inside try(): still RF913 at the local (Terraform evaluates the local itself)', () => {
    const tf = `locals {
  zones  = ["a"]
  second = local.zones[1]
}
resource "aws_subnet" "second" {
  availability_zone = try(local.second, "b")
}
`;
    const r = run({ 'main.tf': tf });
    expect(of(r, 'RF913').map((x) => `${x.path} ${x.message}`)).toEqual(['main.tf:3:12 local.zones[1]: index 1 is out of range (the list has 1 item)']);
  });
});

describe('2. a public module that creates nothing', () => {
  const label = (source: string, version?: string) => `module "label" {
  source = "${source}"${version !== undefined ? `\n  version = "${version}"` : ''}
  namespace = "ci"
  name      = "runner"
}
module "vpc" {
  source  = "cloudposse/vpc/aws"
  version = "2.1.0"
}
resource "aws_s3_bucket" "cache" {
  bucket = "\${module.label.id}-cache"
  tags   = module.label.tags
}
`;
  const notRead = (r: DoctorResult) => of(r, 'RF903').filter((f) => f.message.includes('is not read')).map((f) => f.message.replace(/ is not read.*/, ''));

  it('cloudposse/label/null 0.25.0 is silent; another registry module is still RF903', () => {
    const r = run({ 'main.tf': label('cloudposse/label/null', '0.25.0') });
    expect(notRead(r)).toEqual(['not in the evidence given: module "vpc" from cloudposse/vpc/aws']);
    expect(of(r, 'RF913')).toEqual([]);
    expect(of(r, 'RF914')).toEqual([]);
  });

  it('its git source at a release tag is silent too', () => {
    const r = run({ 'main.tf': label('git::https://github.com/cloudposse/terraform-null-label.git?ref=tags/0.24.1') });
    expect(notRead(r)).toEqual(['not in the evidence given: module "vpc" from cloudposse/vpc/aws']);
  });

  it('a release before 0.15.0 (it declares a null_resource) or no version pinned: RF903', () => {
    for (const version of ['0.14.1', undefined]) {
      const r = run({ 'main.tf': label('cloudposse/label/null', version) });
      expect(notRead(r)).toEqual(['not in the evidence given: module "label" from cloudposse/label/null', 'not in the evidence given: module "vpc" from cloudposse/vpc/aws']);
    }
  });

  it('what reads its outputs is not known (their values are not evaluated), never a broken reference', () => {
    const r = run({ 'main.tf': label('cloudposse/label/null', '~> 0.25.0') });
    expect(notRead(r)).toEqual(['not in the evidence given: module "vpc" from cloudposse/vpc/aws']);
    expect(of(r, 'RF913')).toEqual([]);
  });
});

describe('3. an example calling its own repository\'s module by registry address', () => {
  const module = 'variable "name" {}\nresource "aws_s3_bucket" "cache" {\n  bucket = var.name\n}\n';
  const example = 'module "runner" {\n  source  = "acme/runner-spot/aws"\n  version = "~> 2.0"\n  name    = "x"\n}\n';

  it('under examples/ of a module given: RF903 says it may be that module, and how to read it', () => {
    const r = run({ 'terraform-aws-runner-spot/main.tf': module, 'terraform-aws-runner-spot/examples/complete/main.tf': example });
    const f = of(r, 'RF903').filter((x) => x.path === 'terraform-aws-runner-spot/examples/complete/main.tf:1:1');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('it may be the module of terraform-aws-runner-spot itself (the call is in its examples/ folder, examples call their module by its registry address, and the registry publishes a repository terraform-aws-runner-spot as <namespace>/runner-spot/aws)');
    expect(f[0]!.message).toContain('the doctor does not take a registry release for the files given');
    expect(f[0]!.fix).toContain('source = "../.."');
  });

  it('another registry module the example calls, or the address under a folder of another name: the plain RF903', () => {
    const vpc = 'module "vpc" {\n  source  = "cloudposse/vpc/aws"\n  version = "2.1.0"\n}\n';
    const r = run({ 'terraform-aws-runner-spot/main.tf': module, 'terraform-aws-runner-spot/examples/complete/vpc.tf': vpc, 'infra/main.tf': module, 'infra/examples/complete/main.tf': example });
    const plain = (path: string) => of(r, 'RF903').filter((x) => x.path === path).map((x) => x.message.includes('is not read (the doctor follows local modules') && !x.message.includes('may be the module'));
    expect(plain('terraform-aws-runner-spot/examples/complete/vpc.tf:1:1')).toEqual([true]);
    expect(plain('infra/examples/complete/main.tf:1:1')).toEqual([true]);
  });

  it('a call of the same address from a folder that is no example: the plain RF903', () => {
    const r = run({ 'terraform-aws-runner-spot/main.tf': module, 'live/main.tf': example });
    const f = of(r, 'RF903').filter((x) => x.path === 'live/main.tf:1:1');
    expect(f.map((x) => x.message)).toEqual(['not in the evidence given: module "runner" from acme/runner-spot/aws is not read (the doctor follows local modules, modules terraform init installed in the root\'s .terraform/modules, and a few public ones), so what it creates is not proven']);
  });
});
