/**
 * A deliberately small AWS IAM policy evaluator, used to *prove* properties of the
 * policies runner-fleet generates (IRSA / Pod Identity trust policies, S3 cache
 * identity policies, S3 bucket policies).
 *
 * Scope is single-account evaluation: explicit Deny anywhere wins, otherwise an Allow
 * in either the identity or the resource policies grants, otherwise implicit deny.
 * Anything outside the supported grammar is rejected at compile time with a
 * PolicyGrammarError, because a silently mis-evaluated policy would make a "proof"
 * worthless.
 *
 * Deliberate semantics (beyond the obvious):
 * - An absent condition key makes positive operators false and negated ones
 *   (String*Not*, ArnNot*, NumericNotEquals) true; `...IfExists` makes any operator true;
 *   ForAllValues is vacuously true and ForAnyValue false. An empty context list counts
 *   as absent.
 * - Without a set prefix a multi-valued key satisfies a positive operator if any value
 *   matches; a negated operator then holds only if no value matches.
 * - ArnEquals/ArnLike (and negations) match per ARN component: a wildcard in the first
 *   five components does not cross ':'. Resource/NotResource use a plain glob.
 * - Principal "*" and {"AWS":"*"} match every principal, including an absent (anonymous)
 *   one; any other Principal never matches an anonymous request. A bare account id
 *   matches every AWS principal ARN of that account (any partition), a root ARN every
 *   principal ARN of that account in that partition, any other AWS ARN only itself
 *   (a role ARN does not cover its assumed-role sessions). Partial wildcards are rejected.
 * - Identity policies with Principal, and resource-policy statements without one, are
 *   rejected at evaluation time rather than guessed at.
 *
 * Hot-path notes: patterns are compiled once (exact strings into Sets, wildcard patterns
 * matched by their ends or a small glob matcher, never a RegExp per policy), condition keys
 * are lower-cased at compile time,
 * requests are normalised once (prepareRequest) and the statements that apply to an
 * action are memoised per compiled policy.
 */
import type { Decision, PolicyDocument, Request, RequestPrincipal } from './types.js';
import { isObject } from '../../model/is-object.js';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** Thrown when a policy (or a policy used in the wrong role) is outside the supported grammar. */
export class PolicyGrammarError extends Error {
  override readonly name = 'PolicyGrammarError';
}

/** Hook for string canonicalisation; plain identity measured fastest on Node 20 and 24. */
function intern(s: string): string {
  return s;
}

// ---------------------------------------------------------------------------
// Pattern matching
// ---------------------------------------------------------------------------

/** Own enumerable key, for for-in loops that stand for Object.keys (no key list allocated). */
function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

const STAR = 42; // '*'
const QUESTION = 63; // '?'

/**
 * Whether `s` from `from` to `to` is matched whole by the glob `p`: `*` any run of characters
 * (newlines too), `?` exactly one (UTF-16 unit), everything else itself. No RegExp: each policy of
 * a fleet is its own, and V8 compiles every RegExp on its first run. Greedy, and on a mismatch the
 * last `*` takes one character more: a match, if there is one, is found so.
 */
function globMatches(p: string, s: string, from: number, to: number): boolean {
  let i = 0;
  let j = from;
  let star = -1;
  let mark = from;
  while (j < to) {
    const c = i < p.length ? p.charCodeAt(i) : -1;
    if (c === STAR) {
      star = i++;
      mark = j;
    } else if (c !== -1 && (c === QUESTION || c === s.charCodeAt(j))) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p.charCodeAt(i) === STAR) i++;
  return i === p.length;
}

/**
 * Whether an ARN glob (its six components, see arnGlob) matches `s` whole: each of the first five
 * components matches the text between two ':' of `s` (so a wildcard there never crosses a ':'), the
 * sixth all the rest (a plain glob: the resource may hold ':').
 */
function arnGlobMatches(parts: readonly string[], s: string): boolean {
  let start = 0;
  for (let k = 0; k < 5; k++) {
    const colon = s.indexOf(':', start);
    if (colon < 0 || !globMatches(parts[k]!, s, start, colon)) return false;
    start = colon + 1;
  }
  return globMatches(parts[5]!, s, start, s.length);
}

/**
 * A set of glob patterns. Exact patterns are looked up in a Set, the others matched one by one
 * (by their prefix, their two ends, or a glob matcher), so a miss costs one hash lookup and a
 * few string comparisons.
 */
export class PatternSet {
  readonly matchesEverything: boolean;
  private readonly exact: ReadonlySet<string>;
  private readonly globs: readonly string[];
  private readonly arnGlobs: readonly (readonly string[])[];
  private readonly prefixes: readonly string[];
  private readonly infixes: readonly Infix[];

  /**
   * `prefixes` stand for patterns `<prefix>*` whose `*` may match anything (checked with
   * startsWith: most policies' wildcards are of that kind); `infixes` for patterns
   * `<prefix>*<suffix>` whose one `*` may match anything (an Auto Scaling group ARN's `:*:`),
   * checked by both ends; `globs` for the other wildcard patterns (globMatches), and `arnGlobs`
   * for ArnLike patterns split into their six components (arnGlob, arnGlobMatches).
   */
  constructor(exact: Iterable<string>, globs: readonly string[], matchesEverything: boolean, prefixes: readonly string[] = [], infixes: readonly Infix[] = [], arnGlobs: readonly (readonly string[])[] = []) {
    this.exact = new Set(exact);
    this.matchesEverything = matchesEverything;
    this.prefixes = prefixes;
    this.infixes = infixes;
    this.globs = globs;
    this.arnGlobs = arnGlobs;
  }

  test(s: string): boolean {
    if (this.matchesEverything || this.exact.has(s)) return true;
    // Index loops in the evaluator's hot paths: much of it runs before V8 optimises it (the CLI's
    // raised tiering thresholds), where each for-of step allocates an iterator result.
    const prefixes = this.prefixes;
    for (let i = 0; i < prefixes.length; i++) if (s.startsWith(prefixes[i]!)) return true;
    const infixes = this.infixes;
    for (let i = 0; i < infixes.length; i++) {
      const x = infixes[i]!;
      // The `*` matches what lies between the two ends, which must not overlap.
      if (s.length >= x.prefix.length + x.suffix.length && s.startsWith(x.prefix) && s.endsWith(x.suffix)) return true;
    }
    const globs = this.globs;
    for (let i = 0; i < globs.length; i++) if (globMatches(globs[i]!, s, 0, s.length)) return true;
    const arnGlobs = this.arnGlobs;
    for (let i = 0; i < arnGlobs.length; i++) if (arnGlobMatches(arnGlobs[i]!, s)) return true;
    return false;
  }
}

/** A pattern with one `*` and no other wildcard: the literal text before and after it. */
interface Infix {
  prefix: string;
  suffix: string;
}

/** `ab*cd` (one `*` not at the end, no other wildcard): its two ends; otherwise undefined. */
function oneStarInfix(pattern: string): Infix | undefined {
  const star = pattern.indexOf('*');
  if (star < 0 || star === pattern.length - 1 || pattern.includes('*', star + 1) || pattern.includes('?')) return undefined;
  return { prefix: pattern.slice(0, star), suffix: pattern.slice(star + 1) };
}

/** `abc*` (one trailing `*`, no other wildcard): the literal prefix; otherwise undefined. */
function trailingStarPrefix(pattern: string): string | undefined {
  const prefix = pattern.slice(0, -1);
  return pattern.endsWith('*') && !hasWildcard(prefix) ? prefix : undefined;
}

/** IAM action patterns (`sts:AssumeRole*`, `*`) as the evaluator matches them: test lower-cased actions. */
export function actionPatterns(patterns: readonly string[]): PatternSet {
  return globSet(patterns, true);
}

/** Plain glob set (Action, Resource, StringLike). `lower` folds patterns for case-insensitive use. */
function globSet(patterns: readonly string[], lower: boolean): PatternSet {
  const exact: string[] = [];
  const wild: string[] = [];
  const prefixes: string[] = [];
  const infixes: Infix[] = [];
  let everything = false;
  for (let i = 0; i < patterns.length; i++) {
    const raw = patterns[i]!;
    const p = lower ? raw.toLowerCase() : raw;
    if (p === '*') everything = true;
    else if (hasWildcard(p)) {
      const prefix = trailingStarPrefix(p);
      const infix = prefix === undefined ? oneStarInfix(p) : undefined;
      if (prefix !== undefined) prefixes.push(prefix);
      else if (infix !== undefined) infixes.push(infix);
      else wild.push(p);
    } else exact.push(p);
  }
  return new PatternSet(exact, wild, everything, prefixes, infixes);
}

