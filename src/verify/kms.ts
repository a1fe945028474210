import type { TerraformRoot } from '../emit/artifacts.js';
import type { PolicyDocument, Statement } from './iam/types.js';
import { bothOverTags, compilePolicy, eitherOverTags, evaluateFor, evaluatePoliciesFor, matchesOverTagsFor, overTagsDecision, PolicyGrammarError, policyKindProblem, type CompiledPolicy, type PolicySet, type PreparedRequest } from './iam/evaluator.js';
import { kmsKeyStandIn, parseRef } from './aws-docs.js';
import { isObject } from '../model/is-object.js';
import { asList } from './reach/roles.js';

/**
 * Customer-managed KMS keys as the proofs read them: which key a document names, and its key policy
 * split the way KMS reads it (AWS KMS Developer Guide, "Key policies in AWS KMS": IAM policies
 * grant a key's use only where the key policy lets the account's IAM decide; a key policy
 * statement that names a principal grants it by itself). Used for the runner token parameters of
 * the VM platforms and for the key that encrypts an S3 cache bucket.
 */

/** The account and region a key id (not an ARN) is in. */
export interface KmsAccount {
  partition: string;
  region: string;
  accountId: string;
}

/** A customer-managed KMS key (of a token parameter, of a cache bucket). */
export interface KmsKey {
  /** What IAM is asked about: the key's ARN; for a key these documents create, one in the fleet's account and region no policy can name literally. */
  arn: string;
  /** How messages name it. */
  label: string;
  /** The key policy, when the documents hold it (without it, the default key policy delegates to IAM). */
  policy?: KeyPolicy;
  /** Why the key policy is not shown (RF903); IAM grants are then evaluated as if it delegated. */
  policyUnknown?: string;
  /** The resource that holds the key policy, read or not (its key in the root: aws_kms_key.<k>, aws_kms_key_policy.<k>). */
  policyAddress?: string;
}

export interface KeyPolicy {
  full: CompiledPolicy;
  /** Its Allow statements to principals other than the account: a grant to the role itself. */
  direct?: CompiledPolicy;
  /** Its Allow statements to the account (root ARN or account id): they let IAM policies grant. */
  account?: CompiledPolicy;
}

/** The key a document names: none (the service's AWS managed key), a customer key, or not shown (RF903). */
export interface KeyOf {
  key?: KmsKey;
  unknown?: { at: string; value: string; why: string };
}

/** A key policy's text as JSON, with the references the documents answer (role ARNs, the account) put in. */
function keyPolicyText(a: KmsAccount, roleArnOf: (key: string) => string | undefined, value: unknown): { text?: string; why?: string } {
  if (isObject(value)) value = JSON.stringify(value);
  if (typeof value !== 'string') return { why: 'it is not a policy document' };
  const text = value.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    const ref = parseRef(whole);
    if (ref?.type === 'aws_iam_role' && ref.attr === 'arn') return roleArnOf(ref.name) ?? whole;
    if (/^data\.aws_caller_identity\.[A-Za-z0-9_-]+\.account_id$/.test(inner)) return a.accountId;
    if (/^data\.aws_partition\.[A-Za-z0-9_-]+\.partition$/.test(inner)) return a.partition;
    return whole;
  });
  const left = /\$\{[^}]*\}/.exec(text);
  if (left) return { why: `it holds ${left[0]}, which the documents do not resolve` };
  return { text };
}

const ACCOUNT_PRINCIPAL = /^(?:\d{12}|arn:[^:]+:iam::\d{12}:root)$/;

/** A key policy split the way KMS reads it: grants to the account let IAM decide; grants to a principal are that principal's. */
function keyPolicy(text: string): { policy?: KeyPolicy; why?: string } {
  let doc: PolicyDocument;
  try {
    doc = JSON.parse(text) as PolicyDocument;
  } catch {
    return { why: 'it is not JSON' };
  }
  let full: CompiledPolicy;
  try {
    full = compilePolicy(doc);
  } catch (e) {
    if (e instanceof PolicyGrammarError) return { why: e.message };
    throw e;
  }
  const kind = policyKindProblem(full, 'resource');
  if (kind !== undefined) return { why: kind };
  const direct: Statement[] = [];
  const account: Statement[] = [];
  for (const st of asList(doc.Statement)) {
    if (st.Effect !== 'Allow') continue;
    const p = st.Principal;
    if (p === undefined || p === '*' || st.NotPrincipal !== undefined) {
      direct.push(st);
      continue;
    }
    const aws = asList(p.AWS);
    const toAccount = aws.filter((x) => ACCOUNT_PRINCIPAL.test(x));
    const others = aws.filter((x) => !ACCOUNT_PRINCIPAL.test(x));
    if (toAccount.length > 0) account.push({ ...st, Principal: { AWS: toAccount } });
    const rest = { ...p, ...(others.length > 0 ? { AWS: others } : {}) };
    if (others.length === 0) delete rest.AWS;
    if (Object.keys(rest).length > 0) direct.push({ ...st, Principal: rest });
  }
  const policy: KeyPolicy = { full };
  if (direct.length > 0) policy.direct = compilePolicy({ Version: '2012-10-17', Statement: direct });
  if (account.length > 0) policy.account = compilePolicy({ Version: '2012-10-17', Statement: account });
  return { policy };
}

