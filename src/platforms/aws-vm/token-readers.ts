import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import type { Statement } from '../../verify/iam/types.js';
import { actionPatterns, bothOverTags, decisionOverTagsFor, evaluatePoliciesFor, type OverTags, type PolicySet, type PreparedRequest } from '../../verify/iam/evaluator.js';
import { awsFacts, roleArnOfKey, awsProviderOf, providerAccount, resourceTags, roleArn, preparedRoleRequest, unshownPrincipalTags, type RoleFacts } from '../../verify/aws-docs.js';
import { principalTagsTestedBy, unshownTagsFinding } from '../../verify/unshown-tags.js';
import { findBy } from '../../model/lookup.js';
import { names, runnerTokenKey, tokenParameterWords } from './common.js';
import { adviceThenRegenerate } from '../../spec/findings.js';
import { isObject } from '../../model/is-object.js';
import { mayUseKey, mayUseKeyOverTags, resolveKmsKey, type KeyOf, type KmsKey } from '../../verify/kms.js';

/**
 * Who else can read a runner's token: the VM runners keep their `glrt-` token in a SecureString
 * parameter, and only the runner's manager (and the token rotator, proven apart: RF125–RF127) may
 * read it. Every other role of the AWS root is tried — job roles, GitLab ID-token roles, the
 * managers of other runners, task execution and node roles. A reader needs a read action
 * (ssm:GetParameter, GetParameters, GetParameterHistory on the parameter, or GetParametersByPath
 * on one of its ancestor paths: with Recursive, access to a path reaches every level below it,
 * whatever is denied on the parameter itself) and, with a customer-managed key, kms:Decrypt with
 * it through SSM for that parameter. With the AWS managed key aws/ssm, SSM decrypts for any caller
 * of the account that may read the parameter, so reading is enough. A customer key's policy
 * decides whether IAM grants count at all: when the documents hold it, it is read (a grant to the
 * account root delegates to IAM; a grant to a role gives that role the decrypt by itself; neither
 * leaves IAM grants without effect); a key policy the documents name but do not show is RF903.
 *
 * Requests carry what AWS evaluates them with: the parameter's tags (the provider's default_tags,
 * the resource's own, and the owner tag `runner-fleet:owner` = `<fleet>/<runner>` that register
 * and rotate write) as ssm:resourceTag/… and aws:ResourceTag/…, so a tag-conditioned grant is found.
 * A tag the policies test whose value the documents do not show — of the role (aws:PrincipalTag/…,
 * in its IAM policies or the token key's policy) or of the parameter — is never guessed: each request
 * is decided over every value of those tags (decisionOverTags, mayUseKeyOverTags), and a role that
 * reads the token for some of their values only is RF903 (not shown), not RF721 and not "cannot".
 *
 * Deploy targets are not tried: they live in other accounts (resolve refuses the fleet's own), and
 * a parameter has no resource policy, so another account reads it only if it is shared through AWS
 * RAM, which runner-fleet never does.
 *
 * Linear in fleet size: each role is probed once against a stand-in parameter under the prefix
 * all token parameters share, whose runner name is one character no IAM policy can hold. A
 * pattern then covers the stand-in only through its wildcards, which would cover any runner's name
 * alike, so a role that reads the stand-in reads every runner (RF721 once, for the role). Texts
 * that name part of the fleet — resource patterns with a literal runner name (`…/acme/r*`), the
 * owner tag's or PARAMETER_ARN's values in conditions, the holes a Deny's NotResource leaves — are
 * indexed by the literal text before their first wildcard, so each runner evaluates only the
 * roles whose statements could name its parameter, and its own job role. A role whose grant could
 * be cut per runner (a Deny naming part of the fleet, a `?` that counts characters) is evaluated
 * per runner instead of being called a reader of every runner.
 */

const READ_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory'] as const;
const BY_PATH = 'ssm:GetParametersByPath';
/** The stand-in runner name: outside what IAM takes in a policy (\t, \n, \r and \u0020–\u00FF). */
const STAND_IN = '\u2400';
const OWNER_TAG = 'runner-fleet:owner';
/** Condition keys on a parameter's tags; AWS reads both for Parameter Store. */
const TAG_KEY = /^(?:ssm:resourcetag|aws:resourcetag)\/(.+)$/;
const PARAMETER_ARN_KEY = 'kms:encryptioncontext:parameter_arn';

/** A text for messages: the stand-in's runner name shown as a placeholder. */
function shown(s: string): string {
  return s.split(STAND_IN).join('<runner>');
}

interface Candidate {
  role: RoleFacts;
  arn: string;
  /** Who the role is, for messages, and where its grant is written. */
  label: string;
  path: string;
  fix: string;
  deploymentFix?: string;
  /**
   * The account the role is in: it reads parameters of that account only. Undefined: not shown (a role
   * of a root with no runner whose aws provider states no account): it is asked as one of the
   * parameter's account, and a read found is not shown (RF903), neither RF721 nor "cannot".
   */
  account: string | undefined;
  caller: PreparedRequest;
  policies: PolicySet;
  /**
   * The read actions some Allow statement of the role covers: only those can be allowed, so only
   * those are evaluated (a role without any is never a reader, and costs no evaluation).
   */
  actions: ReadonlySet<string>;
  /** The lower-cased keys of the parameter tags its SSM and KMS statements test (ssm:resourceTag/<key>, aws:ResourceTag/<key>). */
  parameterTagKeys: Set<string>;
}

interface RunnerFacts {
  name: string;
  arn: string;
  owner: string;
  /** The parameter's tags as condition keys. */
  tags: Record<string, string>;
  /** Lower-cased keys of tags the parameter has whose value the documents do not show (`*`: which tags it has is not shown); the owner tag is always shown. */
  unknownTags: ReadonlySet<string>;
  /** Its resource (`aws_ssm_parameter.<key>`), where the documents hold it. */
  parameter?: string;
  /** The parameter's tags are not the stand-in's: its own (beyond default_tags and the owner tag), another provider's default_tags, or tags not shown. */
  ownTags: boolean;
  key: KeyOf;
  /** The runner's own region (IntentRunner.region) where it is not the fleet's. */
  region?: string;
  /** The runner's own account (IntentRunner.account) where it is not the fleet's. */
  account?: string;
}