/**
 * A statement's Action (or NotAction) patterns by their text: a fleet's documents differ by the
 * resources they name and mostly repeat their action lists (each runner's manager policy has the
 * same), so each list is compiled once. A PatternSet is never changed once built, so statements
 * share it. Emptied at 10,000 lists.
 */
const actionSets = new Map<string, PatternSet>();

/** globSet of checked action patterns (service:action or `*`, so no line break: the key joins them with one). */
function statementActionSet(actions: readonly string[]): PatternSet {
  const key = actions.length === 1 ? actions[0]! : actions.join('\n');
  let set = actionSets.get(key);
  if (set === undefined) {
    if (actionSets.size >= 10_000) actionSets.clear();
    actionSets.set(key, (set = globSet(actions, true)));
  }
  return set;
}

/**
 * ArnEquals/ArnLike compare the six colon-separated ARN components separately, so a
 * wildcard in the first five components must not cross a ':'. The sixth (resource)
 * component may itself contain ':' and is matched as a plain glob. The pattern's six
 * components, for arnGlobMatches.
 */
function arnGlob(pattern: string, where: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const idx = pattern.indexOf(':', start);
    if (idx < 0) throw new PolicyGrammarError(`${where}: "${pattern}" is not an ARN (expected arn:partition:service:region:account:resource)`);
    parts.push(pattern.slice(start, idx));
    start = idx + 1;
  }
  parts.push(pattern.slice(start));
  return parts;
}

function colons(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i >= 0 && n < 5; i = s.indexOf(':', i + 1)) n++;
  return n;
}

