import { safeText } from '../spec/findings.js';
import { tunnelStatus } from './proxy-tunnel.js';
import { tlsAdvice, tlsFailure, type TlsFailure } from './tls-failure.js';
import { askedStopText, askedWaitMs, askedWaitText, DEFAULT_CALL_DEADLINE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, rateLimitWaitMs, realTiming, retrying, secondsText as seconds, type RetryPolicy, type RetryStop, type Timing } from './retry.js';
import type { RunnerScope, RunnerSettings } from '../ops/desired.js';
import { isObject } from '../model/is-object.js';

/**
 * A thin client for the GitLab REST endpoints runner-fleet calls (https://docs.gitlab.com/api/runners/,
 * https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user).
 *
 * Reliability: idempotent calls (GET, PUT, DELETE) are retried on 429, 5xx, timeouts and
 * connection errors with exponential backoff and full jitter, honouring `Retry-After` and
 * `RateLimit-Reset`, within a deadline per call (a GitLab that accepts connections and never
 * answers ends the command in under a minute, not after six 30 s attempts). A TLS failure (an
 * untrusted, expired or misnamed certificate) is never retried: it is said at once with the fix.
 * Non-idempotent calls (the POSTs) are retried only on 429, which GitLab sends
 * before it acts; any other failure of a POST raises `OutcomeUnknownError` and the caller
 * re-reads before it tries again. Tokens travel only in headers and request bodies: no message
 * built here contains one.
 */

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; redirect?: 'manual' }) => Promise<Response>;

export interface GitLabClientOptions {
  /** https://gitlab.example.com (no /api/v4). */
  baseUrl: string;
  /** Personal, group or project access token: `create_runner` to create, `manage_runner` (or `api`) for the rest. */
  token?: string;
  fetch: FetchLike;
  timing?: Timing;
  retry?: RetryPolicy;
  /** Per attempt; default DEFAULT_REQUEST_TIMEOUT_MS. 0: no timeout of our own (a test double that simulates timeouts). */
  timeoutMs?: number;
  /**
   * One call, its retries included, ends after this long without an answer (default
   * DEFAULT_CALL_DEADLINE_MS; measured on `timing`). Waits a 429 (or 503) asks for count too: a
   * wait that would pass it ends the call at once, naming the wait asked and the limit.
   */
  deadlineMs?: number;
  /** The CA bundle the transport trusts (`--ca-file`), named in TLS messages. */
  caFile?: string;
  /** Progress lines for waits (stderr). */
  progress?: (line: string) => void;
}

/** `Runner` entity (list endpoints). */
export interface ListedRunner {
  id: number;
  description: string | null;
  paused: boolean;
  runner_type: string;
  online?: boolean | null;
  status?: string;
  job_execution_status?: string;
}

/** `RunnerDetails` entity (`GET /runners/:id`). */
export interface RunnerDetails extends ListedRunner {
  tag_list?: string[] | null;
  run_untagged?: boolean;
  locked?: boolean;
  access_level?: string;
  maximum_timeout?: number | null;
  maintenance_note?: string | null;
  contacted_at?: string | null;
  version?: string | null;
  platform?: string | null;
  architecture?: string | null;
  /**
   * Only GitLabs that expose it on `GET /runners/:id` send it (null: the token never expires);
   * absent, the expiry is not known from GitLab.
   */
  token_expires_at?: string | null;
  /**
   * The projects a project runner is assigned to (those the token's user may see): the project
   * that owns it and those it was assigned to since (POST /projects/:id/runners). GitLab does not
   * say which one owns it.
   */
  projects?: { id: number; path_with_namespace?: string }[] | null;
}

export interface RunnerManager {
  id: number;
  system_id: string;
  version?: string | null;
  platform?: string | null;
  architecture?: string | null;
  ip_address?: string | null;
  contacted_at?: string | null;
  status?: string;
}

export interface NewToken {
  token: string;
  /** GitLab's answer: the time, or null when the token never expires; absent from an answer without the field (then not known). */
  token_expires_at?: string | null;
}

/** GitLab's answer to `POST /runners/verify`, without the token it echoes. */
export interface VerifiedToken {
  /** The runner the token belongs to; absent from a GitLab that answers without it. */
  id?: number;
  /** The time, or null when the token never expires; absent from an answer without the field (then not known). */
  token_expires_at?: string | null;
}

/**
 * The `system_id` runner-fleet sends to `POST /runners/verify`: GitLab keeps a runner manager by
 * this name (one per runner, refreshed by each verify); runner-fleet removes it after each check
 * (`DELETE /runners/managers`), and where it cannot (a GitLab before 16.0) the name says where it came from.
 */
export const VERIFY_SYSTEM_ID = 'runner-fleet-verify';

