import { describe, expect, it } from 'vitest';
import {
  compilePolicy,
  decisionOverTags,
  matchesOverTags,
  evaluate,
  evaluatePolicies,
  PolicyGrammarError,
  prepareRequest,
  type CompiledPolicy,
} from '../src/verify/iam/evaluator.js';
import type { Decision, PolicyDocument, Request, RequestPrincipal, Statement } from '../src/verify/iam/types.js';

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const OIDC = 'oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}`;
const OTHER_PROVIDER = `arn:aws:iam::${OTHER_ACCOUNT}:oidc-provider/${OIDC}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/runner-cache`;
const BUCKET = 'arn:aws:s3:::bucket';

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const aws = (id: string): RequestPrincipal => ({ type: 'AWS', id });
const roleReq = (action: string, resource: string, context?: Request['context']): Request => ({
  principal: aws(`arn:aws:iam::${ACCOUNT}:role/ci`),
  action,
  resource,
  ...(context === undefined ? {} : { context }),
});

const irsaTrust = doc({
  Effect: 'Allow',
  Principal: { Federated: PROVIDER },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: {
    StringEquals: {
      [`${OIDC}:sub`]: 'system:serviceaccount:ns:sa',
      [`${OIDC}:aud`]: 'sts.amazonaws.com',
    },
  },
});

const irsaNamespaceTrust = doc({
  Effect: 'Allow',
  Principal: { Federated: PROVIDER },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: {
    StringEquals: { [`${OIDC}:aud`]: 'sts.amazonaws.com' },
    StringLike: { [`${OIDC}:sub`]: 'system:serviceaccount:ns:*' },
  },
});

function webIdentity(
  context: Record<string, string>,
  principal: RequestPrincipal = { type: 'Federated', id: PROVIDER },
  action = 'sts:AssumeRoleWithWebIdentity',
): Request {
  return { principal, action, resource: ROLE_ARN, context };
}
const sub = (s: string) => ({ [`${OIDC}:sub`]: s, [`${OIDC}:aud`]: 'sts.amazonaws.com' });

const podIdentityTrust = doc({
  Effect: 'Allow',
  Principal: { Service: 'pods.eks.amazonaws.com' },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
  Condition: {
    StringEquals: {
      'aws:RequestTag/kubernetes-namespace': 'ci',
      'aws:RequestTag/kubernetes-service-account': 'runner',
    },
  },
});
function podIdentity(action: string, ns: string | undefined, sa: string | undefined, service = 'pods.eks.amazonaws.com'): Request {
  const context: Record<string, string> = {};
  if (ns !== undefined) context['aws:RequestTag/kubernetes-namespace'] = ns;
  if (sa !== undefined) context['aws:RequestTag/kubernetes-service-account'] = sa;
  return { principal: { type: 'Service', id: service }, action, resource: ROLE_ARN, context };
}