function arnSet(patterns: readonly string[], where: string): PatternSet {
  const exact: string[] = [];
  const wild: string[][] = [];
  const prefixes: string[] = [];
  let everything = false;
  for (const p of patterns) {
    if (p === '*') everything = true;
    else if (hasWildcard(p)) {
      // A trailing `*` after the fifth ':' is in the resource component, a plain glob there.
      const prefix = trailingStarPrefix(p);
      if (prefix !== undefined && colons(prefix) >= 5) prefixes.push(prefix);
      else wild.push(arnGlob(p, where));
    } else {
      if (colons(p) < 5) arnGlob(p, where); // throws the shape error
      exact.push(p);
    }
  }
  return new PatternSet(exact, [], everything, prefixes, [], wild);
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

const ACCOUNT_ID = /^\d{12}$/;
/** arn:partition:service:region:account:... — captures partition and account. */
const ARN_ACCOUNT = /^arn:([^:]+):[^:]*:[^:]*:(\d{12}):/;
/** The ARN of an IAM role, user or account root: what aws:PrincipalArn holds for a request it signs. */
const IAM_PRINCIPAL_ARN = /^arn:[^:]+:iam::\d{12}:(?:role\/|user\/|root$)/;
/** The lower-cased prefix of the condition keys on the caller's tags (aws:PrincipalTag/<tag-key>). */
const PRINCIPAL_TAG = 'aws:principaltag/';

/**
 * One-element context lists, shared per value and frozen so that no holder can change another's:
 * most of a fleet's requests carry the same few values (its account, aws:SecureTransport "true", an
 * audience, the fleet's tag values), and a new `[v]` per key per request was most of what preparing
 * a request allocated. Bounded: emptied when full, so a long-lived process asking many fleets keeps
 * no more than ONE_LISTS_MAX of them.
 */
const oneLists = new Map<string, readonly string[]>();
const ONE_LISTS_MAX = 4096;

/** The shared frozen list `[v]` (see oneLists). */
export function oneList(v: string): readonly string[] {
  let list = oneLists.get(v);
  if (list === undefined) {
    if (oneLists.size >= ONE_LISTS_MAX) oneLists.clear();
    list = Object.freeze([intern(v)]);
    oneLists.set(v, list);
  }
  return list;
}

/** A request's principal checked as the constructor of PreparedRequest and PreparedPrincipal take it. */
function checkedPrincipal(p: RequestPrincipal | undefined): RequestPrincipal | undefined {
  if (p === undefined) return undefined;
  if (p.type !== 'AWS' && p.type !== 'Federated' && p.type !== 'Service') {
    throw new TypeError(`request.principal.type must be AWS, Federated or Service, got ${JSON.stringify(p.type)}`);
  }
  if (typeof p.id !== 'string' || p.id.length === 0) throw new TypeError('request.principal.id must be a non-empty string');
  return { type: p.type, id: intern(p.id) };
}

/**
 * Adds to `ctx` the keys AWS puts in the context of every request the principal signs, where `ctx`
 * has none of that name (a key the request gives wins): aws:PrincipalArn, aws:PrincipalAccount and
 * one aws:PrincipalTag/<key> per tag of the calling role or user.
 */
function addPrincipalKeys(ctx: Map<string, readonly string[]>, principal: RequestPrincipal | undefined, account: string | undefined, principalTags: Readonly<Record<string, string>> | undefined): void {
  // AWS adds these to the context of every signed request (IAM, "AWS global condition context
  // keys"): aws:PrincipalArn is the ARN of the role (not of the role session), of the user, or
  // the account's root ARN; aws:PrincipalAccount the principal's account. A key the caller gives wins.
  if (principal?.type === 'AWS') {
    if (!ctx.has('aws:principalarn') && IAM_PRINCIPAL_ARN.test(principal.id)) ctx.set('aws:principalarn', oneList(principal.id));
    if (!ctx.has('aws:principalaccount') && account !== undefined) ctx.set('aws:principalaccount', oneList(account));
  }
  // aws:PrincipalTag/<tag-key> (IAM, "AWS global condition context keys"): one key per tag attached
  // to the calling user or role; for a role session the role's tags, a session tag of the same key
  // overriding the role's ("Pass session tags in AWS STS"). Role and user tag keys are not case
  // sensitive ("Tags for AWS Identity and Access Management resources": Department and department
  // are one key), nor are condition keys, so the key is lower-cased like every context key; values
  // are compared as written. Expanded once per caller: derive() and the probe entry points keep
  // them for every probe, and a PreparedPrincipal for every request made with it.
  if (principalTags !== undefined) {
    if (principal?.type !== 'AWS') throw new TypeError('request.principalTags need an AWS principal (the tags of an IAM role or user)');
    const seen = new Set<string>();
    for (const key in principalTags) {
      if (!hasOwn(principalTags, key)) continue;
      const value = principalTags[key];
      if (typeof value !== 'string') throw new TypeError(`request.principalTags["${key}"] must be a string`);
      const lk = intern(`${PRINCIPAL_TAG}${key.toLowerCase()}`);
      if (seen.has(lk)) throw new TypeError(`request.principalTags has key "${key}" twice (IAM tag keys of roles and users are case-insensitive)`);
      seen.add(lk);
      if (!ctx.has(lk)) ctx.set(lk, oneList(value));
    }
  }
}

/** Sets `ctx` from a request's own context (keys lower-cased, values as lists); throws on what the constructor refuses. */
function addRequestContext(ctx: Map<string, readonly string[]>, reqContext: Request['context']): void {
  if (reqContext === undefined) return;
  for (const key in reqContext) {
    if (!hasOwn(reqContext, key)) continue;
    const value = reqContext[key];
    const lk = intern(key.toLowerCase());
    if (ctx.has(lk)) throw new TypeError(`request.context has key "${key}" twice (condition keys are case-insensitive)`);
    let list: readonly string[];
    if (typeof value === 'string') list = oneList(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) list = value.length === 1 ? oneList(value[0] as string) : Object.freeze(value.map(intern));
    else throw new TypeError(`request.context["${key}"] must be a string or a list of strings`);
    if (list.length > 0) ctx.set(lk, list);
  }
}

function checkActionResource(action: string, resource: string): void {
  if (typeof action !== 'string' || action.length === 0) throw new TypeError('request.action must be a non-empty string');
  if (typeof resource !== 'string') throw new TypeError('request.resource must be a string');
}

/**
 * What belongs to a caller whatever it asks, prepared once: the principal, its account, and the
 * context keys AWS adds for it (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalTag/<key>).
 * `request` makes each of its requests as prepareRequest of the full Request would, without
 * checking and expanding the principal and its tags again; without a context of its own, a request
 * shares this context Map. Treat it as immutable.
 */
/**
 * A PreparedRequest of parts already checked and normalised (the caller's principal fields and a
 * context Map it may share), made without the constructor's checks and normalising: for
 * PreparedPrincipal.request, PreparedRequest.derive and PreparedRequest.asAwsPrincipal.
 */
function assembled(action: string, resource: string, caller: Pick<PreparedRequest, 'principal' | 'principalAccount' | 'principalRootKey'>, context: ReadonlyMap<string, readonly string[]>): PreparedRequest {
  const r = Object.create(PreparedRequest.prototype) as { -readonly [K in keyof PreparedRequest]: PreparedRequest[K] };
  r.action = action;
  r.resource = resource;
  r.principal = caller.principal;
  r.principalAccount = caller.principalAccount;
  r.principalRootKey = caller.principalRootKey;
  r.context = context;
  return r;
}

export class PreparedPrincipal {
  readonly principal: RequestPrincipal | undefined;
  readonly principalAccount: string | undefined;
  readonly principalRootKey: string | undefined;
  /** The principal's context keys (lower-cased) → frozen value lists. */
  readonly context: ReadonlyMap<string, readonly string[]>;

  constructor(principal: RequestPrincipal | undefined, principalTags?: Readonly<Record<string, string>>) {
    this.principal = checkedPrincipal(principal);
    const [account, rootKey] = this.principal?.type === 'AWS' ? awsAccountOf(this.principal.id) : [undefined, undefined];
    this.principalAccount = account;
    this.principalRootKey = rootKey;
    const ctx = new Map<string, readonly string[]>();
    addPrincipalKeys(ctx, this.principal, account, principalTags);
    this.context = ctx;
  }

  /** `{ principal, principalTags, action, resource, context }` prepared, as prepareRequest would. */
  request(action: string, resource: string, context?: Request['context']): PreparedRequest {
    checkActionResource(action, resource);
    let ctx = this.context;
    if (context !== undefined) {
      const own = new Map<string, readonly string[]>();
      addRequestContext(own, context);
      if (own.size > 0) {
        // The request's keys first: they win over the principal's, as in the constructor.
        this.context.forEach((v, k) => {
          if (!own.has(k)) own.set(k, v);
        });
        ctx = own;
      }
    }
    return assembled(intern(action), resource, this, ctx);
  }
}

/**
 * A request normalised once for repeated evaluation: context keys lower-cased (IAM
 * condition keys are case-insensitive), every context value turned into a list, and the
 * principal's account pre-extracted. Treat it (and the Request it came from) as immutable:
 * its value lists are frozen, and one-element lists are shared between requests (oneList).
 */
export class PreparedRequest {
  readonly action: string;
  readonly resource: string;
  readonly principal: RequestPrincipal | undefined;
  /** 12-digit account of an AWS principal (from its ARN, or the bare id itself). */
  readonly principalAccount: string | undefined;
  /** `partition:account` of an AWS principal given as an ARN; used for root-ARN principals. */
  readonly principalRootKey: string | undefined;
  /** lower-cased key → non-empty value list. Keys with an empty list are treated as absent. */
  readonly context: ReadonlyMap<string, readonly string[]>;

  /** @internal use prepareRequest(), or PreparedPrincipal.request for many requests of one caller */
  constructor(req: Request) {
    checkActionResource(req.action, req.resource);
    this.action = intern(req.action);
    this.resource = req.resource;
    this.principal = checkedPrincipal(req.principal);
    const [account, rootKey] = this.principal?.type === 'AWS' ? awsAccountOf(this.principal.id) : [undefined, undefined];
    this.principalAccount = account;
    this.principalRootKey = rootKey;
    const ctx = new Map<string, readonly string[]>();
    addRequestContext(ctx, req.context);
    addPrincipalKeys(ctx, this.principal, account, req.principalTags);
    this.context = ctx;
  }

  /**
   * The same action, resource and context asked as another AWS principal `id`, as prepareRequest of
   * `{ principal: { type: 'AWS', id }, action, resource, context }` with this request's context would
   * make it: aws:PrincipalArn and aws:PrincipalAccount of `id` added where the context has none. The
   * context Map is shared where it already has both (a role's caller has), else copied once.
   */
  asAwsPrincipal(id: string): PreparedRequest {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('request.principal.id must be a non-empty string');
    const [account, rootKey] = awsAccountOf(id);
    let ctx = this.context;
    const addArn = !ctx.has('aws:principalarn') && IAM_PRINCIPAL_ARN.test(id);
    const addAccount = !ctx.has('aws:principalaccount') && account !== undefined;
    if (addArn || addAccount) {
      const copy = new Map<string, readonly string[]>();
      ctx.forEach((v, k) => copy.set(k, v));
      if (addArn) copy.set('aws:principalarn', oneList(id));
      if (addAccount) copy.set('aws:principalaccount', oneList(account));
      ctx = copy;
    }
    return assembled(this.action, this.resource, { principal: { type: 'AWS', id: intern(id) }, principalAccount: account, principalRootKey: rootKey }, ctx);
  }

  /**
   * The same principal and context with another action and resource, and `context` keys added
   * (replacing a key of the same name), without normalising the principal and context again:
   * for proofs that probe many actions and resources as one caller. The proofs' loops ask through
   * evaluatePoliciesFor, decisionOverTagsFor, matchesOverTagsFor and evaluateFor, which decide the
   * same without a request or context Map per probe; derive stays as their reference (the
   * evaluator-probe test compares them).
   */
  derive(action: string, resource: string, context?: Readonly<Record<string, string>>): PreparedRequest {
    checkActionResource(action, resource);
    let ctx = this.context;
    if (context !== undefined) {
      // Copied with forEach and for-in: `new Map(map)` and Object.keys allocate an iterator
      // result per entry and a key list before V8 optimises this (see PatternSet.test).
      const added = new Map<string, readonly string[]>();
      ctx.forEach((v, k) => added.set(k, v));
      for (const key in context) {
        if (!hasOwn(context, key)) continue;
        const value = context[key];
        if (typeof value !== 'string') throw new TypeError(`request.context["${key}"] must be a string or a list of strings`);
        added.set(key.toLowerCase(), oneList(value));
      }
      ctx = added;
    }
    return assembled(action, resource, this, ctx);
  }
}

/** The 12-digit account of an AWS principal id (a bare id or an ARN) and, for an ARN, `partition:account`: as the constructor takes them. */
function awsAccountOf(id: string): [string | undefined, string | undefined] {
  if (ACCOUNT_ID.test(id)) return [id, undefined];
  const m = ARN_ACCOUNT.exec(id);
  return m === null ? [undefined, undefined] : [m[2], `${m[1] ?? ''}:${m[2] ?? ''}`];
}

// The last plain request prepared, for callers that evaluate one request object against several
// policy sets in a row. One entry, not a WeakMap of every request: most requests are evaluated
// once, and a WeakMap entry per request cost more (insertion, ephemeron work in GC) than it saved.
let lastRequest: Request | undefined;
let lastPrepared: PreparedRequest | undefined;

/** Normalise a request once; pass the result to evaluate/evaluatePolicies in hot loops. */
export function prepareRequest(req: Request | PreparedRequest): PreparedRequest {
  return req instanceof PreparedRequest ? req : new PreparedRequest(req);
}

function prepared(req: Request | PreparedRequest): PreparedRequest {
  if (req instanceof PreparedRequest) return req;
  if (req === lastRequest && lastPrepared !== undefined) return lastPrepared;
  const r = new PreparedRequest(req);
  lastRequest = req;
  lastPrepared = r;
  return r;
}

// ---------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------

/** Compiled Principal / NotPrincipal block. Principals never contain partial wildcards in AWS. */
export class PrincipalMatcher {
  /** Fast path for the common one-principal block (e.g. a single OIDC provider). */
  private readonly singleType: RequestPrincipal['type'] | undefined;
  private readonly singleId: string | undefined;

  constructor(
    readonly any: boolean,
    private readonly awsExact: ReadonlySet<string>,
    /** bare 12-digit ids: match any AWS principal of that account, any partition */
    private readonly awsAccounts: ReadonlySet<string>,
    /** `partition:account` from `arn:<partition>:iam::<account>:root` */
    private readonly awsRoots: ReadonlySet<string>,
    private readonly federated: ReadonlySet<string>,
    private readonly service: ReadonlySet<string>,
  ) {
    const total = awsExact.size + awsAccounts.size + awsRoots.size + federated.size + service.size;
    let single: [RequestPrincipal['type'], ReadonlySet<string>] | undefined;
    if (!any && total === 1) {
      if (awsExact.size === 1) single = ['AWS', awsExact];
      else if (federated.size === 1) single = ['Federated', federated];
      else if (service.size === 1) single = ['Service', service];
    }
    this.singleType = single?.[0];
    this.singleId = single === undefined ? undefined : [...single[1]][0];
  }

  matches(r: PreparedRequest): boolean {
    if (this.any) return true;
    const p = r.principal;
    if (p === undefined) return false; // anonymous only matches "*"
    // Both ids are interned, so this is normally a pointer comparison.
    if (this.singleId !== undefined) return p.id === this.singleId && p.type === this.singleType;
    switch (p.type) {
      case 'AWS': {
        if (this.awsExact.has(p.id)) return true;
        const acct = r.principalAccount;
        if (acct === undefined) return false;
        if (this.awsAccounts.has(acct)) return true;
        return r.principalRootKey !== undefined && this.awsRoots.has(r.principalRootKey);
      }
      case 'Federated':
        return this.federated.has(p.id);
      case 'Service':
        return this.service.has(p.id);
    }
  }
}

const ROOT_ARN = /^arn:([^:]+):iam::(\d{12}):root$/;

function compilePrincipal(block: unknown, where: string): PrincipalMatcher {
  const empty = new Set<string>();
  if (block === '*') return new PrincipalMatcher(true, empty, empty, empty, empty, empty);
  if (!isObject(block)) throw new PolicyGrammarError(`${where}: must be "*" or an object with AWS/Federated/Service`);
  const keys = Object.keys(block);
  if (keys.length === 0) throw new PolicyGrammarError(`${where}: empty principal block`);
  let any = false;
  const awsExact = new Set<string>();
  const awsAccounts = new Set<string>();
  const awsRoots = new Set<string>();
  const federated = new Set<string>();
  const service = new Set<string>();
  for (const k of keys) {
    if (k !== 'AWS' && k !== 'Federated' && k !== 'Service') {
      throw new PolicyGrammarError(`${where}: unsupported principal type "${k}" (supported: AWS, Federated, Service)`);
    }
    const values = stringList(block[k], `${where}.${k}`);
    for (const v of values) {
      checkNoVariable(v, `${where}.${k}`, k === 'Federated');
      if (k === 'AWS') {
        if (v === '*') {
          any = true; // {"AWS":"*"} is equivalent to "*"
          continue;
        }
        if (hasWildcard(v)) throw new PolicyGrammarError(`${where}.AWS: wildcards are only allowed as a bare "*", got "${v}"`);
        if (ACCOUNT_ID.test(v)) {
          awsAccounts.add(v);
          continue;
        }
        const root = ROOT_ARN.exec(v);
        if (root !== null) {
          awsRoots.add(`${root[1] ?? ''}:${root[2] ?? ''}`);
          continue;
        }
        if (!v.startsWith('arn:')) throw new PolicyGrammarError(`${where}.AWS: "${v}" is neither an ARN nor a 12-digit account id`);
        awsExact.add(intern(v));
      } else {
        // Federated and Service match by exact string equality.
        if (hasWildcard(v)) throw new PolicyGrammarError(`${where}.${k}: wildcards are not allowed, got "${v}"`);
        (k === 'Federated' ? federated : service).add(intern(v));
      }
    }
  }
  return new PrincipalMatcher(any, awsExact, awsAccounts, awsRoots, federated, service);
}

// ---------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------

export type Family = 'string' | 'stringIgnoreCase' | 'stringLike' | 'arn' | 'bool' | 'null' | 'numeric' | 'date' | 'ip' | 'binary';
type NumericCmp = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
interface OperatorSpec {
  readonly family: Family;
  readonly negated: boolean;
  readonly cmp?: NumericCmp;
}

// A Map, not an object literal, so that keys like "constructor" cannot hit the prototype.
const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map<string, OperatorSpec>([
  ['StringEquals', { family: 'string', negated: false }],
  ['StringNotEquals', { family: 'string', negated: true }],
  ['StringEqualsIgnoreCase', { family: 'stringIgnoreCase', negated: false }],
  ['StringNotEqualsIgnoreCase', { family: 'stringIgnoreCase', negated: true }],
  ['StringLike', { family: 'stringLike', negated: false }],
  ['StringNotLike', { family: 'stringLike', negated: true }],
  // AWS documents ArnEquals and ArnLike as behaving identically (both take wildcards).
  ['ArnEquals', { family: 'arn', negated: false }],
  ['ArnLike', { family: 'arn', negated: false }],
  ['ArnNotEquals', { family: 'arn', negated: true }],
  ['ArnNotLike', { family: 'arn', negated: true }],
  ['Bool', { family: 'bool', negated: false }],
  ['Null', { family: 'null', negated: false }],
  ['NumericEquals', { family: 'numeric', negated: false, cmp: 'eq' }],
  ['NumericNotEquals', { family: 'numeric', negated: true, cmp: 'eq' }],
  ['NumericLessThan', { family: 'numeric', negated: false, cmp: 'lt' }],
  ['NumericLessThanEquals', { family: 'numeric', negated: false, cmp: 'le' }],
  ['NumericGreaterThan', { family: 'numeric', negated: false, cmp: 'gt' }],
  ['NumericGreaterThanEquals', { family: 'numeric', negated: false, cmp: 'ge' }],
  ['DateEquals', { family: 'date', negated: false, cmp: 'eq' }],
  ['DateNotEquals', { family: 'date', negated: true, cmp: 'eq' }],
  ['DateLessThan', { family: 'date', negated: false, cmp: 'lt' }],
  ['DateLessThanEquals', { family: 'date', negated: false, cmp: 'le' }],
  ['DateGreaterThan', { family: 'date', negated: false, cmp: 'gt' }],
  ['DateGreaterThanEquals', { family: 'date', negated: false, cmp: 'ge' }],
  ['IpAddress', { family: 'ip', negated: false }],
  ['NotIpAddress', { family: 'ip', negated: true }],
  ['BinaryEquals', { family: 'binary', negated: false }],
]);

/** The condition operators the evaluator understands (without ForAnyValue:/ForAllValues: and IfExists). */
export const CONDITION_OPERATORS: readonly string[] = [...OPERATORS.keys()];

/** The family of a base operator name, for validating values before a policy is built. */
export function operatorFamily(name: string): Family | undefined {
  return OPERATORS.get(name)?.family;
}

/** ISO 8601 date or date-time (as AWS accepts), or epoch seconds. */
const DATE_SYNTAX = /^(?:\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,12})$/;