export class GitLabHttpError extends Error {
  constructor(readonly status: number, readonly call: string, readonly detail: string) {
    super(`GitLab answered ${status} to ${call}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitLabHttpError';
  }
}

/**
 * What the access token needs for one call, as GitLab's API documentation says
 * (https://docs.gitlab.com/api/runners/, https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user).
 */
function accessNeeded(call: string): string {
  if (call.startsWith('POST /user/runners')) return 'the scope create_runner (or api), and the user must be an administrator (instance runners) or an Owner of the group or project the runner is for';
  if (call.startsWith('GET /groups/:path') || call.startsWith('GET /projects/:path') || /^GET \/(groups|projects)\/[^/]+$/.test(call)) return 'the scope read_api (or api), and the user must be a member of that group or project';
  if (call.startsWith('GET /runners/all')) return 'an administrator\'s token with the scope manage_runner (or read_api, api): instance runners are listed by administrators only';
  if (/^GET \/(groups|projects)\/.+\/runners/.test(call)) return 'the scope manage_runner (or read_api, api), and the user must have at least the Maintainer role of that group or project';
  if (call.startsWith('GET ')) return 'the scope manage_runner (or read_api, api), and a role that sees the runner (administrator for instance runners, Owner or Maintainer of its group or project)';
  return 'the scope manage_runner (or api), and the user must be an administrator (instance runners), an Owner of the runner\'s group or a Maintainer of its project';
}

/**
 * GitLab refused the access token (401: not accepted; 403: it lacks a scope or its user a role):
 * the call, the status and what the token needs. A GitLabHttpError, so callers that handle a
 * refused runner token (the reset with the current token) still see the status.
 */
export class GitLabAccessError extends GitLabHttpError {
  readonly accessRefused = true;
  constructor(status: 401 | 403, call: string, detail: string) {
    super(
      status,
      call,
      status === 401
        ? `the access token is not accepted (invalid, expired or revoked${detail ? `; GitLab says: ${detail}` : ''}): create a new one with ${accessNeeded(call)}, and give it in RUNNER_FLEET_GITLAB_TOKEN (or GITLAB_TOKEN) or on stdin with --token-stdin`
        : `the access token may not do this${detail ? ` (GitLab says: ${detail})` : ''}: it needs ${accessNeeded(call)}`,
    );
    this.name = 'GitLabAccessError';
  }
}

/**
 * GitLab has no group or project at the path the spec names that the access token's user can see
 * (404 for both: GitLab does not tell a missing group from a hidden one). A wrong input like a
 * refused token (exit 2): the spec's path is mistyped, or the user is not a member.
 */
export class GitLabScopeNotFoundError extends GitLabHttpError {
  readonly accessRefused = true;
  constructor(call: string, kind: 'group' | 'project', path: string, detail: string) {
    super(404, call, `there is no ${kind} ${safeText(path, 200)} that the access token's user can see${detail ? ` (GitLab says: ${detail})` : ''}: check runners[].gitlab.${kind} in the spec (the full path as in the ${kind}'s URL, e.g. acme/platform${kind === 'project' ? '/api' : ''}) and that the user is a member of the ${kind}`);
    this.name = 'GitLabScopeNotFoundError';
  }
}

/**
 * A 404 that is not GitLab's answer about a group or project: GitLab names what it did not find
 * (`not_found!('Group')`: "404 Group Not Found"), while its API's catch-all route answers
 * `{"error":"404 Not Found"}` for a path it has no route for (lib/api/api.rb, `route :any, '*path'`),
 * and a page that is no API answer (an HTML 404 of a proxy, or of a web server at another path)
 * has no detail at all. Both mean the URL is wrong, not the group or project: gitlab.url ends with
 * /api/v4 (runner-fleet adds it), or lacks or adds the path GitLab is served under.
 */
export class GitLabRouteNotFoundError extends GitLabHttpError {
  readonly accessRefused = true;
  constructor(call: string, baseUrl: string, detail: string) {
    super(404, call, `${detail ? `GitLab's API has no such route (GitLab says: ${detail})` : 'its body is no GitLab API error (a page of a proxy or web server)'}, so the address is wrong, not the ${call.includes('/projects/') ? 'project' : call.includes('/groups/') ? 'group' : 'runner list'}: runner-fleet calls ${safeText(baseUrl, 120)}/api/v4…; check gitlab.url in the spec: GitLab's address without /api/v4${/\/api\/v4$/.test(baseUrl) ? ' (remove it: runner-fleet adds it)' : ''}, with the path GitLab is served under if any (https://example.com/gitlab), as in the address of its sign-in page`);
    this.name = 'GitLabRouteNotFoundError';
  }
}

/** Whether a 404's detail names no resource: the API's catch-all route, or a body that is no GitLab API error. */
function routeNotFound(e: GitLabHttpError): boolean {
  return e.status === 404 && (e.detail === '' || e.detail === '404 Not Found');
}

/** A GitLabHttpError 404 of a call about the group or project at `path`, said as GitLabScopeNotFoundError (or GitLabRouteNotFoundError when it is not about them). */
async function inScope<T>(kind: 'group' | 'project', path: string, baseUrl: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof GitLabHttpError && e.status === 404 && !(e instanceof GitLabScopeNotFoundError) && !(e instanceof GitLabRouteNotFoundError)) throw routeNotFound(e) ? new GitLabRouteNotFoundError(e.call, baseUrl, e.detail) : new GitLabScopeNotFoundError(e.call, kind, path, e.detail);
    throw e;
  }
}

/**
 * A proxy between here and GitLab that asks for its own credentials (407): they go in the proxy
 * variable's URL. A wrong input, like a refused token (exit 2).
 */
export class ProxyAuthError extends GitLabHttpError {
  readonly accessRefused = true;
  constructor(call: string) {
    super(407, call, 'a proxy between here and GitLab asks for its own credentials (Proxy Authentication Required), not GitLab: give them in the proxy URL, HTTPS_PROXY=http://<user>:<password>@<host>:<port> (HTTP_PROXY for an http:// gitlab.url), or set NO_PROXY for GitLab\'s host if it is reached directly');
    this.name = 'ProxyAuthError';
  }
}