/** Roles that read the stand-in parameter (every runner's, where no runner's own tags or key decide), and the same as a set. */
interface WideReaders {
  list: { candidate: Candidate; reading: Reading }[];
  candidates: ReadonlySet<Candidate>;
}

interface TokenReaders {
  /** The parameter path every token parameter is under (`/runner-fleet/<fleet>/`). */
  prefix: string;
  standIn: string;
  standInTags: Record<string, string>;
  /** The stand-in's tags whose value is not shown (the default_tags it takes). */
  standInUnknown: ReadonlySet<string>;
  /** Every role of the root but the rotator's: the roles tried. */
  tried: Set<string>;
  /** Those of them some Allow statement grants a read action: the only ones that can read. */
  roles: Candidate[];
  byName: Map<string, Candidate>;
  /** The rotator's role names: they may read the tokens they rotate. */
  rotators: Set<string>;
  /** Roles whose permissions are not all in the documents. */
  unknown: string[];
  /** Wide readers by token key ARN ('' is aws/ssm) and account: roles that read the stand-in parameter there. */
  wide: Map<string, WideReaders>;
  /** Literal text (an ARN, an owner tag value) → roles that name it (exact, and the literal start of a wildcard). */
  exact: Map<string, Set<Candidate>>;
  prefixes: Map<string, Set<Candidate>>;
  /** The lengths of the keys of `prefixes`: each runner looks up its ARN cut at those only. */
  prefixLengths: number[];
  /** Roles with a statement no index holds (an Allow with NotResource): tried for every runner. */
  everywhere: Set<Candidate>;
  /** Roles whose reach may differ between runners: never wide, tried for every runner. */
  perRunner: Set<Candidate>;
  /** Roles with a grant conditioned on a tag other than the owner's: tried where a parameter has tags of its own. */
  tagged: Set<Candidate>;
  runners: Map<string, RunnerFacts>;
}

const cache = new WeakMap<FleetDocuments, WeakMap<FleetIntent, TokenReaders | null>>();

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

/** A plain glob test (`*` and `?` match anything), as the evaluator matches Resource and StringLike. */
function globMatches(pattern: string, s: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(s);
}

/** The directory of a token parameter that holds every runner's (`/runner-fleet/<fleet>/`). */
function fleetDirectory(runner: IntentRunner): string {
  const name = names(runner).tokenParameter;
  const own = `/${runner.name}/runner-token`;
  return name.endsWith(own) ? name.slice(0, name.length - own.length + 1) : name.slice(0, name.lastIndexOf('/') + 1);
}

function commonDirectory(dirs: string[]): string {
  let common = dirs[0] ?? '/';
  for (const d of dirs.slice(1)) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  return common.slice(0, common.lastIndexOf('/') + 1) || '/';
}

