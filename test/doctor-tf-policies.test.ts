import { describe, expect, it } from 'vitest';
import { doctor, readEvidence } from '../src/doctor/index.js';
import { inferDeployment } from '../src/doctor/infer.js';
import { normalizeTerraform, renderPolicyDocument } from '../src/doctor/terraform.js';
import { policyDocumentProblem } from '../src/doctor/policy-document.js';
import { baseDeployment, deploymentFiles } from './helpers/doctor.js';

/**
 * Policies written in Terraform (inline `aws_iam_role_policy`, `aws_iam_policy`,
 * `assume_role_policy`, rendered `aws_iam_policy_document`, in HCL and in JSON) go through the same
 * screening as the documents `--aws` reads: a document outside the grammar, or a data source value
 * of a type the provider refuses, is RF901 at the offending value, and the rest is still proven.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const TRUST = 'jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })';
const role = (trust: string) => `resource "aws_iam_role" "r" {\n  name               = "r"\n  assume_role_policy = ${trust}\n}\n`;
const dataDoc = (statement: string) => `data "aws_iam_policy_document" "d" {\n  statement {\n${statement}\n  }\n}\nresource "aws_iam_role_policy" "p" {\n  role   = "r"\n  policy = data.aws_iam_policy_document.d.json\n}\n${role(TRUST)}`;

function findingsOf(path: string, text: string) {
  const r = doctor([...deploymentFiles(baseDeployment()), { path, bytes: enc(text) }]);
  return r.findings.filter((f) => f.path.startsWith(path));
}

describe('policies from Terraform are screened like the documents --aws reads', () => {
  const hcl: [string, string, string, RegExp][] = [
    ['an empty Statement list', `${role(TRUST)}resource "aws_iam_role_policy" "p" {\n  role   = aws_iam_role.r.name\n  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n`, '7:12', /aws_iam_role_policy\.p\.policy is not a valid IAM policy document: policy document: Statement list is empty/],
    ['no Statement at all', role('jsonencode({ Version = "2012-10-17" })'), '3:24', /missing Statement/],
    ['a Statement that is not an object', role('jsonencode({ Statement = ["x"] })'), '3:50', /Statement\[0\]: must be an object/],
    ['an Action that is a number', role('jsonencode({ Statement = [{ Effect = "Allow", Action = 3, Principal = { Service = "ec2.amazonaws.com" } }] })'), '3:79', /Statement\[0\]\.Action: expected non-empty strings, got 3/],
    ['an Action that is an object', role('jsonencode({ Statement = [{ Effect = "Allow", Action = { a = 1 }, Principal = { Service = "ec2.amazonaws.com" } }] })'), '3:79', /got \{"a":1\}/],
    ['a document that is a string', role('jsonencode("x")'), '3:24', /policy document must be an object/],
    ['a managed policy (aws_iam_policy)', `resource "aws_iam_policy" "m" {\n  name   = "m"\n  policy = jsonencode({ Statement = [{ Action = "s3:GetObject", Resource = "*" }] })\n}\n`, '3:38', /aws_iam_policy\.m\.policy is not a valid IAM policy document: Statement\[0\]: missing Effect/],
    ['data source: actions = a number', dataDoc('    actions   = 3\n    resources = ["*"]'), '3:17', /data\.aws_iam_policy_document\.d: statement\[0\]\.actions must be a list of strings, got 3/],
    ['data source: resources holding an object', dataDoc('    actions   = ["s3:GetObject"]\n    resources = [{ b = 2 }]'), '4:17', /statement\[0\]\.resources must be a list of strings, got \[\{"b":2\}\]/],
    ['data source: effect in lower case', dataDoc('    effect    = "deny"\n    actions   = ["s3:GetObject"]\n    resources = ["*"]'), '3:17', /statement\[0\]\.effect must be "Allow" or "Deny", got "deny"/],
    ['data source: identifiers that are an object', dataDoc('    actions = ["s3:GetObject"]\n    principals {\n      type        = "AWS"\n      identifiers = { a = 1 }\n    }'), '6:21', /statement\[0\]\.principals\[0\]\.identifiers must be a list of strings/],
    ['data source: a well-typed action outside the grammar', dataDoc('    actions   = ["s3GetObject"]\n    resources = ["*"]'), '3:17', /aws_iam_role_policy\.p\.policy \(rendered from data\.aws_iam_policy_document\.d\) is not a valid IAM policy document: Statement\[0\]\.Action: "s3GetObject" is not of the form service:action/],
    ['data source: no statement', `data "aws_iam_policy_document" "d" {\n}\n${role('data.aws_iam_policy_document.d.json')}`, '1:1', /rendered from data\.aws_iam_policy_document\.d\) is not a valid IAM policy document: policy document: Statement list is empty/],
  ];
  it.each(hcl)('HCL: %s → RF901 at the value', (_, text, at, message) => {
    const f = findingsOf('deploy/iam/x.tf', text);
    expect(f.map((x) => x.code)).toEqual(['RF901']);
    expect(f[0]!.path).toBe(`deploy/iam/x.tf:${at}`);
    expect(f[0]!.message).toMatch(message);
  });

  const json: [string, unknown, RegExp][] = [
    ['a Statement that is a number', { resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: { Statement: 5 } } } } }, /Statement\[0\]: must be an object/],
    ['an Action that is null', { resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: { Statement: [{ Effect: 'Allow', Action: null, Principal: { Service: 'x' } }] } } } } }, /Statement\[0\]\.Action: expected non-empty strings, got null/],
    ['a data source whose actions are a number', { data: { aws_iam_policy_document: { d: { statement: [{ actions: 7, resources: ['*'] }] } } }, resource: { aws_iam_role_policy: { p: { role: 'r', policy: '${data.aws_iam_policy_document.d.json}' } } } }, /statement\[0\]\.actions must be a list of strings, got 7/],
  ];
  it.each(json)('.tf.json: %s → RF901 at the value', (_, doc, message) => {
    const text = JSON.stringify(doc, null, 2);
    const f = findingsOf('deploy/iam/x.tf.json', text);
    expect(f.map((x) => x.code)).toEqual(['RF901']);
    expect(f[0]!.message).toMatch(message);
    // The line of the offending element, not of the file's start.
    expect(f[0]!.path).not.toBe('deploy/iam/x.tf.json:1:1');
    const line = Number(f[0]!.path.split(':')[1]);
    expect(text.split('\n')[line - 1]).toMatch(/Statement|Action|actions/);
  });

  it('the passing near misses: numbers Terraform converts to strings, the forms the provider renders', () => {
    expect(policyDocumentProblem({ statement: [{ sid: 1, actions: ['s3:GetObject'], resources: ['*'], condition: [{ test: 'NumericLessThan', variable: 'aws:MultiFactorAuthAge', values: [3600] }] }] })).toBeUndefined();
    expect(policyDocumentProblem({ statement: { actions: '${var.actions}' } })).toBeUndefined();
    const doc = renderPolicyDocument({
      policy_id: 'p',
      source_policy_documents: [JSON.stringify({ Statement: [{ Sid: 'A', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { Sid: 'B', Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] })],
      statement: [{ sid: 'B', effect: 'Deny', actions: ['s3:PutObject'], resources: ['*'], not_principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111122223333:root'] }] }],
      override_policy_documents: [JSON.stringify({ Statement: { Sid: 'A', Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' } })],
    });
    expect(doc).toEqual({
      Version: '2012-10-17',
      Id: 'p',
      Statement: [
        { Sid: 'A', Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' },
        { Sid: 'B', Effect: 'Deny', Action: ['s3:PutObject'], Resource: ['*'], NotPrincipal: { AWS: ['arn:aws:iam::111122223333:root'] } },
      ],
    });
  });

  it('a managed policy attached to a role counts as that role\'s permissions (the cache proof sees it)', () => {
    const d = baseDeployment();
    const manager = d.policies['gitlab-runner-manager.policy.json'];
    delete d.policies['gitlab-runner-manager.policy.json'];
    const tf = `resource "aws_iam_policy" "cache" {\n  name   = "cache"\n  policy = jsonencode(${JSON.stringify(manager)})\n}\nresource "aws_iam_role_policy_attachment" "cache" {\n  role       = "gitlab-runner-manager"\n  policy_arn = aws_iam_policy.cache.arn\n}\n`;
    const without = doctor(deploymentFiles(d));
    const withTf = doctor([...deploymentFiles(d), { path: 'deploy/iam/cache.tf', bytes: enc(tf) }]);
    const cacheProof = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.includes('reads and writes runner/'))?.holds;
    expect(cacheProof(without)).toBe(false);
    expect(cacheProof(withTf)).toBe(true);
    expect(withTf.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('provider "aws" is read from .tf as from .tf.json, through the evaluator', () => {
  const role = 'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n';
  const cases: [string, string, string, { account?: string; region?: string }][] = [
    ['HCL with a variable and a local', 'main.tf', `variable "account" {\n  default = "444455556666"\n}\nlocals {\n  region = "eu-north-1"\n}\nprovider "aws" {\n  region              = local.region\n  allowed_account_ids = [var.account]\n}\n${role}`, { account: '444455556666', region: 'eu-north-1' }],
    ['HCL, an aliased second provider after the first', 'main.tf', `provider "aws" {\n  region = "eu-west-1"\n  allowed_account_ids = ["111100002222"]\n}\nprovider "aws" {\n  alias  = "us"\n  region = "us-east-1"\n}\n${role}`, { account: '111100002222', region: 'eu-west-1' }],
    ['HCL whose values only apply knows: nothing is taken from them', 'main.tf', `variable "region" {}\nprovider "aws" {\n  region = var.region\n  allowed_account_ids = [var.region]\n}\n${role}`, {}],
    ['.tf.json with a template', 'main.tf.json', JSON.stringify({ locals: { acct: '777788889999' }, provider: { aws: [{ region: 'ap-south-1', allowed_account_ids: ['${local.acct}'] }] }, resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } }] }) } } } }), { account: '777788889999', region: 'ap-south-1' }],
  ];
  it.each(cases)('%s', (_, path, text, expected) => {
    const ev = readEvidence([{ path: `iam/${path}`, bytes: enc(text) }]);
    const inferred = inferDeployment(ev);
    expect(inferred.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // The account and region of the intent come from the provider where nothing else names them.
    expect(inferred.intent.aws?.accountId).toBe(expected.account ?? '000000000000');
    expect(inferred.intent.aws?.region).toBe(expected.region ?? 'us-east-1');
  });
});

describe('a resource not in the files given is missing evidence (RF903), a misspelt one is a defect (RF913)', () => {
  const policy = (ref: string) => `resource "aws_iam_role_policy" "p" {\n  role   = "gitlab-runner-manager"\n  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "\${${ref}}/*" }] })\n}\n`;
  const bucket = 'resource "aws_s3_bucket" "cache" {\n  bucket = "example-runner-cache"\n}\n';
  const cases: [string, string, string, string, RegExp, 0 | 1][] = [
    ['the bucket is declared in a file not given', policy('aws_s3_bucket.cache.arn'), 'RF903', '3:121', /aws_s3_bucket\.cache is not in the files given/, 0],
    ['a bucket of another name is given, the reference is far from it', `${bucket}${policy('aws_s3_bucket.logs.arn')}`, 'RF903', '6:121', /aws_s3_bucket\.logs is not in the files given/, 0],
    ['the reference misspells the bucket given', `${bucket}${policy('aws_s3_bucket.cahce.arn')}`, 'RF913', '6:121', /aws_s3_bucket\.cahce names no resource of this module; did you mean aws_s3_bucket\.cache \(deploy\/iam\/x\.tf:1:1\)\?/, 1],
    ['the reference misspells the type', `${bucket}${policy('aws_s3_bucke.cache.arn')}`, 'RF913', '6:121', /did you mean aws_s3_bucket\.cache/, 1],
  ];
  it.each(cases)('%s', (_, text, code, at, message, exit) => {
    const r = doctor([...deploymentFiles(baseDeployment()), { path: 'deploy/iam/x.tf', bytes: enc(text) }]);
    const f = r.findings.filter((x) => x.code === 'RF903' || x.code === 'RF913').filter((x) => x.path.startsWith('deploy/iam/x.tf'));
    expect(f.map((x) => `${x.code} ${x.path}`)).toEqual([`${code} deploy/iam/x.tf:${at}`]);
    expect(f[0]!.message).toMatch(message);
    // Missing evidence is info: only the misspelling is an error of the reference.
    expect(r.findings.filter((x) => x.severity === 'error' && x.path.startsWith('deploy/iam/x.tf:') && /^RF9/.test(x.code)).length).toBe(exit);
  });
});

describe('a trust over a created cluster\'s issuer is proven over its symbol, as plan proves the documents it emits', () => {
  // The pattern runner-fleet emits for clusters it creates, written by hand: the issuer is known only
  // after apply, so the trust names it through one local that Terraform substitutes everywhere.
  const trustRole = (key: string, name: string, sub: string) => `
resource "aws_iam_role" "${key}" {
  name = "${name}"
  # A heredoc: the template keeps the symbol where it is written (jsonencode() over an apply-time value does not, see README).
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Allow",
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": { "Federated": "arn:aws:iam::111122223333:oidc-provider/\${local.oidc}" },
        "Condition": { "StringEquals": { "\${local.oidc}:sub": "${sub}", "\${local.oidc}:aud": "sts.amazonaws.com" } }
      }]
    }
  EOT
}
`;
  const tf = (sub: string, resource = 'arn:aws:s3:::example-runner-cache/runner/*') => `
resource "aws_eks_cluster" "devops" {
  name     = "devops"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}
resource "aws_iam_openid_connect_provider" "devops" {
  url            = aws_eks_cluster.devops.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}
locals {
  oidc = trimprefix(aws_iam_openid_connect_provider.devops.arn, "arn:aws:iam::111122223333:oidc-provider/")
}
${trustRole('manager', 'gitlab-runner-manager', sub)}${trustRole('jobs', 'gitlab-runner-jobs', 'system:serviceaccount:gitlab:gitlab-runner-jobs')}resource "aws_iam_role_policy" "cache" {
  role   = aws_iam_role.manager.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "${resource}" }, { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::example-runner-cache", Condition = { StringLike = { "s3:prefix" = ["runner/*", "runner"] } } }] })
}
`;
  const run = (text: string) => {
    const d = baseDeployment();
    delete d.policies['gitlab-runner-manager.trust.json'];
    delete d.policies['gitlab-runner-manager.policy.json'];
    delete d.policies['gitlab-runner-jobs.trust.json'];
    return doctor([...deploymentFiles(d), { path: 'deploy/iam/main.tf', bytes: enc(text) }]);
  };

  it('the trust admits the manager: proven over the symbol, no RF906', () => {
    const r = run(tf('system:serviceaccount:gitlab:gitlab-runner'));
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF913')).toEqual([]);
    expect(r.proofs.find((p) => p.claim.startsWith('only') && p.claim.includes('manager role gitlab-runner-manager'))?.holds).toBe(true);
    expect(r.proofs.find((p) => p.claim.startsWith('only') && p.claim.includes('jobs role gitlab-runner-jobs'))?.holds).toBe(true);
    expect(r.proofs.find((p) => p.claim.includes('reads and writes runner/'))?.holds).toBe(true);
  });

  it('the trust admits another service account: the proof fails (RF104), as for a literal issuer', () => {
    const r = run(tf('system:serviceaccount:gitlab:gitlab-runner-common'));
    expect(r.findings.some((f) => f.code === 'RF104' && f.message.includes('admits only system:serviceaccount:gitlab:gitlab-runner-common'))).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('a symbol where the evaluator cannot treat it as opaque (a Resource) stays not statically known (RF906)', () => {
    const r = run(tf('system:serviceaccount:gitlab:gitlab-runner', '${aws_eks_cluster.devops.arn}/*'));
    expect(r.findings.some((f) => f.code === 'RF906' && f.message.startsWith('aws_iam_role_policy.cache.policy is not statically known'))).toBe(true);
  });
});

describe('dynamic blocks over a static collection are expanded as Terraform expands them', () => {
  const doc = (forEach: string) => `
locals {
  buckets = { cache = "example-runner-cache", logs = "example-logs" }
}
variable "unknown" {}
data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = ${forEach}
    iterator = b
    content {
      sid       = "Read\${b.key}"
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::\${b.value}/*"]
    }
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = ["*"]
  }
}
resource "aws_iam_role_policy" "p" {
  role   = "r"
  policy = data.aws_iam_policy_document.d.json
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
`;
  it('a map of buckets: one statement per bucket, then the static one; no RF906', () => {
    const ev = readEvidence([{ path: 'm/main.tf', bytes: enc(doc('local.buckets')) }]);
    const { root, findings } = normalizeTerraform(ev);
    expect(findings).toEqual([]);
    expect(JSON.parse(String(root.resource.aws_iam_role_policy?.p?.policy))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Readcache', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::example-runner-cache/*'] },
        { Sid: 'Readlogs', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::example-logs/*'] },
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['*'] },
      ],
    });
  });
  it('a list: the key is the index', () => {
    const ev = readEvidence([{ path: 'm/main.tf', bytes: enc(doc('["a", "b"]')) }]);
    const { root } = normalizeTerraform(ev);
    expect(JSON.parse(String(root.resource.aws_iam_role_policy?.p?.policy)).Statement.map((s: { Sid?: string }) => s.Sid)).toEqual(['Read0', 'Read1', undefined]);
  });
  it('a set (toset): the key is the element itself, as Terraform documents for a set', () => {
    const ev = readEvidence([{ path: 'm/main.tf', bytes: enc(doc('toset(["logs", "cache", "logs"])')) }]);
    const { root } = normalizeTerraform(ev);
    expect(JSON.parse(String(root.resource.aws_iam_role_policy?.p?.policy)).Statement.map((s: { Sid?: string; Resource?: string[] }) => [s.Sid, s.Resource?.[0]])).toEqual([
      ['Readcache', 'arn:aws:s3:::cache/*'],
      ['Readlogs', 'arn:aws:s3:::logs/*'],
      [undefined, '*'],
    ]);
  });
  it('a set from a variable of type set(string): key == value too; the same list as list(string): the index', () => {
    const withVar = (type: string) => `variable "names" {\n  type    = ${type}\n  default = ["b", "a"]\n}\n${doc('var.names')}`;
    const sids = (type: string) => JSON.parse(String(normalizeTerraform(readEvidence([{ path: 'm/main.tf', bytes: enc(withVar(type)) }])).root.resource.aws_iam_role_policy?.p?.policy)).Statement.map((s: { Sid?: string }) => s.Sid);
    expect(sids('set(string)')).toEqual(['Reada', 'Readb', undefined]);
    expect(sids('list(string)')).toEqual(['Read0', 'Read1', undefined]);
  });
  it('a collection only apply knows: not expanded, RF906 says why, the policy is not proven', () => {
    const ev = readEvidence([{ path: 'm/main.tf', bytes: enc(doc('var.unknown')) }]);
    const { root, findings } = normalizeTerraform(ev);
    expect(root.resource.aws_iam_role_policy?.p).toBeUndefined();
    expect(findings.some((f) => f.code === 'RF906' && /for_each of dynamic "statement" is not statically known: var\.unknown has no default/.test(f.message))).toBe(true);
  });
});

describe('dynamic blocks written in Terraform JSON (.tf.json) are the same dynamic blocks', () => {
  // runner-fleet's own cross-account roots write `dynamic "assume_role"` into the aws provider
  // (src/emit/terraform/reach.ts); its `assume_role.value` was read as a resource reference (RF903).
  const statement = (forEach: string) => ({
    dynamic: {
      statement: {
        for_each: forEach,
        iterator: 'b',
        content: { sid: 'Read${b.key}', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::${b.value}/*'] },
      },
    },
    statement: { actions: ['s3:ListBucket'], resources: ['*'] },
  });
  const root = (forEach: string) => ({
    locals: { buckets: { cache: 'example-runner-cache', logs: 'example-logs' } },
    data: { aws_iam_policy_document: { d: statement(forEach) } },
    resource: { aws_iam_role_policy: { p: { role: 'r', policy: '${data.aws_iam_policy_document.d.json}' } }, aws_iam_role: { r: { name: 'r', assume_role_policy: '{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}' } } },
  });
  const read = (doc: unknown) => normalizeTerraform(readEvidence([{ path: 'm/main.tf.json', bytes: enc(JSON.stringify(doc)) }]));

  it('with an iterator, over a map: one statement per element (the static one kept), no finding', () => {
    const { root: r, findings } = read(root('${local.buckets}'));
    expect(findings).toEqual([]);
    expect(JSON.parse(String(r.resource.aws_iam_role_policy?.p?.policy)).Statement.map((s: { Sid?: string; Resource?: string[] }) => [s.Sid, s.Resource?.[0]])).toEqual([
      [undefined, '*'],
      ['Readcache', 'arn:aws:s3:::example-runner-cache/*'],
      ['Readlogs', 'arn:aws:s3:::example-logs/*'],
    ]);
  });

  it('the provider\'s dynamic "assume_role" of a cross-account root: the iterator is no resource, the role it assumes names the account', () => {
    const doc = (arn: string) => ({
      variable: { assume_role_arn: { type: 'string', default: arn } },
      provider: { aws: [{ region: 'eu-central-1', dynamic: { assume_role: { for_each: '${var.assume_role_arn == "" ? [] : [var.assume_role_arn]}', content: { role_arn: '${assume_role.value}', session_name: 'runner-fleet' } } } }] },
      resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: '{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}' } } },
    });
    const ev = readEvidence([{ path: 'm/main.tf.json', bytes: enc(JSON.stringify(doc('arn:aws:iam::444455556666:role/deployer'))) }]);
    const { findings } = normalizeTerraform(ev);
    expect(findings.filter((f) => /assume_role/.test(f.message))).toEqual([]);
    expect(ev.terraform.accounts?.get('aws_iam_role.r')).toBe('444455556666');
    // No role to assume (the default runner-fleet writes): no block, no finding, the account not stated.
    const none = readEvidence([{ path: 'm/main.tf.json', bytes: enc(JSON.stringify(doc(''))) }]);
    expect(normalizeTerraform(none).findings).toEqual([]);
    expect(none.terraform.accounts?.get('aws_iam_role.r')).toBeUndefined();
  });
});