/**
 * The error of a refused call: GitLabAccessError for 401/403 with the access token, else
 * GitLabHttpError. GitLab's API says every refusal in JSON (`{"message":"401 Unauthorized"}`,
 * `"403 Forbidden"`, lib/api/helpers.rb); a 401 or 403 whose body has no such error is not
 * GitLab judging the token but something on the way (a gateway's sign-in, a firewall or WAF
 * page, an IP allow list): a new token would not help, so it is not said to.
 */
function httpError(status: number, call: string, detail: string, auth = true): GitLabHttpError {
  if (status === 407) return new ProxyAuthError(call);
  if ((status === 401 || status === 403) && detail === '') {
    return new GitLabHttpError(status, call, `the body has no GitLab API error, so this is not GitLab judging ${auth ? 'the access token' : 'the token'} but something in front of it (a gateway asking for a sign-in, a firewall or WAF page, an IP allow list): ask whoever runs the way to GitLab to let this machine reach GitLab's API (/api/v4) with a token, or check that gitlab.url is the address of GitLab itself`);
  }
  return auth && (status === 401 || status === 403) ? new GitLabAccessError(status, call, detail) : new GitLabHttpError(status, call, detail);
}

export { DEFAULT_CALL_DEADLINE_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './retry.js';

/** The reason a 429 is retried, as progress lines and messages say it. */
const RATE_LIMITED = 'rate limited (429)';

/** GitLab could not be reached in time, after every retry. */
export class GitLabUnavailableError extends Error {
  constructor(readonly call: string, reason: string) {
    super(reason.startsWith('GitLab') ? reason : `GitLab did not answer ${call}: ${reason}`);
    this.name = 'GitLabUnavailableError';
  }
}

/** The TLS connection to GitLab failed in a way no retry mends (the request was never sent). */
export class GitLabTlsError extends Error {
  constructor(readonly call: string, readonly failure: TlsFailure, advice: string) {
    super(`cannot reach GitLab for ${call}: ${advice}`);
    this.name = 'GitLabTlsError';
  }
}

/** A non-idempotent call failed in a way that does not tell whether GitLab acted. */
export class OutcomeUnknownError extends Error {
  constructor(readonly call: string, readonly reason: string) {
    super(`the outcome of ${call} is unknown: ${reason}${call.startsWith('POST /user/runners') ? ' (GitLab may have created the runner: register lists its marker before creating another)' : ''}`);
    this.name = 'OutcomeUnknownError';
  }
}

/**
 * What answered at gitlab.url is not GitLab's API answer (an HTML login page, a proxy's error, a
 * truncated or endless body, a value of another shape): said with the call, never a parse error.
 */
export class GitLabAnswerError extends Error {
  constructor(readonly call: string, what: string) {
    super(`${call}: the answer is not what GitLab's API sends (${what}); is gitlab.url the GitLab instance itself, and not a proxy or sign-in page?`);
    this.name = 'GitLabAnswerError';
  }
}

/** An API answer is kilobytes (a page of 100 runners ~100 KB): more is no GitLab answer. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Pages of one list (100 items each): more than any real fleet's scope holds. */
const MAX_PAGES = 1000;

/**
 * The next page of an offset-paginated list (https://docs.gitlab.com/api/rest/#pagination): GitLab
 * sends `x-next-page` (empty on the last page) and a `Link` header with `rel="next"` while there is
 * one. A proxy that passes one and drops the other is followed by the one left; one that drops
 * both leaves a full page that may not be the last: the next one is asked for (past the end,
 * GitLab answers an empty list). Never a silent first page only: runners left unread would be
 * created again.
 */
function nextPage(headers: Pick<Headers, 'get'>, page: number, count: number): { next: string; from: string } {
  const x = headers.get('x-next-page');
  if (x !== null) return { next: x, from: 'x-next-page' };
  const link = headers.get('link');
  if (link !== null) {
    for (const part of link.split(',')) {
      const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
      if (!m) continue;
      let next: string | null = null;
      try {
        next = new URL(m[1]!, 'https://gitlab.invalid').searchParams.get('page');
      } catch {
        // Said below as a next page that is no number.
      }
      return { next: next ?? JSON.stringify(safeText(m[1]!, 80)), from: 'Link rel="next" page' };
    }
    return { next: '', from: 'Link' };
  }
  return { next: count === 100 ? String(page + 1) : '', from: 'a full page without x-next-page or Link: page' };
}

/**
 * An answer's body read while its call was still being tried (`read` in GitLabClient.call), so a
 * body cut half-way could be retried: the text answerJson then parses instead of the stream.
 */
const readAnswers = new WeakMap<Response, string>();

/** The body of an answer that stopped half-way: a connection closed, or the call's time ran out while it trickled. */
class CutAnswer extends Error {
  constructor(readonly bytes: number, readonly reason: string) {
    super(reason === 'timed out' ? `the answer did not finish in time (${bytes} bytes came)` : `the answer was cut after ${bytes} bytes: ${reason}`);
  }
}

/** The text of an answer's body, read up to MAX_ANSWER_BYTES; undefined for a test double without a body stream. Throws CutAnswer. */
async function answerText(res: Response, call: string): Promise<string | undefined> {
  const body = (res as { body?: ReadableStream<Uint8Array> | null }).body;
  if (body && typeof body.getReader === 'function') {
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (e) {
        // The answer began and then stopped: the connection closed half-way, or the call's time ran
        // out while the body trickled. A failed call in words (before: undici's "terminated", exit 70;
        // or "The operation was aborted due to timeout", with no call named).
        throw new CutAnswer(total, networkReason(e));
      }
      const { done, value } = next;
      if (done) break;
      total += value.byteLength;
      if (total > MAX_ANSWER_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new GitLabAnswerError(call, `more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`);
      }
      chunks.push(value);
    }
    // Decoded as the Fetch standard's json() does: a leading UTF-8 byte-order mark is dropped
    // (RFC 8259 §8.1 lets a reader ignore it; some proxies and Windows servers send one).
    return new TextDecoder('utf-8').decode(Buffer.concat(chunks, total));
  }
  return undefined;
}