/** A parameter's ARN, in `region` and `account` (a runner's own, IntentRunner.region and .account), else the fleet's. */
function parameterArn(fleet: FleetIntent, name: string, region = fleet.aws!.region, account = fleet.aws!.accountId): string {
  const a = fleet.aws!;
  return `arn:${a.partition}:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** The ARNs GetParametersByPath is asked on to reach `name`: `/`, then each directory above it. */
function ancestorArns(fleet: FleetIntent, name: string, region?: string, account?: string): string[] {
  const parts = name.split('/').filter((x) => x !== '');
  const out = [parameterArn(fleet, '/', region, account)];
  for (let i = 1; i < parts.length; i++) out.push(parameterArn(fleet, `/${parts.slice(0, i).join('/')}`, region, account));
  return out;
}

/** Tags but the owner tag (whatever the case of its key): the requests carry the owner tag register writes. */
function withoutOwner(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k.toLowerCase() !== OWNER_TAG));
}

/** Condition keys for a parameter's tags, as AWS evaluates them. */
function tagContext(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    out[`ssm:resourceTag/${k}`] = v;
    out[`aws:ResourceTag/${k}`] = v;
  }
  return out;
}

const WANTED = [...READ_ACTIONS, BY_PATH];
/** Statements are shared between roles (documents are parsed once per text): each is read once. */
const statementActionsCache = new WeakMap<object, readonly string[]>();
/**
 * The same answers by the text of the statement's Action (or NotAction) list: documents of
 * different texts mostly repeat their lists (each VM runner's manager policy names its own
 * resources with the same actions), so a fleet reads each list once, not once per runner's
 * statement. Only a string or a list of strings is keyed (its JSON text is the list); emptied at
 * 10,000 lists.
 */
const statementActionsByText = new Map<string, readonly string[]>();

/** The read actions (of READ_ACTIONS and GetParametersByPath) and kms:Decrypt a statement's Action or NotAction covers. */
export function statementActions(st: Statement): readonly string[] {
  const hit = statementActionsCache.get(st);
  if (hit !== undefined) return hit;
  const list = st.Action !== undefined ? st.Action : st.NotAction;
  const text = typeof list === 'string' || (Array.isArray(list) && list.every((a) => typeof a === 'string')) ? `${st.Action !== undefined ? 'Action' : 'NotAction'} ${JSON.stringify(list)}` : undefined;
  let out = text !== undefined ? statementActionsByText.get(text) : undefined;
  if (out === undefined) {
    out = statementActionsOf(st);
    if (text !== undefined) {
      if (statementActionsByText.size >= 10_000) statementActionsByText.clear();
      statementActionsByText.set(text, out);
    }
  }
  statementActionsCache.set(st, out);
  return out;
}

/** statementActions, worked out. */
export function statementActionsOf(st: Statement): readonly string[] {
  const strings = (v: unknown) => asList(v as string | string[] | undefined).filter((a): a is string => typeof a === 'string');
  const wanted = [...WANTED, 'kms:Decrypt'];
  let out: string[] = [];
  if (st.Action !== undefined) {
    // Most statements name other services: only a pattern for ssm or kms (or a wildcard before its ':') can cover one.
    const named = strings(st.Action).filter((a) => /^(?:ssm|kms):/i.test(a) || /^[^:]*[*?]/.test(a));
    const set = actionPatterns(named);
    out = wanted.filter((a) => set.test(a.toLowerCase()));
  } else if (st.NotAction !== undefined) {
    const set = actionPatterns(strings(st.NotAction));
    out = wanted.filter((a) => !set.test(a.toLowerCase()));
  }
  return out;
}

const readsIn = (actions: readonly string[]) => actions.some((a) => a !== 'kms:Decrypt');

/** The literal text of a pattern before its first wildcard (all of it without one). */
function literalStart(p: string): string {
  const i = p.search(/[*?]/);
  return i < 0 ? p : p.slice(0, i);
}

/** Each statement object of the role's permission documents, in order (a document's Statement as asList reads it; null and non-objects left out). */
function forEachStatement(role: RoleFacts, fn: (st: Statement) => void): void {
  const docs = role.policies;
  for (let d = 0; d < docs.length; d++) {
    const list = docs[d]?.Statement as unknown;
    if (list === undefined) continue;
    if (Array.isArray(list)) {
      for (let i = 0; i < list.length; i++) {
        const st = list[i] as unknown;
        if (st !== null && typeof st === 'object') fn(st as Statement);
      }
    } else if (list !== null && typeof list === 'object') fn(list as Statement);
  }
}

function analyse(docs: FleetDocuments, fleet: FleetIntent): TokenReaders | null {
  const facts = awsFacts(docs);
  const runners = fleet.runners.filter((r) => r.platformNames?.tokenParameter !== undefined);
  if (!facts || !fleet.aws || runners.length === 0) return null;
  const prefix = commonDirectory(runners.map(fleetDirectory));
  const standIn = `${prefix}${STAND_IN}/runner-token`;
  const standInArn = parameterArn(fleet, standIn);
  const dirArn = parameterArn(fleet, prefix);
  const rotators = new Set((fleet.idTokens?.roles ?? []).filter((r) => r.cloud === 'aws' && r.rotator !== undefined).map((r) => r.roleName));
  const root = facts.root;
  const a = fleet.aws;

  // Who each role is: the runners' managers and jobs, the ID-token roles; anything else by its resource.
  const who = new Map<string, { label: string; path: string; fix: string; deploymentFix?: string }>();
  for (const r of fleet.runners) {
    const m = findBy(fleet.identities, 'key', r.managerIdentity);
    if (m?.cloud === 'aws') who.set(m.roleName, { label: `the manager role of runner ${r.name}`, path: `runners[${r.index}]`, ...adviceThenRegenerate('deny the manager ssm:GetParameter* outside its own token parameter') });
    const j = r.jobIdentity !== undefined ? findBy(fleet.identities, 'key', r.jobIdentity) : undefined;
    if (j?.cloud === 'aws') who.set(j.roleName, { label: `the job role of runner ${r.name}`, path: `runners[${r.index}].jobs.permissions.aws`, fix: `narrow the job permissions of runner ${r.name} (jobs.permissions.aws; in Terraform, the job role's policies): no ssm:GetParameter* (or GetParametersByPath) on * or on the runner token parameters under ${prefix}` });
  }
  for (const r of fleet.idTokens?.roles ?? []) {
    if (r.cloud !== 'aws' || rotators.has(r.roleName)) continue;
    who.set(r.roleName, {
      // The role's name follows the label (Candidate.label): an ID-token role inferred from the documents is named by it.
      label: r.name === r.roleName ? 'the ID-token role' : `the ID-token role ${r.name}`,
      path: /^idTokens\.roles\[\d+\]$/.test(r.path) ? `${r.path}.permissions.aws` : r.path,
      fix: `scope the SSM grant of ID-token role ${r.name} to the parameters it needs: no ssm:GetParameter* (or GetParametersByPath) on * or on the runner token parameters under ${prefix}`,
    });
  }

  // Each runner's parameter as AWS sees it: its ARN, its tags, its key.
  // Keyed by ARN: two roots (prod/ in eu-west-1, staging/ in us-east-1) may each declare a parameter
  // of the same name, and each runner's is the one in its own region (IntentRunner.region). A
  // parameter's region is its own root's provider's, as a runner's is (set only where several roots
  // were given, so one root reads as before); a name only one parameter has is found by name too.
  const params = new Map<string, [string, Record<string, unknown>]>();
  const byParamName = new Map<string, [string, Record<string, unknown>][]>();
  for (const [k, b] of Object.entries(root.resource.aws_ssm_parameter ?? {})) {
    if (typeof b.name !== 'string') continue;
    const address = `aws_ssm_parameter.${k}`;
    const region = root.awsProvidersOf?.get(address) !== undefined ? awsProviderOf(root, b, address)?.region : undefined;
    params.set(parameterArn(fleet, b.name, typeof region === 'string' && !region.includes('${') ? region : undefined), [k, b]);
    const same = byParamName.get(b.name);
    if (same) same.push([k, b]);
    else byParamName.set(b.name, [[k, b]]);
  }
  const paramOf = (r: IntentRunner): [string, Record<string, unknown>] | undefined => {
    const name = names(r).tokenParameter;
    const same = byParamName.get(name);
    return params.get(parameterArn(fleet, name, r.region)) ?? (same?.length === 1 ? same[0] : undefined);
  };
  // A parameter's tags: the default_tags of the provider it is made with (its own `provider`, else
  // the one without an alias) under its own (resourceTags); the owner tag register writes is always shown.
  const tagsOf = (body: Record<string, unknown>, key?: string) => {
    const t = resourceTags(root, body, key !== undefined ? `aws_ssm_parameter.${key}` : undefined);
    t.unknownTags.delete(OWNER_TAG);
    return t;
  };
  // The stand-in (a parameter of no runner) as one made with the provider without an alias: of the
  // one root (or plan) the runners' parameters are in, where several were given (awsProvidersOf).
  // Parameters of different roots: no one root's default_tags are every runner's, so the stand-in
  // has none, and a grant keyed on a tag is tried on each parameter with the tags it has (ownTags).
  const standInParameterTags = ((): ReturnType<typeof tagsOf> => {
    const paramKeys = runners.map((r) => paramOf(r)?.[0]);
    const of = paramKeys.map((k) => (k !== undefined ? root.awsProvidersOf?.get(`aws_ssm_parameter.${k}`) : undefined));
    if (of.every((p) => p === undefined)) return tagsOf({});
    return of.every((p) => p !== undefined && p === of[0]) ? tagsOf({}, paramKeys[0]) : { tags: {}, unknownTags: new Set() };
  })();
  const sameTags = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>) => Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
  const roleArnOf = roleArnOfKey(facts, a);
  const keys = new Map<string, KeyOf>();
  const runnerFacts = new Map<string, RunnerFacts>();
  for (const r of runners) {
    const name = names(r).tokenParameter;
    const param = paramOf(r);
    const owner = `${fleet.name}/${r.name}`;
    const spec = runnerTokenKey(fleet, r);
    // The parameter's own key_id where the documents hold it (none: aws/ssm), not another runner's
    // key its cluster took from the first runner read; the spec's where they do not.
    const key = param ? (param[1].key_id !== undefined ? resolveKmsKey(root, a, roleArnOf, `aws_ssm_parameter.${param[0]}.key_id`, param[1].key_id, keys, 'alias/aws/ssm') : {}) : spec !== undefined ? resolveKmsKey(root, a, roleArnOf, '', spec, keys, 'alias/aws/ssm') : {};
    const tags = tagsOf(param?.[1] ?? {}, param?.[0]);
    const ownTags = !sameTags(tags.tags, standInParameterTags.tags) || tags.unknownTags.size !== standInParameterTags.unknownTags.size || [...tags.unknownTags].some((k) => !standInParameterTags.unknownTags.has(k));
    runnerFacts.set(r.name, { name, arn: parameterArn(fleet, name, r.region, r.account), owner, tags: tagContext({ ...withoutOwner(tags.tags), [OWNER_TAG]: owner }), unknownTags: tags.unknownTags, ...(param ? { parameter: `aws_ssm_parameter.${param[0]}` } : {}), ownTags, key, ...(r.region !== undefined ? { region: r.region } : {}), ...(r.account !== undefined ? { account: r.account } : {}) });
  }
  const standInTags = tagContext({ ...withoutOwner(standInParameterTags.tags), [OWNER_TAG]: `${fleet.name}/${STAND_IN}` });
  const standInOwner = `${fleet.name}/${STAND_IN}`;

  // Each role in its own account: a role of the fleet's identities by its ARN (the doctor's, in its
  // own root's account); another, where several roots were given, in the account of the runners whose
  // token parameters are made with its root's providers, else the one its provider states, else not
  // shown (undefined); of one root, the fleet's.
  const identityArns = new Map(fleet.identities.flatMap((i) => (i.cloud === 'aws' ? [[i.roleName, i.arn] as const] : [])));
  const accountByProviders = new Map<object, string>();
  for (const r of runners) {
    const k = paramOf(r)?.[0];
    const providers = k !== undefined ? root.awsProvidersOf?.get(`aws_ssm_parameter.${k}`) : undefined;
    if (providers !== undefined) accountByProviders.set(providers, r.account ?? a.accountId);
  }
  const accountOf = (role: RoleFacts): string | undefined => {
    const identity = identityArns.get(role.name);
    if (identity !== undefined) return /^arn:[^:]+:iam::([^:]*):/.exec(identity)?.[1] ?? a.accountId;
    const address = `aws_iam_role.${role.key}`;
    const providers = root.awsProvidersOf?.get(address);
    if (providers === undefined) return a.accountId;
    return accountByProviders.get(providers) ?? providerAccount(awsProviderOf(root, root.resource.aws_iam_role?.[role.key] ?? {}, address));
  };
  const arnOf = (role: RoleFacts, account: string | undefined) => identityArns.get(role.name) ?? roleArn(a.partition, account ?? a.accountId, role.path, role.name);
  const roles: Candidate[] = [];
  const tried = new Set<string>();
  const byName = new Map<string, Candidate>();
  const unknown: string[] = [];
  const exact = new Map<string, Set<Candidate>>();
  const prefixes = new Map<string, Set<Candidate>>();
  const everywhere = new Set<Candidate>();
  const perRunner = new Set<Candidate>();
  const tagged = new Set<Candidate>();
  const add = (map: Map<string, Set<Candidate>>, k: string, c: Candidate) => {
    const s = map.get(k);
    if (s) s.add(c);
    else map.set(k, new Set([c]));
  };
  /** Whether a pattern could name a token parameter of the fleet (its literal start and the fleet's directory agree). */
  const overlaps = (p: string) => {
    const l = literalStart(p);
    return l.startsWith(dirArn) || dirArn.startsWith(l);
  };
  /** Index a text that may name one runner's parameter (or owner); one that covers the stand-in is decided by the stand-in probe. */
  const index = (c: Candidate, p: unknown, standInText: string) => {
    if (typeof p !== 'string' || p === '*') return;
    if (!hasWildcard(p)) add(exact, p, c);
    else if (!globMatches(p, standInText)) add(prefixes, literalStart(p), c);
    // A `?` covers the stand-in's one character, not every runner name: the role is tried runner by runner.
    else if (p.includes('?')) perRunner.add(c);
  };
  for (const role of facts.roles.values()) {
    if (rotators.has(role.name)) continue;
    tried.add(role.name);
    if (role.unknownPolicies.length > 0) unknown.push(role.name);
    // The read actions its Allow statements grant, read in place: most roles grant none and are passed
    // over here, so their statements are not listed, nor an action list copied per statement (5 MB at
    // 1,000 ecs-fargate runners). Same statements, same order, as listing them first.
    const allowed = new Set<string>();
    forEachStatement(role, (st) => {
      if (st.Effect !== 'Allow') return;
      const actions = statementActions(st);
      for (let i = 0; i < actions.length; i++) if (actions[i] !== 'kms:Decrypt') allowed.add(actions[i]!);
    });
    if (allowed.size === 0) continue;
    const statements: Statement[] = [];
    forEachStatement(role, (st) => statements.push(st));
    const account = accountOf(role);
    const arn = arnOf(role, account);
    const w = who.get(role.name);
    const c: Candidate = {
      role,
      arn,
      label: `${w?.label ?? 'role'} ${role.name} (aws_iam_role.${role.key})`,
      account,
      path: w?.path ?? '',
      fix: w?.fix ?? `grant role ${role.name} no ssm:GetParameter* (or GetParametersByPath) on * or on the runner token parameters under ${prefix}`,
      ...(w?.deploymentFix !== undefined ? { deploymentFix: w.deploymentFix } : {}),
      caller: preparedRoleRequest(role, arn, READ_ACTIONS[0], standInArn),
      policies: { identity: role.policiesCompiled },
      actions: allowed,
      parameterTagKeys: new Set(),
    };
    roles.push(c);
    byName.set(role.name, c);
    // Index what could name one runner's parameter: Allow resources, the holes a Deny leaves, conditions on the parameter's identity.
    for (const st of statements) {
      const actions = statementActions(st);
      if (actions.length === 0) continue;
      const allow = st.Effect === 'Allow';
      if (readsIn(actions)) {
        if (allow && st.NotResource !== undefined) {
          if (asList(st.NotResource).some((p) => typeof p === 'string' && overlaps(p))) perRunner.add(c);
          else everywhere.add(c);
        }
        if (!allow && asList(st.Resource).some((p) => typeof p === 'string' && p !== '*' && overlaps(p))) perRunner.add(c);
        for (const p of asList(allow ? st.Resource : st.NotResource)) index(c, p, standInArn);
      }
      for (const [operator, block] of Object.entries(isObject(st.Condition) ? st.Condition : {})) {
        for (const [k, v] of Object.entries(isObject(block) ? block : {})) {
          const key = k.toLowerCase();
          const tag = TAG_KEY.exec(key)?.[1];
          const values = asList(v as unknown);
          if (key === PARAMETER_ARN_KEY || tag === OWNER_TAG) {
            // A negated operator in an Allow reaches every runner but the ones it names: tried runner by runner.
            if (allow && !/Not/.test(operator)) for (const x of values) index(c, x, key === PARAMETER_ARN_KEY ? standInArn : standInOwner);
            else perRunner.add(c);
          } else if (tag !== undefined) {
            tagged.add(c);
            c.parameterTagKeys.add(tag);
            if (!allow) perRunner.add(c);
          }
        }
      }
    }
  }
  return { prefix, standIn, standInTags, standInUnknown: standInParameterTags.unknownTags, tried, roles, byName, rotators, unknown, wide: new Map(), exact, prefixes, prefixLengths: [...new Set([...prefixes.keys()].map((k) => k.length))], everywhere, perRunner, tagged, runners: runnerFacts };
}

