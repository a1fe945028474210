import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { normalizeTerraform } from '../src/doctor/terraform.js';
import { MODULE_TESTED } from './helpers/doctor-modules.js';
import { corpusRoot } from './helpers/corpus-case.js';

/**
 * Local Terraform modules (`source = "./…"`): the doctor reads the module's folder, binds its
 * variables to the call's arguments (defaults otherwise), evaluates its resources at
 * `module.<name>.<type>.<name>` and resolves `module.<name>.<output>` from the caller. A call that
 * does not match its module is RF914; a cycle or a nesting too deep is RF915, never a hang.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const tf = (m: Record<string, string>) => {
  const ev = readEvidence(files(m));
  const { root, findings } = normalizeTerraform(ev);
  return { root, findings, ev, at: (code: string) => findings.filter((f) => f.code === code).map((f) => `${f.path} ${f.message}`) };
};

const ROLE_MODULE = `variable "name" {
  type = string
}
variable "path" {
  default = "/ci/"
}
resource "aws_iam_role" "this" {
  name               = var.name
  path               = var.path
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
output "name" {
  value = aws_iam_role.this.name
}
output "arn" {
  value = aws_iam_role.this.arn
}
`;

const PROVIDERS = 'provider "aws" {\n  alias               = "prod"\n  allowed_account_ids = ["444455556666"]\n}\nprovider "aws" {\n  allowed_account_ids = ["111122223333"]\n}\nprovider "aws" {\n  alias = "audit"\n  assume_role {\n    role_arn = "arn:aws:iam::777788889999:role/terraform"\n  }\n}\n';
const role = (name: string, provider?: string) => `resource "aws_iam_role" "${name}" {\n${provider ? `  provider = ${provider}\n` : ''}  name = "${name}"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n`;

const PROVIDER_CASES: [string, Record<string, string>, string, RegExp][] = [
  ['a resource naming an alias no provider block declares (RF916, with the nearest)', { 'main.tf': PROVIDERS + role('deploy', 'aws.prd') }, 'RF916', /^main\.tf:15:14 aws_iam_role\.deploy uses the provider configuration aws\.prd, which no provider "aws" block declares \(alias\); declared: aws\.prod, aws, aws\.audit/],
  ['a module call mapping a configuration the caller lacks (RF916)', { 'main.tf': PROVIDERS + 'module "m" {\n  source    = "./role"\n  name      = "m"\n  providers = {\n    aws = aws.staging\n  }\n}\n', 'role/main.tf': ROLE_MODULE }, 'RF916', /^main\.tf:18:11 module "m" is given the provider configuration aws\.staging, which no provider block of this module declares/],
  ['a module resource naming an alias its call does not map (RF916)', { 'main.tf': PROVIDERS + 'module "m" {\n  source = "./role"\n}\n', 'role/main.tf': role('r', 'aws.prod') }, 'RF916', /^role\/main\.tf:2:14 aws_iam_role\.module\.m\.r uses the provider configuration aws\.prod, which module\.m is not given/],
  ['an alias in a root whose provider blocks were not given: missing evidence (RF903), not a defect', { 'main.tf': role('deploy', 'aws.prod') }, 'RF903', /^main\.tf:2:14 not in the evidence given: aws_iam_role\.deploy uses the provider configuration aws\.prod, and no provider "aws" block/],
];

describe('local modules are followed', () => {
  it('arguments bind variables, defaults fill the rest, resources sit at module.<call>.<type>.<name>', () => {
    const { root, findings, ev } = tf({ 'infra/main.tf': 'module "a" {\n  source = "./modules/role"\n  name   = "role-a"\n}\n', 'infra/modules/role/main.tf': ROLE_MODULE });
    expect(findings).toEqual([]);
    expect(root.resource.aws_iam_role?.['module.a.this']).toMatchObject({ name: 'role-a', path: '/ci/' });
    // The module's folder is not a root of its own: its resources exist once per call, never unbound.
    expect(Object.keys(root.resource.aws_iam_role ?? {})).toEqual(['module.a.this']);
    expect(ev.terraform.origins.get('aws_iam_role.module.a.this')?.source.path).toBe('infra/modules/role/main.tf');
  });

  it('outputs resolve from the caller; a value only apply knows keeps the module address in its symbol', () => {
    const { ev: ev0 } = tf({
      'main.tf': 'module "a" {\n  source = "./role"\n  name   = "role-a"\n}\nresource "aws_iam_role_policy" "p" {\n  role   = module.a.name\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = module.a.arn }] })\n}\n',
      'role/main.tf': ROLE_MODULE,
    });
    expect(ev0.terraform.resource.aws_iam_role_policy?.p?.role).toBe('role-a');
    // Inside a policy the module's role ARN is derived from the name the module gives it (as for a role of the root);
    // outside one (a description) the output keeps the module address in its symbol.
    expect(ev0.terraform.resource.aws_iam_role_policy?.p?.policy).toBe('{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:iam::000000000000:role/ci/role-a"}]}');
    expect(tf({ 'main.tf': 'module "a" {\n  source = "./role"\n  name   = "role-a"\n}\nresource "aws_iam_role" "r" {\n  name = "r"\n  description = module.a.arn\n  assume_role_policy = "{}"\n}\n', 'role/main.tf': ROLE_MODULE }).ev.terraform.resource.aws_iam_role?.r?.description).toBe('${module.a.aws_iam_role.this.arn}');
  });

  it('for_each over a literal map and count over a literal number make one instance each; an unknown for_each is RF906 as for resources', () => {
    const { root } = tf({ 'main.tf': 'module "r" {\n  for_each = { a = "role-a", b = "role-b" }\n  source   = "./role"\n  name     = each.value\n}\nmodule "c" {\n  count  = 2\n  source = "./role"\n  name   = "c-${count.index}"\n}\n', 'role/main.tf': ROLE_MODULE });
    expect(Object.entries(root.resource.aws_iam_role ?? {}).map(([k, b]) => `${k}=${String(b.name)}`).sort()).toEqual(['module.c[0].this=c-0', 'module.c[1].this=c-1', 'module.r["a"].this=role-a', 'module.r["b"].this=role-b']);
    const u = tf({ 'main.tf': 'variable "names" {}\nmodule "r" {\n  for_each = var.names\n  source   = "./role"\n  name     = each.value\n}\n', 'role/main.tf': ROLE_MODULE });
    expect(u.at('RF906')).toEqual([expect.stringMatching(/^main\.tf:3:14 for_each of module\.r is not statically known: var\.names has no default/)]);
    expect(u.root.resource.aws_iam_role).toBeUndefined();
  });

  it('modules call modules; an instance key that names nothing, an output the module does not declare: RF913 at the reference', () => {
    const { root, at } = tf({
      'main.tf': 'module "outer" {\n  source = "./outer"\n  prefix = "x"\n}\nresource "null_resource" "n" {\n  a = module.outer.nope\n  b = module.c[5].name\n}\nmodule "c" {\n  count  = 1\n  source = "./outer/role"\n  name   = "c"\n}\n',
      'outer/main.tf': 'variable "prefix" {}\nmodule "inner" {\n  source = "./role"\n  name   = "${var.prefix}-inner"\n}\noutput "inner_name" {\n  value = module.inner.name\n}\n',
      'outer/role/main.tf': ROLE_MODULE,
    });
    expect(root.resource.aws_iam_role?.['module.outer.module.inner.this']?.name).toBe('x-inner');
    expect(at('RF913')).toEqual([expect.stringMatching(/^main\.tf:6:7 module\.outer has no output nope \(module outer\); did you mean inner_name\?|^main\.tf:6:7 module\.outer has no output nope/), expect.stringMatching(/^main\.tf:7:7 module\.c has no instance 5 \(instances: 0\)/)]);
  });
});

describe('a whole resource as a value: its attributes are read through it', () => {
  // pyranja/terraform-aws-gitlab-runner passes resources so (`gitlab_token = aws_secretsmanager_secret.token`,
  // `cache = module.cache.bucket`); before, every attribute read through one was "a whole block" (RF906).
  const POLICY_MODULE = 'variable "cache" {}\nresource "aws_iam_policy" "p" {\n  name   = "cache-${var.cache.bucket}"\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${var.cache.arn}/*" }] })\n}\n';
  it('a module argument that is a whole resource: its written and derived attributes are known in the module', () => {
    const { root, findings } = tf({ 'main.tf': 'resource "aws_s3_bucket" "cache" {\n  bucket = "acme-cache"\n}\nmodule "m" {\n  source = "./m"\n  cache  = aws_s3_bucket.cache\n}\n', 'm/main.tf': POLICY_MODULE });
    expect(findings).toEqual([]);
    // The bucket's name read through it is what `aws_s3_bucket.cache.bucket` written in the root is (the root keeps its symbol).
    expect(root.resource.aws_iam_policy?.['module.m.p']).toMatchObject({ name: 'cache-${aws_s3_bucket.cache.bucket}', policy: '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::acme-cache/*"}]}' });
  });

  it('an output that is a whole resource, read from the caller; an attribute only apply knows is named as its module names it', () => {
    const { root } = tf({
      'main.tf': 'module "cache" {\n  source = "./cache"\n}\nmodule "m" {\n  source = "./m"\n  cache  = module.cache.bucket\n}\nresource "aws_secretsmanager_secret" "token" {\n  name = "t"\n}\nresource "aws_ssm_parameter" "r" {\n  name  = "r"\n  type  = "String"\n  value = module.cache.bucket.bucket\n}\nmodule "t" {\n  source = "./t"\n  token  = aws_secretsmanager_secret.token\n}\n',
      'cache/main.tf': 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-cache"\n}\noutput "bucket" {\n  value = aws_s3_bucket.b\n}\n',
      'm/main.tf': POLICY_MODULE,
      't/main.tf': 'variable "token" {}\nresource "aws_ssm_parameter" "t" {\n  name  = "t"\n  type  = "String"\n  value = var.token.arn\n}\n',
    });
    expect(root.resource.aws_ssm_parameter?.r?.value).toBe('acme-cache');
    expect(root.resource.aws_iam_policy?.['module.m.p']?.policy).toBe('{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::acme-cache/*"}]}');
    // The secret's ARN has a suffix AWS adds: unknown, and named as the root names it.
    expect(root.resource.aws_ssm_parameter?.['module.t.t']?.value).toBe('${aws_secretsmanager_secret.token.arn}');
  });

  it('for_each over another resource of for_each (chained instances): each.value is that instance, each.key its key', () => {
    const { root, findings } = tf({
      'main.tf': 'data "aws_iam_policy_document" "d" {\n  for_each = { cache = "arn:aws:s3:::acme-cache" }\n  statement {\n    actions   = ["s3:GetObject"]\n    resources = ["${each.value}/*"]\n  }\n}\nresource "aws_iam_policy" "p" {\n  for_each = data.aws_iam_policy_document.d\n  name     = "p-${each.key}"\n  policy   = each.value.json\n}\nresource "aws_ssm_parameter" "c" {\n  count = 2\n  name  = "c${count.index}"\n  type  = "String"\n  value = "x"\n}\nlocals {\n  all = aws_ssm_parameter.c\n}\nresource "aws_ssm_parameter" "e" {\n  name  = "e"\n  type  = "String"\n  value = local.all[1].name\n}\n',
    });
    expect(findings).toEqual([]);
    expect(root.resource.aws_iam_policy?.['p["cache"]']).toMatchObject({ name: 'p-cache' });
    expect(JSON.parse(String(root.resource.aws_iam_policy?.['p["cache"]']?.policy))).toMatchObject({ Statement: [{ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-cache/*'] }] });
    // A resource of count as a whole is the list of its instances.
    expect(root.resource.aws_ssm_parameter?.e?.value).toBe('c1');
  });
});

describe('a module one of whose files is not valid HCL', () => {
  // ftsogr/gitlab-runners-aws-fargate-kaniko: one typo in variables.tf (RF901) and 18 RF913 "names no variable"
  // errors for variables that file declares. What the file may declare is not proven, not broken.
  const BROKEN = 'variable "subnet         = "subnet-x"\n  type = string\n}\nvariable "name" {\n  type = string\n}\n';
  it('a reference the other files do not declare is RF903, not RF913; an argument of a call to it, not RF914', () => {
    const { at } = tf({
      'main.tf': 'variable "project" {}\nresource "aws_ssm_parameter" "p" {\n  name  = var.prject\n  type  = "String"\n  value = local.nope\n}\nmodule "m" {\n  source = "./m"\n  name   = "x"\n}\n',
      'variables.tf': BROKEN,
      'm/main.tf': 'resource "aws_ssm_parameter" "q" {\n  name  = var.name\n  type  = "String"\n  value = "v"\n}\n',
      'm/variables.tf': BROKEN,
    });
    expect(at('RF913')).toEqual([]);
    expect(at('RF914')).toEqual([]);
    expect(at('RF903')).toEqual([
      expect.stringMatching(/^main\.tf:3:11 var\.prject is declared in none of the files of this module that could be read; variables\.tf could not be \(not valid HCL, RF901\)/),
      expect.stringMatching(/^main\.tf:5:11 local\.nope is declared in none of the files/),
      expect.stringMatching(/^main\.tf:9:12 module "m" sets name, which none of the files of \.\/m that could be read declares; m\/variables\.tf could not be/),
      expect.stringMatching(/^m\/main\.tf:2:11 var\.name is declared in none of the files of this module that could be read; m\/variables\.tf/),
    ]);
  });
  it('a name used in several places is one RF903, at its first reference, counting the others', () => {
    const { at } = tf({
      'main.tf': 'resource "aws_ssm_parameter" "p" {\n  name  = var.project\n  type  = "String"\n  value = "${var.project}-v"\n  description = var.project\n}\nresource "aws_ssm_parameter" "q" {\n  name  = var.other\n  type  = "String"\n  value = "v"\n}\n',
      'variables.tf': BROKEN,
    });
    expect(at('RF903')).toEqual([
      expect.stringMatching(/^main\.tf:2:11 var\.project is declared in none of the files of this module that could be read; variables\.tf could not be \(not valid HCL, RF901\), so what depends on it is not proven \(here and at 2 more references in this module\)$/),
      expect.stringMatching(/^main\.tf:8:11 var\.other is declared in none of the files of this module that could be read; variables\.tf could not be \(not valid HCL, RF901\), so what depends on it is not proven$/),
    ]);
  });
  it('with every file readable, the same references are still RF913 and RF914', () => {
    const { at } = tf({ 'main.tf': 'variable "project" {}\nresource "aws_ssm_parameter" "p" {\n  name  = var.prject\n  type  = "String"\n  value = "v"\n}\nmodule "m" {\n  source = "./m"\n  name   = "x"\n}\n', 'm/main.tf': 'resource "aws_ssm_parameter" "q" {\n  name  = "q"\n  type  = "String"\n  value = "v"\n}\n' });
    expect(at('RF913')).toEqual([expect.stringMatching(/^main\.tf:3:11 var\.prject names no variable of this module; did you mean var\.project/)]);
    expect(at('RF914')).toEqual([expect.stringMatching(/^main\.tf:9:12 module "m" sets name, which \.\/m does not declare/)]);
  });
});

describe('a call that does not match its module (RF914), and what is not followed (RF903, RF915)', () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ['an argument that is no variable of the module, with the nearest', { 'main.tf': 'module "a" {\n  source = "./role"\n  name   = "a"\n  paht   = "/x/"\n}\n', 'role/main.tf': ROLE_MODULE }, 'RF914', /^main\.tf:4:12 module "a" sets paht, which \.\/role does not declare as a variable; did you mean path \(role\/main\.tf:4:1\)\?/],
    ['a required variable not set', { 'main.tf': 'module "a" {\n  source = "./role"\n}\n', 'role/main.tf': ROLE_MODULE }, 'RF914', /^main\.tf:1:1 module "a" does not set name, a variable of \.\/role without default \(role\/main\.tf:1:1\): Terraform refuses the call/],
    ['a registry module: not read, said once at the block', { 'main.tf': 'module "irsa" {\n  source  = "example-corp/eks-irsa-role/aws"\n  version = "~> 5.0"\n}\n' }, 'RF903', /^main\.tf:1:1 not in the evidence given: module "irsa" from example-corp\/eks-irsa-role\/aws is not read/],
    ['a known registry module called with an argument its reading does not model', { 'main.tf': 'module "irsa" {\n  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"\n  version = "~> 5.0"\n  role_name_prefix = "runner-"\n}\n' }, 'RF903', /^main\.tf:1:1 not in the evidence given: module "irsa" from terraform-aws-modules\/iam\/aws\/\/modules\/iam-role-for-service-accounts-eks is not read: it sets role_name_prefix, which the doctor's reading of this module does not cover/],
    ['a local module whose folder was not given', { 'main.tf': 'module "a" {\n  source = "../shared/role"\n}\n' }, 'RF903', /^main\.tf:1:1 not in the evidence given: module "a" from \.\.\/shared\/role is not read/],
    ['a cycle of calls', { 'a/main.tf': 'module "b" {\n  source = "../b"\n}\n', 'b/main.tf': 'module "a" {\n  source = "../a"\n}\n' }, 'RF915', /calls a module that is already being called \((a|b) → (b|a) → (a|b)\)/],
    ['a module that calls itself', { 'm/main.tf': 'module "again" {\n  source = "./"\n}\nresource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n' }, 'RF915', /^m\/main\.tf:1:1 module "again" from \.\/ calls a module that is already being called \(m → m\)/],
  ];
  it('the catalogue\'s module codes are the ones these tables fail (the passing cases: the sound calls above and below)', () => {
    for (const code of MODULE_TESTED) expect([...cases, ...PROVIDER_CASES].some((c) => c[2] === code)).toBe(true);
  });
  it.each(cases)('%s', (_, m, code, message) => {
    const t0 = performance.now();
    const { findings } = tf(m);
    expect(performance.now() - t0).toBeLessThan(2000);
    const got = findings.filter((f) => f.code === code).map((f) => `${f.path} ${f.message}`);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(message);
  });

  it('two required variables not set are two findings; the documents that use them are not reported again', () => {
    const { findings } = tf({ 'main.tf': 'module "a" {\n  source = "./role"\n}\n', 'role/main.tf': 'variable "name" {}\nvariable "trust" {}\nresource "aws_iam_role" "r" {\n  name = var.name\n  assume_role_policy = var.trust\n}\n' });
    expect(findings.map((f) => f.code)).toEqual(['RF914', 'RF914']);
  });

  it('nesting deeper than the doctor follows: RF915 once, in well under a second', () => {
    const m: Record<string, string> = {};
    let dir = 'm';
    for (let i = 0; i < 40; i++) {
      m[`${dir}/main.tf`] = 'module "next" {\n  source = "./n"\n}\n';
      dir += '/n';
    }
    const t0 = performance.now();
    const { at } = tf(m);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(at('RF915')).toEqual([expect.stringMatching(/module "next" is nested 16 calls deep; the doctor follows at most 16/)]);
  });

  it('a fan-out of module instances is bounded (RF915), not a blow-up', () => {
    const fan = 'variable "n" {\n  default = 0\n}\nmodule "x" {\n  count  = 20\n  source = "./n"\n}\n';
    const m: Record<string, string> = {};
    let dir = 'm';
    for (let i = 0; i < 6; i++) {
      m[`${dir}/main.tf`] = fan;
      dir += '/n';
    }
    const t0 = performance.now();
    const { findings } = tf(m);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(findings.some((f) => f.code === 'RF915' && /more than 2000 module instances/.test(f.message))).toBe(true);
  });
});

describe('the module corpus cases through the whole doctor', () => {
  const CORPUS = corpusRoot();
  const filesOf = (dir: string, root = dir): InputFile[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return filesOf(p, root);
      return name === 'expected.json' ? [] : [{ path: relative(root, p).split('\\').join('/'), bytes: readFileSync(p) }];
    });
  it('module-irsa-sound: both roles proven through the module', () => {
    const r = doctor(filesOf(join(CORPUS, 'module-irsa-sound')));
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.filter((p) => /^only .* can assume the (manager|jobs) role/.test(p.claim))).toHaveLength(2);
  });
  it('module-irsa-namespace-drift: RF104 names the module line and the caller\'s argument, and the fix names the argument', () => {
    const r = doctor(filesOf(join(CORPUS, 'module-irsa-namespace-drift')));
    const f = r.findings.find((x) => x.code === 'RF104')!;
    expect(f.message).toBe('ServiceAccount gitlab/gitlab-runner (k8s.yaml:15:33) → manager role gitlab-runner-manager, whose trust (terraform/modules/irsa/main.tf:40:18) admits only system:serviceaccount:gitlab-runner:gitlab-runner, made by module.runner_manager_irsa (terraform/main.tf:27:1) with namespace = "gitlab-runner" (terraform/main.tf:32:23), service_account = "gitlab-runner" (terraform/main.tf:33:23)');
    expect(f.fix).toBe('set namespace = "gitlab" in module.runner_manager_irsa (terraform/main.tf:32:23), or run the runner where the trust says');
  });
});

describe('each resource lives in its own provider configuration\'s account', () => {
  it('provider = aws.<alias>, the default otherwise, assume_role\'s account where no allowed_account_ids; a module gets what its call maps', () => {
    const { ev, findings } = tf({
      'main.tf': PROVIDERS + role('ci') + role('deploy', 'aws.prod') + role('audit', 'aws.audit') + 'module "staged" {\n  source    = "./role"\n  name      = "staged"\n  providers = {\n    aws = aws.prod\n  }\n}\nmodule "plain" {\n  source = "./role"\n  name   = "plain"\n}\n',
      'role/main.tf': ROLE_MODULE,
    });
    expect(findings).toEqual([]);
    expect(Object.fromEntries(ev.terraform.accounts ?? [])).toEqual({
      'aws_iam_role.ci': '111122223333',
      'aws_iam_role.deploy': '444455556666',
      'aws_iam_role.audit': '777788889999',
      'aws_iam_role.module.staged.this': '444455556666',
      'aws_iam_role.module.plain.this': '111122223333',
    });
  });
  const cases = PROVIDER_CASES;
  it.each(cases)('%s', (_, m, code, message) => {
    const { findings } = tf(m);
    const got = findings.filter((f) => f.code === code).map((f) => `${f.path} ${f.message}`);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(message);
  });
});

describe('a policy given to a role the files do not declare', () => {
  // hareku/terraform-eks-gitlab-runner attaches a policy to `module.cluster.worker_iam_role_name` (a registry
  // module not read): RF106 "unresolved reference in terraform/aws/main.tf.json: aws_iam_role_policy.doctor_attached_…",
  // an error naming the doctor's own documents.
  const POLICY = 'jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "*" }] })';
  const MAIN = (role: string) => `module "cluster" {\n  source = "acme/cluster/aws"\n}\nresource "aws_iam_policy" "p" {\n  name   = "p"\n  policy = ${POLICY}\n}\nresource "aws_iam_role_policy_attachment" "a" {\n  role       = ${role}\n  policy_arn = aws_iam_policy.p.arn\n}\nresource "aws_iam_role_policy" "i" {\n  role   = "role-of-another-folder"\n  policy = ${POLICY}\n}\n`;
  it('is not proven (RF903 at the resource as written), never RF106 about the doctor\'s documents', () => {
    const r = doctor(files({ 'main.tf': MAIN('module.cluster.worker_iam_role_name') }));
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(JSON.stringify(r.findings)).not.toMatch(/doctor_attached|main\.tf\.json/);
    expect(r.findings.filter((f) => f.code === 'RF903' && /gives a policy to role/.test(f.message)).map((f) => `${f.path} ${f.message}`)).toEqual([
      expect.stringMatching(/^main\.tf:\d+:\d+ aws_iam_role_policy\.i gives a policy to role role-of-another-folder, which no role of the files given is/),
      expect.stringMatching(/^main\.tf:\d+:\d+ aws_iam_role_policy_attachment\.a gives a policy to role \$\{module\.cluster\.worker_iam_role_name\}, which no role of the files given is/),
    ]);
  });
  it('a role the files declare: read as its policy, no such RF903', () => {
    const role = 'resource "aws_iam_role" "r" {\n  name = "role-of-another-folder"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n';
    const r = doctor(files({ 'main.tf': MAIN('aws_iam_role.r.name') + role }));
    expect(r.findings.filter((f) => f.code === 'RF106' || (f.code === 'RF903' && /gives a policy to role/.test(f.message)))).toEqual([]);
  });
});