/** Milliseconds since the epoch of a condition date, or undefined when it is not one. */
export function parseConditionDate(v: string): number | undefined {
  if (!DATE_SYNTAX.test(v)) return undefined;
  if (/^\d{1,12}$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** An IPv4 or IPv6 address or CIDR block as [bits, prefix length, width] or undefined. */
export function parseCidr(v: string): { bits: bigint; prefix: number; width: 32 | 128 } | undefined {
  const slash = v.indexOf('/');
  const addr = slash < 0 ? v : v.slice(0, slash);
  const prefixText = slash < 0 ? undefined : v.slice(slash + 1);
  let bits: bigint;
  let width: 32 | 128;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) {
    const parts = addr.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    bits = parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
    width = 32;
  } else if (/^[0-9A-Fa-f:]+$/.test(addr) && addr.includes(':')) {
    const halves = addr.split('::');
    if (halves.length > 2) return undefined;
    const head = halves[0] === '' ? [] : halves[0]!.split(':');
    const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
    const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
    if (groups.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
    bits = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
    width = 128;
  } else return undefined;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return undefined;
  return { bits, prefix, width };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why one condition value does not fit its operator's family, or undefined when it fits.
 * The spec schema asks this before a policy is built, so the evaluator never meets a bad value.
 */
export function conditionValueProblem(family: Family, v: string | boolean | number): string | undefined {
  const s = String(v);
  if (typeof v === 'string' && v.includes('${')) return 'policy variables (${...}) are not supported';
  switch (family) {
    case 'bool':
    case 'null':
      return s.toLowerCase() === 'true' || s.toLowerCase() === 'false' ? undefined : 'expected true or false';
    case 'numeric':
      return NUMBER_SYNTAX.test(s) ? undefined : 'expected a number';
    case 'date':
      return parseConditionDate(s) !== undefined ? undefined : 'expected an ISO 8601 date such as 2030-01-31T00:00:00Z, or epoch seconds';
    case 'ip':
      return parseCidr(s) !== undefined ? undefined : 'expected an IP address or CIDR block such as 203.0.113.0/24 or 2001:db8::/32';
    case 'binary':
      return BASE64.test(s) && s.length > 0 ? undefined : 'expected a base64 value';
    case 'arn':
      return s === '*' || s.split(':').length >= 6 ? undefined : 'expected an ARN (arn:partition:service:region:account:resource)';
    case 'string':
    case 'stringIgnoreCase':
    case 'stringLike':
      return typeof v === 'string' ? undefined : 'expected a string';
  }
}

/**
 * 'none': no prefix — a positive operator holds if any context value matches, a negated
 * one is the negation of that. 'any' / 'all': ForAnyValue: / ForAllValues:.
 */
export type SetMode = 'none' | 'any' | 'all';

export interface CompiledCondition {
  /** Operator as written in the policy, for diagnostics. */
  readonly operator: string;
  /** Lower-cased condition key. */
  readonly key: string;
  readonly setMode: SetMode;
  readonly negated: boolean;
  /** Result when the key is absent from the request context. */
  readonly onMissing: boolean;
  /** The positive (un-negated) test of one context value against the policy values. */
  readonly matchOne: (value: string) => boolean;
  /** Set when matchOne is plain equality with one (interned) value: inlined in the hot path. */
  readonly equals: string | undefined;
  /** StringEquals (with or without IfExists/set prefix): the exact values, for candidate indexes (see candidates.ts). */
  readonly literals: readonly string[] | undefined;
}

/** Decimal number syntax accepted in numeric conditions; Number('') === 0 must not sneak in. */
const NUMBER_SYNTAX = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function boolWord(v: string | boolean | number, where: string): 'true' | 'false' {
  const s = String(v).toLowerCase();
  if (s === 'true' || s === 'false') return s;
  throw new PolicyGrammarError(`${where}: expected "true" or "false", got ${JSON.stringify(v)}`);
}

function buildMatchOne(spec: OperatorSpec, raw: readonly (string | boolean | number)[], where: string): (value: string) => boolean {
  switch (spec.family) {
    case 'string': {
      const values = raw.map((x) => intern(String(x)));
      if (values.length === 1) {
        const only = values[0];
        return (v) => v === only;
      }
      const set = new Set(values);
      return (v) => set.has(v);
    }
    case 'stringIgnoreCase': {
      const set = new Set(raw.map((x) => String(x).toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case 'stringLike': {
      const ps = globSet(raw.map(String), false);
      return (v) => ps.test(v);
    }
    case 'arn': {
      const ps = arnSet(raw.map(String), where);
      return (v) => ps.test(v);
    }
    case 'bool': {
      const set = new Set<string>(raw.map((x) => boolWord(x, where)));
      // Context normally carries exactly 'true'/'false'; only fold case when it does not.
      return (v) => set.has(v === 'true' || v === 'false' ? v : v.toLowerCase());
    }
    case 'numeric': {
      const nums = raw.map((x) => {
        const s = String(x);
        if (!NUMBER_SYNTAX.test(s)) throw new PolicyGrammarError(`${where}: ${JSON.stringify(x)} is not a number`);
        return Number(s);
      });
      const cmp = spec.cmp ?? 'eq';
      return (v) => {
        if (!NUMBER_SYNTAX.test(v)) return false; // a non-numeric context value never matches
        const n = Number(v);
        for (const x of nums) {
          if (cmp === 'eq' ? n === x : cmp === 'lt' ? n < x : cmp === 'le' ? n <= x : cmp === 'gt' ? n > x : n >= x) return true;
        }
        return false;
      };
    }
    case 'date': {
      const times = raw.map((x) => {
        const t = parseConditionDate(String(x));
        if (t === undefined) throw new PolicyGrammarError(`${where}: ${JSON.stringify(x)} is not a date (ISO 8601 or epoch seconds)`);
        return t;
      });
      const cmp = spec.cmp ?? 'eq';
      return (v) => {
        const n = parseConditionDate(v);
        if (n === undefined) return false;
        for (const x of times) {
          if (cmp === 'eq' ? n === x : cmp === 'lt' ? n < x : cmp === 'le' ? n <= x : cmp === 'gt' ? n > x : n >= x) return true;
        }
        return false;
      };
    }
    case 'ip': {
      const blocks = raw.map((x) => {
        const c = parseCidr(String(x));
        if (c === undefined) throw new PolicyGrammarError(`${where}: ${JSON.stringify(x)} is not an IP address or CIDR block`);
        return c;
      });
      return (v) => {
        const a = parseCidr(v);
        if (a === undefined || a.prefix !== a.width) return false;
        return blocks.some((b) => b.width === a.width && a.bits >> BigInt(b.width - b.prefix) === b.bits >> BigInt(b.width - b.prefix));
      };
    }
    case 'binary': {
      const values = raw.map(String);
      for (const x of values) if (!BASE64.test(x) || x.length === 0) throw new PolicyGrammarError(`${where}: ${JSON.stringify(x)} is not base64`);
      const set = new Set(values);
      return (v) => set.has(v);
    }
    case 'null': {
      // Null is handled via onMissing; when the key is present the result is whether
      // "false" was among the values.
      const wantsPresent = raw.some((x) => boolWord(x, where) === 'false');
      return () => wantsPresent;
    }
  }
}

function compileCondition(operator: string, block: unknown, where: string): CompiledCondition[] {
  let name = operator;
  let setMode: SetMode = 'none';
  if (name.startsWith('ForAnyValue:')) {
    setMode = 'any';
    name = name.slice('ForAnyValue:'.length);
  } else if (name.startsWith('ForAllValues:')) {
    setMode = 'all';
    name = name.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (name.endsWith('IfExists')) {
    ifExists = true;
    name = name.slice(0, -'IfExists'.length);
  }
  const spec = OPERATORS.get(name);
  if (spec === undefined) throw new PolicyGrammarError(`${where}: unsupported condition operator "${operator}"`);
  if (spec.family === 'null' && (ifExists || setMode !== 'none')) {
    throw new PolicyGrammarError(`${where}: condition operator "${operator}" is not valid (Null takes no IfExists suffix or set prefix)`);
  }
  if (!isObject(block) || Object.keys(block).length === 0) {
    throw new PolicyGrammarError(`${where}: condition operator "${operator}" needs a non-empty object of key → value(s)`);
  }

  const out: CompiledCondition[] = [];
  for (const [key, value] of Object.entries(block)) {
    const kw = `${where}.${operator}["${key}"]`;
    if (key.length === 0) throw new PolicyGrammarError(`${kw}: empty condition key`);
    checkNoVariable(key, kw, true);
    const list: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
    if (list.length === 0) throw new PolicyGrammarError(`${kw}: empty value list`);
    const raw: (string | boolean | number)[] = [];
    for (const v of list) {
      if (typeof v !== 'string' && typeof v !== 'boolean' && typeof v !== 'number') {
        throw new PolicyGrammarError(`${kw}: condition values must be strings, booleans or numbers, got ${JSON.stringify(v)}`);
      }
      if (typeof v === 'string') checkNoVariable(v, kw);
      raw.push(v);
    }
    const matchOne = buildMatchOne(spec, raw, kw);
    let onMissing: boolean;
    if (spec.family === 'null') onMissing = raw.some((x) => boolWord(x, kw) === 'true');
    else if (ifExists) onMissing = true;
    else if (setMode === 'all') onMissing = true; // vacuously true
    else if (setMode === 'any') onMissing = false;
    else onMissing = spec.negated; // AWS: a negated operator on an absent key is true
    const equals = spec.family === 'string' && raw.length === 1 ? intern(String(raw[0])) : undefined;
    const literals = spec.family === 'string' ? raw.map(String) : undefined;
    out.push({ operator, key: intern(key.toLowerCase()), setMode, negated: spec.negated, onMissing, matchOne, equals, literals });
  }
  return out;
}

/**
 * A probe's added context keys (see evaluatePoliciesFor): a Record as derive takes it, looked up
 * before the caller's prepared context, as derive's copy would read (an added key replaces one of
 * the same name, the last of two that differ only in case wins). Undefined: nothing added.
 */
type Extra = Readonly<Record<string, string>> | undefined;

// Lower-cased context keys of probes, so a lookup lower-cases no key twice: a probe's keys are a few
// constants (s3:prefix, kms:EncryptionContext:...), and toLowerCase allocates even when it changes nothing.
const lowerKeys = new Map<string, string>();

function lowerKey(key: string): string {
  let lk = lowerKeys.get(key);
  if (lk === undefined) {
    lk = key.toLowerCase();
    if (lowerKeys.size >= ACTION_CACHE_LIMIT) lowerKeys.clear();
    lowerKeys.set(key, lk);
  }
  return lk;
}

/** The value of the lower-cased `key` among a probe's added keys, or undefined when none is it. */
function extraValue(extra: Readonly<Record<string, string>>, key: string): string | undefined {
  let found: string | undefined;
  for (const k in extra) if (hasOwn(extra, k) && lowerKey(k) === key) found = extra[k];
  return found;
}

/** Throws as derive does on a bad action, resource or added context value. */
function checkProbe(action: string, resource: string, extra: Extra): void {
  if (typeof action !== 'string' || action.length === 0) throw new TypeError('request.action must be a non-empty string');
  if (typeof resource !== 'string') throw new TypeError('request.resource must be a string');
  if (extra !== undefined) {
    for (const key in extra) {
      if (hasOwn(extra, key) && typeof extra[key] !== 'string') throw new TypeError(`request.context["${key}"] must be a string or a list of strings`);
    }
  }
}

function conditionHolds(c: CompiledCondition, ctx: ReadonlyMap<string, readonly string[]>, extra: Extra): boolean {
  if (extra !== undefined) {
    // An added key holds one value: the single-value test below.
    const v = extraValue(extra, c.key);
    if (v !== undefined) {
      const eq = c.equals;
      return (eq !== undefined ? v === eq : c.matchOne(v)) !== c.negated;
    }
  }
  const values = ctx.get(c.key);
  if (values === undefined) return c.onMissing;
  const neg = c.negated;
  const matchOne = c.matchOne;
  if (values.length === 1) {
    // With a single context value every set mode reduces to "does it match, negated or not".
    const v = values[0] as string;
    const eq = c.equals;
    return (eq !== undefined ? v === eq : matchOne(v)) !== neg;
  }
  switch (c.setMode) {
    case 'all':
      // every request value must satisfy the (possibly negated) single-value test
      for (const v of values) if (matchOne(v) === neg) return false;
      return true;
    case 'any':
      for (const v of values) if (matchOne(v) !== neg) return true;
      return false;
    case 'none': {
      let hit = false;
      for (const v of values) {
        if (matchOne(v)) {
          hit = true;
          break;
        }
      }
      return hit !== neg;
    }
  }
}

// ---------------------------------------------------------------------------
// Statements and policies
// ---------------------------------------------------------------------------

export interface CompiledStatement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly deny: boolean;
  /** Lower-cased action patterns; see `actionNegated` for NotAction. */
  readonly actions: PatternSet;
  readonly actionNegated: boolean;
  /** undefined: no Resource/NotResource element → any resource. */
  readonly resources: PatternSet | undefined;
  readonly resourceNegated: boolean;
  /** undefined: no Principal/NotPrincipal element (identity policy statement). */
  readonly principals: PrincipalMatcher | undefined;
  readonly principalNegated: boolean;
  readonly conditions: readonly CompiledCondition[];
}

const NO_STATEMENTS: readonly CompiledStatement[] = [];
/** Bound on the per-policy action memo so a caller feeding unbounded distinct actions cannot leak. */
const ACTION_CACHE_LIMIT = 10_000;

export class CompiledPolicy {
  /** Some statement has Principal/NotPrincipal (not allowed in identity policies). */
  readonly hasPrincipalStatements: boolean;
  /** Some statement lacks Principal/NotPrincipal (not allowed in resource policies). */
  readonly hasPrincipallessStatements: boolean;
  private readonly byAction = new Map<string, readonly CompiledStatement[]>();
  // One-entry front cache: callers typically evaluate the same action many times in a row.
  private lastAction: string | undefined;
  private lastStatements: readonly CompiledStatement[] = NO_STATEMENTS;

  /** @internal use compilePolicy() */
  constructor(
    readonly source: PolicyDocument,
    readonly statements: readonly CompiledStatement[],
  ) {
    this.hasPrincipalStatements = statements.some((s) => s.principals !== undefined);
    this.hasPrincipallessStatements = statements.some((s) => s.principals === undefined);
  }

  #principalTagKeys: ReadonlySet<string> | undefined;

  /**
   * The tag keys (lower-cased) of the `aws:PrincipalTag/<key>` condition keys its statements test:
   * a proof asks it only where a caller's tags are not all shown. Computed on first use.
   */
  get principalTagKeys(): ReadonlySet<string> {
    if (this.#principalTagKeys === undefined) {
      const keys = new Set<string>();
      for (const s of this.statements) for (const c of s.conditions) if (c.key.startsWith(PRINCIPAL_TAG)) keys.add(c.key.slice(PRINCIPAL_TAG.length));
      this.#principalTagKeys = keys;
    }
    return this.#principalTagKeys;
  }

  /**
   * The tag keys (lower-cased) of the `aws:PrincipalTag/<key>` conditions of its Deny statements that
   * refuse `req`: what an ABAC Deny asks of that caller (a Deny for other actions or resources, or
   * one that does not hold, asks nothing of it).
   */
  refusingPrincipalTagKeys(req: Request | PreparedRequest): Set<string> {
    const r = prepared(req);
    const keys = new Set<string>();
    for (const s of this.statementsFor(r.action)) {
      if (!s.deny || !statementMatches(s, r, r.resource, undefined)) continue;
      for (const c of s.conditions) if (c.key.startsWith(PRINCIPAL_TAG)) keys.add(c.key.slice(PRINCIPAL_TAG.length));
    }
    return keys;
  }

  /**
   * Sets `allowed[i]` where an Allow statement's Action/NotAction covers `lowerActions[i]` (lower-cased
   * action names), as `statementsFor(action).some((s) => !s.deny)` would, in one pass over the
   * statements and without statementsFor's memo: RF717's index asks this once per policy of each of
   * the fleet's roles (1,000 roles, eight ECR actions: 8,000 memo entries read once each).
   */
  markAllowed(lowerActions: readonly string[], allowed: boolean[]): void {
    const statements = this.statements;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!;
      if (s.deny) continue;
      for (let k = 0; k < lowerActions.length; k++) if (!allowed[k] && s.actions.test(lowerActions[k]!) !== s.actionNegated) allowed[k] = true;
    }
  }

  /** Statements whose Action/NotAction covers `action` (memoised by the exact action string). */
  statementsFor(action: string): readonly CompiledStatement[] {
    if (action === this.lastAction) return this.lastStatements;
    let hit = this.byAction.get(action);
    if (hit === undefined) hit = this.lookup(action);
    this.lastAction = action;
    this.lastStatements = hit;
    return hit;
  }

  private lookup(action: string): readonly CompiledStatement[] {
    const lower = action.toLowerCase(); // IAM action names are case-insensitive
    const found: CompiledStatement[] = [];
    const statements = this.statements;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!;
      if (s.actions.test(lower) !== s.actionNegated) found.push(s);
    }
    const hit = found.length === 0 ? NO_STATEMENTS : found;
    if (this.byAction.size >= ACTION_CACHE_LIMIT) this.byAction.clear();
    this.byAction.set(action, hit);
    return hit;
  }
}

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION_SYNTAX = /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/;

/**
 * A value known only after apply (a created cluster's issuer) appears in a policy as a Terraform
 * symbol: a bare reference such as `${local.eks_oidc_devops}`, never a function call or directive.
 * Terraform replaces every occurrence of one symbol with the same text, so the evaluator treats
 * it as an opaque literal: it is equal to itself and to nothing else. That is sound where the
 * substituted text has no wildcard, quote or brace (an issuer host path has none), which is why
 * symbols are accepted only in Federated principals and condition keys, the two places an issuer
 * goes. IAM policy variables (`${aws:username}`) stay unsupported everywhere.
 */
export const TERRAFORM_SYMBOL = /^\$\{(local\.[a-z_][a-z0-9_-]*|[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*\.[a-z_]+)\}$/;

/** The Terraform symbols in a policy string, in order of appearance. */
export function symbolsIn(s: string): string[] {
  return [...s.matchAll(/\$\{[^}]*\}/g)].map((m) => m[0]);
}

function checkNoVariable(s: string, where: string, symbolsAllowed = false): void {
  if (s.includes('%{')) throw new PolicyGrammarError(`${where}: template directives are not supported ("${s}")`);
  if (!s.includes('${')) return;
  for (const sym of symbolsIn(s)) {
    if (symbolsAllowed && TERRAFORM_SYMBOL.test(sym)) continue;
    throw new PolicyGrammarError(
      symbolsAllowed && !sym.includes(':')
        ? `${where}: ${sym} is not a bare Terraform reference (use a local value that holds the expression)`
        : `${where}: policy variables are not supported ("${s}")`,
    );
  }
  // `$${` (an escaped literal) or an unclosed `${` would make the applied text differ from the proven one.
  if (s.replace(/\$\{[^}]*\}/g, '').includes('${') || s.includes('$${')) throw new PolicyGrammarError(`${where}: malformed Terraform interpolation in "${s}"`);
}

function stringList(x: unknown, where: string): string[] {
  const list: unknown[] = Array.isArray(x) ? (x as unknown[]) : [x];
  if (list.length === 0) throw new PolicyGrammarError(`${where}: empty list`);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'string' || v.length === 0) throw new PolicyGrammarError(`${where}: expected non-empty strings, got ${JSON.stringify(v)}`);
  }
  return list as string[];
}

function compileStatement(st: unknown, index: number): CompiledStatement {
  let where = `Statement[${index}]`;
  if (!isObject(st)) throw new PolicyGrammarError(`${where}: must be an object`);
  const sid = st.Sid;
  if (sid !== undefined && typeof sid !== 'string') throw new PolicyGrammarError(`${where}: Sid must be a string`);
  if (sid !== undefined) where += ` (Sid "${sid}")`;
  for (const k in st) {
    if (hasOwn(st, k) && !STATEMENT_KEYS.has(k)) throw new PolicyGrammarError(`${where}: unknown element "${k}"`);
  }

  if (st.Effect === undefined) throw new PolicyGrammarError(`${where}: missing Effect`);
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicyGrammarError(`${where}: Effect must be "Allow" or "Deny", got ${JSON.stringify(st.Effect)}`);

  if (st.Action !== undefined && st.NotAction !== undefined) throw new PolicyGrammarError(`${where}: Action and NotAction are both set`);
  if (st.Action === undefined && st.NotAction === undefined) throw new PolicyGrammarError(`${where}: missing Action or NotAction`);
  const actionNegated = st.Action === undefined;
  const actionElem = actionNegated ? 'NotAction' : 'Action';
  const actionWhere = `${where}.${actionElem}`;
  const actions = stringList(actionNegated ? st.NotAction : st.Action, actionWhere);
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    checkNoVariable(a, actionWhere);
    if (a !== '*' && !ACTION_SYNTAX.test(a)) throw new PolicyGrammarError(`${actionWhere}: "${a}" is not of the form service:action`);
  }

  if (st.Resource !== undefined && st.NotResource !== undefined) throw new PolicyGrammarError(`${where}: Resource and NotResource are both set`);
  let resources: PatternSet | undefined;
  const resourceNegated = st.NotResource !== undefined;
  const resourceRaw = resourceNegated ? st.NotResource : st.Resource;
  if (resourceRaw !== undefined) {
    const elem = `${where}.${resourceNegated ? 'NotResource' : 'Resource'}`;
    const list = stringList(resourceRaw, elem);
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      checkNoVariable(r, elem);
      if (r !== '*' && !r.startsWith('arn:')) throw new PolicyGrammarError(`${elem}: "${r}" is neither "*" nor an ARN`);
    }
    resources = globSet(list, false); // ARNs are case-sensitive
  }

  if (st.Principal !== undefined && st.NotPrincipal !== undefined) throw new PolicyGrammarError(`${where}: Principal and NotPrincipal are both set`);
  const principalNegated = st.NotPrincipal !== undefined;
  const principalRaw: unknown = principalNegated ? st.NotPrincipal : st.Principal;
  const principals =
    principalRaw === undefined ? undefined : compilePrincipal(principalRaw, `${where}.${principalNegated ? 'NotPrincipal' : 'Principal'}`);

  const conditions: CompiledCondition[] = [];
  if (st.Condition !== undefined) {
    if (!isObject(st.Condition)) throw new PolicyGrammarError(`${where}.Condition: must be an object`);
    const condition = st.Condition;
    for (const op in condition) {
      if (!hasOwn(condition, op)) continue;
      const compiled = compileCondition(op, condition[op], `${where}.Condition`);
      for (let i = 0; i < compiled.length; i++) conditions.push(compiled[i]!);
    }
  }

  return {
    index,
    sid,
    deny: st.Effect === 'Deny',
    actions: statementActionSet(actions),
    actionNegated,
    resources,
    resourceNegated,
    principals,
    principalNegated,
    conditions,
  };
}

