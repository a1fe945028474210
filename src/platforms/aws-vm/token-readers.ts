import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import type { Statement } from '../../verify/iam/types.js';
import { actionPatterns, evaluatePolicies, prepareRequest, type PolicySet, type PreparedRequest } from '../../verify/iam/evaluator.js';
import { awsFacts, roleArn, type RoleFacts } from '../../verify/aws-docs.js';
import { findBy } from '../../model/lookup.js';
import { names, vmSpec } from './common.js';
import { adviceThenRegenerate } from '../../spec/findings.js';

/**
 * Who else can read a runner's token: the VM runners keep their `glrt-` token in a SecureString
 * parameter, and only the runner's manager (and the token rotator, proven apart: RF125–RF127) may
 * read it. Every other role of the AWS root is tried — job roles, GitLab ID-token roles, the
 * managers of other runners, task execution and node roles. A reader needs a read action
 * (ssm:GetParameter, GetParameters, GetParameterHistory on the parameter, or GetParametersByPath
 * on one of its ancestor paths: with Recursive, access to a path reaches every level below it,
 * whatever is denied on the parameter itself) and, with a customer-managed key, kms:Decrypt with
 * it through SSM for that parameter. With the AWS managed key aws/ssm, SSM decrypts for any caller
 * of the account that may read the parameter, so reading is enough.
 *
 * Deploy targets are not tried: they live in other accounts (resolve refuses the fleet's own), and
 * a parameter has no resource policy, so another account reads it only if it is shared through AWS
 * RAM, which runner-fleet never does.
 *
 * Linear in fleet size: each role is probed once against a stand-in parameter under the prefix
 * all token parameters share (a grant on `*` or on the prefix reaches every runner: RF721 once,
 * for the role); grants that name one runner's parameter (or a pattern under the prefix that
 * misses the stand-in, or a Deny that leaves one parameter out) are indexed by the literal text
 * before their first wildcard, so each runner evaluates only the roles whose statements could
 * name its parameter, and its own job role.
 */

const READ_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory'] as const;
const BY_PATH = 'ssm:GetParametersByPath';
const PROBE_RUNNER = 'runner-fleet-probe';

interface Candidate {
  role: RoleFacts;
  arn: string;
  /** Who the role is, for messages, and where its grant is written. */
  label: string;
  path: string;
  fix: string;
  deploymentFix?: string;
  caller: PreparedRequest;
  policies: PolicySet;
  /**
   * The read actions some Allow statement of the role covers: only those can be allowed, so only
   * those are evaluated (a role without any is never a reader, and costs no evaluation).
   */
  actions: ReadonlySet<string>;
}

interface TokenReaders {
  /** The parameter path every token parameter is under (`/runner-fleet/<fleet>/`). */
  prefix: string;
  /** Every role of the root but the rotator's: the roles tried. */
  tried: Set<string>;
  /** Those of them some Allow statement grants a read action: the only ones that can read. */
  roles: Candidate[];
  byName: Map<string, Candidate>;
  /** The rotator's role names: they may read the tokens they rotate. */
  rotators: Set<string>;
  /** Roles whose permissions are not all in the documents. */
  unknown: string[];
  /** Wide readers by token key ('' is aws/ssm): roles that read the stand-in parameter. */
  wide: Map<string, { candidate: Candidate; actions: string[] }[]>;
  /** Literal resource text → roles that name it (exact ARNs, and the literal start of a wildcard). */
  exact: Map<string, Set<Candidate>>;
  prefixes: Map<string, Set<Candidate>>;
  /** The lengths of the keys of `prefixes`: each runner looks up its ARN cut at those only. */
  prefixLengths: number[];
  /** Roles with a statement no index holds (an Allow with NotResource): tried for every runner. */
  everywhere: Set<Candidate>;
}

const cache = new WeakMap<FleetDocuments, WeakMap<FleetIntent, TokenReaders | null>>();

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

