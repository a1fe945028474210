/**
 * A GitLab REST API test double for the runner endpoints runner-fleet calls, in process (a
 * `fetch`-compatible function), with fault injection driven by a seeded schedule and a virtual
 * clock. Request and response shapes follow the GitLab API documentation; every handler names
 * its page. Only the fields runner-fleet reads or writes are modelled.
 */
import type { FetchLike } from '../../src/live/gitlab.js';
import type { Timing } from '../../src/live/retry.js';
import { seeded } from './rng.js';

export { seeded };

export class VirtualClock implements Timing {
  t = Date.parse('2026-06-01T00:00:00Z');
  slept = 0;
  constructor(readonly random: () => number = seeded(1)) {}
  now = () => this.t;
  sleep = async (ms: number) => {
    this.t += ms;
    this.slept += ms;
    await Promise.resolve();
  };
}

/** `lost-cut` (never drawn at random, only scripted): GitLab acts and its answer stops after its first bytes, the connection closed. */
export type Fault = 'rate-limit' | 'rate-limit-reset' | '500' | '502' | '503' | 'timeout' | 'reset' | 'slow' | 'lost-timeout' | 'lost-502' | 'lost-cut';
export const FAULTS: Fault[] = ['rate-limit', 'rate-limit-reset', '500', '502', '503', 'timeout', 'reset', 'slow', 'lost-timeout', 'lost-502'];

export interface DoubleRunner {
  id: number;
  description: string;
  paused: boolean;
  runner_type: 'instance_type' | 'group_type' | 'project_type';
  groupId?: number;
  /** A project runner's owner: the project it was created for. */
  projectId?: number;
  /** Other projects a project runner is assigned to (POST /projects/:id/runners), besides its owner. */
  assigned?: number[];
  tag_list: string[];
  run_untagged: boolean;
  locked: boolean;
  access_level: string;
  maximum_timeout: number | null;
  maintenance_note: string | null;
  token: string;
  token_expires_at: string | null;
  contacted_at: string | null;
  runningJobs: number;
  /** Virtual time at which the running jobs finish; undefined: they never finish by themselves. */
  jobsEndAt?: number;
  /** Managers GitLab keeps for the system_ids sent to POST /runners/verify (system_id → last contact). */
  verifyManagers?: Record<string, string>;
  /** The last contact of the runner's own manager when a verify has moved contacted_at since; undefined: contacted_at. */
  managerContactedAt?: string | null;
}

export interface DoubleOptions {
  /** The access token every management endpoint requires (PRIVATE-TOKEN). */
  accessToken: string;
  clock: VirtualClock;
  /** Probability that one request meets a fault. */
  faultRate?: number;
  faults?: Fault[];
  seed?: number;
  /** Marks every token the double issues, to find it in any output. */
  canary?: string;
  /** Lifetime of issued runner tokens; null: no expiry. */
  tokenLifetimeMs?: number | null;
  /**
   * GET /runners/:id returns token_expires_at, as newer GitLabs do (gitlab-org/gitlab#627823);
   * GitLab's documented RunnerDetails entity has no such field, and by default neither has the double.
   */
  detailsTokenExpiry?: boolean;
  /** POST /runners/verify answers 200 without the runner's details, as GitLabs before gitlab-org/gitlab!112168 (around 15.10) do. */
  verifyBare?: boolean;
  /** GET /runners/:id/managers answers 404, as a GitLab without the runner managers API does. */
  noManagersEndpoint?: boolean;
  /**
   * DELETE /runners/managers answers this status (404 or 405) without acting, as a GitLab before
   * 16.0 (gitlab-org/gitlab!118212) without that endpoint does; it keeps every manager.
   */
  noManagerDeleteEndpoint?: 404 | 405;
  /** The access token's user is an administrator (GitLab skips the role checks, e.g. deleting a runner assigned to several projects). */
  admin?: boolean;
}

/**
 * The answer the double gives: the parts of a fetch `Response` the clients read (status, ok,
 * headers.get, json). Building real `Response` objects costs ~0.5 ms each, which 1,000 schedules
 * cannot afford. The HTTP transport itself (TLS, redirects, real sockets) is tested against real
 * servers in test/ops-tls.test.ts, test/ops-proxy.test.ts and test/ops-misbehaving-gitlab.test.ts.
 */