/**
 * Validate a policy document and compile it for fast repeated evaluation.
 * @throws PolicyGrammarError for anything outside the supported grammar.
 */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  const d: unknown = doc;
  if (!isObject(d)) throw new PolicyGrammarError('policy document must be an object');
  for (const k of Object.keys(d)) {
    if (k !== 'Version' && k !== 'Statement' && k !== 'Id') throw new PolicyGrammarError(`policy document: unknown element "${k}"`);
  }
  if (d.Version !== undefined && d.Version !== '2012-10-17' && d.Version !== '2008-10-17') {
    throw new PolicyGrammarError(`policy document: unsupported Version ${JSON.stringify(d.Version)}`);
  }
  if (d.Statement === undefined) throw new PolicyGrammarError('policy document: missing Statement');
  const raw: unknown[] = Array.isArray(d.Statement) ? (d.Statement as unknown[]) : [d.Statement];
  if (raw.length === 0) throw new PolicyGrammarError('policy document: Statement list is empty');
  return new CompiledPolicy(doc, raw.map(compileStatement));
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

type Outcome = 'none' | 'allow' | 'deny';

/** Whether a statement matches `r`'s principal and context (with `extra` added) asking on `resource`. */
function statementMatches(s: CompiledStatement, r: PreparedRequest, resource: string, extra: Extra): boolean {
  const p = s.principals;
  if (p !== undefined && p.matches(r) === s.principalNegated) return false;
  const res = s.resources;
  if (res !== undefined && res.test(resource) === s.resourceNegated) return false;
  const ctx = r.context;
  const conditions = s.conditions;
  for (let i = 0; i < conditions.length; i++) if (!conditionHolds(conditions[i]!, ctx, extra)) return false;
  return true;
}