const s3Cache = doc(
  { Sid: 'Objects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${BUCKET}/cache/runner-a/*` },
  {
    Sid: 'List',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: BUCKET,
    Condition: { StringLike: { 's3:prefix': ['cache/runner-a/*', 'cache/runner-a'] } },
  },
);

const RUNNER_ROLE = `arn:aws:iam::${ACCOUNT}:role/runner`;
const tlsOnlyBucket = doc(
  {
    Sid: 'DenyInsecure',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [BUCKET, `${BUCKET}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  },
  { Sid: 'Runner', Effect: 'Allow', Principal: { AWS: RUNNER_ROLE }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
);
const tlsReq = (secure: string | undefined): Request => ({
  principal: aws(RUNNER_ROLE),
  action: 's3:GetObject',
  resource: `${BUCKET}/cache/x`,
  ...(secure === undefined ? {} : { context: { 'aws:SecureTransport': secure } }),
});

/** Identity policy: one Allow statement on s3:GetObject for any object, with the given condition. */
const conditional = (Condition: NonNullable<Statement['Condition']>, Effect: 'Allow' | 'Deny' = 'Allow'): PolicyDocument =>
  Effect === 'Allow'
    ? doc({ Effect, Action: 's3:GetObject', Resource: '*', Condition })
    : doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { Effect, Action: 's3:GetObject', Resource: '*', Condition });
const get = (context?: Request['context']) => roleReq('s3:GetObject', `${BUCKET}/k`, context);

const allowAllResource = { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' } as const satisfies Statement;

// ---------------------------------------------------------------------------
// Single-policy decision table
// ---------------------------------------------------------------------------

interface Case {
  name: string;
  kind: 'identity' | 'resource';
  policy: PolicyDocument;
  req: Request;
  expected: Decision;
}

const getObjectPolicy = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/k` });

const cases: Case[] = [
  // --- precedence and basics
  { name: 'exact action and resource allowed', kind: 'identity', policy: getObjectPolicy, req: get(), expected: 'allow' },
  { name: 'unlisted action is implicitly denied', kind: 'identity', policy: getObjectPolicy, req: roleReq('s3:PutObject', `${BUCKET}/k`), expected: 'implicit-deny' },
  { name: 'unlisted resource is implicitly denied', kind: 'identity', policy: getObjectPolicy, req: roleReq('s3:GetObject', `${BUCKET}/other`), expected: 'implicit-deny' },
  {
    name: 'Deny overrides Allow in the same policy',
    kind: 'identity',
    policy: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:GetObject', Resource: `${BUCKET}/*` }),
    req: get(),
    expected: 'explicit-deny',
  },
  {
    name: 'Deny listed first still wins over a later Allow',
    kind: 'identity',
    policy: doc({ Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    req: get(),
    expected: 'explicit-deny',
  },
  {
    name: 'Deny on another action does not affect the Allow',
    kind: 'identity',
    policy: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }),
    req: get(),
    expected: 'allow',
  },
  { name: 'Deny-only policy without match is implicit deny', kind: 'identity', policy: doc({ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }), req: get(), expected: 'implicit-deny' },

  // --- Action / NotAction
  { name: 'Allow NotAction iam:* allows s3:GetObject', kind: 'identity', policy: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }), req: get(), expected: 'allow' },
  { name: 'Allow NotAction iam:* does not allow iam:CreateUser', kind: 'identity', policy: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }), req: roleReq('iam:CreateUser', '*'), expected: 'implicit-deny' },
  {
    name: 'Deny NotAction denies everything except the listed action',
    kind: 'identity',
    policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }),
    req: roleReq('s3:PutObject', `${BUCKET}/k`),
    expected: 'explicit-deny',
  },
  {
    name: 'Deny NotAction leaves the listed action allowed',
    kind: 'identity',
    policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }),
    req: get(),
    expected: 'allow',
  },
  { name: 'action wildcard is case-insensitive (policy side)', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 'S3:get*', Resource: '*' }), req: get(), expected: 'allow' },
  { name: 'action match is case-insensitive (request side)', kind: 'identity', policy: getObjectPolicy, req: roleReq('S3:GETOBJECT', `${BUCKET}/k`), expected: 'allow' },
  { name: 's3:Get* does not match s3:PutObject', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }), req: roleReq('s3:PutObject', `${BUCKET}/k`), expected: 'implicit-deny' },
  { name: 'action ? matches exactly one character', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:?etObject', Resource: '*' }), req: get(), expected: 'allow' },
  { name: 'action ? does not match two characters', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:?etObject', Resource: '*' }), req: roleReq('s3:GGetObject', '*'), expected: 'implicit-deny' },
  { name: 'Action * matches any service', kind: 'identity', policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }), req: roleReq('ec2:RunInstances', '*'), expected: 'allow' },
  { name: 'sts:AssumeRole* does not match sts:TagSession', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 'sts:AssumeRole*', Resource: '*' }), req: roleReq('sts:TagSession', ROLE_ARN), expected: 'implicit-deny' },

  // --- Resource / NotResource
  { name: 'resource wildcard covers nested keys', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/cache/*` }), req: roleReq('s3:GetObject', `${BUCKET}/cache/a/b/c`), expected: 'allow' },
  { name: 'resource match is case-sensitive', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/cache/*` }), req: roleReq('s3:GetObject', `${BUCKET}/Cache/x`), expected: 'implicit-deny' },
  { name: 'resource ? matches one character', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket-?' }), req: roleReq('s3:ListBucket', 'arn:aws:s3:::bucket-a'), expected: 'allow' },
  { name: 'resource ? does not match two characters', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket-?' }), req: roleReq('s3:ListBucket', 'arn:aws:s3:::bucket-ab'), expected: 'implicit-deny' },
  { name: 'regex metacharacters in resources are literal', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/a.b*` }), req: roleReq('s3:GetObject', `${BUCKET}/aXb1`), expected: 'implicit-deny' },
  { name: 'NotResource allows other resources', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' }), req: get(), expected: 'allow' },
  { name: 'NotResource excludes the listed resources', kind: 'identity', policy: doc({ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' }), req: roleReq('s3:GetObject', 'arn:aws:s3:::secret/k'), expected: 'implicit-deny' },

  // --- IRSA trust policy
  { name: 'IRSA: the right service account may assume', kind: 'resource', policy: irsaTrust, req: webIdentity(sub('system:serviceaccount:ns:sa')), expected: 'allow' },
  { name: 'IRSA: another service account is denied', kind: 'resource', policy: irsaTrust, req: webIdentity(sub('system:serviceaccount:ns:other')), expected: 'implicit-deny' },
  { name: 'IRSA: another namespace is denied', kind: 'resource', policy: irsaTrust, req: webIdentity(sub('system:serviceaccount:other:sa')), expected: 'implicit-deny' },
  {
    name: 'IRSA: wrong audience is denied',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity({ [`${OIDC}:sub`]: 'system:serviceaccount:ns:sa', [`${OIDC}:aud`]: 'sts.amazonaws.com.evil' }),
    expected: 'implicit-deny',
  },
  { name: 'IRSA: missing audience is denied', kind: 'resource', policy: irsaTrust, req: webIdentity({ [`${OIDC}:sub`]: 'system:serviceaccount:ns:sa' }), expected: 'implicit-deny' },
  {
    name: 'IRSA: another account’s OIDC provider is denied',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity(sub('system:serviceaccount:ns:sa'), { type: 'Federated', id: OTHER_PROVIDER }),
    expected: 'implicit-deny',
  },
  {
    name: 'IRSA: same id as an AWS (not Federated) principal is denied',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity(sub('system:serviceaccount:ns:sa'), aws(PROVIDER)),
    expected: 'implicit-deny',
  },
  {
    name: 'IRSA: sts:AssumeRole instead of AssumeRoleWithWebIdentity is denied',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity(sub('system:serviceaccount:ns:sa'), { type: 'Federated', id: PROVIDER }, 'sts:AssumeRole'),
    expected: 'implicit-deny',
  },
  {
    name: 'IRSA: request context keys are matched case-insensitively',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity({ [`${OIDC}:SUB`.toLowerCase()]: 'system:serviceaccount:ns:sa', [`${OIDC}:AUD`]: 'sts.amazonaws.com' }),
    expected: 'allow',
  },
  {
    name: 'IRSA: policy condition keys are matched case-insensitively',
    kind: 'resource',
    policy: doc({
      Effect: 'Allow',
      Principal: { Federated: PROVIDER },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${OIDC.toUpperCase()}:SUB`]: 'system:serviceaccount:ns:sa' } },
    }),
    req: webIdentity(sub('system:serviceaccount:ns:sa')),
    expected: 'allow',
  },
  {
    name: 'IRSA: condition values stay case-sensitive under StringEquals',
    kind: 'resource',
    policy: irsaTrust,
    req: webIdentity(sub('system:serviceaccount:NS:sa')),
    expected: 'implicit-deny',
  },
  { name: 'IRSA StringLike ns:*: any SA of the namespace', kind: 'resource', policy: irsaNamespaceTrust, req: webIdentity(sub('system:serviceaccount:ns:anything')), expected: 'allow' },
  { name: 'IRSA StringLike ns:*: a namespace sharing the prefix is denied', kind: 'resource', policy: irsaNamespaceTrust, req: webIdentity(sub('system:serviceaccount:nsx:sa')), expected: 'implicit-deny' },

  // --- EKS Pod Identity trust policy
  { name: 'Pod Identity: sts:AssumeRole for the right SA', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:AssumeRole', 'ci', 'runner'), expected: 'allow' },
  { name: 'Pod Identity: sts:TagSession for the right SA', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:TagSession', 'ci', 'runner'), expected: 'allow' },
  { name: 'Pod Identity: wrong namespace tag', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:AssumeRole', 'prod', 'runner'), expected: 'implicit-deny' },
  { name: 'Pod Identity: missing service-account tag', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:AssumeRole', 'ci', undefined), expected: 'implicit-deny' },
  { name: 'Pod Identity: wrong service principal', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:AssumeRole', 'ci', 'runner', 'ec2.amazonaws.com'), expected: 'implicit-deny' },
  { name: 'Pod Identity: web-identity action is not granted', kind: 'resource', policy: podIdentityTrust, req: podIdentity('sts:AssumeRoleWithWebIdentity', 'ci', 'runner'), expected: 'implicit-deny' },

  // --- S3 cache identity policy
  { name: 'S3 cache: GetObject inside own prefix', kind: 'identity', policy: s3Cache, req: roleReq('s3:GetObject', `${BUCKET}/cache/runner-a/key`), expected: 'allow' },
  { name: 'S3 cache: PutObject nested inside own prefix', kind: 'identity', policy: s3Cache, req: roleReq('s3:PutObject', `${BUCKET}/cache/runner-a/p/q.zip`), expected: 'allow' },
  { name: 'S3 cache: other runner prefix denied', kind: 'identity', policy: s3Cache, req: roleReq('s3:GetObject', `${BUCKET}/cache/runner-b/x`), expected: 'implicit-deny' },
  { name: 'S3 cache: sibling prefix sharing the name prefix denied', kind: 'identity', policy: s3Cache, req: roleReq('s3:GetObject', `${BUCKET}/cache/runner-ab/x`), expected: 'implicit-deny' },
  { name: 'S3 cache: DeleteObject not granted', kind: 'identity', policy: s3Cache, req: roleReq('s3:DeleteObject', `${BUCKET}/cache/runner-a/key`), expected: 'implicit-deny' },
  { name: 'S3 cache: ListBucket with own prefix/', kind: 'identity', policy: s3Cache, req: roleReq('s3:ListBucket', BUCKET, { 's3:prefix': 'cache/runner-a/' }), expected: 'allow' },
  { name: 'S3 cache: ListBucket with own prefix, no slash', kind: 'identity', policy: s3Cache, req: roleReq('s3:ListBucket', BUCKET, { 's3:prefix': 'cache/runner-a' }), expected: 'allow' },
  { name: 'S3 cache: ListBucket with parent prefix denied', kind: 'identity', policy: s3Cache, req: roleReq('s3:ListBucket', BUCKET, { 's3:prefix': 'cache/' }), expected: 'implicit-deny' },
  { name: 'S3 cache: ListBucket without s3:prefix denied', kind: 'identity', policy: s3Cache, req: roleReq('s3:ListBucket', BUCKET), expected: 'implicit-deny' },
  { name: 'S3 cache: ListBucket on another bucket denied', kind: 'identity', policy: s3Cache, req: roleReq('s3:ListBucket', 'arn:aws:s3:::bucket2', { 's3:prefix': 'cache/runner-a/' }), expected: 'implicit-deny' },

  // --- TLS-only bucket policy
  { name: 'TLS bucket: SecureTransport=false is denied', kind: 'resource', policy: tlsOnlyBucket, req: tlsReq('false'), expected: 'explicit-deny' },
  { name: 'TLS bucket: SecureTransport=true is allowed', kind: 'resource', policy: tlsOnlyBucket, req: tlsReq('true'), expected: 'allow' },
  { name: 'TLS bucket: SecureTransport missing is not denied', kind: 'resource', policy: tlsOnlyBucket, req: tlsReq(undefined), expected: 'allow' },
  {
    name: 'TLS bucket: JSON boolean false in the policy',
    kind: 'resource',
    policy: doc({ ...allowAllResource, Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': false } } }, allowAllResource),
    req: tlsReq('false'),
    expected: 'explicit-deny',
  },

  // --- Null
  { name: 'Null=false: key present → allowed', kind: 'identity', policy: conditional({ Null: { 'aws:MultiFactorAuthAge': 'false' } }), req: get({ 'aws:MultiFactorAuthAge': '30' }), expected: 'allow' },
  { name: 'Null=false: key absent → not allowed', kind: 'identity', policy: conditional({ Null: { 'aws:MultiFactorAuthAge': 'false' } }), req: get(), expected: 'implicit-deny' },
  { name: 'Null=true (JSON true): key absent → Deny applies', kind: 'identity', policy: conditional({ Null: { 'aws:MultiFactorAuthAge': true } }, 'Deny'), req: get(), expected: 'explicit-deny' },
  { name: 'Null=true: key present → Deny does not apply', kind: 'identity', policy: conditional({ Null: { 'aws:MultiFactorAuthAge': 'true' } }, 'Deny'), req: get({ 'aws:MultiFactorAuthAge': '1' }), expected: 'allow' },
  { name: 'Null=true: empty multi-valued key counts as absent', kind: 'identity', policy: conditional({ Null: { 'aws:TagKeys': 'true' } }, 'Deny'), req: get({ 'aws:TagKeys': [] }), expected: 'explicit-deny' },

  // --- IfExists
  { name: 'StringEqualsIfExists: missing key passes', kind: 'identity', policy: conditional({ StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-central-1' } }), req: get(), expected: 'allow' },
  { name: 'StringEqualsIfExists: matching key passes', kind: 'identity', policy: conditional({ StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-central-1' } }), req: get({ 'aws:RequestedRegion': 'eu-central-1' }), expected: 'allow' },
  { name: 'StringEqualsIfExists: different value fails', kind: 'identity', policy: conditional({ StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-central-1' } }), req: get({ 'aws:RequestedRegion': 'us-east-1' }), expected: 'implicit-deny' },
  { name: 'BoolIfExists Deny: missing key → Deny applies', kind: 'identity', policy: conditional({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }, 'Deny'), req: get(), expected: 'explicit-deny' },

  // --- set operators and multi-valued keys
  { name: 'ForAllValues: subset passes', kind: 'identity', policy: conditional({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }), req: get({ 'aws:TagKeys': ['team'] }), expected: 'allow' },
  { name: 'ForAllValues: one foreign value fails', kind: 'identity', policy: conditional({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }), req: get({ 'aws:TagKeys': ['team', 'owner'] }), expected: 'implicit-deny' },
  { name: 'ForAllValues: missing key passes (vacuous)', kind: 'identity', policy: conditional({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }), req: get(), expected: 'allow' },
  { name: 'ForAnyValue: one matching value passes', kind: 'identity', policy: conditional({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } }), req: get({ 'aws:TagKeys': ['owner', 'team'] }), expected: 'allow' },
  { name: 'ForAnyValue: no matching value fails', kind: 'identity', policy: conditional({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } }), req: get({ 'aws:TagKeys': ['owner'] }), expected: 'implicit-deny' },
  { name: 'ForAnyValue: missing key fails', kind: 'identity', policy: conditional({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } }), req: get(), expected: 'implicit-deny' },
  { name: 'ForAnyValue:StringNotEquals Deny: a foreign tag key triggers', kind: 'identity', policy: conditional({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['team', 'env'] } }, 'Deny'), req: get({ 'aws:TagKeys': ['team', 'owner'] }), expected: 'explicit-deny' },
  { name: 'ForAnyValue:StringNotEquals Deny: only allowed keys pass', kind: 'identity', policy: conditional({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['team', 'env'] } }, 'Deny'), req: get({ 'aws:TagKeys': ['team', 'env'] }), expected: 'allow' },
  { name: 'multi-valued key without prefix acts as ForAnyValue', kind: 'identity', policy: conditional({ StringEquals: { 'aws:TagKeys': 'team' } }), req: get({ 'aws:TagKeys': ['owner', 'team'] }), expected: 'allow' },

  // --- negated operators
  { name: 'StringNotEquals: missing key is true', kind: 'identity', policy: conditional({ StringNotEquals: { 'aws:PrincipalTag/team': 'blocked' } }), req: get(), expected: 'allow' },
  { name: 'StringNotEquals: equal value is false', kind: 'identity', policy: conditional({ StringNotEquals: { 'aws:PrincipalTag/team': 'blocked' } }), req: get({ 'aws:PrincipalTag/team': 'blocked' }), expected: 'implicit-deny' },
  { name: 'StringNotLike Deny: missing key triggers the Deny', kind: 'identity', policy: conditional({ StringNotLike: { 'aws:PrincipalTag/team': 'ci-*' } }, 'Deny'), req: get(), expected: 'explicit-deny' },
  { name: 'StringNotLike Deny: matching value escapes the Deny', kind: 'identity', policy: conditional({ StringNotLike: { 'aws:PrincipalTag/team': 'ci-*' } }, 'Deny'), req: get({ 'aws:PrincipalTag/team': 'ci-runners' }), expected: 'allow' },
  { name: 'ArnNotLike: missing key is true', kind: 'identity', policy: conditional({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/ci-*' } }), req: get(), expected: 'allow' },
  { name: 'ArnNotEquals: matching ARN is false', kind: 'identity', policy: conditional({ ArnNotEquals: { 'aws:SourceArn': ROLE_ARN } }), req: get({ 'aws:SourceArn': ROLE_ARN }), expected: 'implicit-deny' },
  { name: 'StringEqualsIgnoreCase folds case', kind: 'identity', policy: conditional({ StringEqualsIgnoreCase: { 'aws:RequestedRegion': 'EU-Central-1' } }), req: get({ 'aws:RequestedRegion': 'eu-CENTRAL-1' }), expected: 'allow' },
  { name: 'StringNotEqualsIgnoreCase: same value in other case is false', kind: 'identity', policy: conditional({ StringNotEqualsIgnoreCase: { 'aws:RequestedRegion': 'EU-CENTRAL-1' } }), req: get({ 'aws:RequestedRegion': 'eu-central-1' }), expected: 'implicit-deny' },

  // --- numeric
  { name: 'NumericLessThan: smaller passes', kind: 'identity', policy: conditional({ NumericLessThan: { 's3:max-keys': '100' } }), req: get({ 's3:max-keys': '10' }), expected: 'allow' },
  { name: 'NumericLessThan: equal fails', kind: 'identity', policy: conditional({ NumericLessThan: { 's3:max-keys': '100' } }), req: get({ 's3:max-keys': '100' }), expected: 'implicit-deny' },
  { name: 'NumericLessThanEquals: equal passes', kind: 'identity', policy: conditional({ NumericLessThanEquals: { 's3:max-keys': 100 } }), req: get({ 's3:max-keys': '100' }), expected: 'allow' },
  { name: 'NumericGreaterThan: non-numeric context never matches', kind: 'identity', policy: conditional({ NumericGreaterThan: { 's3:max-keys': '1' } }), req: get({ 's3:max-keys': 'lots' }), expected: 'implicit-deny' },
  { name: 'NumericGreaterThanEquals: 3600 >= 3600', kind: 'identity', policy: conditional({ NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': '3600' } }, 'Deny'), req: get({ 'aws:MultiFactorAuthAge': '3600' }), expected: 'explicit-deny' },
  { name: 'NumericEquals compares numerically (1.0 == 1)', kind: 'identity', policy: conditional({ NumericEquals: { 's3:max-keys': 1 } }), req: get({ 's3:max-keys': '1.0' }), expected: 'allow' },

  // --- ARN operators
  { name: 'ArnLike: account and name wildcards match', kind: 'identity', policy: conditional({ ArnLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/ci-*' } }), req: get({ 'aws:SourceArn': `arn:aws:iam::${ACCOUNT}:role/ci-runner` }), expected: 'allow' },
  { name: 'ArnLike: non-matching role name', kind: 'identity', policy: conditional({ ArnLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/ci-*' } }), req: get({ 'aws:SourceArn': `arn:aws:iam::${ACCOUNT}:role/prod` }), expected: 'implicit-deny' },
  { name: 'ArnLike: * in a component does not cross a colon', kind: 'identity', policy: conditional({ ArnLike: { 'aws:SourceArn': 'arn:aws:iam::1*:role/x' } }), req: get({ 'aws:SourceArn': 'arn:aws:iam::1:2:role/x' }), expected: 'implicit-deny' },
  { name: 'ArnEquals: exact ARN', kind: 'identity', policy: conditional({ ArnEquals: { 'aws:SourceArn': ROLE_ARN } }), req: get({ 'aws:SourceArn': ROLE_ARN }), expected: 'allow' },

  // --- principals
  {
    name: 'NotPrincipal Deny spares the listed principal',
    kind: 'resource',
    policy: doc({ Effect: 'Deny', NotPrincipal: { AWS: RUNNER_ROLE }, Action: 's3:*', Resource: '*' }, allowAllResource),
    req: { principal: aws(RUNNER_ROLE), action: 's3:GetObject', resource: `${BUCKET}/k` },
    expected: 'allow',
  },
  {
    name: 'NotPrincipal Deny hits everyone else',
    kind: 'resource',
    policy: doc({ Effect: 'Deny', NotPrincipal: { AWS: RUNNER_ROLE }, Action: 's3:*', Resource: '*' }, allowAllResource),
    req: { principal: aws(`arn:aws:iam::${ACCOUNT}:role/intruder`), action: 's3:GetObject', resource: `${BUCKET}/k` },
    expected: 'explicit-deny',
  },
  {
    name: 'bare account id principal matches a role of that account',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }),
    req: { principal: aws(`arn:aws:iam::${ACCOUNT}:role/x`), action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'allow',
  },
  {
    name: 'bare account id principal rejects another account',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }),
    req: { principal: aws(`arn:aws:iam::${OTHER_ACCOUNT}:role/x`), action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'implicit-deny',
  },
  {
    name: 'root ARN principal matches an assumed-role session of that account',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }),
    req: { principal: aws(`arn:aws:sts::${ACCOUNT}:assumed-role/ci/session`), action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'allow',
  },
  {
    name: 'root ARN principal rejects another account',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }),
    req: { principal: aws(`arn:aws:iam::${OTHER_ACCOUNT}:role/ci`), action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'implicit-deny',
  },
  {
    name: 'role ARN principal does not cover another role of the same account',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: RUNNER_ROLE }, Action: 'sts:AssumeRole' }),
    req: { principal: aws(`arn:aws:iam::${ACCOUNT}:role/ci`), action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'implicit-deny',
  },
  {
    name: '{"AWS":"*"} matches a service principal too',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }),
    req: { principal: { type: 'Service', id: 'ec2.amazonaws.com' }, action: 'sts:AssumeRole', resource: ROLE_ARN },
    expected: 'allow',
  },
  {
    name: 'Principal "*" matches an anonymous request',
    kind: 'resource',
    policy: doc(allowAllResource),
    req: { action: 's3:GetObject', resource: `${BUCKET}/k` },
    expected: 'allow',
  },
  {
    name: 'a named principal does not match an anonymous request',
    kind: 'resource',
    policy: doc({ Effect: 'Allow', Principal: { AWS: RUNNER_ROLE }, Action: 's3:GetObject', Resource: '*' }),
    req: { action: 's3:GetObject', resource: `${BUCKET}/k` },
    expected: 'implicit-deny',
  },
];

describe('evaluate: decision table', () => {
  it('has enough cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name → $expected', ({ kind, policy, req, expected }) => {
    // raw document + raw request
    expect(evaluate(policy, req, kind)).toBe(expected);
    // compiled + prepared must agree
    const compiled = compilePolicy(policy);
    const prepared = prepareRequest(req);
    expect(evaluate(compiled, prepared, kind)).toBe(expected);
    expect(evaluatePolicies(kind === 'identity' ? { identity: [compiled] } : { resource: [compiled] }, prepared)).toBe(expected);
    // second evaluation goes through the action memo
    expect(evaluatePolicies(kind === 'identity' ? { identity: [compiled] } : { resource: [compiled] }, req)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------
// Identity + resource combinations
// ---------------------------------------------------------------------------

interface ComboCase {
  name: string;
  identity?: PolicyDocument[];
  resource?: PolicyDocument[];
  expected: Decision;
}

const runnerGet: Request = { principal: aws(RUNNER_ROLE), action: 's3:GetObject', resource: `${BUCKET}/cache/x`, context: { 'aws:SecureTransport': 'true' } };
const idAllow = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*` });
const idDeny = doc({ Effect: 'Deny', Action: 's3:*', Resource: '*' });
const resAllow = doc({ Effect: 'Allow', Principal: { AWS: RUNNER_ROLE }, Action: 's3:GetObject', Resource: `${BUCKET}/*` });
const resDeny = doc({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `${BUCKET}/cache/*` });
const resOtherPrincipal = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/other` }, Action: 's3:GetObject', Resource: '*' });

const combos: ComboCase[] = [
  { name: 'identity Allow alone', identity: [idAllow], expected: 'allow' },
  { name: 'resource Allow alone', resource: [resAllow], expected: 'allow' },
  { name: 'identity Allow + resource Deny', identity: [idAllow], resource: [resDeny], expected: 'explicit-deny' },
  { name: 'resource Allow + identity Deny', identity: [idDeny], resource: [resAllow], expected: 'explicit-deny' },
  { name: 'resource Allow for another principal only', resource: [resOtherPrincipal], expected: 'implicit-deny' },
  { name: 'Deny in a later policy after an Allow', identity: [idAllow, idDeny], expected: 'explicit-deny' },
  { name: 'no policies at all', expected: 'implicit-deny' },
];

describe('evaluatePolicies: identity and resource together', () => {
  it.each(combos)('$name → $expected', ({ identity, resource, expected }) => {
    const set = {
      ...(identity === undefined ? {} : { identity: identity.map(compilePolicy) }),
      ...(resource === undefined ? {} : { resource: resource.map(compilePolicy) }),
    };
    expect(evaluatePolicies(set, runnerGet)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------
// Grammar errors
// ---------------------------------------------------------------------------

const allowGet = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } as const satisfies Statement;

const grammarErrors: { name: string; policy: unknown; message: RegExp }[] = [
  { name: 'unsupported operator', policy: doc({ ...allowGet, Condition: { GeoMatch: { 'aws:SourceIp': '10.0.0.0/8' } } }), message: /unsupported condition operator "GeoMatch"/ },
  { name: 'IpAddress with a non-address', policy: doc({ ...allowGet, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0/8' } } }), message: /not an IP address or CIDR block/ },
  { name: 'DateLessThan with a non-date', policy: doc({ ...allowGet, Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }), message: /is not a date/ },
  { name: 'BinaryEquals with a non-base64 value', policy: doc({ ...allowGet, Condition: { BinaryEquals: { 'aws:x': 'not base64!' } } }), message: /is not base64/ },
  { name: 'unknown set prefix', policy: doc({ ...allowGet, Condition: { 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'a' } } }), message: /unsupported condition operator "ForSomeValues:StringEquals"/ },
  { name: 'operator names are case-sensitive', policy: doc({ ...allowGet, Condition: { stringequals: { 'aws:TagKeys': 'a' } } }), message: /unsupported condition operator "stringequals"/ },
  { name: 'policy variable in Resource', policy: doc({ ...allowGet, Resource: 'arn:aws:s3:::bucket/${aws:username}/*' }), message: /policy variables are not supported/ },
  { name: 'policy variable in a condition value', policy: doc({ ...allowGet, Condition: { StringLike: { 's3:prefix': '${aws:username}/*' } } }), message: /policy variables are not supported/ },
  { name: 'Action and NotAction both set', policy: doc({ ...allowGet, NotAction: 's3:PutObject' }), message: /Action and NotAction are both set/ },
  { name: 'Resource and NotResource both set', policy: doc({ ...allowGet, NotResource: 'arn:aws:s3:::x' }), message: /Resource and NotResource are both set/ },
  { name: 'Principal and NotPrincipal both set', policy: doc({ ...allowGet, Principal: '*', NotPrincipal: { AWS: ACCOUNT } }), message: /Principal and NotPrincipal are both set/ },
  { name: 'missing Effect', policy: { Statement: [{ Action: 's3:GetObject', Resource: '*' }] }, message: /missing Effect/ },
  { name: 'lower-case Effect', policy: { Statement: [{ Effect: 'allow', Action: 's3:GetObject', Resource: '*' }] }, message: /Effect must be "Allow" or "Deny"/ },
  { name: 'neither Action nor NotAction', policy: { Statement: { Effect: 'Allow', Resource: '*' } }, message: /missing Action or NotAction/ },
  { name: 'Null with IfExists', policy: doc({ ...allowGet, Condition: { NullIfExists: { 'aws:TagKeys': 'true' } } }), message: /Null takes no IfExists/ },
  { name: 'Bool with a non-boolean value', policy: doc({ ...allowGet, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), message: /expected "true" or "false"/ },
  { name: 'Numeric with a non-number', policy: doc({ ...allowGet, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }), message: /"ten" is not a number/ },
  { name: 'ArnLike with a non-ARN value', policy: doc({ ...allowGet, Condition: { ArnLike: { 'aws:SourceArn': 'role/ci' } } }), message: /is not an ARN/ },
  { name: 'partial wildcard principal', policy: doc({ ...allowGet, Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/*` } }), message: /wildcards are only allowed as a bare "\*"/ },
  { name: 'unsupported principal type', policy: doc({ ...allowGet, Principal: { CanonicalUser: 'abc' } as unknown as Statement['Principal'] }), message: /unsupported principal type "CanonicalUser"/ },
  { name: 'misspelt statement element', policy: { Statement: [{ ...allowGet, Conditions: {} }] }, message: /unknown element "Conditions"/ },
  { name: 'empty Statement list', policy: { Version: '2012-10-17', Statement: [] }, message: /Statement list is empty/ },
  { name: 'empty condition value list', policy: doc({ ...allowGet, Condition: { StringEquals: { 'aws:TagKeys': [] } } }), message: /empty value list/ },
  { name: 'malformed action', policy: doc({ ...allowGet, Action: 's3GetObject' }), message: /"s3GetObject" is not of the form service:action/ },
];

describe('compilePolicy: grammar errors', () => {
  it.each(grammarErrors)('rejects $name', ({ policy, message }) => {
    let caught: unknown;
    try {
      compilePolicy(policy as PolicyDocument);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyGrammarError);
    expect((caught as Error).message).toMatch(message);
  });

  it('names the statement Sid in the message', () => {
    expect(() => compilePolicy(doc({ ...allowGet, Sid: 'CacheRead', Condition: { IpAddress: { 'aws:SourceIp': '1.2.3' } } }))).toThrow(/Sid "CacheRead"/);
  });

  it('rejects an identity policy that carries a Principal', () => {
    expect(() => evaluate(irsaTrust, webIdentity(sub('system:serviceaccount:ns:sa')), 'identity')).toThrow(PolicyGrammarError);
  });

  it('rejects a resource policy statement without a Principal', () => {
    expect(() => evaluatePolicies({ resource: [compilePolicy(s3Cache)] }, get())).toThrow(/without Principal/);
  });

  it('rejects a request whose context repeats a key in another case', () => {
    expect(() => prepareRequest(get({ 'aws:SecureTransport': 'true', 'AWS:SECURETRANSPORT': 'false' }))).toThrow(/twice/);
  });
});

// ---------------------------------------------------------------------------
// All pairs
// ---------------------------------------------------------------------------

describe('all-pairs IRSA trust policies', () => {
  it('allows exactly the matching service account for each of 2,000 policies', () => {
    const N = 2000;
    const providers = Array.from({ length: 20 }, (_, k) => `oidc.eks.eu-central-1.amazonaws.com/id/CLUSTER${String(k).padStart(4, '0')}`);
    const issuer = (i: number): string => providers[i % providers.length] ?? '';
    const providerArn = (i: number): string => `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer(i)}`;

    const policies: CompiledPolicy[] = [];
    const requests = [];
    for (let i = 0; i < N; i++) {
      const iss = issuer(i);
      policies.push(
        compilePolicy(
          doc({
            Effect: 'Allow',
            Principal: { Federated: providerArn(i) },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { [`${iss}:sub`]: `system:serviceaccount:ns-${i}:sa-${i}`, [`${iss}:aud`]: 'sts.amazonaws.com' } },
          }),
        ),
      );
      requests.push(
        prepareRequest({
          principal: { type: 'Federated', id: providerArn(i) },
          action: 'sts:AssumeRoleWithWebIdentity',
          resource: `arn:aws:iam::${ACCOUNT}:role/r-${i}`,
          context: { [`${iss}:sub`]: `system:serviceaccount:ns-${i}:sa-${i}`, [`${iss}:aud`]: 'sts.amazonaws.com' },
        }),
      );
    }

    const allowedCount = new Int32Array(N);
    const allowedBy = new Int32Array(N).fill(-1);
    const start = performance.now();
    for (let i = 0; i < N; i++) {
      const p = policies[i];
      if (p === undefined) throw new Error('unreachable');
      for (let j = 0; j < N; j++) {
        const r = requests[j];
        if (r === undefined) throw new Error('unreachable');
        if (evaluate(p, r, 'resource') === 'allow') {
          allowedCount[i] = (allowedCount[i] ?? 0) + 1;
          allowedBy[i] = j;
        }
      }
    }
    const elapsed = performance.now() - start;
    console.log(`all-pairs: ${N} × ${N} = ${N * N} evaluations in ${elapsed.toFixed(1)} ms`);

    for (let i = 0; i < N; i++) {
      expect(allowedCount[i]).toBe(1);
      expect(allowedBy[i]).toBe(i);
    }
  });
});

// ---------------------------------------------------------------------------
// Date, IP address and binary operators
// ---------------------------------------------------------------------------

const ctxGet = (context: Record<string, string>): Request => ({ principal: { type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/ci` }, action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context });
const withCondition = (Condition: Statement['Condition']) => compilePolicy(doc({ ...allowGet, Condition }));

const operatorCases: [string, Statement['Condition'], Record<string, string>, Decision][] = [
  ['DateLessThan before', { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2029-12-31T23:59:59Z' }, 'allow'],
  ['DateLessThan after', { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, 'implicit-deny'],
  ['DateLessThanEquals at', { DateLessThanEquals: { 'aws:CurrentTime': '2030-01-01' } }, { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, 'allow'],
  ['DateGreaterThan epoch seconds', { DateGreaterThan: { 'aws:EpochTime': '1700000000' } }, { 'aws:EpochTime': '1700000001' }, 'allow'],
  ['DateGreaterThanEquals before', { DateGreaterThanEquals: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2029-01-01T00:00:00Z' }, 'implicit-deny'],
  ['DateEquals other zone', { DateEquals: { 'aws:CurrentTime': '2030-01-01T01:00:00+01:00' } }, { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, 'allow'],
  ['DateNotEquals same instant', { DateNotEquals: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, 'implicit-deny'],
  ['Date with a context value that is no date', { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } }, { 'aws:CurrentTime': 'soon' }, 'implicit-deny'],
  ['IpAddress inside', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.113.77' }, 'allow'],
  ['IpAddress outside', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.114.1' }, 'implicit-deny'],
  ['IpAddress one address', { IpAddress: { 'aws:SourceIp': '198.51.100.7' } }, { 'aws:SourceIp': '198.51.100.7' }, 'allow'],
  ['IpAddress IPv6 block', { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db8:1::5' }, 'allow'],
  ['IpAddress IPv6 outside', { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db9::5' }, 'implicit-deny'],
  ['IpAddress IPv4 address against an IPv6 block', { IpAddress: { 'aws:SourceIp': '::/0' } }, { 'aws:SourceIp': '10.0.0.1' }, 'implicit-deny'],
  ['IpAddress /0', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, { 'aws:SourceIp': '10.0.0.1' }, 'allow'],
  ['NotIpAddress outside', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '11.0.0.1' }, 'allow'],
  ['NotIpAddress inside', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '10.1.2.3' }, 'implicit-deny'],
  ['NotIpAddress absent key', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, 'allow'],
  ['IpAddressIfExists absent key', { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, 'allow'],
  ['BinaryEquals same', { BinaryEquals: { 'aws:x': 'QmluYXJ5' } }, { 'aws:x': 'QmluYXJ5' }, 'allow'],
  ['BinaryEquals other', { BinaryEquals: { 'aws:x': 'QmluYXJ5' } }, { 'aws:x': 'QmluYXJ6' }, 'implicit-deny'],
];

describe('Date, IpAddress and BinaryEquals operators', () => {
  it.each(operatorCases)('%s', (_name, condition, context, expected) => {
    expect(evaluatePolicies({ identity: [withCondition(condition)] }, ctxGet(context))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------
// Keys AWS puts into every signed request: aws:PrincipalArn, aws:PrincipalAccount
// ---------------------------------------------------------------------------

describe('aws:PrincipalArn and aws:PrincipalAccount from the principal', () => {
  // A bucket policy that denies every principal but one role, as teams lock a bucket down.
  const onlyRole = (arn: string) =>
    compilePolicy(doc(
      { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*`, Condition: { StringNotEquals: { 'aws:PrincipalArn': arn } } },
    ));
  const get = (principal: string, context?: Request['context']): Request => ({ principal: aws(principal), action: 's3:GetObject', resource: `${BUCKET}/k`, ...(context ? { context } : {}) });

  it('a role passes a Deny that spares its ARN, another role does not', () => {
    expect(evaluatePolicies({ resource: [onlyRole(ROLE_ARN)] }, get(ROLE_ARN))).toBe('allow');
    expect(evaluatePolicies({ resource: [onlyRole(ROLE_ARN)] }, get(`arn:aws:iam::${ACCOUNT}:role/other`))).toBe('explicit-deny');
  });

  it('the role ARN keeps its path', () => {
    const withPath = `arn:aws:iam::${ACCOUNT}:role/ci/runner-cache`;
    expect(evaluatePolicies({ resource: [onlyRole(withPath)] }, get(withPath))).toBe('allow');
    expect(evaluatePolicies({ resource: [onlyRole(ROLE_ARN)] }, get(withPath))).toBe('explicit-deny');
  });

  it('a principal that is not an IAM ARN (a bare account id, a session) gets no aws:PrincipalArn', () => {
    const hasArn = compilePolicy(doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*', Condition: { Null: { 'aws:PrincipalArn': 'false' } } }));
    expect(evaluatePolicies({ resource: [hasArn] }, get(ACCOUNT))).toBe('implicit-deny');
    expect(evaluatePolicies({ resource: [hasArn] }, get(`arn:aws:sts::${ACCOUNT}:assumed-role/ci/s1`))).toBe('implicit-deny');
    expect(evaluatePolicies({ resource: [hasArn] }, get(`arn:aws:iam::${ACCOUNT}:root`))).toBe('allow');
  });

  it('aws:PrincipalAccount is the principal account; a key the caller gives wins', () => {
    const fromAccount = (a: string) => compilePolicy(doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': a } } }));
    expect(evaluatePolicies({ resource: [fromAccount(ACCOUNT)] }, get(ROLE_ARN))).toBe('allow');
    expect(evaluatePolicies({ resource: [fromAccount(OTHER_ACCOUNT)] }, get(ROLE_ARN))).toBe('implicit-deny');
    expect(evaluatePolicies({ resource: [fromAccount(OTHER_ACCOUNT)] }, get(ROLE_ARN, { 'aws:PrincipalAccount': OTHER_ACCOUNT }))).toBe('allow');
    // Through prepareRequest().derive as the proofs ask: the keys stay.
    const caller = prepareRequest(get(ROLE_ARN));
    expect(evaluatePolicies({ resource: [onlyRole(ROLE_ARN)] }, caller.derive('s3:GetObject', `${BUCKET}/other`))).toBe('allow');
  });
});

// ---------------------------------------------------------------------------
// aws:PrincipalTag/<key> from the tags of the calling role (attribute-based access control)
// ---------------------------------------------------------------------------

describe('aws:PrincipalTag/<key> from principalTags', () => {
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/ci`;
  // The manager role's own cache policy, allowing only a role tagged team = ci.
  const abac = (key = 'aws:PrincipalTag/team', op = 'StringEquals') =>
    compilePolicy(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*`, Condition: { [op]: { [key]: 'ci' } } }));
  const get = (principalTags?: Record<string, string>, context?: Request['context']): Request => ({
    principal: aws(ROLE),
    action: 's3:GetObject',
    resource: `${BUCKET}/k`,
    ...(principalTags ? { principalTags } : {}),
    ...(context ? { context } : {}),
  });

  it('a tag of the caller with the value the condition names: allow', () => {
    expect(evaluatePolicies({ identity: [abac()] }, get({ team: 'ci', Name: 'runner' }))).toBe('allow');
  });

  it('no such tag: implicit deny; a negated operator holds, so a Deny keyed on it applies', () => {
    expect(evaluatePolicies({ identity: [abac()] }, get())).toBe('implicit-deny');
    expect(evaluatePolicies({ identity: [abac()] }, get({ owner: 'ci' }))).toBe('implicit-deny');
    const denyOthers = compilePolicy(doc(
      { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*`, Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'ci' } } },
    ));
    expect(evaluatePolicies({ resource: [denyOthers] }, get())).toBe('explicit-deny');
    expect(evaluatePolicies({ resource: [denyOthers] }, get({ team: 'ci' }))).toBe('allow');
    expect(evaluatePolicies({ resource: [denyOthers] }, get({ team: 'platform' }))).toBe('explicit-deny');
  });

  it('a tag with another value: implicit deny (values compare case-sensitively, StringEqualsIgnoreCase aside)', () => {
    expect(evaluatePolicies({ identity: [abac()] }, get({ team: 'platform' }))).toBe('implicit-deny');
    expect(evaluatePolicies({ identity: [abac()] }, get({ team: 'CI' }))).toBe('implicit-deny');
    expect(evaluatePolicies({ identity: [abac('aws:PrincipalTag/team', 'StringEqualsIgnoreCase')] }, get({ team: 'CI' }))).toBe('allow');
  });

  it('the tag key matches whatever its case, in the tag and in the condition key', () => {
    expect(evaluatePolicies({ identity: [abac('aws:PrincipalTag/Team')] }, get({ team: 'ci' }))).toBe('allow');
    expect(evaluatePolicies({ identity: [abac('AWS:principaltag/team')] }, get({ TEAM: 'ci' }))).toBe('allow');
    expect(() => prepareRequest(get({ Team: 'ci', team: 'platform' }))).toThrow(/twice/);
  });

  it('a key the context gives wins (a session tag overrides the role tag of that key)', () => {
    expect(evaluatePolicies({ identity: [abac()] }, get({ team: 'platform' }, { 'aws:PrincipalTag/Team': 'ci' }))).toBe('allow');
    expect(evaluatePolicies({ identity: [abac()] }, get({ team: 'ci' }, { 'aws:PrincipalTag/team': 'platform' }))).toBe('implicit-deny');
  });

  it('the tags stay in every request derived from a prepared caller; only AWS principals carry them', () => {
    const caller = prepareRequest(get({ team: 'ci' }));
    expect(evaluatePolicies({ identity: [abac()] }, caller.derive('s3:GetObject', `${BUCKET}/other`, { 's3:prefix': 'x' }))).toBe('allow');
    expect(() => prepareRequest({ principal: { type: 'Federated', id: PROVIDER }, action: 'sts:AssumeRoleWithWebIdentity', resource: '*', principalTags: { team: 'ci' } })).toThrow(/AWS principal/);
  });
});

describe('decisionOverTags: a decision over every value of tags the documents do not show', () => {
  const keys = new Set(['team']);
  const get = roleReq('s3:GetObject', `${BUCKET}/k`);
  const allowGet: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*` };
  const onTeam = (s: Statement, op = 'StringEquals'): Statement => ({ ...s, Condition: { [op]: { 'aws:PrincipalTag/team': 'ci' } } });
  const denyAll: Statement = { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*` };
  const set = (identity: Statement[], resource: Statement[] = []) => ({ identity: identity.length > 0 ? [compilePolicy(doc(...identity))] : [], resource: resource.length > 0 ? [compilePolicy(doc(...resource))] : [] });

  it('allowed whatever the tags: an Allow that tests none of them, no Deny that tests them', () => {
    expect(decisionOverTags(set([allowGet]), get, keys)).toBe('allow');
    // A tag-keyed statement for another action changes nothing.
    expect(decisionOverTags(set([allowGet, onTeam({ Effect: 'Deny', Action: 's3:PutObject', Resource: '*' })]), get, keys)).toBe('allow');
  });

  it('refused whatever the tags: no Allow could hold, or a Deny holds that tests none of them', () => {
    expect(decisionOverTags(set([]), get, keys)).toBe('deny');
    expect(decisionOverTags(set([{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }], [onTeam(denyAll, 'StringNotEquals')]), get, keys)).toBe('deny');
    expect(decisionOverTags(set([onTeam(allowGet)], [denyAll]), get, keys)).toBe('deny');
    // An Allow whose other condition fails cannot be rescued by the tag.
    expect(decisionOverTags(set([{ ...allowGet, Condition: { StringEquals: { 'aws:PrincipalTag/team': 'ci', 'aws:SourceVpce': 'vpce-1' } } }]), get, keys)).toBe('deny');
  });

  it('turns on the tags: an Allow that tests them, or a Deny that tests them beside a sure Allow', () => {
    expect(decisionOverTags(set([onTeam(allowGet)]), get, keys)).toBe('either');
    expect(decisionOverTags(set([allowGet], [onTeam(denyAll, 'StringNotEquals')]), get, keys)).toBe('either');
    // The plain evaluation (the tag absent from the request) says refused or allowed; neither is shown.
    expect(evaluatePolicies(set([onTeam(allowGet)]), get)).toBe('implicit-deny');
    expect(evaluatePolicies(set([allowGet], [onTeam(denyAll, 'StringEquals')]), get)).toBe('allow');
    expect(decisionOverTags(set([allowGet], [onTeam(denyAll, 'StringEquals')]), get, keys)).toBe('either');
  });

  it('matchesOverTags: the Allow and the Deny parts, which a caller combines where one policy set is not the whole decision (a KMS key policy)', () => {
    expect(matchesOverTags(set([allowGet]), get, keys)).toEqual({ allow: 'sure', deny: 'no' });
    expect(matchesOverTags(set([onTeam(allowGet)]), get, keys)).toEqual({ allow: 'maybe', deny: 'no' });
    expect(matchesOverTags(set([allowGet, onTeam(allowGet)], [onTeam(denyAll, 'StringNotEquals')]), get, keys)).toEqual({ allow: 'sure', deny: 'maybe' });
    expect(matchesOverTags(set([onTeam(allowGet)], [denyAll]), get, keys).deny).toBe('sure');
    expect(matchesOverTags(set([]), get, keys)).toEqual({ allow: 'no', deny: 'no' });
  });

  it('a tag of the resource not shown (conditionKeys, whole lower-cased condition keys): a statement that tests it may hold; without it in conditionKeys, plain evaluation', () => {
    const param = roleReq('ssm:GetParameter', 'arn:aws:ssm:eu-west-1:111122223333:parameter/ci/token');
    const onParameterTeam = (effect: 'Allow' | 'Deny', op = 'StringEquals'): Statement => ({ Effect: effect, Action: 'ssm:GetParameter', Resource: '*', Condition: { [op]: { 'ssm:resourceTag/Team': 'platform' } } });
    const unshown = new Set(['ssm:resourcetag/team', 'aws:resourcetag/team']);
    expect(decisionOverTags(set([onParameterTeam('Allow')]), param, new Set(), unshown)).toBe('either');
    expect(decisionOverTags(set([onParameterTeam('Allow')]), param, new Set())).toBe('deny');
    expect(decisionOverTags(set([{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }, onParameterTeam('Deny', 'StringNotEquals')]), param, new Set(), unshown)).toBe('either');
    expect(matchesOverTags(set([onParameterTeam('Allow')]), param, keys, unshown)).toEqual({ allow: 'maybe', deny: 'no' });
  });

  it('a tag whose value is shown is evaluated, not taken as open', () => {
    const tagged: Request = { ...get, principalTags: { team: 'ops' } };
    expect(decisionOverTags(set([onTeam(allowGet)]), tagged, new Set(['other']))).toBe('deny');
    expect(decisionOverTags(set([onTeam(allowGet)]), { ...get, principalTags: { team: 'ci' } }, new Set(['other']))).toBe('allow');
  });
});