/** The words of a cut answer when it is not retried (a call made once): what came, and what to do. */
function cutAnswerError(call: string, cut: CutAnswer): GitLabUnavailableError {
  return new GitLabUnavailableError(call, cut.reason === 'timed out' ? `GitLab began to answer ${call} but did not finish in time (${cut.bytes} bytes came): check that GitLab is not overloaded and that nothing between (a proxy) holds the answer back, and try again` : `GitLab began to answer ${call} and the connection closed after ${cut.bytes} bytes (${cut.reason}): a proxy or load balancer in front of GitLab may cut answers; try again`);
}

/**
 * The JSON of an answer, read up to MAX_ANSWER_BYTES (or as read already while the call was tried).
 * `acted`: the call is one that changes GitLab and is sent once (a POST): an answer that began and
 * was cut came after GitLab acted, or may have, so it is an OutcomeUnknownError, never "try again"
 * (a POST /user/runners whose answer was cut has created the runner; its token is in the lost part).
 */
async function answerJson(res: Response, call: string, acted = false): Promise<unknown> {
  let text = readAnswers.get(res);
  if (text === undefined) {
    try {
      text = await answerText(res, call);
    } catch (e) {
      if (e instanceof CutAnswer && acted) throw new OutcomeUnknownError(call, `GitLab answered ${res.status} and ${e.reason === 'timed out' ? `the answer did not finish in time (${e.bytes} bytes came)` : `the connection closed after ${e.bytes} bytes (${e.reason})`}, so it acted: the answer with what it did was lost`);
      throw e instanceof CutAnswer ? cutAnswerError(call, e) : e;
    }
  }
  try {
    // A test double's answer has no body stream: its json() is the parsed value.
    return text === undefined ? await res.json() : JSON.parse(text);
  } catch {
    const start = (text ?? '').trimStart().slice(0, 40);
    throw new GitLabAnswerError(call, start === '' ? 'an empty body, not JSON' : `not JSON: it starts with ${JSON.stringify(safeText(start, 40))}`);
  }
}

/** The answer is an object (with a numeric `id` when `withId`), else GitLabAnswerError. */
function objectAnswer<T>(v: unknown, call: string, need: { id?: boolean; token?: boolean } = {}): T {
  if (!isObject(v)) throw new GitLabAnswerError(call, `${Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`} where an object was expected`);
  if (need.id && (typeof v.id !== 'number' || !Number.isInteger(v.id))) throw new GitLabAnswerError(call, 'an object without a numeric id');
  if (need.token && (typeof v.token !== 'string' || v.token === '')) throw new GitLabAnswerError(call, 'no token in it');
  return v as T;
}

type Attempt = { kind: 'ok'; response: Response } | { kind: 'status'; status: number; response: Response } | { kind: 'network'; reason: string } | { kind: 'tls'; failure: TlsFailure };

/** A human reason for a thrown fetch error, with no URL or body in it. */
function networkReason(e: unknown): string {
  const err = e as { name?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const tunnel = tunnelStatus(e);
  if (tunnel !== undefined) return `the proxy (HTTPS_PROXY/HTTP_PROXY) answered ${tunnel} to the CONNECT that opens the tunnel to GitLab`;
  // The first string code down the cause chain: undici wraps its error in a DOMException (code 0)
  // for some failures (a refused proxy tunnel), so a code is not always one level down, nor a string.
  let code: string | undefined;
  for (let c: unknown = e, depth = 0; c !== null && typeof c === 'object' && depth < 5 && code === undefined; c = (c as { cause?: unknown }).cause, depth++) {
    const v = (c as { code?: unknown }).code;
    if (typeof v === 'string') code = v;
  }
  // undici's own limits: 10 s to connect (TCP and TLS), 300 s for headers and body.
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out connecting';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
  if (code === undefined) return 'connection failed';
  const words = CODE_WORDS[code] ?? (code.startsWith('UND_ERR_') ? "Node's HTTP client (undici) failed" : undefined);
  return words === undefined ? code : `${words} [${code}]`;
}


/**
 * Error codes of Node's HTTP client (undici, "Errors" in its documentation) and of sockets, in words;
 * the code stays in brackets for a search. ECONNREFUSED, ENOTFOUND and EAI_AGAIN are shown as they
 * are, with their own hint (checkHint).
 */
const CODE_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'the connection closed before the answer ended',
  UND_ERR_CLOSED: 'the connection was already closed',
  UND_ERR_DESTROYED: 'the connection was torn down before the answer ended',
  UND_ERR_ABORTED: 'the request was aborted',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the answer was not as long as its Content-Length said (cut or padded on the way)',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'the request was not as long as its Content-Length said',
  UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE: 'the answer was larger than the client accepts',
  UND_ERR_NOT_SUPPORTED: 'the server answered in a way the client does not support',
  UND_ERR_INFO: 'the server sent a malformed answer',
  ECONNRESET: 'the connection was reset (by GitLab or something between)',
  EPIPE: 'the connection closed while the request was being sent',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
};


/**
 * A PUT or DELETE whose every attempt went unanswered may still have been carried out (an attempt
 * reached GitLab and its answer was lost): said, with how to see the state, so "try again" is not
 * all the user reads. Both are safe to send again (a runner already deleted is "already gone").
 */
function mayHaveActed(method: string, path: string): string {
  const runner = /^\/runners\/(\d+)/.exec(path)?.[1];
  if (runner === undefined || (method !== 'PUT' && method !== 'DELETE')) return '';
  return `. An attempt may have reached GitLab though no answer came back: runner #${runner} may ${method === 'DELETE' ? 'be deleted already' : 'have the new settings already'}; runner-fleet status <spec> shows its state (the same command again is safe: ${method === 'DELETE' ? 'a runner already deleted is "already gone"' : 'settings already made are left as they are'})`;
}