/**
 * Deny short-circuits; Allow checks are skipped once something already allowed. `r` is the caller
 * (its principal and context), asking `action` on `resource` with `extra` added to its context.
 */
function scan(policy: CompiledPolicy, r: PreparedRequest, action: string, resource: string, extra: Extra, needAllow: boolean): Outcome {
  let out: Outcome = 'none';
  const statements = policy.statementsFor(action);
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    if (s.deny) {
      if (statementMatches(s, r, resource, extra)) return 'deny';
    } else if (needAllow && statementMatches(s, r, resource, extra)) {
      out = 'allow';
      needAllow = false;
    }
  }
  return out;
}

/** Why a compiled policy cannot be used as that kind of policy, or undefined when it can. */
export function policyKindProblem(policy: CompiledPolicy, kind: 'identity' | 'resource'): string | undefined {
  if (kind === 'identity') return policy.hasPrincipalStatements ? 'identity policy must not contain Principal/NotPrincipal' : undefined;
  return policy.hasPrincipallessStatements ? 'resource policy statement without Principal/NotPrincipal' : undefined;
}

function checkKind(policy: CompiledPolicy, kind: 'identity' | 'resource'): void {
  const problem = policyKindProblem(policy, kind);
  if (problem !== undefined) throw new PolicyGrammarError(problem);
}

