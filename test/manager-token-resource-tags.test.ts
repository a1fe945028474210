import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles, doctorEdited } from './helpers/doctor.js';

/**
 * The VM manager's token proof ("the manager reads its token parameter and no other runner's", RF106
 * where it cannot, RF712 where it reads others') asked as AWS evaluates it: a read of its own
 * parameter carries that parameter's tags (ssm:resourceTag/<key>), a read of another runner's the
 * owner tag only, its other tags taken over every value (no document shows another runner's
 * parameter); the token key is followed from key_id (aws_kms_key, aws_kms_alias), and its key policy
 * decides whether the role's IAM grants count.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const CLAIM = /^the manager reads its token parameter \/ci\/docker-ci\/token and no other runner's/;
const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => CLAIM.test(p.claim));
const shown = (r: ReturnType<typeof doctor>) => r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`);
const OTHERS = 'on parameters other than its own token parameter, such as another runner\'s /ci/another-runner/token';
const OWN_ARN = 'arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token';
const CORE = 'resource "aws_iam_role_policy_attachment" "ssm" {\n  role       = aws_iam_role.ci.name\n  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"\n}\n\nresource "aws_iam_instance_profile" "ci" {\n';

describe('doctor: the manager\'s token proof over the token parameter\'s tags', () => {
  const CASE = join(CORPUS, 'ec2-docker-manager-token-parameter-tag');
  const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
  const GRANT = '        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token"\n';
  const TAG = '    runner = "docker-ci"\n';
  const STATEMENT = / {6}\{\n {8}Sid {7}= "ReadOwnTokenByTag"[\s\S]*?\n {6}\},\n/;

  it('a grant on its parameter keyed on ssm:resourceTag/runner, the tag the parameter carries: the manager reads its token, proven (before: RF106 "cannot read")', () => {
    const r = doctor(corpusFiles(CASE));
    expect(r.findings).toEqual([]);
    expect(claim(r)?.holds).toBe(true);
  });

  it('the parameter\'s tag from a variable: RF903 at the parameter\'s tags, not RF106 (before: RF106)', () => {
    const r = edited([TAG, '    runner = var.runner\n'], ['provider "aws" {\n', 'variable "runner" {\n  type = string\n}\n\nprovider "aws" {\n']);
    expect(shown(r)).toEqual(['RF903 info main.tf:18:10']);
    expect(r.findings[0]!.message).toBe('whether role ci-docker-runner can read its token parameter /ci/docker-ci/token (ssm:GetParameter) is not shown: the policies test the resource tag runner, and the value of the tag runner of the token parameter /ci/docker-ci/token is not in the documents');
    expect(r.findings[0]!.fix).toContain('make the tags of aws_ssm_parameter.token statically known');
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
  });

  it('guard: the parameter tagged for another runner: RF106, the manager cannot read its token', () => {
    const r = edited([TAG, '    runner = "other"\n']);
    expect(r.findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([expect.stringMatching(/^RF106 main\.tf:50:1 (runner docker-ci: )?the manager role cannot read its token parameter \/ci\/docker-ci\/token$/)]);
    expect(claim(r)?.holds).toBe(false);
  });

  it('the parameter without the tag its grant is keyed on, or tagged for another runner: the RF106 fix names the tag the read lacks (before: "allow ssm:GetParameter on …", which it already does)', () => {
    for (const r of [edited([TAG, '    runner = "other"\n']), edited([TAG, '    owner = "platform"\n'])]) {
      expect(r.findings.map((f) => f.code)).toEqual(['RF106']);
      expect(r.findings[0]!.fix).toBe(`tag its token parameter aws_ssm_parameter.token runner = "docker-ci": the manager role's grant of ssm:GetParameter on it requires that tag, which the parameter does not carry (or allow the manager role ssm:GetParameter on ${OWN_ARN} without that condition)`);
    }
    // A grant on another parameter: no tag would let the read through, so the fix stays the grant.
    const plain = edited([GRANT, GRANT.replace('docker-ci/token', 'other/token')]);
    expect(plain.findings.map((f) => f.code)).toEqual(['RF106']);
    expect(plain.findings[0]!.fix).toBe(`allow the manager role ssm:GetParameter on ${OWN_ARN}`);
  });

  it('the tag-keyed grant on every parameter under /ci/: whether it reads another runner\'s is RF903 (its tags are in no document), the fix keys the grant on the ARN (before: RF106)', () => {
    const r = edited([GRANT, GRANT.replace('docker-ci/token', '*')]);
    expect(shown(r)).toEqual(['RF903 info main.tf:50:1']);
    expect(r.findings[0]!.message).toBe(`runner docker-ci: whether role ci-docker-runner can ssm:GetParameter ${OTHERS} is not shown: the policies test the resource tag runner, and the value of the tag runner of another runner's parameter (such as /ci/another-runner/token) is not in the documents`);
    expect(r.findings[0]!.fix).toBe(`key the grant on the runner's own parameter's ARN (${OWN_ARN}), not only on tags: no document shows the tags of another runner's parameter`);
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
  });

  it('AmazonSSMManagedInstanceCore and a Deny of parameters not tagged runner = docker-ci: its own read holds (before: RF106, the Deny met with the tags left out), another runner\'s is RF903 (before: proven)', () => {
    const deny = '      { Effect = "Deny", Action = "ssm:GetParameter*", Resource = "*", Condition = { StringNotEquals = { "ssm:resourceTag/runner" = "docker-ci" } } },\n';
    const denied = edited(['resource "aws_iam_instance_profile" "ci" {\n', CORE], [STATEMENT.exec(readCase())![0], deny]);
    expect(shown(denied)).toEqual(['RF903 info main.tf:49:1']);
    expect(denied.findings[0]!.message).toBe(`runner docker-ci: whether role ci-docker-runner can ssm:GetParameter, ssm:GetParameters ${OTHERS} is not shown: the policies test the resource tag runner, and the value of the tag runner of another runner's parameter (such as /ci/another-runner/token) is not in the documents`);
    expect(claim(denied)?.holds).toBe(false);
  });

  it('guard: AmazonSSMManagedInstanceCore and a Deny of every parameter but its own (NotResource): proven whatever the tags', () => {
    const r = edited(['resource "aws_iam_instance_profile" "ci" {\n', CORE], [STATEMENT.exec(readCase())![0], `      { Effect = "Deny", Action = "ssm:GetParameter*", NotResource = "${OWN_ARN}" },\n`]);
    expect(r.findings).toEqual([]);
    expect(claim(r)?.holds).toBe(true);
  });

  function readCase(): string {
    return corpusFiles(CASE).find((f) => f.path === 'main.tf')!.bytes.toString();
  }
});

describe('doctor: the manager\'s token proof reads the token key\'s key policy', () => {
  const CASE = join(CORPUS, 'ec2-docker-token-key-policy-not-granting-manager');
  const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
  const ADMINS = '      { Sid = "Admins", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/key-admin" }, Action = "kms:*", Resource = "*" },\n';
  const withStatement = (st: string): [string, string] => [ADMINS, ADMINS + st];
  const SCOPED = `Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN" = "${OWN_ARN}" } }`;

  it('a key policy that neither allows the manager role nor lets IAM grant the key: RF106 at the key policy (before: proven)', () => {
    const r = doctor(corpusFiles(CASE));
    expect(shown(r)).toEqual(['RF106 error main.tf:15:1']);
    expect(r.findings[0]!.message).toBe('the key policy of aws_kms_key.token does not let the manager role ci-docker-runner decrypt its token parameter through SSM: no statement of it allows the role this kms:Decrypt (it lets no IAM policy grant the key)');
    expect(r.findings[0]!.fix).toContain('in the key policy of aws_kms_key.token, allow the manager role arn:aws:iam::111122223333:role/ci-docker-runner kms:Decrypt');
    expect(claim(r)?.claim).toContain('and decrypts with aws_kms_key.token only through SSM for that parameter');
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('guard: the key policy lets the account\'s IAM policies grant the key (kms:* to the account root): proven', () => {
    const r = edited(withStatement('      { Sid = "Account", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" },\n'));
    expect(r.findings).toEqual([]);
    expect(claim(r)?.holds).toBe(true);
  });

  it('guard: the key policy grants the manager role itself, through SSM for its parameter: proven', () => {
    const r = edited(withStatement(`      { Sid = "Runner", Effect = "Allow", Principal = { AWS = aws_iam_role.ci.arn }, Action = "kms:Decrypt", Resource = "*", ${SCOPED} },\n`));
    expect(r.findings).toEqual([]);
    expect(claim(r)?.holds).toBe(true);
  });

  it('the key policy grants the manager role kms:Decrypt with no condition: RF712, it decrypts outside SSM and for other parameters (before: proven)', () => {
    const r = edited(withStatement('      { Sid = "Runner", Effect = "Allow", Principal = { AWS = aws_iam_role.ci.arn }, Action = "kms:Decrypt", Resource = "*" },\n'));
    expect(r.findings.map((f) => `${f.code} ${f.message}`)).toEqual(['RF712 runner docker-ci: the manager role can kms:Decrypt for another runner\'s parameter, a direct call (not through SSM)']);
    expect(r.findings[0]!.fix).toContain('in the statements of the key policy of aws_kms_key.token that grant the role itself');
    expect(claim(r)?.holds).toBe(false);
  });

  it('a key written as a literal ARN whose aws_kms_key_policy is in the files: the key policy is read too, RF106 (before: proven on the role\'s policies alone)', () => {
    const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const r = edited(['  key_id = aws_kms_key.token.id\n', `  key_id = "${KEY}"\n`], ['  key_id = aws_kms_key.token.arn\n', `  key_id = "${KEY}"\n`], ['        Resource  = aws_kms_key.token.arn\n', `        Resource  = "${KEY}"\n`]);
    expect(shown(r)).toEqual(['RF106 error main.tf:15:1']);
    expect(r.findings[0]!.message).toContain(`the key policy of ${KEY} does not let the manager role ci-docker-runner decrypt`);
    expect(claim(r)?.holds).toBe(false);
  });

  it('a key policy the files do not show (a variable): RF903 at the aws_kms_key_policy that holds it says so, and the manager\'s decrypt is not proven (before: proven)', () => {
    const r = edited(['  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [\n' + ADMINS + '    ]\n  })\n', '  policy = var.key_policy\n'], ['provider "aws" {\n', 'variable "key_policy" {\n  type = string\n}\n\nprovider "aws" {\n']);
    // aws_kms_key_policy.token (line 19), not aws_kms_key.token (line 15).
    expect(shown(r)).toEqual(['RF903 info main.tf:19:1']);
    expect(r.findings[0]!.message).toContain('the key policy of the token key aws_kms_key.token is not shown');
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
  });
});

describe('doctor: the manager\'s token proof follows key_id to the key (aws_kms_alias, aws_kms_key)', () => {
  const CASE = join(CORPUS, 'ec2-docker-token-key-alias');
  const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
  const READ = `      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "${OWN_ARN}" },\n`;
  const decrypt = (condition: string): [string, string] => [READ, `${READ}      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.token.arn${condition} },\n`];

  it('key_id = aws_kms_alias.token.name and no kms:Decrypt for the manager: RF106 "cannot decrypt" (before: proven, the key was checked for a literal ARN only)', () => {
    const r = doctor(corpusFiles(CASE));
    expect(r.findings.map((f) => `${f.code} ${f.message}`)).toEqual(['RF106 runner docker-ci: the manager role cannot decrypt its token parameter with aws_kms_key.token through SSM']);
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('kms:Decrypt with the key through SSM for its parameter: proven, the claim naming the key (before: the key not in the claim)', () => {
    const r = edited(decrypt(`, Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN" = "${OWN_ARN}" } }`));
    expect(r.findings).toEqual([]);
    expect(claim(r)?.claim).toBe('the manager reads its token parameter /ci/docker-ci/token and no other runner\'s, and decrypts with aws_kms_key.token only through SSM for that parameter');
    expect(claim(r)?.holds).toBe(true);
  });

  it('kms:Decrypt with the key on any request: RF712 (before: missed)', () => {
    const r = edited(decrypt(''));
    expect(r.findings.map((f) => `${f.code} ${f.message}`)).toEqual(['RF712 runner docker-ci: the manager role can kms:Decrypt for another runner\'s parameter, a direct call (not through SSM)']);
  });

  it('an alias the files do not hold: which key is not shown (RF903), and the manager\'s decrypt is not proven (before: proven)', () => {
    const r = edited(['resource "aws_kms_alias" "token" {\n  name          = "alias/runner-tokens"\n  target_key_id = aws_kms_key.token.key_id\n}\n', ''], ['  key_id = aws_kms_alias.token.name\n', '  key_id = "alias/runner-tokens"\n']);
    expect(r.findings.map((f) => f.code)).toEqual(['RF903']);
    expect(r.findings[0]!.message).toContain('the alias alias/runner-tokens is not in the documents given');
    expect(claim(r)?.holds).toBe(false);
    expect(r.exitCode).toBe(0);
  });
});