function readersOf(docs: FleetDocuments, fleet: FleetIntent): TokenReaders | null {
  let byFleet = cache.get(docs);
  if (!byFleet) {
    byFleet = new WeakMap();
    cache.set(docs, byFleet);
  }
  let hit = byFleet.get(fleet);
  if (hit === undefined) {
    hit = analyse(docs, fleet);
    byFleet.set(fleet, hit);
  }
  return hit;
}

/** The key a parameter is evaluated with: an unresolved one as a customer key whose grants IAM decides (RF903 says it is not shown). */
function evaluatedKey(k: KeyOf, fleet: FleetIntent): KmsKey | undefined {
  if (k.key) return k.key;
  if (!k.unknown) return undefined;
  const a = fleet.aws!;
  return { arn: `arn:${a.partition}:kms:${a.region}:${a.accountId}:key/${STAND_IN}`, label: `the key ${k.unknown.at} names (not shown)` };
}

/**
 * What a role may do with one parameter: `actions`, the read actions it is allowed (and kms:Decrypt
 * with the customer key), empty when it cannot read the token whatever the tags not shown are;
 * `sure` when it reads it whatever they are, else it reads it only for some of their values
 * (`principalTags`: the role's, lower-cased; `parameterTags`: the parameter's).
 */
interface Reading {
  actions: string[];
  sure: boolean;
  principalTags: string[];
  parameterTags: string[];
}

