/**
 * Retry timing for calls to GitLab and the token stores. Sleeps, the clock and randomness are
 * injected so that tests run thousands of fault schedules in virtual time.
 */
export interface Timing {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
}

export const realTiming: Timing = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
  random: Math.random,
};

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 120_000 };

/** Exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/** The three forms of an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, the obsolete RFC 850 form, asctime. */
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** The time an HTTP-date names (ms since the epoch), or undefined when the text is no HTTP-date. */
export function httpDateMs(text: string): number | undefined {
  const t = text.trim();
  // asctime carries no zone: it is GMT, never this machine's local time.
  const at = IMF_FIXDATE.test(t) || RFC850_DATE.test(t) ? Date.parse(t) : ASCTIME_DATE.test(t) ? Date.parse(`${t} GMT`) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

/**
 * How long a 429 asks to wait: `Retry-After` (RFC 9110 §10.2.3: delay-seconds, a non-negative
 * integer, or an HTTP-date), else `RateLimit-Reset` (a Unix time in seconds, as GitLab sends
 * it), else undefined. A value of neither form (`-5`, `abc`, `1.5`), a date or reset time already
 * past, and a zero wait are undefined too: the caller then backs off by its own policy, never
 * retrying at once in a loop. A delay too long for a number is Infinity (more than any cap).
 */
export function rateLimitWaitMs(headers: { get(name: string): string | null }, now: number): number | undefined {
  const ra = headers.get('retry-after')?.trim();
  if (ra !== undefined && ra !== '') {
    if (/^\d+$/.test(ra)) {
      const ms = Number(ra) * 1000;
      if (ms > 0) return ms;
    } else {
      const at = httpDateMs(ra);
      if (at !== undefined && at > now) return at - now;
    }
  }
  const reset = headers.get('ratelimit-reset')?.trim();
  if (reset !== undefined && /^\d+$/.test(reset)) {
    const at = Number(reset) * 1000;
    if (at > now) return at - now;
  }
  return undefined;
}

/** A wait as a message says it: `40 s`, or for a value beyond any sane wait, `more than a day`. */
export function askedWaitText(ms: number): string {
  return Number.isFinite(ms) && ms <= 86_400_000 ? `${Math.ceil(ms / 1000)} s` : 'more than a day';
}

/** A request's wait for an answer; an API call of GitLab, Kubernetes or Key Vault answers in well under a second. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** One call with its retries, and the waits a server asks for, ends after this: a server that does not answer (or keeps asking to wait) ends the command. */
export const DEFAULT_CALL_DEADLINE_MS = 45_000;

/** The limits of one call: the policy, the clock, how long each attempt and the whole call may take. */
export interface CallLimits {
  policy: RetryPolicy;
  timing: Timing;
  /** Per attempt; 0: no timeout of our own (a test double that simulates timeouts). */
  requestTimeoutMs: number;
  /** The call, its retries and every wait included; 0: none. */
  deadlineMs: number;
}

/** One attempt: its answer (the call ends with it), or why it failed in a way a retry may mend. */
export type Attempted<T> = { ok: T } | { failed: string; askedMs?: number | undefined };

/** Why a call stopped retrying. */
export type RetryStop =
  /** Every attempt failed, or no time was left for another: `last` is the last attempt's reason. */
  | { kind: 'exhausted'; spentMs: number; attempts: number; last: string }
  /** The server asked (Retry-After, RateLimit-Reset) for a wait longer than the policy's maxRetryAfterMs. */
  | { kind: 'asked-too-long'; spentMs: number; attempts: number; last: string; askedMs: number; limitMs: number }
  /** The wait the server asked for would end after the call's deadline. */
  | { kind: 'asked-past-deadline'; spentMs: number; attempts: number; last: string; askedMs: number; limitMs: number };

/**
 * The wait a 429 or a 503 asks for (RFC 9110 §10.2.3: Retry-After with either; GitLab's
 * RateLimit-Reset), else undefined: the caller backs off by its policy.
 */
export function askedWaitMs(res: { status: number; headers: { get(name: string): string | null } }, now: number): number | undefined {
  return res.status === 429 || res.status === 503 ? rateLimitWaitMs(res.headers, now) : undefined;
}

/**
 * One call with retries, the one loop of every API client (GitLab, Kubernetes, Key Vault):
 * exponential backoff with full jitter, or the wait the server asked for; every wait, asked or
 * not, counts against the call's deadline, so a server that answers 429 with `Retry-After: 40`
 * again and again ends the call at the first wait that would pass it, not minutes later. Each
 * attempt gets at most `requestTimeoutMs`, and never more than what is left of the deadline.
 * `attempt` may throw to end the call at once (a TLS failure, an outcome that is unknown).
 */
export async function retrying<T>(limits: CallLimits, label: string, attempt: (timeoutMs: number) => Promise<Attempted<T>>, stop: (why: RetryStop) => Error, progress?: (line: string) => void): Promise<T> {
  const { policy, timing, requestTimeoutMs, deadlineMs } = limits;
  const started = timing.now();
  const spent = () => timing.now() - started;
  let last = '';
  let attempts = 0;
  for (let n = 0; n < policy.maxAttempts; n++) {
    attempts = n + 1;
    const timeoutMs = requestTimeoutMs === 0 ? 0 : deadlineMs > 0 ? Math.min(requestTimeoutMs, Math.max(1, deadlineMs - spent())) : requestTimeoutMs;
    const r = await attempt(timeoutMs);
    if ('ok' in r) return r.ok;
    last = r.failed;
    const asked = r.askedMs;
    if (asked !== undefined && asked > policy.maxRetryAfterMs) throw stop({ kind: 'asked-too-long', spentMs: spent(), attempts, last, askedMs: asked, limitMs: policy.maxRetryAfterMs });
    if (n + 1 >= policy.maxAttempts) break;
    const wait = asked ?? backoffMs(policy, n, timing.random);
    // No attempt starts after the deadline, and no wait ends after it.
    if (deadlineMs > 0 && spent() + wait >= deadlineMs) {
      throw stop(asked !== undefined ? { kind: 'asked-past-deadline', spentMs: spent(), attempts, last, askedMs: asked, limitMs: deadlineMs } : { kind: 'exhausted', spentMs: spent(), attempts, last });
    }
    progress?.(`${label}: ${last}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${n + 2} of ${policy.maxAttempts})`);
    await timing.sleep(wait);
  }
  throw stop({ kind: 'exhausted', spentMs: spent(), attempts, last });
}

/** Seconds as a person reads them: 45 s, 0.5 s. */
export const secondsText = (ms: number) => `${ms >= 10_000 ? Math.round(ms / 1000) : Math.round(ms / 100) / 10} s`;

/**
 * The words for a stop caused by a wait the server asked for: `who` is the server (`GitLab at
 * host`), `what` the call. Undefined for an exhausted call (each client says that its own way).
 */
export function askedStopText(why: RetryStop, who: string, what: string): string | undefined {
  if (why.kind === 'asked-too-long') return `${who} asks to wait ${askedWaitText(why.askedMs)} before ${what} is tried again (${why.last}; Retry-After or RateLimit-Reset), longer than the ${askedWaitText(why.limitMs)} runner-fleet waits: try again later`;
  if (why.kind === 'asked-past-deadline') return `${who} asks to wait ${askedWaitText(why.askedMs)} before ${what} is tried again (${why.last}; Retry-After or RateLimit-Reset): that would pass the ${secondsText(why.limitMs)} runner-fleet gives one call, its retries and waits included (${secondsText(why.spentMs)} spent, ${why.attempts} attempt${why.attempts === 1 ? '' : 's'}): try again later`;
  return undefined;
}