export interface PolicySet {
  /** Identity-based policies attached to the caller; must not contain Principal. */
  identity?: readonly CompiledPolicy[];
  /** Resource-based policies (trust policies, bucket policies); every statement needs Principal/NotPrincipal. */
  resource?: readonly CompiledPolicy[];
}

/**
 * Single-account evaluation: a matching Deny in any policy → 'explicit-deny'; else a
 * matching Allow in any identity or resource policy → 'allow'; else 'implicit-deny'.
 *
 * `req` may be a plain Request or a PreparedRequest. A plain request is prepared on each call
 * (the last one is remembered by object identity, so do not mutate a request after evaluating
 * it); in hot loops, call prepareRequest() yourself and pass the result.
 * @throws PolicyGrammarError if an identity policy has a Principal or a resource-policy statement lacks one.
 */
export function evaluatePolicies(policies: PolicySet, req: Request | PreparedRequest): Decision {
  const r = prepared(req);
  return decide(policies, r, r.action, r.resource, undefined);
}

/**
 * `evaluatePolicies(policies, caller.derive(action, resource, context))`, decided without deriving:
 * no request object and no copy of the caller's context per probe (the added keys are read before
 * the caller's context). For proofs that ask many actions and resources of one prepared caller.
 */
export function evaluatePoliciesFor(policies: PolicySet, caller: PreparedRequest, action: string, resource: string, context?: Readonly<Record<string, string>>): Decision {
  checkProbe(action, resource, context);
  return decide(policies, caller, action, resource, context);
}

