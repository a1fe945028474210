import type { FleetDocuments } from '../emit/types.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import type { PolicyDocument, Request } from './iam/types.js';
import { compilePolicy, PreparedPrincipal, type CompiledPolicy, type PreparedRequest } from './iam/evaluator.js';
import { awsManagedPolicy } from './iam/aws-managed.js';
import { jsonTextOnce } from '../model/json-text.js';

/**
 * Reads the AWS Terraform root back as facts: roles, their trust and permission documents,
 * bucket settings. Only literal values and `${type.name.attr}` references within the same root
 * are understood; anything else is reported as unresolvable, never guessed.
 */

/** A role's tags as the proofs' requests carry them (aws:PrincipalTag/<key>). */
export interface RoleTags {
  /** The tags AWS attaches to the role whose values the documents show: the provider's default_tags under the role's own `tags`. */
  tags: Readonly<Record<string, string>>;
  /**
   * Lower-cased keys of tags the role has but whose value the documents do not show (a variable, a
   * value only apply knows); `*` when which tags it has is not shown (its `tags` or the provider's
   * default_tags are not a literal map). Left out of `tags`: a condition on them is never guessed.
   */
  unknownTags: ReadonlySet<string>;
  /**
   * Lower-cased keys of the session tags the role's sessions carry (EKS Pod Identity, for a role an
   * aws_eks_pod_identity_association binds): they override the role's tags of the same key, so the
   * role's `*` does not reach them; those whose value is not shown are in `unknownTags`.
   */
  sessionTagKeys?: ReadonlySet<string>;
  /** The associations whose session tags these are (`aws_eks_pod_identity_association.<key>`). */
  sessionVia?: readonly string[];
}

export interface RoleFacts extends RoleTags {
  key: string;
  name: string;
  path: string;
  trust: PolicyDocument;
  trustCompiled: CompiledPolicy;
  policies: PolicyDocument[];
  policiesCompiled: CompiledPolicy[];
  /** Where each of `policiesCompiled` comes from: the resource that attaches or holds it (`aws_iam_role_policy.x`). */
  policiesVia: string[];
  /**
   * Managed policies attached to the role whose statements are not known here (neither a policy of
   * the same root nor an AWS managed policy of the table in iam/aws-managed.ts): what the role may
   * do is then not proven. `via` names the attachment (resource and attribute).
   */
  unknownPolicies: { arn: string; via: string; unread?: true; /** The resource that attaches it (its key in the root). */ address: string }[];
}

export interface AwsFacts {
  root: TerraformRoot;
  /** Roles by role name. */
  roles: Map<string, RoleFacts>;
  /** Role resource key → role name. */
  roleKeys: Map<string, string>;
  /** References that did not resolve, as `resource.attr: value`, and the resource (its key in the root). */
  unresolved: { text: string; address: string }[];
}

/**
 * `${type.name.attr}`; a resource of a local module as the doctor's evaluator writes a reference to it
 * through the module's output (`${module.x.type.name.attr}`) names the key it is stored under (`module.x.name`).
 */