const NO_READING: Reading = { actions: [], sure: false, principalTags: [], parameterTags: [] };

const overTags = (d: 'allow' | 'deny' | 'either'): OverTags => (d === 'allow' ? 'sure' : d === 'either' ? 'maybe' : 'no');

/**
 * The reading of one parameter by a role (empty when it cannot decrypt it with the customer key).
 * `unknownTags`: the parameter's tags whose value is not shown. Each request is decided over every
 * value of the tags not shown that the policies test (the role's, the parameter's): the plain
 * evaluation where there are none.
 */
function reads(fleet: FleetIntent, c: Candidate, name: string, key: KmsKey | undefined, tags: Record<string, string>, unknownTags: ReadonlySet<string>, region = fleet.aws!.region, account = fleet.aws!.accountId): Reading {
  // A parameter of another account is read only where it is shared through AWS RAM, which no runner's is.
  if (c.account !== undefined && c.account !== account) return NO_READING;
  const arn = parameterArn(fleet, name, region, account);
  // The role's tags its policies (and the token key's policy, which KMS decides by) test whose value is not shown.
  const principalTags = c.role.unknownTags.size === 0 ? [] : unshownPrincipalTags(c.role, key?.policy ? [...c.role.policiesCompiled, key.policy.full] : c.role.policiesCompiled);
  const principal = new Set(principalTags);
  // The parameter's tags its statements test whose value is not shown, as the condition keys that read them.
  const parameterTags = [...c.parameterTagKeys].filter((k) => k !== OWNER_TAG && (unknownTags.has(k) || unknownTags.has('*'))).sort();
  const onParameter = new Set(parameterTags.flatMap((k) => [`ssm:resourcetag/${k}`, `aws:resourcetag/${k}`]));
  const decide = (action: string, resource: string, context: Record<string, string>, withParameterTags: boolean): OverTags => {
    if (principal.size === 0 && (!withParameterTags || onParameter.size === 0)) return evaluatePoliciesFor(c.policies, c.caller, action, resource, context) === 'allow' ? 'sure' : 'no';
    return overTags(decisionOverTagsFor(c.policies, c.caller, action, resource, context, principal, withParameterTags ? onParameter : undefined));
  };
  const sure: string[] = [];
  const maybe: string[] = [];
  for (const action of READ_ACTIONS) {
    if (!c.actions.has(action)) continue;
    const d = decide(action, arn, tags, true);
    if (d !== 'no') (d === 'sure' ? sure : maybe).push(action);
  }
  // GetParametersByPath is asked on a path, which carries no tags.
  if (c.actions.has(BY_PATH)) {
    const paths = ancestorArns(fleet, name, region, account).map((p) => [p, decide(BY_PATH, p, {}, false)] as const);
    const path = paths.find(([, d]) => d === 'sure') ?? paths.find(([, d]) => d === 'maybe');
    if (path) (path[1] === 'sure' ? sure : maybe).push(`${BY_PATH} on ${shown(path[0].replace(/^.*:parameter/, '')) || '/'}`);
  }
  const read: OverTags = sure.length > 0 ? 'sure' : maybe.length > 0 ? 'maybe' : 'no';
  if (read === 'no') return NO_READING;
  const reading = (over: OverTags, decrypt: string[]): Reading =>
    over === 'no' ? NO_READING : { actions: [...(over === 'sure' ? sure : [...sure, ...maybe]), ...decrypt], sure: over === 'sure', principalTags, parameterTags: over === 'sure' ? [] : parameterTags };
  if (key === undefined) return reading(read, []);
  // The reader is taken to be in the parameter's account (a runner's own, of several roots).
  const a = { ...fleet.aws!, accountId: account };
  const context = { 'kms:ViaService': `ssm.${region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': arn, 'kms:CallerAccount': a.accountId };
  const decrypt: OverTags = principal.size === 0 ? (mayUseKey(a, c.caller, c.policies, key, 'kms:Decrypt', context) !== undefined ? 'sure' : 'no') : overTags(mayUseKeyOverTags(a, c.caller, c.policies, key, 'kms:Decrypt', context, principal));
  const byKeyPolicy = decrypt === 'sure' && mayUseKey(a, c.caller, c.policies, key, 'kms:Decrypt', context) === 'key policy';
  return reading(bothOverTags(read, decrypt), [`kms:Decrypt with ${key.label}${byKeyPolicy ? ' (its key policy grants the role itself)' : ''}`]);
}

/** The roles of `account` that read the stand-in parameter there, encrypted with `key`. */
function wideReaders(fleet: FleetIntent, t: TokenReaders, key: KmsKey | undefined, account: string): WideReaders {
  const k = `${key?.arn ?? ''} ${account}`;
  let wide = t.wide.get(k);
  if (!wide) {
    const list = t.roles.flatMap((candidate) => {
      if (t.perRunner.has(candidate) || (candidate.account !== undefined && candidate.account !== account)) return [];
      const reading = reads(fleet, candidate, t.standIn, key, t.standInTags, t.standInUnknown, fleet.aws!.region, account);
      return reading.actions.length > 0 ? [{ candidate, reading }] : [];
    });
    t.wide.set(k, (wide = { list, candidates: new Set(list.map((w) => w.candidate)) }));
  }
  return wide;
}

/** RF903: `c` reads the token `of` only for some values of tags the documents do not show. */
function notShownReader(c: Candidate, of: string, reading: Reading, key: KmsKey | undefined, parameter: { what: string; address?: string; all: boolean }): Finding {
  const f = unshownTagsFinding(c.path, c.role, `can read the token of ${of}: ${reading.actions.join(', ')}`, reading.principalTags, principalTagsTestedBy(c.role, reading.principalTags, key), { ...parameter, keys: reading.parameterTags });
  return { ...f, received: reading.actions.join(', '), allowed: 'the runner token parameters are read by their own manager and the token rotator only', ...(c.deploymentFix !== undefined ? { deploymentFix: c.deploymentFix } : {}) };
}

/** RF903: `c`, of a root whose account is not shown, reads the token of `of` if it is in that parameter's account. */
function accountNotShownReader(c: Candidate, of: string, reading: Reading): Finding {
  return {
    code: 'RF903',
    severity: CODES.RF903.severity,
    path: c.path,
    message: `whether ${c.label} can read the token of ${of} is not shown: the aws provider of its root states no account (allowed_account_ids, or the role_arn of assume_role), and a role reads the token parameters of its own account only; in their account it could: ${reading.actions.join(', ')}`,
    received: reading.actions.join(', '),
    allowed: 'the runner token parameters are read by their own manager and the token rotator only',
    fix: `state the account of its root (allowed_account_ids in its aws provider); where it is the runners' account, ${c.fix}`,
    subject: { kind: 'resource', address: `aws_iam_role.${c.role.key}` },
  };
}

