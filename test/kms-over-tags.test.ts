import { describe, expect, it } from 'vitest';
import { mayUseKey, mayUseKeyOverTags, resolveKmsKey, type KmsAccount, type KmsKey } from '../src/verify/kms.js';
import { compilePolicy, prepareRequest } from '../src/verify/iam/evaluator.js';
import type { Statement } from '../src/verify/iam/types.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { join } from 'node:path';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Whether a role may use a customer-managed KMS key, over every value of a tag of the role the
 * documents do not show: the key policy (its Deny, its own grant, its statement for the account)
 * and the role's IAM grant each taken over the tag, combined as KMS combines them.
 */
const A: KmsAccount = { partition: 'aws', region: 'eu-west-1', accountId: '111122223333' };
const ROLE = 'arn:aws:iam::111122223333:role/manager';
const TEAM = new Set(['team']);
const onTeam = (s: Statement, op = 'StringEquals'): Statement => ({ ...s, Condition: { [op]: { 'aws:PrincipalTag/team': 'ci' } } });
const keyWith = (...statements: Statement[]): KmsKey => {
  const root: TerraformRoot = { terraform: {}, resource: { aws_kms_key: { k: { policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) } } } };
  const key = resolveKmsKey(root, A, () => undefined, 'x', '${aws_kms_key.k.arn}', new Map(), 'alias/aws/s3').key!;
  expect(key.policy).toBeDefined();
  return key;
};
const ADMINS: Statement = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/admin' }, Action: 'kms:*', Resource: '*' };
const ACCOUNT: Statement = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };
const ANY_IN_ACCOUNT: Statement = { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } };
const iam = (...statements: Statement[]) => ({ identity: statements.length > 0 ? [compilePolicy({ Version: '2012-10-17', Statement: statements })] : [] });
const GRANT: Statement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' };
const caller = prepareRequest({ principal: { type: 'AWS', id: ROLE }, action: 'kms:Decrypt', resource: '*' });
const over = (identity: ReturnType<typeof iam>, key: KmsKey) => mayUseKeyOverTags(A, caller, identity, key, 'kms:Decrypt', {}, TEAM);

describe('mayUseKeyOverTags', () => {
  it('the key policy\'s own grant keyed on the tag: either; without the tag in the request, mayUseKey says refused', () => {
    const key = keyWith(ADMINS, onTeam(ANY_IN_ACCOUNT));
    expect(over(iam(), key)).toBe('either');
    expect(mayUseKey(A, caller, iam(), key, 'kms:Decrypt', {})).toBeUndefined();
  });

  it('a key policy Deny keyed on the tag beside a sure grant: either; one that tests another key and holds: deny', () => {
    expect(over(iam(GRANT), keyWith(ACCOUNT, onTeam({ Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }, 'StringNotEquals')))).toBe('either');
    expect(over(iam(onTeam(GRANT)), keyWith(ACCOUNT, { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }))).toBe('deny');
  });

  it('an IAM grant keyed on the tag counts only where the key policy lets IAM decide', () => {
    expect(over(iam(onTeam(GRANT)), keyWith(ACCOUNT))).toBe('either');
    expect(over(iam(onTeam(GRANT)), keyWith(ADMINS))).toBe('deny');
    expect(over(iam(GRANT), keyWith(ACCOUNT))).toBe('allow');
  });
});

describe('the key policy\'s statement for the account reads the caller\'s own context', () => {
  const tagged = (team: string) => prepareRequest({ principal: { type: 'AWS', id: ROLE }, action: 'kms:Decrypt', resource: '*', principalTags: { team } });
  it('a condition on the caller\'s tag: the role with that tag may use the key through its IAM grant, another may not', () => {
    const key = keyWith(ADMINS, onTeam(ACCOUNT));
    expect(mayUseKey(A, tagged('ci'), iam(GRANT), key, 'kms:Decrypt', {})).toBe('iam');
    expect(mayUseKey(A, tagged('web'), iam(GRANT), key, 'kms:Decrypt', {})).toBeUndefined();
  });
  it('a condition on aws:PrincipalArn: the roles it names, not others', () => {
    const key = keyWith(ADMINS, { ...ACCOUNT, Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/man*' } } });
    expect(mayUseKey(A, caller, iam(GRANT), key, 'kms:Decrypt', {})).toBe('iam');
    const other = prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/web' }, action: 'kms:Decrypt', resource: '*' });
    expect(mayUseKey(A, other, iam(GRANT), key, 'kms:Decrypt', {})).toBeUndefined();
  });
  it('over tags not shown, the account statement keyed on the tag: either', () => {
    expect(over(iam(GRANT), keyWith(ADMINS, onTeam(ACCOUNT)))).toBe('either');
  });
});

describe('the doctor on a key policy whose statement for the account leaves the manager out', () => {
  it('RF201 says the statement for the account leaves the request out, and the fix names that statement', () => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 's3-cache-kms-key-policy-account-principal-tag-mismatch')));
    const f = r.findings.find((x) => x.code === 'RF201')!;
    expect(f.message).toContain('its statements for the account leave this request out, by their actions or conditions');
    expect(f.message).not.toContain('no statement allows the account');
    expect(f.fix).toContain('make its statement for the account (arn:aws:iam::111122223333:root) admit the role by its actions and conditions, so the role\'s own grant counts');
  });
});