/** What to check when GitLab did not answer, by the last reason. */
function checkHint(reason: string, url: string): string {
  if (reason === 'timed out') return `it accepts connections but does not answer: check that GitLab is up and not overloaded (its health check, the load balancer in front of it), and that gitlab.url ${url} is the GitLab instance itself`;
  if (reason === 'timed out connecting') return `no connection was set up in time (TCP or the TLS handshake): check that gitlab.url ${url} is reachable from here (a firewall that drops packets, or HTTPS_PROXY/NO_PROXY) and that it serves HTTPS at that port`;
  if (reason === 'ECONNREFUSED') return `nothing accepts connections there: check gitlab.url ${url} (host and port) and that GitLab is up`;
  if (reason === 'ENOTFOUND' || reason === 'EAI_AGAIN') return `the host name does not resolve: check gitlab.url ${url} and this machine's DNS`;
  if (/^HTTP 5\d\d$/.test(reason)) return 'GitLab answers with server errors: check its health (gitlab-ctl status, its logs) and try again';
  if (reason.startsWith('the answer did not finish in time')) return 'check that GitLab is not overloaded and that nothing between (a proxy) holds the answer back, and try again';
  if (reason.startsWith('the answer was cut')) return 'a proxy or load balancer in front of GitLab may cut answers; try again';
  return `check that GitLab is up and that gitlab.url ${url} is reachable from here (a firewall, or HTTPS_PROXY/NO_PROXY)`;
}

/** GitLab's error `message` (string or field map), shortened; never a token (callers redact too). */
async function errorDetail(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    const text = typeof m === 'string' ? m : JSON.stringify(m);
    return (text ?? '').slice(0, 200);
  } catch {
    return '';
  }
}

/** What a 404 to POST /runners/verify means: not GitLab's answer about the token (lib/api/ci/runner.rb, doc/api/runners.md). */
/**
 * What GitLab's 403 to POST /runners/verify means (lib/api/ci/runner.rb `post '/verify'`:
 * `authenticate_runner!`, `forbidden! unless current_runner`): no runner has this token. gitlab-runner
 * itself says a legacy token so refused "is removed" (network/gitlab.go VerifyRunner).
 */
export const VERIFY_REFUSED = 'POST /runners/verify answered 403: GitLab knows no runner by this token, which was reset, revoked or expired, or whose runner was deleted in GitLab';
/**
 * What GitLab's 422 to POST /runners/verify means: `unprocessable_entity!('Runner is orphaned')`
 * where it finds the runner but not its owner (UnknownRunnerOwnerError: a project runner whose
 * project is gone). The token is GitLab's, and the runner takes no jobs.
 */
const VERIFY_ORPHANED = "GitLab knows this token, but its runner is orphaned: a project runner whose owning project no longer exists, which takes no jobs. Delete the runner in GitLab and run runner-fleet register to create it again for a project that exists";
const VERIFY_NOT_FOUND = 'GitLab itself answers POST /runners/verify 200, or 403 for a token it does not accept (never issued, reset, revoked, or of a deleted runner): a 404 is not about the token; it comes from the way to GitLab (the GitLab URL without the path GitLab is served under, or a proxy in front of it)';

export class GitLabClient {
  private readonly timing: Timing;
  private readonly retry: RetryPolicy;
  /** Calls made, by method and path template: the benchmark and tests read it. */
  readonly calls = new Map<string, number>();