export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response => {
  const h = { 'content-type': 'application/json', ...headers };
  const answer: Answer = { status, body: status === 204 ? null : body, headers: h };
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null },
    json: () => Promise.resolve(JSON.parse(JSON.stringify(answer.body)) as unknown),
    answer,
  } as unknown as Response;
};

const timeoutError = () => Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
const resetError = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });

export class GitLabDouble {
  readonly groups = new Map<string, number>();
  readonly projects = new Map<string, number>();
  readonly runners = new Map<number, DoubleRunner>();
  readonly faultLog: Fault[] = [];
  requests = 0;
  /** POST /runners/verify calls answered (any status). */
  verifyCalls = 0;
  /** DELETE /runners/managers calls answered (any status), with the system_id each named. */
  readonly managerDeletes: string[] = [];
  /** Every URL asked, in order (to show that no token travels in one). */
  readonly urls: string[] = [];
  private nextId = 100;
  private tokenCount = 0;
  private readonly rng: () => number;

  constructor(readonly opts: DoubleOptions) {
    this.rng = seeded(opts.seed ?? 7);
  }

  addGroup(path: string): number {
    const id = 1000 + this.groups.size + this.projects.size;
    this.groups.set(path, id);
    return id;
  }

  addProject(path: string): number {
    const id = 5000 + this.groups.size + this.projects.size;
    this.projects.set(path, id);
    return id;
  }

  issueToken(): { token: string; token_expires_at: string | null } {
    this.tokenCount++;
    const token = `glrt-${this.opts.canary ?? 'T'}${this.tokenCount.toString(36)}${Math.floor(this.rng() * 1e9).toString(36)}`;
    const life = this.opts.tokenLifetimeMs;
    return { token, token_expires_at: life === null || life === undefined ? null : new Date(this.opts.clock.now() + life).toISOString() };
  }

  /** Seeds a runner directly (a phantom, a runner another tool made, or one created before a crash). */
  seedRunner(r: Partial<DoubleRunner> & Pick<DoubleRunner, 'description' | 'runner_type'>): DoubleRunner {
    const t = this.issueToken();
    const full: DoubleRunner = { id: this.nextId++, paused: false, tag_list: [], run_untagged: true, locked: false, access_level: 'not_protected', maximum_timeout: null, maintenance_note: null, contacted_at: null, runningJobs: 0, ...t, ...r };
    this.runners.set(full.id, full);
    return full;
  }

  /** A manager contacting GitLab with a token (what a restarted runner manager does). */
  contact(token: string): boolean {
    for (const r of this.runners.values()) {
      if (r.token === token) {
        r.contacted_at = new Date(this.opts.clock.now()).toISOString();
        if (r.managerContactedAt !== undefined) r.managerContactedAt = r.contacted_at;
        return true;
      }
    }
    return false;
  }

  private pickFault(): Fault | undefined {
    if (this.rng() >= (this.opts.faultRate ?? 0)) return undefined;
    const list = this.opts.faults ?? FAULTS;
    return list[Math.floor(this.rng() * list.length)];
  }

