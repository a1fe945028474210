import type { DesiredRunner, RunnerScope } from './desired.js';
import { scopeKey } from './desired.js';
import { confirmsMarker, ownerText, parseMarker } from './marker.js';
import { correction, driftOf, type Drift } from './drift.js';
import { ManagerNotDeployedError, StoreConflictError, type StoredToken, type TokenStore } from './ports.js';
import type { GitLabClient, ListedRunner, NewToken, RunnerDetails, RunnerManager, VerifiedToken } from '../live/gitlab.js';
import { GitLabHttpError, OutcomeUnknownError, VERIFY_REFUSED, VERIFY_SYSTEM_ID } from '../live/gitlab.js';
import { backoffMs, DEFAULT_RETRY, type Timing } from '../live/retry.js';
import { isAccessRefused } from '../live/access.js';

/**
 * The operations: read GitLab and the token stores, plan, and (approved) act. Every step that may
 * be repeated after a fault is safe to repeat: creation is guarded by listing the marker,
 * deletion by re-reading the runner and confirming its marker, token resets by a `pending` note
 * in the store written before the reset.
 */

export type StepAction = 'create' | 'repair-token' | 'update' | 'deduplicate' | 'rotate' | 'restart-manager' | 'clear-restart-owed' | 'delete' | 'pause' | 'wait-for-jobs' | 'resume' | 'clear-token' | 'conflict';

export interface Step {
  runner: string;
  action: StepAction;
  id?: number;
  detail: string;
}

export interface StepResult extends Step {
  outcome: 'done' | 'skipped' | 'failed';
}

export interface ManagerStatus {
  systemId: string;
  version: string | null;
  platform: string | null;
  ipAddress: string | null;
  contactedAt: string | null;
  status: string | null;
  /**
   * The manager GitLab keeps for runner-fleet's own POST /runners/verify (system_id
   * VERIFY_SYSTEM_ID) where runner-fleet could not remove it after the check (a GitLab before
   * 16.0 has no DELETE /runners/managers): no process runs as it. Absent for the runner's real managers.
   */
  tokenCheck?: true;
}

export interface RunnerStatus {
  name: string;
  registration: 'terraform' | 'api';
  scope: string;
  registered: boolean;
  /** The runners carrying this entry's marker in its scope: the one kept (keeperOf; its details are shown) first, then any duplicates, ids ascending. */
  ids: number[];
  status: string | null;
  online: boolean | null;
  contactedAt: string | null;
  paused: boolean | null;
  /** When the runner's token expires, when known (tokenExpiry `expires`); null otherwise. */
  tokenExpiresAt: string | null;
  /**
   * `expires` (at tokenExpiresAt), `never` (GitLab says token_expires_at null, in the runner's
   * details or, as the store recorded it, when it issued the token), or `unknown`: the
   * GitLab's `GET /runners/:id` carries no token_expires_at (GitLab's documented RunnerDetails has
   * none; newer GitLabs add it) and the token store records no expiry. Null when not registered.
   */
  tokenExpiry: 'expires' | 'never' | 'unknown' | null;
  /** Where tokenExpiry comes from: GitLab (POST /runners/verify, or the runner's details), or the store (GitLab's answer when it issued the token). */
  tokenExpirySource: 'gitlab' | 'store' | null;
  /**
   * The token store records another expiry than GitLab says (GitLab's is the one used): the
   * store's record is stale, and the operator may repair it. Absent when they agree or one is unknown.
   */
  tokenExpiryMismatch?: string;
  runningJobs: number | null;
  managers: ManagerStatus[];
  /**
   * false: this GitLab answered 404 to GET /runners/:id/managers (it has no runner managers API),
   * so `managers` is empty without meaning "none". Absent when the list was read or not asked for.
   */
  managersListed?: false;
  /**
   * The runner's last contact (contactedAt, and so GitLab's online/status for about 2 h) is
   * runner-fleet's own token check: the runner-fleet-verify manager has that same contact time and
   * none of the runner's own managers contacted GitLab since. Absent otherwise (or when the
   * managers were not listed).
   */
  contactIsTokenCheck?: true;
  /**
   * The runner's last contact is later than the last contact of every manager GitLab lists for it
   * (and no runner-fleet-verify manager is listed): a contact no listed manager made, as
   * runner-fleet's token check is once it has removed its manager (DELETE /runners/managers), so
   * GitLab's online/status for about 2 h does not say that a manager runs. Absent otherwise (or
   * when the managers were not listed).
   */
  contactNotFromManagers?: true;
  /** With contactIsTokenCheck or contactNotFromManagers: the last contact of the runner's own managers (null: none listed). */
  managersContactedAt?: string | null;
  drift: Drift[];
  /**
   * The list showed the runner but `GET /runners/:id` answered 404: it was deleted between the
   * two calls, or the token may list it but not read it. A problem (status exits 1).
   */
  detailsNotFound?: boolean;
  /** What the token store of a registered API runner holds (never the token); absent for Terraform runners and with --no-stores. */
  store?: StoreStatus;
  /**
   * A project runner assigned to more than one project (POST /projects/:id/runners): the projects
   * GET /runners/:id names. It runs their jobs too, and unregister does not delete it until it is
   * unassigned from the others. Absent when it has one project.
   */
  assignedTo?: string[];
}

/**
 * The token store of a runner as `status` reads it: `ok` when it holds a token written for this
 * entry and the runner GitLab has; anything else is a problem (status exits 1).
 */
export interface StoreStatus {
  /** Where the token lives, for people (the store's label: never the token). */
  label: string;
  state: 'ok' | 'missing' | 'pending' | 'restart-owed' | 'other-owner' | 'other-runner' | 'invalid' | 'unreadable';
  /** The owner written beside the token (`<fleet>/<runner>`), null when none is. */
  owner: string | null;
  /** The runner id written beside the token, null when none is. */
  runnerId: number | null;
  detail: string;
}

export interface Phantom {
  id: number;
  runner: string;
  scope: string;
  description: string;
}

export interface EngineDeps {
  fleet: string;
  gitlab: GitLabClient;
  /** The token store of a runner; created lazily (it may load a cloud SDK). */
  store: (runner: DesiredRunner) => TokenStore;
  timing: Timing;
  progress: (line: string) => void;
  /** Whether an access token with manage_runner is available (needed to repair by runner id). */
  canManage: boolean;
  /**
   * Told when a token GitLab issued, or may be issuing, exists only in this process (from the
   * request that creates or resets it until it is stored): the CLI holds Ctrl-C and SIGTERM that
   * long (ops.ts). The engine keeps `held` current; the function returned is called when the
   * token is stored or the step failed, and only then may the process stop.
   */
  holding?: (held: Held) => () => void;
  /**
   * Test only (RUNNER_FLEET_TEST_OPS_PAUSE): waits at a point where a new token is held only in
   * memory (`created`, `reset`), or (`stored`) where a reset's token is stored and its manager not yet restarted.
   */
  pauseAt?: (point: 'created' | 'reset' | 'stored') => Promise<void>;
}

/**
 * A new token held only in this process: whose, and what stopping now would leave (`left`,
 * with the command that repairs it); `done` once the step settled it, with `stored` true when the
 * token was stored. A run that lost a race of two registers deleted its own runner again and
 * stored nothing (`done`, no `stored`). `failed`: the step ended with this error while the token
 * was held (a store taken by another owner meanwhile): what it says is what is left.
 */
export interface Held {
  runner: string;
  id?: number;
  left: string;
  done?: string;
  stored?: boolean;
  /** With `stored`: the token of a reset, its manager's restart recorded as owed in the store (StoredToken `restart-owed`). */
  restartOwed?: boolean;
  failed?: string;
}

export interface Observation {
  /** Runners carrying a spec entry's marker and found in that entry's scope, by spec name, id ascending. */
  byRunner: Map<string, ListedRunner[]>;
  phantoms: Phantom[];
  /** What GitLab's list endpoints returned: runners listed (a runner in two scopes counts once per scope), scopes listed, runners with this fleet's marker. */
  listed: { runners: number; scopes: number; marked: number };
}

/** "1 runner", "2 runners"; "entry" → "entries". */
const plural = (n: number, word: string) => `${n} ${n === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;

/** How to give a runner a store of its own, by kind of store. */
/** Whose store this runner shares with another fleet (or runner), and how to give it its own. */
function shareFix(d: DesiredRunner): string {
  const s = d.store;
  if (s.kind === 'kubernetes-secret') return `Two fleets share Secret ${s.namespace}/${s.secret}: give this runner its own namespace (runners[].placement.namespace; the Secret is named <runner>-runner-token)`;
  if (s.kind === 'key-vault-secret') return `Two fleets (or runners) share Key Vault secret ${s.secretName} in vault ${s.vaultName}: give this runner its own runners[].gitlab.tokenStore.keyVault.secretName (or vault)`;
  return `Two fleets share SSM parameter ${s.parameter}: give this fleet its own metadata.name (the parameter is /runner-fleet/<fleet>/<runner>/runner-token)`;
}

function conflictFix(d: DesiredRunner): string {
  return `${shareFix(d)}, or, if that token is stale, delete it and run again.`;
}

/**
 * The one rule for a token's expiry, in status and rotate alike: GitLab's answer is the truth
 * (POST /runners/verify, or token_expires_at in GET /runners/:id); the store's record is a cache
 * written when GitLab issued the token, used only when GitLab says nothing. Each: a time, null
 * (never expires), or undefined (not known there).
 */
interface ExpiryReading {
  at: string | null | undefined;
  source: 'gitlab' | 'store' | null;
  /** Both known and different: what each says, for the operator to repair the store's record. */
  mismatch?: string;
}

/** What GitLab says of a token's expiry: verify's answer first, then the runner's details; undefined when neither carries the field. */
function gitlabExpiry(details: RunnerDetails | undefined, verified: VerifiedToken | undefined): string | null | undefined {
  for (const v of [verified, details]) {
    if (v === undefined || !Object.prototype.hasOwnProperty.call(v, 'token_expires_at')) continue;
    const at = v.token_expires_at;
    if (at === null || (typeof at === 'string' && at !== '')) return at;
  }
  return undefined;
}

/** The store's record of the expiry: a time, null (never), undefined (none recorded). */
function storedExpiry(stored: StoredToken | undefined): string | null | undefined {
  return stored?.expiresAt === null || (typeof stored?.expiresAt === 'string' && stored.expiresAt !== '') ? stored.expiresAt : undefined;
}

const expirySaid = (at: string | null): string => (at === null ? 'never expires' : `expires ${at}`);

function expiryRule(gitlab: string | null | undefined, store: string | null | undefined): ExpiryReading {
  if (gitlab === undefined) return store === undefined ? { at: undefined, source: null } : { at: store, source: 'store' };
  const same = store === undefined || (store === null ? gitlab === null : gitlab !== null && Date.parse(store) === Date.parse(gitlab));
  return same ? { at: gitlab, source: 'gitlab' } : { at: gitlab, source: 'gitlab', mismatch: `the token store records that the token ${expirySaid(store)}, GitLab says it ${expirySaid(gitlab)}: GitLab's is used. The store's record is stale (written when the token was issued); runner-fleet rotate --approve writes a new token with GitLab's expiry` };
}

/** A token with neither an owner nor a runner id beside it: nothing says whose it is. */
const unclaimed = (s: StoredToken | undefined): boolean => s !== undefined && s.token !== '' && s.owner === undefined && s.runnerId === undefined;

/**
 * How to settle a store holding an unclaimed token. It may be this runner's own (an older
 * runner-fleet wrote an SSM parameter's value before its tags, and a run that stopped between
 * the two left it so) or someone else's: without evidence it is never replaced, by register,
 * rotate or status's advice alike. `id`: the runner GitLab has for the entry, when it has one.
 */