/**
 * The key a document names (a token parameter's key_id, a bucket's kms_master_key_id), resolved in
 * the documents: an ARN or key id as written, `aws_kms_key` and `aws_kms_alias` references (and
 * alias names) followed to the key. `awsManaged`: the alias of the service's AWS managed key
 * (alias/aws/ssm, alias/aws/s3), which IAM alone governs. What the documents do not show is not
 * assumed to be that key. `keys` memoises by the text as written.
 */
export function resolveKmsKey(root: TerraformRoot, a: KmsAccount, roleArnOf: (key: string) => string | undefined, at: string, raw: unknown, keys: Map<string, KeyOf>, awsManaged: string): KeyOf {
  const memo = typeof raw === 'string' ? keys.get(raw) : undefined;
  if (memo) return memo;
  const res = root.resource;
  const showValue = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 120);
  const unknown = (why: string): KeyOf => ({ unknown: { at, value: showValue(raw), why } });
  const policyOf = (policyValue: unknown, where: string): Pick<KmsKey, 'policy' | 'policyUnknown' | 'policyAddress'> => {
    if (policyValue === undefined || policyValue === null) return {};
    const policyAddress = where.replace(/\.policy$/, '');
    const t = keyPolicyText(a, roleArnOf, policyValue);
    if (t.text === undefined) return { policyUnknown: `${where}: ${t.why!}`, policyAddress };
    const p = keyPolicy(t.text);
    return p.policy ? { policy: p.policy, policyAddress } : { policyUnknown: `${where}: ${p.why!}`, policyAddress };
  };
  /** aws_kms_key_policy resources, which replace the key's own policy attribute. */
  const attachedPolicy = (matches: (keyId: unknown) => boolean): Pick<KmsKey, 'policy' | 'policyUnknown' | 'policyAddress'> | undefined => {
    for (const [k, b] of Object.entries(res.aws_kms_key_policy ?? {})) if (matches(b.key_id)) return policyOf(b.policy, `aws_kms_key_policy.${k}.policy`);
    return undefined;
  };
  const fromResource = (k: string): KeyOf => {
    const body = res.aws_kms_key?.[k];
    if (!body) return unknown(`aws_kms_key.${k} is not in the documents given`);
    const own = attachedPolicy((v) => {
      const r = parseRef(v);
      return r?.type === 'aws_kms_key' && r.name === k;
    });
    // The same ARN a policy's `${aws_kms_key.<k>.arn}` stands for (the doctor puts it in).
    return { key: { arn: kmsKeyStandIn(a, k).arn, label: `aws_kms_key.${k}`, ...(own ?? policyOf(body.policy, `aws_kms_key.${k}.policy`)) } };
  };
  const fromLiteralKey = (arn: string): KeyOf => {
    const id = arn.slice(arn.lastIndexOf('/') + 1);
    const own = attachedPolicy((v) => v === arn || v === id);
    return { key: { arn, label: arn, ...(own ?? {}) } };
  };
  const follow = (v: unknown, depth: number): KeyOf => {
    if (depth > 4) return unknown('the aliases name each other in a loop');
    if (v === undefined || v === null) return {};
    if (typeof v !== 'string') return unknown('it is not a key id, ARN or alias');
    const ref = parseRef(v);
    if (ref?.type === 'aws_kms_key' && ['arn', 'key_id', 'id'].includes(ref.attr)) return fromResource(ref.name);
    if (ref?.type === 'aws_kms_alias' && ['arn', 'name', 'id'].includes(ref.attr)) {
      const alias = res.aws_kms_alias?.[ref.name];
      return alias ? follow(alias.target_key_id, depth + 1) : unknown(`aws_kms_alias.${ref.name} is not in the documents given`);
    }
    if (v.includes('${')) return unknown('it is an expression the documents do not resolve to a key');
    const alias = /^(?:arn:[^:]+:kms:[^:]*:\d{12}:)?(alias\/.+)$/.exec(v);
    if (alias) {
      if (alias[1] === awsManaged) return {};
      const found = Object.values(res.aws_kms_alias ?? {}).find((b) => b.name === alias[1]);
      return found ? follow(found.target_key_id, depth + 1) : unknown(`the alias ${alias[1]!} is not in the documents given, so the key it names is not shown`);
    }
    if (/^arn:[^:]+:kms:[^:]*:\d{12}:key\/.+$/.test(v)) return fromLiteralKey(v);
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v) || /^mrk-[0-9a-f]{32}$/.test(v)) return fromLiteralKey(`arn:${a.partition}:kms:${a.region}:${a.accountId}:key/${v}`);
    return unknown('it is not a key id, ARN or alias');
  };
  const out = follow(raw, 0);
  if (typeof raw === 'string') keys.set(raw, out);
  return out;
}