  constructor(private readonly opts: GitLabClientOptions) {
    this.timing = opts.timing ?? realTiming;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  get totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  private async once(method: string, path: string, body: unknown, auth: boolean, timeoutMs: number): Promise<Attempt> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth && this.opts.token !== undefined) headers['private-token'] = this.opts.token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const key = `${method} ${path.replace(/\/\d+(?=\/|$|\?)/g, '/:id').replace(/\?.*$/, '')}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    try {
      const res = await this.opts.fetch(`${this.opts.baseUrl}/api/v4${path}`, {
        method,
        headers,
        // Never followed: the token would go with a redirect to another host, or to plain http.
        redirect: 'manual',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(timeoutMs === 0 ? {} : { signal: AbortSignal.timeout(Math.max(1, timeoutMs)) }),
      });
      if (res.status === 429 || res.status >= 500) return { kind: 'status', status: res.status, response: res };
      return { kind: 'ok', response: res };
    } catch (e) {
      const tls = tlsFailure(e);
      if (tls !== undefined) return { kind: 'tls', failure: tls };
      // A 407 to the tunnel's CONNECT is the proxy's own sign-in, as a 407 to a plain request is: no retry mends it.
      if (tunnelStatus(e) === 407) throw new ProxyAuthError(`${method} ${path.replace(/\?.*$/, '')}`);
      return { kind: 'network', reason: networkReason(e) };
    }
  }

  /** host[:port] of gitlab.url, as messages name it. */
  private get host(): string {
    try {
      return new URL(this.opts.baseUrl).host;
    } catch {
      return safeText(this.opts.baseUrl, 120);
    }
  }

  /**
   * One call with the retry policy. `idempotent: false` retries only 429 (GitLab rejected the
   * request before acting) and otherwise raises OutcomeUnknownError.
   */
  private async call(method: string, path: string, opts: { body?: unknown; idempotent: boolean; auth?: boolean; read?: boolean }): Promise<Response> {
    const label = `${method} ${path.replace(/\?.*$/, '')}`;
    const requestTimeout = this.opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const limits = { policy: this.retry, timing: this.timing, requestTimeoutMs: requestTimeout, deadlineMs: this.opts.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS };
    const who = `GitLab at ${this.host}`;
    // The wait the last 429 asked for, for the message when every attempt was rate-limited.
    let rateLimitAsked: number | undefined;
    const stop = (why: RetryStop): Error => {
      if (why.kind === 'exhausted' && why.last === RATE_LIMITED) {
        return new GitLabUnavailableError(label, `${who} is rate-limiting ${label}: all ${why.attempts} attempts in ${seconds(why.spentMs)} were answered 429 Too Many Requests${rateLimitAsked !== undefined ? ` (the last asked to wait ${askedWaitText(rateLimitAsked)}: Retry-After or RateLimit-Reset)` : ''}. GitLab is up, and limits the calls of this token or this address: try again later, or ask its administrators about the API rate limits (Admin area, Settings, Network)`);
      }
      if (why.kind === 'asked-too-long' && why.last === RATE_LIMITED) return new GitLabUnavailableError(label, `${who} rate-limits ${label} for ${askedWaitText(why.askedMs)} (Retry-After or RateLimit-Reset), longer than the ${askedWaitText(why.limitMs)} runner-fleet waits: try again later`);
      const asked = askedStopText(why, who, label);
      if (asked !== undefined) return new GitLabUnavailableError(label, asked);
      return new GitLabUnavailableError(label, `${who} did not answer ${label} in ${seconds(why.spentMs)} (${why.attempts} attempt${why.attempts === 1 ? '' : 's'}${requestTimeout > 0 ? `, each given up to ${seconds(requestTimeout)}` : ''}; the last: ${why.last}): ${checkHint(why.last, this.opts.baseUrl)}${mayHaveActed(method, path)}`);
    };
    return retrying<Response>(
      limits,
      label,
      async (timeoutMs) => {
        const r = await this.once(method, path, opts.body, opts.auth ?? true, timeoutMs);
        if (r.kind === 'tls') throw new GitLabTlsError(label, r.failure, tlsAdvice(r.failure, { host: this.host, url: `gitlab.url ${this.opts.baseUrl}`, ...(this.opts.caFile !== undefined ? { caFile: this.opts.caFile } : {}) }));
        if (r.kind === 'ok' && r.response.status >= 300 && r.response.status < 400) {
          const location = r.response.headers.get('location');
          let where = 'elsewhere';
          try {
            if (location) where = new URL(location, this.opts.baseUrl).origin;
          } catch {
            where = 'an address that is no URL';
          }
          throw new GitLabHttpError(r.response.status, label, `a redirect to ${safeText(where, 120)}, which runner-fleet does not follow (the token would go with it); set gitlab.url to the address GitLab answers at`);
        }
        if (r.kind === 'ok') {
          // A GET's body is read here, so an answer cut half-way is retried with the same backoff as
          // a 5xx: a GET is safe (RFC 9110 §9.2.1, it changes nothing), so asking again can do no
          // harm. Other calls read their body once, after the call: a cut answer to a POST that
          // created a runner must never be retried.
          if (opts.read === true && method === 'GET' && r.response.status >= 200 && r.response.status < 300) {
            try {
              const text = await answerText(r.response, label);
              if (text !== undefined) readAnswers.set(r.response, text);
            } catch (e) {
              if (!(e instanceof CutAnswer)) throw e;
              return { failed: e.message };
            }
          }
          return { ok: r.response };
        }
        // A 429 comes before GitLab acts: retried for every method, as long as it asks (within the deadline).
        if (r.kind === 'status' && r.status === 429) {
          rateLimitAsked = rateLimitWaitMs(r.response.headers, this.timing.now());
          return { failed: RATE_LIMITED, askedMs: rateLimitAsked };
        }
        const last = r.kind === 'status' ? `HTTP ${r.status}` : r.reason;
        if (!opts.idempotent) throw new OutcomeUnknownError(label, last);
        return { failed: last, askedMs: r.kind === 'status' ? askedWaitMs(r.response, this.timing.now()) : undefined };
      },
      stop,
      this.opts.progress,
    );
  }

  private async json<T>(method: string, path: string, opts: { body?: unknown; idempotent: boolean; auth?: boolean; ok?: number[] }): Promise<T> {
    const res = await this.call(method, path, { ...opts, read: true });
    const call = `${method} ${path.replace(/\?.*$/, '')}`;
    if (!res.ok) throw httpError(res.status, call, await errorDetail(res), opts.auth ?? true);
    return (await answerJson(res, call, !opts.idempotent)) as T;
  }

  /** Every page of a list endpoint (`per_page=100`, following `x-next-page`). */
  private async list<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let page = 1;
    const sep = path.includes('?') ? '&' : '?';
    const call = `GET ${path.replace(/\?.*$/, '')}`;
    // The ids of the page before: a server (or a proxy or cache in front of it) that ignores
    // `page` answers the first page again and again, which would run to MAX_PAGES.
    let before: { page: number; ids: string } | undefined;
    for (let pages = 1; ; pages++) {
      const query = `${path}${sep}per_page=100&page=${page}`;
      const res = await this.call('GET', query, { idempotent: true, read: true });
      if (!res.ok) throw httpError(res.status, call, await errorDetail(res));
      const items = await answerJson(res, call);
      if (!Array.isArray(items)) throw new GitLabAnswerError(call, `${items === null ? 'null' : typeof items === 'object' ? 'an object' : `a ${typeof items}`} where a list was expected`);
      // One by one: a spread of a huge page overflows the stack.
      for (const item of items) {
        if (!isObject(item) || typeof item.id !== 'number') throw new GitLabAnswerError(call, 'a list item that is not an object with a numeric id');
        out.push(item as T);
      }
      const ids = items.map((item: { id: number }) => item.id).join(',');
      if (before !== undefined && items.length > 0 && ids === before.ids) {
        const first = (items[0] as { id: number }).id;
        const last = (items[items.length - 1] as { id: number }).id;
        throw new GitLabAnswerError(call, `page ${page}, ${safeText(this.opts.baseUrl, 120)}/api/v4${safeText(query, 200)}, holds the same ${items.length} runner${items.length === 1 ? '' : 's'} as page ${before.page} (ids ${first}${items.length > 1 ? `…${last}` : ''}): the server at ${this.host}, or a proxy or cache in front of it, ignores the page query parameter and answers the first page for every page; GitLab answers each page once. Let whoever runs it pass the query string (?per_page=…&page=…) through to GitLab unchanged`);
      }
      before = { page, ids };
      const { next, from } = nextPage(res.headers, page, items.length);
      if (!next) return out;
      // Pages only go forward, and a scope has fewer than MAX_PAGES of them.
      const n = Number(next);
      if (!Number.isInteger(n) || n <= page) throw new GitLabAnswerError(call, `${from} ${JSON.stringify(safeText(next, 40))} after page ${page}`);
      if (pages >= MAX_PAGES) throw new GitLabAnswerError(call, `more than ${MAX_PAGES} pages of 100`);
      page = n;
    }
  }

  /** https://docs.gitlab.com/api/groups/#get-a-single-group — the numeric id of a group path. */
  async groupId(path: string): Promise<number> {
    return objectAnswer<{ id: number }>(await inScope('group', path, this.opts.baseUrl, () => this.json('GET', `/groups/${encodeURIComponent(path)}?with_projects=false`, { idempotent: true })), 'GET /groups/:path', { id: true }).id;
  }

  /** https://docs.gitlab.com/api/projects/#get-a-single-project */
  async projectId(path: string): Promise<number> {
    return objectAnswer<{ id: number }>(await inScope('project', path, this.opts.baseUrl, () => this.json('GET', `/projects/${encodeURIComponent(path)}`, { idempotent: true })), 'GET /projects/:path', { id: true }).id;
  }

  /** The runners of one scope: https://docs.gitlab.com/api/runners/ (list group's / project's / all runners). */
  async listRunners(scope: RunnerScope): Promise<ListedRunner[]> {
    switch (scope.type) {
      case 'group_type':
        return inScope('group', scope.path, this.opts.baseUrl, () => this.list<ListedRunner>(`/groups/${encodeURIComponent(scope.path)}/runners?type=group_type`));
      case 'project_type':
        return inScope('project', scope.path, this.opts.baseUrl, () => this.list<ListedRunner>(`/projects/${encodeURIComponent(scope.path)}/runners?type=project_type`));
      case 'instance_type':
        try {
          return await this.list<ListedRunner>('/runners/all?type=instance_type');
        } catch (e) {
          if (e instanceof GitLabHttpError && routeNotFound(e)) throw new GitLabRouteNotFoundError(e.call, this.opts.baseUrl, e.detail);
          throw e;
        }
      default: {
        const never: never = scope;
        throw new Error(`internal: scope ${JSON.stringify(never)}`);
      }
    }
  }

  /** `GET /runners/:id`; undefined when the runner does not exist. */
  async getRunner(id: number): Promise<RunnerDetails | undefined> {
    const res = await this.call('GET', `/runners/${id}`, { idempotent: true, read: true });
    if (res.status === 404) return undefined;
    if (!res.ok) throw httpError(res.status, 'GET /runners/:id', await errorDetail(res));
    return objectAnswer<RunnerDetails>(await answerJson(res, 'GET /runners/:id'), 'GET /runners/:id', { id: true });
  }

  /** `PUT /runners/:id` (idempotent: the same body sets the same values). */
  async updateRunner(id: number, body: Partial<RunnerSettings>): Promise<RunnerDetails> {
    return objectAnswer<RunnerDetails>(await this.json('PUT', `/runners/${id}`, { body, idempotent: true }), 'PUT /runners/:id', { id: true });
  }

  /** `DELETE /runners/:id`; 'gone' when it did not exist (e.g. a retried delete whose first answer was lost). */
  async deleteRunner(id: number): Promise<'deleted' | 'gone'> {
    const res = await this.call('DELETE', `/runners/${id}`, { idempotent: true });
    if (res.status === 404) return 'gone';
    if (!res.ok) throw httpError(res.status, 'DELETE /runners/:id', await errorDetail(res));
    return 'deleted';
  }

  /** `POST /user/runners` — not idempotent. */
  async createRunner(body: Record<string, unknown>): Promise<{ id: number } & NewToken> {
    // The answer carries the only copy of the token: without an id and a token nothing can be stored.
    return objectAnswer(await this.json('POST', '/user/runners', { body, idempotent: false }), 'POST /user/runners', { id: true, token: true });
  }

  /** `POST /runners/reset_authentication_token` with the current token (no access token needed). */
  async resetTokenWithCurrent(current: string): Promise<NewToken> {
    return objectAnswer(await this.json('POST', '/runners/reset_authentication_token', { body: { token: current }, idempotent: false, auth: false }), 'POST /runners/reset_authentication_token', { token: true });
  }

  /**
   * `POST /runners/verify` with the runner's own token in the request body (no access token):
   * whose token it is and when it expires, from GitLab, on GitLabs whose `GET /runners/:id` has no
   * token_expires_at and with no access token at all. https://docs.gitlab.com/api/runners/#verify-authentication-for-a-registered-runner
   * (200 with `id`, `token`, `token_expires_at`, null for a token that never expires; 403 for a
   * token GitLab does not accept: unknown, reset or revoked). `refused` for 403. The token GitLab
   * echoes is dropped here. Not a pure read: GitLab counts it as a contact of the runner
   * (contacted_at) and keeps a manager with the `system_id` sent (VERIFY_SYSTEM_ID), so callers ask
   * it only where the answer is needed. Repeating it changes nothing more: retried like a GET.
   * GitLab itself never answers it 404 (lib/api/ci/runner.rb: 200, 403 where authenticate_runner!
   * finds no runner for the token, 422 for an orphaned runner): a 404 is said to come from the way
   * there, not from the token or its runner.
   */
  async verifyRunnerToken(token: string): Promise<VerifiedToken | 'refused'> {
    const call = 'POST /runners/verify';
    const res = await this.call('POST', '/runners/verify', { body: { token, system_id: VERIFY_SYSTEM_ID }, idempotent: true, auth: false });
    if (res.status === 403) return 'refused';
    if (res.status === 404) {
      const detail = await errorDetail(res);
      throw httpError(404, call, `${detail !== '' ? `${detail}. ` : ''}${VERIFY_NOT_FOUND}`, false);
    }
    if (res.status === 422) {
      const detail = await errorDetail(res);
      throw httpError(422, call, `${detail !== '' ? `${detail}. ` : ''}${VERIFY_ORPHANED}`, false);
    }
    if (!res.ok) throw httpError(res.status, call, await errorDetail(res), false);
    // GitLabs before gitlab-org/gitlab!112168 (around 15.10) answer 200 without the runner's details:
    // the token is accepted, and nothing more is known.
    const v = await answerJson(res, call).catch(() => undefined);
    if (!isObject(v)) return {};
    const at = v.token_expires_at;
    if (at !== undefined && at !== null && typeof at !== 'string') throw new GitLabAnswerError(call, 'a token_expires_at that is neither a time nor null');
    const id = typeof v.id === 'number' && Number.isInteger(v.id) ? { id: v.id } : {};
    return { ...id, ...(at === undefined || at === '' ? {} : { token_expires_at: at }) };
  }

  /**
   * `DELETE /runners/managers` with the runner's own token and VERIFY_SYSTEM_ID in the request body
   * (no access token): removes the runner manager GitLab keeps for runner-fleet's POST
   * /runners/verify with that token, and only that one (the system_id is always VERIFY_SYSTEM_ID,
   * never a manager that runs jobs). GitLab 16.0 added it (gitlab-org/gitlab!118212; gitlab-runner
   * unregister sends it for a glrt- token since gitlab-org/gitlab-runner!4053). `deleted` for 2xx
   * (204); otherwise the status GitLab answered and its message, for the caller to say: 404 with
   * GitLab's own 'Runner manager not found' (`not_found!('Runner manager not found')`: the endpoint
   * is there and the runner has no manager by that system_id), another 404 (no such route: a GitLab
   * before 16.0), 405 (no such method there), 403 (GitLab refuses the token). Repeating it removes
   * nothing more: retried like a GET (a repeat after a lost answer reads GitLab's 404).
   */
  async deleteVerifyManager(token: string): Promise<'deleted' | { status: number; detail: string }> {
    const res = await this.call('DELETE', '/runners/managers', { body: { token, system_id: VERIFY_SYSTEM_ID }, idempotent: true, auth: false });
    return res.ok ? 'deleted' : { status: res.status, detail: await errorDetail(res) };
  }

  /** `POST /runners/:id/reset_authentication_token` with the access token (`manage_runner`). */
  async resetTokenById(id: number): Promise<NewToken> {
    return objectAnswer(await this.json('POST', `/runners/${id}/reset_authentication_token`, { idempotent: false }), 'POST /runners/:id/reset_authentication_token', { token: true });
  }

  /** Running jobs: `GET /runners/:id/jobs?status=running`. */
  async runningJobs(id: number): Promise<{ id: number }[]> {
    return this.list<{ id: number }>(`/runners/${id}/jobs?status=running`);
  }

  /** `GET /runners/:id/managers` */
  async managers(id: number): Promise<RunnerManager[]> {
    const managers = await this.json<unknown>('GET', `/runners/${id}/managers`, { idempotent: true });
    if (!Array.isArray(managers) || !managers.every(isObject)) throw new GitLabAnswerError('GET /runners/:id/managers', 'not a list of objects');
    return managers as unknown as RunnerManager[];
  }
}