function unclaimedFix(d: DesiredRunner, id: number | undefined): string {
  return `It may be a token of ${d.name} stored by a register or rotate that stopped before writing its owner and runner id beside it (an older runner-fleet wrote an SSM parameter's value before its tags), or another fleet's or a person's, and runner-fleet does not replace a token without knowing whose it is. If nothing else uses it: delete it and run runner-fleet register, which ${id !== undefined ? `resets the token of #${id}` : 'registers the runner'} and stores the new token with its owner and runner id. If something else does: ${shareFix(d)}.`;
}

export { StoreConflictError };

/**
 * What a register or rotate says of a manager its store found not deployed (ManagerNotDeployedError)
 * instead of restarting it: nothing runs with the replaced token, and the stored one is what it takes.
 */
const NOT_DEPLOYED = 'manager not deployed yet: it takes this token at its first start, so no restart is owed';

/** Why a restart's mark was left owed: the store no longer held what was read before the restart (restartOwed). */
const CHANGED = 'it no longer holds the token read before the restart with the mark it had then: another run stored a token or changed its mark meanwhile, and the manager may have loaded either';

/**
 * What a manager's restart came to: undefined (restarted), a string (a note: the manager is not
 * deployed, so nothing was restarted and none is owed), or `restarted` with a note said after
 * "manager restarted" (the store changed during the restart, so its mark was left owed: CHANGED;
 * or the store's own note on how it marked it: MarkOutcome).
 */
type RestartOutcome = string | { restarted: string } | undefined;

/** Runner reads in flight at once while waiting for restarted managers. */
const CONFIRM_CONCURRENCY = 4;

const pool = async <T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/**
 * Manager restarts at most this many at once. A restart may take minutes (a Key Vault runner's
 * waits up to 150 s for the CSI driver's sync): they go on while the next runners' steps run.
 */
export const RESTART_CONCURRENCY = 4;

/**
 * The manager restarts of one apply, RESTART_CONCURRENCY at once. A runner's step takes a slot
 * before its token changes and gives it back when its manager has restarted (or failed to), so
 * at no time do more than that many managers hold a token that is no longer valid, and a slow
 * restart holds up the fleet `limit`-wide, never one runner after another.
 */
class Restarts {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  /** By runner: what its restart came to (RestartOutcome), or why it failed. */
  private readonly outcomes = new Map<string, Promise<Error | RestartOutcome>>();

  constructor(limit: number) {
    this.free = limit;
  }

  private async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** One runner's step with a slot; `restart` starts its manager's restart, which keeps the slot until it ends. */
  async step<T>(runner: string, body: (restart: (fn: () => Promise<void | RestartOutcome>) => void) => Promise<T>): Promise<T> {
    await this.acquire();
    let started = false;
    try {
      return await body((fn) => {
        started = true;
        const outcome = Promise.resolve()
          .then(fn)
          .then(
            (note) => (typeof note === 'string' || typeof note === 'object' ? note : undefined),
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          )
          .finally(() => this.release());
        this.outcomes.set(runner, outcome);
      });
    } finally {
      if (!started) this.release();
    }
  }

  /** When every restart started has ended: by runner, what it came to (RestartOutcome), or why it failed. */
  async settled(): Promise<Map<string, Error | RestartOutcome>> {
    const out = new Map<string, Error | RestartOutcome>();
    for (const [runner, outcome] of this.outcomes) out.set(runner, await outcome);
    return out;
  }
}

/**
 * From where a runner assigned to several projects (`shared`) is to be unassigned before
 * unregister or prune may delete it: unregister's refusal and status's note say the same.
 * `ownProject`: the project of the spec entry (undefined for group and instance runners). The
 * entry's project is taken for the owner, but GitLab's API does not say which project owns the
 * runner: an entry moved in the spec to a project its runner was also assigned to is found there
 * while the project it was created in still owns it, and GitLab refuses to unassign a runner from
 * its owner. `moved` says what to do then ('' when there is no such case).
 */
export function unassignAdvice(shared: string[], ownProject: string | undefined): { from: string; moved: string } {
  const others = ownProject !== undefined ? shared.filter((p) => p !== ownProject) : [];
  if (others.length === 0) return { from: 'from every project but the one that owns it (GitLab refuses to unassign the owner)', moved: '' };
  return {
    from: `from ${others.join(', ')}`,
    moved: `GitLab refuses to unassign a runner from the project that owns it (the one it was created in) and its API does not say which one that is: if ${others.length === 1 ? others[0] : `one of ${others.join(', ')}`} owns it (the spec moved this runner to ${ownProject} while it was assigned there too), unassign it from ${ownProject} instead, delete it in the project that owns it`,
  };
}

/**
 * Whether a runner's last contact is runner-fleet's own token check: GitLab counts POST
 * /runners/verify (and, on older GitLabs, the DELETE /runners/managers after it) as a contact, so the runner reads
 * online for about 2 h with no manager running. `contactIsTokenCheck` when the runner-fleet-verify
 * manager is still listed (a GitLab that kept it) with the runner's contact time; with it removed,
 * `contactNotFromManagers` when none is: the contact is later than the last of every manager GitLab
 * lists for the runner (a manager's own contact is never earlier than the runner's: GitLab's
 * authenticate_runner! records the runner's before its manager's). Neither when one of its own managers contacted GitLab at or after it.
 * `managers`: the list GitLab gave (not called without it).
 */
function tokenCheckContact(contactedAt: string | null | undefined, managers: RunnerManager[]): { contactIsTokenCheck?: true; contactNotFromManagers?: true; managersContactedAt?: string | null } {
  const at = typeof contactedAt === 'string' ? Date.parse(contactedAt) : NaN;
  if (Number.isNaN(at)) return {};
  const time = (m: RunnerManager) => (typeof m.contacted_at === 'string' ? Date.parse(m.contacted_at) : NaN);
  const check = managers.find((m) => m.system_id === VERIFY_SYSTEM_ID);
  if (check !== undefined && time(check) !== at) return {};
  const own = managers.filter((m) => m.system_id !== VERIFY_SYSTEM_ID && !Number.isNaN(time(m))).sort((a, b) => time(b) - time(a));
  if (own.length > 0 && time(own[0]!) >= at) return {};
  return { ...(check !== undefined ? { contactIsTokenCheck: true as const } : { contactNotFromManagers: true as const }), managersContactedAt: own[0]?.contacted_at ?? null };
}

export class Engine {
  /** A step failed because an API refused the credential given (401/403): the command exits 2. */
  accessRefused = false;
  /** The step being applied (or the last one): what an interrupt names. */
  current: Step | undefined;
  /** Runners whose stored token this run gave to POST /runners/verify (a contact in GitLab's eyes). */
  private readonly verifiedThisRun = new Set<number>();
  /**
   * GitLab's answer to the POST /runners/verify planRotate made (--if-expiring-within, expiry
   * unknown), by runner id, with the token it was asked about: the apply of the same run takes it
   * instead of verifying again (each verify is a contact of the runner in GitLab's eyes), when the
   * store still holds that token. Kept in memory for this run only, never written or printed.
   */
  private readonly planVerified = new Map<number, { token: string; answer: VerifiedToken }>();

  /** Whether this run has said that GitLab keeps the manager the token check leaves (said once). */
  private checkManagerKeptSaid = false;

  constructor(private readonly deps: EngineDeps) {}

  private get gl() {
    return this.deps.gitlab;
  }