const REF = /^\$\{((?:module\.[A-Za-z0-9_-]+(?:\["[^"\]]*"\]|\[\d+\])?\.)*)([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

export function parseRef(value: unknown): { type: string; name: string; attr: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = REF.exec(value);
  return m ? { type: m[2]!, name: `${m[1]!}${m[3]!}`, attr: m[4]! } : undefined;
}

export function resourceBody(root: TerraformRoot, type: string, name: string): Record<string, unknown> | undefined {
  return root.resource[type]?.[name];
}

/** Resolves a literal or a same-root reference to a resource attribute that is itself a literal. */
export function resolveValue(root: TerraformRoot, value: unknown): unknown {
  const ref = parseRef(value);
  if (!ref) return value;
  const body = resourceBody(root, ref.type, ref.name);
  if (!body) return undefined;
  // `id` of buckets and roles is their name in the AWS provider.
  const attr = ref.attr === 'id' && ref.type === 'aws_s3_bucket' ? 'bucket' : ref.attr === 'id' && ref.type === 'aws_iam_role' ? 'name' : ref.attr;
  const v = body[attr];
  return typeof v === 'string' && parseRef(v) ? resolveValue(root, v) : v;
}

const cache = new WeakMap<object, AwsFacts>();

const policyTexts = new WeakMap<TerraformRoot, Map<string, { doc: PolicyDocument; compiled: CompiledPolicy }>>();

/**
 * A policy document of a root, parsed and compiled once per distinct text: fleets repeat
 * documents (every task role trusts ECS tasks alike), and several proofs read the same root.
 * Documents and compiled policies are shared, so they are read-only.
 * @throws SyntaxError or PolicyGrammarError, as JSON.parse and compilePolicy do.
 */
export function policyOfText(root: TerraformRoot, text: string): { doc: PolicyDocument; compiled: CompiledPolicy } {
  let byText = policyTexts.get(root);
  if (!byText) {
    byText = new Map();
    policyTexts.set(root, byText);
  }
  let hit = byText.get(text);
  if (!hit) {
    const doc = JSON.parse(text) as PolicyDocument;
    hit = { doc, compiled: compilePolicy(doc) };
    byText.set(text, hit);
  }
  return hit;
}


export function awsFacts(docs: FleetDocuments): AwsFacts | undefined {
  const root = docs.terraformAws;
  if (!root) return undefined;
  const hit = cache.get(root);
  if (hit) return hit;
  const roles = new Map<string, RoleFacts>();
  const roleKeys = new Map<string, string>();
  const unresolved: AwsFacts['unresolved'] = [];
  const read = (text: string) => policyOfText(root, text);
  for (const [key, body] of Object.entries(root.resource.aws_iam_role ?? {})) {
    const name = String(body.name);
    const trust = read(String(body.assume_role_policy));
    roles.set(name, { key, name, path: typeof body.path === 'string' ? body.path : '/', trust: trust.doc, trustCompiled: trust.compiled, policies: [], policiesCompiled: [], policiesVia: [], unknownPolicies: [], ...roleTags(root, body, key) });
    roleKeys.set(key, name);
  }
  // A document the role holds already (one text, so one compiled policy: the same policy attached
  // again, or a role of one name given in many folders, each attaching its copy) grants nothing
  // more: it is held once, by the first resource that attaches it, so every request asked of the
  // role reads each document once (not once per folder repeating it).
  const held = new Map<RoleFacts, Set<CompiledPolicy>>();
  const hold = (role: RoleFacts, doc: { doc: PolicyDocument; compiled: CompiledPolicy }, via: string) => {
    let set = held.get(role);
    if (set === undefined) held.set(role, (set = new Set()));
    if (set.has(doc.compiled)) return;
    set.add(doc.compiled);
    role.policies.push(doc.doc);
    role.policiesCompiled.push(doc.compiled);
    role.policiesVia.push(via);
  };
  // Managed policies: a policy of this root, an AWS managed policy whose documented content is
  // known, or unknown (then nothing the role may do is proven).
  const attach = (role: RoleFacts, arn: unknown, via: string) => {
    const ref = parseRef(arn);
    const own = ref?.type === 'aws_iam_policy' && (ref.attr === 'arn' || ref.attr === 'id') ? resourceBody(root, 'aws_iam_policy', ref.name)?.policy : undefined;
    if (typeof own === 'string') {
      let doc: ReturnType<typeof read> | undefined;
      try {
        doc = read(own);
      } catch {
        // Not a literal document (the doctor reports why where it reads the policy): unknown below.
      }
      if (doc) {
        hold(role, doc, via);
        return;
      }
    }
    const managed = typeof arn === 'string' ? awsManagedPolicy(arn) : undefined;
    if (managed) {
      hold(role, read(jsonTextOnce(managed)), via);
      return;
    }
    role.unknownPolicies.push({ arn: typeof arn === 'string' ? arn : JSON.stringify(arn) ?? String(arn), via, address: via.replace(/\.managed_policy_arns$/, '') });
  };
  const roleOf = (v: unknown) => {
    const n = resolveValue(root, v);
    return typeof n === 'string' ? roles.get(n) : undefined;
  };
  for (const [key, body] of Object.entries(root.resource.aws_iam_role ?? {})) {
    const arns = body.managed_policy_arns;
    for (const arn of Array.isArray(arns) ? arns : arns === undefined ? [] : [arns]) attach(roles.get(String(body.name))!, arn, `aws_iam_role.${key}.managed_policy_arns`);
  }
  for (const [key, body] of Object.entries(root.resource.aws_iam_role_policy_attachment ?? {})) {
    const role = roleOf(body.role);
    if (role) attach(role, body.policy_arn, `aws_iam_role_policy_attachment.${key}`);
  }
  for (const [key, body] of Object.entries(root.resource.aws_iam_policy_attachment ?? {})) {
    for (const r of Array.isArray(body.roles) ? body.roles : []) {
      const role = roleOf(r);
      if (role) attach(role, body.policy_arn, `aws_iam_policy_attachment.${key}`);
    }
  }
  for (const [key, body] of Object.entries(root.resource.aws_iam_role_policy_attachments_exclusive ?? {})) {
    const role = roleOf(body.role_name);
    for (const arn of role && Array.isArray(body.policy_arns) ? body.policy_arns : []) attach(role!, arn, `aws_iam_role_policy_attachments_exclusive.${key}`);
  }
  for (const [key, body] of Object.entries(root.resource.aws_iam_role_policy ?? {})) {
    const roleName = resolveValue(root, body.role);
    const role = typeof roleName === 'string' ? roles.get(roleName) : undefined;
    if (!role) {
      unresolved.push({ text: `aws_iam_role_policy.${key}.role: ${String(body.role)}`, address: `aws_iam_role_policy.${key}` });
      continue;
    }
    hold(role, read(String(body.policy)), `aws_iam_role_policy.${key}`);
  }
  // Inline policies the doctor could not read (reported where written): unknown, so nothing the role may do is proven.
  for (const u of root.unreadPolicies ?? []) {
    const role = roleOf(u.role);
    if (role) role.unknownPolicies.push({ arn: `the inline policy ${u.via}`, via: u.via, unread: true, address: u.via.replace(/\.inline_policy$/, '') });
  }
  const facts = { root, roles, roleKeys, unresolved };
  cache.set(root, facts);
  return facts;
}

/**
 * Attributes of a resource type that its cloud picks when it creates the resource, so nothing
 * written in the files decides them, with the words that say so (the doctor's fix for a value known
 * only after apply names them). A KMS key's ARN and id hold the key id AWS picks when it creates the
 * key (AWS KMS Developer Guide, "Key identifiers").
 */
export const PICKED_AT_CREATE: ReadonlyMap<string, { attributes: readonly string[]; words: string }> = new Map([
  ['aws_kms_key', { attributes: ['arn', 'key_id', 'id'], words: "AWS picks a KMS key's id when it creates the key" }],
]);

/**
 * A KMS key these documents create (`aws_kms_key.<name>`) has an ARN and key id only apply knows.
 * The proofs give it one in the fleet's account and region whose key id is a character no IAM
 * policy can hold (IAM takes nothing above U+00FF) and the resource's name: only wildcards cover
 * it, and every reference to the key (a parameter's `key_id`, a policy's Resource) is the same text.
 */
export const KMS_KEY_STAND_IN = '\u2400';

export function kmsKeyStandIn(aws: { partition: string; region: string; accountId: string }, name: string): { arn: string; keyId: string } {
  const keyId = `${KMS_KEY_STAND_IN}${name}`;
  return { arn: `arn:${aws.partition}:kms:${aws.region}:${aws.accountId}:key/${keyId}`, keyId };
}

/** `${aws_kms_key.<name>.arn}`, `.key_id`, `.id` (the key id) in a text. */
const KMS_KEY_REF = /\$\{aws_kms_key\.([A-Za-z0-9_-]+)\.(arn|key_id|id)\}/g;

/**
 * Whether every Terraform expression in `text` is a reference to the ARN or id of a KMS key the
 * root holds (so the text is known up to those keys' stand-ins); false for a text without any.
 */
export function onlyKmsKeyRefs(text: string, keys: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!text.includes('${') || keys === undefined) return false;
  let any = false;
  const rest = text.replace(KMS_KEY_REF, (whole, name: string) => {
    if (!Object.hasOwn(keys, name)) return whole;
    any = true;
    return '';
  });
  return any && !rest.includes('${') && !rest.includes('%{');
}

/** `text` with each reference to a KMS key of the root replaced by the key's stand-in ARN or id (kmsKeyStandIn). */
export function withKmsKeyStandIns(text: string, keys: Readonly<Record<string, unknown>> | undefined, aws: { partition: string; region: string; accountId: string }): string {
  if (keys === undefined || !text.includes('${aws_kms_key.')) return text;
  return text.replace(KMS_KEY_REF, (whole, name: string, attr: string) => {
    if (!Object.hasOwn(keys, name)) return whole;
    const k = kmsKeyStandIn(aws, name);
    return attr === 'arn' ? k.arn : k.keyId;
  });
}

const asMap = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const firstOf = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

/** A text with no Terraform expression left (`$${` and `%%{` are escapes for literal `${` and `%{`), unescaped; else undefined. */
function literalText(s: string): string | undefined {
  if (!s.includes('${') && !s.includes('%{')) return s;
  const rest = s.replace(/\$\$\{|%%\{/g, '');
  return rest.includes('${') || rest.includes('%{') ? undefined : s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** One tag value as AWS stores it (a string; Terraform converts numbers and bools), or undefined when the documents do not show it. */
function tagValue(root: TerraformRoot, v: unknown): string | undefined {
  const r = typeof v === 'string' && v.includes('${') ? resolveValue(root, v) : v;
  if (typeof r === 'string') return literalText(r);
  return typeof r === 'number' || typeof r === 'boolean' ? String(r) : undefined;
}

/**
 * The aws provider configuration a resource of the root uses: the one its `provider` argument names
 * (`aws.<alias>`), else the one without an alias, among the configurations of the resource's own
 * Terraform root (`key`, `type.name`: TerraformRoot.awsProvidersOf, where several roots were read
 * together). Undefined when that root declares no such configuration (Terraform then uses an empty
 * one: no default_tags, no region).
 */
export function awsProviderOf(root: TerraformRoot, body: Readonly<Record<string, unknown>>, key?: string): Record<string, unknown> | undefined {
  const own = key !== undefined ? root.awsProvidersOf?.get(key) : undefined;
  const aws = own ?? root.provider?.aws;
  const providers = (Array.isArray(aws) ? aws : aws !== undefined ? [aws] : []).map(asMap).filter((p) => p !== undefined);
  const alias = typeof body.provider === 'string' && body.provider.startsWith('aws.') ? body.provider.slice(4) : undefined;
  return providers.find((p) => (alias === undefined ? p.alias === undefined : p.alias === alias));
}

const ACCOUNT_IN_ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):/;

/** The account a provider configuration works in: its allowed_account_ids, else the account of the role it assumes. */
export function providerAccount(body: Record<string, unknown> | undefined): string | undefined {
  const ids = body?.allowed_account_ids;
  const id: unknown = Array.isArray(ids) ? (ids as unknown[])[0] : undefined;
  if (typeof id === 'string' && /^\d{12}$/.test(id)) return id;
  const assume: unknown = Array.isArray(body?.assume_role) ? (body.assume_role as unknown[])[0] : body?.assume_role;
  const roleArn: unknown = assume !== null && typeof assume === 'object' ? (assume as Record<string, unknown>).role_arn : undefined;
  const arn = typeof roleArn === 'string' ? ACCOUNT_IN_ROLE_ARN.exec(roleArn) : null;
  return arn ? arn[1] : undefined;
}

/**
 * The tags a resource of the root gets from its provider's default_tags (awsProviderOf), by key as
 * written, values as written ({} without any); undefined when they are not a literal map (which
 * tags it gets is then not shown).
 */
export function providerDefaultTags(root: TerraformRoot, body: Readonly<Record<string, unknown>>, key?: string): Readonly<Record<string, unknown>> | undefined {
  const provider = awsProviderOf(root, body, key);
  const defaultTags = provider?.default_tags === undefined ? NO_TAGS : asMap(firstOf(provider.default_tags));
  return defaultTags === undefined ? undefined : defaultTags.tags === undefined ? NO_TAGS : asMap(firstOf(defaultTags.tags));
}

/** No tags: one object, so resources without default_tags share one entry of resourceTags' memo. */
const NO_TAGS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The session tags EKS Pod Identity adds when it assumes a role for a pod (EKS User Guide, "List of
 * session tags added by EKS Pod Identity"), unless the association disables them
 * (`disable_session_tags`, hashicorp/aws 6.2.0 on). The pod's name and uid differ from pod to pod.
 */
export const POD_IDENTITY_SESSION_TAGS = ['eks-cluster-arn', 'eks-cluster-name', 'kubernetes-namespace', 'kubernetes-service-account', 'kubernetes-pod-name', 'kubernetes-pod-uid'] as const;
/** Of POD_IDENTITY_SESSION_TAGS, those that differ from pod to pod: no document shows their value. */
export const PER_POD_SESSION_TAGS: ReadonlySet<string> = new Set(['kubernetes-pod-name', 'kubernetes-pod-uid']);

/** Whether EKS Pod Identity adds its session tags when it assumes the role for an association: `unknown` when `disable_session_tags` is not shown. */
export type PodIdentitySessionTags = 'added' | 'disabled' | 'unknown';

/**
 * One aws_eks_pod_identity_association of a root, as every proof reads it. The role is named by
 * `roleKey` (role_arn a reference to an aws_iam_role of the root) or `roleArnName` (role_arn some
 * other text: its last path segment; `roleArnLiteral` when it holds no Terraform expression).
 */
export interface PodIdentityAssociation {
  /** `aws_eks_pod_identity_association.<key>` */
  address: string;
  body: Readonly<Record<string, unknown>>;
  roleKey?: string;
  roleArnName?: string;
  roleArnLiteral: boolean;
  /** The cluster it names: a same-root reference resolved to its literal, else the text as written (a value only apply knows stays its reference). */
  cluster: string;
  namespace: string;
  serviceAccount: string;
  sessionTags: PodIdentitySessionTags;
}

const associationLists = new WeakMap<TerraformRoot, readonly PodIdentityAssociation[]>();

/** The root's Pod Identity associations, in the root's order, read once per root. */
export function podIdentityAssociations(root: TerraformRoot): readonly PodIdentityAssociation[] {
  let list = associationLists.get(root);
  if (list) return list;
  list = Object.entries(root.resource.aws_eks_pod_identity_association ?? {}).map(([key, b]) => {
    const ref = parseRef(b.role_arn);
    const arn = b.role_arn;
    const own = ref?.type === 'aws_iam_role';
    const cluster = resolveValue(root, b.cluster_name);
    const off = b.disable_session_tags;
    // hashicorp/aws ≥ 6.2.0; absent (or false) keeps EKS's default: tags added.
    const sessionTags: PodIdentitySessionTags = off === true || off === 'true' ? 'disabled' : off === undefined || off === null || off === false || off === 'false' ? 'added' : 'unknown';
    return {
      address: `aws_eks_pod_identity_association.${key}`,
      body: b,
      ...(own ? { roleKey: ref.name } : typeof arn === 'string' ? { roleArnName: arn.split('/').pop()! } : {}),
      roleArnLiteral: !own && typeof arn === 'string' && !arn.includes('${'),
      cluster: typeof cluster === 'string' ? cluster : String(b.cluster_name),
      namespace: String(b.namespace),
      serviceAccount: String(b.service_account),
      sessionTags,
    };
  });
  associationLists.set(root, list);
  return list;
}

/** The role name a Pod Identity association binds: a role of the root by reference (its written name), or the name a written ARN ends in. */
export function associationRole(root: TerraformRoot, a: PodIdentityAssociation): string | undefined {
  if (a.roleKey === undefined) return a.roleArnName;
  const body = root.resource.aws_iam_role?.[a.roleKey];
  return body ? String(body.name) : undefined;
}

/** One association's sessions: the values of its session tags (undefined: not shown), `disabled`, or `unknown` (whether it adds them is not shown). */
type Session = { via: string; tags: Readonly<Record<string, string | undefined>> } | { via: string; tags: 'disabled' | 'unknown' };

const NO_SESSIONS: readonly Session[] = [];

const sessionIndexes = new WeakMap<TerraformRoot, Map<string, Session[]>>();

/**
 * The Pod Identity sessions of the root's roles, by `key:<role resource key>` (role_arn a reference
 * to the role) or `name:<role name>` (a literal ARN), read once per root. The cluster's ARN is left
 * not shown: the documents rarely show its account and region as AWS fills them.
 */
function podIdentitySessions(root: TerraformRoot): Map<string, Session[]> {
  let index = sessionIndexes.get(root);
  if (index) return index;
  index = new Map();
  for (const a of podIdentityAssociations(root)) {
    const id = a.roleKey !== undefined ? `key:${a.roleKey}` : a.roleArnLiteral ? `name:${a.roleArnName!}` : undefined;
    if (id === undefined) continue;
    const b = a.body;
    const session: Session = a.sessionTags !== 'added' ? { via: a.address, tags: a.sessionTags } : { via: a.address, tags: { 'eks-cluster-name': tagValue(root, b.cluster_name), 'kubernetes-namespace': tagValue(root, b.namespace), 'kubernetes-service-account': tagValue(root, b.service_account) } };
    index.set(id, [...(index.get(id) ?? []), session]);
  }
  sessionIndexes.set(root, index);
  return index;
}

/**
 * The tags of a resource of the root as AWS attaches them: the default_tags of the aws provider the
 * resource uses (providerDefaultTags; `address` is `<type>.<key>`, without one the root's provider
 * without an alias) under its own `tags`. Condition keys
 * on tags (aws:PrincipalTag/<key>, aws:ResourceTag/<key>) are compared lower-cased, as IAM keeps one
 * tag of a role per key whatever its case, so two keys that differ only in case leave that key
 * unknown, as does a value the documents do not show (`unknownTags`, lower-cased; `*` when the tags
 * or the default_tags are not a literal map).
 */
export function resourceTags(root: TerraformRoot, body: Readonly<Record<string, unknown>>, address?: string): { tags: Record<string, string>; unknownTags: Set<string> } {
  const t = sharedResourceTags(root, body, address);
  return { tags: { ...t.tags }, unknownTags: new Set(t.unknownTags) };
}

/**
 * Of resources without tags of their own, the answers of resourceTags by the default_tags they
 * take (the object, as the root holds it), per root: a fleet's roles and parameters mostly take
 * the one provider's, so they are merged once, not once per role and per parameter.
 */
const defaultTagsOnly = new WeakMap<TerraformRoot, Map<Readonly<Record<string, unknown>> | undefined, RoleTags>>();

/** resourceTags, shared (read-only) where the resource has no tags of its own. */
function sharedResourceTags(root: TerraformRoot, body: Readonly<Record<string, unknown>>, address?: string): RoleTags {
  const defaults = providerDefaultTags(root, body, address);
  if (body.tags !== undefined && body.tags !== null) return mergedTags(root, defaults, asMap(body.tags));
  let byDefaults = defaultTagsOnly.get(root);
  if (byDefaults === undefined) defaultTagsOnly.set(root, (byDefaults = new Map<Readonly<Record<string, unknown>> | undefined, RoleTags>()));
  let hit = byDefaults.get(defaults);
  if (hit === undefined) byDefaults.set(defaults, (hit = mergedTags(root, defaults, NO_TAGS)));
  return hit;
}

/** resourceTags of a resource whose own tags are `own` (undefined: not a literal map) under `defaults`. */
function mergedTags(root: TerraformRoot, defaults: Readonly<Record<string, unknown>> | undefined, own: Readonly<Record<string, unknown>> | undefined): { tags: Record<string, string>; unknownTags: Set<string> } {
  const tags: Record<string, string> = {};
  const unknownTags = new Set<string>();
  if (defaults === undefined || own === undefined) unknownTags.add('*');
  // The provider merges default_tags and the resource's tags by exact key (the resource's win); IAM
  // then holds one tag per key whatever its case, so two keys that differ only in case are not shown.
  // for-in over own keys (Object.entries' keys, in its order) and lists grown in place: this runs
  // once per role and per token parameter, mostly before V8 optimises it, where entry pairs, their
  // iterators and a list copied per key were most of its cost.
  const merged = new Map<string, unknown>();
  if (defaults !== undefined) for (const k in defaults) if (Object.hasOwn(defaults, k)) merged.set(k, defaults[k]);
  if (own !== undefined) for (const k in own) if (Object.hasOwn(own, k)) merged.set(k, own[k]);
  const byLower = new Map<string, string[]>();
  merged.forEach((_, k) => {
    const lk = k.toLowerCase();
    const keys = byLower.get(lk);
    if (keys === undefined) byLower.set(lk, [k]);
    else keys.push(k);
  });
  // forEach, not for-of over entries: an iterator result and an entry pair per tag before V8 optimises this.
  byLower.forEach((keys, lk) => {
    const value = keys.length === 1 ? tagValue(root, merged.get(keys[0]!)) : undefined;
    if (value === undefined) unknownTags.add(lk);
    else tags[keys[0]!] = value;
  });
  return { tags, unknownTags };
}

/**
 * The tags of an aws_iam_role as AWS attaches them (resourceTags). A role that
 * aws_eks_pod_identity_associations of the root bind (`key` is the role's resource key) has, in each
 * session, the session tags EKS Pod Identity adds, which override its own tags of the same key ("Pass
 * session tags in AWS STS"): a tag whose value is the same in every session is shown; one that
 * differs between the associations, or that some association does not add, or per pod, is not.
 */
export function roleTags(root: TerraformRoot, body: Record<string, unknown>, key: string): RoleTags {
  const all = sessionsOf(podIdentitySessions(root), key, body);
  const sessions = all.filter((s) => s.tags !== 'disabled');
  // Without sessions the role's tags are its resource's: shared with every role of the same default_tags and no tags of its own (never written to).
  if (sessions.length === 0) {
    const t = sharedResourceTags(root, body, `aws_iam_role.${key}`);
    return { tags: t.tags, unknownTags: t.unknownTags };
  }
  const { tags, unknownTags } = resourceTags(root, body, `aws_iam_role.${key}`);
  for (const lk of POD_IDENTITY_SESSION_TAGS) {
    for (const k of Object.keys(tags)) if (k.toLowerCase() === lk) delete tags[k];
    unknownTags.delete(lk);
    // Shown only when every session carries the one value (a session whose association disables its tags has the role's own).
    const values = new Set(all.map((s) => (typeof s.tags === 'object' ? s.tags[lk] : undefined)));
    const [value] = values;
    if (values.size === 1 && value !== undefined) tags[lk] = value;
    else unknownTags.add(lk);
  }
  return { tags, unknownTags, sessionTagKeys: new Set(POD_IDENTITY_SESSION_TAGS), sessionVia: sessions.map((s) => s.via) };
}

/** Every Pod Identity session of a role (by its resource key and, for a literal role_arn, its name), those whose tags are disabled too. */
function sessionsOf(index: Map<string, Session[]>, key: string, body: Record<string, unknown>): readonly Session[] {
  // Most roots bind no role through Pod Identity: nothing to look up, nothing to copy.
  if (index.size === 0) return NO_SESSIONS;
  return [...(index.get(`key:${key}`) ?? []), ...(typeof body.name === 'string' ? (index.get(`name:${body.name}`) ?? []) : [])];
}

/**
 * A request the role itself makes: its ARN as the principal and its tags (aws:PrincipalTag/<key>).
 * Every proof about what a role may do starts from one (prepareRequest it once, derive each probe).
 */
export function roleRequest(role: RoleTags, arn: string, action: string, resource: string, context?: Request['context']): Request {
  return { principal: { type: 'AWS', id: arn }, action, resource, ...(context !== undefined ? { context } : {}), ...(Object.keys(role.tags).length > 0 ? { principalTags: role.tags } : {}) };
}

// The role's prepared principal, per role object (the fleet's documents own it, so the entry goes
// with them) and ARN: one entry per role, replaced when the role is asked as another ARN.
const rolePrincipals = new WeakMap<RoleTags, PreparedPrincipal>();

/** The role as a prepared caller (its ARN and tags checked and expanded once per role): what roleRequest's principal and tags prepare to. */
export function rolePrincipal(role: RoleTags, arn: string): PreparedPrincipal {
  const hit = rolePrincipals.get(role);
  if (hit !== undefined && hit.principal?.id === arn) return hit;
  let tagged = false;
  for (const k in role.tags) if (Object.prototype.hasOwnProperty.call(role.tags, k)) tagged = true;
  const made = new PreparedPrincipal({ type: 'AWS', id: arn }, tagged ? role.tags : undefined);
  rolePrincipals.set(role, made);
  return made;
}

/** prepareRequest(roleRequest(role, arn, action, resource, context)), with the role's principal prepared once (rolePrincipal). */
export function preparedRoleRequest(role: RoleTags, arn: string, action: string, resource: string, context?: Request['context']): PreparedRequest {
  return rolePrincipal(role, arn).request(action, resource, context);
}

/**
 * The tag keys the policies test (aws:PrincipalTag/<key>) that the role has but whose value the
 * documents do not show: where a decision rests on them, it is not shown (RF903), not "cannot".
 */
export function unshownPrincipalTags(role: RoleTags, policies: Iterable<CompiledPolicy>): string[] {
  if (role.unknownTags.size === 0) return [];
  const out = new Set<string>();
  for (const p of policies) for (const k of p.principalTagKeys) if (role.unknownTags.has(k) || (role.unknownTags.has('*') && role.sessionTagKeys?.has(k) !== true)) out.add(k);
  return [...out].sort();
}

/** The ARN of the role a resource key of the root names (`aws_iam_role.<key>`), in the given account; undefined for a key of no role. */
export function roleArnOfKey(facts: { roles: ReadonlyMap<string, RoleFacts>; roleKeys: ReadonlyMap<string, string> }, a: { partition: string; accountId: string }): (key: string) => string | undefined {
  return (key) => {
    const name = facts.roleKeys.get(key);
    const role = name !== undefined ? facts.roles.get(name) : undefined;
    return role ? roleArn(a.partition, a.accountId, role.path, role.name) : undefined;
  };
}

export function roleArn(partition: string, accountId: string, path: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${name}`;
}

/** The ARN STS reports for a session of the role (the path is not part of it). */
export function assumedRoleArnPrefix(partition: string, accountId: string, name: string): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${name}/`;
}