function keyWords(key: KmsKey | undefined): string {
  return key === undefined ? 'the AWS managed key aws/ssm decrypts it for any caller of the account allowed to read it' : `it may decrypt with the token key ${key.label} through SSM`;
}

/** The token keys of the fleet's VM runners, each once, with the accounts of the parameters each encrypts. */
function fleetKeys(fleet: FleetIntent, t: TokenReaders): { key: KmsKey | undefined; accounts: Set<string> }[] {
  const out = new Map<string, { key: KmsKey | undefined; accounts: Set<string> }>();
  for (const r of t.runners.values()) {
    const k = evaluatedKey(r.key, fleet);
    const hit = out.get(k?.arn ?? '') ?? { key: k, accounts: new Set<string>() };
    hit.accounts.add(r.account ?? fleet.aws!.accountId);
    out.set(k?.arn ?? '', hit);
  }
  return [...out.values()];
}

/**
 * RF721 once per role that reads every token parameter (any stand-in under the shared prefix):
 * fleet-wide, so the findings do not grow with runners × roles; RF903 instead where it reads them
 * only for some values of tags the documents do not show. RF903 once per token key whose key
 * policy the documents name but do not show.
 */
export function wideTokenReaderFindings(docs: FleetDocuments, fleet: FleetIntent): Finding[] {
  const t = readersOf(docs, fleet);
  if (!t) return [];
  const out: Finding[] = [];
  // A VM manager that reads every token parameter reads other runners' tokens: RF712 of its own
  // runner's token proof says so (and names the Deny it lacks); the other runners' proofs fail here.
  const managers = new Set(fleet.runners.filter((r) => r.platformNames?.tokenParameter !== undefined).flatMap((r) => {
    const m = findBy(fleet.identities, 'key', r.managerIdentity);
    return m?.cloud === 'aws' ? [m.roleName] : [];
  }));
  const said = new Set<Candidate>();
  // Parameters whose tags are the stand-in's: a reader keyed on tags reads "every runner" only if there is one (else each runner's proof tries it).
  const plain = [...t.runners.values()].some((r) => !r.ownTags);
  // Which runners a wide reader reaches: every runner's under the prefix where they share one account;
  // of runners in several accounts (roots given together), those of the reader's own account only.
  const a = fleet.aws!;
  const accountOf = new Map(fleet.runners.filter((r) => t.runners.has(r.name)).map((r) => [r.account ?? a.accountId, r.account !== undefined ? r.accountShown : a.accountShown] as const));
  const everyRunner = (account: string): string => {
    if (accountOf.size <= 1) return `every runner under ${t.prefix} (its grant covers any runner name there)`;
    return `every runner of ${accountOf.get(account) === false ? 'its own account (its root states none)' : `account ${account}`} under ${t.prefix} (its grant covers any runner name there; a role reads the parameters of its own account only)`;
  };
  for (const { key, accounts } of fleetKeys(fleet, t)) {
    if (key?.policyUnknown !== undefined) {
      out.push({
        code: 'RF903',
        severity: CODES.RF903.severity,
        path: '',
        message: `the key policy of the token key ${key.label} is not shown (${key.policyUnknown}): whether it lets IAM grant kms:Decrypt, or grants it to a role itself, is not proven, so no runner token encrypted with it is proven readable by its manager and the rotator only`,
        fix: 'give the key policy as a literal JSON document (aws_kms_key.policy or aws_kms_key_policy), or `terraform show -json` of a plan',
        // The resource that holds the policy (an aws_kms_key_policy replaces the key's own), else the key.
        ...(key.policyAddress !== undefined || key.label.startsWith('aws_kms_key.') ? { subject: { kind: 'resource' as const, address: key.policyAddress ?? key.label } } : {}),
      });
    }
    // A role reads the parameters of its own account only: each account's roles, of the parameters there.
    for (const { candidate: c, reading } of [...accounts].flatMap((account) => wideReaders(fleet, t, key, account).list)) {
      if (said.has(c) || managers.has(c.role.name) || (!plain && t.tagged.has(c))) continue;
      said.add(c);
      const actions = reading.actions;
      if (c.account === undefined) {
        out.push(accountNotShownReader(c, `every runner under ${t.prefix} (its grant covers any runner name there)`, reading));
        continue;
      }
      if (!reading.sure) {
        out.push(notShownReader(c, everyRunner(c.account), reading, key, { what: `the token parameters under ${t.prefix}`, all: t.standInUnknown.has('*') }));
        continue;
      }
      out.push({
        code: 'RF721',
        severity: CODES.RF721.severity,
        path: c.path,
        message: `${c.label} can read the token of ${everyRunner(c.account)}: ${actions.join(', ')}; ${keyWords(key)}`,
        received: actions.join(', '),
        allowed: 'the runner token parameters are read by their own manager and the token rotator only',
        fix: c.fix,
        ...(c.deploymentFix !== undefined ? { deploymentFix: c.deploymentFix } : {}),
      });
    }
  }
  return out;
}