  /** Lists every scope the spec names once and sorts the fleet's marked runners into entries and phantoms. */
  async observe(desired: DesiredRunner[]): Promise<Observation> {
    const scopes = new Map<string, RunnerScope>();
    for (const d of desired) scopes.set(scopeKey(d.scope), d.scope);
    const listed = new Map<string, Map<number, ListedRunner>>();
    const all = new Map<number, { runner: ListedRunner; scopes: Set<string> }>();
    let count = 0;
    for (const [key, scope] of [...scopes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const runners = await this.gl.listRunners(scope);
      count += runners.length;
      const mine = new Map<number, ListedRunner>();
      for (const r of runners) {
        const m = parseMarker(r.description);
        if (!m || m.fleet !== this.deps.fleet) continue;
        mine.set(r.id, r);
        const seen = all.get(r.id) ?? { runner: r, scopes: new Set<string>() };
        seen.scopes.add(key);
        all.set(r.id, seen);
      }
      listed.set(key, mine);
    }
    // A subgroup's listing returns its ancestors' runners too: those its parent's listing returns
    // (the spec's own listing of the parent when it has one) are not the subgroup's.
    const above = new Map<string, { parent: string; ids: Set<number> }>();
    for (const [key, scope] of scopes) {
      const parent = parentGroup(scope);
      if (parent === undefined) continue;
      const own = listed.get(`group:${parent}`);
      above.set(key, { parent, ids: own ? new Set(own.keys()) : await this.markedAbove(parent) });
    }
    const byName = new Map(desired.map((d) => [d.name, d]));
    const byRunner = new Map<string, ListedRunner[]>(desired.map((d) => [d.name, []]));
    const phantoms: Phantom[] = [];
    for (const [id, { runner, scopes: listedIn }] of [...all].sort(([a], [b]) => a - b)) {
      const inScopes = new Set([...listedIn].filter((k) => !above.get(k)?.ids.has(id)));
      // Listed only by subgroups, as a runner of their parent group or one above it.
      const where = inScopes.size > 0 ? [...inScopes] : [...new Set([...listedIn].map((k) => `group:${above.get(k)!.parent} or above`))];
      const m = parseMarker(runner.description)!;
      const d = byName.get(m.runner);
      if (d && inScopes.has(scopeKey(d.scope))) byRunner.get(d.name)!.push(runner);
      else phantoms.push({ id, runner: m.runner, scope: where.sort().join(', '), description: runner.description ?? '' });
    }
    return { byRunner, phantoms, listed: { runners: count, scopes: scopes.size, marked: all.size } };
  }

  /** The runners with one entry's marker in its scope, freshly listed (ids ascending); not those of a group above it. */
  private async findByMarker(d: DesiredRunner): Promise<ListedRunner[]> {
    const runners = await this.gl.listRunners(d.scope);
    const parent = parentGroup(d.scope);
    const above = parent === undefined ? new Set<number>() : await this.markedAbove(parent);
    return runners.filter((r) => {
      const m = parseMarker(r.description);
      return m?.fleet === this.deps.fleet && m.runner === d.name && !above.has(r.id);
    }).sort((a, b) => a.id - b.id);
  }

  /**
   * The ids of this fleet's runners that group `path` lists: its own and its ancestors'. None when
   * the token may not list that group (403, or 404: its user is a member of the subgroup only);
   * then a runner of a group above a subgroup cannot be told from the subgroup's own.
   */
  private async markedAbove(path: string): Promise<Set<number>> {
    try {
      const runners = await this.gl.listRunners({ type: 'group_type', path });
      return new Set(runners.filter((r) => parseMarker(r.description)?.fleet === this.deps.fleet).map((r) => r.id));
    } catch (e) {
      if (e instanceof GitLabHttpError && (e.status === 403 || e.status === 404)) return new Set();
      throw e;
    }
  }

  /**
   * Which of an entry's runners is the one to keep when its marker is on more than one
   * (duplicates: two runs at once, or a create whose answer was lost). First a runner assigned to
   * several projects: deduplication does not delete one (it would take it from all of them, and
   * only an administrator may), so keeping another would leave two for ever. Then the runner
   * whose token the store holds for this entry: its manager runs with it, and keeping it needs no
   * reset or restart. Then the lowest id. `stored`: what the store holds, when it was read.
   * `details`: GET /runners/:id of the runners read here (project runners only), for reuse.
   */
  private async keeperOf(d: DesiredRunner, found: ListedRunner[], stored: StoredToken | undefined): Promise<{ keep: ListedRunner | undefined; details: Map<number, RunnerDetails | undefined> }> {
    const details = new Map<number, RunnerDetails | undefined>();
    if (found.length <= 1) return { keep: found[0], details };
    let pool = found;
    if (d.scope.type === 'project_type') {
      for (const r of found) details.set(r.id, await this.gl.getRunner(r.id));
      const shared = found.filter((r) => assignedProjects(details.get(r.id) ?? ({} as RunnerDetails)).length > 1);
      if (shared.length > 0) pool = shared;
    }
    const held = stored && stored.token !== '' && stored.state !== 'pending' && (stored.owner === undefined || stored.owner === this.owner(d)) ? stored.runnerId : undefined;
    return { keep: pool.find((r) => r.id === held) ?? pool[0], details };
  }

  /**
   * `keeperOf` with the store read for it when `readStore` (only for duplicates of an API runner;
   * a store that cannot be read tells nothing here: the other rules decide, and status says why).
   */
  private async keeperReading(d: DesiredRunner, found: ListedRunner[], readStore: boolean): Promise<{ keep: ListedRunner | undefined; details: Map<number, RunnerDetails | undefined> }> {
    if (found.length <= 1) return this.keeperOf(d, found, undefined);
    const stored = readStore && d.registration === 'api' ? await this.deps.store(d).read().catch(() => undefined) : undefined;
    return this.keeperOf(d, found, stored);
  }

  // ---------------------------------------------------------------- status

  /**
   * Reads (only reads) the token store of a registered API runner and says whether the manager
   * would find this runner's token there: a missing token, an interrupted reset, another owner's
   * token or another runner's token is a problem, named with the store, never with the token.
   */
  private async storeStatus(d: DesiredRunner, id: number, verify: boolean): Promise<{ status: StoreStatus; expiresAt?: string | null; verified?: VerifiedToken }> {
    const store = this.deps.store(d);
    const label = store.label;
    let stored: StoredToken | undefined;
    try {
      stored = await store.read();
    } catch (e) {
      if (isAccessRefused(e)) this.accessRefused = true;
      return { status: { label, state: 'unreadable', owner: null, runnerId: null, detail: `cannot be read, so the token of #${id} cannot be checked: ${e instanceof Error ? e.message : String(e)}` } };
    }
    let status = this.judgeStored(d, id, label, stored);
    if (status.state === 'restart-owed' && (await this.notDeployed(store))) status = { ...status, state: 'ok', detail: `holds the token of #${id} from a reset, marked restart-owed, and its manager is not deployed yet: no manager runs with the token the reset replaced, and it takes this token at its first start, so no restart is owed (runner-fleet register clears the mark)` };
    if (status.state !== 'ok') return { status };
    // The expiry GitLab gave with the token (null: never), as the store recorded it, when the token is this runner's.
    const recorded = storedExpiry(stored);
    const kept = recorded !== undefined ? { expiresAt: recorded } : {};
    if (!verify) return { status, ...kept };
    // GitLab itself says whose token this is and whether it still works (the token goes in the body only).
    const v = await this.checkToken(stored!.token);
    if (v === 'refused') return { status: { ...status, state: 'invalid', detail: `holds a token GitLab refuses (${VERIFY_REFUSED}), so the manager of #${id} cannot take jobs with it: runner-fleet rotate --approve resets the token of #${id} by id and stores the new one (or runner-fleet register after emptying the store)` }, ...kept };
    if (v.id !== undefined && v.id !== id) return { status: { ...status, state: 'other-runner', detail: this.otherRunnersToken(d, v.id, id) }, ...kept };
    return { status, ...kept, verified: v };
  }

  /**
   * Whether the store's platform says the manager is not deployed (status, read only). A store
   * that cannot tell, or a read that fails, is not "not deployed": restart-owed stays a problem.
   */
  private async notDeployed(store: TokenStore): Promise<boolean> {
    if (!store.managerDeployed) return false;
    try {
      return (await store.managerDeployed()) === false;
    } catch {
      return false;
    }
  }

  private judgeStored(d: DesiredRunner, id: number, label: string, stored: StoredToken | undefined): StoreStatus {
    const mine = this.owner(d);
    const owner = stored?.owner ?? null;
    const runnerId = stored?.runnerId ?? null;
    const at = { label, owner, runnerId };
    if (!stored || stored.token === '') return { ...at, state: 'missing', detail: `holds no token: the manager of #${id} has none to start with (runner-fleet register stores one)` };
    if (owner !== null && owner !== mine) return { ...at, state: 'other-owner', detail: `holds the token of ${owner}${runnerId !== null ? ` (runner #${runnerId})` : ''}, not ${mine}: the manager reads another runner's token. ${conflictFix(d)}` };
    if (owner === null && runnerId === null) return { ...at, state: 'other-owner', detail: `holds a token runner-fleet did not write (no owner and no runner id beside it), not known to be the token of ${mine} (#${id}): register and rotate do not replace it. ${unclaimedFix(d, id)}` };
    if (runnerId !== null && runnerId !== id) return { ...at, state: 'other-runner', detail: `holds the token of runner #${runnerId}, but ${mine} is #${id} in GitLab: runner-fleet register resets the token of #${id} and stores it` };
    if (stored.state === 'pending') return { ...at, state: 'pending', detail: `a token reset of #${id} was interrupted before its token was stored: runner-fleet register repairs it` };
    if (stored.state === 'restart-owed') return { ...at, state: 'restart-owed', detail: `holds the token of #${id} from a reset, and its manager's restart is owed (the register or rotate that stored it stopped, or the restart failed): the manager may still run with the token the reset replaced, which GitLab no longer accepts. runner-fleet register --runner ${d.name} --approve restarts it${stored.stateNote !== undefined ? `. Read so because ${stored.stateNote}` : ''}` };
    return { ...at, state: 'ok', detail: `holds the token of #${id}${owner !== null ? ` (${owner})` : ' (written before owners were recorded)'}` };
  }

  async status(desired: DesiredRunner[], opts: { managers?: boolean; stores?: boolean; verifyTokens?: boolean } = {}): Promise<{ runners: RunnerStatus[]; phantoms: Phantom[] }> {
    const obs = await this.observe(desired);
    // What was read is what GitLab listed, not the spec's entries: an empty GitLab says 0.
    const registered = [...obs.byRunner.values()].reduce((n, l) => n + l.length, 0);
    this.deps.progress(`GitLab listed ${plural(obs.listed.runners, 'runner')} in ${plural(obs.listed.scopes, 'scope')}, ${obs.listed.marked} with the marker of fleet ${this.deps.fleet}, for ${plural(desired.length, 'spec entry')}; reading details of ${plural(registered, 'registered runner')}`);
    const runners = await pool(desired, 8, async (d): Promise<RunnerStatus> => {
      const found = obs.byRunner.get(d.name) ?? [];
      // Duplicates: the runner register keeps is the one read and shown first.
      const { keep: first, details: read0 } = await this.keeperReading(d, found, opts.stores !== false);
      const ids = first ? [first.id, ...found.filter((r) => r.id !== first.id).map((r) => r.id)] : [];
      const base: RunnerStatus = { name: d.name, registration: d.registration, scope: scopeKey(d.scope), registered: found.length > 0, ids, status: null, online: null, contactedAt: null, paused: null, tokenExpiresAt: null, tokenExpiry: null, tokenExpirySource: null, runningJobs: null, managers: [], drift: [] };
      if (!first) return base;
      const details = read0.has(first.id) ? read0.get(first.id) : await this.gl.getRunner(first.id);
      if (!details) return { ...base, tokenExpiry: 'unknown', detailsNotFound: true };
      const assignedTo = assignedProjects(details);
      const jobs = first.job_execution_status === 'idle' ? 0 : (await this.gl.runningJobs(first.id)).length;
      const managers: RunnerManager[] | 'no-endpoint' = opts.managers === false ? [] : await this.managersOrNone(first.id);
      const listed: RunnerManager[] = managers === 'no-endpoint' ? [] : managers;
      // Only the stores runner-fleet writes (API registration): a Terraform runner's token is Terraform's.
      const read = d.registration === 'api' && opts.stores !== false ? await this.storeStatus(d, first.id, opts.verifyTokens === true) : undefined;
      const store = read?.status;
      // One rule (expiryRule): what GitLab says, else the store's record. A GitLab that returns
      // token_expires_at says null for a token that never expires; one that does not return it
      // says nothing, and null must not read as "never".
      const rule = expiryRule(gitlabExpiry(details, read?.verified), read?.expiresAt);
      const expiry: Pick<RunnerStatus, 'tokenExpiresAt' | 'tokenExpiry' | 'tokenExpirySource' | 'tokenExpiryMismatch'> = {
        tokenExpiresAt: typeof rule.at === 'string' ? rule.at : null,
        tokenExpiry: rule.at === undefined ? 'unknown' : rule.at === null ? 'never' : 'expires',
        tokenExpirySource: rule.source,
        ...(rule.mismatch !== undefined ? { tokenExpiryMismatch: rule.mismatch } : {}),
      };
      return {
        ...base,
        status: details.status ?? null,
        online: details.online ?? null,
        contactedAt: details.contacted_at ?? null,
        paused: details.paused,
        ...expiry,
        runningJobs: jobs,
        managers: listed.map((m) => ({ systemId: m.system_id, version: m.version ?? null, platform: m.platform ?? null, ipAddress: m.ip_address ?? null, contactedAt: m.contacted_at ?? null, status: m.status ?? null, ...(m.system_id === VERIFY_SYSTEM_ID ? { tokenCheck: true as const } : {}) })),
        ...(managers === 'no-endpoint' ? { managersListed: false as const } : {}),
        ...(managers !== 'no-endpoint' && opts.managers !== false ? tokenCheckContact(details.contacted_at, listed) : {}),
        drift: driftOf(d.settings, details),
        ...(store ? { store } : {}),
        ...(assignedTo.length > 1 ? { assignedTo } : {}),
      };
    });
    return { runners, phantoms: obs.phantoms };
  }

  // ---------------------------------------------------------------- register

  /**
   * The step that restarts a manager whose restart an earlier run owes (the store holds the token
   * of #id marked `restart-owed`: that run stopped, or its restart failed, after storing the token
   * of a reset), or undefined.
   */
  private async owedStep(d: DesiredRunner, stored: StoredToken | undefined, id: number): Promise<Step | undefined> {
    if (stored?.state !== 'restart-owed' || stored.token === '' || stored.runnerId !== id || stored.owner !== this.owner(d)) return undefined;
    const store = this.deps.store(d);
    const restart: Step = { runner: d.name, action: 'restart-manager', id, detail: `${store.label} holds the token of #${id} from a reset whose manager restart is owed (the run that stored it stopped, or the restart failed): the manager may still run with the token the reset replaced, which GitLab no longer accepts; restart it${stored.stateNote !== undefined ? ` (read so because ${stored.stateNote})` : ''}` };
    // The plan reads what the apply finds (a restart of a manager not deployed clears the mark: restartOwed), so it says which it will be.
    if (!store.managerDeployed) return restart;
    let deployed: boolean | undefined;
    try {
      deployed = await store.managerDeployed();
    } catch (e) {
      return { ...restart, detail: `${restart.detail} — if it is deployed: whether it is could not be read (${e instanceof Error ? e.message : String(e)}), and a manager the restart finds not deployed is not restarted: the mark is cleared instead` };
    }
    if (deployed !== false) return restart;
    return { runner: d.name, action: 'clear-restart-owed', id, detail: `${store.label} holds the token of #${id} from a reset marked restart-owed, and its manager is not deployed: clear restart-owed (no restart: the manager takes this token at its first start; one deployed by the time of the apply is restarted)` };
  }

  /**
   * Restarts the manager of runner `id`, then writes its store's state `valid` if the store held
   * that runner's token marked `restart-owed` when read right *before* the restart: the token the
   * manager loads. From then on no restart is owed. The store is read before, not after: SSM Run
   * Command and a Kubernetes rollout are asynchronous, and a token another run stores meanwhile
   * (its own mark restart-owed) read after the restart would be marked `valid` although this
   * manager may have loaded the one before it, and then nobody restarts for the new one. The
   * store marks only what was read (markRestarted); one that changed meanwhile is left owed and
   * the note (CHANGED) says so: the next run restarts again. A manager the store finds not
   * deployed (ManagerNotDeployedError) runs with no token, the replaced one least of all: it
   * starts with the stored token once deployed, so nothing is owed either; the state is written
   * `valid` and the note (NOT_DEPLOYED) returned.
   */
  private async restartOwed(d: DesiredRunner, id: number): Promise<RestartOutcome> {
    const store = this.deps.store(d);
    // A store that cannot be read is still restarted (the restart is owed whatever it says), then reported as before.
    const before = await store.read().then(
      (held) => ({ held }),
      (e: unknown) => ({ failed: e }),
    );
    const note = await this.restartOrNote(d);
    let marked: boolean;
    let advice: string | undefined;
    try {
      if ('failed' in before) throw before.failed;
      const held = before.held;
      if (held === undefined || held.state !== 'restart-owed' || held.runnerId !== id || held.owner !== this.owner(d)) return note;
      // The state alone, in one call (markRestarted): never the two-step write of a token, whose `pending` mark a stop would leave.
      const answer = await store.markRestarted({ ...held, state: 'valid' });
      if (typeof answer === 'boolean') marked = answer;
      else ({ marked, note: advice } = answer);
    } catch (e) {
      const out = new Error(`${note === undefined ? 'the manager was restarted' : 'the manager is not deployed yet'}, but ${store.label} could not be marked so (${e instanceof Error ? e.message : String(e)}): it still says a restart is owed, so the next runner-fleet register restarts the manager once more`, { cause: e });
      throw isAccessRefused(e) ? Object.assign(out, { accessRefused: true }) : out;
    }
    // What the store has to say beside the mark (MarkOutcome) comes last, whichever way it went.
    const said = marked ? advice : `${store.label} changed during the restart (${CHANGED}): its mark is left restart-owed, so the next runner-fleet register restarts the manager again${advice === undefined ? '' : `; ${advice}`}`;
    if (said === undefined) return note;
    return note === undefined ? { restarted: said } : `${note}; ${said}`;
  }

  /** Restarts the manager of `d`; a manager the store finds not deployed is no failure: the note NOT_DEPLOYED says so. */
  private async restartOrNote(d: DesiredRunner): Promise<string | undefined> {
    try {
      await this.deps.store(d).restartManager();
      return undefined;
    } catch (e) {
      if (e instanceof ManagerNotDeployedError) return NOT_DEPLOYED;
      throw e;
    }
  }

  private needsRepair(stored: StoredToken | undefined, id: number): string | undefined {
    if (!stored || stored.token === '') return 'the token store is empty';
    if (stored.state === 'pending') return 'a token reset was interrupted before its token was stored';
    if (stored.runnerId !== undefined && stored.runnerId !== id) return `the store holds the token of runner #${stored.runnerId}`;
    return undefined;
  }

  /** What a store written for this entry carries: whose token it is. */
  private owner(d: DesiredRunner): string {
    return ownerText(this.deps.fleet, d.name);
  }

  /**
   * Whose token a store holds when it is someone else's: another fleet (or another runner) that
   * shares the store's name, so writing it would take that runner's token away. A store with its
   * owner written is judged by it; one written before owners were recorded, by the runner id
   * beside the token (one of ours, or one whose GitLab description carries this entry's marker);
   * a token with neither is not ours to replace. An empty store, or the token of a runner GitLab
   * no longer has, loses nothing (undefined). `ours`: the ids carrying this entry's marker.
   */
  private async heldByOther(d: DesiredRunner, stored: StoredToken | undefined, ours: number[]): Promise<string | undefined> {
    if (!stored || stored.token === '') return undefined;
    const mine = this.owner(d);
    if (stored.owner !== undefined) {
      if (stored.owner === mine) return undefined;
      return `the token of ${stored.owner}${stored.runnerId !== undefined ? ` (runner #${stored.runnerId})` : ''}`;
    }
    if (stored.runnerId === undefined) return 'a token runner-fleet did not write (no owner and no runner id beside it)';
    if (ours.includes(stored.runnerId) || !this.deps.canManage) return undefined;
    let details: RunnerDetails | undefined;
    try {
      details = await this.gl.getRunner(stored.runnerId);
    } catch (e) {
      if (!(e instanceof GitLabHttpError && (e.status === 403 || e.status === 401))) throw e;
      return `the token of runner #${stored.runnerId}, which this access token may not read`;
    }
    if (!details) return undefined;
    const m = parseMarker(details.description);
    if (m && ownerText(m.fleet, m.runner) === mine) return undefined;
    return `the token of runner #${stored.runnerId}, ${m ? `runner ${m.runner} of fleet ${m.fleet}` : 'which runner-fleet does not manage (its description has no marker)'}`;
  }

  /** The plan's `conflict` step for a store that holds someone else's token. */
  private async storeConflict(d: DesiredRunner, stored: StoredToken | undefined, ours: number[], id?: number): Promise<Step | undefined> {
    const whose = await this.heldByOther(d, stored, ours);
    if (whose === undefined) return undefined;
    return { runner: d.name, action: 'conflict', detail: `${this.deps.store(d).label} holds ${whose}, not ${this.owner(d)}: not written. ${unclaimed(stored) ? unclaimedFix(d, id) : conflictFix(d)}` };
  }

  /**
   * Re-reads the store right before runner-fleet writes it (or acts in GitLab for it) and judges
   * it again as the plan did: another fleet, a person or another runner may have taken it since
   * the plan was read (the plan is printed and then applied; `--approve` over a big fleet takes
   * minutes). Someone else's token now: StoreConflictError, and nothing is written. `before`
   * says what the write would follow (for the message). Returns what the store holds now.
   */
  private async guard(d: DesiredRunner, ours: number[], before = ''): Promise<StoredToken | undefined> {
    const now = await saying(before, () => this.deps.store(d).read());
    const whose = await this.heldByOther(d, now, ours);
    if (whose === undefined) return now;
    throw new StoreConflictError(`${this.deps.store(d).label} now holds ${whose}, not ${this.owner(d)} (it changed after the plan was read): not written${before}. ${unclaimed(now) ? unclaimedFix(d, ours.length === 1 ? ours[0] : undefined) : conflictFix(d)}`);
  }
  /**
   * Writes the store; a store that another owner took while it was written (the Secret store
   * re-reads it after a 409 Conflict) is a conflict, said with what the write followed (`before`)
   * and the fix, as the guard says it. A new token (`fresh`: what GitLab already did) whose write
   * failed is looked for by reading the store back: a write that timed out may have taken effect.
   */
  private async storeWrite(d: DesiredRunner, value: StoredToken, before = '', fresh?: Fresh): Promise<void> {
    const store = this.deps.store(d);
    try {
      await store.write(value);
    } catch (e) {
      if (e instanceof StoreConflictError) throw new StoreConflictError(`${e.message}${before}. ${conflictFix(d)}`);
      if (fresh === undefined) throw withSuffix(e, before);
      let failed: unknown = e;
      let now = await this.readBack(store, value);
      // The token is there but not all beside it (a store written in two calls, the second lost):
      // the store answers again, so the same write is tried once more.
      if (now === 'partial') {
        try {
          await store.write(value);
          now = 'stored';
        } catch (again) {
          if (again instanceof StoreConflictError) throw new StoreConflictError(`${again.message}${before}. ${conflictFix(d)}`);
          failed = again;
          now = await this.readBack(store, value);
        }
      }
      const why = failed instanceof Error ? failed.message : String(failed);
      if (now === 'stored') {
        this.deps.progress(`${store.label}: the write of the new token of #${fresh.id} failed (${why}), but reading it back shows it stored`);
        return;
      }
      if (now === 'absent') throw withSuffix(failed, fresh.nowhere);
      if (now === 'partial') throw withSuffix(failed, `; ${fresh.what}; ${store.label} holds its new token without all runner-fleet writes beside it (its runner id, its owner, the state valid): once ${store.label} can be written, run runner-fleet register (it resets the token of #${fresh.id} and stores it again, or names what the store holds)`);
      throw withSuffix(failed, `; ${fresh.what}, and whether ${store.label} holds its new token is unknown: the write failed (one that timed out may still have taken effect) and reading the store back failed too (${now.unknown}). Once ${store.label} can be read, runner-fleet register reads it again: it keeps the token of #${fresh.id} if it is there, else resets it and stores a new one (no second runner is created)`);
    }
  }

  /**
   * What a store holds after a write of `value` failed: `stored` (all of it), `partial` (the token
   * without all beside it), `absent` (not the new token: "stored nowhere" is then known), or
   * `unknown` with why the store could not be read.
   */
  private async readBack(store: TokenStore, value: StoredToken): Promise<'stored' | 'partial' | 'absent' | { unknown: string }> {
    let now: StoredToken | undefined;
    try {
      now = await store.read();
    } catch (e) {
      if (isAccessRefused(e)) this.accessRefused = true;
      return { unknown: e instanceof Error ? e.message : String(e) };
    }
    if (now === undefined || now.token !== value.token) return 'absent';
    return now.runnerId === value.runnerId && now.owner === value.owner && now.state !== 'pending' ? 'stored' : 'partial';
  }


  async planRegister(desired: DesiredRunner[]): Promise<Step[]> {
    const obs = await this.observe(desired);
    const steps: Step[] = [];
    for (const d of desired) {
      if (d.registration !== 'api') continue;
      const found = obs.byRunner.get(d.name) ?? [];
      const stored = await this.deps.store(d).read();
      const { keep, details: read0 } = await this.keeperOf(d, found, stored);
      if (!keep) {
        const conflict = await this.storeConflict(d, stored, []);
        if (conflict) {
          steps.push(conflict);
          continue;
        }
        steps.push({ runner: d.name, action: 'create', detail: `POST /user/runners (${scopeKey(d.scope)}); token to ${this.deps.store(d).label}` });
        continue;
      }
      if (found.length > 1) steps.push({ runner: d.name, action: 'deduplicate', id: keep.id, detail: `keep #${keep.id}${keepWhy(read0, keep.id, stored)}, delete ${found.filter((r) => r.id !== keep.id).map((r) => `#${r.id}`).join(', ')}` });
      const why = this.needsRepair(stored, keep.id);
      // A token nothing says is this runner's (unclaimed) is not "nothing to do": status and rotate call it a conflict too.
      const conflict = why || unclaimed(stored) ? await this.storeConflict(d, stored, found.map((r) => r.id), keep.id) : undefined;
      if (conflict) {
        steps.push(conflict);
        continue;
      }
      if (why) steps.push({ runner: d.name, action: 'repair-token', id: keep.id, detail: `${why}: reset the token of #${keep.id} and store it` });
      else {
        const owed = await this.owedStep(d, stored, keep.id);
        if (owed) steps.push(owed);
      }
      const details = read0.has(keep.id) ? read0.get(keep.id) : await this.gl.getRunner(keep.id);
      const drift = details ? driftOf(d.settings, details) : [];
      if (drift.length > 0) steps.push({ runner: d.name, action: 'update', id: keep.id, detail: `PUT /runners/${keep.id}: ${drift.map((x) => x.field).join(', ')}` });
    }
    return steps;
  }

  private async scopeBody(d: DesiredRunner): Promise<Record<string, unknown>> {
    const s = d.scope;
    const body: Record<string, unknown> = { runner_type: s.type };
    if (s.type === 'group_type') body.group_id = await this.gl.groupId(s.path);
    if (s.type === 'project_type') body.project_id = await this.gl.projectId(s.path);
    return { ...body, ...d.settings };
  }

  /**
   * Deletes a runner only after re-reading it and confirming its marker. A project runner
   * assigned to more than one project (POST /projects/:id/runners) is not deleted: that would
   * take it from every one of them, and GitLab lets only an administrator do it. `shared` names them.
   */
  private async confirmedDelete(id: number, fleet: string, runner: string): Promise<'deleted' | 'gone' | 'refused' | { shared: string[] }> {
    const now = await this.gl.getRunner(id);
    if (!now) return 'gone';
    if (!confirmsMarker(now, { fleet, runner })) return 'refused';
    const projects = assignedProjects(now);
    if (projects.length > 1) return { shared: projects };
    return this.gl.deleteRunner(id);
  }

  /** The outcome of a delete the command asked for (prune, unregister), said; a refusal throws. */
  private deleted(r: Awaited<ReturnType<Engine['confirmedDelete']>>, s: Step, own?: RunnerScope): string {
    if (r === 'refused') throw new Error(`runner #${s.id} no longer carries the marker of ${this.deps.fleet}/${s.runner}; not deleted`);
    if (typeof r === 'object') {
      const { from, moved } = unassignAdvice(r.shared, own?.type === 'project_type' ? own.path : undefined);
      throw new Error(`runner #${s.id} is assigned to ${r.shared.length} projects (${r.shared.join(', ')}): deleting it would take it from all of them, and GitLab lets only an administrator delete a runner assigned to more than one project. Not deleted: unassign it ${from} (DELETE /projects/:id/runners/${s.id}, or Settings > CI/CD > Runners there), then run again${moved ? `. ${moved}, and run again to empty its token store` : ''}`);
    }
    return r === 'gone' ? 'already gone' : 'deleted';
  }

  /** Writes `pending`, resets by id (retrying a reset whose answer was lost supersedes the lost token), stores the new token. */
  private async repairToken(d: DesiredRunner, id: number): Promise<void> {
    const before = await this.guard(d, [id]);
    if (before && before.token !== '') await this.storeWrite(d, { ...before, state: 'pending', owner: this.owner(d) });
    const marked = before !== undefined && before.token !== '';
    const held = this.hold({ runner: d.name, id, left: this.resetLeft(d, id, 'may have been reset', marked) });
    try {
      await this.storeReset(d, id, await this.resetById(id), held, marked);
    } catch (e) {
      held.fail(e);
      throw e;
    } finally {
      held.release();
    }
  }

  /** What a stop between a token reset of #id and the store write leaves, and what repairs it. */
  private resetLeft(d: DesiredRunner, id: number, what: 'was reset' | 'may have been reset', marked: boolean): string {
    const store = this.deps.store(d).label;
    return `the token of #${id} (${d.name}) ${what} in GitLab and the new one is stored nowhere; ${marked ? `${store} holds the earlier token marked pending${what === 'was reset' ? ', which GitLab no longer accepts' : ''}` : `${store} holds no token of it`}: runner-fleet register resets it by runner id and stores it (an access token with manage_runner is needed; no second runner)`;
  }

  private async resetById(id: number): Promise<NewToken> {
    if (!this.deps.canManage) throw new Error(`resetting the token of runner #${id} by its id needs an access token with the manage_runner scope (or api): the store holds no token GitLab accepts (empty, or marked pending by a run that stopped between a reset and storing its new token), so a reset with the stored token cannot work; give one in RUNNER_FLEET_GITLAB_TOKEN and run runner-fleet register (or this rotate) again`);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.gl.resetTokenById(id);
      } catch (e) {
        if (!(e instanceof OutcomeUnknownError) || attempt + 1 >= DEFAULT_RETRY.maxAttempts) throw e;
        const wait = backoffMs(DEFAULT_RETRY, attempt, this.deps.timing.random);
        this.deps.progress(`${e.message}; resetting again in ${(wait / 1000).toFixed(1)} s (a second reset supersedes a token whose answer was lost)`);
        await this.deps.timing.sleep(wait);
      }
    }
  }

  /**
   * Creates one runner without ever creating two: after an answer that does not say whether
   * GitLab acted, it lists the marker before trying again. Concurrent runs are settled by
   * create-then-deduplicate: the lowest id carrying the marker wins, every other run deletes its
   * own runner and stores nothing.
   */
  private async create(d: DesiredRunner, restart: (fn: () => Promise<void | RestartOutcome>) => void): Promise<string> {
    await this.guard(d, []);
    const body = await this.scopeBody(d);
    for (let attempt = 0; ; attempt++) {
      let created: ({ id: number } & NewToken) | undefined;
      const held = this.hold({ runner: d.name, left: `POST /user/runners for ${d.name} was sent and its answer had not come: GitLab may have created the runner, whose token would then be stored nowhere; runner-fleet register finds it by its marker, resets its token and stores it (no second runner)` });
      try {
        created = await this.gl.createRunner(body);
      } catch (e) {
        // An answer that says GitLab created nothing: `left` (it may have) no longer holds.
        if (!(e instanceof OutcomeUnknownError)) held.fail(e);
        held.release();
        if (!(e instanceof OutcomeUnknownError)) throw e;
        this.deps.progress(`${e.message}; listing runners with the marker of ${d.name} before trying again`);
        const found = await this.findByMarker(d);
        if (found.length > 0) return this.settle(d, found, undefined, restart);
        // The listing after the last attempt found no runner with the marker: GitLab created none, so the
        // outcome is known after all; saying "may have created" here would send the user looking for one.
        if (attempt + 1 >= DEFAULT_RETRY.maxAttempts) throw new Error(`creating the runner of ${d.name} was tried ${attempt + 1} times and no answer said what GitLab did (the last: ${e.reason}); after each, listing runners with its marker found none, so GitLab created no runner and there is nothing to repair: run the same register again once ${e.call} gets an answer`, { cause: e });
        const wait = backoffMs(DEFAULT_RETRY, attempt, this.deps.timing.random);
        this.deps.progress(`no runner carries the marker of ${d.name}: GitLab did not create it; creating again in ${(wait / 1000).toFixed(1)} s`);
        await this.deps.timing.sleep(wait);
        continue;
      }
      try {
        held.is.id = created.id;
        held.is.left = `runner #${created.id} was created in GitLab for ${d.name} and its token is stored nowhere: runner-fleet register finds it by its marker, resets its token and stores it (no second runner)`;
        await this.deps.pauseAt?.('created');
        const found = await this.findByMarker(d);
        if (!found.some((r) => r.id === created.id)) found.push({ id: created.id, description: d.settings.description, paused: d.settings.paused, runner_type: d.scope.type });
        found.sort((a, b) => a.id - b.id);
        return await this.settle(d, found, created, restart, held);
      } catch (e) {
        held.fail(e);
        throw e;
      } finally {
        held.release();
      }
    }
  }

  /**
   * Tells the CLI that a new token is (or may be) held only in this process until `release`
   * (idempotent); `is` is kept current with what stopping now would leave.
   */
  private hold(is: Held): { is: Held; release: () => void; fail: (e: unknown) => void } {
    const end = this.deps.holding?.(is);
    let ended = false;
    return {
      is,
      fail: (e) => {
        if (!ended) is.failed ??= e instanceof Error ? e.message : String(e);
      },
      release: () => {
        if (ended) return;
        ended = true;
        end?.();
      },
    };
  }

  private async settle(d: DesiredRunner, found: ListedRunner[], created: ({ id: number } & NewToken) | undefined, restart: (fn: () => Promise<void | RestartOutcome>) => void, held?: { is: Held; release: () => void; fail: (e: unknown) => void }): Promise<string> {
    const keep = found[0]!.id;
    if (created && created.id !== keep) {
      const gone = await this.confirmedDelete(created.id, this.deps.fleet, d.name);
      const deleted = gone === 'deleted' || gone === 'gone';
      // Its token is nobody's now: nothing of this run is held only in memory (stored stays unset).
      if (held) held.is.done = `another run created #${keep} for ${d.name} first, so this run stored no token: #${created.id}, created by this one, was ${deleted ? 'deleted again' : `not deleted (${gone === 'refused' ? 'its marker changed' : 'assigned to other projects since'})`}`;
      return `another run created #${keep} first; ${deleted ? `deleted #${created.id}` : `#${created.id} not deleted (${gone === 'refused' ? 'its marker changed' : 'assigned to other projects since'})`}`;
    }
    const extra = found.slice(1).map((r) => r.id);
    const kept: number[] = [];
    for (const id of extra) if (typeof (await this.confirmedDelete(id, this.deps.fleet, d.name)) === 'object') kept.push(id);
    const gone = extra.filter((id) => !kept.includes(id));
    const dedup = `${gone.length > 0 ? `; deleted duplicates ${gone.map((i) => `#${i}`).join(', ')}` : ''}${kept.length > 0 ? `; duplicates ${kept.map((i) => `#${i}`).join(', ')} not deleted (assigned to other projects too)` : ''}`;
    if (created) {
      // The runner exists in GitLab now: a store that cannot be written leaves it without its token until register repairs it.
      const lost = `; runner #${keep} was created in GitLab and its token is stored nowhere: once ${this.deps.store(d).label} can be written, runner-fleet register resets its token and stores it (no second runner is created)`;
      try {
        await saying(lost, () => this.guard(d, [keep]));
        await this.storeWrite(d, { token: created.token, runnerId: keep, expiresAt: created.token_expires_at, state: 'valid', owner: this.owner(d) }, '', { id: keep, what: `runner #${keep} was created in GitLab`, nowhere: lost });
        if (held) {
          held.is.done = `runner #${keep} was created in GitLab for ${d.name} and its token stored in ${this.deps.store(d).label}`;
          held.is.stored = true;
          held.release();
        }
      } catch (e) {
        if (!(e instanceof StoreConflictError)) throw e;
        // Nothing of this runner stays: the runner just created would only hold a token nobody has.
        const gone = await this.confirmedDelete(created.id, this.deps.fleet, d.name);
        if (held && gone !== 'refused' && typeof gone !== 'object') held.is.done = `${this.deps.store(d).label} was found holding another owner's token, so runner #${created.id}, created for ${d.name}, was deleted again (nothing of it is left)`;
        throw new StoreConflictError(`${e.message} Runner #${created.id}, created for it, was ${gone === 'refused' ? 'not deleted (its marker changed)' : typeof gone === 'object' ? `not deleted (assigned to ${gone.shared.join(', ')} since)` : 'deleted again'}.`);
      }
      restart(() => this.restartOrNote(d));
      return `created #${keep}, token stored${dedup}`;
    }
    await this.repairToken(d, keep);
    restart(() => this.restartOwed(d, keep));
    return `#${keep} was created by an earlier attempt whose answer was lost; token reset and stored${dedup}`;
  }

  /**
   * Register's steps, one runner after another; the restarts of the managers whose tokens were
   * stored go on meanwhile, RESTART_CONCURRENCY at once (Restarts). After registration the
   * manager may not be deployed yet: a failed restart is reported in the step, not fatal.
   */
  async applyRegister(desired: DesiredRunner[], steps: Step[]): Promise<StepResult[]> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    const restarts = new Restarts(RESTART_CONCURRENCY);
    const results = await this.run(steps, async (s) => {
      const d = byName.get(s.runner)!;
      switch (s.action) {
        case 'create':
          return restarts.step(s.runner, (restart) => this.create(d, restart));
        case 'deduplicate': {
          // Listed again: the plan's choice stands while that runner is there, else it is made again.
          const found = await this.findByMarker(d);
          const keep = found.find((r) => r.id === s.id) ?? (await this.keeperOf(d, found, await this.deps.store(d).read())).keep;
          const kept: string[] = [];
          const others = found.filter((r) => r.id !== keep?.id);
          for (const r of others) {
            const out = await this.confirmedDelete(r.id, this.deps.fleet, d.name);
            if (typeof out === 'object') kept.push(`#${r.id} (assigned to ${out.shared.join(', ')}: unassign it from the other projects to delete it)`);
          }
          return `kept #${keep?.id ?? s.id}, deleted ${others.length - kept.length}${kept.length > 0 ? `; not deleted: ${kept.join(', ')}` : ''}`;
        }
        case 'repair-token':
          return restarts.step(s.runner, async (restart) => {
            await this.repairToken(d, s.id!);
            restart(() => this.restartOwed(d, s.id!));
            return `token of #${s.id} reset and stored in ${this.deps.store(d).label}`;
          });
        case 'restart-manager':
        case 'clear-restart-owed':
          // The same call for both: a manager deployed since the plan is restarted, one still not deployed has its mark cleared (restartOwed).
          return restarts.step(s.runner, (restart) => {
            restart(() => this.restartOwed(d, s.id!));
            return Promise.resolve(`the token of #${s.id} in ${this.deps.store(d).label} was stored by an earlier run that did not restart the manager`);
          });
        case 'update': {
          const details = await this.gl.getRunner(s.id!);
          if (!details) return 'gone';
          const drift = driftOf(d.settings, details);
          if (drift.length > 0) await this.gl.updateRunner(s.id!, correction(d.settings, drift));
          return `set ${drift.map((x) => x.field).join(', ') || 'nothing (already current)'}`;
        }
        case 'conflict':
          throw new Error(s.detail);
        case 'rotate':
        case 'delete':
        case 'pause':
        case 'wait-for-jobs':
        case 'resume':
        case 'clear-token':
          throw new Error(`internal: register has no step ${s.action}`);
      }
    });
    const restarted = await restarts.settled();
    return results.map((r) => {
      if (r.outcome !== 'done' || (r.action !== 'create' && r.action !== 'repair-token' && r.action !== 'restart-manager' && r.action !== 'clear-restart-owed') || !restarted.has(r.runner)) return r;
      const e = restarted.get(r.runner);
      if (typeof e === 'string') return { ...r, detail: `${r.detail}; ${e}` };
      if (e !== undefined && !(e instanceof Error)) return { ...r, detail: `${r.detail}; manager restarted; ${e.restarted}` };
      const owedOnly = r.action === 'restart-manager' || r.action === 'clear-restart-owed';
      if (e !== undefined && isAccessRefused(e) && owedOnly) this.accessRefused = true;
      // The restart (or clearing) is all such a step does: one that fails fails the step (the store still says it is owed).
      return { ...r, ...(e !== undefined && owedOnly ? { outcome: 'failed' as const } : {}), detail: `${r.detail}${e === undefined ? '; manager restarted' : `; manager not restarted (${e.message})`}` };
    });
  }

  // ---------------------------------------------------------------- rotate

  /**
   * Without an access token (the scheduled rotation pipeline), the runner id comes from the store
   * and the token is reset with the current token alone; repairs then need `register`.
   */
  async planRotate(desired: DesiredRunner[], opts: { ifExpiringWithinMs?: number }): Promise<Step[]> {
    const obs = this.deps.canManage ? await this.observe(desired) : undefined;
    const steps: Step[] = [];
    for (const d of desired) {
      if (d.registration !== 'api') continue;
      const stored = await this.deps.store(d).read();
      const kept = obs ? await this.keeperOf(d, obs.byRunner.get(d.name) ?? [], stored) : undefined;
      const keep = obs ? kept!.keep : stored?.runnerId !== undefined ? { id: stored.runnerId } : undefined;
      if (!keep) {
        // Without an access token the runner id comes from the store: an unclaimed token there is
        // said (a conflict, as register and status say), not passed over as if nothing were stored.
        const conflict = !obs && unclaimed(stored) ? await this.storeConflict(d, stored, []) : undefined;
        if (conflict) steps.push(conflict);
        continue;
      }
      const conflict = await this.storeConflict(d, stored, obs ? (obs.byRunner.get(d.name) ?? []).map((r) => r.id) : [keep.id], keep.id);
      if (conflict) {
        steps.push(conflict);
        continue;
      }
      const why = this.needsRepair(stored, keep.id);
      if (why) {
        steps.push({ runner: d.name, action: 'repair-token', id: keep.id, detail: `${why}: reset by id and store` });
        continue;
      }
      let expiring = '';
      if (opts.ifExpiringWithinMs !== undefined) {
        const expiry = await this.expiryForRotate(stored!, keep.id, kept?.details);
        if (expiry.refused) {
          // The stored token no longer works: a reset with it would be refused too; reset by id.
          steps.push({ runner: d.name, action: 'repair-token', id: keep.id, detail: `GitLab refuses the stored token (${VERIFY_REFUSED}): reset by id and store${this.deps.canManage ? '' : ' (needs an access token with manage_runner)'}` });
          continue;
        }
        if (expiry.otherRunner !== undefined) {
          steps.push({ runner: d.name, action: 'conflict', id: keep.id, detail: `${this.deps.store(d).label} ${this.otherRunnersToken(d, expiry.otherRunner, keep.id)}` });
          continue;
        }
        // Not expiring: no new token, but a restart an earlier run owes is done.
        const owed = await this.owedStep(d, stored, keep.id);
        if (expiry.at === null) {
          if (owed) steps.push(owed);
          continue;
        }
        if (expiry.at !== undefined) {
          const exp = Date.parse(expiry.at);
          if (Number.isNaN(exp) || exp - this.deps.timing.now() > opts.ifExpiringWithinMs) {
            if (owed) steps.push(owed);
            continue;
          }
          expiring = `token expires ${expiry.at} (${expiry.from}); `;
        } else {
          expiring = `token expiry unknown (${expiry.from}): rotated now so it cannot expire unseen, and the new token's expiry is stored; `;
        }
      }
      steps.push({ runner: d.name, action: 'rotate', id: keep.id, detail: `${expiring}POST /runners/reset_authentication_token once POST /runners/verify says the stored token is #${keep.id}'s; new token to ${this.deps.store(d).label}; restart the manager` });
    }
    return steps;
  }

  /**
   * The expiry `rotate --if-expiring-within` judges a token by, with status's rule (expiryRule):
   * GitLab's first — token_expires_at in GET /runners/:id (with an access token, from a GitLab
   * that returns it) — then the store's record (GitLab's answer when it issued the token); when
   * neither knows, GitLab's POST /runners/verify with the stored token (no access token needed),
   * which also says whose token it is (`otherRunner`) and whether GitLab still accepts it
   * (`refused`). `at` undefined: known nowhere (`from` says where it was asked).
   */
  private async expiryForRotate(stored: StoredToken, id: number, read: Map<number, RunnerDetails | undefined> | undefined): Promise<{ at: string | null | undefined; from: string; refused?: boolean; otherRunner?: number }> {
    const recorded = 'as the token store recorded it when GitLab issued the token';
    const details = this.deps.canManage ? (read?.has(id) ? read.get(id) : await this.gl.getRunner(id)) : undefined;
    const rule = expiryRule(gitlabExpiry(details, undefined), storedExpiry(stored));
    if (rule.at !== undefined) {
      const from = rule.source === 'store' ? recorded : rule.at === null ? 'GitLab' : 'GitLab\'s runner details';
      if (rule.mismatch !== undefined) this.deps.progress(`runner #${id}: ${rule.mismatch}`);
      return { at: rule.at, from };
    }
    const v = await this.checkToken(stored.token);
    this.verifiedThisRun.add(id);
    if (v === 'refused') return { at: undefined, from: 'POST /runners/verify', refused: true };
    this.planVerified.set(id, { token: stored.token, answer: v });
    if (v.id !== undefined && v.id !== id) return { at: undefined, from: 'POST /runners/verify', otherRunner: v.id };
    const at = gitlabExpiry(undefined, v);
    if (at === null) return { at: null, from: 'GitLab' };
    if (at !== undefined) return { at, from: 'GitLab\'s POST /runners/verify' };
    const details404 = this.deps.canManage && !details;
    return { at: undefined, from: `the token store records none, ${!this.deps.canManage ? 'GitLab\'s runner details are not read without an access token' : details404 ? `GET /runners/${id} found no runner` : 'this GitLab\'s GET /runners/:id has no token_expires_at'}, and GitLab's answer to POST /runners/verify has none either` };
  }

  /**
   * The one wording, for status (--verify-tokens) and rotate, of a store whose token GitLab says
   * (POST /runners/verify) is runner #other's while the store records it as #id's: the manager
   * that reads it runs as #other, and a reset with the current token resets the token's own
   * runner, so it would reset #other's token and leave #id's as it was. Without the store's label
   * (status shows it before; rotate's steps put it first) and never with the token.
   */
  private otherRunnersToken(d: DesiredRunner, other: number, id: number): string {
    return `holds the token of runner #${other} (GitLab says so: POST /runners/verify), but records it as the token of #${id}, which is ${this.owner(d)} in GitLab: the manager that reads it runs as #${other}, and a token reset with it would reset #${other}, so runner-fleet does not rotate it. Empty this store and run runner-fleet register (it resets the token of #${id} by id and stores it); if #${other} is a runner of yours, its own store needs that token`;
  }

  /**
   * A new token for runner `id`, stored. With the stored token (POST
   * /runners/reset_authentication_token), which needs no access token (the scheduled pipeline)
   * and no more than the role that lists the runner, once GitLab has said the token is #id's:
   * that reset resets the token's own runner, whichever the store records. POST /runners/verify
   * says whose it is: another runner's is a conflict (StoreConflictError; nothing is reset or
   * written); a token GitLab refuses is reset by id; a GitLab whose verify names no runner
   * (before 15.10) leaves it unknown, and the reset is by id when an access token allows it.
   */
  private async rotateToken(d: DesiredRunner, id: number): Promise<void> {
    const stored = await this.guard(d, [id]);
    if (!stored || stored.token === '') {
      await this.repairToken(d, id);
      return;
    }
    // Whose token it is, from GitLab: the plan's answer when it asked about this same token in
    // this run (one verify, one contact, per runner per run), else a verify now.
    const planned = this.planVerified.get(id);
    this.planVerified.delete(id);
    const v = planned !== undefined && planned.token === stored.token ? planned.answer : await this.checkToken(stored.token);
    this.verifiedThisRun.add(id);
    if (v === 'refused') {
      this.deps.progress(`GitLab refuses the stored token of ${d.name} (${VERIFY_REFUSED}); resetting #${id} by runner id`);
      await this.repairToken(d, id);
      return;
    }
    if (v.id !== undefined && v.id !== id) throw new StoreConflictError(`${this.deps.store(d).label} ${this.otherRunnersToken(d, v.id, id)}`);
    if (v.id === undefined) {
      if (this.deps.canManage) {
        this.deps.progress(`GitLab's POST /runners/verify does not say whose the stored token of ${d.name} is (GitLab before 15.10); resetting #${id} by runner id, which resets no other runner`);
        await this.repairToken(d, id);
        return;
      }
      this.deps.progress(`GitLab's POST /runners/verify does not say whose the stored token of ${d.name} is (GitLab before 15.10), and without an access token #${id} cannot be reset by id: resetting with the stored token, recorded as #${id}'s`);
    }
    await this.storeWrite(d, { ...stored, state: 'pending', owner: this.owner(d) });
    const held = this.hold({ runner: d.name, id, left: this.resetLeft(d, id, 'may have been reset', true) });
    try {
      await this.rotateHeld(d, id, stored, held);
    } catch (e) {
      held.fail(e);
      throw e;
    } finally {
      held.release();
    }
  }

  /** rotateToken from the reset with the stored token until the new token is stored (held: only in memory meanwhile). */
  private async rotateHeld(d: DesiredRunner, id: number, stored: StoredToken, held: { is: Held }): Promise<void> {
    let fresh: NewToken | undefined;
    try {
      fresh = await this.gl.resetTokenWithCurrent(stored.token);
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError) && !(e instanceof GitLabHttpError && (e.status === 403 || e.status === 401))) throw e;
      if (e instanceof OutcomeUnknownError) {
        this.deps.progress(`${e.message}; trying the stored token again to learn whether GitLab reset it`);
        try {
          fresh = await this.gl.resetTokenWithCurrent(stored.token);
        } catch (again) {
          if (!(again instanceof OutcomeUnknownError) && !(again instanceof GitLabHttpError && (again.status === 403 || again.status === 401))) throw again;
        }
      }
      if (!fresh) {
        this.deps.progress(`the stored token of ${d.name} is no longer valid; resetting by runner id`);
        fresh = await this.resetById(id);
      }
    }
    await this.storeReset(d, id, fresh, held, true);
  }

  /**
   * After a token reset of #id (repairToken, rotateHeld): what a stop now leaves, the store's guard,
   * the store write, and what was done (`held`, for a signal held meanwhile). `marked`: the store
   * holds the earlier token marked pending.
   */
  private async storeReset(d: DesiredRunner, id: number, t: NewToken, held: { is: Held }, marked: boolean): Promise<void> {
    held.is.left = this.resetLeft(d, id, 'was reset', marked);
    await this.deps.pauseAt?.('reset');
    const lost = `; the token of #${id} was reset in GitLab and is stored nowhere: once the store is settled, runner-fleet register resets and stores it again`;
    await this.guard(d, [id], lost);
    // Stored with its manager's restart owed (restartOwed writes `valid` once it is done): a stop before then, even SIGKILL, is seen by the next run.
    await this.storeWrite(d, { token: t.token, runnerId: id, expiresAt: t.token_expires_at, state: 'restart-owed', owner: this.owner(d) }, lost, { id, what: `the token of #${id} was reset in GitLab`, nowhere: lost });
    held.is.done = `the token of #${id} (${d.name}) was reset in GitLab and the new one stored in ${this.deps.store(d).label}`;
    held.is.stored = true;
    held.is.restartOwed = true;
    await this.deps.pauseAt?.('stored');
  }

  /**
   * runner-fleet's token check: POST /runners/verify with a stored token (whose it is, whether
   * GitLab accepts it, when it expires), then DELETE /runners/managers with the same token for the
   * manager GitLab keeps for the check (VERIFY_SYSTEM_ID only, never one of the runner's own), so
   * the check leaves no manager behind. A token GitLab refuses leaves none; nor does a DELETE that
   * GitLab answers with its own 404 'Runner manager not found' (the endpoint is there, and the
   * runner has no manager by that system_id). A GitLab that keeps it (before 16.0 it has no such
   * endpoint: another 404, or 405) is said once per run on stderr, not as an error: status then
   * labels the manager as the token check.
   */
  private async checkToken(token: string): Promise<VerifiedToken | 'refused'> {
    const v = await this.gl.verifyRunnerToken(token);
    if (v === 'refused') return v;
    let kept: string | undefined;
    try {
      const out = await this.gl.deleteVerifyManager(token);
      // GitLab's own 404 (lib/api/ci/runner.rb `not_found!('Runner manager not found')`): the endpoint is there, and no manager is kept.
      const noneKept = out !== 'deleted' && out.status === 404 && /runner manager not found/i.test(out.detail);
      if (out !== 'deleted' && !noneKept) kept = `DELETE /runners/managers answered ${out.status}${out.status === 404 || out.status === 405 ? ' (GitLab added it in 16.0; an older GitLab has no such endpoint)' : ''}`;
    } catch (e) {
      kept = e instanceof Error ? e.message : String(e);
    }
    if (kept !== undefined && !this.checkManagerKeptSaid) {
      this.checkManagerKeptSaid = true;
      this.deps.progress(`GitLab keeps the runner manager ${VERIFY_SYSTEM_ID} that runner-fleet's token check (POST /runners/verify) creates: ${kept}. It runs no jobs; status labels it as the token check`);
    }
    return v;
  }

  /**
   * GET /runners/:id/managers, or `no-endpoint` when this GitLab answers 404 to it (a GitLab
   * without the runner managers API): status and rotate's wait then go without the list.
   */
  private async managersOrNone(id: number): Promise<RunnerManager[] | 'no-endpoint'> {
    try {
      return await this.gl.managers(id);
    } catch (e) {
      if (e instanceof GitLabHttpError && e.status === 404 && !isAccessRefused(e)) return 'no-endpoint';
      throw e;
    }
  }

  /**
   * The last contact of runner `id`'s own managers: those GET /runners/:id/managers lists but the
   * one runner-fleet's POST /runners/verify leaves (VERIFY_SYSTEM_ID). The verify made before a
   * reset counts as a contact of the runner (contacted_at), so after it the runner's contact no
   * longer says that its manager came back. A GitLab without the managers endpoint (404): the
   * runner's contact, as before.
   */
  private async managersContact(id: number): Promise<string | null | undefined> {
    const managers = await this.managersOrNone(id);
    if (managers === 'no-endpoint') return (await this.gl.getRunner(id))?.contacted_at;
    const times = managers.filter((m) => m.system_id !== VERIFY_SYSTEM_ID && typeof m.contacted_at === 'string' && !Number.isNaN(Date.parse(m.contacted_at))).map((m) => m.contacted_at!);
    return times.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  }

  /**
   * Waits, for every restarted manager at once, until its runner contacts GitLab after its
   * restart: one shared deadline of `timeoutMs` from the first wait, polled every 5 s with at
   * most CONFIRM_CONCURRENCY reads in flight. A fleet of stuck runners costs `timeoutMs` in
   * all, never `timeoutMs` per runner. Per runner: the contact time, or why it is not confirmed.
   */
  private async confirmAllOnline(waits: { runner: string; id: number; since: number; said: string }[], timeoutMs: number): Promise<Map<string, { ok: boolean; detail: string }>> {
    const out = new Map<string, { ok: boolean; detail: string }>();
    const start = this.deps.timing.now();
    let left = waits;
    for (;;) {
      const seen = await pool(left, CONFIRM_CONCURRENCY, async (w): Promise<string | Error | undefined> => {
        try {
          const at = this.verifiedThisRun.has(w.id) ? await this.managersContact(w.id) : (await this.gl.getRunner(w.id))?.contacted_at;
          const contacted = at ? Date.parse(at) : NaN;
          return !Number.isNaN(contacted) && contacted >= w.since ? at! : undefined;
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      });
      left = left.filter((w, i) => {
        const v = seen[i];
        if (v === undefined) return true;
        if (v instanceof Error) {
          if (isAccessRefused(v)) this.accessRefused = true;
          out.set(w.runner, { ok: false, detail: `${w.said}; manager restarted, but whether it is online is unknown: ${v.message}` });
        } else {
          out.set(w.runner, { ok: true, detail: `${w.said}; manager restarted and online with the new token (contact at ${v})` });
        }
        return false;
      });
      if (left.length === 0) return out;
      const waited = this.deps.timing.now() - start;
      if (waited >= timeoutMs) {
        for (const w of left) out.set(w.runner, { ok: false, detail: `runner ${w.runner} (#${w.id}) has not contacted GitLab since its restart (waited ${Math.round(waited / 1000)} s for the ${waits.length} restarted runner${waits.length === 1 ? '' : 's'} together); its token is stored, check the manager` });
        return out;
      }
      this.deps.progress(`waiting for ${left.map((w) => `${w.runner} (#${w.id})`).join(', ')} to contact GitLab with the new token (${Math.round(waited / 1000)} s of ${Math.round(timeoutMs / 1000)} s, all together)`);
      await this.deps.timing.sleep(5_000);
    }
  }

  /**
   * Rotates (or repairs) each runner's token, one runner after another, and restarts its manager
   * as soon as the new token is stored; the restarts go on while the next runners' tokens are
   * rotated, RESTART_CONCURRENCY at once (a Key Vault runner's restart waits up to 150 s for the
   * CSI driver's sync: a fleet of 20 costs minutes, not 20 × 150 s). Then it waits for the
   * restarted managers together (confirmAllOnline), bounded by `confirmTimeoutMs` for the whole
   * fleet. Each runner's outcome is its own: a restart that fails, or a runner that does not come
   * back, is a failed step of that runner only.
   */
  async applyRotate(desired: DesiredRunner[], steps: Step[], opts: { confirmTimeoutMs: number }): Promise<StepResult[]> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    const restarts = new Restarts(RESTART_CONCURRENCY);
    const since = new Map<string, number>();
    // What the step did to the token, before what became of the manager.
    const said = (s: Step) => (s.action === 'restart-manager' || s.action === 'clear-restart-owed' ? 'token stored by an earlier run' : 'token rotated and stored');
    const results = await this.run(steps, async (s) => {
      const d = byName.get(s.runner)!;
      if (s.action === 'conflict') throw new Error(s.detail);
      return restarts.step(s.runner, async (restart) => {
        if (s.action === 'repair-token') await this.repairToken(d, s.id!);
        else if (s.action !== 'restart-manager' && s.action !== 'clear-restart-owed') await this.rotateToken(d, s.id!);
        restart(async () => {
          since.set(s.runner, this.deps.timing.now());
          return this.restartOwed(d, s.id!);
        });
        return said(s);
      });
    });
    const restarted = await restarts.settled();
    const waits: { runner: string; id: number; since: number; said: string }[] = [];
    const tails = new Map<string, string>();
    const after = results.map((r): StepResult => {
      if (r.outcome !== 'done' || !restarted.has(r.runner)) return r;
      const e = restarted.get(r.runner);
      // Not deployed: nothing runs with the replaced token, and nothing will come online to wait for.
      if (typeof e === 'string') return { ...r, detail: `${said(r)}; ${e}` };
      if (e instanceof Error) {
        if (isAccessRefused(e)) this.accessRefused = true;
        return { ...r, outcome: 'failed', detail: `${said(r)}, but the manager was not restarted: ${e.message}` };
      }
      // Restarted, its mark left owed (the store changed meanwhile): said after whatever the wait finds.
      const tail = e === undefined ? '' : `; ${e.restarted}`;
      if (opts.confirmTimeoutMs <= 0) return { ...r, detail: `${said(r)}; manager restarted (not waiting for it to come online)${tail}` };
      waits.push({ runner: r.runner, id: r.id!, since: since.get(r.runner)!, said: said(r) });
      tails.set(r.runner, tail);
      return { ...r, detail: `${said(r)}; manager restarted${tail}` };
    });
    if (waits.length === 0) return after;
    const confirmed = await this.confirmAllOnline(waits, opts.confirmTimeoutMs);
    return after.map((r) => {
      const c = r.outcome === 'done' ? confirmed.get(r.runner) : undefined;
      return c === undefined ? r : { ...r, outcome: c.ok ? 'done' : 'failed', detail: `${c.detail}${tails.get(r.runner) ?? ''}` };
    });
  }

  // ---------------------------------------------------------------- drain / resume

  async planDrain(desired: DesiredRunner[], name: string, resume: boolean): Promise<Step[]> {
    const d = desired.find((x) => x.name === name)!;
    const found = (await this.observe([d])).byRunner.get(name) ?? [];
    if (resume) return found.map((r) => ({ runner: name, action: 'resume' as const, id: r.id, detail: `PUT /runners/${r.id} paused=${String(d.settings.paused)}` }));
    return found.flatMap((r) => [
      { runner: name, action: 'pause' as const, id: r.id, detail: `PUT /runners/${r.id} paused=true` },
      { runner: name, action: 'wait-for-jobs' as const, id: r.id, detail: `until GET /runners/${r.id}/jobs?status=running is empty` },
    ]);
  }

  async applyDrain(desired: DesiredRunner[], steps: Step[], opts: { timeoutMs: number }): Promise<StepResult[]> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    return this.run(steps, async (s) => {
      const d = byName.get(s.runner)!;
      if (s.action === 'pause') {
        await this.gl.updateRunner(s.id!, { paused: true });
        return 'paused: GitLab gives it no new jobs';
      }
      if (s.action === 'resume') {
        await this.gl.updateRunner(s.id!, { paused: d.settings.paused });
        return d.settings.paused ? 'left paused, as the spec says' : 'resumed';
      }
      const start = this.deps.timing.now();
      for (;;) {
        const running = (await this.gl.runningJobs(s.id!)).length;
        if (running === 0) return 'no job runs: safe to replace the manager';
        const waited = this.deps.timing.now() - start;
        if (waited >= opts.timeoutMs) {
          throw new Error(`${running} jobs still run on ${d.name} (#${s.id}) after ${Math.round(waited / 1000)} s; the runner stays paused (GitLab gives it no new jobs): run drain again with a longer --timeout to wait for them, or resume to let it take jobs again`);
        }
        this.deps.progress(`${d.name} (#${s.id}): ${running} job(s) running; waiting (${Math.round(waited / 1000)} s of ${Math.round(opts.timeoutMs / 1000)} s)`);
        await this.deps.timing.sleep(10_000);
      }
    });
  }

  // ---------------------------------------------------------------- prune / unregister

  /**
   * Deletes the phantoms; a phantom whose name is an API entry of the spec (its runner moved to
   * another scope in the spec, or a duplicate left there) may have its token in that entry's
   * store: when the store holds the token of that phantom (its runner id beside it, written for
   * this entry), it is emptied after the delete, so no store keeps a token of a deleted runner. A
   * phantom whose name is in no entry (a runner renamed or removed in the spec) has no store the
   * spec names: runner-fleet cannot know where its token was.
   */
  async planPrune(desired: DesiredRunner[]): Promise<Step[]> {
    const { phantoms } = await this.observe(desired);
    const byName = new Map(desired.map((d) => [d.name, d]));
    const steps: Step[] = [];
    for (const p of phantoms) {
      steps.push({ runner: p.runner, action: 'delete', id: p.id, detail: `phantom in ${p.scope}: "${p.description}"` });
      const d = byName.get(p.runner);
      if (d?.registration !== 'api') continue;
      let stored: StoredToken | undefined;
      try {
        stored = await this.deps.store(d).read();
      } catch (e) {
        this.deps.progress(`${this.deps.store(d).label} cannot be read, so whether it holds the token of phantom #${p.id} is not known (${e instanceof Error ? e.message : String(e)}); once it can be, runner-fleet status says so and register replaces it`);
        continue;
      }
      if (this.holdsTokenOf(d, stored, p.id)) steps.push({ runner: p.runner, action: 'clear-token', id: p.id, detail: `empty ${this.deps.store(d).label}: it holds the token of phantom #${p.id}, which the delete makes a token of no runner` });
    }
    return steps;
  }

  /** Whether `stored` is the token of runner `id`, written for entry `d` (or before owners were recorded). */
  private holdsTokenOf(d: DesiredRunner, stored: StoredToken | undefined, id: number): boolean {
    return stored !== undefined && stored.token !== '' && stored.runnerId === id && (stored.owner === undefined || stored.owner === this.owner(d));
  }

  async applyPrune(desired: DesiredRunner[], steps: Step[]): Promise<StepResult[]> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    return this.holdingDeletes('prune', steps, byName, async (s) => {
      if (s.action !== 'clear-token') return this.deleted(await this.confirmedDelete(s.id!, this.deps.fleet, s.runner), s);
      const d = byName.get(s.runner)!;
      // Re-read: emptied only while it still holds that runner's token (register may have stored a new one since).
      if (!this.holdsTokenOf(d, await this.deps.store(d).read(), s.id!)) return `nothing to remove: ${this.deps.store(d).label} no longer holds the token of #${s.id}`;
      await this.clearStore(d);
      return 'token removed';
    });
  }

  /** Empties an entry's store; one another owner took meanwhile is a conflict, said with its fix. */
  private async clearStore(d: DesiredRunner): Promise<void> {
    try {
      await this.deps.store(d).clear();
    } catch (e) {
      if (e instanceof StoreConflictError) throw new StoreConflictError(`${e.message}. ${conflictFix(d)}`);
      throw e;
    }
  }

  /**
   * Runs unregister's or prune's steps, holding a signal (EngineDeps.holding) from the delete of
   * a runner whose token a store holds until that store is emptied (its clear-token step): a stop
   * in between would leave a token of a runner GitLab no longer has. At most the deletes of one
   * runner's ids and one store write, each bounded by the call deadline.
   */
  private async holdingDeletes(command: 'unregister' | 'prune', steps: Step[], byName: Map<string, DesiredRunner>, fn: (s: Step) => Promise<string>): Promise<StepResult[]> {
    const label = (runner: string) => {
      const d = byName.get(runner);
      return d ? this.deps.store(d).label : 'its token store';
    };
    let held: { is: Held; release: () => void; fail: (e: unknown) => void } | undefined;
    const cleared = (s: Step) => steps.find((c) => c.action === 'clear-token' && c.runner === s.runner && (command === 'unregister' || c.id === s.id));
    try {
      return await this.run(steps, async (s) => {
        const clear = s.action === 'delete' ? cleared(s) : undefined;
        if (clear !== undefined && held === undefined) {
          const store = label(s.runner);
          held = this.hold({ runner: s.runner, id: s.id!, left: `runner #${s.id} (${s.runner}) was deleted in GitLab, or its delete was sent, and ${store} still holds its token, which no runner has then: runner-fleet ${command} again empties it` });
        }
        try {
          const out = await fn(s);
          if (s.action === 'clear-token' && held !== undefined) {
            held.is.done = `${held.is.id !== undefined ? `runner #${held.is.id}` : 'the runner'} (${s.runner}) was deleted in GitLab and its token removed from ${label(s.runner)}`;
            held.is.stored = true;
            held.release();
            held = undefined;
          }
          return out;
        } catch (e) {
          if (held !== undefined) {
            held.fail(e);
            held.release();
            held = undefined;
          }
          throw e;
        }
      }, command === 'prune' ? phantomKey : undefined);
    } finally {
      held?.release();
    }
  }

  async planUnregister(desired: DesiredRunner[], name: string): Promise<Step[]> {
    const d = desired.find((x) => x.name === name)!;
    const found = (await this.observe([d])).byRunner.get(name) ?? [];
    const steps: Step[] = found.map((r) => ({ runner: name, action: 'delete' as const, id: r.id, detail: `DELETE /runners/${r.id} after re-reading its marker` }));
    if (d.registration === 'api') {
      const stored = await this.deps.store(d).read();
      const conflict = await this.storeConflict(d, stored, found.map((r) => r.id));
      // A store already empty (a second unregister) has nothing to remove.
      if (conflict) steps.push(conflict);
      else if (stored !== undefined && stored.token !== '') steps.push({ runner: name, action: 'clear-token', detail: `empty ${this.deps.store(d).label}` });
    }
    return steps;
  }

  async applyUnregister(desired: DesiredRunner[], steps: Step[]): Promise<StepResult[]> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    return this.holdingDeletes('unregister', steps, byName, async (s) => {
      if (s.action === 'conflict') throw new Error(s.detail);
      if (s.action === 'clear-token') {
        const d = byName.get(s.runner)!;
        await this.guard(d, []);
        await this.clearStore(d);
        return 'token removed';
      }
      return this.deleted(await this.confirmedDelete(s.id!, this.deps.fleet, s.runner), s, byName.get(s.runner)?.scope);
    });
  }