/**
 * Whether a caller may use a customer key (`action`, e.g. kms:Decrypt), and by what: its IAM
 * policies where the key policy lets IAM decide (a grant to the account; without a key policy in
 * the documents, the default one does), or the key policy's own grant to the caller. `caller` is
 * the caller's prepared request (any action and resource: derived here).
 */
export function mayUseKey(a: KmsAccount, caller: PreparedRequest, identity: PolicySet, key: KmsKey, action: string, context: Record<string, string>): 'iam' | 'key policy' | undefined {
  // Each request asked of the caller as derive(action, key.arn, context) would ask it, without deriving.
  const allowed = evaluatePoliciesFor(identity, caller, action, key.arn, context);
  if (allowed === 'explicit-deny') return undefined;
  const kp = key.policy;
  if (!kp) return allowed === 'allow' ? 'iam' : undefined;
  if (evaluateFor(kp.full, caller, action, key.arn, context, 'resource') === 'explicit-deny') return undefined;
  if (kp.direct && evaluateFor(kp.direct, caller, action, key.arn, context, 'resource') === 'allow') return 'key policy';
  if (allowed !== 'allow' || !kp.account) return undefined;
  return evaluateFor(kp.account, asAccount(a, caller), action, key.arn, context, 'resource') === 'allow' ? 'iam' : undefined;
}

/**
 * The caller's request as the key policy's statements for the account read it: the account as the
 * principal they name, the conditions over the caller's own context (its aws:PrincipalArn, its tags):
 * `Principal: {AWS: <account>:root}` with `ArnLike aws:PrincipalArn role/ci-*` lets IAM grant the
 * key only to roles named so.
 */
function asAccount(a: KmsAccount, req: PreparedRequest): PreparedRequest {
  // The caller's context is shared, not copied: it has its aws:PrincipalArn and aws:PrincipalAccount,
  // which a request of the account's root would otherwise get (asAwsPrincipal adds them where absent).
  return req.asAwsPrincipal(`arn:${a.partition}:iam::${a.accountId}:root`);
}

/**
 * mayUseKey over every value of the caller's tags `keys` (lower-cased `aws:PrincipalTag/<key>` keys
 * whose values the documents do not show; the caller's request carries none of them): 'allow'
 * whatever they are, 'deny' whatever they are, or 'either'. Each part is taken over the tags (a Deny
 * of the IAM policies or of the key policy, the key policy's own grant, an IAM grant and the
 * statement to the account that lets it count), then combined as mayUseKey combines them: a part
 * that turns on the tags never makes the whole surer than it is.
 */
export function mayUseKeyOverTags(a: KmsAccount, caller: PreparedRequest, identity: PolicySet, key: KmsKey, action: string, context: Record<string, string>, keys: ReadonlySet<string>): 'allow' | 'deny' | 'either' {
  const arn = key.arn;
  const iam = matchesOverTagsFor(identity, caller, action, arn, context, keys);
  const kp = key.policy;
  if (!kp) return overTagsDecision(iam);
  const deny = eitherOverTags(iam.deny, matchesOverTagsFor({ resource: [kp.full] }, caller, action, arn, context, keys).deny);
  const direct = kp.direct ? matchesOverTagsFor({ resource: [kp.direct] }, caller, action, arn, context, keys).allow : 'no';
  const account = kp.account ? matchesOverTagsFor({ resource: [kp.account] }, asAccount(a, caller), action, arn, context, keys).allow : 'no';
  return overTagsDecision({ allow: eitherOverTags(direct, bothOverTags(iam.allow, account)), deny });
}