/** A plain glob test (`*` and `?` match anything): wide enough to pick candidates, never to decide. */
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

function parameterArn(fleet: FleetIntent, name: string): string {
  const a = fleet.aws!;
  return `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** The ARNs GetParametersByPath is asked on to reach `name`: `/`, then each directory above it. */
function ancestorArns(fleet: FleetIntent, name: string): string[] {
  const parts = name.split('/').filter((x) => x !== '');
  const out = [parameterArn(fleet, '/')];
  for (let i = 1; i < parts.length; i++) out.push(parameterArn(fleet, `/${parts.slice(0, i).join('/')}`));
  return out;
}

const WANTED = [...READ_ACTIONS, BY_PATH];
/** Statements are shared between roles (documents are parsed once per text): each is read once. */
const statementActionsCache = new WeakMap<object, readonly string[]>();

/** The read actions (of READ_ACTIONS and GetParametersByPath) a statement's Action or NotAction covers. */
function statementActions(st: Statement): readonly string[] {
  const hit = statementActionsCache.get(st);
  if (hit !== undefined) return hit;
  const strings = (v: unknown) => asList(v as string | string[] | undefined).filter((a): a is string => typeof a === 'string');
  let out: string[] = [];
  if (st.Action !== undefined) {
    // Most statements name other services: only a pattern for ssm (or a wildcard before its ':') can cover a read.
    const named = strings(st.Action).filter((a) => /^ssm:/i.test(a) || /^[^:]*[*?]/.test(a));
    const set = actionPatterns(named);
    out = WANTED.filter((a) => set.test(a.toLowerCase()));
  } else if (st.NotAction !== undefined) {
    const set = actionPatterns(strings(st.NotAction));
    out = WANTED.filter((a) => !set.test(a.toLowerCase()));
  }
  statementActionsCache.set(st, out);
  return out;
}

function analyse(docs: FleetDocuments, fleet: FleetIntent): TokenReaders | null {
  const facts = awsFacts(docs);
  const runners = fleet.runners.filter((r) => r.platformNames?.tokenParameter !== undefined);
  if (!facts || !fleet.aws || runners.length === 0) return null;
  const prefix = commonDirectory(runners.map(fleetDirectory));
  const standIn = `${prefix}${PROBE_RUNNER}/runner-token`;
  const standInArn = parameterArn(fleet, standIn);
  const rotators = new Set((fleet.idTokens?.roles ?? []).filter((r) => r.cloud === 'aws' && r.rotator !== undefined).map((r) => r.roleName));

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
      label: `the ID-token role ${r.name}`,
      path: /^idTokens\.roles\[\d+\]$/.test(r.path) ? `${r.path}.permissions.aws` : r.path,
      fix: `scope the SSM grant of ID-token role ${r.name} to the parameters it needs: no ssm:GetParameter* (or GetParametersByPath) on * or on the runner token parameters under ${prefix}`,
    });
  }

  const a = fleet.aws;
  const roles: Candidate[] = [];
  const tried = new Set<string>();
  const byName = new Map<string, Candidate>();
  const unknown: string[] = [];
  const exact = new Map<string, Set<Candidate>>();
  const prefixes = new Map<string, Set<Candidate>>();
  const everywhere = new Set<Candidate>();
  const add = (map: Map<string, Set<Candidate>>, k: string, c: Candidate) => {
    const s = map.get(k);
    if (s) s.add(c);
    else map.set(k, new Set([c]));
  };
  for (const role of facts.roles.values()) {
    if (rotators.has(role.name)) continue;
    tried.add(role.name);
    if (role.unknownPolicies.length > 0) unknown.push(role.name);
    const statements = role.policies.flatMap((doc) => asList(doc?.Statement)).filter((st): st is Statement => st !== null && typeof st === 'object');
    const allowed = new Set(statements.flatMap((st) => (st.Effect === 'Allow' ? statementActions(st) : [])));
    if (allowed.size === 0) continue;
    const arn = roleArn(a.partition, a.accountId, role.path, role.name);
    const w = who.get(role.name);
    const c: Candidate = {
      role,
      arn,
      label: `${w?.label ?? 'role'} ${role.name} (aws_iam_role.${role.key})`,
      path: w?.path ?? '',
      fix: w?.fix ?? `grant role ${role.name} no ssm:GetParameter* (or GetParametersByPath) on * or on the runner token parameters under ${prefix}`,
      ...(w?.deploymentFix !== undefined ? { deploymentFix: w.deploymentFix } : {}),
      caller: prepareRequest({ principal: { type: 'AWS', id: arn }, action: READ_ACTIONS[0], resource: standInArn }),
      policies: { identity: role.policiesCompiled },
      actions: allowed,
    };
    roles.push(c);
    byName.set(role.name, c);
    // Index what could name one runner's parameter: Allow resources, and the holes a Deny leaves.
    for (const st of statements) {
      if (statementActions(st).length === 0) continue;
      const patterns = st.Effect === 'Allow' ? st.Resource : st.Effect === 'Deny' ? st.NotResource : undefined;
      if (st.Effect === 'Allow' && st.NotResource !== undefined) everywhere.add(c);
      for (const p of asList(patterns)) {
        if (typeof p !== 'string' || p === '*') continue;
        if (!hasWildcard(p)) add(exact, p, c);
        // A pattern that covers the stand-in is decided by the stand-in probe; the others name a part of the fleet.
        else if (!globMatches(p, standInArn)) add(prefixes, p.slice(0, p.search(/[*?]/)), c);
      }
    }
  }
  return { prefix, tried, roles, byName, rotators, unknown, wide: new Map(), exact, prefixes, prefixLengths: [...new Set([...prefixes.keys()].map((k) => k.length))], everywhere };
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

function tokenKey(fleet: FleetIntent, runner: IntentRunner): string | undefined {
  const cluster = fleet.clusters.find((c) => c.name === runner.cluster);
  return cluster ? vmSpec(cluster).tokenKmsKeyArn : undefined;
}

/** The read actions a role is allowed on one parameter (empty when it cannot decrypt it with the customer key). */
function reads(fleet: FleetIntent, c: Candidate, name: string, keyArn: string | undefined): string[] {
  const arn = parameterArn(fleet, name);
  const allow = (action: string, resource: string, context: Record<string, string> = {}) => evaluatePolicies(c.policies, c.caller.derive(action, resource, context)) === 'allow';
  const actions: string[] = READ_ACTIONS.filter((action) => c.actions.has(action) && allow(action, arn));
  const paths = c.actions.has(BY_PATH) ? ancestorArns(fleet, name).filter((p) => allow(BY_PATH, p)) : [];
  if (paths.length > 0) actions.push(`${BY_PATH} on ${paths[0]!.replace(/^.*:parameter/, '') || '/'}`);
  if (actions.length === 0 || keyArn === undefined) return actions;
  return allow('kms:Decrypt', keyArn, { 'kms:ViaService': `ssm.${fleet.aws!.region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': arn }) ? [...actions, `kms:Decrypt with ${keyArn}`] : [];
}

function wideReaders(fleet: FleetIntent, t: TokenReaders, keyArn: string | undefined) {
  const k = keyArn ?? '';
  let list = t.wide.get(k);
  if (!list) {
    const standIn = `${t.prefix}${PROBE_RUNNER}/runner-token`;
    list = t.roles.flatMap((candidate) => {
      const actions = reads(fleet, candidate, standIn, keyArn);
      return actions.length > 0 ? [{ candidate, actions }] : [];
    });
    t.wide.set(k, list);
  }
  return list;
}

function keyWords(keyArn: string | undefined): string {
  return keyArn === undefined ? 'the AWS managed key aws/ssm decrypts it for any caller of the account allowed to read it' : `it may decrypt with the token key ${keyArn} through SSM`;
}

/**
 * RF721 once per role that reads every token parameter (any stand-in under the shared prefix):
 * fleet-wide, so the findings do not grow with runners × roles.
 */
export function wideTokenReaderFindings(docs: FleetDocuments, fleet: FleetIntent): Finding[] {
  const t = readersOf(docs, fleet);
  if (!t) return [];
  const keys = [...new Set(fleet.runners.filter((r) => r.platformNames?.tokenParameter !== undefined).map((r) => tokenKey(fleet, r)))];
  const out: Finding[] = [];
  // A VM manager that reads every token parameter reads other runners' tokens: RF712 of its own
  // runner's token proof says so (and names the Deny it lacks); the other runners' proofs fail here.
  const managers = new Set(fleet.runners.filter((r) => r.platformNames?.tokenParameter !== undefined).flatMap((r) => {
    const m = findBy(fleet.identities, 'key', r.managerIdentity);
    return m?.cloud === 'aws' ? [m.roleName] : [];
  }));
  const said = new Set<Candidate>();
  for (const keyArn of keys) {
    for (const { candidate: c, actions } of wideReaders(fleet, t, keyArn)) {
      if (said.has(c) || managers.has(c.role.name)) continue;
      said.add(c);
      out.push({
        code: 'RF721',
        severity: CODES.RF721.severity,
        path: c.path,
        message: `${c.label} can read the token of every runner under ${t.prefix} (tried on a stand-in, ${t.prefix}${PROBE_RUNNER}/runner-token): ${actions.join(', ')}; ${keyWords(keyArn)}`,
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
  const claimOf = (tried: number, rotator: boolean) => `only the manager${rotator ? ' and the token rotator' : ''} can read the token parameter ${name} (${tried} other roles tried)`;
  if (!t) return { findings: [], claim: claimOf(0, false), holds: false };
  const keyArn = tokenKey(fleet, runner);
  const wide = wideReaders(fleet, t, keyArn).filter((w) => w.candidate.role.name !== managerRole);
  const wideRoles = new Set(wide.map((w) => w.candidate));
  // Candidates that could name this parameter: its own job role, and the indexed grants.
  const arn = parameterArn(fleet, name);
  const candidates = new Set<Candidate>(t.everywhere);
  const job = runner.jobIdentity !== undefined ? findBy(fleet.identities, 'key', runner.jobIdentity) : undefined;
  const jobCandidate = job?.cloud === 'aws' ? t.byName.get(job.roleName) : undefined;
  if (jobCandidate) candidates.add(jobCandidate);
  for (const text of [arn, ...ancestorArns(fleet, name)]) for (const c of t.exact.get(text) ?? []) candidates.add(c);
  for (const n of t.prefixLengths) if (n <= arn.length) for (const c of t.prefixes.get(arn.slice(0, n)) ?? []) candidates.add(c);
  const findings: Finding[] = [];
  for (const c of candidates) {
    if (c.role.name === managerRole || wideRoles.has(c)) continue;
    const actions = reads(fleet, c, name, keyArn);
    if (actions.length === 0) continue;
    findings.push({
      code: 'RF721',
      severity: CODES.RF721.severity,
      path: c.path,
      message: `${c.label} can read the token of runner ${runner.name} (its token parameter ${name}): ${actions.join(', ')}; ${keyWords(keyArn)}`,
      received: actions.join(', '),
      allowed: `runner ${runner.name}'s manager and the token rotator only`,
      fix: c.fix,
      ...(c.deploymentFix !== undefined ? { deploymentFix: c.deploymentFix } : {}),
    });
  }
  const tried = t.tried.size - (managerRole !== undefined && t.tried.has(managerRole) ? 1 : 0);
  const unknown = t.unknown.some((r) => r !== managerRole);
  return { findings, claim: claimOf(tried, t.rotators.size > 0), holds: findings.length === 0 && wide.length === 0 && !unknown };
}