/** The proof for one VM runner: only its manager and the token rotator can read its token parameter. */
export function proveTokenReaders(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner): { findings: Finding[]; claim: string; holds: boolean } {
  const name = names(runner).tokenParameter;
  const t = readersOf(docs, fleet);
  const manager = findBy(fleet.identities, 'key', runner.managerIdentity);
  const managerRole = manager?.cloud === 'aws' ? manager.roleName : undefined;
  // What was checked, in words: every other IAM role of the documents (or why none was).
  const checked = (tried: number | undefined) =>
    tried === undefined ? 'not checked: the documents hold no AWS roles for it' : tried === 0 ? 'the documents hold no other IAM role' : tried === 1 ? 'checked the one other IAM role in the documents' : `checked each of the ${tried} other IAM roles in the documents`;
  // What the parameter holds is a bracket after its name already: what was checked follows it after a semicolon, not in a second bracket.
  const words = tokenParameterWords(runner);
  const claimOf = (tried: number | undefined, rotator: boolean) => `only the manager${rotator ? ' and the token rotator' : ''} can read the ${words.parameter} ${name}${words.holds}${words.holds !== '' ? `; ${checked(tried)}` : ` (${checked(tried)})`}`;
  const facts = t?.runners.get(runner.name);
  if (!t || !facts) return { findings: [], claim: claimOf(undefined, false), holds: false };
  const key = evaluatedKey(facts.key, fleet);
  // A wide reader that keys on tags reads this parameter only if its tags agree: where they differ from the stand-in's, it is tried below.
  // Not the list of them per runner: every runner's manager may be one (AmazonSSMManagedInstanceCore), so whether one other
  // than this manager is, and whether a candidate is, are asked of the fleet-wide list (a copy per runner grew with the square of them).
  const allWide = wideReaders(fleet, t, key, facts.account ?? fleet.aws!.accountId);
  const isWide = (c: Candidate) => allWide.candidates.has(c) && c.role.name !== managerRole && !(facts.ownTags && t.tagged.has(c));
  const anyWide = allWide.list.some((w) => isWide(w.candidate));
  // Candidates that could name this parameter: its own job role, and the indexed grants.
  const arn = facts.arn;
  const candidates = new Set<Candidate>([...t.everywhere, ...t.perRunner, ...(facts.ownTags ? t.tagged : [])]);
  const job = runner.jobIdentity !== undefined ? findBy(fleet.identities, 'key', runner.jobIdentity) : undefined;
  const jobCandidate = job?.cloud === 'aws' ? t.byName.get(job.roleName) : undefined;
  if (jobCandidate) candidates.add(jobCandidate);
  for (const text of [arn, facts.owner, ...ancestorArns(fleet, name, facts.region, facts.account)]) for (const c of t.exact.get(text) ?? []) candidates.add(c);
  for (const n of t.prefixLengths) {
    if (n <= arn.length) for (const c of t.prefixes.get(arn.slice(0, n)) ?? []) candidates.add(c);
    if (n <= facts.owner.length) for (const c of t.prefixes.get(facts.owner.slice(0, n)) ?? []) candidates.add(c);
  }
  const findings: Finding[] = [];
  if (facts.key.unknown) {
    const u = facts.key.unknown;
    findings.push({
      code: 'RF903',
      severity: CODES.RF903.severity,
      path: '',
      message: `${u.at ? `${u.at} of` : 'the key of'} runner ${runner.name}'s ${tokenParameterWords(runner).parameter} ${name} is ${u.value}: ${u.why}; which key encrypts the token, and so who may decrypt it, is not shown (not assumed to be aws/ssm)`,
      received: u.value,
      fix: 'give the Terraform of the key (aws_kms_key, and aws_kms_alias where an alias names it), or write key_id as the key ARN',
      // The parameter whose key_id it is (`aws_ssm_parameter.<k>.key_id`).
      ...(u.at ? { subject: { kind: 'resource' as const, address: u.at.replace(/\.key_id$/, '') } } : {}),
    });
  }
  // A role that reads the token only for some values of tags not shown (RF903): the proof is not made.
  let notShown = false;
  for (const c of candidates) {
    if (c.role.name === managerRole || isWide(c)) continue;
    const reading = reads(fleet, c, name, key, facts.tags, facts.unknownTags, facts.region, facts.account);
    const actions = reading.actions;
    if (actions.length === 0) continue;
    if (c.account === undefined) {
      notShown = true;
      findings.push(accountNotShownReader(c, `runner ${runner.name} (its ${tokenParameterWords(runner).parameter} ${name})`, reading));
      continue;
    }
    if (!reading.sure) {
      notShown = true;
      findings.push(notShownReader(c, `runner ${runner.name} (its ${tokenParameterWords(runner).parameter} ${name})`, reading, key, { what: `the token parameter ${name}`, ...(facts.parameter !== undefined ? { address: facts.parameter } : {}), all: facts.unknownTags.has('*') }));
      continue;
    }
    findings.push({
      code: 'RF721',
      severity: CODES.RF721.severity,
      path: c.path,
      message: `${c.label} can read the token of runner ${runner.name} (its ${tokenParameterWords(runner).parameter} ${name}): ${actions.join(', ')}; ${keyWords(key)}`,
      received: actions.join(', '),
      allowed: `runner ${runner.name}'s manager and the token rotator only`,
      fix: c.fix,
      ...(c.deploymentFix !== undefined ? { deploymentFix: c.deploymentFix } : {}),
    });
  }
  const tried = t.tried.size - (managerRole !== undefined && t.tried.has(managerRole) ? 1 : 0);
  const unknown = t.unknown.some((r) => r !== managerRole) || facts.key.unknown !== undefined || key?.policyUnknown !== undefined;
  return { findings, claim: claimOf(tried, t.rotators.size > 0), holds: findings.every((f) => f.code !== 'RF721') && !anyWide && !notShown && !unknown };
}