  readonly fetch: FetchLike = (url, init) => {
    try {
      return Promise.resolve(this.answer(url, init));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  /** A fault chosen for one request by method and path (before the seeded draw; undefined: draw). */
  script?: (method: string, path: string) => Fault | undefined;

  private answer(url: string, init: Parameters<FetchLike>[1]): Response {
    this.requests++;
    this.urls.push(url);
    const fault = this.script?.(init.method ?? 'GET', new URL(url).pathname) ?? this.pickFault();
    if (fault) this.faultLog.push(fault);
    const clock = this.opts.clock;
    switch (fault) {
      case 'rate-limit':
        return json(429, { message: '429 Too Many Requests' }, { 'retry-after': String(1 + Math.floor(this.rng() * 3)) });
      case 'rate-limit-reset':
        return json(429, { message: '429 Too Many Requests' }, { 'ratelimit-reset': String(Math.floor(clock.now() / 1000) + 2) });
      case '500':
      case '502':
      case '503':
        return json(Number(fault), { message: `${fault} error` });
      case 'timeout':
        clock.t += 30_000;
        throw timeoutError();
      case 'reset':
        throw resetError();
      case 'slow':
        clock.t += 5_000;
        break;
      case 'lost-timeout':
      case 'lost-502':
      case 'lost-cut':
      case undefined:
        break;
    }
    const res = this.handle(init.method, new URL(url), init.headers, init.body === undefined ? undefined : (JSON.parse(init.body) as Record<string, unknown>));
    if (fault === 'lost-timeout') {
      clock.t += 30_000;
      throw timeoutError();
    }
    if (fault === 'lost-502') return json(502, { message: '502 Bad Gateway' });
    if (fault === 'lost-cut') {
      // The answer's first bytes, then the connection closes, as undici reports it to a body reader.
      const text = JSON.stringify((res as unknown as { answer: Answer }).answer.body);
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (!sent) {
            sent = true;
            c.enqueue(new TextEncoder().encode(text.slice(0, 8)));
            return;
          }
          c.error(Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }));
        },
      });
      return { ...(res as unknown as Record<string, unknown>), body } as unknown as Response;
    }
    return res;
  };

  private authorized(headers: Record<string, string>): boolean {
    return headers['private-token'] === this.opts.accessToken;
  }

  /**
   * A runner manager's status as GitLab derives it from its last contact: online within 2 h
   * (ONLINE_CONTACT_TIMEOUT), stale after 7 days without one (STALE_TIMEOUT; the double creates
   * a manager at its first contact), offline between.
   */
  private managerStatus(contactedAt: string): 'online' | 'offline' | 'stale' {
    const since = this.opts.clock.now() - Date.parse(contactedAt);
    return since < 2 * 3600_000 ? 'online' : since >= 7 * 86_400_000 ? 'stale' : 'offline';
  }

  /** Jobs running now (they end at `jobsEndAt`). */
  running(r: DoubleRunner): number {
    return r.jobsEndAt !== undefined && this.opts.clock.now() >= r.jobsEndAt ? 0 : r.runningJobs;
  }

  private details(r: DoubleRunner) {
    return {
      ...this.listed(r),
      tag_list: [...r.tag_list],
      run_untagged: r.run_untagged,
      locked: r.locked,
      access_level: r.access_level,
      maximum_timeout: r.maximum_timeout,
      maintenance_note: r.maintenance_note,
      contacted_at: r.contacted_at,
      version: r.contacted_at ? '18.9.0' : null,
      platform: r.contacted_at ? 'linux' : null,
      architecture: r.contacted_at ? 'amd64' : null,
      // The projects the runner is assigned to, in the projects' order (GitLab reads them with
      // WHERE id IN (...)), not in the order they were assigned: the owner is not told apart.
      projects: [...this.projectsOf(r)].sort((a, b) => a - b).map((id) => {
        const path = [...this.projects].find(([, v]) => v === id)![0];
        return { id, name: path.split('/').pop(), name_with_namespace: path.split('/').join(' / '), path: path.split('/').pop(), path_with_namespace: path };
      }),
      ...(this.opts.detailsTokenExpiry === true ? { token_expires_at: r.token_expires_at } : {}),
      groups: r.runner_type === 'group_type' && r.groupId !== undefined ? [{ id: r.groupId, web_url: '', name: '' }] : [],
    };
  }

  /** The projects a project runner is assigned to: its owner first, then the others. */
  projectsOf(r: DoubleRunner): number[] {
    return r.runner_type === 'project_type' && r.projectId !== undefined ? [r.projectId, ...(r.assigned ?? [])] : [];
  }

  private listed(r: DoubleRunner) {
    const online = r.contacted_at !== null && this.opts.clock.now() - Date.parse(r.contacted_at) < 2 * 3600_000;
    return {
      id: r.id,
      description: r.description,
      ip_address: null,
      active: !r.paused,
      paused: r.paused,
      is_shared: r.runner_type === 'instance_type',
      runner_type: r.runner_type,
      name: 'gitlab-runner',
      online,
      status: r.contacted_at === null ? 'never_contacted' : online ? 'online' : 'offline',
      job_execution_status: this.running(r) > 0 ? 'active' : 'idle',
    };
  }

  private page(url: URL, items: unknown[]): Response {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? '20'));
    const page = Number(url.searchParams.get('page') ?? '1');
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const next = page * perPage < items.length ? String(page + 1) : '';
    // https://docs.gitlab.com/api/rest/#pagination-link-header: Link with rel="next" (while there is
    // a next page), "prev", "first" and "last", each the request's URL with its page number.
    const at = (n: number) => {
      const u = new URL(url);
      u.searchParams.set('page', String(n));
      u.searchParams.set('per_page', String(perPage));
      return `<${u.toString()}>`;
    };
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = [...(next ? [`${at(page + 1)}; rel="next"`] : []), ...(page > 1 ? [`${at(page - 1)}; rel="prev"`] : []), `${at(1)}; rel="first"`, `${at(last)}; rel="last"`].join(', ');
    return json(200, slice, { 'x-page': String(page), 'x-per-page': String(perPage), 'x-next-page': next, 'x-prev-page': page > 1 ? String(page - 1) : '', 'x-total': String(items.length), 'x-total-pages': String(last), link });
  }

  private byType(url: URL, list: DoubleRunner[]): DoubleRunner[] {
    const type = url.searchParams.get('type');
    return list.filter((r) => type === null || r.runner_type === type).sort((a, b) => a.id - b.id);
  }

  private handle(method: string, url: URL, headers: Record<string, string>, body: Record<string, unknown> | undefined): Response {
    const path = url.pathname.replace(/^\/api\/v4/, '');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const authed = this.authorized(headers);
    const unauthorized = json(401, { message: '401 Unauthorized' });

    // https://docs.gitlab.com/api/runners/#reset-runners-authentication-token-by-using-the-current-token
    // POST /runners/reset_authentication_token, body token; 201 {token, token_expires_at}; 403 for an unknown token.
    if (method === 'POST' && path === '/runners/reset_authentication_token') {
      const r = [...this.runners.values()].find((x) => x.token === body?.token);
      if (!r) return json(403, { message: '403 Forbidden' });
      Object.assign(r, this.issueToken());
      return json(201, { token: r.token, token_expires_at: r.token_expires_at });
    }
    // https://docs.gitlab.com/api/runners/#verify-authentication-for-a-registered-runner
    // POST /runners/verify, body token (+ optional system_id); 200 {id, token, token_expires_at};
    // 403 for a token GitLab does not know (never issued, reset or revoked). GitLab treats it as a
    // contact of the runner: contacted_at is set, and a manager is kept for the system_id
    // ('<legacy>' without one), as GitLab's authenticate_runner! does.
    if (method === 'POST' && path === '/runners/verify') {
      this.verifyCalls++;
      if (typeof body?.token !== 'string' || body.token === '') return json(400, { error: 'token is missing' });
      const r = [...this.runners.values()].find((x) => x.token === body.token);
      if (!r) return json(403, { message: '403 Forbidden' });
      const now = new Date(this.opts.clock.now()).toISOString();
      if (r.managerContactedAt === undefined) r.managerContactedAt = r.contacted_at;
      r.contacted_at = now;
      r.verifyManagers = { ...r.verifyManagers, [typeof body.system_id === 'string' ? body.system_id : '<legacy>']: now };
      return this.opts.verifyBare === true ? json(200, null) : json(200, { id: r.id, token: r.token, token_expires_at: r.token_expires_at });
    }
    // DELETE /runners/managers (GitLab 16.0, gitlab-org/gitlab!118212; what gitlab-runner unregister
    // sends for a glrt- token), body token and system_id: removes the runner's manager kept for that
    // system_id and nothing else. 403 for a token GitLab does not know; 404 'Runner manager not
    // found' when the runner has none by that system_id; 204 when removed. It authenticates the
    // runner without a manager (authenticate_runner!(ensure_runner_manager: false)), which current
    // GitLabs do not count as a contact (older ones did): contacted_at stays.
    if (method === 'DELETE' && path === '/runners/managers') {
      this.managerDeletes.push(typeof body?.system_id === 'string' ? body.system_id : '');
      const missing = this.opts.noManagerDeleteEndpoint;
      if (missing !== undefined) return json(missing, missing === 404 ? { error: '404 Not Found' } : { message: '405 Method Not Allowed' });
      if (typeof body?.token !== 'string' || body.token === '') return json(400, { error: 'token is missing' });
      if (typeof body.system_id !== 'string' || body.system_id === '') return json(400, { error: 'system_id is missing' });
      const r = [...this.runners.values()].find((x) => x.token === body.token);
      if (!r) return json(403, { message: '403 Forbidden' });
      if (r.verifyManagers === undefined || !(body.system_id in r.verifyManagers)) return json(404, { message: '404 Runner manager not found' });
      const systemId = body.system_id;
      r.verifyManagers = Object.fromEntries(Object.entries(r.verifyManagers).filter(([k]) => k !== systemId));
      return json(204, null);
    }
    if (!authed) return unauthorized;

    // https://docs.gitlab.com/api/groups/#get-a-single-group — GET /groups/:id (id or URL-encoded path)
    if (method === 'GET' && parts[0] === 'groups' && parts.length === 2) {
      const id = this.groups.get(parts[1]!) ?? [...this.groups.values()].find((g) => String(g) === parts[1]);
      if (id === undefined) return json(404, { message: '404 Group Not Found' });
      const full = [...this.groups].find(([, v]) => v === id)![0];
      return json(200, { id, name: full.split('/').pop(), path: full.split('/').pop(), full_path: full });
    }
    // https://docs.gitlab.com/api/projects/#get-a-single-project — GET /projects/:id
    if (method === 'GET' && parts[0] === 'projects' && parts.length === 2) {
      const id = this.projects.get(parts[1]!);
      if (id === undefined) return json(404, { message: '404 Project Not Found' });
      return json(200, { id, path_with_namespace: parts[1] });
    }
    // https://docs.gitlab.com/api/runners/#list-groups-runners — GET /groups/:id/runners: the group's
    // runners and those of its ancestor groups (type, status, paused, tag_list filters; paginated).
    if (method === 'GET' && parts[0] === 'groups' && parts[2] === 'runners') {
      const gid = this.groups.get(parts[1]!);
      if (gid === undefined) return json(404, { message: '404 Group Not Found' });
      const ancestors = new Set([...this.groups].filter(([p]) => parts[1] === p || parts[1]!.startsWith(`${p}/`)).map(([, v]) => v));
      return this.page(url, this.byType(url, [...this.runners.values()].filter((r) => r.runner_type === 'group_type' && ancestors.has(r.groupId!))).map((r) => this.listed(r)));
    }
    // https://docs.gitlab.com/api/runners/#list-projects-runners — GET /projects/:id/runners: every
    // project runner assigned to the project — its own and those of other projects assigned to it
    // (POST /projects/:id/runners) — with ancestor groups' and instance runners.
    if (method === 'GET' && parts[0] === 'projects' && parts[2] === 'runners' && parts.length === 3) {
      const pid = this.projects.get(parts[1]!);
      if (pid === undefined) return json(404, { message: '404 Project Not Found' });
      return this.page(url, this.byType(url, [...this.runners.values()].filter((r) => r.runner_type === 'project_type' && this.projectsOf(r).includes(pid))).map((r) => this.listed(r)));
    }
    // https://docs.gitlab.com/api/runners/#assign-a-runner-to-project — POST /projects/:id/runners
    // (runner_id): a project runner of another project assigned to this one too; 403 for a group
    // or instance runner, and for a locked one (administrators excepted).
    if (method === 'POST' && parts[0] === 'projects' && parts[2] === 'runners' && parts.length === 3) {
      const pid = this.projects.get(parts[1]!);
      if (pid === undefined) return json(404, { message: '404 Project Not Found' });
      const r = this.runners.get(Number(body?.runner_id));
      if (!r) return json(404, { message: '404 Runner Not Found' });
      if (r.runner_type !== 'project_type') return json(403, { message: '403 Forbidden - Runner is not a project runner' });
      if (r.locked && this.opts.admin !== true) return json(403, { message: '403 Forbidden - Runner is locked' });
      if (this.projectsOf(r).includes(pid)) return json(400, { message: { runner_projects: ['has already been taken'] } });
      r.assigned = [...(r.assigned ?? []), pid];
      return json(201, this.listed(r));
    }
    // https://docs.gitlab.com/api/runners/#list-all-runners — GET /runners/all (administrators)
    if (method === 'GET' && path === '/runners/all') {
      return this.page(url, this.byType(url, [...this.runners.values()]).map((r) => this.listed(r)));
    }
    // https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user — POST /user/runners;
    // 201 with exactly {id, token, token_expires_at}.
    if (method === 'POST' && path === '/user/runners') {
      const type = body?.runner_type as DoubleRunner['runner_type'] | undefined;
      if (type !== 'instance_type' && type !== 'group_type' && type !== 'project_type') return json(400, { error: 'runner_type does not have a valid value' });
      if (type === 'group_type' && ![...this.groups.values()].includes(body!.group_id as number)) return json(403, { message: '403 Forbidden' });
      if (type === 'project_type' && ![...this.projects.values()].includes(body!.project_id as number)) return json(403, { message: '403 Forbidden' });
      const r = this.seedRunner({
        runner_type: type,
        description: typeof body!.description === 'string' ? body!.description : '',
        paused: body!.paused === true,
        tag_list: (body!.tag_list as string[] | undefined) ?? [],
        run_untagged: body!.run_untagged !== false,
        locked: body!.locked === true,
        access_level: typeof body!.access_level === 'string' ? body!.access_level : 'not_protected',
        maximum_timeout: (body!.maximum_timeout as number | null | undefined) ?? null,
        maintenance_note: (body!.maintenance_note as string | undefined) ?? null,
        ...(type === 'group_type' ? { groupId: body!.group_id as number } : {}),
        ...(type === 'project_type' ? { projectId: body!.project_id as number } : {}),
      });
      return json(201, { id: r.id, token: r.token, token_expires_at: r.token_expires_at });
    }
    if (parts[0] === 'runners' && /^\d+$/.test(parts[1] ?? '')) {
      const r = this.runners.get(Number(parts[1]));
      if (!r) return json(404, { message: '404 Runner Not Found' });
      // https://docs.gitlab.com/api/runners/#get-runners-details — GET /runners/:id (RunnerDetails)
      if (method === 'GET' && parts.length === 2) return json(200, this.details(r));
      // https://docs.gitlab.com/api/runners/#update-runners-details — PUT /runners/:id
      if (method === 'PUT' && parts.length === 2) {
        for (const k of ['description', 'paused', 'tag_list', 'run_untagged', 'locked', 'access_level', 'maximum_timeout', 'maintenance_note'] as const) {
          if (body && k in body) (r as unknown as Record<string, unknown>)[k] = body[k];
        }
        return json(200, this.details(r));
      }
      // https://docs.gitlab.com/api/runners/#delete-a-runner-by-id — DELETE /runners/:id, 204; a
      // runner assigned to more than one project only by an administrator (authenticate_delete_runner!).
      if (method === 'DELETE' && parts.length === 2) {
        if (this.projectsOf(r).length > 1 && this.opts.admin !== true) return json(403, { message: '403 Forbidden - Runner associated with more than one project' });
        this.runners.delete(r.id);
        return json(204, null);
      }
      // https://docs.gitlab.com/api/runners/#reset-runners-authentication-token-by-using-the-runner-id
      if (method === 'POST' && parts[2] === 'reset_authentication_token') {
        Object.assign(r, this.issueToken());
        return json(201, { token: r.token, token_expires_at: r.token_expires_at });
      }
      // https://docs.gitlab.com/api/runners/#list-jobs-processed-by-a-runner — GET /runners/:id/jobs?status=running
      if (method === 'GET' && parts[2] === 'jobs') {
        const status = url.searchParams.get('status');
        const jobs = status === null || status === 'running' ? Array.from({ length: this.running(r) }, (_, i) => ({ id: r.id * 1000 + i, status: 'running' })) : [];
        return this.page(url, jobs);
      }
      // https://docs.gitlab.com/api/runners/#list-runners-managers — GET /runners/:id/managers
      if (method === 'GET' && parts[2] === 'managers' && this.opts.noManagersEndpoint !== true) {
        const verified = Object.entries(r.verifyManagers ?? {}).map(([systemId, at], i) => ({ id: r.id * 100 + i + 1, system_id: systemId, version: null, revision: null, platform: null, architecture: null, created_at: at, contacted_at: at, ip_address: '10.0.0.9', status: this.managerStatus(at) }));
        const at = r.managerContactedAt === undefined ? r.contacted_at : r.managerContactedAt;
        const own = at ? [{ id: r.id, system_id: `s_${r.id.toString(16).padStart(12, '0')}`, version: '18.9.0', revision: 'abc', platform: 'linux', architecture: 'amd64', created_at: at, contacted_at: at, ip_address: '10.0.0.1', status: this.managerStatus(at) }] : [];
        return json(200, [...own, ...verified]);
      }
    }
    // A path the API has no route for: GitLab's catch-all (lib/api/api.rb, `route :any, '*path'` →
    // `error!('404 Not Found', 404)`) answers with `error`, where a resource it did not find is a
    // `message` naming it (`not_found!('Group')`: "404 Group Not Found").
    return json(404, { error: '404 Not Found' });
  }
}