function decide(policies: PolicySet, r: PreparedRequest, action: string, resource: string, extra: Extra): Decision {
  let allowed = false;
  const identity = policies.identity;
  if (identity !== undefined) {
    for (let i = 0; i < identity.length; i++) {
      const p = identity[i]!;
      checkKind(p, 'identity');
      const o = scan(p, r, action, resource, extra, !allowed);
      if (o === 'deny') return 'explicit-deny';
      if (o === 'allow') allowed = true;
    }
  }
  const resourcePolicies = policies.resource;
  if (resourcePolicies !== undefined) {
    for (let i = 0; i < resourcePolicies.length; i++) {
      const p = resourcePolicies[i]!;
      checkKind(p, 'resource');
      const o = scan(p, r, action, resource, extra, !allowed);
      if (o === 'deny') return 'explicit-deny';
      if (o === 'allow') allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** Whether something holds: for every value of the tags not shown, for some only, or for none. */
export type OverTags = 'sure' | 'maybe' | 'no';

/** Whether one of two things holds (each over the tags not shown). */
export function eitherOverTags(x: OverTags, y: OverTags): OverTags {
  return x === 'sure' || y === 'sure' ? 'sure' : x === 'no' && y === 'no' ? 'no' : 'maybe';
}

/** Whether both hold (each over the tags not shown). */
export function bothOverTags(x: OverTags, y: OverTags): OverTags {
  return x === 'no' || y === 'no' ? 'no' : x === 'sure' && y === 'sure' ? 'sure' : 'maybe';
}

/**
 * Whether an Allow and whether a Deny of `policies` match `req` over every value of the caller's tags
 * `keys` (lower-cased `aws:PrincipalTag/<key>` keys whose values the documents do not show; the
 * request carries none of them), and of the condition keys `conditionKeys` (whole, lower-cased: the
 * tags of the resource asked about, `ssm:resourcetag/<key>`, whose values are not shown either). A
 * statement that tests one of the keys is taken as possibly matching. The parts a caller combines
 * where one policy set is not the whole decision (a KMS key policy, which decides whether IAM grants
 * count at all).
 */
export function matchesOverTags(policies: PolicySet, req: Request | PreparedRequest, keys: ReadonlySet<string>, conditionKeys?: ReadonlySet<string>): { allow: OverTags; deny: OverTags } {
  const r = prepared(req);
  return overTagsOf(policies, r, r.action, r.resource, undefined, keys, conditionKeys);
}

/** `matchesOverTags(policies, caller.derive(action, resource, context), keys, conditionKeys)` without deriving (see evaluatePoliciesFor). */
export function matchesOverTagsFor(policies: PolicySet, caller: PreparedRequest, action: string, resource: string, context: Readonly<Record<string, string>> | undefined, keys: ReadonlySet<string>, conditionKeys?: ReadonlySet<string>): { allow: OverTags; deny: OverTags } {
  checkProbe(action, resource, context);
  return overTagsOf(policies, caller, action, resource, context, keys, conditionKeys);
}

function overTagsOf(policies: PolicySet, r: PreparedRequest, action: string, resource: string, extra: Extra, keys: ReadonlySet<string>, conditionKeys: ReadonlySet<string> | undefined): { allow: OverTags; deny: OverTags } {
  let allow: OverTags = 'no';
  let deny: OverTags = 'no';
  for (const p of [...(policies.identity ?? []), ...(policies.resource ?? [])]) {
    for (const s of p.statementsFor(action)) {
      const m = matchOverTags(s, r, resource, extra, keys, conditionKeys);
      if (m === 'no') continue;
      if (s.deny) {
        if (m === 'sure') return { allow, deny: 'sure' };
        deny = 'maybe';
      } else if (m === 'sure') allow = 'sure';
      else if (allow === 'no') allow = 'maybe';
    }
  }
  return { allow, deny };
}

/**
 * The decision over every value of the caller's tags `keys` (lower-cased `aws:PrincipalTag/<key>`
 * keys whose values the documents do not show; the request carries none of them):
 * - 'allow': allowed whatever those tags are (an Allow holds that tests none of them, and no Deny tests them);
 * - 'deny': refused whatever they are (a Deny holds that tests none of them, or no Allow could hold);
 * - 'either': it turns on their values.
 * A statement that tests one of the keys (or of `conditionKeys`, as matchesOverTags takes them) is
 * taken as possibly holding: the answer never claims more than the documents show.
 */
export function decisionOverTags(policies: PolicySet, req: Request | PreparedRequest, keys: ReadonlySet<string>, conditionKeys?: ReadonlySet<string>): 'allow' | 'deny' | 'either' {
  return overTagsDecision(matchesOverTags(policies, req, keys, conditionKeys));
}

/** `decisionOverTags(policies, caller.derive(action, resource, context), keys, conditionKeys)` without deriving (see evaluatePoliciesFor). */
export function decisionOverTagsFor(policies: PolicySet, caller: PreparedRequest, action: string, resource: string, context: Readonly<Record<string, string>> | undefined, keys: ReadonlySet<string>, conditionKeys?: ReadonlySet<string>): 'allow' | 'deny' | 'either' {
  return overTagsDecision(matchesOverTagsFor(policies, caller, action, resource, context, keys, conditionKeys));
}

/** The decision of an Allow and a Deny, each over the tags not shown (matchesOverTags). */
export function overTagsDecision(m: { allow: OverTags; deny: OverTags }): 'allow' | 'deny' | 'either' {
  if (m.deny === 'sure' || m.allow === 'no') return 'deny';
  return m.allow === 'sure' && m.deny === 'no' ? 'allow' : 'either';
}

/** Whether a statement matches: surely, only for some values of the tags `keys` (and condition keys `conditionKeys`), or not at all. */
function matchOverTags(s: CompiledStatement, r: PreparedRequest, resource: string, extra: Extra, keys: ReadonlySet<string>, conditionKeys: ReadonlySet<string> | undefined): 'sure' | 'maybe' | 'no' {
  const p = s.principals;
  if (p !== undefined && p.matches(r) === s.principalNegated) return 'no';
  const res = s.resources;
  if (res !== undefined && res.test(resource) === s.resourceNegated) return 'no';
  let out: 'sure' | 'maybe' = 'sure';
  for (const c of s.conditions) {
    if ((c.key.startsWith(PRINCIPAL_TAG) && keys.has(c.key.slice(PRINCIPAL_TAG.length))) || conditionKeys?.has(c.key) === true) out = 'maybe';
    else if (!conditionHolds(c, r.context, extra)) return 'no';
  }
  return out;
}

const compiledCache = new WeakMap<PolicyDocument, CompiledPolicy>();

/**
 * Evaluate one policy. A raw PolicyDocument is compiled once and cached by object
 * identity (do not mutate it afterwards).
 */
export function evaluate(doc: PolicyDocument | CompiledPolicy, req: Request | PreparedRequest, kind: 'identity' | 'resource'): Decision {
  const policy = compiled(doc);
  checkKind(policy, kind);
  const r = prepared(req);
  return decideOne(policy, r, r.action, r.resource, undefined);
}

/** `evaluate(doc, caller.derive(action, resource, context), kind)` without deriving (see evaluatePoliciesFor). */
export function evaluateFor(doc: PolicyDocument | CompiledPolicy, caller: PreparedRequest, action: string, resource: string, context: Readonly<Record<string, string>> | undefined, kind: 'identity' | 'resource'): Decision {
  checkProbe(action, resource, context);
  const policy = compiled(doc);
  checkKind(policy, kind);
  return decideOne(policy, caller, action, resource, context);
}

function decideOne(policy: CompiledPolicy, r: PreparedRequest, action: string, resource: string, extra: Extra): Decision {
  const o = scan(policy, r, action, resource, extra, true);
  return o === 'deny' ? 'explicit-deny' : o === 'allow' ? 'allow' : 'implicit-deny';
}

function compiled(doc: PolicyDocument | CompiledPolicy): CompiledPolicy {
  let policy: CompiledPolicy;
  if (doc instanceof CompiledPolicy) {
    policy = doc;
  } else {
    const cached = compiledCache.get(doc);
    if (cached === undefined) {
      policy = compilePolicy(doc);
      compiledCache.set(doc, policy);
    } else {
      policy = cached;
    }
  }
  return policy;
}