/**
 * A runner's token parameter as its manager's own proof (proveTokenAccess) asks about it, from the
 * one reading of the documents the readers' proof makes: its tags and its key as AWS evaluates them.
 */
export interface ManagerTokenParameter {
  /** Its tags as the condition keys a request on it carries (ssm:resourceTag/…, aws:ResourceTag/…), the owner tag among them. */
  context: Record<string, string>;
  /** The lower-cased keys of its tags the manager's policies test whose value is not shown, and the condition keys that read them. */
  unshown: string[];
  conditionKeys: ReadonlySet<string>;
  /** Which tags it has is not shown at all (its tags, or the provider's default_tags, are not a literal map). */
  all: boolean;
  /** Its resource (`aws_ssm_parameter.<key>`), where the documents hold it. */
  parameter?: string;
  /**
   * A parameter of another runner (`name`): the owner tag register writes on it is shown; no document
   * shows its other tags, so each the manager's policies test is taken over every value.
   */
  other: (name: string) => { context: Record<string, string>; unshown: string[]; conditionKeys: ReadonlySet<string> };
  /** The key that encrypts it (resolveKmsKey: a literal ARN, an aws_kms_key or aws_kms_alias of the documents, or not shown). */
  key: KeyOf;
}

/** The condition keys that read a parameter's tags `keys` (lower-cased). */
function tagConditionKeys(keys: readonly string[]): Set<string> {
  return new Set(keys.flatMap((k) => [`ssm:resourcetag/${k}`, `aws:resourcetag/${k}`]));
}

/** The token parameter of `runner` as its manager is asked about it; undefined where the documents hold no AWS facts for it. */
export function managerTokenParameter(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner): ManagerTokenParameter | undefined {
  const t = readersOf(docs, fleet);
  const facts = t?.runners.get(runner.name);
  if (!t || !facts) return undefined;
  const manager = findBy(fleet.identities, 'key', runner.managerIdentity);
  // The parameter tags the manager's SSM and KMS statements test (none where no statement of it allows a read).
  const tested = [...((manager?.cloud === 'aws' ? t.byName.get(manager.roleName)?.parameterTagKeys : undefined) ?? [])].filter((k) => k !== OWNER_TAG).sort();
  const unshown = tested.filter((k) => facts.unknownTags.has(k) || facts.unknownTags.has('*'));
  const otherKeys = tagConditionKeys(tested);
  return {
    context: facts.tags,
    unshown,
    conditionKeys: tagConditionKeys(unshown),
    all: facts.unknownTags.has('*'),
    ...(facts.parameter !== undefined ? { parameter: facts.parameter } : {}),
    other: (name) => ({ context: tagContext({ [OWNER_TAG]: `${fleet.name}/${name}` }), unshown: tested, conditionKeys: otherKeys }),
    key: facts.key,
  };
}