  /**
   * Runs steps in order; a failed step is reported and the later steps of the same runner are
   * skipped. Which runner a step belongs to is `key`: by default the spec entry (its name: every
   * step of register, rotate, drain and unregister acts for that entry's runners and store). A
   * phantom is not an entry: two phantoms (or a phantom and an entry) may share a name and are
   * still other runners, so prune keys its steps by the phantom's GitLab id (phantomKey), and a
   * failed delete skips only that phantom's clear-token.
   */
  private async run(steps: Step[], fn: (s: Step) => Promise<string>, key: (s: Step) => string = (s) => s.runner): Promise<StepResult[]> {
    const failed = new Set<string>();
    const out: StepResult[] = [];
    for (const s of steps) {
      if (failed.has(key(s))) {
        out.push({ ...s, outcome: 'skipped', detail: 'an earlier step of this runner failed' });
        continue;
      }
      this.deps.progress(`${s.action} ${s.runner}${s.id !== undefined ? ` (#${s.id})` : ''}`);
      this.current = s;
      try {
        out.push({ ...s, outcome: 'done', detail: await fn(s) });
      } catch (e) {
        if (isAccessRefused(e)) this.accessRefused = true;
        failed.add(key(s));
        // A store taken by someone else since the plan: the step became a conflict.
        if (e instanceof StoreConflictError) out.push({ ...s, action: 'conflict', outcome: 'failed', detail: `${s.action} refused: ${e.message}` });
        else out.push({ ...s, outcome: 'failed', detail: e instanceof GitLabHttpError && goneSincePlan(e, s) ? `${e.message}: runner #${s.id!} was in GitLab when this run listed it, and is gone now (deleted since, or no longer visible to the access token's user); nothing was changed on it: run status to see what GitLab has, and register to create the runner again` : e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }
}

/** Which runner a prune step belongs to: the phantom's GitLab id (its delete and its clear-token carry it), not its name. */
const phantomKey = (s: Step): string => `#${s.id!}`;

/**
 * GitLab's 404 about the runner to a call by the id of the step's runner: the runner the plan
 * listed is gone. GitLab says `not_found!('Runner')` ("404 Runner Not Found"); GitLabs that look the
 * runner up with `Ci::Runner.find` answer the API's RecordNotFound rescue, "404 Not found" (lower
 * case: its catch-all route's "404 Not Found" is a path it has no route for, not a missing runner).
 */
function goneSincePlan(e: GitLabHttpError, s: Step): boolean {
  return e.status === 404 && s.id !== undefined && (e.detail === '404 Runner Not Found' || e.detail === '404 Not found') && new RegExp(`/runners/${s.id}(/|$)`).test(e.call);
}

/**
 * A new token GitLab has issued for runner `id` that a store write is to hold: `what` GitLab did,
 * and what a failed write says when reading back shows the token is not there (`nowhere`).
 */
interface Fresh {
  id: number;
  what: string;
  nowhere: string;
}

/**
 * `e` with `suffix` added to its message (what GitLab had already done when it happened), a
 * refused credential still marked as one (exit 2). An empty suffix leaves `e` as it is.
 */
function withSuffix(e: unknown, suffix: string): unknown {
  if (suffix === '' || e instanceof StoreConflictError) return e;
  const out = new Error(`${e instanceof Error ? e.message : String(e)}${suffix}`, { cause: e });
  return isAccessRefused(e) ? Object.assign(out, { accessRefused: true }) : out;
}

/** Runs `fn`; an error it throws says `suffix` too (withSuffix). */
async function saying<T>(suffix: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw withSuffix(e, suffix);
  }
}

/** The paths (else ids) of the projects GitLab says a project runner is assigned to; none for group and instance runners. */
function assignedProjects(r: RunnerDetails): string[] {
  if (r.runner_type !== 'project_type' || !Array.isArray(r.projects)) return [];
  return r.projects.map((p) => (typeof p.path_with_namespace === 'string' ? p.path_with_namespace : `#${p.id}`));
}

/** The parent group of a subgroup scope (`acme` of `acme/platform`); undefined for a top-level group, a project or the instance. */
function parentGroup(scope: RunnerScope): string | undefined {
  if (scope.type !== 'group_type') return undefined;
  const cut = scope.path.lastIndexOf('/');
  return cut > 0 ? scope.path.slice(0, cut) : undefined;
}

/** Why deduplication keeps runner `id` when it is not simply the lowest id (keeperOf), for the plan. */
function keepWhy(details: Map<number, RunnerDetails | undefined>, id: number, stored: StoredToken | undefined): string {
  const projects = assignedProjects(details.get(id) ?? ({} as RunnerDetails));
  if (projects.length > 1) return ` (assigned to ${projects.join(', ')}: not deleted by deduplication)`;
  return stored?.runnerId === id ? ' (the token store holds its token)' : '';
}
